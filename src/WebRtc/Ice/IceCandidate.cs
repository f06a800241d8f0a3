using System.Globalization;
using System.Net;
using System.Text;

namespace WebRtc.Ice;

/// <summary>The type of an ICE candidate (RFC 8445 section 5.1.1).</summary>
public enum IceCandidateType
{
    /// <summary>An address of a local interface.</summary>
    Host,

    /// <summary>A local address as a STUN server saw it (server reflexive).</summary>
    ServerReflexive,

    /// <summary>An address learnt from a connectivity check (peer reflexive).</summary>
    PeerReflexive,

    /// <summary>An address on a TURN relay.</summary>
    Relayed,
}

/// <summary>
/// One ICE candidate as written in SDP (<c>candidate:foundation component transport priority address port typ type ...</c>,
/// RFC 8839 section 5.1). Immutable; <see cref="ToString"/> writes it back.
/// </summary>
public sealed record IceCandidate
{
    /// <summary>The foundation: candidates with the same one share a base and a server.</summary>
    public required string Foundation { get; init; }

    /// <summary>The component id (1 for the single RTP/data component used with BUNDLE).</summary>
    public int Component { get; init; } = 1;

    /// <summary>The transport, lower case (<c>udp</c>; <c>tcp</c> candidates are parsed but never used).</summary>
    public string Protocol { get; init; } = "udp";

    /// <summary>The candidate priority.</summary>
    public required uint Priority { get; init; }

    /// <summary>The address: an IP literal, or a host name such as an mDNS <c>.local</c> name.</summary>
    public required string Address { get; init; }

    /// <summary>The port.</summary>
    public required int Port { get; init; }

    /// <summary>The candidate type.</summary>
    public required IceCandidateType Type { get; init; }

    /// <summary>The related address (<c>raddr</c>), for reflexive and relayed candidates.</summary>
    public string? RelatedAddress { get; init; }

    /// <summary>The related port (<c>rport</c>).</summary>
    public int? RelatedPort { get; init; }

    /// <summary>The TCP candidate type (<c>tcptype</c>), for TCP candidates.</summary>
    public string? TcpType { get; init; }

    /// <summary>Extension attributes kept verbatim (<c>generation</c>, <c>ufrag</c>, <c>network-id</c>, <c>network-cost</c>...).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Extensions { get; init; } = [];

    /// <summary>Whether <see cref="Address"/> is an mDNS name (<c>*.local</c>) that must be resolved, or learnt as peer reflexive.</summary>
    public bool IsMdns => Address.EndsWith(".local", StringComparison.OrdinalIgnoreCase);

    /// <summary>The address as an <see cref="IPAddress"/>, or null when it is a host name.</summary>
    public IPAddress? IPAddress => IPAddress.TryParse(Address, out var ip) ? ip : null;

    /// <summary>Parses a candidate, with or without the leading <c>a=</c> and <c>candidate:</c>.</summary>
    /// <exception cref="FormatException">The text is not a candidate.</exception>
    public static IceCandidate Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.AsSpan().Trim();
        if (s.StartsWith("a=", StringComparison.Ordinal)) s = s[2..];
        if (s.StartsWith("candidate:", StringComparison.OrdinalIgnoreCase)) s = s[10..];
        var fields = s.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var count = fields.Length;
        if (count < 8 || count > 64) throw new FormatException($"Not an ICE candidate: '{text}'.");
        string P(int i) => fields[i];
        if (!int.TryParse(P(1), NumberStyles.None, CultureInfo.InvariantCulture, out var component) || component is < 1 or > 256)
            throw new FormatException($"Bad candidate component in '{text}'.");
        if (!uint.TryParse(P(3), NumberStyles.None, CultureInfo.InvariantCulture, out var priority))
            throw new FormatException($"Bad candidate priority in '{text}'.");
        if (!int.TryParse(P(5), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
            throw new FormatException($"Bad candidate port in '{text}'.");
        if (!string.Equals(P(6), "typ", StringComparison.OrdinalIgnoreCase)) throw new FormatException($"Missing 'typ' in candidate '{text}'.");
        var type = P(7).ToLowerInvariant() switch
        {
            "host" => IceCandidateType.Host,
            "srflx" => IceCandidateType.ServerReflexive,
            "prflx" => IceCandidateType.PeerReflexive,
            "relay" => IceCandidateType.Relayed,
            _ => throw new FormatException($"Unknown candidate type in '{text}'."),
        };
        string? raddr = null, tcpType = null;
        int? rport = null;
        var extensions = new List<KeyValuePair<string, string>>();
        for (var i = 8; i + 1 < count; i += 2)
        {
            var key = P(i).ToString();
            var value = P(i + 1).ToString();
            switch (key)
            {
                case "raddr": raddr = value; break;
                case "rport":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var rp) || rp > 65535)
                        throw new FormatException($"Bad rport in '{text}'.");
                    rport = rp;
                    break;
                case "tcptype": tcpType = value; break;
                default: extensions.Add(new(key, value)); break;
            }
        }
        var foundation = P(0).ToString();
        if (foundation.Length is 0 or > 32) throw new FormatException($"Bad candidate foundation in '{text}'.");
        return new IceCandidate
        {
            Foundation = foundation,
            Component = component,
            Protocol = P(2).ToString().ToLowerInvariant(),
            Priority = priority,
            Address = P(4).ToString(),
            Port = port,
            Type = type,
            RelatedAddress = raddr,
            RelatedPort = rport,
            TcpType = tcpType,
            Extensions = extensions,
        };
    }

    /// <summary>The SDP name of a candidate type (<c>host</c>, <c>srflx</c>, <c>prflx</c>, <c>relay</c>).</summary>
    public static string TypeName(IceCandidateType type) => type switch
    {
        IceCandidateType.Host => "host",
        IceCandidateType.ServerReflexive => "srflx",
        IceCandidateType.PeerReflexive => "prflx",
        _ => "relay",
    };

    /// <summary>Writes <c>candidate:...</c> (without <c>a=</c>), as RTCIceCandidate.candidate.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(96);
        sb.Append("candidate:").Append(Foundation).Append(' ').Append(Component.ToString(CultureInfo.InvariantCulture))
            .Append(' ').Append(Protocol).Append(' ').Append(Priority.ToString(CultureInfo.InvariantCulture))
            .Append(' ').Append(Address).Append(' ').Append(Port.ToString(CultureInfo.InvariantCulture))
            .Append(" typ ").Append(TypeName(Type));
        if (RelatedAddress is not null) sb.Append(" raddr ").Append(RelatedAddress);
        if (RelatedPort is { } rp) sb.Append(" rport ").Append(rp.ToString(CultureInfo.InvariantCulture));
        if (TcpType is not null) sb.Append(" tcptype ").Append(TcpType);
        foreach (var (k, v) in Extensions) sb.Append(' ').Append(k).Append(' ').Append(v);
        return sb.ToString();
    }

    /// <summary>The RFC 8445 candidate priority: type preference, local preference and component.</summary>
    public static uint ComputePriority(IceCandidateType type, int localPreference, int component = 1)
    {
        var typePreference = type switch
        {
            IceCandidateType.Host => 126u,
            IceCandidateType.PeerReflexive => 110u,
            IceCandidateType.ServerReflexive => 100u,
            _ => 0u,
        };
        return (typePreference << 24) + ((uint)Math.Clamp(localPreference, 0, 65535) << 8) + (uint)(256 - Math.Clamp(component, 1, 256));
    }
}
