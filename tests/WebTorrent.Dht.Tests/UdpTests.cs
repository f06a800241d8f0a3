using System.Net;
using System.Net.Sockets;
using WebTorrent.Dht.Krpc;
using WebTorrent.Dht.Transport;

namespace WebTorrent.Dht.Tests;

/// <summary>Our nodes over real UDP sockets on 127.0.0.1.</summary>
public class UdpTests
{
    [Fact]
    public async Task Nodes_over_udp_loopback_announce_and_find_each_other()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var nodes = new List<DhtNode>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var node = new DhtNode(UdpDhtTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)), new DhtNodeOptions
                {
                    BootstrapNodes = nodes.Select(n => n.LocalEndPoint).ToList(),
                });
                nodes.Add(node);
                await node.StartAsync(ct);
            }
            Assert.True(nodes[3].NodeCount >= 3);
            var infoHash = NodeId.CreateRandom();
            var announced = await nodes[3].AnnounceAsync(infoHash, 6000, ct);
            Assert.True(announced.AnnouncedTo >= 2);
            var found = await nodes[1].GetPeersAsync(infoHash, cancellationToken: ct);
            Assert.Contains(new IPEndPoint(IPAddress.Loopback, 6000), found.Peers);
            Assert.NotNull(await nodes[0].PingAsync(nodes[2].LocalEndPoint, ct));

            // Junk and a query without an id over a real socket: an error back, the node unharmed.
            using var raw = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            await raw.SendAsync(new byte[] { 0x64, 0xff, 0x00 }, (IPEndPoint)nodes[0].LocalEndPoint, ct);
            await raw.SendAsync("d1:ad6:target20:abcdefghij0123456789e1:q9:find_node1:t2:zz1:y1:qe"u8.ToArray(), (IPEndPoint)nodes[0].LocalEndPoint, ct);
            var reply = await raw.ReceiveAsync(ct);
            Assert.True(KrpcParser.TryParse(reply.Buffer, out var message, out _));
            Assert.Equal(KrpcMessageType.Error, message.Type);
            Assert.Equal(203, message.ErrorCode);
            Assert.NotNull(await nodes[0].PingAsync(nodes[1].LocalEndPoint, ct));
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }
}
