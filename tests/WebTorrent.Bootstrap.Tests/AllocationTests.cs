using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;
using WebTorrent.Bootstrap.Swarms;
using WebTorrent.Bootstrap.WebSockets;

namespace WebTorrent.Bootstrap.Tests;

/// <summary>The per-announce paths allocate nothing once the peers are known (steady state).</summary>
public sealed class AllocationTests
{
    private const int Peers = 40;
    private const int Rounds = 50;

    private static string Percent(byte[] id) => string.Concat(id.Select(b => $"%{b:x2}"));

    private static byte[] Id(int n, byte kind) => Enumerable.Range(0, 20).Select(i => (byte)(kind + n + i)).ToArray();

    [Fact]
    public void Http_announce_allocates_nothing_in_steady_state()
    {
        using var tracker = new WebTorrentTracker(Options.Create(new WebTorrentTrackerOptions()));
        var queries = Enumerable.Range(0, Peers)
            .Select(i => $"?info_hash={Percent(Id(i % 3, 1))}&peer_id={Percent(Id(i, 100))}&port={1000 + i}&left={i % 2}&compact=1&numwant=50")
            .ToArray();
        var output = new ArrayBufferWriter<byte>(4096);
        var address = IPAddress.Parse("10.1.2.3");
        long Run()
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var round = 0; round < Rounds; round++)
            {
                foreach (var query in queries)
                {
                    output.ResetWrittenCount();
                    tracker.HttpAnnounce(query, address, output);
                }
            }
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Run(); // peers join, pools and caches fill
        Assert.Equal(0, Run());
        Assert.StartsWith("d8:completei", Encoding.ASCII.GetString(output.WrittenSpan), StringComparison.Ordinal);
    }

    [Fact]
    public void Udp_announce_allocates_nothing_in_steady_state()
    {
        using var tracker = new WebTorrentTracker(Options.Create(new WebTorrentTrackerOptions()));
        var source = new IPEndPoint(IPAddress.Parse("10.1.2.3"), 6881).Serialize();
        var response = new byte[1500];
        var connect = new byte[16];
        BinaryPrimitives.WriteInt64BigEndian(connect, WebTorrentTracker.UdpProtocolId);
        Assert.Equal(16, tracker.HandleUdp(connect, source, response));
        var connectionId = BinaryPrimitives.ReadInt64BigEndian(response.AsSpan(8));
        var announces = Enumerable.Range(0, Peers).Select(i =>
        {
            var a = new byte[98];
            BinaryPrimitives.WriteInt64BigEndian(a, connectionId);
            BinaryPrimitives.WriteInt32BigEndian(a.AsSpan(8), 1);
            Id(i % 3, 1).CopyTo(a, 16);
            Id(i, 100).CopyTo(a, 36);
            BinaryPrimitives.WriteInt32BigEndian(a.AsSpan(92), 50);
            BinaryPrimitives.WriteUInt16BigEndian(a.AsSpan(96), (ushort)(1000 + i));
            return a;
        }).ToArray();
        var length = 0;
        long Run()
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var round = 0; round < Rounds; round++)
            {
                foreach (var announce in announces) length = tracker.HandleUdp(announce, source, response);
            }
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Run();
        Assert.Equal(0, Run());
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(response));
        Assert.Equal(20 + (6 * 13), length); // 13 other peers of the same swarm, IPv4 compact
        Assert.Equal(new byte[] { 10, 1, 2, 3 }, response[20..24]);
    }

    private sealed class CountingPeer(WebTorrentTracker tracker) : TrackerPeer(tracker)
    {
        public int Sent;

        public override bool TrySend(OutgoingMessage message)
        {
            message.Return();
            Sent++;
            return true;
        }

        public override bool TrySend(ReadOnlySpan<byte> message)
        {
            Sent++;
            return true;
        }

        public override void Abort()
        {
        }
    }

    [Fact]
    public void WebSocket_announce_allocates_nothing_in_steady_state()
    {
        var options = new WebTorrentTrackerOptions { MessagesPerSecond = 1e9, MessageBurst = 1_000_000 };
        using var tracker = new WebTorrentTracker(Options.Create(options));
        var peers = Enumerable.Range(0, Peers).Select(_ => new CountingPeer(tracker)).ToArray();
        var messages = Enumerable.Range(0, Peers).Select(i => Encoding.UTF8.GetBytes(
            $"{{\"action\":\"announce\",\"info_hash\":\"{Encoding.Latin1.GetString(Id(i % 3, 65))}\",\"peer_id\":\"{Encoding.Latin1.GetString(Id(i, 93))}\",\"numwant\":0,\"uploaded\":0,\"downloaded\":0,\"left\":0,\"event\":\"started\"}}")).ToArray();
        long Run()
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var round = 0; round < Rounds; round++)
            {
                for (var i = 0; i < Peers; i++) Assert.True(tracker.HandleWebSocketMessage(peers[i], messages[i]));
            }
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Run();
        Assert.Equal(0, Run());
        Assert.All(peers, p => Assert.Equal(2 * Rounds, p.Sent));
        Assert.Equal(Peers, tracker.GetStats().WebSocketPeers);
    }
}
