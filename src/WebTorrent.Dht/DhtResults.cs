using System.Net;

namespace WebTorrent.Dht;

/// <summary>The outcome of an iterative lookup.</summary>
/// <param name="Peers">Peers found for the info-hash (get_peers), deduplicated.</param>
/// <param name="ClosestNodes">The closest nodes that answered, closest first (at most k).</param>
/// <param name="QueriesSent">Queries the lookup sent.</param>
/// <param name="Responses">Responses it received.</param>
/// <param name="Rounds">Hops: the longest chain of nodes, each learned from the previous one's answer, that answered.</param>
/// <param name="AnnouncedTo">For announces and puts: nodes that acknowledged the store.</param>
public sealed record DhtLookupResult(
    IReadOnlyList<IPEndPoint> Peers,
    IReadOnlyList<DhtNodeInfo> ClosestNodes,
    int QueriesSent,
    int Responses,
    int Rounds,
    int AnnouncedTo = 0);

/// <summary>BEP 33 scrape estimate for an info-hash.</summary>
/// <param name="Seeds">Estimated number of seeds.</param>
/// <param name="Peers">Estimated number of downloaders.</param>
/// <param name="Responses">Nodes whose filters were merged.</param>
public sealed record DhtScrapeResult(int Seeds, int Peers, int Responses);

/// <summary>A peer found for an info-hash.</summary>
/// <param name="InfoHash">The info-hash.</param>
/// <param name="Peer">The peer's address.</param>
/// <param name="From">The node that told us.</param>
public sealed record DhtPeerEventArgs(NodeId InfoHash, IPEndPoint Peer, EndPoint From);

/// <summary>Someone announced a peer to us.</summary>
/// <param name="InfoHash">The info-hash.</param>
/// <param name="Peer">The announced peer.</param>
public sealed record DhtAnnounceEventArgs(NodeId InfoHash, IPEndPoint Peer);

/// <summary>Counters of a node.</summary>
/// <param name="Nodes">Nodes in the routing table.</param>
/// <param name="Buckets">Buckets in the routing table.</param>
/// <param name="StoredPeers">Announced peers stored.</param>
/// <param name="StoredInfoHashes">Info-hashes with stored peers.</param>
/// <param name="StoredItems">BEP 44 items stored.</param>
/// <param name="QueriesReceived">Queries answered or refused.</param>
/// <param name="QueriesSent">Queries sent (including retries).</param>
/// <param name="ResponsesReceived">Responses and errors matched to our queries.</param>
/// <param name="Timeouts">Queries that got no answer.</param>
/// <param name="Dropped">Datagrams dropped: malformed, unsolicited responses, rate-limited queries.</param>
/// <param name="InvalidSecureIds">Nodes seen whose id did not match their address (BEP 42).</param>
public sealed record DhtNodeStatistics(
    int Nodes, int Buckets, int StoredPeers, int StoredInfoHashes, int StoredItems,
    long QueriesReceived, long QueriesSent, long ResponsesReceived, long Timeouts, long Dropped, long InvalidSecureIds);
