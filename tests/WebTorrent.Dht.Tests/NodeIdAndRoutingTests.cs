using System.Net;
using Microsoft.Extensions.Time.Testing;
using WebTorrent.Dht.Routing;

namespace WebTorrent.Dht.Tests;

public class NodeIdAndRoutingTests
{
    private static IPEndPoint Ep(int i) => new(new IPAddress(new byte[] { 10, (byte)(i >> 16), (byte)(i >> 8), (byte)i }), 6881);

    [Fact]
    public void NodeId_distance_and_prefix()
    {
        var a = NodeId.Parse("8000000000000000000000000000000000000000");
        var b = NodeId.Parse("c000000000000000000000000000000000000001");
        Assert.Equal(1, a.CommonPrefixLength(b));
        Assert.Equal(160, a.CommonPrefixLength(a));
        Assert.Equal(NodeId.Parse("4000000000000000000000000000000000000001"), a.Xor(b));
        var zero = default(NodeId);
        Assert.True(zero.CompareDistance(a, b) < 0);
        Assert.Equal("c000000000000000000000000000000000000001", b.ToString());
        Assert.Equal(b, new NodeId(b.ToArray()));
        Assert.True(b.GetBit(0) && b.GetBit(1) && !b.GetBit(2) && b.GetBit(159));
        Assert.Throws<ArgumentException>(() => new NodeId(new byte[19]));
    }

    [Fact]
    public void Table_splits_around_our_id_and_bounds_buckets()
    {
        var random = new Random(1);
        var local = NodeId.CreateRandom(random);
        var table = new RoutingTable(local, 8, new FakeTimeProvider());
        for (var i = 0; i < 2000; i++) table.TryAdd(NodeId.CreateRandom(random), Ep(i), responded: true, out _);
        Assert.InRange(table.Count, 60, 8 * 20);
        Assert.True(table.BucketCount > 5);
        // Every bucket but the deepest holds the nodes sharing exactly its index of leading bits with us.
        foreach (var group in table.Nodes.GroupBy(n => Math.Min(local.CommonPrefixLength(n.Id), table.BucketCount - 1)))
            Assert.True(group.Count() <= 8);
    }

    [Fact]
    public void FindClosest_matches_brute_force()
    {
        var random = new Random(2);
        var table = new RoutingTable(NodeId.CreateRandom(random), 8, new FakeTimeProvider());
        for (var i = 0; i < 3000; i++) table.TryAdd(NodeId.CreateRandom(random), Ep(i), true, out _);
        for (var trial = 0; trial < 50; trial++)
        {
            var target = NodeId.CreateRandom(random);
            var expected = table.Nodes.OrderBy(n => n.Id.Xor(target)).Take(8).Select(n => n.Id).ToList();
            Assert.Equal(expected, table.FindClosest(target, 8).Select(n => n.Id).ToList());
        }
    }

    [Fact]
    public void Full_bucket_caches_newcomers_and_bad_nodes_make_room()
    {
        var time = new FakeTimeProvider();
        var local = NodeId.Parse("0000000000000000000000000000000000000000");
        var table = new RoutingTable(local, 2, time, TimeSpan.FromMinutes(15), maxFailures: 2);
        // Ids in the far half (first bit set): that bucket never splits once our own half exists.
        var far = Enumerable.Range(1, 4).Select(i => NodeId.Parse($"f{i:x39}")).ToArray();
        table.TryAdd(NodeId.Parse("0000000000000000000000000000000000000001"), Ep(100), true, out _);
        Assert.Equal(RoutingAddResult.Added, table.TryAdd(far[0], Ep(0), true, out _));
        Assert.Equal(RoutingAddResult.Added, table.TryAdd(far[1], Ep(1), true, out _));
        Assert.Equal(RoutingAddResult.Cached, table.TryAdd(far[2], Ep(2), true, out var ping));
        Assert.Null(ping); // all good: nothing to ping
        time.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal(NodeStatus.Questionable, table.StatusOf(table.Find(far[0])!));
        Assert.Equal(RoutingAddResult.Cached, table.TryAdd(far[3], Ep(3), true, out ping));
        Assert.NotNull(ping);
        Assert.False(table.MarkFailed(ping!.Id));
        Assert.True(table.MarkFailed(ping.Id));
        Assert.Null(table.Find(ping.Id));
        Assert.NotNull(table.Find(far[3])); // the freshest cached node took its place
        Assert.Equal(RoutingAddResult.Rejected, table.TryAdd(local, Ep(9), true, out _));
    }

    [Fact]
    public void Known_good_id_from_another_address_is_rejected()
    {
        var table = new RoutingTable(NodeId.CreateRandom(new Random(3)), 8, new FakeTimeProvider());
        var id = NodeId.CreateRandom(new Random(4));
        table.TryAdd(id, Ep(1), true, out _);
        Assert.Equal(RoutingAddResult.Rejected, table.TryAdd(id, Ep(2), false, out _));
        Assert.Equal(Ep(1), table.Find(id)!.EndPoint);
    }

    [Fact]
    public void Stale_buckets_yield_targets_inside_them()
    {
        var time = new FakeTimeProvider();
        var random = new Random(5);
        var local = NodeId.CreateRandom(random);
        var table = new RoutingTable(local, 8, time);
        for (var i = 0; i < 500; i++) table.TryAdd(NodeId.CreateRandom(random), Ep(i), true, out _);
        Assert.Empty(table.TakeStaleBucketTargets(TimeSpan.FromMinutes(15), random));
        time.Advance(TimeSpan.FromMinutes(16));
        var targets = table.TakeStaleBucketTargets(TimeSpan.FromMinutes(15), random);
        Assert.Equal(table.BucketCount, targets.Count);
        for (var i = 0; i < targets.Count - 1; i++) Assert.Equal(i, local.CommonPrefixLength(targets[i]));
    }
}
