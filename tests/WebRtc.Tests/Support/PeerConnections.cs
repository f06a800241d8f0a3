using System.Net;
using WebRtc.Ice;
using WebRtc.Sdp;

namespace WebRtc.Tests.Support;

/// <summary>Setting up PeerConnection pairs the way the tests need them.</summary>
internal static class PeerConnections
{
    /// <summary>Options that gather only the loopback candidate, for C#-to-C# tests on real sockets.</summary>
    public static PeerConnectionOptions Loopback() => new()
    {
        Ice = new IceAgentOptions { LocalAddresses = [IPAddress.Loopback] },
    };

    /// <summary>Offer/answer between the two, through SDP text as it would travel.</summary>
    public static async Task ExchangeAsync(PeerConnection offerer, PeerConnection answerer)
    {
        var offer = await offerer.CreateOfferAsync();
        await offerer.SetLocalDescriptionAsync(offer);
        await answerer.SetRemoteDescriptionAsync(SessionDescription.Parse(offer.ToString(), SdpType.Offer));
        var answer = await answerer.CreateAnswerAsync();
        await answerer.SetLocalDescriptionAsync(answer);
        await offerer.SetRemoteDescriptionAsync(SessionDescription.Parse(answer.ToString(), SdpType.Answer));
    }
}
