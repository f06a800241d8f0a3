using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Bencode;

namespace WebTorrent.Bootstrap.Tests;

/// <summary>
/// Every <see cref="ServerTests"/> scenario again with the connection-level fast path, plus what only the fast path does:
/// HTTP keep-alive and pipelined announces, falling through to the pipeline, WebSocket framing details.
/// </summary>
public sealed class FastPathServerTests : ServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    protected override bool FastPath => true;

    private async Task<Socket> ConnectRawAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(Timeout);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Http.Port), cts.Token);
        return socket;
    }

    private static string Percent(string id) => string.Concat(Encoding.Latin1.GetBytes(id).Select(b => $"%{b:x2}"));

    private static string AnnounceRequest(char peer, int port, string extra = "") =>
        $"GET /announce?info_hash={Percent(new string('i', 20))}&peer_id={Percent(new string(peer, 20))}&port={port}&left=0&compact=1{extra} HTTP/1.1\r\nHost: x\r\n\r\n";

    /// <summary>Reads until <paramref name="count"/> complete Content-Length responses arrived; returns their bodies.</summary>
    private static async Task<List<(string Head, byte[] Body)>> ReadResponsesAsync(Socket socket, int count)
    {
        var data = new List<byte>();
        var buffer = new byte[8192];
        var responses = new List<(string, byte[])>();
        using var cts = new CancellationTokenSource(Timeout);
        while (responses.Count < count)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (read == 0) throw new IOException("closed");
            data.AddRange(buffer.AsSpan(0, read));
            while (true)
            {
                var bytes = data.ToArray();
                var end = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
                if (end < 0) break;
                var head = Encoding.ASCII.GetString(bytes, 0, end);
                var lengthLine = head.Split("\r\n").Single(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                var length = int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                if (bytes.Length < end + 4 + length) break;
                responses.Add((head, bytes.AsSpan(end + 4, length).ToArray()));
                data.RemoveRange(0, end + 4 + length);
            }
        }
        return responses;
    }

    [Fact]
    public async Task Pipelined_keep_alive_announces_get_compact_peers_then_other_paths_fall_through_to_the_pipeline()
    {
        using var socket = await ConnectRawAsync();
        var both = AnnounceRequest('a', 1111) + AnnounceRequest('b', 2222, "&numwant=5");
        await socket.SendAsync(Encoding.ASCII.GetBytes(both), SocketFlags.None);
        var responses = await ReadResponsesAsync(socket, 2);
        Assert.StartsWith("HTTP/1.1 200 OK", responses[0].Head, StringComparison.Ordinal);
        var second = BencodeSerializer.DecodeDictionary(responses[1].Body);
        Assert.Equal(2, second.GetInt64("complete"));
        var peers = second.GetBytes("peers")!.Value.ToArray();
        Assert.Equal(6, peers.Length); // a's address, not b's own
        Assert.Equal(new byte[] { 127, 0, 0, 1 }, peers[..4]);
        Assert.Equal(1111, BinaryPrimitives.ReadUInt16BigEndian(peers.AsSpan(4)));

        // Same connection: a request the fast path does not serve goes to Kestrel's pipeline.
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /stats.json HTTP/1.1\r\nHost: x\r\n\r\n"), SocketFlags.None);
        var text = new StringBuilder();
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(Timeout);
        while (!text.ToString().Contains("\"endpointPeers\"", StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            Assert.NotEqual(0, read);
            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        Assert.StartsWith("HTTP/1.1 200 OK", text.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"endpointPeers\":2", text.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_announce_gets_a_failure_reason_and_connection_close_is_honoured()
    {
        using var socket = await ConnectRawAsync();
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /announce?info_hash=short&port=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), SocketFlags.None);
        var response = (await ReadResponsesAsync(socket, 1))[0];
        Assert.Contains("Connection: close", response.Head, StringComparison.Ordinal);
        var body = BencodeSerializer.DecodeDictionary(response.Body);
        Assert.Equal("invalid info_hash", body.GetText("failure reason"));
        using var cts = new CancellationTokenSource(Timeout);
        Assert.Equal(0, await socket.ReceiveAsync(new byte[16], SocketFlags.None, cts.Token));
    }

    [Fact]
    public async Task Fragmented_messages_and_pings_are_handled()
    {
        using var socket = await ConnectAsync();
        var message = Encoding.UTF8.GetBytes(Announce('f', ",\"event\":\"started\""));
        using var cts = new CancellationTokenSource(Timeout);
        await socket.SendAsync(message.AsMemory(0, 10), WebSocketMessageType.Text, false, cts.Token);
        await socket.SendAsync(message.AsMemory(10, 20), WebSocketMessageType.Text, false, cts.Token);
        await socket.SendAsync(message.AsMemory(30), WebSocketMessageType.Text, true, cts.Token);
        using (var reply = await ReceiveAsync(socket)) Assert.Equal(1, reply!.RootElement.GetProperty("incomplete").GetInt32());

        // A raw ping gets a pong with the same payload.
        using var raw = await ConnectRawAsync();
        await raw.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"), SocketFlags.None);
        var buffer = new byte[1024];
        var length = 0;
        while (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) < 0) length += await raw.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cts.Token);
        var head = Encoding.ASCII.GetString(buffer, 0, length);
        Assert.StartsWith("HTTP/1.1 101", head, StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", head, StringComparison.Ordinal); // RFC 6455 section 1.3
        byte[] mask = [1, 2, 3, 4];
        var ping = new byte[] { 0x89, 0x83, mask[0], mask[1], mask[2], mask[3], (byte)('p' ^ 1), (byte)('i' ^ 2), (byte)('n' ^ 3) };
        await raw.SendAsync(ping, SocketFlags.None);
        length = 0;
        while (length < 5) length += await raw.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cts.Token);
        Assert.Equal(new byte[] { 0x8A, 3, (byte)'p', (byte)'i', (byte)'n' }, buffer[..5]);

        // An unmasked client frame breaks the protocol: close 1002, then the connection ends.
        await raw.SendAsync(new byte[] { 0x81, 0x02, (byte)'{', (byte)'}' }, SocketFlags.None);
        length = 0;
        while (length < 4) length += await raw.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cts.Token);
        Assert.Equal(new byte[] { 0x88, 2, 0x03, 0xEA }, buffer[..4]);
        Assert.Equal(0, await raw.ReceiveAsync(buffer, SocketFlags.None, cts.Token));
    }

    [Fact]
    public async Task Random_bytes_after_a_head_or_an_upgrade_never_break_the_server()
    {
        var random = new Random(1234);
        var buffer = new byte[4096];
        for (var i = 0; i < 40; i++)
        {
            using var socket = await ConnectRawAsync();
            var prefix = (i % 4) switch
            {
                0 => "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                1 => "GET /announce?",
                2 => "GET /scrape HTTP/1.1\r\n",
                _ => "",
            };
            var garbage = new byte[random.Next(1, 3000)];
            random.NextBytes(garbage);
            await socket.SendAsync(Encoding.ASCII.GetBytes(prefix).Concat(garbage).ToArray(), SocketFlags.None);
            socket.Shutdown(SocketShutdown.Send);
            using var cts = new CancellationTokenSource(Timeout);
            try
            {
                while (await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token) > 0)
                {
                    // Whatever the server answers, it must end the connection (never hang on it).
                }
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
            }
        }
        using var check = await ConnectRawAsync();
        await check.SendAsync(Encoding.ASCII.GetBytes(AnnounceRequest('k', 4444)), SocketFlags.None);
        Assert.StartsWith("HTTP/1.1 200 OK", (await ReadResponsesAsync(check, 1))[0].Head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idle_connections_are_closed_by_the_sweep()
    {
        using var socket = await ConnectRawAsync();
        await socket.SendAsync(Encoding.ASCII.GetBytes(AnnounceRequest('z', 3333)), SocketFlags.None);
        await ReadResponsesAsync(socket, 1);
        // The sweep with a clock far in the future finds the connection idle.
        Tracker.SweepIdleConnections(Tracker.Options.TimeProvider.GetTimestamp() + (long)(Tracker.Options.IdleConnectionTimeout.TotalSeconds + 1) * Tracker.Options.TimeProvider.TimestampFrequency);
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            Assert.Equal(0, await socket.ReceiveAsync(new byte[16], SocketFlags.None, cts.Token));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Aborted: a reset is as closed as a FIN.
        }
    }
}
