using System.Buffers;
using System.Net;
using System.Text;
using WebTorrent.Dht.Krpc;
using WebTorrent.Dht.Simulation;
using WebTorrent.Dht.Storage;
using WebTorrent.Dht.Transport;

namespace WebTorrent.Dht.Tests;

/// <summary>Nodes on the in-memory network: every behaviour runs on the virtual clock, deterministic and fast.</summary>
public class NodeTests
{
    private sealed class Net
    {
        public DiscreteEventScheduler Scheduler { get; } = new();
        public SimulatedNetwork Network { get; }
        public List<DhtNode> Nodes { get; } = [];
        private readonly Random _random;

        public Net(int count, double loss = 0, int seed = 1)
        {
            _random = new Random(seed);
            Network = new SimulatedNetwork(Scheduler, new SimulatedNetworkConditions { Loss = loss }, seed);
            for (var i = 0; i < count; i++) Add(i == 0 ? null : Nodes[_random.Next(Nodes.Count)].LocalEndPoint);
            Scheduler.RunFor(TimeSpan.FromMinutes(2));
        }

        public DhtNode Add(EndPoint? bootstrap, DhtNodeOptions? options = null)
        {
            var node = Create(Network.CreateTransport(), bootstrap, options);
            Nodes.Add(node);
            _ = node.StartAsync();
            Scheduler.RunFor(TimeSpan.FromMilliseconds(300));
            return node;
        }

        public DhtNode Create(IDhtTransport transport, EndPoint? bootstrap, DhtNodeOptions? options = null) =>
            new(transport, (options ?? new DhtNodeOptions()) with
            {
                NodeId = options?.NodeId ?? options?.State?.Id ?? NodeId.CreateRandom(_random),
                TimeProvider = Scheduler,
                RunContinuationsAsynchronously = false,
                Random = new Random(_random.Next()),
                BootstrapNodes = bootstrap is null ? [] : [bootstrap],
            });

        public T Run<T>(Task<T> task)
        {
            Assert.True(Scheduler.RunUntil(() => task.IsCompleted, TimeSpan.FromMinutes(5)), "the task did not finish in 5 virtual minutes");
            return task.Result;
        }
    }

    // The scheduler runs everything on the calling thread: keep xunit's synchronization context out of it.
    private static Task OnPool(Action test) => Task.Run(test);

    [Fact]
    public Task Announce_then_get_peers_across_the_network() => OnPool(() =>
    {
        var net = new Net(60);
        Assert.All(net.Nodes, n => Assert.True(n.NodeCount >= 8, $"table of {n.NodeCount}"));
        var infoHash = NodeId.CreateRandom(new Random(9));
        var announced = net.Run(net.Nodes[5].AnnounceAsync(infoHash, 51413));
        Assert.InRange(announced.AnnouncedTo, 6, 8);
        var discovered = new List<DhtPeerEventArgs>();
        net.Nodes[40].PeerDiscovered += (_, e) => discovered.Add(e);
        var found = net.Run(net.Nodes[40].GetPeersAsync(infoHash));
        var expected = new IPEndPoint(((IPEndPoint)net.Nodes[5].LocalEndPoint).Address, 51413);
        Assert.Contains(expected, found.Peers);
        Assert.Contains(discovered, e => e.Peer.Equals(expected) && e.InfoHash == infoHash);
        Assert.True(found.Rounds >= 1);
        Assert.Equal(8, found.ClosestNodes.Count);
        // The closest nodes found are the true closest of the network.
        var truth = net.Nodes.Select(n => n.Id).Where(id => id != net.Nodes[40].Id).OrderBy(id => id.Xor(infoHash)).Take(8).ToHashSet();
        Assert.True(found.ClosestNodes.Count(n => truth.Contains(n.Id)) >= 7);
        // Early termination stops at the first peer.
        var early = net.Run(net.Nodes[41].GetPeersAsync(infoHash, stopAfterPeers: 1));
        Assert.Contains(expected, early.Peers);
        Assert.True(early.QueriesSent <= found.QueriesSent + 3);
    });

    [Fact]
    public Task Implied_port_uses_the_source_port_and_scrape_counts_it() => OnPool(() =>
    {
        var net = new Net(30, seed: 2);
        var infoHash = NodeId.CreateRandom(new Random(3));
        net.Run(net.Nodes[2].AnnounceAsync(infoHash, 0));
        var found = net.Run(net.Nodes[20].GetPeersAsync(infoHash));
        Assert.Contains((IPEndPoint)net.Nodes[2].LocalEndPoint, found.Peers);
        var scrape = net.Run(net.Nodes[21].ScrapeAsync(infoHash));
        Assert.Equal(1, scrape.Peers);
        Assert.Equal(0, scrape.Seeds);
        Assert.True(scrape.Responses >= 1);
    });

    [Fact]
    public Task Immutable_and_mutable_items_are_stored_and_found() => OnPool(() =>
    {
        var net = new Net(40, seed: 4);
        var (target, storedAt) = net.Run(net.Nodes[1].PutImmutableAsync("12:Hello World!"u8.ToArray()));
        Assert.Equal(NodeId.Parse("e5f96f6f38320f0f33959cb4d3d656452117aadb"), target);
        Assert.True(storedAt >= 6);
        Assert.Equal("12:Hello World!"u8.ToArray(), net.Run(net.Nodes[30].GetImmutableAsync(target)));
        Assert.Null(net.Run(net.Nodes[30].GetImmutableAsync(NodeId.CreateRandom(new Random(1)))));

        var key = DhtMutableItem.CreatePrivateKey();
        var v1 = DhtMutableItem.Create(key, "2:v1"u8, 1, "s"u8);
        Assert.True(net.Run(net.Nodes[2].PutMutableAsync(v1)) >= 6);
        var v2 = DhtMutableItem.Create(key, "2:v2"u8, 2, "s"u8);
        Assert.True(net.Run(net.Nodes[3].PutMutableAsync(v2, compareAndSwap: 1)) >= 6);
        // An older sequence number is refused (error 302) by every node holding v2; a node v2 never reached may
        // take it, but readers keep the highest verified sequence.
        Assert.True(net.Run(net.Nodes[4].PutMutableAsync(v1)) <= 2);
        var got = net.Run(net.Nodes[35].GetMutableAsync(v2.PublicKey, "s"u8.ToArray()));
        Assert.NotNull(got);
        Assert.Equal(2, got!.Sequence);
        Assert.Equal("2:v2"u8.ToArray(), got.Value);
        Assert.Null(net.Run(net.Nodes[35].GetMutableAsync(v2.PublicKey, "other"u8.ToArray())));
    });

    [Fact]
    public Task Saved_state_rejoins_without_bootstrap_nodes() => OnPool(() =>
    {
        var net = new Net(40, seed: 5);
        var state = DhtNodeState.Parse(net.Nodes[7].SaveState().ToBencode());
        Assert.True(state.Nodes.Count >= 8);
        var restarted = net.Create(net.Network.CreateTransport(), bootstrap: null, new DhtNodeOptions { State = state });
        Assert.Equal(net.Nodes[7].Id, restarted.Id);
        net.Run(restarted.StartAsync().ContinueWith(_ => 0, TaskContinuationOptions.ExecuteSynchronously));
        net.Scheduler.RunFor(TimeSpan.FromSeconds(10));
        Assert.True(restarted.NodeCount >= 8);
    });

    [Fact]
    public Task Hostile_datagrams_get_errors_or_are_dropped() => OnPool(() =>
    {
        var net = new Net(5, seed: 6);
        var victim = net.Nodes[0];
        var attackerTransport = net.Network.CreateTransport();
        var replies = new List<byte[]>();
        attackerTransport.Start((data, _) => replies.Add(data.ToArray()));
        var random = new Random(77);
        void Send(ReadOnlySpan<byte> bytes) => attackerTransport.SendAsync(bytes.ToArray(), victim.LocalEndPoint, default).AsTask().Wait();
        for (var i = 0; i < 500; i++)
        {
            var junk = new byte[random.Next(1, 300)];
            random.NextBytes(junk);
            Send(junk);
        }
        net.Scheduler.RunFor(TimeSpan.FromSeconds(5));
        Assert.Empty(replies);

        byte[] Query(Action<IBufferWriter<byte>> write)
        {
            var buffer = new ArrayBufferWriter<byte>();
            write(buffer);
            replies.Clear();
            Send(buffer.WrittenSpan);
            net.Scheduler.RunFor(TimeSpan.FromSeconds(1));
            return Assert.Single(replies);
        }
        var me = NodeId.CreateRandom(random);
        // A query without an id: error 203.
        var error = Query(o => o.Write("d1:ad6:target20:abcdefghij0123456789e1:q9:find_node1:t2:zz1:y1:qe"u8));
        Assert.True(KrpcParser.TryParse(error, out var m, out _));
        Assert.Equal(KrpcMessageType.Error, m.Type);
        Assert.Equal(203, m.ErrorCode);
        // Unknown method: 204. Bad token: 203.
        Assert.True(KrpcParser.TryParse(Query(o => o.Write(Encoding.Latin1.GetBytes($"d1:ad2:id20:{Encoding.Latin1.GetString(me.ToArray())}e1:q5:vote!1:t2:ab1:y1:qe"))), out m, out _));
        Assert.Equal(204, m.ErrorCode);
        var announce = Query(o => KrpcWriter.WriteAnnouncePeer(o, "cd"u8, me, me, 1, "badtoken"u8));
        Assert.True(KrpcParser.TryParse(announce, out m, out _));
        Assert.Equal(203, m.ErrorCode);
        Assert.Empty(victim.GetStoredPeers(me));
        // A valid ping is answered.
        Assert.True(KrpcParser.TryParse(Query(o => KrpcWriter.WritePing(o, "ef"u8, me)), out m, out _));
        Assert.Equal(KrpcMessageType.Response, m.Type);
        Assert.Equal(victim.Id, new NodeId(m.Id));
        Assert.True(victim.Statistics.Dropped >= 500);
    });

    [Fact]
    public Task Floods_from_one_address_are_rate_limited() => OnPool(() =>
    {
        var net = new Net(2, seed: 8);
        var victim = net.Nodes[0];
        var attacker = net.Network.CreateTransport();
        var replies = 0;
        attacker.Start((_, _) => replies++);
        var buffer = new ArrayBufferWriter<byte>();
        var me = NodeId.CreateRandom(new Random(1));
        for (var i = 0; i < 1000; i++)
        {
            buffer.ResetWrittenCount();
            KrpcWriter.WritePing(buffer, "aa"u8, me);
            attacker.SendAsync(buffer.WrittenSpan.ToArray(), victim.LocalEndPoint, default).AsTask().Wait();
        }
        net.Scheduler.RunFor(TimeSpan.FromSeconds(2));
        Assert.InRange(replies, 50, 60); // the burst, plus what refilled meanwhile
    });

    [Fact]
    public Task Questionable_nodes_are_pinged_and_dead_ones_replaced() => OnPool(() =>
    {
        var net = new Net(40, seed: 9);
        var watcher = net.Nodes[0];
        var before = watcher.NodeCount;
        // Half the network leaves silently; after the good window and maintenance, the watcher forgets them.
        var gone = net.Nodes.Skip(20).ToList();
        foreach (var node in gone) node.DisposeAsync().AsTask().Wait();
        net.Scheduler.RunFor(TimeSpan.FromMinutes(40));
        var goneIds = gone.Select(n => n.Id).ToHashSet();
        var remaining = watcher.GetNodes();
        Assert.True(remaining.Count(n => goneIds.Contains(n.Id)) <= 2, $"{remaining.Count(n => goneIds.Contains(n.Id))} dead nodes remain of {before}");
        Assert.True(watcher.Statistics.Timeouts > 0);
    });

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DhtNode(new SimulatedNetwork(new DiscreteEventScheduler()).CreateTransport(), new DhtNodeOptions { BucketSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DhtNode(new SimulatedNetwork(new DiscreteEventScheduler()).CreateTransport(), new DhtNodeOptions { Alpha = 0 }));
    }
}
