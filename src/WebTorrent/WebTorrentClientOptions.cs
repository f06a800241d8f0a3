using System.Net;
using Microsoft.Extensions.Logging;
using WebTorrent.Discovery;
using WebTorrent.WebRtc;

namespace WebTorrent;

/// <summary>Settings of a <see cref="WebTorrentClient"/>. Every limit has a safe default.</summary>
public sealed record WebTorrentClientOptions
{
    /// <summary>Where torrents are downloaded unless <see cref="AddTorrentOptions.DownloadFolder"/> says otherwise. Default: <c>webtorrent</c> under the temp folder.</summary>
    public string DownloadFolder { get; init; } = Path.Combine(Path.GetTempPath(), "webtorrent");

    /// <summary>The TCP port to accept peers on: 0 picks any free port, null does not listen. Default 0.</summary>
    public int? ListenPort { get; init; } = 0;

    /// <summary>The address to listen on. Default <see cref="IPAddress.Any"/>.</summary>
    public IPAddress ListenAddress { get; init; } = IPAddress.Any;

    /// <summary>Most peer connections over all torrents. Default 200.</summary>
    public int MaxConnections { get; init; } = 200;

    /// <summary>Most peer connections of one torrent. Default 55.</summary>
    public int MaxConnectionsPerTorrent { get; init; } = 55;

    /// <summary>Most connections being opened (dialled, or accepted and not yet handshaken) at once. Default 32.</summary>
    public int MaxPendingConnections { get; init; } = 32;

    /// <summary>Use the mainline DHT (built-in discovery). Default true.</summary>
    public bool EnableDht { get; init; } = true;

    /// <summary>Announce to the torrents' trackers (built-in discovery). Default true.</summary>
    public bool EnableTrackers { get; init; } = true;

    /// <summary>Exchange peers with connected peers (BEP 11 ut_pex) on public torrents. Default true.</summary>
    public bool EnablePex { get; init; } = true;

    /// <summary>Use BEP 14 local service discovery (built-in discovery). Default true.</summary>
    public bool EnableLocalDiscovery { get; init; } = true;

    /// <summary>
    /// Trade pieces with browsers over WebRTC data channels: the <c>ws://</c>/<c>wss://</c> trackers of each torrent (and of
    /// a magnet's <c>tr</c>) are announced with offers, offers they relay are answered, and every open channel is a peer like
    /// a TCP one (<see cref="PeerInfo.Transport"/>). Independent of <see cref="EnableTrackers"/>, which is about HTTP and
    /// UDP trackers. Default true.
    /// </summary>
    public bool EnableWebRtc { get; init; } = true;

    /// <summary>Limits, timeouts and ICE settings of the WebRTC peers (<see cref="EnableWebRtc"/>).</summary>
    public WebRtcPeerOptions WebRtc { get; init; } = new();

    /// <summary>Download limit over all torrents in bytes per second; null for none.</summary>
    public long? DownloadRateLimit { get; init; }

    /// <summary>Upload limit over all torrents in bytes per second; null for none.</summary>
    public long? UploadRateLimit { get; init; }

    /// <summary>Our 20-byte peer id; null generates one (<c>-WN0100-</c> and 12 random characters).</summary>
    public ReadOnlyMemory<byte>? PeerId { get; init; }

    /// <summary>The clock of every timer (choking, timeouts, rate limits, speeds).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where logs go; null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Finds peers for torrents. Null (the default) creates the built-in <see cref="Discovery.PeerDiscovery"/> with
    /// <see cref="EnableTrackers"/>, <see cref="EnableDht"/> and <see cref="EnableLocalDiscovery"/> (none when all three are
    /// off); peers also come from <see cref="AddTorrentOptions.Peers"/>, magnet <c>x.pe</c>, <see cref="Torrent.AddPeer"/>,
    /// PEX and incoming connections. The client does not dispose a discovery it was given.
    /// </summary>
    public IPeerDiscovery? PeerDiscovery { get; init; }

    /// <summary>Largest info dictionary accepted from peers for a magnet link (ut_metadata). Default 8 MiB.</summary>
    public int MaxMetadataSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>How long a peer has to send its handshake. Default 20 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a TCP connect may take. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long disposing the client waits for each torrent's peers to close. Default 10 s.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Download from the BEP 19 web seeds of torrents (<c>url-list</c>, magnet <c>ws</c>). Default true.</summary>
    public bool EnableWebSeeds { get; init; } = true;

    /// <summary>The HttpClient web seeds use (not disposed by the client); null lets each web seed create its own.</summary>
    public HttpClient? WebSeedHttpClient { get; init; }

    /// <summary>Failed reads in a row after which a web seed is dropped. Default 5.</summary>
    public int MaxWebSeedFailures { get; init; } = 5;

    /// <summary>Pieces that fail their hash check with a peer's data in them before the peer is banned. Default 3.</summary>
    public int BanThreshold { get; init; } = 3;

    /// <summary>Most block requests in flight to one peer (lowered further by its <c>reqq</c>). Default 128.</summary>
    public int MaxRequestsPerPeer { get; init; } = 128;

    /// <summary>Most requests queued from one peer before we reject more. Default 250 (advertised as <c>reqq</c>).</summary>
    public int MaxQueuedRequestsFromPeer { get; init; } = 250;

    /// <summary>How many peers are unchoked at once, the optimistic unchoke included. Default 8.</summary>
    public int UploadSlots { get; init; } = 8;

    /// <summary>How often choking is recomputed (BEP 3: 10 s).</summary>
    public TimeSpan ChokeInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the optimistic unchoke stays with one peer (BEP 3: 30 s).</summary>
    public TimeSpan OptimisticUnchokeInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a block request may stay unanswered before it is asked of another peer. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often PEX messages are sent (BEP 11: at most once a minute). Default 60 s.</summary>
    public TimeSpan PexInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Most peer addresses remembered per torrent (from discovery, PEX, by hand). Default 2000.</summary>
    public int MaxKnownPeersPerTorrent { get; init; } = 2000;

    /// <summary>First wait before redialling an endpoint that failed; doubles per failure up to <see cref="MaxReconnectBackoff"/>. Default 5 s.</summary>
    public TimeSpan ReconnectBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest wait before redialling a failed endpoint. Default 10 minutes.</summary>
    public TimeSpan MaxReconnectBackoff { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Failed attempts after which an endpoint is forgotten. Default 8.</summary>
    public int MaxConnectAttempts { get; init; } = 8;

    /// <summary>Bytes read ahead of a <see cref="TorrentFile.OpenRead"/> stream's position with streaming priority. Default 8 MiB.</summary>
    public long StreamReadAhead { get; init; } = 8L * 1024 * 1024;

    /// <summary>Open files kept per torrent. Default 32.</summary>
    public int MaxOpenFilesPerTorrent { get; init; } = 32;

    /// <summary>
    /// Reserve each downloaded file's disk space when it is created (not sparse; see
    /// <see cref="Storage.TorrentStorageOptions.AllocateDiskSpace"/>): much cheaper writes when pieces arrive out of
    /// order. Default false: sparse files.
    /// </summary>
    public bool AllocateDiskSpace { get; init; }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(DownloadFolder, nameof(DownloadFolder));
        ArgumentNullException.ThrowIfNull(ListenAddress, nameof(ListenAddress));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(WebRtc, nameof(WebRtc));
        WebRtc.Validate();
        if (ListenPort is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(ListenPort));
        if (PeerId is { Length: not 20 }) throw new ArgumentException("A peer id is 20 bytes.", nameof(PeerId));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConnections, nameof(MaxConnections));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConnectionsPerTorrent, nameof(MaxConnectionsPerTorrent));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPendingConnections, nameof(MaxPendingConnections));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxMetadataSize, nameof(MaxMetadataSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BanThreshold, nameof(BanThreshold));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxWebSeedFailures, nameof(MaxWebSeedFailures));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRequestsPerPeer, nameof(MaxRequestsPerPeer));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxQueuedRequestsFromPeer, nameof(MaxQueuedRequestsFromPeer));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(UploadSlots, nameof(UploadSlots));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxKnownPeersPerTorrent, nameof(MaxKnownPeersPerTorrent));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConnectAttempts, nameof(MaxConnectAttempts));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxOpenFilesPerTorrent, nameof(MaxOpenFilesPerTorrent));
        ArgumentOutOfRangeException.ThrowIfNegative(StreamReadAhead, nameof(StreamReadAhead));
        if (DownloadRateLimit is <= 0) throw new ArgumentOutOfRangeException(nameof(DownloadRateLimit));
        if (UploadRateLimit is <= 0) throw new ArgumentOutOfRangeException(nameof(UploadRateLimit));
        foreach (var (value, name) in new[]
        {
            (HandshakeTimeout, nameof(HandshakeTimeout)), (ConnectTimeout, nameof(ConnectTimeout)), (ChokeInterval, nameof(ChokeInterval)),
            (ShutdownTimeout, nameof(ShutdownTimeout)),
            (RequestTimeout, nameof(RequestTimeout)), (PexInterval, nameof(PexInterval)), (ReconnectBackoff, nameof(ReconnectBackoff)),
            (MaxReconnectBackoff, nameof(MaxReconnectBackoff)), (OptimisticUnchokeInterval, nameof(OptimisticUnchokeInterval)),
        })
        {
            if (value <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(name, "must be positive");
        }
    }
}
