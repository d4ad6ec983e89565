#!/usr/bin/env bash
# Time machine benchmark: etcdlens beside etcdctl on the same data, one run.
#
# 1. History of a key with REVISIONS (10,000) revisions, spread among as
#    many writes of another key: etcdlens's history (`H`: one read and one
#    watch) vs a loop of `etcdctl get KEY --rev R` over every revision —
#    the loop is timed over a SAMPLE (200) of them and extrapolated.
# 2. `:changes` over CHANGES (500,000) revisions under a prefix (KEYS
#    keys, one write in ten a delete): etcdlens's reading vs
#    `etcdctl watch --rev A+1 --prefix P` writing the same events to a
#    file (timed until the last event, a sentinel key, is in the file).
#    etcdlens's RSS growth during the reading is reported too.
# 3. Both again on a snapshot of the same database, served in-process as
#    `etcdlens open` serves it (issue 27: as fast as on the live cluster).
# etcdlens is measured through the functions its views call (the example
# examples/bench_history.rs); each measurement runs RUNS (3) times, the
# :changes ones CHANGES_RUNS (RUNS) times; medians reported.
#
# Usage: bash benches/history.sh
#        ETCDLENS_ETCD=/path/to/etcd bash benches/history.sh (etcdctl beside it)
# Env:   RUNS=3 CHANGES_RUNS=3 REVISIONS=10000 SAMPLE=200 CHANGES=500000 KEYS=10000
#        CARGO_TARGET_DIR (default: ./target)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib.sh source-path=SCRIPTDIR disable=SC1091
source benches/lib.sh
bench_init history cargo etcd etcdctl

RUNS=${RUNS:-3}
CHANGES_RUNS=${CHANGES_RUNS:-$RUNS}
REVISIONS=${REVISIONS:-10000}
SAMPLE=${SAMPLE:-200}
CHANGES=${CHANGES:-500000}
KEYS=${KEYS:-10000}

log "building (release): example bench_history"
cargo build --release --example bench_history
DRIVER="$CARGO_TARGET_DIR/release/examples/bench_history"

start_etcd --quota-backend-bytes 8589934592
drive() { "$DRIVER" --endpoints "$ENDPOINT" "$@"; }
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p"; }

# ---------------------------------------------------------------- history
KEY=/hist/key
log "loading $REVISIONS revisions of $KEY"
drive load-key --key "$KEY" --revisions "$REVISIONS" >&2
lens_ms=()
for run in $(seq "$RUNS"); do
    out=$(drive history --key "$KEY")
    log "etcdlens history run $run: $out"
    [[ "$(field revisions <<<"$out")" == "$REVISIONS" ]] || die "history: expected $REVISIONS revisions: $out"
    lens_ms+=("$(field history_ms <<<"$out")")
done
lens_hist=$(median "${lens_ms[@]}")
# The key's revisions, from its history as etcdctl sees it: the first
# create revision and every second revision after it (the key and its
# noise key alternate).
first=$(etcdctl --endpoints "$ENDPOINT" get "$KEY" -w json | grep -o '"create_revision":[0-9]*' | cut -d: -f2)
step=$(( REVISIONS / SAMPLE ))
t0=$(now_ns)
for i in $(seq 0 $(( SAMPLE - 1 ))); do
    rev=$(( first + 2 * i * step ))
    etcdctl --endpoints "$ENDPOINT" get "$KEY" --rev "$rev" >/dev/null
done
t1=$(now_ns)
sample_ms=$(ms_between "$t0" "$t1")
loop_ms=$(awk -v s="$sample_ms" -v n="$SAMPLE" -v r="$REVISIONS" 'BEGIN { printf "%.0f", s / n * r }')

# ---------------------------------------------------------------- changes
PREFIX=/chg/
log "loading $CHANGES changes under $PREFIX over $KEYS keys"
load=$(drive load-changes --prefix "$PREFIX" --revisions "$CHANGES" --keys "$KEYS")
log "$load"
from=$(field from <<<"$load")
to=$(field to <<<"$load")
lens_ms=(); growth=()
for run in $(seq "$CHANGES_RUNS"); do
    out=$(drive changes --prefix "$PREFIX" --from "$from")
    log "etcdlens changes run $run: $out"
    [[ "$(field events <<<"$out")" == "$(( to - from ))" ]] || die "changes: expected $(( to - from )) events: $out"
    lens_ms+=("$(field changes_ms <<<"$out")")
    growth+=("$(field rss_growth_kb <<<"$out")")
done
lens_chg=$(median "${lens_ms[@]}")
lens_growth=$(median "${growth[@]}")
ctl_ms=()
for run in $(seq "$CHANGES_RUNS"); do
    out_file="$WORK/watch.out"
    : >"$out_file"
    t0=$(now_ns)
    etcdctl --endpoints "$ENDPOINT" watch --rev $(( from + 1 )) --prefix "$PREFIX" >"$out_file" 2>/dev/null &
    wpid=$!
    BG_PIDS+=("$wpid")
    until tail -c 256 "$out_file" | grep -qF "${PREFIX}zz-end"; do
        kill -0 "$wpid" 2>/dev/null || die "etcdctl watch ended early"
        sleep 0.02
    done
    t1=$(now_ns)
    stop_pid "$wpid"
    ms=$(ms_between "$t0" "$t1")
    log "etcdctl watch run $run: ${ms} ms, $(wc -c <"$out_file") bytes"
    ctl_ms+=("$ms")
done
ctl_chg=$(median "${ctl_ms[@]}")

# ---------------------------------------------------------------- offline
# The same two readings on a snapshot of this database (`etcdlens open`):
# issue 27 wants them as fast as on the live cluster.
SNAP="$WORK/history.db"
etcdctl --endpoints "$ENDPOINT" snapshot save "$SNAP" >/dev/null 2>&1
off_hist=(); off_chg=()
for run in $(seq "$RUNS"); do
    out=$(drive --snapshot "$SNAP" history --key "$KEY" 2>/dev/null)
    [[ "$(field revisions <<<"$out")" == "$REVISIONS" ]] || die "offline history: $out"
    off_hist+=("$(field history_ms <<<"$out")")
    out=$(drive --snapshot "$SNAP" changes --prefix "$PREFIX" --from "$from" 2>/dev/null)
    [[ "$(field events <<<"$out")" == "$(( to - from ))" ]] || die "offline changes: $out"
    off_chg+=("$(field changes_ms <<<"$out")")
    log "offline run $run: history ${off_hist[-1]} ms, changes ${off_chg[-1]} ms"
done
off_hist=$(median "${off_hist[@]}")
off_chg=$(median "${off_chg[@]}")

version=$(etcd --version | head -1 | awk '{print $3}')
echo
echo "etcd $version — medians of $RUNS runs ($CHANGES_RUNS for :changes)"
printf 'history of a key with %s revisions: etcdlens %s ms (1 read + 1 watch stream); etcdctl get --rev loop %s ms (%s gets timed: %s ms, extrapolated); ratio %s\n' \
    "$REVISIONS" "$lens_hist" "$loop_ms" "$SAMPLE" "$sample_ms" \
    "$(awk -v a="$lens_hist" -v b="$loop_ms" 'BEGIN { printf "%.4f", a / b }')"
printf ':changes over %s revisions under %s: etcdlens %s ms; etcdctl watch to a file %s ms; ratio %s (goal <= 1.5); etcdlens RSS growth %s KiB (goal <= 100 MB)\n' \
    "$(( to - from ))" "$PREFIX" "$lens_chg" "$ctl_chg" \
    "$(awk -v a="$lens_chg" -v b="$ctl_chg" 'BEGIN { printf "%.2f", a / b }')" "$lens_growth"
printf 'offline (a snapshot of this database, %s MiB): history %s ms (ratio to live %s), :changes %s ms (ratio to live %s)\n' \
    "$(( $(stat -c %s "$SNAP") / 1048576 ))" \
    "$off_hist" "$(awk -v a="$off_hist" -v b="$lens_hist" 'BEGIN { printf "%.2f", a / b }')" \
    "$off_chg" "$(awk -v a="$off_chg" -v b="$lens_chg" 'BEGIN { printf "%.2f", a / b }')"
