#!/usr/bin/env bash
# Target tests: BTF of real kernels read through src/target/kimage.
#   target/debian-*   Debian 12's current amd64 kernel, fetched by
#                     scripts/fetch-debian-kernel.sh into a cache outside the
#                     repository (SKIP when the package registry cannot be
#                     reached): its unpacked build tree, and the BTF in its
#                     compressed boot/vmlinuz.
#   target/running/*  this machine's /sys/kernel/btf/vmlinux (raw BTF).
# The facts checked are in tests/target/btf_check.c.
set -uo pipefail
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build-asan}
check=$BUILD/tests/target/btf_check
results='^(PASS|FAIL|SKIP): '

if [[ ! -x $check ]]; then
  echo "FAIL: target (checker not built: $check)"
  exit 0
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ctap-target.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# run_check FILE NAME: the checker's result lines, and one FAIL if it died
# without saying why (a sanitizer report, say).
run_check() {
  local out rc
  out=$(timeout -k 5 300 "$check" "$1" "$2" 2>&1 </dev/null)
  rc=$?
  if ((rc != 0)) && ! grep -q '^FAIL: ' <<<"$out"; then
    grep -E "$results" <<<"$out"
    echo "FAIL: $2 (btf_check exited $rc)"
    grep -vE "$results" <<<"$out" | tail -n 40 | sed 's/^/    /'
  else
    sed -E "/$results|^    /!s/^/    /" <<<"$out"
  fi
}

# ---- Debian 12's current kernel ----
start=$SECONDS
if dir=$(cd "$ROOT" && timeout -k 10 900 bash scripts/fetch-debian-kernel.sh 2>"$scratch/fetch.err"); then
  release=$(<"$dir/release")
  root=$dir/root
  echo "PASS: target/debian-fetch"
  echo "    $release in $dir ($((SECONDS - start)) s)"

  # The build tree: present, and nothing in root/ points outside it.
  build=$root/lib/modules/$release/build
  problems=
  [[ -f $build/Makefile && -f $build/.config && -f $build/Module.symvers ]] ||
    problems+="$build lacks Makefile, .config or Module.symvers"$'\n'
  [[ -d $build/scripts/ && -d $build/include/ ]] ||
    problems+="$build/scripts or $build/include does not resolve"$'\n'
  abs=$(find "$root" -type l -lname '/*' | head -n 5)
  [[ -z $abs ]] && abs=$(grep -l '^include /' "$build/Makefile" 2>/dev/null)
  [[ -n $abs ]] && problems+="absolute paths left: $abs"$'\n'
  dangling=$(find "$root" -xtype l | head -n 5)
  [[ -n $dangling ]] && problems+="dangling symlinks: $dangling"$'\n'
  if [[ -z $problems ]]; then
    echo "PASS: target/debian-build-tree"
  else
    echo "FAIL: target/debian-build-tree"
    sed 's/^/    /' <<<"${problems%$'\n'}"
  fi

  image=$root/boot/vmlinuz-$release
  if [[ -f $image ]]; then
    run_check "$image" target/debian-vmlinuz
  else
    echo "FAIL: target/debian-vmlinuz (no $image)"
  fi
elif grep -q 'cannot reach the package registry' "$scratch/fetch.err"; then
  echo "SKIP: target/debian ($(head -n 1 "$scratch/fetch.err"))"
else
  echo "FAIL: target/debian-fetch"
  sed 's/^/    /' "$scratch/fetch.err" | head -n 40
fi

# ---- this machine's kernel ----
if [[ -r /sys/kernel/btf/vmlinux ]]; then
  run_check /sys/kernel/btf/vmlinux target/running
else
  echo "SKIP: target/running (no /sys/kernel/btf/vmlinux)"
fi
exit 0
