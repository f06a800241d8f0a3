using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace WebRtc.Ice.Turn;

/// <summary>
/// The TURN attributes of one STUN message, and the REALM and NONCE of long-term credentials, which
/// <see cref="StunMessage"/> leaves alone. <see cref="Read"/> walks the attributes of a datagram that
/// <see cref="StunMessage.Parse"/> has already validated; like it, it ignores attributes after MESSAGE-INTEGRITY.
/// </summary>
public sealed class TurnAttributes
{
    private const int MaxTextLength = 763; // RFC 8489: REALM and NONCE are under 128 characters, at most 763 bytes

    /// <summary>XOR-RELAYED-ADDRESS, if present.</summary>
    public IPEndPoint? XorRelayedAddress { get; private set; }

    /// <summary>XOR-PEER-ADDRESS, if present.</summary>
    public IPEndPoint? XorPeerAddress { get; private set; }

    /// <summary>LIFETIME, if present.</summary>
    public TimeSpan? Lifetime { get; private set; }

    /// <summary>CHANNEL-NUMBER, if present (always 0x4000-0x4FFF).</summary>
    public ushort? ChannelNumber { get; private set; }

    /// <summary>Where the DATA value lies in the datagram, if present.</summary>
    public Range? Data { get; private set; }

    /// <summary>The protocol number of REQUESTED-TRANSPORT, if present.</summary>
    public byte? RequestedTransport { get; private set; }

    /// <summary>REALM, if present.</summary>
    public string? Realm { get; private set; }

    /// <summary>NONCE, if present.</summary>
    public string? Nonce { get; private set; }

    /// <summary>Reads the TURN attributes of <paramref name="datagram"/>, a STUN message.</summary>
    /// <exception cref="StunFormatException">An attribute has the wrong length or an invalid value.</exception>
    public static TurnAttributes Read(ReadOnlySpan<byte> datagram)
    {
        if (!StunMessage.IsStun(datagram)) throw new StunFormatException("Not a STUN message.");
        var result = new TurnAttributes();
        var offset = StunMessage.HeaderLength;
        while (offset + 4 <= datagram.Length)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(datagram[offset..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(datagram[(offset + 2)..]);
            var start = offset + 4;
            if (start + length > datagram.Length) throw new StunFormatException("STUN attribute runs past the message.");
            if (type == StunAttributeType.MessageIntegrity) break;
            var value = datagram.Slice(start, length);
            switch (type)
            {
                case TurnAttributeType.XorRelayedAddress:
                    result.XorRelayedAddress = StunMessage.ReadAddress(value, datagram, xor: true);
                    break;
                case TurnAttributeType.XorPeerAddress:
                    result.XorPeerAddress = StunMessage.ReadAddress(value, datagram, xor: true);
                    break;
                case TurnAttributeType.Lifetime:
                    if (length != 4) throw new StunFormatException("LIFETIME is not 4 bytes.");
                    result.Lifetime = TimeSpan.FromSeconds(BinaryPrimitives.ReadUInt32BigEndian(value));
                    break;
                case TurnAttributeType.ChannelNumber:
                    if (length != 4) throw new StunFormatException("CHANNEL-NUMBER is not 4 bytes.");
                    var channel = BinaryPrimitives.ReadUInt16BigEndian(value);
                    if (!ChannelData.IsValidChannelNumber(channel)) throw new StunFormatException("CHANNEL-NUMBER outside 0x4000-0x4FFF.");
                    result.ChannelNumber = channel;
                    break;
                case TurnAttributeType.Data:
                    result.Data = new Range(start, start + length);
                    break;
                case TurnAttributeType.RequestedTransport:
                    if (length != 4) throw new StunFormatException("REQUESTED-TRANSPORT is not 4 bytes.");
                    result.RequestedTransport = value[0];
                    break;
                case StunAttributeType.Realm:
                    if (length > MaxTextLength) throw new StunFormatException("REALM longer than 763 bytes.");
                    result.Realm = Encoding.UTF8.GetString(value);
                    break;
                case StunAttributeType.Nonce:
                    if (length > MaxTextLength) throw new StunFormatException("NONCE longer than 763 bytes.");
                    result.Nonce = Encoding.UTF8.GetString(value);
                    break;
                default:
                    break;
            }
            offset = start + ((length + 3) & ~3);
        }
        return result;
    }
}
