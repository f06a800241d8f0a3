using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using MagnetUri;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WebTorrent.Discovery;
using WebTorrent.Engine;
using WebTorrent.Metainfo;
using WebTorrent.Protocol;
using WebTorrent.WebRtc;

using ProtocolViolationException = WebTorrent.Protocol.ProtocolViolationException;

namespace WebTorrent;

/// <summary>
/// A BitTorrent client: add torrents from magnet links, .torrent files or info-hashes, seed files and folders, stream
/// files while they download. One TCP listener serves every torrent. Dispose it to stop everything.
/// </summary>
/// <example>
/// <code>
/// await using var client = new WebTorrentClient(new WebTorrentClientOptions { DownloadFolder = "downloads" });
/// var torrent = await client.AddAsync("magnet:?xt=urn:btih:...");
/// await torrent.WaitForCompletionAsync();
/// </code>
/// </example>
public sealed class WebTorrentClient : IAsyncDisposable
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> the client reports to.</summary>
    public const string MeterName = "WebTorrent";

    private readonly ConcurrentDictionary<string, Torrent> _torrents = new(StringComparer.Ordinal);
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private readonly CancellationTokenSource _disposing = new();
    private readonly byte[] _peerId;
    private TcpListener? _listener;
    private PeerDiscovery? _ownedDiscovery;
    private IPeerDiscovery? _discovery;
    private WebSocketTrackerSource? _webSocketTrackers;
    private WebRtcPeerFactory? _webRtcPeers;
    private Task? _acceptLoop;
    private bool _started;
    private int _connections;
    private int _pending;
    private int _disposed;

    /// <summary>Creates a client; nothing listens or connects until <see cref="StartAsync"/> or the first torrent.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public WebTorrentClient(WebTorrentClientOptions? options = null)
    {
        Options = options ?? new WebTorrentClientOptions();
        Options.Validate();
        _loggerFactory = Options.LoggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<WebTorrentClient>();
        _peerId = Options.PeerId?.ToArray() ?? ClientNames.NewPeerId();
        DownloadLimiter = new TokenBucket(Options.DownloadRateLimit, Options.TimeProvider);
        UploadLimiter = new TokenBucket(Options.UploadRateLimit, Options.TimeProvider);
        Metrics = new ClientMetrics(() => Volatile.Read(ref _connections), CountPeersByTransport);
    }

    /// <summary>Raised when a torrent is added.</summary>
    public event EventHandler<Torrent>? TorrentAdded;

    /// <summary>Raised when a torrent is removed.</summary>
    public event EventHandler<Torrent>? TorrentRemoved;

    /// <summary>The client's options.</summary>
    public WebTorrentClientOptions Options { get; }

    /// <summary>Our 20-byte peer id.</summary>
    public ReadOnlyMemory<byte> PeerId => _peerId;

    /// <summary>Where the TCP listener accepts peers; null before <see cref="StartAsync"/> or when not listening.</summary>
    public IPEndPoint? ListenEndPoint { get; private set; }

    /// <summary>The torrents in the client.</summary>
    public IReadOnlyCollection<Torrent> Torrents => [.. _torrents.Values];

    /// <summary>Download limit over all torrents in bytes per second; null or 0 for none. Changes apply at once.</summary>
    public long? DownloadRateLimit
    {
        get => DownloadLimiter.Rate > 0 ? DownloadLimiter.Rate : null;
        set => DownloadLimiter.Rate = value ?? 0;
    }

    /// <summary>Upload limit over all torrents in bytes per second; null or 0 for none. Changes apply at once.</summary>
    public long? UploadRateLimit
    {
        get => UploadLimiter.Rate > 0 ? UploadLimiter.Rate : null;
        set => UploadLimiter.Rate = value ?? 0;
    }

    internal TokenBucket DownloadLimiter { get; }

    internal TokenBucket UploadLimiter { get; }

    internal ClientMetrics Metrics { get; }

    /// <summary>The application's discovery, or the built-in one (created by <see cref="StartAsync"/>), or null.</summary>
    internal IPeerDiscovery? Discovery => Options.PeerDiscovery ?? _ownedDiscovery;

    /// <summary>What torrents register with: <see cref="Discovery"/> beside the WebSocket trackers (WebRTC), or either alone.</summary>
    internal IPeerDiscovery? PeerSources => _discovery ?? Discovery;

    /// <summary>The WebRTC peers of the client, once started with <see cref="WebTorrentClientOptions.EnableWebRtc"/>.</summary>
    internal WebRtcPeerFactory? WebRtcPeers => _webRtcPeers;

    /// <summary>The torrent with this info-hash (v1 or v2), if any.</summary>
    public Torrent? Find(InfoHash infoHash)
    {
        if (infoHash.IsEmpty) return null;
        foreach (var torrent in _torrents.Values)
        {
            if (torrent.InfoHash == infoHash) return torrent;
            if (torrent.Metainfo is { } m && (m.InfoHashV1 == infoHash || m.InfoHashV2 == infoHash)) return torrent;
        }
        return _torrents.GetValueOrDefault(Convert.ToHexString(Layouts.WireInfoHash(infoHash)));
    }

    /// <summary>
    /// Binds the TCP listener (when <see cref="WebTorrentClientOptions.ListenPort"/> is not null) and creates the built-in
    /// peer discovery (trackers, DHT, local discovery as enabled) unless one was given. Called by the first add or seed.
    /// </summary>
    /// <exception cref="SocketException">The port is taken.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _startLock.WaitAsync(cancellationToken);
        try
        {
            if (_started) return;
            if (Options.ListenPort is { } port) Listen(port);
            if (Options.PeerDiscovery is null && (Options.EnableTrackers || Options.EnableDht || Options.EnableLocalDiscovery))
            {
                _ownedDiscovery = new PeerDiscovery(new PeerDiscoveryOptions
                {
                    EnableTrackers = Options.EnableTrackers,
                    EnableDht = Options.EnableDht,
                    EnableLocalDiscovery = Options.EnableLocalDiscovery,
                    ListenPort = ListenEndPoint?.Port ?? 0,
                    TimeProvider = Options.TimeProvider,
                    LoggerFactory = Options.LoggerFactory,
                });
            }
            StartWebRtc();
            _started = true;
        }
        finally
        {
            _startLock.Release();
        }
    }

    /// <summary>Creates the WebRTC peer factory and the WebSocket tracker source, and puts them beside the other peer sources.</summary>
    private void StartWebRtc()
    {
        var tcp = Options.PeerDiscovery ?? _ownedDiscovery;
        if (!Options.EnableWebRtc)
        {
            _discovery = tcp;
            return;
        }
        var metrics = new WebRtcMetrics(Metrics.Meter, () => _webRtcPeers?.LiveConnections ?? 0, () => _webRtcPeers?.HalfOpen ?? 0);
        _webRtcPeers = new WebRtcPeerFactory(Options.WebRtc, key => _torrents.GetValueOrDefault(key), Options.TimeProvider,
            _loggerFactory.CreateLogger<WebRtcPeerFactory>(), metrics);
        _webSocketTrackers = new WebSocketTrackerSource(_webRtcPeers, Options.WebRtc, Options.TimeProvider, _loggerFactory);
        _discovery = tcp is null ? _webSocketTrackers : new CompositePeerDiscovery([tcp, _webSocketTrackers]);
    }

    private IEnumerable<System.Diagnostics.Metrics.Measurement<int>> CountPeersByTransport()
    {
        var counts = new int[3];
        foreach (var torrent in _torrents.Values)
        {
            foreach (var peer in torrent.Peers) counts[(int)peer.Transport]++;
        }
        yield return new(counts[(int)PeerTransport.Tcp], new KeyValuePair<string, object?>("transport", "tcp"));
        yield return new(counts[(int)PeerTransport.WebRtc], new KeyValuePair<string, object?>("transport", "webrtc"));
        yield return new(counts[(int)PeerTransport.Other], new KeyValuePair<string, object?>("transport", "other"));
    }

    private void Listen(int port)
    {
        {
            var listener = new TcpListener(Options.ListenAddress, port);
            if (Options.ListenAddress.Equals(IPAddress.IPv6Any)) listener.Server.DualMode = true;
            listener.Start(Options.MaxPendingConnections);
            _listener = listener;
            ListenEndPoint = (IPEndPoint)listener.LocalEndpoint;
            _logger.LogInformation("Listening for peers on {EndPoint}", ListenEndPoint);
            _acceptLoop = AcceptLoopAsync(listener, _disposing.Token);
        }
    }

    /// <summary>
    /// Adds a magnet link: the metadata is fetched from peers (ut_metadata), then the selected files download. A torrent
    /// already in the client (same info-hash) is returned as it is, whatever the options.
    /// </summary>
    /// <exception cref="ArgumentException">The link names no info-hash, or only a v2 one.</exception>
    public Task<Torrent> AddAsync(MagnetLink magnet, AddTorrentOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(magnet);
        if (magnet.InfoHashes.IsDefaultOrEmpty) throw new ArgumentException("The magnet link has no BitTorrent info-hash (xt=urn:btih or urn:btmh).", nameof(magnet));
        if (magnet.InfoHashV1 is null && Find(magnet.InfoHashes[0]) is null)
            throw new ArgumentException("A magnet link with only a v2 info-hash (urn:btmh) cannot fetch its metadata (ut_metadata checks a SHA-1 info-hash): add the .torrent instead.", nameof(magnet));
        return AddCoreAsync(null, magnet, options ?? new AddTorrentOptions(), trustData: false, cancellationToken);
    }

    /// <summary>
    /// Adds a torrent; files already in the download folder are checked and kept (fast resume). A torrent already in the
    /// client (same info-hash) is returned as it is, whatever the options.
    /// </summary>
    public Task<Torrent> AddAsync(TorrentMetainfo torrent, AddTorrentOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        return AddCoreAsync(torrent, null, options ?? new AddTorrentOptions(), trustData: false, cancellationToken);
    }

    /// <summary>Adds a magnet link, a path to a .torrent file, or an info-hash (40 hex / 32 base32 characters, or 64 hex for v2).</summary>
    /// <exception cref="ArgumentException">The text is none of these.</exception>
    /// <exception cref="InvalidTorrentException">The .torrent file is invalid.</exception>
    public async Task<Torrent> AddAsync(string magnetOrTorrentPathOrInfoHash, AddTorrentOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(magnetOrTorrentPathOrInfoHash);
        var text = magnetOrTorrentPathOrInfoHash.Trim();
        if (text.StartsWith("magnet:", StringComparison.OrdinalIgnoreCase)) return await AddAsync(MagnetLink.Parse(text), options, cancellationToken);
        if (File.Exists(text)) return await AddAsync(await TorrentMetainfo.LoadAsync(text, cancellationToken: cancellationToken), options, cancellationToken);
        if (InfoHash.TryParse(text, out var hash)) return await AddAsync(new MagnetLink { InfoHashes = [hash] }, options, cancellationToken);
        throw new ArgumentException($"'{text}' is not a magnet link, an existing .torrent file or an info-hash.", nameof(magnetOrTorrentPathOrInfoHash));
    }

    /// <summary>Creates a torrent of a file or folder and seeds it in place (the data is not copied or re-checked).</summary>
    /// <exception cref="FileNotFoundException">Nothing exists at the path.</exception>
    /// <exception cref="ArgumentException"><see cref="SeedOptions.Name"/> differs from the file or folder name.</exception>
    public async Task<Torrent> SeedAsync(string fileOrFolderPath, SeedOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileOrFolderPath);
        options ??= new SeedOptions();
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(fileOrFolderPath));
        if (options.Name is { } name && name != Path.GetFileName(full))
            throw new ArgumentException("The data is seeded in place, so the torrent's name must be the file or folder name.", nameof(options));
        var metainfo = await TorrentCreator.CreateFromPathAsync(full, options.ToCreationOptions(), cancellationToken);
        var folder = Path.GetDirectoryName(full) ?? throw new ArgumentException("Cannot seed a root folder.", nameof(fileOrFolderPath));
        return await AddCoreAsync(metainfo, null, (options.AddOptions ?? new AddTorrentOptions()) with { DownloadFolder = folder }, trustData: true, cancellationToken);
    }

    /// <summary>Seeds <paramref name="torrent"/> from <paramref name="folderHoldingTheData"/> (the folder its paths start in); the files are checked first.</summary>
    public Task<Torrent> SeedAsync(TorrentMetainfo torrent, string folderHoldingTheData, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentException.ThrowIfNullOrEmpty(folderHoldingTheData);
        return AddCoreAsync(torrent, null, new AddTorrentOptions { DownloadFolder = folderHoldingTheData }, trustData: false, cancellationToken);
    }

    /// <summary>Removes a torrent: its peers are disconnected, its waiters fault, and with <paramref name="deleteFiles"/> its files are deleted.</summary>
    public async Task RemoveAsync(Torrent torrent, bool deleteFiles = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        if (!_torrents.TryRemove(new KeyValuePair<string, Torrent>(torrent.WireHashKey, torrent))) return;
        await torrent.StopAsync(deleteFiles, cancellationToken);
        Raise(TorrentRemoved, torrent, nameof(TorrentRemoved));
    }

    /// <summary>Raises a torrent event; an application handler that throws must not break adding or removing.</summary>
    private void Raise(EventHandler<Torrent>? handler, Torrent torrent, string name)
    {
        try
        {
            handler?.Invoke(this, torrent);
        }
#pragma warning disable CA1031 // Whatever the handler throws is the application's; log it and go on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogWarning(ex, "{Event} handler threw", name);
        }
    }

    /// <summary>Stops every torrent and the listener.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _disposing.CancelAsync();
        _listener?.Stop();
        foreach (var torrent in _torrents.Values)
        {
            try
            {
                using var timeout = new CancellationTokenSource(Options.ShutdownTimeout, Options.TimeProvider);
                await torrent.StopAsync(deleteFiles: false, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _logger.LogWarning("{Torrent}: peers did not close in time", torrent.Name);
            }
        }
        _torrents.Clear();
        if (_acceptLoop is not null)
        {
            try
            {
                await _acceptLoop;
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }
        if (_webSocketTrackers is not null) await _webSocketTrackers.DisposeAsync();
        if (_webRtcPeers is not null) await _webRtcPeers.DisposeAsync();
        if (_ownedDiscovery is not null)
        {
            try
            {
                await _ownedDiscovery.DisposeAsync();
            }
#pragma warning disable CA1031 // Disposal goes on whatever the discovery hits (its stopped announces are best effort).
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _logger.LogDebug(ex, "Disposing the peer discovery failed");
            }
        }
        Metrics.Dispose();
        _disposing.Dispose();
        _startLock.Dispose();
    }

    private async Task<Torrent> AddCoreAsync(TorrentMetainfo? metainfo, MagnetLink? magnet, AddTorrentOptions options, bool trustData, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await StartAsync(cancellationToken);
        var torrent = new Torrent(this, metainfo, magnet, options, trustData);
        var existing = _torrents.GetOrAdd(torrent.WireHashKey, torrent);
        if (!ReferenceEquals(existing, torrent)) return existing;
        Raise(TorrentAdded, torrent, nameof(TorrentAdded));
        await torrent.StartAsync(cancellationToken);
        return torrent;
    }

    internal ILogger CreateLogger<T>() => _loggerFactory.CreateLogger<T>();

    internal bool TryReservePending()
    {
        if (Interlocked.Increment(ref _pending) <= Options.MaxPendingConnections) return true;
        Interlocked.Decrement(ref _pending);
        return false;
    }

    internal void ReleasePending() => Interlocked.Decrement(ref _pending);

    internal bool TryAddConnection()
    {
        if (Interlocked.Increment(ref _connections) <= Options.MaxConnections) return true;
        Interlocked.Decrement(ref _connections);
        return false;
    }

    internal void RemoveConnection() => Interlocked.Decrement(ref _connections);

    /// <summary>Whether <paramref name="endPoint"/> is our own listener (dialling it would connect to ourselves).</summary>
    internal bool IsOwnEndPoint(IPEndPoint endPoint)
    {
        if (ListenEndPoint is not { } own || endPoint.Port != own.Port) return false;
        if (IPAddress.IsLoopback(endPoint.Address) || endPoint.Address.Equals(own.Address)) return true;
        return own.Address.Equals(IPAddress.Any) || own.Address.Equals(IPAddress.IPv6Any)
            ? System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses).Any(a => a.Address.Equals(endPoint.Address))
            : false;
    }

    /// <summary>Dials <paramref name="endPoint"/> over TCP and runs the peer protocol for <paramref name="torrent"/>.</summary>
    internal async Task ConnectAsync(Torrent torrent, IPEndPoint endPoint, PeerSource source, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(Options.ConnectTimeout, Options.TimeProvider);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token, deadline.Token);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, timeout.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        await torrent.ConnectWireAsync(CreatePipe(socket), outgoing: true, endPoint, source, PeerTransport.Tcp, cancellationToken);
    }

    private static SocketPipe CreatePipe(Socket socket)
    {
        var stream = new NetworkStream(socket, ownsSocket: true);
        return new SocketPipe(
            PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 128 * 1024, minimumReadSize: 32 * 1024, leaveOpen: false)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 32 * 1024, leaveOpen: false)));
    }

    private async Task AcceptLoopAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                if (cancellationToken.IsCancellationRequested) return;
                _logger.LogDebug(ex, "Accept failed");
                continue;
            }
            if (!TryReservePending())
            {
                socket.Dispose();
                continue;
            }
            _ = HandleIncomingAsync(socket, cancellationToken);
        }
    }

    /// <summary>Reads the handshake without consuming it, finds the torrent by info-hash, and hands the connection over.</summary>
    private async Task HandleIncomingAsync(Socket socket, CancellationToken cancellationToken)
    {
        socket.NoDelay = true;
        var remote = socket.RemoteEndPoint as IPEndPoint;
        if (remote is not null && remote.Address.IsIPv4MappedToIPv6) remote = new IPEndPoint(remote.Address.MapToIPv4(), remote.Port);
        var pipe = CreatePipe(socket);
        try
        {
            using var deadline = new CancellationTokenSource(Options.HandshakeTimeout, Options.TimeProvider);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            PeerHandshake? handshake = null;
            while (handshake is null)
            {
                var result = await pipe.Input.ReadAsync(timeout.Token);
                var buffer = result.Buffer;
                if (buffer.Length >= PeerHandshake.Length)
                {
                    var reader = new SequenceReader<byte>(buffer);
                    if (!PeerHandshake.TryRead(ref reader, out handshake)) throw new ProtocolViolationException(ProtocolViolation.Truncated, "Bad handshake.");
                    pipe.Input.AdvanceTo(buffer.Start);   // leave it for the wire
                    break;
                }
                pipe.Input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) throw new IOException("The peer closed before its handshake.");
            }
            var torrent = _torrents.GetValueOrDefault(Convert.ToHexString(handshake.InfoHash.Span))
                ?? throw new InvalidOperationException("The peer asked for a torrent we do not have.");
            await torrent.ConnectWireAsync(pipe, outgoing: false, remote, PeerSource.Incoming, PeerTransport.Tcp, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ProtocolViolationException or InvalidOperationException or OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
            _logger.LogDebug("Incoming connection from {Peer} dropped: {Error}", remote, ex.Message);
            await pipe.Input.CompleteAsync();
            await pipe.Output.CompleteAsync();
        }
        finally
        {
            ReleasePending();
        }
    }

    private sealed record SocketPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
