using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using WebTorrent.Protocol;
using WebTorrent.TestSupport;

namespace WebTorrent.Protocol.Tests;

public class WireTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly byte[] PeerIdA = "-WN0001-aaaaaaaaaaaa"u8.ToArray();
    private static readonly byte[] PeerIdB = "-WN0001-bbbbbbbbbbbb"u8.ToArray();

    internal sealed class Torrent
    {
        public Torrent(int length, int pieceLength, int seed = 1)
        {
            Content = new byte[length];
            new Random(seed).NextBytes(Content);
            Layout = new PieceLayout(length, pieceLength);
            Metadata = new Bencode.BencodeDictionary
            {
                ["length"] = length,
                ["name"] = "test.bin",
                ["piece length"] = pieceLength,
                ["pieces"] = Enumerable.Range(0, Layout.PieceCount).SelectMany(i => SHA1.HashData(Content.AsSpan(i * pieceLength, Layout.GetPieceLength(i)))).ToArray(),
            }.ToArray();
            InfoHash = SHA1.HashData(Metadata);
        }

        public byte[] Content { get; }
        public PieceLayout Layout { get; }
        public byte[] Metadata { get; }
        public byte[] InfoHash { get; }

        public ReadOnlyMemory<byte> Block(BlockRequest r) => Content.AsMemory((r.Index * Layout.PieceLength) + r.Begin, r.Length);
    }

    private static async Task<(PeerWire A, PeerWire B)> ConnectAsync(Torrent torrent, PeerWireOptions? a = null, PeerWireOptions? b = null,
        Action<PeerWire, PeerWire>? register = null, bool layoutOnB = true, IDuplexPipe? pipeA = null, IDuplexPipe? pipeB = null)
    {
        if (pipeA is null) (pipeA, pipeB) = DuplexPipePair.Create();
        var wireA = new PeerWire(pipeA, a, torrent.Layout);
        var wireB = new PeerWire(pipeB!, b, layoutOnB ? torrent.Layout : null);
        register?.Invoke(wireA, wireB);
        var handshakeA = wireA.HandshakeAsync(torrent.InfoHash, PeerIdA);
        var remoteOfB = await wireB.ReceiveHandshakeAsync();
        Assert.Equal(torrent.InfoHash, remoteOfB.InfoHash.ToArray());
        await wireB.SendHandshakeAsync(remoteOfB.InfoHash, PeerIdB);
        var remoteOfA = await handshakeA;
        Assert.Equal(PeerIdB, remoteOfA.PeerId.ToArray());
        return (wireA, wireB);
    }

    /// <summary><paramref name="b"/> has everything and unchokes <paramref name="a"/>, which is interested; returns once a saw the unchoke.</summary>
    private static async Task SeedAndUnchokeAsync(PeerWire a, PeerWire b)
    {
        var unchoked = new TaskCompletionSource();
        a.Unchoked += (_, _) => unchoked.TrySetResult();
        await b.SendHaveAllAsync();
        await a.SendInterestedAsync();
        await b.SendUnchokeAsync();
        await unchoked.Task.WaitAsync(Wait);
    }

    private static void Serve(PeerWire seeder, Torrent torrent) =>
        seeder.RequestReceived += (_, r) => _ = seeder.SendPieceAsync(r.Index, r.Begin, torrent.Block(r)).AsTask();

    [Fact]
    public async Task Handshake_negotiates_extensions_and_the_extended_handshake()
    {
        var torrent = new Torrent(100_000, 16384);
        var (a, b) = await ConnectAsync(torrent, b: new PeerWireOptions { ListenPort = 6881, MaxQueuedIncomingRequests = 77 });
        var extendedOnA = new TaskCompletionSource<ExtendedHandshake>();
        a.ExtendedHandshakeReceived += (_, h) => extendedOnA.TrySetResult(h);
        var bitfieldOnA = new TaskCompletionSource();
        a.BitfieldReceived += (_, _) => bitfieldOnA.TrySetResult();
        await b.SendHaveAllAsync();
        var handshake = await extendedOnA.Task.WaitAsync(Wait);
        await bitfieldOnA.Task.WaitAsync(Wait);
        Assert.True(a.FastExtensionEnabled && a.ExtensionProtocolEnabled);
        Assert.Equal(6881, handshake.ListenPort);
        Assert.Equal(77, handshake.RequestQueueLength);
        Assert.StartsWith("WebTorrent.NET", handshake.ClientVersion);
        Assert.True(a.PeerPieces.HasAll);
        Assert.Equal(torrent.Layout.PieceCount, a.PeerPieces.Count);
        await a.DisposeAsync();
        await b.Completion.WaitAsync(Wait);
        Assert.Equal(PeerWireCloseReason.Remote, b.CloseReason);
    }

    [Fact]
    public async Task Downloads_every_block_pipelined_and_verifies_each_piece()
    {
        var torrent = new Torrent(300_000, 65536);
        var (a, b) = await ConnectAsync(torrent, a: new PeerWireOptions { MaxOutstandingRequests = 5 });
        Serve(b, torrent);
        await SeedAndUnchokeAsync(a, b);
        for (var piece = 0; piece < torrent.Layout.PieceCount; piece++)
        {
            var length = torrent.Layout.GetPieceLength(piece);
            var buffer = new byte[length];
            var blocks = Enumerable.Range(0, (length + 16383) / 16384)
                .Select(i => a.RequestBlockAsync(piece, i * 16384, buffer.AsMemory(i * 16384, Math.Min(16384, length - (i * 16384)))).AsTask());
            await Task.WhenAll(blocks).WaitAsync(Wait);
            Assert.Equal(SHA1.HashData(torrent.Content.AsSpan(piece * 65536, length)), SHA1.HashData(buffer));
        }
        Assert.Equal(torrent.Content.Length, a.Downloaded);
        Assert.Equal(torrent.Content.Length, b.Uploaded);
        Assert.True(a.BytesReceived > a.Downloaded);
        Assert.Equal(a.BytesReceived, b.BytesSent);
        Assert.Equal(0, a.OutstandingRequests);
        Assert.True(a.DownloadSpeed > 0);
        await a.CloseAsync();
        await b.Completion.WaitAsync(Wait);
    }

    [Fact]
    public async Task A_request_batch_goes_out_in_one_write_when_it_ends()
    {
        var torrent = new Torrent(16384 * 16, 16384);
        var (pipeA, pipeB) = DuplexPipePair.Create();
        var counting = new FlushCountingPipe(pipeA);
        var (a, b) = await ConnectAsync(torrent, pipeA: counting, pipeB: pipeB);
        var requested = 0;
        b.RequestReceived += (_, _) => Interlocked.Increment(ref requested);
        Serve(b, torrent);
        await SeedAndUnchokeAsync(a, b);

        var buffer = new byte[torrent.Content.Length];
        var blocks = new List<Task>();
        var flushesBefore = counting.Flushes;
        using (var batch = a.BatchRequests())
        {
            for (var i = 0; i < 8; i++) blocks.Add(a.RequestBlockAsync(i, 0, buffer.AsMemory(i * 16384, 16384)).AsTask());
            await Task.Delay(200); // nothing may leave before the batch ends
            Assert.Equal(flushesBefore, counting.Flushes);
            Assert.Equal(0, Volatile.Read(ref requested));
        }
        await Task.WhenAll(blocks).WaitAsync(Wait);
        Assert.Equal(flushesBefore + 1, counting.Flushes);
        Assert.Equal(8, requested);
        Assert.True(torrent.Content.AsSpan(0, 8 * 16384).SequenceEqual(buffer.AsSpan(0, 8 * 16384)));

        // Outside a batch each request flushes at once, as before.
        await a.RequestBlockAsync(8, 0, buffer.AsMemory(8 * 16384, 16384)).AsTask().WaitAsync(Wait);
        Assert.Equal(flushesBefore + 2, counting.Flushes);
        await a.CloseAsync();
        await b.Completion.WaitAsync(Wait);
    }

    [Fact]
    public async Task Another_message_sends_batched_requests_too_and_a_copy_of_a_batch_ends_it_once()
    {
        var torrent = new Torrent(16384 * 4, 16384);
        var (a, b) = await ConnectAsync(torrent);
        Serve(b, torrent);
        await SeedAndUnchokeAsync(a, b);

        var buffer = new byte[16384];
        var batch = a.BatchRequests();
        var copy = batch;
        var block = a.RequestBlockAsync(0, 0, buffer).AsTask();
        await a.SendHaveAsync(1); // flushes the pipe, the batched request with it
        await block.WaitAsync(Wait);
        Assert.True(torrent.Content.AsSpan(0, 16384).SequenceEqual(buffer));
        batch.Dispose();
        batch.Dispose(); // the same copy again: nothing
        Assert.Throws<InvalidOperationException>(() => copy.Dispose());
        await a.CloseAsync();
        await b.Completion.WaitAsync(Wait);
    }

    /// <summary>Counts the flushes that carried bytes on one side's output.</summary>
    private sealed class FlushCountingPipe(IDuplexPipe inner) : IDuplexPipe
    {
        private readonly CountingWriter _output = new(inner.Output);

        public int Flushes => Volatile.Read(ref _output.Flushes);
        public PipeReader Input => inner.Input;
        public PipeWriter Output => _output;

        private sealed class CountingWriter(PipeWriter inner) : PipeWriter
        {
            public int Flushes;
            private long _unflushed;

            public override void Advance(int bytes)
            {
                _unflushed += bytes;
                inner.Advance(bytes);
            }

            public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);
            public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
            public override void CancelPendingFlush() => inner.CancelPendingFlush();
            public override void Complete(Exception? exception = null) => inner.Complete(exception);

            public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
            {
                if (_unflushed > 0) Interlocked.Increment(ref Flushes);
                _unflushed = 0;
                return inner.FlushAsync(cancellationToken);
            }
        }
    }

    [Fact]
    public async Task Pipelining_honours_the_remote_reqq()
    {
        var torrent = new Torrent(16384 * 20, 16384);
        var (a, b) = await ConnectAsync(torrent, b: new PeerWireOptions { MaxQueuedIncomingRequests = 3 });
        var maxQueued = 0;
        var queued = new List<BlockRequest>();
        b.RequestReceived += (_, r) => { lock (queued) { queued.Add(r); maxQueued = Math.Max(maxQueued, b.QueuedIncomingRequests); } };
        var unchoked = new TaskCompletionSource();
        a.Unchoked += (_, _) => unchoked.TrySetResult();
        var extended = new TaskCompletionSource();
        a.ExtendedHandshakeReceived += (_, _) => extended.TrySetResult();
        await b.SendHaveAllAsync();
        await b.SendUnchokeAsync();
        await Task.WhenAll(unchoked.Task, extended.Task).WaitAsync(Wait);
        var downloads = Enumerable.Range(0, 20).Select(i => a.RequestBlockAsync(i, 0, new byte[16384]).AsTask()).ToList();
        // Serve slowly: never more than 3 may be waiting at b.
        var served = 0;
        while (served < 20)
        {
            BlockRequest[] now;
            lock (queued) { now = [.. queued]; queued.Clear(); }
            foreach (var r in now) { Assert.True(await b.SendPieceAsync(r.Index, r.Begin, torrent.Block(r))); served++; }
            await Task.Delay(5);
        }
        await Task.WhenAll(downloads).WaitAsync(Wait);
        Assert.InRange(maxQueued, 1, 3);
        await a.CloseAsync();
    }

    [Fact]
    public async Task Choke_without_fast_fails_pending_requests_and_with_fast_rejects_them()
    {
        foreach (var fast in new[] { false, true })
        {
            var torrent = new Torrent(16384 * 4, 16384);
            var options = new PeerWireOptions { EnableFastExtension = fast };
            var (a, b) = await ConnectAsync(torrent, options, options);
            var requested = new TaskCompletionSource();
            b.RequestReceived += (_, _) => requested.TrySetResult();
            var unchoked = new TaskCompletionSource();
            a.Unchoked += (_, _) => unchoked.TrySetResult();
            await b.SendHaveAllAsync();
            await b.SendUnchokeAsync();
            await unchoked.Task.WaitAsync(Wait);
            var download = a.RequestBlockAsync(0, 0, new byte[16384]).AsTask();
            await requested.Task.WaitAsync(Wait);
            await b.SendChokeAsync();
            var ex = await Assert.ThrowsAsync<BlockRequestException>(() => download.WaitAsync(Wait));
            Assert.Equal(fast ? BlockRequestFailure.Rejected : BlockRequestFailure.Choked, ex.Failure);
            // Now choked: a new request fails at once.
            await Assert.ThrowsAsync<BlockRequestException>(() => a.RequestBlockAsync(1, 0, new byte[16384]).AsTask());
            Assert.Equal(0, b.QueuedIncomingRequests);
            await a.CloseAsync();
        }
    }

    [Fact]
    public async Task Allowed_fast_pieces_can_be_requested_while_choked()
    {
        var torrent = new Torrent(16384 * 4, 16384);
        var (a, b) = await ConnectAsync(torrent);
        var allowed = new TaskCompletionSource<int>();
        a.AllowedFastReceived += (_, i) => allowed.TrySetResult(i);
        b.RequestReceived += (_, r) => _ = b.SendRejectAsync(r).AsTask();
        await b.SendHaveAllAsync();
        await b.SendAllowedFastAsync(2);
        Assert.Equal(2, await allowed.Task.WaitAsync(Wait));
        var ex = await Assert.ThrowsAsync<BlockRequestException>(() => a.RequestBlockAsync(2, 0, new byte[100]).AsTask().WaitAsync(Wait));
        Assert.Equal(BlockRequestFailure.Rejected, ex.Failure);
        await a.CloseAsync();
    }

    [Fact]
    public async Task Pieces_we_allow_fast_are_served_while_choking()
    {
        var torrent = new Torrent(16384 * 4, 16384);
        var (a, b) = await ConnectAsync(torrent);
        Serve(b, torrent);
        var allowed = new TaskCompletionSource<int>();
        a.AllowedFastReceived += (_, i) => allowed.TrySetResult(i);
        await b.SendHaveAllAsync();
        await b.SendAllowedFastAsync(3);
        await allowed.Task.WaitAsync(Wait);
        var buffer = new byte[1000];
        await a.RequestBlockAsync(3, 100, buffer).AsTask().WaitAsync(Wait);
        Assert.Equal(torrent.Content.AsSpan((3 * 16384) + 100, 1000).ToArray(), buffer);
        var ex = await Assert.ThrowsAsync<BlockRequestException>(() => a.RequestBlockAsync(2, 0, new byte[10]).AsTask());
        Assert.Equal(BlockRequestFailure.Choked, ex.Failure);
        await a.CloseAsync();
    }

    [Fact]
    public async Task Cancel_reaches_the_remote_and_a_late_piece_is_not_sent()
    {
        var torrent = new Torrent(16384 * 4, 16384);
        var (a, b) = await ConnectAsync(torrent);
        var requested = new TaskCompletionSource<BlockRequest>();
        var cancelled = new TaskCompletionSource<BlockRequest>();
        b.RequestReceived += (_, r) => requested.TrySetResult(r);
        b.CancelReceived += (_, r) => cancelled.TrySetResult(r);
        var unchoked = new TaskCompletionSource();
        a.Unchoked += (_, _) => unchoked.TrySetResult();
        await b.SendUnchokeAsync();
        await unchoked.Task.WaitAsync(Wait);
        using var cts = new CancellationTokenSource();
        var download = a.RequestBlockAsync(1, 0, new byte[16384], cts.Token).AsTask();
        var request = await requested.Task.WaitAsync(Wait);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => download);
        Assert.Equal(request, await cancelled.Task.WaitAsync(Wait));
        Assert.False(await b.SendPieceAsync(request.Index, request.Begin, torrent.Block(request)));
        await a.CloseAsync();
    }

    [Fact]
    public async Task Requests_time_out_and_the_idle_wire_closes_on_the_fake_clock()
    {
        var time = new FakeTimeProvider();
        var torrent = new Torrent(16384 * 4, 16384);
        var options = new PeerWireOptions { TimeProvider = time, RequestTimeout = TimeSpan.FromSeconds(30), IdleTimeout = TimeSpan.FromSeconds(100), KeepAliveInterval = TimeSpan.FromSeconds(1000) };
        var (a, b) = await ConnectAsync(torrent, options, options with { KeepAliveInterval = TimeSpan.FromSeconds(1000) });
        var requested = new TaskCompletionSource();
        b.RequestReceived += (_, _) => requested.TrySetResult();
        var unchoked = new TaskCompletionSource();
        a.Unchoked += (_, _) => unchoked.TrySetResult();
        await b.SendUnchokeAsync();
        await unchoked.Task.WaitAsync(Wait);
        var download = a.RequestBlockAsync(0, 0, new byte[16384]).AsTask();
        await requested.Task.WaitAsync(Wait);
        for (var i = 0; i < 31; i++) time.Advance(TimeSpan.FromSeconds(1));
        var ex = await Assert.ThrowsAsync<BlockRequestException>(() => download.WaitAsync(Wait));
        Assert.Equal(BlockRequestFailure.Timeout, ex.Failure);
        Assert.False(a.IsClosed);
        for (var i = 0; i < 100; i++) time.Advance(TimeSpan.FromSeconds(1));
        await a.Completion.WaitAsync(Wait);
        Assert.Equal(PeerWireCloseReason.Timeout, a.CloseReason);
        Assert.IsType<TimeoutException>(a.CloseError);
    }

    [Fact]
    public async Task Keep_alives_keep_an_idle_wire_open()
    {
        var time = new FakeTimeProvider();
        var torrent = new Torrent(16384, 16384);
        var options = new PeerWireOptions { TimeProvider = time, IdleTimeout = TimeSpan.FromSeconds(30), KeepAliveInterval = TimeSpan.FromSeconds(10) };
        var (a, b) = await ConnectAsync(torrent, options, options);
        var sent = a.BytesSent;
        for (var i = 0; i < 120; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(2);
        }
        Assert.False(a.IsClosed || b.IsClosed);
        Assert.True(a.BytesSent >= sent + (4 * 10));
        await a.CloseAsync();
    }

    [Fact]
    public async Task Handshake_times_out_on_the_fake_clock()
    {
        var time = new FakeTimeProvider();
        var (pipeA, _) = DuplexPipePair.Create();
        var wire = new PeerWire(pipeA, new PeerWireOptions { TimeProvider = time, HandshakeTimeout = TimeSpan.FromSeconds(5) });
        var handshake = wire.ReceiveHandshakeAsync();
        time.Advance(TimeSpan.FromSeconds(6));
        await Assert.ThrowsAsync<TimeoutException>(() => handshake.WaitAsync(Wait));
        await wire.Completion.WaitAsync(Wait);
        Assert.Equal(PeerWireCloseReason.Timeout, wire.CloseReason);
    }

    [Fact]
    public async Task A_handshake_for_another_torrent_closes_the_wire()
    {
        var (pipeA, pipeB) = DuplexPipePair.Create();
        var a = new PeerWire(pipeA);
        var b = new PeerWire(pipeB);
        var ours = a.HandshakeAsync(new byte[20], PeerIdA);
        await b.SendHandshakeAsync(Enumerable.Repeat((byte)7, 20).ToArray(), PeerIdB);
        var ex = await Assert.ThrowsAsync<ProtocolViolationException>(() => ours.WaitAsync(Wait));
        Assert.Equal(ProtocolViolation.InfoHashMismatch, ex.Reason);
        Assert.Equal(PeerWireCloseReason.ProtocolViolation, a.CloseReason);
    }

    public static TheoryData<string, byte[], ProtocolViolation> BadStreams() => new()
    {
        { "oversized piece", [0, 2, 0, 10, 7, 0, 0, 0, 0, 0, 0, 0, 0], ProtocolViolation.InvalidBlock },
        { "wrong bitfield", [0, 0, 0, 2, 5, 0xFF], ProtocolViolation.InvalidBitfield },
        { "unknown id", [0, 0, 0, 1, 99], ProtocolViolation.UnknownMessage },
        { "request outside", [0, 0, 0, 13, 6, 0, 0, 0, 50, 0, 0, 0, 0, 0, 0, 0x40, 0], ProtocolViolation.InvalidBlock },
        { "have outside", [0, 0, 0, 5, 4, 0, 0, 1, 0], ProtocolViolation.InvalidPieceIndex },
        { "huge length", [0x10, 0, 0, 0, 20], ProtocolViolation.MessageTooLarge },
        { "truncated", [0, 0, 0, 13, 6, 0, 0], ProtocolViolation.Truncated },
        { "bad extended handshake", [0, 0, 0, 5, 20, 0, (byte)'d', (byte)'x', (byte)'e'], ProtocolViolation.InvalidExtendedMessage },
        { "bad ut_metadata", [0, 0, 0, 5, 20, 1, (byte)'i', (byte)'x', (byte)'e'], ProtocolViolation.InvalidExtendedMessage },
    };

    [Theory]
    [MemberData(nameof(BadStreams))]
    public async Task A_malformed_stream_closes_the_wire_with_a_clear_reason(string name, byte[] bytes, ProtocolViolation reason)
    {
        var torrent = new Torrent(16384 * 10, 16384);
        var (pipeA, raw) = DuplexPipePair.Create();
        var wire = new PeerWire(pipeA, layout: torrent.Layout);
        wire.Use(new UtMetadataExtension(torrent.InfoHash, torrent.Metadata));
        var handshake = wire.HandshakeAsync(torrent.InfoHash, PeerIdA);
        new PeerHandshake(torrent.InfoHash, PeerIdB, PeerHandshake.ExtensionProtocolBit | PeerHandshake.FastExtensionBit).WriteTo(raw.Output);
        await raw.Output.FlushAsync();
        await handshake.WaitAsync(Wait);
        await raw.Output.WriteAsync(bytes);
        if (reason == ProtocolViolation.Truncated) await raw.Output.CompleteAsync();
        await wire.Completion.WaitAsync(Wait);
        Assert.Equal(PeerWireCloseReason.ProtocolViolation, wire.CloseReason);
        var ex = Assert.IsType<ProtocolViolationException>(wire.CloseError);
        Assert.True(reason == ex.Reason, $"{name}: {ex.Reason} {ex.Message}");
        // The remote sees the connection end.
        while (true)
        {
            var result = await raw.Input.ReadAsync().AsTask().WaitAsync(Wait);
            raw.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted) break;
        }
    }

    [Fact]
    public async Task Messages_in_the_same_segment_as_the_handshake_are_not_lost()
    {
        var torrent = new Torrent(16384 * 10, 16384);
        var (pipeA, raw) = DuplexPipePair.Create();
        var wire = new PeerWire(pipeA, layout: torrent.Layout);
        var unchoked = new TaskCompletionSource();
        wire.Unchoked += (_, _) => unchoked.TrySetResult();
        var handshake = wire.HandshakeAsync(torrent.InfoHash, PeerIdA);
        new PeerHandshake(torrent.InfoHash, PeerIdB, PeerHandshake.FastExtensionBit).WriteTo(raw.Output);
        PeerMessageWriter.WriteSimple(raw.Output, PeerMessageType.HaveAll);
        PeerMessageWriter.WriteSimple(raw.Output, PeerMessageType.Unchoke);
        await raw.Output.FlushAsync();
        await handshake.WaitAsync(Wait);
        await unchoked.Task.WaitAsync(Wait);
        Assert.True(wire.PeerPieces.HasAll);
        await wire.CloseAsync();
    }

    [Fact]
    public async Task Fast_messages_without_the_fast_extension_close_the_wire()
    {
        var torrent = new Torrent(16384 * 10, 16384);
        var (pipeA, raw) = DuplexPipePair.Create();
        var wire = new PeerWire(pipeA, layout: torrent.Layout);
        var handshake = wire.HandshakeAsync(torrent.InfoHash, PeerIdA);
        new PeerHandshake(torrent.InfoHash, PeerIdB, 0).WriteTo(raw.Output);
        await raw.Output.FlushAsync();
        await handshake.WaitAsync(Wait);
        await raw.Output.WriteAsync(new byte[] { 0, 0, 0, 1, 14 });
        await wire.Completion.WaitAsync(Wait);
        Assert.Equal(ProtocolViolation.UnexpectedMessage, Assert.IsType<ProtocolViolationException>(wire.CloseError).Reason);
    }

    [Fact]
    public async Task Ut_metadata_fetches_from_the_info_hash_alone_then_the_layout_is_set()
    {
        var torrent = new Torrent(1_000_000, 1024); // 977 pieces: metadata > 16 KiB, several metadata pieces
        Assert.True(torrent.Metadata.Length > UtMetadataExtension.PieceLength);
        UtMetadataExtension? fetcher = null;
        var (seeder, leecher) = await ConnectAsync(torrent, layoutOnB: false, register: (a, b) =>
        {
            a.Use(new UtMetadataExtension(torrent.InfoHash, torrent.Metadata));
            fetcher = b.Use(new UtMetadataExtension(torrent.InfoHash));
        });
        await seeder.SendHaveAllAsync();
        await leecher.SendHaveNoneAsync();
        var metadata = await fetcher!.FetchAsync().WaitAsync(Wait);
        Assert.Equal(torrent.Metadata, metadata.ToArray());
        Assert.True(fetcher.HasMetadata);
        leecher.SetPieceLayout(torrent.Layout);
        Assert.True(leecher.PeerPieces.HasAll);
        await leecher.CloseAsync();
    }

    [Fact]
    public async Task Ut_metadata_that_does_not_hash_to_the_info_hash_closes_the_wire()
    {
        var torrent = new Torrent(100_000, 16384);
        var liar = new Torrent(100_000, 16384, seed: 2);
        var (pipeA, pipeB) = DuplexPipePair.Create();
        var seeder = new PeerWire(pipeA);
        // The lying seeder serves other metadata under our info-hash.
        seeder.Use(new UtMetadataExtension(liar.InfoHash, liar.Metadata));
        var leecher = new PeerWire(pipeB);
        var fetcher = leecher.Use(new UtMetadataExtension(torrent.InfoHash));
        var s = seeder.HandshakeAsync(torrent.InfoHash, PeerIdA);
        await leecher.HandshakeAsync(torrent.InfoHash, PeerIdB);
        await s;
        await seeder.SendHaveAllAsync();
        await leecher.SendHaveNoneAsync();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => fetcher.FetchAsync().WaitAsync(Wait));
        Assert.True(ex is ProtocolViolationException { Reason: ProtocolViolation.InvalidMetadata } || ex.InnerException is ProtocolViolationException, ex.ToString());
        await leecher.Completion.WaitAsync(Wait);
        Assert.Equal(ProtocolViolation.InvalidMetadata, Assert.IsType<ProtocolViolationException>(leecher.CloseError).Reason);
    }

    [Fact]
    public async Task Ut_metadata_rejects_when_it_has_nothing_and_a_peer_without_it_is_reported()
    {
        var torrent = new Torrent(100_000, 16384);
        UtMetadataExtension? fetcher = null;
        var (a, b) = await ConnectAsync(torrent, register: (a, b) =>
        {
            a.Use(new UtMetadataExtension(torrent.InfoHash));
            fetcher = b.Use(new UtMetadataExtension(torrent.InfoHash));
        });
        await a.SendHaveNoneAsync();
        await b.SendHaveNoneAsync();
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => fetcher!.FetchAsync().WaitAsync(Wait));
        Assert.Contains("metadata_size", ex.Message);
        Assert.Throws<ArgumentException>(() => new UtMetadataExtension(torrent.InfoHash, new byte[] { 1, 2, 3 }));
        await a.CloseAsync();
    }

    [Fact]
    public async Task Ut_pex_exchanges_peers_and_is_rate_limited()
    {
        var time = new FakeTimeProvider();
        var torrent = new Torrent(100_000, 16384);
        UtPexExtension? pexA = null, pexB = null;
        var (a, b) = await ConnectAsync(torrent, register: (a, b) =>
        {
            pexA = a.Use(new UtPexExtension(time));
            pexB = b.Use(new UtPexExtension(time));
        });
        var received = new TaskCompletionSource<PexMessage>();
        pexB!.PeersReceived += (_, m) => received.TrySetResult(m);
        var extended = new TaskCompletionSource();
        a.ExtendedHandshakeReceived += (_, _) => extended.TrySetResult();
        await b.SendHaveNoneAsync();
        await a.SendHaveNoneAsync();
        await extended.Task.WaitAsync(Wait);
        PexPeer[] added =
        [
            new(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 6881), PexFlags.Seed | PexFlags.SupportsUtp),
            new(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 51413), PexFlags.Reachable),
        ];
        IPEndPoint[] dropped = [new(IPAddress.Parse("192.168.1.9"), 1234), new(IPAddress.Parse("::1"), 80)];
        Assert.True(await pexA!.SendAsync(added, dropped));
        var message = await received.Task.WaitAsync(Wait);
        Assert.Equal(added, message.Added);
        Assert.Equal(dropped, message.Dropped);
        Assert.False(await pexA.SendAsync(added, dropped));
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.True(await pexA.SendAsync([], dropped));
        Assert.Throws<ArgumentException>(() => pexA.SendAsync(Enumerable.Range(0, 51).Select(i => added[0]).ToArray(), []).AsTask().GetAwaiter().GetResult());
        await a.CloseAsync();
    }

    [Fact]
    public async Task Works_over_streams_too()
    {
        var torrent = new Torrent(50_000, 16384);
        var (sa, sb) = DuplexPipePair.CreateStreams();
        var a = PeerWire.Create(sa, layout: torrent.Layout);
        var b = PeerWire.Create(sb, layout: torrent.Layout);
        Serve(b, torrent);
        var t = a.HandshakeAsync(torrent.InfoHash, PeerIdA);
        await b.HandshakeAsync(torrent.InfoHash, PeerIdB);
        await t;
        var unchoked = new TaskCompletionSource();
        a.Unchoked += (_, _) => unchoked.TrySetResult();
        await b.SendHaveAllAsync();
        await b.SendUnchokeAsync();
        await unchoked.Task.WaitAsync(Wait);
        var buffer = new byte[16384];
        await a.RequestBlockAsync(1, 0, buffer).AsTask().WaitAsync(Wait);
        Assert.Equal(torrent.Content.AsSpan(16384, 16384).ToArray(), buffer);
        a.Abort();
        await b.Completion.WaitAsync(Wait);
        Assert.Equal(PeerWireCloseReason.Local, a.CloseReason);
    }

    [Fact]
    public async Task Custom_extensions_are_registered_by_name()
    {
        var torrent = new Torrent(50_000, 16384);
        EchoExtension? echoA = null, echoB = null;
        var (a, b) = await ConnectAsync(torrent, register: (a, b) =>
        {
            a.Use(new UtPexExtension());
            echoA = a.Use(new EchoExtension());
            echoB = b.Use(new EchoExtension());
            Assert.Throws<InvalidOperationException>(() => b.Use(new EchoExtension()));
        });
        await a.SendHaveNoneAsync();
        await b.SendHaveNoneAsync();
        await echoA!.Ready.Task.WaitAsync(Wait);
        Assert.Equal(2, echoA.LocalId);
        Assert.Equal((byte)1, echoA.RemoteId);
        await echoA.SendTextAsync("hello");
        Assert.Equal("hello", await echoB!.Received.Task.WaitAsync(Wait));
        Assert.Equal("v", echoA.RemoteField);
        await a.CloseAsync();
    }

    private sealed class EchoExtension() : PeerExtension("x_echo")
    {
        public TaskCompletionSource Ready { get; } = new();
        public TaskCompletionSource<string> Received { get; } = new();
        public string? RemoteField { get; private set; }
        public ValueTask SendTextAsync(string text) => SendAsync(System.Text.Encoding.UTF8.GetBytes(text));
        protected override void OnSendingHandshake(Bencode.BencodeDictionary handshake) => handshake["x_echo_field"] = "v";
        protected override void OnExtendedHandshake(ExtendedHandshake handshake)
        {
            RemoteField = handshake.Dictionary.GetText("x_echo_field");
            Ready.TrySetResult();
        }
        protected override void OnMessage(ReadOnlySequence<byte> payload) => Received.TrySetResult(System.Text.Encoding.UTF8.GetString(payload.ToArray()));
    }
}
