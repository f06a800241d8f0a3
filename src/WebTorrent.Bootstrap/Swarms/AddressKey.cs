using System.Buffers.Binary;
using System.Net;

namespace WebTorrent.Bootstrap.Swarms;

/// <summary>
/// The unit of per-address limits: an IPv4 address, or an IPv6 /64 (one subscriber usually holds a whole /64, so counting
/// single IPv6 addresses would let one host pose as billions). Held by value; no allocation.
/// </summary>
internal readonly record struct AddressKey(UInt128 Value)
{
    /// <summary>From an address's raw bytes: 4 (IPv4) or 16 (IPv6; IPv4-mapped ones count as their IPv4 address).</summary>
    public static AddressKey From(ReadOnlySpan<byte> bytes)
    {
        Span<byte> copy = stackalloc byte[16];
        bytes.CopyTo(copy);
        var length = WebTorrentTracker.NormalizeAddressBytes(copy, bytes.Length);
        return length == 4
            ? new(((UInt128)0xFFFF << 32) | BinaryPrimitives.ReadUInt32BigEndian(copy))
            : new((UInt128)BinaryPrimitives.ReadUInt64BigEndian(copy) << 64);
    }

    public static AddressKey From(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var length);
        return From(bytes[..length]);
    }
}
