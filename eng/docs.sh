#!/usr/bin/env bash
# The API reference site: docfx (a local dotnet tool, .config/dotnet-tools.json) over every package's XML docs and the
# pages under docs/, into artifacts/docs. Warnings are errors, so a broken cross-reference or link fails the build.
# docs/getting-started.md includes its code from samples/GettingStarted: that project is built and run first, so the
# page shows code that compiles and works against the current API.
# Usage: eng/docs.sh    (then open artifacts/docs/index.html)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
started=$(date +%s)

dotnet tool restore
dotnet build samples/GettingStarted -c Release -nologo -clp:ErrorsOnly
dotnet run --project samples/GettingStarted -c Release --no-build

# Stale pages of types that no longer exist must not survive a rebuild.
rm -rf artifacts/docs docs/api/*.yml docs/api/.manifest
dotnet docfx metadata docfx.json --warningsAsErrors
dotnet docfx build docfx.json --warningsAsErrors
[ -f artifacts/docs/index.html ] && [ -f artifacts/docs/api/WebTorrent.WebTorrentClient.html ]
echo "eng/docs.sh: built artifacts/docs in $(( $(date +%s) - started )) s"
