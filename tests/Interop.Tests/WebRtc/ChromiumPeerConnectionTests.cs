using System.Net;
using WebRtc;
using WebRtc.Ice;
using WebRtc.Sdp;

namespace Interop.Tests.WebRtc;

public class ChromiumPeerConnectionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static PeerConnectionOptions Options() => new()
    {
        // Chromium reaches our loopback host candidate; its own candidates (10.99.0.x in the namespace) are reached from it too.
        Ice = new IceAgentOptions { LocalAddresses = [IPAddress.Loopback] },
    };

    [Fact]
    public async Task Dotnet_offers_and_chromium_answers()
    {
        await using var chromium = await ChromiumWebRtc.LaunchAsync();
        var page = await chromium.NewPageAsync();
        await using var pc = new PeerConnection(Options());
        var offer = await pc.CreateOfferAsync();
        await pc.SetLocalDescriptionAsync(offer);
        var answerSdp = await ChromiumWebRtc.AnswerAsync(page, offer.ToString());
        var answer = SessionDescription.Parse(answerSdp, SdpType.Answer);
        Assert.Equal(DtlsSetup.Active, answer.Setup);
        await pc.SetRemoteDescriptionAsync(answer);
        await pc.WaitForConnectedAsync().WaitAsync(Timeout);
        await ChromiumWebRtc.WaitConnectedAsync(page, Timeout);
        Assert.Equal(PeerConnectionState.Connected, pc.ConnectionState);
        Assert.False(pc.IsDtlsClient);
    }

    [Fact]
    public async Task Chromium_offers_and_dotnet_answers()
    {
        await using var chromium = await ChromiumWebRtc.LaunchAsync();
        var page = await chromium.NewPageAsync();
        var offerSdp = await ChromiumWebRtc.CreateOfferAsync(page);
        await using var pc = new PeerConnection(Options());
        await pc.SetRemoteDescriptionAsync(SessionDescription.Parse(offerSdp, SdpType.Offer));
        var answer = await pc.CreateAnswerAsync();
        await pc.SetLocalDescriptionAsync(answer);
        await ChromiumWebRtc.SetRemoteAnswerAsync(page, answer.ToString());
        await pc.WaitForConnectedAsync().WaitAsync(Timeout);
        await ChromiumWebRtc.WaitConnectedAsync(page, Timeout);
        Assert.True(pc.IsDtlsClient);
    }

    [Fact]
    public async Task Chromium_rejects_a_dotnet_answer_with_a_forged_fingerprint()
    {
        await using var chromium = await ChromiumWebRtc.LaunchAsync();
        var page = await chromium.NewPageAsync();
        var offerSdp = await ChromiumWebRtc.CreateOfferAsync(page);
        await using var pc = new PeerConnection(Options() with { DtlsHandshakeTimeout = TimeSpan.FromSeconds(10) });
        await pc.SetRemoteDescriptionAsync(SessionDescription.Parse(offerSdp, SdpType.Offer));
        var answer = await pc.CreateAnswerAsync();
        await pc.SetLocalDescriptionAsync(answer);
        var forged = answer with { Fingerprints = [global::WebRtc.Dtls.DtlsCertificate.Generate().Fingerprint] };
        await ChromiumWebRtc.SetRemoteAnswerAsync(page, forged.ToString());
        await Assert.ThrowsAsync<PeerConnectionException>(() => pc.WaitForConnectedAsync().WaitAsync(Timeout));
        var state = await page.EvaluateAsync<string>("() => pc.connectionState");
        Assert.NotEqual("connected", state);
    }
}
