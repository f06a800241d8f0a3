using System.Buffers.Binary;

namespace WebRtc.Sctp.Chunks;

/// <summary>
/// The SCTP common header (RFC 9260 section 3.1) and the chunk list after it. Parsing is pure and
/// allocation free: <see cref="ChunkEnumerator"/> walks the chunks of a validated packet.
/// </summary>
internal static class SctpPacket
{
    /// <summary>Length of the common header.</summary>
    public const int HeaderLength = 12;

    /// <summary>Length of a chunk header (type, flags, length).</summary>
    public const int ChunkHeaderLength = 4;

    /// <summary>Writes the common header with a zero checksum; call <see cref="WriteChecksum"/> once the chunks are in.</summary>
    public static void WriteHeader(Span<byte> packet, ushort sourcePort, ushort destinationPort, uint verificationTag)
    {
        BinaryPrimitives.WriteUInt16BigEndian(packet, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], verificationTag);
        BinaryPrimitives.WriteUInt32LittleEndian(packet[8..], 0);
    }

    /// <summary>Computes the CRC32c of a whole packet and stores it little-endian, as RFC 9260 appendix B requires.</summary>
    public static void WriteChecksum(Span<byte> packet)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(packet[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(packet[8..], Crc32c.Compute(packet));
    }

    /// <summary>Checks the CRC32c of a received packet (the checksum field counts as zero while computing).</summary>
    public static bool VerifyChecksum(ReadOnlySpan<byte> packet, bool acceptZero = false)
    {
        if (packet.Length < HeaderLength) return false;
        var received = BinaryPrimitives.ReadUInt32LittleEndian(packet[8..]);
        if (received == 0 && acceptZero) return true;
        var crc = Crc32c.Update(0xFFFFFFFFu, packet[..8]);
        crc = Crc32c.Update(crc, [0, 0, 0, 0]);
        crc = Crc32c.Update(crc, packet[HeaderLength..]);
        return ~crc == received;
    }

    /// <summary>Reads the common header. False when the packet is too short to hold one.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> packet, out ushort sourcePort, out ushort destinationPort, out uint verificationTag)
    {
        if (packet.Length < HeaderLength)
        {
            sourcePort = destinationPort = 0;
            verificationTag = 0;
            return false;
        }
        sourcePort = BinaryPrimitives.ReadUInt16BigEndian(packet);
        destinationPort = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        verificationTag = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        return true;
    }

    /// <summary>Pads a length to the 4-byte boundary chunks and parameters are aligned on.</summary>
    public static int Pad4(int length) => (length + 3) & ~3;

    /// <summary>Writes a chunk header and returns the number of bytes the chunk occupies, padding included.</summary>
    public static int WriteChunkHeader(Span<byte> destination, ChunkType type, byte flags, int valueLength)
    {
        var length = ChunkHeaderLength + valueLength;
        if (length > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(valueLength), "A chunk cannot exceed 65535 bytes.");
        destination[0] = (byte)type;
        destination[1] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)length);
        var padded = Pad4(length);
        destination[length..padded].Clear();
        return padded;
    }

    /// <summary>Enumerates the chunks after the common header of <paramref name="packet"/>.</summary>
    public static ChunkEnumerator EnumerateChunks(ReadOnlySpan<byte> packet) => new(packet.Length >= HeaderLength ? packet[HeaderLength..] : default);
}

/// <summary>One chunk of a packet: its type, flags and value (the bytes after the 4-byte chunk header, padding excluded).</summary>
internal readonly ref struct RawChunk(byte type, byte flags, ReadOnlySpan<byte> value)
{
    /// <summary>The raw chunk type byte.</summary>
    public byte Type { get; } = type;

    /// <summary>The chunk flags.</summary>
    public byte Flags { get; } = flags;

    /// <summary>The chunk value.</summary>
    public ReadOnlySpan<byte> Value { get; } = value;

    /// <summary>The chunk type as an enum (may be a value the enum does not name).</summary>
    public ChunkType ChunkType => (ChunkType)Type;
}

/// <summary>Walks the chunks of a packet. <see cref="Malformed"/> turns true if a chunk length is invalid.</summary>
internal ref struct ChunkEnumerator(ReadOnlySpan<byte> chunks)
{
    private ReadOnlySpan<byte> _rest = chunks;

    /// <summary>The chunk at the current position.</summary>
    public RawChunk Current { get; private set; }

    /// <summary>True if a chunk header declared an impossible length (the walk stops there).</summary>
    public bool Malformed { get; private set; }

    /// <summary>Enables <c>foreach</c>.</summary>
    public readonly ChunkEnumerator GetEnumerator() => this;

    /// <summary>Moves to the next chunk.</summary>
    public bool MoveNext()
    {
        if (_rest.Length < SctpPacket.ChunkHeaderLength)
        {
            if (_rest.Length != 0) Malformed = true;
            return false;
        }
        var length = BinaryPrimitives.ReadUInt16BigEndian(_rest[2..]);
        if (length < SctpPacket.ChunkHeaderLength || length > _rest.Length)
        {
            Malformed = true;
            _rest = default;
            return false;
        }
        Current = new RawChunk(_rest[0], _rest[1], _rest[SctpPacket.ChunkHeaderLength..length]);
        var padded = SctpPacket.Pad4(length);
        _rest = padded >= _rest.Length ? default : _rest[padded..];
        return true;
    }
}
