using BenchmarkDotNet.Attributes;
using WebTorrent.Benchmarks.Bencode;
using WebTorrent.Metainfo;

namespace WebTorrent.Benchmarks.Metainfo;

/// <summary>TorrentMetainfo.Parse of the ~1 MB, 4,000-file benchmark torrent: decode, SHA-1 info-hash, path checks.</summary>
[MemoryDiagnoser]
public class MetainfoParseBenchmarks
{
    private byte[] _torrent = [];

    [GlobalSetup]
    public void Setup() => _torrent = BenchmarkTorrent.Load();

    [Benchmark(Description = "TorrentMetainfo.Parse (1 MB, 4000 files)")]
    public TorrentMetainfo Parse() => TorrentMetainfo.Parse(_torrent);
}
