using System.Net;
using WebTorrent.Dht;
using WebTorrent.Dht.Transport;

namespace WebTorrent.Bootstrap.Tests;

/// <summary>The server's optional DHT bootstrap node (<see cref="WebTorrentTrackerOptions.DhtPort"/>) with our DhtNode as client.</summary>
public sealed class DhtBootstrapNodeTests
{
    [Fact]
    public async Task Dht_nodes_bootstrap_from_the_server_and_learn_of_each_other()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        await using var server = await TestTrackerHost.StartAsync(fastPath: true, o =>
        {
            o.DhtPort = 0;
            o.UdpAddress = IPAddress.Loopback;
        });
        var router = server.Tracker.DhtEndPoint;
        Assert.NotNull(router);
        Assert.NotEqual(0, router.Port);

        var nodes = new List<DhtNode>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var node = new DhtNode(UdpDhtTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)), new DhtNodeOptions { BootstrapNodes = [router] });
                nodes.Add(node);
                await node.StartAsync(ct);
            }
            // The first node found only the router; the second learns of the first from it.
            Assert.Contains(nodes[0].GetNodes(), n => n.Id == server.Tracker.DhtNode!.Id);
            Assert.Contains(nodes[1].GetNodes(), n => n.Id == nodes[0].Id);
            Assert.True(server.Tracker.DhtNode!.NodeCount >= 2, $"the router knows {server.Tracker.DhtNode.NodeCount} nodes");
            var found = await nodes[1].FindNodeAsync(nodes[0].Id, ct);
            Assert.Equal(nodes[0].Id, found[0].Id);
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task No_dht_port_runs_no_dht_node()
    {
        await using var server = await TestTrackerHost.StartAsync(fastPath: false);
        Assert.Null(server.Tracker.DhtNode);
        Assert.Null(server.Tracker.DhtEndPoint);
    }
}
