using Microsoft.Extensions.Logging;
using WebTorrent.Discovery;
using WebTorrent.Tracker;

namespace WebTorrent.WebRtc;

/// <summary>
/// One torrent's announces to its WebSocket trackers: <c>started</c> with offers, then again with fresh offers every
/// interval (sooner when the torrent asks for peers, never sooner than the minimum interval), <c>completed</c> once,
/// <c>stopped</c> on dispose. Disposing also closes the torrent's WebRTC peer connections.
/// </summary>
internal sealed class WebSocketAnnouncer : ITorrentAnnouncer
{
    private readonly WebSocketTrackerSource _owner;
    private readonly DiscoveryTarget _target;
    private readonly WebRtcPeerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<TrackerLoop> _loops;
    private readonly string _key;
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;

    public WebSocketAnnouncer(WebSocketTrackerSource owner, DiscoveryTarget target, IReadOnlyList<WebSocketTrackerClient> trackers,
        WebRtcPeerOptions options, TimeProvider time, ILogger logger)
    {
        _owner = owner;
        _target = target;
        _options = options;
        _time = time;
        _logger = logger;
        _key = Convert.ToHexString(target.InfoHash.Span);
        _loops = [.. trackers.Select(t => new TrackerLoop(t))];
    }

    /// <inheritdoc/>
    public event EventHandler<PeerDiscoveryErrorEventArgs>? SourceFailed;

    internal void Start()
    {
        foreach (var loop in _loops) loop.Task = Task.Run(() => RunAsync(loop, _stop.Token));
    }

    /// <inheritdoc/>
    public async ValueTask NotifyCompletedAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        await Task.WhenAll(_loops.Where(l => l.Started).Select(l => AnnounceOnceAsync(l, TrackerEvent.Completed, cancellationToken))).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void RequestMorePeers()
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        foreach (var loop in _loops) loop.Wake.Set();
    }

    /// <summary>Stops the loops, sends <c>stopped</c> (bounded by <see cref="WebRtcPeerOptions.StoppedAnnounceTimeout"/>), closes the torrent's WebRTC peer connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var loop in _loops)
        {
            if (loop.Task is { } task) await task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        using (var timeout = new CancellationTokenSource(_options.StoppedAnnounceTimeout, _time))
            await Task.WhenAll(_loops.Where(l => l.Started).Select(l => AnnounceOnceAsync(l, TrackerEvent.Stopped, timeout.Token))).ConfigureAwait(false);
        await _owner.Factory.CloseTorrentAsync(_key).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(TrackerLoop loop, CancellationToken cancellationToken)
    {
        var failures = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var started = loop.Started;
                TimeSpan wait;
                var response = await AnnounceOnceAsync(loop, started ? TrackerEvent.None : TrackerEvent.Started, cancellationToken).ConfigureAwait(false);
                var announcedAt = _time.GetTimestamp();
                if (response is not null)
                {
                    failures = 0;
                    wait = response.Interval < _options.AnnounceInterval ? response.Interval : _options.AnnounceInterval;
                    if (wait < _options.MinAnnounceInterval) wait = _options.MinAnnounceInterval;
                }
                else
                {
                    failures++;
                    var ticks = _options.MinAnnounceInterval.Ticks * Math.Pow(2, Math.Min(failures - 1, 20));
                    wait = TimeSpan.FromTicks((long)Math.Min(ticks, TimeSpan.FromMinutes(10).Ticks));
                }
                if (await loop.Wake.WaitAsync(wait, _time, cancellationToken).ConfigureAwait(false))
                {
                    // Asked for peers early: still no sooner than the minimum interval after the last announce.
                    var early = _options.MinAnnounceInterval - _time.GetElapsedTime(announcedAt);
                    if (early > TimeSpan.Zero) await Task.Delay(early, _time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One announce; failures are logged and raised as <see cref="SourceFailed"/>, and give null.</summary>
    private async Task<AnnounceResponse?> AnnounceOnceAsync(TrackerLoop loop, TrackerEvent trackerEvent, CancellationToken cancellationToken)
    {
        var totals = SafeTotals();
        var offers = trackerEvent is TrackerEvent.Stopped or TrackerEvent.Completed ? 0 : Math.Min(_options.OffersPerAnnounce, _owner.Factory.FreeSlots(_key));
        try
        {
            var response = await loop.Tracker.AnnounceAsync(new AnnounceRequest
            {
                InfoHash = _target.InfoHash,
                PeerId = _target.PeerId,
                Port = _target.ListenPort,
                Downloaded = Math.Max(0, totals.Downloaded),
                Uploaded = Math.Max(0, totals.Uploaded),
                Left = totals.Left is { } left ? Math.Max(0, left) : 16 * 1024,
                Event = trackerEvent,
                NumWant = offers,
            }, cancellationToken).ConfigureAwait(false);
            if (trackerEvent == TrackerEvent.Started) loop.Started = true;
            if (trackerEvent == TrackerEvent.Stopped) loop.Started = false;
            return response;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && trackerEvent != TrackerEvent.Stopped)
        {
            throw;
        }
        catch (Exception e) when (e is TrackerException or OperationCanceledException or ObjectDisposedException or ArgumentException)
        {
            _logger.LogDebug(e, "{Event} announce of {Torrent} to {Tracker} failed", trackerEvent, _key, loop.Tracker.Uri);
            try
            {
                SourceFailed?.Invoke(this, new PeerDiscoveryErrorEventArgs(PeerSource.Tracker, loop.Tracker.Uri.ToString(), e));
            }
            catch (Exception handler) when (handler is not OutOfMemoryException)
            {
                _logger.LogWarning(handler, "A SourceFailed handler threw");
            }
            return null;
        }
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

    private sealed class TrackerLoop(WebSocketTrackerClient tracker)
    {
        public WebSocketTrackerClient Tracker { get; } = tracker;

        public WakeSignal Wake { get; } = new();

        public volatile bool Started;

        public Task? Task { get; set; }
    }
}
