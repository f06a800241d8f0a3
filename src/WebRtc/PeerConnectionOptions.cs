using WebRtc.Dtls;
using WebRtc.Ice;

namespace WebRtc;

/// <summary>Options of a <see cref="PeerConnection"/>, as RTCConfiguration.</summary>
public sealed record PeerConnectionOptions
{
    /// <summary>
    /// STUN and TURN servers (RTCConfiguration.iceServers): <c>stun:host:port</c> URLs add server-reflexive candidates,
    /// <c>turn:host:port?transport=udp</c> URLs with a username and credential add relay candidates. Host names are
    /// resolved when the connection is created. A plain string is a server with that one URL.
    /// </summary>
    public IReadOnlyList<IceServer> IceServers { get; init; } = [];

    /// <summary>Which candidates are used (RTCConfiguration.iceTransportPolicy); <see cref="IceTransportPolicy.Relay"/> sends everything through TURN.</summary>
    public IceTransportPolicy IceTransportPolicy { get; init; } = IceTransportPolicy.All;

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
