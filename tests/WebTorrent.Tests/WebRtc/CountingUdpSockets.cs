using System.Net;
using WebRtc.Ice;

namespace WebTorrent.Tests.WebRtc;

/// <summary>Real UDP sockets for ICE, counted: how many are open now and how many were ever bound.</summary>
internal sealed class CountingUdpSockets : IUdpSocketFactory
{
    private int _open;
    private int _bound;

    public int Open => Volatile.Read(ref _open);

    public int Bound => Volatile.Read(ref _bound);

    public IUdpSocket Bind(IPEndPoint localEndPoint)
    {
        var socket = SystemUdpSocketFactory.Instance.Bind(localEndPoint);
        Interlocked.Increment(ref _open);
        Interlocked.Increment(ref _bound);
        return new Counted(socket, this);
    }

    private sealed class Counted(IUdpSocket inner, CountingUdpSockets owner) : IUdpSocket
    {
        private int _disposed;

        public IPEndPoint LocalEndPoint => inner.LocalEndPoint;

        public void Send(ReadOnlySpan<byte> datagram, IPEndPoint remoteEndPoint) => inner.Send(datagram, remoteEndPoint);

        public ValueTask<UdpReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) => inner.ReceiveAsync(buffer, cancellationToken);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref owner._open);
            inner.Dispose();
        }
    }
}
