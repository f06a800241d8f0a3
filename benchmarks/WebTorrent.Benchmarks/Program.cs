using BenchmarkDotNet.Running;

namespace WebTorrent.Benchmarks;

/// <summary>Entry point: every BenchmarkDotNet class in this assembly.</summary>
public static class BenchmarkProgram
{
    // Run all: dotnet run -c Release --project benchmarks/WebTorrent.Benchmarks -- --filter '*'
    // Run one area: ... -- --filter '*Bencode*'
    public static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
}
