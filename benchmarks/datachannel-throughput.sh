#!/usr/bin/env bash
# Side by side, one run: data-channel throughput of one reliable ordered channel.
#  1. BenchmarkDotNet, in process: SCTP alone over an in-memory link, and the full stack (ICE+DTLS+SCTP) on
#     UDP loopback, C#<->C# (throughput, allocations, CPU-seconds per GB printed at cleanup).
#  2. tests/interop/datachannel-throughput.mjs, inside the test network namespace: C#->C#, C#->Chromium,
#     Chromium->C# and Chromium->Chromium (two headless Chromium instances), each pair timed the same way
#     (64 KiB messages, receiver counts, best of 3), with CPU-seconds per GB and PSS of both peers.
# Run as root from anywhere: bash benchmarks/datachannel-throughput.sh [MiB]   (needs eng/netns.sh, Chromium, node)
set -eu
cd "$(dirname "$0")/.."
mib=${1:-64}
ns=${WEBTORRENT_TEST_NETNS:-dcbench}
created=0
if ! ip netns list | grep -q "^$ns\b"; then bash eng/netns.sh up "$ns"; created=1; fi
trap '[ "$created" = 1 ] && bash eng/netns.sh down "$ns"' EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet build -c Release benchmarks/WebTorrent.Benchmarks >/dev/null
dotnet run -c Release --no-build --project benchmarks/WebTorrent.Benchmarks -- \
  --filter '*DataChannelThroughput*' --job short --warmupCount 1 --iterationCount 3 --inProcess
ip netns exec "$ns" node tests/interop/datachannel-throughput.mjs "$mib" \
  "$PWD/benchmarks/WebTorrent.Benchmarks/bin/Release/net10.0/WebTorrent.Benchmarks.dll" 3
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
