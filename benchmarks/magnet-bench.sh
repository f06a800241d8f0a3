#!/usr/bin/env bash
# Side by side: parse the same 1 million magnet links with npm magnet-uri (node, timed with process.hrtime)
# and with MagnetUri (BenchmarkDotNet, MemoryDiagnoser), in one run. Usage: benchmarks/magnet-bench.sh [count]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
count="${1:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
links="$work/magnet-links.txt"

node "$root/benchmarks/magnet-bench.mjs" generate "$links" "$count"

echo "== node magnet-uri =="
node "$root/benchmarks/magnet-bench.mjs" run "$links" 5 | tee "$work/node.json"

echo "== .NET MagnetUri (BenchmarkDotNet) =="
MAGNET_BENCH_LINKS="$links" dotnet run -c Release --project "$root/benchmarks/WebTorrent.Benchmarks" -- \
  --filter '*MagnetLinkParseBenchmarks*' --job short --buildTimeout 900 --artifacts "$work/bdn" | tee "$work/bdn.log" | grep -E '^\|| magnet corpus' || true

report="$(find "$work/bdn" -name '*MagnetLinkParseBenchmarks-report.csv' | head -n1)"
if [[ -z "$report" ]]; then echo "BenchmarkDotNet produced no report; see $work/bdn.log" >&2; tail -n 40 "$work/bdn.log" >&2; exit 1; fi


echo "== side by side (1 operation = all $count links) =="
python3 - "$work/node.json" "$report" <<'PY'
import csv, json, sys
node = json.load(open(sys.argv[1]))
mb = node["megabytes"]
def ms(text):
    value, unit = text.replace(",", "").split()
    return float(value) * {"ns": 1e-6, "us": 1e-3, "μs": 1e-3, "ms": 1.0, "s": 1000.0}[unit]
print(f"{'method':<28}{'ms':>10}{'MB/s':>10}{'ns/link':>10}{'allocated':>16}{'vs node':>10}")
print(f"{'node magnet-uri decode':<28}{node['medianMs']:>10.0f}{node['mbPerSecond']:>10.1f}{node['nsPerLink']:>10}{str(node['retainedBytesPerLink']) + ' B/link*':>16}{'1.0x':>10}")
for row in csv.DictReader(open(sys.argv[2])):
    t = ms(row["Mean"])
    print(f"{'MagnetUri ' + row['Method']:<28}{t:>10.0f}{mb / (t / 1000):>10.1f}{t * 1e6 / node['links']:>10.0f}{row['Allocated']:>16}{node['medianMs'] / t:>9.1f}x")
print("* node: bytes one decoded result keeps alive (a lower bound on its allocation); .NET: all bytes allocated per 1M links")
PY
