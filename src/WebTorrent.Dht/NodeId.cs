using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace WebTorrent.Dht;

/// <summary>
/// A 160-bit DHT key: a node id, an info-hash or a BEP 44 target. Compared big-endian; the distance of two ids
/// is their XOR (Kademlia). A value type of three machine words, so sorting by distance allocates nothing.
/// </summary>
public readonly struct NodeId : IEquatable<NodeId>, IComparable<NodeId>
{
    /// <summary>The length of an id in bytes (20).</summary>
    public const int Size = 20;

    private readonly ulong _high;
    private readonly ulong _middle;
    private readonly uint _low;

    private NodeId(ulong high, ulong middle, uint low)
    {
        _high = high;
        _middle = middle;
        _low = low;
    }

    /// <summary>Reads an id from exactly 20 bytes.</summary>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not 20 bytes long.</exception>
    public NodeId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size) throw new ArgumentException($"A node id is {Size} bytes, not {bytes.Length}.", nameof(bytes));
        _high = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _middle = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _low = BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]);
    }

    /// <summary>A uniformly random id from a cryptographic source.</summary>
    public static NodeId CreateRandom()
    {
        Span<byte> bytes = stackalloc byte[Size];
        RandomNumberGenerator.Fill(bytes);
        return new NodeId(bytes);
    }

    /// <summary>A random id from <paramref name="random"/> (deterministic simulations and tests).</summary>
    public static NodeId CreateRandom(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[Size];
        random.NextBytes(bytes);
        return new NodeId(bytes);
    }

    /// <summary>Reads an id when <paramref name="bytes"/> is exactly 20 bytes long.</summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out NodeId id)
    {
        if (bytes.Length != Size)
        {
            id = default;
            return false;
        }
        id = new NodeId(bytes);
        return true;
    }

    /// <summary>Parses 40 hexadecimal digits.</summary>
    /// <exception cref="FormatException">Not 40 hex digits.</exception>
    public static NodeId Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (hex.Length != Size * 2) throw new FormatException("A node id is 40 hexadecimal digits.");
        return new NodeId(Convert.FromHexString(hex));
    }

    /// <summary>XOR distance to <paramref name="other"/> (itself an id-shaped number).</summary>
    public NodeId Xor(NodeId other) => new(_high ^ other._high, _middle ^ other._middle, _low ^ other._low);

    /// <summary>Number of leading bits shared with <paramref name="other"/> (160 when equal).</summary>
    public int CommonPrefixLength(NodeId other)
    {
        var h = _high ^ other._high;
        if (h != 0) return BitOperations.LeadingZeroCount(h);
        var m = _middle ^ other._middle;
        if (m != 0) return 64 + BitOperations.LeadingZeroCount(m);
        var l = _low ^ other._low;
        return l != 0 ? 128 + BitOperations.LeadingZeroCount(l) : 160;
    }

    /// <summary>Compares the XOR distances of <paramref name="a"/> and <paramref name="b"/> to this id: negative when <paramref name="a"/> is closer.</summary>
    public int CompareDistance(NodeId a, NodeId b)
    {
        var c = (a._high ^ _high).CompareTo(b._high ^ _high);
        if (c != 0) return c;
        c = (a._middle ^ _middle).CompareTo(b._middle ^ _middle);
        return c != 0 ? c : (a._low ^ _low).CompareTo(b._low ^ _low);
    }

    /// <summary>The bit at <paramref name="index"/> (0 = most significant).</summary>
    public bool GetBit(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, 160);
        return index switch
        {
            < 64 => ((_high >> (63 - index)) & 1) != 0,
            < 128 => ((_middle >> (127 - index)) & 1) != 0,
            _ => ((_low >> (159 - index)) & 1) != 0,
        };
    }

    /// <summary>A copy of this id with bit <paramref name="index"/> flipped and every later bit random: an id in another bucket's range.</summary>
    internal NodeId WithRandomSuffix(int index, Random random, bool flip)
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        Span<byte> noise = stackalloc byte[Size];
        random.NextBytes(noise);
        for (var bit = index; bit < 160; bit++)
        {
            var mask = (byte)(0x80 >> (bit & 7));
            var set = bit == index ? ((bytes[bit >> 3] & mask) != 0) ^ flip : (noise[bit >> 3] & mask) != 0;
            bytes[bit >> 3] = set ? (byte)(bytes[bit >> 3] | mask) : (byte)(bytes[bit >> 3] & ~mask);
        }
        return new NodeId(bytes);
    }

    /// <summary>Writes the 20 bytes to <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _middle);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..Size], _low);
    }

    /// <summary>The 20 bytes as a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <inheritdoc/>
    public bool Equals(NodeId other) => _high == other._high && _middle == other._middle && _low == other._low;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is NodeId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_high, _middle, _low);

    /// <summary>Numeric (big-endian) order.</summary>
    public int CompareTo(NodeId other)
    {
        var c = _high.CompareTo(other._high);
        if (c != 0) return c;
        c = _middle.CompareTo(other._middle);
        return c != 0 ? c : _low.CompareTo(other._low);
    }

    /// <summary>40 lowercase hexadecimal digits.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(NodeId left, NodeId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(NodeId left, NodeId right) => !left.Equals(right);

    /// <summary>Numeric order.</summary>
    public static bool operator <(NodeId left, NodeId right) => left.CompareTo(right) < 0;

    /// <summary>Numeric order.</summary>
    public static bool operator >(NodeId left, NodeId right) => left.CompareTo(right) > 0;

    /// <summary>Numeric order.</summary>
    public static bool operator <=(NodeId left, NodeId right) => left.CompareTo(right) <= 0;

    /// <summary>Numeric order.</summary>
    public static bool operator >=(NodeId left, NodeId right) => left.CompareTo(right) >= 0;
}
