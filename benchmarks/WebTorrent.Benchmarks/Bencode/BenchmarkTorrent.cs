using Bencode;

namespace WebTorrent.Benchmarks.Bencode;

/// <summary>
/// The ~1 MB benchmark torrent: the file named by BENCODE_BENCH_FILE (written by tests/interop/bencode-bench.mjs, so
/// node measures the same bytes), or an equivalent one built here when run alone.
/// </summary>
public static class BenchmarkTorrent
{
    public static byte[] Load()
    {
        var path = Environment.GetEnvironmentVariable("BENCODE_BENCH_FILE");
        if (!string.IsNullOrEmpty(path) && File.Exists(path)) return File.ReadAllBytes(path);
        var random = new Random(12345);
        var files = new BencodeList();
        long total = 0;
        for (var i = 0; i < 4000; i++)
        {
            var length = random.Next(5_242_880);
            total += length;
            files.Add(new BencodeDictionary
            {
                ["length"] = length,
                ["path"] = new BencodeList { $"folder {i % 37}", $"sub {i % 11}", $"file number {i} of the benchmark set.bin" },
            });
        }
        var pieces = new byte[(total + 262143) / 262144 * 20];
        random.NextBytes(pieces);
        return new BencodeDictionary
        {
            ["announce"] = "wss://tracker.example/announce",
            ["comment"] = "benchmark torrent",
            ["info"] = new BencodeDictionary { ["files"] = files, ["name"] = "benchmark", ["piece length"] = 262144, ["pieces"] = pieces },
        }.ToArray();
    }
}
