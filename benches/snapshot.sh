#!/usr/bin/env bash
# Snapshot save benchmark: `etcdlens snapshot save` beside
# `etcdctl snapshot save` of the same database, in one run.
#
# Builds etcdlens (release), starts a private single-member etcd on free
# loopback ports (quota 8 GiB), fills it with SIZE_MIB MiB of values (1 MiB
# each, by etcdctl, 4 at a time), then saves its snapshot RUNS times with
# each tool, alternating, after one warm-up of each: wall clock, median.
# Each pair of files is checked to hold the same database (etcdutl/etcdctl
# `snapshot status` of the etcdctl one equals `etcdlens snapshot status` of
# ours). The ratio is etcdlens / etcdctl. Goal (issue 24): <= 1.1.
#
# Usage: bash benches/snapshot.sh
# Env:   RUNS=3 SIZE_MIB=520 BENCH_STRICT=1 (exit 1 when the goal is missed)
#        ETCDLENS_ETCD=/path/to/etcd (etcdctl beside it)
#        LENS=/path/to/etcdlens (skip the build; use that binary)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib.sh source-path=SCRIPTDIR disable=SC1091
source benches/lib.sh
bench_init snapshot cargo etcd etcdctl

RUNS=${RUNS:-3}
SIZE_MIB=${SIZE_MIB:-520}

if [[ -z "${LENS:-}" ]]; then
    log "building (release): etcdlens"
    cargo build --release --bin etcdlens
    LENS="$CARGO_TARGET_DIR/release/etcdlens"
fi

start_etcd --quota-backend-bytes $((8 * 1024 * 1024 * 1024))

log "loading $SIZE_MIB MiB (1 MiB values)"
# ~1 MiB of base64 text (under etcd's 1.5 MiB request limit).
head -c 786000 /dev/urandom >"$WORK/random"
base64 -w0 "$WORK/random" >"$WORK/value"
CTL=${ETCDCTL_BIN:-$(type -P etcdctl)}
seq 1 "$SIZE_MIB" | xargs -P 4 -I{} sh -c \
    "\"\$0\" --endpoints \"\$1\" put /bench/value-{} <\"\$2\" >/dev/null" \
    "$CTL" "$ENDPOINT" "$WORK/value"
wait_etcd_idle 2>/dev/null || true
DB_BYTES=$(etcdctl --endpoints "$ENDPOINT" endpoint status -w json | sed -n 's/.*"dbSize":\([0-9]*\).*/\1/p')
log "database: $DB_BYTES bytes"

# The tool that reads a snapshot's status: etcdutl beside etcdctl, else etcdctl (3.4).
STATUS_TOOL=(etcdctl)
if [[ -n "${ETCDCTL_BIN:-}" && -x "$(dirname "$ETCDCTL_BIN")/etcdutl" ]]; then
    STATUS_TOOL=("$(dirname "$ETCDCTL_BIN")/etcdutl")
elif [[ -z "${ETCDCTL_BIN:-}" ]] && command -v etcdutl >/dev/null; then
    STATUS_TOOL=(etcdutl)
fi

# ms NAME CMD...: runs CMD, sets MS to its wall clock in milliseconds.
ms() {
    local name=$1; shift
    local t0 t1
    rm -f "$WORK/$name.db"
    t0=$(now_ns)
    "$@" >"$WORK/$name.out" 2>&1 || { cat "$WORK/$name.out" >&2; die "$name failed"; }
    t1=$(now_ns)
    MS=$(ms_between "$t0" "$t1")
}

declare -a ctl_ms lens_ms
for run in $(seq 0 "$RUNS"); do
    ms ctl etcdctl --endpoints "$ENDPOINT" snapshot save "$WORK/ctl.db"
    c=$MS
    ms lens "$LENS" --endpoints "$ENDPOINT" snapshot save "$WORK/lens.db"
    l=$MS
    theirs=$("${STATUS_TOOL[@]}" snapshot status -w json "$WORK/ctl.db" 2>/dev/null | sed 's/,"version":"[^"]*"//')
    ours=$("$LENS" snapshot status -w json "$WORK/lens.db" | sed 's/,"entries":[0-9]*//; s/,"version":"[^"]*"//')
    # etcdutl <= 3.5 counts every entry as total keys: compare the rest.
    [[ "${theirs/\"totalKey\":*,\"totalSize\"/}" == "${ours/\"totalKey\":*,\"totalSize\"/}" ]] \
        || die "the snapshots differ: etcdctl's $theirs, ours $ours"
    (( run == 0 )) && { log "warm-up done ($(stat -c %s "$WORK/lens.db") bytes each)"; continue; }
    ctl_ms+=("$c"); lens_ms+=("$l")
    log "run $run: etcdctl ${c} ms, etcdlens ${l} ms"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
c=$(median "${ctl_ms[@]}"); l=$(median "${lens_ms[@]}")
r=$(ratio "$l" "$c")
echo "snapshot save of $DB_BYTES bytes: etcdctl ${c} ms, etcdlens ${l} ms (median of $RUNS): ratio $r (goal <= 1.1)"
if [[ "${BENCH_STRICT:-}" == 1 ]] && awk -v r="$r" 'BEGIN { exit !(r > 1.1) }'; then
    exit 1
fi
