using System.Globalization;
using System.Net;
using WebRtc.Ice.Turn;

namespace WebRtc;

/// <summary>
/// A STUN or TURN server, as RTCIceServer: <c>stun:host[:port]</c> or <c>turn:host[:port][?transport=udp]</c> URLs,
/// with the username and credential TURN asks for. A string converts to a server with that one URL, so
/// <c>IceServers = ["stun:stun.example.org"]</c> reads as before.
/// </summary>
/// <param name="Urls">The server's URLs.</param>
/// <param name="Username">The TURN username.</param>
/// <param name="Credential">The TURN password.</param>
public sealed record IceServer(IReadOnlyList<string> Urls, string? Username = null, string? Credential = null)
{
    private const int DefaultPort = 3478;

    /// <summary>A server with one URL.</summary>
    public IceServer(string url, string? username = null, string? credential = null)
        : this([url], username, credential)
    {
    }

    /// <summary>A server with one URL and no credentials.</summary>
    public static implicit operator IceServer(string url) => FromUrl(url);

    /// <summary>A server with one URL and no credentials (the named form of the conversion from string).</summary>
    public static IceServer FromUrl(string url) => new(url);

    /// <summary>Hides the credential when the record is printed.</summary>
    public override string ToString() => string.Join(", ", Urls) + (Username is null ? "" : $" (user {Username})");

    /// <summary>Resolves every URL: STUN ones to endpoints, TURN ones to <see cref="TurnServer"/>s.</summary>
    /// <exception cref="ArgumentException">An unsupported scheme or transport (<c>turns:</c>, TCP), a bad URL, or TURN without credentials.</exception>
    internal static (List<IPEndPoint> Stun, List<TurnServer> Turn) Resolve(IEnumerable<IceServer> servers)
    {
        var stun = new List<IPEndPoint>();
        var turn = new List<TurnServer>();
        foreach (var server in servers)
        {
            foreach (var url in server.Urls)
            {
                ArgumentNullException.ThrowIfNull(url);
                if (url.StartsWith("stun:", StringComparison.OrdinalIgnoreCase))
                {
                    stun.Add(ParseHostPort(url, url[5..]));
                }
                else if (url.StartsWith("turn:", StringComparison.OrdinalIgnoreCase))
                {
                    if (server.Username is null || server.Credential is null)
                        throw new ArgumentException($"The TURN server '{url}' needs a username and a credential.", nameof(servers));
                    turn.Add(new TurnServer(ParseHostPort(url, url[5..]), server.Username, server.Credential));
                }
                else
                {
                    throw new ArgumentException($"Only stun: and turn: (UDP) URLs are supported, not '{url}'.", nameof(servers));
                }
            }
        }
        return (stun, turn);
    }

    private static IPEndPoint ParseHostPort(string url, string rest)
    {
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            var parameters = rest[(query + 1)..];
            if (!string.Equals(parameters, "transport=udp", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"Only '?transport=udp' is supported, in '{url}'.", nameof(url));
            rest = rest[..query];
        }
        string host;
        var portText = (string?)null;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) throw new ArgumentException($"Bad ICE server URL '{url}'.", nameof(url));
            host = rest[1..close];
            if (close + 1 < rest.Length)
            {
                if (rest[close + 1] != ':') throw new ArgumentException($"Bad ICE server URL '{url}'.", nameof(url));
                portText = rest[(close + 2)..];
            }
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            host = colon < 0 ? rest : rest[..colon];
            if (colon >= 0) portText = rest[(colon + 1)..];
        }
        var port = DefaultPort;
        if (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is 0 or > 65535))
            throw new ArgumentException($"Bad port in ICE server URL '{url}'.", nameof(url));
        if (host.Length == 0) throw new ArgumentException($"No host in ICE server URL '{url}'.", nameof(url));
        var address = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).First();
        return new IPEndPoint(address, port);
    }
}
