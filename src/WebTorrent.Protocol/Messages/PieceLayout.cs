namespace WebTorrent.Protocol;

/// <summary>
/// The shape of a torrent as the wire needs it to validate have, bitfield, request and piece messages:
/// piece count, nominal piece length and total length (the last piece may be shorter).
/// </summary>
public readonly record struct PieceLayout
{
    /// <summary>Creates a layout.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is not positive, or the lengths disagree.</exception>
    public PieceLayout(long totalLength, int pieceLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pieceLength);
        var count = (totalLength + pieceLength - 1) / pieceLength;
        if (count > int.MaxValue / 2) throw new ArgumentOutOfRangeException(nameof(totalLength), "Too many pieces.");
        TotalLength = totalLength;
        PieceLength = pieceLength;
        PieceCount = (int)count;
    }

    /// <summary>Number of pieces.</summary>
    public int PieceCount { get; }

    /// <summary>Length of every piece but the last.</summary>
    public int PieceLength { get; }

    /// <summary>Total length of the torrent's content.</summary>
    public long TotalLength { get; }

    /// <summary>Length of the bitfield message payload in bytes.</summary>
    public int BitfieldLength => (PieceCount + 7) / 8;

    /// <summary>Length of piece <paramref name="index"/> (the last one may be shorter).</summary>
    public int GetPieceLength(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, PieceCount);
        return index == PieceCount - 1 ? (int)(TotalLength - ((long)PieceLength * (PieceCount - 1))) : PieceLength;
    }

    /// <summary>Whether the block (index, begin, length) lies inside the torrent.</summary>
    public bool ContainsBlock(int index, int begin, int length) =>
        PieceCount > 0 && (uint)index < (uint)PieceCount && begin >= 0 && length > 0 &&
        (long)begin + length <= GetPieceLength(index);
}
