using System.Net;
using System.Threading.Channels;

namespace WebTorrent.Discovery;

/// <summary>Where a peer's address came from.</summary>
public enum PeerSource
{
    /// <summary>Added by the application.</summary>
    Manual,

    /// <summary>An HTTP or UDP tracker.</summary>
    Tracker,

    /// <summary>The mainline DHT.</summary>
    Dht,

    /// <summary>Peer exchange (BEP 11) from a connected peer.</summary>
    Pex,

    /// <summary>Local service discovery (BEP 14).</summary>
    LocalDiscovery,

    /// <summary>The peer connected to us.</summary>
    Incoming,
}

/// <summary>A peer address found by a peer source.</summary>
/// <param name="EndPoint">The peer's TCP endpoint.</param>
/// <param name="Source">Who told us about it.</param>
public readonly record struct DiscoveredPeer(IPEndPoint EndPoint, PeerSource Source);

/// <summary>A torrent's transfer totals, read by peer sources each time they announce.</summary>
/// <param name="Downloaded">Payload bytes downloaded since the torrent started.</param>
/// <param name="Uploaded">Payload bytes uploaded since the torrent started.</param>
/// <param name="Left">Bytes still missing; null while the metadata is unknown (magnet).</param>
public readonly record struct TransferTotals(long Downloaded, long Uploaded, long? Left);

/// <summary>The torrent a peer discovery finds peers for.</summary>
public sealed class DiscoveryTarget
{
    /// <summary>The 20-byte info-hash trackers and the DHT know the torrent by (v1, or the truncated v2 hash).</summary>
    public required ReadOnlyMemory<byte> InfoHash { get; init; }

    /// <summary>Our 20-byte peer id.</summary>
    public required ReadOnlyMemory<byte> PeerId { get; init; }

    /// <summary>The TCP port we accept peers on; 0 when we do not listen.</summary>
    public int ListenPort { get; init; }

    /// <summary>Tracker URLs in tiers (BEP 12), from the .torrent's announce-list or the magnet's <c>tr</c>.</summary>
    public IReadOnlyList<IReadOnlyList<Uri>> TrackerTiers { get; init; } = [];

    /// <summary>A private torrent (BEP 27): trackers only, no DHT, PEX or local discovery.</summary>
    public bool IsPrivate { get; init; }

    /// <summary>Reads the torrent's current totals; called on every announce.</summary>
    public required Func<TransferTotals> GetTotals { get; init; }
}

/// <summary>A peer source reported a problem (a tracker refused us, a socket failed); discovery carries on.</summary>
/// <param name="source">The kind of source.</param>
/// <param name="detail">What failed, e.g. the tracker URL.</param>
/// <param name="error">The error.</param>
public sealed class PeerDiscoveryErrorEventArgs(PeerSource source, string detail, Exception error) : EventArgs
{
    /// <summary>The kind of source.</summary>
    public PeerSource Source { get; } = source;

    /// <summary>What failed, e.g. the tracker URL.</summary>
    public string Detail { get; } = detail;

    /// <summary>The error.</summary>
    public Exception Error { get; } = error;
}

/// <summary>One torrent's registration with a peer discovery: announces until disposed (disposal sends <c>stopped</c>).</summary>
public interface ITorrentAnnouncer : IAsyncDisposable
{
    /// <summary>Tells every source the download completed (trackers get <c>event=completed</c>).</summary>
    ValueTask NotifyCompletedAsync(CancellationToken cancellationToken = default);

    /// <summary>Asks for more peers now, within each source's minimum interval (called when the torrent runs short of peers).</summary>
    void RequestMorePeers();

    /// <summary>Raised when a source fails; never thrown.</summary>
    event EventHandler<PeerDiscoveryErrorEventArgs>? SourceFailed;
}

/// <summary>Finds peers for torrents; the client creates one and registers each torrent with it.</summary>
public interface IPeerDiscovery : IAsyncDisposable
{
    /// <summary>Starts announcing <paramref name="target"/>; every peer found is written to <paramref name="peers"/>.</summary>
    ITorrentAnnouncer Register(DiscoveryTarget target, ChannelWriter<DiscoveredPeer> peers);
}
