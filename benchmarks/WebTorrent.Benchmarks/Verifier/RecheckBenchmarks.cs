using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using WebTorrent.Verifier;

namespace WebTorrent.Benchmarks.Verifier;

/// <summary>
/// Full recheck of one file on disk (1 MiB pieces, all cores). The file is $WEBTORRENT_RECHECK_FILE when set
/// (benchmarks/verifier-recheck.sh makes one and times sha1sum on it in the same run); otherwise a file is made in the
/// temp directory and deleted afterwards. The file must be 1 GiB: each operation is 1 MiB; see the MB/s column.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class RecheckBenchmarks
{
    public const int PieceLength = 1024 * 1024;
    private const int FileMiB = 1024;

    private string _path = "";
    private bool _ownsFile;
    private Sha1TorrentLayout _layout = null!;
    private PieceVerifier _verifier = null!;

    [GlobalSetup]
    public void Setup()
    {
        var given = Environment.GetEnvironmentVariable("WEBTORRENT_RECHECK_FILE");
        if (string.IsNullOrEmpty(given))
        {
            _path = Path.Combine(Path.GetTempPath(), "wt-recheck-bench.bin");
            _ownsFile = true;
            var block = new byte[PieceLength];
            var random = new Random(1);
            using var stream = File.Create(_path);
            for (long written = 0; written < FileMiB * (long)PieceLength; written += block.Length)
            {
                random.NextBytes(block);
                stream.Write(block);
            }
        }
        else
        {
            _path = given;
        }

        var length = new FileInfo(_path).Length;
        if (length != FileMiB * (long)PieceLength)
        {
            throw new InvalidOperationException($"{_path} must be exactly 1 GiB.");
        }

        var pieces = (int)((length + PieceLength - 1) / PieceLength);
        var hashes = new byte[pieces * 20];
        using (var stream = File.OpenRead(_path))
        {
            var buffer = new byte[PieceLength];
            for (var p = 0; p < pieces; p++)
            {
                var read = stream.ReadAtLeast(buffer, PieceLength, throwOnEndOfStream: false);
                SHA1.HashData(buffer.AsSpan(0, read), hashes.AsSpan(p * 20, 20));
            }
        }

        _layout = new Sha1TorrentLayout(PieceLength, hashes, [new TorrentFileEntry(Path.GetFileName(_path), length)]);
        _verifier = new PieceVerifier();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_ownsFile)
        {
            File.Delete(_path);
        }
    }

    [Benchmark(OperationsPerInvoke = FileMiB)]
    public async Task<int> RecheckFile()
    {
        var bitfield = await _verifier.RecheckAllAsync(_layout, Path.GetDirectoryName(_path)!);
        if (!bitfield.IsComplete)
        {
            throw new InvalidOperationException("recheck failed");
        }

        return bitfield.Count;
    }
}
