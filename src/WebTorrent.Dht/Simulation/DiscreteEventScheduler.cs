namespace WebTorrent.Dht.Simulation;

/// <summary>
/// A virtual clock with an event queue: a <see cref="TimeProvider"/> whose timers fire, and whose scheduled actions
/// run, only when <see cref="RunUntil(DateTimeOffset)"/> advances time, on the calling thread, in time order (ties
/// in scheduling order). Thousands of DHT nodes then run deterministically on one thread, as fast as the CPU allows.
/// Not thread-safe: drive it, and the nodes on it, from one thread.
/// </summary>
public sealed class DiscreteEventScheduler : TimeProvider
{
    private readonly PriorityQueue<ScheduledEvent, (long Time, long Sequence)> _queue = new();
    private readonly DateTimeOffset _epoch;
    private long _now;
    private long _sequence;

    /// <summary>Creates a clock starting at <paramref name="start"/> (default 2026-01-01 UTC).</summary>
    public DiscreteEventScheduler(DateTimeOffset? start = null) => _epoch = start ?? new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Virtual time elapsed since the start.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(_now);

    /// <summary>Events waiting.</summary>
    public int PendingEvents => _queue.Count;

    /// <summary>Events run so far.</summary>
    public long EventsRun { get; private set; }

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => _epoch.AddTicks(_now);

    /// <inheritdoc/>
    public override long GetTimestamp() => _now;

    /// <inheritdoc/>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc/>
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <summary>Runs <paramref name="action"/> after <paramref name="delay"/> of virtual time.</summary>
    public void Schedule(TimeSpan delay, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Enqueue(delay, new ScheduledEvent(action, null, 0));
    }

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new VirtualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Runs events in order until virtual time reaches <paramref name="until"/> (then sets the clock to it).</summary>
    public void RunUntil(DateTimeOffset until) => RunFor(until - GetUtcNow());

    /// <summary>Runs events for <paramref name="duration"/> of virtual time.</summary>
    public void RunFor(TimeSpan duration)
    {
        var end = _now + Math.Max(0, duration.Ticks);
        while (_queue.TryPeek(out _, out var key) && key.Time <= end) RunNext();
        _now = end;
    }

    /// <summary>Runs events until <paramref name="condition"/> holds, the queue empties, or <paramref name="limit"/> of virtual time passes.</summary>
    /// <returns>True when the condition holds.</returns>
    public bool RunUntil(Func<bool> condition, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var end = _now + limit.Ticks;
        while (!condition())
        {
            if (!_queue.TryPeek(out _, out var key) || key.Time > end)
            {
                _now = Math.Max(_now, end);
                return condition();
            }
            RunNext();
        }
        return true;
    }

    private void RunNext()
    {
        _queue.TryDequeue(out var next, out var key);
        _now = Math.Max(_now, key.Time);
        EventsRun++;
        next.Run();
    }

    private void Enqueue(TimeSpan delay, ScheduledEvent scheduled)
    {
        var time = _now + Math.Max(0, delay.Ticks);
        _queue.Enqueue(scheduled, (time, _sequence++));
    }

    private readonly struct ScheduledEvent(Action? action, VirtualTimer? timer, long generation)
    {
        public void Run()
        {
            if (action is not null)
            {
                action();
                return;
            }
            timer!.Fire(generation);
        }
    }

    private void EnqueueAt(long time, VirtualTimer timer, long generation) =>
        _queue.Enqueue(new ScheduledEvent(null, timer, generation), (time, _sequence++));

    private sealed class VirtualTimer(DiscreteEventScheduler scheduler, TimerCallback callback, object? state) : ITimer
    {
        private long _generation;
        private long _period = -1;
        private bool _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (_disposed) return false;
            _generation++;
            _period = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? -1 : period.Ticks;
            if (dueTime != Timeout.InfiniteTimeSpan)
                scheduler.EnqueueAt(scheduler._now + Math.Max(0, dueTime.Ticks), this, _generation);
            return true;
        }

        public void Fire(long generation)
        {
            if (_disposed || generation != _generation) return;
            if (_period > 0) scheduler.EnqueueAt(scheduler._now + _period, this, _generation);
            callback(state);
        }

        public void Dispose()
        {
            _disposed = true;
            _generation++;
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
