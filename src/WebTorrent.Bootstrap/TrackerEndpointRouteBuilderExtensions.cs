using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using WebTorrent.Bootstrap.Swarms;
using WebTorrent.Bootstrap.WebSockets;

namespace WebTorrent.Bootstrap;

/// <summary>Maps the WebTorrent tracker's endpoints into an ASP.NET Core app.</summary>
public static class TrackerEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the tracker under <paramref name="prefix"/>: WebSocket tracker on <c>/</c> and <c>/announce</c> (what browser
    /// WebTorrent dials as <c>ws://host/</c>), HTTP announce <c>/announce</c> and scrape <c>/scrape</c>, <c>POST /offer</c>,
    /// and <c>/stats</c> (HTML) and <c>/stats.json</c>. Call <see cref="TrackerServiceCollectionExtensions.AddWebTorrentTracker"/>
    /// first. When <paramref name="endpoints"/> is the app itself, the WebSocket middleware is added too.
    /// </summary>
    /// <param name="endpoints">The app or endpoint builder.</param>
    /// <param name="prefix">Route prefix, for example <c>/tracker</c>; empty for the root.</param>
    /// <returns>The route group, for conventions (authorization, rate limiting...).</returns>
    public static RouteGroupBuilder MapWebTorrentTracker(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints is IApplicationBuilder app) app.UseWebSockets();
        var tracker = endpoints.ServiceProvider.GetRequiredService<WebTorrentTracker>();
        var group = endpoints.MapGroup(prefix);

        group.MapGet("/", context => context.WebSockets.IsWebSocketRequest
            ? AcceptWebSocketAsync(context, tracker)
            : WriteTextAsync(context, "text/plain; charset=utf-8", "WebTorrent tracker: ws:// for WebTorrent peers, /announce and /scrape for BitTorrent clients, POST /offer, /stats.\n"));
        group.MapGet("/announce", context => context.WebSockets.IsWebSocketRequest
            ? AcceptWebSocketAsync(context, tracker)
            : HttpAnnounceAsync(context, tracker));
        group.MapGet("/scrape", context =>
        {
            var body = RentBodyBuffer();
            tracker.HttpScrape(context.Request.QueryString.Value, body);
            return WriteBencodedAsync(context, body);
        });
        group.MapPost("/offer", context =>
        {
            AllowOrigin(context, tracker.Options.OfferAllowedOrigins);
            return PostOfferAsync(context, tracker);
        });
        group.MapMethods("/offer", [HttpMethods.Options], context =>
        {
            // CORS preflight of a cross-origin fetch with a JSON body.
            if (AllowOrigin(context, tracker.Options.OfferAllowedOrigins))
            {
                context.Response.Headers.AccessControlAllowMethods = "POST";
                context.Response.Headers.AccessControlAllowHeaders = "content-type";
                context.Response.Headers.AccessControlMaxAge = "600";
            }
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        });
        if (tracker.Options.EnableStats)
        {
            group.MapGet("/stats.json", context =>
            {
                context.Response.Headers.CacheControl = "no-store";
                return context.Response.WriteAsJsonAsync(tracker.GetStats(), TrackerJsonContext.Default.WebTorrentTrackerStats, cancellationToken: context.RequestAborted);
            });
            group.MapGet("/stats", context => WriteTextAsync(context, "text/html; charset=utf-8", StatsPage(tracker.GetStats())));
        }
        return group;
    }

    private static async Task AcceptWebSocketAsync(HttpContext context, WebTorrentTracker tracker)
    {
        var source = AddressKey.From(context.Connection.RemoteIpAddress ?? IPAddress.Loopback);
        if (!tracker.WebSocketsPerAddress.TryAcquire(source, tracker.Options.MaxConnectionsPerAddress))
        {
            Interlocked.Increment(ref tracker.Counters.DroppedConnections);
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return;
        }
        try
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = false });
            var connection = new WebSocketPeerConnection(socket, tracker, source);
            await connection.RunAsync(context.RequestAborted);
        }
        finally
        {
            tracker.WebSocketsPerAddress.Release(source);
        }
    }

    private static Task HttpAnnounceAsync(HttpContext context, WebTorrentTracker tracker)
    {
        var body = RentBodyBuffer();
        tracker.HttpAnnounce(context.Request.QueryString.Value, context.Connection.RemoteIpAddress ?? IPAddress.Loopback, body);
        return WriteBencodedAsync(context, body);
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_body;

    /// <summary>A per-thread buffer for one bencoded response (used synchronously, before any await).</summary>
    private static ArrayBufferWriter<byte> RentBodyBuffer()
    {
        var body = t_body ??= new ArrayBufferWriter<byte>(4096);
        body.ResetWrittenCount();
        return body;
    }

    /// <summary>
    /// Writes a complete bencoded body with its Content-Length: Kestrel then sends headers and body in one write when the
    /// request ends, instead of a chunked body and a separate terminating chunk.
    /// </summary>
    private static Task WriteBencodedAsync(HttpContext context, ArrayBufferWriter<byte> body)
    {
        var response = context.Response;
        response.ContentType = "text/plain";
        response.ContentLength = body.WrittenCount;
        var output = response.BodyWriter;
        body.WrittenSpan.CopyTo(output.GetSpan(body.WrittenCount));
        output.Advance(body.WrittenCount);
        return Task.CompletedTask;
    }

    private static async Task PostOfferAsync(HttpContext context, WebTorrentTracker tracker)
    {
        OfferRequest? request;
        try
        {
            if (context.Request.ContentLength > tracker.Options.MaxMessageSize)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                return;
            }
            request = await System.Text.Json.JsonSerializer.DeserializeAsync(
                new LimitedStream(context.Request.Body, tracker.Options.MaxMessageSize), TrackerJsonContext.Default.OfferRequest, context.RequestAborted);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException)
        {
            await WriteProblemAsync(context, StatusCodes.Status400BadRequest,
                "The body must be {\"info_hash\": \"<40 hex digits>\", \"offer\": {\"type\": \"offer\", \"sdp\": \"...\"}} or {\"dht\": true, \"target\": \"<40 hex digits, optional>\", \"offer\": {...}}.");
            return;
        }
        if (request is null || request.Offer.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            await WriteProblemAsync(context, StatusCodes.Status400BadRequest, "offer must be a JSON object {\"type\": \"offer\", \"sdp\": \"...\"}.");
            return;
        }
        var dht = request.Dht == true;
        if (dht == (request.InfoHash is not null))
        {
            await WriteProblemAsync(context, StatusCodes.Status400BadRequest,
                "Give either info_hash (40 hex digits: join that swarm) or \"dht\": true (a DHT introduction), not both or neither.");
            return;
        }
        byte[]? target = null;
        if (dht && request.Target is not null && !TryParseId(request.Target, out target))
        {
            await WriteProblemAsync(context, StatusCodes.Status400BadRequest, "target must be 40 hex digits.");
            return;
        }
        byte[]? infoHash = null;
        if (!dht && !TryParseId(request.InfoHash!, out infoHash))
        {
            await WriteProblemAsync(context, StatusCodes.Status400BadRequest, "info_hash must be 40 hex digits.");
            return;
        }
        if (dht && tracker.DhtRendezvous is null)
        {
            await WriteProblemAsync(context, StatusCodes.Status404NotFound, "DHT introductions are disabled.");
            return;
        }
        var source = AddressKey.From(context.Connection.RemoteIpAddress ?? IPAddress.Loopback);
        if (!tracker.PendingOffersPerAddress.TryAcquire(source, tracker.Options.MaxPendingOffersPerAddress))
        {
            Interlocked.Increment(ref tracker.Counters.RejectedMessages);
            await WriteProblemAsync(context, StatusCodes.Status429TooManyRequests, "Too many offers from your address are waiting for an answer.");
            return;
        }
        OfferAnswer? answer;
        try
        {
            var offer = request.Offer.GetRawText();
            answer = dht
                ? await tracker.RelayDhtOfferAsync(target is null ? (ReadOnlyMemory<byte>?)null : target, offer, context.RequestAborted)
                : await tracker.RelayOfferAsync(infoHash, offer, context.RequestAborted);
        }
        catch (ArgumentException e)
        {
            await WriteProblemAsync(context, StatusCodes.Status400BadRequest, e.Message);
            return;
        }
        catch (InvalidOperationException e)
        {
            await WriteProblemAsync(context, StatusCodes.Status503ServiceUnavailable, e.Message);
            return;
        }
        finally
        {
            tracker.PendingOffersPerAddress.Release(source);
        }
        if (answer is null)
        {
            await WriteProblemAsync(context, StatusCodes.Status404NotFound, dht ? "No DHT node answered." : "No WebSocket peer of that swarm answered.");
            return;
        }
        context.Response.ContentType = "application/json";
        var body = $"{{\"info_hash\":\"{answer.InfoHash}\",\"peer_id\":\"{answer.PeerId}\",\"offer_id\":\"{answer.OfferId}\",\"answer\":{answer.AnswerJson}}}";
        await context.Response.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>Adds <c>Access-Control-Allow-Origin</c> when the request's origin is allowed; true when it was.</summary>
    private static bool AllowOrigin(HttpContext context, string? allowed)
    {
        if (string.IsNullOrEmpty(allowed)) return false;
        if (allowed == "*")
        {
            context.Response.Headers.AccessControlAllowOrigin = "*";
            return true;
        }
        context.Response.Headers.Vary = "Origin";
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length == 0) return false;
        foreach (var range in allowed.AsSpan().Split(','))
        {
            if (!allowed.AsSpan()[range].Trim().Equals(origin, StringComparison.OrdinalIgnoreCase)) continue;
            context.Response.Headers.AccessControlAllowOrigin = origin;
            return true;
        }
        return false;
    }

    private static bool TryParseId(string hex, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? id)
    {
        id = null;
        if (!Swarms.Id20.TryParseHex(hex, out var parsed)) return false;
        id = new byte[Swarms.Id20.Length];
        parsed.CopyTo(id);
        return true;
    }

    private static Task WriteProblemAsync(HttpContext context, int status, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync("{\"error\":" + System.Text.Json.JsonSerializer.Serialize(detail, TrackerJsonContext.Default.String) + "}", context.RequestAborted);
    }

    private static Task WriteTextAsync(HttpContext context, string contentType, string text)
    {
        context.Response.ContentType = contentType;
        return context.Response.WriteAsync(text, context.RequestAborted);
    }

    private static string StatsPage(WebTorrentTrackerStats s)
    {
        var html = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>WebTorrent tracker</title>")
            .Append("<style>body{font-family:sans-serif;margin:2em}td{padding:.2em 1em}td:last-child{text-align:right}</style></head><body>")
            .Append("<h1>WebTorrent tracker</h1><table>");
        void Row(string name, long value) => html.Append("<tr><td>").Append(name).Append("</td><td>").Append(value.ToString("N0", CultureInfo.InvariantCulture)).Append("</td></tr>");
        Row("Swarms", s.Swarms);
        Row("WebSocket (WebRTC) peers", s.WebSocketPeers);
        Row("HTTP/UDP peers", s.EndpointPeers);
        Row("Seeders", s.Seeders);
        Row("Leechers", s.Leechers);
        Row("Open WebSocket connections", s.WebSocketConnections);
        Row("Announces", s.Announces);
        Row("Scrapes", s.Scrapes);
        Row("Offers relayed", s.OffersRelayed);
        Row("Answers relayed", s.AnswersRelayed);
        Row("Rejected requests", s.RejectedMessages);
        Row("Connections dropped by limits", s.DroppedConnections);
        return html.Append("</table><p><a href=\"stats.json\">JSON</a></p></body></html>").ToString();
    }
}

/// <summary>Body of <c>POST /offer</c>.</summary>
internal sealed class OfferRequest
{
    [System.Text.Json.Serialization.JsonPropertyName("info_hash")]
    public string? InfoHash { get; set; }

    [System.Text.Json.Serialization.JsonPropertyName("offer")]
    public System.Text.Json.JsonElement Offer { get; set; }

    /// <summary>True for a DHT introduction (instead of <see cref="InfoHash"/>).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("dht")]
    public bool? Dht { get; set; }

    /// <summary>With <see cref="Dht"/>: the id (40 hex) whose XOR-closest node should answer; null for any node.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("target")]
    public string? Target { get; set; }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(WebTorrentTrackerStats))]
[System.Text.Json.Serialization.JsonSerializable(typeof(OfferRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class TrackerJsonContext : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>A read-only view of a request body that fails past a byte limit.</summary>
internal sealed class LimitedStream(Stream inner, long limit) : Stream
{
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(int read)
    {
        _read += read;
        if (_read > limit) throw new InvalidDataException("The request body is too large.");
        return read;
    }
}
