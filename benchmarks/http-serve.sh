#!/usr/bin/env bash
# HTTP file serving, side by side in one run: our TorrentHttpServer (benchmarks/HttpServe) and npm webtorrent's
# client.createServer() (benchmarks/http-serve-node.mjs) each seed the same random file and serve it on loopback;
# curl fetches it whole (best of N) and as 200 random 1 MiB ranges on one keep-alive connection. Server CPU from
# /proc. Usage: bash benchmarks/http-serve.sh [MiB=256] [rounds=3]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mib=${1:-256}
rounds=${2:-3}
work=$(mktemp -d)
pids=()
cleanup() { exec 3>&- 2>/dev/null || true; for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

file="$work/bench.bin"
head -c "$((mib * 1024 * 1024))" /dev/urandom >"$file"
dotnet build -c Release "$root/benchmarks/HttpServe" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

wait_url() { # file-with-url pid
  for _ in $(seq 1 600); do
    if [ -s "$1" ]; then head -1 "$1"; return; fi
    kill -0 "$2" 2>/dev/null || { echo "server exited" >&2; cat "$1" >&2; exit 1; }
    sleep 0.2
  done
  echo "no URL after 120 s" >&2; exit 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

measure() { # name url pid
  local name=$1 url=$2 pid=$3 best=0 t0 t1 speed
  curl -s -o /dev/null "$url" # warm-up (page cache, JIT)
  t0=$(cpu_ticks "$pid")
  for _ in $(seq 1 "$rounds"); do
    speed=$(curl -s -o /dev/null -w '%{speed_download}' "$url")
    best=$(python3 -c "print(max($best, $speed))")
  done
  t1=$(cpu_ticks "$pid")
  local size=$((mib * 1024 * 1024)) cfg="$work/$name.ranges"
  python3 - "$url" "$size" >"$cfg" <<'PY'
import random, sys
url, size = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
for i in range(200):
    a = rnd.randrange(0, size - (1 << 20))
    print(f'url = "{url}"\nrange = {a}-{a + (1 << 20) - 1}\noutput = /dev/null\nsilent\nwrite-out = "%{{http_code}}\\n"\n' + ('next' if i < 199 else ''))
PY
  local r0 r1 start end codes
  r0=$(cpu_ticks "$pid"); start=$(date +%s.%N)
  codes=$(curl -K "$cfg" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
  end=$(date +%s.%N); r1=$(cpu_ticks "$pid")
  local hz; hz=$(getconf CLK_TCK)
  python3 - "$name" "$best" "$t0" "$t1" "$rounds" "$mib" "$start" "$end" "$r0" "$r1" "$hz" "$codes" <<'PY'
import sys
name, best, t0, t1, rounds, mib, start, end, r0, r1, hz, codes = sys.argv[1:]
hz = float(hz)
gb = rounds and int(rounds) * int(mib) / 1024
full_cpu = (int(t1) - int(t0)) / hz / gb
dt = float(end) - float(start)
print(f"{name}: whole file {float(best)/1e6:.0f} MB/s (best of {rounds}), server CPU {full_cpu:.2f} s/GiB; "
      f"200 x 1 MiB ranges {dt:.2f} s = {200/dt:.0f} req/s, {200/dt:.0f} MiB/s, server CPU {(int(r1)-int(r0))/hz:.2f} s; status {codes}")
PY
}

mkfifo "$work/in"
dotnet "$root/benchmarks/HttpServe/bin/Release/net10.0/HttpServe.dll" "$file" <"$work/in" >"$work/ours.url" 2>"$work/ours.err" &
ours=$!; pids+=("$ours")
exec 3>"$work/in"
node "$root/benchmarks/http-serve-node.mjs" "$file" >"$work/node.url" 2>"$work/node.err" &
ref=$!; pids+=("$ref")
ours_url=$(wait_url "$work/ours.url" "$ours")
node_url=$(wait_url "$work/node.url" "$ref")
echo "file: $mib MiB; load avg: $(cut -d' ' -f1-3 /proc/loadavg); node $(node --version), webtorrent $(node -p "require('$root/tests/interop/node_modules/webtorrent/package.json').version")"
measure ours "$ours_url" "$ours"
measure node "$node_url" "$ref"
