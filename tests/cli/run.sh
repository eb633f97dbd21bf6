#!/usr/bin/env bash
# Command-line tests of the driver: exact stdout, stderr and exit status.
#
# Each case is a folder tests/cli/cases/NAME holding:
#   cmd          a bash command line, run from the repo root with the driver
#                first on PATH as `stap` (so messages say `stap:`)
#   status       the expected exit status
#   stdin        optional: fed to standard input (else /dev/null)
#   stdout       optional: the exact expected standard output
#   stderr       optional: the exact expected standard error
#   stdout-head  optional: the exact expected first lines of standard output
#   stdout-grep  optional: extended regexps, each must match a line of stdout
set -uo pipefail
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
STAP=${STAP:-$ROOT/build-asan/stap}
cases=$ROOT/tests/cli/cases

if [[ ! -x $STAP ]]; then
  echo "FAIL: cli (driver not built: $STAP)"
  exit 0
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ctap-cli.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/bin"
ln -s "$STAP" "$scratch/bin/stap"
export PATH=$scratch/bin:$PATH

# compare WHAT EXPECTED-FILE ACTUAL-FILE: append a diff to $problems if they differ.
compare() {
  diff -u --label "expected $1" --label "actual $1" "$2" "$3" >"$scratch/diff" && return 0
  problems+="$(head -n 40 "$scratch/diff")"$'\n'
}

for dir in "$cases"/*/; do
  dir=${dir%/}
  name=cli/$(basename "$dir")
  input=/dev/null
  [[ -f $dir/stdin ]] && input=$dir/stdin
  (cd "$ROOT" && timeout -k 5 30 bash -c "$(<"$dir/cmd")") \
    <"$input" >"$scratch/stdout" 2>"$scratch/stderr"
  echo $? >"$scratch/status"

  problems=
  compare status "$dir/status" "$scratch/status"
  [[ -f $dir/stdout ]] && compare stdout "$dir/stdout" "$scratch/stdout"
  [[ -f $dir/stderr ]] && compare stderr "$dir/stderr" "$scratch/stderr"
  if [[ -f $dir/stdout-head ]]; then
    head -n "$(wc -l <"$dir/stdout-head")" "$scratch/stdout" >"$scratch/head"
    compare "first lines of stdout" "$dir/stdout-head" "$scratch/head"
  fi
  if [[ -f $dir/stdout-grep ]]; then
    while IFS= read -r re; do
      grep -qE -e "$re" "$scratch/stdout" || problems+="no line of stdout matches /$re/"$'\n'
    done <"$dir/stdout-grep"
  fi

  if [[ -z $problems ]]; then
    echo "PASS: $name"
  else
    echo "FAIL: $name"
    echo "    \$ $(<"$dir/cmd")"
    sed 's/^/    /' <<<"${problems%$'\n'}"
    if [[ ! -f $dir/stderr && -s $scratch/stderr ]]; then
      echo "    stderr was:"
      head -n 20 "$scratch/stderr" | sed 's/^/      /'
    fi
  fi
done
exit 0
