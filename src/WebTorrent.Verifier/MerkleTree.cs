using System.Buffers;
using System.Security.Cryptography;

namespace WebTorrent.Verifier;

/// <summary>BEP 52 merkle trees: SHA-256 over 16 KiB leaf blocks, leaves past the end of a file set to zero.</summary>
internal static class MerkleTree
{
    public const int BlockSize = 16 * 1024;
    public const int HashSize = 32;

    // Above this the leaf layer is rented rather than put on the stack.
    private const int StackLeafBytes = 8 * 1024;

    public static int LeafCount(long length) => (int)((length + BlockSize - 1) / BlockSize);

    public static int NextPowerOfTwo(int value) => value <= 1 ? 1 : (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)value);

    /// <summary>Hashes every 16 KiB block of <paramref name="data"/> (the last may be short) into consecutive 32-byte leaves.</summary>
    public static void HashLeaves(ReadOnlySpan<byte> data, Span<byte> leaves)
    {
        var leaf = 0;
        while (!data.IsEmpty)
        {
            var block = data[..Math.Min(BlockSize, data.Length)];
            SHA256.HashData(block, leaves.Slice(leaf * HashSize, HashSize));
            data = data[block.Length..];
            leaf++;
        }
    }

    /// <summary>
    /// Reduces a leaf layer in place to its root. <paramref name="leaves"/> holds <paramref name="leafCount"/> hashes and has
    /// room for <paramref name="paddedCount"/> (a power of two); the extra leaves are set to zero first.
    /// </summary>
    public static void ReduceToRoot(Span<byte> leaves, int leafCount, int paddedCount, Span<byte> root)
    {
        leaves[(leafCount * HashSize)..(paddedCount * HashSize)].Clear();
        Span<byte> parent = stackalloc byte[HashSize];
        for (var count = paddedCount; count > 1; count /= 2)
        {
            for (var i = 0; i < count / 2; i++)
            {
                SHA256.HashData(leaves.Slice(i * 2 * HashSize, 2 * HashSize), parent);
                parent.CopyTo(leaves.Slice(i * HashSize, HashSize));
            }
        }

        leaves[..HashSize].CopyTo(root);
    }

    /// <summary>Root of a data range: leaves of its 16 KiB blocks, padded with zero leaves to <paramref name="paddedCount"/>.</summary>
    public static void ComputeRoot(ReadOnlySpan<byte> data, int paddedCount, Span<byte> root)
    {
        var leafBytes = paddedCount * HashSize;
        byte[]? rented = null;
        var leaves = leafBytes <= StackLeafBytes
            ? stackalloc byte[StackLeafBytes]
            : (rented = ArrayPool<byte>.Shared.Rent(leafBytes));
        try
        {
            HashLeaves(data, leaves);
            ReduceToRoot(leaves, LeafCount(data.Length), paddedCount, root);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Root of a subtree of <paramref name="leafCount"/> (a power of two) zero leaves: the padding of a piece layer.</summary>
    public static void ZeroSubtreeRoot(int leafCount, Span<byte> root)
    {
        Span<byte> pair = stackalloc byte[2 * HashSize];
        pair.Clear();
        root[..HashSize].Clear();
        for (var count = leafCount; count > 1; count /= 2)
        {
            SHA256.HashData(pair, root);
            root[..HashSize].CopyTo(pair);
            root[..HashSize].CopyTo(pair[HashSize..]);
        }
    }
}
