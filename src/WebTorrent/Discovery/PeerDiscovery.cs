using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WebTorrent.Dht;
using WebTorrent.Dht.Transport;
using WebTorrent.Tracker;

namespace WebTorrent.Discovery;

/// <summary>
/// The built-in peer sources of a client: HTTP and UDP trackers (BEP 3, 12, 15), the mainline DHT (BEP 5, one node
/// shared by every torrent) and local service discovery (BEP 14). Register each torrent once; the returned
/// <see cref="ITorrentAnnouncer"/> announces until disposed. Failures are events, never exceptions.
/// </summary>
/// <example>
/// <code>
/// await using var discovery = new PeerDiscovery(new PeerDiscoveryOptions { ListenPort = 6881 });
/// await discovery.StartAsync(ct);
/// var peers = Channel.CreateBounded&lt;DiscoveredPeer&gt;(1000);
/// await using var announcer = discovery.Register(new DiscoveryTarget
/// {
///     InfoHash = infoHash, PeerId = peerId, ListenPort = 6881, TrackerTiers = tiers, GetTotals = () => totals,
/// }, peers.Writer);
/// announcer.SourceFailed += (_, e) => Console.WriteLine($"{e.Source} {e.Detail}: {e.Error.Message}");
/// await foreach (var peer in peers.Reader.ReadAllAsync(ct)) Dial(peer.EndPoint);
/// </code>
/// </example>
public sealed class PeerDiscovery : IPeerDiscovery
{
    private readonly PeerDiscoveryOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Dictionary<string, ITrackerClient> _trackerClients = new(StringComparer.Ordinal);
    private readonly HashSet<TorrentAnnouncer> _announcers = [];
    private readonly TaskCompletionSource<DhtNode?> _dhtReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient? _ownedHttp;
    private readonly HttpClient? _http;
    private Task? _starting;
    private DhtNode? _ownedDht;
    private bool _disposed;

    /// <summary>Creates a discovery; nothing is bound until <see cref="StartAsync"/> (or the first <see cref="Register"/>).</summary>
    public PeerDiscovery(PeerDiscoveryOptions? options = null)
    {
        _options = options ?? new PeerDiscoveryOptions();
        _options.Validate();
        _loggerFactory = _options.LoggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<PeerDiscovery>();
        TrackerKey = _options.TrackerKey ?? (uint)(_options.Random ?? Random.Shared).NextInt64(0, uint.MaxValue + 1L);
        DhtLookups = new SemaphoreSlim(_options.MaxConcurrentDhtLookups, _options.MaxConcurrentDhtLookups);
        if (_options.EnableTrackers && _options.TrackerClientFactory is null)
        {
            _http = _options.HttpClient;
            if (_http is null)
            {
                _ownedHttp = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
                _http = _ownedHttp;
            }
        }
        if (!_options.EnableDht) _dhtReady.TrySetResult(null);
    }

    /// <summary>The tracker <c>key</c> sent with every announce of this client.</summary>
    public uint TrackerKey { get; }

    /// <summary>The DHT node in use (the supplied one, or the one created by <see cref="StartAsync"/>); null when the DHT is off or not started.</summary>
    public DhtNode? Dht => _dhtReady.Task.IsCompletedSuccessfully ? _dhtReady.Task.Result : _options.DhtNode;

    /// <summary>The UDP endpoint of the DHT node created here, once bound.</summary>
    public IPEndPoint? DhtEndPoint { get; private set; }

    /// <summary>Local service discovery, once started (null when disabled or its socket could not be bound).</summary>
    public LocalServiceDiscovery? LocalDiscovery { get; private set; }

    /// <summary>
    /// Raised when a client-wide source fails (a bootstrap name that does not resolve, a socket that cannot be bound)
    /// or a registration names a tracker URL that cannot be used; never thrown.
    /// </summary>
    public event EventHandler<PeerDiscoveryErrorEventArgs>? Failed;

    internal bool DhtEnabled => _options.EnableDht;

    internal SemaphoreSlim DhtLookups { get; }

    /// <summary>
    /// Binds the sockets: the DHT node's UDP port (unless a node was supplied) and local discovery's multicast socket,
    /// then joins the DHT in the background. Sockets that cannot be bound are reported through <see cref="Failed"/>
    /// and their source stays off. Calling it again returns the same start.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        Task starting;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            starting = _starting ??= StartCoreAsync();
        }
        return starting.WaitAsync(cancellationToken);
    }

    private async Task StartCoreAsync()
    {
        await Task.Yield();
        if (_options.EnableLocalDiscovery)
        {
            var lsd = new LocalServiceDiscovery(_options);
            lsd.Failed += (_, e) => RaiseFailed(e);
            try
            {
                lsd.Start();
                LocalDiscovery = lsd;
            }
            catch (Exception e) when (e is SocketException or PlatformNotSupportedException or NotSupportedException)
            {
                await lsd.DisposeAsync().ConfigureAwait(false);
                RaiseFailed(new PeerDiscoveryErrorEventArgs(PeerSource.LocalDiscovery, "multicast socket", e));
            }
        }
        if (_options.EnableDht)
        {
            if (_options.DhtNode is { } supplied)
            {
                _dhtReady.TrySetResult(supplied);
            }
            else
            {
                try
                {
                    var transport = BindDhtTransport();
                    DhtEndPoint = (IPEndPoint)transport.LocalEndPoint;
                    _ = JoinDhtAsync(transport);
                }
                catch (Exception e) when (e is SocketException or PlatformNotSupportedException or NotSupportedException)
                {
                    RaiseFailed(new PeerDiscoveryErrorEventArgs(PeerSource.Dht, "UDP socket", e));
                    _dhtReady.TrySetResult(null);
                }
            }
        }
    }

    private UdpDhtTransport BindDhtTransport()
    {
        var port = _options.DhtPort ?? _options.ListenPort;
        try
        {
            return UdpDhtTransport.Bind(new IPEndPoint(_options.DhtBindAddress, port));
        }
        catch (SocketException e) when (port != 0)
        {
            RaiseFailed(new PeerDiscoveryErrorEventArgs(PeerSource.Dht, $"UDP port {port} (using any free port instead)", e));
            return UdpDhtTransport.Bind(new IPEndPoint(_options.DhtBindAddress, 0));
        }
    }

    /// <summary>Resolves the bootstrap names (failures are events), then creates and starts the node with the ones that resolved.</summary>
    private async Task JoinDhtAsync(UdpDhtTransport transport)
    {
        try
        {
            await JoinDhtCoreAsync(transport).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever goes wrong (options the node refuses...), the torrents must not wait for a DHT forever.
            RaiseFailed(new PeerDiscoveryErrorEventArgs(PeerSource.Dht, "start", e));
            _dhtReady.TrySetResult(null);
            await transport.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task JoinDhtCoreAsync(UdpDhtTransport transport)
    {
        var bootstrap = new List<EndPoint>();
        var family = ((IPEndPoint)transport.LocalEndPoint).AddressFamily;
        foreach (var endPoint in _options.DhtBootstrapNodes)
        {
            if (_stop.IsCancellationRequested) break;
            if (endPoint is IPEndPoint ip)
            {
                bootstrap.Add(ip);
                continue;
            }
            if (endPoint is not DnsEndPoint dns) continue;
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10), _options.TimeProvider);
                using var both = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stop.Token);
                var addresses = await (_options.HostResolver ?? Dns.GetHostAddressesAsync)(dns.Host, both.Token).ConfigureAwait(false);
                var address = addresses.FirstOrDefault(a => a.AddressFamily == family || family == AddressFamily.InterNetworkV6)
                    ?? throw new SocketException((int)SocketError.HostNotFound);
                bootstrap.Add(new IPEndPoint(address, dns.Port));
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ArgumentException)
            {
                if (!_stop.IsCancellationRequested) RaiseFailed(new PeerDiscoveryErrorEventArgs(PeerSource.Dht, "bootstrap " + dns.Host, e));
            }
        }
        var options = (_options.DhtNodeOptions ?? new DhtNodeOptions()) with
        {
            TimeProvider = _options.TimeProvider,
            LoggerFactory = _options.LoggerFactory,
            BootstrapNodes = bootstrap,
        };
        DhtNode? node = null;
        lock (_gate)
        {
            if (!_disposed)
            {
                node = new DhtNode(transport, options);
                _ownedDht = node;
            }
        }
        if (node is null)
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            _dhtReady.TrySetResult(null);
            return;
        }
        try
        {
            await node.StartAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A node whose bootstrap failed still answers and looks up; it joins once anyone contacts it.
            if (!_stop.IsCancellationRequested) RaiseFailed(new PeerDiscoveryErrorEventArgs(PeerSource.Dht, "bootstrap", e));
        }
        _dhtReady.TrySetResult(_stop.IsCancellationRequested ? null : node);
    }

    internal async Task<DhtNode?> WaitForDhtAsync(CancellationToken cancellationToken)
    {
        _ = StartAsync(CancellationToken.None);
        return await _dhtReady.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ITorrentAnnouncer Register(DiscoveryTarget target, ChannelWriter<DiscoveredPeer> peers)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(peers);
        if (target.InfoHash.Length != 20) throw new ArgumentException("The info-hash is 20 bytes.", nameof(target));
        if (target.PeerId.Length != 20) throw new ArgumentException("The peer id is 20 bytes.", nameof(target));
        if (target.ListenPort is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(target), "The listen port is out of range.");
        ArgumentNullException.ThrowIfNull(target.GetTotals);
        var announcer = new TorrentAnnouncer(this, _options, target, peers, _loggerFactory.CreateLogger<TorrentAnnouncer>());
        var tiers = new List<List<ITrackerClient>>();
        var errors = new List<(string, Exception)>();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _announcers.Add(announcer);
            if (_options.EnableTrackers)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var tier in target.TrackerTiers)
                {
                    var clients = new List<ITrackerClient>();
                    foreach (var uri in tier)
                    {
                        if (seen.Count >= _options.MaxTrackersPerTorrent) break;
                        if (uri is null || !seen.Add(uri.AbsoluteUri)) continue;
                        try
                        {
                            if (GetTrackerClient(uri) is { } client) clients.Add(client);
                        }
                        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                        {
                            errors.Add((uri.ToString(), e));
                        }
                    }
                    if (clients.Count > 0) tiers.Add(clients);
                }
            }
        }
        _ = StartAsync(CancellationToken.None);
        Task starting;
        lock (_gate) starting = _starting!;
        announcer.Start(tiers, TrackerKey);
        // Local discovery registers once its socket is bound (at once when already started).
        _ = starting.ContinueWith(_ =>
        {
            if (LocalDiscovery is { } lsd) announcer.RegisterLocalDiscovery(lsd);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        // Raised here, before the caller could subscribe to the announcer: the client-wide event carries them.
        foreach (var (detail, error) in errors) RaiseFailed(new PeerDiscoveryErrorEventArgs(PeerSource.Tracker, detail, error));
        return announcer;
    }

    /// <summary>The shared client of a tracker URL, or null for a URL handled elsewhere (ws/wss: the WebRTC part) or unknown.</summary>
    private ITrackerClient? GetTrackerClient(Uri uri)
    {
        if (_trackerClients.TryGetValue(uri.AbsoluteUri, out var existing)) return existing;
        ITrackerClient? client;
        if (_options.TrackerClientFactory is { } factory)
        {
            client = factory(uri);
        }
        else
        {
            client = uri.Scheme switch
            {
                "http" or "https" => new HttpTrackerClient(uri, _http),
                "udp" => new UdpTrackerClient(uri, CreateUdpOptions()),
                "ws" or "wss" => null, // WebSocket trackers exchange WebRTC offers: the WebRTC layer handles them.
                _ => throw new ArgumentException($"Unsupported tracker scheme '{uri.Scheme}'.", nameof(uri)),
            };
        }
        if (client is null) return null;
        if (_trackerClients.Count >= _options.MaxTrackerClients)
        {
            client.Dispose();
            throw new InvalidOperationException($"More than {_options.MaxTrackerClients} tracker URLs in use.");
        }
        _trackerClients[uri.AbsoluteUri] = client;
        return client;
    }

    private UdpTrackerClientOptions CreateUdpOptions()
    {
        var source = _options.UdpTrackerOptions;
        return new UdpTrackerClientOptions
        {
            InitialTimeout = source?.InitialTimeout ?? TimeSpan.FromSeconds(15),
            MaxRetries = source?.MaxRetries ?? 3,
            ConnectionIdLifetime = source?.ConnectionIdLifetime ?? TimeSpan.FromMinutes(1),
            TimeProvider = _options.TimeProvider,
        };
    }

    internal void Unregister(TorrentAnnouncer announcer)
    {
        lock (_gate) _announcers.Remove(announcer);
    }

    private void RaiseFailed(PeerDiscoveryErrorEventArgs args)
    {
        _logger.LogDebug(args.Error, "{Source} failed: {Detail}", args.Source, args.Detail);
        try
        {
            Failed?.Invoke(this, args);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogWarning(e, "A Failed handler threw");
        }
    }

    /// <summary>Disposes every registration (each sends <c>stopped</c>, bounded in time), then the DHT node it created, local discovery and the tracker clients.</summary>
    public async ValueTask DisposeAsync()
    {
        TorrentAnnouncer[] announcers;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            announcers = [.. _announcers];
        }
        await Task.WhenAll(announcers.Select(a => a.DisposeAsync().AsTask())).ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_starting is { } starting)
        {
            try
            {
                await starting.ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _logger.LogDebug(e, "Start failed");
            }
        }
        _dhtReady.TrySetResult(null);
        DhtNode? dht;
        lock (_gate) dht = _ownedDht;
        if (dht is not null) await dht.DisposeAsync().ConfigureAwait(false);
        if (LocalDiscovery is { } lsd) await lsd.DisposeAsync().ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var client in _trackerClients.Values) client.Dispose();
            _trackerClients.Clear();
        }
        _ownedHttp?.Dispose();
        _stop.Dispose();
        DhtLookups.Dispose();
    }
}
