using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MagnetUri;
using Microsoft.Extensions.Logging;
using WebTorrent.Engine;

namespace WebTorrent.Discovery;

/// <summary>
/// BEP 14 local service discovery: BT-SEARCH messages multicast on the local network (239.192.152.143:6771, and
/// [ff15::efc0:988f]:6771 where IPv6 multicast works). Announces every registered torrent on registration and at an
/// interval; hands the peers other hosts announce to the registered torrents. Received messages are rate limited and
/// parsed with bounds; our own messages are recognised by their cookie and ignored. Created and driven by
/// <see cref="PeerDiscovery"/> (<see cref="PeerDiscovery.LocalDiscovery"/>); public for its state and counters.
/// </summary>
public sealed class LocalServiceDiscovery : IAsyncDisposable
{
    /// <summary>The BEP 14 IPv4 group.</summary>
    public static readonly IPAddress DefaultGroupV4 = IPAddress.Parse("239.192.152.143");

    /// <summary>The BEP 14 IPv6 group.</summary>
    public static readonly IPAddress DefaultGroupV6 = IPAddress.Parse("ff15::efc0:988f");

    /// <summary>The BEP 14 port.</summary>
    public const int DefaultPort = 6771;

    private const int MaxHashesPerSend = 20;
    private readonly PeerDiscoveryOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Dictionary<InfoHash, List<Registration>> _registrations = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(Socket Socket, IPEndPoint Group)> _sockets = [];
    private readonly List<Task> _loops = [];
    private readonly TokenBucket _receiveLimit;
    private ITimer? _timer;
    private bool _disposed;

    /// <summary>Creates the service; <see cref="Start"/> binds its sockets.</summary>
    internal LocalServiceDiscovery(PeerDiscoveryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = options.TimeProvider;
        _logger = (options.LoggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger<LocalServiceDiscovery>();
        Cookie = ((uint)(options.Random ?? Random.Shared).NextInt64(1, uint.MaxValue)).ToString("x8", CultureInfo.InvariantCulture);
        _receiveLimit = new TokenBucket(options.LocalDiscoveryMaxMessagesPerSecond, _time, burstSeconds: 2);
    }

    /// <summary>Our cookie: messages carrying it are ours and ignored.</summary>
    public string Cookie { get; }

    /// <summary>The UDP port in use (the option's, or the one bound when it was 0); 0 before <see cref="Start"/>.</summary>
    public int Port { get; private set; }

    /// <summary>True when an IPv6 socket joined the IPv6 group.</summary>
    public bool IPv6Enabled { get; private set; }

    /// <summary>Messages received and handled.</summary>
    public long MessagesReceived => Interlocked.Read(ref _received);

    /// <summary>Messages dropped: unreadable, or over the rate limit.</summary>
    public long MessagesDropped => Interlocked.Read(ref _dropped);

    /// <summary>Our own messages heard back (multicast loopback) and ignored.</summary>
    public long OwnMessages => Interlocked.Read(ref _own);

    private long _received;
    private long _dropped;
    private long _own;

    /// <summary>Raised when a socket fails or a message cannot be read; never thrown.</summary>
    public event EventHandler<PeerDiscoveryErrorEventArgs>? Failed;

    /// <summary>Binds the IPv4 socket (required) and the IPv6 one (best effort) and starts receiving and the announce timer.</summary>
    /// <exception cref="SocketException">The IPv4 socket cannot be bound or cannot join the group.</exception>
    internal void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_sockets.Count > 0) return;
        }
        var v4 = CreateV4();
        var port = ((IPEndPoint)v4.LocalEndPoint!).Port;
        lock (_gate)
        {
            Port = port;
            _sockets.Add((v4, new IPEndPoint(_options.LocalDiscoveryGroup, port)));
        }
        if (_options.LocalDiscoveryGroupV6 is { } group6 && Socket.OSSupportsIPv6)
        {
            try
            {
                var v6 = CreateV6(group6, port);
                lock (_gate) _sockets.Add((v6, new IPEndPoint(group6, port)));
                IPv6Enabled = true;
            }
            catch (SocketException e)
            {
                _logger.LogDebug(e, "IPv6 local discovery unavailable");
            }
        }
        lock (_gate)
        {
            foreach (var (socket, _) in _sockets) _loops.Add(Task.Run(() => ReceiveLoopAsync(socket)));
            _timer = _time.CreateTimer(static s => ((LocalServiceDiscovery)s!).AnnounceAll(), this, _options.LocalDiscoveryInterval, _options.LocalDiscoveryInterval);
        }
    }

    /// <summary>Registers a torrent: announced now (when <paramref name="listenPort"/> is set) and at every interval; peers found go to <paramref name="onPeer"/>.</summary>
    internal Registration Register(InfoHash infoHash, int listenPort, Action<IPEndPoint> onPeer)
    {
        var registration = new Registration(this, infoHash, listenPort, onPeer);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_registrations.TryGetValue(infoHash, out var list)) _registrations[infoHash] = list = [];
            list.Add(registration);
        }
        Announce(registration);
        return registration;
    }

    /// <summary>Announces one registration now unless it was announced within the minimum interval.</summary>
    internal void Announce(Registration registration)
    {
        if (registration.ListenPort == 0) return;
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_disposed || _sockets.Count == 0) return;
            if (registration.LastAnnounce is { } last && now - last < _options.LocalDiscoveryMinInterval) return;
            registration.LastAnnounce = now;
        }
        _ = SendAsync(registration.ListenPort, [registration.InfoHash]);
    }

    private void AnnounceAll()
    {
        var now = _time.GetUtcNow();
        var byPort = new Dictionary<int, List<InfoHash>>();
        lock (_gate)
        {
            if (_disposed) return;
            foreach (var list in _registrations.Values)
            {
                foreach (var registration in list)
                {
                    if (registration.ListenPort == 0) continue;
                    registration.LastAnnounce = now;
                    if (!byPort.TryGetValue(registration.ListenPort, out var hashes)) byPort[registration.ListenPort] = hashes = [];
                    if (!hashes.Contains(registration.InfoHash)) hashes.Add(registration.InfoHash);
                }
            }
        }
        foreach (var (port, hashes) in byPort) _ = SendAsync(port, hashes);
    }

    private async Task SendAsync(int listenPort, List<InfoHash> hashes)
    {
        List<(Socket Socket, IPEndPoint Group)> sockets;
        lock (_gate) sockets = [.. _sockets];
        for (var start = 0; start < hashes.Count; start += MaxHashesPerSend)
        {
            var chunk = hashes.Skip(start).Take(MaxHashesPerSend).ToList();
            foreach (var (socket, group) in sockets)
            {
                var host = group.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{group.Address}]:{group.Port}" : $"{group.Address}:{group.Port}";
                var bytes = new LsdMessage(host, listenPort, chunk, Cookie).ToArray();
                try
                {
                    await socket.SendToAsync(bytes, SocketFlags.None, group, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (SocketException e)
                {
                    RaiseFailed($"send to {group}", e);
                }
            }
        }
    }

    private async Task ReceiveLoopAsync(Socket socket)
    {
        var buffer = new byte[LsdMessage.MaxMessageSize + 1];
        EndPoint any = socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult result;
            try
            {
                result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                if (_stop.IsCancellationRequested) return;
                RaiseFailed("receive", e);
                continue;
            }
            try
            {
                Handle(buffer.AsSpan(0, result.ReceivedBytes), (IPEndPoint)result.RemoteEndPoint);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Nothing a datagram carries may stop the loop; a handler's failure is reported and the loop goes on.
                Interlocked.Increment(ref _dropped);
                RaiseFailed("handling a message from " + result.RemoteEndPoint, e);
            }
        }
    }

    /// <summary>Handles one received datagram (internal for tests).</summary>
    internal void Handle(ReadOnlySpan<byte> datagram, IPEndPoint source)
    {
        if (!_receiveLimit.TryTake(1))
        {
            Interlocked.Increment(ref _dropped);
            return;
        }
        if (!LsdMessage.TryParse(datagram, _options.LocalDiscoveryMaxInfoHashes, out var message, out var error))
        {
            Interlocked.Increment(ref _dropped);
            _logger.LogDebug("Unreadable local discovery message from {Source}: {Error}", source, error);
            return;
        }
        if (message!.Cookie == Cookie)
        {
            Interlocked.Increment(ref _own);
            return;
        }
        Interlocked.Increment(ref _received);
        var address = source.Address.IsIPv4MappedToIPv6 ? source.Address.MapToIPv4() : source.Address;
        var peer = new IPEndPoint(address, message.Port);
        List<Registration>? targets = null;
        lock (_gate)
        {
            foreach (var hash in message.InfoHashes)
            {
                if (_registrations.TryGetValue(hash, out var list)) (targets ??= []).AddRange(list);
            }
        }
        if (targets is null) return;
        foreach (var registration in targets) registration.OnPeer(peer);
    }

    private Socket CreateV4()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(IPAddress.Any, _options.LocalDiscoveryPort));
            var membership = _options.LocalDiscoveryInterface is { } local
                ? new MulticastOption(_options.LocalDiscoveryGroup, local)
                : new MulticastOption(_options.LocalDiscoveryGroup);
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, membership);
            if (_options.LocalDiscoveryInterface is { } iface)
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, iface.GetAddressBytes());
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, true);
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 1);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Socket CreateV6(IPAddress group, int port)
    {
        var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.DualMode = false;
            socket.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
            socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(group));
            socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastLoopback, true);
            socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastTimeToLive, 1);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void RaiseFailed(string detail, Exception error)
    {
        _logger.LogDebug(error, "Local discovery: {Detail}", detail);
        try
        {
            Failed?.Invoke(this, new PeerDiscoveryErrorEventArgs(PeerSource.LocalDiscovery, detail, error));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogWarning(e, "A local discovery Failed handler threw");
        }
    }

    private void Unregister(Registration registration)
    {
        lock (_gate)
        {
            if (_registrations.TryGetValue(registration.InfoHash, out var list) && list.Remove(registration) && list.Count == 0)
                _registrations.Remove(registration.InfoHash);
        }
    }

    /// <summary>Stops the timer and the receive loops and closes the sockets.</summary>
    public async ValueTask DisposeAsync()
    {
        List<Task> loops;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _timer?.Dispose();
            loops = [.. _loops];
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var (socket, _) in _sockets) socket.Dispose();
        await Task.WhenAll(loops).ConfigureAwait(false);
        _stop.Dispose();
    }

    internal sealed class Registration(LocalServiceDiscovery owner, InfoHash infoHash, int listenPort, Action<IPEndPoint> onPeer) : IDisposable
    {
        public InfoHash InfoHash { get; } = infoHash;

        public int ListenPort { get; } = listenPort;

        public Action<IPEndPoint> OnPeer { get; } = onPeer;

        public DateTimeOffset? LastAnnounce { get; set; }

        public void Dispose() => owner.Unregister(this);
    }
}
