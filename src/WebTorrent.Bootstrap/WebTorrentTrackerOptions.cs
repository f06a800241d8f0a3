namespace WebTorrent.Bootstrap;

/// <summary>
/// Options of the WebTorrent tracker served by <see cref="TrackerEndpointRouteBuilderExtensions.MapWebTorrentTracker"/>.
/// Every limit has a safe default; raise them for a large public tracker.
/// </summary>
public sealed class WebTorrentTrackerOptions
{
    /// <summary>Announce interval told to HTTP and UDP clients. Default 10 minutes.</summary>
    public TimeSpan AnnounceInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Announce interval told to WebSocket clients (WebTorrent re-announces more often). Default 2 minutes.</summary>
    public TimeSpan WebSocketAnnounceInterval { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Minimum interval told to HTTP clients (<c>min interval</c>). Default 1 minute.</summary>
    public TimeSpan MinAnnounceInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A peer not heard from for this long is dropped. Default 20 minutes.</summary>
    public TimeSpan PeerTimeToLive { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>
    /// A WebSocket peer (on either path) or a fast-path HTTP connection (<see cref="TrackerListenOptionsExtensions.UseWebTorrentTrackerFastPath"/>)
    /// that sends nothing for this long is closed (checked every <see cref="SweepInterval"/>). WebTorrent re-announces every
    /// <see cref="WebSocketAnnounceInterval"/>, so keep it well above that. Default 5 minutes.
    /// </summary>
    public TimeSpan IdleConnectionTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A fast-path connection must complete each request head within this time from its first byte (the first head from
    /// the connection's start); a client that trickles a head, or connects and sends nothing, is closed. Default 10 seconds.
    /// </summary>
    public TimeSpan RequestHeadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often expired peers and empty swarms are swept. Default 1 minute.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Maximum number of swarms (info-hashes); announces for new swarms beyond it are refused. Default 100,000.</summary>
    public int MaxSwarms { get; set; } = 100_000;

    /// <summary>Maximum peers of each kind (WebSocket, HTTP/UDP) per swarm; the least recently seen is evicted. Default 5,000.</summary>
    public int MaxPeersPerSwarm { get; set; } = 5_000;

    /// <summary>
    /// Maximum peers (WebSocket and HTTP/UDP together) one address (an IPv4 address, an IPv6 /64) may have in one swarm; further new peer ids
    /// from it are refused, so one host cannot evict a swarm's real peers. Default 32.
    /// </summary>
    public int MaxPeersPerSwarmPerAddress { get; set; } = 32;

    /// <summary>Sustained rate at which one address (IPv4, IPv6 /64) may create new swarms; beyond it, announces for unknown info-hashes are refused. Default 60 a minute.</summary>
    public double SwarmCreationsPerMinutePerAddress { get; set; } = 60;

    /// <summary>New swarms one address may create in a burst before <see cref="SwarmCreationsPerMinutePerAddress"/> applies. Default 200.</summary>
    public int SwarmCreationBurstPerAddress { get; set; } = 200;

    /// <summary>
    /// Addresses whose swarm-creation rate is tracked at once (a few dozen bytes each; refilled ones are forgotten every
    /// <see cref="SweepInterval"/>). Past it, addresses not yet tracked cannot create swarms until the sweep. Default 100,000.
    /// </summary>
    public int MaxSwarmCreationAddresses { get; set; } = 100_000;

    /// <summary>Open WebSocket connections one address (IPv4, IPv6 /64) may hold; more are refused with 429. Default 128.</summary>
    public int MaxConnectionsPerAddress { get; set; } = 128;

    /// <summary>Peer ids one WebSocket may announce (each is bound to that socket until it closes or stops it). Default 8.</summary>
    public int MaxPeerIdsPerConnection { get; set; } = 8;

    /// <summary>
    /// Answer a scrape without <c>info_hash</c> with (up to <see cref="MaxScrapeInfoHashes"/>) swarms of the server. Off by
    /// default: it lists what the tracker serves to anyone and costs more than any other request; a full scrape then gets a
    /// <c>failure reason</c>. Default false.
    /// </summary>
    public bool EnableFullScrape { get; set; }

    /// <summary>Maximum peers returned to an HTTP or UDP announce. Default 50.</summary>
    public int MaxPeersPerAnnounce { get; set; } = 50;

    /// <summary>Peers returned to an HTTP or UDP announce without <c>numwant</c>. Default 30.</summary>
    public int DefaultNumWant { get; set; } = 30;

    /// <summary>Maximum WebRTC offers relayed from one WebSocket announce (extra offers are ignored). Default 10.</summary>
    public int MaxOffersPerAnnounce { get; set; } = 10;

    /// <summary>Maximum size of one WebSocket message; a larger one closes the socket. Default 64 KiB.</summary>
    public int MaxMessageSize { get; set; } = 64 * 1024;

    /// <summary>Messages queued to a slow WebSocket peer before it is disconnected. Default 256.</summary>
    public int MaxQueuedMessagesPerConnection { get; set; } = 256;

    /// <summary>Sustained messages per second accepted from one WebSocket; bursts up to <see cref="MessageBurst"/>. Default 20.</summary>
    public double MessagesPerSecond { get; set; } = 20;

    /// <summary>Burst of messages accepted from one WebSocket before rate limiting. Default 100.</summary>
    public int MessageBurst { get; set; } = 100;

    /// <summary>Malformed messages tolerated on one WebSocket (each gets an error reply) before it is closed. Default 10.</summary>
    public int MaxErrorsPerConnection { get; set; } = 10;

    /// <summary>Swarms one WebSocket may join. Default 1,000.</summary>
    public int MaxSwarmsPerConnection { get; set; } = 1_000;

    /// <summary>Maximum info-hashes in one scrape. Default 64.</summary>
    public int MaxScrapeInfoHashes { get; set; } = 64;

    /// <summary>How long <c>POST /offer</c> waits for a peer's answer. Default 20 seconds.</summary>
    public TimeSpan OfferAnswerTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Maximum pending <c>POST /offer</c> requests. Default 1,000.</summary>
    public int MaxPendingOffers { get; set; } = 1_000;

    /// <summary>Pending <c>POST /offer</c> requests one address (IPv4, IPv6 /64) may have; more get 429. Default 8.</summary>
    public int MaxPendingOffersPerAddress { get; set; } = 8;

    /// <summary>
    /// WebSocket peers tried in turn for one <c>POST /offer</c> when a picked peer cannot take the offer (its socket
    /// closed or its send queue is full): the next random peer, or the next XOR-closest DHT node. Default 4.
    /// </summary>
    public int OfferRelayAttempts { get; set; } = 4;

    /// <summary>
    /// The rendezvous swarm of DHT introductions, as 40 hex digits: WebRTC DHT nodes announce to it over the WebSocket
    /// tracker with their node id as peer id, and <c>POST /offer</c> with <c>"dht": true</c> relays offers to them.
    /// Default <see cref="DefaultDhtRendezvousInfoHash"/> (SHA-1 of the ASCII bytes <c>webtorrent-dht</c>); null or empty
    /// disables DHT introductions.
    /// </summary>
    public string? DhtRendezvousInfoHash { get; set; } = DefaultDhtRendezvousInfoHash;

    /// <summary>SHA-1 of the ASCII bytes <c>webtorrent-dht</c>, the well-known rendezvous info-hash of DHT introductions.</summary>
    public const string DefaultDhtRendezvousInfoHash = "d9f15a5e680fb5bec6a88aa29fa48b92f6541a12";

    /// <summary>UDP tracker port (BEP 15) on <see cref="UdpAddress"/>; null serves no UDP tracker. Default null.</summary>
    public int? UdpPort { get; set; }

    /// <summary>
    /// Origins whose browser pages may call <c>POST /offer</c> (CORS): <c>*</c> for any (the WebSocket tracker is open to
    /// every origin too, and the endpoint takes no credentials), or a comma-separated list of exact origins
    /// (<c>https://app.example,https://other.example</c>); null or empty sends no CORS headers, so only same-origin pages
    /// can call it. Default <c>*</c>.
    /// </summary>
    public string? OfferAllowedOrigins { get; set; } = "*";

    /// <summary>
    /// UDP port of a mainline DHT bootstrap node (BEP 5, like router.bittorrent.com) on <see cref="UdpAddress"/>: DHT
    /// clients bootstrap from it and learn of each other. Null runs none; 0 picks a free port. Default null.
    /// </summary>
    public int? DhtPort { get; set; }

    /// <summary>Address the UDP tracker (and the DHT bootstrap node) binds. Default <see cref="System.Net.IPAddress.Any"/>.</summary>
    public System.Net.IPAddress UdpAddress { get; set; } = System.Net.IPAddress.Any;

    /// <summary>Serve the stats pages (<c>/stats</c> and <c>/stats.json</c>). Default true.</summary>
    public bool EnableStats { get; set; } = true;

    /// <summary>Time source for intervals, TTLs and rate limits (tests pass a fake). Default the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        static void Positive(int value, string name)
        {
            if (value <= 0) throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
        }
        Positive(MaxSwarms, nameof(MaxSwarms));
        Positive(MaxPeersPerSwarm, nameof(MaxPeersPerSwarm));
        Positive(MaxPeersPerAnnounce, nameof(MaxPeersPerAnnounce));
        Positive(MaxOffersPerAnnounce, nameof(MaxOffersPerAnnounce));
        Positive(MaxMessageSize, nameof(MaxMessageSize));
        Positive(MaxQueuedMessagesPerConnection, nameof(MaxQueuedMessagesPerConnection));
        Positive(MessageBurst, nameof(MessageBurst));
        Positive(MaxSwarmsPerConnection, nameof(MaxSwarmsPerConnection));
        Positive(MaxScrapeInfoHashes, nameof(MaxScrapeInfoHashes));
        Positive(MaxPendingOffers, nameof(MaxPendingOffers));
        Positive(OfferRelayAttempts, nameof(OfferRelayAttempts));
        Positive(MaxPeersPerSwarmPerAddress, nameof(MaxPeersPerSwarmPerAddress));
        Positive(SwarmCreationBurstPerAddress, nameof(SwarmCreationBurstPerAddress));
        Positive(MaxSwarmCreationAddresses, nameof(MaxSwarmCreationAddresses));
        Positive(MaxConnectionsPerAddress, nameof(MaxConnectionsPerAddress));
        Positive(MaxPeerIdsPerConnection, nameof(MaxPeerIdsPerConnection));
        Positive(MaxPendingOffersPerAddress, nameof(MaxPendingOffersPerAddress));
        if (SwarmCreationsPerMinutePerAddress <= 0) throw new ArgumentOutOfRangeException(nameof(SwarmCreationsPerMinutePerAddress));
        if (!string.IsNullOrEmpty(DhtRendezvousInfoHash) && !Swarms.Id20.TryParseHex(DhtRendezvousInfoHash, out _))
            throw new ArgumentException("DhtRendezvousInfoHash must be 40 hex digits (or empty to disable DHT introductions).", nameof(DhtRendezvousInfoHash));
        if (MessagesPerSecond <= 0) throw new ArgumentOutOfRangeException(nameof(MessagesPerSecond));
        if (PeerTimeToLive <= TimeSpan.Zero || SweepInterval <= TimeSpan.Zero || AnnounceInterval <= TimeSpan.Zero
            || WebSocketAnnounceInterval <= TimeSpan.Zero || OfferAnswerTimeout <= TimeSpan.Zero || IdleConnectionTimeout <= TimeSpan.Zero
            || RequestHeadTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(PeerTimeToLive), "Intervals and timeouts must be positive.");
    }
}
