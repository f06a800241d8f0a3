using System.Security.Cryptography;

namespace WebTorrent.Metainfo;

/// <summary>BEP 52 SHA-256 merkle trees over 16 KiB blocks, with zero leaves padding each tree to a power of two.</summary>
internal static class MerkleTree
{
    public const int BlockSize = 16384;
    public const int HashSize = 32;

    /// <summary>Hash of a subtree whose 2^height leaves are all zero.</summary>
    public static byte[] PadHash(int height)
    {
        var hash = new byte[HashSize];
        Span<byte> pair = stackalloc byte[HashSize * 2];
        for (var i = 0; i < height; i++)
        {
            hash.CopyTo(pair);
            hash.CopyTo(pair[HashSize..]);
            SHA256.HashData(pair, hash);
        }
        return hash;
    }

    /// <summary>The root over <paramref name="leaves"/> (concatenated hashes) padded to <paramref name="leafCount"/> with <paramref name="pad"/>.</summary>
    public static byte[] Root(ReadOnlySpan<byte> leaves, int leafCount, ReadOnlySpan<byte> pad)
    {
        var count = leaves.Length / HashSize;
        if (leafCount < count || !int.IsPow2(leafCount)) throw new ArgumentOutOfRangeException(nameof(leafCount));
        if (leafCount == 1) return count == 1 ? leaves.ToArray() : pad.ToArray();
        var layer = new byte[count * HashSize];
        leaves.CopyTo(layer);
        var padHash = pad.ToArray();
        Span<byte> pair = stackalloc byte[HashSize * 2];
        var width = leafCount;
        while (width > 1)
        {
            var nextCount = (count + 1) / 2;
            var next = new byte[nextCount * HashSize];
            for (var i = 0; i < nextCount; i++)
            {
                layer.AsSpan(2 * i * HashSize, HashSize).CopyTo(pair);
                if ((2 * i) + 1 < count) layer.AsSpan(((2 * i) + 1) * HashSize, HashSize).CopyTo(pair[HashSize..]);
                else padHash.CopyTo(pair[HashSize..]);
                SHA256.HashData(pair, next.AsSpan(i * HashSize));
            }
            padHash.CopyTo(pair);
            padHash.CopyTo(pair[HashSize..]);
            padHash = SHA256.HashData(pair);
            layer = next;
            count = nextCount;
            width /= 2;
        }
        return layer;
    }

    /// <summary>The pieces root of a file from its piece layer (one 32-byte hash per piece).</summary>
    public static byte[] RootFromPieceLayer(ReadOnlySpan<byte> layer, int pieceLength)
    {
        var pieces = layer.Length / HashSize;
        var height = int.Log2(pieceLength / BlockSize);
        return Root(layer, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)pieces), PadHash(height));
    }

    /// <summary>The root over block hashes of one piece (or of a file no longer than one piece).</summary>
    public static byte[] PieceRoot(ReadOnlySpan<byte> blockHashes, int leafCount) => Root(blockHashes, leafCount, new byte[HashSize]);
}
