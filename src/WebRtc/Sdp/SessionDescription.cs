using System.Globalization;
using System.Text;
using WebRtc.Dtls;
using WebRtc.Ice;

namespace WebRtc.Sdp;

/// <summary>
/// A WebRTC data-channel session description: the fields of its single <c>m=application ... UDP/DTLS/SCTP
/// webrtc-datachannel</c> section that the stack needs, plus the media sections it ignores (so that an answer
/// can reject them in order). <see cref="Parse"/> reads what Chromium, Firefox and libdatachannel write;
/// <see cref="ToString"/> writes an SDP that Chromium accepts.
/// </summary>
public sealed record SessionDescription
{
    /// <summary>The default SCTP port (RFC 8841).</summary>
    public const int DefaultSctpPort = 5000;

    /// <summary>The largest message a peer accepts when <c>a=max-message-size</c> is absent (RFC 8841 section 6.1).</summary>
    public const long DefaultMaxMessageSize = 65536;

    /// <summary>Offer or answer.</summary>
    public required SdpType Type { get; init; }

    /// <summary>The origin's session id (<c>o=</c> line).</summary>
    public ulong SessionId { get; init; }

    /// <summary>The origin's session version.</summary>
    public ulong SessionVersion { get; init; } = 2;

    /// <summary>The ICE username fragment.</summary>
    public required string IceUsernameFragment { get; init; }

    /// <summary>The ICE password.</summary>
    public required string IcePassword { get; init; }

    /// <summary>Whether the peer is an ICE-lite implementation (<c>a=ice-lite</c>).</summary>
    public bool IceLite { get; init; }

    /// <summary>The <c>a=ice-options</c> tokens (<c>trickle</c>...).</summary>
    public IReadOnlyList<string> IceOptions { get; init; } = [];

    /// <summary>The certificate fingerprints (<c>a=fingerprint</c>), session- or media-level.</summary>
    public required IReadOnlyList<CertificateFingerprint> Fingerprints { get; init; }

    /// <summary>The DTLS role (<c>a=setup</c>).</summary>
    public DtlsSetup Setup { get; init; } = DtlsSetup.ActPass;

    /// <summary>The application section's media id (<c>a=mid</c>).</summary>
    public string Mid { get; init; } = "0";

    /// <summary>The SCTP port (<c>a=sctp-port</c>, 5000 when absent).</summary>
    public int SctpPort { get; init; } = DefaultSctpPort;

    /// <summary>The largest message the peer accepts (<c>a=max-message-size</c>; 65536 when absent, 0 means no limit).</summary>
    public long MaxMessageSize { get; init; } = DefaultMaxMessageSize;

    /// <summary>The candidates of the application section.</summary>
    public IReadOnlyList<IceCandidate> Candidates { get; init; } = [];

    /// <summary>Whether the section says <c>a=end-of-candidates</c> (gathering complete).</summary>
    public bool EndOfCandidates { get; init; }

    /// <summary>The position of the application section among the m-sections.</summary>
    public int ApplicationSectionIndex { get; init; }

    /// <summary>Media sections not used by a data-channel session; written back rejected (port 0).</summary>
    public IReadOnlyList<IgnoredMediaSection> IgnoredMedia { get; init; } = [];

    /// <summary>Parses an SDP; <paramref name="type"/> says whether it is an offer or an answer.</summary>
    /// <exception cref="SdpFormatException">Malformed, or no usable data-channel section, or no ICE credentials or fingerprint.</exception>
    public static SessionDescription Parse(string sdp, SdpType type) => SdpParser.Parse(sdp, type);

    /// <summary>Parses an SDP without throwing.</summary>
    public static bool TryParse(string sdp, SdpType type, out SessionDescription? description)
    {
        try
        {
            description = SdpParser.Parse(sdp, type);
            return true;
        }
        catch (SdpFormatException)
        {
            description = null;
            return false;
        }
    }

    /// <summary>The <c>sha-256</c> fingerprint, or else the first one.</summary>
    public CertificateFingerprint PreferredFingerprint =>
        Fingerprints.FirstOrDefault(f => f.Algorithm == "sha-256") ?? Fingerprints[0];

    /// <summary>The SDP type name as RTCSessionDescription.type (<c>offer</c>, <c>answer</c>, <c>pranswer</c>).</summary>
    public string TypeName => Type switch
    {
        SdpType.Offer => "offer",
        SdpType.Answer => "answer",
        _ => "pranswer",
    };

    /// <summary>Parses an RTCSdpType name.</summary>
    public static SdpType ParseType(string name) => name switch
    {
        "offer" => SdpType.Offer,
        "answer" => SdpType.Answer,
        "pranswer" => SdpType.ProvisionalAnswer,
        _ => throw new SdpFormatException($"Unknown SDP type '{name}'."),
    };

    /// <summary>Writes the SDP text (CRLF line ends).</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(640);
        void Line(string s) => sb.Append(s).Append("\r\n");
        var inv = CultureInfo.InvariantCulture;
        Line("v=0");
        Line(string.Create(inv, $"o=- {SessionId} {SessionVersion} IN IP4 127.0.0.1"));
        Line("s=-");
        Line("t=0 0");
        Line("a=group:BUNDLE " + Mid);
        if (IceLite) Line("a=ice-lite");
        Line("a=msid-semantic: WMS");
        var total = IgnoredMedia.Count + 1;
        var applicationAt = Math.Clamp(ApplicationSectionIndex, 0, IgnoredMedia.Count);
        var ignored = 0;
        for (var index = 0; index < total; index++)
        {
            if (index == applicationAt)
            {
                WriteApplication(Line);
                continue;
            }
            var m = IgnoredMedia[ignored++];
            Line($"m={m.Media} 0 {m.Protocol} {m.Formats}");
            Line("c=IN IP4 0.0.0.0");
            if (m.Mid is not null) Line("a=mid:" + m.Mid);
            Line("a=inactive");
        }
        return sb.ToString();
    }

    private void WriteApplication(Action<string> line)
    {
        var inv = CultureInfo.InvariantCulture;
        line("m=application 9 UDP/DTLS/SCTP webrtc-datachannel");
        line("c=IN IP4 0.0.0.0");
        foreach (var c in Candidates) line("a=" + c);
        if (EndOfCandidates) line("a=end-of-candidates");
        line("a=ice-ufrag:" + IceUsernameFragment);
        line("a=ice-pwd:" + IcePassword);
        if (IceOptions.Count > 0) line("a=ice-options:" + string.Join(' ', IceOptions));
        foreach (var f in Fingerprints) line("a=fingerprint:" + f);
        line("a=setup:" + Setup switch { DtlsSetup.Active => "active", DtlsSetup.Passive => "passive", _ => "actpass" });
        line("a=mid:" + Mid);
        line(string.Create(inv, $"a=sctp-port:{SctpPort}"));
        line(string.Create(inv, $"a=max-message-size:{MaxMessageSize}"));
    }
}
