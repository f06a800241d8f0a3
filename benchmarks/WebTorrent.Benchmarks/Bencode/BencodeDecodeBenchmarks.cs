using BenchmarkDotNet.Attributes;
using Bencode;

namespace WebTorrent.Benchmarks.Bencode;

/// <summary>
/// Decoding a ~1 MB torrent: a full token pass of the zero-copy reader (no allocation at all), finding the raw info
/// dictionary, the object model decode, and encoding back. Compare with npm bencode via benchmarks/bencode-bench.sh.
/// </summary>
[MemoryDiagnoser]
public class BencodeDecodeBenchmarks
{
    private byte[] _torrent = [];
    private BencodeValue _decoded = null!;

    [GlobalSetup]
    public void Setup()
    {
        _torrent = BenchmarkTorrent.Load();
        _decoded = BencodeSerializer.Decode(_torrent.AsMemory());
    }

    [Benchmark(Description = "BencodeReader: every token")]
    public long ReaderPass()
    {
        var reader = new BencodeReader(_torrent);
        long sum = 0;
        while (reader.Read())
        {
            sum += reader.TokenType switch
            {
                BencodeTokenType.Integer => reader.GetInt64(),
                BencodeTokenType.String => reader.ValueSpan.Length,
                _ => 1,
            };
        }
        return sum;
    }

    [Benchmark(Description = "BencodeReader: raw info span")]
    public int ReaderFindInfo()
    {
        var reader = new BencodeReader(_torrent);
        reader.Read();
        while (reader.Read() && reader.TokenType == BencodeTokenType.String)
        {
            var isInfo = reader.ValueTextEquals("info"u8);
            reader.Read();
            var raw = reader.SkipValue();
            if (isInfo) return raw.Length;
        }
        return -1;
    }

    [Benchmark(Description = "BencodeSerializer.Decode (object model)")]
    public BencodeValue ObjectModelDecode() => BencodeSerializer.Decode(_torrent.AsMemory());

    [Benchmark(Description = "BencodeValue.ToArray (encode)")]
    public byte[] Encode() => _decoded.ToArray();
}
