namespace WebTorrent.Protocol;

/// <summary>Settings of a <see cref="PeerWire"/>; every limit has a safe default.</summary>
public sealed record PeerWireOptions
{
    /// <summary>The defaults.</summary>
    public static PeerWireOptions Default { get; } = new();

    /// <summary>Message size limits (the piece layout comes from the wire, see <see cref="PeerWire.SetPieceLayout"/>).</summary>
    public PeerMessageLimits Limits { get; init; } = PeerMessageLimits.Default;

    /// <summary>Offer the BEP 6 fast extension (default true).</summary>
    public bool EnableFastExtension { get; init; } = true;

    /// <summary>Offer the BEP 10 extension protocol (default true).</summary>
    public bool EnableExtensionProtocol { get; init; } = true;

    /// <summary>Set the DHT reserved bit (default false; set it when a DHT node runs, and send <see cref="PeerWire.SendPortAsync"/>).</summary>
    public bool EnableDht { get; init; }

    /// <summary>How long to wait for the remote handshake (default 30 s).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Close the wire when nothing arrives for this long (default 3 minutes; peers send keep-alives every 2).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Send a keep-alive when nothing was sent for this long (default 60 s).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Fail a block request not answered within this time, and cancel it (default 60 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Most block requests in flight at once (default 128); the remote's <c>reqq</c> lowers it further.</summary>
    public int MaxOutstandingRequests { get; init; } = 128;

    /// <summary>Most requests from the remote waiting for our answer (default 250, advertised as <c>reqq</c>); beyond it requests are rejected (fast) or dropped.</summary>
    public int MaxQueuedIncomingRequests { get; init; } = 250;

    /// <summary>
    /// Most bytes waiting to be sent on this wire (default 4 MiB, far above what a pipeline of 16 KiB blocks needs to
    /// keep a fast link busy: the transport's own buffers hold the bytes in flight). Each waiting message counts its
    /// length plus a small fixed cost for its bookkeeping, so a flood of tiny messages is bounded too. Beyond it, answers
    /// the peer can ask for without limit are refused: block requests are rejected (fast extension) or dropped, and
    /// ut_metadata rejects are dropped. Messages we decide to send (requests, haves, choke) always go out.
    /// </summary>
    public int MaxQueuedSendBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Close the wire when the peer has read nothing for this long while we have bytes waiting to be sent (default 60 s):
    /// a peer that asks and never reads cannot hold our memory and its connection forever.
    /// </summary>
    public TimeSpan SendStallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Most allowed-fast pieces remembered from the remote (default 64).</summary>
    public int MaxAllowedFastPieces { get; init; } = 64;

    /// <summary>Window over which upload and download speeds are averaged (default 5 s).</summary>
    public TimeSpan SpeedWindow { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Our client name and version, sent as <c>v</c> in the extended handshake (null sends none).</summary>
    public string? ClientVersion { get; init; } = "WebTorrent.NET 0.1";

    /// <summary>Our TCP listen port, sent as <c>p</c> in the extended handshake (null sends none).</summary>
    public int? ListenPort { get; init; }

    /// <summary>The clock for timeouts, keep-alives and speeds (a FakeTimeProvider in tests).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Reserved bits our handshake carries.</summary>
    internal ulong Reserved =>
        (EnableExtensionProtocol ? PeerHandshake.ExtensionProtocolBit : 0) |
        (EnableFastExtension ? PeerHandshake.FastExtensionBit : 0) |
        (EnableDht ? PeerHandshake.DhtBit : 0);

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Limits);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxOutstandingRequests);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxQueuedIncomingRequests);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxAllowedFastPieces);
        // One largest block must fit, or no piece could ever be sent.
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueuedSendBytes, Limits.MaxBlockLength + 1024);
        if (HandshakeTimeout <= TimeSpan.Zero || IdleTimeout <= TimeSpan.Zero || KeepAliveInterval <= TimeSpan.Zero || SendStallTimeout <= TimeSpan.Zero ||
            RequestTimeout <= TimeSpan.Zero || SpeedWindow < TimeSpan.FromSeconds(1))
            throw new ArgumentOutOfRangeException(nameof(PeerWireOptions), "Timeouts must be positive and the speed window at least 1 s.");
    }
}
