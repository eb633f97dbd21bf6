#!/bin/bash
# Regenerates expected outputs from the current stap binary.
#
#   tests/parse/regen.sh NAME...     NAME: ok/foo, err/bar, foo, or a path
#   tests/parse/regen.sh --missing   every test that has no expected file yet
#   tests/parse/regen.sh --all       every test (review the git diff after!)
#
# ok/NAME.p1 gets stdout (only if stap exits 0); err/NAME.err gets the first
# diagnostic block (only if stap exits 1), and err/NAME.nerr, if it exists,
# the number of diagnostics.  Review every change before committing it: the
# expected files are the specification, not a snapshot.

source "$(dirname "$0")/lib.sh"

if [[ ! -x $STAP ]]; then
  echo "regen.sh: no stap binary at $STAP (set STAP)" >&2
  exit 2
fi
if (($# == 0)); then
  echo "usage: regen.sh NAME... | --missing | --all  (NAME: ok/foo, err/bar, foo)" >&2
  exit 2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ctap-regen.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT

# resolve NAME: prints the .stp path(s) NAME stands for.
resolve() {
  local n=${1%.stp} found=0 kind
  n=${n%.p1}
  n=${n%.err}
  if [[ -f $n.stp ]]; then
    echo "$(cd "$(dirname "$n")" && pwd)/$(basename "$n").stp"
    return 0
  fi
  n=${n#tests/parse/}
  n=${n#parse/}
  for kind in "" ok/ err/; do
    if [[ -f $PARSE_DIR/$kind$n.stp ]]; then
      echo "$PARSE_DIR/$kind$n.stp"
      found=1
    fi
  done
  ((found)) || { echo "regen.sh: no test named $1" >&2; return 1; }
}

regen() {
  local stp=$1 base=${1%.stp} kind rc
  kind=$(basename "$(dirname "$stp")")
  load_companions "$stp"
  run_stap "$(dirname "$stp")" "$(basename "$stp")" "$TMP/out" "$TMP/err"
  rc=$?
  case $kind in
    ok)
      if ((rc != 0)); then
        echo "NOT WRITTEN: $base.p1: $(describe_status $rc)"
        indent 10 < "$TMP/err"
        return 1
      fi
      cp "$TMP/out" "$base.p1"
      echo "wrote $base.p1"
      ;;
    err)
      if ((rc != 1)); then
        echo "NOT WRITTEN: $base.err: $(describe_status $rc), expected 1"
        indent 10 < "$TMP/out"
        return 1
      fi
      first_block "$TMP/err" > "$base.err"
      echo "wrote $base.err"
      if [[ -f $base.nerr ]]; then
        count_diags "$TMP/err" > "$base.nerr"
        echo "wrote $base.nerr ($(< "$base.nerr") diagnostics)"
      fi
      ;;
    *)
      echo "regen.sh: $stp is not under ok/ or err/" >&2
      return 1
      ;;
  esac
}

status=0
names=()
for arg in "$@"; do
  case $arg in
    --all) names+=("$PARSE_DIR"/ok/*.stp "$PARSE_DIR"/err/*.stp) ;;
    --missing)
      for f in "$PARSE_DIR"/ok/*.stp; do [[ -f ${f%.stp}.p1 ]] || names+=("$f"); done
      for f in "$PARSE_DIR"/err/*.stp; do [[ -f ${f%.stp}.err ]] || names+=("$f"); done
      ;;
    *)
      mapfile -t found < <(resolve "$arg") || status=1
      ((${#found[@]})) || status=1
      names+=("${found[@]}")
      ;;
  esac
done
for stp in "${names[@]}"; do
  regen "$stp" || status=1
done
exit $status
