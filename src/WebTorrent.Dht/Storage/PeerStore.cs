using System.Net;
using System.Security.Cryptography;
using WebTorrent.Dht.Krpc;

namespace WebTorrent.Dht.Storage;

/// <summary>
/// Peers announced to us (announce_peer), per info-hash, with expiry and bounds per IP address and info-hash, per
/// info-hash and in total. When a bound is reached the oldest announcement makes room; an address at its bound
/// replaces its own oldest entry, so one host varying its port cannot fill an info-hash's list.
/// Not thread-safe: the node serialises access.
/// </summary>
internal sealed class PeerStore(TimeProvider time, TimeSpan lifetime, int maxPerInfoHash, int maxTotal, int maxPerAddress)
{
    private readonly Dictionary<NodeId, List<StoredPeer>> _peers = [];

    public int Count { get; private set; }

    public int InfoHashCount => _peers.Count;

    public void Add(NodeId infoHash, IPEndPoint peer, bool seed)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var expires = now + (long)lifetime.TotalMilliseconds;
        if (!_peers.TryGetValue(infoHash, out var list))
        {
            if (Count >= maxTotal && !EvictOldest(now)) return;
            list = new List<StoredPeer>(4);
            _peers[infoHash] = list;
        }
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i].EndPoint.Equals(peer))
            {
                list[i] = new StoredPeer(peer, expires, seed);
                return;
            }
        }
        var sameAddress = 0;
        var oldestOfAddress = -1;
        for (var i = 0; i < list.Count; i++)
        {
            if (!list[i].EndPoint.Address.Equals(peer.Address)) continue;
            if (oldestOfAddress < 0) oldestOfAddress = i;
            sameAddress++;
        }
        // Loopback peers are clients on this very machine (tests, several clients per host): only remote hosts are capped.
        if (sameAddress >= maxPerAddress && !System.Net.IPAddress.IsLoopback(peer.Address))
        {
            list.RemoveAt(oldestOfAddress);
            list.Add(new StoredPeer(peer, expires, seed));
            return;
        }
        if (list.Count >= maxPerInfoHash)
        {
            list.RemoveAt(0);
            Count--;
        }
        else if (Count >= maxTotal && !EvictOldest(now))
        {
            return;
        }
        list.Add(new StoredPeer(peer, expires, seed));
        Count++;
    }

    /// <summary>Writes up to <paramref name="max"/> live peers of <paramref name="family"/> as concatenated compact peers; returns bytes written.</summary>
    public int WriteCompact(NodeId infoHash, System.Net.Sockets.AddressFamily family, bool noSeeds, Span<byte> destination, int max)
    {
        if (!_peers.TryGetValue(infoHash, out var list)) return 0;
        Expire(infoHash, list);
        var written = 0;
        var size = CompactEncoding.PeerSize(family);
        var taken = 0;
        // Newest first: the freshest announcements are the likeliest to be online.
        for (var i = list.Count - 1; i >= 0 && taken < max && written + size <= destination.Length; i--)
        {
            var peer = list[i];
            if (peer.EndPoint.AddressFamily != family || (noSeeds && peer.Seed)) continue;
            written += CompactEncoding.WritePeer(peer.EndPoint, destination[written..]);
            taken++;
        }
        return written;
    }

    /// <summary>BEP 33: fills the seeds and peers bloom filters (256 bytes each) for <paramref name="infoHash"/>.</summary>
    public bool FillBloomFilters(NodeId infoHash, Span<byte> seeds, Span<byte> peers)
    {
        seeds.Clear();
        peers.Clear();
        if (!_peers.TryGetValue(infoHash, out var list)) return false;
        Expire(infoHash, list);
        foreach (var peer in list) ScrapeBloomFilter.Insert(peer.Seed ? seeds : peers, peer.EndPoint.Address);
        return true;
    }

    public List<IPEndPoint> Get(NodeId infoHash)
    {
        if (!_peers.TryGetValue(infoHash, out var list)) return [];
        Expire(infoHash, list);
        return list.ConvertAll(p => p.EndPoint);
    }

    private void Expire(NodeId infoHash, List<StoredPeer> list)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var removed = list.RemoveAll(p => p.Expires <= now);
        Count -= removed;
        if (list.Count == 0) _peers.Remove(infoHash);
    }

    private bool EvictOldest(long now)
    {
        // Total bound reached: drop expired entries first, then the oldest announcement anywhere.
        NodeId? oldestHash = null;
        var oldest = long.MaxValue;
        foreach (var (hash, list) in _peers)
        {
            if (list.Count > 0 && list[0].Expires < oldest)
            {
                oldest = list[0].Expires;
                oldestHash = hash;
            }
        }
        if (oldestHash is not { } key) return false;
        var victims = _peers[key];
        victims.RemoveAt(0);
        Count--;
        if (victims.Count == 0) _peers.Remove(key);
        _ = now;
        return true;
    }

    private readonly record struct StoredPeer(IPEndPoint EndPoint, long Expires, bool Seed);
}

/// <summary>BEP 33 scrape bloom filters: 2048 bits, two hash functions taken from SHA-1 of the peer's address.</summary>
public static class ScrapeBloomFilter
{
    /// <summary>Filter size in bytes.</summary>
    public const int Size = 256;

    private const int Bits = Size * 8;

    /// <summary>Adds <paramref name="address"/> to <paramref name="filter"/>.</summary>
    public static void Insert(Span<byte> filter, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var length);
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(bytes[..length], hash);
        var index1 = (hash[0] | (hash[1] << 8)) % Bits;
        var index2 = (hash[2] | (hash[3] << 8)) % Bits;
        filter[index1 / 8] |= (byte)(1 << (index1 % 8));
        filter[index2 / 8] |= (byte)(1 << (index2 % 8));
    }

    /// <summary>Merges <paramref name="other"/> into <paramref name="filter"/> (bitwise or), as a scraper combines answers.</summary>
    public static void Merge(Span<byte> filter, ReadOnlySpan<byte> other)
    {
        for (var i = 0; i < Math.Min(filter.Length, other.Length); i++) filter[i] |= other[i];
    }

    /// <summary>Estimates how many distinct addresses were inserted into <paramref name="filter"/>.</summary>
    public static int Estimate(ReadOnlySpan<byte> filter)
    {
        if (filter.Length != Size) return 0;
        var zeros = 0;
        foreach (var b in filter) zeros += 8 - System.Numerics.BitOperations.PopCount(b);
        zeros = Math.Max(zeros, 1);
        zeros = Math.Min(zeros, Bits - 1);
        return (int)Math.Round(Math.Log(zeros / (double)Bits) / (2 * Math.Log(1 - 1.0 / Bits)));
    }
}
