namespace WebTorrent.Bootstrap;

/// <summary>A snapshot of the tracker's state and counters, served at <c>/stats.json</c>.</summary>
/// <param name="Swarms">Swarms (info-hashes) currently tracked.</param>
/// <param name="WebSocketPeers">WebSocket (WebRTC) peers across swarms.</param>
/// <param name="EndpointPeers">HTTP and UDP (TCP) peers across swarms.</param>
/// <param name="Seeders">Peers that have the whole torrent.</param>
/// <param name="Leechers">Peers still downloading.</param>
/// <param name="WebSocketConnections">Open WebSocket connections.</param>
/// <param name="Announces">Announces served since start (all transports).</param>
/// <param name="Scrapes">Scrapes served since start.</param>
/// <param name="OffersRelayed">WebRTC offers relayed to WebSocket peers.</param>
/// <param name="AnswersRelayed">WebRTC answers forwarded.</param>
/// <param name="RejectedMessages">Malformed or refused requests.</param>
/// <param name="DroppedConnections">WebSocket connections closed for breaking a limit.</param>
public sealed record WebTorrentTrackerStats(
    int Swarms, int WebSocketPeers, int EndpointPeers, int Seeders, int Leechers, long WebSocketConnections,
    long Announces, long Scrapes, long OffersRelayed, long AnswersRelayed, long RejectedMessages, long DroppedConnections);

/// <summary>Counters updated with interlocked increments from every transport.</summary>
internal sealed class TrackerCounters
{
    public long WebSocketConnections;
    public long Announces;
    public long Scrapes;
    public long OffersRelayed;
    public long AnswersRelayed;
    public long RejectedMessages;
    public long DroppedConnections;
}
