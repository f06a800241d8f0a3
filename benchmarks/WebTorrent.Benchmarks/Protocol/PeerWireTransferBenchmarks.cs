using BenchmarkDotNet.Attributes;
using WebTorrent.Protocol;
using WebTorrent.TestSupport;

namespace WebTorrent.Benchmarks.Protocol;

/// <summary>
/// Two <see cref="PeerWire"/>s over an in-memory duplex pipe: the downloader requests 16 KiB blocks (64 in flight), the
/// seeder answers each. One operation moves <see cref="Megabytes"/> MiB (scaled down from the 1 GiB to keep
/// the run short on a shared machine; throughput = size / mean).
/// </summary>
[MemoryDiagnoser]
public class PeerWireTransferBenchmarks
{
    private const int Block = 16384;
    private static readonly byte[] InfoHash = new byte[20];
    private readonly byte[] _content = new byte[1 << 20];
    private PeerWire _downloader = null!;
    private PeerWire _seeder = null!;
    private PieceLayout _layout;

    [Params(256)]
    public int Megabytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_content);
        _layout = new PieceLayout((long)Megabytes << 20, 1 << 20);
        var (a, b) = DuplexPipePair.Create();
        var options = new PeerWireOptions { MaxOutstandingRequests = 64, MaxQueuedIncomingRequests = 256, IdleTimeout = TimeSpan.FromHours(1) };
        _downloader = new PeerWire(a, options, _layout);
        _seeder = new PeerWire(b, options, _layout);
        _seeder.RequestReceived += (_, r) => _ = _seeder.SendPieceAsync(r.Index, r.Begin, _content.AsMemory(r.Begin, r.Length)).AsTask();
        var unchoked = new TaskCompletionSource();
        _downloader.Unchoked += (_, _) => unchoked.TrySetResult();
        var h = _downloader.HandshakeAsync(InfoHash, new byte[20]);
        _seeder.HandshakeAsync(InfoHash, new byte[20]).GetAwaiter().GetResult();
        h.GetAwaiter().GetResult();
        _seeder.SendHaveAllAsync().AsTask().GetAwaiter().GetResult();
        _downloader.SendHaveNoneAsync().AsTask().GetAwaiter().GetResult();
        _seeder.SendUnchokeAsync().AsTask().GetAwaiter().GetResult();
        unchoked.Task.GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _downloader.Abort();
        _seeder.Abort();
    }

    [Benchmark(Description = "two PeerWires, in-memory pipe")]
    public async Task Transfer()
    {
        var blocksPerPiece = _layout.PieceLength / Block;
        var total = _layout.PieceCount * blocksPerPiece;
        var destination = new byte[Block * 64];
        var next = 0;
        // 64 workers each keep one request in flight: the wire's pipeline holds 64.
        async Task Worker(int slot)
        {
            var memory = destination.AsMemory(slot * Block, Block);
            while (true)
            {
                var n = Interlocked.Increment(ref next) - 1;
                if (n >= total) return;
                await _downloader.RequestBlockAsync(n / blocksPerPiece, (n % blocksPerPiece) * Block, memory);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 64).Select(Worker));
    }
}
