using System.Buffers.Binary;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace WebRtc.Sctp;

/// <summary>
/// CRC32c (Castagnoli), the SCTP checksum (RFC 9260 appendix B), using the CPU's CRC32 instructions
/// (SSE 4.2 or ARMv8) with a table fallback.
/// </summary>
internal static class Crc32c
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>Computes the CRC32c of <paramref name="data"/> (initial value all ones, final xor).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(0xFFFFFFFFu, data);

    /// <summary>Continues a CRC32c over <paramref name="data"/> from the raw (un-inverted) register value <paramref name="crc"/>.</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported)
        {
            ulong c = crc;
            while (data.Length >= 8)
            {
                c = Sse42.X64.Crc32(c, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
            crc = (uint)c;
            foreach (var b in data) crc = Sse42.Crc32(crc, b);
            return crc;
        }
        if (Sse42.IsSupported)
        {
            while (data.Length >= 4)
            {
                crc = Sse42.Crc32(crc, BinaryPrimitives.ReadUInt32LittleEndian(data));
                data = data[4..];
            }
            foreach (var b in data) crc = Sse42.Crc32(crc, b);
            return crc;
        }
        if (Crc32.Arm64.IsSupported)
        {
            while (data.Length >= 8)
            {
                crc = Crc32.Arm64.ComputeCrc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
            foreach (var b in data) crc = Crc32.ComputeCrc32C(crc, b);
            return crc;
        }
        if (Crc32.IsSupported)
        {
            while (data.Length >= 4)
            {
                crc = Crc32.ComputeCrc32C(crc, BinaryPrimitives.ReadUInt32LittleEndian(data));
                data = data[4..];
            }
            foreach (var b in data) crc = Crc32.ComputeCrc32C(crc, b);
            return crc;
        }
        return UpdateSoftware(crc, data);
    }

    /// <summary>The table-driven implementation, used when the CPU has no CRC32c instruction (and by tests).</summary>
    internal static uint UpdateSoftware(uint crc, ReadOnlySpan<byte> data)
    {
        var table = Table;
        foreach (var b in data) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] BuildTable()
    {
        const uint polynomial = 0x82F63B78u; // reflected Castagnoli polynomial
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ polynomial : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
