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
    private readonly List<List<TrackerState>> _tiers = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly WakeSignal _trackerWake = new();
    private readonly WakeSignal _dhtWake = new();
    private readonly object _gate = new();
    private readonly List<TaskCompletionSource> _completedWaiters = [];
    private Task? _trackerLoop;
    private Task? _dhtLoop;
    private LocalServiceDiscovery.Registration? _lsdRegistration;

    // Tracker loop state (only the loop writes it, except the request flags).
    private DateTimeOffset _nextAnnounce;
    private DateTimeOffset? _lastAnnounce;
    private TimeSpan _minInterval;
    private bool _backingOff;
    private volatile bool _morePeersRequested;
    private volatile bool _dhtMorePeersRequested;
    private volatile bool _completedRequested;
    private bool _completedUrgent;
    private bool _completedPending;
    private bool _completedSent;
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
        _minInterval = options.DefaultTrackerMinInterval;
        _nextAnnounce = _time.GetUtcNow();
    }

    /// <inheritdoc/>
    public event EventHandler<PeerDiscoveryErrorEventArgs>? SourceFailed;

    /// <summary>The trackers in their current tier order (for tests and diagnostics).</summary>
    internal IReadOnlyList<IReadOnlyList<Uri>> TrackerTiers
    {
        get
        {
            lock (_gate) return _tiers.Select(t => (IReadOnlyList<Uri>)t.Select(s => s.Client.Uri).ToList()).ToList();
        }
    }

    /// <summary>When the next regular tracker announce is due.</summary>
    internal DateTimeOffset NextTrackerAnnounce => _nextAnnounce;

    /// <summary>Completes when the tracker loop waits (tests advance fake time only then).</summary>
    internal Task WhenTrackerIdleAsync() => _trackerWake.WhenIdleAsync();

    /// <summary>Completes when the DHT loop waits.</summary>
    internal Task WhenDhtIdleAsync() => _dhtWake.WhenIdleAsync();

    internal void Start(IReadOnlyList<List<ITrackerClient>> tiers)
    {
        var random = _options.Random ?? Random.Shared;
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
            if (states.Count > 0) _tiers.Add(states);
        }
        if (_tiers.Count > 0) _trackerLoop = Task.Run(() => TrackerLoopAsync(_stop.Token));
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
        if (Volatile.Read(ref _disposed) != 0 || _trackerLoop is null) return;
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_completedPending) return;
            _completedPending = true;
            _completedWaiters.Add(waiter);
            _completedRequested = true;
        }
        _trackerWake.Set();
        await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void RequestMorePeers()
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        _morePeersRequested = true;
        _trackerWake.Set();
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
        foreach (var loop in new[] { _trackerLoop, _dhtLoop })
        {
            if (loop is null) continue;
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        List<TrackerState> started;
        lock (_gate)
        {
            started = _tiers.SelectMany(t => t).Where(t => t.Started).ToList();
            foreach (var waiter in _completedWaiters) waiter.TrySetResult();
            _completedWaiters.Clear();
        }
        if (started.Count > 0)
        {
            using var timeout = new CancellationTokenSource(_options.StoppedAnnounceTimeout, _time);
            await Task.WhenAll(started.Select(t => StoppedAsync(t, timeout.Token))).ConfigureAwait(false);
        }
        _owner.Unregister(this);
        _stop.Dispose();
    }

    private async Task StoppedAsync(TrackerState tracker, CancellationToken cancellationToken)
    {
        try
        {
            await tracker.Client.AnnounceAsync(CreateRequest(tracker, TrackerEvent.Stopped) with { NumWant = 0 }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            RaiseFailed(PeerSource.Tracker, tracker.Client.Uri.ToString(), e);
        }
    }

    private async Task TrackerLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var now = _time.GetUtcNow();
                DateTimeOffset due;
                lock (_gate)
                {
                    if (_completedRequested && !_completedSent)
                    {
                        _completedRequested = false;
                        _completedUrgent = true;
                    }
                    due = _nextAnnounce;
                    if (_completedUrgent)
                    {
                        due = now;
                    }
                    else if (_morePeersRequested)
                    {
                        if (_backingOff)
                        {
                            _morePeersRequested = false; // a retry is already scheduled; asking again would hammer a failing tracker
                        }
                        else
                        {
                            var earliest = (_lastAnnounce ?? now) + _minInterval;
                            if (earliest < due) due = earliest < now ? now : earliest;
                        }
                    }
                }
                if (due > now)
                {
                    await _trackerWake.WaitAsync(due - now, _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                _morePeersRequested = false;
                await AnnounceRoundAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One BEP 12 round: tiers in order, trackers of a tier in order, the first that answers is moved to the front of its tier.</summary>
    private async Task AnnounceRoundAsync(CancellationToken cancellationToken)
    {
        bool urgent;
        lock (_gate)
        {
            urgent = _completedUrgent;
            _completedUrgent = false;
        }
        var now = _time.GetUtcNow();
        _lastAnnounce = now;
        foreach (var tier in _tiers)
        {
            for (var i = 0; i < tier.Count; i++)
            {
                var tracker = tier[i];
                if (!urgent && tracker.RetryAt is { } retry && retry > now) continue;
                TrackerEvent trackerEvent;
                lock (_gate)
                {
                    trackerEvent = !tracker.Started ? TrackerEvent.Started
                        : _completedPending && !_completedSent ? TrackerEvent.Completed
                        : TrackerEvent.None;
                }
                AnnounceResponse response;
                try
                {
                    using var timer = new CancellationTokenSource(_options.TrackerRequestTimeout, _time);
                    using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
                    response = await tracker.Client.AnnounceAsync(CreateRequest(tracker, trackerEvent), both.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    tracker.Failures++;
                    tracker.RetryAt = _time.GetUtcNow() + Backoff(tracker.Failures);
                    var error = e is OperationCanceledException ? new TimeoutException($"No answer from {tracker.Client.Uri} within {_options.TrackerRequestTimeout}.", e) : e;
                    RaiseFailed(PeerSource.Tracker, tracker.Client.Uri.ToString(), error);
                    continue;
                }
                OnSuccess(tier, i, tracker, trackerEvent, response);
                return;
            }
        }
        // Every tracker failed or is waiting out its backoff: retry when the first one may be tried again.
        lock (_gate)
        {
            _backingOff = true;
            var retry = _tiers.SelectMany(t => t).Select(t => t.RetryAt ?? now).DefaultIfEmpty(now).Min();
            _nextAnnounce = retry > now ? retry : now + _options.TrackerRetryInitial;
            ReleaseCompletedWaiters();
        }
    }

    private void OnSuccess(List<TrackerState> tier, int index, TrackerState tracker, TrackerEvent trackerEvent, AnnounceResponse response)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            tracker.Failures = 0;
            tracker.RetryAt = null;
            if (response.TrackerId is { Length: > 0 } id) tracker.TrackerId = id;
            if (trackerEvent == TrackerEvent.Started) tracker.Started = true;
            if (trackerEvent == TrackerEvent.Completed) _completedSent = true;
            if (index > 0)
            {
                tier.RemoveAt(index);
                tier.Insert(0, tracker);
            }
            var interval = response.Interval < _options.MinimumTrackerInterval ? _options.MinimumTrackerInterval : response.Interval;
            _minInterval = response.MinInterval ?? _options.DefaultTrackerMinInterval;
            if (_minInterval > interval) _minInterval = interval;
            _nextAnnounce = now + interval;
            _backingOff = false;
            if (trackerEvent != TrackerEvent.Started || !_completedPending || _completedSent) ReleaseCompletedWaiters();
            else _completedUrgent = true; // started went first: send completed right after
        }
        if (response.WarningMessage is { } warning) _logger.LogInformation("Tracker {Tracker} warns: {Warning}", tracker.Client.Uri, warning);
        WritePeers(response.Peers, PeerSource.Tracker);
    }

    private void ReleaseCompletedWaiters()
    {
        foreach (var waiter in _completedWaiters) waiter.TrySetResult();
        _completedWaiters.Clear();
    }

    private TimeSpan Backoff(int failures)
    {
        var ticks = _options.TrackerRetryInitial.Ticks * Math.Pow(2, Math.Min(failures - 1, 30));
        return ticks >= _options.TrackerRetryMaximum.Ticks ? _options.TrackerRetryMaximum : TimeSpan.FromTicks((long)ticks);
    }

    private AnnounceRequest CreateRequest(TrackerState tracker, TrackerEvent trackerEvent)
    {
        var totals = SafeTotals();
        return new AnnounceRequest
        {
            InfoHash = _target.InfoHash,
            PeerId = _target.PeerId,
            Port = _target.ListenPort,
            Downloaded = Math.Max(0, totals.Downloaded),
            Uploaded = Math.Max(0, totals.Uploaded),
            Left = totals.Left is { } left ? Math.Max(0, left) : UnknownLeft,
            Event = trackerEvent,
            NumWant = _options.NumWant,
            Key = _owner.TrackerKey,
            TrackerId = tracker.TrackerId,
        };
    }

    private TransferTotals SafeTotals()
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

    private void WritePeers(IReadOnlyList<IPEndPoint> peers, PeerSource source)
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

    private sealed class TrackerState(ITrackerClient client)
    {
        public ITrackerClient Client { get; } = client;

        public bool Started { get; set; }

        public string? TrackerId { get; set; }

        public int Failures { get; set; }

        public DateTimeOffset? RetryAt { get; set; }
    }
}
