using System.Text.Json;
using WebTorrent.Bootstrap.Swarms;

namespace WebTorrent.Bootstrap.WebSockets;

/// <summary>
/// One parsed WebSocket tracker message. Reused per connection, so parsing allocates nothing: the offer and
/// answer objects are kept as ranges of the message bytes and relayed verbatim.
/// </summary>
internal sealed class WebSocketRequest
{
    public WebSocketRequest(int maxOffers, int maxScrapeInfoHashes)
    {
        OfferIds = new Id20[maxOffers];
        OfferRanges = new Range[maxOffers];
        ScrapeInfoHashes = new Id20[maxScrapeInfoHashes];
    }

    public bool IsScrape { get; private set; }
    public bool HasInfoHash { get; private set; }
    public Id20 InfoHash { get; private set; }
    public Id20 PeerId { get; private set; }
    public bool HasToPeerId { get; private set; }
    public Id20 ToPeerId { get; private set; }
    public bool HasOfferId { get; private set; }
    public Id20 OfferId { get; private set; }
    public Range? Answer { get; private set; }
    public AnnounceEvent Event { get; private set; }
    public bool? Complete { get; private set; }
    public int OfferCount { get; private set; }
    public Id20[] OfferIds { get; }
    public Range[] OfferRanges { get; }
    public int ScrapeCount { get; private set; }
    public Id20[] ScrapeInfoHashes { get; }

    /// <summary>Parses <paramref name="json"/>, throwing <see cref="TrackerRequestException"/> (or <see cref="JsonException"/>) when it is not a valid request.</summary>
    public void Parse(ReadOnlySpan<byte> json)
    {
        IsScrape = false;
        HasInfoHash = HasToPeerId = HasOfferId = false;
        Answer = null;
        Event = AnnounceEvent.None;
        Complete = null;
        OfferCount = ScrapeCount = 0;
        var hasPeerId = false;
        var action = 0; // 1 announce, 2 scrape

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new TrackerRequestException("request is not a JSON object");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("action"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("announce"u8)) action = 1;
                else if (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("scrape"u8)) action = 2;
                else throw new TrackerRequestException("invalid action");
            }
            else if (reader.ValueTextEquals("info_hash"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    // Scrape of several info-hashes.
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        var id = Latin1Id.Read(ref reader, "info_hash");
                        if (ScrapeCount < ScrapeInfoHashes.Length) ScrapeInfoHashes[ScrapeCount++] = id;
                        else throw new TrackerRequestException("too many info_hash values");
                    }
                }
                else
                {
                    InfoHash = Latin1Id.Read(ref reader, "info_hash");
                    HasInfoHash = true;
                }
            }
            else if (reader.ValueTextEquals("peer_id"u8))
            {
                reader.Read();
                PeerId = Latin1Id.Read(ref reader, "peer_id");
                hasPeerId = true;
            }
            else if (reader.ValueTextEquals("to_peer_id"u8))
            {
                reader.Read();
                ToPeerId = Latin1Id.Read(ref reader, "to_peer_id");
                HasToPeerId = true;
            }
            else if (reader.ValueTextEquals("offer_id"u8))
            {
                reader.Read();
                OfferId = Latin1Id.Read(ref reader, "offer_id");
                HasOfferId = true;
            }
            else if (reader.ValueTextEquals("answer"u8))
            {
                reader.Read();
                Answer = ReadObjectRange(ref reader, "answer");
            }
            else if (reader.ValueTextEquals("event"u8))
            {
                reader.Read();
                Event = ReadEvent(ref reader);
            }
            else if (reader.ValueTextEquals("left"u8))
            {
                reader.Read();
                Complete = reader.TokenType switch
                {
                    JsonTokenType.Number => reader.TryGetDouble(out var left) && left == 0,
                    JsonTokenType.String => reader.ValueTextEquals("0"u8),
                    _ => false, // null: JavaScript's JSON.stringify(Infinity), an unknown size
                };
            }
            else if (reader.ValueTextEquals("offers"u8))
            {
                reader.Read();
                ReadOffers(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip(); // numwant, uploaded, downloaded, trackerid...: not needed by the relay
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject) throw new TrackerRequestException("malformed request");
        if (action == 0) throw new TrackerRequestException("missing action");
        if (action == 2)
        {
            IsScrape = true;
            if (HasInfoHash)
            {
                ScrapeInfoHashes[0] = InfoHash;
                ScrapeCount = 1;
            }
            return;
        }
        if (!HasInfoHash) throw new TrackerRequestException("invalid info_hash");
        if (!hasPeerId) throw new TrackerRequestException("invalid peer_id");
        if (Answer is not null && (!HasToPeerId || !HasOfferId)) throw new TrackerRequestException("invalid `to_peer_id` (required with `answer`)");
    }

    private static Range ReadObjectRange(ref Utf8JsonReader reader, string name)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new TrackerRequestException($"invalid {name}");
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return new Range(start, (int)reader.BytesConsumed);
    }

    private void ReadOffers(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return;
        if (reader.TokenType != JsonTokenType.StartArray) throw new TrackerRequestException("invalid offers");
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject) throw new TrackerRequestException("invalid offer");
            Range? offer = null;
            Id20 offerId = default;
            var hasOfferId = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("offer"u8))
                {
                    reader.Read();
                    offer = ReadObjectRange(ref reader, "offer");
                }
                else if (reader.ValueTextEquals("offer_id"u8))
                {
                    reader.Read();
                    offerId = Latin1Id.Read(ref reader, "offer_id");
                    hasOfferId = true;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (offer is null || !hasOfferId) throw new TrackerRequestException("invalid offer");
            if (OfferCount < OfferIds.Length)
            {
                OfferIds[OfferCount] = offerId;
                OfferRanges[OfferCount] = offer.Value;
                OfferCount++;
            }
        }
    }

    private static AnnounceEvent ReadEvent(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return AnnounceEvent.None;
        if (reader.TokenType != JsonTokenType.String) throw new TrackerRequestException("invalid event");
        if (reader.ValueTextEquals("started"u8)) return AnnounceEvent.Started;
        if (reader.ValueTextEquals("stopped"u8)) return AnnounceEvent.Stopped;
        if (reader.ValueTextEquals("completed"u8)) return AnnounceEvent.Completed;
        if (reader.ValueTextEquals("update"u8) || reader.ValueTextEquals("paused"u8) || reader.ValueTextEquals("empty"u8) || reader.ValueTextEquals(""u8))
            return AnnounceEvent.None;
        throw new TrackerRequestException("invalid event");
    }
}
