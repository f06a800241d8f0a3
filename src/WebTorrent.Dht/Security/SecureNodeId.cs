using System.Net;
using System.Net.Sockets;
using System.Numerics;

namespace WebTorrent.Dht.Security;

/// <summary>
/// BEP 42 node ids bound to the node's external IP address: the first 21 bits come from CRC32-C of the masked
/// address, so a node cannot choose where in the id space it sits. Generate ours; verify others'.
/// </summary>
public static class SecureNodeId
{
    private static readonly byte[] V4Mask = [0x03, 0x0f, 0x3f, 0xff];
    private static readonly byte[] V6Mask = [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff];

    /// <summary>Creates an id valid for <paramref name="externalAddress"/>; <paramref name="random"/> defaults to a shared source.</summary>
    public static NodeId Create(IPAddress externalAddress, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(externalAddress);
        random ??= Random.Shared;
        Span<byte> id = stackalloc byte[NodeId.Size];
        random.NextBytes(id);
        var r = (byte)(random.Next() & 0x7);
        var crc = Crc(externalAddress, r);
        id[0] = (byte)(crc >> 24);
        id[1] = (byte)(crc >> 16);
        id[2] = (byte)(((crc >> 8) & 0xf8) | (uint)(random.Next() & 0x7));
        id[19] = r;
        return new NodeId(id);
    }

    /// <summary>
    /// Creates the id BEP 42 defines for <paramref name="externalAddress"/> from given random parts (reproducible ids,
    /// test vectors): <paramref name="randomByte"/> is the last byte (its low 3 bits salt the CRC);
    /// <paramref name="randomBytes"/> (17 bytes) gives the low 3 bits of byte 2 and bytes 3 to 18.
    /// </summary>
    public static NodeId Create(IPAddress externalAddress, byte randomByte, ReadOnlySpan<byte> randomBytes)
    {
        ArgumentNullException.ThrowIfNull(externalAddress);
        if (randomBytes.Length != 17) throw new ArgumentException("17 random bytes expected.", nameof(randomBytes));
        var middle16 = randomBytes;
        Span<byte> id = stackalloc byte[NodeId.Size];
        var crc = Crc(externalAddress, (byte)(randomByte & 0x7));
        id[0] = (byte)(crc >> 24);
        id[1] = (byte)(crc >> 16);
        id[2] = (byte)(((crc >> 8) & 0xf8) | (uint)(middle16[0] & 0x7));
        middle16[1..].CopyTo(id[3..]);
        id[19] = randomByte;
        return new NodeId(id);
    }

    /// <summary>
    /// True when <paramref name="id"/> is valid for <paramref name="address"/>, or the address is local/private
    /// (BEP 42 exempts those: they cannot be verified).
    /// </summary>
    public static bool IsValid(NodeId id, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (IsExempt(address)) return true;
        Span<byte> bytes = stackalloc byte[NodeId.Size];
        id.WriteTo(bytes);
        var crc = Crc(address, (byte)(bytes[19] & 0x7));
        return bytes[0] == (byte)(crc >> 24) && bytes[1] == (byte)(crc >> 16) && (bytes[2] & 0xf8) == (byte)((crc >> 8) & 0xf8);
    }

    /// <summary>Loopback, private, link-local and unique-local addresses, which BEP 42 does not check.</summary>
    public static bool IsExempt(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address)) return true;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254);
        }
        return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal;
    }

    private static uint Crc(IPAddress address, byte r)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> ip = stackalloc byte[16];
        address.TryWriteBytes(ip, out var length);
        var mask = length == 4 ? V4Mask : V6Mask;
        ip = ip[..mask.Length];
        for (var i = 0; i < ip.Length; i++) ip[i] &= mask[i];
        ip[0] |= (byte)(r << 5);
        var crc = uint.MaxValue;
        foreach (var b in ip) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}
