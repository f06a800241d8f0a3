using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace WebRtc.Ice.Turn;

/// <summary>
/// A TURN client over UDP (RFC 8656) with long-term credentials (RFC 8489): allocates a relayed address, creates a
/// permission for each peer it sends to, sends through Send indications and, once a peer is active, through a bound
/// channel's ChannelData; refreshes the allocation, permissions and channels on its <see cref="TimeProvider"/>, and
/// deletes the allocation when disposed. <see cref="RelaySocket"/> exposes the allocation as an <see cref="IUdpSocket"/>.
/// </summary>
public sealed class TurnClient : IAsyncDisposable
{
    private const int MaxChallengeRetries = 2; // one 401 to learn the realm, one 438 for a nonce that went stale
    private const int MaxRequestSize = 1024;

    private readonly TurnClientOptions _options;
    private readonly IUdpSocketFactory _socketFactory;
    private readonly IPAddress _localAddress;
    private readonly object _gate = new();
    private readonly LongTermCredentials _credentials;
    private readonly TurnTransactions _transactions;
    private readonly TurnPermissions _permissions;
    private readonly TurnChannels _channels;
    private readonly TurnRefreshSchedule _schedule;
    private readonly CancellationTokenSource _closing = new();
    private IUdpSocket? _socket;
    private TurnRelaySocket? _relay;

    /// <summary>Creates a client of <paramref name="server"/>; nothing is sent before <see cref="AllocateAsync"/>.</summary>
    /// <param name="server">The server and credentials.</param>
    /// <param name="options">Lifetimes, timers and limits.</param>
    /// <param name="socketFactory">Binds the socket to the server (the system's by default).</param>
    /// <param name="localAddress">The local address to bind; the wildcard address of the server's family by default.</param>
    public TurnClient(TurnServer server, TurnClientOptions? options = null, IUdpSocketFactory? socketFactory = null, IPAddress? localAddress = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        _options = options ?? new TurnClientOptions();
        _options.Validate();
        Server = server;
        _socketFactory = socketFactory ?? SystemUdpSocketFactory.Instance;
        _localAddress = localAddress ?? (server.EndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any);
        _credentials = new LongTermCredentials(server.Username, server.Password);
        _transactions = new TurnTransactions(_options, SendToServer);
        _permissions = new TurnPermissions(_options.MaxPermissions, _options.MaxDatagramsAwaitingPermission);
        _channels = new TurnChannels(_options.MaxChannels);
        _schedule = new TurnRefreshSchedule(_options.TimeProvider, OnRefreshDue);
    }

    /// <summary>The server.</summary>
    public TurnServer Server { get; }

    /// <summary>The allocation's state.</summary>
    public TurnAllocationState State { get; private set; }

    /// <summary>The relayed transport address, once allocated.</summary>
    public IPEndPoint? RelayedEndPoint { get; private set; }

    /// <summary>Our address as the server saw it (XOR-MAPPED-ADDRESS of the Allocate response), once allocated.</summary>
    public IPEndPoint? MappedEndPoint { get; private set; }

    /// <summary>The lifetime the server granted at the last Allocate or Refresh.</summary>
    public TimeSpan Lifetime { get; private set; }

    /// <summary>The allocation as a socket bound to <see cref="RelayedEndPoint"/>.</summary>
    /// <exception cref="InvalidOperationException">Not allocated yet.</exception>
    public IUdpSocket RelaySocket => _relay ?? throw new InvalidOperationException("The TURN allocation does not exist yet.");

    /// <summary>Whether a permission for <paramref name="peer"/> is installed.</summary>
    public bool HasPermission(IPAddress peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        lock (_gate) return _permissions.IsInstalled(peer);
    }

    /// <summary>The channel bound to <paramref name="peer"/>, if one is.</summary>
    public ushort? GetChannel(IPEndPoint peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        lock (_gate) return _channels.BoundChannel(peer);
    }

    /// <summary>Binds the socket and allocates a UDP relay, answering the server's authentication challenge.</summary>
    /// <returns>The allocation as a socket (<see cref="RelaySocket"/>).</returns>
    /// <exception cref="TurnException">The server refused (wrong credentials, quota...) or answered without integrity.</exception>
    /// <exception cref="TimeoutException">The server never answered.</exception>
    public async Task<IUdpSocket> AllocateAsync(CancellationToken cancellationToken = default)
    {
        IUdpSocket socket;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(State == TurnAllocationState.Closed, this);
            if (State != TurnAllocationState.New) throw new InvalidOperationException("AllocateAsync was already called.");
            State = TurnAllocationState.Allocating;
            socket = _socket = _socketFactory.Bind(new IPEndPoint(_localAddress, 0));
        }
        _ = ReceiveLoopAsync(socket, _closing.Token);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        try
        {
            var response = await RequestAsync(StunMethod.Allocate, (ref StunMessageWriter w) =>
            {
                w.AddRequestedTransportUdp();
                w.AddLifetime(_options.RequestedLifetime);
            }, linked.Token);
            var relayed = response.Attributes.XorRelayedAddress ?? throw new TurnException("The Allocate response has no XOR-RELAYED-ADDRESS.");
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(State != TurnAllocationState.Allocating, this); // disposed meanwhile
                RelayedEndPoint = relayed;
                MappedEndPoint = response.Message.XorMappedAddress;
                Lifetime = response.Attributes.Lifetime ?? _options.RequestedLifetime;
                _relay = new TurnRelaySocket(this, relayed, _options.ReceiveQueueCapacity);
                State = TurnAllocationState.Allocated;
                _schedule.Schedule(new TurnRefresh(TurnRefreshKind.Allocation, null), TurnRefreshSchedule.AllocationRefreshDelay(Lifetime));
                return _relay;
            }
        }
        catch
        {
            lock (_gate)
            {
                if (State == TurnAllocationState.Allocating) State = TurnAllocationState.Failed;
            }
            throw;
        }
    }

    /// <summary>Refreshes the allocation now (it is also refreshed by itself before it expires).</summary>
    /// <exception cref="TurnException">The server refused, for example 437 when the allocation is gone.</exception>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (State != TurnAllocationState.Allocated) throw new InvalidOperationException($"The allocation is {State}.");
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        var response = await RequestAsync(StunMethod.Refresh, (ref StunMessageWriter w) => w.AddLifetime(_options.RequestedLifetime), linked.Token);
        lock (_gate)
        {
            Lifetime = response.Attributes.Lifetime ?? _options.RequestedLifetime;
            if (State == TurnAllocationState.Allocated)
                _schedule.Schedule(new TurnRefresh(TurnRefreshKind.Allocation, null), TurnRefreshSchedule.AllocationRefreshDelay(Lifetime));
        }
    }

    /// <summary>Deletes the allocation (a Refresh with LIFETIME 0, waited for up to <see cref="TurnClientOptions.CloseTimeout"/>) and closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        bool allocated;
        lock (_gate)
        {
            if (State == TurnAllocationState.Closed) return;
            allocated = State == TurnAllocationState.Allocated;
            State = TurnAllocationState.Closed;
        }
        _schedule.Dispose();
        if (allocated)
        {
            try
            {
                using var timeout = new CancellationTokenSource(_options.CloseTimeout, _options.TimeProvider);
                await RequestAsync(StunMethod.Refresh, (ref StunMessageWriter w) => w.AddLifetime(TimeSpan.Zero), timeout.Token);
            }
            catch (Exception e) when (e is TurnException or TimeoutException or OperationCanceledException)
            {
                // The server expires the allocation by itself when its lifetime ends.
            }
        }
        await _closing.CancelAsync();
        _socket?.Dispose();
        _relay?.Complete();
        _closing.Dispose();
    }

    // ---------------------------------------------------------------- sending through the relay

    /// <summary>Sends <paramref name="datagram"/> to <paramref name="peer"/> through the relay (the relay socket's Send).</summary>
    internal void Send(ReadOnlySpan<byte> datagram, IPEndPoint peer)
    {
        var createPermission = false;
        TurnChannelBinding? reserved = null;
        lock (_gate)
        {
            if (State != TurnAllocationState.Allocated) return;
            if (_channels.BoundChannel(peer) is { } channel)
            {
                SendChannelDataLocked(channel, datagram);
                return;
            }
            switch (_permissions.OnSend(peer, datagram))
            {
                case TurnSendAction.Send:
                    SendIndicationLocked(peer, datagram);
                    reserved = _channels.TryReserve(peer);
                    break;
                case TurnSendAction.CreateAndWait:
                    createPermission = true;
                    break;
                default:
                    return;
            }
        }
        if (createPermission) _ = CreatePermissionAsync(peer);
        if (reserved is not null) _ = BindChannelAsync(reserved);
    }

    private void SendChannelDataLocked(ushort channel, ReadOnlySpan<byte> datagram)
    {
        var length = ChannelData.GetFramedLength(datagram.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        var written = ChannelData.Write(channel, datagram, buffer);
        _socket!.Send(buffer.AsSpan(0, written), Server.EndPoint);
        ArrayPool<byte>.Shared.Return(buffer);
    }

    private void SendIndicationLocked(IPEndPoint peer, ReadOnlySpan<byte> datagram)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(StunMessage.HeaderLength + 24 + 4 + datagram.Length + 3);
        var w = new StunMessageWriter(buffer, StunClass.Indication, StunMethod.Send, StunTransactionId.NewRandom());
        w.AddXorPeerAddress(peer);
        w.AddData(datagram);
        _socket!.Send(w.Written, Server.EndPoint);
        ArrayPool<byte>.Shared.Return(buffer);
    }

    private async Task CreatePermissionAsync(IPEndPoint peer)
    {
        var key = new TurnRefresh(TurnRefreshKind.Permission, new IPEndPoint(peer.Address, 0));
        try
        {
            await RequestAsync(StunMethod.CreatePermission, (ref StunMessageWriter w) => w.AddXorPeerAddress(peer), _closing.Token);
            lock (_gate)
            {
                if (State != TurnAllocationState.Allocated) return;
                foreach (var (datagram, to) in _permissions.Install(peer.Address)) SendIndicationLocked(to, datagram);
                _schedule.Schedule(key, _options.PermissionRefreshInterval);
            }
        }
        catch (Exception e) when (e is TurnException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            // Without a permission the peer is unreachable; a later send asks again.
            lock (_gate)
            {
                _permissions.Remove(peer.Address);
                _schedule.Remove(key);
            }
        }
    }

    private async Task BindChannelAsync(TurnChannelBinding binding)
    {
        var key = new TurnRefresh(TurnRefreshKind.Channel, binding.Peer);
        try
        {
            await RequestAsync(StunMethod.ChannelBind, (ref StunMessageWriter w) =>
            {
                w.AddChannelNumber(binding.Number);
                w.AddXorPeerAddress(binding.Peer);
            }, _closing.Token);
            lock (_gate)
            {
                if (State != TurnAllocationState.Allocated) return;
                binding.Bound = true;
                _schedule.Schedule(key, _options.ChannelRefreshInterval);
            }
        }
        catch (Exception e) when (e is TurnException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            // Back to Send indications for this peer.
            lock (_gate)
            {
                _channels.Release(binding);
                _schedule.Remove(key);
            }
        }
    }

    private void OnRefreshDue(TurnRefresh item)
    {
        switch (item.Kind)
        {
            case TurnRefreshKind.Allocation:
                _ = RefreshOrFailAsync();
                break;
            case TurnRefreshKind.Permission:
                IPEndPoint? peer;
                lock (_gate) peer = _permissions.PeerOf(item.Peer!.Address);
                if (peer is not null) _ = CreatePermissionAsync(peer);
                break;
            default:
                TurnChannelBinding? binding;
                lock (_gate) binding = _channels.BindingOf(item.Peer!);
                if (binding is not null) _ = BindChannelAsync(binding);
                break;
        }
    }

    private async Task RefreshOrFailAsync()
    {
        try
        {
            await RefreshAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is TurnException or TimeoutException)
        {
            lock (_gate)
            {
                if (State == TurnAllocationState.Allocated) State = TurnAllocationState.Failed;
            }
            _relay?.Complete();
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // Closed meanwhile.
        }
    }

    // ---------------------------------------------------------------- requests

    private delegate void AttributeWriter(ref StunMessageWriter writer);

    private async Task<TurnResponse> RequestAsync(StunMethod method, AttributeWriter attributes, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var id = StunTransactionId.NewRandom();
            byte[] request;
            lock (_gate) request = BuildRequestLocked(method, id, attributes);
            var response = await _transactions.SendAsync(id, request, cancellationToken);
            var message = response.Message;
            lock (_gate)
            {
                if (message.Class == StunClass.SuccessResponse)
                {
                    if (!_credentials.Verify(message, response.Datagram))
                        throw new TurnException($"The TURN {method} response has no valid MESSAGE-INTEGRITY.");
                    return response;
                }
                var code = message.ErrorCode ?? 0;
                if (attempt < MaxChallengeRetries && _credentials.TryAcceptChallenge(code, response.Attributes)) continue;
                throw new TurnException(code, $"TURN {method} failed: {code} {message.ErrorReason}".TrimEnd());
            }
        }
    }

    private byte[] BuildRequestLocked(StunMethod method, StunTransactionId id, AttributeWriter attributes)
    {
        Span<byte> buffer = stackalloc byte[MaxRequestSize];
        var w = new StunMessageWriter(buffer, StunClass.Request, method, id);
        attributes(ref w);
        _credentials.Sign(ref w);
        w.AddFingerprint();
        return w.Written.ToArray();
    }

    private void SendToServer(byte[] datagram)
    {
        IUdpSocket? socket;
        lock (_gate) socket = _socket;
        socket?.Send(datagram, Server.EndPoint);
    }

    // ---------------------------------------------------------------- receiving

    private async Task ReceiveLoopAsync(IUdpSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        while (!cancellationToken.IsCancellationRequested)
        {
            UdpReceiveResult result;
            try
            {
                result = await socket.ReceiveAsync(buffer, cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or ChannelClosedException or SocketException)
            {
                return;
            }
            var from = result.RemoteEndPoint.Address.IsIPv4MappedToIPv6
                ? new IPEndPoint(result.RemoteEndPoint.Address.MapToIPv4(), result.RemoteEndPoint.Port)
                : result.RemoteEndPoint;
            if (!from.Equals(Server.EndPoint)) continue; // only the server speaks to this socket
            OnDatagram(buffer.AsSpan(0, result.Length));
        }
    }

    private void OnDatagram(ReadOnlySpan<byte> datagram)
    {
        if (ChannelData.IsChannelData(datagram))
        {
            if (!ChannelData.TryRead(datagram, out var channel, out var data)) return;
            IPEndPoint? peer;
            lock (_gate) peer = _channels.PeerOf(channel);
            if (peer is not null) _relay?.Deliver(datagram[data], peer);
            return;
        }
        if (!StunMessage.TryParse(datagram, out var message)) return;
        TurnAttributes attributes;
        try
        {
            attributes = TurnAttributes.Read(datagram);
        }
        catch (StunFormatException)
        {
            return;
        }
        switch (message!.Class)
        {
            case StunClass.Indication when message.Method == StunMethod.Data:
                if (attributes.XorPeerAddress is not { } peer || attributes.Data is not { } range) return;
                lock (_gate) _channels.MarkHeard(peer);
                _relay?.Deliver(datagram[range], peer);
                break;
            case StunClass.SuccessResponse or StunClass.ErrorResponse:
                _transactions.TryComplete(new TurnResponse(message, datagram.ToArray(), attributes));
                break;
            default:
                break;
        }
    }
}
