using System.Net;
using System.Net.Http.Headers;
using System.Text;
using WebTorrent.Metainfo;

namespace WebTorrent.WebSeeds;

/// <summary>Settings of <see cref="WebSeedClient"/>.</summary>
public sealed class WebSeedClientOptions
{
    /// <summary>An HttpClient to use (not disposed by the client); null creates one the client owns.</summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>The longest one <see cref="WebSeedClient.ReadAsync"/> may take (all its requests). Default 60 seconds.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The most bytes one read may ask for (the destination's length). Default 16 MiB.</summary>
    public int MaxReadLength { get; init; } = 16 * 1024 * 1024;

    /// <summary>Time source of the timeout. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>A web seed answered something other than the bytes asked for.</summary>
public sealed class WebSeedException : Exception
{
    /// <summary>Creates an exception.</summary>
    public WebSeedException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public WebSeedException(string message) : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public WebSeedException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>The HTTP status, when the server answered.</summary>
    public HttpStatusCode? StatusCode { get; init; }

    /// <summary>The URL requested.</summary>
    public Uri? RequestUri { get; init; }
}

/// <summary>One HTTP request of a read: bytes <see cref="Start"/> to <see cref="Start"/> + <see cref="Length"/> - 1 of <see cref="Uri"/>.</summary>
/// <param name="Uri">The file's URL.</param>
/// <param name="FileIndex">The file's index in the torrent.</param>
/// <param name="Start">First byte in the file.</param>
/// <param name="Length">Bytes.</param>
/// <param name="DestinationOffset">Where the bytes go in the read's destination.</param>
/// <param name="FileLength">The file's whole length (checked against Content-Range).</param>
public readonly record struct WebSeedRange(Uri Uri, int FileIndex, long Start, long Length, int DestinationOffset, long FileLength);

/// <summary>
/// A BEP 19 web seed: reads any byte range of a torrent from an HTTP server holding its files, with Range requests.
/// Single-file torrents: the URL is the file (a URL ending in '/' gets the torrent name appended). Multi-file
/// torrents: each file is at URL + name + '/' + path, every segment percent-encoded ('/' appended to the URL when
/// missing). Reads cross file boundaries; padding files (and the gaps of v2 layouts) read as zeros without a request.
/// Every answer is checked: 206 with a matching Content-Range and exactly the bytes asked for (or 200 with the whole
/// file when the range is the whole file). The engine treats a web seed as a peer that has every piece.
/// </summary>
public sealed class WebSeedClient : IDisposable
{
    private readonly TorrentMetainfo _torrent;
    private readonly WebSeedClientOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly Uri[] _fileUris;
    private long _bytesDownloaded;
    private int _consecutiveFailures;
    private long _failures;

    /// <summary>Creates a web seed for <paramref name="torrent"/> at <paramref name="url"/> (from <c>url-list</c> or a magnet's <c>ws=</c>).</summary>
    /// <exception cref="ArgumentException">The URL is not http(s).</exception>
    public WebSeedClient(TorrentMetainfo torrent, Uri url, WebSeedClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")) throw new ArgumentException("A web seed URL is http:// or https://.", nameof(url));
        _options = options ?? new WebSeedClientOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.MaxReadLength);
        if (_options.RequestTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "The request timeout must be positive.");
        ArgumentNullException.ThrowIfNull(_options.TimeProvider);
        _torrent = torrent;
        Url = url;
        _ownsHttp = _options.HttpClient is null;
        _http = _options.HttpClient ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        _fileUris = BuildFileUris(torrent, url);
    }

    /// <summary>The web seed's URL.</summary>
    public Uri Url { get; }

    /// <summary>Payload bytes received.</summary>
    public long BytesDownloaded => Interlocked.Read(ref _bytesDownloaded);

    /// <summary>Reads that failed in a row (0 after a success): the engine drops the seed past a threshold of its own.</summary>
    public int ConsecutiveFailures => Volatile.Read(ref _consecutiveFailures);

    /// <summary>Reads that failed in total.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>The URL of file <paramref name="fileIndex"/> on this web seed.</summary>
    public Uri GetFileUri(int fileIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fileIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(fileIndex, _fileUris.Length);
        return _fileUris[fileIndex];
    }

    /// <summary>The HTTP requests a read of <paramref name="length"/> bytes at <paramref name="torrentOffset"/> makes (padding and gaps excluded).</summary>
    public IReadOnlyList<WebSeedRange> MapRange(long torrentOffset, int length)
    {
        CheckRange(torrentOffset, length);
        var ranges = new List<WebSeedRange>();
        var end = torrentOffset + length;
        var files = _torrent.Files;
        for (var i = FirstFileAt(torrentOffset); i < files.Count; i++)
        {
            var file = files[i];
            if (file.Offset >= end) break;
            if (file.IsPadding || file.Length == 0) continue;
            var fileEnd = file.Offset + file.Length;
            var start = Math.Max(torrentOffset, file.Offset);
            var stop = Math.Min(end, fileEnd);
            if (stop <= start) continue;
            ranges.Add(new WebSeedRange(_fileUris[i], i, start - file.Offset, stop - start, (int)(start - torrentOffset), file.Length));
        }
        return ranges;
    }

    /// <summary>Reads piece <paramref name="pieceIndex"/> into <paramref name="destination"/> (at least the piece's size).</summary>
    public ValueTask ReadPieceAsync(int pieceIndex, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pieceIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(pieceIndex, _torrent.PieceCount);
        var size = _torrent.GetPieceSize(pieceIndex);
        if (destination.Length < size) throw new ArgumentException($"Piece {pieceIndex} is {size} bytes.", nameof(destination));
        return ReadAsync(PieceOffset(pieceIndex), destination[..size], cancellationToken);
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with the torrent's bytes from <paramref name="torrentOffset"/> (piece space:
    /// <c>piece × piece length + offset</c>). Throws <see cref="WebSeedException"/> when the server fails or answers
    /// other bytes than asked, <see cref="TimeoutException"/> after <see cref="WebSeedClientOptions.RequestTimeout"/>.
    /// </summary>
    public async ValueTask ReadAsync(long torrentOffset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        CheckRange(torrentOffset, destination.Length);
        using var timer = new CancellationTokenSource(_options.RequestTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            // Padding files and gaps read as zeros; each file range is one request.
            destination.Span.Clear();
            foreach (var range in MapRange(torrentOffset, destination.Length))
                await ReadRangeAsync(range, destination.Slice(range.DestinationOffset, (int)range.Length), linked.Token).ConfigureAwait(false);
            Volatile.Write(ref _consecutiveFailures, 0);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timer.IsCancellationRequested)
        {
            Failed();
            throw new TimeoutException($"The web seed {Url} did not answer within {_options.RequestTimeout}.");
        }
        catch (Exception e) when (e is WebSeedException or IOException)
        {
            Failed();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private void Failed()
    {
        Interlocked.Increment(ref _consecutiveFailures);
        Interlocked.Increment(ref _failures);
    }

    private async Task ReadRangeAsync(WebSeedRange range, Memory<byte> destination, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, range.Uri);
        request.Headers.Range = new RangeHeaderValue(range.Start, range.Start + range.Length - 1);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new WebSeedException($"Cannot reach {range.Uri}: {e.Message}", e) { RequestUri = range.Uri };
        }
        using (response)
        {
            var wholeFile = range.Start == 0 && range.Length == range.FileLength;
            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                var contentRange = response.Content.Headers.ContentRange;
                if (contentRange is null || !string.Equals(contentRange.Unit, "bytes", StringComparison.OrdinalIgnoreCase)
                    || contentRange.From != range.Start || contentRange.To != range.Start + range.Length - 1
                    || (contentRange.Length is { } total && total != range.FileLength))
                {
                    throw Error(response, range, $"answered Content-Range '{contentRange}' for bytes {range.Start}-{range.Start + range.Length - 1}/{range.FileLength}");
                }
            }
            else if (response.StatusCode == HttpStatusCode.OK)
            {
                // A server that ignores Range sends the whole file: usable only when the whole file was asked for.
                if (!wholeFile) throw Error(response, range, "ignored the Range header (200 instead of 206)");
            }
            else
            {
                throw Error(response, range, $"answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            if (response.Content.Headers.ContentLength is { } declared && declared != range.Length)
                throw Error(response, range, $"declared {declared} bytes instead of {range.Length}");
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var read = 0;
            while (read < destination.Length)
            {
                int n;
                try
                {
                    n = await body.ReadAsync(destination[read..], cancellationToken).ConfigureAwait(false);
                }
                catch (HttpRequestException e)
                {
                    throw new WebSeedException($"The web seed {range.Uri} failed mid-body: {e.Message}", e) { RequestUri = range.Uri, StatusCode = response.StatusCode };
                }
                if (n == 0) throw Error(response, range, $"sent {read} bytes instead of {range.Length}");
                read += n;
                Interlocked.Add(ref _bytesDownloaded, n);
            }
            // Without a Content-Length the body must end here: one more byte means the server sent other bytes than asked.
            var probe = new byte[1];
            if (await body.ReadAsync(probe, cancellationToken).ConfigureAwait(false) != 0)
                throw Error(response, range, $"sent more than {range.Length} bytes");
        }
    }

    private static WebSeedException Error(HttpResponseMessage response, WebSeedRange range, string what) =>
        new($"The web seed {range.Uri} {what}.") { StatusCode = response.StatusCode, RequestUri = range.Uri };

    private void CheckRange(long torrentOffset, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(torrentOffset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        if (length > _options.MaxReadLength) throw new ArgumentOutOfRangeException(nameof(length), $"Reads are at most {_options.MaxReadLength} bytes (WebSeedClientOptions.MaxReadLength).");
        if (torrentOffset + length > PieceSpaceLength) throw new ArgumentOutOfRangeException(nameof(length), "The range ends past the torrent.");
    }

    private long PieceSpaceLength
    {
        get
        {
            if (_torrent.PieceCount == 0) return 0;
            return PieceOffset(_torrent.PieceCount - 1) + _torrent.GetPieceSize(_torrent.PieceCount - 1);
        }
    }

    private long PieceOffset(int pieceIndex) => (long)pieceIndex * _torrent.PieceLength;

    private int FirstFileAt(long offset)
    {
        var files = _torrent.Files;
        int low = 0, high = files.Count - 1, found = files.Count;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            if (files[mid].Offset + files[mid].Length > offset)
            {
                found = mid;
                high = mid - 1;
            }
            else
            {
                low = mid + 1;
            }
        }
        return found;
    }

    /// <summary>BEP 19 URL of every file: the URL itself for a single file, URL + name + '/' + path for several.</summary>
    internal static Uri[] BuildFileUris(TorrentMetainfo torrent, Uri url)
    {
        var baseText = url.AbsoluteUri;
        var rawNames = RawPaths(torrent);
        var uris = new Uri[torrent.Files.Count];
        for (var i = 0; i < uris.Length; i++)
        {
            if (torrent.IsSingleFile)
            {
                uris[i] = baseText.EndsWith('/') ? new Uri(baseText + Escape(rawNames[i][0])) : url;
                continue;
            }
            var builder = new StringBuilder(baseText);
            if (!baseText.EndsWith('/')) builder.Append('/');
            var segments = rawNames[i];
            for (var s = 0; s < segments.Count; s++)
            {
                if (s > 0) builder.Append('/');
                builder.Append(Escape(segments[s]));
            }
            uris[i] = new Uri(builder.ToString());
        }
        return uris;
    }

    /// <summary>Each file's path as the torrent spells it (name first), before any cleaning for the local disk.</summary>
    private static List<IReadOnlyList<string>> RawPaths(TorrentMetainfo torrent)
    {
        var result = torrent.Files.Select(f => f.PathSegments).ToList();
        var info = torrent.Info;
        var name = info.GetText("name.utf-8") ?? info.GetText("name");
        if (name is null) return result;
        if (torrent.IsSingleFile)
        {
            result[0] = [name];
            return result;
        }
        if (info.Get<Bencode.BencodeList>("files") is not { } list || list.Count != result.Count) return result;
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not Bencode.BencodeDictionary entry) return result;
            var path = entry.Get<Bencode.BencodeList>("path.utf-8") ?? entry.Get<Bencode.BencodeList>("path");
            if (path is null) return result;
            var segments = new List<string>(path.Count + 1) { name };
            foreach (var segment in path)
            {
                if (segment is Bencode.BencodeString text) segments.Add(text.ToString());
            }
            result[i] = segments;
        }
        return result;
    }

    private static string Escape(string segment) => Uri.EscapeDataString(segment);
}
