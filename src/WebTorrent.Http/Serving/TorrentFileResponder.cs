using System.Buffers;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using MagnetUri;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using WebTorrent.Http.Catalog;

namespace WebTorrent.Http.Serving;

/// <summary>
/// Answers GET and HEAD for one file of a torrent: validators, preconditions, byte ranges (single, multipart, suffix,
/// open, unsatisfiable), content type and disposition, and a body streamed from the torrent through one pooled buffer.
/// </summary>
internal sealed partial class TorrentFileResponder
{
    private readonly IFileCatalog _catalog;
    private readonly TorrentHttpOptions _options;
    private readonly StreamLimiter _limiter;
    private readonly ILogger _logger;

    public TorrentFileResponder(IFileCatalog catalog, TorrentHttpOptions options, ILogger logger)
    {
        _catalog = catalog;
        _options = options;
        _logger = logger;
        _limiter = new StreamLimiter(options.MaxConcurrentStreams, options.MaxConcurrentStreamsPerClient);
    }

    /// <summary>Responses streaming a body now (for tests and diagnostics).</summary>
    public int ActiveStreams => _limiter.Active;

    /// <summary>Serves <c>/{infoHash}/{fileIndex}</c>.</summary>
    public Task ServeByIndexAsync(HttpContext context)
    {
        var torrent = FindTorrent(context);
        var file = torrent is not null
            && int.TryParse(context.Request.RouteValues["fileIndex"] as string, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? FileByIndex(torrent.Files, index)
            : null;
        return torrent is null || file is null ? NotFoundAsync(context) : ServeAsync(context, torrent, file);
    }

    /// <summary>Serves <c>/{infoHash}/{**path}</c>: only a path that names a file of the torrent exactly.</summary>
    public Task ServeByPathAsync(HttpContext context)
    {
        var torrent = FindTorrent(context);
        var path = context.Request.RouteValues["path"] as string;
        ICatalogFile? file = null;
        if (torrent is not null && !string.IsNullOrEmpty(path))
        {
            foreach (var candidate in torrent.Files)
            {
                if (string.Equals(candidate.Path, path, StringComparison.Ordinal)) { file = candidate; break; }
            }
        }
        return torrent is null || file is null ? NotFoundAsync(context) : ServeAsync(context, torrent, file);
    }

    /// <summary>The file whose <see cref="ICatalogFile.Index"/> is <paramref name="index"/> (padding files are not listed, so the list position can differ).</summary>
    private static ICatalogFile? FileByIndex(IReadOnlyList<ICatalogFile> files, int index)
    {
        if (index < files.Count && files[index].Index == index) return files[index];
        foreach (var file in files)
        {
            if (file.Index == index) return file;
        }
        return null;
    }

    internal ICatalogTorrent? FindTorrent(HttpContext context) =>
        context.Request.RouteValues["infoHash"] is string text && InfoHash.TryParse(text, out var hash) ? _catalog.Find(hash) : null;

    internal static Task NotFoundAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync("Not found: no such torrent or file.\n", context.RequestAborted);
    }

    private async Task ServeAsync(HttpContext context, ICatalogTorrent torrent, ICatalogFile file)
    {
        var request = context.Request;
        var response = context.Response;
        var length = file.Length;
        var etag = new EntityTagHeaderValue("\"" + torrent.InfoHash.ToHex() + "-" + file.Index.ToString(CultureInfo.InvariantCulture) + "\"");
        DateTimeOffset? lastModified = torrent.LastModified is { } lm
            ? new DateTimeOffset(lm.UtcTicks - lm.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero)
            : null;
        var contentType = ContentTypes.For(file.Name);

        var headers = response.Headers;
        headers.AcceptRanges = "bytes";
        headers.ETag = etag.ToString();
        if (lastModified is { } modified) headers.LastModified = modified.ToString("R", CultureInfo.InvariantCulture);

        var precondition = Preconditions.Evaluate(request, etag, lastModified);
        if (precondition == PreconditionResult.NotModified)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        if (precondition == PreconditionResult.PreconditionFailed)
        {
            response.StatusCode = StatusCodes.Status412PreconditionFailed;
            return;
        }

        var plan = precondition == PreconditionResult.ProceedIgnoringRange || request.Headers.Range.Count != 1
            ? ResponsePlan.Full(length)
            : ResponsePlan.ForRange(request.Headers.Range[0], length, _options.MaxRanges);

        if (plan.Kind == RangeRequestKind.Unsatisfiable)
        {
            response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
            headers.ContentRange = "bytes */" + length.ToString(CultureInfo.InvariantCulture);
            response.ContentLength = 0;
            return;
        }

        var head = HttpMethods.IsHead(request.Method);
        var client = context.Connection.RemoteIpAddress ?? IPAddress.None;
        var admitted = false;
        if (!head && plan.BodyLength > 0)
        {
            var admission = _limiter.TryEnter(client);
            if (admission != StreamAdmission.Admitted)
            {
                headers.Remove(HeaderNames.ETag);
                headers.Remove(HeaderNames.LastModified);
                headers.RetryAfter = "1";
                response.StatusCode = admission == StreamAdmission.ClientBusy ? StatusCodes.Status429TooManyRequests : StatusCodes.Status503ServiceUnavailable;
                response.ContentLength = 0;
                return;
            }
            admitted = true;
        }

        try
        {
            headers.XContentTypeOptions = "nosniff";
            if (ContentTypes.IsActive(contentType)) headers.ContentSecurityPolicy = "sandbox";
            headers.ContentDisposition = ContentDisposition.Create(file.Name, attachment: request.Query.ContainsKey("download"));
            string? boundary = null;
            if (plan.Kind == RangeRequestKind.Full)
            {
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = contentType;
            }
            else if (plan.Ranges.Length == 1)
            {
                var r = plan.Ranges[0];
                response.StatusCode = StatusCodes.Status206PartialContent;
                response.ContentType = contentType;
                headers.ContentRange = ContentRange(r, length);
            }
            else
            {
                boundary = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
                response.StatusCode = StatusCodes.Status206PartialContent;
                response.ContentType = "multipart/byteranges; boundary=" + boundary;
                plan = plan.WithMultipartLength(boundary, contentType, length);
            }
            response.ContentLength = plan.BodyLength;
            if (head || plan.BodyLength == 0) return;

            await StreamBodyAsync(context, file, plan, boundary, contentType, length);
        }
        finally
        {
            if (admitted) _limiter.Release(client);
        }
    }

    private async Task StreamBodyAsync(HttpContext context, ICatalogFile file, ResponsePlan plan, string? boundary, string contentType, long length)
    {
        var aborted = context.RequestAborted;
        var buffer = ArrayPool<byte>.Shared.Rent(_options.BufferSize);
        using var stall = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _options.TimeProvider);
        using var abortRegistration = aborted.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), stall);
        Stream? source = null;
        try
        {
            source = file.OpenRead();
            var body = context.Response.Body;
            for (var i = 0; i < plan.Ranges.Length; i++)
            {
                var range = plan.Ranges[i];
                if (boundary is not null)
                {
                    var partHeader = Encoding.ASCII.GetBytes(MultipartHeader(i, boundary, contentType, range, length));
                    await body.WriteAsync(partHeader, stall.Token);
                }
                await CopyRangeAsync(source, range, body, buffer, stall);
            }
            if (boundary is not null) await body.WriteAsync(Encoding.ASCII.GetBytes(MultipartEnd(boundary)), stall.Token);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away: stop reading, release the stream (finally).
        }
        catch (OperationCanceledException) when (stall.IsCancellationRequested)
        {
            LogStalled(_logger, file.Path, _options.StallTimeout);
            context.Abort();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            if (aborted.IsCancellationRequested) return;
            LogReadFailed(_logger, e, file.Path);
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.RetryAfter = "5";
                context.Response.ContentLength = 0;
            }
            else
            {
                context.Abort(); // a truncated body must not look complete
            }
        }
        finally
        {
            if (source is not null) await source.DisposeAsync();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task CopyRangeAsync(Stream source, ByteRange range, Stream body, byte[] buffer, CancellationTokenSource stall)
    {
        source.Seek(range.First, SeekOrigin.Begin);
        var remaining = range.Length;
        var infinite = _options.StallTimeout == Timeout.InfiniteTimeSpan;
        while (remaining > 0)
        {
            if (!infinite) stall.CancelAfter(_options.StallTimeout);
            var read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), stall.Token);
            if (!infinite) stall.CancelAfter(Timeout.InfiniteTimeSpan);
            if (read == 0) throw new IOException("The torrent stream ended before the end of the range.");
            remaining -= read;
            await body.WriteAsync(buffer.AsMemory(0, read), stall.Token);
        }
    }

    internal static string ContentRange(ByteRange range, long length) =>
        string.Create(CultureInfo.InvariantCulture, $"bytes {range.First}-{range.Last}/{length}");

    internal static string MultipartHeader(int index, string boundary, string contentType, ByteRange range, long length) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{(index == 0 ? "" : "\r\n")}--{boundary}\r\nContent-Type: {contentType}\r\nContent-Range: bytes {range.First}-{range.Last}/{length}\r\n\r\n");

    internal static string MultipartEnd(string boundary) => "\r\n--" + boundary + "--\r\n";

    [LoggerMessage(Level = LogLevel.Warning, Message = "No data for {Path} within {Timeout}: dropping the response")]
    private static partial void LogStalled(ILogger logger, string path, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading {Path} from the torrent failed")]
    private static partial void LogReadFailed(ILogger logger, Exception exception, string path);
}

/// <summary>What a response will send: whole file, or these ranges, and how many body bytes that makes.</summary>
internal readonly struct ResponsePlan
{
    private ResponsePlan(RangeRequestKind kind, ByteRange[] ranges, long bodyLength)
    {
        Kind = kind;
        Ranges = ranges;
        BodyLength = bodyLength;
    }

    public RangeRequestKind Kind { get; }

    /// <summary>The ranges to send, in order (one covering the file for a full response; empty for an empty file).</summary>
    public ByteRange[] Ranges { get; }

    /// <summary>Content-Length of the response.</summary>
    public long BodyLength { get; }

    public static ResponsePlan Full(long length) =>
        new(RangeRequestKind.Full, length == 0 ? [] : [new ByteRange(0, length - 1)], length);

    public static ResponsePlan ForRange(string? header, long length, int maxRanges)
    {
        Span<ByteRange> ranges = stackalloc ByteRange[maxRanges];
        var kind = ByteRangeParser.Parse(header, length, ranges, out var count);
        return kind switch
        {
            RangeRequestKind.Ranges => new ResponsePlan(kind, ranges[..count].ToArray(), count == 1 ? ranges[0].Length : 0),
            RangeRequestKind.Unsatisfiable => new ResponsePlan(kind, [], 0),
            _ => Full(length),
        };
    }

    /// <summary>The same ranges with the exact multipart/byteranges body length.</summary>
    public ResponsePlan WithMultipartLength(string boundary, string contentType, long length)
    {
        long total = TorrentFileResponder.MultipartEnd(boundary).Length;
        for (var i = 0; i < Ranges.Length; i++)
        {
            total += TorrentFileResponder.MultipartHeader(i, boundary, contentType, Ranges[i], length).Length + Ranges[i].Length;
        }
        return new ResponsePlan(Kind, Ranges, total);
    }
}
