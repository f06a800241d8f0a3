using System.Globalization;
using WebRtc.Dtls;
using WebRtc.Ice;

namespace WebRtc.Sdp;

/// <summary>Parses the SDP subset a data-channel session uses; tolerant of unknown lines and of other media sections.</summary>
internal static class SdpParser
{
    /// <summary>The longest SDP accepted; real data-channel SDPs are well under 4 KiB.</summary>
    public const int MaxLength = 256 * 1024;

    private const int MaxCandidates = 256;

    public static SessionDescription Parse(string sdp, SdpType type)
    {
        ArgumentNullException.ThrowIfNull(sdp);
        if (sdp.Length > MaxLength) throw new SdpFormatException($"SDP longer than {MaxLength} characters.");
        var text = sdp.AsSpan();

        ulong sessionId = 0, sessionVersion = 0;
        bool sawVersion = false, iceLite = false;
        string? sessionUfrag = null, sessionPwd = null;
        DtlsSetup? sessionSetup = null;
        var sessionFingerprints = new List<CertificateFingerprint>();
        var sessionIceOptions = new List<string>();

        // State of the current m-section.
        var sectionIndex = -1;
        var inApplication = false;
        string? media = null, protocol = null, formats = null, mid = null;
        var ignored = new List<IgnoredMediaSection>();

        // The chosen application section.
        var appIndex = -1;
        string? ufrag = null, pwd = null, appMid = null;
        DtlsSetup? setup = null;
        int? sctpPort = null;
        long? maxMessageSize = null;
        var fingerprints = new List<CertificateFingerprint>();
        var iceOptions = new List<string>();
        var candidates = new List<IceCandidate>();
        var endOfCandidates = false;
        var appDone = false;

        void CloseSection()
        {
            if (sectionIndex < 0) return;
            if (inApplication)
            {
                appDone = true;
                inApplication = false;
            }
            else if (media is not null)
            {
                ignored.Add(new IgnoredMediaSection(media, protocol ?? "", formats ?? "", mid, sectionIndex));
            }
            media = protocol = formats = mid = null;
        }

        var lineNumber = 0;
        foreach (var rawLine in text.EnumerateLines())
        {
            lineNumber++;
            var line = rawLine.TrimEnd();
            if (line.IsEmpty) continue;
            if (line.Length < 2 || line[1] != '=') throw new SdpFormatException($"SDP line {lineNumber} is not '<type>=<value>'.");
            var kind = line[0];
            var value = line[2..];
            if (!sawVersion)
            {
                if (kind != 'v' || !value.SequenceEqual("0")) throw new SdpFormatException("SDP must start with 'v=0'.");
                sawVersion = true;
                continue;
            }
            switch (kind)
            {
                case 'o' when sectionIndex < 0:
                    {
                        Span<Range> parts = stackalloc Range[7];
                        if (value.Split(parts, ' ', StringSplitOptions.RemoveEmptyEntries) >= 3)
                        {
                            _ = ulong.TryParse(value[parts[1]], NumberStyles.None, CultureInfo.InvariantCulture, out sessionId);
                            _ = ulong.TryParse(value[parts[2]], NumberStyles.None, CultureInfo.InvariantCulture, out sessionVersion);
                        }
                        break;
                    }
                case 'm':
                    {
                        CloseSection();
                        sectionIndex++;
                        Span<Range> parts = stackalloc Range[4];
                        var n = value.Split(parts, ' ', StringSplitOptions.RemoveEmptyEntries);
                        if (n < 3) throw new SdpFormatException($"SDP line {lineNumber}: malformed m-line.");
                        media = value[parts[0]].ToString();
                        var port = value[parts[1]];
                        protocol = value[parts[2]].ToString();
                        formats = n > 3 ? value[parts[3]].ToString() : "";
                        var isDataChannel = media == "application" && protocol.Contains("SCTP", StringComparison.OrdinalIgnoreCase)
                            && (formats.Contains("webrtc-datachannel", StringComparison.Ordinal) || formats == "5000");
                        if (isDataChannel && appIndex < 0 && !port.SequenceEqual("0"))
                        {
                            appIndex = sectionIndex;
                            inApplication = true;
                            if (formats == "5000") sctpPort = 5000; // draft-ietf-mmusic-sctp-sdp-05 style (old Firefox)
                        }
                        break;
                    }
                case 'a':
                    ParseAttribute(value, lineNumber);
                    break;
                default:
                    break; // s=, t=, c=, b=, i=... carry nothing a data channel needs.
            }
        }
        CloseSection();

        void ParseAttribute(ReadOnlySpan<char> value, int lineNo)
        {
            var colon = value.IndexOf(':');
            var name = colon < 0 ? value : value[..colon];
            var arg = colon < 0 ? [] : value[(colon + 1)..].Trim();
            var session = sectionIndex < 0;
            if (!session && !inApplication)
            {
                if (name.SequenceEqual("mid")) mid = arg.ToString();
                return;
            }
            switch (name)
            {
                case "ice-lite":
                    iceLite = true;
                    break;
                case "ice-ufrag":
                    if (session) sessionUfrag = arg.ToString();
                    else ufrag = arg.ToString();
                    break;
                case "ice-pwd":
                    if (session) sessionPwd = arg.ToString();
                    else pwd = arg.ToString();
                    break;
                case "ice-options":
                    foreach (var token in arg.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries))
                        (session ? sessionIceOptions : iceOptions).Add(token);
                    break;
                case "fingerprint":
                    try
                    {
                        (session ? sessionFingerprints : fingerprints).Add(CertificateFingerprint.Parse(arg));
                    }
                    catch (FormatException e)
                    {
                        throw new SdpFormatException($"SDP line {lineNo}: {e.Message}", e);
                    }
                    break;
                case "setup":
                    var role = arg switch
                    {
                        "actpass" => DtlsSetup.ActPass,
                        "active" => DtlsSetup.Active,
                        "passive" => DtlsSetup.Passive,
                        "holdconn" => throw new SdpFormatException("a=setup:holdconn is not supported for data channels."),
                        _ => throw new SdpFormatException($"SDP line {lineNo}: unknown a=setup value."),
                    };
                    if (session) sessionSetup = role;
                    else setup = role;
                    break;
                case "mid" when !session:
                    appMid = arg.ToString();
                    break;
                case "sctp-port" when !session:
                    if (!int.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out var sp) || sp is < 1 or > 65535)
                        throw new SdpFormatException($"SDP line {lineNo}: bad a=sctp-port.");
                    sctpPort = sp;
                    break;
                case "sctpmap" when !session:
                    {
                        // Old form: a=sctpmap:5000 webrtc-datachannel 1024
                        var space = arg.IndexOf(' ');
                        if (space > 0 && int.TryParse(arg[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var mp) && mp is >= 1 and <= 65535)
                            sctpPort ??= mp;
                        break;
                    }
                case "max-message-size" when !session:
                    if (!long.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out var mms))
                        throw new SdpFormatException($"SDP line {lineNo}: bad a=max-message-size.");
                    maxMessageSize = mms;
                    break;
                case "candidate" when !session:
                    if (candidates.Count >= MaxCandidates) throw new SdpFormatException($"More than {MaxCandidates} candidates.");
                    try
                    {
                        candidates.Add(IceCandidate.Parse(arg.ToString()));
                    }
                    catch (FormatException e)
                    {
                        throw new SdpFormatException($"SDP line {lineNo}: {e.Message}", e);
                    }
                    break;
                case "end-of-candidates":
                    endOfCandidates = true;
                    break;
                default:
                    break;
            }
        }

        if (!sawVersion) throw new SdpFormatException("Empty SDP.");
        if (appIndex < 0 || !appDone) throw new SdpFormatException("The SDP has no data-channel section (m=application ... UDP/DTLS/SCTP webrtc-datachannel).");
        ufrag ??= sessionUfrag;
        pwd ??= sessionPwd;
        if (string.IsNullOrEmpty(ufrag) || string.IsNullOrEmpty(pwd)) throw new SdpFormatException("The SDP has no a=ice-ufrag / a=ice-pwd.");
        if (ufrag.Length > 256 || pwd.Length > 256) throw new SdpFormatException("ICE credentials longer than 256 characters.");
        if (fingerprints.Count == 0) fingerprints = sessionFingerprints;
        if (fingerprints.Count == 0) throw new SdpFormatException("The SDP has no a=fingerprint: DTLS cannot be authenticated.");
        if (iceOptions.Count == 0) iceOptions = sessionIceOptions;

        return new SessionDescription
        {
            Type = type,
            SessionId = sessionId,
            SessionVersion = sessionVersion,
            IceUsernameFragment = ufrag,
            IcePassword = pwd,
            IceLite = iceLite,
            IceOptions = iceOptions,
            Fingerprints = fingerprints,
            Setup = setup ?? sessionSetup ?? (type == SdpType.Offer ? DtlsSetup.ActPass : DtlsSetup.Active),
            Mid = appMid ?? appIndex.ToString(CultureInfo.InvariantCulture),
            SctpPort = sctpPort ?? SessionDescription.DefaultSctpPort,
            MaxMessageSize = maxMessageSize ?? SessionDescription.DefaultMaxMessageSize,
            Candidates = candidates,
            EndOfCandidates = endOfCandidates,
            ApplicationSectionIndex = appIndex,
            IgnoredMedia = ignored,
        };
    }
}
