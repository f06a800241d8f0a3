using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace WebTorrent.Bootstrap.Tests;

/// <summary>The tracker in Kestrel on 127.0.0.1 driven by raw WebSocket, HTTP and UDP clients (through the ASP.NET Core pipeline).</summary>
public class ServerTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private TestTrackerHost _host = null!;
    private Uri _http = null!;
    private WebTorrentTracker _tracker = null!;

    /// <summary>Whether the endpoint serves announces and WebSocket peers through the connection-level fast path.</summary>
    protected virtual bool FastPath => false;

    /// <summary>The server's http:// address.</summary>
    protected Uri Http => _http;

    /// <summary>The tracker under test.</summary>
    protected WebTorrentTracker Tracker => _tracker;

    public async Task InitializeAsync()
    {
        _host = await TestTrackerHost.StartAsync(FastPath, o =>
        {
            o.UdpPort = 0;
            o.UdpAddress = IPAddress.Loopback;
            o.MaxMessageSize = 4096;
            o.MaxErrorsPerConnection = 2;
            o.OfferAnswerTimeout = TimeSpan.FromSeconds(5);
        });
        _http = _host.Http;
        _tracker = _host.Tracker;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    protected async Task<ClientWebSocket> ConnectAsync()
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{_http.Authority}/"), CancellationToken.None);
        return socket;
    }

    protected static Task SendAsync(WebSocket socket, string json) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    protected static async Task<JsonDocument?> ReceiveAsync(WebSocket socket)
    {
        var buffer = new byte[65536];
        var length = 0;
        using var cts = new CancellationTokenSource(Timeout);
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), cts.Token);
            length += result.Count;
        }
        while (!result.EndOfMessage);
        return result.MessageType == WebSocketMessageType.Close ? null : JsonDocument.Parse(buffer.AsMemory(0, length));
    }

    protected static string Announce(char peer, string extra = "") =>
        $"{{\"action\":\"announce\",\"info_hash\":\"{new string('h', 20)}\",\"peer_id\":\"{new string(peer, 20)}\",\"numwant\":1,\"left\":100{extra}}}";

    [Fact]
    public async Task Relays_offer_and_answer_and_drops_peers_when_their_socket_closes()
    {
        using var a = await ConnectAsync();
        using var b = await ConnectAsync();
        await SendAsync(a, Announce('a', ",\"event\":\"started\""));
        using (var reply = await ReceiveAsync(a))
        {
            Assert.Equal("announce", reply!.RootElement.GetProperty("action").GetString());
            Assert.Equal(120, reply.RootElement.GetProperty("interval").GetInt32());
            Assert.Equal(new string('h', 20), reply.RootElement.GetProperty("info_hash").GetString());
        }
        var offerId = "\u0001\u0002offer-id-\u00ff\u00fe-xxxxxx";
        await SendAsync(b, Announce('b', $",\"offers\":[{{\"offer\":{{\"type\":\"offer\",\"sdp\":\"v=0\\r\\nB\"}},\"offer_id\":{JsonSerializer.Serialize(offerId)}}}]"));
        using (var reply = await ReceiveAsync(b)) Assert.Equal(2, reply!.RootElement.GetProperty("incomplete").GetInt32());
        using (var relayed = await ReceiveAsync(a))
        {
            Assert.Equal("v=0\r\nB", relayed!.RootElement.GetProperty("offer").GetProperty("sdp").GetString());
            Assert.Equal(offerId, relayed.RootElement.GetProperty("offer_id").GetString());
            Assert.Equal(new string('b', 20), relayed.RootElement.GetProperty("peer_id").GetString());
        }
        await SendAsync(a, Announce('a', $",\"to_peer_id\":\"{new string('b', 20)}\",\"offer_id\":{JsonSerializer.Serialize(offerId)},\"answer\":{{\"type\":\"answer\",\"sdp\":\"v=0\\r\\nA\"}}"));
        using (var answer = await ReceiveAsync(b))
        {
            Assert.Equal("v=0\r\nA", answer!.RootElement.GetProperty("answer").GetProperty("sdp").GetString());
            Assert.Equal(offerId, answer.RootElement.GetProperty("offer_id").GetString());
            Assert.Equal(new string('a', 20), answer.RootElement.GetProperty("peer_id").GetString());
        }
        Assert.Equal(2, _tracker.GetStats().WebSocketPeers);

        await a.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        var deadline = DateTime.UtcNow + Timeout;
        while (_tracker.GetStats().WebSocketPeers != 1 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(1, _tracker.GetStats().WebSocketPeers);
    }

    [Fact]
    public async Task Bad_json_gets_a_failure_reason_then_repeated_errors_close_the_socket()
    {
        using var socket = await ConnectAsync();
        await SendAsync(socket, "{not json");
        using (var reply = await ReceiveAsync(socket)) Assert.Equal("invalid JSON", reply!.RootElement.GetProperty("failure reason").GetString());
        await SendAsync(socket, "{\"action\":\"announce\",\"info_hash\":\"short\",\"peer_id\":\"x\"}");
        using (var reply = await ReceiveAsync(socket)) Assert.Equal("invalid info_hash", reply!.RootElement.GetProperty("failure reason").GetString());
        await SendAsync(socket, "[]");
        using (var reply = await ReceiveAsync(socket)) Assert.NotNull(reply); // third error: reply, then close
        Assert.Null(await ReceiveAsync(socket));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, socket.CloseStatus);
    }

    [Fact]
    public async Task Oversized_message_closes_the_socket()
    {
        using var socket = await ConnectAsync();
        await SendAsync(socket, "{\"action\":\"announce\",\"x\":\"" + new string('x', 5000) + "\"}");
        Assert.Null(await ReceiveAsync(socket));
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, socket.CloseStatus);
    }

    [Fact]
    public async Task Post_offer_gets_the_answer_of_a_websocket_peer()
    {
        using var peer = await ConnectAsync();
        await SendAsync(peer, Announce('s', ",\"left\":0,\"event\":\"started\""));
        (await ReceiveAsync(peer))!.Dispose();

        using var http = new HttpClient { BaseAddress = _http };
        var infoHashHex = Convert.ToHexStringLower(Encoding.ASCII.GetBytes(new string('h', 20)));
        var post = http.PostAsync("/offer", new StringContent($"{{\"info_hash\":\"{infoHashHex}\",\"offer\":{{\"type\":\"offer\",\"sdp\":\"v=0\\r\\nPOSTED\"}}}}", Encoding.UTF8, "application/json"));

        using var relayed = await ReceiveAsync(peer);
        var root = relayed!.RootElement;
        Assert.Equal("v=0\r\nPOSTED", root.GetProperty("offer").GetProperty("sdp").GetString());
        var answer = $"{{\"action\":\"announce\",\"info_hash\":\"{new string('h', 20)}\",\"peer_id\":\"{new string('s', 20)}\",\"to_peer_id\":{JsonSerializer.Serialize(root.GetProperty("peer_id").GetString())},\"offer_id\":{JsonSerializer.Serialize(root.GetProperty("offer_id").GetString())},\"answer\":{{\"type\":\"answer\",\"sdp\":\"v=0\\r\\nANSWER\"}}}}";
        await SendAsync(peer, answer);

        using var response = await post.WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("v=0\r\nANSWER", body.RootElement.GetProperty("answer").GetProperty("sdp").GetString());
        Assert.Equal(Convert.ToHexStringLower(Encoding.ASCII.GetBytes(new string('s', 20))), body.RootElement.GetProperty("peer_id").GetString());

        using var unknown = await http.PostAsync("/offer", new StringContent($"{{\"info_hash\":\"{new string('0', 40)}\",\"offer\":{{\"type\":\"offer\",\"sdp\":\"x\"}}}}"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var bad = await http.PostAsync("/offer", new StringContent("{\"info_hash\":\"zz\"}"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Stats_pages_and_udp_connect_announce()
    {
        using var http = new HttpClient { BaseAddress = _http };
        Assert.Contains("\"swarms\":", await http.GetStringAsync("/stats.json"), StringComparison.Ordinal);
        Assert.Contains("<table>", await http.GetStringAsync("/stats"), StringComparison.Ordinal);

        using var udp = new UdpClient(AddressFamily.InterNetwork);
        udp.Connect(_tracker.UdpEndPoint!);
        var connect = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(connect, 0x41727101980);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(connect.AsSpan(12), 77);
        await udp.SendAsync(connect);
        var reply = (await udp.ReceiveAsync().WaitAsync(Timeout)).Buffer;
        Assert.Equal(16, reply.Length);
        Assert.Equal(77, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(reply.AsSpan(4)));

        var badConnection = new byte[98];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(badConnection.AsSpan(8), 1);
        await udp.SendAsync(badConnection);
        var error = (await udp.ReceiveAsync().WaitAsync(Timeout)).Buffer;
        Assert.Equal(3, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(error));
        Assert.Equal("invalid connection id", Encoding.ASCII.GetString(error, 8, error.Length - 8));
    }
}
