using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using WebTorrent.Verifier;

namespace WebTorrent.Benchmarks.Verifier;

/// <summary>
/// Whole-torrent verification from memory through <see cref="PieceVerifier"/> (WorkerPool underneath), one worker and
/// all cores, for several piece sizes; plus bare <see cref="SHA1.HashData(ReadOnlySpan{byte}, Span{byte})"/> on one core
/// as the in-process ceiling. Each operation is 1 MiB, so Mean is time per MiB; see the MB/s column.
/// Compare with `openssl speed -evp sha1` (benchmarks/verifier-throughput.sh prints both).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class VerifierThroughputBenchmarks
{
    private const int DataMiB = 64;
    private byte[] _data = [];
    private Sha1TorrentLayout _layout = null!;
    private PieceVerifier _verifier = null!;
    private PieceBitfield _bitfield = null!;

    [Params(16 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024)]
    public int PieceLength { get; set; }

    /// <summary>0 means all cores.</summary>
    [Params(1, 0)]
    public int Workers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[DataMiB * 1024 * 1024];
        new Random(1).NextBytes(_data);
        var pieces = _data.Length / PieceLength;
        var hashes = new byte[pieces * 20];
        for (var p = 0; p < pieces; p++)
        {
            SHA1.HashData(_data.AsSpan(p * PieceLength, PieceLength), hashes.AsSpan(p * 20, 20));
        }

        _layout = new Sha1TorrentLayout(PieceLength, _data.Length, hashes);
        _verifier = new PieceVerifier(new VerifierOptions { DegreeOfParallelism = Workers == 0 ? Environment.ProcessorCount : Workers });
        _bitfield = new PieceBitfield(pieces);
    }

    [Benchmark(OperationsPerInvoke = DataMiB)]
    public async Task<int> VerifyFromMemory()
    {
        await foreach (var _ in _verifier.VerifyAsync(_layout, _data, _bitfield))
        {
        }

        if (!_bitfield.IsComplete)
        {
            throw new InvalidOperationException("verification failed");
        }

        return _bitfield.Count;
    }
}

/// <summary>The in-process ceiling: bare one-shot SHA-1 over the same data on one core, no pool, no events.</summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class Sha1BaselineBenchmarks
{
    private const int DataMiB = 64;
    private byte[] _data = [];
    private readonly byte[] _hash = new byte[20];

    [Params(16 * 1024, 1024 * 1024)]
    public int ChunkLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[DataMiB * 1024 * 1024];
        new Random(1).NextBytes(_data);
    }

    [Benchmark(OperationsPerInvoke = DataMiB)]
    public byte Sha1HashDataOneCore()
    {
        for (var offset = 0; offset < _data.Length; offset += ChunkLength)
        {
            SHA1.HashData(_data.AsSpan(offset, ChunkLength), _hash);
        }

        return _hash[0];
    }
}
