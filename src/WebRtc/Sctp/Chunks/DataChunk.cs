using System.Buffers.Binary;

namespace WebRtc.Sctp.Chunks;

/// <summary>Flags of a DATA chunk (RFC 9260 section 3.3.1, RFC 7053).</summary>
[Flags]
internal enum DataChunkFlags : byte
{
    None = 0,
    /// <summary>E: last fragment of a user message.</summary>
    End = 0x01,
    /// <summary>B: first fragment of a user message.</summary>
    Beginning = 0x02,
    /// <summary>U: unordered delivery.</summary>
    Unordered = 0x04,
    /// <summary>I: the receiver should acknowledge immediately (RFC 7053).</summary>
    Immediate = 0x08,
}

/// <summary>A DATA chunk: one fragment (or all) of a user message on one stream.</summary>
internal readonly ref struct DataChunk
{
    /// <summary>Bytes of DATA chunk header before the user data: chunk header + TSN, stream, SSN, PPID.</summary>
    public const int HeaderLength = 16;

    public DataChunk(uint tsn, ushort streamId, ushort streamSequence, uint payloadProtocol, DataChunkFlags flags, ReadOnlySpan<byte> userData)
    {
        Tsn = tsn;
        StreamId = streamId;
        StreamSequence = streamSequence;
        PayloadProtocol = payloadProtocol;
        Flags = flags;
        UserData = userData;
    }

    public uint Tsn { get; }
    public ushort StreamId { get; }
    public ushort StreamSequence { get; }
    public uint PayloadProtocol { get; }
    public DataChunkFlags Flags { get; }
    public ReadOnlySpan<byte> UserData { get; }

    public bool IsBeginning => (Flags & DataChunkFlags.Beginning) != 0;
    public bool IsEnd => (Flags & DataChunkFlags.End) != 0;
    public bool IsUnordered => (Flags & DataChunkFlags.Unordered) != 0;

    /// <summary>Parses the value of a DATA chunk. False if it is too short or carries no user data.</summary>
    public static bool TryParse(byte flags, ReadOnlySpan<byte> value, out DataChunk chunk)
    {
        const int fixedLength = HeaderLength - SctpPacket.ChunkHeaderLength;
        if (value.Length <= fixedLength)
        {
            chunk = default;
            return false; // RFC 9260: a DATA chunk without user data is a protocol violation
        }
        chunk = new DataChunk(
            BinaryPrimitives.ReadUInt32BigEndian(value),
            BinaryPrimitives.ReadUInt16BigEndian(value[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(value[6..]),
            BinaryPrimitives.ReadUInt32BigEndian(value[8..]),
            (DataChunkFlags)flags,
            value[fixedLength..]);
        return true;
    }

    /// <summary>Writes a DATA chunk and returns its padded length.</summary>
    public static int Write(Span<byte> destination, uint tsn, ushort streamId, ushort streamSequence, uint payloadProtocol, DataChunkFlags flags, ReadOnlySpan<byte> userData)
    {
        var padded = SctpPacket.WriteChunkHeader(destination, ChunkType.Data, (byte)flags, HeaderLength - SctpPacket.ChunkHeaderLength + userData.Length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], tsn);
        BinaryPrimitives.WriteUInt16BigEndian(destination[8..], streamId);
        BinaryPrimitives.WriteUInt16BigEndian(destination[10..], streamSequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], payloadProtocol);
        userData.CopyTo(destination[HeaderLength..]);
        return padded;
    }

    /// <summary>Padded length of a DATA chunk carrying <paramref name="userDataLength"/> bytes.</summary>
    public static int SerializedLength(int userDataLength) => SctpPacket.Pad4(HeaderLength + userDataLength);
}
