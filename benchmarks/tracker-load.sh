#!/usr/bin/env bash
# Side-by-side tracker load on loopback: our WebTorrent.Bootstrap server vs npm bittorrent-tracker's server, same run,
# same load generator (benchmarks/TrackerLoad, .NET, raw sockets, pre-encoded requests, no pipelining).
# One core each: the generator runs on CPU 0, the server under test on CPU 1 (npm's server is single-threaded, so this
# compares one core against one core and keeps the generator from stealing the server's core).
# Reports HTTP, UDP and WebSocket announces/s and N concurrent WebSocket peers held with the server's RSS growth per peer.
# Usage: benchmarks/tracker-load.sh [seconds=10] [peers=10000]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
peers=${2:-10000}
gen_cpu=${TRACKER_LOAD_GENERATOR_CPU:-0}
server_cpu=${TRACKER_LOAD_SERVER_CPU:-1}
ulimit -n 20000 || true
dotnet build src/WebTorrent.Bootstrap -c Release -v q -nologo >/dev/null
dotnet build benchmarks/TrackerLoad -c Release -v q -nologo >/dev/null
gen() { DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 DOTNET_TieredPGO=1 taskset -c "$gen_cpu" dotnet benchmarks/TrackerLoad/bin/Release/net10.0/TrackerLoad.dll "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ours_port=$(free_port)
# The per-connection rate limit and the per-address limits protect a public tracker; the load generator sends announces
# back to back on purpose, and every one of its peers comes from 127.0.0.1.
taskset -c "$server_cpu" dotnet src/WebTorrent.Bootstrap/bin/Release/net10.0/WebTorrent.Bootstrap.dll --urls "http://127.0.0.1:$ours_port" \
  --Tracker:UdpPort="$ours_port" --Tracker:UdpAddress=127.0.0.1 --Tracker:MessagesPerSecond=1000000 --Tracker:MessageBurst=1000000 \
  --Tracker:MaxConnectionsPerAddress=1000000 --Tracker:MaxPeersPerSwarmPerAddress=1000000 \
  --Tracker:SwarmCreationBurstPerAddress=1000000 --Tracker:EnableFullScrape=true \
  --Logging:LogLevel:Default=Warning >/tmp/tracker-load-ours.log 2>&1 &
ours=$!
# tracker-server.mjs exits when its stdin ends, and reads whatever stdin delivers: feed it a pipe that stays open and
# silent (not /dev/zero, which it would read forever on the server core, starving whichever server is measured).
(cd tests/interop && sleep infinity | taskset -c "$server_cpu" node tracker-server.mjs >/tmp/tracker-load-npm.log 2>&1) &
npm_pid=$!
trap 'kill $ours $(pgrep -P $npm_pid) $npm_pid 2>/dev/null || true' EXIT
# Both servers start slowly on a loaded machine: wait up to 2 minutes, then fail loudly rather than measure nothing.
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$ours_port/stats.json" >/dev/null && grep -q ready /tmp/tracker-load-npm.log && break; sleep 0.2; done
npm_port=$(sed -n 's/.*"http":\([0-9]*\).*/\1/p' /tmp/tracker-load-npm.log)
npm_udp=$(sed -n 's/.*"udp":\([0-9]*\).*/\1/p' /tmp/tracker-load-npm.log)
if [ -z "$npm_port" ] || ! curl -sf "http://127.0.0.1:$ours_port/stats.json" >/dev/null; then
  echo "a server did not start: see /tmp/tracker-load-ours.log and /tmp/tracker-load-npm.log" >&2; exit 1
fi
npm_node=$(pgrep -P "$npm_pid" -x node || echo "$npm_pid")
echo "ours: 127.0.0.1:$ours_port tcp+udp (pid $ours)   npm bittorrent-tracker: 127.0.0.1:$npm_port tcp, udp $npm_udp (pid $npm_node)"
echo "generator on CPU $gen_cpu, servers on CPU $server_cpu; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in 1 2; do
  echo "ours $(gen http 127.0.0.1:$ours_port "$seconds" 64 $ours)"
  echo "npm  $(gen http 127.0.0.1:$npm_port "$seconds" 64 $npm_node)"
  echo "ours $(gen udp 127.0.0.1:$ours_port "$seconds" 64 $ours)"
  echo "npm  $(gen udp 127.0.0.1:$npm_udp "$seconds" 64 $npm_node)"
  echo "ours $(gen ws 127.0.0.1:$ours_port "$seconds" 200 $ours)"
  echo "npm  $(gen ws 127.0.0.1:$npm_port "$seconds" 200 $npm_node)"
  [ "${TRACKER_LOAD_ROUNDS:-1}" -gt "$round" ] || break
done
echo "ours $(gen hold 127.0.0.1:$ours_port "$peers" 200 $ours)"
echo "npm  $(gen hold 127.0.0.1:$npm_port "$peers" 200 $npm_node)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
