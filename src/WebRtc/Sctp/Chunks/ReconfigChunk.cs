using System.Buffers.Binary;

namespace WebRtc.Sctp.Chunks;

/// <summary>Result codes of a Re-configuration Response parameter (RFC 6525 section 4.4).</summary>
internal enum ReconfigResult : uint
{
    SuccessNothingToDo = 0,
    SuccessPerformed = 1,
    Denied = 2,
    ErrorWrongSsn = 3,
    ErrorRequestAlreadyInProgress = 4,
    ErrorBadSequenceNumber = 5,
    InProgress = 6,
}

/// <summary>An Outgoing SSN Reset Request parameter (RFC 6525 section 4.1).</summary>
internal sealed record OutgoingResetRequest(uint RequestSequence, uint ResponseSequence, uint LastAssignedTsn, ushort[] Streams);

/// <summary>A Re-configuration Response parameter (RFC 6525 section 4.4).</summary>
internal sealed record ReconfigResponse(uint ResponseSequence, ReconfigResult Result);

/// <summary>
/// RE-CONFIG (RFC 6525): WebRTC uses it to reset outgoing streams when a data channel closes. This
/// parses the two parameters WebRTC needs; other requests are reported as unsupported (denied).
/// </summary>
internal static class ReconfigChunk
{
    public const ushort OutgoingResetRequestParameter = 13;
    public const ushort IncomingResetRequestParameter = 14;
    public const ushort ResponseParameter = 16;

    /// <summary>
    /// Parses up to two parameters. Unsupported request types are returned through
    /// <paramref name="unsupportedRequestSequences"/> so they can be denied.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> value, List<OutgoingResetRequest> requests, List<ReconfigResponse> responses, List<uint> unsupportedRequestSequences)
    {
        var count = 0;
        while (value.Length >= 4)
        {
            if (++count > 2) return false; // RFC 6525: at most two parameters
            var type = BinaryPrimitives.ReadUInt16BigEndian(value);
            var length = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
            if (length < 4 || length > value.Length) return false;
            var body = value[4..length];
            switch (type)
            {
                case OutgoingResetRequestParameter:
                    if (body.Length < 12 || (body.Length - 12) % 2 != 0) return false;
                    var streams = new ushort[(body.Length - 12) / 2];
                    for (var i = 0; i < streams.Length; i++) streams[i] = BinaryPrimitives.ReadUInt16BigEndian(body[(12 + (2 * i))..]);
                    requests.Add(new OutgoingResetRequest(
                        BinaryPrimitives.ReadUInt32BigEndian(body),
                        BinaryPrimitives.ReadUInt32BigEndian(body[4..]),
                        BinaryPrimitives.ReadUInt32BigEndian(body[8..]),
                        streams));
                    break;
                case ResponseParameter:
                    if (body.Length < 8) return false;
                    responses.Add(new ReconfigResponse(BinaryPrimitives.ReadUInt32BigEndian(body), (ReconfigResult)BinaryPrimitives.ReadUInt32BigEndian(body[4..])));
                    break;
                default:
                    // Every other request (incoming reset, SSN/TSN reset, add streams) starts with its request sequence.
                    if (body.Length >= 4) unsupportedRequestSequences.Add(BinaryPrimitives.ReadUInt32BigEndian(body));
                    break;
            }
            var padded = SctpPacket.Pad4(length);
            value = padded >= value.Length ? default : value[padded..];
        }
        return true;
    }

    public static int OutgoingResetRequestLength(int streams) => SctpPacket.Pad4(16 + (2 * streams));

    public const int ResponseLength = 12;

    /// <summary>Writes a RE-CONFIG chunk header for parameters of <paramref name="parametersLength"/> bytes; returns the header length.</summary>
    public static int WriteHeader(Span<byte> destination, int parametersLength)
    {
        SctpPacket.WriteChunkHeader(destination, ChunkType.ReConfig, 0, parametersLength);
        return SctpPacket.ChunkHeaderLength;
    }

    /// <summary>Writes an Outgoing SSN Reset Request parameter and returns its padded length.</summary>
    public static int WriteOutgoingResetRequest(Span<byte> destination, OutgoingResetRequest request)
    {
        var length = 16 + (2 * request.Streams.Length);
        BinaryPrimitives.WriteUInt16BigEndian(destination, OutgoingResetRequestParameter);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], request.RequestSequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], request.ResponseSequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], request.LastAssignedTsn);
        for (var i = 0; i < request.Streams.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(destination[(16 + (2 * i))..], request.Streams[i]);
        var padded = SctpPacket.Pad4(length);
        destination[length..padded].Clear();
        return padded;
    }

    /// <summary>Writes a Re-configuration Response parameter and returns its length.</summary>
    public static int WriteResponse(Span<byte> destination, ReconfigResponse response)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, ResponseParameter);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], ResponseLength);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], response.ResponseSequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], (uint)response.Result);
        return ResponseLength;
    }
}
