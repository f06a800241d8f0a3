using WebRtc.Ice;

namespace WebTorrent.WebRtc;

/// <summary>
/// How a <see cref="WebTorrentClient"/> trades pieces with browsers: WebRTC data channels signalled through the
/// <c>ws://</c>/<c>wss://</c> trackers of its torrents (<see cref="WebTorrentClientOptions.WebRtc"/>). Every limit has a safe default.
/// </summary>
public sealed record WebRtcPeerOptions
{
    /// <summary>Offers sent with each announce to a WebSocket tracker (webtorrent sends up to 5; bittorrent-tracker caps at 10). Default 5.</summary>
    public int OffersPerAnnounce { get; init; } = 5;

    /// <summary>Most WebRTC peer connections of one torrent, connected or half-open. Default 30.</summary>
    public int MaxPeersPerTorrent { get; init; } = 30;

    /// <summary>Most WebRTC peer connections over the whole client, connected or half-open. Default 100.</summary>
    public int MaxPeers { get; init; } = 100;

    /// <summary>
    /// Most half-open WebRTC peer connections over the client: offers waiting for an answer plus connections whose ICE, DTLS,
    /// SCTP or BitTorrent handshake is still running. Offers past it are refused before any socket is opened. Default 20.
    /// </summary>
    public int MaxHalfOpen { get; init; } = 20;

    /// <summary>How long an offer waits for its answer before its peer connection is closed (webtorrent: 50 s). Default 50 s.</summary>
    public TimeSpan OfferTimeout { get; init; } = TimeSpan.FromSeconds(50);

    /// <summary>
    /// How long a connection may take, once both descriptions are known, to open its data channel and finish the
    /// BitTorrent handshake. Default 30 s.
    /// </summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the DTLS handshake may take (<see cref="global::WebRtc.PeerConnectionOptions.DtlsHandshakeTimeout"/>). Default 20 s.</summary>
    public TimeSpan DtlsHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// A connected peer that sends and receives nothing (not even a keep-alive, which BitTorrent peers send every
    /// 1-2 minutes) for this long is closed. Default 3 minutes.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>
    /// ICE servers as RTCIceServer entries (<c>stun:host:port</c>, or <c>turn:host:port</c> with a username and credential;
    /// a plain URL string converts), passed to <see cref="global::WebRtc.PeerConnectionOptions.IceServers"/>.
    /// Default empty: host candidates only, so nothing is sent to a third party. webtorrent's browser defaults are
    /// <c>stun:stun.l.google.com:19302</c> and <c>stun:global.stun.twilio.com:3478</c> (simple-peer's config); add
    /// servers like those for peers behind NAT.
    /// </summary>
    public IReadOnlyList<global::WebRtc.IceServer> IceServers { get; init; } = [];

    /// <summary>
    /// The ICE agent options every peer connection starts from (addresses to gather, loopback, timers); null uses
    /// <see cref="IceAgentOptions"/>' defaults. Tests between two clients on one machine set
    /// <c>new IceAgentOptions { LocalAddresses = [IPAddress.Loopback] }</c>. The client's
    /// <see cref="WebTorrentClientOptions.TimeProvider"/> replaces the one given here.
    /// </summary>
    public IceAgentOptions? Ice { get; init; }

    /// <summary>How often a torrent re-announces to a WebSocket tracker at least (the tracker's interval is used when shorter). Default 2 minutes.</summary>
    public TimeSpan AnnounceInterval { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The shortest time between two announces of a torrent to one tracker, and the first retry delay after a failure. Default 30 s.</summary>
    public TimeSpan MinAnnounceInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most WebSocket trackers one torrent announces to. Default 8.</summary>
    public int MaxTrackersPerTorrent { get; init; } = 8;

    /// <summary>Most WebSocket tracker connections of the client (one per tracker URL, shared by its torrents). Default 64.</summary>
    public int MaxTrackerConnections { get; init; } = 64;

    /// <summary>How long a <c>stopped</c> announce may take when a torrent stops. Default 5 s.</summary>
    public TimeSpan StoppedAnnounceTimeout { get; init; } = TimeSpan.FromSeconds(5);

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(IceServers, nameof(IceServers));
        ArgumentOutOfRangeException.ThrowIfNegative(OffersPerAnnounce, nameof(OffersPerAnnounce));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPeersPerTorrent, nameof(MaxPeersPerTorrent));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPeers, nameof(MaxPeers));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxHalfOpen, nameof(MaxHalfOpen));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxTrackersPerTorrent, nameof(MaxTrackersPerTorrent));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxTrackerConnections, nameof(MaxTrackerConnections));
        foreach (var (value, name) in new[]
        {
            (OfferTimeout, nameof(OfferTimeout)), (ConnectTimeout, nameof(ConnectTimeout)), (DtlsHandshakeTimeout, nameof(DtlsHandshakeTimeout)),
            (IdleTimeout, nameof(IdleTimeout)), (AnnounceInterval, nameof(AnnounceInterval)), (MinAnnounceInterval, nameof(MinAnnounceInterval)),
            (StoppedAnnounceTimeout, nameof(StoppedAnnounceTimeout)),
        })
        {
            if (value <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(name, "must be positive");
        }
        foreach (var server in IceServers)
        {
            if (server is null || server.Urls.Count == 0 || server.Urls.Any(string.IsNullOrWhiteSpace))
                throw new ArgumentException("An ICE server has no URL or an empty one.", nameof(IceServers));
        }
    }
}
