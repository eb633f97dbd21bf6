#!/bin/bash
# Regenerate expected pass-2 outputs for the named tests (ok/ or err/),
# after reviewing that the new output is right.  Uses build/stap.
DIR=$(cd "$(dirname "$0")" && pwd)
STAP=${STAP:-$DIR/../../build/stap}
for name in "$@"; do
  for kind in ok err; do
    stp=$DIR/$kind/$name.stp
    [[ -f $stp ]] || continue
    base=${stp%.stp}
    opts=(); args=()
    [[ -f $base.opts ]] && read -d '' -ra opts < "$base.opts"
    [[ -f $base.args ]] && mapfile -t args < "$base.args"
    (cd "$DIR/$kind" && "$STAP" -p2 "${opts[@]}" "$name.stp" "${args[@]}") > "$DIR/out.$$" 2> "$DIR/err.$$"
    if [[ $kind == ok ]]; then
      mv "$DIR/out.$$" "$base.p2"
      if [[ -s $DIR/err.$$ ]]; then mv "$DIR/err.$$" "$base.stderr"; else rm -f "$base.stderr"; fi
    else
      awk 'NF == 0 || /^Pass 2:/ { exit } { print }' "$DIR/err.$$" > "$base.err"
    fi
    rm -f "$DIR/out.$$" "$DIR/err.$$"
    echo "wrote $kind/$name"
  done
done
