using System.Net;
using System.Text.Json;
using WebTorrent.Dht;
using WebTorrent.Dht.Transport;
using WebTorrent.TestSupport;

namespace WebTorrent.Interop.Tests.Dht;

/// <summary>
/// Our DHT node joins a network of npm bittorrent-dht nodes on 127.0.0.1 (tests/interop/dht-network.mjs):
/// it finds the peer they announce, and they find the peer it announces.
/// </summary>
public sealed class BittorrentDhtInteropTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Our_node_and_bittorrent_dht_find_each_others_announcements()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        await using var network = ExternalProcess.StartNode("dht-network.mjs", "4");
        var ready = JsonDocument.Parse(await network.WaitForLineAsync(l => l.Contains("\"ready\"", StringComparison.Ordinal), Wait, ct)).RootElement;
        var ports = ready.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("port").GetInt32()).ToList();
        Assert.Equal(4, ports.Count);

        await using var node = new DhtNode(UdpDhtTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)), new DhtNodeOptions
        {
            BootstrapNodes = ports.Select(p => (EndPoint)new IPEndPoint(IPAddress.Loopback, p)).ToList(),
            QueryTimeout = TimeSpan.FromSeconds(2),
        });
        await node.StartAsync(ct);
        Assert.Equal(4, node.NodeCount);

        // They announce; we find it.
        var theirs = NodeId.CreateRandom();
        await network.WriteLineAsync(JsonSerializer.Serialize(new { cmd = "announce", node = 0, infoHash = theirs.ToString(), port = 7001 }));
        var announced = await network.WaitForLineAsync(l => l.Contains("\"announced\"", StringComparison.Ordinal), Wait, ct);
        Assert.Contains("\"error\":null", announced, StringComparison.Ordinal);
        var found = await node.GetPeersAsync(theirs, cancellationToken: ct);
        Assert.Contains(new IPEndPoint(IPAddress.Loopback, 7001), found.Peers);

        // We announce; each of them finds it.
        var ours = NodeId.CreateRandom();
        var result = await node.AnnounceAsync(ours, 7002, ct);
        Assert.True(result.AnnouncedTo >= 3, $"announced to {result.AnnouncedTo} nodes");
        for (var i = 0; i < 4; i++)
        {
            await network.WriteLineAsync(JsonSerializer.Serialize(new { cmd = "lookup", node = i, infoHash = ours.ToString() }));
            var line = await network.WaitForLineAsync(l => l.Contains("\"peers\"", StringComparison.Ordinal), Wait, ct);
            var peers = JsonDocument.Parse(line).RootElement.GetProperty("peers").EnumerateArray().Select(p => p.GetString()).ToList();
            Assert.Contains("127.0.0.1:7002", peers);
        }

        // Our node is in their routing tables (they verified it answers).
        await network.WriteLineAsync(JsonSerializer.Serialize(new { cmd = "nodes", node = 1 }));
        var nodes = await network.WaitForLineAsync(l => l.Contains("\"nodes\"", StringComparison.Ordinal) && !l.Contains("\"ready\"", StringComparison.Ordinal), Wait, ct);
        var ourPort = ((IPEndPoint)node.LocalEndPoint).Port;
        Assert.Contains($"\"port\":{ourPort}", nodes, StringComparison.Ordinal);
        Assert.Equal(0, node.Statistics.Dropped);
    }
}
