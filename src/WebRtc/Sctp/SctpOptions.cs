namespace WebRtc.Sctp;

/// <summary>Settings of an <see cref="SctpAssociation"/>. The defaults suit WebRTC data channels.</summary>
public sealed class SctpOptions
{
    /// <summary>Local SCTP port (<c>a=sctp-port</c>); WebRTC uses 5000.</summary>
    public ushort LocalPort { get; init; } = 5000;

    /// <summary>Remote SCTP port (the peer's <c>a=sctp-port</c>); WebRTC uses 5000.</summary>
    public ushort RemotePort { get; init; } = 5000;

    /// <summary>Receive buffer, advertised as a_rwnd: bytes held for reassembly or not yet read by the application. Default 2 MiB.</summary>
    public int ReceiveWindow { get; init; } = 2 * 1024 * 1024;

    /// <summary>Bytes queued or in flight (not yet acknowledged) at which <see cref="SctpAssociation.SendAsync"/> waits. Default 2 MiB.</summary>
    public int MaxSendBuffer { get; init; } = 2 * 1024 * 1024;

    /// <summary>Largest message accepted from the peer (our <c>a=max-message-size</c>). Default 256 KiB; must not exceed <see cref="ReceiveWindow"/>.</summary>
    public int MaxReceiveMessageSize { get; init; } = 256 * 1024;

    /// <summary>
    /// Most bytes of ordered-message fragments waiting for reassembly across all streams, each fragment counted with a
    /// small fixed overhead (128 bytes) so that tiny fragments are bounded too. Null (the default) uses twice
    /// <see cref="ReceiveWindow"/>, 4 MiB by default. Beyond it, chunks that do not continue the stream in order are
    /// dropped unacknowledged (the sender retransmits them later); the next chunk in TSN order may use up to twice the
    /// bound, so the message at the head can complete. Must hold <see cref="MaxReceiveMessageSize"/> plus an eighth.
    /// </summary>
    public int? MaxReassemblyBytes { get; init; }

    /// <summary>The reassembly bound in force.</summary>
    internal long ReassemblyLimit => MaxReassemblyBytes ?? 2L * ReceiveWindow;

    /// <summary>Largest SCTP packet sent; null uses the transport's <c>MaxDatagramSize</c>.</summary>
    public int? MaxPacketSize { get; init; }

    /// <summary>Outbound and inbound stream counts offered in INIT. Default 65535, as browsers do.</summary>
    public ushort Streams { get; init; } = ushort.MaxValue;

    /// <summary>Initial retransmission timeout (RFC 9260 RTO.Initial). Default 1 s.</summary>
    public TimeSpan RtoInitial { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Lower bound of the retransmission timeout. Default 200 ms (RFC 9260 says 1 s; WebRTC stacks go lower).</summary>
    public TimeSpan RtoMin { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of the retransmission timeout after backoff. Default 10 s.</summary>
    public TimeSpan RtoMax { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>INIT/COOKIE-ECHO retransmissions before <see cref="SctpAssociation.ConnectAsync"/> fails. Default 8.</summary>
    public int MaxInitRetransmits { get; init; } = 8;

    /// <summary>Consecutive timeouts (retransmission or heartbeat) before the association is declared dead. Default 10.</summary>
    public int MaxAssociationRetransmits { get; init; } = 10;

    /// <summary>Longest a SACK is delayed (RFC 9260 allows up to 500 ms). Default 20 ms.</summary>
    public TimeSpan DelayedAckTimeout { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Interval of HEARTBEAT probes while the association is idle; <see cref="Timeout.InfiniteTimeSpan"/> disables them. Default 30 s.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a state cookie stays valid. Default 60 s.</summary>
    public TimeSpan CookieLifetime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Offer zero checksums (RFC 9653) with error detection method 1, "DTLS": say so in INIT and INIT-ACK, accept
    /// packets whose checksum is zero, and, once the peer offered the same method, send zero instead of the CRC32c
    /// (packets with INIT or COOKIE-ECHO, and answers outside the association, always carry the CRC32c). Only set it
    /// when the transport below is DTLS, which already detects corruption. Default false; <see cref="PeerConnection"/>
    /// sets it.
    /// </summary>
    public bool ZeroChecksum { get; init; }

    /// <summary>Largest datagram the receive loop accepts. Default 65535.</summary>
    public int MaxReceivePacketSize { get; init; } = 65535;

    internal void Validate()
    {
        if (ReceiveWindow < 1500) throw new ArgumentOutOfRangeException(nameof(ReceiveWindow), "The receive window must hold at least one packet.");
        if (MaxReceiveMessageSize < 1 || MaxReceiveMessageSize > ReceiveWindow)
            throw new ArgumentOutOfRangeException(nameof(MaxReceiveMessageSize), "The largest message must be positive and fit the receive window.");
        // Messages cut at the path MTU cost about an eighth more than their bytes in the reassembly budget.
        if (ReassemblyLimit < MaxReceiveMessageSize + (MaxReceiveMessageSize / 8L))
            throw new ArgumentOutOfRangeException(nameof(MaxReassemblyBytes), "The reassembly bound must hold the largest message plus an eighth.");
        if (MaxSendBuffer < 1) throw new ArgumentOutOfRangeException(nameof(MaxSendBuffer));
        if (MaxPacketSize is < 256 or > 65535) throw new ArgumentOutOfRangeException(nameof(MaxPacketSize));
        if (Streams == 0) throw new ArgumentOutOfRangeException(nameof(Streams));
        if (RtoMin <= TimeSpan.Zero || RtoMax < RtoMin || RtoInitial < RtoMin || RtoInitial > RtoMax)
            throw new ArgumentOutOfRangeException(nameof(RtoInitial), "Need 0 < RtoMin <= RtoInitial <= RtoMax.");
        if (MaxInitRetransmits < 0 || MaxAssociationRetransmits < 1) throw new ArgumentOutOfRangeException(nameof(MaxAssociationRetransmits));
        if (DelayedAckTimeout < TimeSpan.Zero || DelayedAckTimeout > TimeSpan.FromMilliseconds(500)) throw new ArgumentOutOfRangeException(nameof(DelayedAckTimeout));
        if (MaxReceivePacketSize < 1500) throw new ArgumentOutOfRangeException(nameof(MaxReceivePacketSize));
    }
}

/// <summary>The association states of RFC 9260 section 4.</summary>
public enum SctpAssociationState
{
    /// <summary>Not connected yet, or closed.</summary>
    Closed,
    /// <summary>INIT sent, waiting for INIT-ACK.</summary>
    CookieWait,
    /// <summary>COOKIE-ECHO sent, waiting for COOKIE-ACK.</summary>
    CookieEchoed,
    /// <summary>Data flows both ways.</summary>
    Established,
    /// <summary>Closing: waiting for outstanding data to be acknowledged before SHUTDOWN.</summary>
    ShutdownPending,
    /// <summary>SHUTDOWN sent.</summary>
    ShutdownSent,
    /// <summary>SHUTDOWN received: sending what is left, then SHUTDOWN-ACK.</summary>
    ShutdownReceived,
    /// <summary>SHUTDOWN-ACK sent.</summary>
    ShutdownAckSent,
}

/// <summary>How one message is sent.</summary>
/// <param name="Unordered">Deliver as soon as it is complete rather than in stream order.</param>
/// <param name="MaxRetransmits">Partial reliability (RFC 3758): give up after this many retransmissions; null retransmits forever.</param>
/// <param name="Lifetime">Partial reliability: give up once the message is this old; null keeps it forever.</param>
public readonly record struct SctpSendOptions(bool Unordered = false, int? MaxRetransmits = null, TimeSpan? Lifetime = null);

/// <summary>An SCTP failure: the association was aborted, timed out or met a protocol violation.</summary>
public sealed class SctpException : IOException
{
    /// <summary>Creates an exception with a message.</summary>
    public SctpException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public SctpException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates an exception without a message.</summary>
    public SctpException() { }
}
