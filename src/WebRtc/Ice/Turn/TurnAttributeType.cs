namespace WebRtc.Ice.Turn;

/// <summary>The STUN attribute types TURN adds (RFC 8656 section 18).</summary>
public static class TurnAttributeType
{
    /// <summary>CHANNEL-NUMBER: the channel a ChannelBind binds.</summary>
    public const ushort ChannelNumber = 0x000C;

    /// <summary>LIFETIME: seconds an allocation lives, asked for or granted.</summary>
    public const ushort Lifetime = 0x000D;

    /// <summary>XOR-PEER-ADDRESS: the peer of a permission, channel or indication.</summary>
    public const ushort XorPeerAddress = 0x0012;

    /// <summary>DATA: the application datagram of a Send or Data indication.</summary>
    public const ushort Data = 0x0013;

    /// <summary>XOR-RELAYED-ADDRESS: the address the server allocated.</summary>
    public const ushort XorRelayedAddress = 0x0016;

    /// <summary>REQUESTED-ADDRESS-FAMILY.</summary>
    public const ushort RequestedAddressFamily = 0x0017;

    /// <summary>REQUESTED-TRANSPORT: the relay's protocol (17, UDP).</summary>
    public const ushort RequestedTransport = 0x0019;

    /// <summary>The IANA protocol number of UDP, the only transport TURN relays for WebRTC here.</summary>
    public const byte UdpProtocol = 17;
}
