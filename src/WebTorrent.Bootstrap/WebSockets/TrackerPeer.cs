using WebTorrent.Bootstrap.Swarms;

namespace WebTorrent.Bootstrap.WebSockets;

/// <summary>
/// A WebSocket tracker peer as the <see cref="WebTorrentTracker"/> sees it, whatever carries its frames: the swarms it
/// joined (left when it closes), its message rate limit and error count, and a way to send it a message.
/// </summary>
internal abstract class TrackerPeer : ISignalingEndpoint
{
    private List<(Swarm Swarm, Id20 PeerId)>? _memberships;
    private double _tokens;
    private long _lastRefill;

    protected TrackerPeer(WebTorrentTracker tracker)
    {
        Tracker = tracker;
        _tokens = tracker.Options.MessageBurst;
        _lastRefill = tracker.Options.TimeProvider.GetTimestamp();
    }

    protected WebTorrentTracker Tracker { get; }

    /// <summary>Guards the memberships and the subclass's send state.</summary>
    protected Lock Gate { get; } = new();

    /// <summary>Malformed messages seen so far.</summary>
    public int Errors { get; set; }

    /// <inheritdoc />
    public abstract bool TrySend(OutgoingMessage message);

    /// <summary>Sends a message that lives in the caller's buffer (written out or copied before returning).</summary>
    public virtual bool TrySend(ReadOnlySpan<byte> message) => TrySend(OutgoingMessage.CopyOf(message));

    /// <summary>Drops the connection at once.</summary>
    public abstract void Abort();

    /// <summary>Records that this socket announced as <paramref name="peerId"/> in <paramref name="swarm"/>, so closing removes it.</summary>
    public bool TryAddMembership(Swarm swarm, Id20 peerId)
    {
        lock (Gate)
        {
            _memberships ??= new List<(Swarm, Id20)>(1);
            foreach (var (s, p) in _memberships) if (s == swarm && p == peerId) return true;
            if (_memberships.Count >= Tracker.Options.MaxSwarmsPerConnection) return false;
            _memberships.Add((swarm, peerId));
            return true;
        }
    }

    public void RemoveMembership(Swarm swarm, Id20 peerId)
    {
        lock (Gate) _memberships?.Remove((swarm, peerId));
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
        }
        foreach (var (swarm, peerId) in memberships) swarm.RemoveWebSocketPeer(peerId, this);
    }
}
