using System.Net;
using System.Net.Sockets;
using Bencode;
using WebTorrent.Tracker;

namespace WebTorrent.Tracker.Tests;

public sealed class HttpTrackerClientTests
{
    [Fact]
    public void Parses_compact_ipv4_and_ipv6_peers_with_intervals_and_tracker_id()
    {
        var response = new BencodeDictionary
        {
            ["interval"] = 900, ["min interval"] = 60, ["tracker id"] = "tid-1", ["complete"] = 3, ["incomplete"] = 4,
            ["peers"] = new byte[] { 10, 0, 0, 1, 0x1A, 0xE1, 127, 0, 0, 1, 0, 0 /* port 0 ignored */ },
            ["peers6"] = (byte[])[.. IPAddress.IPv6Loopback.GetAddressBytes(), 0x1A, 0xE2],
            ["warning message"] = "be nice",
        };
        var parsed = HttpTrackerClient.ParseAnnounce(BencodeSerializer.DecodeDictionary(response.ToArray()));
        Assert.Equal(TimeSpan.FromSeconds(900), parsed.Interval);
        Assert.Equal(TimeSpan.FromSeconds(60), parsed.MinInterval);
        Assert.Equal("tid-1", parsed.TrackerId);
        Assert.Equal((3, 4), (parsed.Complete, parsed.Incomplete));
        Assert.Equal([new IPEndPoint(IPAddress.Parse("10.0.0.1"), 6881), new IPEndPoint(IPAddress.IPv6Loopback, 6882)], parsed.Peers);
        Assert.Equal("be nice", parsed.WarningMessage);
    }

    [Fact]
    public void Parses_non_compact_peer_dictionaries()
    {
        var response = new BencodeDictionary
        {
            ["interval"] = 10,
            ["peers"] = new BencodeList { new BencodeDictionary { ["ip"] = "192.0.2.7", ["port"] = 51413, ["peer id"] = "x" }, new BencodeDictionary { ["ip"] = "bad", ["port"] = 1 } },
        };
        var parsed = HttpTrackerClient.ParseAnnounce(BencodeSerializer.DecodeDictionary(response.ToArray()));
        Assert.Equal([new IPEndPoint(IPAddress.Parse("192.0.2.7"), 51413)], parsed.Peers);
    }

    [Theory]
    [InlineData("http://t.example/announce", "http://t.example/scrape")]
    [InlineData("http://t.example/x/announce.php?passkey=1", "http://t.example/x/scrape.php?passkey=1")]
    [InlineData("http://t.example/a", null)]
    [InlineData("http://t.example/announce/x", null)]
    public void Scrape_url_follows_bep48(string announce, string? scrape) =>
        Assert.Equal(scrape, HttpTrackerClient.ScrapeUri(new Uri(announce))?.ToString());

    [Fact]
    public void Percent_encodes_every_byte_outside_the_unreserved_set()
    {
        Assert.Equal("%00%FFaZ9-_.~%20%25", HttpTrackerClient.PercentEncode([0, 255, (byte)'a', (byte)'Z', (byte)'9', (byte)'-', (byte)'_', (byte)'.', (byte)'~', (byte)' ', (byte)'%']));
    }

    [Fact]
    public async Task Refuses_bad_ids_and_unreachable_trackers_with_typed_exceptions()
    {
        using var client = new HttpTrackerClient(new Uri("http://127.0.0.1:1/announce"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.AnnounceAsync(new AnnounceRequest { InfoHash = new byte[19], PeerId = new byte[20] }));
        await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(new AnnounceRequest { InfoHash = new byte[20], PeerId = new byte[20] }));
        Assert.Throws<ArgumentException>(() => new HttpTrackerClient(new Uri("udp://x:1")));
    }
}

public sealed class HttpTrackerConnectionResetTests
{
    private static readonly byte[] Reply = BuildReply();

    private static byte[] BuildReply()
    {
        var body = new BencodeDictionary { ["interval"] = 900, ["peers"] = Array.Empty<byte>() }.ToArray();
        return [.. System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\n\r\n"), .. body];
    }

    private static async Task<bool> ReadRequestAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var seen = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one, cancellationToken) == 1)
        {
            seen.Add(one[0]);
            if (seen.Count >= 4 && seen[^4] == '\r' && seen[^3] == '\n' && seen[^2] == '\r' && seen[^1] == '\n') return true;
        }
        return false;
    }

    [Fact]
    public async Task A_keep_alive_connection_the_tracker_resets_is_retried_on_a_fresh_one()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            // First connection: answer one request, then reset it when the next one arrives on it (as a tracker
            // that dropped the idle connection would). Second connection: answer normally.
            using (var first = await listener.AcceptTcpClientAsync(cts.Token))
            {
                var stream = first.GetStream();
                Assert.True(await ReadRequestAsync(stream, cts.Token));
                await stream.WriteAsync(Reply, cts.Token);
                Assert.True(await ReadRequestAsync(stream, cts.Token));
                first.Client.LingerState = new LingerOption(true, 0);
            }
            using var second = await listener.AcceptTcpClientAsync(cts.Token);
            var s2 = second.GetStream();
            Assert.True(await ReadRequestAsync(s2, cts.Token));
            await s2.WriteAsync(Reply, cts.Token);
        });
        using var client = new HttpTrackerClient(new Uri($"http://127.0.0.1:{port}/announce"));
        var request = new AnnounceRequest { InfoHash = new byte[20], PeerId = new byte[20], Port = 6881, Left = 1 };
        Assert.Equal(TimeSpan.FromSeconds(900), (await client.AnnounceAsync(request, cts.Token)).Interval);
        Assert.Equal(TimeSpan.FromSeconds(900), (await client.AnnounceAsync(request, cts.Token)).Interval);
        await server.WaitAsync(cts.Token);
    }

    [Fact]
    public async Task A_tracker_that_resets_every_connection_is_reported_unreachable()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var server = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var connection = await listener.AcceptTcpClientAsync(stop.Token);
                Interlocked.Increment(ref accepted);
                if (!await ReadRequestAsync(connection.GetStream(), stop.Token)) continue;
                connection.Client.LingerState = new LingerOption(true, 0);
            }
        });
        using var client = new HttpTrackerClient(new Uri($"http://127.0.0.1:{port}/announce"));
        var request = new AnnounceRequest { InfoHash = new byte[20], PeerId = new byte[20], Port = 6881, Left = 1 };
        var error = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(request, cts.Token));
        Assert.Contains("Cannot reach", error.Message, StringComparison.Ordinal);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => server);
        // Our one retry times the attempts HttpClient makes itself on a reset fresh connection (4 here): bounded, not a loop.
        Assert.InRange(Volatile.Read(ref accepted), 2, 10);
    }
}

public sealed class UdpTrackerClientTests
{
    [Fact]
    public async Task Retransmits_a_lost_connect_then_announces()
    {
        using var server = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)server.Client.LocalEndPoint!).Port;
        using var client = new UdpTrackerClient(new Uri($"udp://127.0.0.1:{port}"), new UdpTrackerClientOptions { InitialTimeout = TimeSpan.FromMilliseconds(200), MaxRetries = 3 });
        var announce = client.AnnounceAsync(new AnnounceRequest { InfoHash = new byte[20], PeerId = new byte[20], Port = 1, NumWant = 5 });

        var first = await server.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(10)); // dropped
        Assert.Equal(16, first.Buffer.Length);
        var connect = await server.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var reply = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(4), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(connect.Buffer.AsSpan(12)));
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(reply.AsSpan(8), 0x1122334455667788);
        await server.SendAsync(reply, connect.RemoteEndPoint);

        var request = await server.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(98, request.Buffer.Length);
        Assert.Equal(0x1122334455667788, System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(request.Buffer));
        Assert.Equal(5, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(request.Buffer.AsSpan(92)));
        var response = new byte[26];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(response, 1);
        request.Buffer.AsSpan(12, 4).CopyTo(response.AsSpan(4));
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(response.AsSpan(8), 1800);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(response.AsSpan(12), 2);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(response.AsSpan(16), 1);
        new byte[] { 192, 0, 2, 1, 0x1A, 0xE1 }.CopyTo(response.AsSpan(20));
        await server.SendAsync(response, request.RemoteEndPoint);

        var result = await announce.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromMinutes(30), result.Interval);
        Assert.Equal((1, 2), (result.Complete, result.Incomplete));
        Assert.Equal([new IPEndPoint(IPAddress.Parse("192.0.2.1"), 6881)], result.Peers);
    }

    [Fact]
    public async Task Gives_up_with_TrackerException_after_the_retries()
    {
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)silent.Client.LocalEndPoint!).Port;
        using var client = new UdpTrackerClient(new Uri($"udp://127.0.0.1:{port}"), new UdpTrackerClientOptions { InitialTimeout = TimeSpan.FromMilliseconds(50), MaxRetries = 2 });
        var e = await Assert.ThrowsAsync<TrackerException>(() => client.ScrapeAsync([new byte[20]]));
        Assert.Contains("3 attempts", e.Message, StringComparison.Ordinal);
    }
}
