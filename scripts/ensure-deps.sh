#!/usr/bin/env bash
# Installs what etcdlens needs on Debian/Ubuntu, and says what and why.
#   scripts/ensure-deps.sh demo   -> build + run the demo
#   scripts/ensure-deps.sh test   -> build + run the tests (adds tmux)
set -euo pipefail

purpose="${1:-demo}"

if ! command -v cargo >/dev/null 2>&1; then
  echo "etcdlens needs a Rust toolchain (cargo): install it from https://rustup.rs and run this again." >&2
  exit 1
fi

# command -> package, reason
declare -a missing=()
need() {
  local cmd="$1" pkg="$2" why="$3"
  if ! command -v "$cmd" >/dev/null 2>&1; then
    echo "  - $pkg: $why"
    missing+=("$pkg")
  fi
}

echo "Checking what etcdlens needs for '$purpose'…"
need protoc protobuf-compiler "protoc compiles etcd's API definitions while etcd-client builds"
need etcd etcd-server "the etcd server the demo (and the tests) start locally"
need etcdctl etcd-client "etcdctl, to poke at the cluster beside etcdlens"
if [ "$purpose" = test ]; then
  need tmux tmux "the end-to-end tests drive etcdlens in a real terminal through tmux"
  need openssl openssl "the TLS tests convert a key to the SEC1 (EC PRIVATE KEY) form"
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "Everything needed is installed."
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Please install these packages with your system's package manager: ${missing[*]}" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
  echo "Installing with sudo (you may be asked for your password): ${missing[*]}"
else
  echo "Installing: ${missing[*]}"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "Done."
