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

    private sealed class SystemUdpSocket(Socket socket) : IUdpSocket
    {
        private readonly EndPoint _any = socket.AddressFamily == AddressFamily.InterNetworkV6
            ? new IPEndPoint(IPAddress.IPv6Any, 0)
            : new IPEndPoint(IPAddress.Any, 0);

        public IPEndPoint LocalEndPoint { get; } = (IPEndPoint)socket.LocalEndPoint!;

        public void Send(ReadOnlySpan<byte> datagram, IPEndPoint remoteEndPoint)
        {
            if (remoteEndPoint.AddressFamily != socket.AddressFamily) return;
            try
            {
                socket.SendTo(datagram, SocketFlags.None, remoteEndPoint);
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
                    var result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, _any, cancellationToken);
                    return new UdpReceiveResult(result.ReceivedBytes, (IPEndPoint)result.RemoteEndPoint);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
                {
                    // ICMP errors and oversized datagrams: skip and keep receiving.
                }
            }
        }

        public void Dispose() => socket.Dispose();
    }
}
