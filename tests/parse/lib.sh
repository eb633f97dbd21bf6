# Shared helpers for run.sh and regen.sh (sourced, not run).
#
# A test is tests/parse/{ok,err}/NAME.stp with optional companions:
#   NAME.opts  extra stap options, whitespace-separated (e.g. -g)
#   NAME.args  script arguments ($1, @1, ...), one per line
#   NAME.p1    ok/ only: expected stdout of `stap -p1`
#   NAME.err   err/ only: expected first diagnostic block on stderr
#   NAME.nerr  err/ only, optional: expected number of diagnostics
#
# Only bash, coreutils and diff are used.

PARSE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$PARSE_DIR/../.." && pwd)
STAP=${STAP:-$PARSE_DIR/../../build/stap}
case $STAP in
  /*) ;;
  */*) STAP=$(cd "$(dirname "$STAP")" && pwd)/$(basename "$STAP") ;;
esac
FAILED_LINE='Pass 1: parse failed.  [man error::pass1]'
TIMEOUT=${TIMEOUT:-20}

# load_companions STP: sets OPTS and ARGS arrays from STP's .opts/.args,
# or for tests/run and tests/vm scripts from their .argv (shell words,
# where $WORKLOAD names some program).
load_companions() {
  local base=${1%.stp}
  OPTS=()
  ARGS=()
  if [[ -f $base.opts ]]; then
    local -a words
    read -d '' -ra words < "$base.opts"
    OPTS=("${words[@]}")
  fi
  if [[ -f $base.args && $base != */tests/run/* && $base != */tests/vm/* ]]; then
    mapfile -t ARGS < "$base.args"
  fi
  if [[ -f $base.argv ]]; then
    local WORKLOAD=/bin/true
    eval "ARGS=($(< "$base.argv"))"
  fi
}

# run_stap DIR FILE OUT ERR [extra opts...]: runs stap -p1 on FILE from
# inside DIR with OPTS and ARGS; returns stap's exit status (124: timeout).
run_stap() {
  local dir=$1 file=$2 out=$3 err=$4
  shift 4
  (cd "$dir" && exec timeout -k 5 "$TIMEOUT" "$STAP" -p1 "${OPTS[@]}" "$@" \
      "$file" "${ARGS[@]}") > "$out" 2> "$err" < /dev/null
}

# first_block ERR: prints the first diagnostic block of a stderr capture:
# everything up to the first blank line, "N parse error(s)." or "Pass 1:".
first_block() {
  local line
  while IFS= read -r line || [[ -n $line ]]; do
    [[ -z $line ]] && break
    [[ $line == 'Pass 1:'* ]] && break
    [[ $line =~ ^[0-9]+\ parse\ errors?\.$ ]] && break
    printf '%s\n' "$line"
  done < "$1"
}

# count_diags ERR: number of diagnostics (each has one "saw:"/"at:" line).
count_diags() {
  local line n=0
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line == '        saw: '* || $line == '         at: '* ]] && n=$((n + 1))
  done < "$1"
  echo "$n"
}

# last_line FILE: the last line of FILE.
last_line() {
  tail -n 1 "$1"
}

# describe_status RC: a short phrase for a non-zero exit status.
describe_status() {
  local rc=$1
  if ((rc == 124 || rc == 137)); then echo "timed out after ${TIMEOUT}s"
  elif ((rc > 128)); then echo "killed by signal $((rc - 128))"
  else echo "exit status $rc"
  fi
}

# indent [N]: copies stdin to stdout, four spaces in, at most N lines.
indent() {
  local max=${1:-20} n=0 line
  while IFS= read -r line || [[ -n $line ]]; do
    n=$((n + 1))
    if ((n > max)); then
      echo "    ..."
      break
    fi
    printf '    %s\n' "$line"
  done
}
