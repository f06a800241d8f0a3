namespace WebRtc.Dtls;

/// <summary>The DTLS role: the client sends the ClientHello (<c>a=setup:active</c>), the server answers it.</summary>
public enum DtlsRole
{
    /// <summary>DTLS client (<c>a=setup:active</c>).</summary>
    Client,

    /// <summary>DTLS server (<c>a=setup:passive</c>).</summary>
    Server,
}

/// <summary>The state of a <see cref="DtlsTransport"/>.</summary>
public enum DtlsState
{
    /// <summary>Not started.</summary>
    New,

    /// <summary>Handshaking.</summary>
    Connecting,

    /// <summary>Handshake complete and the remote certificate matches the expected fingerprint.</summary>
    Connected,

    /// <summary>Closed normally.</summary>
    Closed,

    /// <summary>The handshake failed, timed out, or the remote certificate did not match.</summary>
    Failed,
}

/// <summary>Options of a <see cref="DtlsTransport"/>.</summary>
public sealed record DtlsTransportOptions
{
    /// <summary>Our certificate (a new ECDSA P-256 one when null).</summary>
    public DtlsCertificate? Certificate { get; init; }

    /// <summary>
    /// The fingerprint the remote certificate must have. May be left null and given later with
    /// <see cref="DtlsTransport.SetRemoteFingerprint"/> (the handshake can finish before the remote SDP arrives);
    /// the transport is not Connected until it matches.
    /// </summary>
    public CertificateFingerprint? RemoteFingerprint { get; init; }

    /// <summary>The longest the handshake may take (BouncyCastle's own default is infinite).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The first handshake retransmission timeout (doubles at each retransmission up to <see cref="MaxRetransmitTimeout"/>).</summary>
    public TimeSpan InitialRetransmitTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest wait before a handshake flight is sent again. RFC 6347 doubles the timer up to 60 s; a flight
    /// lost a few times in a row would then stall the handshake for up to a minute. Browsers retransmit sooner.
    /// </summary>
    public TimeSpan MaxRetransmitTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The clock of the handshake timeout.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Application datagrams buffered for the layer above before new ones are dropped.</summary>
    public int ReceiveQueueCapacity { get; init; } = 1024;

    /// <summary>Tests: the cipher suites to offer or accept (default: WebRTC's three ECDHE_ECDSA AEAD suites).</summary>
    internal int[]? CipherSuites { get; init; }

    /// <summary>Tests: false keeps application data in BouncyCastle's record layer, to check ours against it.</summary>
    internal bool OwnRecordLayer { get; init; } = true;
}

/// <summary>Thrown when the DTLS handshake fails, times out, or the peer's certificate does not match its fingerprint.</summary>
public sealed class DtlsException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DtlsException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public DtlsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public DtlsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
