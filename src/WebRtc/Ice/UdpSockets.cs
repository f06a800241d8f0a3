using System.Net;
using System.Net.Sockets;

namespace WebRtc.Ice;

/// <summary>A datagram as received by an <see cref="IUdpSocket"/>: its length in the buffer and its source.</summary>
/// <param name="Length">Bytes written into the buffer.</param>
/// <param name="RemoteEndPoint">Where it came from.</param>
public readonly record struct UdpReceiveResult(int Length, IPEndPoint RemoteEndPoint);

/// <summary>
/// The UDP socket the ICE agent needs: fire-and-forget sends and async receives. Production uses
/// <see cref="SystemUdpSocketFactory"/>; tests plug in an in-memory network.
/// </summary>
public interface IUdpSocket : IDisposable
{
    /// <summary>The bound local endpoint (with the real port when bound to port 0).</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>Sends one datagram; like UDP, failures are silent.</summary>
    void Send(ReadOnlySpan<byte> datagram, IPEndPoint remoteEndPoint);

    /// <summary>
    /// Receives the next datagram into <paramref name="buffer"/>. Throws <see cref="ObjectDisposedException"/>
    /// (or another exception) once the socket is closed.
    /// </summary>
    ValueTask<UdpReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);
}

/// <summary>Binds <see cref="IUdpSocket"/>s.</summary>
public interface IUdpSocketFactory
{
    /// <summary>Binds a socket to <paramref name="localEndPoint"/> (port 0 picks a free port).</summary>
    IUdpSocket Bind(IPEndPoint localEndPoint);
}

/// <summary>Binds real <see cref="Socket"/>s.</summary>
public sealed class SystemUdpSocketFactory : IUdpSocketFactory
{
    /// <summary>The shared instance.</summary>
    public static SystemUdpSocketFactory Instance { get; } = new();

    /// <inheritdoc />
    public IUdpSocket Bind(IPEndPoint localEndPoint)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        var socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (localEndPoint.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = false;
            socket.ReceiveBufferSize = 1 << 20;
            socket.SendBufferSize = 1 << 20;
            socket.Bind(localEndPoint);
            return new SystemUdpSocket(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A UDP socket whose steady-state sends and receives allocate nothing: the remote address is serialized once
    /// per distinct endpoint (<see cref="SocketAddress"/> overloads), and a receive from the same source as the
    /// previous one returns the same <see cref="IPEndPoint"/> instance.
    /// </summary>
    private sealed class SystemUdpSocket(Socket socket) : IUdpSocket
    {
        private readonly object _sendGate = new();
        private readonly SocketAddress _received = new(socket.AddressFamily);
        private SocketAddress? _lastSourceAddress;
        private IPEndPoint? _lastSource;
        private IPEndPoint? _lastDestination;
        private SocketAddress? _lastDestinationAddress;

        public IPEndPoint LocalEndPoint { get; } = (IPEndPoint)socket.LocalEndPoint!;

        public void Send(ReadOnlySpan<byte> datagram, IPEndPoint remoteEndPoint)
        {
            if (remoteEndPoint.AddressFamily != socket.AddressFamily) return;
            try
            {
                lock (_sendGate)
                {
                    if (!ReferenceEquals(remoteEndPoint, _lastDestination))
                    {
                        _lastDestinationAddress = remoteEndPoint.Serialize();
                        _lastDestination = remoteEndPoint;
                    }
                    socket.SendTo(datagram, SocketFlags.None, _lastDestinationAddress!);
                }
            }
            catch (SocketException)
            {
                // UDP: an unreachable network is loss, not an error.
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public async ValueTask<UdpReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            while (true)
            {
                try
                {
                    var length = await socket.ReceiveFromAsync(buffer, SocketFlags.None, _received, cancellationToken);
                    return new UdpReceiveResult(length, Source());
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
                {
                    // ICMP errors and oversized datagrams: skip and keep receiving.
                }
            }
        }

        // Only the one receive loop calls this, so the cache needs no lock.
        private IPEndPoint Source()
        {
            if (_lastSource is not null && _received.Equals(_lastSourceAddress)) return _lastSource;
            var template = socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
            var source = (IPEndPoint)template.Create(_received);
            _lastSourceAddress ??= new SocketAddress(socket.AddressFamily, _received.Size);
            if (_lastSourceAddress.Size != _received.Size) _lastSourceAddress = new SocketAddress(socket.AddressFamily, _received.Size);
            _received.Buffer.Span[.._received.Size].CopyTo(_lastSourceAddress.Buffer.Span);
            _lastSource = source;
            return source;
        }

        public void Dispose() => socket.Dispose();
    }
}
