using System.Buffers.Binary;
using System.Net;

namespace WebRtc.Ice.Turn;

/// <summary>Writes the TURN attributes (RFC 8656 section 18) into a <see cref="StunMessageWriter"/>.</summary>
public static class TurnMessageWriterExtensions
{
    /// <summary>Adds REQUESTED-TRANSPORT for UDP.</summary>
    public static void AddRequestedTransportUdp(this ref StunMessageWriter writer)
    {
        ReadOnlySpan<byte> value = [TurnAttributeType.UdpProtocol, 0, 0, 0];
        writer.AddAttribute(TurnAttributeType.RequestedTransport, value);
    }

    /// <summary>Adds LIFETIME, in whole seconds.</summary>
    public static void AddLifetime(this ref StunMessageWriter writer, TimeSpan lifetime)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lifetime, TimeSpan.Zero);
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(value, (uint)Math.Min(uint.MaxValue, (ulong)lifetime.TotalSeconds));
        writer.AddAttribute(TurnAttributeType.Lifetime, value);
    }

    /// <summary>Adds CHANNEL-NUMBER (0x4000-0x4FFF).</summary>
    public static void AddChannelNumber(this ref StunMessageWriter writer, ushort channel)
    {
        if (!ChannelData.IsValidChannelNumber(channel)) throw new ArgumentOutOfRangeException(nameof(channel), "Channel numbers are 0x4000-0x4FFF.");
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(value, channel);
        value[2] = 0;
        value[3] = 0;
        writer.AddAttribute(TurnAttributeType.ChannelNumber, value);
    }

    /// <summary>Adds XOR-PEER-ADDRESS.</summary>
    public static void AddXorPeerAddress(this ref StunMessageWriter writer, IPEndPoint peer) =>
        writer.AddXorAddress(TurnAttributeType.XorPeerAddress, peer);

    /// <summary>Adds XOR-RELAYED-ADDRESS.</summary>
    public static void AddXorRelayedAddress(this ref StunMessageWriter writer, IPEndPoint relayed) =>
        writer.AddXorAddress(TurnAttributeType.XorRelayedAddress, relayed);

    /// <summary>Adds DATA.</summary>
    public static void AddData(this ref StunMessageWriter writer, scoped ReadOnlySpan<byte> data) =>
        writer.AddAttribute(TurnAttributeType.Data, data);

    /// <summary>Adds REALM.</summary>
    public static void AddRealm(this ref StunMessageWriter writer, string realm) => writer.AddText(StunAttributeType.Realm, realm);

    /// <summary>Adds NONCE.</summary>
    public static void AddNonce(this ref StunMessageWriter writer, string nonce) => writer.AddText(StunAttributeType.Nonce, nonce);
}
