using System.Net;

namespace WebTorrent.Dht.Storage;

/// <summary>
/// Queries per second per source address: a token bucket per address, the table of addresses bounded (when full,
/// idle entries are swept; if none can go, new addresses are refused until some do). Not thread-safe.
/// </summary>
internal sealed class RateLimiter(TimeProvider time, double perSecond, int burst, int maxAddresses)
{
    private readonly Dictionary<object, Entry> _entries = [];

    public bool TryAcquire(EndPoint source)
    {
        if (perSecond <= 0) return true;
        object key = source is IPEndPoint ip ? ip.Address : source;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!_entries.TryGetValue(key, out var entry))
        {
            if (_entries.Count >= maxAddresses && !Sweep(now)) return false;
            entry = new Entry { Tokens = burst, Updated = now };
            _entries[key] = entry;
        }
        entry.Tokens = Math.Min(burst, entry.Tokens + (now - entry.Updated) * perSecond / 1000.0);
        entry.Updated = now;
        if (entry.Tokens < 1) return false;
        entry.Tokens -= 1;
        return true;
    }

    private bool Sweep(long now)
    {
        // An entry that has refilled completely carries no information: forget it.
        var fullAfter = (long)(burst / perSecond * 1000);
        var before = _entries.Count;
        foreach (var (key, entry) in _entries)
            if (now - entry.Updated >= fullAfter) _entries.Remove(key);
        return _entries.Count < before;
    }

    private sealed class Entry
    {
        public double Tokens;
        public long Updated;
    }
}
