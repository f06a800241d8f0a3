using System.Buffers.Binary;
using System.Text;

namespace WebRtc.Sctp.Chunks;

/// <summary>
/// ABORT and ERROR chunks (RFC 9260 sections 3.3.7 and 3.3.10): a list of error causes. Only the
/// first cause is surfaced; the T flag of ABORT says the verification tag is reflected.
/// </summary>
internal static class AbortChunk
{
    /// <summary>The T bit: the sender had no TCB and reflected the receiver's tag.</summary>
    public const byte ReflectedTagFlag = 0x01;

    /// <summary>Cause code 13 "Protocol Violation" carries a free text explanation.</summary>
    public const ushort ProtocolViolationCause = 13;

    /// <summary>Cause code 12 "User-Initiated Abort".</summary>
    public const ushort UserInitiatedAbortCause = 12;

    /// <summary>Cause code 6 "Unrecognized Chunk Type".</summary>
    public const ushort UnrecognizedChunkTypeCause = 6;

    /// <summary>Reads the first error cause. False when there is none or it is malformed.</summary>
    public static bool TryReadFirstCause(ReadOnlySpan<byte> value, out ushort code, out ReadOnlySpan<byte> information)
    {
        code = 0;
        information = default;
        if (value.Length < 4) return false;
        code = BinaryPrimitives.ReadUInt16BigEndian(value);
        var length = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
        if (length < 4 || length > value.Length) return false;
        information = value[4..length];
        return true;
    }

    /// <summary>A readable description of the first cause, for exceptions and logs.</summary>
    public static string Describe(ReadOnlySpan<byte> value)
    {
        if (!TryReadFirstCause(value, out var code, out var info)) return "no cause given";
        return code switch
        {
            ProtocolViolationCause or UserInitiatedAbortCause when info.Length > 0 => $"cause {code}: {Encoding.UTF8.GetString(info)}",
            _ => $"cause {code}",
        };
    }

    /// <summary>Padded length of an ABORT/ERROR with one cause of <paramref name="informationLength"/> bytes.</summary>
    public static int SerializedLength(int informationLength) => SctpPacket.Pad4(SctpPacket.ChunkHeaderLength + 4 + informationLength);

    /// <summary>Writes an ABORT (or ERROR when <paramref name="type"/> says so) with one cause and returns its padded length.</summary>
    public static int Write(Span<byte> destination, ChunkType type, byte flags, ushort causeCode, ReadOnlySpan<byte> information)
    {
        var padded = SctpPacket.WriteChunkHeader(destination, type, flags, 4 + SctpPacket.Pad4(information.Length));
        InitChunk.WriteParameter(destination[SctpPacket.ChunkHeaderLength..], causeCode, information);
        return padded;
    }
}
