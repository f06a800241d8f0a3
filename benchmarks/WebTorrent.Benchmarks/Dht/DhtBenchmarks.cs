using System.Buffers;
using System.Net;
using BenchmarkDotNet.Attributes;
using Bencode;
using WebTorrent.Dht;
using WebTorrent.Dht.Krpc;
using WebTorrent.Dht.Routing;

namespace WebTorrent.Benchmarks.Dht;

/// <summary>KRPC parse and encode rates: our zero-copy parser beside decoding the same datagram into the Bencode object model.</summary>
[MemoryDiagnoser]
public class KrpcBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(1500);
    private byte[] _getPeersQuery = [];
    private byte[] _findNodeResponse = [];
    private NodeId _id;
    private NodeId _target;
    private byte[] _nodes = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _id = NodeId.CreateRandom(random);
        _target = NodeId.CreateRandom(random);
        KrpcWriter.WriteGetPeers(_output, "aa"u8, _id, _target);
        _getPeersQuery = _output.WrittenSpan.ToArray();
        _nodes = new byte[CompactEncoding.NodeV4Size * 8];
        for (var i = 0; i < 8; i++)
            CompactEncoding.WriteNode(NodeId.CreateRandom(random), new IPEndPoint(new IPAddress(new byte[] { 1, 2, 3, (byte)i }), 6881), _nodes.AsSpan(i * CompactEncoding.NodeV4Size));
        _output.ResetWrittenCount();
        var fields = new KrpcResponseFields { Nodes = _nodes, Token = "12345678"u8 };
        KrpcWriter.WriteResponse(_output, "aa"u8, _id, fields);
        _findNodeResponse = _output.WrittenSpan.ToArray();
    }

    [Benchmark(Description = "KRPC parse get_peers query (ours, zero-copy)")]
    public int ParseQuery()
    {
        return KrpcParser.TryParse(_getPeersQuery, out var message, out _) ? message.InfoHash.Length : -1;
    }

    [Benchmark(Description = "KRPC parse response with 8 nodes (ours, zero-copy)")]
    public int ParseResponse()
    {
        return KrpcParser.TryParse(_findNodeResponse, out var message, out _) ? message.Nodes.Length : -1;
    }

    [Benchmark(Baseline = true, Description = "Reference: BencodeSerializer.Decode of the same response")]
    public int DecodeResponseObjectModel()
    {
        var dictionary = BencodeSerializer.DecodeDictionary(_findNodeResponse, KrpcParser.ReaderOptions);
        return dictionary.Get<BencodeDictionary>("r")!.GetBytes("nodes")!.Value.Length;
    }

    [Benchmark(Description = "KRPC encode response with 8 nodes (ours)")]
    public int EncodeResponse()
    {
        _output.ResetWrittenCount();
        var fields = new KrpcResponseFields { Nodes = _nodes, Token = "12345678"u8 };
        KrpcWriter.WriteResponse(_output, "aa"u8, _id, fields);
        return _output.WrittenCount;
    }

    [Benchmark(Description = "Reference: encode the same response via the Bencode object model")]
    public int EncodeResponseObjectModel()
    {
        var message = new BencodeDictionary
        {
            ["r"] = new BencodeDictionary { ["id"] = _id.ToArray(), ["nodes"] = _nodes, ["token"] = "12345678" },
            ["t"] = "aa",
            ["v"] = "WN\0\u0001",
            ["y"] = "r",
        };
        return message.ToArray().Length;
    }
}

/// <summary>Closest-nodes queries on a full routing table, beside a LINQ sort of the same nodes.</summary>
[MemoryDiagnoser]
public class RoutingTableBenchmarks
{
    private RoutingTable _table = null!;
    private RoutingNode[] _all = [];
    private readonly RoutingNode?[] _closest = new RoutingNode?[8];
    private NodeId[] _targets = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(2);
        _table = new RoutingTable(NodeId.CreateRandom(random));
        for (var i = 0; i < 100_000; i++)
            _table.TryAdd(NodeId.CreateRandom(random), new IPEndPoint(new IPAddress(new byte[] { 10, (byte)(i >> 16), (byte)(i >> 8), (byte)i }), 6881), true, out _);
        _all = _table.Nodes.ToArray();
        _targets = Enumerable.Range(0, 1024).Select(_ => NodeId.CreateRandom(random)).ToArray();
    }

    [Benchmark(Description = "RoutingTable.FindClosest(8) (ours)")]
    public int FindClosest() => _table.FindClosest(_targets[_next++ & 1023], _closest);

    [Benchmark(Baseline = true, Description = "Reference: LINQ OrderBy(xor).Take(8) over the same nodes")]
    public int LinqClosest()
    {
        var target = _targets[_next++ & 1023];
        // ToArray forces the sort: Count() on an ordered Take would be answered without sorting.
        return _all.OrderBy(n => n.Id.Xor(target)).Take(8).ToArray().Length;
    }
}
