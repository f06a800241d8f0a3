using System.Net;
using Microsoft.Extensions.Logging;
using WebTorrent.Dht;
using WebTorrent.Tracker;

namespace WebTorrent.Discovery;

/// <summary>
/// Settings of <see cref="PeerDiscovery"/>: which sources run (trackers, DHT, local service discovery), their sockets,
/// their timing and their limits. Every limit has a safe default.
/// </summary>
public sealed class PeerDiscoveryOptions
{
    /// <summary>Announce to the HTTP and UDP trackers of each torrent (BEP 3, 12, 15). Default true.</summary>
    public bool EnableTrackers { get; init; } = true;

    /// <summary>Find and announce public torrents on the mainline DHT (BEP 5). Default true.</summary>
    public bool EnableDht { get; init; } = true;

    /// <summary>Local service discovery (BEP 14) on the local network by multicast. Default true.</summary>
    public bool EnableLocalDiscovery { get; init; } = true;

    /// <summary>The TCP port the client accepts peers on: the default DHT port. 0 when the client does not listen.</summary>
    public int ListenPort { get; init; }

    /// <summary>
    /// Announce to one tracker of every tier instead of the first tier that answers (BEP 12 as most clients run it
    /// for magnets, whose trackers are one tier each). Each tier then keeps its own interval and backoff. Default false.
    /// </summary>
    public bool AnnounceToAllTiers { get; init; }

    /// <summary>Peers asked of a tracker per announce. Default 50.</summary>
    public int NumWant { get; init; } = 50;

    /// <summary>The tracker <c>key</c>, fixed for the whole client; null picks a random one.</summary>
    public uint? TrackerKey { get; init; }

    /// <summary>An HttpClient for HTTP trackers (not disposed by discovery); null creates one.</summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>Settings of the UDP tracker clients (their <see cref="UdpTrackerClientOptions.TimeProvider"/> is replaced by <see cref="TimeProvider"/>).</summary>
    public UdpTrackerClientOptions? UdpTrackerOptions { get; init; }

    /// <summary>
    /// Creates the client of a tracker URL; null (the default) uses <see cref="HttpTrackerClient"/> for http(s) and
    /// <see cref="UdpTrackerClient"/> for udp. Return null for a URL this factory does not handle (it is skipped).
    /// </summary>
    public Func<Uri, ITrackerClient?>? TrackerClientFactory { get; init; }

    /// <summary>The longest one announce may take before it counts as failed. Default 30 seconds.</summary>
    public TimeSpan TrackerRequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The shortest regular interval accepted from a tracker (a lower interval is raised to it). Default 1 minute.</summary>
    public TimeSpan MinimumTrackerInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The minimum interval used for early announces (<see cref="ITorrentAnnouncer.RequestMorePeers"/>) when the tracker gives none. Default 1 minute.</summary>
    public TimeSpan DefaultTrackerMinInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Wait after a tracker's first failure; doubled on each further failure up to <see cref="TrackerRetryMaximum"/>. Default 15 seconds.</summary>
    public TimeSpan TrackerRetryInitial { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The cap of the retry backoff. Default 30 minutes.</summary>
    public TimeSpan TrackerRetryMaximum { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How long disposal waits for the <c>stopped</c> announces (best effort). Default 5 seconds.</summary>
    public TimeSpan StoppedAnnounceTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Trackers used per torrent; further URLs are ignored. Default 32.</summary>
    public int MaxTrackersPerTorrent { get; init; } = 32;

    /// <summary>Tracker clients kept (shared by the torrents that name the same URL). Default 256.</summary>
    public int MaxTrackerClients { get; init; } = 256;

    /// <summary>Peers taken from one response (tracker or DHT lookup); the rest are dropped. Default 200.</summary>
    public int MaxPeersPerResponse { get; init; } = 200;

    /// <summary>A DHT node to use, owned and started by the caller (never disposed here); null creates one when <see cref="EnableDht"/>.</summary>
    public DhtNode? DhtNode { get; init; }

    /// <summary>The UDP port of the DHT node created here; null uses <see cref="ListenPort"/> (0 = any free port). A port in use falls back to any free port.</summary>
    public int? DhtPort { get; init; }

    /// <summary>Where the DHT node created here binds: <see cref="IPAddress.Any"/> (default), <see cref="IPAddress.Loopback"/>, or IPv6 any for dual mode.</summary>
    public IPAddress DhtBindAddress { get; init; } = IPAddress.Any;

    /// <summary>
    /// DHT bootstrap nodes for the node created here; by default the public routers by name. A name that does not
    /// resolve is reported through <see cref="PeerDiscovery.Failed"/> and skipped.
    /// </summary>
    public IReadOnlyList<EndPoint> DhtBootstrapNodes { get; init; } = DhtNodeOptions.PublicBootstrapNodes;

    /// <summary>Resolves bootstrap host names; null uses <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/>.</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>>? HostResolver { get; init; }

    /// <summary>Options of the DHT node created here (its bootstrap nodes, time provider and logger factory are set from these options). Null uses the defaults.</summary>
    public DhtNodeOptions? DhtNodeOptions { get; init; }

    /// <summary>How often each public torrent looks itself up and announces on the DHT. Default 15 minutes.</summary>
    public TimeSpan DhtAnnounceInterval { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>The shortest time between two DHT lookups of one torrent (early lookups on <see cref="ITorrentAnnouncer.RequestMorePeers"/>). Default 1 minute.</summary>
    public TimeSpan DhtMinLookupInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>DHT lookups run at once across all torrents. Default 4.</summary>
    public int MaxConcurrentDhtLookups { get; init; } = 4;

    /// <summary>The IPv4 multicast group of local service discovery. Default 239.192.152.143 (BEP 14).</summary>
    public IPAddress LocalDiscoveryGroup { get; init; } = LocalServiceDiscovery.DefaultGroupV4;

    /// <summary>The IPv6 multicast group of local service discovery, used when IPv6 multicast works. Default ff15::efc0:988f (BEP 14); null disables IPv6.</summary>
    public IPAddress? LocalDiscoveryGroupV6 { get; init; } = LocalServiceDiscovery.DefaultGroupV6;

    /// <summary>The UDP port of local service discovery. Default 6771 (BEP 14); 0 binds any free port (tests: give the others that port).</summary>
    public int LocalDiscoveryPort { get; init; } = LocalServiceDiscovery.DefaultPort;

    /// <summary>The local IPv4 address of the interface to join and send on; null lets the system choose.</summary>
    public IPAddress? LocalDiscoveryInterface { get; init; }

    /// <summary>How often every registered torrent is announced on the local network. Default 5 minutes (BEP 14).</summary>
    public TimeSpan LocalDiscoveryInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The shortest time between two local announces of one torrent. Default 1 minute (BEP 14).</summary>
    public TimeSpan LocalDiscoveryMinInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Local discovery messages handled per second (a burst of twice as many); the rest are dropped. Default 20.</summary>
    public int LocalDiscoveryMaxMessagesPerSecond { get; init; } = 20;

    /// <summary>Info-hashes read from one local discovery message; messages with more are rejected. Default 32.</summary>
    public int LocalDiscoveryMaxInfoHashes { get; init; } = LsdMessage.DefaultMaxInfoHashes;

    /// <summary>Time source of every timer. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Logging; null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Random source for tier shuffles, the key and the LSD cookie; null uses <see cref="Random.Shared"/>.</summary>
    public Random? Random { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ListenPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ListenPort, ushort.MaxValue);
        if (DhtPort is { } dhtPort && (dhtPort < 0 || dhtPort > ushort.MaxValue)) throw new ArgumentOutOfRangeException(nameof(DhtPort));
        ArgumentOutOfRangeException.ThrowIfNegative(LocalDiscoveryPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(LocalDiscoveryPort, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfNegative(NumWant);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxTrackersPerTorrent);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxTrackerClients);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPeersPerResponse);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConcurrentDhtLookups);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LocalDiscoveryMaxMessagesPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LocalDiscoveryMaxInfoHashes);
        foreach (var (value, name) in new[]
        {
            (TrackerRequestTimeout, nameof(TrackerRequestTimeout)), (MinimumTrackerInterval, nameof(MinimumTrackerInterval)),
            (TrackerRetryInitial, nameof(TrackerRetryInitial)), (TrackerRetryMaximum, nameof(TrackerRetryMaximum)),
            (DhtAnnounceInterval, nameof(DhtAnnounceInterval)), (LocalDiscoveryInterval, nameof(LocalDiscoveryInterval)),
            (StoppedAnnounceTimeout, nameof(StoppedAnnounceTimeout)),
        })
        {
            if (value <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
        }
        if (DefaultTrackerMinInterval < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(DefaultTrackerMinInterval));
        if (DhtMinLookupInterval < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(DhtMinLookupInterval));
        if (LocalDiscoveryMinInterval < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(LocalDiscoveryMinInterval));
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentNullException.ThrowIfNull(DhtBindAddress);
        ArgumentNullException.ThrowIfNull(DhtBootstrapNodes);
        ArgumentNullException.ThrowIfNull(LocalDiscoveryGroup);
    }
}
