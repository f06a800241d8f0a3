namespace WebTorrent.Protocol;

/// <summary>Limits the parser enforces on every message; each has a safe default.</summary>
public sealed record PeerMessageLimits
{
    /// <summary>The default limits: blocks up to 128 KiB, other messages up to 1 MiB, no piece layout.</summary>
    public static PeerMessageLimits Default { get; } = new();

    /// <summary>
    /// Largest block in a request or piece message (default 128 KiB; 16 KiB is what clients send, 128 KiB is what
    /// WebTorrent honours). Larger requests or pieces are a <see cref="ProtocolViolation.InvalidBlock"/>.
    /// </summary>
    public int MaxBlockLength { get; init; } = 128 * 1024;

    /// <summary>Largest bitfield or extended message, or any message but piece (default 1 MiB).</summary>
    public int MaxMessageLength { get; init; } = 1024 * 1024;

    /// <summary>The torrent's layout, when known: then piece indexes, bitfield sizes and blocks are checked against it.</summary>
    public PieceLayout? Layout { get; init; }

    /// <summary>Largest length prefix accepted, whatever the id.</summary>
    internal int MaxLengthPrefix => Math.Max(MaxMessageLength, MaxBlockLength + 9);
}
