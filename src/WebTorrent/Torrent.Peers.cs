using System.IO.Pipelines;
using System.Net;
using Microsoft.Extensions.Logging;
using WebTorrent.Choking;
using WebTorrent.Discovery;
using WebTorrent.Engine;
using WebTorrent.Metainfo;
using WebTorrent.Picking;
using WebTorrent.Protocol;

using ProtocolViolationException = WebTorrent.Protocol.ProtocolViolationException;

namespace WebTorrent;

public sealed partial class Torrent
{
    private readonly List<PeerConnection> _connections = [];
    private readonly Dictionary<IPEndPoint, KnownPeer> _known = [];
    private readonly HashSet<IPAddress> _banned = [];
    private readonly Dictionary<object, int> _strikes = [];
    private readonly Choker<PeerConnection> _choker;
    private int _pending;
    private long _lastChoke;
    private long _lastPex;
    private int _ticking;

    /// <summary>Handshake over <paramref name="transport"/>, then join the torrent.</summary>
    internal async Task ConnectWireAsync(IDuplexPipe transport, bool outgoing, IPEndPoint? endPoint, PeerSource source, PeerTransport peerTransport,
        CancellationToken cancellationToken)
    {
        CancellationToken session;
        ReadOnlyMemory<byte> metadata;
        PieceLayout? layout;
        lock (_gate)
        {
            if (_session is null) throw new InvalidOperationException($"The torrent {Name} is not running ({_state}).");
            if (endPoint is not null && _banned.Contains(endPoint.Address)) throw new InvalidOperationException($"{endPoint.Address} is banned.");
            session = _session.Token;
            metadata = _metainfo?.InfoBytes ?? default;
            layout = _metainfo is { } m ? Layouts.ForWire(m) : null;
            _pending++;
        }
        var wire = new PeerWire(transport, new PeerWireOptions
        {
            TimeProvider = _options.TimeProvider,
            HandshakeTimeout = _options.HandshakeTimeout,
            RequestTimeout = _options.RequestTimeout * 2,
            MaxOutstandingRequests = _options.MaxRequestsPerPeer,
            MaxQueuedIncomingRequests = _options.MaxQueuedRequestsFromPeer,
            ListenPort = _client.ListenEndPoint?.Port,
        }, layout);
        var connection = new PeerConnection(wire, endPoint, source, outgoing, _options.MaxQueuedRequestsFromPeer) { Transport = peerTransport };
        try
        {
            // ut_metadata checks the info dictionary against the SHA-1 (v1) info-hash; v2-only torrents have none.
            if (_metainfo is null || _metainfo.InfoHashV1 is not null) wire.Use(new UtMetadataExtension(_wireHash, metadata, _options.MaxMetadataSize));
            if (_options.EnablePex && !(_metainfo?.IsPrivate ?? false))
            {
                var pex = wire.Use(new UtPexExtension(_options.TimeProvider) { MinimumInterval = _options.PexInterval });
                pex.PeersReceived += (_, message) => OnPex(message);
            }
            Subscribe(connection);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, session);
            PeerHandshake remote;
            if (outgoing)
            {
                remote = await wire.HandshakeAsync(_wireHash, _client.PeerId, linked.Token);
            }
            else
            {
                remote = await wire.ReceiveHandshakeAsync(linked.Token);
                if (!remote.InfoHash.Span.SequenceEqual(_wireHash))
                    throw new ProtocolViolationException(ProtocolViolation.InfoHashMismatch, "The peer's handshake names another torrent.");
                await wire.SendHandshakeAsync(_wireHash, _client.PeerId, linked.Token);
            }
            Attach(connection, remote);
        }
        catch
        {
            wire.Abort();
            throw;
        }
        finally
        {
            lock (_gate) _pending--;
        }
        Raise(WireConnected, Describe(connection));
        _ = RunDownloadsAsync(connection, session);
        _ = RunUploadsAsync(connection, session);
        if (!HasMetadata) _ = FetchMetadataAsync(connection, session);
    }

    private void Subscribe(PeerConnection c)
    {
        var wire = c.Wire;
        wire.BitfieldReceived += (_, _) => OnPeerPieces(c, -1);
        wire.Have += (_, piece) => OnPeerPieces(c, piece);
        wire.Unchoked += (_, _) => c.Wake();
        wire.Choked += (_, _) => c.Wake();
        wire.AllowedFastReceived += (_, _) => c.Wake();
        wire.Interested += (_, _) => OnPeerInterested(c);
        wire.RequestReceived += (_, request) => OnRequest(c, request);
        wire.Closed += (_, e) => Detach(c, e);
    }

    private void Attach(PeerConnection c, PeerHandshake remote)
    {
        Func<ValueTask>? announce = null;
        PeerConnection? replaced = null;
        lock (_gate)
        {
            string? refusal = null;
            var existing = _connections.Find(o => o.Wire.RemoteHandshake!.PeerId.Span.SequenceEqual(remote.PeerId.Span));
            if (existing is not null && existing.IsOutgoing != c.IsOutgoing && KeepsNewConnection(c, remote))
            {
                // Both sides dialled each other at once: both keep the connection opened by the lower peer id.
                replaced = existing;
                existing = null;
            }
            if (_session is null) refusal = "the torrent is not running";
            else if (remote.PeerId.Span.SequenceEqual(_client.PeerId.Span)) refusal = "connected to ourselves";
            else if (existing is not null) refusal = "already connected to this peer";
            else if (_connections.Count >= _options.MaxConnectionsPerTorrent) refusal = "too many connections";
            else if (c.EndPoint is not null && _banned.Contains(c.EndPoint.Address)) refusal = "banned";
            else if (!_client.TryAddConnection()) refusal = "too many connections in the client";
            if (refusal is not null)
            {
                if (refusal == "connected to ourselves" && c.EndPoint is not null && c.IsOutgoing) _known.Remove(c.EndPoint);
                throw new InvalidOperationException($"Connection refused: {refusal}.");
            }
            if (replaced is not null) DetachUnlocked(replaced);
            c.Attached = true;
            _connections.Add(c);
            if (c.IsOutgoing && c.EndPoint is not null && _known.TryGetValue(c.EndPoint, out var known)) known.Connected = true;
            if (_ready) announce = RegisterWithPicker(c);
            else if (_metainfo is null) announce = () => c.Wire.SendHaveNoneAsync();
        }
        if (replaced is not null)
        {
            replaced.Wire.Abort();
            _client.RemoveConnection();
        }
        if (announce is not null) Send(announce());
        c.Wake();
    }

    /// <summary>Of two connections between the same peers, the one opened by the lower peer id stays.</summary>
    private bool KeepsNewConnection(PeerConnection c, PeerHandshake remote)
    {
        var initiator = c.IsOutgoing ? _client.PeerId.Span : remote.PeerId.Span;
        var other = c.IsOutgoing ? remote.PeerId.Span : _client.PeerId.Span;
        return initiator.SequenceCompareTo(other) < 0;
    }

    /// <summary>Adds the peer to the picker and returns our announcement to it. Caller holds the lock; the torrent is ready.</summary>
    private Func<ValueTask> RegisterWithPicker(PeerConnection c)
    {
        var picker = _picker!;
        picker.AddPeer(c);
        c.InPicker = true;
        LoadPeerPieces(c);
        c.Announced = true;
        var stored = _stored!;
        if (stored.IsComplete) return () => c.Wire.SendHaveAllAsync();
        if (stored.IsEmpty) return () => c.Wire.SendHaveNoneAsync();
        var bits = stored.ToArray();
        return () => c.Wire.SendBitfieldAsync(bits);
    }

    private void LoadPeerPieces(PeerConnection c)
    {
        var picker = _picker!;
        var pieces = c.Wire.PeerPieces;
        if (pieces.HasAll) picker.PeerHaveAll(c);
        else if (pieces.Count > 0) picker.PeerBitfield(c, pieces.ToBitfield(picker.PieceCount));
        else picker.PeerHaveNone(c);
        c.WantsPieces = picker.IsInterestedIn(c);
    }

    /// <summary>The torrent became ready (checked, or metadata arrived): every connected peer joins the picker.</summary>
    private void ActivateConnections()
    {
        var sends = new List<(PeerConnection, Func<ValueTask>)>();
        var layout = _metainfo is { } m ? Layouts.ForWire(m) : null;
        lock (_gate)
        {
            foreach (var c in _connections)
            {
                if (c.Detached || c.InPicker) continue;
                if (layout is { } l && c.Wire.Layout is null)
                {
                    try
                    {
                        c.Wire.SetPieceLayout(l);
                    }
                    catch (ProtocolViolationException)
                    {
                        continue;   // The wire closed itself: the peer announced pieces beyond the torrent.
                    }
                }
                if (!c.Announced)
                {
                    sends.Add((c, RegisterWithPicker(c)));
                    continue;
                }
                _picker!.AddPeer(c);
                c.InPicker = true;
                LoadPeerPieces(c);
                // It already got our have-none; tell it what the check found.
                for (var piece = 0; piece < _stored!.Length; piece++)
                {
                    var index = piece;
                    if (_stored[piece]) sends.Add((c, () => c.Wire.SendHaveAsync(index)));
                }
            }
        }
        foreach (var (c, send) in sends) Send(send());
        foreach (var c in SnapshotConnections()) c.Wake();
    }

    private void Detach(PeerConnection c, PeerWireClosedEventArgs closed)
    {
        lock (_gate)
        {
            if (c.Detached) return;
            var attached = c.Attached;
            DetachUnlocked(c);
            if (!attached) return;
        }
        _client.RemoveConnection();
        _logger.LogDebug("{Torrent}: peer {Peer} left ({Reason}: {Error})", Name, c.EndPoint, closed.Reason, closed.Error?.Message);
        // Others (they may hold blocks this peer was asked for) and the dialler get their chance.
        foreach (var other in SnapshotConnections()) other.Wake();
        TryDial();
    }

    /// <summary>Takes the connection out of the torrent. Caller holds the lock; the caller releases the client's count if it was attached.</summary>
    private void DetachUnlocked(PeerConnection c)
    {
        c.Detached = true;
        c.Close();
        c.Uploads.Writer.TryComplete();
        if (!c.Attached) return;
        _connections.Remove(c);
        if (c.InPicker)
        {
            _picker?.RemovePeer(c);
            c.InPicker = false;
        }
        if (c.IsOutgoing && c.EndPoint is not null && _known.TryGetValue(c.EndPoint, out var known))
        {
            known.Connected = false;
            known.NextAttempt = _options.TimeProvider.GetTimestamp() + ToTicks(_options.ReconnectBackoff);
        }
    }

    private void OnPeerPieces(PeerConnection c, int piece)
    {
        var closeSeed = false;
        lock (_gate)
        {
            if (!c.InPicker) return;
            var picker = _picker!;
            if (piece < 0)
            {
                LoadPeerPieces(c);
            }
            else
            {
                picker.PeerHave(c, piece);
                if (!c.WantsPieces && !picker.HavePiece(piece) && picker.GetPiecePriority(piece) != PiecePriority.Skip) c.WantsPieces = true;
            }
            closeSeed = _done && c.Wire.PeerPieces.HasAll && _stored!.IsComplete;
        }
        if (closeSeed) c.Wire.Abort();
        else c.Wake();
    }

    private void OnPeerInterested(PeerConnection c)
    {
        // Unchoke at once while a slot is free; the periodic recompute keeps tit-for-tat fair.
        bool unchoke;
        lock (_gate)
        {
            // Decided under the lock on our own record of unchokes, so two peers turning interested at once cannot both take the last slot.
            unchoke = _ready && !c.Detached && !c.Unchoked && _connections.Count(o => o.Unchoked) < _options.UploadSlots;
            if (unchoke) c.Unchoked = true;
        }
        if (unchoke) Send(c.Wire.SendUnchokeAsync());
    }

    private void RecomputeChoking()
    {
        List<PeerConnection> choke = [], unchoke = [];
        lock (_gate)
        {
            if (!_ready) return;
            var connections = _connections.Where(c => c.InPicker).ToList();
            var candidates = connections.Select(c => new ChokeCandidate<PeerConnection>(c, c.Wire.PeerInterested, c.Wire.DownloadSpeed, c.Wire.UploadSpeed)).ToList();
            var unchoked = _choker.Recompute(candidates, _done);
            foreach (var c in connections)
            {
                var wanted = unchoked.Contains(c);
                if (wanted == c.Unchoked) continue;
                c.Unchoked = wanted;
                (wanted ? unchoke : choke).Add(c);
            }
        }
        // Chokes first: the slots are free before anyone else takes them.
        foreach (var c in choke) Send(c.Wire.SendChokeAsync());
        foreach (var c in unchoke) Send(c.Wire.SendUnchokeAsync());
    }

    private async Task FetchMetadataAsync(PeerConnection c, CancellationToken cancellationToken)
    {
        var extension = c.Wire.GetExtension<UtMetadataExtension>();
        if (extension is null) return;
        ReadOnlyMemory<byte> info;
        try
        {
            info = await extension.FetchAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or ProtocolViolationException or OperationCanceledException)
        {
            _logger.LogDebug("{Torrent}: no metadata from {Peer}: {Error}", Name, c.EndPoint, ex.Message);
            return;
        }
        await OnMetadataAsync(info, cancellationToken);
    }

    private async Task OnMetadataAsync(ReadOnlyMemory<byte> info, CancellationToken cancellationToken)
    {
        TorrentMetainfo metainfo;
        try
        {
            metainfo = TorrentMetainfo.ParseInfo(info.ToArray(), new TorrentParseOptions { MaxInfoSize = _options.MaxMetadataSize });
        }
        catch (InvalidTorrentException ex)
        {
            Fail(ex);
            return;
        }
        catch (Bencode.BencodeException ex)
        {
            Fail(ex);
            return;
        }
        PeerConnection[] connections;
        lock (_gate)
        {
            if (_metainfo is not null || _state is TorrentState.Stopped or TorrentState.Error) return;
            _metainfo = metainfo;
            connections = [.. _connections];
        }
        _logger.LogInformation("{Torrent}: metadata received ({Files} files, {Length} bytes)", Name, metainfo.Files.Count, metainfo.TotalLength);
        foreach (var c in connections)
        {
            var extension = c.Wire.GetExtension<UtMetadataExtension>();
            if (extension is { HasMetadata: false }) extension.SetMetadata(info);
        }
        // WaitForMetadataAsync and MetadataReceived are signalled by InitializeDataAsync once Files and storage are set.
        await InitializeDataAsync(cancellationToken);
    }

    private void OnPex(PexMessage message)
    {
        AddKnownPeers(message.Added.Select(p => p.EndPoint), PeerSource.Pex);
        TryDial();
    }

    private void SendPex()
    {
        PeerConnection[] connections;
        lock (_gate) connections = [.. _connections];
        var listening = connections.Select(c => c.ListenEndPoint).OfType<IPEndPoint>().ToHashSet();
        foreach (var c in connections)
        {
            var pex = c.Wire.GetExtension<UtPexExtension>();
            if (pex is not { IsSupportedByPeer: true }) continue;
            var own = c.ListenEndPoint;
            List<PexPeer> added;
            List<IPEndPoint> dropped;
            lock (c.PexAdvertised)
            {
                added = [.. listening.Where(e => !e.Equals(own) && !c.PexAdvertised.Contains(e)).Take(UtPexExtension.MaxPeersPerSentMessage)
                    .Select(e => new PexPeer(e, PexFlags.Reachable))];
                dropped = [.. c.PexAdvertised.Where(e => !listening.Contains(e)).Take(UtPexExtension.MaxPeersPerSentMessage)];
            }
            if (added.Count == 0 && dropped.Count == 0) continue;
            _ = SendPexAsync(c, pex, added, dropped);
        }
    }

    private static async Task SendPexAsync(PeerConnection c, UtPexExtension pex, List<PexPeer> added, List<IPEndPoint> dropped)
    {
        try
        {
            if (!await pex.SendAsync(added, dropped)) return;
            lock (c.PexAdvertised)
            {
                foreach (var peer in added) c.PexAdvertised.Add(peer.EndPoint);
                foreach (var endPoint in dropped) c.PexAdvertised.Remove(endPoint);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // The wire closed.
        }
    }

    private void AddKnownPeers(IEnumerable<IPEndPoint> endPoints, PeerSource source)
    {
        lock (_gate)
        {
            foreach (var endPoint in endPoints)
            {
                if (_known.Count >= _options.MaxKnownPeersPerTorrent) break;
                if (endPoint.Port == 0 || _banned.Contains(endPoint.Address) || _client.IsOwnEndPoint(endPoint)) continue;
                var normalized = endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;
                _known.TryAdd(normalized, new KnownPeer(normalized, source));
            }
        }
    }

    /// <summary>Dials known peers while the torrent is short of connections.</summary>
    private void TryDial()
    {
        List<KnownPeer> dial = [];
        CancellationToken token;
        lock (_gate)
        {
            if (_session is null || _state is TorrentState.Paused or TorrentState.Stopped or TorrentState.Error) return;
            token = _session.Token;
            var budget = _options.MaxConnectionsPerTorrent - _connections.Count - _pending;
            if (budget <= 0 || (_done && _metainfo is not null)) return;
            var now = _options.TimeProvider.GetTimestamp();
            HashSet<IPEndPoint>? connected = null;
            foreach (var known in _known.Values)
            {
                if (dial.Count >= budget) break;
                if (known.Connecting || known.Connected || known.NextAttempt > now || _banned.Contains(known.EndPoint.Address)) continue;
                connected ??= [.. _connections.Select(c => c.ListenEndPoint).OfType<IPEndPoint>()];
                if (connected.Contains(known.EndPoint)) continue;   // it dialled us
                if (!_client.TryReservePending()) break;
                known.Connecting = true;
                _pending++;
                dial.Add(known);
            }
        }
        foreach (var known in dial) _ = DialAsync(known, token);
    }

    private async Task DialAsync(KnownPeer known, CancellationToken cancellationToken)
    {
        var connected = false;
        try
        {
            lock (_gate) _pending--;   // ConnectWireAsync counts it again while it handshakes
            await _client.ConnectAsync(this, known.EndPoint, known.Source, cancellationToken);
            connected = true;
        }
#pragma warning disable CA1031 // Whatever a connection attempt hits, the endpoint is only backed off.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogDebug("{Torrent}: could not connect to {Peer}: {Error}", Name, known.EndPoint, ex.Message);
        }
        finally
        {
            _client.ReleasePending();
        }
        lock (_gate)
        {
            known.Connecting = false;
            if (connected)
            {
                known.Failures = 0;
                return;
            }
            known.Failures++;
            if (known.Failures >= _options.MaxConnectAttempts && known.Source != PeerSource.Manual)
            {
                _known.Remove(known.EndPoint);
                return;
            }
            var backoff = _options.ReconnectBackoff * Math.Pow(2, Math.Min(known.Failures - 1, 16));
            if (backoff > _options.MaxReconnectBackoff) backoff = _options.MaxReconnectBackoff;
            known.NextAttempt = _options.TimeProvider.GetTimestamp() + ToTicks(backoff);
        }
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _options.TimeProvider.TimestampFrequency);

    /// <summary>Once a second: request timeouts, choking, PEX, dialling, more peers from discovery.</summary>
    private void Tick()
    {
        if (Interlocked.Exchange(ref _ticking, 1) != 0) return;
        try
        {
            var timedOut = new List<TimedOutRequest<PeerConnection>>();
            bool choke, pex, shortOfPeers;
            ITorrentAnnouncer? announcer;
            lock (_gate)
            {
                if (_session is null) return;
                _picker?.CollectTimedOutRequests(timedOut);
                var now = _options.TimeProvider.GetTimestamp();
                choke = _options.TimeProvider.GetElapsedTime(_lastChoke, now) >= _options.ChokeInterval;
                if (choke) _lastChoke = now;
                pex = _options.TimeProvider.GetElapsedTime(_lastPex, now) >= _options.PexInterval;
                if (pex) _lastPex = now;
                shortOfPeers = !_done && _connections.Count < _options.MaxConnectionsPerTorrent / 2;
                announcer = _announcer;
            }
            foreach (var request in timedOut) request.Peer.CancelRequest(request.Block.PieceIndex, request.Block.Offset);
            foreach (var c in SnapshotConnections()) c.Wake();
            if (choke) RecomputeChoking();
            if (pex) SendPex();
            TryDial();
            if (shortOfPeers && choke) announcer?.RequestMorePeers();
        }
#pragma warning disable CA1031 // The timer must survive anything one tick hits; the error is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "{Torrent}: tick failed", Name);
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    /// <summary>A peer's data failed a hash check: one strike; at the threshold it is banned and disconnected.</summary>
    private void Strike(PeerConnection c)
    {
        bool ban;
        lock (_gate)
        {
            object key = (object?)c.EndPoint?.Address ?? c;
            if (c.Banned) return;
            var strikes = _strikes.GetValueOrDefault(key) + 1;
            _strikes[key] = strikes;
            ban = strikes >= _options.BanThreshold;
            c.Banned = ban;
            if (ban && c.EndPoint is not null)
            {
                _banned.Add(c.EndPoint.Address);
                foreach (var endPoint in _known.Keys.Where(e => e.Address.Equals(c.EndPoint.Address)).ToList()) _known.Remove(endPoint);
            }
        }
        if (!ban) return;
        _logger.LogWarning("{Torrent}: banned {Peer} for sending corrupt data", Name, c.EndPoint);
        _client.Metrics.PeersBanned.Add(1);
        var info = Describe(c);
        c.Wire.Abort(new ProtocolViolationException(ProtocolViolation.InvalidMetadata, "The peer sent data that failed hash checks."));
        Raise(PeerBanned, info);
    }

    private PeerConnection[] SnapshotConnections()
    {
        lock (_gate) return [.. _connections];
    }

    private PeerInfo Describe(PeerConnection c)
    {
        var wire = c.Wire;
        var peerId = wire.RemoteHandshake?.PeerId ?? ReadOnlyMemory<byte>.Empty;
        var pieceCount = PieceCount;
        return new PeerInfo
        {
            EndPoint = c.EndPoint,
            PeerId = peerId,
            ClientName = wire.RemoteExtendedHandshake?.ClientVersion ?? ClientNames.FromPeerId(peerId.Span),
            Source = c.Source,
            Transport = c.Transport,
            IsOutgoing = c.IsOutgoing,
            DownloadSpeed = wire.DownloadSpeed,
            UploadSpeed = wire.UploadSpeed,
            Downloaded = wire.Downloaded,
            Uploaded = wire.Uploaded,
            AmChoking = wire.AmChoking,
            AmInterested = wire.AmInterested,
            PeerChoking = wire.PeerChoking,
            PeerInterested = wire.PeerInterested,
            Progress = pieceCount == 0 ? 0 : wire.PeerPieces.HasAll ? 1 : (double)wire.PeerPieces.Count / pieceCount,
        };
    }

    /// <summary>Fire and forget a send; a failing wire reports itself through its Closed event.</summary>
    private static async void Send(ValueTask send)
    {
        try
        {
            await send;
        }
#pragma warning disable CA1031 // async void: nothing may escape, or the process goes down; the wire reports its own closing.
        catch (Exception)
#pragma warning restore CA1031
        {
            // The wire is closing.
        }
    }

    private sealed class KnownPeer(IPEndPoint endPoint, PeerSource source)
    {
        public IPEndPoint EndPoint { get; } = endPoint;
        public PeerSource Source { get; } = source;
        public int Failures { get; set; }
        public long NextAttempt { get; set; }
        public bool Connecting { get; set; }
        public bool Connected { get; set; }
    }
}
