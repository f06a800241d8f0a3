namespace WebTorrent.Engine;

/// <summary>
/// A token bucket on a <see cref="TimeProvider"/>: <c>rate</c> tokens (bytes, messages) per second with a burst of
/// <c>burstSeconds</c> seconds, starting full. <see cref="TakeAsync"/> reserves and waits until the bucket has refilled
/// past the reservation, so concurrent callers are served in turn; <see cref="TryTake"/> takes only what is there.
/// </summary>
internal sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private long _rate;
    private double _tokens;
    private readonly double _burstSeconds;
    private long _last;

    public TokenBucket(long? rate, TimeProvider time, double burstSeconds = 1)
    {
        _time = time;
        _rate = rate ?? 0;
        _burstSeconds = burstSeconds;
        _tokens = _rate * burstSeconds;
        _last = time.GetTimestamp();
    }

    /// <summary>Bytes per second; 0 or less for unlimited.</summary>
    public long Rate
    {
        get => Volatile.Read(ref _rate);
        set
        {
            lock (_gate)
            {
                _rate = value;
                _tokens = Math.Min(_tokens, Math.Max(value, 0) * _burstSeconds);
            }
        }
    }

    public bool IsUnlimited => Rate <= 0;

    /// <summary>Takes <paramref name="bytes"/> tokens, waiting as long as the bucket needs to refill.</summary>
    public ValueTask TakeAsync(int bytes, CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (_gate)
        {
            if (_rate <= 0) return ValueTask.CompletedTask;
            RefillLocked();
            _tokens -= bytes;
            if (_tokens >= 0) return ValueTask.CompletedTask;
            wait = TimeSpan.FromSeconds(-_tokens / _rate);
        }
        return new ValueTask(Task.Delay(wait, _time, cancellationToken));
    }

    /// <summary>Takes <paramref name="tokens"/> if the bucket holds them (always, when unlimited); never waits.</summary>
    public bool TryTake(int tokens)
    {
        lock (_gate)
        {
            if (_rate <= 0) return true;
            RefillLocked();
            if (_tokens < tokens) return false;
            _tokens -= tokens;
            return true;
        }
    }

    private void RefillLocked()
    {
        var now = _time.GetTimestamp();
        _tokens = Math.Min(_rate * _burstSeconds, _tokens + (_time.GetElapsedTime(_last, now).TotalSeconds * _rate));
        _last = now;
    }
}
