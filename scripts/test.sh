#!/usr/bin/env bash
# `make test`: formatting, lints, then the tests on every etcd release of
# the matrix:
#   3.4.23 (Debian's, installed by ensure-deps)   the whole suite
#   3.5 latest (Debian sid's packages)            the tests that start etcd
#   3.6.x (built with Go from the etcd modules)   the tests that start etcd
#   3.7.x (built with Go from the etcd modules)   the whole suite
# Each pass prints "testing against etcd X.Y.Z". A release that cannot be
# had is said in one line and skipped, except under CI=true, where it fails
# the run: a green CI run means all four were tested.
# The Go clientv3 peer (tests/peers/clientv3, scripts/build-peer.sh) is
# built against each release's clientv3 and handed to the tests as
# ETCDLENS_PEER (under CI=true its test fails without it).
# ETCDLENS_VERSIONS overrides the list (e.g. "3.4.23 3.7.3").
set -euo pipefail
cd "$(dirname "$0")/.."
cargo="${CARGO:-cargo}"

V35="${ETCDLENS_V35:-3.5}"
V36="${ETCDLENS_V36:-3.6.16}"
V37="${ETCDLENS_V37:-3.7.3}"
versions="${ETCDLENS_VERSIONS:-3.4.23 $V35 $V36 $V37}"

echo "Checking formatting and lints…"
"$cargo" fmt --all -- --check
"$cargo" clippy --locked --all-targets -- -D warnings

echo "Building the tests…"
"$cargo" test --locked --no-run --quiet

version_of() { "$1" --version | sed -n 's/^etcd Version: //p'; }

# Fetch (or build) every release first, so a missing one fails early.
declare -A dirs=() peers=()
missing=()
for v in $versions; do
  if dir="$(scripts/fetch-etcd.sh "$v")"; then
    dirs[$v]="$dir"
    if peer="$(scripts/build-peer.sh "$v")"; then
      peers[$v]="$peer"
    else
      missing+=("(the clientv3 peer for $v)")
    fi
  else
    missing+=("$v")
  fi
done
if [ ${#missing[@]} -ne 0 ]; then
  if [ "${CI:-}" = true ]; then
    echo "etcd ${missing[*]} could not be had (the lines above say why): failing, since CI must test every release" >&2
    exit 1
  fi
  echo "etcd ${missing[*]} could not be had (the lines above say why): not tested on this machine"
fi

# The library's and binary's own unit tests, and doc examples: once.
"$cargo" test --locked --lib --bins --quiet
"$cargo" test --locked --doc --quiet

for v in $versions; do
  [ -n "${dirs[$v]:-}" ] || continue
  bin="${dirs[$v]}/etcd"
  echo "testing against etcd $(version_of "$bin")"
  # The whole suite on the oldest and the newest release (the tests
  # without etcd too); the tests that start etcd on every release.
  targets=(--test etcd)
  case "$v" in
    3.4.* | 3.7.*) targets+=(--test unit) ;;
  esac
  PATH="${dirs[$v]}:$PATH" ETCDLENS_ETCD="$bin" ETCDLENS_PEER="${peers[$v]:-}" \
    "$cargo" test --locked "${targets[@]}"
done
