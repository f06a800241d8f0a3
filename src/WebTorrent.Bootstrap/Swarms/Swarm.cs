using System.Net;

namespace WebTorrent.Bootstrap.Swarms;

/// <summary>Peer counts of a swarm after an announce, or for a scrape.</summary>
internal readonly record struct SwarmCounts(int Complete, int Incomplete, long Downloaded);

/// <summary>The peers announcing one info-hash: WebSocket (WebRTC) peers and HTTP/UDP (TCP) peers, kept apart.</summary>
internal sealed class Swarm(Id20 infoHash, int maxPeers)
{
    private readonly Lock _gate = new();
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
    public SwarmCounts AnnounceWebSocket(Id20 peerId, ISignalingEndpoint connection, AnnounceEvent announceEvent, bool? complete, long now, out bool added)
    {
        lock (_gate)
        {
            added = false;
            if (announceEvent == AnnounceEvent.Stopped)
            {
                if (_webSocketPeers.TryGet(peerId, out var stopping) && stopping.Connection == connection) RemoveLocked(_webSocketPeers, stopping);
            }
            else
            {
                var entry = UpsertLocked(_webSocketPeers, peerId, announceEvent, complete, now, out added);
                entry.Connection = connection;
            }
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
        bool? complete, long now, Span<PeerEntry?> peers, out int peerCount)
    {
        lock (_gate)
        {
            peerCount = 0;
            if (announceEvent == AnnounceEvent.Stopped)
            {
                if (_endpointPeers.TryGet(peerId, out var stopping)) RemoveLocked(_endpointPeers, stopping);
            }
            else
            {
                var entry = UpsertLocked(_endpointPeers, peerId, announceEvent, complete, now, out _);
                if (entry.Address is null || !SameAddress(entry.Address, addressBytes)) entry.Address = address ?? new IPAddress(addressBytes);
                entry.Port = port;
                peerCount = _endpointPeers.PickRandom(peerId, peers, peers.Length);
            }
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

    private PeerEntry UpsertLocked(PeerTable table, Id20 peerId, AnnounceEvent announceEvent, bool? complete, long now, out bool added)
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

        if (table.Count >= maxPeers && table.Oldest is { } evicted) RemoveLocked(table, evicted);
        added = true;
        var isComplete = complete ?? announceEvent == AnnounceEvent.Completed;
        entry = new PeerEntry { PeerId = peerId, Complete = isComplete, LastSeen = now };
        if (isComplete) _complete++;
        else _incomplete++;
        if (announceEvent == AnnounceEvent.Completed) _downloaded++;
        table.Add(entry);
        return entry;
    }

    private void RemoveLocked(PeerTable table, PeerEntry entry)
    {
        table.Remove(entry);
        if (entry.Complete) _complete--;
        else _incomplete--;
        entry.Connection = null;
    }
}
