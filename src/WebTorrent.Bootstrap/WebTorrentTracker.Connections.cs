using System.Collections.Concurrent;
using WebTorrent.Bootstrap.Swarms;
using WebTorrent.Bootstrap.WebSockets;

namespace WebTorrent.Bootstrap;

public sealed partial class WebTorrentTracker
{
    // WebSocket peers of the ASP.NET Core path; the fast path keeps its own connections for the same sweep.
    private readonly ConcurrentDictionary<TrackerPeer, byte> _pipelinePeers = new();

    /// <summary>Open WebSocket connections per address (<see cref="WebTorrentTrackerOptions.MaxConnectionsPerAddress"/>), both paths.</summary>
    internal AddressCounter WebSocketsPerAddress { get; } = new();

    /// <summary>Waiting <c>POST /offer</c> requests per address (<see cref="WebTorrentTrackerOptions.MaxPendingOffersPerAddress"/>).</summary>
    internal AddressCounter PendingOffersPerAddress { get; } = new();

    /// <summary>Raised by the sweep timer with the current timestamp: the fast path drops its idle connections.</summary>
    internal event Action<long>? IdleSweep;

    /// <summary>Closes WebSocket peers and fast-path connections idle at <paramref name="now"/> (a timestamp); the sweep timer calls it, tests too.</summary>
    internal void SweepIdleConnections(long now)
    {
        var limit = (long)(Options.IdleConnectionTimeout.TotalSeconds * Options.TimeProvider.TimestampFrequency);
        foreach (var (peer, _) in _pipelinePeers)
        {
            if (now - Volatile.Read(ref peer.LastActivity) <= limit) continue;
            _pipelinePeers.TryRemove(peer, out _);
            Interlocked.Increment(ref Counters.DroppedConnections);
            peer.Abort();
        }
        IdleSweep?.Invoke(now);
    }

    /// <summary>Puts an ASP.NET Core WebSocket peer under the idle sweep until <see cref="ForgetIdle"/>.</summary>
    internal void WatchIdle(TrackerPeer peer) => _pipelinePeers.TryAdd(peer, 0);

    internal void ForgetIdle(TrackerPeer peer) => _pipelinePeers.TryRemove(peer, out _);
}
