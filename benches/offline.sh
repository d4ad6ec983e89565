#!/usr/bin/env bash
# Offline browsing benchmark (issue 27): `etcdlens open SNAPSHOT` beside
# etcdlens on the live cluster the snapshot was saved from and beside
# `etcdctl get --prefix /registry/ --keys-only`, in one run.
#
# Builds etcdlens and the loader (release), starts a private single-member
# etcd on free loopback ports, loads the Kubernetes-shaped keyspace of
# bench.sh (K8S keys under /registry/), saves a snapshot with etcdctl, then
# RUNS times (after one warm-up) in a real 160x45 terminal (tmux) with
# --bench-report/--bench-exit and --prefix /registry/:
#   - live:    first_row_ms, settled_ms (the whole top level), peak RSS
#   - offline: the same, the file's reading included
#   - etcdctl get --prefix /registry/ --keys-only (live)
# Ratios: offline / live, offline / etcdctl; peak RSS / the file's size.
# Goals (issue 27): first screen <= 2 s, whole top level <= 3 s, peak RSS
# <= 1.5 x the file's size.
#
# Usage: bash benches/offline.sh
# Env:   RUNS=3 K8S=1000000 ETCDLENS_ETCD=/path/to/etcd (etcdctl beside it)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib.sh source-path=SCRIPTDIR disable=SC1091
source benches/lib.sh
bench_init offline cargo etcd etcdctl tmux

RUNS=${RUNS:-3}
K8S=${K8S:-1000000}

log "building (release): etcdlens + example bench_load"
cargo build --release --bin etcdlens --example bench_load
LENS="$CARGO_TARGET_DIR/release/etcdlens"
LOADER="$CARGO_TARGET_DIR/release/examples/bench_load"

start_etcd --quota-backend-bytes 8589934592
log "loading $K8S keys under /registry/"
"$LOADER" --endpoints "$ENDPOINT" --k8s "$K8S" --apps 0 --services 0 --instances 0 --wide 0 \
    --batch 128 --in-flight 16 >&2
wait_etcd_idle
SNAP="$WORK/registry.db"
etcdctl --endpoints "$ENDPOINT" snapshot save "$SNAP" >/dev/null
FILE_BYTES=$(stat -c %s "$SNAP")
log "snapshot: $((FILE_BYTES / 1048576)) MiB"

# run TAG ARGS...: RUNS runs after a warm-up; sets M_FIRST M_SETTLED M_RSS.
run() {
    local tag=$1; shift
    local firsts=() settleds=() rsss=() i report wall
    for i in $(seq 0 "$RUNS"); do
        report="$WORK/report.$tag.$i" wall="$WORK/wall.$tag.$i"
        lens_launch "$tag$i" "$wall" "$LENS" "$@" --prefix /registry/ --bench-report "$report" --bench-exit
        lens_wait_exit "$tag$i" "$wall" "$report" 120
        (( i == 0 )) && continue
        firsts+=("$(report_field "$report" first_row_ms)")
        settleds+=("$(report_field "$report" settled_ms)")
        rsss+=("$(report_field "$report" peak_rss_kb)")
    done
    log "$tag: first row ${firsts[*]} ms, whole top level ${settleds[*]} ms, peak RSS ${rsss[*]} KiB"
    M_FIRST=$(median "${firsts[@]}")
    M_SETTLED=$(median "${settleds[@]}")
    M_RSS=$(median "${rsss[@]}")
}

times=()
for i in $(seq 0 "$RUNS"); do
    t0=$(now_ns)
    etcdctl --endpoints "$ENDPOINT" --command-timeout 120s get --prefix /registry/ --keys-only >/dev/null
    (( i == 0 )) || times+=("$(ms_between "$t0" "$(now_ns)")")
done
CTL_MS=$(median "${times[@]}")
run live --endpoints "$ENDPOINT"
LIVE_FIRST=$M_FIRST LIVE_SETTLED=$M_SETTLED LIVE_RSS=$M_RSS
run offline open "$SNAP"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "etcd $(etcd --version | sed -n 's/^etcd Version: //p'), $K8S keys, snapshot $((FILE_BYTES / 1048576)) MiB, medians of $RUNS"
printf '%-28s %10s %10s %10s\n' "" offline live ratio
printf '%-28s %10s %10s %10s\n' "first row (ms)" "$M_FIRST" "$LIVE_FIRST" "$(ratio "$M_FIRST" "$LIVE_FIRST")"
printf '%-28s %10s %10s %10s\n' "whole top level (ms)" "$M_SETTLED" "$LIVE_SETTLED" "$(ratio "$M_SETTLED" "$LIVE_SETTLED")"
printf '%-28s %10s %10s %10s\n' "peak RSS (MiB)" "$((M_RSS / 1024))" "$((LIVE_RSS / 1024))" "$(ratio "$M_RSS" "$LIVE_RSS")"
echo "offline whole top level / etcdctl get --prefix /registry/ --keys-only ($CTL_MS ms): $(ratio "$M_SETTLED" "$CTL_MS")"
echo "offline peak RSS / file size: $(ratio "$((M_RSS * 1024))" "$FILE_BYTES") (goal <= 1.5)"
