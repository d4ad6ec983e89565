#!/usr/bin/env bash
# benches/bench.sh on every etcd release of the test matrix, one after the
# other, then their result tables together.
#
# Each release is brought by scripts/fetch-etcd.sh (cached); each run loads
# its own keyspace into its own etcd, so the runs share nothing. A release
# that cannot be had is reported and skipped (the script then exits 1).
#
# Usage: bash benches/matrix.sh
# Env:   VERSIONS="3.4.23 3.5 3.6.16 3.7.3"; RUNS, K8S, … as for bench.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VERSIONS=${VERSIONS:-3.4.23 3.5 3.6.16 3.7.3}
OUT=$(mktemp -d -t etcdlens-matrix.XXXXXX)
status=0
for v in $VERSIONS; do
    if ! dir=$(bash scripts/fetch-etcd.sh "$v"); then
        echo "matrix: etcd $v cannot be had (see above); skipped" >&2
        status=1
        continue
    fi
    echo "matrix: etcd $v from $dir" >&2
    if ! PATH="$dir:$PATH" ETCDLENS_ETCD="$dir/etcd" bash benches/bench.sh >"$OUT/$v.txt"; then
        echo "matrix: bench.sh failed on etcd $v" >&2
        status=1
    fi
done
for v in $VERSIONS; do
    [[ -s "$OUT/$v.txt" ]] && cat "$OUT/$v.txt"
done
echo
echo "(tables kept in $OUT)"
exit "$status"
