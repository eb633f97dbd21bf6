/* quote: text made safe to print, for both kinds of program: the builtins
 * text_strn(input, len, quoted) (string_quoted, user_string_quoted, the
 * syscall probes' paths) and user_buffer_quoted_error /
 * kernel_buffer_quoted_error(addr, inlen, outlen) (write's buffer).
 *
 * What it writes is what SystemTap's _stp_text_str (runtime/stp_string.c
 * of stap 4.8) writes: printable ASCII as is except '"' and '\', which
 * are escaped like \a \b \t \n \v \f \r; other bytes as \ooo; a valid
 * UTF-8 sequence as \uXXXX or \UXXXXXXXX (upper-case hex); at most the
 * output length (MAXSTRINGLEN - 1 by default), and quoted output between
 * double quotes with "..." after the closing one when the input did not
 * fit (an escape that the cut would split is dropped whole).  A buffer
 * is read for exactly its length: a NUL byte in it prints as \0 (and
 * counts as 4 columns, as in stap); a string stops at its NUL.
 *
 * The loop walks the input one byte a pass, the byte index in r5; the
 * bytes of a UTF-8 sequence after its first are skipped by comparing the
 * index with the next byte to decode.  Everything else lives in scratch.
 * In a kernel program the pass is a bpf_loop body (loop.c), which the
 * verifier checks once; a user program loops in place.  The body
 * branches little (tables, masks): each branch costs the verifier the
 * rest of the body. */
#include <string.h>

#include "bpf/gen.h"
#include "front/ast.h"

#define E (g->e)

/* The scratch of one quoting. */
typedef struct Q {
  Gen *g;
  uint32_t in;      /* the input: S + 8 bytes */
  uint32_t out;     /* the output: S + 16 bytes */
  uint32_t op;      /* u64: output bytes written */
  uint32_t outlen;  /* s64: output budget left */
  uint32_t inlen;   /* s64: input bytes to read */
  uint32_t next;    /* u64: index of the next byte to decode */
  uint32_t c;       /* u64: the last character decoded */
  uint32_t n;       /* u64: its length in bytes */
  uint32_t esc;     /* s64: where an escape the cut could split starts, or -1 */
  uint32_t esclen;  /* u64: that escape's length */
  uint32_t quoted;  /* u64: put the output between quotes */
  uint32_t tables;  /* TABLES bytes: see q_tables */
  bool buffer;      /* a buffer (NUL bytes are data), not a string */
  uint32_t post;    /* label: the input is done (in the loop's body) */
} Q;

/* Lookup tables (so that the loop body has few branches).  CLASS: per ASCII character, 0 printable as is, 1 \ooo, else
 * the letter of its two-column escape; HEX: digits; LEAD: the length of
 * a UTF-8 sequence by its first byte's top 5 bits (from 0x80: 1 means
 * not a first byte); SHIFT: log2 of the least value a sequence of n
 * bytes may encode. */
enum { T_CLASS = 0, T_HEX = 128, T_LEAD = 144, T_SHIFT = 160, TABLES = 168 };

static int16_t o16(uint32_t off) { return (int16_t)off; }

static void q_tables(Q *q) {
  Gen *g = q->g;
  unsigned char t[TABLES] = {0};
  for (int c = 0; c < 128; c++) {
    static const char letters[] = "abtnvfr"; /* 7 to 13 */
    if (c >= 7 && c <= 13) t[T_CLASS + c] = (unsigned char)letters[c - 7];
    else if (c == '"' || c == '\\') t[T_CLASS + c] = (unsigned char)c;
    else if (c < 0x20 || c == 0x7f) t[T_CLASS + c] = 1;
  }
  memcpy(t + T_HEX, "0123456789ABCDEF", 16);
  for (int i = 0; i < 16; i++) /* (b >> 3) & 15 for b >= 0x80 */
    t[T_LEAD + i] = i < 8 ? 1 : i < 12 ? 2 : i < 14 ? 3 : i == 14 ? 4 : 1;
  t[T_SHIFT + 2] = 7;
  t[T_SHIFT + 3] = 11;
  t[T_SHIFT + 4] = 16;
  for (int i = 0; i < TABLES; i += 8) {
    uint64_t v;
    memcpy(&v, t + i, 8);
    emit_mov_imm(E, R0, (int64_t)v);
    emit_stx(E, BPF_DW, R_SCR, o16(q->tables + (uint32_t)i), R0);
  }
}

/* r3 = &out[op] and r0 = op, or on to `full` if op is past the buffer
 * (it never is: the budget keeps it below S). */
static void q_at(Q *q, uint32_t full) {
  Gen *g = q->g;
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->op));
  emit_jmp(E, BPF_JGT, R0, 0, (int32_t)g->S, false, full);
  emit_mov(E, R3, R_SCR);
  emit_alu_imm(E, BPF_ADD, R3, (int32_t)q->out);
  emit_alu(E, BPF_ADD, R3, R0);
}

/* op += n; outlen -= cost */
static void q_advance(Q *q, int32_t n, int32_t cost) {
  Gen *g = q->g;
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->op));
  emit_alu_imm(E, BPF_ADD, R0, n);
  emit_stx(E, BPF_DW, R_SCR, o16(q->op), R0);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->outlen));
  emit_alu_imm(E, BPF_SUB, R0, cost);
  emit_stx(E, BPF_DW, R_SCR, o16(q->outlen), R0);
}

/* reg = (reg < 0), for values far from the limits: its sign bit. */
static void is_negative(Gen *g, uint8_t reg) { emit_alu_imm(E, BPF_RSH, reg, 63); }

/* An escape of r2 columns: note where it starts if the cut could split
 * it (no escape noted yet and outlen - 3 < num), without a branch.
 * Keeps r1 and r5. */
static void q_escape_room_reg(Q *q) {
  Gen *g = q->g;
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->esc));
  is_negative(g, R0);
  emit_ldx(E, BPF_DW, R3, R_SCR, o16(q->outlen));
  emit_alu_imm(E, BPF_SUB, R3, 3);
  emit_alu(E, BPF_SUB, R3, R2);
  is_negative(g, R3);
  emit_alu(E, BPF_AND, R0, R3);
  emit_insn(E, BPF_ALU64 | BPF_NEG, R0, 0, 0, 0); /* all ones if noted now */
  /* esclen += (num - esclen) & mask; esc += (op - esc) & mask */
  emit_ldx(E, BPF_DW, R3, R_SCR, o16(q->esclen));
  emit_alu(E, BPF_SUB, R2, R3);
  emit_alu(E, BPF_AND, R2, R0);
  emit_alu(E, BPF_ADD, R2, R3);
  emit_stx(E, BPF_DW, R_SCR, o16(q->esclen), R2);
  emit_ldx(E, BPF_DW, R2, R_SCR, o16(q->esc));
  emit_ldx(E, BPF_DW, R3, R_SCR, o16(q->op));
  emit_alu(E, BPF_SUB, R3, R2);
  emit_alu(E, BPF_AND, R3, R0);
  emit_alu(E, BPF_ADD, R3, R2);
  emit_stx(E, BPF_DW, R_SCR, o16(q->esc), R3);
}

/* The same for a static num, and stop if it does not fit. */
static void q_escape_room(Q *q, int32_t num) {
  Gen *g = q->g;
  emit_mov_imm(E, R2, num);
  q_escape_room_reg(q);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->outlen));
  emit_jmp(E, BPF_JSLT, R0, 0, num, false, q->post);
}

/* The byte b at index r5 is >= 0x80 (in r1): decode a UTF-8 sequence as
 * _stp_decode_utf8 does, into r1 (the character) and r2 (its bytes), or
 * the byte alone (r2 = 1) when it starts none; one branch.  r4 gathers
 * what makes the sequence invalid. */
static void q_decode_utf8(Q *q) {
  Gen *g = q->g;
  /* r2 = t, the length the first byte announces */
  emit_mov(E, R3, R1);
  emit_alu_imm(E, BPF_RSH, R3, 3);
  emit_alu_imm(E, BPF_AND, R3, 15);
  emit_alu(E, BPF_ADD, R3, R_SCR);
  emit_ldx(E, BPF_B, R2, R3, o16(q->tables + T_LEAD));
  /* invalid if fewer than t - 1 bytes follow in the input, or t is 1 */
  emit_ldx(E, BPF_DW, R4, R_SCR, o16(q->inlen));
  emit_alu(E, BPF_SUB, R4, R5);
  emit_alu(E, BPF_SUB, R4, R2); /* (inlen - i - 1) - (t - 1) */
  is_negative(g, R4);
  emit_mov(E, R3, R2);
  emit_alu_imm(E, BPF_SUB, R3, 2);
  is_negative(g, R3);
  emit_alu(E, BPF_OR, R4, R3);
  /* r0 = the next three bytes (the input has 8 bytes of slack) */
  emit_mov(E, R3, R_SCR);
  emit_alu(E, BPF_ADD, R3, R5);
  emit_ldx(E, BPF_W, R0, R3, (int16_t)(q->in + 1));
  emit_alu_imm(E, BPF_AND, R0, 0xFFFFFF);
  /* the first byte's payload, b & (0xff >> (t + 1)), then 6 bits of
   * each of the three, the extra ones shifted out again */
  emit_mov(E, R3, R2);
  emit_alu_imm(E, BPF_ADD, R3, 1);
  emit_stx(E, BPF_DW, R_SCR, o16(q->c), R0);
  emit_mov_imm(E, R0, 0xff);
  emit_alu(E, BPF_RSH, R0, R3);
  emit_alu(E, BPF_AND, R1, R0);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->c));
  for (int k = 0; k < 3; k++) {
    emit_mov(E, R3, R0);
    if (k) emit_alu_imm(E, BPF_RSH, R3, 8 * k);
    emit_alu_imm(E, BPF_AND, R3, 0x3F);
    emit_alu_imm(E, BPF_LSH, R1, 6);
    emit_alu(E, BPF_OR, R1, R3);
  }
  emit_mov_imm(E, R3, 4);
  emit_alu(E, BPF_SUB, R3, R2);
  emit_alu_imm(E, BPF_MUL, R3, 6);
  emit_alu(E, BPF_RSH, R1, R3);
  /* the t - 1 bytes after the first must be 10xxxxxx */
  emit_alu_imm(E, BPF_AND, R0, 0xC0C0C0);
  emit_alu_imm(E, BPF_XOR, R0, 0x808080);
  emit_mov(E, R3, R2);
  emit_alu_imm(E, BPF_SUB, R3, 1);
  emit_alu_imm(E, BPF_LSH, R3, 3);
  emit_stx(E, BPF_DW, R_SCR, o16(q->c), R1);
  emit_mov_imm(E, R1, 1);
  emit_alu(E, BPF_LSH, R1, R3);
  emit_alu_imm(E, BPF_SUB, R1, 1);
  emit_alu(E, BPF_AND, R0, R1);
  emit_alu(E, BPF_OR, R4, R0);
  emit_ldx(E, BPF_DW, R1, R_SCR, o16(q->c));
  /* surrogates, values past RFC 3629, overlong forms */
  emit_mov(E, R0, R1);
  emit_alu_imm(E, BPF_SUB, R0, 0xE000);
  is_negative(g, R0);
  emit_mov(E, R3, R1);
  emit_alu_imm(E, BPF_SUB, R3, 0xD800);
  is_negative(g, R3);
  emit_alu_imm(E, BPF_XOR, R3, 1);
  emit_alu(E, BPF_AND, R0, R3);
  emit_alu(E, BPF_OR, R4, R0);
  emit_mov_imm(E, R0, 0x10FFFF);
  emit_alu(E, BPF_SUB, R0, R1);
  is_negative(g, R0);
  emit_alu(E, BPF_OR, R4, R0);
  emit_mov(E, R3, R_SCR);
  emit_alu(E, BPF_ADD, R3, R2);
  emit_ldx(E, BPF_B, R3, R3, o16(q->tables + T_SHIFT));
  emit_mov_imm(E, R0, 1);
  emit_alu(E, BPF_LSH, R0, R3);
  emit_mov(E, R3, R1);
  emit_alu(E, BPF_SUB, R3, R0);
  is_negative(g, R3);
  emit_alu(E, BPF_OR, R4, R3);
  /* an invalid sequence: the byte alone */
  uint32_t valid = emit_label(E);
  emit_jmp(E, BPF_JEQ, R4, 0, 0, false, valid);
  emit_mov(E, R3, R_SCR);
  emit_alu(E, BPF_ADD, R3, R5);
  emit_ldx(E, BPF_B, R1, R3, o16(q->in));
  emit_mov_imm(E, R2, 1);
  emit_bind(E, valid);
}

/* \uXXXX, or \UXXXXXXXX when r1 > 0xFFFF: num = 6 or 10 columns, the
 * digits written for the long form either way (what passes the short
 * form is overwritten or cut). */
static void q_unicode(Q *q) {
  Gen *g = q->g;
  /* r2 = 1 for the long form */
  emit_mov_imm(E, R2, 0xFFFF);
  emit_alu(E, BPF_SUB, R2, R1);
  is_negative(g, R2);
  emit_stx(E, BPF_DW, R_SCR, o16(q->n), R2);
  emit_alu_imm(E, BPF_LSH, R2, 2);
  emit_alu_imm(E, BPF_ADD, R2, 6);
  q_escape_room_reg(q);
  emit_ldx(E, BPF_DW, R2, R_SCR, o16(q->n));
  emit_alu_imm(E, BPF_LSH, R2, 2);
  emit_alu_imm(E, BPF_ADD, R2, 6);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->outlen));
  emit_jmp(E, BPF_JSLT, R0, R2, 0, true, q->post);
  q_at(q, q->post);
  emit_ldx(E, BPF_DW, R2, R_SCR, o16(q->n));
  emit_st(E, BPF_B, R3, 0, '\\');
  emit_mov_imm(E, R4, 'u');
  emit_alu_imm(E, BPF_MUL, R2, 'u' - 'U');
  emit_alu(E, BPF_SUB, R4, R2);
  emit_stx(E, BPF_B, R3, 1, R4);
  /* digit k of 8: bits 4 * (digits - 1 - k), digits = 4 or 8 */
  emit_ldx(E, BPF_DW, R4, R_SCR, o16(q->n));
  emit_alu_imm(E, BPF_LSH, R4, 4);
  emit_alu_imm(E, BPF_ADD, R4, 12); /* 4 * (digits - 1) */
  for (int k = 0; k < 8; k++) {
    emit_mov(E, R2, R1);
    emit_alu(E, BPF_RSH, R2, R4);
    emit_alu_imm(E, BPF_AND, R2, 0xF);
    emit_alu(E, BPF_ADD, R2, R_SCR);
    emit_ldx(E, BPF_B, R2, R2, o16(q->tables + T_HEX));
    emit_stx(E, BPF_B, R3, (int16_t)(2 + k), R2);
    emit_alu_imm(E, BPF_SUB, R4, 4);
    emit_alu_imm(E, BPF_AND, R4, 63);
  }
  /* op += num, outlen -= num */
  emit_ldx(E, BPF_DW, R2, R_SCR, o16(q->n));
  emit_alu_imm(E, BPF_LSH, R2, 2);
  emit_alu_imm(E, BPF_ADD, R2, 6);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->op));
  emit_alu(E, BPF_ADD, R0, R2);
  emit_stx(E, BPF_DW, R_SCR, o16(q->op), R0);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->outlen));
  emit_alu(E, BPF_SUB, R0, R2);
  emit_stx(E, BPF_DW, R_SCR, o16(q->outlen), R0);
}

/* One pass of the loop: the byte at index r5 (what a character's first
 * byte does; nothing for the others).  Goes to step for the next byte,
 * to stop when the input or the budget is done. */
static void q_body(Gen *g, void *arg, uint32_t step, uint32_t stop) {
  Q *q = arg;
  q->post = stop;
  uint32_t have = emit_label(E), wide = emit_label(E), octal = emit_label(E),
           plain = emit_label(E);
  /* the bytes of a sequence after its first, and the input's end */
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->next));
  emit_jmp(E, BPF_JNE, R0, R5, 0, true, step);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->inlen));
  emit_jmp(E, BPF_JSGE, R5, R0, 0, true, q->post);
  emit_mov(E, R3, R_SCR);
  emit_alu(E, BPF_ADD, R3, R5);
  emit_ldx(E, BPF_B, R1, R3, o16(q->in));
  emit_mov_imm(E, R2, 1);
  emit_jmp(E, BPF_JLT, R1, 0, 0x80, false, have);
  q_decode_utf8(q);
  emit_bind(E, have);
  /* through scratch, so that the paths look alike from here on */
  emit_stx(E, BPF_DW, R_SCR, o16(q->c), R1);
  emit_stx(E, BPF_DW, R_SCR, o16(q->n), R2);
  emit_ldx(E, BPF_DW, R1, R_SCR, o16(q->c));
  emit_ldx(E, BPF_DW, R2, R_SCR, o16(q->n));
  /* the end of a string, or of the budget: done, c kept */
  if (!q->buffer) emit_jmp(E, BPF_JEQ, R1, 0, 0, false, q->post);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->outlen));
  emit_jmp(E, BPF_JSLE, R0, 0, 0, false, q->post);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->next));
  emit_alu(E, BPF_ADD, R0, R2);
  emit_stx(E, BPF_DW, R_SCR, o16(q->next), R0);
  emit_jmp(E, BPF_JGT, R2, 0, 1, false, wide);
  emit_jmp(E, BPF_JGE, R1, 0, 0x80, false, octal);
  emit_mov(E, R3, R_SCR);
  emit_alu(E, BPF_ADD, R3, R1);
  emit_ldx(E, BPF_B, R4, R3, o16(q->tables + T_CLASS));
  emit_jmp(E, BPF_JEQ, R4, 0, 0, false, plain);
  emit_jmp(E, BPF_JEQ, R4, 0, 1, false, octal);
  /* \a \b \t \n \v \f \r \" \\: 2 columns */
  emit_stx(E, BPF_DW, R_SCR, o16(q->n), R4); /* the letter, past q_escape_room */
  q_escape_room(q, 2);
  q_at(q, q->post);
  emit_st(E, BPF_B, R3, 0, '\\');
  emit_ldx(E, BPF_DW, R4, R_SCR, o16(q->n));
  emit_stx(E, BPF_B, R3, 1, R4);
  q_advance(q, 2, 2);
  emit_ja(E, step);
  /* printable */
  emit_bind(E, plain);
  q_at(q, q->post);
  emit_stx(E, BPF_B, R3, 0, R1);
  q_advance(q, 1, 1);
  emit_ja(E, step);
  /* \ooo: 4 columns (a buffer's NUL prints as \0) */
  emit_bind(E, octal);
  q_escape_room(q, 4);
  q_at(q, q->post);
  emit_st(E, BPF_B, R3, 0, '\\');
  if (q->buffer) {
    uint32_t nonzero = emit_label(E);
    emit_jmp(E, BPF_JNE, R1, 0, 0, false, nonzero);
    emit_st(E, BPF_B, R3, 1, '0');
    q_advance(q, 2, 4);
    emit_ja(E, step);
    emit_bind(E, nonzero);
  }
  for (int k = 0; k < 3; k++) {
    emit_mov(E, R2, R1);
    if (k < 2) emit_alu_imm(E, BPF_RSH, R2, 6 - 3 * k);
    emit_alu_imm(E, BPF_AND, R2, k ? 7 : 3);
    emit_alu_imm(E, BPF_ADD, R2, '0');
    emit_stx(E, BPF_B, R3, (int16_t)(1 + k), R2);
  }
  q_advance(q, 4, 4);
  emit_ja(E, step);
  emit_bind(E, wide);
  q_unicode(q);

}

/* Quote the input at q->in (inlen and outlen already in their slots,
 * normalized as _stp_text_str does) into dst. */
static void q_run(Q *q, bool buffer, Loc dst) {
  Gen *g = q->g;
  int32_t S = (int32_t)g->S;
  q->buffer = buffer;
  q_tables(q);
  emit_st(E, BPF_DW, R_SCR, o16(q->op), 0);
  emit_st(E, BPF_DW, R_SCR, o16(q->next), 0);
  emit_st(E, BPF_DW, R_SCR, o16(q->c), 0);
  emit_st(E, BPF_DW, R_SCR, o16(q->esc), -1);
  emit_st(E, BPF_DW, R_SCR, o16(q->esclen), 0);
  emit_st(E, BPF_DW, R_SCR, o16(q->in + (uint32_t)S), 0); /* what a decoding may read past */
  /* quoted: the opening quote, and max(outlen, 5) - 2 */
  uint32_t plain_out = emit_label(E), big = emit_label(E);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->quoted));
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, plain_out);
  emit_st(E, BPF_B, R_SCR, o16(q->out), '"');
  emit_st(E, BPF_DW, R_SCR, o16(q->op), 1);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->outlen));
  emit_jmp(E, BPF_JSGE, R0, 0, 5, false, big);
  emit_mov_imm(E, R0, 5);
  emit_bind(E, big);
  emit_alu_imm(E, BPF_SUB, R0, 2);
  emit_stx(E, BPF_DW, R_SCR, o16(q->outlen), R0);
  emit_bind(E, plain_out);

  /* the loop: bpf_loop in a kernel program, in place in a user one */
  uint32_t fin = emit_label(E);
  if (g->user) {
    uint32_t loop = emit_label(E), step = emit_label(E);
    emit_mov_imm(E, R5, 0);
    emit_bind(E, loop);
    q_body(g, q, step, fin);
    emit_bind(E, step);
    emit_alu_imm(E, BPF_ADD, R5, 1);
    emit_jmp(E, BPF_JLT, R5, 0, S - 1, false, loop);
  } else {
    gen_bpf_loop(g, (uint32_t)S - 1, q_body, q);
  }

  /* the closing quote, or the cut and "..." */
  emit_bind(E, fin);
  uint32_t end = emit_label(E), whole = emit_label(E), cut = emit_label(E), put = emit_label(E);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->quoted));
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, end);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->c));
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, whole);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->inlen));
  emit_ldx(E, BPF_DW, R1, R_SCR, o16(q->next));
  emit_jmp(E, BPF_JSLE, R0, R1, 0, true, whole);
  /* r1 = op - 3 + outlen, or the escape it would split */
  emit_ldx(E, BPF_DW, R1, R_SCR, o16(q->op));
  emit_alu_imm(E, BPF_SUB, R1, 3);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->outlen));
  emit_alu(E, BPF_ADD, R1, R0);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->esc));
  emit_jmp(E, BPF_JSLT, R0, 0, 0, false, cut);
  emit_jmp(E, BPF_JSGE, R0, R1, 0, true, cut);
  emit_ldx(E, BPF_DW, R2, R_SCR, o16(q->esclen));
  emit_alu(E, BPF_ADD, R2, R0);
  emit_jmp(E, BPF_JSGE, R1, R2, 0, true, cut);
  emit_mov(E, R1, R0);
  emit_bind(E, cut);
  emit_jmp(E, BPF_JSGE, R1, 0, 0, false, put);
  emit_mov_imm(E, R1, 0);
  emit_bind(E, put);
  emit_stx(E, BPF_DW, R_SCR, o16(q->op), R1);
  q_at(q, end);
  emit_st(E, BPF_W, R3, 0, (int32_t)('"' | '.' << 8 | '.' << 16 | '.' << 24));
  emit_alu_imm(E, BPF_ADD, R0, 4);
  emit_stx(E, BPF_DW, R_SCR, o16(q->op), R0);
  emit_ja(E, end);
  emit_bind(E, whole);
  q_at(q, end);
  emit_st(E, BPF_B, R3, 0, '"');
  emit_alu_imm(E, BPF_ADD, R0, 1);
  emit_stx(E, BPF_DW, R_SCR, o16(q->op), R0);
  emit_bind(E, end);
  /* the NUL, and the result to dst */
  uint32_t ok = emit_label(E);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->op));
  emit_jmp(E, BPF_JLE, R0, 0, S - 1, false, ok);
  emit_mov_imm(E, R0, S - 1);
  emit_bind(E, ok);
  emit_mov(E, R3, R_SCR);
  emit_alu_imm(E, BPF_ADD, R3, (int32_t)q->out);
  emit_alu(E, BPF_ADD, R3, R0);
  emit_st(E, BPF_B, R3, 0, 0);
  copy_str(g, dst, scr(q->out));
}

/* In the arena: a kernel program's loop body is emitted after it. */
static Q *q_new(Gen *g) {
  Q *q = arena_alloc(g->arena, sizeof *q);
  q->g = g;
  q->in = gen_tmp(g, g->S + 8);
  q->out = gen_tmp(g, g->S + 16);
  q->op = gen_tmp(g, 8);
  q->outlen = gen_tmp(g, 8);
  q->inlen = gen_tmp(g, 8);
  q->next = gen_tmp(g, 8);
  q->c = gen_tmp(g, 8);
  q->n = gen_tmp(g, 8);
  q->esc = gen_tmp(g, 8);
  q->esclen = gen_tmp(g, 8);
  q->quoted = gen_tmp(g, 8);
  q->tables = gen_tmp(g, TABLES);
  return q;
}

/* r0 (a length argument) into the slot: a value <= 0 or >= S means
 * S - 1 (_stp_text_str's normalization). */
static void q_length(Q *q, uint32_t slot) {
  Gen *g = q->g;
  uint32_t ok = emit_label(E), fix = emit_label(E);
  emit_jmp(E, BPF_JSLE, R0, 0, 0, false, fix);
  emit_jmp(E, BPF_JSLT, R0, 0, (int32_t)g->S - 1, false, ok);
  emit_bind(E, fix);
  emit_mov_imm(E, R0, g->S - 1);
  emit_bind(E, ok);
  emit_stx(E, BPF_DW, R_SCR, o16(slot), R0);
}

static Expr *arg_of(Expr *x, size_t i) { return x->args.items[i]; }

bool gen_quote_builtin(Gen *g, Expr *x, const char *n, Loc dst) {
  bool text = !strcmp(n, "text_strn");
  bool ubuf = !strcmp(n, "user_buffer_quoted_error");
  bool kbuf = !strcmp(n, "kernel_buffer_quoted_error");
  if (!text && !ubuf && !kbuf) return false;
  uint32_t mark = g->top;
  Q *q = q_new(g);
  if (text) {
    str_into(g, arg_of(x, 0), scr(q->in));
    gen_long(g, arg_of(x, 1));
    q_length(q, q->outlen);
    gen_long(g, arg_of(x, 2));
    uint32_t set = emit_label(E);
    emit_jmp(E, BPF_JEQ, R0, 0, 0, false, set);
    emit_mov_imm(E, R0, 1);
    emit_bind(E, set);
    emit_stx(E, BPF_DW, R_SCR, o16(q->quoted), R0);
    emit_st(E, BPF_DW, R_SCR, o16(q->inlen), (int32_t)g->S - 1);
    q_run(q, false, dst);
    g->top = mark;
    return true;
  }
  /* a buffer: addr, inlen, outlen (an outlen of 0 is an error) */
  uint32_t addr = gen_tmp(g, 8);
  gen_long(g, arg_of(x, 0));
  emit_stx(E, BPF_DW, R_SCR, o16(addr), R0);
  gen_long(g, arg_of(x, 1));
  q_length(q, q->inlen);
  gen_long(g, arg_of(x, 2));
  uint32_t site = gen_site(g, x->loc, arena_printf(g->arena, "identifier '%s'", n));
  uint32_t nonzero = emit_label(E), read = emit_label(E);
  emit_jmp(E, BPF_JSGT, R0, 0, 0, false, nonzero);
  emit_ldx(E, BPF_DW, R1, R_SCR, o16(addr));
  gen_runtime_error(g, BO_ERR_READ, site, R1);
  emit_bind(E, nonzero);
  q_length(q, q->outlen);
  emit_st(E, BPF_DW, R_SCR, o16(q->quoted), 1);
  /* read what the quoting can use: at most outlen + 3 bytes (a
   * character's decoding looks 3 bytes ahead), at most inlen */
  emit_ldx(E, BPF_DW, R2, R_SCR, o16(q->outlen));
  emit_alu_imm(E, BPF_ADD, R2, 3);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(q->inlen));
  emit_jmp(E, BPF_JLE, R2, R0, 0, true, read);
  emit_mov(E, R2, R0);
  emit_bind(E, read);
  uint32_t ok = emit_label(E), clamp = emit_label(E);
  emit_jmp(E, BPF_JLE, R2, 0, (int32_t)g->S, false, clamp);
  emit_mov_imm(E, R2, g->S);
  emit_bind(E, clamp);
  emit_mov(E, R1, R_SCR);
  emit_alu_imm(E, BPF_ADD, R1, (int32_t)q->in);
  emit_ldx(E, BPF_DW, R3, R_SCR, o16(addr));
  emit_call(E, ubuf ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel);
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, ok);
  emit_ldx(E, BPF_DW, R1, R_SCR, o16(addr));
  gen_runtime_error(g, BO_ERR_READ, site, R1);
  emit_bind(E, ok);
  q_run(q, true, dst);
  g->top = mark;
  return true;
}
