using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Threading.Channels;
using WebRtc.DataChannels;
using WebRtc.Sctp;
using WebRtc.Tests.Support;
using WebTorrent.TestSupport;

namespace WebRtc.Tests.DataChannels;

public sealed class SessionPair : IAsyncDisposable
{
    public required VirtualNetwork Network { get; init; }
    public required DataChannelSession Client { get; init; }
    public required DataChannelSession Server { get; init; }
    public required VirtualDatagramTransport TransportA { get; init; }
    public required VirtualDatagramTransport TransportB { get; init; }
    public Channel<DataChannel> OpenedAtClient { get; } = Channel.CreateUnbounded<DataChannel>();
    public Channel<DataChannel> OpenedAtServer { get; } = Channel.CreateUnbounded<DataChannel>();

    public static async Task<SessionPair> CreateAsync(NetworkConditions? conditions = null, int seed = 1, Action<SessionPair>? beforeStart = null)
    {
        var network = new VirtualNetwork(seed: seed) { DefaultConditions = conditions ?? NetworkConditions.Perfect };
        var (ta, tb) = VirtualDatagramTransport.CreatePair(network);
        var pair = new SessionPair
        {
            Network = network,
            TransportA = ta,
            TransportB = tb,
            Client = new DataChannelSession(new SctpAssociation(ta), isDtlsClient: true, remoteMaxMessageSize: 262144),
            Server = new DataChannelSession(new SctpAssociation(tb), isDtlsClient: false, remoteMaxMessageSize: 262144),
        };
        pair.Client.DataChannelOpened += (_, c) => pair.OpenedAtClient.Writer.TryWrite(c);
        pair.Server.DataChannelOpened += (_, c) => pair.OpenedAtServer.Writer.TryWrite(c);
        beforeStart?.Invoke(pair);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Task.WhenAll(pair.Client.StartAsync(cts.Token), pair.Server.StartAsync(cts.Token));
        return pair;
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
        await TransportA.DisposeAsync();
        await TransportB.DisposeAsync();
        Network.Dispose();
    }
}

public class DataChannelTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static async Task<DataChannelMessage> Next(DataChannel channel)
    {
        var m = await channel.ReceiveAsync().AsTask().WaitAsync(Wait);
        Assert.NotNull(m);
        return m.Value;
    }

    [Fact]
    public async Task Opens_in_band_and_echoes_text_binary_and_empty_messages()
    {
        await using var pair = await SessionPair.CreateAsync();
        var local = pair.Client.CreateDataChannel("chat", new DataChannelOptions { Protocol = "bittorrent" });
        Assert.Equal(DataChannelState.Open, local.State);
        Assert.Equal(0, local.Id % 2); // DTLS client: even ids
        var remote = await pair.OpenedAtServer.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal("chat", remote.Label);
        Assert.Equal("bittorrent", remote.Protocol);
        Assert.Equal(local.Id, remote.Id);
        Assert.Equal(DataChannelState.Open, remote.State);

        remote.MessageReceived += (ch, in m) =>
        {
            var copy = m.Data.ToArray();
            if (m.IsText) _ = ch.SendAsync(m.Text).AsTask();
            else _ = ch.SendAsync(copy).AsTask();
        };
        foreach (var size in new[] { 1, 16 * 1024, 256 * 1024 })
        {
            var data = RandomNumberGenerator.GetBytes(size);
            await local.SendAsync(data);
            using var echo = await Next(local);
            Assert.False(echo.IsText);
            Assert.Equal(data, echo.Data.ToArray());
        }
        await local.SendAsync("héllo");
        using (var text = await Next(local))
        {
            Assert.True(text.IsText);
            Assert.Equal("héllo", text.Text);
        }
        await local.SendAsync("");
        using (var emptyText = await Next(local))
        {
            Assert.True(emptyText.IsText);
            Assert.Equal("", emptyText.Text);
        }
        await local.SendAsync(ReadOnlyMemory<byte>.Empty);
        using (var emptyBinary = await Next(local))
        {
            Assert.False(emptyBinary.IsText);
            Assert.Equal(0, emptyBinary.Data.Length);
        }
        await Assert.ThrowsAsync<ArgumentException>(() => local.SendAsync(new byte[262145]).AsTask());
    }

    [Fact]
    public async Task Both_sides_open_channels_on_ids_of_their_dtls_role()
    {
        await using var pair = await SessionPair.CreateAsync();
        var fromClient = pair.Client.CreateDataChannel("a");
        var fromServer = pair.Server.CreateDataChannel("b", new DataChannelOptions { Ordered = false, MaxRetransmits = 3 });
        var atServer = await pair.OpenedAtServer.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        var atClient = await pair.OpenedAtClient.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal((ushort)0, fromClient.Id);
        Assert.Equal((ushort)1, fromServer.Id);
        Assert.Equal("a", atServer.Label);
        Assert.Equal("b", atClient.Label);
        Assert.False(atClient.Ordered);
        Assert.Equal(3, atClient.MaxRetransmits);
        await fromServer.SendAsync("to client");
        Assert.Equal("to client", (await Next(atClient)).Text);
        await atClient.SendAsync("back");
        Assert.Equal("back", (await Next(fromServer)).Text);
    }

    [Fact]
    public async Task Data_sent_at_once_on_a_remotely_opened_unordered_channel_reaches_the_opener_even_before_it_reads()
    {
        // The sequence of the Chromium interop test: the opener's DCEP OPEN arrives, the answering side sends user data
        // right away (RFC 8832 6 allows it; unordered, so it may overtake our DATA_CHANNEL_ACK), here from inside
        // DataChannelOpened, on the receive thread. Nothing may be lost on either side, whoever subscribes late.
        await using var pair = await SessionPair.CreateAsync();
        var sentFromHandler = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Server.DataChannelOpened += (_, remote) =>
        {
            Assert.Equal(DataChannelState.Open, remote.State); // usable inside the event already
            var sends = Enumerable.Range(0, 5).Select(i => remote.SendAsync("early " + i).AsTask()).ToArray();
            _ = Task.WhenAll(sends).ContinueWith(t => sentFromHandler.TrySetResult(), TaskScheduler.Default);
        };
        var local = pair.Client.CreateDataChannel("unordered", new DataChannelOptions { Ordered = false });
        await sentFromHandler.Task.WaitAsync(Wait);
        var remote = await pair.OpenedAtServer.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.False(remote.Ordered);

        // The opener reads only now; unordered messages may come in any order, but all of them.
        var texts = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            using var m = await Next(local);
            texts.Add(m.Text);
        }
        Assert.Equal(Enumerable.Range(0, 5).Select(i => "early " + i).Order(), texts.Order());

        // And the answering side got what the opener sent before it read anything.
        await local.SendAsync("reply");
        using var reply = await Next(remote);
        Assert.Equal("reply", reply.Text);
    }

    [Fact]
    public async Task Channels_created_before_the_association_open_once_it_is_up()
    {
        DataChannel? early = null;
        await using var pair = await SessionPair.CreateAsync(beforeStart: p =>
        {
            early = p.Client.CreateDataChannel("early");
            Assert.Equal(DataChannelState.Connecting, early.State);
        });
        await early!.WhenOpen.WaitAsync(Wait);
        var remote = await pair.OpenedAtServer.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal("early", remote.Label);
    }

    [Fact]
    public async Task Negotiated_channels_need_no_handshake()
    {
        await using var pair = await SessionPair.CreateAsync();
        var options = new DataChannelOptions { Negotiated = true, Id = 7 };
        var a = pair.Client.CreateDataChannel("n", options);
        var b = pair.Server.CreateDataChannel("n", options);
        Assert.Equal(DataChannelState.Open, a.State);
        await a.SendAsync("hi");
        Assert.Equal("hi", (await Next(b)).Text);
        Assert.False(pair.OpenedAtServer.Reader.TryRead(out _));
        Assert.Throws<ArgumentException>(() => pair.Client.CreateDataChannel("dup", options));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Either_side_closes_and_both_see_the_channel_closed(bool closeFromOpener)
    {
        await using var pair = await SessionPair.CreateAsync();
        var local = pair.Client.CreateDataChannel("c");
        var remote = await pair.OpenedAtServer.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        for (var i = 0; i < 5; i++) await local.SendAsync($"m{i}");
        var closer = closeFromOpener ? local : remote;
        var other = closeFromOpener ? remote : local;
        if (closeFromOpener) await closer.CloseAsync().WaitAsync(Wait);
        else
        {
            for (var i = 0; i < 5; i++) Assert.Equal($"m{i}", (await Next(remote)).Text);
            await closer.CloseAsync().WaitAsync(Wait);
        }
        await other.WhenClosed.WaitAsync(Wait);
        Assert.Equal(DataChannelState.Closed, local.State);
        Assert.Equal(DataChannelState.Closed, remote.State);
        if (closeFromOpener)
        {
            // Messages sent before the close still arrive, then the end.
            for (var i = 0; i < 5; i++) Assert.Equal($"m{i}", (await Next(remote)).Text);
        }
        Assert.Null(await remote.ReceiveAsync().AsTask().WaitAsync(Wait));
        await Assert.ThrowsAsync<InvalidOperationException>(() => local.SendAsync("late").AsTask());
        Assert.Empty(pair.Client.Channels);
        // The id can be used again.
        var again = pair.Client.CreateDataChannel("again");
        Assert.Equal(local.Id, again.Id);
        var remoteAgain = await pair.OpenedAtServer.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        await again.SendAsync("fresh");
        Assert.Equal("fresh", (await Next(remoteAgain)).Text);
    }

    [Fact]
    public async Task Stream_adapter_moves_bulk_data_both_ways_over_a_lossy_link()
    {
        var conditions = new NetworkConditions(LossRate: 0.03, Delay: TimeSpan.FromMilliseconds(1), ReorderRate: 0.01, ReorderDelay: TimeSpan.FromMilliseconds(2));
        await using var pair = await SessionPair.CreateAsync(conditions, seed: 77);
        var local = pair.Client.CreateDataChannel("bulk");
        var remote = await pair.OpenedAtServer.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        await using var a = local.AsStream();
        await using var b = remote.AsStream();
        var up = RandomNumberGenerator.GetBytes(3 << 20);
        var down = RandomNumberGenerator.GetBytes(2 << 20);
        async Task<byte[]> ReadAll(Stream s, int length)
        {
            var buffer = new byte[length];
            await s.ReadExactlyAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
            return buffer;
        }
        var readUp = ReadAll(b, up.Length);
        var readDown = ReadAll(a, down.Length);
        await Task.WhenAll(
            Task.Run(async () => { for (var i = 0; i < up.Length; i += 10000) await a.WriteAsync(up.AsMemory(i, Math.Min(10000, up.Length - i))); }),
            Task.Run(async () => await b.WriteAsync(down)));
        Assert.Equal(SHA256.HashData(up), SHA256.HashData(await readUp));
        Assert.Equal(SHA256.HashData(down), SHA256.HashData(await readDown));
    }

    [Fact]
    public async Task Duplex_pipe_adapter_carries_a_length_prefixed_protocol()
    {
        await using var pair = await SessionPair.CreateAsync();
        var local = pair.Client.CreateDataChannel("pipe");
        var remote = await pair.OpenedAtServer.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        var a = local.AsDuplexPipe();
        var b = remote.AsDuplexPipe();
        // BitTorrent-like framing: 4-byte length, then the payload, written in separate flushes.
        for (var i = 0; i < 50; i++)
        {
            var payload = RandomNumberGenerator.GetBytes(1 + (i * 331 % 20000));
            var header = new byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, payload.Length);
            await a.Output.WriteAsync(header);
            await a.Output.WriteAsync(payload);
        }
        await a.Output.CompleteAsync();
        var count = 0;
        while (true)
        {
            var result = await b.Input.ReadAsync().AsTask().WaitAsync(Wait);
            var buffer = result.Buffer;
            while (buffer.Length >= 4)
            {
                var lenBytes = new byte[4];
                buffer.Slice(0, 4).CopyTo(lenBytes);
                var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(lenBytes);
                if (buffer.Length < 4 + length) break;
                Assert.Equal(1 + (count * 331 % 20000), length);
                buffer = buffer.Slice(4 + length);
                count++;
            }
            b.Input.AdvanceTo(buffer.Start, buffer.End);
            if (count == 50) break;
            Assert.False(result.IsCompleted);
        }
        Assert.Equal(50, count);
    }

    [Fact]
    public async Task BufferedAmountLow_fires_when_the_buffer_drains()
    {
        await using var pair = await SessionPair.CreateAsync(new NetworkConditions(Delay: TimeSpan.FromMilliseconds(5)));
        var local = pair.Client.CreateDataChannel("bp");
        local.BufferedAmountLowThreshold = 64 * 1024;
        var low = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        local.BufferedAmountLow += (_, _) => low.TrySetResult();
        for (var i = 0; i < 20; i++) await local.SendAsync(new byte[16 * 1024]);
        Assert.True(local.BufferedAmount > 64 * 1024);
        await low.Task.WaitAsync(Wait);
        Assert.True(local.BufferedAmount <= 64 * 1024);
    }

    [Fact]
    public async Task Partially_reliable_channel_drops_under_loss_without_stalling()
    {
        await using var pair = await SessionPair.CreateAsync(new NetworkConditions(LossRate: 0.2, Delay: TimeSpan.FromMilliseconds(2)), seed: 9);
        var options = new DataChannelOptions { Negotiated = true, Id = 2, MaxRetransmits = 0 };
        var local = pair.Client.CreateDataChannel("pr", options);
        var remote = pair.Server.CreateDataChannel("pr", options);
        var reliable = pair.Client.CreateDataChannel("r", new DataChannelOptions { Negotiated = true, Id = 4 });
        var reliableRemote = pair.Server.CreateDataChannel("r", new DataChannelOptions { Negotiated = true, Id = 4 });
        for (var i = 0; i < 60; i++) await local.SendAsync(new byte[2000]);
        await local.SendAsync("last");
        await reliable.SendAsync("done");
        Assert.Equal("done", (await Next(reliableRemote)).Text);
        var got = 0;
        // The unreliable channel delivers what it can; it never blocks the reliable one.
        while (remote.TryReceive(out var m))
        {
            m.Dispose();
            got++;
        }
        Assert.True(got <= 61);
    }

    [Fact]
    public void Dcep_open_round_trips_and_rejects_garbage()
    {
        var open = DcepOpen.From(new DataChannelOptions { Ordered = false, MaxPacketLifeTime = TimeSpan.FromMilliseconds(1500), Protocol = "p" }, "label");
        Assert.Equal(DcepChannelType.PartialReliableTimedUnordered, open.ChannelType);
        var bytes = open.Serialize();
        Assert.True(DcepOpen.TryParse(bytes, out var parsed));
        Assert.Equal(open, parsed);
        Assert.False(parsed!.Ordered);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), parsed.MaxPacketLifeTime);
        Assert.False(DcepOpen.TryParse(bytes.AsSpan(0, bytes.Length - 1), out _));
        var random = new Random(5);
        var buffer = new byte[64];
        for (var i = 0; i < 5000; i++)
        {
            random.NextBytes(buffer);
            buffer[0] = 3;
            _ = DcepOpen.TryParse(buffer.AsSpan(0, random.Next(buffer.Length)), out _);
        }
    }
}
