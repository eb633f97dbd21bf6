#!/usr/bin/env bash
# Target tests: BTF of real kernels read through src/target/kimage, and
# functions chosen by source file through the kernel's DWARF.
#   target/debian-*   Debian 12's current amd64 kernel, fetched by
#                     scripts/fetch-debian-kernel.sh into a cache outside the
#                     repository (SKIP when the package registry cannot be
#                     reached): its unpacked build tree, the BTF in its
#                     compressed boot/vmlinuz, and kernel.function("F@FILE")
#                     with its debuginfo (stap -p2 -r).
#   target/running/*  this machine's /sys/kernel/btf/vmlinux (raw BTF).
#   target/running-no-dwarf  the error for F@FILE on this machine's kernel,
#                     which has no debuginfo (SKIP if it has).
#   target/dwarf-vN   tests/target/dwarf/ compiled with each DWARF version as
#                     a "vmlinux", queried with dwarf_query (file tables of
#                     every line-program header version, declarations,
#                     inline-only functions, lines).
# The BTF facts checked are in tests/target/btf_check.c.
set -uo pipefail
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build-asan}
check=$BUILD/tests/target/btf_check
query=$BUILD/tests/target/dwarf_query
STAP=${STAP:-$BUILD/stap}
results='^(PASS|FAIL|SKIP): '

if [[ ! -x $check ]]; then
  echo "FAIL: target (checker not built: $check)"
  exit 0
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ctap-target.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# p2 ARGS...: stap -p2 ARGS into $scratch/out and $scratch/err, status in $rc.
p2() {
  timeout -k 5 120 "$STAP" -p2 "$@" >"$scratch/out" 2>"$scratch/err" </dev/null
  rc=$?
}

# funcs: the functions of the kernel.function probes in $scratch/out.
funcs() {
  sed -n 's/^kernel\.function("\([^"@]*\)[^"]*").*/\1/p' "$scratch/out"
}

# verdict NAME PROBLEMS: PASS, or FAIL with the problems and stap's stderr.
verdict() {
  if [[ -z $2 ]]; then
    echo "PASS: $1"
  else
    echo "FAIL: $1"
    { printf '%s' "$2"; head -n 20 "$scratch/err"; } | sed 's/^/    /'
  fi
}

# no_match_error SPEC: stap's error for kernel.function("SPEC") matching nothing.
no_match_error() {
  cat <<END
semantic error: no match for probe point kernel.function("$1") (similar: kernel)
        saw: identifier 'kernel' at <input>:1:7
     source: probe kernel.function("$1") {}
                   ^

Pass 2: analysis failed.  [man error::pass2]
END
}

# dwarf_checks RELEASE BUILD_DIR: kernel.function("F@FILE[:LINE]") with the
# Debian kernel's DWARF (names and lines of Linux 6.1's net/socket.c and
# fs/read_write.c).
dwarf_checks() {
  local r=$1 build=$2 problems f n spec
  problems=
  p2 -r "$r" -e 'probe kernel.function("*@net/socket.c") {}'
  ((rc == 0)) || problems+="exit $rc"$'\n'
  funcs >"$scratch/names"
  for f in sock_sendmsg __sys_socket sock_alloc sock_recvmsg __sock_create sockfd_lookup \
    kernel_accept __sys_connect sock_ioctl __x64_sys_socket; do
    grep -qx -- "$f" "$scratch/names" || problems+="$f (net/socket.c) is missing"$'\n'
  done
  # Declared elsewhere: called from net/socket.c, or named alike.
  for f in vfs_read tcp_sendmsg sock_def_readable sk_alloc sock_setsockopt inet_create \
    sock_wfree security_socket_create sock_put; do
    grep -qx -- "$f" "$scratch/names" && problems+="$f is listed, but is not declared in net/socket.c"$'\n'
  done
  n=$(wc -l <"$scratch/names")
  ((n >= 100 && n <= 250)) || problems+="$n functions, expected 100 to 250"$'\n'
  [[ $(sort -u "$scratch/names" | wc -l) == "$n" ]] || problems+="a function is listed twice"$'\n'
  # Where each is declared, as stap's pp() says it (init_once: the one of
  # the seven in net/socket.c).
  for f in 'sock_sendmsg@net/socket.c:[0-9]+' 'init_once@net/socket.c:[0-9]+'; do
    grep -qE "^kernel\.function\(\"$f\"\) " "$scratch/out" || problems+="no probe $f"$'\n'
  done
  # Init code is gone once the kernel has booted: not probed.
  grep -qx sock_init "$scratch/names" && problems+="sock_init (.init.text) is listed"$'\n'
  grep -vE '^(# probes|\{|\})$' "$scratch/out" |
    grep -qv '^kernel\.function("[^"@]*@net/socket\.c:[0-9]*") /\* <- kernel\.function("\*@net/socket\.c") \*/$' &&
    problems+="unexpected lines in the -p2 output"$'\n'
  verdict target/debian-dwarf-file-glob "$problems"

  # One function, kept where it is declared (also by line); -r BUILD_DIR.
  problems=
  for spec in vfs_read@fs/read_write.c 'vfs_read@fs/*.c' vfs_read@fs/read_write.c:450 \
    vfs_read@fs/read_write.c:440-460 'vfs_read@fs/read_write.c:*'; do
    p2 -r "$build" -e "probe kernel.function(\"$spec\") {}"
    [[ $rc == 0 && $(funcs) == vfs_read ]] ||
      problems+="$spec: exit $rc, functions: $(funcs | tr '\n' ' ')"$'\n'
  done
  verdict target/debian-dwarf-function-file "$problems"

  # Declared in another file, or at another line: no match.
  problems=
  for spec in 'vfs_read@mm/*.c' vfs_read@fs/read_write.c:451; do
    p2 -r "$r" -e "probe kernel.function(\"$spec\") {}"
    ((rc == 1)) || problems+="$spec: exit $rc, expected 1"$'\n'
    diff -u <(no_match_error "$spec") "$scratch/err" >"$scratch/diff" ||
      problems+="$spec: stderr differs:"$'\n'"$(cat "$scratch/diff")"$'\n'
  done
  verdict target/debian-dwarf-no-match "$problems"
}

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

  debuginfo=$root/usr/lib/debug/boot/vmlinux-$release
  if [[ ! -f $debuginfo ]]; then
    echo "FAIL: target/debian-dwarf (the fetch left no $debuginfo)"
  elif [[ $release != 6.1.* ]]; then
    echo "SKIP: target/debian-dwarf (the names checked are Linux 6.1's, the kernel is $release)"
  else
    dwarf_checks "$release" "$build"
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

# ---- DWARF of programs compiled here ----
# dwarf_expect NAME DIR: dwarf_query's answers for the program in DIR.  The
# two static functions named helper are each given with its file and its
# code's offset from .text (ADDR here); the offsets are checked apart:
# .text's address plus each must be where addr2line finds its file.
dwarf_expect() {
  local name=$1 dir=$2 problems= got want q words text fn file off where
  while IFS='|' read -r q want; do
    read -ra words <<<"$q" # no pathname expansion of the globs
    got=$("$query" "$dir" "${words[@]}" 2>&1 | sed -E 's/ 0x[0-9a-f]+$/ ADDR/' | tr '\n' ' ')
    got=${got% }
    [[ $got == "$want" ]] || problems+="dwarf_query DIR $q: got '$got', expected '$want'"$'\n'
  done <<'END'
* *.c|f_main helper lib/other.c ADDR helper main.c ADDR main o_func
* main.c|f_main helper main.c ADDR main
* sub/h.h|h_out
* lib/other.c|helper lib/other.c ADDR o_func
*_main *|f_main
f_main main.c 5|f_main
f_main main.c 4|
* main.c 4 5|f_main helper main.c ADDR
f_main lib/*|
END
  text=$(readelf -SW "$dir/vmlinux" | sed -nE 's/.* \.text +PROGBITS +([0-9a-f]+) .*/\1/p')
  while read -r fn file off; do
    where=$(addr2line -e "$dir/vmlinux" "$(printf '%x' $((0x$text + off)))")
    [[ $where == */"$file":* ]] ||
      problems+="$fn of $file at .text+$off: addr2line says $where"$'\n'
  done < <("$query" "$dir" helper '*.c' 2>&1)
  verdict "$name" "$problems"
}

src=$ROOT/tests/target/dwarf
if ! command -v gcc >/dev/null; then
  echo "SKIP: target/dwarf (no gcc to compile tests/target/dwarf)"
elif [[ ! -x $query ]]; then
  echo "FAIL: target/dwarf (dwarf_query not built: $query)"
else
  for v in 2 3 4 5 5-abs; do
    d=$scratch/dwarf-$v
    cp -r "$src" "$d"
    # The program is the kernel's vmlinux; nm gives its System.map.
    if [[ $v == *-abs ]]; then
      (cd "$d" && gcc -O2 -gdwarf-${v%-abs} -Isub -o vmlinux "$d/main.c" "$d/lib/other.c")
    else
      (cd "$d" && gcc -O2 -gdwarf-$v -Isub -o vmlinux main.c lib/other.c)
    fi >"$scratch/err" 2>&1 && nm "$d/vmlinux" >"$d/System.map" 2>>"$scratch/err"
    if (($?)); then
      verdict "target/dwarf-v$v" "gcc -gdwarf-${v%-abs} failed"$'\n'
    else
      dwarf_expect "target/dwarf-v$v" "$d"
    fi
  done
  # No DWARF: where it looked, and which file had none.
  d=$scratch/dwarf-none
  cp -r "$src" "$d"
  (cd "$d" && gcc -O2 -Isub -o vmlinux main.c lib/other.c && nm vmlinux >System.map) >"$scratch/err" 2>&1
  r=0.0.0-ctap-dwarf-query
  got=$("$query" "$d" '*' '*.c' 2>&1)
  want="error: a vmlinux with .debug_info; none at /usr/lib/debug/boot/vmlinux-$r, /usr/lib/debug/lib/modules/$r/vmlinux, $d/vmlinux (no .debug_info), /boot/vmlinux-$r, /lib/modules/$r/vmlinux"
  [[ $got == "$want" ]] && problems= || problems="got: $got"$'\n'"expected: $want"$'\n'
  verdict target/dwarf-none "$problems"
fi

# Choosing functions by file without DWARF: the error says where it looked.
r=$(uname -r)
places=("/usr/lib/debug/boot/vmlinux-$r" "/usr/lib/debug/lib/modules/$r/vmlinux"
  "/lib/modules/$r/build/vmlinux" "/boot/vmlinux-$r" "/lib/modules/$r/vmlinux")
present=
for p in "${places[@]}"; do [[ -e $p ]] && present+=" $p"; done
if [[ -n $present ]]; then
  echo "SKIP: target/running-no-dwarf (this machine has a vmlinux for its kernel:$present)"
else
  p2 -e 'probe kernel.function("*@net/socket.c") {}'
  list=$(IFS=,; echo "${places[*]}" | sed 's/,/, /g')
  cat >"$scratch/want" <<END
semantic error: choosing functions by source file ("*@net/socket.c") needs the kernel's DWARF debuginfo (a vmlinux with .debug_info; none at $list); install it (Debian: linux-image-$r-dbg), or name the functions instead, as in "sock_*"
        saw: string "*@net/socket.c" at <input>:1:14
     source: probe kernel.function("*@net/socket.c") {}
                          ^

Pass 2: analysis failed.  [man error::pass2]
END
  problems=
  ((rc == 1)) || problems+="exit $rc, expected 1"$'\n'
  diff -u "$scratch/want" "$scratch/err" >"$scratch/diff" ||
    problems+="stderr differs:"$'\n'"$(cat "$scratch/diff")"$'\n'
  verdict target/running-no-dwarf "$problems"
fi
exit 0
