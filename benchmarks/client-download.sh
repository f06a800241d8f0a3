#!/usr/bin/env bash
# Side by side, in one run: download the same generated torrent on loopback from one libtorrent 2.0 seeder
# (python3-libtorrent, tests/interop/client-libtorrent.py) with our client (samples/WebTorrent.Cli), aria2c and
# transmission-cli, one after the other, each into a fresh folder, each timed with /usr/bin/time -v (wall clock of
# the whole process, from start to exit after the download completed: user+sys CPU, max RSS). Every download is
# compared byte for byte (cmp) with the seeded file.
#
# Usage: benchmarks/client-download.sh [size MiB, default 1024] [clients, default "ours aria2c transmission"]
# Environment: PIECE_KIB (piece length, default 1024), KEEP=1 keeps the work folder, WORK=<dir> puts it there,
#              ROUNDS=<n> downloads n times per client (default 1), interleaved.
#
# Peer discovery per client: ours gets the seeder with --peer; aria2c cannot be told a peer, so the torrent names an
# HTTP tracker (our WebTorrent.Bootstrap, on a free loopback port) where the seeder announces; Transmission 3.00 never
# dials a 127.x peer it learns of, so the seeder dials Transmission's listening port instead ("connect" on its stdin).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
size_mib="${1:-1024}"
clients="${2:-ours aria2c transmission}"
piece_kib="${PIECE_KIB:-1024}"
rounds="${ROUNDS:-1}"
python=/usr/bin/python3   # Debian's interpreter: python3-libtorrent is built for it
for tool in /usr/bin/time aria2c transmission-cli cmp curl ss; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run eng/install-test-deps.sh" >&2; exit 1; }
done
"$python" -c 'import libtorrent' || { echo "python3-libtorrent missing: run eng/install-test-deps.sh" >&2; exit 1; }

work="${WORK:-$(mktemp -d /tmp/client-download.XXXXXX)}"
mkdir -p "$work"
pids=()
cleanup() {
  exec 3>&- 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT

free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # file pattern seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1:" >&2; tail -n 20 "$1" >&2; return 1
}

echo "== build (Release) =="
if [[ " $clients " == *" ours "* ]]; then
  dotnet build "$root/samples/WebTorrent.Cli" -c Release -v q -nologo >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log" >&2; exit 1; }
fi
dotnet build "$root/src/WebTorrent.Bootstrap" -c Release -v q -nologo >>"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log" >&2; exit 1; }
cli="$root/samples/WebTorrent.Cli/bin/Release/net10.0/WebTorrent.Cli.dll"
bootstrap="$root/src/WebTorrent.Bootstrap/bin/Release/net10.0/WebTorrent.Bootstrap.dll"

echo "== generate ${size_mib} MiB =="
mkdir -p "$work/seed"
data="$work/seed/client-bench.bin"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$data"

echo "== tracker (WebTorrent.Bootstrap) =="
tracker_port="$(free_port)"
udp_port="$(free_port)"
dotnet "$bootstrap" --urls "http://127.0.0.1:$tracker_port" --Tracker:UdpPort="$udp_port" --Tracker:UdpAddress=127.0.0.1 \
  --Tracker:AnnounceInterval=00:00:05 --Tracker:MinAnnounceInterval=00:00:01 --Logging:LogLevel:Default=Warning \
  >"$work/tracker.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 300; i++)); do
  curl -fs "http://127.0.0.1:$tracker_port/stats.json" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$tracker_port/stats.json" >/dev/null || { echo "tracker did not start" >&2; cat "$work/tracker.log" >&2; exit 1; }
announce="http://127.0.0.1:$tracker_port/announce"

echo "== libtorrent seeder (create the torrent: ${piece_kib} KiB pieces, hash, seed) =="
mkfifo "$work/seeder.ctl"
"$python" "$root/tests/interop/client-libtorrent.py" seed "$data" --save-torrent "$work/bench.torrent" \
  --piece-length "$((piece_kib * 1024))" --tracker "$announce" --high-performance --stats-interval 0.1 \
  <"$work/seeder.ctl" >"$work/seeder.log" 2>&1 &
pids+=($!)
exec 3>"$work/seeder.ctl"   # the seeder's command line; it exits when this closes
wait_for "$work/seeder.log" '"event": "seeding"' 300
seed_port="$("$python" -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if "\"seeding\"" in l][0]["port"])' "$work/seeder.log")"
echo "seeding on 127.0.0.1:$seed_port, tracker $announce"
wait_for "$work/seeder.log" '"event": "tracker"' 30 || true

run_ours() {
  /usr/bin/time -v -o "$1/time.txt" dotnet "$cli" download "$work/bench.torrent" --out "$1/data" \
    --peer "127.0.0.1:$seed_port" --seconds-to-seed 0 >"$1/out.log" 2>&1
}

run_aria2c() {
  /usr/bin/time -v -o "$1/time.txt" aria2c --dir="$1/data" --seed-time=0 --enable-dht=false --enable-dht6=false \
    --bt-enable-lpd=false --enable-peer-exchange=false --file-allocation=falloc --summary-interval=0 \
    --console-log-level=warn --check-integrity=false --bt-tracker-interval=5 "$work/bench.torrent" >"$1/out.log" 2>&1
}

run_transmission() {
  local port
  port="$(free_port)"
  mkdir -p "$1/config" "$1/data"
  cat >"$1/config/settings.json" <<EOF
{ "dht-enabled": false, "lpd-enabled": false, "pex-enabled": false, "utp-enabled": false,
  "port-forwarding-enabled": false, "bind-address-ipv4": "127.0.0.1", "peer-port": $port,
  "speed-limit-down-enabled": false, "speed-limit-up-enabled": false, "alt-speed-enabled": false,
  "encryption": 1, "start-added-torrents": true, "rename-partial-files": false }
EOF
  # transmission-cli seeds forever: the finish script interrupts it (it is the script's parent).
  printf '#!/bin/sh\nkill -INT "$PPID"\n' >"$1/finish.sh"
  chmod +x "$1/finish.sh"
  /usr/bin/time -v -o "$1/time.txt" transmission-cli -g "$1/config" -w "$1/data" -p "$port" -f "$1/finish.sh" \
    "$work/bench.torrent" >"$1/out.log" 2>&1 &
  local tr=$!
  # Transmission does not dial 127.x peers: the seeder dials it until it is connected.
  for ((i = 0; i < 300; i++)); do
    kill -0 "$tr" 2>/dev/null || break
    if ss -Htn state established "( sport = :$port )" 2>/dev/null | grep -q .; then break; fi
    echo "connect 127.0.0.1 $port" >&3
    sleep 0.2
  done
  wait "$tr"
}

declare -A wall cpu rss ok transfer
for ((round = 1; round <= rounds; round++)); do
  for client in $clients; do
    dir="$work/$client-$round"
    rm -rf "$dir"; mkdir -p "$dir"
    echo "== $client (round $round) =="
    rc=0
    seeder_line="$(wc -l <"$work/seeder.log")"
    "run_$client" "$dir" || rc=$?
    sleep 0.3
    # the transfer alone, as the seeder saw it: first payload byte out to last (0.1 s resolution)
    transfer[$client-$round]="$(tail -n +"$((seeder_line + 1))" "$work/seeder.log" | "$python" -c '
import json, sys
size = int(sys.argv[1]); base = None; first = None
for line in sys.stdin:
    e = json.loads(line)
    if e.get("event") != "stats": continue
    if base is None: base = e["uploaded"]; t0 = e["t"]; continue
    if first is None and e["uploaded"] > base: first = t0
    t0 = e["t"]
    if e["uploaded"] >= base + size: print(round(e["t"] - first, 2)); break
else: print(0)' "$((size_mib * 1024 * 1024))")"
    out="$(find "$dir/data" -type f -name client-bench.bin | head -n1)"
    if [[ $rc -eq 0 && -n "$out" ]] && cmp -s "$out" "$data"; then ok[$client-$round]=yes; else ok[$client-$round]="NO (exit $rc)"; tail -n 20 "$dir/out.log" >&2; fi
    w="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$dir/time.txt")"
    wall[$client-$round]="$("$python" -c 'import sys; p=[float(x) for x in sys.argv[1].split(":")]; print(sum(v*60**i for i,v in enumerate(reversed(p))))' "$w")"
    cpu[$client-$round]="$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u+s}' "$dir/time.txt")"
    rss[$client-$round]="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$dir/time.txt")"
    rm -rf "$dir/data"
  done
done

echo
echo "== ${size_mib} MiB from one libtorrent $("$python" -c 'import libtorrent; print(libtorrent.__version__)') seeder on loopback, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) =="
printf '%-14s %6s %9s %9s %11s %9s %9s %10s %12s %9s\n' client round wall_s MB/s transfer_s MB/s cpu_s cpu_s/GB maxRSS_MiB verified
bytes=$((size_mib * 1024 * 1024))
for ((round = 1; round <= rounds; round++)); do
  for client in $clients; do
    k="$client-$round"
    awk -v c="$client" -v r="$round" -v w="${wall[$k]}" -v t="${transfer[$k]}" -v cpu="${cpu[$k]}" -v rss="${rss[$k]}" -v b="$bytes" -v ok="${ok[$k]}" \
      'BEGIN { printf "%-14s %6d %9.2f %9.1f %11.2f %9.1f %9.2f %10.2f %12.0f %9s\n", c, r, w, b / 1e6 / w, t, (t > 0 ? b / 1e6 / t : 0), cpu, cpu / (b / 1e9), rss / 1024, ok }'
  done
done
echo "(wall: the whole process, start-up and exit included; transfer: first to last payload byte as the seeder saw it;"
echo " MB = 10^6 bytes; CPU: user+sys of the client process alone, whole run)"
for k in "${!ok[@]}"; do [[ "${ok[$k]}" == yes ]] || exit 1; done
