using System.Buffers;

namespace WebTorrent.Verifier;

/// <summary>
/// A v2 torrent (BEP 52): each non-empty file starts at a piece boundary; a piece is verified by the SHA-256 merkle root of
/// its 16 KiB blocks against the file's piece layer, or, for a file of at most one piece, against the file's pieces root.
/// Piece indices run over the files in order, skipping empty files.
/// </summary>
public sealed class MerkleTorrentLayout : TorrentLayout
{
    /// <summary>The leaf block size of BEP 52 merkle trees.</summary>
    public const int BlockSize = MerkleTree.BlockSize;

    /// <summary>Length of one SHA-256 hash.</summary>
    public const int HashLength = MerkleTree.HashSize;

    private readonly FilePlacement[] _placements;
    private readonly MerkleFileEntry[] _entries;

    // Per placement: its first global piece index and the data offset of its first byte.
    private readonly int[] _firstPiece;
    private readonly long[] _dataOffset;

    /// <summary>Describes a v2 torrent.</summary>
    /// <param name="pieceLength">Piece length: a power of two, at least 16 KiB.</param>
    /// <param name="files">The files in torrent order, with their merkle hashes.</param>
    /// <exception cref="ArgumentException">A piece layer or root has the wrong length, or a path is unsafe.</exception>
    public MerkleTorrentLayout(int pieceLength, IReadOnlyList<MerkleFileEntry> files)
        : base(CheckPieceLength(pieceLength), SumLengths(files), CheckFiles(ToEntries(files), out _))
    {
        _entries = [.. files];
        var placements = new List<FilePlacement>(files.Count);
        var firstPiece = new List<int>(files.Count);
        var dataOffsets = new List<long>(files.Count);
        long pieces = 0;
        long dataOffset = 0;
        for (var i = 0; i < _entries.Length; i++)
        {
            var file = _entries[i];
            if (file.Length == 0)
            {
                continue;
            }

            if (file.PiecesRoot.Length != HashLength)
            {
                throw new ArgumentException($"File '{file.Path}' needs a {HashLength}-byte pieces root.", nameof(files));
            }

            var filePieces = (file.Length + pieceLength - 1) / pieceLength;
            if (filePieces > 1 && file.PieceLayer.Length != filePieces * HashLength)
            {
                throw new ArgumentException(
                    $"File '{file.Path}' has {filePieces} pieces and needs {filePieces * HashLength} bytes of piece layer, got {file.PieceLayer.Length}.",
                    nameof(files));
            }

            placements.Add(new FilePlacement(i, file.Path, pieces * pieceLength, file.Length));
            firstPiece.Add((int)pieces);
            dataOffsets.Add(dataOffset);
            pieces += filePieces;
            dataOffset += file.Length;
            if (pieces > int.MaxValue)
            {
                throw new ArgumentException("Too many pieces.", nameof(files));
            }
        }

        PieceCount = (int)pieces;
        _placements = [.. placements];
        _firstPiece = [.. firstPiece];
        _dataOffset = [.. dataOffsets];
    }

    /// <inheritdoc />
    public override int PieceCount { get; }

    /// <summary>The files with their hashes, in torrent order.</summary>
    public IReadOnlyList<MerkleFileEntry> MerkleFiles => _entries;

    internal override IReadOnlyList<FilePlacement> Placements => _placements;

    /// <inheritdoc />
    public override int GetPieceSize(int pieceIndex)
    {
        var placement = Locate(pieceIndex, out var pieceInFile);
        return (int)Math.Min(PieceLength, placement.Length - ((long)pieceInFile * PieceLength));
    }

    /// <inheritdoc />
    public override long GetPieceDataOffset(int pieceIndex)
    {
        var index = LocateIndex(pieceIndex);
        return _dataOffset[index] + ((long)(pieceIndex - _firstPiece[index]) * PieceLength);
    }

    /// <summary>Index in <see cref="TorrentLayout.Files"/> of the file a piece belongs to.</summary>
    /// <param name="pieceIndex">The piece.</param>
    /// <returns>The file index.</returns>
    public int GetFileIndex(int pieceIndex) => Locate(pieceIndex, out _).FileIndex;

    /// <summary>
    /// Checks that a file's piece layer hashes up to its pieces root (BEP 52: the layer is padded to a power of two with
    /// roots of all-zero subtrees). Always true for files of at most one piece.
    /// </summary>
    /// <param name="fileIndex">Index in <see cref="TorrentLayout.Files"/>.</param>
    /// <returns>True when the piece layer is consistent with the root.</returns>
    public bool PieceLayerMatchesRoot(int fileIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fileIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(fileIndex, _entries.Length);
        var file = _entries[fileIndex];
        if (file.Length <= PieceLength)
        {
            return true;
        }

        var pieces = file.PieceLayer.Length / HashLength;
        var padded = MerkleTree.NextPowerOfTwo(pieces);
        var buffer = ArrayPool<byte>.Shared.Rent(padded * HashLength);
        try
        {
            var layer = buffer.AsSpan(0, padded * HashLength);
            file.PieceLayer.Span.CopyTo(layer);
            Span<byte> padding = stackalloc byte[HashLength];
            MerkleTree.ZeroSubtreeRoot(PieceLength / BlockSize, padding);
            for (var i = pieces; i < padded; i++)
            {
                padding.CopyTo(layer.Slice(i * HashLength, HashLength));
            }

            Span<byte> root = stackalloc byte[HashLength];
            MerkleTree.ReduceToRoot(layer, padded, padded, root);
            return root.SequenceEqual(file.PiecesRoot.Span);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal override long GetPieceStorageOffset(int pieceIndex)
    {
        var placement = Locate(pieceIndex, out var pieceInFile);
        return placement.StorageOffset + ((long)pieceInFile * PieceLength);
    }

    /// <summary>The tree a piece is checked with: how many leaves it is padded to, and the expected root.</summary>
    internal ReadOnlySpan<byte> GetPieceTree(int pieceIndex, out int paddedLeaves)
    {
        var index = LocateIndex(pieceIndex);
        var file = _entries[_placements[index].FileIndex];
        if (file.Length <= PieceLength)
        {
            paddedLeaves = MerkleTree.NextPowerOfTwo(MerkleTree.LeafCount(file.Length));
            return file.PiecesRoot.Span;
        }

        paddedLeaves = PieceLength / BlockSize;
        return file.PieceLayer.Span.Slice((pieceIndex - _firstPiece[index]) * HashLength, HashLength);
    }

    internal override bool VerifyPieceCore(int pieceIndex, ReadOnlySpan<byte> data)
    {
        var expected = GetPieceTree(pieceIndex, out var padded);
        Span<byte> root = stackalloc byte[HashLength];
        MerkleTree.ComputeRoot(data, padded, root);
        return root.SequenceEqual(expected);
    }

    internal override IncrementalPieceHash CreateIncrementalHash() => new MerkleIncrementalPieceHash(this);

    private FilePlacement Locate(int pieceIndex, out int pieceInFile)
    {
        var index = LocateIndex(pieceIndex);
        pieceInFile = pieceIndex - _firstPiece[index];
        return _placements[index];
    }

    private int LocateIndex(int pieceIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pieceIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(pieceIndex, PieceCount);
        var found = Array.BinarySearch(_firstPiece, pieceIndex);
        return found >= 0 ? found : ~found - 1;
    }

    private static int CheckPieceLength(int pieceLength)
    {
        if (pieceLength < BlockSize || !int.IsPow2(pieceLength))
        {
            throw new ArgumentOutOfRangeException(nameof(pieceLength), pieceLength, "A v2 piece length is a power of two of at least 16 KiB.");
        }

        return pieceLength;
    }

    private static long SumLengths(IReadOnlyList<MerkleFileEntry> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        long total = 0;
        foreach (var file in files)
        {
            ArgumentNullException.ThrowIfNull(file, nameof(files));
            ArgumentOutOfRangeException.ThrowIfNegative(file.Length, nameof(files));
            total = checked(total + file.Length);
        }

        return total;
    }

    private static TorrentFileEntry[] ToEntries(IReadOnlyList<MerkleFileEntry> files) =>
        [.. files.Select(f => new TorrentFileEntry(f.Path, f.Length))];
}
