#!/usr/bin/env bash
# Side-by-side tracker load on loopback: our WebTorrent.Bootstrap server vs npm bittorrent-tracker's server, same run,
# same load generator (benchmarks/tracker-load.mjs): HTTP announces/s, WebSocket announces/s, N concurrent WebSocket
# peers held with the server's RSS growth per peer. Usage: benchmarks/tracker-load.sh [seconds=10] [peers=10000]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
peers=${2:-10000}
ulimit -n 20000 || true
dotnet build src/WebTorrent.Bootstrap -c Release -v q -nologo >/dev/null
ours_port=18180
# The per-connection rate limit protects a public tracker; the load generator sends announces back to back on purpose.
dotnet src/WebTorrent.Bootstrap/bin/Release/net10.0/WebTorrent.Bootstrap.dll --urls "http://127.0.0.1:$ours_port" \
  --Tracker:UdpPort=0 --Tracker:MessagesPerSecond=1000000 --Tracker:MessageBurst=1000000 --Logging:LogLevel:Default=Warning >/tmp/tracker-load-ours.log 2>&1 &
ours=$!
(cd tests/interop && exec node tracker-server.mjs </dev/zero >/tmp/tracker-load-npm.log 2>&1) &
npm_pid=$!
trap 'kill $ours $npm_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$ours_port/stats.json" >/dev/null && grep -q ready /tmp/tracker-load-npm.log && break; sleep 0.2; done
npm_port=$(sed -n 's/.*"http":\([0-9]*\).*/\1/p' /tmp/tracker-load-npm.log)
npm_node=$(pgrep -P "$npm_pid" -x node || echo "$npm_pid")
echo "ours: 127.0.0.1:$ours_port (pid $ours)   npm bittorrent-tracker: 127.0.0.1:$npm_port (pid $npm_node)"
for mode in http ws; do
  conc=64; [ "$mode" = ws ] && conc=200
  echo "ours $(node benchmarks/tracker-load.mjs $mode 127.0.0.1:$ours_port "$seconds" $conc)"
  echo "npm  $(node benchmarks/tracker-load.mjs $mode 127.0.0.1:$npm_port "$seconds" $conc)"
done
echo "ours $(node benchmarks/tracker-load.mjs hold 127.0.0.1:$ours_port "$peers" 200 $ours)"
echo "npm  $(node benchmarks/tracker-load.mjs hold 127.0.0.1:$npm_port "$peers" 200 $npm_node)"
