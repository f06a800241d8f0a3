using System.Collections.Immutable;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using MagnetUri;
using Microsoft.Extensions.Logging;
using WebTorrent.Choking;
using WebTorrent.Discovery;
using WebTorrent.Engine;
using WebTorrent.Metainfo;
using WebTorrent.Picking;
using WebTorrent.Storage;
using WebTorrent.Verifier;

namespace WebTorrent;

/// <summary>
/// One torrent in a <see cref="WebTorrentClient"/>: its metadata, files, progress, peers and events. Created by
/// <see cref="WebTorrentClient.AddAsync(MagnetLink, AddTorrentOptions?, CancellationToken)"/> and its overloads, or by
/// <see cref="WebTorrentClient.SeedAsync(string, SeedOptions?, CancellationToken)"/>. Thread-safe.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The session token source is disposed when the session stops (pause, removal, client disposal).")]
public sealed partial class Torrent
{
    private readonly WebTorrentClient _client;
    private readonly WebTorrentClientOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly byte[] _wireHash;
    private readonly MagnetLink? _magnet;
    private readonly AddTorrentOptions _addOptions;
    private readonly bool _trustData;
    private readonly TaskCompletionSource _metadataReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _readyTask = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _session;
    private ITimer? _timer;
    private ITorrentAnnouncer? _announcer;
    private TorrentMetainfo? _metainfo;
    private TorrentStorage? _storage;
    private PiecePicker<PeerConnection>? _picker;
    private TorrentLayout? _layout;
    private PieceBitfield? _verified;
    private PieceBitfield? _stored;
    private TorrentFile[] _files = [];
    private IReadOnlyList<TorrentFile> _visibleFiles = [];
    private TorrentState _state;
    private Exception? _error;
    private bool _ready;
    private bool _done;
    private bool _sequential;
    private long _downloaded;
    private long _uploaded;
    private int _initializing;

    internal Torrent(WebTorrentClient client, TorrentMetainfo? metainfo, MagnetLink? magnet, AddTorrentOptions options, bool trustData)
    {
        _client = client;
        _options = client.Options;
        _logger = client.CreateLogger<Torrent>();
        _metainfo = metainfo;
        _magnet = magnet;
        _addOptions = options;
        _trustData = trustData;
        _sequential = options.Sequential;
        InfoHash = metainfo?.InfoHash ?? magnet!.InfoHashV1 ?? magnet!.InfoHashes[0];
        _wireHash = Layouts.WireInfoHash(metainfo?.InfoHashV1 ?? metainfo?.InfoHashV2 ?? magnet!.InfoHashV1 ?? magnet!.InfoHashes[0]);
        DownloadFolder = Path.GetFullPath(options.DownloadFolder ?? _options.DownloadFolder);
        _state = options.Paused ? TorrentState.Paused : metainfo is null ? TorrentState.FetchingMetadata : TorrentState.Checking;
        _choker = new Choker<PeerConnection>(new ChokerOptions
        {
            RegularSlots = Math.Max(0, _options.UploadSlots - 1),
            OptimisticInterval = _options.OptimisticUnchokeInterval,
            TimeProvider = _options.TimeProvider,
        });
        if (metainfo is not null) _metadataReceived.TrySetResult();
    }

    /// <summary>Raised when the metadata (info dictionary) of a magnet link has arrived and <see cref="Files"/> is set.</summary>
    public event EventHandler? MetadataReceived;

    /// <summary>Raised when the files are checked and the torrent starts downloading or seeding.</summary>
    public event EventHandler? Ready;

    /// <summary>Raised when a piece has been downloaded and its hash matched.</summary>
    public event EventHandler<int>? PieceVerified;

    /// <summary>Raised when every selected file is complete.</summary>
    public event EventHandler? Done;

    /// <summary>Raised when the torrent fails (it is then in <see cref="TorrentState.Error"/>).</summary>
    public event EventHandler<Exception>? ErrorOccurred;

    /// <summary>Raised when a peer connection completes its handshake.</summary>
    public event EventHandler<PeerInfo>? WireConnected;

    /// <summary>Raised when a peer is banned for sending data that failed hash checks.</summary>
    public event EventHandler<PeerInfo>? PeerBanned;

    /// <summary>The info-hash (v1 when the torrent has one, else v2).</summary>
    public InfoHash InfoHash { get; }

    /// <summary>The torrent's name: from the metadata, else the magnet's <c>dn</c>, else the info-hash.</summary>
    public string Name => _metainfo?.Name ?? _magnet?.DisplayName ?? InfoHash.ToHex();

    /// <summary>The folder the torrent's files are stored under.</summary>
    public string DownloadFolder { get; }

    /// <summary>The parsed metadata; null until it arrives for a magnet link.</summary>
    public TorrentMetainfo? Metainfo => _metainfo;

    /// <summary>Whether the metadata is known.</summary>
    public bool HasMetadata => _metainfo is not null;

    /// <summary>The files (BEP 47 padding files left out); empty until the metadata is known.</summary>
    public IReadOnlyList<TorrentFile> Files => _visibleFiles;

    /// <summary>The total size of the files in bytes (padding excluded); 0 until the metadata is known.</summary>
    public long Length => _metainfo?.ContentLength ?? 0;

    /// <summary>The number of pieces; 0 until the metadata is known.</summary>
    public int PieceCount => _metainfo?.PieceCount ?? 0;

    /// <summary>The verified share of the selected files, 0..1.</summary>
    public double Progress
    {
        get
        {
            lock (_gate)
            {
                if (_verified is null) return 0;
                long wanted = 0, have = 0;
                foreach (var file in _files)
                {
                    if (file.IsPadding || file.PriorityUnlocked == FilePriority.Skip) continue;
                    wanted += file.Length;
                    have += VerifiedBytesUnlocked(file.Offset, file.Length);
                }
                return wanted == 0 ? (_done ? 1 : 0) : (double)have / wanted;
            }
        }
    }

    /// <summary>Payload bytes received from peers (duplicates and data that failed its check included).</summary>
    public long Downloaded => Interlocked.Read(ref _downloaded);

    /// <summary>Payload bytes sent to peers.</summary>
    public long Uploaded => Interlocked.Read(ref _uploaded);

    /// <summary>Download speed over all peers, bytes per second.</summary>
    public double DownloadSpeed
    {
        get
        {
            double sum = 0;
            foreach (var c in SnapshotConnections()) sum += c.Wire.DownloadSpeed;
            return sum;
        }
    }

    /// <summary>Upload speed over all peers, bytes per second.</summary>
    public double UploadSpeed
    {
        get
        {
            double sum = 0;
            foreach (var c in SnapshotConnections()) sum += c.Wire.UploadSpeed;
            return sum;
        }
    }

    /// <summary>What the torrent is doing.</summary>
    public TorrentState State
    {
        get
        {
            lock (_gate) return _state;
        }
    }

    /// <summary>Why the torrent is in <see cref="TorrentState.Error"/>, if it is.</summary>
    public Exception? Error => _error;

    /// <summary>Download pieces in order instead of rarest first (streams get their pieces first either way).</summary>
    public bool Sequential
    {
        get => _sequential;
        set
        {
            lock (_gate)
            {
                _sequential = value;
                if (_picker is not null) _picker.Sequential = value;
            }
        }
    }

    /// <summary>A snapshot of the connected peers.</summary>
    public IReadOnlyList<PeerInfo> Peers => [.. SnapshotConnections().Select(Describe)];

    /// <summary>The addresses banned for sending corrupt data.</summary>
    public IReadOnlyCollection<IPAddress> BannedAddresses
    {
        get
        {
            lock (_gate) return [.. _banned];
        }
    }

    /// <summary>Whether piece <paramref name="pieceIndex"/> is downloaded and verified.</summary>
    public bool HasPiece(int pieceIndex)
    {
        lock (_gate)
        {
            if (_verified is null) return false;
            ArgumentOutOfRangeException.ThrowIfNegative(pieceIndex);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(pieceIndex, _verified.Length);
            return _verified[pieceIndex];
        }
    }

    /// <summary>
    /// Waits until the metadata is known (at once for a .torrent); for a magnet link, <see cref="Metainfo"/> and
    /// <see cref="Files"/> are set when it completes.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The torrent was removed.</exception>
    public Task WaitForMetadataAsync(CancellationToken cancellationToken = default) => _metadataReceived.Task.WaitAsync(cancellationToken);

    /// <summary>Waits until every selected file is downloaded and verified; faults if the torrent fails or is removed.</summary>
    public Task WaitForCompletionAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate) return _completed.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Connects to a peer (in the background; failures are retried with backoff).</summary>
    public void AddPeer(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        AddKnownPeers([endPoint], PeerSource.Manual);
        TryDial();
    }

    /// <summary>
    /// Runs the peer protocol over <paramref name="transport"/> (an in-memory pipe, a WebRTC data channel...): the
    /// handshake, then the connection joins the torrent. Completes when the handshake is done.
    /// </summary>
    /// <param name="transport">The connection; the torrent completes both ends when the peer leaves.</param>
    /// <param name="outgoing">True when we opened it (we send the handshake first).</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <exception cref="ProtocolViolationException">The peer's handshake is malformed or for another torrent.</exception>
    /// <exception cref="InvalidOperationException">The connection was refused (ourselves, a duplicate, a banned peer, over the limit, or the torrent is not running).</exception>
    public Task AddPeerAsync(IDuplexPipe transport, bool outgoing, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        return ConnectWireAsync(transport, outgoing, null, outgoing ? PeerSource.Manual : PeerSource.Incoming, PeerTransport.Other, cancellationToken);
    }

    /// <summary>Stops connecting, downloading and uploading; what is verified is kept.</summary>
    public async Task PauseAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_state is TorrentState.Paused or TorrentState.Stopped or TorrentState.Error) return;
            _state = TorrentState.Paused;
        }
        await StopSessionAsync(cancellationToken);
    }

    /// <summary>Resumes a paused torrent.</summary>
    public async Task ResumeAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_state != TorrentState.Paused) return;
            _state = _metainfo is null ? TorrentState.FetchingMetadata : _ready ? (_done ? TorrentState.Seeding : TorrentState.Downloading) : TorrentState.Checking;
        }
        await StartSessionAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({InfoHash.ToHex()}, {State})";

    internal ReadOnlySpan<byte> WireHash => _wireHash;

    /// <summary>Completes when storage and picker exist (metadata known, files checked).</summary>
    internal Task WaitUntilReadyAsync(CancellationToken cancellationToken) => _readyTask.Task.IsCompletedSuccessfully ? Task.CompletedTask : _readyTask.Task.WaitAsync(cancellationToken);

    internal string WireHashKey => Convert.ToHexString(_wireHash);

    internal int ConnectionCount
    {
        get
        {
            lock (_gate) return _connections.Count;
        }
    }

    /// <summary>Called by the client once the torrent is registered.</summary>
    internal async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_addOptions.Paused) return;
        await StartSessionAsync(cancellationToken);
    }

    private async Task StartSessionAsync(CancellationToken cancellationToken)
    {
        CancellationToken token;
        lock (_gate)
        {
            if (_session is not null || _state is TorrentState.Stopped or TorrentState.Error or TorrentState.Paused) return;
            _session = new CancellationTokenSource();
            token = _session.Token;
            _lastChoke = _lastPex = _options.TimeProvider.GetTimestamp();
            _timer = _options.TimeProvider.CreateTimer(static s => ((Torrent)s!).Tick(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }
        RegisterDiscovery();
        var initial = new List<IPEndPoint>();
        if (_addOptions.Peers is { } peers) initial.AddRange(peers);
        if (_magnet is not null)
        {
            foreach (var address in _magnet.PeerAddresses)
                if (address.ToIPEndPoint() is { } endPoint) initial.Add(endPoint);
        }
        AddKnownPeers(initial, PeerSource.Manual);
        if (_metainfo is not null && !_ready)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, token);
            await InitializeDataAsync(linked.Token);
        }
        else if (_ready)
        {
            StartWebSeeds(token);
        }
        TryDial();
    }

    private async Task StopSessionAsync(CancellationToken cancellationToken)
    {
        CancellationTokenSource? session;
        ITimer? timer;
        ITorrentAnnouncer? announcer;
        PeerConnection[] connections;
        lock (_gate)
        {
            session = _session;
            _session = null;
            timer = _timer;
            _timer = null;
            announcer = _announcer;
            _announcer = null;
            connections = [.. _connections];
        }
        if (session is null) return;
        timer?.Dispose();
        await session.CancelAsync();
        foreach (var c in connections) c.Wire.Abort();
        if (announcer is not null)
        {
            try
            {
                await announcer.DisposeAsync().AsTask().WaitAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogDebug(ex, "{Torrent}: stopping the peer discovery failed", Name);
            }
        }
        await Task.WhenAll(connections.Select(c => c.Wire.Completion)).WaitAsync(cancellationToken);
        session.Dispose();
    }

    /// <summary>Removal or client disposal: stop everything, release the storage, fault the waiters.</summary>
    internal async Task StopAsync(bool deleteFiles, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_state == TorrentState.Stopped) return;
            _state = TorrentState.Stopped;
        }
        await StopSessionAsync(cancellationToken);
        TorrentStorage? storage;
        List<TaskCompletionSource> waiters;
        PieceBuffer[] buffers;
        lock (_gate)
        {
            storage = _storage;
            waiters = [.. _pieceWaiters.Values.SelectMany(w => w)];
            _pieceWaiters.Clear();
            buffers = [.. _pieceBuffers.Values];
            _pieceBuffers.Clear();
            foreach (var failed in _failedPieces.Values) failed.Return();
            _failedPieces.Clear();
        }
        foreach (var buffer in buffers) buffer.Return();
        var removed = new ObjectDisposedException(nameof(Torrent), $"The torrent {Name} was removed.");
        _metadataReceived.TrySetException(removed);
        _readyTask.TrySetException(removed);
        lock (_gate) _completed.TrySetException(removed);
        foreach (var waiter in waiters) waiter.TrySetException(removed);
        if (storage is not null)
        {
            await storage.DisposeAsync();
            if (deleteFiles && _metainfo is not null) DeleteFiles(_metainfo);
        }
    }

    private void DeleteFiles(TorrentMetainfo metainfo)
    {
        foreach (var file in metainfo.Files)
        {
            if (file.IsPadding) continue;
            var path = file.ResolvePath(DownloadFolder);
            try
            {
                if (File.Exists(path)) File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning(ex, "{Torrent}: could not delete {Path}", Name, path);
            }
        }
        // Remove the folders the torrent created, deepest first, when they are empty.
        var folders = metainfo.Files.Where(f => !f.IsPadding && f.PathSegments.Count > 1)
            .SelectMany(f => Enumerable.Range(1, f.PathSegments.Count - 1).Select(n => Path.Combine([DownloadFolder, .. f.PathSegments.Take(n)])))
            .Distinct().OrderByDescending(p => p.Length);
        foreach (var folder in folders)
        {
            try
            {
                if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _logger.LogDebug(ex, "{Torrent}: could not delete {Folder}", Name, folder);
            }
        }
    }

    private void RegisterDiscovery()
    {
        var discovery = _client.PeerSources;
        if (discovery is null) return;
        var channel = Channel.CreateBounded<DiscoveredPeer>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        var tiers = new List<IReadOnlyList<Uri>>();
        IEnumerable<IEnumerable<string>> sourceTiers = _metainfo is { } m
            ? (m.AnnounceList.Count > 0 ? m.AnnounceList : m.Announce is { } a ? [[a]] : [])
            : _magnet is { } magnet ? magnet.Trackers.Select(t => new[] { t }) : [];
        foreach (var tier in sourceTiers)
        {
            var uris = tier.Select(t => Uri.TryCreate(t, UriKind.Absolute, out var u) ? u : null).OfType<Uri>().ToList();
            if (uris.Count > 0) tiers.Add(uris);
        }
        var target = new DiscoveryTarget
        {
            InfoHash = _wireHash,
            PeerId = _client.PeerId,
            ListenPort = _client.ListenEndPoint?.Port ?? 0,
            TrackerTiers = tiers,
            IsPrivate = _metainfo?.IsPrivate ?? false,
            GetTotals = () => new TransferTotals(Downloaded, Uploaded, LeftBytes()),
        };
        ITorrentAnnouncer announcer;
        try
        {
            announcer = discovery.Register(target, channel.Writer);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or ObjectDisposedException)
        {
            _logger.LogWarning(ex, "{Torrent}: peer discovery refused the torrent", Name);
            return;
        }
        announcer.SourceFailed += (_, e) => _logger.LogDebug(e.Error, "{Torrent}: {Source} {Detail} failed", Name, e.Source, e.Detail);
        CancellationToken token;
        lock (_gate)
        {
            if (_session is null)
            {
                _ = announcer.DisposeAsync().AsTask();
                return;
            }
            _announcer = announcer;
            token = _session.Token;
        }
        _ = ReadDiscoveredPeersAsync(channel.Reader, token);
    }

    private async Task ReadDiscoveredPeersAsync(ChannelReader<DiscoveredPeer> reader, CancellationToken cancellationToken)
    {
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                var batch = new List<DiscoveredPeer>();
                while (batch.Count < 256 && reader.TryRead(out var peer)) batch.Add(peer);
                foreach (var group in batch.GroupBy(p => p.Source)) AddKnownPeers(group.Select(p => p.EndPoint), group.Key);
                TryDial();
            }
        }
        catch (OperationCanceledException)
        {
            // Paused or removed.
        }
    }

    private long? LeftBytes()
    {
        lock (_gate)
        {
            if (_verified is null) return _metainfo?.ContentLength;
            long left = 0;
            foreach (var file in _files)
            {
                if (file.IsPadding || file.PriorityUnlocked == FilePriority.Skip) continue;
                left += file.Length - VerifiedBytesUnlocked(file.Offset, file.Length);
            }
            return left;
        }
    }

    /// <summary>Storage, picker and layout for the known metadata; then the fast-resume check of what is on disk.</summary>
    private async Task InitializeDataAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _initializing, 1) != 0) return;
        var metainfo = _metainfo!;
        TorrentStorage? storage = null;
        try
        {
            var layout = Layouts.ForVerifier(metainfo);
            storage = new TorrentStorage(metainfo, DownloadFolder, new TorrentStorageOptions { MaxOpenFiles = _options.MaxOpenFilesPerTorrent, AllocateDiskSpace = _options.AllocateDiskSpace });
            var picker = PiecePicker.Create<PeerConnection>(metainfo, new PiecePickerOptions
            {
                RequestTimeout = _options.RequestTimeout,
                ReadAheadBytes = _options.StreamReadAhead,
                TimeProvider = _options.TimeProvider,
            });
            picker.Sequential = _sequential;
            var files = new TorrentFile[metainfo.Files.Count];
            for (var i = 0; i < files.Length; i++) files[i] = new TorrentFile(this, metainfo.Files[i], i);
            var selection = _addOptions.SelectedFiles is { } selected ? selected.ToHashSet() : null;
            for (var i = 0; i < files.Length; i++)
            {
                if (files[i].IsPadding) continue;
                var wanted = selection?.Contains(i) ?? _magnet?.IsFileSelected(i) ?? true;
                if (wanted) continue;
                files[i].PriorityUnlocked = FilePriority.Skip;
                picker.SetFilePriority(i, PiecePriority.Skip);
                storage.SetFileSelected(i, false);
            }
            var verified = new PieceBitfield(metainfo.PieceCount);
            if (_trustData)
            {
                for (var i = 0; i < verified.Length; i++) verified.Set(i);
            }
            else if (metainfo.Files.Any(f => !f.IsPadding && f.Length > 0 && File.Exists(f.ResolvePath(DownloadFolder))))
            {
                lock (_gate)
                {
                    if (_state is TorrentState.FetchingMetadata or TorrentState.Downloading) _state = TorrentState.Checking;
                }
                var verifier = new PieceVerifier(new VerifierOptions { DegreeOfParallelism = Math.Max(1, Environment.ProcessorCount / 2) });
                await foreach (var _ in verifier.RecheckAsync(layout, DownloadFolder, verified, cancellationToken))
                {
                }
                _logger.LogInformation("{Torrent}: {Count}/{Total} pieces already on disk", Name, verified.Count, verified.Length);
            }
            var stored = new PieceBitfield(metainfo.PieceCount);
            for (var i = 0; i < verified.Length; i++)
            {
                if (!verified[i]) continue;
                picker.MarkHave(i);
                stored.Set(i);
            }
            storage.CreateEmptyFiles();
            lock (_gate)
            {
                if (_state is TorrentState.Stopped or TorrentState.Error) return;   // finally disposes the storage
                _layout = layout;
                _storage = storage;
                storage = null;   // owned by the torrent now
                _picker = picker;
                _verified = verified;
                _stored = stored;
                _files = files;
                _visibleFiles = [.. files.Where(f => !f.IsPadding)];
                _ready = true;
                _done = picker.IsDone;
                if (_state != TorrentState.Paused) _state = _done ? TorrentState.Seeding : TorrentState.Downloading;
            }
            // A magnet's metadata counts as received once Files, the layout and the storage are in place (a .torrent's
            // signal is set from the start: its result is false here and no event is raised).
            if (_metadataReceived.TrySetResult()) Raise(MetadataReceived);
            _readyTask.TrySetResult();
            ActivateConnections();
            CancellationToken session;
            lock (_gate) session = _session?.Token ?? new CancellationToken(canceled: true);
            StartWebSeeds(session);
            Raise(Ready);
            if (_done) OnCompleted();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Interlocked.Exchange(ref _initializing, 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidTorrentException or ArgumentException)
        {
            Fail(ex);
        }
        finally
        {
            storage?.Dispose();
        }
    }

    /// <summary>The torrent cannot go on (a disk error): stop it and report.</summary>
    internal void Fail(Exception error)
    {
        List<TaskCompletionSource> waiters;
        lock (_gate)
        {
            if (_state is TorrentState.Stopped or TorrentState.Error) return;
            _state = TorrentState.Error;
            _error = error;
            _completed.TrySetException(error);
            waiters = [.. _pieceWaiters.Values.SelectMany(w => w)];
            _pieceWaiters.Clear();
        }
        foreach (var waiter in waiters) waiter.TrySetException(new IOException($"The torrent {Name} failed: {error.Message}", error));
        _logger.LogError(error, "{Torrent} failed", Name);
        _metadataReceived.TrySetException(error);
        _readyTask.TrySetException(new IOException($"The torrent {Name} failed: {error.Message}", error));
        Raise(ErrorOccurred, error);
        _ = StopSessionAsync(CancellationToken.None);
    }

    private void OnCompleted()
    {
        PeerConnection[] connections;
        ITorrentAnnouncer? announcer;
        bool seed;
        lock (_gate)
        {
            if (!_done) return;
            _completed.TrySetResult();
            connections = [.. _connections];
            announcer = _announcer;
            seed = _stored!.IsComplete;
        }
        _logger.LogInformation("{Torrent}: done", Name);
        Raise(Done);
        foreach (var c in connections)
        {
            // Two seeds have nothing to trade.
            if (seed && c.Wire.PeerPieces.HasAll) c.Wire.Abort();
            else if (c.Wire.AmInterested) Send(c.Wire.SendNotInterestedAsync());
        }
        if (announcer is not null) _ = NotifyCompletedAsync(announcer);
    }

    private async Task NotifyCompletedAsync(ITorrentAnnouncer announcer)
    {
        try
        {
            await announcer.NotifyCompletedAsync();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
        {
            _logger.LogDebug(ex, "{Torrent}: completed announce failed", Name);
        }
    }

    private void Raise(EventHandler? handler)
    {
        try
        {
            handler?.Invoke(this, EventArgs.Empty);
        }
#pragma warning disable CA1031 // An application handler must not take the engine down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogWarning(ex, "{Torrent}: an event handler threw", Name);
        }
    }

    private void Raise<T>(EventHandler<T>? handler, T args)
    {
        try
        {
            handler?.Invoke(this, args);
        }
#pragma warning disable CA1031 // An application handler must not take the engine down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogWarning(ex, "{Torrent}: an event handler threw", Name);
        }
    }

    /// <summary>Bytes of verified pieces inside [offset, offset + length) of the piece space. Caller holds the lock.</summary>
    private long VerifiedBytesUnlocked(long offset, long length)
    {
        if (_verified is null || _picker is null || length == 0) return 0;
        var pieceLength = _picker.PieceLength;
        var first = (int)(offset / pieceLength);
        var last = (int)Math.Min(_picker.PieceCount - 1, (offset + length - 1) / pieceLength);
        long sum = 0;
        for (var piece = first; piece <= last; piece++)
        {
            if (!_verified[piece]) continue;
            var start = (long)piece * pieceLength;
            var end = start + _picker.GetPieceSize(piece);
            sum += Math.Max(0, Math.Min(end, offset + length) - Math.Max(start, offset));
        }
        return sum;
    }
}
