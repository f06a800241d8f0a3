namespace WebTorrent.Engine;

/// <summary>
/// A token bucket on a <see cref="TimeProvider"/>: <c>rate</c> bytes per second with a burst of one second. Callers
/// reserve bytes and wait until the bucket has refilled past their reservation, so concurrent callers are served in turn.
/// </summary>
internal sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private long _rate;
    private double _tokens;
    private long _last;

    public TokenBucket(long? rate, TimeProvider time)
    {
        _time = time;
        _rate = rate ?? 0;
        _tokens = _rate;
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
                _tokens = Math.Min(_tokens, Math.Max(value, 0));
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
            var now = _time.GetTimestamp();
            _tokens = Math.Min(_rate, _tokens + (_time.GetElapsedTime(_last, now).TotalSeconds * _rate));
            _last = now;
            _tokens -= bytes;
            if (_tokens >= 0) return ValueTask.CompletedTask;
            wait = TimeSpan.FromSeconds(-_tokens / _rate);
        }
        return new ValueTask(Task.Delay(wait, _time, cancellationToken));
    }
}
