using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using WebRtc.Sctp;
using WebRtc.Tests.Support;
using WebTorrent.TestSupport;

namespace WebRtc.Tests.Sctp;

public class SctpAssociationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static byte[] Message(int seed, int length)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task Connects_and_exchanges_messages_both_ways()
    {
        await using var pair = await SctpPair.CreateAsync();
        Assert.Equal(SctpAssociationState.Established, pair.A.State);
        Assert.Equal(SctpAssociationState.Established, pair.B.State);
        Assert.Equal(ushort.MaxValue, pair.A.OutboundStreamCount);
        Assert.True(pair.A.PartialReliabilitySupported);
        Assert.True(pair.B.StreamResetSupported);

        await pair.A.SendAsync(1, 51, "hello"u8.ToArray());
        await pair.B.SendAsync(2, 53, new byte[] { 1, 2, 3 });
        var atB = await pair.ReceivedByB.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        var atA = await pair.ReceivedByA.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal((ushort)1, atB.Stream);
        Assert.Equal(51u, atB.Ppid);
        Assert.Equal("hello"u8.ToArray(), atB.Data);
        Assert.Equal((ushort)2, atA.Stream);
        Assert.Equal(new byte[] { 1, 2, 3 }, atA.Data);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1172)]
    [InlineData(1173)]
    [InlineData(16 * 1024)]
    [InlineData(256 * 1024)]
    public async Task Fragments_and_reassembles_messages(int length)
    {
        await using var pair = await SctpPair.CreateAsync();
        var data = Message(length, length);
        await pair.A.SendAsync(0, 53, data);
        await pair.A.SendAsync(0, 53, data, new SctpSendOptions(Unordered: true));
        var first = await pair.ReceivedByB.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        var second = await pair.ReceivedByB.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(data, first.Data);
        Assert.Equal(data, second.Data);
    }

    public static TheoryData<double, int> LossyLinks => new()
    {
        { 0.0, 11 },
        { 0.01, 12 },
        { 0.05, 13 },
        { 0.10, 14 },
    };

    [Theory]
    [MemberData(nameof(LossyLinks))]
    public async Task Ordered_streams_deliver_every_message_intact_and_in_order_over_a_lossy_link(double loss, int seed)
    {
        var conditions = new NetworkConditions(
            LossRate: loss, Delay: TimeSpan.FromMilliseconds(2), Jitter: TimeSpan.FromMilliseconds(2),
            DuplicateRate: 0.01, ReorderRate: 0.02, ReorderDelay: TimeSpan.FromMilliseconds(4));
        await using var pair = await SctpPair.CreateAsync(conditions, seed: seed);
        var random = new Random(seed);
        const int messages = 200;
        var sent = new List<byte[]>[3] { [], [], [] };
        var sender = Task.Run(async () =>
        {
            for (var i = 0; i < messages; i++)
            {
                var stream = (ushort)(i % 3);
                var length = random.Next(4) switch { 0 => 1 + random.Next(100), 1 => 1000 + random.Next(2000), 2 => 16 * 1024, _ => 1 + random.Next(40000) };
                var data = Message(i, length);
                sent[stream].Add(data);
                await pair.A.SendAsync(stream, 53, data);
            }
        });
        var received = new List<byte[]>[3] { [], [], [] };
        for (var i = 0; i < messages; i++)
        {
            var m = await pair.ReceivedByB.Reader.ReadAsync().AsTask().WaitAsync(Wait);
            received[m.Stream].Add(m.Data);
        }
        await sender;
        for (var s = 0; s < 3; s++)
        {
            Assert.Equal(sent[s].Count, received[s].Count);
            for (var i = 0; i < sent[s].Count; i++) Assert.True(sent[s][i].AsSpan().SequenceEqual(received[s][i]), $"stream {s} message {i} differs");
        }
        if (loss > 0) Assert.True(pair.A.GetStatistics().DataChunksRetransmitted > 0);
        Assert.False(pair.ReceivedByB.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Unordered_messages_all_arrive_over_a_hostile_link()
    {
        await using var pair = await SctpPair.CreateAsync(NetworkConditions.Hostile with { Delay = TimeSpan.FromMilliseconds(3), Jitter = TimeSpan.FromMilliseconds(3) }, seed: 21);
        const int messages = 200;
        var expected = new HashSet<string>();
        for (var i = 0; i < messages; i++)
        {
            var data = Message(i, 1 + (i * 97 % 5000));
            expected.Add(Convert.ToHexString(SHA256.HashData(data)));
            await pair.A.SendAsync(7, 53, data, new SctpSendOptions(Unordered: true));
        }
        for (var i = 0; i < messages; i++)
        {
            var m = await pair.ReceivedByB.Reader.ReadAsync().AsTask().WaitAsync(Wait);
            Assert.True(expected.Remove(Convert.ToHexString(SHA256.HashData(m.Data))));
        }
        Assert.Empty(expected);
    }

    [Fact]
    public async Task Throughput_recovers_after_a_lossy_period()
    {
        var network = new VirtualNetwork(seed: 5);
        var (ta, tb) = VirtualDatagramTransport.CreatePair(network);
        await using var pair = await SctpPair.CreateAsync(network, ta, tb);
        var data = Message(1, 64 * 1024);
        async Task SendBatch(int count)
        {
            for (var i = 0; i < count; i++) await pair.A.SendAsync(0, 53, data);
            for (var i = 0; i < count; i++) Assert.Equal(data, (await pair.ReceivedByB.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Data);
        }
        await SendBatch(20);
        var beforeLoss = pair.A.GetStatistics();
        network.DefaultConditions = new NetworkConditions(LossRate: 0.10);
        await SendBatch(20);
        var afterLoss = pair.A.GetStatistics();
        Assert.True(afterLoss.DataChunksRetransmitted > beforeLoss.DataChunksRetransmitted, "no retransmission under 10% loss");
        network.DefaultConditions = NetworkConditions.Perfect;
        await SendBatch(40);
        var recovered = pair.A.GetStatistics();
        // After the loss stops the window grows again: the later batch needs far fewer retransmissions per chunk
        // than the lossy one (not none: on a loaded machine the real-time retransmission timer can still fire
        // spuriously while a SACK waits for a core), and the congestion window is back above its post-loss level.
        var lossyRate = (double)(afterLoss.DataChunksRetransmitted - beforeLoss.DataChunksRetransmitted) / (afterLoss.DataChunksSent - beforeLoss.DataChunksSent);
        var cleanRate = (double)(recovered.DataChunksRetransmitted - afterLoss.DataChunksRetransmitted) / (recovered.DataChunksSent - afterLoss.DataChunksSent);
        Assert.True(cleanRate < lossyRate / 2, $"retransmitted {cleanRate:P1} of chunks after the loss stopped, {lossyRate:P1} during it");
        Assert.True(afterLoss.DataChunksRetransmitted < afterLoss.DataChunksSent / 2, $"{afterLoss.DataChunksRetransmitted} retransmissions for {afterLoss.DataChunksSent} chunks");
        Assert.True(recovered.CongestionWindow > 4 * pair.A.MaxPacketSize, $"cwnd {recovered.CongestionWindow}");
    }

    [Fact]
    public async Task Partially_reliable_messages_are_dropped_as_configured_and_the_stream_carries_on()
    {
        var conditions = new NetworkConditions(LossRate: 0.2, Delay: TimeSpan.FromMilliseconds(2));
        await using var pair = await SctpPair.CreateAsync(conditions, seed: 3);
        const int messages = 60;
        for (var i = 0; i < messages; i++)
        {
            var data = BitConverter.GetBytes(i).Concat(new byte[3000]).ToArray();
            await pair.A.SendAsync(4, 53, data, new SctpSendOptions(MaxRetransmits: 0));
        }
        // A reliable marker after them, on the same ordered stream, must come through.
        await pair.A.SendAsync(4, 51, "end"u8.ToArray());
        var got = new List<int>();
        while (true)
        {
            var m = await pair.ReceivedByB.Reader.ReadAsync().AsTask().WaitAsync(Wait);
            if (m.Ppid == 51) break;
            Assert.Equal(3004, m.Data.Length);
            got.Add(BitConverter.ToInt32(m.Data));
        }
        Assert.True(got.Count < messages, "with 30% loss and no retransmission some messages must be dropped");
        Assert.True(got.Count > 0);
        Assert.Equal(got.OrderBy(x => x), got); // still in order, gaps allowed
        Assert.True(pair.A.GetStatistics().MessagesAbandoned > 0);
    }

    [Fact]
    public async Task Messages_past_their_lifetime_are_abandoned()
    {
        // One-way delay 30 ms and 20% loss: a message with a 20 ms lifetime cannot be retransmitted in time.
        var conditions = new NetworkConditions(LossRate: 0.2, Delay: TimeSpan.FromMilliseconds(30));
        await using var pair = await SctpPair.CreateAsync(conditions, seed: 8);
        for (var i = 0; i < 40; i++)
        {
            await pair.A.SendAsync(2, 53, BitConverter.GetBytes(i), new SctpSendOptions(Lifetime: TimeSpan.FromMilliseconds(20)));
            await Task.Delay(5);
        }
        await pair.A.SendAsync(2, 51, "end"u8.ToArray());
        var got = 0;
        while (true)
        {
            var m = await pair.ReceivedByB.Reader.ReadAsync().AsTask().WaitAsync(Wait);
            if (m.Ppid == 51) break;
            got++;
        }
        Assert.True(got < 40);
        Assert.True(pair.A.GetStatistics().MessagesAbandoned > 0);
    }

    [Fact]
    public async Task Stream_reset_is_signalled_both_ways_and_the_stream_can_be_reused()
    {
        await using var pair = await SctpPair.CreateAsync(new NetworkConditions(Delay: TimeSpan.FromMilliseconds(1)));
        var incoming = new TaskCompletionSource<ushort>(TaskCreationOptions.RunContinuationsAsynchronously);
        var outgoing = new TaskCompletionSource<ushort>(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.B.IncomingStreamReset += (_, id) => incoming.TrySetResult(id);
        pair.A.OutgoingStreamReset += (_, id) => outgoing.TrySetResult(id);
        for (var i = 0; i < 10; i++) await pair.A.SendAsync(3, 53, Message(i, 5000));
        pair.A.ResetStream(3);
        await Assert.ThrowsAsync<InvalidOperationException>(() => pair.A.SendAsync(3, 53, new byte[1]).AsTask());
        Assert.Equal((ushort)3, await incoming.Task.WaitAsync(Wait));
        Assert.Equal((ushort)3, await outgoing.Task.WaitAsync(Wait));
        for (var i = 0; i < 10; i++) Assert.Equal(Message(i, 5000), (await pair.ReceivedByB.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Data);
        // After the reset the stream starts again from SSN 0 on both sides.
        await pair.A.SendAsync(3, 51, "again"u8.ToArray());
        Assert.Equal("again"u8.ToArray(), (await pair.ReceivedByB.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Data);
    }

    [Fact]
    public async Task Graceful_shutdown_delivers_queued_data_then_closes_both_sides()
    {
        await using var pair = await SctpPair.CreateAsync(new NetworkConditions(LossRate: 0.05, Delay: TimeSpan.FromMilliseconds(1)), seed: 4);
        var data = Message(9, 100_000);
        await pair.A.SendAsync(0, 53, data);
        await pair.A.CloseAsync().WaitAsync(Wait);
        await pair.B.Completion.WaitAsync(Wait);
        Assert.Equal(SctpAssociationState.Closed, pair.A.State);
        Assert.Equal(SctpAssociationState.Closed, pair.B.State);
        Assert.Equal(data, (await pair.ReceivedByB.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Data);
        await Assert.ThrowsAsync<SctpException>(() => pair.A.SendAsync(0, 53, new byte[1]).AsTask());
    }

    [Fact]
    public async Task Abort_fails_the_peer_with_the_reason()
    {
        await using var pair = await SctpPair.CreateAsync();
        var closedWith = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.B.Closed += (_, e) => closedWith.TrySetResult(e);
        pair.A.Abort("testing abort");
        var ex = await Assert.ThrowsAsync<SctpException>(() => pair.B.Completion.WaitAsync(Wait));
        Assert.Contains("testing abort", ex.Message);
        Assert.IsType<SctpException>(await closedWith.Task.WaitAsync(Wait));
        Assert.Equal(SctpAssociationState.Closed, pair.B.State);
    }

    [Fact]
    public async Task Receiver_window_holds_the_sender_back_until_the_application_reads()
    {
        var options = new SctpOptions { ReceiveWindow = 64 * 1024, MaxReceiveMessageSize = 16 * 1024, MaxSendBuffer = 256 * 1024 };
        await using var pair = await SctpPair.CreateAsync(options: options);
        var held = new System.Collections.Concurrent.ConcurrentQueue<SctpMessage>();
        pair.B.MessageReceived = held.Enqueue; // keep every message undisposed: the window closes
        var data = Message(2, 16 * 1024);
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < 40; i++) await pair.A.SendAsync(0, 53, data);
        });
        await Task.Delay(500);
        Assert.True(held.Count <= 6, $"receiver held {held.Count} messages beyond its window");
        Assert.True(pair.A.BufferedAmount > 0);
        var total = 0;
        while (total < 40)
        {
            while (held.TryDequeue(out var m))
            {
                Assert.Equal(data, m.Data.ToArray());
                m.Dispose();
                total++;
            }
            await Task.Delay(5);
            Assert.False(sending.IsFaulted);
        }
        await sending.WaitAsync(Wait);
    }

    [Fact]
    public async Task Works_over_real_udp_sockets_on_loopback()
    {
        var (ta, tb) = UdpDatagramTransport.CreateLoopbackPair();
        await using var pair = await SctpPair.CreateAsync(null, ta, tb);
        var data = Message(3, 1 << 20);
        for (var i = 0; i < 8; i++) await pair.A.SendAsync(0, 53, data.AsMemory(i * (1 << 17), 1 << 17));
        var received = new MemoryStream();
        for (var i = 0; i < 8; i++) received.Write((await pair.ReceivedByB.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Data);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received.ToArray()));
    }

    [Fact]
    public async Task ConnectAsync_fails_after_the_init_retransmissions_when_nobody_answers()
    {
        var time = new FakeTimeProvider();
        var network = new VirtualNetwork(time);
        var (ta, tb) = VirtualDatagramTransport.CreatePair(network);
        await using var a = new SctpAssociation(ta, new SctpOptions { MaxInitRetransmits = 3 }, time);
        var connect = a.ConnectAsync();
        for (var i = 0; i < 200 && !connect.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1);
        }
        await Assert.ThrowsAsync<SctpException>(() => connect.WaitAsync(Wait));
        Assert.True(network.Sent >= 4); // the INIT and three retransmissions
        await ta.DisposeAsync();
        await tb.DisposeAsync();
        network.Dispose();
    }

    [Fact]
    public async Task Handshake_survives_loss_of_its_packets()
    {
        await using var pair = await SctpPair.CreateAsync(new NetworkConditions(LossRate: 0.4), new SctpOptions { RtoInitial = TimeSpan.FromMilliseconds(200) }, seed: 99);
        await pair.A.SendAsync(0, 51, "x"u8.ToArray());
        Assert.Equal("x"u8.ToArray(), (await pair.ReceivedByB.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Data);
    }

    [Fact]
    public async Task Heartbeats_measure_the_round_trip_with_a_fake_clock()
    {
        var time = new FakeTimeProvider();
        var network = new VirtualNetwork(time);
        var (ta, tb) = VirtualDatagramTransport.CreatePair(network);
        var options = new SctpOptions { HeartbeatInterval = TimeSpan.FromSeconds(1) };
        var pair = await SctpPair.CreateAsync(network, ta, tb, options, time, connect: false);
        await using (pair)
        {
            var connecting = Task.WhenAll(pair.A.ConnectAsync(), pair.B.ConnectAsync());
            await connecting.WaitAsync(Wait);
            for (var i = 0; i < 5; i++)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(20);
            }
            Assert.NotNull(pair.A.GetStatistics().SmoothedRtt);
            Assert.Equal(SctpAssociationState.Established, pair.A.State);
        }
    }

    [Fact]
    public async Task A_silent_peer_is_declared_dead_after_the_retransmission_limit()
    {
        var network = new VirtualNetwork(seed: 2);
        var (ta, tb) = VirtualDatagramTransport.CreatePair(network);
        var options = new SctpOptions { MaxAssociationRetransmits = 3, RtoMin = TimeSpan.FromMilliseconds(20), RtoInitial = TimeSpan.FromMilliseconds(50), RtoMax = TimeSpan.FromMilliseconds(100) };
        await using var pair = await SctpPair.CreateAsync(network, ta, tb, options);
        network.DefaultConditions = new NetworkConditions(LossRate: 1.0);
        await pair.A.SendAsync(0, 53, new byte[100]);
        await Assert.ThrowsAsync<SctpException>(() => pair.A.Completion.WaitAsync(Wait));
    }
}
