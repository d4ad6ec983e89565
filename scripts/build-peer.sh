#!/usr/bin/env bash
# Builds tests/peers/clientv3 (the Go clientv3 tutorial as a test peer)
# against go.etcd.io/etcd/client/v3 of one etcd release, once, caches the
# binary beside that etcd (${ETCDLENS_CACHE:-~/.cache/etcdlens}/etcd-X.Y.Z/
# peer-clientv3) and prints its path on stdout.
#   scripts/build-peer.sh VERSION     (as scripts/fetch-etcd.sh takes it)
# On failure: one line on stderr saying why, exit 1.
#
# The clientv3 is that of the etcd scripts/fetch-etcd.sh brings for VERSION
# (e.g. "3.5" -> the 3.5.N it found -> client/v3 v3.5.N). For 3.4.x it is the
# client of that 3.5 release: 3.4's client (go.etcd.io/etcd/clientv3 inside
# the go.etcd.io/etcd module, +incompatible) is not a clean v3 module, and the
# wire API a 3.5 client speaks is the same as 3.4's.
#
# The module is built from a copy with a go.mod made for that version (the
# committed go.mod/go.sum pin one version for building in place); the cached
# binary is rebuilt when main.go changes or it no longer says its version.
set -euo pipefail

version="${1:-}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
src="$repo/tests/peers/clientv3"
cache="${ETCDLENS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/etcdlens}"

fail() {
  echo "cannot build the clientv3 peer for etcd ${version:-?}: $*" >&2
  exit 1
}
[ -n "$version" ] || fail "usage: scripts/build-peer.sh VERSION"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
etcd_dir="$("$repo/scripts/fetch-etcd.sh" "$version" 2>"$tmp/fetch-err")" ||
  fail "$(tail -n1 "$tmp/fetch-err")"
etcd_version="$("$etcd_dir/etcd" --version | sed -n 's/^etcd Version: //p')"

case "$etcd_version" in
  3.4.*)
    d35="$("$repo/scripts/fetch-etcd.sh" 3.5 2>"$tmp/fetch-err")" ||
      fail "3.4's peer is built with the 3.5 client: $(tail -n1 "$tmp/fetch-err")"
    client="$("$d35/etcd" --version | sed -n 's/^etcd Version: //p')"
    # Debian's 3.4 lives in /usr/bin: its peer goes to a directory of its own.
    dest="$cache/etcd-$etcd_version"
    ;;
  *)
    client="$etcd_version"
    dest="$etcd_dir"
    ;;
esac
peer="$dest/peer-clientv3"
stamp="$dest/peer-clientv3.source"
want_stamp="client/v3 v$client $(sha256sum "$src/main.go" | cut -d' ' -f1)"

fresh() {
  [ -x "$peer" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want_stamp" ] &&
    [ "$("$peer" version 2>/dev/null)" = "CLIENTV3 v$client" ]
}
if fresh; then
  echo "$peer"
  exit 0
fi

mkdir -p "$dest"
exec 9>"$dest/.peer-clientv3.lock"
flock 9 2>/dev/null || true
if fresh; then
  echo "$peer"
  exit 0
fi

if command -v go >/dev/null 2>&1; then
  go="$(command -v go)"
elif [ -x /usr/local/go/bin/go ]; then
  go=/usr/local/go/bin/go
else
  fail "no Go toolchain (go)"
fi
export GOTOOLCHAIN=local CGO_ENABLED=0

cp "$src/main.go" "$tmp/"
printf 'module etcdlens.local/peer-clientv3\n\ngo 1.24\n' >"$tmp/go.mod"
if [ -t 2 ]; then echo "build-peer: building the clientv3 peer with client/v3 v$client…" >&2; fi
log="$dest/peer-clientv3.log"
(
  cd "$tmp"
  "$go" get "go.etcd.io/etcd/client/v3@v$client"
  "$go" mod tidy
  got="$("$go" list -m -f '{{.Version}}' go.etcd.io/etcd/client/v3)"
  [ "$got" = "v$client" ] || { echo "client/v3 resolved to $got, not v$client"; exit 1; }
  "$go" build -trimpath -o "$peer.new" .
) >"$log" 2>&1 || fail "the Go build with client/v3 v$client failed: $(grep -v '^go: downloading' "$log" | tail -n1) (log: $log)"
mv "$peer.new" "$peer"
echo "$want_stamp" >"$stamp"
fresh || fail "the built peer does not say CLIENTV3 v$client"
echo "$peer"
