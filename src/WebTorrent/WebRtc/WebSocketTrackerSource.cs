using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using WebTorrent.Discovery;
using WebTorrent.Tracker;

namespace WebTorrent.WebRtc;

/// <summary>
/// The WebRTC peer source: announces torrents to their <c>ws://</c>/<c>wss://</c> trackers with offers from the client's
/// <see cref="WebRtcPeerFactory"/>, and answers the offers those trackers relay. One <see cref="WebSocketTrackerClient"/>
/// (one socket) per tracker URL, shared by every torrent. Peers arrive as open data channels, never as addresses: the
/// peer channel of <see cref="Register"/> is not written.
/// </summary>
internal sealed class WebSocketTrackerSource : IPeerDiscovery
{
    private readonly WebRtcPeerFactory _factory;
    private readonly WebRtcPeerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Dictionary<string, WebSocketTrackerClient> _clients = new(StringComparer.Ordinal);
    private bool _disposed;

    public WebSocketTrackerSource(WebRtcPeerFactory factory, WebRtcPeerOptions options, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _factory = factory;
        _options = options;
        _time = time;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<WebSocketTrackerSource>();
    }

    internal WebRtcPeerFactory Factory => _factory;

    /// <inheritdoc/>
    public ITorrentAnnouncer Register(DiscoveryTarget target, ChannelWriter<DiscoveredPeer> peers)
    {
        ArgumentNullException.ThrowIfNull(target);
        // Every WebSocket tracker of the torrent, all tiers: unlike HTTP/UDP tiers (fail-over between trackers of one
        // swarm, BEP 12), each WebSocket tracker relays offers only within its own swarm of browsers, so webtorrent
        // announces to all of them at once, and so do we.
        var uris = target.TrackerTiers.SelectMany(t => t)
            .Where(u => u.Scheme is "ws" or "wss")
            .DistinctBy(u => u.AbsoluteUri)
            .Take(_options.MaxTrackersPerTorrent)
            .ToList();
        var trackers = new List<WebSocketTrackerClient>();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var uri in uris)
            {
                if (_clients.TryGetValue(uri.AbsoluteUri, out var client))
                {
                    trackers.Add(client);
                    continue;
                }
                if (_clients.Count >= _options.MaxTrackerConnections)
                {
                    _logger.LogWarning("Not announcing to {Tracker}: {Max} WebSocket trackers in use", uri, _options.MaxTrackerConnections);
                    continue;
                }
                client = new WebSocketTrackerClient(uri, _factory, new WebSocketTrackerClientOptions
                {
                    MaxOffersPerAnnounce = Math.Max(1, _options.OffersPerAnnounce),
                    // Longer than ours: an answer that comes after our own deadline still reaches the offer, which logs it.
                    OfferTimeout = _options.OfferTimeout * 2,
                    TimeProvider = _time,
                });
                var tracker = uri;
                client.Error += (_, e) => _logger.LogDebug(e.Error, "WebSocket tracker {Tracker} ({Torrent}): {Message}", tracker, e.InfoHashHex, e.Error.Message);
                _clients[uri.AbsoluteUri] = client;
                trackers.Add(client);
            }
        }
        var announcer = new WebSocketAnnouncer(this, target, trackers, _options, _time, _loggerFactory.CreateLogger<WebSocketAnnouncer>());
        announcer.Start();
        return announcer;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        WebSocketTrackerClient[] clients;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            clients = [.. _clients.Values];
            _clients.Clear();
        }
        foreach (var client in clients)
        {
            try
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _logger.LogDebug(e, "Closing WebSocket tracker {Tracker} failed", client.Uri);
            }
        }
    }
}
