using System.Globalization;
using System.Net;
using WebRtc.Dtls;
using WebRtc.Ice;

namespace WebRtc;

/// <summary>Options of a <see cref="PeerConnection"/>, as RTCConfiguration.</summary>
public sealed record PeerConnectionOptions
{
    /// <summary>
    /// STUN servers as <c>stun:host:port</c> URLs (RTCIceServer.urls). Each is resolved when the connection is created;
    /// they add server-reflexive candidates. TURN is not supported.
    /// </summary>
    public IReadOnlyList<string> IceServers { get; init; } = [];

    /// <summary>ICE options (addresses to gather on, loopback, timers, socket factory for tests).</summary>
    public IceAgentOptions Ice { get; init; } = new();

    /// <summary>Our DTLS certificate; a fresh ECDSA P-256 one per connection when null.</summary>
    public DtlsCertificate? Certificate { get; init; }

    /// <summary>How long the DTLS handshake may take.</summary>
    public TimeSpan DtlsHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The SCTP port we announce (<c>a=sctp-port</c>).</summary>
    public int SctpPort { get; init; } = 5000;

    /// <summary>The largest message we accept (<c>a=max-message-size</c>).</summary>
    public long MaxMessageSize { get; init; } = 262144;

    internal static IPEndPoint ParseStunUrl(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.StartsWith("stun:", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Only stun: URLs are supported, not '{url}'.", nameof(url));
        var rest = url[5..];
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0) rest = rest[..query];
        string host;
        var port = 3478;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) throw new ArgumentException($"Bad STUN URL '{url}'.", nameof(url));
            host = rest[1..close];
            if (close + 1 < rest.Length && rest[close + 1] == ':') port = int.Parse(rest[(close + 2)..], CultureInfo.InvariantCulture);
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            host = colon < 0 ? rest : rest[..colon];
            if (colon >= 0) port = int.Parse(rest[(colon + 1)..], CultureInfo.InvariantCulture);
        }
        var address = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).First();
        return new IPEndPoint(address, port);
    }
}

/// <summary>The state of a <see cref="PeerConnection"/>, as RTCPeerConnectionState.</summary>
public enum PeerConnectionState
{
    /// <summary>Nothing started.</summary>
    New,

    /// <summary>ICE or DTLS in progress.</summary>
    Connecting,

    /// <summary>ICE connected and DTLS authenticated.</summary>
    Connected,

    /// <summary>Connectivity lost for a while; may recover.</summary>
    Disconnected,

    /// <summary>ICE or DTLS failed (including a fingerprint mismatch).</summary>
    Failed,

    /// <summary>Closed.</summary>
    Closed,
}

/// <summary>Thrown when a <see cref="PeerConnection"/> fails to connect.</summary>
public sealed class PeerConnectionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PeerConnectionException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public PeerConnectionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public PeerConnectionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
