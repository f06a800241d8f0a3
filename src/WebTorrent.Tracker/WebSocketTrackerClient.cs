using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace WebTorrent.Tracker;

/// <summary>Options of <see cref="WebSocketTrackerClient"/>.</summary>
public sealed class WebSocketTrackerClientOptions
{
    /// <summary>Most offers generated per announce (WebTorrent sends up to 5; NumWant is capped by it). Default 5.</summary>
    public int MaxOffersPerAnnounce { get; set; } = 5;

    /// <summary>How long an offer waits for an answer before its peer is disposed (WebTorrent: 50 s). Default 50 seconds.</summary>
    public TimeSpan OfferTimeout { get; set; } = TimeSpan.FromSeconds(50);

    /// <summary>How long <see cref="WebSocketTrackerClient.AnnounceAsync"/> and scrape wait for the tracker's reply. Default 30 seconds.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First reconnect delay after the socket drops; doubles up to <see cref="MaxReconnectDelay"/>. Default 2 seconds.</summary>
    public TimeSpan MinReconnectDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest reconnect delay. Default 2 minutes.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Largest message accepted from the tracker. Default 256 KiB.</summary>
    public int MaxMessageSize { get; set; } = 256 * 1024;

    /// <summary>Time source for timeouts and reconnect delays.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Logs what the client skips or recovers from (malformed tracker messages, lost sockets, failing peer factories); the
    /// same problems are raised as <see cref="WebSocketTrackerClient.Error"/>. Null logs nothing. Default null.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}

/// <summary>
/// A WebTorrent WebSocket tracker client for one tracker URL, shared by every torrent announcing there (one socket per URL,
/// as WebTorrent does). Announces carry WebRTC offers from an <see cref="IWebRtcPeerFactory"/>; offers relayed by the
/// tracker are answered through the factory; answers are matched to offers by <c>offer_id</c>. The socket reconnects
/// with exponential backoff and re-announces; background problems are raised as <see cref="Error"/>. Any peer of a swarm can
/// put bytes in front of this client (the tracker relays offers verbatim): a malformed message is logged, reported and skipped,
/// never the end of the receive loop.
/// </summary>
public sealed class WebSocketTrackerClient : IAsyncDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly IWebRtcPeerFactory _factory;
    private readonly WebSocketTrackerClientOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private readonly CancellationTokenSource _disposed = new();
    private readonly ConcurrentDictionary<string, PendingOffer> _offers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AnnounceRequest> _lastAnnounces = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<AnnounceResponse>> _announceWaiters = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<TaskCompletionSource<ScrapeResponse>> _scrapeWaiters = new();
    private ClientWebSocket? _socket;
    private Task? _receiveLoop;
    private int _failedConnects;

    /// <summary>Creates a client for <paramref name="trackerUri"/> (ws:// or wss://); it connects on first use.</summary>
    public WebSocketTrackerClient(Uri trackerUri, IWebRtcPeerFactory peerFactory, WebSocketTrackerClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(trackerUri);
        ArgumentNullException.ThrowIfNull(peerFactory);
        if (trackerUri.Scheme is not ("ws" or "wss")) throw new ArgumentException("A WebSocket tracker URL is ws:// or wss://.", nameof(trackerUri));
        Uri = trackerUri;
        _factory = peerFactory;
        _options = options ?? new WebSocketTrackerClientOptions();
        _logger = _options.LoggerFactory?.CreateLogger<WebSocketTrackerClient>() ?? NullLogger<WebSocketTrackerClient>.Instance;
    }

    /// <summary>The tracker URL.</summary>
    public Uri Uri { get; }

    /// <summary>Whether the socket is open now.</summary>
    public bool IsConnected => _socket?.State == WebSocketState.Open;

    /// <summary>Raised for background errors: lost socket, failure replies, factory errors, malformed messages.</summary>
    public event EventHandler<TrackerErrorEventArgs>? Error;

    /// <summary>Raised for every announce reply (also those to re-announces after a reconnect), with the torrent's hex info-hash.</summary>
    public event EventHandler<(string InfoHashHex, AnnounceResponse Response)>? Announced;

    /// <summary>
    /// Announces a torrent: sends up to <see cref="WebSocketTrackerClientOptions.MaxOffersPerAnnounce"/> offers (none for
    /// stopped/completed) and waits for the tracker's reply. Peers arrive later through the factory.
    /// </summary>
    /// <exception cref="TrackerException">The tracker refused, did not reply in time, or cannot be reached.</exception>
    public async Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var key = Convert.ToHexStringLower(request.InfoHash.Span);
        if (request.Event == TrackerEvent.Stopped) _lastAnnounces.TryRemove(key, out _);
        else _lastAnnounces[key] = request with { Event = TrackerEvent.None };

        var waiter = new TaskCompletionSource<AnnounceResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _announceWaiters[key] = waiter;
        try
        {
            await SendAnnounceAsync(request, cancellationToken);
            return await waiter.Task.WaitAsync(_options.ResponseTimeout, _options.TimeProvider, cancellationToken);
        }
        catch (TimeoutException e)
        {
            throw new TrackerException($"{Uri} did not answer the announce within {_options.ResponseTimeout}.", e);
        }
        finally
        {
            _announceWaiters.TryRemove(new KeyValuePair<string, TaskCompletionSource<AnnounceResponse>>(key, waiter));
        }
    }

    /// <summary>Scrapes the given 20-byte info-hashes.</summary>
    public async Task<ScrapeResponse> ScrapeAsync(IReadOnlyList<ReadOnlyMemory<byte>> infoHashes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(infoHashes);
        foreach (var h in infoHashes) if (h.Length != 20) throw new ArgumentException("Info-hashes are 20 bytes.", nameof(infoHashes));
        var waiter = new TaskCompletionSource<ScrapeResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _scrapeWaiters.Enqueue(waiter);
        await SendAsync(writer =>
        {
            writer.WriteString("action"u8, "scrape"u8);
            writer.WriteStartArray("info_hash"u8);
            foreach (var h in infoHashes) writer.WriteStringValue(Latin1(h.Span));
            writer.WriteEndArray();
        }, cancellationToken);
        try
        {
            return await waiter.Task.WaitAsync(_options.ResponseTimeout, _options.TimeProvider, cancellationToken);
        }
        catch (TimeoutException e)
        {
            throw new TrackerException($"{Uri} did not answer the scrape within {_options.ResponseTimeout}.", e);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested) return;
        await _disposed.CancelAsync();
        if (_socket is { } socket)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                if (socket.State == WebSocketState.Open) await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
            socket.Abort();
            socket.Dispose();
        }
        if (_receiveLoop is not null) await _receiveLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var (_, offer) in _offers) await offer.Peer.DisposeAsync();
        _offers.Clear();
        _disposed.Dispose();
        _sendGate.Dispose();
        _connectGate.Dispose();
    }

    private async Task SendAnnounceAsync(AnnounceRequest request, CancellationToken cancellationToken)
    {
        var offers = new List<(string Id, IWebRtcOffer Peer)>();
        var offerCount = request.Event is TrackerEvent.Stopped or TrackerEvent.Completed ? 0 : Math.Clamp(request.NumWant, 0, _options.MaxOffersPerAnnounce);
        for (var i = 0; i < offerCount; i++)
        {
            IWebRtcOffer? peer;
            try
            {
                peer = await _factory.CreateOfferAsync(request.InfoHash, cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                _logger.LogWarning(e, "The peer factory failed to create an offer for {Tracker}; announcing without it", Uri);
                RaiseError(e, request.InfoHash.Span);
                break;
            }
            if (peer?.Offer is not { Type: not null, Sdp: not null })
            {
                // A factory bug must not put a null into the announce: report it and announce with the offers we have.
                if (peer is not null) await peer.DisposeAsync();
                var error = new InvalidOperationException("The peer factory returned no offer.");
                _logger.LogWarning(error, "The peer factory returned no offer for {Tracker}", Uri);
                RaiseError(error, request.InfoHash.Span);
                break;
            }
            var offerId = Latin1(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
            offers.Add((offerId, peer));
            var pending = new PendingOffer(peer, request.InfoHash.ToArray());
            _offers[offerId] = pending;
            _ = ExpireOfferAsync(offerId, pending);
        }
        await SendAsync(writer =>
        {
            writer.WriteString("action"u8, "announce"u8);
            writer.WriteString("info_hash"u8, Latin1(request.InfoHash.Span));
            writer.WriteString("peer_id"u8, Latin1(request.PeerId.Span));
            writer.WriteNumber("numwant"u8, offers.Count);
            writer.WriteNumber("uploaded"u8, request.Uploaded);
            writer.WriteNumber("downloaded"u8, request.Downloaded);
            writer.WriteNumber("left"u8, request.Left);
            if (request.Event != TrackerEvent.None) writer.WriteString("event"u8, request.Event.ToString().ToLowerInvariant());
            if (request.TrackerId is not null) writer.WriteString("trackerid"u8, request.TrackerId);
            if (offers.Count > 0)
            {
                writer.WriteStartArray("offers"u8);
                foreach (var (id, peer) in offers)
                {
                    writer.WriteStartObject();
                    WriteDescription(writer, "offer"u8, peer.Offer);
                    writer.WriteString("offer_id"u8, id);
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
            }
        }, cancellationToken);
    }

    private async Task ExpireOfferAsync(string offerId, PendingOffer pending)
    {
        try
        {
            await Task.Delay(_options.OfferTimeout, _options.TimeProvider, _disposed.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        if (_offers.TryRemove(new KeyValuePair<string, PendingOffer>(offerId, pending))) await pending.Peer.DisposeAsync();
    }

    private async Task SendAsync(Action<Utf8JsonWriter> body, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        var socket = await ConnectAsync(cancellationToken);
        await _sendGate.WaitAsync(cancellationToken);
        try
        {
            await socket.SendAsync(buffer.WrittenMemory, WebSocketMessageType.Text, true, cancellationToken);
        }
        catch (Exception e) when (e is WebSocketException or IOException)
        {
            throw new TrackerException($"Lost the connection to {Uri}: {e.Message}", e);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    private async Task<ClientWebSocket> ConnectAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        if (_socket is { State: WebSocketState.Open } open) return open;
        await _connectGate.WaitAsync(cancellationToken);
        try
        {
            if (_socket is { State: WebSocketState.Open } again) return again;
            if (_socket is { } old)
            {
                old.Abort(); // its receive loop ends with it; never hand out a socket nobody reads
                old.Dispose();
            }
            var socket = new ClientWebSocket();
            socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(30);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
                timeout.CancelAfter(_options.ResponseTimeout);
                await socket.ConnectAsync(Uri, timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                throw new TrackerException($"Cannot connect to {Uri}: {e.Message}", e);
            }
            _socket = socket;
            _failedConnects = 0;
            _receiveLoop = Task.Run(() => ReceiveLoopAsync(socket), CancellationToken.None);
            return socket;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    private async Task ReceiveLoopAsync(ClientWebSocket socket)
    {
        var buffer = new byte[Math.Min(16 * 1024, _options.MaxMessageSize)];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= _options.MaxMessageSize) throw new TrackerException($"{Uri} sent a message larger than {_options.MaxMessageSize} bytes.");
                        Array.Resize(ref buffer, Math.Min(buffer.Length * 2, _options.MaxMessageSize));
                    }
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), _disposed.Token);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                if (result.MessageType == WebSocketMessageType.Close) break;
                HandleMessageOrSkip(buffer.AsSpan(0, length));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && _disposed.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (e is WebSocketException or IOException or TrackerException or ObjectDisposedException)
        {
            _logger.LogWarning(e, "Lost the connection to {Tracker}; reconnecting", Uri);
            RaiseError(e, default);
        }
        finally
        {
            // A loop that stops reading must take its socket down: left open, the next send would reuse it and wait for
            // replies nobody reads.
            socket.Abort();
        }
        if (!_disposed.IsCancellationRequested) _ = ReconnectAsync();
    }

    private async Task ReconnectAsync()
    {
        while (!_disposed.IsCancellationRequested)
        {
            var attempt = Math.Min(_failedConnects++, 16);
            var delay = TimeSpan.FromTicks(Math.Min(_options.MaxReconnectDelay.Ticks, _options.MinReconnectDelay.Ticks << attempt));
            delay += TimeSpan.FromTicks((long)(delay.Ticks * 0.2 * Random.Shared.NextDouble())); // jitter: do not reconnect in lockstep
            try
            {
                await Task.Delay(delay, _options.TimeProvider, _disposed.Token);
                foreach (var (_, request) in _lastAnnounces) await SendAnnounceAsync(request, _disposed.Token);
                return;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && _disposed.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is TrackerException or WebSocketException or IOException)
            {
                _logger.LogWarning(e, "Reconnecting to {Tracker} failed; retrying", Uri);
                RaiseError(e, default);
            }
        }
    }

    /// <summary>Handles one tracker message; whatever is wrong with it is logged, reported and skipped, never thrown into the loop.</summary>
    private void HandleMessageOrSkip(ReadOnlySpan<byte> message)
    {
        try
        {
            if (HandleMessage(message) is { } reason) Skip(reason, default);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException or DecoderFallbackException)
        {
            // What the checks in HandleMessage did not foresee (JSON nested too deep, text System.Text.Json cannot transcode...).
            Skip(e.Message, default, e);
        }
    }

    private void Skip(string reason, ReadOnlySpan<byte> infoHash, Exception? cause = null)
    {
        _logger.LogWarning(cause, "Skipped a malformed message from {Tracker}: {Reason}", Uri, reason);
        var error = cause is null ? new TrackerException("Malformed tracker message skipped: " + reason) : new TrackerException("Malformed tracker message skipped: " + reason, cause);
        RaiseError(error, infoHash);
    }

    /// <summary>Handles one tracker message; returns why it was skipped, or null.</summary>
    private string? HandleMessage(ReadOnlySpan<byte> message)
    {
        using var document = JsonDocument.Parse(message.ToArray());
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return "not a JSON object";
        var action = TrackerJson.ReadString(root, "action");
        if (action == "scrape" || (action is null && root.TryGetProperty("files", out _)))
        {
            HandleScrape(root);
            return null;
        }
        var infoHash = TrackerJson.ReadId(root, "info_hash");
        var failure = root.TryGetProperty("failure reason", out _) ? TrackerJson.ReadString(root, "failure reason") ?? "(unreadable failure reason)" : null;
        if (infoHash is null)
        {
            if (failure is null) return "no 20-byte info_hash";
            RaiseError(new TrackerException(failure) { IsFailureReason = true }, default);
            return null;
        }
        var key = Convert.ToHexStringLower(infoHash);
        if (failure is not null)
        {
            var error = new TrackerException(failure) { IsFailureReason = true };
            if (_announceWaiters.TryRemove(key, out var failed)) failed.TrySetException(error);
            else RaiseError(error, infoHash);
            return null;
        }
        if (root.TryGetProperty("offer", out var offer))
        {
            if (TrackerJson.ReadId(root, "peer_id") is not { } fromPeer) return "relayed offer without a 20-byte peer_id";
            if (TrackerJson.ReadString(root, "offer_id") is not { } offerId) return "relayed offer without a string offer_id";
            if (TrackerJson.ReadDescription(offer) is not { } description) return "relayed offer without a type and sdp string";
            _ = AnswerAsync(infoHash, fromPeer, offerId, description);
            return null;
        }
        if (root.TryGetProperty("answer", out var answer))
        {
            if (TrackerJson.ReadId(root, "peer_id") is not { } answerer) return "answer without a 20-byte peer_id";
            if (TrackerJson.ReadString(root, "offer_id") is not { } answeredId) return "answer without a string offer_id";
            if (TrackerJson.ReadDescription(answer) is not { } description) return "answer without a type and sdp string";
            if (_offers.TryRemove(answeredId, out var pending)) _ = AcceptAsync(pending, answerer, description);
            return null;
        }
        if (root.TryGetProperty("interval", out _) || root.TryGetProperty("complete", out _))
        {
            var response = new AnnounceResponse(
                TimeSpan.FromSeconds(Math.Clamp(TrackerJson.ReadInt(root, "interval") ?? 120, 1, 86_400)),
                TrackerJson.ReadInt(root, "min interval") is { } min ? TimeSpan.FromSeconds(min) : null,
                TrackerJson.ReadString(root, "tracker id"),
                TrackerJson.ReadInt(root, "complete"), TrackerJson.ReadInt(root, "incomplete"), [],
                TrackerJson.ReadString(root, "warning message"));
            if (_announceWaiters.TryRemove(key, out var waiter)) waiter.TrySetResult(response);
            RaiseAnnounced(key, response);
        }
        return null;
    }

    private void HandleScrape(JsonElement root)
    {
        var files = new Dictionary<string, ScrapeEntry>(StringComparer.Ordinal);
        if (root.TryGetProperty("files", out var fileObject) && fileObject.ValueKind == JsonValueKind.Object)
        {
            foreach (var file in fileObject.EnumerateObject())
            {
                if (FromLatin1(file.Name) is not { } id || file.Value.ValueKind != JsonValueKind.Object) continue;
                files[Convert.ToHexStringLower(id)] = new ScrapeEntry(TrackerJson.ReadInt(file.Value, "complete") ?? 0,
                    TrackerJson.ReadInt(file.Value, "downloaded") ?? 0, TrackerJson.ReadInt(file.Value, "incomplete") ?? 0);
            }
        }
        if (_scrapeWaiters.TryDequeue(out var waiter)) waiter.TrySetResult(new ScrapeResponse(files));
    }

    private async Task AnswerAsync(byte[] infoHash, byte[] remotePeerId, string offerId, SessionDescription offer)
    {
        try
        {
            if (!_lastAnnounces.TryGetValue(Convert.ToHexStringLower(infoHash), out var announce)) return; // not (or no longer) our torrent
            var answer = await _factory.CreateAnswerAsync(infoHash, remotePeerId, offer, _disposed.Token);
            await SendAsync(writer =>
            {
                writer.WriteString("action"u8, "announce"u8);
                writer.WriteString("info_hash"u8, Latin1(infoHash));
                writer.WriteString("peer_id"u8, Latin1(announce.PeerId.Span));
                writer.WriteString("to_peer_id"u8, Latin1(remotePeerId));
                WriteDescription(writer, "answer"u8, answer);
                writer.WriteString("offer_id"u8, offerId);
            }, _disposed.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && _disposed.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // the factory is caller code: whatever it throws is reported and this offer skipped, never left unobserved
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogWarning(e, "Could not answer an offer relayed by {Tracker}; skipped", Uri);
            RaiseError(e, infoHash);
        }
    }

    private async Task AcceptAsync(PendingOffer pending, byte[] remotePeerId, SessionDescription answer)
    {
        try
        {
            await pending.Peer.AcceptAnswerAsync(remotePeerId, answer, _disposed.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && _disposed.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // the peer is caller code: whatever it throws is reported and the peer dropped
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogWarning(e, "A peer could not take the answer relayed by {Tracker}; dropped", Uri);
            RaiseError(e, pending.InfoHash);
            await pending.Peer.DisposeAsync();
        }
    }

    private void RaiseError(Exception error, ReadOnlySpan<byte> infoHash)
    {
        var args = new TrackerErrorEventArgs(Uri, error, infoHash.Length == 20 ? Convert.ToHexStringLower(infoHash) : null);
        try
        {
            Error?.Invoke(this, args);
        }
#pragma warning disable CA1031 // a subscriber's exception must not end the receive loop that raised the event
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogError(e, "An Error handler of {Tracker}'s client threw", Uri);
        }
    }

    private void RaiseAnnounced(string infoHashHex, AnnounceResponse response)
    {
        try
        {
            Announced?.Invoke(this, (infoHashHex, response));
        }
#pragma warning disable CA1031 // a subscriber's exception must not end the receive loop that raised the event
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogError(e, "An Announced handler of {Tracker}'s client threw", Uri);
        }
    }

    private static void WriteDescription(Utf8JsonWriter writer, ReadOnlySpan<byte> name, SessionDescription description)
    {
        writer.WriteStartObject(name);
        writer.WriteString("type"u8, description.Type);
        writer.WriteString("sdp"u8, description.Sdp);
        writer.WriteEndObject();
    }

    /// <summary>A 20-byte id as the 20-char latin-1 string WebTorrent puts on the wire.</summary>
    internal static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    internal static byte[]? FromLatin1(string text)
    {
        if (text.Length != 20) return null;
        var bytes = new byte[20];
        for (var i = 0; i < 20; i++)
        {
            if (text[i] > 0xFF) return null;
            bytes[i] = (byte)text[i];
        }
        return bytes;
    }

    private sealed record PendingOffer(IWebRtcOffer Peer, byte[] InfoHash);
}
