using System.Diagnostics;
using System.Net;
using WebTorrent.Dht;
using WebTorrent.Dht.Simulation;

namespace WebTorrent.Dht.Simulations;

/// <summary>Parameters of one simulated DHT run.</summary>
internal sealed record SimulationSettings
{
    public int Nodes { get; init; } = 1000;
    public double Loss { get; init; } = 0.10;
    /// <summary>Fraction of the network that leaves (and is replaced by newcomers) during the lookup phase.</summary>
    public double Churn { get; init; } = 0.10;
    public int InfoHashes { get; init; } = 50;
    public int Lookups { get; init; } = 500;
    public int Seed { get; init; } = 42;
    /// <summary>Resends of a timed-out lookup query (<see cref="DhtNodeOptions.LookupRetries"/>).</summary>
    public int LookupRetries { get; init; } = 1;
    /// <summary>Virtual time over which nodes join.</summary>
    public TimeSpan JoinPeriod { get; init; } = TimeSpan.FromMinutes(10);
    public TimeSpan SettlePeriod { get; init; } = TimeSpan.FromMinutes(5);
    public TimeSpan LookupPeriod { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>What one run measured.</summary>
internal sealed record SimulationReport(
    int Nodes, double Loss, double Churn, int Lookups, int Succeeded, double QueriesPerLookup, double MeanRounds, int MaxRounds,
    double MedianRounds, double AnnounceAcks, long MemoryPerNodeBytes, double MeanTableSize, TimeSpan Wall, TimeSpan Virtual, long Datagrams)
{
    public double SuccessRate => Lookups == 0 ? 0 : (double)Succeeded / Lookups;
}

/// <summary>
/// Builds a network of DHT nodes on a <see cref="SimulatedNetwork"/> (no sockets) and measures get_peers lookups:
/// nodes join one by one through the router (node 0) and a random earlier node, settle, announce info-hashes, then random nodes look them
/// up while part of the network leaves and newcomers join (churn), with datagram loss throughout.
/// </summary>
internal static class SimulationRunner
{
    public static SimulationReport Run(SimulationSettings settings, Action<string>? log = null)
    {
        var wall = Stopwatch.StartNew();
        var random = new Random(settings.Seed);
        var scheduler = new DiscreteEventScheduler();
        var network = new SimulatedNetwork(scheduler, new SimulatedNetworkConditions { Loss = settings.Loss }, settings.Seed);
        var nodes = new List<DhtNode?>();
        var live = new List<int>();

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var memoryBefore = GC.GetTotalMemory(true);

        // Node 0 plays the public router (router.bittorrent.com): every newcomer bootstraps through it and one
        // random node already in, as real clients do; a router keeps the network one connected component.
        DhtNode CreateNode(EndPoint? bootstrap)
        {
            var index = nodes.Count;
            var node = new DhtNode(network.CreateTransport(), new DhtNodeOptions
            {
                NodeId = NodeId.CreateRandom(random),
                TimeProvider = scheduler,
                RunContinuationsAsynchronously = false,
                Random = new Random(random.Next()),
                BootstrapNodes = bootstrap is null ? [] : nodes.Count > 0 && nodes[0] is { } router ? [router.LocalEndPoint, bootstrap] : [bootstrap],
                LookupRetries = settings.LookupRetries,
            });
            nodes.Add(node);
            live.Add(index);
            return node;
        }

        // Join: the first node alone, then each newcomer through a random node already in.
        var first = CreateNode(null);
        _ = first.StartAsync(CancellationToken.None);
        var joinGap = settings.JoinPeriod / Math.Max(1, settings.Nodes);
        var joins = new List<Task>();
        for (var i = 1; i < settings.Nodes; i++)
        {
            var via = nodes[live[random.Next(live.Count)]]!.LocalEndPoint;
            var node = CreateNode(via);
            scheduler.Schedule(joinGap * i, () => joins.Add(node.StartAsync(CancellationToken.None)));
        }
        scheduler.RunFor(settings.JoinPeriod + TimeSpan.FromSeconds(30));
        scheduler.RunFor(settings.SettlePeriod);
        log?.Invoke($"  joined {settings.Nodes} nodes in {wall.Elapsed.TotalSeconds:F1} s wall, {scheduler.EventsRun:N0} events");

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var memoryPerNode = (GC.GetTotalMemory(true) - memoryBefore) / settings.Nodes;
        var meanTable = live.Average(i => (double)nodes[i]!.NodeCount);

        // Announce: each info-hash by one random node, at its own address (port 6881).
        var announcements = new List<(NodeId InfoHash, IPEndPoint Peer, Task<DhtLookupResult> Task)>();
        for (var i = 0; i < settings.InfoHashes; i++)
        {
            var infoHash = NodeId.CreateRandom(random);
            var announcer = nodes[live[random.Next(live.Count)]]!;
            var peer = (IPEndPoint)announcer.LocalEndPoint;
            announcements.Add((infoHash, peer, announcer.AnnounceAsync(infoHash, peer.Port, CancellationToken.None)));
        }
        scheduler.RunUntil(() => announcements.All(a => a.Task.IsCompleted), TimeSpan.FromMinutes(5));
        var announceAcks = announcements.Average(a => a.Task.IsCompletedSuccessfully ? a.Task.Result.AnnouncedTo : 0);

        // Lookups with churn: departures and arrivals spread over the lookup period.
        var churnCount = (int)(settings.Nodes * settings.Churn);
        for (var i = 0; i < churnCount; i++)
        {
            var at = settings.LookupPeriod * random.NextDouble();
            scheduler.Schedule(at, () =>
            {
                // Leave: a random node, never one that announced (its peer entry must stay meaningful).
                var slot = random.Next(live.Count);
                var index = live[slot];
                if (index == 0 || announcements.Any(a => a.Peer.Equals(nodes[index]!.LocalEndPoint))) return;
                live[slot] = live[^1];
                live.RemoveAt(live.Count - 1);
                nodes[index]!.DisposeAsync().AsTask().Wait();
                nodes[index] = null;
            });
            scheduler.Schedule(settings.LookupPeriod * random.NextDouble(), () =>
            {
                var via = nodes[live[random.Next(live.Count)]]!.LocalEndPoint;
                var node = CreateNode(via);
                _ = node.StartAsync(CancellationToken.None);
            });
        }
        var lookups = new List<(Task<DhtLookupResult> Task, IPEndPoint Expected)>();
        for (var i = 0; i < settings.Lookups; i++)
        {
            var target = announcements[random.Next(announcements.Count)];
            scheduler.Schedule(settings.LookupPeriod * random.NextDouble(), () =>
            {
                var searcher = nodes[live[random.Next(live.Count)]]!;
                lookups.Add((searcher.GetPeersAsync(target.InfoHash, 0, CancellationToken.None), target.Peer));
            });
        }
        scheduler.RunFor(settings.LookupPeriod);
        scheduler.RunUntil(() => lookups.All(l => l.Task.IsCompleted), TimeSpan.FromMinutes(5));

        var succeeded = 0;
        var queries = new List<int>();
        var rounds = new List<int>();
        foreach (var (task, expected) in lookups)
        {
            if (!task.IsCompletedSuccessfully) continue;
            var result = task.Result;
            queries.Add(result.QueriesSent);
            rounds.Add(result.Rounds);
            if (result.Peers.Contains(expected)) succeeded++;
        }
        rounds.Sort();
        var report = new SimulationReport(settings.Nodes, settings.Loss, settings.Churn, lookups.Count, succeeded,
            queries.Count == 0 ? 0 : queries.Average(), rounds.Count == 0 ? 0 : rounds.Average(), rounds.Count == 0 ? 0 : rounds[^1],
            rounds.Count == 0 ? 0 : rounds[rounds.Count / 2], announceAcks, memoryPerNode, meanTable, wall.Elapsed, scheduler.Elapsed, network.Sent);
        foreach (var node in nodes) node?.DisposeAsync().AsTask().Wait();
        return report;
    }
}
