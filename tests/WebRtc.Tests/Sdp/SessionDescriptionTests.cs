using WebRtc.Ice;
using WebRtc.Sdp;

namespace WebRtc.Tests.Sdp;

public class SessionDescriptionTests
{
    internal static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    [Fact]
    public void Parses_chromium_offer()
    {
        var d = SessionDescription.Parse(Fixture("chromium-156-offer.sdp"), SdpType.Offer);
        Assert.Equal("8YQm", d.IceUsernameFragment);
        Assert.Equal("IRkb5WSPs2EU5M8cU1QyESc7", d.IcePassword);
        Assert.Equal(DtlsSetup.ActPass, d.Setup);
        Assert.Equal("0", d.Mid);
        Assert.Equal(5000, d.SctpPort);
        Assert.Equal(262144, d.MaxMessageSize);
        Assert.Equal("sha-256", d.PreferredFingerprint.Algorithm);
        Assert.Equal(32, d.PreferredFingerprint.Digest.Length);
        Assert.Equal(0xD0, d.PreferredFingerprint.Digest.Span[0]);
        var c = Assert.Single(d.Candidates);
        Assert.True(c.IsMdns);
        Assert.Equal(46837, c.Port);
        Assert.Equal(IceCandidateType.Host, c.Type);
        Assert.Equal(2113937151u, c.Priority);
        Assert.Contains("trickle", d.IceOptions);
        Assert.Empty(d.IgnoredMedia);
    }

    [Fact]
    public void Parses_chromium_answer()
    {
        var d = SessionDescription.Parse(Fixture("chromium-156-answer.sdp"), SdpType.Answer);
        Assert.Equal(DtlsSetup.Active, d.Setup);
        Assert.Equal("ILol", d.IceUsernameFragment);
    }

    [Fact]
    public void Written_sdp_parses_back_identically()
    {
        var d = SessionDescription.Parse(Fixture("chromium-156-offer.sdp"), SdpType.Offer);
        var text = d.ToString();
        Assert.Contains("a=sctp-port:5000\r\n", text);
        Assert.Contains("a=max-message-size:262144\r\n", text);
        Assert.Contains("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n", text);
        var again = SessionDescription.Parse(text, SdpType.Offer);
        Assert.Equal(d.IceUsernameFragment, again.IceUsernameFragment);
        Assert.Equal(d.IcePassword, again.IcePassword);
        Assert.Equal(d.PreferredFingerprint, again.PreferredFingerprint);
        Assert.Equal(d.Candidates, again.Candidates, (a, b) => a.ToString() == b.ToString());
        Assert.Equal(d.Setup, again.Setup);
    }

    [Fact]
    public void Firefox_style_offer_with_session_level_fingerprint_and_audio_is_tolerated()
    {
        const string sdp = "v=0\r\no=mozilla...THIS_IS_SDPARTA-99.0 123 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" +
            "a=fingerprint:sha-256 D0:59:BF:60:CE:CD:F4:6A:36:B4:2F:A3:97:D5:C3:37:56:56:F5:4D:D6:07:BC:0A:6C:B6:2D:2F:EA:1A:0C:37\r\n" +
            "a=group:BUNDLE 0 1\r\na=ice-options:trickle\r\na=msid-semantic:WMS *\r\n" +
            "m=audio 9 UDP/TLS/RTP/SAVPF 109\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtpmap:109 opus/48000/2\r\n" +
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n" +
            "a=candidate:0 1 UDP 2122252543 10.0.0.5 49203 typ host\r\n" +
            "a=candidate:1 1 UDP 1686052863 203.0.113.7 49203 typ srflx raddr 10.0.0.5 rport 49203\r\n" +
            "a=end-of-candidates\r\na=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\na=ice-ufrag:bbbbbbbb\r\na=mid:1\r\na=setup:actpass\r\na=sctp-port:5000\r\na=max-message-size:1073741823\r\n";
        var d = SessionDescription.Parse(sdp, SdpType.Offer);
        Assert.Equal("1", d.Mid);
        Assert.Equal(1, d.ApplicationSectionIndex);
        Assert.Equal(1073741823, d.MaxMessageSize);
        Assert.True(d.EndOfCandidates);
        Assert.Equal(2, d.Candidates.Count);
        Assert.Equal(IceCandidateType.ServerReflexive, d.Candidates[1].Type);
        Assert.Equal("udp", d.Candidates[1].Protocol);
        Assert.Equal(49203, d.Candidates[1].RelatedPort);
        var ignored = Assert.Single(d.IgnoredMedia);
        Assert.Equal("audio", ignored.Media);
        // An answer keeps the order and rejects the audio section.
        var answer = d with { Type = SdpType.Answer, Setup = DtlsSetup.Active };
        var text = answer.ToString();
        Assert.True(text.IndexOf("m=audio 0 ", StringComparison.Ordinal) < text.IndexOf("m=application", StringComparison.Ordinal));
        Assert.Equal(1, SessionDescription.Parse(text, SdpType.Answer).ApplicationSectionIndex);
    }

    [Fact]
    public void Absent_max_message_size_defaults_to_64k()
    {
        var text = Fixture("chromium-156-offer.sdp").Replace("a=max-message-size:262144\n", "", StringComparison.Ordinal).Replace("a=max-message-size:262144\r\n", "", StringComparison.Ordinal);
        Assert.Equal(65536, SessionDescription.Parse(text, SdpType.Offer).MaxMessageSize);
    }

    [Theory]
    [InlineData("a=fingerprint:", "Missing fingerprint")]
    [InlineData("a=ice-pwd:", "Missing pwd")]
    [InlineData("m=application", "No data channel")]
    public void Rejects_descriptions_without_what_a_data_channel_needs(string removedPrefix, string why)
    {
        var lines = Fixture("chromium-156-offer.sdp").Split('\n').Where(l => !l.StartsWith(removedPrefix, StringComparison.Ordinal));
        Assert.Throws<SdpFormatException>(() => SessionDescription.Parse(string.Join('\n', lines), SdpType.Offer));
        _ = why;
    }

    [Fact]
    public void Audio_video_only_offer_is_rejected_cleanly()
    {
        const string sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n" +
            "a=fingerprint:sha-256 00:11\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n";
        var e = Assert.Throws<SdpFormatException>(() => SessionDescription.Parse(sdp, SdpType.Offer));
        Assert.Contains("data-channel", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Garbage_never_throws_anything_but_SdpFormatException()
    {
        var random = new Random(8866);
        var baseText = Fixture("chromium-156-offer.sdp");
        for (var i = 0; i < 3000; i++)
        {
            var chars = baseText.ToCharArray();
            for (var k = 0; k < 1 + random.Next(6); k++) chars[random.Next(chars.Length)] = (char)random.Next(32, 127);
            try
            {
                _ = SessionDescription.Parse(new string(chars), SdpType.Offer);
            }
            catch (SdpFormatException)
            {
            }
        }
    }

    [Fact]
    public void Candidate_parse_and_format_round_trip()
    {
        const string line = "candidate:1467250027 1 udp 2122260223 192.168.0.196 46243 typ host generation 0 network-id 1";
        var c = IceCandidate.Parse(line);
        Assert.Equal(line, c.ToString());
        Assert.Equal("192.168.0.196", c.IPAddress!.ToString());
        Assert.Throws<FormatException>(() => IceCandidate.Parse("candidate:1 1 udp x 1.2.3.4 5 typ host"));
    }
}
