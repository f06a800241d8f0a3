#!/usr/bin/env bash
# The whole test suite: installs the test peers, builds, then runs every test project inside an
# isolated network namespace, so interop tests (Chromium's WebRTC included) never reach a real network.
# Usage: eng/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Bencode]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ "$(id -u)" -ne 0 ]; then exec sudo -E "$0" "$@"; fi

"$root/eng/install-test-deps.sh"
dotnet build WebTorrent.Libraries.sln -c Release -nologo -clp:ErrorsOnly

ns="wttest$$"
"$root/eng/netns.sh" up "$ns"
trap '"$root/eng/netns.sh" down "$ns"' EXIT
export WEBTORRENT_TEST_NETNS="$ns"
export DOTNET_CLI_TELEMETRY_OPTOUT=1
log=$(mktemp)
set +e
ip netns exec "$ns" dotnet test WebTorrent.Libraries.sln -c Release --no-build -nologo \
  --logger "console;verbosity=normal" "$@" -- RunConfiguration.TestSessionTimeout=1200000 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# The failures again at the end, where a truncated log still shows them: each failed test with
# the first lines of its message and stack.
awk '/^  Failed [^ ]/{keep=1; n=0; print "FAILED:" substr($0, 9); next}
     /^  (Passed|Skipped) |^\[xUnit|^Test Run|^Total tests|^A total of|^Results File/{keep=0}
     keep && n < 30 {print; n++}' "$log"
# One closing line for the whole run, summed over the test assemblies.
awk '/^ *Passed: [0-9]+$/{p+=$2} /^ *Failed: [0-9]+$/{f+=$2} /^ *Skipped: [0-9]+$/{s+=$2}
     END{printf "%d passed, %d failed, %d skipped\n", p, f, s}' "$log"
rm -f "$log"
exit "$status"
