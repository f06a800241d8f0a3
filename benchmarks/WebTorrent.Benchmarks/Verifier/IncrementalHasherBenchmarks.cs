using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using WebTorrent.Verifier;

namespace WebTorrent.Benchmarks.Verifier;

/// <summary>
/// Pieces arriving as 16 KiB blocks through <see cref="PieceHasher"/> (hashed as they arrive, no second pass), in order
/// and in reverse order (every block but the last buffered), one hasher on one core and one hasher per core.
/// Each operation is 1 MiB; see the MB/s column.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class IncrementalHasherBenchmarks
{
    private const int DataMiB = 64;
    private const int BlockLength = 16 * 1024;
    private byte[] _data = [];
    private Sha1TorrentLayout _layout = null!;
    private PieceHasher[] _hashers = [];

    [Params(256 * 1024, 1024 * 1024)]
    public int PieceLength { get; set; }

    /// <summary>0 means all cores.</summary>
    [Params(1, 0)]
    public int Workers { get; set; }

    [Params(false, true)]
    public bool Reversed { get; set; }

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
        _hashers = [.. Enumerable.Range(0, Workers == 0 ? Environment.ProcessorCount : Workers).Select(_ => new PieceHasher(_layout))];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var hasher in _hashers)
        {
            hasher.Dispose();
        }
    }

    [Benchmark(OperationsPerInvoke = DataMiB)]
    public int HashBlocks()
    {
        var valid = 0;
        var workers = _hashers.Length;
        if (workers == 1)
        {
            valid = HashPieces(_hashers[0], 0, 1);
        }
        else
        {
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w => Interlocked.Add(ref valid, HashPieces(_hashers[w], w, workers)));
        }

        if (valid != _layout.PieceCount)
        {
            throw new InvalidOperationException("verification failed");
        }

        return valid;
    }

    private int HashPieces(PieceHasher hasher, int first, int stride)
    {
        var valid = 0;
        for (var piece = first; piece < _layout.PieceCount; piece += stride)
        {
            hasher.Begin(piece);
            var start = piece * PieceLength;
            if (Reversed)
            {
                for (var offset = PieceLength - BlockLength; offset >= 0; offset -= BlockLength)
                {
                    hasher.Append(offset, _data.AsSpan(start + offset, BlockLength));
                }
            }
            else
            {
                for (var offset = 0; offset < PieceLength; offset += BlockLength)
                {
                    hasher.Append(offset, _data.AsSpan(start + offset, BlockLength));
                }
            }

            valid += hasher.Verify() ? 1 : 0;
        }

        return valid;
    }
}
