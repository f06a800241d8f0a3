using System.Net;
using WebTorrent.Discovery;

namespace WebTorrent;

/// <summary>What a torrent is doing.</summary>
public enum TorrentState
{
    /// <summary>Waiting for the info dictionary from peers (magnet link).</summary>
    FetchingMetadata,

    /// <summary>Checking the files already on disk (fast resume).</summary>
    Checking,

    /// <summary>Downloading the selected files.</summary>
    Downloading,

    /// <summary>Every selected file is complete; uploading to others.</summary>
    Seeding,

    /// <summary>Paused by the application.</summary>
    Paused,

    /// <summary>Removed from the client, or the client was disposed.</summary>
    Stopped,

    /// <summary>Failed (see <see cref="Torrent.Error"/>), e.g. the disk refused a write.</summary>
    Error,
}

/// <summary>How much a file is wanted.</summary>
public enum FilePriority
{
    /// <summary>Not downloaded.</summary>
    Skip = 0,

    /// <summary>After everything else.</summary>
    Low = 1,

    /// <summary>The default.</summary>
    Normal = 2,

    /// <summary>Before Normal and Low files.</summary>
    High = 3,
}

/// <summary>What carries a peer connection.</summary>
public enum PeerTransport
{
    /// <summary>A pipe the application gave to <see cref="Torrent.AddPeerAsync"/> (in-memory, a custom transport).</summary>
    Other,

    /// <summary>A TCP connection (dialled, or accepted by the client's listener).</summary>
    Tcp,

    /// <summary>A WebRTC data channel, signalled through a WebSocket tracker (browser peers).</summary>
    WebRtc,
}

/// <summary>A snapshot of one connected peer.</summary>
public sealed record PeerInfo
{
    /// <summary>The peer's address; null for a transport without one (an in-memory pipe, a data channel).</summary>
    public IPEndPoint? EndPoint { get; init; }

    /// <summary>The peer's 20-byte peer id.</summary>
    public ReadOnlyMemory<byte> PeerId { get; init; }

    /// <summary>The peer's client, from its extended handshake (<c>v</c>) or its peer id; null when unknown.</summary>
    public string? ClientName { get; init; }

    /// <summary>Where we learned of the peer.</summary>
    public PeerSource Source { get; init; }

    /// <summary>What carries the connection: TCP, a WebRTC data channel (browsers), or a pipe given to <see cref="Torrent.AddPeerAsync"/>.</summary>
    public PeerTransport Transport { get; init; }

    /// <summary>Whether we opened the connection.</summary>
    public bool IsOutgoing { get; init; }

    /// <summary>Download speed from this peer, bytes per second.</summary>
    public double DownloadSpeed { get; init; }

    /// <summary>Upload speed to this peer, bytes per second.</summary>
    public double UploadSpeed { get; init; }

    /// <summary>Payload bytes received from this peer.</summary>
    public long Downloaded { get; init; }

    /// <summary>Payload bytes sent to this peer.</summary>
    public long Uploaded { get; init; }

    /// <summary>Whether we choke the peer.</summary>
    public bool AmChoking { get; init; }

    /// <summary>Whether we are interested in the peer.</summary>
    public bool AmInterested { get; init; }

    /// <summary>Whether the peer chokes us.</summary>
    public bool PeerChoking { get; init; }

    /// <summary>Whether the peer is interested in us.</summary>
    public bool PeerInterested { get; init; }

    /// <summary>The share of the torrent's pieces the peer has (0..1); 0 until the metadata is known.</summary>
    public double Progress { get; init; }
}
