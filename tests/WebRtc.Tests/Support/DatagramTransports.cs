using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using WebRtc.Transport;
using WebTorrent.TestSupport;

namespace WebRtc.Tests.Support;

/// <summary>Turns a <see cref="VirtualUdpSocket"/> and a fixed remote endpoint into an <see cref="IDatagramTransport"/>.</summary>
public sealed class VirtualDatagramTransport(VirtualUdpSocket socket, IPEndPoint remote, int maxDatagramSize = 1200) : IDatagramTransport
{
    public int MaxDatagramSize => maxDatagramSize;

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
    {
        if (datagram.Length > maxDatagramSize) throw new ArgumentException("datagram too large");
        socket.Send(datagram.Span, remote);
        return ValueTask.CompletedTask;
    }

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            var d = await socket.ReceiveAsync(cancellationToken);
            d.Payload.CopyTo(buffer);
            return d.Payload.Length;
        }
        catch (ChannelClosedException)
        {
            return 0;
        }
    }

    public ValueTask DisposeAsync()
    {
        socket.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Two transports connected through <paramref name="network"/> (hosts 10.0.0.1 and 10.0.0.2).</summary>
    public static (VirtualDatagramTransport A, VirtualDatagramTransport B) CreatePair(VirtualNetwork network, int maxDatagramSize = 1200)
    {
        var a = network.Bind("10.0.0.1");
        var b = network.Bind("10.0.0.2");
        return (new VirtualDatagramTransport(a, b.LocalEndPoint, maxDatagramSize), new VirtualDatagramTransport(b, a.LocalEndPoint, maxDatagramSize));
    }
}

/// <summary>A plain UDP socket on 127.0.0.1 as an <see cref="IDatagramTransport"/>.</summary>
public sealed class UdpDatagramTransport : IDatagramTransport
{
    private readonly Socket _socket;
    private readonly IPEndPoint _remote;

    private UdpDatagramTransport(Socket socket, IPEndPoint remote, int maxDatagramSize)
    {
        _socket = socket;
        _remote = remote;
        MaxDatagramSize = maxDatagramSize;
    }

    public int MaxDatagramSize { get; }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default) =>
        await _socket.SendToAsync(datagram, SocketFlags.None, _remote, cancellationToken);

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
        catch (SocketException)
        {
            return 0;
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    public static (UdpDatagramTransport A, UdpDatagramTransport B) CreateLoopbackPair(int maxDatagramSize = 1200)
    {
        var a = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var b = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        a.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        b.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        a.ReceiveBufferSize = b.ReceiveBufferSize = 4 << 20;
        a.SendBufferSize = b.SendBufferSize = 4 << 20;
        return (new UdpDatagramTransport(a, (IPEndPoint)b.LocalEndPoint!, maxDatagramSize),
                new UdpDatagramTransport(b, (IPEndPoint)a.LocalEndPoint!, maxDatagramSize));
    }
}
