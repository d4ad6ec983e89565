#!/usr/bin/env bash
# Start-up and listing benchmark of etcdlens against a 2,100,000-key etcd.
#
# In one run: builds etcdlens and the loader (release), starts a private
# single-member etcd on free loopback ports with a temporary data dir, loads
# a Kubernetes-shaped keyspace of 1M keys under /registry/ (45 resource
# directories, events/pods/replicasets holding most keys, namespaced and
# cluster-scoped, values of a few hundred bytes starting with `k8s\0`),
# 1M keys under /bench/ (10 apps x 100 services x 1000 instances:
# appNN/svcNNN/instNNNNN/config) and 100k direct children under /wide/,
# then for each scenario times
#   - etcdctl get --prefix P --keys-only > /dev/null
#   - etcdlens in a real 160x45 terminal (tmux) with --bench-report/--bench-exit:
#     first_row_ms (start -> first frame showing a row of the tree),
#     settled_ms (start -> first frame with the root and the auto-opened
#     directories wholly listed: the "whole top level"), list_work (keys etcd
#     walked for the listings: the sum of the replies' `count`), peak_rss_kb,
#     plus the wall clock around the process measured outside it.
# Every time is reported as a ratio to etcdctl's time on the same prefix, and
# the server work as a ratio to the keys under the prefix.
# Each measurement runs once to warm up (not counted), then RUNS times
# (default 5); the median is reported.
#
# Usage: bash benches/bench.sh
#        ETCDLENS_ETCD=/path/to/etcd bash benches/bench.sh   (etcdctl beside it)
# Env:   RUNS=5  K8S=1000000 APPS=10 SERVICES=100 INSTANCES=1000 WIDE=100000
#        BENCH_STRICT=1 to exit 1 when a target is missed
#        BENCH_TRACE_AFTER=100ms  etcd logs the requests slower than this; the
#          ones of etcdlens's last run per scenario are printed (the trace)
#        CARGO_TARGET_DIR (default: ./target)
# Needs: cargo, etcd, etcdctl (3.4+), tmux.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
script_start=$(date +%s%N)
# shellcheck source=lib.sh source-path=SCRIPTDIR disable=SC1091
source benches/lib.sh
bench_init bench cargo etcd etcdctl tmux

RUNS=${RUNS:-5}
K8S=${K8S:-1000000}
APPS=${APPS:-10}
SERVICES=${SERVICES:-100}
INSTANCES=${INSTANCES:-1000}
WIDE=${WIDE:-100000}
# etcd logs every request slower than this: the trace of etcdlens's reads.
WARN_AFTER=${BENCH_TRACE_AFTER:-100ms}

# ---------------------------------------------------------------- build
log "building (release): etcdlens + example bench_load"
cargo build --release --bin etcdlens --example bench_load
LENS="$CARGO_TARGET_DIR/release/etcdlens"
LOADER="$CARGO_TARGET_DIR/release/examples/bench_load"

# ---------------------------------------------------------------- etcd
# The flag lost its --experimental- prefix in 3.6 (the old name is gone in 3.7).
case "$(etcd --version | sed -n 's/^etcd Version: //p')" in
    3.4.* | 3.5.*) warn_flag=--experimental-warning-apply-duration ;;
    *) warn_flag=--warning-apply-duration ;;
esac
start_etcd --quota-backend-bytes 8589934592 "$warn_flag" "$WARN_AFTER"

count_keys() {
    etcdctl --endpoints "$ENDPOINT" get --prefix "$1" --keys-only --limit 1 -w json \
        | grep -o '"count":[0-9]*' | cut -d: -f2
}

# ---------------------------------------------------------------- load
log "loading $K8S keys under /registry/, $((APPS * SERVICES * INSTANCES)) under /bench/ and $WIDE under /wide/ …"
load_start=$(now_ns)
"$LOADER" --endpoints "$ENDPOINT" --k8s "$K8S" --apps "$APPS" --services "$SERVICES" \
    --instances "$INSTANCES" --wide "$WIDE" --batch 128 --in-flight 16 >&2
load_ms=$(ms_between "$load_start" "$(now_ns)")
wait_etcd_idle
BENCH_COUNT=$(count_keys /bench/)
WIDE_COUNT=$(count_keys /wide/)
K8S_COUNT=$(count_keys /registry/)
# The biggest resource directory (by keys), e.g. /registry/events/.
BIGGEST=$(etcdctl --endpoints "$ENDPOINT" get --prefix /registry/ --keys-only --command-timeout 120s \
    | awk -F/ 'NF > 3 { n[$3]++ } END { for (r in n) if (n[r] > max) { max = n[r]; big = r }; print big }')
BIGGEST="/registry/$BIGGEST/"
DB_SIZE=$(etcdctl --endpoints "$ENDPOINT" endpoint status -w json | grep -o '"dbSize":[0-9]*' | cut -d: -f2)
log "etcd holds $K8S_COUNT keys under /registry/ (biggest: $BIGGEST), $BENCH_COUNT under /bench/, $WIDE_COUNT under /wide/; db size $((DB_SIZE / 1048576)) MiB; load took ${load_ms} ms"
if [[ "$BENCH_COUNT" != $((APPS * SERVICES * INSTANCES)) || "$WIDE_COUNT" != "$WIDE" || "$K8S_COUNT" -lt $((K8S * 9 / 10)) ]]; then
    echo "bench.sh: the load is incomplete" >&2
    exit 1
fi

# ---------------------------------------------------------------- etcdctl
# Prints the median wall time (ms) of `etcdctl get --prefix P --keys-only`.
time_etcdctl() {
    local prefix=$1 times=() i t0
    for i in $(seq 0 "$RUNS"); do
        t0=$(now_ns)
        etcdctl --endpoints "$ENDPOINT" --command-timeout 120s get --prefix "$prefix" --keys-only >/dev/null
        (( i == 0 )) || times+=("$(ms_between "$t0" "$(now_ns)")")
    done
    log "etcdctl get --prefix $prefix --keys-only: ${times[*]} ms"
    median "${times[@]}"
}

# Prints the median wall time (ms) of `etcdctl get ARGS... --keys-only
# --limit 1`: what etcd charges for one small page over that range (etcd
# 3.4 visits every key of a range to count it, whatever the limit).
time_etcdctl_one() {
    local times=() i t0
    for i in $(seq 0 "$RUNS"); do
        t0=$(now_ns)
        etcdctl --endpoints "$ENDPOINT" get "$@" --keys-only --limit 1 >/dev/null
        (( i == 0 )) || times+=("$(ms_between "$t0" "$(now_ns)")")
    done
    log "etcdctl get $* --keys-only --limit 1: ${times[*]} ms"
    median "${times[@]}"
}

# ---------------------------------------------------------------- etcdlens
# One etcdlens run inside a fresh 160x45 tmux session. The wall clock is
# taken around the process inside the session; the script waits for the
# file that records it (with a timeout) instead of sleeping.
# Sets FIRST SETTLED RSS_KB WALL.
run_etcdlens_once() {
    local tag=$1; shift
    local report="$WORK/report.$tag" wall="$WORK/wall.$tag"
    rm -f "$report"
    lens_launch "$tag" "$wall" "$LENS" --endpoints "$ENDPOINT" --bench-report "$report" --bench-exit "$@"
    lens_wait_exit "$tag" "$wall" "$report" 60
    WALL=$(ms_between "$LENS_START_NS" "$LENS_END_NS")
    FIRST=$(report_field "$report" first_row_ms)
    SETTLED=$(report_field "$report" settled_ms)
    RSS_KB=$(report_field "$report" peak_rss_kb)
    WORK_KEYS=$(report_field "$report" list_work)
    READS=$(report_field "$report" list_reads)
    RETURNED=$(report_field "$report" list_returned)
    COSTS=$(report_field "$report" list_costs)
}

# Runs etcdlens RUNS times; sets the medians M_FIRST M_SETTLED M_RSS_KB M_WALL.
# $1 is a short tag for file and session names (no spaces or slashes).
time_etcdlens() {
    local name=$1; shift
    local firsts=() settleds=() rsss=() walls=() works=() reads=() returned=() costs=() i
    local log_from
    for i in $(seq 0 "$RUNS"); do
        log_from=$(( $(wc -l <"$WORK/etcd.log") + 1 ))
        run_etcdlens_once "$name-$i" "$@"
        (( i == 0 )) && continue # warm-up
        firsts+=("$FIRST"); settleds+=("$SETTLED"); rsss+=("$RSS_KB"); walls+=("$WALL")
        works+=("$WORK_KEYS"); reads+=("$READS"); returned+=("$RETURNED"); costs+=("$COSTS")
    done
    log "etcd's costs as etcdlens measured them: ${costs[*]}"
    log "etcdlens ${*:-(default flags)}: first_row ${firsts[*]} ms; settled ${settleds[*]} ms; wall ${walls[*]} ms; peak RSS ${rsss[*]} kB; keys walked ${works[*]}; reads ${reads[*]}; keys returned ${returned[*]}"
    # What etcd logged during the last run: each slow read with its time.
    log "etcd's trace of the last run (requests over $WARN_AFTER):"
    tail -n "+$log_from" "$WORK/etcd.log" \
        | sed -n 's/.*read-only range request "\(.*\) " with result "\([^"]*\)".*took too long (\([^)]*\)).*/    range \1 -> \2: \3/p' \
        | sed 's/\\"/"/g; s/\\\\/\\/g' >&2
    M_FIRST=$(median "${firsts[@]}")
    M_SETTLED=$(median "${settleds[@]}")
    M_RSS_KB=$(median "${rsss[@]}")
    M_WALL=$(median "${walls[@]}")
    M_WORK=$(median "${works[@]}")
    M_READS=$(median "${reads[@]}")
    M_RETURNED=$(median "${returned[@]}")
}

# ---------------------------------------------------------------- scenarios
# Floor: etcdctl's own start-up and one round trip, on an empty range.
FLOOR_MS=$(time_etcdctl_one /no-such-key)

ROWS=()
# scenario NAME PREFIX KEYS [ETCDLENS_ARGS...] — PREFIX is what etcdctl
# reads (keys-only) and what the ratios are taken against; KEYS the keys
# under it (for the server-work ratio).
scenario() {
    local name=$1 ctl_prefix=$2 keys=$3; shift 3
    SCENARIO_NO=$(( ${SCENARIO_NO:-0} + 1 ))
    log "scenario $SCENARIO_NO: $name"
    local ctl walk
    ctl=$(time_etcdctl "$ctl_prefix")
    # What one walk over every key of P costs: the least any listing pays.
    walk=$(time_etcdctl_one --prefix "$ctl_prefix")
    time_etcdlens "s$SCENARIO_NO" "$@"
    ROWS+=("$name|$ctl|$M_FIRST|$M_SETTLED|$M_WALL|$M_RSS_KB|$M_WORK|$keys|$M_READS|$walk|$M_RETURNED")
}

BIGGEST_COUNT=$(count_keys "$BIGGEST")
scenario "/registry/ top level" /registry/ "$K8S_COUNT" --prefix /registry/
scenario "open $BIGGEST" "$BIGGEST" "$BIGGEST_COUNT" --prefix "$BIGGEST"
scenario "/bench/ top level" /bench/ "$BENCH_COUNT" --prefix /bench/
scenario "100k wide (first page)" /wide/ "$WIDE_COUNT" --prefix /wide/

# ---------------------------------------------------------------- report
total_ms=$(ms_between "$script_start" "$(now_ns)")
VERSION=$(etcd --version | head -1 | awk '{print $3}')
echo
echo "etcdlens listing benchmark — etcd $VERSION; $K8S_COUNT keys under /registry/, $BENCH_COUNT under /bench/,"
echo "$WIDE_COUNT under /wide/; db $((DB_SIZE / 1048576)) MiB; median of $RUNS runs after a warm-up; terminal 160x45 (tmux)"
echo "etcdctl   = etcdctl get --prefix P --keys-only > /dev/null, P the scenario's prefix (empty range: $FLOOR_MS ms)"
echo "walk      = etcdctl get --prefix P --keys-only --limit 1: one walk over every key of P, which any"
echo "            listing of P pays at least once (etcd walks a range whole to count it)"
echo "first row = process start -> first frame showing a row; top level = -> root wholly listed, counts"
echo "            included (a page of 1,000 for /wide/); x walk, x ctl = that time / walk, / etcdctl"
echo "work      = keys etcd walked for etcdlens's listings (sum of the replies' count) / keys under P"
echo "returned  = keys etcd sent back for the listings (before 3.7 it reads each from its store)"
echo
fmt="%-24s %8s %7s %7s %6s %8s %7s %6s %6s %6s %8s %6s\n"
# shellcheck disable=SC2059
printf "$fmt" scenario "ctl ms" "walk ms" "row ms" "row x" "top ms" "x walk" "x ctl" "work x" reads returned "RSS MB"
status=0
for row in "${ROWS[@]}"; do
    IFS='|' read -r name ctl first settled _wall rss_kb work keys reads walk returned <<<"$row"
    read -r r_first r_settled r_walk r_work rss_mb < <(awk -v c="$ctl" -v f="$first" -v s="$settled" \
        -v w="$work" -v k="$keys" -v r="$rss_kb" -v wk="$walk" \
        'BEGIN { printf "%.3f %.3f %.2f %.2f %.1f\n", f / c, s / c, s / wk, w / k, r / 1024 }')
    # shellcheck disable=SC2059
    printf "$fmt" "$name" "$ctl" "$walk" "$first" "$r_first" "$settled" "$r_walk" "$r_settled" "$r_work" "$reads" "$returned" "$rss_mb"
    case $name in
        "/registry/ top level") goal="$r_first <= 0.05 && $r_walk <= 1.5" ;;
        "open "*) goal="$r_walk <= 2" ;;
        "/bench/ top level") goal="$r_walk <= 1.5" ;;
        *) goal="1" ;;
    esac
    if ! awk "BEGIN { exit !($goal && ($r_work <= 2.5 || \"$name\" ~ /wide/) && $rss_mb <= 150) }"; then
        status=1
        echo "  ^ goal missed" >&2
    fi
done
echo
echo "goals (issue 29): whole top level of /registry/ and /bench/ <= 1.5 x walk; opening the biggest"
echo "directory <= 2 x walk; first row of /registry/ <= 0.05 x etcdctl; work <= 2.5 x the keys;"
echo "peak RSS <= 150 MB"
if (( status == 0 )); then
    echo "result: all goals met"
else
    echo "result: GOAL MISSED (see above)"
fi
echo "load: ${load_ms} ms; whole run: $(awk -v t="$total_ms" 'BEGIN { printf "%.0f", t / 1000 }') s"
# BENCH_STRICT=1: a missed goal fails the script (for CI).
if [[ "${BENCH_STRICT:-0}" == 1 ]]; then
    exit "$status"
fi
