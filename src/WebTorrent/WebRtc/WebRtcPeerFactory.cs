using Microsoft.Extensions.Logging;
using WebRtc;
using WebRtc.Sdp;
using WebTorrent.Tracker;
using RtcDescription = WebRtc.Sdp.SessionDescription;
using RtcPeerConnection = WebRtc.PeerConnection;
using SignalingDescription = WebTorrent.Tracker.SessionDescription;

namespace WebTorrent.WebRtc;

/// <summary>
/// The client's <see cref="IWebRtcPeerFactory"/>: WebRTC peer connections over <see cref="RtcPeerConnection"/> for the
/// WebSocket trackers, non-trickle, one reliable ordered data channel each (as simple-peer does). It enforces the limits
/// of <see cref="WebRtcPeerOptions"/> before a connection (and its sockets) exists, and hands each open channel to its
/// torrent as a byte stream.
/// </summary>
internal sealed class WebRtcPeerFactory : IWebRtcPeerFactory, IAsyncDisposable
{
    private readonly WebRtcPeerOptions _options;
    private readonly Func<string, Torrent?> _findTorrent;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly WebRtcMetrics _metrics;
    private readonly object _gate = new();
    private readonly HashSet<WebRtcPeer> _peers = [];
    private readonly Dictionary<string, int> _perTorrent = new(StringComparer.Ordinal);
    private int _halfOpen;
    private bool _disposed;

    public WebRtcPeerFactory(WebRtcPeerOptions options, Func<string, Torrent?> findTorrent, TimeProvider time, ILogger logger, WebRtcMetrics metrics)
    {
        _options = options;
        _findTorrent = findTorrent;
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    /// <summary>Peer connections alive now (half-open or connected).</summary>
    public int LiveConnections
    {
        get
        {
            lock (_gate) return _peers.Count;
        }
    }

    /// <summary>Peer connections not yet connected (offers waiting, handshakes running).</summary>
    public int HalfOpen
    {
        get
        {
            lock (_gate) return _halfOpen;
        }
    }

    /// <summary>How many more offers a torrent may make now within every limit.</summary>
    public int FreeSlots(string torrentKey)
    {
        lock (_gate)
        {
            if (_disposed) return 0;
            var torrent = _options.MaxPeersPerTorrent - _perTorrent.GetValueOrDefault(torrentKey);
            return Math.Max(0, Math.Min(Math.Min(_options.MaxHalfOpen - _halfOpen, _options.MaxPeers - _peers.Count), torrent));
        }
    }

    /// <inheritdoc/>
    public async ValueTask<IWebRtcOffer> CreateOfferAsync(ReadOnlyMemory<byte> infoHash, CancellationToken cancellationToken)
    {
        var key = Convert.ToHexString(infoHash.Span);
        var peer = Reserve(key, outgoing: true);
        try
        {
            var channel = peer.Connection.CreateDataChannel("webtorrent");
            var offer = await peer.Connection.CreateOfferAsync(cancellationToken).ConfigureAwait(false);
            await peer.Connection.SetLocalDescriptionAsync(offer, cancellationToken).ConfigureAwait(false);
            _metrics.OffersCreated.Add(1);
            return new WebRtcOffer(this, peer, channel, new SignalingDescription("offer", offer.ToString()));
        }
        catch
        {
            await peer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc/>
    public async ValueTask<SignalingDescription> CreateAnswerAsync(ReadOnlyMemory<byte> infoHash, ReadOnlyMemory<byte> remotePeerId,
        SignalingDescription offer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offer);
        var key = Convert.ToHexString(infoHash.Span);
        // Parsed before anything is created: junk from a tracker costs no sockets.
        var remote = ParseOrRefuse(offer, SdpType.Offer, "offer", remotePeerId.Span);
        var peer = Reserve(key, outgoing: false);
        try
        {
            peer.Connection.DataChannelOpened += (_, channel) => _ = peer.RunAsync(channel);
            await peer.Connection.SetRemoteDescriptionAsync(remote, cancellationToken).ConfigureAwait(false);
            var answer = await peer.Connection.CreateAnswerAsync(cancellationToken).ConfigureAwait(false);
            await peer.Connection.SetLocalDescriptionAsync(answer, cancellationToken).ConfigureAwait(false);
            _metrics.AnswersCreated.Add(1);
            return new SignalingDescription("answer", answer.ToString());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogDebug(e, "Could not answer an offer from {Peer}", Convert.ToHexString(remotePeerId.Span));
            await peer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        catch
        {
            await peer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Applies a parsed answer to one of our offers and waits for the data channel in the background.</summary>
    internal async ValueTask AcceptAnswerAsync(WebRtcPeer peer, global::WebRtc.DataChannels.DataChannel channel, ReadOnlyMemory<byte> remotePeerId,
        SignalingDescription answer, CancellationToken cancellationToken)
    {
        if (peer.IsClosed || peer.AnswerAccepted)
        {
            _logger.LogDebug("Dropped an answer from {Peer}: its offer {State}", Convert.ToHexString(remotePeerId.Span),
                peer.AnswerAccepted ? "was already answered" : "expired or was closed");
            _metrics.Refused.Add(1, new KeyValuePair<string, object?>("reason", "unknown_offer"));
            return;
        }
        RtcDescription remote;
        try
        {
            remote = ParseOrRefuse(answer, SdpType.Answer, "answer", remotePeerId.Span);
        }
        catch (WebRtcPeerRefusedException)
        {
            peer.Close("its answer was malformed");
            throw;
        }
        peer.AnswerAccepted = true;
        peer.RestartDeadline();
        await peer.Connection.SetRemoteDescriptionAsync(remote, cancellationToken).ConfigureAwait(false);
        _ = peer.RunAsync(channel);
    }

    /// <summary>Closes every peer connection of a torrent (paused or removed): half-open ones, and wired ones (their wire ends with the channel).</summary>
    public async Task CloseTorrentAsync(string torrentKey)
    {
        WebRtcPeer[] peers;
        lock (_gate) peers = [.. _peers.Where(p => p.TorrentKey == torrentKey)];
        foreach (var peer in peers) await peer.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        WebRtcPeer[] peers;
        lock (_gate)
        {
            _disposed = true;
            peers = [.. _peers];
        }
        foreach (var peer in peers) await peer.DisposeAsync().ConfigureAwait(false);
    }

    internal Torrent? FindTorrent(string torrentKey) => _findTorrent(torrentKey);

    internal void OnConnected(WebRtcPeer peer)
    {
        lock (_gate)
        {
            if (!_peers.Contains(peer) || !peer.HalfOpenCounted) return;
            peer.HalfOpenCounted = false;
            _halfOpen--;
        }
        _metrics.Connected.Add(1);
    }

    internal void OnClosed(WebRtcPeer peer)
    {
        lock (_gate)
        {
            if (!_peers.Remove(peer)) return;
            if (peer.HalfOpenCounted) _halfOpen--;
            peer.HalfOpenCounted = false;
            var left = _perTorrent[peer.TorrentKey] - 1;
            if (left == 0) _perTorrent.Remove(peer.TorrentKey);
            else _perTorrent[peer.TorrentKey] = left;
        }
    }

    /// <summary>Creates a half-open peer within the limits, or refuses (<see cref="WebRtcPeerRefusedException"/>) before creating anything.</summary>
    private WebRtcPeer Reserve(string torrentKey, bool outgoing)
    {
        var running = _findTorrent(torrentKey) is { State: not (TorrentState.Paused or TorrentState.Stopped or TorrentState.Error) };
        string? refusal = null;
        lock (_gate)
        {
            if (_disposed) refusal = "the client is closing";
            else if (!running) refusal = "the torrent is not running here";
            else if (_halfOpen >= _options.MaxHalfOpen) refusal = $"{_options.MaxHalfOpen} half-open WebRTC connections already";
            else if (_peers.Count >= _options.MaxPeers) refusal = $"{_options.MaxPeers} WebRTC connections already";
            else if (_perTorrent.GetValueOrDefault(torrentKey) >= _options.MaxPeersPerTorrent) refusal = $"{_options.MaxPeersPerTorrent} WebRTC connections of the torrent already";
            if (refusal is null)
            {
                _halfOpen++;
                _perTorrent[torrentKey] = _perTorrent.GetValueOrDefault(torrentKey) + 1;
            }
        }
        if (refusal is not null)
        {
            _metrics.Refused.Add(1, new KeyValuePair<string, object?>("reason", "limit"));
            throw new WebRtcPeerRefusedException($"WebRTC peer refused: {refusal}.");
        }
        RtcPeerConnection connection;
        try
        {
            connection = new RtcPeerConnection(new PeerConnectionOptions
            {
                IceServers = _options.IceServers,
                Ice = (_options.Ice ?? new global::WebRtc.Ice.IceAgentOptions()) with { TimeProvider = _time },
                DtlsHandshakeTimeout = _options.DtlsHandshakeTimeout,
            });
        }
        catch
        {
            lock (_gate)
            {
                _halfOpen--;
                _perTorrent[torrentKey]--;
                if (_perTorrent[torrentKey] == 0) _perTorrent.Remove(torrentKey);
            }
            throw;
        }
        var peer = new WebRtcPeer(this, connection, torrentKey, outgoing, _options, _time, _logger) { HalfOpenCounted = true };
        bool closing;
        lock (_gate)
        {
            _peers.Add(peer);
            closing = _disposed;
        }
        if (closing) peer.Close("the client is closing");
        return peer;
    }

    private RtcDescription ParseOrRefuse(SignalingDescription description, SdpType type, string what, ReadOnlySpan<byte> remotePeerId)
    {
        string? reason = null;
        RtcDescription? parsed = null;
        if (!string.Equals(description.Type, what, StringComparison.Ordinal)) reason = $"its type is '{description.Type}'";
        else
        {
            try
            {
                parsed = RtcDescription.Parse(description.Sdp, type);
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                reason = e.Message;
            }
        }
        if (parsed is not null) return parsed;
        _logger.LogInformation("Dropped a malformed {What} from {Peer}: {Reason}", what, Convert.ToHexString(remotePeerId), reason);
        _metrics.Refused.Add(1, new KeyValuePair<string, object?>("reason", "malformed_sdp"));
        throw new WebRtcPeerRefusedException($"Malformed {what}: {reason}");
    }
}
