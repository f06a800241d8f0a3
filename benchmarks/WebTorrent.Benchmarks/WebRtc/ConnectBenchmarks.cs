using System.Net;
using BenchmarkDotNet.Attributes;
using WebRtc;
using WebRtc.Dtls;
using WebRtc.Ice;
using WebRtc.Sdp;

namespace WebTorrent.Benchmarks.WebRtc;

/// <summary>
/// Time to a connected, authenticated DTLS association between two .NET peers on loopback (offer, answer,
/// ICE, DTLS 1.2). Chromium to Chromium is measured beside it by benchmarks/webrtc-connect.sh.
/// </summary>
public class ConnectBenchmarks
{
    private readonly DtlsCertificate _certA = DtlsCertificate.Generate();
    private readonly DtlsCertificate _certB = DtlsCertificate.Generate();

    [Params(false, true)]
    public bool FreshCertificates { get; set; }

    [Benchmark(Description = "C#<->C# loopback: offer/answer + ICE + DTLS connected")]
    public async Task ConnectAsync()
    {
        PeerConnectionOptions Options(DtlsCertificate certificate) => new()
        {
            Ice = new IceAgentOptions { LocalAddresses = [IPAddress.Loopback] },
            Certificate = FreshCertificates ? null : certificate,
        };
        await using var a = new PeerConnection(Options(_certA));
        await using var b = new PeerConnection(Options(_certB));
        var offer = await a.CreateOfferAsync();
        await a.SetLocalDescriptionAsync(offer);
        await b.SetRemoteDescriptionAsync(SessionDescription.Parse(offer.ToString(), SdpType.Offer));
        var answer = await b.CreateAnswerAsync();
        await b.SetLocalDescriptionAsync(answer);
        await a.SetRemoteDescriptionAsync(SessionDescription.Parse(answer.ToString(), SdpType.Answer));
        await Task.WhenAll(a.WaitForConnectedAsync(), b.WaitForConnectedAsync());
    }
}
