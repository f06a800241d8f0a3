using WebTorrent.Bootstrap.Swarms;

namespace WebTorrent.Bootstrap.WebSockets;

/// <summary>
/// A WebSocket tracker peer as the <see cref="WebTorrentTracker"/> sees it, whatever carries its frames: the swarms it
/// joined (left when it closes), its message rate limit and error count, and a way to send it a message.
/// </summary>
internal abstract class TrackerPeer : ISignalingEndpoint
{
    private List<(Swarm Swarm, Id20 PeerId)>? _memberships;
    // The distinct peer ids among the memberships (few: MaxPeerIdsPerConnection) and how many swarms each is in.
    private List<(Id20 PeerId, int Swarms)>? _peerIds;
    private double _tokens;
    private long _lastRefill;

    protected TrackerPeer(WebTorrentTracker tracker, AddressKey source = default)
    {
        Tracker = tracker;
        Source = source;
        LastActivity = tracker.Now;
        _tokens = tracker.Options.MessageBurst;
        _lastRefill = tracker.Options.TimeProvider.GetTimestamp();
    }

    protected WebTorrentTracker Tracker { get; }

    /// <summary>Guards the memberships and the subclass's send state.</summary>
    protected Lock Gate { get; } = new();

    /// <summary>Malformed messages seen so far.</summary>
    public int Errors { get; set; }

    /// <summary>The remote address (IPv4, IPv6 /64), counted against per-address limits.</summary>
    public AddressKey Source { get; }

    /// <summary>When the peer last sent a message (a timestamp), for the idle sweep.</summary>
    public long LastActivity;

    /// <inheritdoc />
    public abstract bool TrySend(OutgoingMessage message);

    /// <summary>Sends a message that lives in the caller's buffer (written out or copied before returning).</summary>
    public virtual bool TrySend(ReadOnlySpan<byte> message) => TrySend(OutgoingMessage.CopyOf(message));

    /// <summary>Drops the connection at once.</summary>
    public abstract void Abort();

    /// <summary>
    /// Records that this socket announced as <paramref name="peerId"/> in <paramref name="swarm"/>, so closing removes it;
    /// null when done (<paramref name="isNew"/> says whether it was not recorded before), else why it is refused.
    /// </summary>
    public string? TryAddMembership(Swarm swarm, Id20 peerId, out bool isNew)
    {
        isNew = false;
        lock (Gate)
        {
            _memberships ??= new List<(Swarm, Id20)>(1);
            _peerIds ??= new List<(Id20, int)>(1);
            foreach (var (s, p) in _memberships) if (s == swarm && p == peerId) return null;
            if (_memberships.Count >= Tracker.Options.MaxSwarmsPerConnection) return "too many torrents on one connection";
            var index = IndexOfPeerId(peerId);
            if (index < 0 && _peerIds.Count >= Tracker.Options.MaxPeerIdsPerConnection) return "too many peer ids on one connection";
            if (index < 0) _peerIds.Add((peerId, 1));
            else _peerIds[index] = (peerId, _peerIds[index].Swarms + 1);
            _memberships.Add((swarm, peerId));
            isNew = true;
            return null;
        }
    }

    // A loop, not FindIndex with a lambda: capturing peerId would allocate on every announce.
    private int IndexOfPeerId(Id20 peerId)
    {
        for (var i = 0; i < _peerIds!.Count; i++) if (_peerIds[i].PeerId == peerId) return i;
        return -1;
    }

    public void RemoveMembership(Swarm swarm, Id20 peerId)
    {
        lock (Gate)
        {
            if (_memberships?.Remove((swarm, peerId)) != true) return;
            var index = IndexOfPeerId(peerId);
            if (_peerIds![index].Swarms == 1) _peerIds.RemoveAt(index);
            else _peerIds[index] = (peerId, _peerIds[index].Swarms - 1);
        }
    }

    /// <summary>Token bucket: false when the peer sends faster than the configured rate.</summary>
    public bool TryConsumeRateToken()
    {
        var time = Tracker.Options.TimeProvider;
        var now = time.GetTimestamp();
        _tokens = Math.Min(Tracker.Options.MessageBurst, _tokens + (now - _lastRefill) * Tracker.Options.MessagesPerSecond / time.TimestampFrequency);
        _lastRefill = now;
        if (_tokens < 1) return false;
        _tokens -= 1;
        return true;
    }

    /// <summary>Removes this peer from every swarm it joined (its socket closed).</summary>
    protected void LeaveAllSwarms()
    {
        (Swarm, Id20)[] memberships;
        lock (Gate)
        {
            if (_memberships is null) return;
            memberships = _memberships.ToArray();
            _memberships.Clear();
            _peerIds?.Clear();
        }
        foreach (var (swarm, peerId) in memberships) swarm.RemoveWebSocketPeer(peerId, this);
    }
}
