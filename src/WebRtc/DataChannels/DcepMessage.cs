using System.Buffers.Binary;
using System.Text;

namespace WebRtc.DataChannels;

/// <summary>Payload protocol identifiers of WebRTC data channels (RFC 8831 section 8).</summary>
internal static class DataChannelPpid
{
    public const uint Dcep = 50;
    public const uint String = 51;
    public const uint BinaryPartial = 52; // deprecated
    public const uint Binary = 53;
    public const uint StringPartial = 54; // deprecated
    public const uint StringEmpty = 56;
    public const uint BinaryEmpty = 57;
}

/// <summary>DCEP channel types (RFC 8832 section 5.1).</summary>
internal enum DcepChannelType : byte
{
    Reliable = 0x00,
    PartialReliableRexmit = 0x01,
    PartialReliableTimed = 0x02,
    ReliableUnordered = 0x80,
    PartialReliableRexmitUnordered = 0x81,
    PartialReliableTimedUnordered = 0x82,
}

/// <summary>A DATA_CHANNEL_OPEN message (RFC 8832 section 5.1).</summary>
internal sealed record DcepOpen(DcepChannelType ChannelType, ushort Priority, uint ReliabilityParameter, string Label, string Protocol)
{
    public const byte MessageType = 0x03;
    public const byte AckMessageType = 0x02;
    private const int FixedLength = 12;

    public bool Ordered => ((byte)ChannelType & 0x80) == 0;

    public int? MaxRetransmits => ((byte)ChannelType & 0x7F) == 0x01 ? (int)Math.Min(ReliabilityParameter, int.MaxValue) : null;

    public TimeSpan? MaxPacketLifeTime => ((byte)ChannelType & 0x7F) == 0x02 ? TimeSpan.FromMilliseconds(ReliabilityParameter) : null;

    public static DcepOpen From(DataChannelOptions options, string label)
    {
        var type = options.MaxRetransmits is not null ? DcepChannelType.PartialReliableRexmit
            : options.MaxPacketLifeTime is not null ? DcepChannelType.PartialReliableTimed
            : DcepChannelType.Reliable;
        if (!options.Ordered) type = (DcepChannelType)((byte)type | 0x80);
        var parameter = options.MaxRetransmits is { } r ? (uint)r
            : options.MaxPacketLifeTime is { } t ? (uint)Math.Min(t.TotalMilliseconds, uint.MaxValue)
            : 0u;
        return new DcepOpen(type, options.Priority, parameter, label, options.Protocol);
    }

    public byte[] Serialize()
    {
        var label = Encoding.UTF8.GetBytes(Label);
        var protocol = Encoding.UTF8.GetBytes(Protocol);
        var bytes = new byte[FixedLength + label.Length + protocol.Length];
        bytes[0] = MessageType;
        bytes[1] = (byte)ChannelType;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), Priority);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), ReliabilityParameter);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(8), (ushort)label.Length);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(10), (ushort)protocol.Length);
        label.CopyTo(bytes, FixedLength);
        protocol.CopyTo(bytes, FixedLength + label.Length);
        return bytes;
    }

    /// <summary>Parses a DATA_CHANNEL_OPEN. False if malformed (wrong type, lengths beyond the message, bad UTF-8).</summary>
    public static bool TryParse(ReadOnlySpan<byte> message, out DcepOpen? open)
    {
        open = null;
        if (message.Length < FixedLength || message[0] != MessageType) return false;
        var labelLength = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        var protocolLength = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        if (FixedLength + labelLength + protocolLength > message.Length) return false;
        var type = (DcepChannelType)message[1];
        if (!Enum.IsDefined(type)) return false;
        try
        {
            var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
            open = new DcepOpen(
                type,
                BinaryPrimitives.ReadUInt16BigEndian(message[2..]),
                BinaryPrimitives.ReadUInt32BigEndian(message[4..]),
                strict.GetString(message.Slice(FixedLength, labelLength)),
                strict.GetString(message.Slice(FixedLength + labelLength, protocolLength)));
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
