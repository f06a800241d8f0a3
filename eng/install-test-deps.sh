#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine with the .NET SDK:
# the third-party peers of the interop tests (Chromium, libtorrent, aria2, transmission, opentracker),
# iproute2 for the isolated test network namespace, and the node side under tests/interop/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"

apt_packages=(chromium python3-libtorrent aria2 transmission-cli opentracker mktorrent coturn iproute2 curl)
# node may come from elsewhere than Debian (it does on the CI image): don't install Debian's over it.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then apt_packages+=(nodejs npm); fi
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-test-deps: apt-get install ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cd "$root/tests/interop"
# --ignore-scripts: a dependency's preinstall runs `npx only-allow pnpm`, which fails under npm.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --ignore-scripts
fi
cp node_modules/webtorrent/dist/webtorrent.min.js webtorrent.min.js

# Start each peer once so a fresh machine's first-run costs (Chromium's profile and font caches, Python's
# bytecode) are paid here rather than inside a test's timeout.
warm=$(mktemp -d)
timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$warm" --dump-dom about:blank \
  >/dev/null 2>&1 || echo "install-test-deps: warning: chromium warm-up did not finish" >&2
rm -rf "$warm"
timeout 60 /usr/bin/python3 -c "import libtorrent" || echo "install-test-deps: warning: /usr/bin/python3 cannot import libtorrent" >&2
