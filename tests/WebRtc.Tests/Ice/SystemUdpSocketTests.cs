using System.Net;
using WebRtc.Ice;

namespace WebRtc.Tests.Ice;

/// <summary>The real UDP socket on loopback: source reuse, and segmented (GSO) sends split into datagrams.</summary>
public class SystemUdpSocketTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Segmented_send_arrives_as_separate_datagrams_and_a_later_long_datagram_stays_whole()
    {
        using var sender = SystemUdpSocketFactory.Instance.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var receiver = SystemUdpSocketFactory.Instance.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var cts = new CancellationTokenSource(Wait);
        const int segment = 1200;
        var batch = new byte[(10 * segment) + 500];
        new Random(3).NextBytes(batch);

        var segmenting = Assert.IsAssignableFrom<ISegmentingUdpSocket>(sender);
        var sent = segmenting.TrySendSegments(batch, segment, receiver.LocalEndPoint);
        if (!sent)
        {
            // Only Linux (4.18+, with checksum offload on the route) segments; elsewhere nothing may have been sent.
            Assert.False(OperatingSystem.IsLinux(), "UDP_SEGMENT is expected to work on Linux loopback");
            return;
        }

        var buffer = new byte[65536];
        for (var i = 0; i < 11; i++)
        {
            var result = await receiver.ReceiveAsync(buffer, cts.Token);
            var expected = batch.AsSpan(i * segment, Math.Min(segment, batch.Length - (i * segment)));
            Assert.Equal(expected.Length, result.Length);
            Assert.True(expected.SequenceEqual(buffer.AsSpan(0, result.Length)), $"segment {i} differs");
            Assert.Equal(sender.LocalEndPoint, result.RemoteEndPoint);
        }

        // The socket keeps the segment size; a single datagram longer than it must not be split.
        var single = new byte[1500];
        new Random(4).NextBytes(single);
        sender.Send(single, receiver.LocalEndPoint);
        var whole = await receiver.ReceiveAsync(buffer, cts.Token);
        Assert.Equal(single.Length, whole.Length);
        Assert.True(single.AsSpan().SequenceEqual(buffer.AsSpan(0, whole.Length)));

        // Too many segments for one call: refused, nothing sent, and the next datagram is the next one received.
        Assert.False(segmenting.TrySendSegments(new byte[100 * 100], 100, receiver.LocalEndPoint));
        sender.Send([1, 2, 3], receiver.LocalEndPoint);
        var next = await receiver.ReceiveAsync(buffer, cts.Token);
        Assert.Equal(3, next.Length);
    }
}
