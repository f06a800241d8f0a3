using System.Buffers.Binary;

namespace WebRtc.Sctp.Chunks;

/// <summary>A stream and the last sequence number skipped on it by a FORWARD-TSN.</summary>
internal readonly record struct ForwardTsnStream(ushort StreamId, ushort StreamSequence);

/// <summary>
/// FORWARD-TSN (RFC 3758 section 3.2): moves the receiver's cumulative TSN past abandoned chunks, and
/// names the last skipped SSN of each ordered stream concerned.
/// </summary>
internal readonly ref struct ForwardTsnChunk
{
    private readonly ReadOnlySpan<byte> _value;

    private ForwardTsnChunk(ReadOnlySpan<byte> value) => _value = value;

    public uint NewCumulativeTsn => BinaryPrimitives.ReadUInt32BigEndian(_value);
    public int StreamCount => (_value.Length - 4) / 4;

    public ForwardTsnStream GetStream(int index)
    {
        var at = 4 + (index * 4);
        return new ForwardTsnStream(BinaryPrimitives.ReadUInt16BigEndian(_value[at..]), BinaryPrimitives.ReadUInt16BigEndian(_value[(at + 2)..]));
    }

    /// <summary>Parses the value of a FORWARD-TSN chunk. False if malformed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> value, out ForwardTsnChunk chunk)
    {
        chunk = default;
        if (value.Length < 4 || (value.Length - 4) % 4 != 0) return false;
        chunk = new ForwardTsnChunk(value);
        return true;
    }

    public static int SerializedLength(int streams) => SctpPacket.ChunkHeaderLength + 4 + (4 * streams);

    /// <summary>Writes a FORWARD-TSN and returns its length.</summary>
    public static int Write(Span<byte> destination, uint newCumulativeTsn, ReadOnlySpan<ForwardTsnStream> streams)
    {
        var padded = SctpPacket.WriteChunkHeader(destination, ChunkType.ForwardTsn, 0, 4 + (4 * streams.Length));
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], newCumulativeTsn);
        var at = 8;
        foreach (var s in streams)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[at..], s.StreamId);
            BinaryPrimitives.WriteUInt16BigEndian(destination[(at + 2)..], s.StreamSequence);
            at += 4;
        }
        return padded;
    }
}
