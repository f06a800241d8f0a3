using BenchmarkDotNet.Running;

namespace WebTorrent.Benchmarks;

/// <summary>Entry point: every BenchmarkDotNet class in this assembly.</summary>
public static class BenchmarkProgram
{
    // Run all: dotnet run -c Release --project benchmarks/WebTorrent.Benchmarks -- --filter '*'
    // Run one area: ... -- --filter '*Bencode*'
    public static void Main(string[] args)
    {
        // Not a benchmark: our peer for benchmarks/datachannel-throughput.sh.
        if (args is ["datachannel-peer"])
        {
            WebRtc.DataChannelPeer.RunAsync().GetAwaiter().GetResult();
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
    }
}
