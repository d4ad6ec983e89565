# Shared shell code of the benchmark scripts (benches/bench.sh,
# benches/storm.sh): logging and timing helpers, a private single-member etcd
# on free loopback ports, etcdlens runs inside tmux, and the clean-up of all
# of it on exit. Source it, then call `bench_init NAME TOOL...`.
# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here are read by the scripts

# bench_init NAME TOOL... — checks the tools, makes the work dir and the
# tmux socket name, installs the clean-up traps. Sets BENCH_NAME, WORK,
# TMUX_SOCKET.
bench_init() {
    BENCH_NAME=$1; shift
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
    export ETCDCTL_API=3
    unset TMUX ETCDCTL_ENDPOINTS ETCDCTL_USER ETCDCTL_PASSWORD ETCDCTL_CACERT ETCDCTL_CERT ETCDCTL_KEY
    # ETCDLENS_ETCD picks the etcd binary (etcdctl beside it), as for the
    # demo and the tests; otherwise both come from PATH.
    if [[ -n "${ETCDLENS_ETCD:-}" ]]; then
        ETCD_BIN=$ETCDLENS_ETCD
        ETCDCTL_BIN="$(dirname "$ETCDLENS_ETCD")/etcdctl"
        etcd() { "$ETCD_BIN" "$@"; }
        etcdctl() { "$ETCDCTL_BIN" "$@"; }
    fi
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "'$tool' is not on PATH"
    done
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/etcdlens-$BENCH_NAME.XXXXXX")
    TMUX_SOCKET="etcdlens-$BENCH_NAME-$$-$RANDOM"
    ETCD_PID=""
    BG_PIDS=()
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

log() { printf '[%s %s] %s\n' "$BENCH_NAME" "$(date +%T)" "$*" >&2; }
die() { echo "${BENCH_NAME:-bench}.sh: $*" >&2; exit 1; }
now_ns() { date +%s%N; }
# Milliseconds (one decimal) between two nanosecond stamps.
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }

# Stops a process started by this script (TERM, then KILL after 5 s).
stop_pid() {
    local pid=$1
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
    local rc=$? pid
    tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null || true
    # tmux leaves the socket file behind.
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TMUX_SOCKET"
    for pid in "${BG_PIDS[@]}"; do stop_pid "$pid"; done
    stop_pid "$ETCD_PID"
    rm -rf "$WORK"
    exit "$rc"
}

# ---------------------------------------------------------------- etcd
USED_PORTS=" "
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Sets PORT to a free loopback port not handed out before.
pick_port() {
    local p
    while :; do
        p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
        [[ "$USED_PORTS" == *" $p "* ]] && continue
        port_in_use "$p" && continue
        USED_PORTS+="$p "
        PORT=$p
        return
    done
}

# start_etcd [EXTRA_ETCD_ARGS...] — a fresh single-member etcd with its data
# in $WORK/etcd (emptied first) and its log in $WORK/etcd.log. Sets ETCD_PID
# and ENDPOINT (host:port).
start_etcd() {
    local attempt client peer
    for attempt in 1 2 3; do
        pick_port; client=$PORT
        pick_port; peer=$PORT
        rm -rf "$WORK/etcd"
        etcd --name bench --data-dir "$WORK/etcd" \
            --listen-client-urls "http://127.0.0.1:$client" \
            --advertise-client-urls "http://127.0.0.1:$client" \
            --listen-peer-urls "http://127.0.0.1:$peer" \
            --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
            --initial-cluster "bench=http://127.0.0.1:$peer" \
            --initial-cluster-state new \
            "$@" \
            >"$WORK/etcd.log" 2>&1 &
        ETCD_PID=$!
        ENDPOINT="127.0.0.1:$client"
        local deadline=$(( $(date +%s) + 30 ))
        while (( $(date +%s) < deadline )); do
            if ! kill -0 "$ETCD_PID" 2>/dev/null; then
                break # died (port taken?): try other ports
            fi
            if etcdctl --endpoints "$ENDPOINT" --dial-timeout 1s endpoint health >/dev/null 2>&1; then
                log "etcd $(etcd --version | head -1 | awk '{print $3}') up on $ENDPOINT (peer :$peer, pid $ETCD_PID, data $WORK/etcd)"
                return 0
            fi
            sleep 0.2
        done
        log "etcd did not start on $ENDPOINT (attempt $attempt); last log lines:"
        tail -n 5 "$WORK/etcd.log" >&2 || true
        stop_pid "$ETCD_PID"
        ETCD_PID=""
    done
    die "cannot start etcd"
}

# wait_etcd_idle — after a big load etcd goes on working for a while (raft
# snapshots, its Go heap); timing reads then measures that work, not the
# reads. Waits (at most 120 s) until etcd used less than 5% of a core over
# two seconds, and logs how long that took.
wait_etcd_idle() {
    local t0 before after waited
    t0=$(now_ns)
    cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$ETCD_PID/stat"; }
    for _ in $(seq 60); do
        before=$(cpu_ticks); sleep 2; after=$(cpu_ticks)
        # Clock ticks are 1/100 s: 10 ticks in 2 s is 5% of a core.
        (( after - before < 10 )) && break
    done
    waited=$(ms_between "$t0" "$(now_ns)")
    log "etcd idle after ${waited} ms"
}

stop_etcd() {
    stop_pid "$ETCD_PID"
    ETCD_PID=""
}

# ---------------------------------------------------------------- etcdlens in tmux
# lens_launch TAG WALL CMD... — runs CMD (etcdlens and its flags) in a fresh
# 160x45 tmux session "lens-TAG". When CMD exits, "RC START_NS END_NS" (the
# wall clock around the process, taken inside the session) is written to
# WALL; on failure the pane stays 30 s for diagnostics.
lens_launch() {
    local tag=$1 wall=$2; shift 2
    rm -f "$wall"
    # shellcheck disable=SC2016 # expanded by the inner shell
    tmux -L "$TMUX_SOCKET" new-session -d -s "lens-$tag" -x 160 -y 45 \
        bash -c 's=$(date +%s%N); "${@:2}"; rc=$?; e=$(date +%s%N)
                 echo "$rc $s $e" >"$1.tmp" && mv "$1.tmp" "$1"
                 [ "$rc" = 0 ] || sleep 30 # keep the pane for diagnostics' \
        _ "$wall" "$@"
}

# The screen of session "lens-TAG" as text.
lens_screen() { tmux -L "$TMUX_SOCKET" capture-pane -p -t "lens-$1" 2>/dev/null; }

# lens_wait_exit TAG WALL REPORT TIMEOUT_S — waits for the run launched by
# lens_launch to end (the WALL file, not a sleep); fails with the screen when
# it does not within the timeout, exits non-zero or wrote no REPORT. Sets
# LENS_RC LENS_START_NS LENS_END_NS, and waits for the session to go.
lens_wait_exit() {
    local tag=$1 wall=$2 report=$3 timeout=$4
    local deadline=$(( $(date +%s) + timeout ))
    until [[ -s "$wall" ]]; do
        if (( $(date +%s) >= deadline )); then
            echo "$BENCH_NAME.sh: etcdlens ($tag) did not exit within $timeout s; screen:" >&2
            lens_screen "$tag" >&2 || true
            exit 1
        fi
        sleep 0.05
    done
    read -r LENS_RC LENS_START_NS LENS_END_NS <"$wall"
    if [[ "$LENS_RC" != 0 || ! -s "$report" ]]; then
        echo "$BENCH_NAME.sh: etcdlens ($tag) exited with $LENS_RC; screen:" >&2
        lens_screen "$tag" >&2 || true
        exit 1
    fi
    # The session ends with the process; make sure before the next run.
    for _ in $(seq 100); do
        tmux -L "$TMUX_SOCKET" has-session -t "lens-$tag" 2>/dev/null || break
        sleep 0.02
    done
}

# report_field REPORT NAME — one value of an etcdlens --bench-report file.
report_field() { sed -n "s/^$2=//p" "$1"; }
