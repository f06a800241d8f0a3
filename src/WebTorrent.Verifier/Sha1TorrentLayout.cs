using System.Security.Cryptography;

namespace WebTorrent.Verifier;

/// <summary>A v1 (BEP 3) torrent: fixed-size pieces over the concatenation of its files, each with a SHA-1 hash.</summary>
public sealed class Sha1TorrentLayout : TorrentLayout
{
    /// <summary>Length of one SHA-1 piece hash.</summary>
    public const int HashLength = 20;

    private readonly FilePlacement[] _placements;

    /// <summary>Describes a torrent stored in files.</summary>
    /// <param name="pieceLength">Piece length in bytes.</param>
    /// <param name="pieceHashes">The info dictionary's "pieces": 20 bytes per piece, concatenated.</param>
    /// <param name="files">The files in torrent order (a single-file torrent has one).</param>
    /// <exception cref="ArgumentException">The number of hashes does not match the number of pieces, or a path is unsafe.</exception>
    public Sha1TorrentLayout(int pieceLength, ReadOnlyMemory<byte> pieceHashes, IReadOnlyList<TorrentFileEntry> files)
        : this(pieceLength, pieceHashes, CheckFiles(files, out var total), total)
    {
    }

    /// <summary>Describes torrent data held in memory only (storage rechecks are not possible).</summary>
    /// <param name="pieceLength">Piece length in bytes.</param>
    /// <param name="totalLength">Length of the data.</param>
    /// <param name="pieceHashes">20 bytes per piece, concatenated.</param>
    /// <exception cref="ArgumentException">The number of hashes does not match the number of pieces.</exception>
    public Sha1TorrentLayout(int pieceLength, long totalLength, ReadOnlyMemory<byte> pieceHashes)
        : this(pieceLength, pieceHashes, Array.Empty<TorrentFileEntry>(), totalLength)
    {
    }

    private Sha1TorrentLayout(int pieceLength, ReadOnlyMemory<byte> pieceHashes, IReadOnlyList<TorrentFileEntry> files, long totalLength)
        : base(pieceLength, totalLength, files)
    {
        var pieceCount = (totalLength + pieceLength - 1) / pieceLength;
        if (pieceCount > int.MaxValue)
        {
            throw new ArgumentException("Too many pieces.", nameof(pieceLength));
        }

        PieceCount = (int)pieceCount;
        if (pieceHashes.Length != PieceCount * (long)HashLength)
        {
            throw new ArgumentException(
                $"{PieceCount} pieces need {PieceCount * (long)HashLength} bytes of hashes, got {pieceHashes.Length}.", nameof(pieceHashes));
        }

        PieceHashes = pieceHashes;
        var placements = new List<FilePlacement>(files.Count);
        long offset = 0;
        for (var i = 0; i < files.Count; i++)
        {
            if (files[i].Length > 0)
            {
                placements.Add(new FilePlacement(i, files[i].Path, offset, files[i].Length, files[i].IsPadding));
                offset += files[i].Length;
            }
        }

        _placements = [.. placements];
    }

    /// <inheritdoc />
    public override int PieceCount { get; }

    /// <summary>The expected piece hashes, 20 bytes each.</summary>
    public ReadOnlyMemory<byte> PieceHashes { get; }

    internal override IReadOnlyList<FilePlacement> Placements => _placements;

    /// <summary>The expected SHA-1 of one piece.</summary>
    /// <param name="pieceIndex">The piece.</param>
    /// <returns>20 bytes.</returns>
    public ReadOnlySpan<byte> GetExpectedHash(int pieceIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pieceIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(pieceIndex, PieceCount);
        return PieceHashes.Span.Slice(pieceIndex * HashLength, HashLength);
    }

    /// <inheritdoc />
    public override int GetPieceSize(int pieceIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pieceIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(pieceIndex, PieceCount);
        return (int)Math.Min(PieceLength, TotalLength - ((long)pieceIndex * PieceLength));
    }

    /// <inheritdoc />
    public override long GetPieceDataOffset(int pieceIndex) => (long)pieceIndex * PieceLength;

    internal override long GetPieceStorageOffset(int pieceIndex) => (long)pieceIndex * PieceLength;

    internal override bool VerifyPieceCore(int pieceIndex, ReadOnlySpan<byte> data)
    {
        Span<byte> actual = stackalloc byte[HashLength];
        SHA1.HashData(data, actual);
        return actual.SequenceEqual(PieceHashes.Span.Slice(pieceIndex * HashLength, HashLength));
    }

    internal override IncrementalPieceHash CreateIncrementalHash() => new Sha1IncrementalPieceHash(this);
}
