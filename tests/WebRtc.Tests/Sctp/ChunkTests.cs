using System.Buffers.Binary;
using System.Text;
using WebRtc.Sctp;
using WebRtc.Sctp.Chunks;

namespace WebRtc.Tests.Sctp;

public class Crc32cTests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("123456789", 0xE3069283u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x22620404u)]
    public void Matches_known_vectors(string text, uint expected)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        Assert.Equal(expected, Crc32c.Compute(bytes));
        Assert.Equal(expected, ~Crc32c.UpdateSoftware(0xFFFFFFFFu, bytes));
    }

    [Fact]
    public void Rfc3720_vector_of_32_zero_bytes()
    {
        Assert.Equal(0x8A9136AAu, Crc32c.Compute(new byte[32]));
        var ones = Enumerable.Repeat((byte)0xFF, 32).ToArray();
        Assert.Equal(0x62A8AB43u, Crc32c.Compute(ones));
    }

    [Fact]
    public void Hardware_and_software_agree_on_every_length()
    {
        var random = new Random(7);
        for (var length = 0; length < 300; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(~Crc32c.UpdateSoftware(0xFFFFFFFFu, data), Crc32c.Compute(data));
        }
    }

    [Fact]
    public void Packet_checksum_is_written_little_endian_and_verified()
    {
        var packet = new byte[SctpPacket.HeaderLength + 8];
        SctpPacket.WriteHeader(packet, 5000, 5000, 0x01020304);
        SctpPacket.WriteChunkHeader(packet.AsSpan(12), ChunkType.CookieAck, 0, 0);
        var withoutChecksum = packet.ToArray();
        SctpPacket.WriteChecksum(packet);
        Assert.Equal(Crc32c.Compute(withoutChecksum), BinaryPrimitives.ReadUInt32LittleEndian(packet.AsSpan(8)));
        Assert.True(SctpPacket.VerifyChecksum(packet));
        packet[14] ^= 1;
        Assert.False(SctpPacket.VerifyChecksum(packet));
        packet[14] ^= 1;
        BinaryPrimitives.WriteUInt32LittleEndian(packet.AsSpan(8), 0);
        Assert.False(SctpPacket.VerifyChecksum(packet));
        Assert.True(SctpPacket.VerifyChecksum(packet, acceptZero: true));
    }
}

public class ChunkTests
{
    private static RawChunkCopy Single(ReadOnlySpan<byte> chunkBytes)
    {
        var packet = new byte[SctpPacket.HeaderLength + chunkBytes.Length];
        chunkBytes.CopyTo(packet.AsSpan(SctpPacket.HeaderLength));
        var e = SctpPacket.EnumerateChunks(packet);
        Assert.True(e.MoveNext());
        var copy = new RawChunkCopy(e.Current.Type, e.Current.Flags, e.Current.Value.ToArray());
        Assert.False(e.MoveNext());
        Assert.False(e.Malformed);
        return copy;
    }

    private sealed record RawChunkCopy(byte Type, byte Flags, byte[] Value);

    [Fact]
    public void Data_round_trips_with_padding()
    {
        var buffer = new byte[64];
        var written = DataChunk.Write(buffer, 0xFFFFFFFE, 7, 65535, 53, DataChunkFlags.Beginning | DataChunkFlags.End | DataChunkFlags.Unordered, "abcde"u8);
        Assert.Equal(24, written); // 16 + 5, padded to 4
        Assert.Equal(21, BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2)));
        var raw = Single(buffer.AsSpan(0, written));
        Assert.Equal((byte)ChunkType.Data, raw.Type);
        Assert.True(DataChunk.TryParse(raw.Flags, raw.Value, out var data));
        Assert.Equal(0xFFFFFFFEu, data.Tsn);
        Assert.Equal((ushort)7, data.StreamId);
        Assert.Equal((ushort)65535, data.StreamSequence);
        Assert.Equal(53u, data.PayloadProtocol);
        Assert.True(data.IsBeginning && data.IsEnd && data.IsUnordered);
        Assert.Equal("abcde"u8.ToArray(), data.UserData.ToArray());
    }

    [Fact]
    public void Data_without_user_data_is_rejected()
    {
        Assert.False(DataChunk.TryParse(0, new byte[12], out _));
    }

    [Fact]
    public void Init_round_trips_with_its_parameters()
    {
        var init = new InitChunk
        {
            IsAck = true, InitiateTag = 0xDEADBEEF, AdvertisedReceiverWindow = 5 << 20, OutboundStreams = 65535, InboundStreams = 1024,
            InitialTsn = 42, StateCookie = [1, 2, 3, 4, 5], SupportedExtensions = [130, 192], ForwardTsnSupported = true, ZeroChecksumMethod = 1,
        };
        var buffer = new byte[init.SerializedLength];
        Assert.Equal(buffer.Length, init.Write(buffer));
        var raw = Single(buffer);
        Assert.Equal((byte)ChunkType.InitAck, raw.Type);
        Assert.True(InitChunk.TryParse(true, raw.Value, out var parsed));
        Assert.Equal(0xDEADBEEFu, parsed!.InitiateTag);
        Assert.Equal(5u << 20, parsed.AdvertisedReceiverWindow);
        Assert.Equal((ushort)1024, parsed.InboundStreams);
        Assert.Equal(42u, parsed.InitialTsn);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, parsed.StateCookie);
        Assert.True(parsed.ReconfigSupported);
        Assert.True(parsed.PartialReliabilitySupported);
        Assert.Equal(1u, parsed.ZeroChecksumMethod);
    }

    [Fact]
    public void Init_skips_unknown_parameters_by_their_high_bits()
    {
        // An INIT as libdatachannel sends it: an unknown "skip" parameter (0x8002, random) before Forward-TSN,
        // then an unknown "stop" parameter (0x0005) after which nothing is read.
        var value = new List<byte>();
        void U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, v); value.AddRange(b); }
        void U16(ushort v) { var b = new byte[2]; BinaryPrimitives.WriteUInt16BigEndian(b, v); value.AddRange(b); }
        U32(1); U32(100000); U16(10); U16(10); U32(7);
        U16(0x8002); U16(7); value.AddRange(new byte[] { 9, 9, 9, 0 }); // length 7, padded to 8
        U16(0xC000); U16(4);
        U16(0x0005); U16(8); U32(0);
        U16(0x8008); U16(6); value.AddRange(new byte[] { 130, 192, 0, 0 });
        Assert.True(InitChunk.TryParse(false, value.ToArray(), out var init));
        Assert.True(init!.ForwardTsnSupported);
        Assert.Null(init.SupportedExtensions); // after the 00-type parameter, processing stopped
    }

    [Fact]
    public void Sack_round_trips_gaps_and_duplicates()
    {
        var buffer = new byte[64];
        var written = SackChunk.Write(buffer, 1000, 65536, [new GapAckBlock(2, 3), new GapAckBlock(5, 9)], [998u, 999u]);
        Assert.Equal(SackChunk.SerializedLength(2, 2), written);
        var raw = Single(buffer.AsSpan(0, written));
        Assert.True(SackChunk.TryParse(raw.Value, out var sack));
        Assert.Equal(1000u, sack.CumulativeTsnAck);
        Assert.Equal(65536u, sack.AdvertisedReceiverWindow);
        Assert.Equal(2, sack.GapBlockCount);
        Assert.Equal(new GapAckBlock(5, 9), sack.GetGapBlock(1));
        Assert.Equal(999u, sack.GetDuplicate(1));
        Assert.False(SackChunk.TryParse(raw.Value.AsSpan(0, raw.Value.Length - 4), out _));
    }

    [Fact]
    public void Heartbeat_and_ack_echo_the_info()
    {
        var buffer = new byte[32];
        var written = HeartbeatChunk.Write(buffer, true, "ping!"u8);
        var raw = Single(buffer.AsSpan(0, written));
        Assert.Equal((byte)ChunkType.HeartbeatAck, raw.Type);
        Assert.True(HeartbeatChunk.TryParse(raw.Value, out var info));
        Assert.Equal("ping!"u8.ToArray(), info.ToArray());
    }

    [Fact]
    public void Abort_carries_a_readable_cause()
    {
        var buffer = new byte[64];
        var written = AbortChunk.Write(buffer, ChunkType.Abort, AbortChunk.ReflectedTagFlag, AbortChunk.UserInitiatedAbortCause, "bye"u8);
        var raw = Single(buffer.AsSpan(0, written));
        Assert.Equal(AbortChunk.ReflectedTagFlag, raw.Flags);
        Assert.Contains("bye", AbortChunk.Describe(raw.Value));
    }

    [Fact]
    public void Shutdown_cookie_and_empty_chunks_round_trip()
    {
        var buffer = new byte[32];
        var written = ShutdownChunk.Write(buffer, 77);
        var raw = Single(buffer.AsSpan(0, written));
        Assert.True(ShutdownChunk.TryParse(raw.Value, out var cum));
        Assert.Equal(77u, cum);
        written = CookieEchoChunk.Write(buffer, "cookie"u8);
        raw = Single(buffer.AsSpan(0, written));
        Assert.Equal("cookie"u8.ToArray(), raw.Value);
        written = ShutdownChunk.WriteEmpty(buffer, ChunkType.ShutdownComplete, 1);
        raw = Single(buffer.AsSpan(0, written));
        Assert.Equal((byte)ChunkType.ShutdownComplete, raw.Type);
        Assert.Empty(raw.Value);
    }

    [Fact]
    public void ForwardTsn_round_trips_streams()
    {
        var buffer = new byte[32];
        var written = ForwardTsnChunk.Write(buffer, 12345, [new ForwardTsnStream(1, 2), new ForwardTsnStream(3, 65535)]);
        var raw = Single(buffer.AsSpan(0, written));
        Assert.True(ForwardTsnChunk.TryParse(raw.Value, out var fwd));
        Assert.Equal(12345u, fwd.NewCumulativeTsn);
        Assert.Equal(2, fwd.StreamCount);
        Assert.Equal(new ForwardTsnStream(3, 65535), fwd.GetStream(1));
    }

    [Fact]
    public void Reconfig_round_trips_a_request_and_a_response()
    {
        var request = new OutgoingResetRequest(10, 20, 30, [1, 3, 5]);
        var response = new ReconfigResponse(9, ReconfigResult.SuccessPerformed);
        var parameters = ReconfigChunk.OutgoingResetRequestLength(3) + ReconfigChunk.ResponseLength;
        var buffer = new byte[4 + parameters];
        var at = ReconfigChunk.WriteHeader(buffer, parameters);
        at += ReconfigChunk.WriteOutgoingResetRequest(buffer.AsSpan(at), request);
        at += ReconfigChunk.WriteResponse(buffer.AsSpan(at), response);
        var raw = Single(buffer.AsSpan(0, at));
        List<OutgoingResetRequest> requests = [];
        List<ReconfigResponse> responses = [];
        List<uint> unsupported = [];
        Assert.True(ReconfigChunk.TryParse(raw.Value, requests, responses, unsupported));
        Assert.Equal(request.Streams, requests.Single().Streams);
        Assert.Equal(30u, requests[0].LastAssignedTsn);
        Assert.Equal(response, responses.Single());
        Assert.Empty(unsupported);
    }

    [Fact]
    public void Chunk_walk_stops_at_a_bad_length()
    {
        var packet = new byte[SctpPacket.HeaderLength + 8];
        packet[12] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(14), 100); // longer than the packet
        var e = SctpPacket.EnumerateChunks(packet);
        Assert.False(e.MoveNext());
        Assert.True(e.Malformed);
    }

    [Fact]
    public void Fuzzed_chunks_never_throw()
    {
        var random = new Random(20261124);
        var buffer = new byte[512];
        List<OutgoingResetRequest> requests = [];
        List<ReconfigResponse> responses = [];
        List<uint> unsupported = [];
        for (var i = 0; i < 20000; i++)
        {
            var length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            var span = buffer.AsSpan(0, length);
            if (random.Next(2) == 0 && length > 16)
            {
                // Make the first chunk header plausible so the walk goes deeper.
                BinaryPrimitives.WriteUInt16BigEndian(span[14..], (ushort)random.Next(4, length - 12 + 1));
                span[12] = (byte)random.Next(16);
            }
            foreach (var chunk in SctpPacket.EnumerateChunks(span))
            {
                var v = chunk.Value;
                _ = DataChunk.TryParse(chunk.Flags, v, out _);
                _ = InitChunk.TryParse(false, v, out _);
                if (SackChunk.TryParse(v, out var sack))
                {
                    for (var g = 0; g < sack.GapBlockCount; g++) sack.GetGapBlock(g);
                    for (var d = 0; d < sack.DuplicateCount; d++) sack.GetDuplicate(d);
                }
                _ = HeartbeatChunk.TryParse(v, out _);
                _ = ShutdownChunk.TryParse(v, out _);
                if (ForwardTsnChunk.TryParse(v, out var fwd)) for (var s = 0; s < fwd.StreamCount; s++) fwd.GetStream(s);
                _ = AbortChunk.Describe(v);
                requests.Clear(); responses.Clear(); unsupported.Clear();
                _ = ReconfigChunk.TryParse(v, requests, responses, unsupported);
            }
        }
    }
}
