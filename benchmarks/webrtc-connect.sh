#!/usr/bin/env bash
# Time to a connected DTLS association: ours (C# <-> C# on loopback, BenchmarkDotNet) beside
# Chromium <-> Chromium (same machine, same run). Chromium's WebRTC must stay in the test namespace:
#   bash eng/netns.sh up wtbench && bash benchmarks/webrtc-connect.sh wtbench
set -eu
ns=${1:-wtbench}
root=$(cd "$(dirname "$0")/.." && pwd)
ip netns exec "$ns" node "$root/tests/interop/webrtc-chromium-connect.mjs" 20
cd "$root"
ip netns exec "$ns" dotnet run -c Release --project benchmarks/WebTorrent.Benchmarks -- --filter '*ConnectBenchmarks*' --job short
ip netns exec "$ns" node "$root/tests/interop/webrtc-chromium-connect.mjs" 20
