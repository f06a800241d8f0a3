using BenchmarkDotNet.Attributes;
using global::MagnetUri;

namespace WebTorrent.Benchmarks.MagnetUri;

/// <summary>
/// <see cref="MagnetLinkReader"/> getting the info-hashes of one link: a base32 v1 <c>xt</c> and a percent-encoded v2
/// one (the stack-buffer decoding path). The memory diagnoser's Allocated column must read 0 (shown as "-"): this is the
/// allocation check of the reader, measured on optimized code after warm-up, where a unit test would count the JIT's
/// unoptimized first calls in Debug.
/// Run: <c>dotnet run -c Release --project benchmarks/WebTorrent.Benchmarks -- --filter '*MagnetLinkReaderBenchmarks*'</c>
/// </summary>
[MemoryDiagnoser]
public class MagnetLinkReaderBenchmarks
{
    private const string Link = "magnet:?dn=x&xt=urn:btih:64DZYZWMUAVLIWJUXGDIK4QGAAIN7SL6&xt=urn%3Abtmh%3A1220caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e&tr=udp://a";
    private readonly InfoHash[] _hashes = new InfoHash[2];

    /// <summary>Reads every parameter and parses both info-hashes; returns how many it found (2).</summary>
    [Benchmark]
    public int GetInfoHashes()
    {
        var count = 0;
        var reader = new MagnetLinkReader(Link);
        while (reader.Read())
        {
            if (reader.TryGetInfoHash(out var hash)) _hashes[count++] = hash;
        }

        return count;
    }
}
