using System.Collections.Concurrent;

namespace WebTorrent.Bootstrap.Swarms;

/// <summary>Why <see cref="SwarmRegistry.GetOrCreate(Id20, AddressKey?, out SwarmRefusal)"/> made no swarm.</summary>
internal enum SwarmRefusal
{
    None,

    /// <summary><see cref="WebTorrentTrackerOptions.MaxSwarms"/> reached.</summary>
    Full,

    /// <summary>The address created swarms faster than <see cref="WebTorrentTrackerOptions.SwarmCreationsPerMinutePerAddress"/>.</summary>
    RateLimited,
}

/// <summary>
/// All swarms by info-hash, bounded in number, with creation rate-limited per address, and expired peers and empty swarms
/// swept on a timer.
/// </summary>
internal sealed class SwarmRegistry : IDisposable
{
    private readonly ConcurrentDictionary<Id20, Swarm> _swarms = new();
    private readonly WebTorrentTrackerOptions _options;
    private readonly SwarmCreationLimiter _creations;
    private readonly ITimer _sweepTimer;
    private int _count;

    public SwarmRegistry(WebTorrentTrackerOptions options, Action? afterSweep = null)
    {
        _options = options;
        _creations = new SwarmCreationLimiter(options);
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
    public Swarm? GetOrCreate(Id20 infoHash) => GetOrCreate(infoHash, source: null, out _);

    /// <summary>
    /// The swarm for <paramref name="infoHash"/>; a new one only when there is room and <paramref name="source"/> (the
    /// announcing address; null for the server itself) has not created swarms too fast. Null with the reason otherwise.
    /// </summary>
    public Swarm? GetOrCreate(Id20 infoHash, AddressKey? source, out SwarmRefusal refusal)
    {
        refusal = SwarmRefusal.None;
        if (_swarms.TryGetValue(infoHash, out var swarm)) return swarm;
        if (Volatile.Read(ref _count) >= _options.MaxSwarms)
        {
            refusal = SwarmRefusal.Full;
            return null;
        }
        if (source is { } address && !_creations.TryTake(address))
        {
            refusal = SwarmRefusal.RateLimited;
            return null;
        }
        if (Interlocked.Increment(ref _count) > _options.MaxSwarms)
        {
            Interlocked.Decrement(ref _count);
            refusal = SwarmRefusal.Full;
            return null;
        }
        var created = new Swarm(infoHash, _options.MaxPeersPerSwarm, _options.MaxPeersPerSwarmPerAddress);
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
        _creations.Sweep();
    }

    public void Dispose() => _sweepTimer.Dispose();
}
