#!/usr/bin/env bash
# `make test`: formatting, lints, every test against Debian's etcd 3.4.23,
# then every test that talks to etcd again against etcd 3.5 (latest: Debian
# sid's packages), 3.6.16 and 3.7.3 (built from the Go modules), each brought
# once into a cache by scripts/fetch-etcd.sh. The Go clientv3 peer
# (tests/peers/clientv3, scripts/build-peer.sh) is built for each release and
# handed to tests/peer_clientv3.rs as ETCDLENS_PEER.
#
# A release that cannot be had is said in one line; under CI=true that fails
# the run (after the other releases ran), else that release is left out.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo="${CARGO:-cargo}"
releases=(3.5 3.6.16 3.7.3)

echo "Checking formatting and lints…"
"$cargo" fmt --all -- --check
"$cargo" clippy --locked --all-targets -- -D warnings

echo "Building the tests…"
"$cargo" test --locked --no-run --quiet

version_of() { "$1" --version | sed -n 's/^etcd Version: //p'; }
missing=()

# Sets peer to the clientv3 peer built for a release, or to nothing (the
# peer test then skips, or fails under CI=true).
peer_for() {
  peer="$(scripts/build-peer.sh "$1")" || {
    peer=""
    missing+=("the clientv3 peer for $1")
  }
}

# The tests start their own etcd processes on free loopback ports.
echo "testing against etcd $(version_of etcd)"
peer_for "$(version_of etcd)"
ETCDLENS_PEER="$peer" "$cargo" test --locked

# The etcd-facing test targets: those that start etcd through the harness.
targets=()
for f in tests/*.rs; do
  if grep -qE 'Etcd::|LocalCluster' "$f"; then
    targets+=(--test "$(basename "$f" .rs)")
  fi
done

for release in "${releases[@]}"; do
  if dir="$(scripts/fetch-etcd.sh "$release")"; then
    echo "testing against etcd $(version_of "$dir/etcd") ($dir)"
    peer_for "$release"
    ETCDLENS_ETCD="$dir/etcd" ETCDLENS_PEER="$peer" "$cargo" test --locked "${targets[@]}"
  else
    echo "etcd $release could not be had (the line above says why): not tested against it"
    missing+=("etcd $release")
  fi
done

if [ ${#missing[@]} -ne 0 ]; then
  echo "Left out: ${missing[*]}"
  if [ "${CI:-}" = true ]; then
    echo "CI=true: every release must be tested" >&2
    exit 1
  fi
fi
