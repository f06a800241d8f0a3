using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace WebTorrent.Bootstrap.Swarms;

/// <summary>A 20-byte BitTorrent identifier (info-hash, peer id, offer id) held by value, cheap to hash and compare.</summary>
[StructLayout(LayoutKind.Auto)]
internal readonly struct Id20 : IEquatable<Id20>
{
    public const int Length = 20;
    private readonly ulong _a;
    private readonly ulong _b;
    private readonly uint _c;

    public Id20(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length) throw new ArgumentException("An id is exactly 20 bytes.", nameof(bytes));
        _a = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt32LittleEndian(bytes[16..]);
    }

    public static Id20 Random()
    {
        Span<byte> bytes = stackalloc byte[Length];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return new Id20(bytes);
    }

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, _a);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], _c);
    }

    /// <summary>Writes the id as 20 latin-1 characters, the WebSocket tracker's wire form.</summary>
    public void CopyToLatin1(Span<char> destination)
    {
        Span<byte> bytes = stackalloc byte[Length];
        CopyTo(bytes);
        for (var i = 0; i < Length; i++) destination[i] = (char)bytes[i];
    }

    public string ToHex()
    {
        Span<byte> bytes = stackalloc byte[Length];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    public static bool TryParseHex(ReadOnlySpan<char> hex, out Id20 id)
    {
        Span<byte> bytes = stackalloc byte[Length];
        if (hex.Length == 2 * Length && Convert.FromHexString(hex, bytes, out _, out var written) == System.Buffers.OperationStatus.Done && written == Length)
        {
            id = new Id20(bytes);
            return true;
        }
        id = default;
        return false;
    }

    /// <summary>
    /// Orders <paramref name="left"/> and <paramref name="right"/> by XOR distance to <paramref name="target"/> (Kademlia's
    /// metric, the bytes read as one big-endian number): negative when <paramref name="left"/> is closer.
    /// </summary>
    public static int CompareDistance(Id20 left, Id20 right, Id20 target)
    {
        // The fields hold the bytes little-endian: reversing each XOR gives numbers that order like the byte strings.
        var c = BinaryPrimitives.ReverseEndianness(left._a ^ target._a).CompareTo(BinaryPrimitives.ReverseEndianness(right._a ^ target._a));
        if (c != 0) return c;
        c = BinaryPrimitives.ReverseEndianness(left._b ^ target._b).CompareTo(BinaryPrimitives.ReverseEndianness(right._b ^ target._b));
        return c != 0 ? c : BinaryPrimitives.ReverseEndianness(left._c ^ target._c).CompareTo(BinaryPrimitives.ReverseEndianness(right._c ^ target._c));
    }

    public bool Equals(Id20 other) => _a == other._a && _b == other._b && _c == other._c;

    public override bool Equals(object? obj) => obj is Id20 other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_a, _b, _c);

    public static bool operator ==(Id20 left, Id20 right) => left.Equals(right);

    public static bool operator !=(Id20 left, Id20 right) => !left.Equals(right);

    public override string ToString() => ToHex();
}
