#!/usr/bin/env bash
# Find and :du benchmark of etcdlens beside etcdctl on the same data, in one run.
#
# Builds etcdlens's example bench_find (the same scan and matcher as `F` /
# `:find`) and the loader (release), starts a private single-member etcd on
# free loopback ports, loads 1M keys under /bench/
# (appNN/svcNNN/instNNNNN/config, small JSON values), 200k JSON values
# under /wide/ and a Kubernetes-shaped 1M keys under /registry/ (values of a
# few hundred bytes), then times, each RUNS times after a warm-up (medians):
#   - key search over 1M keys:
#       etcdctl get --prefix /bench/ --keys-only | grep -c NEEDLE
#       bench_find --prefix /bench/ --query NEEDLE
#   - value search over 200k JSON values:
#       etcdctl get --prefix /wide/ | grep -c NEEDLE
#       bench_find --prefix /wide/ --query v:NEEDLE
#   - :du of /registry/'s top level (every value read):
#       etcdctl get --prefix /registry/ --keys-only > /dev/null
#       bench_find --prefix /registry/ --du
# and prints the ratios, the time to the first match, the server work (keys
# etcd walked / keys under the prefix), the reads and the RSS growth. The
# match counts of both sides are printed (they must agree).
#
# Usage: bash benches/find.sh
#        ETCDLENS_ETCD=/path/to/etcd bash benches/find.sh   (etcdctl beside it)
# Env:   RUNS=5 APPS=10 SERVICES=100 INSTANCES=1000 WIDE=200000 K8S=1000000
#        KEY_NEEDLE=inst00042/ VALUE_NEEDLE=:4242 BENCH_STRICT=1
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib.sh source-path=SCRIPTDIR disable=SC1091
source benches/lib.sh
bench_init find cargo etcd etcdctl

RUNS=${RUNS:-5}
APPS=${APPS:-10}
SERVICES=${SERVICES:-100}
INSTANCES=${INSTANCES:-1000}
WIDE=${WIDE:-200000}
K8S=${K8S:-1000000}
KEY_NEEDLE=${KEY_NEEDLE:-inst00042/}
VALUE_NEEDLE=${VALUE_NEEDLE:-:4242}

log "building (release): examples bench_load, bench_find"
cargo build --release --example bench_load --example bench_find
LOADER="$CARGO_TARGET_DIR/release/examples/bench_load"
FIND="$CARGO_TARGET_DIR/release/examples/bench_find"

start_etcd --quota-backend-bytes 8589934592

log "loading $((APPS * SERVICES * INSTANCES)) keys under /bench/, $WIDE under /wide/, $K8S under /registry/ …"
"$LOADER" --endpoints "$ENDPOINT" --apps "$APPS" --services "$SERVICES" \
    --instances "$INSTANCES" --wide "$WIDE" --k8s "$K8S" --batch 128 --in-flight 16 >&2

# time_cmd TAG CMD... — median wall time (ms) of CMD over RUNS runs after a
# warm-up; its last output in $WORK/TAG.out.
time_cmd() {
    local tag=$1; shift
    local times=() i t0
    for i in $(seq 0 "$RUNS"); do
        t0=$(now_ns)
        "$@" >"$WORK/$tag.out"
        (( i == 0 )) || times+=("$(ms_between "$t0" "$(now_ns)")")
    done
    log "$tag: ${times[*]} ms"
    median "${times[@]}"
}

ctl_keys() { etcdctl --endpoints "$ENDPOINT" --command-timeout 300s get --prefix /bench/ --keys-only | grep -c -- "$KEY_NEEDLE" || true; }
ctl_values() { etcdctl --endpoints "$ENDPOINT" --command-timeout 300s get --prefix /wide/ | grep -c -- "$VALUE_NEEDLE" || true; }
lens_keys() { "$FIND" --endpoints "$ENDPOINT" --prefix /bench/ --query "$KEY_NEEDLE"; }
lens_values() { "$FIND" --endpoints "$ENDPOINT" --prefix /wide/ --query "v:$VALUE_NEEDLE"; }
# etcdctl has no du: its keys-only read of the prefix is the yardstick.
ctl_du() { etcdctl --endpoints "$ENDPOINT" --command-timeout 300s get --prefix /registry/ --keys-only >/dev/null; echo "-"; }
lens_du() { "$FIND" --endpoints "$ENDPOINT" --prefix /registry/ --du; }
field() { sed -n "s/^$2=//p" "$WORK/$1.out"; }

ROWS=()
# scenario NAME CTL_FN LENS_FN GOAL
scenario() {
    local name=$1 ctl_fn=$2 lens_fn=$3 goal=$4 ctl lens
    log "scenario: $name"
    ctl=$(time_cmd "$ctl_fn" "$ctl_fn")
    lens=$(time_cmd "$lens_fn" "$lens_fn")
    ROWS+=("$name|$ctl|$(cat "$WORK/$ctl_fn.out")|$lens|$(field "$lens_fn" matches)|$(field "$lens_fn" first_match_ms)|$(field "$lens_fn" work_ratio)|$(field "$lens_fn" reads)|$(field "$lens_fn" rss_growth_kb)|$goal")
}

scenario "key search, 1M keys" ctl_keys lens_keys 1.2
scenario "value search, 200k JSON" ctl_values lens_values 1.2
scenario ":du /registry/ (1M k8s)" ctl_du lens_du 1.5

VERSION=$(etcd --version | awk 'NR == 1 { print $3 }')
echo
echo "etcdlens find benchmark — etcd $VERSION; $((APPS * SERVICES * INSTANCES)) keys under /bench/, $WIDE JSON values under /wide/;"
echo "median of $RUNS runs after a warm-up"
echo "etcdctl: get --prefix P [--keys-only] | grep -c NEEDLE   etcdlens: the find scan + matcher (examples/bench_find.rs)"
echo "key needle '$KEY_NEEDLE', value needle '$VALUE_NEEDLE'"
echo
fmt="%-26s %10s %8s %10s %8s %8s %12s %7s %6s %9s\n"
# shellcheck disable=SC2059
printf "$fmt" scenario "etcdctl ms" matches "etcdlens ms" matches "x" "1st match ms" "work x" reads "RSS +MB"
status=0
for row in "${ROWS[@]}"; do
    IFS='|' read -r name ctl cm lens lm first work reads rss goal <<<"$row"
    read -r ratio rss_mb < <(awk -v c="$ctl" -v l="$lens" -v r="$rss" 'BEGIN { printf "%.2f %.1f\n", l / c, r / 1024 }')
    # shellcheck disable=SC2059
    printf "$fmt" "$name" "$ctl" "$cm" "$lens" "$lm" "$ratio" "$first" "$work" "$reads" "$rss_mb"
    if ! awk "BEGIN { exit !($ratio <= $goal && $rss_mb <= 100 && $first < $lens) }" || [[ "$cm" != "-" && "$cm" != "$lm" ]]; then
        status=1
    fi
done
echo
echo ":du: etcdctl = get --prefix /registry/ --keys-only > /dev/null; etcdlens matches = children, 1st match = first counts"
echo "goals: key search <= 1.2 x, value search <= 1.2 x, :du <= 1.5 x, first match before the scan ends, RSS growth <= 100 MB,"
echo "same match counts"
if (( status == 0 )); then echo "result: all goals met"; else echo "result: GOAL MISSED (see above)"; fi
if [[ "${BENCH_STRICT:-0}" == 1 ]]; then exit "$status"; fi
