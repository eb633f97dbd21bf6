/* printf: stap's printf engine.  Renders parsed format directives
 * (format.h) with their arguments the way SystemTap's printf, sprintf and
 * print family do.  Freestanding C: the bpf runtime's staprun uses it to
 * render records, the kernel-module runtime to print in the kernel. */
#ifndef CTAP_RUNTIME_PRINTF_H
#define CTAP_RUNTIME_PRINTF_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/common/format.h"

/* One argument: a number (str == NULL) or a string / memory bytes. */
typedef struct FmtArg {
  int64_t num;
  const char *str;   /* %s: NUL-terminated text, %m/%M: len bytes */
  size_t len;        /* bytes at str (for %s: its strlen) */
} FmtArg;

/* Render nd directives consuming args in order into buf (cap bytes,
 * NUL-terminated when cap > 0; %b and %c may write NUL bytes).  Returns
 * the length of the full output, like snprintf.  Missing arguments
 * (nargs too small) render as 0 / "".
 *
 * What SystemTap 4.8 prints, and so what this prints (established from
 * stap 4.8's generated pass-3 code and its testsuite's expected output,
 * systemtap.printf/{int1,char2,ptr-1.3,memory1,bin6}):
 *
 * Integers (%d %i %u %o %x %X %p) are 64-bit.  %u/%o/%x/%X print the
 * value's two's-complement bits (%u of -1 is 18446744073709551615).
 * Flags as C with these differences:
 *   - '#' always adds the prefix, also for 0: %#x of 0 is "0x0", %#o of
 *     0 is "00", and %#.3o of 8 is "0010" (C: "0", "0", "010").
 *   - precision 0 still prints a 0 digit (%.0d of 0 is "0"; C: "").
 *   - '0' is not cancelled by a precision: %08.3d of 5 is "00000005".
 *   - '-' cancels '0'; '+' beats ' '; both only affect %d/%i.
 * %p is %#x: "0x" and lower-case hex, no fixed digit count: %p of 0 is
 *   "0x0", of 0xffffffff81000000 "0xffffffff81000000"; %20p right-aligns
 *   in 20 columns, %-20p left-aligns, %020p zero-fills after "0x".
 *   (stap before 1.3 padded %p to 16 digits; --compatible<1.3 is not
 *   supported here.)
 * '*' width and precision: the argument's low 32 bits as a signed int,
 *   clamped to [0, FMT_MAX_FIELD].  So a negative '*' width gives width
 *   0 (NOT left-justification as in C) and a negative '*' precision
 *   gives precision 0 (NOT "no precision" as in C).  Static widths and
 *   precisions are clamped to FMT_MAX_FIELD too (stap clamps to
 *   STP_BUFFER_SIZE, 8192).
 * %c prints the value's low byte, padded with spaces to the width ('0'
 *   ignored).  With '#', a byte that is not printable ASCII, or is ' or
 *   \, prints as a C escape (\a \b \f \n \r \t \v \' \\) or as
 *   \ooo (three octal digits); the escape counts as its length for the
 *   width.
 * %s prints up to precision bytes of the string (stopping at a NUL or
 *   after len bytes; len 0 means strlen(str)); a NULL str prints
 *   "<NULL>" (as stap does for a pointer below PAGE_SIZE).
 * %m prints fmt_mem_len(precision) raw bytes from str (the caller reads
 *   them from memory at the address, kernel memory or, with '#', user
 *   memory): precision bytes when precision > 0, else 1 byte (so %m and
 *   %.0m print 1 byte).  Width pads with spaces.  Bytes beyond len print
 *   as 0 bytes (the caller reports a read fault instead, as stap does).
 * %M prints the same bytes as lower-case hex pairs (2 columns a byte).
 * %s, %m and %M with the '0' flag append one NUL byte after the field
 *   (a quirk of stap's runtime, reproduced).
 * %b writes the value's low bytes in host byte order.  Size: the
 *   precision if it is 1, 2, 4 or 8; else the width if that is 1, 2, 4
 *   or 8; else 8.  A width larger than the size pads with NUL bytes,
 *   before the value (or after with '-').  %b is %8b; %.4b writes 4
 *   bytes; %8.1b writes 7 NULs then 1 byte.
 * %% prints '%'.
 * Unlike stap, which stops at its buffer's end, widths never shrink to
 * fit cap: the result is the untruncated output cut at cap - 1. */
size_t fmt_render(char *buf, size_t cap, const FmtDirective *d, int nd,
                  const FmtArg *args, int nargs);

/* Largest width or precision (stap's STP_BUFFER_SIZE). */
#define FMT_MAX_FIELD 8192

/* How many bytes of memory %m and %M print for an (already clamped,
 * see above) precision, FMT_NONE for none: precision if > 0, else 1.
 * The caller reads that many bytes (stap rejects more than PAGE_SIZE
 * with "N is too many bytes for a memory dump"). */
size_t fmt_mem_len(int precision);

#endif
