#!/usr/bin/env bash
# Side by side: data-channel throughput C#<->C# (BenchmarkDotNet: SCTP alone in memory, and the full
# ICE+DTLS+SCTP stack on UDP loopback) and C#<->Chromium / C#<->libdatachannel (interop tests, which
# print MiB and seconds per direction). Run as root from the repository root; needs eng/netns.sh.
set -eu
cd "$(dirname "$0")/.."
ns=${WEBTORRENT_TEST_NETNS:-dcbench}
ip netns list | grep -q "^$ns" || bash eng/netns.sh up "$ns"
dotnet build -c Release benchmarks/WebTorrent.Benchmarks >/dev/null
dotnet run -c Release --no-build --project benchmarks/WebTorrent.Benchmarks -- \
  --filter '*DataChannelThroughput*' --job short --warmupCount 1 --iterationCount 3 --inProcess
dotnet build -c Release tests/Interop.Tests >/dev/null
WEBTORRENT_TEST_NETNS=$ns ip netns exec "$ns" dotnet test tests/Interop.Tests -c Release --no-build \
  --filter "FullyQualifiedName~DataChannels" --logger "console;verbosity=detailed" | grep -E "MiB|Passed|Failed"
