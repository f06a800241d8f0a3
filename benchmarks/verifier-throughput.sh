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

# openssl speed counts CPU time by default, so its figure is the hardware speed even on a busy machine, while
# BenchmarkDotNet measures wall-clock time. The -elapsed run shows what wall-clock hashing gets under the current load.
kbs=$(openssl speed -elapsed -evp sha1 -seconds "$SECONDS_PER" -bytes 1048576 2>/dev/null | awk '/^sha1/ {print $2}' | tr -d k)
echo "openssl speed -elapsed -evp sha1 -bytes 1048576 (wall-clock, current load): $(awk -v k="$kbs" 'BEGIN { printf "%.0f", k * 1000 / 1e6 }') MB/s"
kbs=$(openssl speed -evp sha256 -seconds "$SECONDS_PER" -bytes 16384 2>/dev/null | awk '/^sha256/ {print $2}' | tr -d k)
O256SHA=$(awk -v k="$kbs" 'BEGIN { printf "%.0f", k * 1000 / 1e6 }')
echo "openssl speed -evp sha256 -bytes 16384: $O256SHA MB/s (one core)"

ART=$(verifier_bdn --filter '*VerifierThroughputBenchmarks*' '*MerkleVerifierBenchmarks*' '*Sha1BaselineBenchmarks*' '*IncrementalHasherBenchmarks*' --job short --exporters csv | tail -1)
echo
echo "== BenchmarkDotNet (MB/s = decimal megabytes per second; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
CORES="$CORES" SHA256_16K="$O256SHA" O16="${OPENSSL[16384]}" O256="${OPENSSL[262144]}" O1M="${OPENSSL[1048576]}" O4M="${OPENSSL[4194304]}" \
python3 - "$ART"/results/*.csv <<'PY'
import csv, os, sys
cores = int(os.environ["CORES"])
openssl = {16384: float(os.environ["O16"]), 262144: float(os.environ["O256"]), 1048576: float(os.environ["O1M"]), 4194304: float(os.environ["O4M"])}
for path in sorted(sys.argv[1:]):
    for row in csv.DictReader(open(path, newline="")):
        mbs = float(row["MB/s"])
        alloc = row.get("Allocated", "?")
        if "MerkleVerifier" in path:
            workers = int(row["Workers"]) or cores
            ref = float(os.environ["SHA256_16K"])
            print("%-62s %d worker(s): %5.0f MB/s | openssl sha256 x %d = %5.0f MB/s | ratio %.2f | allocated per MiB: %s" % ("PieceVerifier v2 merkle from memory, 1048576-byte pieces", workers, mbs, workers, ref * workers, mbs / (ref * workers), alloc))
        elif "VerifierThroughput" in path or "IncrementalHasher" in path:
            workers = int(row["Workers"]) or cores
            size = int(row["PieceLength"])
            ref = openssl[16384] if "IncrementalHasher" in path else openssl[size]
            what = ("PieceHasher, 16 KiB blocks%s, %7d-byte pieces" % (" reversed" if row["Reversed"] == "True" else "", size)) if "IncrementalHasher" in path \
                else "PieceVerifier from memory, %7d-byte pieces" % size
            print("%-62s %d worker(s): %5.0f MB/s | openssl x %d = %5.0f MB/s | ratio %.2f | allocated per MiB: %s" % (what, workers, mbs, workers, ref * workers, mbs / (ref * workers), alloc))
        else:
            size = int(row["ChunkLength"])
            print("%-62s 1 worker(s): %5.0f MB/s | openssl x 1 = %5.0f MB/s | ratio %.2f | allocated per MiB: %s" % ("bare SHA1.HashData, %7d-byte chunks" % size, mbs, openssl[size], mbs / openssl[size], alloc))
PY
rm -rf "$ART"
