using System.Buffers.Binary;
using System.Collections.Concurrent;
using WebRtc.Sctp;
using WebRtc.Sctp.Chunks;
using WebRtc.Tests.Support;
using WebRtc.Transport;
using WebTorrent.TestSupport;

namespace WebRtc.Tests.Sctp;

/// <summary>RFC 9653 zero checksum: negotiated in INIT/INIT-ACK, used only when both ends offered it, accepted either way.</summary>
public class ZeroChecksumTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Both_ends_offering_send_zero_checksums_after_the_handshake_and_crc32c_with_it()
    {
        await using var pair = await CreateAsync(new SctpOptions { ZeroChecksum = true }, new SctpOptions { ZeroChecksum = true });
        Assert.True(pair.A.ZeroChecksumNegotiated);
        Assert.True(pair.B.ZeroChecksumNegotiated);

        var data = new byte[64 * 1024];
        new Random(5).NextBytes(data);
        await pair.A.SendAsync(1, 53, data);
        await pair.B.SendAsync(2, 53, data);
        Assert.Equal(data, (await pair.ReceivedByB.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Data);
        Assert.Equal(data, (await pair.ReceivedByA.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Data);

        foreach (var (tap, association) in new[] { (pair.TapA, pair.A), (pair.TapB, pair.B) })
        {
            var packets = tap.Sent.ToArray();
            // Every packet with INIT, INIT-ACK or COOKIE-ECHO carries a valid CRC32c; DATA packets carry zero.
            foreach (var p in packets.Where(p => FirstChunk(p) is ChunkType.Init or ChunkType.InitAck or ChunkType.CookieEcho))
                Assert.True(SctpPacket.VerifyChecksum(p, acceptZero: false), $"{FirstChunk(p)} without a CRC32c");
            var dataPackets = packets.Where(p => FirstChunk(p) == ChunkType.Data).ToArray();
            Assert.NotEmpty(dataPackets);
            Assert.All(dataPackets, p => Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(p.AsSpan(8))));
            var stats = association.GetStatistics();
            Assert.True(stats.ZeroChecksumPacketsSent >= dataPackets.Length);
            Assert.True(stats.ZeroChecksumPacketsReceived > 0);
            Assert.Equal(0, stats.PacketsDropped);
        }
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public async Task Without_both_offers_every_packet_carries_a_valid_crc32c(bool offerA, bool offerB)
    {
        await using var pair = await CreateAsync(new SctpOptions { ZeroChecksum = offerA }, new SctpOptions { ZeroChecksum = offerB });
        Assert.False(pair.A.ZeroChecksumNegotiated);
        Assert.False(pair.B.ZeroChecksumNegotiated);
        var data = new byte[20_000];
        new Random(6).NextBytes(data);
        await pair.A.SendAsync(1, 53, data);
        await pair.B.SendAsync(1, 53, data);
        Assert.Equal(data, (await pair.ReceivedByB.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Data);
        Assert.Equal(data, (await pair.ReceivedByA.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Data);
        var all = pair.TapA.Sent.Concat(pair.TapB.Sent).ToArray();
        Assert.Contains(all, p => FirstChunk(p) == ChunkType.Data);
        Assert.All(all, p => Assert.True(SctpPacket.VerifyChecksum(p, acceptZero: false)));
    }

    [Fact]
    public async Task An_end_that_offered_accepts_zero_checksums_and_one_that_did_not_drops_them()
    {
        // A offers and B does not, so both send CRC32c; the taps then blank every checksum after the handshake.
        await using var pair = await CreateAsync(new SctpOptions { ZeroChecksum = true }, new SctpOptions { ZeroChecksum = false });
        pair.TapA.ZeroOutgoingChecksums = true;
        pair.TapB.ZeroOutgoingChecksums = true;

        // B -> A: A offered zero checksums, so it accepts them.
        await pair.B.SendAsync(1, 53, "to A"u8.ToArray());
        Assert.Equal("to A"u8.ToArray(), (await pair.ReceivedByA.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Data);
        Assert.True(pair.A.GetStatistics().ZeroChecksumPacketsReceived > 0);

        // A -> B: B did not offer, so it drops them (and the message never arrives while they are blanked).
        var droppedBefore = pair.B.GetStatistics().PacketsDropped;
        await pair.A.SendAsync(1, 53, "to B"u8.ToArray());
        using var timeout = new CancellationTokenSource(Wait);
        while (pair.B.GetStatistics().PacketsDropped == droppedBefore) await Task.Delay(10, timeout.Token);
        Assert.False(pair.ReceivedByB.Reader.TryRead(out _));

        // With checksums restored, A's retransmission gets through.
        pair.TapA.ZeroOutgoingChecksums = false;
        Assert.Equal("to B"u8.ToArray(), (await pair.ReceivedByB.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Data);
    }

    [Fact]
    public async Task An_init_with_a_zero_checksum_is_dropped_even_by_an_end_that_offered_them()
    {
        using var network = new VirtualNetwork(seed: 10) { DefaultConditions = NetworkConditions.Perfect };
        var (raw, tb) = VirtualDatagramTransport.CreatePair(network);
        await using var b = new SctpAssociation(tb, new SctpOptions { ZeroChecksum = true });
        using var stop = new CancellationTokenSource();
        var connecting = b.ConnectAsync(stop.Token); // starts the receive loop; its own INIT goes to the raw end
        var init = new InitChunk { InitiateTag = 7, AdvertisedReceiverWindow = 65536, OutboundStreams = 1, InboundStreams = 1, InitialTsn = 1, ZeroChecksumMethod = 1 };
        var packet = new byte[SctpPacket.HeaderLength + init.SerializedLength];
        SctpPacket.WriteHeader(packet, 5000, 5000, 0);
        init.Write(packet.AsSpan(SctpPacket.HeaderLength));

        await raw.SendAsync(packet); // checksum field left zero
        using var timeout = new CancellationTokenSource(Wait);
        while (b.GetStatistics().PacketsDropped == 0) await Task.Delay(10, timeout.Token);

        SctpPacket.WriteChecksum(packet);
        await raw.SendAsync(packet);
        var buffer = new byte[2048];
        while (true)
        {
            var n = await raw.ReceiveAsync(buffer, timeout.Token);
            if (n > SctpPacket.HeaderLength && (ChunkType)buffer[SctpPacket.HeaderLength] == ChunkType.InitAck)
            {
                Assert.True(SctpPacket.VerifyChecksum(buffer.AsSpan(0, n), acceptZero: false));
                break;
            }
        }
        Assert.Equal(1, b.GetStatistics().PacketsDropped);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connecting);
        await raw.DisposeAsync();
        await tb.DisposeAsync();
    }

    private static ChunkType? FirstChunk(byte[] packet) => packet.Length > SctpPacket.HeaderLength ? (ChunkType)packet[SctpPacket.HeaderLength] : null;

    private static async Task<TappedPair> CreateAsync(SctpOptions a, SctpOptions b)
    {
        var network = new VirtualNetwork(seed: 9) { DefaultConditions = NetworkConditions.Perfect };
        var (ta, tb) = VirtualDatagramTransport.CreatePair(network);
        var tapA = new TapTransport(ta);
        var tapB = new TapTransport(tb);
        var pair = new TappedPair(network, tapA, tapB, new SctpAssociation(tapA, a), new SctpAssociation(tapB, b));
        pair.A.MessageReceived = m => { pair.ReceivedByA.Writer.TryWrite((m.StreamId, m.Data.ToArray())); m.Dispose(); };
        pair.B.MessageReceived = m => { pair.ReceivedByB.Writer.TryWrite((m.StreamId, m.Data.ToArray())); m.Dispose(); };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Task.WhenAll(pair.A.ConnectAsync(cts.Token), pair.B.ConnectAsync(cts.Token));
        return pair;
    }

    private sealed record TappedPair(VirtualNetwork Network, TapTransport TapA, TapTransport TapB, SctpAssociation A, SctpAssociation B) : IAsyncDisposable
    {
        public System.Threading.Channels.Channel<(ushort Stream, byte[] Data)> ReceivedByA { get; } = System.Threading.Channels.Channel.CreateUnbounded<(ushort, byte[])>();

        public System.Threading.Channels.Channel<(ushort Stream, byte[] Data)> ReceivedByB { get; } = System.Threading.Channels.Channel.CreateUnbounded<(ushort, byte[])>();

        public async ValueTask DisposeAsync()
        {
            await A.DisposeAsync();
            await B.DisposeAsync();
            await TapA.DisposeAsync();
            await TapB.DisposeAsync();
            Network.Dispose();
        }
    }

    /// <summary>Records every packet sent (as sent) and can blank the checksum of what it forwards.</summary>
    private sealed class TapTransport(IDatagramTransport inner) : IDatagramTransport
    {
        public ConcurrentQueue<byte[]> Sent { get; } = new();

        public volatile bool ZeroOutgoingChecksums;

        public int MaxDatagramSize => inner.MaxDatagramSize;

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
        {
            var copy = datagram.ToArray();
            Sent.Enqueue(copy);
            if (ZeroOutgoingChecksums && copy.Length >= SctpPacket.HeaderLength)
            {
                var blanked = (byte[])copy.Clone();
                BinaryPrimitives.WriteUInt32LittleEndian(blanked.AsSpan(8), 0);
                return inner.SendAsync(blanked, cancellationToken);
            }
            return inner.SendAsync(datagram, cancellationToken);
        }

        public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReceiveAsync(buffer, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
