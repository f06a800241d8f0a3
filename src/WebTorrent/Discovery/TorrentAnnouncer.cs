using System.Net;
using System.Threading.Channels;
using MagnetUri;
using Microsoft.Extensions.Logging;
using WebTorrent.Dht;
using WebTorrent.Tracker;

namespace WebTorrent.Discovery;

/// <summary>
/// One torrent's registration with a <see cref="PeerDiscovery"/>: a tracker loop (BEP 12 tiers), a DHT loop and a
/// local discovery registration, all writing the peers they find to the torrent's channel.
/// </summary>
internal sealed class TorrentAnnouncer : ITorrentAnnouncer
{
    /// <summary>What we report as <c>left</c> while the metadata (and so the size) is unknown: non-zero, so we count as a leecher.</summary>
    internal const long UnknownLeft = 16 * 1024;

    private readonly PeerDiscovery _owner;
    private readonly PeerDiscoveryOptions _options;
    private readonly DiscoveryTarget _target;
    private readonly ChannelWriter<DiscoveredPeer> _peers;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly InfoHash _infoHash;
    private readonly List<TrackerGroup> _groups = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly WakeSignal _dhtWake = new();
    private readonly object _gate = new();
    private Task? _dhtLoop;
    private LocalServiceDiscovery.Registration? _lsdRegistration;
    private volatile bool _dhtMorePeersRequested;
    private int _disposed;

    public TorrentAnnouncer(PeerDiscovery owner, PeerDiscoveryOptions options, DiscoveryTarget target, ChannelWriter<DiscoveredPeer> peers, ILogger logger)
    {
        _owner = owner;
        _options = options;
        _target = target;
        _peers = peers;
        _time = options.TimeProvider;
        _logger = logger;
        _infoHash = InfoHash.FromV1(target.InfoHash.Span);
    }

    /// <inheritdoc/>
    public event EventHandler<PeerDiscoveryErrorEventArgs>? SourceFailed;

    /// <summary>The trackers in their current tier order (for tests and diagnostics).</summary>
    internal IReadOnlyList<IReadOnlyList<Uri>> TrackerTiers => _groups.SelectMany(g => g.Tiers).ToList();

    /// <summary>Completes when every tracker loop waits (tests advance fake time only then).</summary>
    internal Task WhenTrackerIdleAsync() => Task.WhenAll(_groups.Select(g => g.WhenIdleAsync()));

    /// <summary>Completes when the DHT loop waits.</summary>
    internal Task WhenDhtIdleAsync() => _dhtWake.WhenIdleAsync();

    internal void Start(IReadOnlyList<List<ITrackerClient>> tiers, uint key)
    {
        var random = _options.Random ?? Random.Shared;
        var all = new List<List<TrackerState>>();
        foreach (var tier in tiers)
        {
            var states = tier.Select(c => new TrackerState(c)).ToList();
            // BEP 12: shuffle each tier once, when the torrent is added.
            lock (random)
            {
                for (var i = states.Count - 1; i > 0; i--)
                {
                    var j = random.Next(i + 1);
                    (states[i], states[j]) = (states[j], states[i]);
                }
            }
            if (states.Count > 0) all.Add(states);
        }
        if (_options.AnnounceToAllTiers)
        {
            foreach (var tier in all) _groups.Add(new TrackerGroup(this, _options, _target, key, _logger, [tier]));
        }
        else if (all.Count > 0)
        {
            _groups.Add(new TrackerGroup(this, _options, _target, key, _logger, all));
        }
        foreach (var group in _groups) group.Start(_stop.Token);
        if (!_target.IsPrivate && _owner.DhtEnabled) _dhtLoop = Task.Run(() => DhtLoopAsync(_stop.Token));
    }

    /// <summary>Joins local service discovery (public torrents only); called once its socket is bound.</summary>
    internal void RegisterLocalDiscovery(LocalServiceDiscovery lsd)
    {
        if (_target.IsPrivate) return;
        lock (_gate)
        {
            if (Volatile.Read(ref _disposed) != 0 || _lsdRegistration is not null) return;
            try
            {
                _lsdRegistration = lsd.Register(_infoHash, _target.ListenPort, p => Write(p, PeerSource.LocalDiscovery));
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask NotifyCompletedAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _disposed) != 0 || _groups.Count == 0) return;
        await Task.WhenAll(_groups.Select(g => g.NotifyCompletedAsync())).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void RequestMorePeers()
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        foreach (var group in _groups) group.RequestMorePeers();
        _dhtMorePeersRequested = true;
        _dhtWake.Set();
        if (_lsdRegistration is { } registration) _owner.LocalDiscovery?.Announce(registration);
    }

    /// <summary>Stops every loop, then sends <c>stopped</c> to the trackers that saw <c>started</c> (bounded by <see cref="PeerDiscoveryOptions.StoppedAnnounceTimeout"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            _lsdRegistration?.Dispose();
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_dhtLoop is not null)
        {
            try
            {
                await _dhtLoop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        using (var timeout = new CancellationTokenSource(_options.StoppedAnnounceTimeout, _time))
            await Task.WhenAll(_groups.Select(g => g.StopAsync(timeout.Token))).ConfigureAwait(false);
        _owner.Unregister(this);
        _stop.Dispose();
    }

    internal TransferTotals SafeTotals()
    {
        try
        {
            return _target.GetTotals();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogWarning(e, "GetTotals threw; announcing zeros");
            return new TransferTotals(0, 0, null);
        }
    }

    private async Task DhtLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            var dht = await _owner.WaitForDhtAsync(cancellationToken).ConfigureAwait(false);
            if (dht is null) return;
            var infoHash = new NodeId(_target.InfoHash.Span);
            DateTimeOffset? last = null;
            while (!cancellationToken.IsCancellationRequested)
            {
                var now = _time.GetUtcNow();
                var due = last is { } l ? l + _options.DhtAnnounceInterval : now;
                if (_dhtMorePeersRequested && last is { } previous)
                {
                    var earliest = previous + _options.DhtMinLookupInterval;
                    if (earliest < due) due = earliest < now ? now : earliest;
                }
                if (due > now)
                {
                    await _dhtWake.WaitAsync(due - now, _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                _dhtMorePeersRequested = false;
                last = now;
                await _owner.DhtLookups.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    var result = _target.ListenPort > 0
                        ? await dht.AnnounceAsync(infoHash, _target.ListenPort, cancellationToken).ConfigureAwait(false)
                        : await dht.GetPeersAsync(infoHash, 0, cancellationToken).ConfigureAwait(false);
                    WritePeers(result.Peers, PeerSource.Dht);
                }
                catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
                {
                    RaiseFailed(PeerSource.Dht, "get_peers " + _infoHash, e);
                }
                finally
                {
                    _owner.DhtLookups.Release();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    internal void WritePeers(IReadOnlyList<IPEndPoint> peers, PeerSource source)
    {
        var count = Math.Min(peers.Count, _options.MaxPeersPerResponse);
        for (var i = 0; i < count; i++) Write(peers[i], source);
    }

    private void Write(IPEndPoint peer, PeerSource source)
    {
        if (peer.Port == 0) return;
        _peers.TryWrite(new DiscoveredPeer(peer, source));
    }

    internal void RaiseFailed(PeerSource source, string detail, Exception error)
    {
        _logger.LogDebug(error, "{Source} failed: {Detail}", source, detail);
        try
        {
            SourceFailed?.Invoke(this, new PeerDiscoveryErrorEventArgs(source, detail, error));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogWarning(e, "A SourceFailed handler threw");
        }
    }
}
