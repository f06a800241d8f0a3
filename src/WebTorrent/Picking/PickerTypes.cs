namespace WebTorrent.Picking;

/// <summary>How much a file (or the pieces it covers) is wanted.</summary>
public enum PiecePriority
{
    /// <summary>Not downloaded (deselected).</summary>
    Skip = 0,

    /// <summary>Downloaded after everything else.</summary>
    Low = 1,

    /// <summary>The default.</summary>
    Normal = 2,

    /// <summary>Downloaded before Normal and Low pieces.</summary>
    High = 3,
}

/// <summary>One block to request: <c>request(index, begin, length)</c> on the wire.</summary>
/// <param name="PieceIndex">The piece.</param>
/// <param name="Offset">The byte offset of the block within the piece.</param>
/// <param name="Length">The block length.</param>
public readonly record struct BlockRequest(int PieceIndex, int Offset, int Length);

/// <summary>A request that went unanswered for longer than <see cref="PiecePickerOptions.RequestTimeout"/>.</summary>
/// <param name="Peer">The peer that was asked.</param>
/// <param name="Block">The block.</param>
public readonly record struct TimedOutRequest<TPeer>(TPeer Peer, BlockRequest Block);

/// <summary>What a received block meant to the picker.</summary>
public enum BlockReceipt
{
    /// <summary>Not a block we are downloading (never requested from anyone, bad offset, or a piece we have): drop it.</summary>
    Unexpected,

    /// <summary>Already received from another peer (end game): drop it.</summary>
    Duplicate,

    /// <summary>New data: store it.</summary>
    Accepted,

    /// <summary>New data, and the piece now has every block: store it and verify the piece.</summary>
    PieceComplete,
}
