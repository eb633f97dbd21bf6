#!/bin/bash
# Tapset library checks, over every .stp file under tapset/:
#
#   tapset/parse/FILE        stap -p1 -g FILE succeeds.
#   tapset/unique/VIEW       no two public functions with the same name and
#                            arity in what one runtime sees (VIEW = linux:
#                            tapset/ minus bpf/; bpf: tapset/ minus linux/),
#                            and no two private ones in one file.
#   tapset/builtins          every builtin (embedded-C body holding
#                            "ctap:builtin") types each parameter and its
#                            return value (those that return nothing are
#                            listed in VOID_BUILTINS below), and its body
#                            holds only known pragma comments; no other
#                            function has an embedded-C body.
#   tapset/elaborate/VIEW/FILE
#                            stap -u -p2 of a script that calls every public
#                            function of FILE (0 and "x" as arguments) and
#                            uses every probe alias it defines, in that
#                            runtime; skipped where pass 2 cannot run.
#
# One line per test: PASS:/FAIL: (details indented)/SKIP:; exits 0 whenever
# it ran.  STAP selects the binary (default: the ASan build).
DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=${ROOT:-$(cd "$DIR/../.." && pwd)}
STAP=${STAP:-$ROOT/build-asan/stap}
TAPSET=$ROOT/tapset
# Elaborate against this tree's library, not an installed one.
export SYSTEMTAP_TAPSET=$TAPSET
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ctap-tapset.XXXXXX") || exit 0
trap 'rm -rf "$TMP"' EXIT

# Builtins that return nothing: a new one must be added here on purpose,
# so that a forgotten return type cannot pass for "returns nothing".
VOID_BUILTINS=" abort error exit log warn system print_backtrace print_ubacktrace print_syms print_usyms
  ftrace printk panic raise mdelay udelay set_kernel_char set_kernel_short
  set_kernel_int set_kernel_long set_kernel_pointer set_kernel_string
  set_kernel_string_n "
# The pragma comments a builtin's body may hold.
PRAGMAS='ctap:builtin|pure|unprivileged|myproc-unprivileged|guru'

mapfile -t FILES < <(cd "$TAPSET" && find . -name '*.stp' -type f | sed 's|^\./||' | LC_ALL=C sort)
if [[ ! -x $STAP ]]; then
  for rel in "${FILES[@]}"; do echo "SKIP: tapset/parse/${rel%.stp} (no stap binary at $STAP)"; done
  exit 0
fi

# fail NAME REASON: the FAIL line, then stdin indented (at most 30 lines).
fail() {
  echo "FAIL: $1${2:+ ($2)}"
  head -n 30 | sed 's/^/    /'
}

# ---- parse ----
# The canonical -p1 form of each file that parses goes to $TMP/p1/FILE.p1:
# one declaration head per line, which the checks below read.
PARSED=()
for rel in "${FILES[@]}"; do
  name=tapset/parse/${rel%.stp}
  out=$TMP/p1/${rel%.stp}.p1
  mkdir -p "$(dirname "$out")"
  if timeout -k 5 60 "$STAP" -p1 -g "$TAPSET/$rel" > "$out" 2> "$TMP/err"; then
    echo "PASS: $name"
    PARSED+=("$rel")
  else
    fail "$name" "stap -p1 -g failed" < "$TMP/err"
  fi
done

# ---- the function table ----
# One line per function: file, private (0/1), name, return type, arity,
# parameters, builtin (0/1), embedded code ("-" if none); tab-separated.
TABLE=$TMP/functions.tsv
: > "$TABLE"
for rel in "${PARSED[@]}"; do
  awk -v file="$rel" '
    /^(private )?function / {
      line = $0
      priv = line ~ /^private / ? 1 : 0
      sub(/^(private )?function /, "", line)
      name = line; sub(/[:(].*/, "", name)
      ret = ""
      if (line ~ /^[A-Za-z0-9_]+:/) { ret = line; sub(/^[A-Za-z0-9_]+:/, "", ret); sub(/\(.*/, "", ret) }
      params = line; sub(/^[^(]*\(/, "", params); sub(/\).*/, "", params)
      arity = params == "" ? 0 : split(params, unused, ",")
      code = "-"
      if (line ~ /%\{/) { code = line; sub(/^[^%]*%\{/, "", code); sub(/%\}.*/, "", code) }
      builtin = code ~ /ctap:builtin/ ? 1 : 0
      printf "%s\t%d\t%s\t%s\t%d\t%s\t%d\t%s\n", file, priv, name, ret, arity, params, builtin, code
    }' "$TMP/p1/${rel%.stp}.p1" >> "$TABLE"
done

# ---- unique ----
# in_view VIEW FILE: whether the runtime VIEW (linux or bpf) sees FILE.
in_view() {
  case $1:$2 in
    linux:bpf/*|bpf:linux/*) return 1 ;;
    *) return 0 ;;
  esac
}
for view in linux bpf; do
  awk -F'\t' -v view="$view" '
    ($1 ~ /^bpf\// && view == "linux") || ($1 ~ /^linux\// && view == "bpf") { next }
    {
      key = ($2 ? $1 "\t" : "") $3 "/" $5
      if (key in seen) printf "%s/%d defined in %s and again in %s\n", $3, $5, seen[key], $1
      else seen[key] = $1
    }' "$TABLE" > "$TMP/dups"
  if [[ -s $TMP/dups ]]; then fail "tapset/unique/$view" "functions defined twice" < "$TMP/dups"
  else echo "PASS: tapset/unique/$view"; fi
done

# ---- builtins ----
awk -F'\t' -v void="$VOID_BUILTINS" -v pragmas="$PRAGMAS" '
  BEGIN { gsub(/[ \t\n]+/, " ", void); void = " " void " " }
  $8 == "-" { next }
  !$7 { printf "%s: %s has embedded C but is not a ctap:builtin\n", $1, $3; next }
  {
    n = split($6, ps, ",")
    for (i = 1; i <= n; i++)
      if (ps[i] !~ /^ *[A-Za-z0-9_]+:(long|string) *$/)
        printf "%s: %s: parameter \"%s\" has no type\n", $1, $3, ps[i]
    is_void = index(void, " " $3 " ") > 0
    if ($4 == "" && !is_void) printf "%s: %s has no return type\n", $1, $3
    if ($4 != "" && is_void) printf "%s: %s returns %s but is listed in VOID_BUILTINS\n", $1, $3, $4
    if ($4 != "" && $4 != "long" && $4 != "string") printf "%s: %s returns %s\n", $1, $3, $4
    code = $8
    gsub("/\\* *(" pragmas ") *\\*/", "", code)
    if (code !~ /^[ \t]*$/) printf "%s: %s: body holds more than pragmas: %s\n", $1, $3, code
  }' "$TABLE" > "$TMP/bad"
if [[ -s $TMP/bad ]]; then fail "tapset/builtins" "bad builtin declarations" < "$TMP/bad"
else echo "PASS: tapset/builtins"; fi

# ---- elaborate ----
declare -A RUNTIME_OPT=([linux]=--runtime=kernel [bpf]=--runtime=bpf)
if ! timeout -k 5 60 "$STAP" -p2 -e 'probe begin { exit() }' > /dev/null 2> "$TMP/err"; then
  for rel in "${PARSED[@]}"; do echo "SKIP: tapset/elaborate/${rel%.stp} (pass 2 is not available)"; done
  exit 0
fi
for view in linux bpf; do
  for rel in "${PARSED[@]}"; do
    in_view "$view" "$rel" || continue
    name=tapset/elaborate/$view/${rel%.stp}
    script=$TMP/use.stp
    {
      # Every probe alias the file defines, with an empty handler.
      awk '/^probe [^ ]+ = / { print "probe " $2 " { }" }' "$TMP/p1/${rel%.stp}.p1" | sort -u
      echo "probe begin {"
      awk -F'\t' -v file="$rel" '
        $1 == file && !$2 {
          args = ""
          n = split($6, ps, ",")
          for (i = 1; i <= n; i++) args = args (i > 1 ? ", " : "") (ps[i] ~ /:string/ ? "\"x\"" : "0")
          if ($4 == "") printf "  %s(%s)\n", $3, args
          else printf "  println(%s(%s))\n", $3, args
        }' "$TABLE"
      echo "}"
    } > "$script"
    opts=("${RUNTIME_OPT[$view]}" -u -p2)
    grep -q '/\* guru \*/' "$TAPSET/$rel" && opts+=(-g)
    if grep -q '^probe [^ ]* { }' "$script" && [[ ! -r /sys/kernel/btf/vmlinux ]]; then
      echo "SKIP: $name (no kernel BTF for its probe aliases)"
      continue
    fi
    if timeout -k 5 120 "$STAP" "${opts[@]}" "$script" > /dev/null 2> "$TMP/err"; then
      echo "PASS: $name"
    else
      { cat "$TMP/err"; echo "--- script:"; cat "$script"; } | fail "$name" "stap ${opts[*]} failed"
    fi
  done
done
exit 0
