using System.Globalization;
using System.Net;

namespace MagnetUri;

/// <summary>
/// A peer given in a magnet link's <c>x.pe</c> parameter (BEP 9): <c>host:port</c>, where host is a DNS name,
/// an IPv4 address or a bracketed IPv6 address (<c>[2001:db8::1]:6881</c>).
/// </summary>
public readonly record struct PeerAddress
{
    /// <summary>Creates a peer address.</summary>
    /// <param name="host">A DNS name or IP literal; an IPv6 literal without brackets.</param>
    /// <param name="port">1 to 65535.</param>
    /// <exception cref="ArgumentException"><paramref name="host"/> is empty or contains characters a host cannot.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is outside 1..65535.</exception>
    public PeerAddress(string host, int port)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (!IsValidHost(host)) throw new ArgumentException($"'{host}' is not a host name or IP address.", nameof(host));
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        Host = host;
        Port = port;
    }

    /// <summary>The host: DNS name, IPv4 or IPv6 literal (without brackets).</summary>
    public string Host { get; }

    /// <summary>The TCP/uTP port, 1 to 65535.</summary>
    public int Port { get; }

    /// <summary>Parses <c>host:port</c> or <c>[ipv6]:port</c>.</summary>
    /// <exception cref="FormatException">The text is not a host and port.</exception>
    public static PeerAddress Parse(ReadOnlySpan<char> text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"'{text}' is not host:port or [ipv6]:port.");

    /// <summary>Parses <c>host:port</c> or <c>[ipv6]:port</c> without throwing.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out PeerAddress address)
    {
        address = default;
        var colon = text.LastIndexOf(':');
        if (colon <= 0) return false;
        var host = text[..colon];
        if (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            return false;
        if (host[0] == '[')
        {
            if (host.Length < 3 || host[^1] != ']') return false;
            host = host[1..^1];
            if (!IPAddress.TryParse(host, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) return false;
        }
        else if (host.Contains(':'))
        {
            return false; // an IPv6 literal must be bracketed, or the port is ambiguous
        }

        var hostString = host.ToString();
        if (!IsValidHost(hostString)) return false;
        address = new PeerAddress(hostString, port, validated: true);
        return true;
    }

    /// <summary>The address as an <see cref="IPEndPoint"/> when <see cref="Host"/> is an IP literal, or <see langword="null"/> for a DNS name.</summary>
    public IPEndPoint? ToIPEndPoint() => IPAddress.TryParse(Host, out var ip) ? new IPEndPoint(ip, Port) : null;

    /// <summary><c>host:port</c>, with brackets around an IPv6 host.</summary>
    public override string ToString() =>
        Host is null ? string.Empty
        : Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port.ToString(CultureInfo.InvariantCulture)}"
        : $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    private PeerAddress(string host, int port, bool validated)
    {
        _ = validated;
        Host = host;
        Port = port;
    }

    private static bool IsValidHost(string host)
    {
        if (host.Length is 0 or > 255) return false;
        if (host.Contains(':', StringComparison.Ordinal))
            return IPAddress.TryParse(host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        foreach (var c in host)
        {
            // Names are letters, digits, '-', '.', '_' (and IDN already in Unicode); nothing that would break host:port.
            if (c <= ' ' || c is '/' or '?' or '#' or '@' or '[' or ']' or '&' or '=' or '%' or '\\' or '\u007f') return false;
        }

        return true;
    }
}
