namespace WebTorrent.Verifier;

/// <summary>
/// What a verifier needs to know about a torrent: its pieces, their expected hashes, and the files they are stored in.
/// Use <see cref="Sha1TorrentLayout"/> for v1 torrents (BEP 3) and <see cref="MerkleTorrentLayout"/> for v2 (BEP 52).
/// </summary>
public abstract class TorrentLayout
{
    /// <summary>Largest piece length accepted (1 GiB): a piece must fit in one buffer.</summary>
    public const int MaxPieceLength = 1 << 30;

    private protected TorrentLayout(int pieceLength, long totalLength, IReadOnlyList<TorrentFileEntry> files)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pieceLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pieceLength, MaxPieceLength);
        ArgumentOutOfRangeException.ThrowIfNegative(totalLength);
        PieceLength = pieceLength;
        TotalLength = totalLength;
        Files = files;
    }

    /// <summary>Nominal piece length in bytes.</summary>
    public int PieceLength { get; }

    /// <summary>Sum of the file lengths.</summary>
    public long TotalLength { get; }

    /// <summary>Number of pieces.</summary>
    public abstract int PieceCount { get; }

    /// <summary>The files, in torrent order. Empty when the layout describes data in memory only.</summary>
    public IReadOnlyList<TorrentFileEntry> Files { get; }

    /// <summary>Size in bytes of one piece (the last piece, and in v2 the last piece of each file, may be short).</summary>
    /// <param name="pieceIndex">The piece.</param>
    /// <returns>The piece's size.</returns>
    public abstract int GetPieceSize(int pieceIndex);

    /// <summary>Offset of a piece's first byte in the concatenation of all files (no padding between them).</summary>
    /// <param name="pieceIndex">The piece.</param>
    /// <returns>The offset.</returns>
    public abstract long GetPieceDataOffset(int pieceIndex);

    /// <summary>Checks one whole piece against its expected hash. Thread-safe; allocates nothing.</summary>
    /// <param name="pieceIndex">The piece.</param>
    /// <param name="data">The piece's bytes; a wrong length fails.</param>
    /// <returns>True when the data matches the expected hash.</returns>
    public bool VerifyPiece(int pieceIndex, ReadOnlySpan<byte> data)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pieceIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(pieceIndex, PieceCount);
        return data.Length == GetPieceSize(pieceIndex) && VerifyPieceCore(pieceIndex, data);
    }

    /// <summary>Where a piece lies in "storage space": files placed one after another, in v2 each starting at a piece boundary.</summary>
    internal abstract long GetPieceStorageOffset(int pieceIndex);

    /// <summary>The non-empty files placed in storage space, in order.</summary>
    internal abstract IReadOnlyList<FilePlacement> Placements { get; }

    internal abstract bool VerifyPieceCore(int pieceIndex, ReadOnlySpan<byte> data);

    internal abstract IncrementalPieceHash CreateIncrementalHash();

    private protected static IReadOnlyList<TorrentFileEntry> CheckFiles(IReadOnlyList<TorrentFileEntry> files, out long totalLength)
    {
        ArgumentNullException.ThrowIfNull(files);
        var copy = new TorrentFileEntry[files.Count];
        totalLength = 0;
        for (var i = 0; i < copy.Length; i++)
        {
            var file = files[i] ?? throw new ArgumentException($"File {i} is null.", nameof(files));
            StoragePaths.Validate(file.Path, nameof(files));
            ArgumentOutOfRangeException.ThrowIfNegative(file.Length, nameof(files));
            totalLength = checked(totalLength + file.Length);
            copy[i] = file;
        }

        return copy;
    }
}

/// <summary>A non-empty file's place in storage space.</summary>
internal readonly record struct FilePlacement(int FileIndex, string Path, long StorageOffset, long Length, bool IsPadding = false)
{
    public long StorageEnd => StorageOffset + Length;
}
