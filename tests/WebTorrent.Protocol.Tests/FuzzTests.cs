using System.Buffers;
using FsCheck.Xunit;
using WebTorrent.Protocol;
using WebTorrent.TestSupport;

namespace WebTorrent.Protocol.Tests;

/// <summary>Random and mutated bytes into the parser and into a live wire: only ProtocolViolationException, never a hang.</summary>
public class FuzzTests
{
    private static readonly PieceLayout Layout = new(40 * 16384 + 123, 16384);
    private static readonly PeerMessageLimits Limits = PeerMessageLimits.Default with { Layout = Layout, MaxMessageLength = 64 * 1024 };

    private static byte[] ValidStream(Random random)
    {
        var buffer = new ArrayBufferWriter<byte>();
        for (var i = 0; i < random.Next(1, 12); i++)
        {
            switch (random.Next(10))
            {
                case 0: PeerMessageWriter.WriteKeepAlive(buffer); break;
                case 1: PeerMessageWriter.WriteSimple(buffer, (PeerMessageType)random.Next(4)); break;
                case 2: PeerMessageWriter.WritePieceIndex(buffer, PeerMessageType.Have, random.Next(Layout.PieceCount)); break;
                case 3: PeerMessageWriter.WriteBitfield(buffer, new byte[Layout.BitfieldLength]); break;
                case 4: PeerMessageWriter.WriteBlockRequest(buffer, PeerMessageType.Request, random.Next(Layout.PieceCount - 1), 0, 16384); break;
                case 5: PeerMessageWriter.WritePiece(buffer, random.Next(Layout.PieceCount - 1), 0, new byte[random.Next(1, 2000)]); break;
                case 6: PeerMessageWriter.WriteBlockRequest(buffer, PeerMessageType.Cancel, 1, 16, 100); break;
                case 7: PeerMessageWriter.WritePort(buffer, (ushort)random.Next(65536)); break;
                case 8: PeerMessageWriter.WriteExtended(buffer, 0, "d1:md11:ut_metadatai1e6:ut_pexi2ee4:reqqi5ee"u8); break;
                default: PeerMessageWriter.WriteExtended(buffer, (byte)random.Next(1, 3), "d8:msg_typei0e5:piecei0ee"u8); break;
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Mutate(byte[] bytes, Random random)
    {
        var list = bytes.ToList();
        for (var i = 0; i < random.Next(1, 6); i++)
        {
            if (list.Count == 0) list.Add((byte)random.Next(256));
            switch (random.Next(5))
            {
                case 0: list[random.Next(list.Count)] ^= (byte)(1 << random.Next(8)); break;
                case 1: list[random.Next(list.Count)] = (byte)random.Next(256); break;
                case 2: list.Insert(random.Next(list.Count + 1), (byte)random.Next(256)); break;
                case 3: list.RemoveAt(random.Next(list.Count)); break;
                default: list.RemoveRange(random.Next(list.Count), 0); list.AddRange(Enumerable.Range(0, random.Next(1, 20)).Select(_ => (byte)random.Next(256))); break;
            }
        }
        return [.. list];
    }

    [Fact]
    public void Parser_survives_random_and_mutated_bytes()
    {
        var random = new Random(20261124);
        var violations = 0;
        for (var iteration = 0; iteration < 30_000; iteration++)
        {
            var bytes = iteration % 3 == 0
                ? Enumerable.Range(0, random.Next(1, 64)).Select(_ => (byte)random.Next(256)).ToArray()
                : Mutate(ValidStream(random), random);
            var chunk = random.Next(1, bytes.Length + 1);
            try
            {
                var reader = new SequenceReader<byte>(MessageTests.Segmented(bytes, chunk));
                var guard = 0;
                while (PeerMessageReader.TryRead(ref reader, out var message, Limits))
                {
                    Assert.True(++guard <= bytes.Length / 4 + 1, "the parser must consume at least 4 bytes per message");
                    _ = message.ToString();
                }
            }
            catch (ProtocolViolationException ex)
            {
                Assert.True(Enum.IsDefined(ex.Reason) && ex.Reason != ProtocolViolation.Unknown);
                violations++;
            }
        }
        Assert.InRange(violations, 1000, 29_999);
    }

    [Property(MaxTest = 300)]
    public bool Request_fields_round_trip(int index, int begin, int length)
    {
        index = Math.Abs(index % Layout.PieceCount);
        begin = Math.Abs(begin % 16384);
        length = 1 + Math.Abs(length % (16384 - begin));
        var buffer = new ArrayBufferWriter<byte>();
        PeerMessageWriter.WriteBlockRequest(buffer, PeerMessageType.Request, index, begin, length);
        var parsed = PeerMessageReader.Read(new ReadOnlySequence<byte>(buffer.WrittenMemory), Limits);
        return parsed.Index == index && parsed.Begin == begin && parsed.Length == length;
    }

    [Property(MaxTest = 300)]
    public bool Any_bytes_parse_or_raise_a_protocol_violation(byte[] bytes)
    {
        try
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes ?? []));
            while (PeerMessageReader.TryRead(ref reader, out _, Limits)) { }
            return true;
        }
        catch (ProtocolViolationException)
        {
            return true;
        }
    }

    [Fact]
    public async Task Wire_survives_mutated_streams_without_hanging()
    {
        var random = new Random(777);
        var infoHash = Enumerable.Range(0, 20).Select(i => (byte)i).ToArray();
        for (var iteration = 0; iteration < 150; iteration++)
        {
            var (pipe, raw) = DuplexPipePair.Create();
            var wire = new PeerWire(pipe, new PeerWireOptions { Limits = Limits }, Layout);
            wire.Use(new UtMetadataExtension(infoHash));
            wire.Use(new UtPexExtension());
            // Answer requests so the send path runs too.
            wire.RequestReceived += (_, r) => _ = wire.SendPieceAsync(r.Index, r.Begin, new byte[r.Length]).AsTask();
            var handshake = wire.HandshakeAsync(infoHash, new byte[20]);
            new PeerHandshake(infoHash, new byte[20], PeerHandshake.ExtensionProtocolBit | PeerHandshake.FastExtensionBit).WriteTo(raw.Output);
            await raw.Output.FlushAsync();
            await handshake.WaitAsync(TimeSpan.FromSeconds(10));
            await wire.SendUnchokeAsync();
            var bytes = Mutate(ValidStream(random), random);
            for (var offset = 0; offset < bytes.Length;)
            {
                var n = Math.Min(random.Next(1, 300), bytes.Length - offset);
                await raw.Output.WriteAsync(bytes.AsMemory(offset, n));
                offset += n;
            }
            await raw.Output.CompleteAsync();
            // Drain what the wire sends so it never blocks on a full pipe.
            var drain = Task.Run(async () =>
            {
                while (true)
                {
                    var r = await raw.Input.ReadAsync();
                    raw.Input.AdvanceTo(r.Buffer.End);
                    if (r.IsCompleted) break;
                }
            });
            await wire.Completion.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(wire.CloseReason is PeerWireCloseReason.Remote or PeerWireCloseReason.ProtocolViolation,
                $"iteration {iteration}: {wire.CloseReason} {wire.CloseError}");
            if (wire.CloseReason == PeerWireCloseReason.ProtocolViolation) Assert.IsType<ProtocolViolationException>(wire.CloseError);
            await drain.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }
}
