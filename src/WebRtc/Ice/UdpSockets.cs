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

/// <summary>A UDP socket that can send equal-size datagrams in one call (Linux UDP GSO).</summary>
internal interface ISegmentingUdpSocket
{
    /// <summary>Sends <paramref name="buffer"/> as datagrams of <paramref name="segmentSize"/> bytes (the last may be shorter); false, having sent nothing, when the OS cannot.</summary>
    bool TrySendSegments(ReadOnlySpan<byte> buffer, int segmentSize, IPEndPoint remoteEndPoint);
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

    /// <summary>
    /// The socket receive buffer asked for (the OS caps it, on Linux at <c>net.core.rmem_max</c>). A burst of a full
    /// congestion window must fit while the receive loop waits for a core, or it is lost and SCTP falls back to its
    /// retransmission timer. Default 4 MiB.
    /// </summary>
    public int ReceiveBufferSize { get; init; } = 4 << 20;

    /// <summary>The socket send buffer asked for. Default 1 MiB.</summary>
    public int SendBufferSize { get; init; } = 1 << 20;

    /// <inheritdoc />
    public IUdpSocket Bind(IPEndPoint localEndPoint)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        var socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (localEndPoint.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = false;
            socket.ReceiveBufferSize = ReceiveBufferSize;
            socket.SendBufferSize = SendBufferSize;
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
    private sealed class SystemUdpSocket(Socket socket) : IUdpSocket, ISegmentingUdpSocket
    {
        private const int SolUdp = 17;
        private const int UdpSegment = 103; // Linux UDP_SEGMENT: the socket's GSO segment size
        private const int MaxSegments = 64;
        private int _segmentSize;
        private bool _segmentingUnsupported = !OperatingSystem.IsLinux();
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
                    // A datagram longer than the segment size left set by a batch would be split: clear it first.
                    if (_segmentSize != 0 && datagram.Length > _segmentSize) SetSegmentSize(0);
                    socket.SendTo(datagram, SocketFlags.None, Destination(remoteEndPoint));
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

        public bool TrySendSegments(ReadOnlySpan<byte> buffer, int segmentSize, IPEndPoint remoteEndPoint)
        {
            if (remoteEndPoint.AddressFamily != socket.AddressFamily || segmentSize <= 0 || buffer.Length > 65000
                || (buffer.Length + segmentSize - 1) / segmentSize > MaxSegments)
            {
                return false;
            }
            lock (_sendGate)
            {
                if (_segmentingUnsupported) return false;
                try
                {
                    if (_segmentSize != segmentSize) SetSegmentSize(segmentSize);
                    socket.SendTo(buffer, SocketFlags.None, Destination(remoteEndPoint));
                    return true;
                }
                catch (SocketException)
                {
                    // No GSO here (old kernel, no checksum offload on the route): a failed send sent nothing.
                    _segmentingUnsupported = true;
                    try
                    {
                        SetSegmentSize(0);
                    }
                    catch (SocketException)
                    {
                    }
                    return false;
                }
                catch (ObjectDisposedException)
                {
                    return true; // closed: like any UDP send, lost
                }
            }
        }

        private void SetSegmentSize(int size)
        {
            Span<byte> value = stackalloc byte[4];
            BitConverter.TryWriteBytes(value, size); // an int in host byte order, as setsockopt takes it
            _segmentSize = size;
            socket.SetRawSocketOption(SolUdp, UdpSegment, value);
        }

        private SocketAddress Destination(IPEndPoint remoteEndPoint)
        {
            if (!ReferenceEquals(remoteEndPoint, _lastDestination))
            {
                _lastDestinationAddress = remoteEndPoint.Serialize();
                _lastDestination = remoteEndPoint;
            }
            return _lastDestinationAddress!;
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
