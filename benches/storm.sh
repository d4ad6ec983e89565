#!/usr/bin/env bash
# Live-watch benchmark of etcdlens: a storm of watch events, followed at once
# by etcdlens (in a real 160x45 terminal, tmux) and by `etcdctl watch`.
#
# Each run (RUNS, default 3) starts a fresh private single-member etcd on free
# loopback ports with a temporary data dir, puts a few keys under /seed/ (so
# the Keys pane has rows to move over), then:
#   - starts `etcdctl watch --prefix /storm/ > FILE` in the background and
#     etcdlens --watch /storm/ in tmux, and waits until both watches exist
#     (etcd's watcher gauge for etcdctl; "watching from revision" and
#     "Events /storm/ (0)" on etcdlens's screen);
#   - writes the storm with the example bench_storm: EVENTS puts (default
#     500,000) under /storm/ in 128-op transactions, 32 in flight, over 10,000
#     keys; the last put (value with "last":true) is in the last transaction,
#     sent alone after all others, so it is the last event either watcher
#     sees. bench_storm also polls the end of etcdctl's FILE (every 1 ms, a
#     stat and a small read; no process per poll) and notes when the last
#     event shows there;
#   - meanwhile presses j / k in etcdlens every ~80 ms (tmux send-keys), from
#     the storm's start until etcdlens exits, so its input-latency probe (key
#     press -> next frame) measures the UI under load;
#   - etcdlens exits after the first frame whose Events title counts EVENTS
#     (--bench-events/--bench-exit) and writes its report. When its count
#     stops moving for STALL_S seconds (or after LENS_TIMEOUT), the script
#     presses q instead: the report still comes, its catch-up shows as inf;
#   - notes the CPU time (from /proc) of etcdlens, etcdctl and etcd.
# With TOP=1, etcdlens browses --prefix /storm/ and has the hot prefixes
# (`:top`, key B) open on it before the storm: they count the Events pane's
# watch (no second watch), and the catch-up is read from the view's title
# (`Top /storm/ depth 1 (N events)`), which covers the Events pane.
# Catch-up = when the last event was shown (etcdlens: that frame's wall
# clock) or printed (etcdctl: first seen in FILE) minus the storm's end (the
# last transaction's answer). Medians of the runs, then every value.
#
# Usage: bash benches/storm.sh
# Env:   RUNS=3 EVENTS=500000 KEYS=10000 BATCH=128 IN_FLIGHT=32
#        KEY_EVERY=0.08 (seconds between key presses)
#        LENS_TIMEOUT=900 (seconds etcdlens may take to show every event after
#          the storm) STALL_S=60 (give up sooner when its count stops moving)
#        BENCH_STRICT=1 to exit 1 when a target is missed
#        TOP=1 to run with the hot prefixes (:top) open on the storm's prefix
#        CARGO_TARGET_DIR (default: ./target)
# Needs: cargo, etcd, etcdctl (3.4+), tmux, curl.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
script_start=$(date +%s%N)
# shellcheck source=lib.sh source-path=SCRIPTDIR disable=SC1091
source benches/lib.sh
bench_init storm cargo etcd etcdctl tmux curl

RUNS=${RUNS:-3}
EVENTS=${EVENTS:-500000}
KEYS=${KEYS:-10000}
BATCH=${BATCH:-128}
IN_FLIGHT=${IN_FLIGHT:-32}
KEY_EVERY=${KEY_EVERY:-0.08}
LENS_TIMEOUT=${LENS_TIMEOUT:-900}
STALL_S=${STALL_S:-60}
TOP=${TOP:-0}
PREFIX=/storm/

# ---------------------------------------------------------------- build
log "building (release): etcdlens + example bench_storm"
cargo build --release --bin etcdlens --example bench_storm
LENS="$CARGO_TARGET_DIR/release/etcdlens"
STORM="$CARGO_TARGET_DIR/release/examples/bench_storm"

# etcd's count of open watchers.
watchers() {
    curl -s --max-time 2 "http://$ENDPOINT/metrics" \
        | awk '$1 == "etcd_debugging_mvcc_watcher_total" { n = $2 } END { print n + 0 }'
}

# CPU seconds (user + system) of a process, from /proc; "-" when gone.
HZ=$(getconf CLK_TCK)
cpu_s() {
    local stat f
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || { echo -; return; }
    # After the command (which may hold spaces): state is f[0], utime f[11].
    read -r -a f <<<"${stat##*) }"
    local cs=$(( (f[11] + f[12]) * 100 / HZ ))
    printf '%d.%02d\n' $(( cs / 100 )) $(( cs % 100 ))
}

# Presses j and k in turn in etcdlens until $2 exists or the session is gone;
# after each key, notes etcdlens's CPU time (pid $3) in file $4.
press_keys() {
    local tag=$1 stop=$2 pid=$3 cpu_file=$4 key=j c
    while [[ ! -e "$stop" ]]; do
        tmux -L "$TMUX_SOCKET" send-keys -t "lens-$tag" "$key" 2>/dev/null || return 0
        if [[ "$key" == j ]]; then key=k; else key=j; fi
        c=$(cpu_s "$pid")
        [[ "$c" == - ]] || echo "$c" >"$cpu_file"
        sleep "$KEY_EVERY"
    done
}

# One measurement; appends a row to ROWS.
ROWS=()
run_once() {
    local i=$1 tag="r$1"
    local report="$WORK/report.$tag" wall="$WORK/wall.$tag" out="$WORK/etcdctl.$tag"
    local stop_keys="$WORK/stop-keys.$tag"
    rm -f "$report" "$out" "$stop_keys"
    # shellcheck disable=SC2119 # no extra etcd flags
    start_etcd
    local k
    for k in app/config app/feature-flags app/limits db/primary db/replica \
        svc/api svc/auth svc/billing svc/search svc/web; do
        etcdctl --endpoints "$ENDPOINT" put "/seed/$k" "{\"name\":\"$k\",\"enabled\":true}" >/dev/null
    done

    # Both watches exist before the storm starts (so neither replays
    # history): etcdctl's is counted by etcd, etcdlens says so on screen.
    etcdctl --endpoints "$ENDPOINT" watch --prefix "$PREFIX" >"$out" 2>"$WORK/etcdctl.err" &
    local ctl_pid=$!
    BG_PIDS+=("$ctl_pid")
    local deadline=$(( $(date +%s) + 30 ))
    until (( $(watchers) >= 1 )); do
        (( $(date +%s) < deadline )) || die "etcdctl watch did not start: $(cat "$WORK/etcdctl.err")"
        sleep 0.05
    done
    local browse=()
    [[ "$TOP" == 1 ]] && browse=(--prefix "$PREFIX")
    lens_launch "$tag" "$wall" "$LENS" --endpoints "$ENDPOINT" --watch "$PREFIX" "${browse[@]}" \
        --bench-report "$report" --bench-exit --bench-events "$EVENTS"
    until lens_screen "$tag" | grep -q "watching from revision"; do
        if (( $(date +%s) >= deadline )); then
            echo "storm.sh: etcdlens's watch did not start; screen:" >&2
            lens_screen "$tag" >&2 || true
            exit 1
        fi
        sleep 0.05
    done
    lens_screen "$tag" | grep -q "Events $PREFIX (0)" || die "etcdlens does not show \"Events $PREFIX (0)\""
    # What shows the count: the Events pane's title, or :top's over it.
    local shown="Events $PREFIX (\([0-9,]*\))"
    if [[ "$TOP" == 1 ]]; then
        tmux -L "$TMUX_SOCKET" send-keys -t "lens-$tag" B
        until lens_screen "$tag" | grep -q "Top $PREFIX depth 1 (0 events)"; do
            (( $(date +%s) < deadline )) || die "etcdlens does not show :top on $PREFIX"
            sleep 0.05
        done
        lens_screen "$tag" | grep -q "counted from the Events pane's watch" \
            || die ":top does not count the Events pane's watch"
        shown="Top $PREFIX depth 1 (\([0-9,]*\) events)"
    fi
    local lens_pid
    lens_pid=$(pgrep -P "$(tmux -L "$TMUX_SOCKET" list-panes -t "lens-$tag" -F '#{pane_pid}')" etcdlens)
    log "run $i: etcdctl watch (pid $ctl_pid) and etcdlens (pid $lens_pid) follow $PREFIX; storm of $EVENTS events…"

    local cpu_file="$WORK/cpu.$tag"
    echo - >"$cpu_file"
    press_keys "$tag" "$stop_keys" "$lens_pid" "$cpu_file" &
    local keys_pid=$!
    BG_PIDS+=("$keys_pid")
    "$STORM" --endpoints "$ENDPOINT" --prefix "$PREFIX" --events "$EVENTS" --keys "$KEYS" \
        --batch "$BATCH" --in-flight "$IN_FLIGHT" --tail-file "$out" >"$WORK/storm.$tag"
    local cpu_ctl cpu_etcd
    cpu_ctl=$(cpu_s "$ctl_pid")
    cpu_etcd=$(cpu_s "$ETCD_PID")
    # Wait for etcdlens to show every event and exit, sampling its CPU time.
    # When its Events count has not moved for STALL_S seconds (or after
    # LENS_TIMEOUT), give up: press q, so it still writes its report.
    local c count seen=-1 since=$SECONDS begin=$SECONDS polls=0
    while [[ ! -s "$wall" ]]; do
        c=$(cpu_s "$lens_pid")
        [[ "$c" == - ]] || echo "$c" >"$cpu_file"
        if (( ++polls % 20 == 0 )); then
            count=$(lens_screen "$tag" | sed -n "s|.*$shown.*|\1|p" | head -1)
            if [[ "$count" != "$seen" ]]; then
                seen=$count
                since=$SECONDS
            fi
            if (( SECONDS - since >= STALL_S || SECONDS - begin >= LENS_TIMEOUT )); then
                log "run $i: etcdlens at ${count:-?} events, unchanged for $(( SECONDS - since )) s," \
                    "$(( SECONDS - begin )) s after the storm: giving up (q)"
                lens_screen "$tag" | sed -n '/Events /,/Leader\|└/p' | head -5 >&2 || true
                tmux -L "$TMUX_SOCKET" send-keys -t "lens-$tag" q 2>/dev/null || true
                break
            fi
        fi
        sleep 0.05
    done
    lens_wait_exit "$tag" "$wall" "$report" 15
    local cpu_etcd_all
    cpu_etcd_all=$(cpu_s "$ETCD_PID")
    touch "$stop_keys"
    wait "$keys_pid" 2>/dev/null || true
    local cpu_lens
    cpu_lens=$(<"$cpu_file")
    stop_pid "$ctl_pid"
    BG_PIDS=()

    local s=$WORK/storm.$tag
    local end_ns rate storm_ms tail_ns last_rev
    end_ns=$(sed -n 's/^storm_end_ns=//p' "$s")
    storm_ms=$(sed -n 's/^storm_ms=//p' "$s")
    rate=$(sed -n 's/^storm_rate=//p' "$s")
    tail_ns=$(sed -n 's/^tail_seen_ns=//p' "$s")
    last_rev=$(sed -n 's/^storm_last_revision=//p' "$s")
    [[ "$tail_ns" != none ]] || die "run $i: etcdctl never printed the last event"
    local ctl_count lens_total lens_at rss_settled rss_peak max_input inputs
    ctl_count=$(grep -cx PUT "$out" || true)
    lens_total=$(report_field "$report" events_total)
    if [[ "$TOP" == 1 ]]; then
        log "run $i: :top counted $(report_field "$report" top_events) events"
    fi
    lens_at=$(report_field "$report" events_target_at_ns)
    rss_settled=$(report_field "$report" rss_settled_kb)
    rss_peak=$(report_field "$report" peak_rss_kb)
    max_input=$(report_field "$report" max_input_latency_ms)
    inputs=$(report_field "$report" inputs)
    local ctl_ms lens_ms
    ctl_ms=$(ms_between "$end_ns" "$tail_ns")
    if [[ "$lens_at" == none ]]; then
        lens_ms=inf # never showed every event
    else
        lens_ms=$(ms_between "$end_ns" "$lens_at")
    fi
    log "run $i: storm ${storm_ms} ms ($rate events/s, last revision $last_rev);" \
        "catch-up: etcdctl ${ctl_ms} ms ($ctl_count events), etcdlens ${lens_ms} ms ($lens_total events);" \
        "etcdlens RSS ${rss_settled} -> ${rss_peak} kB; input max ${max_input} ms over $inputs keys;" \
        "CPU s: etcdlens $cpu_lens, etcdctl $cpu_ctl, etcd $cpu_etcd (to etcdctl's catch-up) / $cpu_etcd_all (until etcdlens exited)"
    ROWS+=("$storm_ms|$rate|$ctl_ms|$ctl_count|$lens_ms|$lens_total|$rss_settled|$rss_peak|$max_input|$inputs|$cpu_lens|$cpu_ctl|$cpu_etcd|$cpu_etcd_all")
    stop_etcd
}

for i in $(seq 1 "$RUNS"); do
    run_once "$i"
done

# ---------------------------------------------------------------- report
# Column $1 (from 1) of every row of ROWS.
col() {
    local n=$1 row
    for row in "${ROWS[@]}"; do
        echo "$row" | cut -d'|' -f"$n"
    done
}
# ratio etcdlens / etcdctl catch-up; "n/a" when etcdctl's is not positive.
ratio() {
    awk -v l="$1" -v c="$2" 'BEGIN { if (l == "inf") print "inf"; else if (c > 0) printf "%.2f", l / c; else print "n/a" }'
}

mapfile -t storm_ms < <(col 1)
mapfile -t rates < <(col 2)
mapfile -t ctl_ms < <(col 3)
mapfile -t ctl_counts < <(col 4)
mapfile -t lens_ms < <(col 5)
mapfile -t lens_totals < <(col 6)
mapfile -t rss_settled < <(col 7)
mapfile -t rss_peak < <(col 8)
mapfile -t max_inputs < <(col 9)
mapfile -t inputs < <(col 10)
mapfile -t cpu_lens < <(col 11)
mapfile -t cpu_ctl < <(col 12)
mapfile -t cpu_etcd < <(col 13)
mapfile -t cpu_etcd_all < <(col 14)
ratios=() diffs=() growth=() peaks=()
for i in "${!ROWS[@]}"; do
    ratios+=("$(ratio "${lens_ms[$i]}" "${ctl_ms[$i]}")")
    diffs+=("$(awk -v l="${lens_ms[$i]}" -v c="${ctl_ms[$i]}" 'BEGIN { if (l == "inf") print "inf"; else printf "%+.1f", l - c }')")
    growth+=("$(awk -v p="${rss_peak[$i]}" -v s="${rss_settled[$i]}" 'BEGIN { printf "%.1f", (p - s) / 1024 }')")
    peaks+=("$(awk -v p="${rss_peak[$i]}" 'BEGIN { printf "%.1f", p / 1024 }')")
done
numeric_ratios=()
for r in "${ratios[@]}"; do [[ "$r" == n/a ]] || numeric_ratios+=("$r"); done
m_ratio=n/a
(( ${#numeric_ratios[@]} == 0 )) || m_ratio=$(median "${numeric_ratios[@]}")

all_counted=1
for i in "${!ROWS[@]}"; do
    [[ "${lens_totals[$i]}" == "$EVENTS" && "${ctl_counts[$i]}" == "$EVENTS" ]] || all_counted=0
done

row() { printf "%-44s %12s   %s\n" "$1" "$2" "$3"; }
total_s=$(awk -v t="$(ms_between "$script_start" "$(now_ns)")" 'BEGIN { printf "%.0f", t / 1000 }')
echo
echo "etcdlens live-watch storm benchmark — $EVENTS events under $PREFIX ($BATCH-op txns, $IN_FLIGHT in flight," \
    "$KEYS keys), $RUNS runs, each on a fresh etcd; etcdlens in tmux 160x45, keys j/k every ${KEY_EVERY}s"
echo "catch-up = last event shown (etcdlens: first frame counting $EVENTS) or printed (etcdctl watch > file)"
echo "           minus the storm's end (answer to the last txn); negative = before the writer heard back;"
echo "           inf = etcdlens never showed every event (its count stopped moving for ${STALL_S} s: gave up)"
echo
row "measure" "median" "all runs"
row "storm duration (ms)" "$(median "${storm_ms[@]}")" "${storm_ms[*]}"
row "storm rate (events/s)" "$(median "${rates[@]}")" "${rates[*]}"
row "etcdctl watch catch-up (ms)" "$(median "${ctl_ms[@]}")" "${ctl_ms[*]}"
row "etcdctl watch events printed" "$(median "${ctl_counts[@]}")" "${ctl_counts[*]}"
row "etcdlens catch-up (ms)" "$(median "${lens_ms[@]}")" "${lens_ms[*]}"
row "etcdlens events_total (title)" "$(median "${lens_totals[@]}")" "${lens_totals[*]}"
row "etcdlens - etcdctl catch-up (ms)" "$(median "${diffs[@]}")" "${diffs[*]}"
row "ratio etcdlens / etcdctl catch-up" "$m_ratio" "${ratios[*]}"
row "etcdlens RSS growth, peak - settled (MB)" "$(median "${growth[@]}")" "${growth[*]}"
row "etcdlens peak RSS (MB)" "$(median "${peaks[@]}")" "${peaks[*]}"
row "etcdlens max input latency (ms)" "$(median "${max_inputs[@]}")" "${max_inputs[*]}"
row "etcdlens key presses measured" "$(median "${inputs[@]}")" "${inputs[*]}"
row "CPU s: etcdlens (to its last sample)" "$(median "${cpu_lens[@]}")" "${cpu_lens[*]}"
row "CPU s: etcdctl watch (to its catch-up)" "$(median "${cpu_ctl[@]}")" "${cpu_ctl[*]}"
row "CPU s: etcd (to etcdctl's catch-up)" "$(median "${cpu_etcd[@]}")" "${cpu_etcd[*]}"
row "CPU s: etcd (until etcdlens exited)" "$(median "${cpu_etcd_all[@]}")" "${cpu_etcd_all[*]}"
echo

status=0
check() { # check OK DESCRIPTION
    if [[ "$1" == 1 ]]; then echo "  ok      $2"; else echo "  MISSED  $2"; status=1; fi
}
echo "targets:"
# The ratio needs etcdctl's catch-up above 0; when it is not, compare the times.
m_diff=$(median "${diffs[@]}")
check "$(awk -v r="$m_ratio" -v d="$m_diff" 'BEGIN {
        if (r == "n/a") print (d != "inf" && d + 0 <= 0) ? 1 : 0
        else print (r != "inf" && r + 0 <= 1.0) ? 1 : 0 }')" \
    "etcdlens catches up no later than etcdctl: median ratio $m_ratio <= 1.0 (median difference $m_diff ms)"
check "$all_counted" "every event counted: title total = $EVENTS in every run (etcdctl printed ${ctl_counts[*]})"
check "$(awk -v g="$(median "${growth[@]}")" 'BEGIN { print (g < 50) ? 1 : 0 }')" \
    "RSS growth under 50 MB: median $(median "${growth[@]}") MB"
check "$(awk -v m="$(median "${max_inputs[@]}")" 'BEGIN { print (m <= 100) ? 1 : 0 }')" \
    "input responsive during the storm: median max latency $(median "${max_inputs[@]}") ms <= 100 ms"
echo
if (( status == 0 )); then
    echo "result: all targets met"
else
    echo "result: TARGET MISSED (see above)"
fi
echo "whole run: ${total_s} s"
if [[ "${BENCH_STRICT:-0}" == 1 ]]; then
    exit "$status"
fi
