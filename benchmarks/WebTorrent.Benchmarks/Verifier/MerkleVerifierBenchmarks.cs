using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using WebTorrent.Verifier;

namespace WebTorrent.Benchmarks.Verifier;

/// <summary>
/// v2 (BEP 52) verification from memory: SHA-256 of every 16 KiB leaf plus the small tree above, one worker and all
/// cores, 1 MiB pieces. Compare with `openssl speed -evp sha256 -bytes 16384`. Each operation is 1 MiB (MB/s column).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class MerkleVerifierBenchmarks
{
    private const int DataMiB = 64;
    private const int PieceLength = 1024 * 1024;
    private byte[] _data = [];
    private MerkleTorrentLayout _layout = null!;
    private PieceVerifier _verifier = null!;
    private PieceBitfield _bitfield = null!;

    /// <summary>0 means all cores.</summary>
    [Params(1, 0)]
    public int Workers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[DataMiB * 1024 * 1024];
        new Random(1).NextBytes(_data);
        var pieces = _data.Length / PieceLength;
        var layer = new byte[pieces * 32];
        var leaves = new byte[PieceLength / 16384 * 32];
        for (var p = 0; p < pieces; p++)
        {
            // Our own tree here only feeds the benchmark; correctness against libtorrent is in the tests.
            for (var leaf = 0; leaf < PieceLength / 16384; leaf++)
            {
                SHA256.HashData(_data.AsSpan((p * PieceLength) + (leaf * 16384), 16384), leaves.AsSpan(leaf * 32, 32));
            }

            for (var count = PieceLength / 16384; count > 1; count /= 2)
            {
                for (var i = 0; i < count / 2; i++)
                {
                    SHA256.HashData(leaves.AsSpan(i * 64, 64), leaves.AsSpan(i * 32, 32));
                }
            }

            leaves.AsSpan(0, 32).CopyTo(layer.AsSpan(p * 32));
        }

        // The pieces root is not checked when verifying pieces; any 32 bytes do.
        _layout = new MerkleTorrentLayout(PieceLength, [new MerkleFileEntry("data", _data.Length, new byte[32], layer)]);
        _verifier = new PieceVerifier(new VerifierOptions { DegreeOfParallelism = Workers == 0 ? Environment.ProcessorCount : Workers });
        _bitfield = new PieceBitfield(pieces);
    }

    [Benchmark(OperationsPerInvoke = DataMiB)]
    public async Task<int> VerifyMerkleFromMemory()
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
