using WebRtc.Sctp;
using WebRtc.Sctp.Chunks;
using WebRtc.Tests.Support;
using WebTorrent.TestSupport;

namespace WebRtc.Tests.Sctp;

public class SctpAssociationFuzzTests
{
    [Fact]
    public async Task Random_and_corrupted_packets_never_break_an_established_association()
    {
        await using var pair = await SctpPair.CreateAsync();
        var attacker = pair.Network!.Bind("10.0.0.3");
        var target = ((VirtualDatagramTransport)pair.TransportB);
        var random = new Random(4242);
        var bEndpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.0.0.2"), 40001);
        var buffer = new byte[1200];
        for (var i = 0; i < 3000; i++)
        {
            var length = random.Next(12, buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            SctpPacket.WriteHeader(buffer, 5000, 5000, (uint)random.Next());
            if (i % 2 == 0) SctpPacket.WriteChecksum(buffer.AsSpan(0, length)); // half pass the checksum, to reach the chunk walk
            attacker.Send(buffer.AsSpan(0, length), bEndpoint);
        }
        _ = target;
        await pair.A.SendAsync(0, 51, "still alive"u8.ToArray());
        var m = await pair.ReceivedByB.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("still alive"u8.ToArray(), m.Data);
        Assert.Equal(SctpAssociationState.Established, pair.B.State);
        Assert.True(pair.B.GetStatistics().PacketsDropped > 0);
    }
}
