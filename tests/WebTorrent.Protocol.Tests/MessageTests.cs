using System.Buffers;
using WebTorrent.Protocol;

namespace WebTorrent.Protocol.Tests;

public class MessageTests
{
    private static readonly PieceLayout Layout = new(10 * 32768 + 1000, 32768); // 11 pieces, last one 1000 bytes
    private static readonly PeerMessageLimits Limits = PeerMessageLimits.Default with { Layout = Layout };

    public static TheoryData<string> AllMessages() => new(Samples().Select(s => s.Name));

    private static IEnumerable<(string Name, PeerMessage Message)> Samples()
    {
        var block = new ReadOnlySequence<byte>(Enumerable.Range(0, 16384).Select(i => (byte)i).ToArray());
        yield return ("keepalive", PeerMessage.KeepAlive);
        foreach (var t in new[] { PeerMessageType.Choke, PeerMessageType.Unchoke, PeerMessageType.Interested, PeerMessageType.NotInterested, PeerMessageType.HaveAll, PeerMessageType.HaveNone })
            yield return (t.ToString(), PeerMessage.Simple(t));
        foreach (var t in new[] { PeerMessageType.Have, PeerMessageType.Suggest, PeerMessageType.AllowedFast })
            yield return (t.ToString(), PeerMessage.ForPiece(t, 10));
        foreach (var t in new[] { PeerMessageType.Request, PeerMessageType.Cancel, PeerMessageType.Reject })
            yield return (t.ToString(), PeerMessage.ForBlock(t, 3, 16384, 16384));
        yield return ("piece", PeerMessage.Piece(2, 16384, block));
        yield return ("lastpiece", PeerMessage.Piece(10, 0, new ReadOnlySequence<byte>(new byte[1000])));
        yield return ("bitfield", PeerMessage.Bitfield(new ReadOnlySequence<byte>([0xFF, 0xE0])));
        yield return ("port", PeerMessage.ForPort(6881));
        yield return ("extended", PeerMessage.Extended(3, new ReadOnlySequence<byte>("d1:md11:ut_metadatai1eee"u8.ToArray())));
    }

    private static byte[] Serialize(in PeerMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        PeerMessageWriter.Write(buffer, message);
        return buffer.WrittenSpan.ToArray();
    }

    [Theory]
    [MemberData(nameof(AllMessages))]
    public void Every_message_round_trips(string name)
    {
        var message = Samples().Single(s => s.Name == name).Message;
        var bytes = Serialize(message);
        Assert.Equal(message.WireLength, bytes.Length);
        var parsed = PeerMessageReader.Read(new ReadOnlySequence<byte>(bytes), Limits);
        Assert.Equal(message, parsed);
        Assert.Equal(bytes, Serialize(parsed));
    }

    [Fact]
    public void Known_bytes_parse_as_the_spec_says()
    {
        var request = PeerMessageReader.Read(new ReadOnlySequence<byte>([0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x40, 0]));
        Assert.Equal(new BlockRequest(1, 16384, 16384), new BlockRequest(request.Index, request.Begin, request.Length));
        Assert.Equal(PeerMessageType.KeepAlive, PeerMessageReader.Read(new ReadOnlySequence<byte>([0, 0, 0, 0])).Type);
        Assert.Equal(6881, PeerMessageReader.Read(new ReadOnlySequence<byte>([0, 0, 0, 3, 9, 0x1A, 0xE1])).Port);
    }

    [Fact]
    public void Fragmented_and_coalesced_reads_parse_the_same()
    {
        var stream = Samples().SelectMany(s => Serialize(s.Message)).ToArray();
        var expected = Samples().Select(s => s.Message).ToList();
        // Coalesced: everything in one buffer.
        Assert.Equal(expected, ParseAll(new ReadOnlySequence<byte>(stream)));
        // Fragmented: every split size from 1 byte, as a multi-segment sequence, and fed piecemeal as a pipe would.
        foreach (var chunk in new[] { 1, 2, 3, 5, 7, 13, 100, 4096 })
        {
            Assert.Equal(expected, ParseAll(Segmented(stream, chunk)));
            Assert.Equal(expected, ParseIncrementally(stream, chunk));
        }
    }

    private static List<PeerMessage> ParseAll(ReadOnlySequence<byte> bytes)
    {
        var result = new List<PeerMessage>();
        var reader = new SequenceReader<byte>(bytes);
        while (PeerMessageReader.TryRead(ref reader, out var m, Limits)) result.Add(Copy(m));
        Assert.True(reader.End);
        return result;
    }

    private static List<PeerMessage> ParseIncrementally(byte[] stream, int chunk)
    {
        var result = new List<PeerMessage>();
        var pending = new List<byte>();
        for (var offset = 0; offset < stream.Length; offset += chunk)
        {
            pending.AddRange(stream.Skip(offset).Take(chunk));
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(pending.ToArray()));
            while (PeerMessageReader.TryRead(ref reader, out var m, Limits)) result.Add(Copy(m));
            pending.RemoveRange(0, (int)reader.Consumed);
        }
        Assert.Empty(pending);
        return result;
    }

    // Payload slices are valid only until the buffer goes: keep a copy.
    private static PeerMessage Copy(PeerMessage m) => m.Type switch
    {
        PeerMessageType.Piece => PeerMessage.Piece(m.Index, m.Begin, new ReadOnlySequence<byte>(m.Payload.ToArray())),
        PeerMessageType.Bitfield => PeerMessage.Bitfield(new ReadOnlySequence<byte>(m.Payload.ToArray())),
        PeerMessageType.Extended => PeerMessage.Extended(m.ExtendedId, new ReadOnlySequence<byte>(m.Payload.ToArray())),
        _ => m,
    };

    internal static ReadOnlySequence<byte> Segmented(byte[] bytes, int chunk)
    {
        Segment? first = null, last = null;
        for (var offset = 0; offset < bytes.Length; offset += chunk)
        {
            var memory = bytes.AsMemory(offset, Math.Min(chunk, bytes.Length - offset));
            if (first is null) first = last = new Segment(memory, 0);
            else last = last!.Append(memory);
        }
        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long index)
        {
            Memory = memory;
            RunningIndex = index;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    public static TheoryData<string, byte[], ProtocolViolation> Malformed() => new()
    {
        { "length over limit", [0x7F, 0xFF, 0xFF, 0xFF, 7], ProtocolViolation.MessageTooLarge },
        { "negative length", [0xFF, 0xFF, 0xFF, 0xFF, 7], ProtocolViolation.MessageTooLarge },
        { "unknown id", [0, 0, 0, 1, 42], ProtocolViolation.UnknownMessage },
        { "choke with payload", [0, 0, 0, 2, 0, 0], ProtocolViolation.InvalidMessageLength },
        { "have too short", [0, 0, 0, 4, 4, 0, 0, 0], ProtocolViolation.InvalidMessageLength },
        { "request too long", [0, 0, 0, 14, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0], ProtocolViolation.InvalidMessageLength },
        { "port too short", [0, 0, 0, 2, 9, 1], ProtocolViolation.InvalidMessageLength },
        { "piece without header", [0, 0, 0, 5, 7, 0, 0, 0, 0], ProtocolViolation.InvalidBlock },
        { "piece over block limit", [0, 2, 0, 10, 7], ProtocolViolation.InvalidBlock },
        { "have out of range", [0, 0, 0, 5, 4, 0, 0, 0, 11], ProtocolViolation.InvalidPieceIndex },
        { "have negative", [0, 0, 0, 5, 4, 0xFF, 0xFF, 0xFF, 0xFF], ProtocolViolation.InvalidPieceIndex },
        { "bitfield wrong size", [0, 0, 0, 4, 5, 0xFF, 0xE0, 0], ProtocolViolation.InvalidBitfield },
        { "bitfield spare bits", [0, 0, 0, 3, 5, 0xFF, 0xF0], ProtocolViolation.InvalidBitfield },
        { "request beyond piece", [0, 0, 0, 13, 6, 0, 0, 0, 0, 0, 0, 0x70, 0, 0, 0, 0x40, 0], ProtocolViolation.InvalidBlock },
        { "request beyond last piece", [0, 0, 0, 13, 6, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0x40, 0], ProtocolViolation.InvalidBlock },
        { "request zero length", [0, 0, 0, 13, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], ProtocolViolation.InvalidBlock },
        { "request over block limit", [0, 0, 0, 13, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1], ProtocolViolation.InvalidBlock },
        { "request of missing piece", [0, 0, 0, 13, 6, 0, 0, 0, 11, 0, 0, 0, 0, 0, 0, 0x40, 0], ProtocolViolation.InvalidBlock },
        { "cancel negative begin", [0, 0, 0, 13, 8, 0, 0, 0, 0, 0xFF, 0, 0, 0, 0, 0, 0x40, 0], ProtocolViolation.InvalidBlock },
        { "piece beyond piece", [0, 0, 0, 11, 7, 0, 0, 0, 10, 0, 0, 0x03, 0xE7, 1, 2], ProtocolViolation.InvalidBlock },
        { "extended without id", [0, 0, 0, 1, 20], ProtocolViolation.InvalidMessageLength },
        { "extended over limit", [0, 0x20, 0, 0, 20], ProtocolViolation.MessageTooLarge },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_messages_raise_a_protocol_violation_with_its_reason(string name, byte[] bytes, ProtocolViolation reason)
    {
        var ex = Assert.Throws<ProtocolViolationException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
            PeerMessageReader.TryRead(ref reader, out _, Limits);
        });
        Assert.True(reason == ex.Reason, $"{name}: {ex.Reason} ({ex.Message})");
        Assert.False(string.IsNullOrEmpty(ex.Message));
    }

    [Fact]
    public void A_huge_declared_length_is_refused_before_its_body_arrives()
    {
        // Only the 5-byte header is there: the parser must fail now, not wait to buffer 16 MiB.
        Assert.Throws<ProtocolViolationException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>([0, 0xFF, 0, 0, 20]));
            PeerMessageReader.TryRead(ref reader, out _, Limits);
        });
    }

    [Fact]
    public void Incomplete_messages_wait_without_advancing()
    {
        var bytes = Serialize(PeerMessage.ForBlock(PeerMessageType.Request, 1, 0, 16384));
        for (var n = 0; n < bytes.Length; n++)
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes, 0, n));
            Assert.False(PeerMessageReader.TryRead(ref reader, out _, Limits));
            Assert.Equal(0, reader.Consumed);
        }
    }

    [Fact]
    public void Handshake_round_trips_and_rejects_other_protocols()
    {
        var infoHash = Enumerable.Range(1, 20).Select(i => (byte)i).ToArray();
        var peerId = "-WN0001-abcdefghijkl"u8.ToArray();
        var handshake = new PeerHandshake(infoHash, peerId, PeerHandshake.ExtensionProtocolBit | PeerHandshake.FastExtensionBit);
        var buffer = new ArrayBufferWriter<byte>();
        handshake.WriteTo(buffer);
        Assert.Equal(68, buffer.WrittenCount);
        var reader = new SequenceReader<byte>(Segmented(buffer.WrittenSpan.ToArray(), 7));
        Assert.True(PeerHandshake.TryRead(ref reader, out var parsed));
        Assert.Equal(infoHash, parsed.InfoHash.ToArray());
        Assert.Equal(peerId, parsed.PeerId.ToArray());
        Assert.True(parsed.SupportsExtensionProtocol && parsed.SupportsFastExtension && !parsed.SupportsDht);
        Assert.Equal(0x10, buffer.WrittenSpan[25]);
        Assert.Equal(0x04, buffer.WrittenSpan[27]);

        var bad = buffer.WrittenSpan.ToArray();
        bad[5] = (byte)'X';
        Assert.Equal(ProtocolViolation.InvalidHandshake, Assert.Throws<ProtocolViolationException>(() =>
        {
            var badReader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bad, 0, 6));
            PeerHandshake.TryRead(ref badReader, out _);
        }).Reason);
    }

    [Fact]
    public void Piece_layout_computes_the_last_piece()
    {
        Assert.Equal(11, Layout.PieceCount);
        Assert.Equal(1000, Layout.GetPieceLength(10));
        Assert.Equal(2, Layout.BitfieldLength);
        Assert.True(Layout.ContainsBlock(10, 0, 1000));
        Assert.False(Layout.ContainsBlock(10, 1, 1000));
    }
}
