using System.Buffers;
using System.Security.Cryptography;

namespace WebTorrent.Verifier;

/// <summary>Hash state for one piece fed in order; reused from piece to piece without allocating.</summary>
internal abstract class IncrementalPieceHash : IDisposable
{
    public abstract void Begin(int pieceIndex);

    public abstract void Append(ReadOnlySpan<byte> data);

    /// <summary>Finishes the piece and compares it with the expected hash; the state is then ready for <see cref="Begin"/>.</summary>
    public abstract bool Finish();

    public abstract void Dispose();
}

internal sealed class Sha1IncrementalPieceHash(Sha1TorrentLayout layout) : IncrementalPieceHash
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
    private int _pieceIndex;
    private bool _dirty;

    public override void Begin(int pieceIndex)
    {
        if (_dirty)
        {
            Span<byte> discard = stackalloc byte[Sha1TorrentLayout.HashLength];
            _hash.GetHashAndReset(discard);
        }

        _pieceIndex = pieceIndex;
        _dirty = false;
    }

    public override void Append(ReadOnlySpan<byte> data)
    {
        _hash.AppendData(data);
        _dirty = true;
    }

    public override bool Finish()
    {
        Span<byte> actual = stackalloc byte[Sha1TorrentLayout.HashLength];
        _hash.GetHashAndReset(actual);
        _dirty = false;
        return actual.SequenceEqual(layout.GetExpectedHash(_pieceIndex));
    }

    public override void Dispose() => _hash.Dispose();
}

/// <summary>Hashes 16 KiB leaves as soon as each is complete, so finishing a piece only hashes the small tree above them.</summary>
internal sealed class MerkleIncrementalPieceHash : IncrementalPieceHash
{
    private readonly MerkleTorrentLayout _layout;
    private readonly byte[] _partialLeaf = ArrayPool<byte>.Shared.Rent(MerkleTree.BlockSize);
    private readonly byte[] _leaves;
    private int _partialLength;
    private int _leafCount;
    private int _pieceIndex;

    public MerkleIncrementalPieceHash(MerkleTorrentLayout layout)
    {
        _layout = layout;
        _leaves = ArrayPool<byte>.Shared.Rent(layout.PieceLength / MerkleTree.BlockSize * MerkleTree.HashSize);
    }

    public override void Begin(int pieceIndex)
    {
        _pieceIndex = pieceIndex;
        _partialLength = 0;
        _leafCount = 0;
    }

    public override void Append(ReadOnlySpan<byte> data)
    {
        if (_partialLength > 0)
        {
            var take = Math.Min(MerkleTree.BlockSize - _partialLength, data.Length);
            data[..take].CopyTo(_partialLeaf.AsSpan(_partialLength));
            _partialLength += take;
            data = data[take..];
            if (_partialLength < MerkleTree.BlockSize)
            {
                return;
            }

            HashLeaf(_partialLeaf.AsSpan(0, MerkleTree.BlockSize));
            _partialLength = 0;
        }

        while (data.Length >= MerkleTree.BlockSize)
        {
            HashLeaf(data[..MerkleTree.BlockSize]);
            data = data[MerkleTree.BlockSize..];
        }

        data.CopyTo(_partialLeaf);
        _partialLength = data.Length;
    }

    public override bool Finish()
    {
        if (_partialLength > 0)
        {
            HashLeaf(_partialLeaf.AsSpan(0, _partialLength));
            _partialLength = 0;
        }

        var expected = _layout.GetPieceTree(_pieceIndex, out var padded);
        Span<byte> root = stackalloc byte[MerkleTree.HashSize];
        MerkleTree.ReduceToRoot(_leaves.AsSpan(0, padded * MerkleTree.HashSize), _leafCount, padded, root);
        _leafCount = 0;
        return root.SequenceEqual(expected);
    }

    public override void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_partialLeaf);
        ArrayPool<byte>.Shared.Return(_leaves);
    }

    private void HashLeaf(ReadOnlySpan<byte> block)
    {
        SHA256.HashData(block, _leaves.AsSpan(_leafCount * MerkleTree.HashSize, MerkleTree.HashSize));
        _leafCount++;
    }
}
