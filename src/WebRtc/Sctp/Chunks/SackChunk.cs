using System.Buffers.Binary;

namespace WebRtc.Sctp.Chunks;

/// <summary>A gap ack block: TSNs cumulative+Start .. cumulative+End were received (offsets, inclusive).</summary>
internal readonly record struct GapAckBlock(ushort Start, ushort End);

/// <summary>
/// SACK (RFC 9260 section 3.3.4): cumulative TSN ack, receiver window, gap ack blocks and duplicate TSNs.
/// The parsed form reads blocks lazily from the chunk bytes so nothing is allocated.
/// </summary>
internal readonly ref struct SackChunk
{
    private const int FixedLength = 12;
    private readonly ReadOnlySpan<byte> _value;

    private SackChunk(ReadOnlySpan<byte> value, ushort gaps, ushort duplicates)
    {
        _value = value;
        GapBlockCount = gaps;
        DuplicateCount = duplicates;
    }

    public uint CumulativeTsnAck => BinaryPrimitives.ReadUInt32BigEndian(_value);
    public uint AdvertisedReceiverWindow => BinaryPrimitives.ReadUInt32BigEndian(_value[4..]);
    public int GapBlockCount { get; }
    public int DuplicateCount { get; }

    public GapAckBlock GetGapBlock(int index)
    {
        var at = FixedLength + (index * 4);
        return new GapAckBlock(BinaryPrimitives.ReadUInt16BigEndian(_value[at..]), BinaryPrimitives.ReadUInt16BigEndian(_value[(at + 2)..]));
    }

    public uint GetDuplicate(int index) => BinaryPrimitives.ReadUInt32BigEndian(_value[(FixedLength + (GapBlockCount * 4) + (index * 4))..]);

    /// <summary>Parses the value of a SACK chunk. False if the counts do not fit the length.</summary>
    public static bool TryParse(ReadOnlySpan<byte> value, out SackChunk chunk)
    {
        chunk = default;
        if (value.Length < FixedLength) return false;
        var gaps = BinaryPrimitives.ReadUInt16BigEndian(value[8..]);
        var duplicates = BinaryPrimitives.ReadUInt16BigEndian(value[10..]);
        if (value.Length < FixedLength + (4 * (gaps + duplicates))) return false;
        chunk = new SackChunk(value, gaps, duplicates);
        return true;
    }

    /// <summary>Padded length of a SACK with the given counts.</summary>
    public static int SerializedLength(int gapBlocks, int duplicates) => SctpPacket.ChunkHeaderLength + FixedLength + (4 * (gapBlocks + duplicates));

    /// <summary>Writes a SACK and returns its length.</summary>
    public static int Write(Span<byte> destination, uint cumulativeTsnAck, uint receiverWindow, ReadOnlySpan<GapAckBlock> gaps, ReadOnlySpan<uint> duplicates)
    {
        var padded = SctpPacket.WriteChunkHeader(destination, ChunkType.Sack, 0, FixedLength + (4 * (gaps.Length + duplicates.Length)));
        var v = destination[SctpPacket.ChunkHeaderLength..];
        BinaryPrimitives.WriteUInt32BigEndian(v, cumulativeTsnAck);
        BinaryPrimitives.WriteUInt32BigEndian(v[4..], receiverWindow);
        BinaryPrimitives.WriteUInt16BigEndian(v[8..], (ushort)gaps.Length);
        BinaryPrimitives.WriteUInt16BigEndian(v[10..], (ushort)duplicates.Length);
        var at = FixedLength;
        foreach (var gap in gaps)
        {
            BinaryPrimitives.WriteUInt16BigEndian(v[at..], gap.Start);
            BinaryPrimitives.WriteUInt16BigEndian(v[(at + 2)..], gap.End);
            at += 4;
        }
        foreach (var duplicate in duplicates)
        {
            BinaryPrimitives.WriteUInt32BigEndian(v[at..], duplicate);
            at += 4;
        }
        return padded;
    }
}
