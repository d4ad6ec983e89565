#!/usr/bin/env bash
# Resource-table paging benchmark (issue 29): every key of the biggest
# directory of a Kubernetes-shaped keyspace, 500 a page, as `K` pages it —
# with etcdlens's list_keys (a RangeStream per page on etcd 3.7, one range
# read before it) and with one range read per page — beside one walk of the
# directory (`etcdctl get --prefix P --keys-only --limit 1`: etcd walks every
# key to count it) and etcdctl's keys-only listing of it, in one run.
#
# Usage: bash benches/pages.sh
# Env:   RUNS=3 K8S=1000000 PREFIX=/registry/events/
#        ETCDLENS_ETCD=/path/to/etcd (etcdctl beside it)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib.sh source-path=SCRIPTDIR disable=SC1091
source benches/lib.sh
bench_init pages cargo etcd etcdctl

RUNS=${RUNS:-3}
K8S=${K8S:-1000000}
PREFIX=${PREFIX:-/registry/events/}

log "building (release): examples bench_load and bench_pages"
cargo build --release --example bench_load --example bench_pages
LOADER="$CARGO_TARGET_DIR/release/examples/bench_load"
PAGES="$CARGO_TARGET_DIR/release/examples/bench_pages"

start_etcd --quota-backend-bytes 8589934592
log "loading $K8S keys under /registry/"
"$LOADER" --endpoints "$ENDPOINT" --k8s "$K8S" --apps 0 --services 0 --instances 0 --wide 0 \
    --batch 128 --in-flight 16 >&2
wait_etcd_idle

# ctl_ms ARGS...: the median of RUNS runs of etcdctl get ARGS, after a warm-up.
ctl_ms() {
    local times=() i t0
    for i in $(seq 0 "$RUNS"); do
        t0=$(now_ns)
        etcdctl --endpoints "$ENDPOINT" --command-timeout 120s get "$@" >/dev/null
        (( i == 0 )) || times+=("$(ms_between "$t0" "$(now_ns)")")
    done
    median "${times[@]}"
}
WALK=$(ctl_ms --prefix "$PREFIX" --keys-only --limit 1)
DUMP=$(ctl_ms --prefix "$PREFIX" --keys-only)
OUT=$("$PAGES" --endpoints "$ENDPOINT" --prefix "$PREFIX" --runs "$RUNS")
echo "$OUT" >&2
KEYS=$(echo "$OUT" | sed -n 's/^pages unary: \([0-9]*\) keys.*/\1/p')
STREAM=$(echo "$OUT" | sed -n 's/^pages list_keys.* \([0-9.]*\) ms$/\1/p')
UNARY=$(echo "$OUT" | sed -n 's/^pages unary:.* \([0-9.]*\) ms$/\1/p')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "etcd $(etcd --version | sed -n 's/^etcd Version: //p'), $KEYS keys under $PREFIX, medians of $RUNS (ms)"
printf '%-44s %10s %12s %12s\n' "" ms "/ one walk" "/ etcdctl"
printf '%-44s %10s %12s %12s\n' "one walk (etcdctl --keys-only --limit 1)" "$WALK" 1.00 "$(ratio "$WALK" "$DUMP")"
printf '%-44s %10s %12s %12s\n' "etcdctl --keys-only" "$DUMP" "$(ratio "$DUMP" "$WALK")" 1.00
printf '%-44s %10s %12s %12s\n' "$(echo "$OUT" | sed -n 's/^pages \(list_keys[^:]*\):.*/\1/p'), every page" \
    "$STREAM" "$(ratio "$STREAM" "$WALK")" "$(ratio "$STREAM" "$DUMP")"
printf '%-44s %10s %12s %12s\n' "one range read per page, every page" "$UNARY" "$(ratio "$UNARY" "$WALK")" "$(ratio "$UNARY" "$DUMP")"
