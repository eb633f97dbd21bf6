#!/usr/bin/env bash
# Print a deterministic SystemTap script of exactly LINES lines (default 10000)
# that exercises much of the language: globals (sized, wrapping, initialised,
# private), functions with types, probes of several kinds, foreach with sort
# and limit, printf, arrays, statistics and histograms, macros, preprocessor
# conditionals, try/catch, loops and the operators.  Pass 1 of SystemTap 4.8
# accepts it; it is not meant to elaborate (pass 2).
#   usage: bench/gen-script.sh [LINES] > big.stp
set -euo pipefail
exec awk -v want="${1:-10000}" '
function block(i,    b) {
  b = "# ---- block " i " ----\n"
  b = b "global counts_" i "%[1000], total_" i " = " i ", names_" i "[64], lat_" i "\n"
  b = b "private global seen_" i "\n"
  b = b "@define ADD_" i "(a, b) %( ((@a) + (@b)) %)\n"
  b = b "@define LABEL_" i " %( \"block-" i "\" %)\n"
  b = b "\n"
  b = b "/* distance between two numbers,\n   a C-style comment */\n"
  b = b "function dist_" i ":long(x:long, y:long) {\n"
  b = b "  if (x > y) return x - y\n"
  b = b "  else if (x == y) return 0\n"
  b = b "  return y - x\n"
  b = b "}\n"
  b = b "\n"
  b = b "function label_" i ":string(n) {  // C++-style comment\n"
  b = b "  return sprintf(\"%s-%d-%s\", @LABEL_" i ", n, n % 2 ? \"odd\" : \"even\")\n"
  b = b "}\n"
  b = b "\n"
  b = b "probe begin {\n"
  b = b "  total_" i " = @ADD_" i "(" i ", 2) * 3 - (4 << 1) + (255 & 0x0f) | 1\n"
  b = b "  names_" i "[0] = \"tab\\there\" . \" and \\\"quotes\\\"\"\n"
  b = b "  for (j = 0; j < 10; j++) counts_" i "[j] = j * " i "\n"
  b = b "  seen_" i " = 0\n"
  b = b "}\n"
  b = b "\n"
  b = b "probe timer.ms(" (100 + i) ") {\n"
  b = b "  lat_" i " <<< gettimeofday_us() % 1000\n"
  b = b "  k = 0\n"
  b = b "  while (k < 5) {\n"
  b = b "    k++\n"
  b = b "    if (k == 2) continue\n"
  b = b "    if (k == 4) break\n"
  b = b "    total_" i " += k\n"
  b = b "  }\n"
  b = b "  foreach ([a] in counts_" i "- limit 3)\n"
  b = b "    printf(\"%d %d %s\\n\", a, counts_" i "[a], label_" i "(a))\n"
  b = b "  foreach (v = [a] in counts_" i "+)\n"
  b = b "    if (v > 100) next\n"
  b = b "  try {\n"
  b = b "    total_" i " /= seen_" i "\n"
  b = b "  } catch (msg) {\n"
  b = b "    printf(\"caught %s\\n\", msg)\n"
  b = b "  }\n"
  b = b "  seen_" i " = !seen_" i " && (total_" i " >= 10 || total_" i " != -1)\n"
  b = b "}\n"
  b = b "\n"
  b = b "%( kernel_v >= \"2.6.32\" && arch == \"x86_64\" %?\n"
  b = b "probe syscall.read, syscall.write {\n"
  b = b "  names_" i "[tid() % 64] = execname()\n"
  b = b "  counts_" i "[cpu()]++\n"
  b = b "}\n"
  b = b "%:\n"
  b = b "probe never { }\n"
  b = b "%)\n"
  b = b "\n"
  b = b "probe kernel.function(\"vfs_read\").return ? {\n"
  b = b "  lat_" i " <<< $return > 0 ? $return : 0\n"
  b = b "  pos = @cast($file, \"struct file\")->f_pos\n"
  b = b "}\n"
  b = b "\n"
  b = b "probe end {\n"
  b = b "  printf(\"%d %d %d %d %d\\n\", @count(lat_" i "), @sum(lat_" i "),\n"
  b = b "         @min(lat_" i "), @max(lat_" i "), @avg(lat_" i "))\n"
  b = b "  print(@hist_log(lat_" i "))\n"
  b = b "  print(@hist_linear(lat_" i ", 0, 1000, 100))\n"
  b = b "  if ([0] in names_" i ") delete names_" i "[0]\n"
  b = b "  s = \"abc\"\n"
  b = b "  s .= sprint(total_" i ")\n"
  b = b "  println(s, \" \", dist_" i "(" i ", 7), \" \", strlen(s))\n"
  b = b "  delete counts_" i "\n"
  b = b "}\n"
  b = b "\n"
  return b
}
BEGIN {
  lines = 0
  for (i = 1; ; i++) {
    b = block(i)
    n = gsub(/\n/, "\n", b)
    if (lines + n > want) break
    printf "%s", b
    lines += n
  }
  for (; lines < want; lines++) print "# padding"
}'
