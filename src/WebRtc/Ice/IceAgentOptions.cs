using System.Net;
using WebRtc.Ice.Turn;

namespace WebRtc.Ice;

/// <summary>Options of an <see cref="IceAgent"/>. The defaults suit browsers on the Internet.</summary>
public sealed record IceAgentOptions
{
    /// <summary>The clock of every ICE timer.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Binds the agent's UDP sockets.</summary>
    public IUdpSocketFactory SocketFactory { get; init; } = SystemUdpSocketFactory.Instance;

    /// <summary>
    /// Gather host candidates on these addresses only. Null (the default) gathers on every address of every
    /// interface that is up.
    /// </summary>
    public IReadOnlyList<IPAddress>? LocalAddresses { get; init; }

    /// <summary>Also gather loopback candidates (127.0.0.1, and ::1 with IPv6): for peers on the same machine.</summary>
    public bool IncludeLoopback { get; init; }

    /// <summary>Gather IPv6 candidates (link-local addresses are always skipped).</summary>
    public bool IncludeIPv6 { get; init; } = true;

    /// <summary>STUN servers asked for server-reflexive candidates.</summary>
    public IReadOnlyList<IPEndPoint> StunServers { get; init; } = [];

    /// <summary>TURN servers asked for relay candidates (one UDP allocation each).</summary>
    public IReadOnlyList<TurnServer> TurnServers { get; init; } = [];

    /// <summary>The TURN clients' lifetimes, timers and limits; their clock is always <see cref="TimeProvider"/>.</summary>
    public TurnClientOptions Turn { get; init; } = new();

    /// <summary>Which candidates are gathered and used, as RTCIceTransportPolicy.</summary>
    public IceTransportPolicy TransportPolicy { get; init; } = IceTransportPolicy.All;

    /// <summary>How long gathering waits for STUN and TURN servers.</summary>
    public TimeSpan GatheringTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Ta: the pacing interval between new connectivity checks (RFC 8445 section 14.2).</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The first retransmission timeout of a check; it doubles on every retransmission.</summary>
    public TimeSpan InitialRetransmitTimeout { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The largest retransmission timeout.</summary>
    public TimeSpan MaxRetransmitTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Transmissions of one check before its pair fails (Rc).</summary>
    public int MaxCheckTransmissions { get; init; } = 7;

    /// <summary>How long the controlling agent waits for a better pair once one has succeeded, before nominating.</summary>
    public TimeSpan NominationDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long checks may run without a selected pair before ICE fails.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Mean interval of consent freshness checks (RFC 7675; randomised by +/-20%).</summary>
    public TimeSpan ConsentInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Without a consent response for this long, the connection is Disconnected.</summary>
    public TimeSpan DisconnectedTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Without a consent response for this long, consent is lost and the connection Failed (RFC 7675: 30 s).</summary>
    public TimeSpan ConsentTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest datagram the selected pair's transport sends (1200 keeps clear of IP fragmentation).</summary>
    public int MaxDatagramSize { get; init; } = 1200;

    /// <summary>The most remote candidates kept (learnt peer-reflexive ones included).</summary>
    public int MaxRemoteCandidates { get; init; } = 64;

    /// <summary>Resolve remote mDNS (<c>.local</c>) candidates through the system resolver; otherwise they are learnt as peer reflexive.</summary>
    public bool ResolveMdnsCandidates { get; init; } = true;

    /// <summary>How long an mDNS name may take to resolve.</summary>
    public TimeSpan MdnsResolveTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Datagrams buffered for the layer above before new ones are dropped.</summary>
    public int ReceiveQueueCapacity { get; init; } = 1024;
}

/// <summary>Which local candidates ICE uses, as RTCIceTransportPolicy.</summary>
public enum IceTransportPolicy
{
    /// <summary>Host, server-reflexive and relay candidates.</summary>
    All,

    /// <summary>Relay candidates only: every packet goes through a TURN server, and our addresses stay hidden.</summary>
    Relay,
}

/// <summary>The state of ICE gathering, as RTCIceGatheringState.</summary>
public enum IceGatheringState
{
    /// <summary>Not started.</summary>
    New,

    /// <summary>Gathering candidates.</summary>
    Gathering,

    /// <summary>Every candidate is gathered.</summary>
    Complete,
}

/// <summary>The state of ICE connectivity, as RTCIceConnectionState.</summary>
public enum IceConnectionState
{
    /// <summary>No checks yet.</summary>
    New,

    /// <summary>Checks are running.</summary>
    Checking,

    /// <summary>A pair is selected and data can flow.</summary>
    Connected,

    /// <summary>Consent responses stopped arriving for a while; may recover.</summary>
    Disconnected,

    /// <summary>No pair worked, or consent was lost.</summary>
    Failed,

    /// <summary>The agent was closed.</summary>
    Closed,
}

/// <summary>The role of an ICE agent (RFC 8445 section 6.1.1).</summary>
public enum IceRole
{
    /// <summary>The controlling agent nominates the pair.</summary>
    Controlling,

    /// <summary>The controlled agent follows the nomination.</summary>
    Controlled,
}

/// <summary>The selected candidate pair.</summary>
/// <param name="LocalEndPoint">Our base (socket) address; for a relay candidate, the relayed address on the TURN server.</param>
/// <param name="RemoteEndPoint">The peer's address.</param>
/// <param name="RemoteType">The remote candidate's type (peer reflexive when learnt from a check).</param>
public sealed record IceSelectedPair(IPEndPoint LocalEndPoint, IPEndPoint RemoteEndPoint, IceCandidateType RemoteType)
{
    /// <summary>The local candidate's type: <see cref="IceCandidateType.Relayed"/> when data goes through a TURN server.</summary>
    public IceCandidateType LocalType { get; init; } = IceCandidateType.Host;
}
