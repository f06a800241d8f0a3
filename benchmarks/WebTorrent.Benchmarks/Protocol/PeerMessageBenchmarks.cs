using System.Buffers;
using BenchmarkDotNet.Attributes;
using WebTorrent.Protocol;

namespace WebTorrent.Benchmarks.Protocol;

/// <summary>
/// Parse and serialize throughput of the peer wire messages. One operation = one whole buffer:
/// 64 piece messages of 16 KiB (1 MiB of blocks), or 10,000 request messages. Divide to get GB/s and messages/s.
/// The reference is npm bittorrent-protocol on the same messages: tests/interop/protocol-bench.mjs.
/// </summary>
[MemoryDiagnoser]
public class PeerMessageBenchmarks
{
    public const int Pieces = 64;
    public const int BlockLength = 16384;
    public const int SmallMessages = 10_000;

    private static readonly PieceLayout Layout = new(1L << 30, 1 << 20);
    private static readonly PeerMessageLimits Limits = PeerMessageLimits.Default with { Layout = Layout };
    private ReadOnlySequence<byte> _pieces;
    private ReadOnlySequence<byte> _small;
    private readonly byte[] _block = new byte[BlockLength];
    private readonly ArrayBufferWriter<byte> _output = new(2 << 20);

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_block);
        var buffer = new ArrayBufferWriter<byte>();
        for (var i = 0; i < Pieces; i++) PeerMessageWriter.WritePiece(buffer, i, 0, _block);
        _pieces = new ReadOnlySequence<byte>(buffer.WrittenMemory.ToArray());
        buffer = new ArrayBufferWriter<byte>();
        for (var i = 0; i < SmallMessages; i++) PeerMessageWriter.WriteBlockRequest(buffer, PeerMessageType.Request, i % 1024, (i % 64) * BlockLength, BlockLength);
        _small = new ReadOnlySequence<byte>(buffer.WrittenMemory.ToArray());
    }

    [Benchmark(Description = "parse 64 x 16 KiB piece messages (1 MiB)")]
    public long ParsePieces()
    {
        var reader = new SequenceReader<byte>(_pieces);
        long total = 0;
        while (PeerMessageReader.TryRead(ref reader, out var message, Limits)) total += message.Payload.Length;
        return total;
    }

    [Benchmark(Description = "parse 10,000 request messages")]
    public long ParseSmall()
    {
        var reader = new SequenceReader<byte>(_small);
        long total = 0;
        while (PeerMessageReader.TryRead(ref reader, out var message, Limits)) total += message.Index;
        return total;
    }

    [Benchmark(Description = "serialize 64 x 16 KiB piece messages (1 MiB)")]
    public int SerializePieces()
    {
        _output.ResetWrittenCount();
        for (var i = 0; i < Pieces; i++) PeerMessageWriter.WritePiece(_output, i, 0, _block);
        return _output.WrittenCount;
    }

    [Benchmark(Description = "serialize 10,000 request messages")]
    public int SerializeSmall()
    {
        _output.ResetWrittenCount();
        for (var i = 0; i < SmallMessages; i++) PeerMessageWriter.WriteBlockRequest(_output, PeerMessageType.Request, i % 1024, (i % 64) * BlockLength, BlockLength);
        return _output.WrittenCount;
    }
}
