namespace WebRtc.Ice.Turn;

/// <summary>What a TURN client must renew: its allocation, a permission (per peer IP) or a channel binding (per peer).</summary>
/// <param name="Kind">What kind of state.</param>
/// <param name="Peer">The peer of a permission (port 0) or channel; null for the allocation.</param>
internal readonly record struct TurnRefresh(TurnRefreshKind Kind, System.Net.IPEndPoint? Peer);

/// <summary>The kinds of state a TURN client renews.</summary>
internal enum TurnRefreshKind
{
    Allocation,
    Permission,
    Channel,
}

/// <summary>
/// When each piece of TURN state is due for renewal, on one timer of the client's <see cref="TimeProvider"/>: the
/// timer is always armed for the earliest due time, and fires <c>due</c> for each item whose time has come (an item
/// fires once; renewing reschedules it).
/// </summary>
internal sealed class TurnRefreshSchedule : IDisposable
{
    private readonly TimeProvider _time;
    private readonly Action<TurnRefresh> _due;
    private readonly Dictionary<TurnRefresh, DateTimeOffset> _items = [];
    private readonly ITimer _timer;
    private bool _disposed;

    public TurnRefreshSchedule(TimeProvider time, Action<TurnRefresh> due)
    {
        _time = time;
        _due = due;
        _timer = time.CreateTimer(_ => Fire(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The RFC 8656 margin: renew an allocation a minute before it expires, or at half its life when shorter.</summary>
    public static TimeSpan AllocationRefreshDelay(TimeSpan lifetime) => lifetime - TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(1).Ticks, lifetime.Ticks / 2));

    /// <summary>When <paramref name="item"/> is next due, if scheduled.</summary>
    public DateTimeOffset? DueAt(TurnRefresh item)
    {
        lock (_items) return _items.TryGetValue(item, out var at) ? at : null;
    }

    /// <summary>Schedules (or reschedules) <paramref name="item"/> after <paramref name="delay"/>.</summary>
    public void Schedule(TurnRefresh item, TimeSpan delay)
    {
        lock (_items)
        {
            if (_disposed) return;
            _items[item] = _time.GetUtcNow() + delay;
            ArmLocked();
        }
    }

    /// <summary>Forgets <paramref name="item"/>.</summary>
    public void Remove(TurnRefresh item)
    {
        lock (_items)
        {
            if (_items.Remove(item) && !_disposed) ArmLocked();
        }
    }

    /// <summary>Stops the timer; nothing fires afterwards.</summary>
    public void Dispose()
    {
        lock (_items)
        {
            _disposed = true;
            _items.Clear();
        }
        _timer.Dispose();
    }

    private void Fire()
    {
        List<TurnRefresh> due = [];
        lock (_items)
        {
            if (_disposed) return;
            var now = _time.GetUtcNow();
            foreach (var (item, at) in _items)
            {
                if (at <= now) due.Add(item);
            }
            foreach (var item in due) _items.Remove(item);
            ArmLocked();
        }
        foreach (var item in due) _due(item);
    }

    private void ArmLocked()
    {
        if (_items.Count == 0)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }
        var earliest = _items.Values.Min();
        var wait = earliest - _time.GetUtcNow();
        _timer.Change(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, Timeout.InfiniteTimeSpan);
    }
}
