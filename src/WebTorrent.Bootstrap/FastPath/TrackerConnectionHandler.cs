using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Connections;
using WebTorrent.Bootstrap.Swarms;

namespace WebTorrent.Bootstrap.FastPath;

/// <summary>
/// Kestrel connection middleware that serves the tracker's hot requests straight from the connection's pipes, ahead of
/// the ASP.NET Core HTTP pipeline: <c>GET /announce</c> and <c>GET /scrape</c> over HTTP/1.1 keep-alive, and WebSocket
/// peers (upgrade on <c>/</c> or <c>/announce</c>) with frames read and written by <see cref="PipeWebSocketPeer"/>.
/// Any other request (stats, <c>POST /offer</c>, HTTP/1.0, a request with a body, TLS...) is handed to the rest of the
/// pipeline untouched, from that request on.
/// </summary>
internal sealed class TrackerConnectionHandler
{
    private const int MaxHeadSize = 8192;
    private static readonly byte[] WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8.ToArray();
    private readonly WebTorrentTracker _tracker;
    private readonly byte[] _announcePath;
    private readonly byte[] _scrapePath;
    private readonly byte[] _rootPath;
    private readonly ConcurrentDictionary<ConnectionContext, IdleClock> _open = new();
    private long _dateSecond = -1;
    private byte[] _date = [];

    [ThreadStatic]
    private static byte[]? t_head;
    [ThreadStatic]
    private static char[]? t_query;
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_body;

    public TrackerConnectionHandler(WebTorrentTracker tracker, string prefix)
    {
        _tracker = tracker;
        prefix = prefix.TrimEnd('/');
        _announcePath = Encoding.ASCII.GetBytes(prefix + "/announce");
        _scrapePath = Encoding.ASCII.GetBytes(prefix + "/scrape");
        _rootPath = Encoding.ASCII.GetBytes(prefix + "/");
        tracker.IdleSweep += SweepIdle;
    }

    /// <summary>Last activity of one open connection, for the idle sweep.</summary>
    internal sealed class IdleClock
    {
        public long LastActivity;
    }

    private enum HeadKind
    {
        Incomplete,
        Other,
        Malformed,
        Announce,
        Scrape,
        WebSocket,
    }

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var clock = new IdleClock { LastActivity = _tracker.Now };
        _open[connection] = clock;
        try
        {
            if (await ServeAsync(connection, clock)) await next(connection);
        }
        finally
        {
            _open.TryRemove(connection, out _);
        }
    }

    /// <summary>Serves tracker requests; true when the connection must continue in the HTTP pipeline.</summary>
    private async Task<bool> ServeAsync(ConnectionContext connection, IdleClock clock)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var remote = (connection.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.Loopback;
        // Runs from a request head's first byte (or the connection's start) until the head is complete: a client that
        // trickles a head, or opens a connection and sends nothing, is closed long before the idle sweep would.
        CancellationTokenSource? headTimer = null;
        var waitingForHead = true;
        try
        {
            while (true)
            {
                if (waitingForHead) headTimer ??= new CancellationTokenSource(_tracker.Options.RequestHeadTimeout, _tracker.Options.TimeProvider);
                ReadResult result;
                using (headTimer is null ? default : headTimer.Token.UnsafeRegister(AbortOnHeadTimeout, connection))
                    result = await input.ReadAsync(connection.ConnectionClosed);
                var buffer = result.Buffer;
                var served = 0;
                var close = false;
                while (true)
                {
                    var kind = ParseHead(buffer, out var headLength, out var query, out var closeRequested, out var webSocketKey);
                    if (kind == HeadKind.Incomplete) break;
                    if (kind == HeadKind.Malformed)
                    {
                        // A head no HTTP client sends: answer 400 and close, without a stack trace per request in the log.
                        Interlocked.Increment(ref _tracker.Counters.RejectedMessages);
                        input.AdvanceTo(buffer.End);
                        output.Write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8);
                        await output.FlushAsync(connection.ConnectionClosed);
                        return false;
                    }
                    if (kind == HeadKind.Other)
                    {
                        // Not ours: everything from this request on goes to Kestrel's HTTP pipeline.
                        if (served > 0) await output.FlushAsync(connection.ConnectionClosed);
                        input.AdvanceTo(buffer.Start);
                        return true;
                    }
                    clock.LastActivity = _tracker.Now;
                    if (kind == HeadKind.WebSocket)
                    {
                        headTimer?.Dispose();
                        headTimer = null;
                        var source = AddressKey.From(remote);
                        if (!_tracker.WebSocketsPerAddress.TryAcquire(source, _tracker.Options.MaxConnectionsPerAddress))
                        {
                            Interlocked.Increment(ref _tracker.Counters.DroppedConnections);
                            input.AdvanceTo(buffer.End);
                            output.Write("HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8);
                            await output.FlushAsync(connection.ConnectionClosed);
                            return false;
                        }
                        try
                        {
                            input.AdvanceTo(buffer.GetPosition(headLength));
                            WriteUpgrade(output, webSocketKey);
                            await output.FlushAsync(connection.ConnectionClosed);
                            await new PipeWebSocketPeer(_tracker, connection, clock, source).RunAsync();
                        }
                        finally
                        {
                            _tracker.WebSocketsPerAddress.Release(source);
                        }
                        return false;
                    }
                    var body = t_body ??= new ArrayBufferWriter<byte>(4096);
                    body.ResetWrittenCount();
                    if (kind == HeadKind.Announce) _tracker.HttpAnnounce(query, remote, body);
                    else _tracker.HttpScrape(query, body);
                    WriteResponse(output, body.WrittenSpan, closeRequested);
                    buffer = buffer.Slice(headLength);
                    served++;
                    if (closeRequested)
                    {
                        close = true;
                        break;
                    }
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (served > 0)
                {
                    headTimer?.Dispose();
                    headTimer = null;
                }
                // Between keep-alive requests the idle sweep decides; a started head runs against the timer again.
                waitingForHead = !buffer.IsEmpty;
                if (served > 0)
                {
                    var flush = await output.FlushAsync(connection.ConnectionClosed);
                    if (flush.IsCompleted) return false;
                }
                if (close || result.IsCompleted) return false;
                if (buffer.Length >= MaxHeadSize)
                {
                    // A head larger than ours ever are: let Kestrel answer it (431) with its own limits.
                    return true;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionResetException or ConnectionAbortedException or InvalidOperationException)
        {
            return false;
        }
        finally
        {
            headTimer?.Dispose();
        }
    }

    private static readonly Action<object?> AbortOnHeadTimeout =
        static connection => ((ConnectionContext)connection!).Abort(new ConnectionAbortedException("request head timeout"));

    /// <summary>Aborts fast-path connections idle longer than <see cref="WebTorrentTrackerOptions.IdleConnectionTimeout"/>.</summary>
    private void SweepIdle(long now)
    {
        var limit = (long)(_tracker.Options.IdleConnectionTimeout.TotalSeconds * _tracker.Options.TimeProvider.TimestampFrequency);
        foreach (var (connection, clock) in _open)
        {
            if (now - Volatile.Read(ref clock.LastActivity) > limit)
            {
                _open.TryRemove(connection, out _);
                connection.Abort(new ConnectionAbortedException("idle"));
            }
        }
    }

    /// <summary>Classifies the request at the start of <paramref name="buffer"/> (HTTP/1.1 GET heads only are ours).</summary>
    private HeadKind ParseHead(ReadOnlySequence<byte> buffer, out long headLength, out ReadOnlySpan<char> query,
        out bool close, out ReadOnlySpan<byte> webSocketKey)
    {
        headLength = 0;
        query = default;
        close = false;
        webSocketKey = default;
        if (buffer.IsEmpty) return HeadKind.Incomplete;
        var first = buffer.FirstSpan;
        var prefixLength = (int)Math.Min(4, buffer.Length);
        Span<byte> start = stackalloc byte[4];
        buffer.Slice(0, prefixLength).CopyTo(start);
        if (!"GET "u8[..prefixLength].SequenceEqual(start[..prefixLength])) return HeadKind.Other;

        ReadOnlySpan<byte> bytes;
        if (first.Length >= buffer.Length || first.Length >= MaxHeadSize)
        {
            bytes = first;
        }
        else
        {
            var copy = t_head ??= new byte[MaxHeadSize];
            var length = (int)Math.Min(buffer.Length, MaxHeadSize);
            buffer.Slice(0, length).CopyTo(copy);
            bytes = copy.AsSpan(0, length);
        }
        var end = bytes.IndexOf("\r\n\r\n"u8);
        if (end < 0) return bytes.Length >= MaxHeadSize ? HeadKind.Other : HeadKind.Incomplete;
        var head = bytes[..(end + 4)];
        headLength = end + 4;

        var lineEnd = head.IndexOf("\r\n"u8);
        var line = head[..lineEnd];
        if (!line.EndsWith(" HTTP/1.1"u8)) return HeadKind.Other;
        if (line.Length < "GET / HTTP/1.1"u8.Length || line[4] != (byte)'/') return HeadKind.Malformed; // no request target
        var target = line[4..^9];
        var q = target.IndexOf((byte)'?');
        var path = q < 0 ? target : target[..q];
        var rawQuery = q < 0 ? [] : target[q..];
        HeadKind kind;
        if (path.SequenceEqual(_announcePath)) kind = HeadKind.Announce;
        else if (path.SequenceEqual(_scrapePath)) kind = HeadKind.Scrape;
        else if (path.SequenceEqual(_rootPath)) kind = HeadKind.WebSocket;
        else return HeadKind.Other;

        bool upgrade = false, connectionUpgrade = false, version13 = false;
        var headers = head[(lineEnd + 2)..^2];
        while (!headers.IsEmpty)
        {
            var next = headers.IndexOf("\r\n"u8);
            var header = headers[..next];
            headers = headers[(next + 2)..];
            var colon = header.IndexOf((byte)':');
            if (colon <= 0 || header[0] is (byte)' ' or (byte)'\t') return HeadKind.Other; // malformed or folded: Kestrel decides
            var name = header[..colon];
            var value = header[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
            {
                if (!value.SequenceEqual("0"u8)) return HeadKind.Other;
            }
            else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8) || Ascii.EqualsIgnoreCase(name, "expect"u8))
            {
                return HeadKind.Other;
            }
            else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                if (ContainsToken(value, "close"u8)) close = true;
                if (ContainsToken(value, "upgrade"u8)) connectionUpgrade = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "upgrade"u8))
            {
                upgrade = Ascii.EqualsIgnoreCase(value, "websocket"u8);
                if (!upgrade) return HeadKind.Other;
            }
            else if (Ascii.EqualsIgnoreCase(name, "sec-websocket-key"u8))
            {
                webSocketKey = value;
            }
            else if (Ascii.EqualsIgnoreCase(name, "sec-websocket-version"u8))
            {
                version13 = value.SequenceEqual("13"u8);
            }
        }

        if (upgrade || kind == HeadKind.WebSocket)
        {
            // A WebSocket handshake on / or /announce; anything incomplete goes to Kestrel, which refuses it properly.
            if (kind == HeadKind.Scrape || !upgrade || !connectionUpgrade || !version13 || webSocketKey.Length != 24 || close) return HeadKind.Other;
            return HeadKind.WebSocket;
        }

        // The query as characters (the tracker's parser decodes percent-escapes itself).
        if (rawQuery.Length > MaxHeadSize || !Ascii.IsValid(rawQuery)) return HeadKind.Other;
        var chars = t_query ??= new char[MaxHeadSize];
        var count = Encoding.ASCII.GetChars(rawQuery, chars);
        query = chars.AsSpan(0, count);
        return kind;
    }

    private static bool ContainsToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (var range in value.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(value[range].Trim(" \t"u8), token)) return true;
        }
        return false;
    }

    private void WriteResponse(PipeWriter output, ReadOnlySpan<byte> body, bool close)
    {
        Span<byte> number = stackalloc byte[11];
        body.Length.TryFormat(number, out var digits, default, System.Globalization.CultureInfo.InvariantCulture);
        var date = Date();
        ReadOnlySpan<byte> status = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: "u8;
        ReadOnlySpan<byte> length = "\r\nContent-Length: "u8;
        ReadOnlySpan<byte> end = close ? "\r\nConnection: close\r\n\r\n"u8 : "\r\n\r\n"u8;
        var total = status.Length + date.Length + length.Length + digits + end.Length + body.Length;
        var span = output.GetSpan(total);
        var at = 0;
        status.CopyTo(span);
        at += status.Length;
        date.CopyTo(span[at..]);
        at += date.Length;
        length.CopyTo(span[at..]);
        at += length.Length;
        number[..digits].CopyTo(span[at..]);
        at += digits;
        end.CopyTo(span[at..]);
        at += end.Length;
        body.CopyTo(span[at..]);
        output.Advance(total);
    }

    private static void WriteUpgrade(PipeWriter output, ReadOnlySpan<byte> key)
    {
        Span<byte> input = stackalloc byte[24 + 36];
        key.CopyTo(input);
        WebSocketGuid.CopyTo(input[24..]);
        Span<byte> hash = stackalloc byte[20];
#pragma warning disable CA5350 // RFC 6455 defines Sec-WebSocket-Accept with SHA-1; it is not used for security here.
        SHA1.HashData(input, hash);
#pragma warning restore CA5350
        Span<byte> accept = stackalloc byte[28];
        System.Buffers.Text.Base64.EncodeToUtf8(hash, accept, out _, out _);
        ReadOnlySpan<byte> start = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "u8;
        var span = output.GetSpan(start.Length + accept.Length + 4);
        start.CopyTo(span);
        accept.CopyTo(span[start.Length..]);
        "\r\n\r\n"u8.CopyTo(span[(start.Length + accept.Length)..]);
        output.Advance(start.Length + accept.Length + 4);
    }

    /// <summary>The RFC 1123 date for the Date header, formatted once per second.</summary>
    private ReadOnlySpan<byte> Date()
    {
        var now = _tracker.Options.TimeProvider.GetUtcNow();
        var second = now.ToUnixTimeSeconds();
        if (Volatile.Read(ref _dateSecond) != second)
        {
            Volatile.Write(ref _date, Encoding.ASCII.GetBytes(now.ToString("r", System.Globalization.CultureInfo.InvariantCulture)));
            Volatile.Write(ref _dateSecond, second);
        }
        return Volatile.Read(ref _date);
    }
}
