using BenchmarkDotNet.Attributes;
using global::MagnetUri;

namespace WebTorrent.Benchmarks.MagnetUri;

/// <summary>
/// Parsing 1 million magnet links (hex and base32 btih, dn, 2-5 tr, some ws); one operation = the whole million.
/// benchmarks/magnet-bench.sh runs node's magnet-uri over the same file in the same run.
/// </summary>
[MemoryDiagnoser]
public class MagnetLinkParseBenchmarks
{
    private const int Count = 1_000_000;
    private string[] _links = [];

    [GlobalSetup]
    public void Setup()
    {
        _links = MagnetLinkCorpus.Load(Count);
        var bytes = _links.Sum(l => (long)System.Text.Encoding.UTF8.GetByteCount(l) + 1);
        Console.WriteLine($"// magnet corpus: {bytes / 1e6:F1} MB (UTF-8, with newlines, as node measures it)");
    }

    /// <summary>Full parse to an immutable <see cref="MagnetLink"/> (strings decoded, lists built): what magnet-uri's decode does.</summary>
    [Benchmark(Baseline = true)]
    public int Parse()
    {
        var sum = 0;
        foreach (var link in _links) sum += MagnetLink.Parse(link).Trackers.Length;
        return sum;
    }

    /// <summary>The allocation-free path: every parameter visited, the info-hash parsed, every tracker percent-decoded into a stack buffer.</summary>
    [Benchmark]
    public int Reader()
    {
        var sum = 0;
        Span<char> buffer = stackalloc char[512];
        foreach (var link in _links)
        {
            var reader = new MagnetLinkReader(link);
            while (reader.Read())
            {
                if (reader.Kind == MagnetParameterKind.ExactTopic)
                {
                    if (reader.TryGetInfoHash(out var hash)) sum += hash.Length;
                }
                else if (reader.Kind is MagnetParameterKind.Tracker or MagnetParameterKind.DisplayName or MagnetParameterKind.WebSeed
                         && reader.TryDecodeValue(buffer, out var written))
                {
                    sum += written;
                }
            }
        }

        return sum;
    }
}
