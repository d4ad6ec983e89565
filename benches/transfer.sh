#!/usr/bin/env bash
# Export and import benchmark of etcdlens beside etcdctl, in one run.
#
# Builds etcdlens and the loaders (release), starts a private single-member
# etcd on free loopback ports, loads a Kubernetes-shaped keyspace of K8S
# keys under /registry/ (values of a few hundred bytes) and WIDE keys under
# /wide/, then:
#   export: `etcdctl get --prefix /registry/ -w json > file` against
#           `etcdlens export /registry/ -o file` (its own jsonl format) and
#           `etcdlens export /registry/ --format etcdctl -o file`: wall
#           clock and peak RSS (GNU time), median of RUNS runs after one
#           warm-up; the etcdctl-format output is checked to be identical to
#           etcdctl's.
#   import: the export of /wide/ written under a new prefix by
#           `etcdlens import FILE --to P --yes` (plan + guarded 128-op
#           transactions + journal) against the unguarded loader
#           (examples/bench_import_baseline.rs: same file reader, 128-op
#           transactions, no guard, no plan, same 4 in flight). Each run
#           writes under a fresh prefix.
# Ratios are etcdlens / etcdctl (export) and etcdlens / baseline (import).
# Goals (issue 15): export <= 1.2x with RSS <= 150 MB; import <= 1.5x.
#
# Usage: bash benches/transfer.sh
# Env:   RUNS=3 K8S=1000000 WIDE=100000 BENCH_STRICT=1 (exit 1 when a goal
#        is missed) ETCDLENS_ETCD=/path/to/etcd (etcdctl beside it)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib.sh source-path=SCRIPTDIR disable=SC1091
source benches/lib.sh
bench_init transfer cargo etcd etcdctl
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is needed for the peak RSS"

RUNS=${RUNS:-3}
K8S=${K8S:-1000000}
WIDE=${WIDE:-100000}

log "building (release): etcdlens + examples bench_load, bench_import_baseline"
cargo build --release --bin etcdlens --example bench_load --example bench_import_baseline
LENS="$CARGO_TARGET_DIR/release/etcdlens"
LOADER="$CARGO_TARGET_DIR/release/examples/bench_load"
BASELINE="$CARGO_TARGET_DIR/release/examples/bench_import_baseline"

start_etcd --quota-backend-bytes 8589934592 --max-request-bytes 4194304
log "loading $K8S keys under /registry/ and $WIDE under /wide/ …"
"$LOADER" --endpoints "$ENDPOINT" --k8s "$K8S" --apps 0 --wide "$WIDE" --batch 128 --in-flight 16 >&2
export ETCDLENS_JOURNAL="$WORK/journal.jsonl"

# timed TAG CMD... — runs CMD with stdout to $WORK/TAG.out; sets T_MS, T_RSS_KB.
timed() {
    local tag=$1; shift
    local s e
    s=$(now_ns)
    /usr/bin/time -f '%M' -o "$WORK/$tag.rss" "$@" >"$WORK/$tag.out" 2>"$WORK/$tag.err" \
        || { cat "$WORK/$tag.err" >&2; die "$tag failed"; }
    e=$(now_ns)
    T_MS=$(ms_between "$s" "$e")
    T_RSS_KB=$(tail -n 1 "$WORK/$tag.rss")
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# ---------------------------------------------------------------- export
declare -a ctl_ms lens_ms lensctl_ms
ctl_rss=0 lens_rss=0 lensctl_rss=0
for run in $(seq 0 "$RUNS"); do
    timed ctl etcdctl --endpoints "$ENDPOINT" --command-timeout 600s get --prefix /registry/ -w json
    c_ms=$T_MS; c_rss=$T_RSS_KB
    timed lens "$LENS" --endpoints "$ENDPOINT" --command-timeout 600s export /registry/ -o "$WORK/lens.jsonl"
    l_ms=$T_MS; l_rss=$T_RSS_KB
    timed lensctl "$LENS" --endpoints "$ENDPOINT" --command-timeout 600s export /registry/ --format etcdctl
    lc_ms=$T_MS; lc_rss=$T_RSS_KB
    cmp -s "$WORK/ctl.out" "$WORK/lensctl.out" || die "etcdlens --format etcdctl differs from etcdctl's output"
    (( run == 0 )) && { log "warm-up done ($(grep -c . "$WORK/lens.jsonl") lines in the export)"; continue; }
    ctl_ms+=("$c_ms"); lens_ms+=("$l_ms"); lensctl_ms+=("$lc_ms")
    (( c_rss > ctl_rss )) && ctl_rss=$c_rss
    (( l_rss > lens_rss )) && lens_rss=$l_rss
    (( lc_rss > lensctl_rss )) && lensctl_rss=$lc_rss
    log "run $run: etcdctl ${c_ms} ms, etcdlens jsonl ${l_ms} ms, etcdlens etcdctl-format ${lc_ms} ms"
done
CTL=$(median "${ctl_ms[@]}"); LENS_J=$(median "${lens_ms[@]}"); LENS_C=$(median "${lensctl_ms[@]}")
SIZE_CTL=$(stat -c %s "$WORK/ctl.out"); SIZE_LENS=$(stat -c %s "$WORK/lens.jsonl")

# ---------------------------------------------------------------- import
"$LENS" --endpoints "$ENDPOINT" export /wide/ -o "$WORK/wide.jsonl" 2>/dev/null
declare -a base_ms imp_ms
for run in $(seq 0 "$RUNS"); do
    timed base "$BASELINE" --endpoints "$ENDPOINT" --file "$WORK/wide.jsonl" --to "/base$run/"
    b_ms=$T_MS
    timed imp "$LENS" --endpoints "$ENDPOINT" --max-request-bytes 4194304 import "$WORK/wide.jsonl" --to "/imp$run/" --yes
    i_ms=$T_MS
    grep -q "^$WIDE applied, 0 skipped" "$WORK/imp.out" || { cat "$WORK/imp.out" >&2; die "import did not apply every key"; }
    (( run == 0 )) && continue
    base_ms+=("$b_ms"); imp_ms+=("$i_ms")
    log "run $run: baseline ${b_ms} ms, etcdlens import ${i_ms} ms"
done
BASE=$(median "${base_ms[@]}"); IMP=$(median "${imp_ms[@]}")

R_J=$(ratio "$LENS_J" "$CTL"); R_C=$(ratio "$LENS_C" "$CTL"); R_I=$(ratio "$IMP" "$BASE")
cat <<REPORT

export of $(grep -c . "$WORK/lens.jsonl" | awk '{print $1 - 1}') keys under /registry/ (median of $RUNS; peak RSS of all runs)
  etcdctl get --prefix -w json      ${CTL} ms   rss $((ctl_rss / 1024)) MB   $((SIZE_CTL / 1048576)) MiB
  etcdlens export (jsonl)           ${LENS_J} ms   rss $((lens_rss / 1024)) MB   $((SIZE_LENS / 1048576)) MiB   ratio ${R_J}
  etcdlens export --format etcdctl  ${LENS_C} ms   rss $((lensctl_rss / 1024)) MB   identical bytes   ratio ${R_C}
import of $WIDE keys (median of $RUNS)
  unguarded 128-op loader           ${BASE} ms
  etcdlens import --yes             ${IMP} ms   ratio ${R_I}
goals: export <= 1.2x and <= 150 MB; import <= 1.5x
REPORT

if [[ "${BENCH_STRICT:-}" == 1 ]]; then
    awk -v j="$R_J" -v c="$R_C" -v i="$R_I" -v r1="$lens_rss" -v r2="$lensctl_rss" \
        'BEGIN { exit !(j <= 1.2 && c <= 1.2 && i <= 1.5 && r1 <= 153600 && r2 <= 153600) }' \
        || die "a goal was missed"
fi
