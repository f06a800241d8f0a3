using System.Net;
using Microsoft.Extensions.Time.Testing;
using WebTorrent.Bootstrap.Swarms;

namespace WebTorrent.Bootstrap.Tests;

public sealed class SwarmTests
{
    private sealed class Sink : ISignalingEndpoint
    {
        public bool TrySend(OutgoingMessage message)
        {
            message.Return();
            return true;
        }
    }

    private static Id20 Id(int n)
    {
        var bytes = new byte[20];
        BitConverter.TryWriteBytes(bytes, n);
        return new Id20(bytes);
    }

    [Fact]
    public void Counts_follow_started_completed_and_stopped()
    {
        var swarm = new Swarm(Id(0), 100);
        var peers = new PeerEntry?[10];
        swarm.AnnounceEndpoint(Id(1), IPAddress.Loopback, 1, AnnounceEvent.Started, complete: true, 0, peers, out _);
        var counts = swarm.AnnounceEndpoint(Id(2), IPAddress.Loopback, 2, AnnounceEvent.Started, complete: false, 0, peers, out var n);
        Assert.Equal((1, 1), (counts.Complete, counts.Incomplete));
        Assert.Equal(1, n);
        Assert.Equal(Id(1), peers[0]!.PeerId);
        counts = swarm.AnnounceEndpoint(Id(2), IPAddress.Loopback, 2, AnnounceEvent.Completed, null, 0, peers, out _);
        Assert.Equal(new SwarmCounts(2, 0, 1), counts);
        counts = swarm.AnnounceEndpoint(Id(2), IPAddress.Loopback, 2, AnnounceEvent.Stopped, null, 0, peers, out _);
        Assert.Equal(new SwarmCounts(1, 0, 1), counts);
    }

    [Fact]
    public void Full_swarm_evicts_the_least_recently_seen_peer()
    {
        var swarm = new Swarm(Id(0), 3);
        var sink = new Sink();
        for (var i = 1; i <= 3; i++) swarm.AnnounceWebSocket(Id(i), sink, AnnounceEvent.Started, false, i, out _);
        swarm.AnnounceWebSocket(Id(1), sink, AnnounceEvent.None, false, 10, out _); // 1 is fresh again; 2 is now the oldest
        swarm.AnnounceWebSocket(Id(4), sink, AnnounceEvent.Started, false, 11, out _);
        Assert.Equal(3, swarm.WebSocketPeerCount);
        Assert.Null(swarm.FindWebSocketPeer(Id(2)));
        Assert.NotNull(swarm.FindWebSocketPeer(Id(1)));
        Assert.Equal(3, swarm.Counts.Incomplete);
    }

    [Fact]
    public void Closest_picks_are_the_xor_nearest_in_order()
    {
        var random = new Random(7);
        var sink = new Sink();
        for (var round = 0; round < 200; round++)
        {
            var swarm = new Swarm(Id(0), 1000);
            var ids = new List<Id20>();
            var bytes = new byte[20];
            var count = random.Next(0, 40);
            for (var i = 0; i < count; i++)
            {
                random.NextBytes(bytes);
                if (i % 5 == 1) bytes.AsSpan(0, 19).Clear(); // shared long prefixes: the later fields decide
                ids.Add(new Id20(bytes));
                swarm.AnnounceWebSocket(ids[^1], sink, AnnounceEvent.Started, false, 0, out _);
            }
            random.NextBytes(bytes);
            if (round % 3 == 0) bytes.AsSpan(0, 18).Clear();
            var target = new Id20(bytes);
            var picks = new PeerEntry?[random.Next(1, 6)];
            var picked = swarm.PickClosestWebSocketPeers(target, picks);

            var expected = ids.Distinct().OrderBy(id => Distance(id, target), Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y)))
                .Take(picks.Length).ToList();
            Assert.Equal(expected, picks.Take(picked).Select(p => p!.PeerId).ToList());
        }

        static byte[] Distance(Id20 id, Id20 target)
        {
            var a = new byte[20];
            var b = new byte[20];
            id.CopyTo(a);
            target.CopyTo(b);
            for (var i = 0; i < 20; i++) a[i] ^= b[i];
            return a;
        }
    }

    [Fact]
    public void Random_picks_are_distinct_and_exclude_the_asker()
    {
        var swarm = new Swarm(Id(0), 1000);
        var sink = new Sink();
        for (var i = 1; i <= 50; i++) swarm.AnnounceWebSocket(Id(i), sink, AnnounceEvent.Started, false, 0, out _);
        var picked = new PeerEntry?[10];
        for (var round = 0; round < 100; round++)
        {
            var n = swarm.PickWebSocketPeers(Id(7), picked);
            Assert.Equal(10, n);
            Assert.DoesNotContain(picked, p => p!.PeerId == Id(7));
            Assert.Equal(10, picked.Select(p => p!.PeerId).Distinct().Count());
        }
    }

    [Fact]
    public void Registry_expires_peers_after_the_ttl_and_drops_empty_swarms()
    {
        var time = new FakeTimeProvider();
        var options = new WebTorrentTrackerOptions { TimeProvider = time, PeerTimeToLive = TimeSpan.FromMinutes(20), SweepInterval = TimeSpan.FromMinutes(1), MaxSwarms = 2 };
        using var registry = new SwarmRegistry(options);
        var swarm = registry.GetOrCreate(Id(1))!;
        swarm.AnnounceWebSocket(Id(10), new Sink(), AnnounceEvent.Started, false, time.GetTimestamp(), out _);
        Assert.NotNull(registry.GetOrCreate(Id(2)));
        Assert.Null(registry.GetOrCreate(Id(3))); // MaxSwarms

        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(1, swarm.WebSocketPeerCount);
        Assert.False(registry.TryGet(Id(2), out _)); // empty swarm swept by the timer
        time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(0, swarm.WebSocketPeerCount);
        Assert.Equal(0, registry.Count);
    }
}
