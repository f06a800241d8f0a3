using BenchmarkDotNet.Running;

// Run all: dotnet run -c Release --project benchmarks/WebTorrent.Benchmarks -- --filter '*'
// Run one area: ... -- --filter '*Bencode*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
