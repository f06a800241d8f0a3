namespace WebTorrent.Protocol;

/// <summary>A block of a piece: piece index, byte offset in the piece, length.</summary>
/// <param name="Index">Piece index.</param>
/// <param name="Begin">Byte offset in the piece.</param>
/// <param name="Length">Block length.</param>
public readonly record struct BlockRequest(int Index, int Begin, int Length);

/// <summary>Why a block request failed.</summary>
public enum BlockRequestFailure
{
    /// <summary>The peer rejected it (BEP 6).</summary>
    Rejected,
    /// <summary>The peer choked us, which without the fast extension drops every request; or it was choking us already.</summary>
    Choked,
    /// <summary>No answer within <see cref="PeerWireOptions.RequestTimeout"/>.</summary>
    Timeout,
    /// <summary>The wire closed.</summary>
    WireClosed,
}

/// <summary>A block request that will not be answered; the wire itself may still be open.</summary>
public sealed class BlockRequestException : IOException
{
    /// <summary>Creates the exception.</summary>
    public BlockRequestException(BlockRequest request, BlockRequestFailure failure, Exception? innerException = null)
        : base($"Block ({request.Index}, {request.Begin}, {request.Length}) failed: {failure}.", innerException)
    {
        Request = request;
        Failure = failure;
    }

    /// <summary>Creates the exception.</summary>
    public BlockRequestException() : base("Block request failed.") { }

    /// <summary>Creates the exception.</summary>
    public BlockRequestException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public BlockRequestException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The failed request.</summary>
    public BlockRequest Request { get; }

    /// <summary>Why it failed.</summary>
    public BlockRequestFailure Failure { get; }
}

/// <summary>Why a <see cref="PeerWire"/> closed.</summary>
public enum PeerWireCloseReason
{
    /// <summary>Still open.</summary>
    None,
    /// <summary>We closed it (<see cref="PeerWire.CloseAsync"/>, <see cref="PeerWire.Abort"/>, dispose).</summary>
    Local,
    /// <summary>The remote ended the connection.</summary>
    Remote,
    /// <summary>The remote broke the protocol (<see cref="ProtocolViolationException"/>).</summary>
    ProtocolViolation,
    /// <summary>Handshake or idle timeout.</summary>
    Timeout,
    /// <summary>The transport failed.</summary>
    TransportError,
}

/// <summary>Arguments of <see cref="PeerWire.Closed"/>.</summary>
/// <param name="Reason">Why the wire closed.</param>
/// <param name="Error">The exception behind it, if any.</param>
public sealed record PeerWireClosedEventArgs(PeerWireCloseReason Reason, Exception? Error);
