using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace WebTorrent.Bootstrap.Tests;

/// <summary>
/// Audit findings 4 and 5 against the server in Kestrel on 127.0.0.1, through the ASP.NET Core pipeline and the fast path:
/// sockets per address, idle WebSocket peers, heads without a target, slow heads, waiting offers per address.
/// </summary>
public sealed class ServerLimitsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static async Task<ClientWebSocket> ConnectAsync(TestTrackerHost host)
    {
        var socket = new ClientWebSocket();
        using var cts = new CancellationTokenSource(Timeout);
        await socket.ConnectAsync(host.WebSocket, cts.Token);
        return socket;
    }

    private static async Task<Socket> ConnectRawAsync(TestTrackerHost host)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(Timeout);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, host.Http.Port), cts.Token);
        return socket;
    }

    /// <summary>Everything the server sends until it closes the connection (a reset counts as closed).</summary>
    private static async Task<string> ReadToCloseAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0) received.AddRange(buffer.AsSpan(0, read));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
        return Encoding.ASCII.GetString(received.ToArray());
    }

    private static Task SendAsync(WebSocket socket, string json) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<bool> IsClosedAsync(WebSocket socket)
    {
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(new byte[4096], cts.Token);
                if (result.MessageType == WebSocketMessageType.Close) return true;
            }
        }
        catch (WebSocketException)
        {
            return true;
        }
    }

    private static string Announce(char peer) =>
        $"{{\"action\":\"announce\",\"info_hash\":\"{new string('h', 20)}\",\"peer_id\":\"{new string(peer, 20)}\",\"numwant\":0,\"left\":1}}";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WebSocket_connections_per_address_are_capped(bool fastPath)
    {
        await using var host = await TestTrackerHost.StartAsync(fastPath, o => o.MaxConnectionsPerAddress = 2);
        using var first = await ConnectAsync(host);
        using var second = await ConnectAsync(host);
        var refused = await Assert.ThrowsAsync<WebSocketException>(async () => (await ConnectAsync(host)).Dispose());
        Assert.Contains("429", refused.Message, StringComparison.Ordinal);

        // A closed one frees its place.
        await first.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        var deadline = DateTime.UtcNow + Timeout;
        while (host.Tracker.WebSocketsPerAddress.Count(Swarms.AddressKey.From(IPAddress.Loopback)) > 1)
        {
            Assert.True(DateTime.UtcNow < deadline);
            await Task.Delay(10);
        }
        using var third = await ConnectAsync(host);
        Assert.Equal(WebSocketState.Open, third.State);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Idle_websocket_peers_are_closed_by_the_sweep(bool fastPath)
    {
        await using var host = await TestTrackerHost.StartAsync(fastPath);
        using var idle = await ConnectAsync(host);
        await SendAsync(idle, Announce('i'));
        var buffer = new byte[4096];
        await idle.ReceiveAsync(buffer, CancellationToken.None);
        var options = host.Tracker.Options;

        // Not yet idle: the sweep leaves it.
        host.Tracker.SweepIdleConnections(options.TimeProvider.GetTimestamp());
        await SendAsync(idle, Announce('i'));
        Assert.Equal(WebSocketMessageType.Text, (await idle.ReceiveAsync(buffer, CancellationToken.None)).MessageType);

        host.Tracker.SweepIdleConnections(options.TimeProvider.GetTimestamp() + (long)((options.IdleConnectionTimeout.TotalSeconds + 1) * options.TimeProvider.TimestampFrequency));
        Assert.True(await IsClosedAsync(idle));
        var deadline = DateTime.UtcNow + Timeout;
        while (host.Tracker.GetStats().WebSocketPeers != 0)
        {
            Assert.True(DateTime.UtcNow < deadline);
            await Task.Delay(10);
        }
    }

    [Theory]
    [InlineData(false, "GET HTTP/1.1\r\n\r\n")]
    [InlineData(true, "GET HTTP/1.1\r\n\r\n")]
    [InlineData(true, "GET  HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData(true, "GET ? HTTP/1.1\r\nHost: x\r\n\r\n")]
    public async Task A_request_line_without_a_target_gets_400_and_a_close(bool fastPath, string head)
    {
        await using var host = await TestTrackerHost.StartAsync(fastPath);
        for (var i = 0; i < 3; i++)
        {
            using var socket = await ConnectRawAsync(host);
            await socket.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None);
            Assert.StartsWith("HTTP/1.1 400", await ReadToCloseAsync(socket), StringComparison.Ordinal);
        }
        // And the server still serves.
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(host.Http, "/stats.json"))).StatusCode);
    }

    [Fact]
    public async Task A_request_head_that_does_not_complete_in_time_is_closed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await TestTrackerHost.StartAsync(fastPath: true, o =>
        {
            o.TimeProvider = time;
            o.RequestHeadTimeout = TimeSpan.FromSeconds(10);
            o.IdleConnectionTimeout = TimeSpan.FromHours(1); // only the head timeout may close it
            o.SweepInterval = TimeSpan.FromHours(1);
        });
        using var slow = await ConnectRawAsync(host);
        await slow.SendAsync("GET /announce?info_hash="u8.ToArray(), SocketFlags.None);
        using var silent = await ConnectRawAsync(host);

        // A complete request on a connection that waited (less than the timeout) is served.
        using var prompt = await ConnectRawAsync(host);
        time.Advance(TimeSpan.FromSeconds(5));
        await prompt.SendAsync("GET /stats.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"u8.ToArray(), SocketFlags.None);
        Assert.StartsWith("HTTP/1.1 200", await ReadToCloseAsync(prompt), StringComparison.Ordinal);

        // The fast path may not have read the partial head yet: advance until both are gone, never up to the idle timeout.
        var closed = Task.WhenAll(ReadToCloseAsync(slow), ReadToCloseAsync(silent));
        for (var i = 0; i < 100 && !closed.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(6));
            await Task.WhenAny(closed, Task.Delay(50));
        }
        var heads = await closed;
        Assert.All(heads, Assert.Empty);
    }

    private static async Task AnswerAsync(WebSocket answerer, ReadOnlyMemory<byte> relayedOffer)
    {
        using var offer = System.Text.Json.JsonDocument.Parse(relayedOffer);
        var root = offer.RootElement;
        await SendAsync(answerer, $"{{\"action\":\"announce\",\"info_hash\":\"{new string('h', 20)}\",\"peer_id\":\"{new string('a', 20)}\",\"to_peer_id\":{System.Text.Json.JsonSerializer.Serialize(root.GetProperty("peer_id").GetString())},\"offer_id\":{System.Text.Json.JsonSerializer.Serialize(root.GetProperty("offer_id").GetString())},\"answer\":{{\"type\":\"answer\",\"sdp\":\"v=0 A\"}}}}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Waiting_offers_per_address_are_capped(bool fastPath)
    {
        await using var host = await TestTrackerHost.StartAsync(fastPath, o =>
        {
            o.MaxPendingOffersPerAddress = 1;
            o.OfferAnswerTimeout = TimeSpan.FromSeconds(15);
        });
        using var answerer = await ConnectAsync(host);
        await SendAsync(answerer, Announce('a'));
        var buffer = new byte[8192];
        await answerer.ReceiveAsync(buffer, CancellationToken.None);
        using var http = new HttpClient { Timeout = Timeout };
        var body = new { info_hash = Convert.ToHexStringLower(Encoding.Latin1.GetBytes(new string('h', 20))), offer = new { type = "offer", sdp = "v=0" } };

        var waiting = http.PostAsJsonAsync(host.OfferEndpoint, body);
        var relayed = await answerer.ReceiveAsync(buffer, CancellationToken.None); // the offer arrived: the slot is taken
        Assert.Equal(HttpStatusCode.TooManyRequests, (await http.PostAsJsonAsync(host.OfferEndpoint, body)).StatusCode);

        // The answer frees the slot.
        await AnswerAsync(answerer, buffer.AsMemory(0, relayed.Count));
        Assert.Equal(HttpStatusCode.OK, (await waiting).StatusCode);
        var next = http.PostAsJsonAsync(host.OfferEndpoint, body);
        relayed = await answerer.ReceiveAsync(buffer, CancellationToken.None); // relayed, not refused
        await AnswerAsync(answerer, buffer.AsMemory(0, relayed.Count));
        Assert.Equal(HttpStatusCode.OK, (await next).StatusCode);
    }
}
