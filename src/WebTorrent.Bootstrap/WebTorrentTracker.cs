using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WebTorrent.Bootstrap.Swarms;
using WebTorrent.Bootstrap.WebSockets;

namespace WebTorrent.Bootstrap;

/// <summary>
/// The tracker's state shared by its WebSocket, HTTP and UDP endpoints: swarms per info-hash, the WebRTC
/// signaling relay, pending <c>POST /offer</c> requests and counters. Registered as a singleton by
/// <see cref="TrackerServiceCollectionExtensions.AddWebTorrentTracker"/>.
/// </summary>
public sealed partial class WebTorrentTracker : IDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };
    private readonly ConcurrentDictionary<Id20, PendingOffer> _pendingOffers = new();
    private readonly ILogger _logger;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;
    // Messages are handled synchronously, so one parse target per thread serves every connection.
    [ThreadStatic]
    private static WebSocketRequest? t_request;

    /// <summary>Creates a tracker with <paramref name="options"/>.</summary>
    public WebTorrentTracker(IOptions<WebTorrentTrackerOptions> options, ILogger<WebTorrentTracker>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Value;
        Options.Validate();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        if (!string.IsNullOrEmpty(Options.DhtRendezvousInfoHash) && Id20.TryParseHex(Options.DhtRendezvousInfoHash, out var rendezvous))
            DhtRendezvous = rendezvous;
        Swarms = new SwarmRegistry(Options, () => SweepIdleConnections(Now));
    }

    /// <summary>The options in effect.</summary>
    public WebTorrentTrackerOptions Options { get; }

    internal SwarmRegistry Swarms { get; }

    internal TrackerCounters Counters { get; } = new();

    internal long Now => Options.TimeProvider.GetTimestamp();

    /// <summary>A snapshot of swarms, peers and counters.</summary>
    public WebTorrentTrackerStats GetStats()
    {
        int swarms = 0, ws = 0, endpoints = 0, seeders = 0, leechers = 0;
        foreach (var swarm in Swarms.Swarms)
        {
            swarms++;
            ws += swarm.WebSocketPeerCount;
            endpoints += swarm.EndpointPeerCount;
            var counts = swarm.Counts;
            seeders += counts.Complete;
            leechers += counts.Incomplete;
        }
        var c = Counters;
        return new WebTorrentTrackerStats(swarms, ws, endpoints, seeders, leechers, Interlocked.Read(ref c.WebSocketConnections),
            Interlocked.Read(ref c.Announces), Interlocked.Read(ref c.Scrapes), Interlocked.Read(ref c.OffersRelayed),
            Interlocked.Read(ref c.AnswersRelayed), Interlocked.Read(ref c.RejectedMessages), Interlocked.Read(ref c.DroppedConnections));
    }

    /// <summary>Drops expired peers and empty swarms now (the timer does it every <see cref="WebTorrentTrackerOptions.SweepInterval"/>).</summary>
    public void Sweep() => Swarms.Sweep();

    /// <inheritdoc />
    public void Dispose() => Swarms.Dispose();

    /// <summary>A JSON writer over a per-thread buffer, reset for one message.</summary>
    internal static Utf8JsonWriter RentWriter(out ArrayBufferWriter<byte> buffer)
    {
        buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        return writer;
    }

    /// <summary>Handles one WebSocket message; false when the connection must be closed.</summary>
    internal bool HandleWebSocketMessage(TrackerPeer connection, ReadOnlySpan<byte> message)
    {
        Volatile.Write(ref connection.LastActivity, Now);
        if (!connection.TryConsumeRateToken()) return false;
        var request = t_request;
        if (request is null || request.OfferIds.Length != Options.MaxOffersPerAnnounce || request.ScrapeInfoHashes.Length != Options.MaxScrapeInfoHashes)
            t_request = request = new WebSocketRequest(Options.MaxOffersPerAnnounce, Options.MaxScrapeInfoHashes);
        try
        {
            // Offers and answers are relayed verbatim in text frames: bytes that are not UTF-8 would make every recipient's
            // WebSocket fail the connection (RFC 6455 8.1), so one peer could knock a swarm off the tracker.
            if (!System.Text.Unicode.Utf8.IsValid(message)) throw new TrackerRequestException("invalid UTF-8");
            request.Parse(message);
        }
        catch (Exception e) when (e is TrackerRequestException or JsonException or InvalidOperationException)
        {
            Interlocked.Increment(ref Counters.RejectedMessages);
            var reason = e is TrackerRequestException ? e.Message : "invalid JSON";
            SendFailure(connection, request.HasInfoHash && !request.IsScrape ? request.InfoHash : null, reason);
            return ++connection.Errors <= Options.MaxErrorsPerConnection;
        }

        if (request.IsScrape)
        {
            HandleWebSocketScrape(connection, request);
            return true;
        }
        return HandleWebSocketAnnounce(connection, request, message);
    }

    private bool HandleWebSocketAnnounce(TrackerPeer connection, WebSocketRequest request, ReadOnlySpan<byte> message)
    {
        Interlocked.Increment(ref Counters.Announces);
        var infoHash = request.InfoHash;
        var peerId = request.PeerId;

        // An answer to a POST /offer never reaches a swarm: the server itself was the offerer.
        if (request.Answer is { } pendingAnswer && _pendingOffers.TryGetValue(request.OfferId, out var pending)
            && pending.PeerId == request.ToPeerId && pending.InfoHash == infoHash && _pendingOffers.TryRemove(request.OfferId, out _))
        {
            pending.Complete(message[pendingAnswer], peerId);
            Interlocked.Increment(ref Counters.AnswersRelayed);
            return true;
        }

        Swarm? swarm;
        if (request.Event == AnnounceEvent.Stopped)
        {
            if (Swarms.TryGet(infoHash, out var existing))
            {
                swarm = existing;
                if (swarm.RemoveWebSocketPeer(peerId, connection)) connection.RemoveMembership(swarm, peerId);
            }
            else
            {
                swarm = null;
            }
            var stopped = swarm?.Counts ?? default;
            SendAnnounceResponse(connection, infoHash, stopped);
            return true;
        }

        swarm = Swarms.GetOrCreate(infoHash, connection.Source, out var refusal);
        if (swarm is null)
        {
            Interlocked.Increment(ref Counters.RejectedMessages);
            SendFailure(connection, infoHash, SwarmRefusalReason(refusal));
            return true;
        }
        if (connection.TryAddMembership(swarm, peerId, out var newMembership) is { } tooMany)
        {
            Interlocked.Increment(ref Counters.RejectedMessages);
            SendFailure(connection, infoHash, tooMany);
            return ++connection.Errors <= Options.MaxErrorsPerConnection;
        }
        var counts = swarm.AnnounceWebSocket(peerId, connection, connection.Source, request.Event, request.Complete, Now, out _, out var outcome);
        if (outcome != AnnounceOutcome.Accepted)
        {
            // Refused before anything is relayed: a peer id held by another socket never sends or receives as that peer.
            if (newMembership) connection.RemoveMembership(swarm, peerId);
            Interlocked.Increment(ref Counters.RejectedMessages);
            SendFailure(connection, infoHash, AnnounceRefusalReason(outcome));
            return true;
        }

        if (request.Answer is { } answer)
        {
            // Answers get no announce response (as bittorrent-tracker): the answerer's own announce already had one.
            var target = swarm.FindWebSocketPeer(request.ToPeerId);
            if (target is not null)
            {
                var writer = RentWriter(out var buffer);
                writer.WriteStartObject();
                writer.WriteString("action"u8, "announce"u8);
                writer.WritePropertyName("answer"u8);
                writer.WriteRawValue(message[answer], skipInputValidation: true);
                Latin1Id.Write(writer, "offer_id"u8, request.OfferId);
                Latin1Id.Write(writer, "peer_id"u8, peerId);
                Latin1Id.Write(writer, "info_hash"u8, infoHash);
                writer.WriteEndObject();
                writer.Flush();
                if (target.TrySend(buffer.WrittenSpan)) Interlocked.Increment(ref Counters.AnswersRelayed);
            }
            return true;
        }

        SendAnnounceResponse(connection, infoHash, counts);
        if (request.OfferCount > 0) RelayOffers(swarm, request, message);
        return true;
    }

    internal static string SwarmRefusalReason(SwarmRefusal refusal) => refusal == SwarmRefusal.RateLimited
        ? "too many new torrents from your address: try again later"
        : "tracker is full: too many swarms";

    internal static string AnnounceRefusalReason(AnnounceOutcome outcome) => outcome == AnnounceOutcome.PeerIdTaken
        ? "peer_id is in use by another connection"
        : "too many peers from your address in this swarm";

    private void RelayOffers(Swarm swarm, WebSocketRequest request, ReadOnlySpan<byte> message)
    {
        var count = request.OfferCount;
        var targets = ArrayPool<PeerEntry?>.Shared.Rent(count);
        try
        {
            var picked = swarm.PickWebSocketPeers(request.PeerId, targets.AsSpan(0, count));
            for (var i = 0; i < picked; i++)
            {
                var target = targets[i]!.Connection;
                if (target is null) continue; // removed meanwhile
                var writer = RentWriter(out var buffer);
                writer.WriteStartObject();
                writer.WriteString("action"u8, "announce"u8);
                writer.WritePropertyName("offer"u8);
                writer.WriteRawValue(message[request.OfferRanges[i]], skipInputValidation: true);
                Latin1Id.Write(writer, "offer_id"u8, request.OfferIds[i]);
                Latin1Id.Write(writer, "peer_id"u8, request.PeerId);
                Latin1Id.Write(writer, "info_hash"u8, request.InfoHash);
                writer.WriteEndObject();
                writer.Flush();
                if (target.TrySend(buffer.WrittenSpan)) Interlocked.Increment(ref Counters.OffersRelayed);
            }
        }
        finally
        {
            ArrayPool<PeerEntry?>.Shared.Return(targets, clearArray: true);
        }
    }

    private void SendAnnounceResponse(TrackerPeer connection, Id20 infoHash, SwarmCounts counts)
    {
        var writer = RentWriter(out var buffer);
        writer.WriteStartObject();
        writer.WriteString("action"u8, "announce"u8);
        writer.WriteNumber("interval"u8, (long)Math.Ceiling(Options.WebSocketAnnounceInterval.TotalSeconds));
        Latin1Id.Write(writer, "info_hash"u8, infoHash);
        writer.WriteNumber("complete"u8, counts.Complete);
        writer.WriteNumber("incomplete"u8, counts.Incomplete);
        writer.WriteEndObject();
        writer.Flush();
        connection.TrySend(buffer.WrittenSpan);
    }

    private void HandleWebSocketScrape(TrackerPeer connection, WebSocketRequest request)
    {
        Interlocked.Increment(ref Counters.Scrapes);
        var writer = RentWriter(out var buffer);
        writer.WriteStartObject();
        writer.WriteString("action"u8, "scrape"u8);
        writer.WriteStartObject("files"u8);
        Span<char> key = stackalloc char[Id20.Length];
        if (request.ScrapeCount == 0 && !Options.EnableFullScrape)
        {
            Interlocked.Increment(ref Counters.RejectedMessages);
            SendFailure(connection, null, "full scrape is disabled: give info_hash");
            return;
        }
        if (request.ScrapeCount == 0)
        {
            // No info_hash: every swarm, bounded like an explicit list.
            var written = 0;
            foreach (var swarm in Swarms.Swarms)
            {
                if (written++ >= Options.MaxScrapeInfoHashes) break;
                swarm.InfoHash.CopyToLatin1(key);
                WriteScrapeFile(writer, key, swarm.Counts);
            }
        }
        for (var i = 0; i < request.ScrapeCount; i++)
        {
            var infoHash = request.ScrapeInfoHashes[i];
            infoHash.CopyToLatin1(key);
            WriteScrapeFile(writer, key, Swarms.TryGet(infoHash, out var swarm) ? swarm.Counts : default);
        }
        writer.WriteEndObject();
        writer.WriteStartObject("flags"u8);
        writer.WriteNumber("min_request_interval"u8, (long)Math.Ceiling(Options.WebSocketAnnounceInterval.TotalSeconds));
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
        connection.TrySend(buffer.WrittenSpan);
    }

    private static void WriteScrapeFile(Utf8JsonWriter writer, ReadOnlySpan<char> key, SwarmCounts counts)
    {
        writer.WriteStartObject(key);
        writer.WriteNumber("complete"u8, counts.Complete);
        writer.WriteNumber("incomplete"u8, counts.Incomplete);
        writer.WriteNumber("downloaded"u8, counts.Downloaded);
        writer.WriteEndObject();
    }

    private static void SendFailure(TrackerPeer connection, Id20? infoHash, string reason)
    {
        var writer = RentWriter(out var buffer);
        writer.WriteStartObject();
        writer.WriteString("action"u8, "announce"u8);
        writer.WriteString("failure reason"u8, reason);
        if (infoHash is { } ih) Latin1Id.Write(writer, "info_hash"u8, ih);
        writer.WriteEndObject();
        writer.Flush();
        connection.TrySend(buffer.WrittenSpan);
    }
}
