using System.Net;
using WebRtc;
using WebRtc.Ice;
using WebRtc.Sdp;

namespace Interop.Tests.WebRtc;

public class ChromiumPeerConnectionTests(Xunit.Abstractions.ITestOutputHelper output)
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
        Assert.Contains("ECDHE_ECDSA", pc.DtlsCipherSuite, StringComparison.Ordinal);
        output.WriteLine("DTLS suite with Chromium (we serve): " + pc.DtlsCipherSuite);
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
        output.WriteLine("DTLS suite with Chromium (we are client): " + pc.DtlsCipherSuite);
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

public class ChromiumMdnsAndSdpCompressTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Chromium_offer_with_mdns_candidates_is_answered_through_peer_reflexive_learning()
    {
        await using var chromium = await ChromiumWebRtc.LaunchAsync(hideLocalIpsWithMdns: true);
        var page = await chromium.NewPageAsync();
        var offer = SessionDescription.Parse(await ChromiumWebRtc.CreateOfferAsync(page), SdpType.Offer);
        Assert.All(offer.Candidates, c => Assert.True(c.IsMdns, c.ToString()));
        await using var pc = new PeerConnection(new PeerConnectionOptions { Ice = new IceAgentOptions { LocalAddresses = [IPAddress.Loopback] } });
        await pc.SetRemoteDescriptionAsync(offer);
        var answer = await pc.CreateAnswerAsync();
        await pc.SetLocalDescriptionAsync(answer);
        await ChromiumWebRtc.SetRemoteAnswerAsync(page, answer.ToString());
        await pc.WaitForConnectedAsync().WaitAsync(Timeout);
        await ChromiumWebRtc.WaitConnectedAsync(page, Timeout);
        Assert.Equal(IceCandidateType.PeerReflexive, pc.SelectedCandidatePair!.RemoteType);
    }

    [Fact]
    public async Task Compressed_then_expanded_chromium_descriptions_connect_two_chromium_peers()
    {
        await using var chromium = await ChromiumWebRtc.LaunchAsync();
        var offerer = await chromium.NewPageAsync();
        var answerer = await chromium.NewPageAsync();
        var offerSdp = await ChromiumWebRtc.CreateOfferAsync(offerer);
        var compressedOffer = global::SdpCompress.SdpCompressor.CompressToString(offerSdp, SdpType.Offer);
        Assert.True(compressedOffer.Length * 4 < offerSdp.Length, $"{compressedOffer.Length} chars vs {offerSdp.Length}");
        var expandedOffer = global::SdpCompress.SdpCompressor.Expand(compressedOffer).ToString();
        var answerSdp = await ChromiumWebRtc.AnswerAsync(answerer, expandedOffer);
        var expandedAnswer = global::SdpCompress.SdpCompressor.Expand(global::SdpCompress.SdpCompressor.CompressToString(answerSdp, SdpType.Answer)).ToString();
        await ChromiumWebRtc.SetRemoteAnswerAsync(offerer, expandedAnswer);
        await ChromiumWebRtc.WaitConnectedAsync(offerer, Timeout);
        await ChromiumWebRtc.WaitConnectedAsync(answerer, Timeout);
    }

    [Fact]
    public async Task Compressed_chromium_offer_is_answered_by_dotnet()
    {
        await using var chromium = await ChromiumWebRtc.LaunchAsync();
        var page = await chromium.NewPageAsync();
        var compressed = global::SdpCompress.SdpCompressor.CompressToString(await ChromiumWebRtc.CreateOfferAsync(page), SdpType.Offer);
        await using var pc = new PeerConnection(new PeerConnectionOptions { Ice = new IceAgentOptions { LocalAddresses = [IPAddress.Loopback] } });
        await pc.SetRemoteDescriptionAsync(global::SdpCompress.SdpCompressor.Expand(compressed));
        var answer = await pc.CreateAnswerAsync();
        await pc.SetLocalDescriptionAsync(answer);
        var expandedAnswer = global::SdpCompress.SdpCompressor.Expand(global::SdpCompress.SdpCompressor.CompressToString(answer)).ToString();
        await ChromiumWebRtc.SetRemoteAnswerAsync(page, expandedAnswer);
        await pc.WaitForConnectedAsync().WaitAsync(Timeout);
        await ChromiumWebRtc.WaitConnectedAsync(page, Timeout);
    }
}
