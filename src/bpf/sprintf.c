/* sprintf: sprintf and the sprint family in kernel programs, rendered by
 * the program itself.
 *
 * A user program hands its format to staprun's renderer (BO_H_SPRINTF).
 * A kernel program has no such helper, and bpf_snprintf knows neither
 * stap's conversions (%p as "0x...", %b, %m, %M, %#c) nor its flags and
 * precisions, so pass 3 emits the rendering itself: for each directive of
 * the parsed format, code that writes exactly what fmt_render
 * (runtime/common/printf.c) writes for it, into a scratch buffer that is
 * then copied to the destination.  The arguments are laid out beforehand
 * as in a printf record (call.c's fill_args).
 *
 * Invariants the kernel's verifier relies on:
 *   - the output position lives in scratch (POS) and is reloaded and
 *     checked against S - 1 (S = maxstringlen) before every write: a full
 *     output ends the rendering, so every write starts below S - 1;
 *   - no write is longer than S (literals, fills and copies are clamped)
 *     and the output buffer has 2S + 8 bytes, so no write leaves it; bytes
 *     past S - 1 are never read, as the result is cut there;
 *   - loops count in a register the verifier follows exactly (digits,
 *     fills, hex dumps), so it sees them end; all other state is in
 *     scratch, so the paths through a directive merge after it.
 * A NUL byte in the output (%c of 0, %b, the NUL stap writes after a %s,
 * %m or %M with the '0' flag) ends the string, as it does for stap. */
#include <string.h>

#include "bpf/gen.h"
#include "runtime/common/printf.h"

#define E (g->e)

enum { TEXT = 32 }; /* bytes of a field's text buffer (digits, escapes) */

/* Scratch slots of one rendering, and where it ends. */
typedef struct Rd {
  Gen *g;
  uint32_t out;   /* the output: 2S + 8 bytes */
  uint32_t pos;   /* u64: bytes rendered so far (may pass S - 1) */
  uint32_t text;  /* TEXT bytes: a field's text, right-aligned */
  uint32_t n;     /* u64: the text's length */
  uint32_t sign;  /* u64: the sign character, or 0 */
  uint32_t width; /* s64: a '*' width, clamped as fmt_render does */
  uint32_t prec;  /* s64: a '*' precision, clamped likewise */
  uint32_t pad;   /* s64: the field's padding (<= 0: none) */
  uint32_t zeros; /* s64: zeros a precision adds to a number (>= 0) */
  uint32_t done;  /* label: the output is complete */
} Rd;

/* How a field is laid out: [pad][sign][prefix][zeros][text][pad]. */
typedef struct Field {
  int width;      /* static width, FMT_NONE, or FMT_STAR (in Rd.width) */
  bool left;      /* '-': pad after the text */
  bool zero_fill; /* pad with '0' between the prefix and the text */
  int fixed;      /* columns of a static prefix ("0x") */
  bool sign;      /* a sign character may be in Rd.sign */
  bool zeros;     /* Rd.zeros counts precision zeros */
  int nstatic;    /* the text's length if static, else -1 (Rd.n) */
} Field;

static int16_t off16(uint32_t off) { return (int16_t)off; }

/* r1 = pos and r2 = &out[pos]; on to done when the output is full. */
static void rd_at(Rd *r) {
  Gen *g = r->g;
  emit_ldx(E, BPF_DW, R1, R_SCR, off16(r->pos));
  emit_jmp(E, BPF_JGE, R1, 0, (int32_t)g->S - 1, false, r->done);
  emit_mov(E, R2, R_SCR);
  emit_alu_imm(E, BPF_ADD, R2, (int32_t)r->out);
  emit_alu(E, BPF_ADD, R2, R1);
}

/* pos += reg (not r1) */
static void rd_advance(Rd *r, uint8_t reg) {
  Gen *g = r->g;
  emit_ldx(E, BPF_DW, R1, R_SCR, off16(r->pos));
  emit_alu(E, BPF_ADD, R1, reg);
  emit_stx(E, BPF_DW, R_SCR, off16(r->pos), R1);
}

static void rd_advance_imm(Rd *r, int32_t n) {
  Gen *g = r->g;
  emit_ldx(E, BPF_DW, R1, R_SCR, off16(r->pos));
  emit_alu_imm(E, BPF_ADD, R1, n);
  emit_stx(E, BPF_DW, R_SCR, off16(r->pos), R1);
}

/* reg = min(reg, max) (unsigned) */
static void clamp_max(Gen *g, uint8_t reg, int32_t max) {
  uint32_t ok = emit_label(E);
  emit_jmp(E, BPF_JLE, reg, 0, max, false, ok);
  emit_mov_imm(E, reg, max);
  emit_bind(E, ok);
}

/* Literal text (only what fits matters). */
static void rd_literal(Rd *r, const char *s, size_t len) {
  Gen *g = r->g;
  if (!len) return;
  if (len > g->S - 1) len = g->S - 1;
  rd_at(r);
  size_t i = 0;
  for (; i + 4 <= len; i += 4) {
    uint32_t w;
    memcpy(&w, s + i, 4);
    emit_st(E, BPF_W, R2, (int16_t)i, (int32_t)w);
  }
  for (; i < len; i++) emit_st(E, BPF_B, R2, (int16_t)i, (uint8_t)s[i]);
  rd_advance_imm(r, (int32_t)len);
}

/* The byte in reg (r3-r5, or r0). */
static void rd_byte(Rd *r, uint8_t reg) {
  Gen *g = r->g;
  rd_at(r);
  emit_stx(E, BPF_B, R2, 0, reg);
  rd_advance_imm(r, 1);
}

/* c, as many times as the s64 at scratch `slot` says (<= 0: none). */
static void rd_fill(Rd *r, char c, uint32_t slot) {
  Gen *g = r->g;
  uint32_t skip = emit_label(E), loop = emit_label(E);
  emit_ldx(E, BPF_DW, R3, R_SCR, off16(slot));
  emit_jmp(E, BPF_JSLE, R3, 0, 0, false, skip);
  clamp_max(g, R3, (int32_t)g->S);
  rd_at(r);
  emit_mov_imm(E, R4, (int64_t)((uint64_t)(unsigned char)c * 0x0101010101010101ull));
  emit_mov_imm(E, R5, 0);
  /* eight bytes at a time; what passes the count is overwritten or cut.
   * The constant bound too: 6.1's verifier, learning r3 > r5 from the
   * loop's test, does not see that r3 <= maxstringlen then ends it. */
  uint32_t done = emit_label(E);
  emit_bind(E, loop);
  emit_jmp(E, BPF_JGE, R5, 0, (int32_t)g->S, false, done);
  emit_stx(E, BPF_DW, R2, 0, R4);
  emit_alu_imm(E, BPF_ADD, R2, 8);
  emit_alu_imm(E, BPF_ADD, R5, 8);
  emit_jmp(E, BPF_JLT, R5, R3, 0, true, loop);
  emit_bind(E, done);
  rd_advance(r, R3);
  emit_bind(E, skip);
}

/* The text buffer's last n bytes (n at Rd.n). */
static void rd_text(Rd *r) {
  Gen *g = r->g;
  rd_at(r);
  emit_ldx(E, BPF_DW, R3, R_SCR, off16(r->n));
  clamp_max(g, R3, TEXT);
  emit_mov(E, R1, R2);
  emit_mov(E, R2, R3);
  emit_mov(E, R3, R_SCR);
  emit_alu_imm(E, BPF_ADD, R3, (int32_t)(r->text + TEXT));
  emit_alu(E, BPF_SUB, R3, R2);
  emit_call(E, BPF_FUNC_probe_read_kernel);
  emit_ldx(E, BPF_DW, R3, R_SCR, off16(r->n));
  clamp_max(g, R3, TEXT);
  rd_advance(r, R3);
}

/* The sign character at Rd.sign, if any. */
static void rd_sign(Rd *r) {
  Gen *g = r->g;
  uint32_t none = emit_label(E);
  emit_ldx(E, BPF_DW, R3, R_SCR, off16(r->sign));
  emit_jmp(E, BPF_JEQ, R3, 0, 0, false, none);
  rd_byte(r, R3);
  emit_bind(E, none);
}

/* Rd.pad = width - everything else of the field. */
static void field_pad(Rd *r, const Field *f) {
  Gen *g = r->g;
  if (f->width == FMT_NONE) return;
  if (f->width == FMT_STAR) emit_ldx(E, BPF_DW, R1, R_SCR, off16(r->width));
  else emit_mov_imm(E, R1, f->width > FMT_MAX_FIELD ? FMT_MAX_FIELD : f->width);
  if (f->fixed) emit_alu_imm(E, BPF_SUB, R1, f->fixed);
  if (f->nstatic >= 0) {
    emit_alu_imm(E, BPF_SUB, R1, f->nstatic);
  } else {
    emit_ldx(E, BPF_DW, R2, R_SCR, off16(r->n));
    emit_alu(E, BPF_SUB, R1, R2);
  }
  if (f->zeros) {
    emit_ldx(E, BPF_DW, R2, R_SCR, off16(r->zeros));
    emit_alu(E, BPF_SUB, R1, R2);
  }
  if (f->sign) {
    uint32_t none = emit_label(E);
    emit_ldx(E, BPF_DW, R2, R_SCR, off16(r->sign));
    emit_jmp(E, BPF_JEQ, R2, 0, 0, false, none);
    emit_alu_imm(E, BPF_SUB, R1, 1);
    emit_bind(E, none);
  }
  emit_stx(E, BPF_DW, R_SCR, off16(r->pad), R1);
}

static void pad_before(Rd *r, const Field *f) {
  if (f->width != FMT_NONE && !f->left && !f->zero_fill) rd_fill(r, ' ', r->pad);
}

static void pad_after(Rd *r, const Field *f) {
  if (f->width != FMT_NONE && f->left) rd_fill(r, ' ', r->pad);
}

/* A '*' argument at scratch `arg` into slot: its low 32 bits as an int,
 * clamped to [0, FMT_MAX_FIELD] (printf.h). */
static void star_arg(Rd *r, uint32_t arg, uint32_t slot) {
  Gen *g = r->g;
  uint32_t a = emit_label(E);
  emit_ldx(E, BPF_DW, R1, R_SCR, off16(arg));
  emit_alu_imm(E, BPF_LSH, R1, 32);
  emit_alu_imm(E, BPF_ARSH, R1, 32);
  emit_jmp(E, BPF_JSGE, R1, 0, 0, false, a);
  emit_mov_imm(E, R1, 0);
  emit_bind(E, a);
  clamp_max(g, R1, FMT_MAX_FIELD);
  emit_stx(E, BPF_DW, R_SCR, off16(slot), R1);
}

/* reg (0-15) into its hex digit. */
static void hex_digit(Gen *g, uint8_t reg, bool upper) {
  uint32_t letter = emit_label(E), done = emit_label(E);
  emit_jmp(E, BPF_JGT, reg, 0, 9, false, letter);
  emit_alu_imm(E, BPF_ADD, reg, '0');
  emit_ja(E, done);
  emit_bind(E, letter);
  emit_alu_imm(E, BPF_ADD, reg, (upper ? 'A' : 'a') - 10);
  emit_bind(E, done);
}

/* %d %i %u %o %x %X %p: put_number's layout. */
static void rd_number(Rd *r, const FmtDirective *d, uint32_t arg) {
  Gen *g = r->g;
  bool is_signed = d->conv == FMT_SIGNED;
  bool upper = d->conv == FMT_HEX_UPPER;
  unsigned base = d->conv == FMT_OCTAL ? 8
                  : (d->conv == FMT_SIGNED || d->conv == FMT_UNSIGNED) ? 10 : 16;
  bool alt = d->conv == FMT_POINTER ||
             ((d->flags & FMT_ALT) && (base == 8 || base == 16));
  bool left = d->flags & FMT_LEFT;
  Field f = {.width = d->width, .left = left, .zero_fill = (d->flags & FMT_ZERO) && !left,
             .fixed = alt ? (base == 16 ? 2 : 1) : 0, .sign = is_signed,
             .zeros = d->precision != FMT_NONE, .nstatic = -1};
  /* the magnitude in r0, the sign character in Rd.sign */
  emit_ldx(E, BPF_DW, R0, R_SCR, off16(arg));
  if (is_signed) {
    uint32_t pos = emit_label(E);
    int sc = (d->flags & FMT_PLUS) ? '+' : (d->flags & FMT_SPACE) ? ' ' : 0;
    emit_st(E, BPF_DW, R_SCR, off16(r->sign), sc);
    emit_jmp(E, BPF_JSGE, R0, 0, 0, false, pos);
    emit_insn(E, BPF_ALU64 | BPF_NEG, R0, 0, 0, 0);
    emit_st(E, BPF_DW, R_SCR, off16(r->sign), '-');
    emit_bind(E, pos);
  }
  /* the digits, right-aligned in the text buffer: r5 walks back, r3
   * counts (64 bits have at most 22 octal digits) */
  uint32_t loop = emit_label(E), end = emit_label(E);
  emit_mov(E, R5, R_SCR);
  emit_alu_imm(E, BPF_ADD, R5, (int32_t)(r->text + TEXT));
  emit_mov_imm(E, R3, 0);
  emit_bind(E, loop);
  emit_mov(E, R4, R0);
  if (base == 10) {
    emit_alu_imm(E, BPF_MOD, R4, 10);
    emit_alu_imm(E, BPF_ADD, R4, '0');
  } else {
    emit_alu_imm(E, BPF_AND, R4, (int32_t)base - 1);
    if (base == 16) hex_digit(g, R4, upper);
    else emit_alu_imm(E, BPF_ADD, R4, '0');
  }
  emit_alu_imm(E, BPF_SUB, R5, 1);
  emit_stx(E, BPF_B, R5, 0, R4);
  if (base == 10) emit_alu_imm(E, BPF_DIV, R0, 10);
  else emit_alu_imm(E, BPF_RSH, R0, base == 16 ? 4 : 3);
  emit_alu_imm(E, BPF_ADD, R3, 1);
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, end);
  emit_jmp(E, BPF_JLT, R3, 0, 22, false, loop);
  emit_bind(E, end);
  emit_stx(E, BPF_DW, R_SCR, off16(r->n), R3);
  /* zeros = max(precision - digits, 0) */
  if (f.zeros) {
    uint32_t ok = emit_label(E);
    if (d->precision == FMT_STAR) emit_ldx(E, BPF_DW, R1, R_SCR, off16(r->prec));
    else emit_mov_imm(E, R1, d->precision > FMT_MAX_FIELD ? FMT_MAX_FIELD : d->precision);
    emit_alu(E, BPF_SUB, R1, R3);
    emit_jmp(E, BPF_JSGE, R1, 0, 0, false, ok);
    emit_mov_imm(E, R1, 0);
    emit_bind(E, ok);
    emit_stx(E, BPF_DW, R_SCR, off16(r->zeros), R1);
  }
  field_pad(r, &f);
  pad_before(r, &f);
  if (is_signed) rd_sign(r);
  if (f.fixed) rd_literal(r, base == 8 ? "0" : upper ? "0X" : "0x", (size_t)f.fixed);
  if (f.width != FMT_NONE && f.zero_fill) rd_fill(r, '0', r->pad);
  if (f.zeros) rd_fill(r, '0', r->zeros);
  rd_text(r);
  pad_after(r, &f);
}

/* %c: the low byte, or with '#' its escape (put_char). */
static void rd_char(Rd *r, const FmtDirective *d, uint32_t arg) {
  Gen *g = r->g;
  Field f = {.width = d->width, .left = d->flags & FMT_LEFT, .nstatic = 1};
  if (!(d->flags & FMT_ALT)) {
    field_pad(r, &f);
    pad_before(r, &f);
    rd_at(r);
    emit_ldx(E, BPF_DW, R3, R_SCR, off16(arg));
    emit_stx(E, BPF_B, R2, 0, R3); /* the low byte */
    rd_advance_imm(r, 1);
    pad_after(r, &f);
    return;
  }
  /* the escape, right-aligned in the text buffer */
  static const struct { unsigned char c; char e; } esc[] = {
      {'\a', 'a'}, {'\b', 'b'}, {'\f', 'f'}, {'\n', 'n'}, {'\r', 'r'},
      {'\t', 't'}, {'\v', 'v'}, {'\'', '\''}, {'\\', '\\'}};
  int32_t t = (int32_t)(r->text + TEXT);
  uint32_t quote = emit_label(E), two = emit_label(E), set = emit_label(E);
  emit_ldx(E, BPF_DW, R0, R_SCR, off16(arg));
  emit_alu_imm(E, BPF_AND, R0, 0xff);
  emit_jmp(E, BPF_JLT, R0, 0, 0x20, false, quote);
  emit_jmp(E, BPF_JGE, R0, 0, 0x7f, false, quote);
  emit_jmp(E, BPF_JEQ, R0, 0, '\'', false, quote);
  emit_jmp(E, BPF_JEQ, R0, 0, '\\', false, quote);
  emit_stx(E, BPF_B, R_SCR, (int16_t)(t - 1), R0);
  emit_st(E, BPF_DW, R_SCR, off16(r->n), 1);
  emit_ja(E, set);
  emit_bind(E, quote);
  for (size_t i = 0; i < sizeof esc / sizeof *esc; i++) {
    uint32_t next = emit_label(E);
    emit_jmp(E, BPF_JNE, R0, 0, esc[i].c, false, next);
    emit_mov_imm(E, R1, esc[i].e);
    emit_ja(E, two);
    emit_bind(E, next);
  }
  /* \ooo */
  emit_st(E, BPF_B, R_SCR, (int16_t)(t - 4), '\\');
  for (int k = 0; k < 3; k++) {
    emit_mov(E, R1, R0);
    if (k < 2) emit_alu_imm(E, BPF_RSH, R1, 6 - 3 * k);
    emit_alu_imm(E, BPF_AND, R1, 7);
    emit_alu_imm(E, BPF_ADD, R1, '0');
    emit_stx(E, BPF_B, R_SCR, (int16_t)(t - 3 + k), R1);
  }
  emit_st(E, BPF_DW, R_SCR, off16(r->n), 4);
  emit_ja(E, set);
  emit_bind(E, two);
  emit_st(E, BPF_B, R_SCR, (int16_t)(t - 2), '\\');
  emit_stx(E, BPF_B, R_SCR, (int16_t)(t - 1), R1);
  emit_st(E, BPF_DW, R_SCR, off16(r->n), 2);
  emit_bind(E, set);
  f.nstatic = -1;
  field_pad(r, &f);
  pad_before(r, &f);
  rd_text(r);
  pad_after(r, &f);
}

/* %s of the string at scratch `arg` (put_memory). */
static void rd_string(Rd *r, const FmtDirective *d, uint32_t arg) {
  Gen *g = r->g;
  int32_t S = (int32_t)g->S;
  Field f = {.width = d->width, .left = d->flags & FMT_LEFT, .nstatic = -1};
  if (d->width == FMT_NONE && d->precision == FMT_NONE) {
    /* the whole string, in one copy */
    uint32_t ok = emit_label(E);
    rd_at(r);
    emit_mov(E, R1, R2);
    emit_mov_imm(E, R2, S);
    emit_mov(E, R3, R_SCR);
    emit_alu_imm(E, BPF_ADD, R3, (int32_t)arg);
    emit_call(E, BPF_FUNC_probe_read_kernel_str);
    emit_jmp(E, BPF_JSGE, R0, 0, 1, false, ok);
    emit_mov_imm(E, R0, 1);
    emit_bind(E, ok);
    emit_alu_imm(E, BPF_SUB, R0, 1);
    emit_mov(E, R3, R0);
    rd_advance(r, R3);
  } else {
    /* n = the length, the precision cutting the string where it stands
     * (a copy onto itself stops at the NUL or at the limit) */
    uint32_t ok = emit_label(E);
    if (d->precision == FMT_STAR) {
      emit_ldx(E, BPF_DW, R2, R_SCR, off16(r->prec));
      clamp_max(g, R2, S - 1);
      emit_alu_imm(E, BPF_ADD, R2, 1);
    } else {
      int lim = d->precision == FMT_NONE || d->precision > S - 1 ? S : d->precision + 1;
      emit_mov_imm(E, R2, lim);
    }
    emit_mov(E, R1, R_SCR);
    emit_alu_imm(E, BPF_ADD, R1, (int32_t)arg);
    emit_mov(E, R3, R1);
    emit_call(E, BPF_FUNC_probe_read_kernel_str);
    emit_jmp(E, BPF_JSGE, R0, 0, 1, false, ok);
    emit_mov_imm(E, R0, 1);
    emit_bind(E, ok);
    emit_alu_imm(E, BPF_SUB, R0, 1);
    emit_stx(E, BPF_DW, R_SCR, off16(r->n), R0);
    field_pad(r, &f);
    pad_before(r, &f);
    rd_at(r);
    emit_ldx(E, BPF_DW, R3, R_SCR, off16(r->n));
    clamp_max(g, R3, S - 1);
    emit_mov(E, R1, R2);
    emit_mov(E, R2, R3);
    emit_mov(E, R3, R_SCR);
    emit_alu_imm(E, BPF_ADD, R3, (int32_t)arg);
    emit_call(E, BPF_FUNC_probe_read_kernel);
    emit_ldx(E, BPF_DW, R3, R_SCR, off16(r->n));
    clamp_max(g, R3, S - 1);
    rd_advance(r, R3);
    pad_after(r, &f);
  }
  if (d->flags & FMT_ZERO) emit_ja(E, r->done);
}

/* %m and %M: bytes read into scratch `arg` (fill_args). */
static void rd_memory(Rd *r, const FmtDirective *d, uint32_t arg) {
  Gen *g = r->g;
  bool hex = d->conv == FMT_MEMORY_HEX;
  int n = (int)fmt_mem_len(d->precision > FMT_MAX_FIELD ? FMT_MAX_FIELD : d->precision);
  if (n > (int)g->S) n = (int)g->S; /* what fill_args read; the rest is cut */
  Field f = {.width = d->width, .left = d->flags & FMT_LEFT, .nstatic = hex ? 2 * n : n};
  field_pad(r, &f);
  pad_before(r, &f);
  if (!hex) {
    rd_at(r);
    emit_mov(E, R1, R2);
    emit_mov_imm(E, R2, n);
    emit_mov(E, R3, R_SCR);
    emit_alu_imm(E, BPF_ADD, R3, (int32_t)arg);
    emit_call(E, BPF_FUNC_probe_read_kernel);
    rd_advance_imm(r, n);
  } else {
    uint32_t loop = emit_label(E);
    emit_mov_imm(E, R5, 0);
    emit_bind(E, loop);
    emit_mov(E, R4, R_SCR);
    emit_alu(E, BPF_ADD, R4, R5);
    emit_ldx(E, BPF_B, R0, R4, off16(arg));
    rd_at(r);
    emit_mov(E, R3, R0);
    emit_alu_imm(E, BPF_RSH, R3, 4);
    hex_digit(g, R3, false);
    emit_stx(E, BPF_B, R2, 0, R3);
    emit_mov(E, R3, R0);
    emit_alu_imm(E, BPF_AND, R3, 15);
    hex_digit(g, R3, false);
    emit_stx(E, BPF_B, R2, 1, R3);
    rd_advance_imm(r, 2);
    emit_alu_imm(E, BPF_ADD, R5, 1);
    emit_jmp(E, BPF_JLT, R5, 0, n, false, loop);
  }
  pad_after(r, &f);
  if (d->flags & FMT_ZERO) emit_ja(E, r->done);
}

static bool binary_size(int n) { return n == 1 || n == 2 || n == 4 || n == 8; }

/* %b: the value's low bytes (put_binary); its padding is NUL bytes. */
static void rd_binary(Rd *r, const FmtDirective *d, uint32_t arg) {
  Gen *g = r->g;
  int width = d->width, prec = d->precision;
  int size = binary_size(prec) ? prec : -1;
  if (width < 0) {
    if (size < 0) size = 8;
    width = size;
  } else if (size < 0) {
    size = binary_size(width) ? width : 8;
  }
  bool pad = width > size;
  if (pad && !(d->flags & FMT_LEFT)) {
    emit_ja(E, r->done); /* a NUL first: the string ends here */
    return;
  }
  static const uint8_t sizes[9] = {[1] = BPF_B, [2] = BPF_H, [4] = BPF_W, [8] = BPF_DW};
  emit_ldx(E, BPF_DW, R3, R_SCR, off16(arg));
  rd_at(r);
  emit_stx(E, sizes[size], R2, 0, R3);
  rd_advance_imm(r, size);
  if (pad) emit_ja(E, r->done);
}

const char *gen_render_unsupported(const FmtDirective *d, int nd) {
  for (int i = 0; i < nd; i++) {
    bool star = d[i].width == FMT_STAR || d[i].precision == FMT_STAR;
    if (star && d[i].conv == FMT_BINARY) return "%b with a '*' width or precision";
    if (d[i].precision == FMT_STAR && (d[i].conv == FMT_MEMORY || d[i].conv == FMT_MEMORY_HEX))
      return d[i].conv == FMT_MEMORY ? "%m with a '*' precision" : "%M with a '*' precision";
  }
  return NULL;
}

void gen_render(Gen *g, const FmtDirective *d, int nd, uint32_t args, Loc dst) {
  uint32_t mark = g->top;
  Rd r = {.g = g};
  r.out = gen_tmp(g, 2 * g->S + 8);
  r.pos = gen_tmp(g, 8);
  r.text = gen_tmp(g, TEXT);
  r.n = gen_tmp(g, 8);
  r.sign = gen_tmp(g, 8);
  r.width = gen_tmp(g, 8);
  r.prec = gen_tmp(g, 8);
  r.pad = gen_tmp(g, 8);
  r.zeros = gen_tmp(g, 8);
  r.done = emit_label(E);
  emit_st(E, BPF_DW, R_SCR, off16(r.pos), 0);
  uint32_t off = args;
  for (int i = 0; i < nd; i++) {
    const FmtDirective *f = &d[i];
    if (f->conv == FMT_LITERAL) {
      rd_literal(&r, f->text, f->len);
      continue;
    }
    if (f->width == FMT_STAR) {
      star_arg(&r, off, r.width);
      off += 8;
    }
    if (f->precision == FMT_STAR) {
      star_arg(&r, off, r.prec);
      off += 8;
    }
    switch (f->conv) {
    case FMT_SIGNED: case FMT_UNSIGNED: case FMT_OCTAL: case FMT_HEX: case FMT_HEX_UPPER:
    case FMT_POINTER:
      rd_number(&r, f, off);
      off += 8;
      break;
    case FMT_CHAR:
      rd_char(&r, f, off);
      off += 8;
      break;
    case FMT_STRING:
      rd_string(&r, f, off);
      off += g->S;
      break;
    case FMT_MEMORY: case FMT_MEMORY_HEX:
      rd_memory(&r, f, off);
      off += g->S;
      break;
    case FMT_BINARY:
      rd_binary(&r, f, off);
      off += 8;
      break;
    case FMT_LITERAL:
      break;
    }
    if (!emit_reachable(E)) break; /* a NUL ended the string: the rest is dead code */
  }
  emit_bind(E, r.done);
  gen_string_end(g, r.pos, r.out, dst);
  g->top = mark;
}

void gen_string_end(Gen *g, uint32_t pos, uint32_t out, Loc dst) {
  emit_ldx(E, BPF_DW, R1, R_SCR, off16(pos));
  clamp_max(g, R1, (int32_t)g->S - 1);
  emit_mov(E, R2, R_SCR);
  emit_alu_imm(E, BPF_ADD, R2, (int32_t)out);
  emit_alu(E, BPF_ADD, R2, R1);
  emit_st(E, BPF_B, R2, 0, 0);
  copy_str(g, dst, scr(out));
}
