using System.Net;
using System.Net.Sockets;
using WebTorrent.Dht.Krpc;
using WebTorrent.Dht.Transport;

namespace WebTorrent.Dht.Tests;

/// <summary>
/// Audit finding 6 (issue 18): transaction ids were sequential, and replies to queries sent to a bootstrap node named
/// by DNS were accepted from any source. Ids are now random, and a named node is resolved before it is queried, so
/// its reply must come from the resolved address.
/// </summary>
public class ReplyMatchingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Transaction_ids_are_not_sequential()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await using var node = new DhtNode(UdpDhtTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
        await node.StartAsync(cts.Token);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var ids = new List<int>();
        for (var i = 0; i < 32; i++)
        {
            _ = node.PingAsync(silent.Client.LocalEndPoint!, stop.Token);
            ids.Add(TransactionId((await silent.ReceiveAsync(cts.Token)).Buffer));
        }
        await stop.CancelAsync();
        var steps = ids.Zip(ids.Skip(1), (a, b) => (b - a) & 0xFFFF).ToList();
        Assert.True(steps.Count(step => step == 1) < 4, "ids: " + string.Join(',', ids));
        Assert.True(ids.Distinct().Count() >= 30, "ids: " + string.Join(',', ids));
    }

    [Fact]
    public async Task A_reply_to_a_named_bootstrap_node_counts_only_from_its_resolved_address()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var router = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var spoofer = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var routerPort = ((IPEndPoint)router.Client.LocalEndPoint!).Port;
        await using var node = new DhtNode(UdpDhtTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)), new DhtNodeOptions
        {
            BootstrapNodes = [new DnsEndPoint("localhost", routerPort, AddressFamily.InterNetwork)],
            QueryTimeout = TimeSpan.FromSeconds(2),
            QueryRetries = 0,
        });
        var start = node.StartAsync(cts.Token);
        var query = await router.ReceiveAsync(cts.Token);
        Assert.Equal(IPAddress.Loopback, query.RemoteEndPoint.Address);
        var t = query.Buffer.AsSpan(query.Buffer.AsSpan().IndexOf("1:t2:"u8) + 5, 2).ToArray();
        var routerId = NodeId.CreateRandom(new Random(7));
        var reply = Reply(t, routerId);

        await spoofer.SendAsync(reply, query.RemoteEndPoint, cts.Token); // right transaction id, wrong source
        await Task.Delay(200, cts.Token);
        Assert.Equal(0, node.NodeCount);

        await router.SendAsync(reply, query.RemoteEndPoint, cts.Token);
        // Keep answering the refresh lookups that follow, or the router would be dropped for not answering.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var answering = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var next = await router.ReceiveAsync(stop.Token);
                await router.SendAsync(Reply(BitConverter.GetBytes((ushort)TransactionId(next.Buffer)).Reverse().ToArray(), routerId), next.RemoteEndPoint, stop.Token);
            }
        }, stop.Token);
        await start;
        Assert.Contains(node.GetNodes(), n => n.Id == routerId);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => answering);
    }

    private static byte[] Reply(byte[] transactionId, NodeId id) =>
        [.. "d1:rd2:id20:"u8, .. id.ToArray(), .. "5:nodes0:e1:t2:"u8, .. transactionId, .. "1:y1:re"u8];

    private static int TransactionId(byte[] datagram)
    {
        var at = datagram.AsSpan().IndexOf("1:t2:"u8);
        Assert.True(at >= 0);
        return (datagram[at + 5] << 8) | datagram[at + 6];
    }
}
