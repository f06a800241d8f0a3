using System.Diagnostics.Metrics;

namespace WebTorrent.Engine;

/// <summary>The client's instruments on the <c>WebTorrent</c> meter.</summary>
internal sealed class ClientMetrics : IDisposable
{
    private readonly Meter _meter;

    public ClientMetrics(Func<int> connectedPeers, Func<IEnumerable<Measurement<int>>> peersByTransport)
    {
        _meter = new Meter(WebTorrentClient.MeterName, typeof(ClientMetrics).Assembly.GetName().Version?.ToString());
        BytesDownloaded = _meter.CreateCounter<long>("webtorrent.bytes.downloaded", "By", "Payload bytes received from peers.");
        BytesUploaded = _meter.CreateCounter<long>("webtorrent.bytes.uploaded", "By", "Payload bytes sent to peers.");
        PiecesVerified = _meter.CreateCounter<long>("webtorrent.pieces.verified", "{piece}", "Pieces downloaded whose hash matched.");
        PiecesFailed = _meter.CreateCounter<long>("webtorrent.pieces.failed", "{piece}", "Pieces downloaded whose hash did not match.");
        PeersBanned = _meter.CreateCounter<long>("webtorrent.peers.banned", "{peer}", "Peers banned for sending corrupt data.");
        _meter.CreateObservableGauge("webtorrent.peers.connected", connectedPeers, "{peer}", "Connected peers over all torrents.");
        _meter.CreateObservableGauge("webtorrent.peers.by_transport", peersByTransport, "{peer}",
            "Connected peers over all torrents by transport (tag transport: tcp, webrtc, other).");
    }

    /// <summary>The meter, for the instruments of other parts of the client (WebRTC).</summary>
    public Meter Meter => _meter;

    public Counter<long> BytesDownloaded { get; }

    public Counter<long> BytesUploaded { get; }

    public Counter<long> PiecesVerified { get; }

    public Counter<long> PiecesFailed { get; }

    public Counter<long> PeersBanned { get; }

    public void Dispose() => _meter.Dispose();
}
