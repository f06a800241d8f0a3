namespace WebTorrent.Protocol;

/// <summary>What a remote peer did wrong; carried by <see cref="ProtocolViolationException"/>.</summary>
public enum ProtocolViolation
{
    /// <summary>Unspecified.</summary>
    Unknown = 0,
    /// <summary>The handshake was not a BitTorrent handshake.</summary>
    InvalidHandshake,
    /// <summary>The remote's handshake named another torrent.</summary>
    InfoHashMismatch,
    /// <summary>A length prefix exceeded the message limit.</summary>
    MessageTooLarge,
    /// <summary>A message id this package does not know.</summary>
    UnknownMessage,
    /// <summary>A message whose length does not fit its id.</summary>
    InvalidMessageLength,
    /// <summary>A piece index at or beyond the piece count.</summary>
    InvalidPieceIndex,
    /// <summary>A bitfield of the wrong size or with spare bits set, or sent other than first.</summary>
    InvalidBitfield,
    /// <summary>A request, piece, cancel or reject outside the torrent or over the block limit.</summary>
    InvalidBlock,
    /// <summary>A message that the negotiated features do not allow (fast or extended without the reserved bit).</summary>
    UnexpectedMessage,
    /// <summary>A malformed BEP 10 extended message.</summary>
    InvalidExtendedMessage,
    /// <summary>ut_metadata: bad size, bad piece, or metadata that does not hash to the info-hash.</summary>
    InvalidMetadata,
    /// <summary>More requests queued than allowed.</summary>
    TooManyRequests,
    /// <summary>The connection ended in the middle of a message.</summary>
    Truncated,
}

/// <summary>
/// A remote peer broke the peer wire protocol; the wire that saw it is closed. Note: this is
/// <c>WebTorrent.Protocol.ProtocolViolationException</c>, not <c>System.Net.ProtocolViolationException</c>;
/// it derives from <see cref="IOException"/> so code catching I/O failures of a connection catches it too.
/// </summary>
public sealed class ProtocolViolationException : IOException
{
    /// <summary>Creates an exception with a reason and a message.</summary>
    public ProtocolViolationException(ProtocolViolation reason, string message) : base(message) => Reason = reason;

    /// <summary>Creates an exception with an unspecified reason.</summary>
    public ProtocolViolationException() : base("The peer broke the wire protocol.") { }

    /// <summary>Creates an exception with an unspecified reason.</summary>
    public ProtocolViolationException(string message) : base(message) { }

    /// <summary>Creates an exception with an unspecified reason and an inner exception.</summary>
    public ProtocolViolationException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates an exception with a reason, a message and the exception that caused it.</summary>
    public ProtocolViolationException(ProtocolViolation reason, string message, Exception innerException) : base(message, innerException) => Reason = reason;

    /// <summary>What the peer did wrong.</summary>
    public ProtocolViolation Reason { get; }
}
