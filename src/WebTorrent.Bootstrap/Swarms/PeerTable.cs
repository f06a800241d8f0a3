namespace WebTorrent.Bootstrap.Swarms;

/// <summary>
/// Peers of one kind in one swarm: a dictionary by peer id, a dense list for uniform random picks
/// (partial Fisher-Yates, no allocation) and an intrusive LRU list for TTL expiry and eviction.
/// Not thread-safe: the owning <see cref="Swarm"/> locks.
/// </summary>
internal sealed class PeerTable
{
    private readonly Dictionary<Id20, PeerEntry> _byId = new();
    private readonly List<PeerEntry> _list = new();
    private PeerEntry? _newest;
    private PeerEntry? _oldest;

    public int Count => _list.Count;

    public PeerEntry? Oldest => _oldest;

    public bool TryGet(Id20 peerId, out PeerEntry entry) => _byId.TryGetValue(peerId, out entry!);

    public void Add(PeerEntry entry)
    {
        _byId.Add(entry.PeerId, entry);
        entry.Index = _list.Count;
        _list.Add(entry);
        LinkNewest(entry);
    }

    public void Touch(PeerEntry entry, long now)
    {
        entry.LastSeen = now;
        if (_newest == entry) return;
        Unlink(entry);
        LinkNewest(entry);
    }

    public void Remove(PeerEntry entry)
    {
        if (!_byId.Remove(entry.PeerId)) return;
        var last = _list[^1];
        _list[entry.Index] = last;
        last.Index = entry.Index;
        _list.RemoveAt(_list.Count - 1);
        Unlink(entry);
    }

    /// <summary>Picks up to <paramref name="count"/> distinct random peers other than <paramref name="exclude"/>.</summary>
    public int PickRandom(Id20 exclude, Span<PeerEntry?> destination, int count)
    {
        var n = _list.Count;
        var picked = 0;
        for (var i = 0; i < n && picked < count && picked < destination.Length; i++)
        {
            var j = Random.Shared.Next(i, n);
            (_list[i], _list[j]) = (_list[j], _list[i]);
            _list[i].Index = i;
            _list[j].Index = j;
            if (_list[i].PeerId != exclude) destination[picked++] = _list[i];
        }
        return picked;
    }

    /// <summary>
    /// Picks the up to <paramref name="destination"/>.Length peers XOR-closest to <paramref name="target"/>, closest first:
    /// one pass keeping a sorted window the size of the destination (small: a few relay attempts).
    /// </summary>
    public int PickClosest(Id20 target, Span<PeerEntry?> destination)
    {
        var picked = 0;
        foreach (var entry in _list)
        {
            var position = picked;
            while (position > 0 && Id20.CompareDistance(entry.PeerId, destination[position - 1]!.PeerId, target) < 0) position--;
            if (position >= destination.Length) continue;
            var end = Math.Min(picked, destination.Length - 1);
            for (var i = end; i > position; i--) destination[i] = destination[i - 1];
            destination[position] = entry;
            if (picked < destination.Length) picked++;
        }
        return picked;
    }

    public List<PeerEntry>.Enumerator GetEnumerator() => _list.GetEnumerator();

    private void LinkNewest(PeerEntry entry)
    {
        entry.Older = _newest;
        entry.Newer = null;
        if (_newest is not null) _newest.Newer = entry;
        _newest = entry;
        _oldest ??= entry;
    }

    private void Unlink(PeerEntry entry)
    {
        if (entry.Newer is not null) entry.Newer.Older = entry.Older;
        else _newest = entry.Older;
        if (entry.Older is not null) entry.Older.Newer = entry.Newer;
        else _oldest = entry.Newer;
        entry.Newer = entry.Older = null;
    }
}
