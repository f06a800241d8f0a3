using SdpCompress;
using WebRtc.Ice;
using WebRtc.Sdp;
using Xunit.Abstractions;

namespace SdpCompress.Tests;

public class SdpCompressorTests(ITestOutputHelper output)
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    [Theory]
    [InlineData("chromium-156-offer.sdp", SdpType.Offer)]
    [InlineData("chromium-156-answer.sdp", SdpType.Answer)]
    public void Real_chromium_description_compresses_under_100_bytes_and_expands_faithfully(string file, SdpType type)
    {
        var sdp = Fixture(file);
        var original = SessionDescription.Parse(sdp, type);
        var bytes = SdpCompressor.Compress(original);
        output.WriteLine($"{file}: {sdp.Length} bytes of SDP -> {bytes.Length} bytes ({(double)sdp.Length / bytes.Length:F1}x), base64url {SdpCompressor.CompressToString(original).Length} chars");
        Assert.True(bytes.Length <= 100, $"{bytes.Length} bytes");
        var expanded = SessionDescription.Parse(SdpCompressor.Expand(bytes).ToString(), type);
        AssertEquivalent(original, expanded);
    }

    [Fact]
    public void Four_candidate_offer_fits_in_100_bytes()
    {
        var original = SessionDescription.Parse(Fixture("chromium-156-offer.sdp"), SdpType.Offer) with
        {
            Candidates =
            [
                IceCandidate.Parse("candidate:1 1 udp 2122260223 192.168.1.20 51000 typ host generation 0 network-id 1"),
                IceCandidate.Parse("candidate:2 1 udp 2122194687 10.8.0.3 51001 typ host generation 0 network-id 2"),
                IceCandidate.Parse("candidate:3 1 udp 1686052607 203.0.113.9 51000 typ srflx raddr 192.168.1.20 rport 51000 generation 0"),
                IceCandidate.Parse("candidate:4 1 udp 2122129151 6eb9137b-f98d-4eb1-b13c-74f0326f91db.local 51002 typ host generation 0"),
            ],
        };
        var bytes = SdpCompressor.Compress(original);
        output.WriteLine($"4 candidates: {original.ToString().Length} bytes of SDP -> {bytes.Length} bytes");
        Assert.True(bytes.Length <= 100, $"{bytes.Length} bytes");
        AssertEquivalent(original, SdpCompressor.Expand(SdpCompressor.CompressToString(original)));
    }

    [Fact]
    public void Non_default_values_survive()
    {
        var original = SessionDescription.Parse(Fixture("chromium-156-offer.sdp"), SdpType.Offer) with
        {
            SctpPort = 5001,
            MaxMessageSize = 1073741823,
            Setup = DtlsSetup.Passive,
            IceUsernameFragment = "weird~ufrag",
            Fingerprints = [new WebRtc.Dtls.CertificateFingerprint("sha-1", new byte[20])],
            Candidates = [IceCandidate.Parse("candidate:1 1 udp 1 2001:db8::7 9 typ host"), IceCandidate.Parse("candidate:2 1 udp 1 peer.example 9 typ host")],
        };
        AssertEquivalent(original, SdpCompressor.Expand(SdpCompressor.Compress(original)));
    }

    [Fact]
    public void Random_ice_credentials_round_trip()
    {
        var random = new Random(42);
        const string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        var baseline = SessionDescription.Parse(Fixture("chromium-156-offer.sdp"), SdpType.Offer);
        for (var i = 0; i < 500; i++)
        {
            string Next(int min, int max) => new(Enumerable.Range(0, random.Next(min, max)).Select(_ => chars[random.Next(chars.Length)]).ToArray());
            var d = baseline with { IceUsernameFragment = Next(1, 100), IcePassword = Next(22, 127) };
            var back = SdpCompressor.Expand(SdpCompressor.Compress(d));
            Assert.Equal(d.IceUsernameFragment, back.IceUsernameFragment);
            Assert.Equal(d.IcePassword, back.IcePassword);
        }
    }

    [Fact]
    public void Garbage_is_rejected_with_SdpCompressException_only()
    {
        var random = new Random(7);
        var valid = SdpCompressor.Compress(SessionDescription.Parse(Fixture("chromium-156-offer.sdp"), SdpType.Offer));
        for (var i = 0; i < 20000; i++)
        {
            byte[] bytes;
            if (i % 2 == 0)
            {
                bytes = new byte[random.Next(0, 120)];
                random.NextBytes(bytes);
            }
            else
            {
                bytes = (byte[])valid.Clone();
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                if (random.Next(4) == 0) bytes = bytes[..random.Next(bytes.Length)];
            }
            try
            {
                _ = SdpCompressor.Expand(bytes);
            }
            catch (SdpCompressException)
            {
            }
        }
        Assert.Throws<SdpCompressException>(() => SdpCompressor.Expand("not base64 !!"));
    }

    private static void AssertEquivalent(SessionDescription expected, SessionDescription actual)
    {
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.IceUsernameFragment, actual.IceUsernameFragment);
        Assert.Equal(expected.IcePassword, actual.IcePassword);
        Assert.Equal(expected.PreferredFingerprint, actual.PreferredFingerprint);
        Assert.Equal(expected.Setup, actual.Setup);
        Assert.Equal(expected.SctpPort, actual.SctpPort);
        Assert.Equal(expected.MaxMessageSize, actual.MaxMessageSize);
        Assert.Equal(expected.Candidates.Count, actual.Candidates.Count);
        for (var i = 0; i < expected.Candidates.Count; i++)
        {
            var e = expected.Candidates[i];
            var a = actual.Candidates[i];
            Assert.Equal((e.Address, e.Port, e.Type), (a.Address, a.Port, a.Type));
            if (e.Type != IceCandidateType.Host) Assert.Equal((e.RelatedAddress, e.RelatedPort), (a.RelatedAddress, a.RelatedPort));
        }
        // Candidate order (the peer's preference) is kept: priorities decrease.
        for (var i = 1; i < actual.Candidates.Count; i++)
        {
            if (actual.Candidates[i].Type == actual.Candidates[i - 1].Type) Assert.True(actual.Candidates[i].Priority < actual.Candidates[i - 1].Priority);
        }
    }
}
