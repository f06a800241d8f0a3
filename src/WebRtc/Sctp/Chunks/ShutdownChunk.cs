using System.Buffers.Binary;

namespace WebRtc.Sctp.Chunks;

/// <summary>
/// SHUTDOWN (cumulative TSN ack, RFC 9260 section 3.3.8) and the value-less SHUTDOWN-ACK,
/// SHUTDOWN-COMPLETE and COOKIE-ACK chunks.
/// </summary>
internal static class ShutdownChunk
{
    /// <summary>Length of a SHUTDOWN chunk.</summary>
    public const int Length = 8;

    /// <summary>Reads the cumulative TSN ack of a SHUTDOWN. False if too short.</summary>
    public static bool TryParse(ReadOnlySpan<byte> value, out uint cumulativeTsnAck)
    {
        cumulativeTsnAck = 0;
        if (value.Length < 4) return false;
        cumulativeTsnAck = BinaryPrimitives.ReadUInt32BigEndian(value);
        return true;
    }

    /// <summary>Writes a SHUTDOWN and returns its length.</summary>
    public static int Write(Span<byte> destination, uint cumulativeTsnAck)
    {
        var padded = SctpPacket.WriteChunkHeader(destination, ChunkType.Shutdown, 0, 4);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], cumulativeTsnAck);
        return padded;
    }

    /// <summary>Writes a chunk without value (SHUTDOWN-ACK, SHUTDOWN-COMPLETE, COOKIE-ACK) and returns its length.</summary>
    public static int WriteEmpty(Span<byte> destination, ChunkType type, byte flags = 0) =>
        SctpPacket.WriteChunkHeader(destination, type, flags, 0);
}
