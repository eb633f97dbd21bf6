#!/usr/bin/env bash
# Install the build dependencies (only those missing) and build the three
# build directories: build (debugoptimized), build-asan (ASan+UBSan, the test
# suite's), build-fuzz (clang, libFuzzer, ASan+UBSan).
# Idempotent; prints nothing on success and the failing step's log on failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
          zlib1g-dev libbpf-dev libelf-dev libdw-dev liblzma-dev libzstd-dev
          qemu-system-x86 busybox-static cpio)

log=$(mktemp "${TMPDIR:-/tmp}/ctap-setup.XXXXXX")
trap 'rm -f "$log"' EXIT

# run DESCRIPTION CMD...: run quietly; on failure show the log and stop.
run() {
  local what=$1; shift
  if ! "$@" >"$log" 2>&1; then
    echo "setup.sh: $what failed: $*" >&2
    sed 's/^/    /' "$log" >&2
    exit 1
  fi
}

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  run "apt-get update" apt-get update
  run "installing ${missing[*]}" apt-get install -y "${missing[@]}"
fi

# configure DIR [meson options...]: set DIR up unless it is already configured.
configure() {
  local dir=$1; shift
  [[ -f $dir/build.ninja ]] && return 0
  rm -rf "$dir"      # a half-configured directory from an earlier failure
  run "configuring $dir" meson setup "$dir" "$@"
}

configure build --buildtype=debugoptimized
configure build-asan --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
CC=clang configure build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false

for dir in build build-asan build-fuzz; do
  run "building $dir" ninja -C "$dir"
done
