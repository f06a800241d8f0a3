using System.Net;
using System.Net.Sockets;

namespace WebTorrent.Dht.Transport;

/// <summary>
/// The DHT over UDP: one socket, a receive loop handing each datagram to the node. Bound to an IPv6 address
/// (e.g. <see cref="IPAddress.IPv6Any"/>) the socket is dual-mode and reaches IPv4 nodes too (BEP 32);
/// IPv4-mapped addresses are reported as plain IPv4. <see cref="DnsEndPoint"/> destinations (bootstrap routers)
/// are resolved on send.
/// </summary>
public sealed class UdpDhtTransport : IDhtTransport
{
    private const int MaxDatagram = 65_536;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private Task? _receiveLoop;
    private DhtDatagramHandler? _handler;

    private UdpDhtTransport(Socket socket)
    {
        _socket = socket;
        LocalEndPoint = Normalize((IPEndPoint)socket.LocalEndPoint!);
    }

    /// <inheritdoc/>
    public EndPoint LocalEndPoint { get; }

    /// <summary>Binds a UDP socket to <paramref name="localEndPoint"/> (port 0 for any free port).</summary>
    public static UdpDhtTransport Bind(IPEndPoint localEndPoint)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        var socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (localEndPoint.AddressFamily == AddressFamily.InterNetworkV6 && localEndPoint.Address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            if (OperatingSystem.IsWindows())
            {
                // Windows reports ICMP port-unreachable as a receive error (WSAECONNRESET): turn that off.
                const int SioUdpConnReset = -1744830452;
                socket.IOControl(SioUdpConnReset, [0, 0, 0, 0], null);
            }
            socket.Bind(localEndPoint);
            return new UdpDhtTransport(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Start(DhtDatagramHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (Interlocked.CompareExchange(ref _handler, handler, null) is not null) throw new InvalidOperationException("Already started.");
        _receiveLoop = Task.Run(ReceiveLoopAsync);
    }

    /// <inheritdoc/>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (destination is DnsEndPoint dns)
        {
            var addresses = await Dns.GetHostAddressesAsync(dns.Host, cancellationToken).ConfigureAwait(false);
            var address = addresses.FirstOrDefault(a => a.AddressFamily == _socket.AddressFamily || _socket.DualMode);
            if (address is null) return;
            destination = new IPEndPoint(address, dns.Port);
        }
        if (destination is not IPEndPoint ip) throw new ArgumentException("UDP reaches only IP endpoints.", nameof(destination));
        if (_socket.AddressFamily == AddressFamily.InterNetworkV6 && ip.AddressFamily == AddressFamily.InterNetwork)
            ip = new IPEndPoint(ip.Address.MapToIPv6(), ip.Port);
        else if (_socket.AddressFamily == AddressFamily.InterNetwork && ip.AddressFamily != AddressFamily.InterNetwork)
            return; // An IPv4 socket cannot reach IPv6 nodes: the datagram is lost, as UDP would lose it.
        try
        {
            await _socket.SendToAsync(datagram, SocketFlags.None, ip, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            // Unreachable networks and full buffers are losses for a datagram protocol, not errors.
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        if (_receiveLoop is not null)
        {
            try
            {
                await _receiveLoop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram, pinned: true);
        EndPoint any = _socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        var address = SocketAddressFor(any);
        while (!_stop.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, address, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // e.g. ICMP errors surfacing on some platforms; the socket stays usable.
            }
            var source = Normalize((IPEndPoint)any.Create(address));
            _handler!(buffer.AsSpan(0, received), source);
        }
    }

    private static SocketAddress SocketAddressFor(EndPoint endPoint) => endPoint.Serialize();

    private static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;
}
