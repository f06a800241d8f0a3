using Microsoft.Extensions.Logging;
using WebTorrent.Tracker;

namespace WebTorrent.Discovery;

/// <summary>
/// Tiers of trackers announced as one BEP 12 list: a round tries the tiers in order and the trackers of a tier in
/// order, the first that answers is moved to the front of its tier and ends the round. A torrent has one group (BEP
/// 12), or one per tier with <see cref="PeerDiscoveryOptions.AnnounceToAllTiers"/>. Each group runs its own loop with
/// its own interval, min interval and backoff.
/// </summary>
internal sealed class TrackerGroup
{
    private readonly TorrentAnnouncer _announcer;
    private readonly PeerDiscoveryOptions _options;
    private readonly DiscoveryTarget _target;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly uint _key;
    private readonly List<List<TrackerState>> _tiers;
    private readonly WakeSignal _wake = new();
    private readonly object _gate = new();
    private readonly List<TaskCompletionSource> _completedWaiters = [];
    private Task? _loop;
    private DateTimeOffset _nextAnnounce;
    private DateTimeOffset? _lastAnnounce;
    private TimeSpan _minInterval;
    private bool _backingOff;
    private volatile bool _morePeersRequested;
    private volatile bool _completedRequested;
    private bool _completedUrgent;
    private bool _completedPending;
    private bool _completedSent;
    private bool _stopped;

    public TrackerGroup(TorrentAnnouncer announcer, PeerDiscoveryOptions options, DiscoveryTarget target, uint key, ILogger logger, List<List<TrackerState>> tiers)
    {
        _announcer = announcer;
        _options = options;
        _target = target;
        _time = options.TimeProvider;
        _logger = logger;
        _key = key;
        _tiers = tiers;
        _minInterval = options.DefaultTrackerMinInterval;
        _nextAnnounce = _time.GetUtcNow();
    }

    /// <summary>The trackers in their current tier order.</summary>
    public IReadOnlyList<IReadOnlyList<Uri>> Tiers
    {
        get
        {
            lock (_gate) return _tiers.Select(t => (IReadOnlyList<Uri>)t.Select(s => s.Client.Uri).ToList()).ToList();
        }
    }

    /// <summary>Completes when the loop waits (tests advance fake time only then).</summary>
    public Task WhenIdleAsync() => _wake.WhenIdleAsync();

    public void Start(CancellationToken cancellationToken) => _loop = Task.Run(() => LoopAsync(cancellationToken), CancellationToken.None);

    /// <summary>Asks for an early announce (within the min interval, not while backing off).</summary>
    public void RequestMorePeers()
    {
        _morePeersRequested = true;
        _wake.Set();
    }

    /// <summary>Sends <c>completed</c> at once (once); completes when that round ended, answered or not.</summary>
    public Task NotifyCompletedAsync()
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_completedPending || _stopped) return Task.CompletedTask;
            _completedPending = true;
            _completedWaiters.Add(waiter);
            _completedRequested = true;
        }
        _wake.Set();
        return waiter.Task;
    }

    /// <summary>After the loop was cancelled: <c>stopped</c> to every tracker that acknowledged <c>started</c>.</summary>
    public async Task StopAsync(CancellationToken stoppedTimeout)
    {
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        List<TrackerState> started;
        lock (_gate)
        {
            _stopped = true;
            started = _tiers.SelectMany(t => t).Where(t => t.Started).ToList();
            ReleaseCompletedWaiters();
        }
        await Task.WhenAll(started.Select(t => StoppedAsync(t, stoppedTimeout))).ConfigureAwait(false);
    }

    private async Task StoppedAsync(TrackerState tracker, CancellationToken cancellationToken)
    {
        try
        {
            await tracker.Client.AnnounceAsync(CreateRequest(tracker, TrackerEvent.Stopped) with { NumWant = 0 }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _announcer.RaiseFailed(PeerSource.Tracker, tracker.Client.Uri.ToString(), e);
        }
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
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
                    await _wake.WaitAsync(due - now, _time, cancellationToken).ConfigureAwait(false);
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
                    _announcer.RaiseFailed(PeerSource.Tracker, tracker.Client.Uri.ToString(), error);
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
        _announcer.WritePeers(response.Peers, PeerSource.Tracker);
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
        var totals = _announcer.SafeTotals();
        return new AnnounceRequest
        {
            InfoHash = _target.InfoHash,
            PeerId = _target.PeerId,
            Port = _target.ListenPort,
            Downloaded = Math.Max(0, totals.Downloaded),
            Uploaded = Math.Max(0, totals.Uploaded),
            Left = totals.Left is { } left ? Math.Max(0, left) : TorrentAnnouncer.UnknownLeft,
            Event = trackerEvent,
            NumWant = _options.NumWant,
            Key = _key,
            TrackerId = tracker.TrackerId,
        };
    }
}

/// <summary>One tracker of a group: its client, whether it saw <c>started</c>, its tracker id and backoff.</summary>
internal sealed class TrackerState(ITrackerClient client)
{
    public ITrackerClient Client { get; } = client;

    public bool Started { get; set; }

    public string? TrackerId { get; set; }

    public int Failures { get; set; }

    public DateTimeOffset? RetryAt { get; set; }
}
