using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using WebTorrent.TestSupport;

namespace WebTorrent.Protocol.Tests;

/// <summary>A peer that asks and never reads: what we queue for it stays bounded, and the stall closes its wire.</summary>
public class SendQueueTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly byte[] PeerIdA = "-WN0001-aaaaaaaaaaaa"u8.ToArray();
    private static readonly byte[] PeerIdB = "-WN0001-bbbbbbbbbbbb"u8.ToArray();

    // The audit's repro (issue 18, finding 1): ut_metadata request for piece 0 under extended id 1.
    private static readonly byte[] MetadataRequest = Convert.FromHexString("0000001b140164383a6d73675f74797065693065353a706965636569306565");

    /// <summary>A wire over a pipe whose remote end we drive by hand and never read; the pipe holds 64 KiB like a socket buffer.</summary>
    private sealed class Stalled
    {
        public required PeerWire Wire { get; init; }
        public required IDuplexPipe Remote { get; init; }
        public required FakeTimeProvider Time { get; init; }
        public long Written { get; set; }

        public async Task WriteAsync(byte[] bytes, int times)
        {
            for (var i = 0; i < times; i++) Remote.Output.Write(bytes);
            Written += (long)bytes.Length * times;
            await Remote.Output.FlushAsync();
        }

        /// <summary>Waits until the wire has parsed everything written so far.</summary>
        public async Task ProcessedAsync()
        {
            var deadline = DateTime.UtcNow + Wait;
            while (Wire.BytesReceived < Written)
            {
                Assert.True(DateTime.UtcNow < deadline, $"The wire parsed {Wire.BytesReceived} of {Written} bytes.");
                Assert.False(Wire.IsClosed, $"The wire closed: {Wire.CloseError}");
                await Task.Delay(10);
            }
        }
    }

    private static async Task<Stalled> ConnectAsync(PeerWireOptions options, Action<PeerWire>? register = null)
    {
        var infoHash = new byte[20];
        var (local, remote) = DuplexPipePair.Create(new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false));
        var wire = new PeerWire(local, options, new PieceLayout(16384L * 1000, 16384));
        register?.Invoke(wire);
        var handshake = wire.HandshakeAsync(infoHash, PeerIdA);
        var stalled = new Stalled { Wire = wire, Remote = remote, Time = (FakeTimeProvider)options.TimeProvider };
        new PeerHandshake(infoHash, PeerIdB, PeerHandshake.ExtensionProtocolBit | PeerHandshake.FastExtensionBit).WriteTo(remote.Output);
        await remote.Output.FlushAsync();
        await handshake.WaitAsync(Wait);
        stalled.Written = PeerHandshake.Length;
        return stalled;
    }

    private static async Task AssertStallClosesAsync(Stalled s, PeerWireOptions options)
    {
        Assert.True(s.Wire.QueuedSendBytes > 0, "Something must be waiting for the stall timeout to apply.");
        s.Time.Advance(options.SendStallTimeout - TimeSpan.FromSeconds(2));
        Assert.False(s.Wire.IsClosed);
        for (var i = 0; i < 3; i++) s.Time.Advance(TimeSpan.FromSeconds(1));
        await s.Wire.Completion.WaitAsync(Wait);
        Assert.Equal(PeerWireCloseReason.Timeout, s.Wire.CloseReason);
        var error = Assert.IsType<TimeoutException>(s.Wire.CloseError);
        Assert.Contains("read nothing", error.Message, StringComparison.Ordinal);
        // Closing released every waiting send.
        var deadline = DateTime.UtcNow + Wait;
        while (s.Wire.QueuedSendBytes != 0 && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.Equal(0, s.Wire.QueuedSendBytes);
    }

    private static byte[] ExtendedHandshake(string bencoded)
    {
        var payload = System.Text.Encoding.ASCII.GetBytes(bencoded);
        var message = new byte[6 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(message, 2 + payload.Length);
        message[4] = 20;
        message[5] = 0;
        payload.CopyTo(message, 6);
        return message;
    }

    private static byte[] MetadataRequestFor(int piece)
    {
        var payload = System.Text.Encoding.ASCII.GetBytes($"d8:msg_typei0e5:piecei{piece}ee");
        var message = new byte[6 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(message, 2 + payload.Length);
        message[4] = 20;
        message[5] = 1;
        payload.CopyTo(message, 6);
        return message;
    }

    private static byte[] BlockRequest(int index, int begin)
    {
        var message = new byte[17];
        BinaryPrimitives.WriteInt32BigEndian(message, 13);
        message[4] = 6;
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(5), index);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(9), begin);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(13), 16384);
        return message;
    }

    private static (byte[] InfoHash, byte[] Metadata) BigMetadata()
    {
        // Seven 16 KiB ut_metadata pieces, more than the 64 KiB pipe holds; only its hash matters to the extension.
        var metadata = new Bencode.BencodeDictionary { ["name"] = "x", ["pad"] = new Bencode.BencodeString(new byte[100_000]) }.ToArray();
        return (SHA1.HashData(metadata), metadata);
    }

    [Fact]
    public async Task The_audit_repro_of_metadata_requests_never_read_stays_under_the_bound_and_the_stall_closes_the_wire()
    {
        var options = new PeerWireOptions { TimeProvider = new FakeTimeProvider() };
        var (infoHash, metadata) = BigMetadata();
        var s = await ConnectAsync(options, w => w.Use(new UtMetadataExtension(infoHash, metadata)));
        await s.WriteAsync(ExtendedHandshake("d1:md11:ut_metadatai3eee"), 1);
        // 242 KiB of requests: unbounded, this queued 128 MiB.
        await s.WriteAsync(MetadataRequest, 8000);
        // And every piece in turn, so repeats of one piece are not all the test sees.
        for (var i = 0; i < 3000; i++) await s.WriteAsync(MetadataRequestFor(i % 7), 1);
        await s.ProcessedAsync();
        // Pieces go out from a background loop: wait until it is stuck behind the full pipe.
        var deadline = DateTime.UtcNow + Wait;
        while (s.Wire.QueuedSendBytes == 0 && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.InRange(s.Wire.QueuedSendBytes, 1, options.MaxQueuedSendBytes);
        // Served one piece at a time: what waits is one 16 KiB piece at most, whatever was asked.
        Assert.InRange(s.Wire.QueuedSendBytes, 1, 64 * 1024);
        await AssertStallClosesAsync(s, options);
    }

    [Fact]
    public async Task Metadata_requests_for_pieces_we_do_not_have_are_rejected_only_up_to_the_bound()
    {
        var options = new PeerWireOptions { TimeProvider = new FakeTimeProvider(), MaxQueuedSendBytes = 256 * 1024 };
        var (infoHash, _) = BigMetadata();
        var s = await ConnectAsync(options, w => w.Use(new UtMetadataExtension(infoHash)));
        await s.WriteAsync(ExtendedHandshake("d1:md11:ut_metadatai3eee"), 1);
        await s.WriteAsync(MetadataRequest, 20_000);
        await s.ProcessedAsync();
        Assert.InRange(s.Wire.QueuedSendBytes, 1, options.MaxQueuedSendBytes);
        await AssertStallClosesAsync(s, options);
    }

    [Fact]
    public async Task Block_requests_while_choked_get_rejects_only_up_to_the_bound()
    {
        var options = new PeerWireOptions { TimeProvider = new FakeTimeProvider(), MaxQueuedSendBytes = 256 * 1024 };
        var s = await ConnectAsync(options);
        var request = BlockRequest(0, 0);
        await s.WriteAsync(request, 100_000);
        await s.ProcessedAsync();
        Assert.InRange(s.Wire.QueuedSendBytes, 1, options.MaxQueuedSendBytes);
        await AssertStallClosesAsync(s, options);
    }

    [Fact]
    public async Task Pieces_for_a_peer_that_does_not_read_are_refused_beyond_the_bound()
    {
        var options = new PeerWireOptions { TimeProvider = new FakeTimeProvider(), MaxQueuedSendBytes = 512 * 1024, MaxQueuedIncomingRequests = 100_000 };
        var block = new byte[16384];
        var served = 0;
        var refused = 0;
        async Task ServeAsync(PeerWire w, BlockRequest r)
        {
            try
            {
                var sent = await w.SendPieceAsync(r.Index, r.Begin, block);
                Interlocked.Increment(ref sent ? ref served : ref refused);
            }
            catch (IOException)
            {
                // The stall closed the wire under this send.
            }
        }
        var s = await ConnectAsync(options, w => w.RequestReceived += (_, r) => _ = ServeAsync(w, r));
        await s.Wire.SendUnchokeAsync();
        for (var i = 0; i < 1000; i++) await s.WriteAsync(BlockRequest(i, 0), 1);
        await s.ProcessedAsync();
        Assert.InRange(s.Wire.QueuedSendBytes, 16384, options.MaxQueuedSendBytes);
        // Requests beyond the bound were rejected on arrival, before any disk read.
        Assert.True(s.Wire.QueuedIncomingRequests + Volatile.Read(ref served) < 100, $"{s.Wire.QueuedIncomingRequests} queued, {served} served.");
        await AssertStallClosesAsync(s, options);
    }

    [Fact]
    public void The_bound_must_hold_one_largest_block()
    {
        var wire = () => new PeerWire(DuplexPipePair.Create().A, new PeerWireOptions { MaxQueuedSendBytes = 64 * 1024 });
        Assert.Throws<ArgumentOutOfRangeException>(wire);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerWire(DuplexPipePair.Create().A, new PeerWireOptions { SendStallTimeout = TimeSpan.Zero }));
    }
}
