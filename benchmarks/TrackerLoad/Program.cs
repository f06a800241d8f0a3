using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TrackerLoad;

/// <summary>
/// Tracker load generator (benchmarks/tracker-load.sh): the same client for our server and npm bittorrent-tracker's.
/// Raw sockets, requests encoded before the clock starts, one request in flight per connection (no pipelining),
/// a warm-up that is not counted. Prints one JSON line.
/// usage: TrackerLoad http|udp|ws host:port seconds [connections] [serverPid]
///        TrackerLoad hold host:port peers [batch] serverPid
/// </summary>
internal static class Program
{
    private const int Swarms = 1000;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan IoTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> Main(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("usage: TrackerLoad http|udp|ws host:port seconds [connections] | hold host:port peers [batch] serverPid");
            return 2;
        }
        var endpoint = IPEndPoint.Parse(args[1]);
        var amount = int.Parse(args[2], CultureInfo.InvariantCulture);
        var concurrency = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 64;
        if (args[0] != "hold" && args.Length > 4) ServerPid = int.Parse(args[4], CultureInfo.InvariantCulture);
        var random = new Random(7);
        var infoHashes = new byte[Swarms][];
        for (var i = 0; i < Swarms; i++) infoHashes[i] = RandomId(random);
        var result = args[0] switch
        {
            "http" => await HttpLoad.RunAsync(endpoint, amount, concurrency, infoHashes, random),
            "udp" => await UdpLoad.RunAsync(endpoint, amount, concurrency, infoHashes, random),
            "ws" => await WebSocketLoad.RunAsync(endpoint, amount, concurrency, infoHashes, random),
            "hold" => await WebSocketLoad.HoldAsync(endpoint, amount, concurrency, int.Parse(args[4], CultureInfo.InvariantCulture), infoHashes, random),
            _ => throw new ArgumentException("mode must be http, udp, ws or hold"),
        };
        Console.WriteLine(result);
        return 0;
    }

    /// <summary>20 random alphanumeric bytes: valid as a binary id, and as a latin-1 JSON string without escapes.</summary>
    public static byte[] RandomId(Random random)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        var id = new byte[20];
        for (var i = 0; i < id.Length; i++) id[i] = (byte)Alphabet[random.Next(Alphabet.Length)];
        return id;
    }

    /// <summary>Runs <paramref name="workers"/> until the deadline; counts only operations completed after the warm-up.</summary>
    /// <summary>The server's process id when given: its CPU time over the measured window is reported per operation.</summary>
    public static int? ServerPid { get; private set; }

    /// <summary>Server CPU microseconds per operation over the last measured window (NaN without a server pid).</summary>
    public static double ServerMicrosPerOp { get; private set; } = double.NaN;

    /// <summary>User + system CPU time of <paramref name="pid"/> in seconds (from /proc, 100 Hz ticks).</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    public static async Task<(long Done, long Errors, double Seconds)> MeasureAsync(int workers, Func<int, Counter, CancellationToken, Task> worker, int seconds)
    {
        using var stop = new CancellationTokenSource();
        var counters = new Counter[workers];
        for (var i = 0; i < workers; i++) counters[i] = new Counter();
        var tasks = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            var index = i;
            tasks[i] = Task.Run(() => worker(index, counters[index], stop.Token));
        }
        await Task.Delay(WarmUp);
        long startDone = 0, startErrors = 0;
        foreach (var c in counters)
        {
            startDone += Volatile.Read(ref c.Done);
            startErrors += Volatile.Read(ref c.Errors);
        }
        var clock = Stopwatch.StartNew();
        var cpuStart = ServerPid is { } pid0 ? CpuSeconds(pid0) : 0;
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var cpuEnd = ServerPid is { } pid1 ? CpuSeconds(pid1) : 0;
        long done = 0, errors = 0;
        foreach (var c in counters)
        {
            done += Volatile.Read(ref c.Done);
            errors += Volatile.Read(ref c.Errors);
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        if (ServerPid is not null && done - startDone > 0) ServerMicrosPerOp = Math.Round((cpuEnd - cpuStart) * 1e6 / (done - startDone), 1);
        await stop.CancelAsync();
        await Task.WhenAll(tasks).WaitAsync(IoTimeout).ContinueWith(static _ => { }, TaskScheduler.Default);
        return (done - startDone, errors - startErrors, elapsed);
    }

    public static string Json(params (string Name, object Value)[] fields)
    {
        var text = new StringBuilder("{");
        foreach (var (name, value) in fields)
        {
            if (text.Length > 1) text.Append(',');
            text.Append('"').Append(name).Append("\":");
            text.Append(value switch
            {
                string s => "\"" + s + "\"",
                double d when double.IsNaN(d) => "null",
                double d => d.ToString("0.##", CultureInfo.InvariantCulture),
                _ => Convert.ToString(value, CultureInfo.InvariantCulture),
            });
        }
        return text.Append('}').ToString();
    }

    public static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
        }
        throw new InvalidOperationException("no VmRSS");
    }

    public static async Task<Socket> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>Per-worker counters, on their own objects so workers do not share cache lines.</summary>
internal sealed class Counter
{
    public long Done;
    public long Errors;
}

/// <summary>HTTP/1.1 keep-alive announces (compact, numwant 50), Content-Length or chunked responses.</summary>
internal static class HttpLoad
{
    public static async Task<string> RunAsync(IPEndPoint endpoint, int seconds, int connections, byte[][] infoHashes, Random random)
    {
        // A new peer id per request, as a swarm of many clients would send: swarms fill up to numwant quickly.
        var requests = new byte[65536][];
        for (var i = 0; i < requests.Length; i++)
        {
            var path = new StringBuilder("GET /announce?info_hash=");
            AppendPercent(path, infoHashes[random.Next(infoHashes.Length)]);
            path.Append("&peer_id=");
            AppendPercent(path, Program.RandomId(random));
            path.Append("&port=").Append(1024 + random.Next(60000)).Append("&uploaded=0&downloaded=0&left=")
                .Append(random.Next(2) == 0 ? 0 : 1000).Append("&compact=1&numwant=50 HTTP/1.1\r\nHost: ").Append(endpoint)
                .Append("\r\n\r\n");
            requests[i] = Encoding.ASCII.GetBytes(path.ToString());
        }
        var (done, errors, elapsed) = await Program.MeasureAsync(connections, (index, counter, stop) => WorkerAsync(endpoint, requests, index, counter, stop), seconds);
        return Program.Json(("mode", "http"), ("announcesPerSecond", Math.Round(done / elapsed)), ("done", done), ("errors", errors),
            ("connections", connections), ("seconds", elapsed), ("serverCpuMicrosPerAnnounce", Program.ServerMicrosPerOp));
    }

    private static void AppendPercent(StringBuilder text, byte[] id)
    {
        foreach (var b in id) text.Append('%').Append(b.ToString("x2", CultureInfo.InvariantCulture));
    }

    private static async Task WorkerAsync(IPEndPoint endpoint, byte[][] requests, int index, Counter counter, CancellationToken stop)
    {
        var random = new Random(index);
        var buffer = new byte[64 * 1024];
        Socket? socket = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    socket ??= await Program.ConnectAsync(endpoint, stop);
                    await socket.SendAsync(requests[random.Next(requests.Length)], SocketFlags.None, stop);
                    var length = 0;
                    int status;
                    while ((status = TryParseResponse(buffer.AsSpan(0, length))) == 0)
                    {
                        if (length == buffer.Length) throw new InvalidDataException("response too large");
                        var read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, stop);
                        if (read == 0) throw new IOException("closed");
                        length += read;
                    }
                    if (status == 200) Interlocked.Increment(ref counter.Done);
                    else Interlocked.Increment(ref counter.Errors);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception e) when (e is IOException or SocketException or InvalidDataException)
                {
                    Interlocked.Increment(ref counter.Errors);
                    socket?.Dispose();
                    socket = null;
                }
            }
        }
        finally
        {
            socket?.Dispose();
        }
    }

    /// <summary>0 while incomplete; the status code once the whole response (headers and body) is in <paramref name="data"/>.</summary>
    private static int TryParseResponse(ReadOnlySpan<byte> data)
    {
        var headerEnd = data.IndexOf("\r\n\r\n"u8);
        if (headerEnd < 0) return 0;
        if (headerEnd < 12 || !data.StartsWith("HTTP/1.1 "u8)) throw new InvalidDataException("not HTTP/1.1");
        var status = (data[9] - '0') * 100 + (data[10] - '0') * 10 + (data[11] - '0');
        var headers = data[..headerEnd];
        var body = data[(headerEnd + 4)..];
        var lengthAt = IndexOfIgnoreCase(headers, "\r\ncontent-length:"u8);
        if (lengthAt >= 0)
        {
            var value = headers[(lengthAt + 17)..];
            var end = value.IndexOf("\r\n"u8);
            if (end >= 0) value = value[..end];
            var contentLength = int.Parse(Encoding.ASCII.GetString(value).Trim(), CultureInfo.InvariantCulture);
            return body.Length >= contentLength ? status : 0;
        }
        if (IndexOfIgnoreCase(headers, "\r\ntransfer-encoding: chunked"u8) < 0) throw new InvalidDataException("no length");
        // Chunked: walk the chunks to the zero-length one (no trailers expected).
        while (true)
        {
            var line = body.IndexOf("\r\n"u8);
            if (line < 0) return 0;
            var size = int.Parse(Encoding.ASCII.GetString(body[..line]).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0) return body.Length >= line + 4 ? status : 0;
            if (body.Length < line + 2 + size + 2) return 0;
            body = body[(line + 2 + size + 2)..];
        }
    }

    private static int IndexOfIgnoreCase(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> lowerNeedle)
    {
        for (var i = 0; i + lowerNeedle.Length <= haystack.Length; i++)
        {
            var match = true;
            for (var j = 0; j < lowerNeedle.Length && match; j++)
            {
                var c = haystack[i + j];
                if (c is >= (byte)'A' and <= (byte)'Z') c = (byte)(c | 0x20);
                match = c == lowerNeedle[j];
            }
            if (match) return i;
        }
        return -1;
    }
}

/// <summary>BEP 15 UDP announces: one socket per client, connect once, then announces with that connection id.</summary>
internal static class UdpLoad
{
    private const long ProtocolId = 0x41727101980;

    public static async Task<string> RunAsync(IPEndPoint endpoint, int seconds, int clients, byte[][] infoHashes, Random random)
    {
        var announces = new byte[65536][];
        for (var i = 0; i < announces.Length; i++)
        {
            var a = new byte[98];
            BinaryPrimitives.WriteInt32BigEndian(a.AsSpan(8), 1);
            infoHashes[random.Next(infoHashes.Length)].CopyTo(a, 16);
            Program.RandomId(random).CopyTo(a, 36);
            BinaryPrimitives.WriteInt64BigEndian(a.AsSpan(64), random.Next(2) == 0 ? 0 : 1000);
            BinaryPrimitives.WriteInt32BigEndian(a.AsSpan(80), 2);
            BinaryPrimitives.WriteInt32BigEndian(a.AsSpan(88), random.Next());
            BinaryPrimitives.WriteInt32BigEndian(a.AsSpan(92), 50);
            BinaryPrimitives.WriteUInt16BigEndian(a.AsSpan(96), (ushort)(1024 + random.Next(60000)));
            announces[i] = a;
        }
        var (done, errors, elapsed) = await Program.MeasureAsync(clients, (index, counter, stop) => WorkerAsync(endpoint, announces, index, counter, stop), seconds);
        return Program.Json(("mode", "udp"), ("announcesPerSecond", Math.Round(done / elapsed)), ("done", done), ("errors", errors),
            ("clients", clients), ("seconds", elapsed), ("serverCpuMicrosPerAnnounce", Program.ServerMicrosPerOp));
    }

    private static async Task WorkerAsync(IPEndPoint endpoint, byte[][] announces, int index, Counter counter, CancellationToken stop)
    {
        var random = new Random(index);
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(endpoint);
        var send = new byte[98];
        var receive = new byte[2048];
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        long connectionId = 0;
        var transaction = index << 16;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                transaction++;
                int sendLength;
                if (connectionId == 0)
                {
                    BinaryPrimitives.WriteInt64BigEndian(send, ProtocolId);
                    BinaryPrimitives.WriteInt32BigEndian(send.AsSpan(8), 0);
                    sendLength = 16;
                }
                else
                {
                    announces[random.Next(announces.Length)].CopyTo(send, 0);
                    BinaryPrimitives.WriteInt64BigEndian(send, connectionId);
                    sendLength = 98;
                }
                BinaryPrimitives.WriteInt32BigEndian(send.AsSpan(12), transaction);
                try
                {
                    await socket.SendAsync(send.AsMemory(0, sendLength), SocketFlags.None, stop);
                    timeout.CancelAfter(TimeSpan.FromSeconds(1));
                    int read;
                    do
                    {
                        read = await socket.ReceiveAsync(receive, SocketFlags.None, timeout.Token);
                    }
                    while (read < 8 || BinaryPrimitives.ReadInt32BigEndian(receive.AsSpan(4)) != transaction); // a late reply to a timed-out request
                    if (!timeout.TryReset())
                    {
                        timeout.Dispose();
                        timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    }
                    var action = BinaryPrimitives.ReadInt32BigEndian(receive);
                    if (connectionId == 0 && action == 0 && read >= 16) connectionId = BinaryPrimitives.ReadInt64BigEndian(receive.AsSpan(8));
                    else if (action == 1 && read >= 20) Interlocked.Increment(ref counter.Done);
                    else
                    {
                        Interlocked.Increment(ref counter.Errors);
                        connectionId = 0;
                    }
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    // Lost datagram (the server's receive queue overflowed): count it and send again.
                    Interlocked.Increment(ref counter.Errors);
                    timeout.Dispose();
                    timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                }
                catch (SocketException)
                {
                    Interlocked.Increment(ref counter.Errors);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            timeout.Dispose();
        }
    }
}

/// <summary>WebSocket tracker announces over hand-built frames (masked client text frames, RFC 6455).</summary>
internal static class WebSocketLoad
{
    public static async Task<string> RunAsync(IPEndPoint endpoint, int seconds, int connections, byte[][] infoHashes, Random random)
    {
        // Per connection: its own peer id, 32 announces for random swarms (what a client of many torrents sends).
        var frames = new byte[connections][][];
        for (var c = 0; c < connections; c++)
        {
            var peerId = Program.RandomId(random);
            frames[c] = new byte[32][];
            for (var i = 0; i < frames[c].Length; i++) frames[c][i] = AnnounceFrame(infoHashes[random.Next(infoHashes.Length)], peerId, random);
        }
        var (done, errors, elapsed) = await Program.MeasureAsync(connections, (index, counter, stop) => WorkerAsync(endpoint, frames[index], index, counter, stop), seconds);
        return Program.Json(("mode", "ws"), ("announcesPerSecond", Math.Round(done / elapsed)), ("done", done), ("errors", errors),
            ("connections", connections), ("seconds", elapsed), ("serverCpuMicrosPerAnnounce", Program.ServerMicrosPerOp));
    }

    public static async Task<string> HoldAsync(IPEndPoint endpoint, int peers, int batch, int serverPid, byte[][] infoHashes, Random random)
    {
        var before = Program.Rss(serverPid);
        var sockets = new List<Socket>(peers);
        var failed = 0;
        var clock = Stopwatch.StartNew();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        for (var i = 0; i < peers; i += batch)
        {
            var count = Math.Min(batch, peers - i);
            var opening = new Task<Socket>[count];
            for (var j = 0; j < count; j++)
            {
                var frame = AnnounceFrame(infoHashes[(i + j) % infoHashes.Length], Program.RandomId(random), random);
                opening[j] = OpenAndAnnounceAsync(endpoint, frame, deadline.Token);
            }
            foreach (var task in opening)
            {
                try
                {
                    sockets.Add(await task);
                }
                catch (Exception e) when (e is IOException or SocketException or InvalidDataException or OperationCanceledException)
                {
                    failed++;
                }
            }
        }
        var setup = clock.Elapsed.TotalSeconds;
        await Task.Delay(TimeSpan.FromSeconds(3));
        var after = Program.Rss(serverPid);
        // Still open: nothing was closed by the server while we waited (a closed socket reads 0 bytes at once).
        var held = 0;
        foreach (var socket in sockets)
        {
            if (!socket.Poll(0, SelectMode.SelectRead) || socket.Available > 0) held++;
        }
        foreach (var socket in sockets) socket.Dispose();
        return Program.Json(("mode", "hold"), ("peersRequested", peers), ("peersHeld", held), ("failed", failed), ("setupSeconds", setup),
            ("serverRssBeforeMiB", before / 1048576.0), ("serverRssAfterMiB", after / 1048576.0),
            ("bytesPerPeer", (after - before) / Math.Max(1, held)));
    }

    private static async Task<Socket> OpenAndAnnounceAsync(IPEndPoint endpoint, byte[] frame, CancellationToken cancellationToken)
    {
        var socket = await Program.ConnectAsync(endpoint, cancellationToken);
        try
        {
            var buffer = new byte[1024];
            await HandshakeAsync(socket, endpoint, buffer, cancellationToken);
            await socket.SendAsync(frame, SocketFlags.None, cancellationToken);
            var (opcode, _) = await ReadFrameAsync(socket, buffer, 0, cancellationToken);
            if (opcode != 1) throw new InvalidDataException("no announce reply");
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>One masked text frame carrying a WebTorrent announce (numwant 0: no offers, the relay's plain path).</summary>
    private static byte[] AnnounceFrame(byte[] infoHash, byte[] peerId, Random random)
    {
        var json = Encoding.Latin1.GetBytes("{\"action\":\"announce\",\"info_hash\":\"" + Encoding.Latin1.GetString(infoHash) + "\",\"peer_id\":\""
            + Encoding.Latin1.GetString(peerId) + "\",\"numwant\":0,\"uploaded\":0,\"downloaded\":0,\"left\":0,\"event\":\"started\"}");
        var header = json.Length < 126 ? 2 : 4;
        var frame = new byte[header + 4 + json.Length];
        frame[0] = 0x81;
        if (header == 2)
        {
            frame[1] = (byte)(0x80 | json.Length);
        }
        else
        {
            frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)json.Length);
        }
        var mask = frame.AsSpan(header, 4);
        random.NextBytes(mask);
        for (var i = 0; i < json.Length; i++) frame[header + 4 + i] = (byte)(json[i] ^ mask[i & 3]);
        return frame;
    }

    private static async Task HandshakeAsync(Socket socket, IPEndPoint endpoint, byte[] buffer, CancellationToken cancellationToken)
    {
        var request = Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {endpoint}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        await socket.SendAsync(request, SocketFlags.None, cancellationToken);
        var length = 0;
        // Read byte-exact up to the end of the headers: the server sends nothing after them until we announce.
        while (length < 4 || !buffer.AsSpan(length - 4, 4).SequenceEqual("\r\n\r\n"u8))
        {
            if (length == buffer.Length) throw new InvalidDataException("handshake too long");
            var read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellationToken);
            if (read == 0) throw new IOException("closed during handshake");
            length += read;
        }
        if (!buffer.AsSpan(0, length).StartsWith("HTTP/1.1 101"u8)) throw new InvalidDataException("upgrade refused");
    }

    /// <summary>Reads one whole server frame (unmasked); returns its opcode and whether it carries a failure reason.</summary>
    private static async Task<(int Opcode, bool Failure)> ReadFrameAsync(Socket socket, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (complete, opcode, failure) = TryParseFrame(buffer.AsSpan(0, length));
            if (complete > 0)
            {
                if (complete != length) throw new InvalidDataException("unexpected extra frame"); // one request in flight
                return (opcode, failure);
            }
            if (length == buffer.Length) throw new InvalidDataException("frame too large");
            var read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellationToken);
            if (read == 0) throw new IOException("closed");
            length += read;
        }
    }

    private static (int Length, int Opcode, bool Failure) TryParseFrame(ReadOnlySpan<byte> data)
    {
        if (data.Length < 2) return default;
        var opcode = data[0] & 0x0F;
        var payload = data[1] & 0x7F;
        var header = 2;
        if (payload == 126)
        {
            if (data.Length < 4) return default;
            payload = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
            header = 4;
        }
        else if (payload == 127)
        {
            throw new InvalidDataException("frame too large");
        }
        if (data.Length < header + payload) return default;
        var failure = data.Slice(header, payload).IndexOf("failure"u8) >= 0;
        return (header + payload, opcode, failure);
    }

    private static async Task WorkerAsync(IPEndPoint endpoint, byte[][] frames, int index, Counter counter, CancellationToken stop)
    {
        var random = new Random(index);
        var buffer = new byte[16 * 1024];
        Socket? socket = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if (socket is null)
                    {
                        socket = await Program.ConnectAsync(endpoint, stop);
                        await HandshakeAsync(socket, endpoint, buffer, stop);
                    }
                    await socket.SendAsync(frames[random.Next(frames.Length)], SocketFlags.None, stop);
                    var (opcode, failure) = await ReadFrameAsync(socket, buffer, 0, stop);
                    if (opcode == 1 && !failure) Interlocked.Increment(ref counter.Done);
                    else throw new InvalidDataException(failure ? "failure reason" : "unexpected frame");
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception e) when (e is IOException or SocketException or InvalidDataException)
                {
                    Interlocked.Increment(ref counter.Errors);
                    socket?.Dispose();
                    socket = null;
                }
            }
        }
        finally
        {
            socket?.Dispose();
        }
    }
}
