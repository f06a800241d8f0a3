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
    /// WebSocket peer or none answered within <see cref="WebTorrentTrackerOptions.OfferAnswerTimeout"/>.
    /// </summary>
    /// <param name="infoHash">The 20-byte info-hash.</param>
    /// <param name="offerJson">The offer object, <c>{"type":"offer","sdp":"..."}</c>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="ArgumentException">The info-hash is not 20 bytes or the offer is not a JSON object.</exception>
    /// <exception cref="InvalidOperationException">Too many offers are already waiting.</exception>
    public async Task<OfferAnswer?> RelayOfferAsync(ReadOnlyMemory<byte> infoHash, string offerJson, CancellationToken cancellationToken = default)
    {
        if (infoHash.Length != Id20.Length) throw new ArgumentException("An info-hash is 20 bytes.", nameof(infoHash));
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

        var id = new Id20(infoHash.Span);
        if (!Swarms.TryGet(id, out var swarm)) return null;
        var targets = new PeerEntry?[1];
        if (swarm.PickWebSocketPeers(default, targets) == 0 || targets[0]!.Connection is not { } target) return null;
        if (_pendingOffers.Count >= Options.MaxPendingOffers) throw new InvalidOperationException("Too many offers are waiting for an answer.");

        var pending = new PendingOffer(id, Id20.Random());
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
            Latin1Id.Write(writer, "info_hash"u8, id);
            writer.WriteEndObject();
            writer.Flush();
            if (!target.TrySend(OutgoingMessage.CopyOf(buffer.WrittenSpan))) return null;
            Interlocked.Increment(ref Counters.OffersRelayed);

            var (answer, answerer) = await pending.Answer.WaitAsync(Options.OfferAnswerTimeout, Options.TimeProvider, cancellationToken);
            return new OfferAnswer(id.ToHex(), answerer.ToHex(), offerId.ToHex(), answer);
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
}
