#!/usr/bin/env bash
# Sourced by the verifier-*.sh scripts: runs BenchmarkDotNet classes from benchmarks/WebTorrent.Benchmarks/Verifier.
# Uses the shared benchmark project when it builds; if another package currently breaks it, falls back to a private
# throwaway host that compiles only the Verifier benchmark classes (same code, same BenchmarkDotNet).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

verifier_bdn() { # args: BenchmarkDotNet arguments; prints the artifacts directory on the last line
  local artifacts
  artifacts="$(mktemp -d /tmp/verifier-bdn.XXXXXX)"
  if dotnet build "$REPO/benchmarks/WebTorrent.Benchmarks" -c Release >/dev/null 2>&1; then
    dotnet run -c Release --no-build --project "$REPO/benchmarks/WebTorrent.Benchmarks" -- --artifacts "$artifacts" "$@" >&2
  else
    echo "note: benchmarks/WebTorrent.Benchmarks does not build right now; using a private host with the Verifier classes only" >&2
    local host="$REPO/benchmarks/.verifier-host"
    rm -rf "$host" && mkdir -p "$host"
    cat > "$host/VerifierHost.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <IsPackable>false</IsPackable>
    <GenerateDocumentationFile>false</GenerateDocumentationFile>
    <NoWarn>$(NoWarn);CS1591;CA1515;CA1822;CA1001;CA5394;CA2000;CA1707;CA1849;CA1861;CA5350</NoWarn>
    <Optimize>true</Optimize>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="BenchmarkDotNet" />
    <Compile Include="../WebTorrent.Benchmarks/Verifier/*.cs" />
    <ProjectReference Include="../../src/WorkerPool/WorkerPool.csproj" />
    <ProjectReference Include="../../src/WebTorrent.Verifier/WebTorrent.Verifier.csproj" />
  </ItemGroup>
</Project>
XML
    echo 'BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(WebTorrent.Benchmarks.Verifier.ThroughputColumn).Assembly).Run(args);' > "$host/Program.cs"
    dotnet run -c Release --project "$host" -- --artifacts "$artifacts" "$@" >&2
    rm -rf "$host"
  fi
  echo "$artifacts"
}
