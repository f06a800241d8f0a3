using System.Buffers.Binary;

namespace WebRtc.Sctp.Chunks;

/// <summary>
/// INIT and INIT-ACK (RFC 9260 sections 3.3.2 and 3.3.3): the same fixed fields, plus the optional
/// parameters WebRTC uses: state cookie, supported extensions (RFC 5061), Forward-TSN-supported
/// (RFC 3758) and zero checksum acceptable (RFC 9653). Unknown parameters are skipped or stop the walk
/// according to their two high bits.
/// </summary>
internal sealed class InitChunk
{
    public const ushort StateCookieParameter = 7;
    public const ushort UnrecognizedParameter = 8;
    public const ushort SupportedExtensionsParameter = 0x8008;
    public const ushort ForwardTsnSupportedParameter = 0xC000;
    public const ushort ZeroChecksumAcceptableParameter = 0x8001;
    private const int FixedLength = 16;

    /// <summary>True for INIT-ACK, false for INIT.</summary>
    public bool IsAck { get; init; }
    public uint InitiateTag { get; init; }
    public uint AdvertisedReceiverWindow { get; init; }
    public ushort OutboundStreams { get; init; }
    public ushort InboundStreams { get; init; }
    public uint InitialTsn { get; init; }
    /// <summary>The state cookie (INIT-ACK only).</summary>
    public byte[]? StateCookie { get; init; }
    /// <summary>Chunk types listed in a Supported Extensions parameter, or null when absent.</summary>
    public byte[]? SupportedExtensions { get; init; }
    /// <summary>Forward-TSN-supported parameter present (or FORWARD-TSN listed in supported extensions).</summary>
    public bool ForwardTsnSupported { get; init; }
    /// <summary>The error detection method of a Zero Checksum Acceptable parameter, or null when absent.</summary>
    public uint? ZeroChecksumMethod { get; init; }

    /// <summary>True if the peer supports RE-CONFIG (stream reset).</summary>
    public bool ReconfigSupported => SupportedExtensions is { } e && Array.IndexOf(e, (byte)ChunkType.ReConfig) >= 0;

    /// <summary>True if the peer supports FORWARD-TSN, by either way of saying so.</summary>
    public bool PartialReliabilitySupported =>
        ForwardTsnSupported || (SupportedExtensions is { } e && Array.IndexOf(e, (byte)ChunkType.ForwardTsn) >= 0);

    /// <summary>Parses the value of an INIT or INIT-ACK chunk. False if malformed.</summary>
    public static bool TryParse(bool isAck, ReadOnlySpan<byte> value, out InitChunk? chunk)
    {
        chunk = null;
        if (value.Length < FixedLength) return false;
        byte[]? cookie = null, extensions = null;
        var forwardTsn = false;
        uint? zeroChecksum = null;
        var parameters = value[FixedLength..];
        while (parameters.Length >= 4)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(parameters);
            var length = BinaryPrimitives.ReadUInt16BigEndian(parameters[2..]);
            if (length < 4 || length > parameters.Length) return false;
            var body = parameters[4..length];
            switch (type)
            {
                case StateCookieParameter:
                    cookie = body.ToArray();
                    break;
                case SupportedExtensionsParameter:
                    extensions = body.ToArray();
                    break;
                case ForwardTsnSupportedParameter:
                    forwardTsn = true;
                    break;
                case ZeroChecksumAcceptableParameter when body.Length >= 4:
                    zeroChecksum = BinaryPrimitives.ReadUInt32BigEndian(body);
                    break;
                default:
                    var action = ChunkTypeExtensions.ActionForUnrecognizedParameter(type);
                    if (action is UnrecognizedAction.Stop or UnrecognizedAction.StopAndReport) goto done;
                    break;
            }
            var padded = SctpPacket.Pad4(length);
            parameters = padded >= parameters.Length ? default : parameters[padded..];
        }
    done:
        chunk = new InitChunk
        {
            IsAck = isAck,
            InitiateTag = BinaryPrimitives.ReadUInt32BigEndian(value),
            AdvertisedReceiverWindow = BinaryPrimitives.ReadUInt32BigEndian(value[4..]),
            OutboundStreams = BinaryPrimitives.ReadUInt16BigEndian(value[8..]),
            InboundStreams = BinaryPrimitives.ReadUInt16BigEndian(value[10..]),
            InitialTsn = BinaryPrimitives.ReadUInt32BigEndian(value[12..]),
            StateCookie = cookie,
            SupportedExtensions = extensions,
            ForwardTsnSupported = forwardTsn,
            ZeroChecksumMethod = zeroChecksum,
        };
        return true;
    }

    /// <summary>Padded serialized length of the chunk.</summary>
    public int SerializedLength => SctpPacket.Pad4(SctpPacket.ChunkHeaderLength + ValueLength);

    private int ValueLength
    {
        get
        {
            var length = FixedLength;
            if (StateCookie is { } c) length += SctpPacket.Pad4(4 + c.Length);
            if (SupportedExtensions is { } e) length += SctpPacket.Pad4(4 + e.Length);
            if (ForwardTsnSupported) length += 4;
            if (ZeroChecksumMethod is not null) length += 8;
            return length;
        }
    }

    /// <summary>Writes the chunk and returns its padded length.</summary>
    public int Write(Span<byte> destination)
    {
        var padded = SctpPacket.WriteChunkHeader(destination, IsAck ? ChunkType.InitAck : ChunkType.Init, 0, ValueLength);
        var v = destination[SctpPacket.ChunkHeaderLength..];
        BinaryPrimitives.WriteUInt32BigEndian(v, InitiateTag);
        BinaryPrimitives.WriteUInt32BigEndian(v[4..], AdvertisedReceiverWindow);
        BinaryPrimitives.WriteUInt16BigEndian(v[8..], OutboundStreams);
        BinaryPrimitives.WriteUInt16BigEndian(v[10..], InboundStreams);
        BinaryPrimitives.WriteUInt32BigEndian(v[12..], InitialTsn);
        var at = FixedLength;
        if (StateCookie is { } cookie) at += WriteParameter(v[at..], StateCookieParameter, cookie);
        if (SupportedExtensions is { } extensions) at += WriteParameter(v[at..], SupportedExtensionsParameter, extensions);
        if (ForwardTsnSupported) at += WriteParameter(v[at..], ForwardTsnSupportedParameter, default);
        if (ZeroChecksumMethod is { } method)
        {
            Span<byte> body = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(body, method);
            at += WriteParameter(v[at..], ZeroChecksumAcceptableParameter, body);
        }
        return padded;
    }

    /// <summary>Writes a TLV parameter and returns its padded length.</summary>
    public static int WriteParameter(Span<byte> destination, ushort type, ReadOnlySpan<byte> body)
    {
        var length = 4 + body.Length;
        BinaryPrimitives.WriteUInt16BigEndian(destination, type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)length);
        body.CopyTo(destination[4..]);
        var padded = SctpPacket.Pad4(length);
        destination[length..padded].Clear();
        return padded;
    }
}
