using System.Buffers;
using System.Text.Json;
using WebTorrent.Bootstrap.Swarms;
using WebTorrent.Bootstrap.WebSockets;

namespace WebTorrent.Bootstrap;

/// <summary>The answer a WebSocket peer gave to an offer posted to <c>POST /offer</c>.</summary>
/// <param name="InfoHash">The swarm, as 40 hex digits.</param>
/// <param name="PeerId">The answering peer's id, as 40 hex digits.</param>
/// <param name="OfferId">The offer id the server chose, as 40 hex digits.</param>
/// <param name="AnswerJson">The answer object exactly as the peer sent it (<c>{"type":"answer","sdp":"..."}</c>).</param>
public sealed record OfferAnswer(string InfoHash, string PeerId, string OfferId, string AnswerJson);

/// <summary>An offer the server relayed for a <c>POST /offer</c> client, waiting for the answer.</summary>
internal sealed class PendingOffer(Id20 infoHash, Id20 peerId)
{
    private readonly TaskCompletionSource<(string Answer, Id20 PeerId)> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Id20 InfoHash { get; } = infoHash;

    public Id20 PeerId { get; } = peerId;

    public Task<(string Answer, Id20 PeerId)> Answer => _answer.Task;

    public void Complete(ReadOnlySpan<byte> answerJson, Id20 answerer) =>
        _answer.TrySetResult((System.Text.Encoding.UTF8.GetString(answerJson), answerer));
}

public sealed partial class WebTorrentTracker
{
    /// <summary>
    /// Relays a WebRTC offer to a random WebSocket peer of the swarm <paramref name="infoHash"/> and waits for its answer:
    /// how a WebRTC-only client that cannot hold a WebSocket joins a swarm. Returns null when the swarm has no
    /// WebSocket peer that took the offer or none answered within <see cref="WebTorrentTrackerOptions.OfferAnswerTimeout"/>.
    /// </summary>
    /// <param name="infoHash">The 20-byte info-hash.</param>
    /// <param name="offerJson">The offer object, <c>{"type":"offer","sdp":"..."}</c>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="ArgumentException">The info-hash is not 20 bytes or the offer is not a JSON object.</exception>
    /// <exception cref="InvalidOperationException">Too many offers are already waiting.</exception>
    public Task<OfferAnswer?> RelayOfferAsync(ReadOnlyMemory<byte> infoHash, string offerJson, CancellationToken cancellationToken = default)
    {
        if (infoHash.Length != Id20.Length) throw new ArgumentException("An info-hash is 20 bytes.", nameof(infoHash));
        return RelayAsync(new Id20(infoHash.Span), target: null, offerJson, cancellationToken);
    }

    /// <summary>
    /// A DHT introduction: relays a WebRTC offer to the WebRTC DHT node registered in the rendezvous swarm
    /// (<see cref="WebTorrentTrackerOptions.DhtRendezvousInfoHash"/>) whose node id is XOR-closest to
    /// <paramref name="target"/> (a random node when null), and waits for its answer. A node that cannot take the offer
    /// (closed, send queue full) is skipped for the next closest, up to <see cref="WebTorrentTrackerOptions.OfferRelayAttempts"/>.
    /// Returns null when DHT introductions are disabled, no node took the offer, or none answered within
    /// <see cref="WebTorrentTrackerOptions.OfferAnswerTimeout"/>. The answer's <see cref="OfferAnswer.PeerId"/> is the node id.
    /// </summary>
    /// <param name="target">A 20-byte id to get close to (a node id or info-hash being looked up), or null for any node.</param>
    /// <param name="offerJson">The offer object, <c>{"type":"offer","sdp":"..."}</c>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="ArgumentException">The target is not 20 bytes or the offer is not a JSON object.</exception>
    /// <exception cref="InvalidOperationException">Too many offers are already waiting.</exception>
    public Task<OfferAnswer?> RelayDhtOfferAsync(ReadOnlyMemory<byte>? target, string offerJson, CancellationToken cancellationToken = default)
    {
        if (target is { Length: not Id20.Length }) throw new ArgumentException("A DHT target is 20 bytes.", nameof(target));
        if (DhtRendezvous is not { } rendezvous)
        {
            ValidateOffer(offerJson);
            return Task.FromResult<OfferAnswer?>(null);
        }
        return RelayAsync(rendezvous, target is { } t ? new Id20(t.Span) : null, offerJson, cancellationToken);
    }

    /// <summary>The rendezvous swarm of DHT introductions, or null when they are disabled.</summary>
    internal Id20? DhtRendezvous { get; }

    /// <summary>
    /// Sends the offer to one WebSocket peer of <paramref name="infoHash"/>'s swarm (random, or XOR-closest to
    /// <paramref name="target"/>; the next candidate when one cannot take it) under a fresh peer id and offer id, and waits
    /// for the answer that <see cref="HandleWebSocketAnnounce"/> matches by offer id and <c>to_peer_id</c>.
    /// </summary>
    private async Task<OfferAnswer?> RelayAsync(Id20 infoHash, Id20? target, string offerJson, CancellationToken cancellationToken)
    {
        var offerBytes = ValidateOffer(offerJson);
        if (!Swarms.TryGet(infoHash, out var swarm)) return null;
        var candidates = new PeerEntry?[Options.OfferRelayAttempts];
        var count = target is { } closestTo
            ? swarm.PickClosestWebSocketPeers(closestTo, candidates)
            : swarm.PickWebSocketPeers(default, candidates);
        if (count == 0) return null;
        if (_pendingOffers.Count >= Options.MaxPendingOffers) throw new InvalidOperationException("Too many offers are waiting for an answer.");

        var pending = new PendingOffer(infoHash, Id20.Random());
        var offerId = Id20.Random();
        _pendingOffers[offerId] = pending;
        try
        {
            var writer = RentWriter(out var buffer);
            writer.WriteStartObject();
            writer.WriteString("action"u8, "announce"u8);
            writer.WritePropertyName("offer"u8);
            writer.WriteRawValue(offerBytes, skipInputValidation: true);
            Latin1Id.Write(writer, "offer_id"u8, offerId);
            Latin1Id.Write(writer, "peer_id"u8, pending.PeerId);
            Latin1Id.Write(writer, "info_hash"u8, infoHash);
            writer.WriteEndObject();
            writer.Flush();
            var sent = false;
            for (var i = 0; i < count && !sent; i++)
                sent = candidates[i]!.Connection is { } connection && connection.TrySend(buffer.WrittenSpan);
            if (!sent) return null;
            Interlocked.Increment(ref Counters.OffersRelayed);

            var (answer, answerer) = await pending.Answer.WaitAsync(Options.OfferAnswerTimeout, Options.TimeProvider, cancellationToken);
            return new OfferAnswer(infoHash.ToHex(), answerer.ToHex(), offerId.ToHex(), answer);
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            _pendingOffers.TryRemove(offerId, out _);
        }
    }

    /// <summary>Checks that <paramref name="offerJson"/> is a JSON object with an <c>sdp</c> string; returns its UTF-8 bytes.</summary>
    private byte[] ValidateOffer(string offerJson)
    {
        ArgumentNullException.ThrowIfNull(offerJson);
        var offerBytes = System.Text.Encoding.UTF8.GetBytes(offerJson);
        if (offerBytes.Length > Options.MaxMessageSize) throw new ArgumentException("The offer is larger than MaxMessageSize.", nameof(offerJson));
        try
        {
            using var document = JsonDocument.Parse(offerBytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("sdp", out var sdp) || sdp.ValueKind != JsonValueKind.String)
                throw new ArgumentException("The offer must be a JSON object with an sdp string.", nameof(offerJson));
        }
        catch (JsonException e)
        {
            throw new ArgumentException("The offer is not valid JSON.", nameof(offerJson), e);
        }
        return offerBytes;
    }
}
