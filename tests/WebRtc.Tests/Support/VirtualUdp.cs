using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using WebRtc.Ice;
using WebTorrent.TestSupport;

namespace WebRtc.Tests.Support;

/// <summary>Adapts the shared in-memory network to the ICE agent's socket interface.</summary>
internal sealed class VirtualUdpFactory(VirtualNetwork network) : IUdpSocketFactory
{
    public IUdpSocket Bind(IPEndPoint localEndPoint) => new VirtualSocket(network.Bind(localEndPoint));

    private sealed class VirtualSocket(VirtualUdpSocket socket) : IUdpSocket
    {
        public IPEndPoint LocalEndPoint => socket.LocalEndPoint;

        public void Send(ReadOnlySpan<byte> datagram, IPEndPoint remoteEndPoint) => socket.Send(datagram, remoteEndPoint);

        public async ValueTask<UdpReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            try
            {
                var d = await socket.ReceiveAsync(cancellationToken);
                d.Payload.CopyTo(buffer);
                return new UdpReceiveResult(d.Payload.Length, d.From);
            }
            catch (ChannelClosedException e)
            {
                throw new ObjectDisposedException("socket closed", e);
            }
        }

        public void Dispose() => socket.Dispose();
    }
}

internal static class Clock
{
    /// <summary>Advances fake time in small steps, letting real continuations run, until the condition holds.</summary>
    public static async Task RunUntilAsync(FakeTimeProvider time, Func<bool> condition, TimeSpan maxSimulated, TimeSpan? step = null)
    {
        var s = step ?? TimeSpan.FromMilliseconds(10);
        var end = time.GetUtcNow() + maxSimulated;
        while (!condition())
        {
            if (time.GetUtcNow() >= end) throw new TimeoutException($"Condition not met within {maxSimulated} of simulated time.");
            time.Advance(s);
            await Task.Delay(1);
        }
    }
}
