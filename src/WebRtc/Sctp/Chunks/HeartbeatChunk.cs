using System.Buffers.Binary;

namespace WebRtc.Sctp.Chunks;

/// <summary>
/// HEARTBEAT and HEARTBEAT-ACK (RFC 9260 sections 3.3.5 and 3.3.6): one Heartbeat Info parameter
/// (type 1) that the acknowledgement echoes unchanged.
/// </summary>
internal static class HeartbeatChunk
{
    public const ushort HeartbeatInfoParameter = 1;

    /// <summary>Extracts the heartbeat info (the body of the Heartbeat Info parameter). False if malformed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> value, out ReadOnlySpan<byte> info)
    {
        info = default;
        if (value.Length < 4) return false;
        var type = BinaryPrimitives.ReadUInt16BigEndian(value);
        var length = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
        if (type != HeartbeatInfoParameter || length < 4 || length > value.Length) return false;
        info = value[4..length];
        return true;
    }

    /// <summary>Padded length of a HEARTBEAT (or ACK) carrying <paramref name="infoLength"/> bytes.</summary>
    public static int SerializedLength(int infoLength) => SctpPacket.Pad4(SctpPacket.ChunkHeaderLength + 4 + infoLength);

    /// <summary>Writes a HEARTBEAT (<paramref name="ack"/> false) or HEARTBEAT-ACK and returns its padded length.</summary>
    public static int Write(Span<byte> destination, bool ack, ReadOnlySpan<byte> info)
    {
        var padded = SctpPacket.WriteChunkHeader(destination, ack ? ChunkType.HeartbeatAck : ChunkType.Heartbeat, 0, 4 + info.Length);
        InitChunk.WriteParameter(destination[SctpPacket.ChunkHeaderLength..], HeartbeatInfoParameter, info);
        return padded;
    }
}
