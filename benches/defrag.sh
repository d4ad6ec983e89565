#!/usr/bin/env bash
# Rolling defragmentation benchmark: `etcdlens defrag --rolling` beside
# `etcdctl defrag --cluster` on the same 3-member cluster, in one run.
#
# Builds etcdlens (release), starts a private 3-member etcd cluster on free
# loopback ports (quota 8 GiB), loads LIVE_MIB values of 1 MiB under /live/
# (kept: a defragmentation copies the live data, so this is what it costs),
# then before each run of either tool fragments it the same way: SIZE_MIB
# values of 1 MiB written under /frag/ (by etcdctl, 4 at a time), deleted,
# and the history compacted to the current revision (--physical) — every
# member's DB then holds about LIVE_MIB MiB in use and SIZE_MIB MiB of free
# pages. Each tool then defragments the three members:
#   etcdctl defrag --cluster               (list order, no health gate)
#   etcdlens defrag --rolling --wait 0 --min-fragmentation 0 --min-gain 0 --yes
#                                          (health gate before each member,
#                                           followers, leader move, old leader)
# alternating (ABBA), RUNS times after one warm-up of each: wall clock,
# median; and etcdlens's own overhead: its wall clock minus the times of the
# defragmentations it reports.
# Each timed run starts once the members are idle; every member's DB size is
# checked to have shrunk after each run. The ratio
# is etcdlens / etcdctl. Goal (issue 24): <= 1.2.
#
# Usage: bash benches/defrag.sh
# Env:   RUNS=3 LIVE_MIB=200 SIZE_MIB=100 BENCH_STRICT=1 (exit 1 when the goal is missed)
#        ETCDLENS_ETCD=/path/to/etcd (etcdctl beside it)
#        LENS=/path/to/etcdlens (skip the build; use that binary)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib.sh source-path=SCRIPTDIR disable=SC1091
source benches/lib.sh
bench_init defrag cargo etcd etcdctl

RUNS=${RUNS:-3}
LIVE_MIB=${LIVE_MIB:-200}
SIZE_MIB=${SIZE_MIB:-100}

if [[ -z "${LENS:-}" ]]; then
    log "building (release): etcdlens"
    cargo build --release --bin etcdlens
    LENS="$CARGO_TARGET_DIR/release/etcdlens"
fi
# The audit log (and journal) of the runs stay in the work dir.
export ETCDLENS_JOURNAL="$WORK/journal.jsonl"

# start_cluster — three members (infra1..3) with their data and logs in
# $WORK; their pids join BG_PIDS (stopped on exit). Sets ENDPOINTS.
start_cluster() {
    local attempt i initial clients=() peers=() eps
    for attempt in 1 2 3; do
        clients=(); peers=(); initial=""
        for i in 1 2 3; do
            pick_port; clients+=("$PORT")
            pick_port; peers+=("$PORT")
            initial+="infra$i=http://127.0.0.1:$PORT,"
        done
        initial=${initial%,}
        local pids=()
        for i in 0 1 2; do
            rm -rf "$WORK/infra$((i + 1))"
            etcd --name "infra$((i + 1))" --data-dir "$WORK/infra$((i + 1))" \
                --listen-client-urls "http://127.0.0.1:${clients[i]}" \
                --advertise-client-urls "http://127.0.0.1:${clients[i]}" \
                --listen-peer-urls "http://127.0.0.1:${peers[i]}" \
                --initial-advertise-peer-urls "http://127.0.0.1:${peers[i]}" \
                --initial-cluster "$initial" --initial-cluster-state new \
                --initial-cluster-token "etcdlens-bench-$$" \
                --quota-backend-bytes $((8 * 1024 * 1024 * 1024)) \
                >"$WORK/infra$((i + 1)).log" 2>&1 &
            pids+=($!)
        done
        eps="127.0.0.1:${clients[0]},127.0.0.1:${clients[1]},127.0.0.1:${clients[2]}"
        local deadline=$(( $(date +%s) + 30 ))
        while (( $(date +%s) < deadline )); do
            if etcdctl --endpoints "$eps" --dial-timeout 1s endpoint health >/dev/null 2>&1; then
                BG_PIDS+=("${pids[@]}")
                ENDPOINTS=$eps
                log "etcd $(etcd --version | head -1 | awk '{print $3}') cluster up on $ENDPOINTS (pids ${pids[*]})"
                return 0
            fi
            sleep 0.2
        done
        log "the cluster did not start (attempt $attempt); last log lines:"
        tail -n 3 "$WORK"/infra*.log >&2 || true
        for i in "${pids[@]}"; do stop_pid "$i"; done
    done
    die "cannot start etcd"
}

start_cluster

# ~1 MiB of base64 text (under etcd's 1.5 MiB request limit).
head -c 786000 /dev/urandom >"$WORK/random"
base64 -w0 "$WORK/random" >"$WORK/value"
CTL=${ETCDCTL_BIN:-$(type -P etcdctl)}

# Every member's DB size in bytes, in endpoint order, space-separated.
db_sizes() {
    etcdctl --endpoints "$ENDPOINTS" endpoint status -w json \
        | grep -o '"dbSize":[0-9]*' | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//'
}

# put PREFIX N — N values of 1 MiB under PREFIX, 4 at a time.
put() {
    seq 1 "$2" | xargs -P 4 -I{} sh -c \
        "\"\$0\" --endpoints \"\$1\" put $1{} <\"\$2\" >/dev/null" \
        "$CTL" "$ENDPOINTS" "$WORK/value"
}

log "loading $LIVE_MIB MiB of live data (1 MiB values)"
put /live/value- "$LIVE_MIB"

# fragment — the same garbage before every run: SIZE_MIB MiB written,
# deleted, compacted away (applied on every member).
fragment() {
    put /frag/value- "$SIZE_MIB"
    etcdctl --endpoints "$ENDPOINTS" del --prefix /frag/ >/dev/null
    local rev
    rev=$(etcdctl --endpoints "$ENDPOINTS" endpoint status -w json \
        | grep -o '"revision":[0-9]*' | head -1 | cut -d: -f2)
    etcdctl --endpoints "$ENDPOINTS" compact "$rev" --physical >/dev/null
    FRAGMENTED=$(db_sizes)
}

# cluster_idle — waits (at most 60 s) until the three members together used
# less than 5% of a core over two seconds: after the fragmenting they go on
# working a while (compaction, commits), which a timed run would measure.
cluster_idle() {
    local before after p
    ticks() {
        local sum=0
        for p in "${BG_PIDS[@]}"; do
            sum=$(( sum + $(awk '{ print $14 + $15 }' "/proc/$p/stat") ))
        done
        echo "$sum"
    }
    for _ in $(seq 30); do
        before=$(ticks); sleep 2; after=$(ticks)
        (( after - before < 10 )) && return 0
    done
    log "the cluster is still busy; timing anyway"
}

# ms NAME CMD...: runs CMD, sets MS to its wall clock in milliseconds.
ms() {
    local name=$1; shift
    local t0 t1
    t0=$(now_ns)
    "$@" >"$WORK/$name.out" 2>&1 || { cat "$WORK/$name.out" >&2; die "$name failed"; }
    t1=$(now_ns)
    MS=$(ms_between "$t0" "$t1")
}

# shrunk NAME — every member's DB is smaller than after the fragmenting.
shrunk() {
    local before after b a
    read -r -a before <<<"$FRAGMENTED"
    after=$(db_sizes)
    read -r -a a <<<"$after"
    for b in 0 1 2; do
        (( a[b] < before[b] )) || die "$1 left member $((b + 1)) at ${a[b]} bytes (before: ${before[b]}); output: $(cat "$WORK/$1.out")"
    done
    log "$1: DB sizes $FRAGMENTED → $after"
}

# run_ctl / run_lens — one timed run of each tool on a freshly fragmented
# cluster; set C / L (ms). The etcdlens run also sets D, the sum of the
# defragmentations' own times it reports (ms): L − D is its overhead (the
# health checks, the leader move, its start).
run_ctl() {
    fragment
    cluster_idle
    ms ctl etcdctl --endpoints "$ENDPOINTS" defrag --cluster --command-timeout 600s
    C=$MS
    shrunk ctl
}
run_lens() {
    fragment
    cluster_idle
    ms lens "$LENS" --endpoints "$ENDPOINTS" defrag --rolling --wait 0 \
        --min-fragmentation 0 --min-gain 0 --yes
    L=$MS
    shrunk lens
    grep -E '^(defragmented|moved) ' "$WORK/lens.out" | sed 's/^/    /' >&2
    D=$(sed -n 's/^defragmented .* in \([0-9.]*\) s$/\1/p' "$WORK/lens.out" \
        | awk '{ s += $1 } END { printf "%.1f", s * 1000 }')
}

declare -a ctl_ms lens_ms over_ms
for run in $(seq 0 "$RUNS"); do
    # Alternate which tool goes first (ABBA), so a drift in the machine's
    # load does not favour one.
    if (( run % 2 == 0 )); then run_ctl; run_lens; else run_lens; run_ctl; fi
    o=$(awk -v l="$L" -v d="$D" 'BEGIN { printf "%.1f", l - d }')
    (( run == 0 )) && { log "warm-up done: etcdctl ${C} ms, etcdlens ${L} ms"; continue; }
    ctl_ms+=("$C"); lens_ms+=("$L"); over_ms+=("$o")
    log "run $run: etcdctl ${C} ms, etcdlens ${L} ms (its defragmentations ${D} ms, the rest ${o} ms)"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
c=$(median "${ctl_ms[@]}"); l=$(median "${lens_ms[@]}"); o=$(median "${over_ms[@]}")
r=$(ratio "$l" "$c")
echo "rolling defragmentation of 3 members ($LIVE_MIB MiB in use, $SIZE_MIB MiB free each): etcdctl defrag --cluster ${c} ms, etcdlens defrag --rolling ${l} ms (median of $RUNS; of which not defragmenting: ${o} ms): ratio $r (goal <= 1.2)"
if [[ "${BENCH_STRICT:-}" == 1 ]] && awk -v r="$r" 'BEGIN { exit !(r > 1.2) }'; then
    exit 1
fi
