using System.Buffers;
using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace WebTorrent.Tracker;

/// <summary>
/// The well-known rendezvous of DHT introductions: WebRTC DHT nodes that want to be introduced hold a WebSocket to a
/// bootstrap server and announce (a standard WebTorrent announce; <c>NumWant = 0</c> is fine) to
/// <see cref="RendezvousInfoHash"/> with their 20-byte node id as peer id; they answer the offers relayed to them as
/// WebTorrent peers do. <see cref="OfferRelayClient.PostDhtOfferAsync(ReadOnlyMemory{byte}?, string, CancellationToken)"/> is the other side.
/// </summary>
public static class DhtIntroductions
{
    /// <summary>The rendezvous info-hash as 40 lowercase hex digits: SHA-1 of the ASCII bytes <c>webtorrent-dht</c>.</summary>
    public const string RendezvousInfoHashHex = "d9f15a5e680fb5bec6a88aa29fa48b92f6541a12";

    /// <summary>The rendezvous info-hash: SHA-1 of the ASCII bytes <c>webtorrent-dht</c>.</summary>
    public static ReadOnlySpan<byte> RendezvousInfoHash =>
    [
        0xd9, 0xf1, 0x5a, 0x5e, 0x68, 0x0f, 0xb5, 0xbe, 0xc6, 0xa8, 0x8a, 0xa2, 0x9f, 0xa4, 0x8b, 0x92, 0xf6, 0x54, 0x1a, 0x12,
    ];
}

/// <summary>An answer relayed back by <c>POST /offer</c>.</summary>
/// <param name="InfoHash">The swarm the answering peer is in (for a DHT introduction, the rendezvous info-hash), 20 bytes.</param>
/// <param name="PeerId">The answering peer's 20-byte id (for a DHT introduction, its node id).</param>
/// <param name="OfferId">The 20-byte offer id the server chose for the relay.</param>
/// <param name="Answer">The peer's session description (<c>type</c> <c>answer</c>).</param>
public sealed record RelayedAnswer(ReadOnlyMemory<byte> InfoHash, ReadOnlyMemory<byte> PeerId, ReadOnlyMemory<byte> OfferId, SessionDescription Answer);

/// <summary>
/// Client of a bootstrap server's <c>POST /offer</c> endpoint (WebTorrent.Bootstrap): a WebRTC-only peer that holds no
/// WebSocket posts its SDP offer for a swarm or a DHT introduction and gets back the answer of a peer the server knows,
/// then completes its WebRTC connection with it. Thread-safe; one instance per endpoint.
/// </summary>
public sealed class OfferRelayClient : IDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly int _maxResponseSize;

    /// <summary>Creates a client for the endpoint <paramref name="offerUri"/>.</summary>
    /// <param name="offerUri">
    /// The full URL of the endpoint, for example <c>http://host:8000/offer</c> (under the prefix the server mapped the
    /// tracker at: <c>https://host/tracker/offer</c>).
    /// </param>
    /// <param name="httpClient">An HttpClient to share (not disposed here); null creates one with a 60-second timeout.</param>
    /// <param name="maxResponseSize">Largest response body accepted. Default 64 KiB (an answer SDP is about 1 KiB).</param>
    public OfferRelayClient(Uri offerUri, HttpClient? httpClient = null, int maxResponseSize = 64 * 1024)
    {
        ArgumentNullException.ThrowIfNull(offerUri);
        if (!offerUri.IsAbsoluteUri || offerUri.Scheme is not ("http" or "https"))
            throw new ArgumentException("The offer endpoint is an absolute http:// or https:// URL.", nameof(offerUri));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxResponseSize);
        Uri = offerUri;
        _ownsHttp = httpClient is null;
        _http = httpClient ?? new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        _maxResponseSize = maxResponseSize;
    }

    /// <summary>The endpoint's URL.</summary>
    public Uri Uri { get; }

    /// <summary>
    /// Posts <paramref name="offerJson"/> for the swarm <paramref name="infoHash"/>: the server relays it to one of the
    /// swarm's WebSocket peers and returns that peer's answer.
    /// </summary>
    /// <param name="infoHash">The 20-byte info-hash.</param>
    /// <param name="offerJson">The offer object, <c>{"type":"offer","sdp":"..."}</c> (complete: non-trickle ICE).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The answer, or null when no peer of that swarm answered (HTTP 404).</returns>
    /// <exception cref="ArgumentException">The info-hash is not 20 bytes or the offer is not JSON.</exception>
    /// <exception cref="TrackerException">The server refused (400, 503...), sent a malformed or oversized response, or cannot be reached.</exception>
    public Task<RelayedAnswer?> PostOfferAsync(ReadOnlyMemory<byte> infoHash, string offerJson, CancellationToken cancellationToken = default)
    {
        if (infoHash.Length != 20) throw new ArgumentException("The info-hash is 20 bytes.", nameof(infoHash));
        return PostAsync(infoHash, dht: false, offerJson, cancellationToken);
    }

    /// <summary>Posts <paramref name="offer"/> for the swarm <paramref name="infoHash"/>; see <see cref="PostOfferAsync(ReadOnlyMemory{byte}, string, CancellationToken)"/>.</summary>
    /// <param name="infoHash">The 20-byte info-hash.</param>
    /// <param name="offer">The offer.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The answer, or null when no peer of that swarm answered (HTTP 404).</returns>
    public Task<RelayedAnswer?> PostOfferAsync(ReadOnlyMemory<byte> infoHash, SessionDescription offer, CancellationToken cancellationToken = default) =>
        PostOfferAsync(infoHash, ToJson(offer), cancellationToken);

    /// <summary>
    /// A DHT introduction: the server relays <paramref name="offerJson"/> to the WebRTC DHT node registered at
    /// <see cref="DhtIntroductions.RendezvousInfoHash"/> whose node id is XOR-closest to <paramref name="target"/> (any
    /// node when null) and returns its answer; <see cref="RelayedAnswer.PeerId"/> is that node's id.
    /// </summary>
    /// <param name="target">A 20-byte id to get close to (a node id or an info-hash being looked up), or null.</param>
    /// <param name="offerJson">The offer object, <c>{"type":"offer","sdp":"..."}</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The answer, or null when no node answered or the server does not do DHT introductions (HTTP 404).</returns>
    /// <exception cref="ArgumentException">The target is not 20 bytes or the offer is not JSON.</exception>
    /// <exception cref="TrackerException">The server refused (400, 503...), sent a malformed or oversized response, or cannot be reached.</exception>
    public Task<RelayedAnswer?> PostDhtOfferAsync(ReadOnlyMemory<byte>? target, string offerJson, CancellationToken cancellationToken = default)
    {
        if (target is { Length: not 20 }) throw new ArgumentException("A DHT target is 20 bytes.", nameof(target));
        return PostAsync(target, dht: true, offerJson, cancellationToken);
    }

    /// <summary>A DHT introduction with a <see cref="SessionDescription"/>; see <see cref="PostDhtOfferAsync(ReadOnlyMemory{byte}?, string, CancellationToken)"/>.</summary>
    /// <param name="target">A 20-byte id to get close to, or null.</param>
    /// <param name="offer">The offer.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The answer, or null when no node answered or the server does not do DHT introductions (HTTP 404).</returns>
    public Task<RelayedAnswer?> PostDhtOfferAsync(ReadOnlyMemory<byte>? target, SessionDescription offer, CancellationToken cancellationToken = default) =>
        PostDhtOfferAsync(target, ToJson(offer), cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private async Task<RelayedAnswer?> PostAsync(ReadOnlyMemory<byte>? id, bool dht, string offerJson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offerJson);
        var body = new ArrayBufferWriter<byte>(offerJson.Length + 128);
        using (var writer = new Utf8JsonWriter(body, WriterOptions))
        {
            writer.WriteStartObject();
            if (dht) writer.WriteBoolean("dht"u8, true);
            if (id is { } value) writer.WriteString(dht ? "target"u8 : "info_hash"u8, Convert.ToHexStringLower(value.Span));
            writer.WritePropertyName("offer"u8);
            try
            {
                writer.WriteRawValue(offerJson);
            }
            catch (JsonException e)
            {
                throw new ArgumentException("The offer is not valid JSON.", nameof(offerJson), e);
            }
            writer.WriteEndObject();
        }

        using var content = new ReadOnlyMemoryContent(body.WrittenMemory);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        byte[] response;
        HttpStatusCode status;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Uri) { Content = content };
            using var message = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            status = message.StatusCode;
            response = await BoundedHttpBody.ReadAsync(message, _maxResponseSize, Uri, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new TrackerException($"Cannot reach {Uri}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TrackerException($"{Uri} did not answer within {_http.Timeout}.", e);
        }

        if (status == HttpStatusCode.NotFound) return null;
        if (status != HttpStatusCode.OK)
        {
            var reason = ReadError(response);
            throw new TrackerException(reason is null ? $"{Uri} answered HTTP {(int)status}." : $"{Uri} answered HTTP {(int)status}: {reason}")
            {
                IsFailureReason = reason is not null,
            };
        }
        return ParseAnswer(response);
    }

    /// <summary>The server's <c>{"error": "..."}</c> message, when the body is one.</summary>
    private static string? ReadError(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String
                ? error.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private RelayedAnswer ParseAnswer(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Malformed("not a JSON object");
            var infoHash = ReadHexId(root, "info_hash");
            var peerId = ReadHexId(root, "peer_id");
            var offerId = ReadHexId(root, "offer_id");
            if (!root.TryGetProperty("answer", out var answer) || answer.ValueKind != JsonValueKind.Object
                || !answer.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                || !answer.TryGetProperty("sdp", out var sdp) || sdp.ValueKind != JsonValueKind.String)
                throw Malformed("answer is not {\"type\": ..., \"sdp\": ...}");
            if (type.GetString() != "answer") throw Malformed($"answer has type '{type.GetString()}'");
            return new RelayedAnswer(infoHash, peerId, offerId, new SessionDescription("answer", sdp.GetString()!));
        }
        catch (JsonException e)
        {
            throw new TrackerException($"The response of {Uri} is not valid JSON: {e.Message}", e);
        }
    }

    private byte[] ReadHexId(JsonElement root, string name)
    {
        var id = new byte[20];
        if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String
            || value.GetString() is not { Length: 40 } hex
            || Convert.FromHexString(hex, id, out _, out var written) != OperationStatus.Done || written != 20)
            throw Malformed($"{name} is not 40 hex digits");
        return id;
    }

    private TrackerException Malformed(string what) => new($"Malformed answer from {Uri}: {what}.");

    private static string ToJson(SessionDescription offer)
    {
        ArgumentNullException.ThrowIfNull(offer);
        var buffer = new ArrayBufferWriter<byte>(offer.Sdp.Length + 64);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, offer.Type);
            writer.WriteString("sdp"u8, offer.Sdp);
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
