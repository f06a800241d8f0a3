#!/usr/bin/env bash
# Bencode decode of a ~1 MB torrent: ours (BenchmarkDotNet, MemoryDiagnoser) beside npm `bencode` in node, same bytes,
# same run. Prints one line per benchmark with MB/s, allocations and the ratio to node.
#   bash benchmarks/bencode-bench.sh            (about 3 minutes; --job short)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
file="$work/bench.torrent"
(cd "$root/tests/interop" && node bencode-bench.mjs write "$file")
export BENCODE_BENCH_FILE="$file"

dotnet run -c Release --project "$root/benchmarks/WebTorrent.Benchmarks" -- \
  --filter '*BencodeDecodeBenchmarks*' '*MetainfoParseBenchmarks*' --job short --inProcess --exporters csv --artifacts "$work/bdn" >"$work/bdn.log" 2>&1 \
  || { cat "$work/bdn.log"; exit 1; }
grep -E "Exception|error|Error" "$work/bdn.log" | head -10 || true
node_json=$(cd "$root/tests/interop" && node bencode-bench.mjs decode "$file")
parse_json=$(cd "$root/tests/interop" && node bencode-bench.mjs parse-torrent "$file")

python3 - "$work/bdn/results" "$node_json" "$(stat -c %s "$file")" "$parse_json" <<'PY'
import csv, glob, json, sys
results, node, size, parse = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
units = {'ns': 1e-9, 'μs': 1e-6, 'us': 1e-6, 'ms': 1e-3, 's': 1.0}
node_mbs = node['mbPerSecond']
print(f"input: {size} bytes; node {node['node']} bencode.decode: {node['nsPerOp']/1e6:.3f} ms/op = {node_mbs:.0f} MB/s")
print(f"node parse-torrent: {parse['nsPerOp']/1e6:.3f} ms/op = {parse['mbPerSecond']:.0f} MB/s (reference for TorrentMetainfo.Parse)")
for path in sorted(glob.glob(results + '/*-report.csv')):
    for row in csv.DictReader(open(path, encoding='utf-8-sig')):
        parts = row['Mean'].replace(',', '').split()
        if len(parts) != 2 or parts[1] not in units:
            print(f"{row['Method']}: no result ({row['Mean']}); see the BenchmarkDotNet log")
            continue
        value, unit = parts
        seconds = float(value) * units[unit]
        mbs = size / seconds / 1e6
        reference = parse['mbPerSecond'] if 'Metainfo' in row['Method'] else node_mbs
        print(f"{row['Method']}: {row['Mean']} = {mbs:.0f} MB/s, allocated {row.get('Allocated', '?')}, {mbs / reference:.1f}x node")
PY
