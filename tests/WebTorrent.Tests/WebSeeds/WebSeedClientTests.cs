using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using WebTorrent.Metainfo;
using WebTorrent.WebSeeds;

namespace WebTorrent.Tests.WebSeeds;

/// <summary>BEP 19 web seeds against a small HttpListener server on 127.0.0.1 that serves a torrent's files with Range.</summary>
public sealed class WebSeedClientTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wt-webseed-" + Guid.NewGuid().ToString("n"));
    private TestHttpServer _server = null!;
    private TorrentMetainfo _torrent = null!;
    private byte[] _pieceSpace = null!;

    public async Task InitializeAsync()
    {
        // A folder with a space and a non-ASCII name, files in a sub folder: every URL segment must be percent-encoded.
        var folder = Path.Combine(_root, "My Files ä");
        Directory.CreateDirectory(Path.Combine(folder, "sub dir"));
        var random = new Random(19);
        var contents = new (string Path, int Length)[] { ("a.bin", 40_000), ("sub dir/b #1.bin", 1), ("sub dir/c%.bin", 70_001), ("z.bin", 16_384) };
        foreach (var (path, length) in contents)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            await File.WriteAllBytesAsync(Path.Combine(folder, path), bytes);
        }
        // Hybrid: padding files align each file to a piece, so reads cross padding that is never requested.
        _torrent = await TorrentCreator.CreateFromPathAsync(folder, new TorrentCreationOptions { PieceLength = 16_384, Version = TorrentVersion.Hybrid });
        Assert.Contains(_torrent.Files, f => f.IsPadding);
        _pieceSpace = new byte[_torrent.TotalLength];
        foreach (var file in _torrent.Files.Where(f => !f.IsPadding))
            (await File.ReadAllBytesAsync(Path.Combine(_root, Path.Combine([.. file.PathSegments])))).CopyTo(_pieceSpace, file.Offset);
        _server = TestHttpServer.Start(_root);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_root, true);
    }

    [Fact]
    public async Task Every_piece_of_a_multi_file_torrent_reads_and_verifies()
    {
        using var seed = new WebSeedClient(_torrent, new Uri(_server.BaseUri, "/"));
        var buffer = new byte[_torrent.PieceLength];
        for (var piece = 0; piece < _torrent.PieceCount; piece++)
        {
            var size = _torrent.GetPieceSize(piece);
            await seed.ReadPieceAsync(piece, buffer, CancellationToken.None).AsTask().WaitAsync(Wait);
            Assert.True(SHA1.HashData(buffer.AsSpan(0, size)).AsSpan().SequenceEqual(_torrent.GetPieceHash(piece)), $"piece {piece} does not verify");
        }
        Assert.Equal(0, seed.ConsecutiveFailures);
        Assert.Equal(_torrent.ContentLength, seed.BytesDownloaded);
        // Padding is never asked for, and names are percent-encoded under the torrent's name.
        Assert.DoesNotContain(_server.Requests, r => r.Contains(".pad", StringComparison.Ordinal));
        Assert.Contains("/My%20Files%20%C3%A4/sub%20dir/b%20%231.bin", _server.Requests);
        Assert.Contains("/My%20Files%20%C3%A4/sub%20dir/c%25.bin", _server.Requests);
    }

    [Fact]
    public async Task Reads_at_any_offset_cross_file_boundaries_and_padding()
    {
        using var seed = new WebSeedClient(_torrent, new Uri(_server.BaseUri.ToString().TrimEnd('/'))); // no trailing slash: one is added
        var random = new Random(3);
        for (var i = 0; i < 25; i++)
        {
            var offset = random.NextInt64(0, _pieceSpace.Length - 1);
            var length = (int)Math.Min(_pieceSpace.Length - offset, random.Next(1, 50_000));
            var buffer = new byte[length];
            await seed.ReadAsync(offset, buffer).AsTask().WaitAsync(Wait);
            Assert.True(buffer.AsSpan().SequenceEqual(_pieceSpace.AsSpan((int)offset, length)), $"bytes {offset}+{length} differ");
        }
        var ranges = seed.MapRange(0, (int)_torrent.TotalLength);
        Assert.Equal(_torrent.Files.Count(f => !f.IsPadding), ranges.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => seed.MapRange(_torrent.TotalLength - 1, 2));
    }

    [Fact]
    public async Task A_single_file_torrent_reads_from_the_url_itself_or_the_folder_url_plus_its_name()
    {
        var single = await TorrentCreator.CreateFromPathAsync(Path.Combine(_root, "My Files ä", "a.bin"), new TorrentCreationOptions { PieceLength = 16_384 });
        var expected = await File.ReadAllBytesAsync(Path.Combine(_root, "My Files ä", "a.bin"));
        using var direct = new WebSeedClient(single, new Uri(_server.BaseUri, "/My%20Files%20%C3%A4/a.bin"));
        using var folder = new WebSeedClient(single, new Uri(_server.BaseUri, "/My%20Files%20%C3%A4/"));
        Assert.Equal(direct.GetFileUri(0), folder.GetFileUri(0));
        var buffer = new byte[1000];
        await folder.ReadAsync(39_000, buffer).AsTask().WaitAsync(Wait);
        Assert.True(buffer.AsSpan().SequenceEqual(expected.AsSpan(39_000, 1000)));
    }

    [Theory]
    [InlineData(Fault.NotFound, "404")]
    [InlineData(Fault.ShortContentLength, "declared")]
    [InlineData(Fault.ShortChunked, "instead of")]
    [InlineData(Fault.LongChunked, "more than")]
    [InlineData(Fault.WrongContentRange, "Content-Range")]
    [InlineData(Fault.IgnoresRange, "ignored the Range")]
    public async Task Bad_answers_are_typed_errors_and_counted(Fault fault, string message)
    {
        _server.Fault = fault;
        using var seed = new WebSeedClient(_torrent, _server.BaseUri);
        var buffer = new byte[1000];
        var error = await Assert.ThrowsAsync<WebSeedException>(() => seed.ReadAsync(1000, buffer).AsTask().WaitAsync(Wait));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.RequestUri);
        Assert.Equal(1, seed.ConsecutiveFailures);
        await Assert.ThrowsAsync<WebSeedException>(() => seed.ReadAsync(1000, buffer).AsTask().WaitAsync(Wait));
        Assert.Equal(2, seed.ConsecutiveFailures);
        _server.Fault = Fault.None;
        await seed.ReadAsync(1000, buffer).AsTask().WaitAsync(Wait);
        Assert.Equal(0, seed.ConsecutiveFailures);
        Assert.Equal(2, seed.Failures);
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out_and_cancellation_is_honoured()
    {
        _server.Fault = Fault.Hang;
        using var seed = new WebSeedClient(_torrent, _server.BaseUri, new WebSeedClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        await Assert.ThrowsAsync<TimeoutException>(() => seed.ReadAsync(0, new byte[100]).AsTask().WaitAsync(Wait));
        using var patient = new WebSeedClient(_torrent, _server.BaseUri);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => patient.ReadAsync(0, new byte[100], cancel.Token).AsTask().WaitAsync(Wait));
        using var small = new WebSeedClient(_torrent, _server.BaseUri, new WebSeedClientOptions { MaxReadLength = 10 });
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => small.ReadAsync(0, new byte[11]).AsTask());
        Assert.Throws<ArgumentException>(() => new WebSeedClient(_torrent, new Uri("ftp://example/")));
    }

    public enum Fault
    {
        None,
        NotFound,
        ShortContentLength,
        ShortChunked,
        LongChunked,
        WrongContentRange,
        IgnoresRange,
        Hang,
    }

    /// <summary>Serves files under a folder with single byte ranges (206 + Content-Range), or misbehaves as told.</summary>
    private sealed class TestHttpServer : IAsyncDisposable
    {
        private readonly HttpListener _listener;
        private readonly string _root;
        private readonly Task _loop;
        private readonly CancellationTokenSource _stop = new();

        private TestHttpServer(HttpListener listener, string root, Uri baseUri)
        {
            _listener = listener;
            _root = root;
            BaseUri = baseUri;
            _loop = Task.Run(LoopAsync);
        }

        public Uri BaseUri { get; }

        public ConcurrentQueue<string> Requests { get; } = new();

        public volatile Fault Fault;

        public static TestHttpServer Start(string root)
        {
            for (var attempt = 0; ; attempt++)
            {
                // HttpListener needs a port up front: take a free one from the OS, then listen on it.
                var probe = new TcpListener(IPAddress.Loopback, 0);
                probe.Start();
                var port = ((IPEndPoint)probe.LocalEndpoint).Port;
                probe.Stop();
                var listener = new HttpListener();
                var prefix = $"http://127.0.0.1:{port}/";
                listener.Prefixes.Add(prefix);
                try
                {
                    listener.Start();
                    return new TestHttpServer(listener, root, new Uri(prefix));
                }
                catch (HttpListenerException) when (attempt < 10)
                {
                    listener.Close();
                }
            }
        }

        private async Task LoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception) when (_stop.IsCancellationRequested || !_listener.IsListening)
                {
                    return;
                }
                _ = Task.Run(() => ServeAsync(context));
            }
        }

        private async Task ServeAsync(HttpListenerContext context)
        {
            var response = context.Response;
            try
            {
                var raw = context.Request.RawUrl ?? "/";
                Requests.Enqueue(raw);
                var relative = Uri.UnescapeDataString(new Uri(BaseUri, raw).AbsolutePath).TrimStart('/');
                var path = Path.GetFullPath(Path.Combine(_root, relative));
                var fault = Fault;
                if (fault == Fault.Hang)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                    return;
                }
                if (fault == Fault.NotFound || !path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(path))
                {
                    response.StatusCode = 404;
                    response.Close();
                    return;
                }
                var content = await File.ReadAllBytesAsync(path);
                var range = context.Request.Headers["Range"];
                if (range is null || fault == Fault.IgnoresRange)
                {
                    response.StatusCode = 200;
                    response.ContentLength64 = content.Length;
                    await response.OutputStream.WriteAsync(content);
                    response.Close();
                    return;
                }
                var parts = range["bytes=".Length..].Split('-');
                var start = long.Parse(parts[0]);
                var end = Math.Min(long.Parse(parts[1]), content.Length - 1);
                var length = (int)(end - start + 1);
                response.StatusCode = 206;
                var shownStart = fault == Fault.WrongContentRange ? start + 1 : start;
                response.Headers["Content-Range"] = $"bytes {shownStart}-{end}/{content.Length}";
                switch (fault)
                {
                    case Fault.ShortContentLength:
                        response.ContentLength64 = length - 1;
                        await response.OutputStream.WriteAsync(content.AsMemory((int)start, length - 1));
                        break;
                    case Fault.ShortChunked:
                        response.SendChunked = true;
                        await response.OutputStream.WriteAsync(content.AsMemory((int)start, length - 1));
                        break;
                    case Fault.LongChunked:
                        response.SendChunked = true;
                        await response.OutputStream.WriteAsync(content.AsMemory((int)start, length));
                        await response.OutputStream.WriteAsync(new byte[10]);
                        break;
                    default:
                        response.ContentLength64 = length;
                        await response.OutputStream.WriteAsync(content.AsMemory((int)start, length));
                        break;
                }
                response.Close();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
            }
            catch (HttpListenerException)
            {
                // The client went away (a test that cancelled): nothing to answer.
            }
            catch (IOException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            _listener.Close();
            try
            {
                await _loop.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception) when (_loop.IsCompleted || _loop.IsFaulted)
            {
            }
            _stop.Dispose();
        }
    }
}
