#!/usr/bin/env bash
# Piece verification throughput (BenchmarkDotNet, WebTorrent.Verifier) beside `openssl speed -evp sha1` on the same
# machine in the same run. Goal: all-cores throughput >= 90% of openssl single-core speed x core count.
# Usage: bash benchmarks/verifier-throughput.sh [--quick]   (--quick: 1 s openssl runs and BDN's dry-ish short job)
set -euo pipefail
source "$(dirname "$0")/verifier-host.sh"
SECONDS_PER=3; [[ "${1:-}" == "--quick" ]] && SECONDS_PER=1
CORES=$(nproc)
echo "== machine: $CORES cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), sha_ni: $(grep -qw sha_ni /proc/cpuinfo && echo yes || echo no), load: $(cut -d' ' -f1-3 /proc/loadavg)"

declare -A OPENSSL
for bytes in 16384 262144 1048576 4194304; do
  kbs=$(openssl speed -evp sha1 -seconds "$SECONDS_PER" -bytes "$bytes" 2>/dev/null | awk '/^sha1/ {print $2}' | tr -d k)
  OPENSSL[$bytes]=$(awk -v k="$kbs" 'BEGIN { printf "%.0f", k * 1000 / 1e6 }')
  echo "openssl speed -evp sha1 -bytes $bytes: ${OPENSSL[$bytes]} MB/s (one core)"
done

ART=$(verifier_bdn --filter '*VerifierThroughputBenchmarks*' '*Sha1BaselineBenchmarks*' '*IncrementalHasherBenchmarks*' --job short --exporters csv | tail -1)
echo
echo "== BenchmarkDotNet (MB/s = decimal megabytes per second; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
for csv in "$ART"/results/*VerifierThroughputBenchmarks*.csv; do
  # columns located by header name
  awk -F, -v cores="$CORES" -v o16="${OPENSSL[16384]}" -v o256="${OPENSSL[262144]}" -v o1m="${OPENSSL[1048576]}" -v o4m="${OPENSSL[4194304]}" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    {
      piece = $col["PieceLength"]; workers = $col["Workers"]; mbs = $col["MB/s"]; alloc = $col["Allocated"]
      ref = (piece == 16384) ? o16 : (piece == 262144) ? o256 : (piece == 1048576) ? o1m : o4m
      n = (workers == 0) ? cores : workers
      printf "verify from memory, %7d-byte pieces, %s worker(s): %6s MB/s   openssl x %d = %6d MB/s   ratio %.2f   allocated/MiB %s\n", piece, (workers == 0 ? "all " cores : workers), mbs, n, ref * n, mbs / (ref * n), alloc
    }' "$csv"
done
for csv in "$ART"/results/*IncrementalHasherBenchmarks*.csv; do
  awk -F, -v cores="$CORES" -v o16="${OPENSSL[16384]}" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    {
      workers = $col["Workers"]; n = (workers == 0) ? cores : workers; mbs = $col["MB/s"]
      printf "PieceHasher 16 KiB blocks, %7d-byte pieces, reversed=%s, %s worker(s): %6s MB/s   openssl(16 KiB) x %d = %6d MB/s   ratio %.2f   allocated/MiB %s\n", $col["PieceLength"], $col["Reversed"], (workers == 0 ? "all " cores : workers), mbs, n, o16 * n, mbs / (o16 * n), $col["Allocated"]
    }' "$csv"
done
for csv in "$ART"/results/*Sha1BaselineBenchmarks*.csv; do
  awk -F, -v o16="${OPENSSL[16384]}" -v o1m="${OPENSSL[1048576]}" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { ref = ($col["ChunkLength"] == 16384) ? o16 : o1m; printf "bare SHA1.HashData, %7d-byte chunks, 1 core: %6s MB/s   openssl = %6d MB/s   ratio %.2f\n", $col["ChunkLength"], $col["MB/s"], ref, $col["MB/s"] / ref }' "$csv"
done
rm -rf "$ART"
