namespace WebTorrent.Protocol;

/// <summary>Bytes per second over a sliding window of one-second buckets, timed by a <see cref="TimeProvider"/>.</summary>
internal sealed class SpeedMeter
{
    private readonly TimeProvider _time;
    private readonly long[] _buckets;
    private readonly long _start;
    private long _currentSecond;
    private readonly Lock _gate = new();

    public SpeedMeter(TimeProvider time, TimeSpan window)
    {
        _time = time;
        _buckets = new long[Math.Max(1, (int)Math.Ceiling(window.TotalSeconds))];
        _start = time.GetTimestamp();
    }

    public long Total { get; private set; }

    public void Add(long bytes)
    {
        lock (_gate)
        {
            Roll();
            _buckets[_currentSecond % _buckets.Length] += bytes;
            Total += bytes;
        }
    }

    public double BytesPerSecond
    {
        get
        {
            lock (_gate)
            {
                Roll();
                long sum = 0;
                foreach (var b in _buckets) sum += b;
                var elapsed = Math.Min(_time.GetElapsedTime(_start).TotalSeconds, _buckets.Length);
                return elapsed <= 0 ? 0 : sum / Math.Max(elapsed, 1);
            }
        }
    }

    private void Roll()
    {
        var second = (long)_time.GetElapsedTime(_start).TotalSeconds;
        if (second == _currentSecond) return;
        var steps = Math.Min(second - _currentSecond, _buckets.Length);
        for (var i = 1; i <= steps; i++) _buckets[(_currentSecond + i) % _buckets.Length] = 0;
        _currentSecond = second;
    }
}
