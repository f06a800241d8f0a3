namespace WebTorrent.Bootstrap.Swarms;

/// <summary>
/// A token bucket per address (IPv4, IPv6 /64) for creating swarms, so one client cannot fill the registry's
/// <see cref="WebTorrentTrackerOptions.MaxSwarms"/> for everyone. Buckets that refilled are dropped by <see cref="Sweep"/>, and
/// at most <see cref="WebTorrentTrackerOptions.MaxSwarmCreationAddresses"/> are kept: past that, new addresses wait for the sweep.
/// </summary>
internal sealed class SwarmCreationLimiter(WebTorrentTrackerOptions options)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<AddressKey, Bucket> _buckets = new();

    private sealed class Bucket
    {
        public double Tokens;
        public long LastRefill;
    }

    /// <summary>Takes one creation from <paramref name="source"/>'s bucket; false when it is empty (or no bucket can be made).</summary>
    public bool TryTake(AddressKey source)
    {
        var time = options.TimeProvider;
        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (!_buckets.TryGetValue(source, out var bucket))
            {
                if (_buckets.Count >= options.MaxSwarmCreationAddresses) return false;
                _buckets[source] = bucket = new Bucket { Tokens = options.SwarmCreationBurstPerAddress, LastRefill = now };
            }
            Refill(bucket, now, time.TimestampFrequency);
            if (bucket.Tokens < 1) return false;
            bucket.Tokens -= 1;
            return true;
        }
    }

    /// <summary>Forgets addresses whose bucket is full again (they are as if never seen).</summary>
    public void Sweep()
    {
        var time = options.TimeProvider;
        var now = time.GetTimestamp();
        lock (_gate)
        {
            foreach (var (source, bucket) in _buckets)
            {
                Refill(bucket, now, time.TimestampFrequency);
                if (bucket.Tokens >= options.SwarmCreationBurstPerAddress) _buckets.Remove(source);
            }
        }
    }

    private void Refill(Bucket bucket, long now, long frequency)
    {
        bucket.Tokens = Math.Min(options.SwarmCreationBurstPerAddress, bucket.Tokens + ((now - bucket.LastRefill) * options.SwarmCreationsPerMinutePerAddress / 60.0 / frequency));
        bucket.LastRefill = now;
    }
}
