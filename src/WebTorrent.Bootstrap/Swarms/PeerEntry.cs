using System.Net;

namespace WebTorrent.Bootstrap.Swarms;

/// <summary>Announce events, as numbered by BEP 15 (HTTP and WebSocket name them).</summary>
internal enum AnnounceEvent
{
    None = 0,
    Completed = 1,
    Started = 2,
    Stopped = 3,
}

/// <summary>What became of an announce.</summary>
internal enum AnnounceOutcome
{
    /// <summary>Recorded (or a stop carried out).</summary>
    Accepted,

    /// <summary>The peer id belongs to another socket (WebSocket) or another address (HTTP/UDP): ids are not handed over.</summary>
    PeerIdTaken,

    /// <summary>The announcing address already has as many peers in this swarm as it may.</summary>
    AddressFull,
}

/// <summary>Something that can receive relayed signaling messages: a WebSocket peer, or a pending POST /offer.</summary>
internal interface ISignalingEndpoint
{
    /// <summary>Queues <paramref name="message"/> (ownership passes to the endpoint); false when it cannot take it.</summary>
    bool TrySend(OutgoingMessage message);

    /// <summary>Sends a message that lives in the caller's buffer (written out or copied before returning).</summary>
    bool TrySend(ReadOnlySpan<byte> message) => TrySend(OutgoingMessage.CopyOf(message));
}

/// <summary>One peer in a swarm: a WebSocket peer (reached through its connection) or an HTTP/UDP peer (an endpoint).</summary>
internal sealed class PeerEntry
{
    public required Id20 PeerId { get; init; }
    public ISignalingEndpoint? Connection { get; set; }
    public IPAddress? Address { get; set; }
    public int Port { get; set; }
    public bool Complete { get; set; }
    public long LastSeen { get; set; }

    /// <summary>The address (IPv4, IPv6 /64) counted against the swarm's per-address limit.</summary>
    public AddressKey Source { get; init; }

    // Position in the table's list (random selection) and its intrusive LRU links (TTL and eviction).
    internal int Index;
    internal PeerEntry? Newer;
    internal PeerEntry? Older;
}
