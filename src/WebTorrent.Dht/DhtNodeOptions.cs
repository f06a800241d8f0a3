using System.Net;
using Microsoft.Extensions.Logging;

namespace WebTorrent.Dht;

/// <summary>
/// Settings of a <see cref="DhtNode"/>. Every limit has a safe default; the defaults follow BEP 5 and the values of
/// npm <c>bittorrent-dht</c> where BEP 5 leaves a choice.
/// </summary>
public sealed record DhtNodeOptions
{
    /// <summary>Well-known public bootstrap routers. Not used unless put in <see cref="BootstrapNodes"/>.</summary>
    public static IReadOnlyList<EndPoint> PublicBootstrapNodes { get; } =
    [
        new DnsEndPoint("router.bittorrent.com", 6881),
        new DnsEndPoint("router.utorrent.com", 6881),
        new DnsEndPoint("dht.transmissionbt.com", 6881),
        new DnsEndPoint("dht.libtorrent.org", 25401),
    ];

    /// <summary>Our node id; null for a random one (or a BEP 42 secure one when <see cref="ExternalAddress"/> is set).</summary>
    public NodeId? NodeId { get; init; }

    /// <summary>Our public IP address, when known: used to create a BEP 42 secure id.</summary>
    public IPAddress? ExternalAddress { get; init; }

    /// <summary>Saved state (id and nodes) from <see cref="DhtNode.SaveState"/>: restarts without the bootstrap nodes.</summary>
    public DhtNodeState? State { get; init; }

    /// <summary>Nodes to contact first when the table is empty (none by default; see <see cref="PublicBootstrapNodes"/>).</summary>
    public IReadOnlyList<EndPoint> BootstrapNodes { get; init; } = [];

    /// <summary>k: nodes per bucket and nodes a lookup converges on (8).</summary>
    public int BucketSize { get; init; } = 8;

    /// <summary>alpha: queries in flight per lookup (3).</summary>
    public int Alpha { get; init; } = 3;

    /// <summary>How long to wait for a response (2 s).</summary>
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Resends after a timeout for single queries such as ping and announce (1).</summary>
    public int QueryRetries { get; init; } = 1;

    /// <summary>Resends after a timeout for lookup queries (0: the lookup asks other nodes instead).</summary>
    public int LookupRetries { get; init; }

    /// <summary>Upper bound on queries one lookup sends (200).</summary>
    public int MaxQueriesPerLookup { get; init; } = 200;

    /// <summary>Upper bound on our outstanding queries (4096); beyond it new queries fail at once.</summary>
    public int MaxPendingQueries { get; init; } = 4096;

    /// <summary>Failed queries in a row that make a node bad (2).</summary>
    public int MaxNodeFailures { get; init; } = 2;

    /// <summary>A node not heard from for this long is questionable (15 minutes).</summary>
    public TimeSpan NodeGoodWindow { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>A bucket not changed for this long is refreshed with a lookup (15 minutes).</summary>
    public TimeSpan BucketRefreshInterval { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How often maintenance runs: stale buckets, questionable nodes, re-bootstrap when empty (1 minute).</summary>
    public TimeSpan MaintenanceInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Write tokens rotate their secret this often; a token is valid one to two periods (5 minutes).</summary>
    public TimeSpan TokenRotation { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Queries accepted per second from one address (25); more are dropped.</summary>
    public double MaxQueriesPerSecondPerAddress { get; init; } = 25;

    /// <summary>Burst allowance of the per-address rate limit (50 queries).</summary>
    public int QueryBurstPerAddress { get; init; } = 50;

    /// <summary>Addresses tracked by the rate limiter (10,000); beyond it queries from new addresses are dropped.</summary>
    public int MaxRateLimitedAddresses { get; init; } = 10_000;

    /// <summary>Announced peers kept per info-hash (200).</summary>
    public int MaxPeersPerInfoHash { get; init; } = 200;

    /// <summary>
    /// Announced peers kept per IP address and info-hash (1, as libtorrent): a further announcement from the same
    /// address with another port replaces the oldest, so one host cannot fill an info-hash's list by varying ports. Loopback addresses are not capped: they are
    /// clients on this machine.
    /// </summary>
    public int MaxPeersPerAddressPerInfoHash { get; init; } = 1;

    /// <summary>Announced peers kept in total (10,000).</summary>
    public int MaxPeers { get; init; } = 10_000;

    /// <summary>How long an announcement is kept (30 minutes).</summary>
    public TimeSpan PeerLifetime { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Peers returned in one get_peers response (50: fits one datagram).</summary>
    public int MaxPeersPerResponse { get; init; } = 50;

    /// <summary>BEP 44 items kept for others (1,000).</summary>
    public int MaxItems { get; init; } = 1000;

    /// <summary>How long a BEP 44 item is kept without a new put (2 hours).</summary>
    public TimeSpan ItemLifetime { get; init; } = TimeSpan.FromHours(2);

    /// <summary>BEP 42: keep out of the routing table nodes whose id does not match their address (false: only counted).</summary>
    public bool EnforceSecureNodeIds { get; init; }

    /// <summary>BEP 43 read-only: we query but ask others not to add us to their tables, and answer no queries.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// Whether awaiters of this node's tasks resume on the thread pool (true, the safe default). Set false only
    /// when a single-threaded scheduler drives everything, as <see cref="Simulation.SimulatedNetwork"/> does.
    /// </summary>
    public bool RunContinuationsAsynchronously { get; init; } = true;

    /// <summary>Clock for timeouts, expiry and maintenance.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Source of randomness for transaction ids and refresh targets; null for a shared one. Seed it for determinism.</summary>
    public Random? Random { get; init; }

    /// <summary>Logging; null for none.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BucketSize, 1, nameof(BucketSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(Alpha, 1, nameof(Alpha));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(QueryTimeout, TimeSpan.Zero, nameof(QueryTimeout));
        ArgumentOutOfRangeException.ThrowIfNegative(QueryRetries, nameof(QueryRetries));
        ArgumentOutOfRangeException.ThrowIfNegative(LookupRetries, nameof(LookupRetries));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueriesPerLookup, 1, nameof(MaxQueriesPerLookup));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingQueries, 1, nameof(MaxPendingQueries));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxPendingQueries, 65_000, nameof(MaxPendingQueries));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxNodeFailures, 1, nameof(MaxNodeFailures));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaintenanceInterval, TimeSpan.Zero, nameof(MaintenanceInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TokenRotation, TimeSpan.Zero, nameof(TokenRotation));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPeersPerInfoHash, 1, nameof(MaxPeersPerInfoHash));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPeersPerAddressPerInfoHash, 1, nameof(MaxPeersPerAddressPerInfoHash));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPeers, 1, nameof(MaxPeers));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPeersPerResponse, 1, nameof(MaxPeersPerResponse));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxPeersPerResponse, 100, nameof(MaxPeersPerResponse));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxItems, 1, nameof(MaxItems));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRateLimitedAddresses, 1, nameof(MaxRateLimitedAddresses));
        ArgumentOutOfRangeException.ThrowIfLessThan(QueryBurstPerAddress, 1, nameof(QueryBurstPerAddress));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(BootstrapNodes, nameof(BootstrapNodes));
    }
}
