using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;

namespace WebTorrent.Tracker.Tests;

/// <summary>
/// A WebSocket server on 127.0.0.1 written by hand (RFC 6455 server side, no validation of what it sends), so a test can
/// play a hostile tracker: any frame, any bytes, including text frames that are not UTF-8.
/// </summary>
internal sealed class RawWebSocketServer : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Channel<RawWebSocketConnection> _accepted = Channel.CreateUnbounded<RawWebSocketConnection>();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<RawWebSocketConnection> _connections = [];
    private readonly Task _acceptLoop;

    public RawWebSocketServer()
    {
        _listener.Start();
        Uri = new Uri($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _acceptLoop = AcceptLoopAsync();
    }

    public Uri Uri { get; }

    /// <summary>Connections accepted so far (the handshake done).</summary>
    public int ConnectionCount { get { lock (_connections) return _connections.Count; } }

    /// <summary>The next connection whose WebSocket handshake completed.</summary>
    public async Task<RawWebSocketConnection> AcceptAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        return await _accepted.Reader.ReadAsync(cts.Token);
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var connection = new RawWebSocketConnection(client);
                await connection.HandshakeAsync();
                lock (_connections) _connections.Add(connection);
                await _accepted.Writer.WriteAsync(connection);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        lock (_connections) foreach (var c in _connections) c.Dispose();
        _stop.Dispose();
    }
}

/// <summary>One accepted connection: reads the client's (masked) frames, writes any frame.</summary>
internal sealed class RawWebSocketConnection(TcpClient client) : IDisposable
{
    public const byte Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly NetworkStream _stream = client.GetStream();

    public async Task HandshakeAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || !head.TakeLast(4).SequenceEqual("\r\n\r\n"u8.ToArray()))
        {
            if (await _stream.ReadAsync(one, cts.Token) == 0) throw new IOException("closed during the handshake");
            head.Add(one[0]);
        }
        var key = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n")
            .Single(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))["Sec-WebSocket-Key:".Length..].Trim();
#pragma warning disable CA5350 // RFC 6455 defines the accept value with SHA-1
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"), cts.Token);
    }

    /// <summary>The next text message from the client (pings are answered, pongs skipped); null when it closed.</summary>
    public async Task<string?> ReceiveTextAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            byte[] header;
            try
            {
                header = await ReadExactlyAsync(2, cts.Token);
            }
            catch (Exception e) when (e is EndOfStreamException or IOException)
            {
                return null; // closed or reset: either way the client is gone
            }
            var opcode = (byte)(header[0] & 0x0F);
            long length = header[1] & 0x7F;
            if (length == 126) length = BinaryPrimitives.ReadUInt16BigEndian(await ReadExactlyAsync(2, cts.Token));
            else if (length == 127) length = BinaryPrimitives.ReadInt64BigEndian(await ReadExactlyAsync(8, cts.Token));
            var mask = (header[1] & 0x80) != 0 ? await ReadExactlyAsync(4, cts.Token) : null;
            var payload = await ReadExactlyAsync(checked((int)length), cts.Token);
            if (mask is not null) for (var i = 0; i < payload.Length; i++) payload[i] ^= mask[i % 4];
            switch (opcode)
            {
                case Close: return null;
                case Ping: await SendAsync(Pong, payload); break;
                case Text: return Encoding.UTF8.GetString(payload);
            }
        }
    }

    /// <summary>Sends one unfragmented frame as given: the bytes are not checked.</summary>
    public async Task SendAsync(byte opcode, byte[] payload)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var header = payload.Length switch
        {
            < 126 => [(byte)(0x80 | opcode), (byte)payload.Length],
            <= ushort.MaxValue => [(byte)(0x80 | opcode), 126, (byte)(payload.Length >> 8), (byte)payload.Length],
            _ => new byte[] { (byte)(0x80 | opcode), 127, 0, 0, 0, 0, (byte)(payload.Length >> 24), (byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length },
        };
        await _stream.WriteAsync(header.Concat(payload).ToArray(), cts.Token);
    }

    public Task SendTextAsync(string json) => SendAsync(Text, Encoding.UTF8.GetBytes(json));

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        await _stream.ReadExactlyAsync(buffer, cancellationToken);
        return buffer;
    }

    public void Dispose() => client.Dispose();
}
