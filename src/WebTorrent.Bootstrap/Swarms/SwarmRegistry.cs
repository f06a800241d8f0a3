using System.Collections.Concurrent;

namespace WebTorrent.Bootstrap.Swarms;

/// <summary>All swarms by info-hash, bounded in number, with expired peers and empty swarms swept on a timer.</summary>
internal sealed class SwarmRegistry : IDisposable
{
    private readonly ConcurrentDictionary<Id20, Swarm> _swarms = new();
    private readonly WebTorrentTrackerOptions _options;
    private readonly ITimer _sweepTimer;
    private int _count;

    public SwarmRegistry(WebTorrentTrackerOptions options, Action? afterSweep = null)
    {
        _options = options;
        _sweepTimer = options.TimeProvider.CreateTimer(_ =>
        {
            Sweep();
            afterSweep?.Invoke();
        }, null, options.SweepInterval, options.SweepInterval);
    }

    public int Count => Volatile.Read(ref _count);

    public ICollection<Swarm> Swarms => _swarms.Values;

    public bool TryGet(Id20 infoHash, out Swarm swarm) => _swarms.TryGetValue(infoHash, out swarm!);

    /// <summary>The swarm for <paramref name="infoHash"/>, created if there is room; null when the registry is full.</summary>
    public Swarm? GetOrCreate(Id20 infoHash)
    {
        if (_swarms.TryGetValue(infoHash, out var swarm)) return swarm;
        if (Interlocked.Increment(ref _count) > _options.MaxSwarms)
        {
            Interlocked.Decrement(ref _count);
            return null;
        }
        var created = new Swarm(infoHash, _options.MaxPeersPerSwarm);
        swarm = _swarms.GetOrAdd(infoHash, created);
        if (swarm != created) Interlocked.Decrement(ref _count);
        return swarm;
    }

    /// <summary>Drops peers older than the TTL and swarms left empty. Called by the timer; public for tests.</summary>
    public void Sweep()
    {
        var deadline = _options.TimeProvider.GetTimestamp() - (long)(_options.PeerTimeToLive.TotalSeconds * _options.TimeProvider.TimestampFrequency);
        foreach (var (infoHash, swarm) in _swarms)
        {
            swarm.Expire(deadline);
            // A swarm that just became empty may be re-used by a racing announce; that announce re-creates it if removed.
            if (swarm.IsEmpty && _swarms.TryRemove(new KeyValuePair<Id20, Swarm>(infoHash, swarm))) Interlocked.Decrement(ref _count);
        }
    }

    public void Dispose() => _sweepTimer.Dispose();
}
