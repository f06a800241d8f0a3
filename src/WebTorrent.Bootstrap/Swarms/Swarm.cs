using System.Net;

namespace WebTorrent.Bootstrap.Swarms;

/// <summary>Peer counts of a swarm after an announce, or for a scrape.</summary>
internal readonly record struct SwarmCounts(int Complete, int Incomplete, long Downloaded);

/// <summary>
/// The peers announcing one info-hash: WebSocket (WebRTC) peers and HTTP/UDP (TCP) peers, kept apart. A peer id belongs to
/// the socket (WebSocket) or address (HTTP/UDP) that announced it first until it leaves, and one address holds at most
/// <c>maxPeersPerAddress</c> peers, so nobody can take over or crowd out other peers' entries.
/// </summary>
internal sealed class Swarm(Id20 infoHash, int maxPeers, int maxPeersPerAddress = int.MaxValue)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<AddressKey, int> _peersPerAddress = new();
    private readonly PeerTable _webSocketPeers = new();
    private readonly PeerTable _endpointPeers = new();
    private int _complete;
    private int _incomplete;
    private long _downloaded;

    public Id20 InfoHash { get; } = infoHash;

    public bool IsEmpty
    {
        get { lock (_gate) return _webSocketPeers.Count == 0 && _endpointPeers.Count == 0; }
    }

    public int WebSocketPeerCount { get { lock (_gate) return _webSocketPeers.Count; } }

    public int EndpointPeerCount { get { lock (_gate) return _endpointPeers.Count; } }

    public SwarmCounts Counts
    {
        get { lock (_gate) return new(_complete, _incomplete, _downloaded); }
    }

    /// <summary>Records a WebSocket peer's announce; returns the counts and whether it is a new member.</summary>
    public SwarmCounts AnnounceWebSocket(Id20 peerId, ISignalingEndpoint connection, AnnounceEvent announceEvent, bool? complete, long now, out bool added) =>
        AnnounceWebSocket(peerId, connection, default, announceEvent, complete, now, out added, out _);

    /// <summary>
    /// Records a WebSocket peer's announce from <paramref name="source"/>; returns the counts, whether it is a new member and
    /// whether it was accepted (a peer id another socket holds is refused, as is a new peer of an address at its limit).
    /// </summary>
    public SwarmCounts AnnounceWebSocket(Id20 peerId, ISignalingEndpoint connection, AddressKey source, AnnounceEvent announceEvent, bool? complete,
        long now, out bool added, out AnnounceOutcome outcome)
    {
        lock (_gate)
        {
            added = false;
            outcome = AnnounceOutcome.Accepted;
            var exists = _webSocketPeers.TryGet(peerId, out var entry);
            if (exists && entry.Connection != connection)
                outcome = AnnounceOutcome.PeerIdTaken; // a live socket's id: its offers and answers must not reach another
            else if (announceEvent == AnnounceEvent.Stopped)
            {
                if (exists) RemoveLocked(_webSocketPeers, entry);
            }
            else if (UpsertLocked(_webSocketPeers, peerId, source, announceEvent, complete, now, out added) is { } upserted)
                upserted.Connection = connection;
            else
                outcome = AnnounceOutcome.AddressFull;
            return new(_complete, _incomplete, _downloaded);
        }
    }

    /// <summary>Records an HTTP or UDP peer's announce and picks up to <paramref name="peers"/>.Length other peers.</summary>
    public SwarmCounts AnnounceEndpoint(Id20 peerId, IPAddress address, int port, AnnounceEvent announceEvent, bool? complete, long now,
        Span<PeerEntry?> peers, out int peerCount)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var length);
        return AnnounceEndpoint(peerId, bytes[..length], address, port, announceEvent, complete, now, peers, out peerCount);
    }

    /// <summary>
    /// Records an HTTP or UDP peer's announce from its raw address (4 or 16 bytes); an <see cref="IPAddress"/> is created
    /// only when the peer is new or moved, so repeated announces allocate nothing.
    /// </summary>
    public SwarmCounts AnnounceEndpoint(Id20 peerId, ReadOnlySpan<byte> addressBytes, IPAddress? address, int port, AnnounceEvent announceEvent,
        bool? complete, long now, Span<PeerEntry?> peers, out int peerCount) =>
        AnnounceEndpoint(peerId, addressBytes, address, port, announceEvent, complete, now, peers, out peerCount, out _);

    /// <summary>
    /// As above, and says whether the announce was accepted: a peer id announced from another address is neither updated
    /// nor stopped (the id stays with the address that announced it until it stops or expires), and a new peer of an
    /// address at its limit is refused.
    /// </summary>
    public SwarmCounts AnnounceEndpoint(Id20 peerId, ReadOnlySpan<byte> addressBytes, IPAddress? address, int port, AnnounceEvent announceEvent,
        bool? complete, long now, Span<PeerEntry?> peers, out int peerCount, out AnnounceOutcome outcome)
    {
        lock (_gate)
        {
            peerCount = 0;
            outcome = AnnounceOutcome.Accepted;
            var exists = _endpointPeers.TryGet(peerId, out var entry);
            if (exists && !SameAddress(entry.Address!, addressBytes))
                outcome = AnnounceOutcome.PeerIdTaken;
            else if (announceEvent == AnnounceEvent.Stopped)
            {
                if (exists) RemoveLocked(_endpointPeers, entry);
            }
            else if (UpsertLocked(_endpointPeers, peerId, AddressKey.From(addressBytes), announceEvent, complete, now, out _) is { } upserted)
            {
                upserted.Address ??= address ?? new IPAddress(addressBytes);
                upserted.Port = port;
                peerCount = _endpointPeers.PickRandom(peerId, peers, peers.Length);
            }
            else
                outcome = AnnounceOutcome.AddressFull;
            return new(_complete, _incomplete, _downloaded);
        }
    }

    private static bool SameAddress(IPAddress address, ReadOnlySpan<byte> bytes)
    {
        Span<byte> current = stackalloc byte[16];
        return address.TryWriteBytes(current, out var length) && current[..length].SequenceEqual(bytes);
    }

    /// <summary>Picks WebSocket peers to relay offers to; the caller sends outside the lock.</summary>
    public int PickWebSocketPeers(Id20 exclude, Span<PeerEntry?> destination)
    {
        lock (_gate) return _webSocketPeers.PickRandom(exclude, destination, destination.Length);
    }

    /// <summary>Picks the WebSocket peers XOR-closest to <paramref name="target"/>, closest first (DHT introductions).</summary>
    public int PickClosestWebSocketPeers(Id20 target, Span<PeerEntry?> destination)
    {
        lock (_gate) return _webSocketPeers.PickClosest(target, destination);
    }

    public ISignalingEndpoint? FindWebSocketPeer(Id20 peerId)
    {
        lock (_gate) return _webSocketPeers.TryGet(peerId, out var entry) ? entry.Connection : null;
    }

    /// <summary>Removes a WebSocket peer when its socket closes (only if the entry still belongs to that socket).</summary>
    public bool RemoveWebSocketPeer(Id20 peerId, ISignalingEndpoint connection)
    {
        lock (_gate)
        {
            if (!_webSocketPeers.TryGet(peerId, out var entry) || entry.Connection != connection) return false;
            RemoveLocked(_webSocketPeers, entry);
            return true;
        }
    }

    /// <summary>Drops peers last seen before <paramref name="deadline"/>; returns how many.</summary>
    public int Expire(long deadline)
    {
        lock (_gate) return ExpireLocked(_webSocketPeers, deadline) + ExpireLocked(_endpointPeers, deadline);
    }

    private int ExpireLocked(PeerTable table, long deadline)
    {
        var removed = 0;
        while (table.Oldest is { } oldest && oldest.LastSeen < deadline)
        {
            RemoveLocked(table, oldest);
            removed++;
        }
        return removed;
    }

    /// <summary>Updates or adds the entry; null when it is new and <paramref name="source"/> already holds its share of the swarm.</summary>
    private PeerEntry? UpsertLocked(PeerTable table, Id20 peerId, AddressKey source, AnnounceEvent announceEvent, bool? complete, long now, out bool added)
    {
        if (table.TryGet(peerId, out var entry))
        {
            added = false;
            var nowComplete = complete ?? (announceEvent == AnnounceEvent.Completed || entry.Complete);
            if (nowComplete && !entry.Complete)
            {
                _complete++;
                _incomplete--;
                if (announceEvent == AnnounceEvent.Completed) _downloaded++;
                entry.Complete = true;
            }
            table.Touch(entry, now);
            return entry;
        }

        added = false;
        _peersPerAddress.TryGetValue(source, out var fromSource);
        if (fromSource >= maxPeersPerAddress) return null;
        if (table.Count >= maxPeers && table.Oldest is { } evicted) RemoveLocked(table, evicted);
        added = true;
        _peersPerAddress[source] = fromSource + 1;
        var isComplete = complete ?? announceEvent == AnnounceEvent.Completed;
        entry = new PeerEntry { PeerId = peerId, Complete = isComplete, LastSeen = now, Source = source };
        if (isComplete) _complete++;
        else _incomplete++;
        if (announceEvent == AnnounceEvent.Completed) _downloaded++;
        table.Add(entry);
        return entry;
    }

    private void RemoveLocked(PeerTable table, PeerEntry entry)
    {
        table.Remove(entry);
        if (_peersPerAddress.TryGetValue(entry.Source, out var fromSource))
        {
            if (fromSource <= 1) _peersPerAddress.Remove(entry.Source);
            else _peersPerAddress[entry.Source] = fromSource - 1;
        }
        if (entry.Complete) _complete--;
        else _incomplete--;
        entry.Connection = null;
    }
}
