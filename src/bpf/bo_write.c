/* bo_write: pass 4 of the bpf backend.  Writes a BoObject (bo.h) as one
 * 64-bit little-endian BPF ELF relocatable object that libbpf opens and
 * loads as it is:
 *   - the kernel programs in executable sections named BoProg.section
 *     (the programs of one name share one section, one after the other,
 *     as a compiler puts functions; .BTF.ext names sections, so it must
 *     name each once), each at a global STT_FUNC symbol BoProg.name, and
 *     their map loads as R_BPF_64_64 relocations in ".rel<section>";
 *   - the bodies of the kernel programs' bpf_loop calls (the instructions
 *     after BoProg.ncode) in ".text", where libbpf wants static functions:
 *     a local STT_FUNC symbol NAME_loopK per body, and
 *     each BPF_PSEUDO_FUNC ld_imm64 that loads one relocated (R_BPF_64_64)
 *     against the section symbol of .text, its imm the body's byte offset
 *     there, as a compiler writes a static function's address; the
 *     kernel wants BTF for them: a static FUNC per body ("NAME_loopK")
 *     in .BTF, and in ".BTF.ext" the func_info of such a program's
 *     section (its FUNC at 0) and of .text (each body's);
 *   - CO-RE relocations (bo.h) in ".BTF.ext"'s core_relo part, each a
 *     field byte offset against a struct of .BTF that describes the
 *     members the object reads (BoCoreType, members in offset order), its
 *     access string "0:K" (the member's place among them);
 *   - the maps in ".maps" as BTF-defined maps (a global variable per map
 *     whose type is a struct of `int (*field)[value]` members, as libbpf's
 *     __uint() macro makes them), described in ".BTF" together with a
 *     FUNC per kernel program;
 *   - "license" ("GPL");
 *   - ".ctap.user": the user programs' instructions, one after the other
 *     (not executable, not allocated: libbpf skips it);
 *   - ".ctap.meta": everything else staprun needs (not allocated: libbpf
 *     skips it), encoded as follows, every integer little-endian:
 *
 *       header   "CTAPMETA", u32 BO_FORMAT_VERSION, u32 0
 *       object   str name, str release, u32 limits x7 (BoLimits order),
 *                u32 globals_map, ringbuf_map, scratch_map, scratch_size
 *       files    u32 n, then n x str
 *       maps     u32 n, then n x { str name, u32 type, key_size,
 *                value_size, max_entries, flags, str init (value_size
 *                bytes, or NULL) }
 *       progs    u32 n, then n x { str name, str section, u32 type,
 *                u8 user, user only: { u32 byte offset in .ctap.user,
 *                u32 ninsns }, u32 nlines, nlines x { u32 insn, file,
 *                line, col }, u32 ncore, ncore x { u32 insn, type,
 *                member } }
 *       probes   u32 n, then n x { u32 kind, prog, flags, str point,
 *                target, symbol, u64 offset, i64 period, randomize,
 *                sequence, u32 perf_type, u64 perf_config }
 *       globals  u32 n, then n x { str name, u32 type, arity, u8 index[9],
 *                u32 index_size[9], u32 map, offset, u8 wrap,
 *                u32 max_entries, u8 has_init,
 *                i64 init_num, str init_str, u32 hist, i64 hist_lo,
 *                hist_hi, hist_step }
 *       formats  u32 n, then n x str (any bytes; length format_lens[i])
 *       sites    u32 n, then n x str text
 *       core     u32 n, then n x { str name, u8 is_union, u32 size,
 *                u32 nmembers, nmembers x { str name, u32 offset, kind,
 *                u8 is_signed, u32 size, type, nelems } }
 *
 *     and nothing after.  A str is a u32 byte count and the bytes (no
 *     NUL); the count 0xffffffff stands for NULL.  A u8 flag is 0 or 1.
 *     Kernel programs' instructions and relocations are not repeated
 *     here: staprun reads them from their ELF sections and symbols.
 *
 * Instructions are stored in the kernel's layout (code, dst | src << 4,
 * le16 off, le32 imm) whatever the host's byte order.  The object is
 * written to a temporary file beside `path` and renamed over it, so a
 * failed write leaves nothing half-written at `path`.  The object is
 * checked first against everything bo_read checks, so whatever bo_write
 * writes, bo_read reads back.  The message in *err is in a thread-local
 * buffer, valid until the thread's next bo_write. */
#include "bpf/bo.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include "common/arena.h"

/* ---- messages ---------------------------------------------------------- */

static _Thread_local char errbuf[1024];

static bool fail(const char **err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail(const char **err, const char *path, const char *fmt, ...) {
  int n = snprintf(errbuf, sizeof errbuf, "%s: ", path);
  if (n < 0 || (size_t)n >= sizeof errbuf) n = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errbuf + n, sizeof errbuf - (size_t)n, fmt, ap);
  va_end(ap);
  if (err) *err = errbuf;
  return false;
}

/* ---- a growable byte buffer ---------------------------------------------- */

typedef struct Buf {
  unsigned char *data;
  size_t len, cap;
} Buf;

static void buf_put(Buf *b, const void *p, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n) cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
  }
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
}

static void put_u8(Buf *b, uint8_t v) { buf_put(b, &v, 1); }

static void put_u16(Buf *b, uint16_t v) {
  unsigned char c[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
  buf_put(b, c, 2);
}

static void put_u32(Buf *b, uint32_t v) {
  unsigned char c[4];
  for (int i = 0; i < 4; i++) c[i] = (unsigned char)(v >> (8 * i));
  buf_put(b, c, 4);
}

static void put_u64(Buf *b, uint64_t v) {
  unsigned char c[8];
  for (int i = 0; i < 8; i++) c[i] = (unsigned char)(v >> (8 * i));
  buf_put(b, c, 8);
}

static void put_i64(Buf *b, int64_t v) { put_u64(b, (uint64_t)v); }

static void put_bytes(Buf *b, const char *s, uint32_t n) {
  put_u32(b, n);
  buf_put(b, s, n);
}

static void put_str(Buf *b, const char *s) {
  if (!s)
    put_u32(b, BO_NULL_STR);
  else
    put_bytes(b, s, (uint32_t)strlen(s));
}

static void put_insns(Buf *b, const struct bpf_insn *in, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    put_u8(b, in[i].code);
    put_u8(b, (uint8_t)((in[i].dst_reg & 0xf) | (in[i].src_reg & 0xf) << 4));
    put_u16(b, (uint16_t)in[i].off);
    put_u32(b, (uint32_t)in[i].imm);
  }
}

/* Offset of s in a string table that starts with "\0". */
static uint32_t strtab_add(Buf *b, const char *s) {
  size_t off = b->len;
  buf_put(b, s, strlen(s) + 1);
  return (uint32_t)off;
}

/* ---- checks ------------------------------------------------------------ */

static bool is_ident(const char *s) {
  if (!s || !*s) return false;
  for (const char *p = s; *p; p++) {
    char c = *p;
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(p > s && c >= '0' && c <= '9')) return false;
  }
  return true;
}

/* Sections of our own, which a program's section must not be named. */
static bool reserved_section(const char *s) {
  return s[0] == '.' || !strcmp(s, "license") || !strcmp(s, "version") ||
         !strcmp(s, "maps");
}

static bool fits_u32(size_t n) { return n < BO_NULL_STR; }

static bool map_index_ok(const BoObject *o, uint32_t i) {
  return o->nmaps ? i < o->nmaps : i == 0;
}

/* The kernel program's own instructions (its loop bodies follow). */
static uint32_t prog_code(const BoProg *p) {
  return p->ncode ? p->ncode : p->ninsns;
}

/* Its BPF_PSEUDO_FUNC loads, each a relocation against .text. */
static uint32_t prog_funcs(const BoProg *p) {
  uint32_t n = 0, nc = prog_code(p);
  for (uint32_t j = 0; j + 1 < nc; j++)
    if (p->insns[j].code == BO_LD_IMM64 && p->insns[j].src_reg == BPF_PSEUDO_FUNC) n++;
  return n;
}

/* The start of the program's k-th loop body (the k-th distinct target
 * of its function loads, the program's and the bodies' own, in order),
 * or -1. */
static int64_t body_start(const BoProg *p, uint32_t k) {
  int64_t prev = -1;
  for (uint32_t found = 0;; found++) {
    int64_t best = -1;
    for (uint32_t j = 0; j + 1 < p->ninsns; j++) {
      const struct bpf_insn *in = &p->insns[j];
      if (in->code != BO_LD_IMM64 || in->src_reg != BPF_PSEUDO_FUNC) continue;
      int64_t to = (int64_t)j + in->imm + 1;
      if (to > prev && (best < 0 || to < best)) best = to;
    }
    if (best < 0 || found == k) return best;
    prev = best;
  }
}

/* Everything bo_read will insist on, so that what we write reads back. */
static bool check(const BoObject *o, const char *path, const char **err) {
  if ((o->nmaps && !o->maps) || (o->nprogs && !o->progs) ||
      (o->nprobes && !o->probes) || (o->nglobals && !o->globals) ||
      (o->nformats && !o->formats) || (o->nsites && !o->sites) ||
      (o->nfiles && !o->files))
    return fail(err, path, "object has a table with entries but no array");
  if (o->nprogs > 30000)
    return fail(err, path, "too many programs (%u)", o->nprogs);
  const char *strs[] = {o->name, o->release};
  for (size_t i = 0; i < 2; i++)
    if (strs[i] && !fits_u32(strlen(strs[i])))
      return fail(err, path, "string too long");

  for (uint32_t i = 0; i < o->nmaps; i++) {
    const BoMap *m = &o->maps[i];
    if (!is_ident(m->name))
      return fail(err, path, "map %u: name \"%s\" is not an identifier", i,
                  m->name ? m->name : "(null)");
    for (uint32_t j = 0; j < i; j++)
      if (!strcmp(o->maps[j].name, m->name))
        return fail(err, path, "map %u: name %s used twice", i, m->name);
    if (!strcmp(m->name, "_license"))
      return fail(err, path, "map %u: name _license is reserved", i);
    if (m->init && (m->type != BPF_MAP_TYPE_ARRAY || m->key_size != 4 ||
                    !fits_u32(m->value_size)))
      return fail(err, path, "map %u: only an array's element can have an initial value", i);
  }
  if (!map_index_ok(o, o->globals_map) || !map_index_ok(o, o->ringbuf_map) ||
      !map_index_ok(o, o->scratch_map))
    return fail(err, path, "globals, ring buffer or scratch map index out of "
                           "range (%u maps)", o->nmaps);

  for (uint32_t i = 0; i < o->nprogs; i++) {
    const BoProg *p = &o->progs[i];
    const char *pn = p->name ? p->name : "(null)";
    if (p->ninsns && !p->insns)
      return fail(err, path, "program %u (%s) has no instructions array", i, pn);
    if (p->nrelocs && !p->relocs)
      return fail(err, path, "program %u (%s) has no relocation array", i, pn);
    if (p->nlines && !p->lines)
      return fail(err, path, "program %u (%s) has no line array", i, pn);
    if (p->ninsns > UINT32_MAX / 8)
      return fail(err, path, "program %u (%s) is too long", i, pn);
    if ((p->name && !fits_u32(strlen(p->name))) ||
        (p->section && !fits_u32(strlen(p->section))))
      return fail(err, path, "program %u: string too long", i);
    if (p->user) {
      if (p->nrelocs)
        return fail(err, path, "user program %u (%s) has relocations (user "
                               "programs load maps by index)", i, pn);
    } else {
      if (!is_ident(p->name))
        return fail(err, path, "kernel program %u: name \"%s\" is not an "
                               "identifier", i, pn);
      if (!p->section || !*p->section || reserved_section(p->section))
        return fail(err, path, "kernel program %u (%s): bad section name "
                               "\"%s\"", i, pn,
                    p->section ? p->section : "(null)");
      if (!p->ninsns)
        return fail(err, path, "kernel program %u (%s) has no instructions",
                    i, pn);
      if (!strcmp(p->name, "_license"))
        return fail(err, path, "kernel program %u: name _license is reserved",
                    i);
      for (uint32_t j = 0; j < o->nmaps; j++)
        if (!strcmp(o->maps[j].name, p->name))
          return fail(err, path, "kernel program %u: name %s is also a map",
                      i, pn);
      for (uint32_t j = 0; j < i; j++)
        if (!o->progs[j].user && !strcmp(o->progs[j].name, p->name))
          return fail(err, path, "kernel program %u: name %s used twice", i,
                      pn);
    }
    uint32_t nc = prog_code(p);
    if (p->ncode > p->ninsns || (p->user && p->ncode))
      return fail(err, path, "program %u (%s): ncode %u out of range", i, pn, p->ncode);
    for (uint32_t j = 0; j + 1 < p->ninsns; j++) {
      const struct bpf_insn *in = &p->insns[j];
      if (in->code != BO_LD_IMM64 || in->src_reg != BPF_PSEUDO_FUNC) continue;
      int64_t to = (int64_t)j + in->imm + 1;
      if (to < nc || to >= p->ninsns)
        return fail(err, path, "program %u (%s): function address at instruction %u "
                               "is not a loop body's", i, pn, j);
    }
    for (uint32_t j = 0; j < p->nrelocs; j++) {
      const BoReloc *r = &p->relocs[j];
      if (r->insn >= p->ninsns || p->ninsns - r->insn < 2 ||
          (r->insn < nc && nc - r->insn < 2))
        return fail(err, path, "program %u (%s): relocation %u at instruction "
                               "%u past the end (%u instructions)",
                    i, pn, j, r->insn, p->ninsns);
      if (p->insns[r->insn].code != BO_LD_IMM64)
        return fail(err, path, "program %u (%s): relocation %u at instruction "
                               "%u, which is not a ld_imm64", i, pn, j,
                    r->insn);
      if (r->map >= o->nmaps)
        return fail(err, path, "program %u (%s): relocation %u against map "
                               "%u (%u maps)", i, pn, j, r->map, o->nmaps);
    }
    for (uint32_t j = 0; j < p->ncore; j++) {
      const BoCoreReloc *r = &p->core[j];
      if (p->user || r->insn >= p->ninsns ||
          p->insns[r->insn].code != (BPF_ALU64 | BPF_ADD | BPF_K) ||
          r->type >= o->ncore_types || r->member >= o->core_types[r->type].nmembers ||
          (int64_t)p->insns[r->insn].imm != o->core_types[r->type].members[r->member].offset)
        return fail(err, path, "program %u (%s): CO-RE relocation %u does not name an "
                               "offset addition and a member", i, pn, j);
    }
    for (uint32_t j = 0; j < p->nlines; j++) {
      const BoLine *l = &p->lines[j];
      if (l->insn >= p->ninsns || l->file >= o->nfiles ||
          (j && l->insn < p->lines[j - 1].insn))
        return fail(err, path, "program %u (%s): line entry %u (instruction "
                               "%u, file %u) out of range or order", i, pn, j,
                    l->insn, l->file);
    }
  }

  if (o->ncore_types && !o->core_types)
    return fail(err, path, "object has CO-RE types but no array");
  for (uint32_t i = 0; i < o->ncore_types; i++) {
    const BoCoreType *t = &o->core_types[i];
    if (!t->name || !*t->name || (t->nmembers && !t->members))
      return fail(err, path, "CO-RE type %u has no name or no members", i);
    for (uint32_t j = 0; j < t->nmembers; j++) {
      const BoCoreMember *m = &t->members[j];
      if (!m->name || !*m->name || m->kind > BO_CORE_ARRAY ||
          (m->kind == BO_CORE_STRUCT && m->type >= o->ncore_types))
        return fail(err, path, "CO-RE type %u (%s): member %u is invalid", i, t->name, j);
    }
  }
  for (uint32_t i = 0; i < o->nprobes; i++) {
    const BoProbe *p = &o->probes[i];
    if (p->kind > BO_FENTRY)
      return fail(err, path, "probe %u: unknown kind %u", i, p->kind);
    if (p->prog >= o->nprogs)
      return fail(err, path, "probe %u: program %u out of range (%u programs)",
                  i, p->prog, o->nprogs);
    /* begin, end and error probes may also run in the kernel (bo.h) */
    bool user = p->kind <= BO_TIMER;
    if (o->progs[p->prog].user != user && p->kind != BO_BEGIN && p->kind != BO_END &&
        p->kind != BO_ERROR)
      return fail(err, path, "probe %u: a %s probe on a %s program", i,
                  user ? "user" : "kernel", user ? "kernel" : "user");
    const char *s[] = {p->point, p->target, p->symbol};
    for (size_t j = 0; j < 3; j++)
      if (s[j] && !fits_u32(strlen(s[j])))
        return fail(err, path, "probe %u: string too long", i);
  }
  for (uint32_t i = 0; i < o->nglobals; i++) {
    const BoGlobal *g = &o->globals[i];
    if (g->arity > 9)
      return fail(err, path, "global %u: arity %u (at most 9)", i, g->arity);
    if (g->map >= o->nmaps)
      return fail(err, path, "global %u: map %u out of range (%u maps)", i,
                  g->map, o->nmaps);
    const char *why = bo_global_key_check(o, g);
    if (why) return fail(err, path, "global %u: %s", i, why);
    if ((g->name && !fits_u32(strlen(g->name))) ||
        (g->init_str && !fits_u32(strlen(g->init_str))))
      return fail(err, path, "global %u: string too long", i);
  }
  for (uint32_t i = 0; i < o->nformats; i++) {
    if (o->formats[i] && o->format_lens && !fits_u32(o->format_lens[i]))
      return fail(err, path, "format %u too long", i);
    if (o->formats[i] && !o->format_lens && !fits_u32(strlen(o->formats[i])))
      return fail(err, path, "format %u too long", i);
  }
  for (uint32_t i = 0; i < o->nsites; i++)
    if (o->sites[i].text && !fits_u32(strlen(o->sites[i].text)))
      return fail(err, path, "site %u: string too long", i);
  for (uint32_t i = 0; i < o->nfiles; i++)
    if (o->files[i] && !fits_u32(strlen(o->files[i])))
      return fail(err, path, "file %u: string too long", i);
  return true;
}

/* ---- .ctap.user and .ctap.meta ------------------------------------------ */

static void encode_user(const BoObject *o, Buf *b, uint32_t *offsets) {
  for (uint32_t i = 0; i < o->nprogs; i++) {
    const BoProg *p = &o->progs[i];
    if (!p->user) continue;
    offsets[i] = (uint32_t)b->len;
    put_insns(b, p->insns, p->ninsns);
  }
}

static void encode_meta(const BoObject *o, Buf *b, const uint32_t *user_off) {
  buf_put(b, BO_META_MAGIC, 8);
  put_u32(b, BO_FORMAT_VERSION);
  put_u32(b, 0);

  put_str(b, o->name);
  put_str(b, o->release);
  const BoLimits *l = &o->limits;
  put_u32(b, l->maxstringlen);
  put_u32(b, l->maxmapentries);
  put_u32(b, l->maxaction);
  put_u32(b, l->maxnesting);
  put_u32(b, l->maxerrors);
  put_u32(b, l->maxskipped);
  put_u32(b, l->ringbuf_size);
  put_u32(b, o->globals_map);
  put_u32(b, o->ringbuf_map);
  put_u32(b, o->scratch_map);
  put_u32(b, o->scratch_size);

  put_u32(b, o->nfiles);
  for (uint32_t i = 0; i < o->nfiles; i++) put_str(b, o->files[i]);

  put_u32(b, o->nmaps);
  for (uint32_t i = 0; i < o->nmaps; i++) {
    const BoMap *m = &o->maps[i];
    put_str(b, m->name);
    put_u32(b, m->type);
    put_u32(b, m->key_size);
    put_u32(b, m->value_size);
    put_u32(b, m->max_entries);
    put_u32(b, m->flags);
    if (m->init) put_bytes(b, m->init, m->value_size);
    else put_u32(b, BO_NULL_STR);
  }

  put_u32(b, o->nprogs);
  for (uint32_t i = 0; i < o->nprogs; i++) {
    const BoProg *p = &o->progs[i];
    put_str(b, p->name);
    put_str(b, p->section);
    put_u32(b, p->type);
    put_u8(b, p->user);
    if (p->user) {
      put_u32(b, user_off[i]);
      put_u32(b, p->ninsns);
    }
    uint32_t nlines = 0;
    while (nlines < p->nlines && (p->user || p->lines[nlines].insn < prog_code(p))) nlines++;
    put_u32(b, nlines);
    for (uint32_t j = 0; j < nlines; j++) {
      put_u32(b, p->lines[j].insn);
      put_u32(b, p->lines[j].file);
      put_u32(b, p->lines[j].line);
      put_u32(b, p->lines[j].col);
    }
    put_u32(b, p->user ? 0 : p->ncore);
    for (uint32_t j = 0; !p->user && j < p->ncore; j++) {
      put_u32(b, p->core[j].insn);
      put_u32(b, p->core[j].type);
      put_u32(b, p->core[j].member);
    }
  }

  put_u32(b, o->nprobes);
  for (uint32_t i = 0; i < o->nprobes; i++) {
    const BoProbe *p = &o->probes[i];
    put_u32(b, p->kind);
    put_u32(b, p->prog);
    put_u32(b, p->flags);
    put_str(b, p->point);
    put_str(b, p->target);
    put_str(b, p->symbol);
    put_u64(b, p->offset);
    put_i64(b, p->period);
    put_i64(b, p->randomize);
    put_i64(b, p->sequence);
    put_u32(b, p->perf_type);
    put_u64(b, p->perf_config);
  }

  put_u32(b, o->nglobals);
  for (uint32_t i = 0; i < o->nglobals; i++) {
    const BoGlobal *g = &o->globals[i];
    put_str(b, g->name);
    put_u32(b, g->type);
    put_u32(b, g->arity);
    buf_put(b, g->index, sizeof g->index);
    for (size_t j = 0; j < 9; j++) put_u32(b, g->index_size[j]);
    put_u32(b, g->map);
    put_u32(b, g->offset);
    put_u8(b, g->wrap);
    put_u32(b, g->max_entries);
    put_u8(b, g->has_init);
    put_i64(b, g->init_num);
    put_str(b, g->init_str);
    put_u32(b, g->hist);
    put_i64(b, g->hist_lo);
    put_i64(b, g->hist_hi);
    put_i64(b, g->hist_step);
  }

  put_u32(b, o->nformats);
  for (uint32_t i = 0; i < o->nformats; i++) {
    const char *f = o->formats[i];
    if (!f)
      put_u32(b, BO_NULL_STR);
    else
      put_bytes(b, f, o->format_lens ? o->format_lens[i] : (uint32_t)strlen(f));
  }

  put_u32(b, o->nsites);
  for (uint32_t i = 0; i < o->nsites; i++) put_str(b, o->sites[i].text);

  put_u32(b, o->ncore_types);
  for (uint32_t i = 0; i < o->ncore_types; i++) {
    const BoCoreType *t = &o->core_types[i];
    put_str(b, t->name);
    put_u8(b, t->is_union);
    put_u32(b, t->size);
    put_u32(b, t->nmembers);
    for (uint32_t j = 0; j < t->nmembers; j++) {
      const BoCoreMember *m = &t->members[j];
      put_str(b, m->name);
      put_u32(b, m->offset);
      put_u32(b, m->kind);
      put_u8(b, m->is_signed);
      put_u32(b, m->size);
      put_u32(b, m->type);
      put_u32(b, m->nelems);
    }
  }
}

/* ---- .BTF ---------------------------------------------------------------- */

/* One `int (*name)[value]` member, as __uint(name, value) declares it. */
static int uint_member(struct btf *btf, int int_id, uint32_t value) {
  int arr = btf__add_array(btf, int_id, int_id, value);
  return arr < 0 ? arr : btf__add_ptr(btf, arr);
}

typedef struct MapLayout {
  uint32_t offset, size; /* in .maps */
} MapLayout;

/* The maps' definitions and the kernel programs' functions.  Fills lay[]
 * and *maps_size; returns NULL with *bad set on a libbpf failure. */
/* The order of core type t's members by offset (BTF wants a struct's
 * members in that order): order[k] is the k-th member's index. */
static uint32_t *core_order(const BoCoreType *t) {
  uint32_t *order = xmalloc((t->nmembers ? t->nmembers : 1) * sizeof *order);
  for (uint32_t i = 0; i < t->nmembers; i++) {
    uint32_t j = i;
    for (; j > 0 && t->members[order[j - 1]].offset > t->members[i].offset; j--)
      order[j] = order[j - 1];
    order[j] = i;
  }
  return order;
}

/* The position of member m of core type t in BTF (by offset). */
static uint32_t core_position(const BoCoreType *t, uint32_t m) {
  uint32_t *order = core_order(t), k = 0;
  while (k < t->nmembers && order[k] != m) k++;
  free(order);
  return k;
}

/* The CO-RE descriptions (bo.h) as BTF structs and unions, each with its
 * members in offset order, of integer, void pointer, integer array or
 * struct types.  Structs are added one after the other, so that the k-th
 * has id first + k; a member's struct type may be one added later. */
static bool add_core_types(const BoObject *o, struct btf *btf, int voidp) {
  if (!o->ncore_types) return true;
  int index_id = btf__add_int(btf, "unsigned int", 4, 0);
  if (index_id < 0) return false;
  size_t total = 0;
  for (uint32_t i = 0; i < o->ncore_types; i++) total += o->core_types[i].nmembers;
  int *type_of = xcalloc(total ? total : 1, sizeof *type_of);
  bool ok = false;
  size_t k = 0;
  for (uint32_t i = 0; i < o->ncore_types; i++)
    for (uint32_t j = 0; j < o->core_types[i].nmembers; j++, k++) {
      const BoCoreMember *m = &o->core_types[i].members[j];
      if (m->kind == BO_CORE_PTR) {
        type_of[k] = voidp;
      } else if (m->kind == BO_CORE_INT || m->kind == BO_CORE_ARRAY) {
        char name[32];
        snprintf(name, sizeof name, "%s%u", m->is_signed ? "s" : "u", m->size * 8);
        type_of[k] = btf__add_int(btf, name, m->size, m->is_signed ? BTF_INT_SIGNED : 0);
        if (type_of[k] >= 0 && m->kind == BO_CORE_ARRAY)
          type_of[k] = btf__add_array(btf, index_id, type_of[k], m->nelems);
        if (type_of[k] < 0) goto out;
      }
    }
  int first = (int)btf__type_cnt(btf);
  k = 0;
  for (uint32_t i = 0; i < o->ncore_types; i++) {
    const BoCoreType *t = &o->core_types[i];
    if ((t->is_union ? btf__add_union(btf, t->name, t->size)
                     : btf__add_struct(btf, t->name, t->size)) < 0)
      goto out;
    uint32_t *order = core_order(t);
    for (uint32_t j = 0; j < t->nmembers; j++) {
      const BoCoreMember *m = &t->members[order[j]];
      int type = m->kind == BO_CORE_STRUCT ? first + (int)m->type : type_of[k + order[j]];
      if (btf__add_field(btf, m->name, type, m->offset * 8, 0) < 0) {
        free(order);
        goto out;
      }
    }
    free(order);
    k += t->nmembers;
  }
  ok = true;
out:
  free(type_of);
  return ok;
}

static struct btf *build_btf(const BoObject *o, MapLayout *lay,
                             uint32_t *maps_size, const char **bad) {
  struct btf *btf = btf__new_empty();
  if (!btf) {
    *bad = "btf__new_empty";
    return NULL;
  }
  int *vars = xcalloc(o->nmaps ? o->nmaps : 1, sizeof *vars);
  int int_id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
  if (int_id < 0) goto fail;
  uint32_t off = 0;
  for (uint32_t i = 0; i < o->nmaps; i++) {
    const BoMap *m = &o->maps[i];
    /* A ring buffer has only a type and a size. */
    static const char *const names[] = {"type", "key_size", "value_size",
                                        "max_entries", "map_flags"};
    uint32_t values[] = {m->type, m->key_size, m->value_size, m->max_entries,
                         m->flags};
    static const int all[] = {0, 1, 2, 3, 4}, ringbuf[] = {0, 3};
    const int *use = m->type == BPF_MAP_TYPE_RINGBUF ? ringbuf : all;
    int nmem = m->type == BPF_MAP_TYPE_RINGBUF ? 2 : 5;
    int members[5];
    for (int j = 0; j < nmem; j++)
      if ((members[j] = uint_member(btf, int_id, values[use[j]])) < 0)
        goto fail;
    uint32_t size = (uint32_t)nmem * 8;
    int st = btf__add_struct(btf, NULL, size);
    if (st < 0) goto fail;
    for (int j = 0; j < nmem; j++)
      if (btf__add_field(btf, names[use[j]], members[j], (uint32_t)j * 64,
                         0) < 0)
        goto fail;
    vars[i] = btf__add_var(btf, m->name, BTF_VAR_GLOBAL_ALLOCATED, st);
    if (vars[i] < 0) goto fail;
    lay[i].offset = off;
    lay[i].size = size;
    off += size;
  }
  if (o->nmaps) {
    if (btf__add_datasec(btf, ".maps", off) < 0) goto fail;
    for (uint32_t i = 0; i < o->nmaps; i++)
      if (btf__add_datasec_var_info(btf, vars[i], lay[i].offset,
                                    lay[i].size) < 0)
        goto fail;
  }
  *maps_size = off;

  int voidp = btf__add_ptr(btf, 0);
  int proto = voidp < 0 ? voidp : btf__add_func_proto(btf, int_id);
  if (proto < 0 || btf__add_func_param(btf, "ctx", voidp) < 0) goto fail;
  for (uint32_t i = 0; i < o->nprogs; i++)
    if (!o->progs[i].user &&
        btf__add_func(btf, o->progs[i].name, BTF_FUNC_GLOBAL, proto) < 0)
      goto fail;
  /* loop bodies: static long NAME_loopK(long index, void *ctx) */
  int body_proto = -1;
  for (uint32_t i = 0; i < o->nprogs; i++) {
    const BoProg *p = &o->progs[i];
    if (p->user || !prog_funcs(p)) continue;
    if (body_proto < 0) {
      int long_id = btf__add_int(btf, "long", 8, BTF_INT_SIGNED);
      body_proto = long_id < 0 ? long_id : btf__add_func_proto(btf, long_id);
      if (body_proto < 0 || btf__add_func_param(btf, "index", long_id) < 0 ||
          btf__add_func_param(btf, "ctx", voidp) < 0)
        goto fail;
    }
    if (btf__add_str(btf, p->section) < 0) goto fail;
    for (uint32_t k = 0; body_start(p, k) >= 0; k++) {
      char name[300];
      snprintf(name, sizeof name, "%.256s_loop%u", p->name, k);
      if (btf__add_func(btf, name, BTF_FUNC_STATIC, body_proto) < 0) goto fail;
    }
  }
  if (body_proto >= 0 && btf__add_str(btf, ".text") < 0) goto fail;
  if (!add_core_types(o, btf, voidp)) goto fail;
  /* Merge the many identical `int (*)[N]` types. */
  if (btf__dedup(btf, NULL) < 0) goto fail;
  free(vars);
  return btf;
fail:
  *bad = "building the BTF";
  free(vars);
  btf__free(btf);
  return NULL;
}

/* .BTF.ext: func_info for the programs with loop bodies (their FUNC at
 * 0) and for .text (each body's static FUNC at its byte offset), and no
 * line_info (an empty line_info section would be an error to libbpf).
 * False on a name .BTF lacks. */
static bool build_btf_ext(const BoObject *o, struct btf *btf, const uint32_t *leader,
                          const uint32_t *at, const uint32_t *text_off, Buf *b) {
  Buf fi = {0}, cr = {0}; /* both freed at fail: set before any goto */
  put_u32(&fi, 8); /* record size */
  uint32_t count = 0; /* bodies, in all */
  for (uint32_t l = 0; l < o->nprogs; l++) {
    if (o->progs[l].user || leader[l] != l) continue;
    uint32_t nrec = 0;
    for (uint32_t i = l; i < o->nprogs; i++)
      if (!o->progs[i].user && leader[i] == l && prog_funcs(&o->progs[i])) nrec++;
    if (!nrec) continue;
    int sec = btf__find_str(btf, o->progs[l].section);
    if (sec < 0) goto fail;
    put_u32(&fi, (uint32_t)sec);
    put_u32(&fi, nrec);
    for (uint32_t i = l; i < o->nprogs; i++) {
      const BoProg *p = &o->progs[i];
      if (p->user || leader[i] != l || !prog_funcs(p)) continue;
      int fn = btf__find_by_name_kind(btf, p->name, BTF_KIND_FUNC);
      if (fn < 0) goto fail;
      put_u32(&fi, at[i] * 8);
      put_u32(&fi, (uint32_t)fn);
      for (uint32_t k = 0; body_start(p, k) >= 0; k++) count++;
    }
  }
  /* .text: every body, in order */
  if (count) {
    int sec = btf__find_str(btf, ".text");
    if (sec < 0) goto fail;
    put_u32(&fi, (uint32_t)sec);
    put_u32(&fi, count);
    for (uint32_t i = 0; i < o->nprogs; i++) {
      const BoProg *p = &o->progs[i];
      if (p->user || !prog_funcs(p)) continue;
      int64_t at;
      for (uint32_t k = 0; (at = body_start(p, k)) >= 0; k++) {
        char name[300];
        snprintf(name, sizeof name, "%.256s_loop%u", p->name, k);
        int fn = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
        if (fn < 0) goto fail;
        put_u32(&fi, (uint32_t)((text_off[i] + (uint64_t)at - prog_code(p)) * 8));
        put_u32(&fi, (uint32_t)fn);
      }
    }
  }
  if (!count) fi.len = 0; /* no bodies: no func_info at all */
  /* CO-RE relocations, per section: each program's main code in its
   * section at its place there, its bodies' in .text */
  uint32_t ncore = 0;
  for (uint32_t i = 0; i < o->nprogs; i++) ncore += o->progs[i].user ? 0 : o->progs[i].ncore;
  if (ncore) {
    put_u32(&cr, 16); /* record size: insn_off, type_id, access_str_off, kind */
    for (uint32_t pass = 0; pass < 2; pass++) { /* program sections, then .text */
      for (uint32_t l = 0; l < (pass ? 1 : o->nprogs); l++) {
        if (!pass && (o->progs[l].user || leader[l] != l)) continue;
        uint32_t nrec = 0;
        for (uint32_t i = 0; i < o->nprogs; i++) {
          const BoProg *p = &o->progs[i];
          if (p->user || (!pass && leader[i] != l)) continue;
          for (uint32_t j = 0; j < p->ncore; j++) nrec += (p->core[j].insn >= prog_code(p)) == pass;
        }
        if (!nrec) continue;
        int sec = btf__add_str(btf, pass ? ".text" : o->progs[l].section);
        if (sec < 0) goto fail;
        put_u32(&cr, (uint32_t)sec);
        put_u32(&cr, nrec);
        for (uint32_t i = 0; i < o->nprogs; i++) {
          const BoProg *p = &o->progs[i];
          if (p->user || (!pass && leader[i] != l)) continue;
          for (uint32_t j = 0; j < p->ncore; j++) {
            const BoCoreReloc *r = &p->core[j];
            uint32_t nc = prog_code(p);
            if ((r->insn >= nc) != pass) continue;
            const BoCoreType *t = &o->core_types[r->type];
            int tid = btf__find_by_name_kind(btf, t->name,
                                             t->is_union ? BTF_KIND_UNION : BTF_KIND_STRUCT);
            char access[32];
            snprintf(access, sizeof access, "0:%u", core_position(t, r->member));
            int acc = btf__add_str(btf, access);
            if (tid < 0 || acc < 0) goto fail;
            put_u32(&cr, (pass ? text_off[i] + r->insn - nc : at[i] + r->insn) * 8);
            put_u32(&cr, (uint32_t)tid);
            put_u32(&cr, (uint32_t)acc);
            put_u32(&cr, 0); /* BPF_CORE_FIELD_BYTE_OFFSET */
          }
        }
      }
    }
  }
  /* header: magic, version 1, flags, hdr_len, func_info off/len,
   * line_info off/len (none), core_relo off/len */
  put_u16(b, 0xeB9F);
  put_u8(b, 1);
  put_u8(b, 0);
  put_u32(b, 32);
  put_u32(b, 0);
  put_u32(b, (uint32_t)fi.len);
  put_u32(b, (uint32_t)fi.len);
  put_u32(b, 0);
  put_u32(b, (uint32_t)fi.len);
  put_u32(b, (uint32_t)cr.len);
  buf_put(b, fi.data, fi.len);
  buf_put(b, cr.data, cr.len);
  free(fi.data);
  free(cr.data);
  return true;
fail:
  free(fi.data);
  free(cr.data);
  return false;
}

/* ---- ELF ------------------------------------------------------------------ */

typedef struct Sec {
  uint32_t name;        /* in .strtab */
  uint32_t type, link, info;
  uint64_t flags, align, entsize;
  const void *data;
  size_t size;
  Elf_Type dtype;
} Sec;

static bool add_scn(Elf *elf, const Sec *s) {
  Elf_Scn *scn = elf_newscn(elf);
  if (!scn) return false;
  GElf_Shdr sh;
  if (!gelf_getshdr(scn, &sh)) return false;
  sh.sh_name = s->name;
  sh.sh_type = s->type;
  sh.sh_flags = s->flags;
  sh.sh_link = s->link;
  sh.sh_info = s->info;
  sh.sh_addralign = s->align;
  sh.sh_entsize = s->entsize;
  if (!gelf_update_shdr(scn, &sh)) return false;
  Elf_Data *d = elf_newdata(scn);
  if (!d) return false;
  d->d_buf = (void *)s->data;
  d->d_size = s->size;
  d->d_type = s->dtype;
  d->d_align = s->align;
  d->d_off = 0;
  d->d_version = EV_CURRENT;
  return true;
}

static bool write_elf(int fd, const Sec *secs, size_t nsecs, size_t shstrndx,
                      const char **bad) {
  *bad = NULL;
  Elf *elf = elf_begin(fd, ELF_C_WRITE, NULL);
  if (!elf) return false;
  bool ok = false;
  GElf_Ehdr eh;
  if (!gelf_newehdr(elf, ELFCLASS64) || !gelf_getehdr(elf, &eh)) goto out;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
  eh.e_type = ET_REL;
  eh.e_machine = EM_BPF;
  eh.e_version = EV_CURRENT;
  eh.e_shstrndx = (Elf64_Half)shstrndx;
  if (!gelf_update_ehdr(elf, &eh)) goto out;
  for (size_t i = 0; i < nsecs; i++)
    if (!add_scn(elf, &secs[i])) goto out;
  if (elf_update(elf, ELF_C_WRITE) < 0) goto out;
  ok = true;
out:
  if (!ok) *bad = elf_errmsg(-1);
  elf_end(elf);
  return ok;
}

/* Create a new file beside path, named path.tmpPID.N. */
static int open_temp(const char *path, char **tmp) {
  static _Atomic unsigned counter;
  size_t n = strlen(path) + 64;
  *tmp = xmalloc(n);
  for (int tries = 0; tries < 1000; tries++) {
    snprintf(*tmp, n, "%s.tmp%ld.%u", path, (long)getpid(), counter++);
    int fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

/* The relocations of p's instructions [from, to), placed at base + j in
 * their section: map loads against the map's symbol, function loads
 * against .text's. */
static void put_relocs(const BoProg *p, uint32_t from, uint32_t to, int64_t base, size_t map_sym0,
                       size_t text_sym, Buf *out) {
  for (uint32_t j = 0; j < p->nrelocs; j++) {
    if (p->relocs[j].insn < from || p->relocs[j].insn >= to) continue;
    Elf64_Rel r = {
        .r_offset = (uint64_t)(base + p->relocs[j].insn) * 8,
        .r_info = ELF64_R_INFO(map_sym0 + p->relocs[j].map, R_BPF_64_64),
    };
    buf_put(out, &r, sizeof r);
  }
  for (uint32_t j = from; j + 1 < to; j++) {
    if (p->insns[j].code != BO_LD_IMM64 || p->insns[j].src_reg != BPF_PSEUDO_FUNC) continue;
    Elf64_Rel r = {.r_offset = (uint64_t)(base + j) * 8,
                   .r_info = ELF64_R_INFO(text_sym, R_BPF_64_64)};
    buf_put(out, &r, sizeof r);
  }
}

static Sec sec(uint32_t name, uint32_t type, uint64_t flags, uint64_t align,
               const void *data, size_t size) {
  return (Sec){.name = name, .type = type, .flags = flags, .align = align,
               .data = data, .size = size, .dtype = ELF_T_BYTE};
}

bool bo_write(const BoObject *obj, const char *path, const char **err) {
  if (!check(obj, path, err)) return false;
  if (elf_version(EV_CURRENT) == EV_NONE)
    return fail(err, path, "libelf: %s", elf_errmsg(-1));

  uint32_t n = obj->nprogs, n1 = n ? n : 1;
  uint32_t *user_off = xcalloc(n1, sizeof *user_off);
  uint32_t *prog_sec = xcalloc(n1, sizeof *prog_sec);
  size_t *code_off = xcalloc(n1, sizeof *code_off);
  size_t *code_len = xcalloc(n1, sizeof *code_len);
  uint32_t *leader = xcalloc(n1, sizeof *leader);
  uint32_t *at = xcalloc(n1, sizeof *at);
  Buf *relbufs = xcalloc(n1, sizeof *relbufs);
  MapLayout *lay = xcalloc(obj->nmaps ? obj->nmaps : 1, sizeof *lay);
  Sec *secs = xcalloc(2 * (size_t)n + 12, sizeof *secs);
  Buf user = {0}, meta = {0}, strtab = {0}, code = {0}, text = {0}, text_rel = {0}, btf_ext = {0};
  uint32_t *text_off = xcalloc(n1, sizeof *text_off);
  uint32_t nbodies = 0;
  Elf64_Sym *syms = NULL;
  bool *has_rel = NULL;
  unsigned char *maps_data = NULL;
  char *tmp = NULL;
  int fd = -1;
  bool ok = false;
  const char *bad = NULL;

  uint32_t maps_size = 0;
  struct btf *btf = build_btf(obj, lay, &maps_size, &bad);
  if (!btf) {
    fail(err, path, "libbpf: %s failed", bad);
    goto out;
  }

  encode_user(obj, &user, user_off);
  encode_meta(obj, &meta, user_off);
  /* The kernel programs of one section name share one section (so that
   * .BTF.ext, which names sections, names each once), one after the
   * other in their order: leader[i] is the first of i's section, at[i]
   * i's first instruction there; code_off[leader] the section's bytes. */
  for (uint32_t i = 0; i < n; i++) {
    const BoProg *p = &obj->progs[i];
    if (p->user) continue;
    leader[i] = i;
    for (uint32_t j = 0; j < i; j++)
      if (!obj->progs[j].user && !strcmp(obj->progs[j].section, p->section)) {
        leader[i] = leader[j];
        break;
      }
  }
  for (uint32_t l = 0; l < n; l++) {
    if (obj->progs[l].user || leader[l] != l) continue;
    code_off[l] = code.len;
    for (uint32_t i = l; i < n; i++) {
      const BoProg *p = &obj->progs[i];
      if (p->user || leader[i] != l) continue;
      uint32_t nc = prog_code(p);
      at[i] = (uint32_t)((code.len - code_off[l]) / 8);
      text_off[i] = (uint32_t)(text.len / 8);
      /* a function load's imm: its body's byte offset in .text */
      for (uint32_t j = 0; j < p->ninsns; j++) {
        struct bpf_insn in = p->insns[j];
        if (in.code == BO_LD_IMM64 && in.src_reg == BPF_PSEUDO_FUNC)
          in.imm = (int32_t)((text_off[i] + (uint32_t)((int64_t)j + in.imm + 1 - nc)) * 8);
        put_insns(j < nc ? &code : &text, &in, 1);
      }
      for (uint32_t k = 0; body_start(p, k) >= 0; k++) nbodies++;
    }
    code_len[l] = code.len - code_off[l];
  }
  bool has_ext = nbodies > 0;
  for (uint32_t i = 0; i < n; i++) has_ext |= !obj->progs[i].user && obj->progs[i].ncore;
  if (has_ext && !build_btf_ext(obj, btf, leader, at, text_off, &btf_ext)) {
    fail(err, path, "libbpf: the BTF of the loop bodies or of the CO-RE relocations is "
                    "incomplete");
    goto out;
  }
  /* (after the lookups above, which may rebuild it) */
  uint32_t btf_size = 0;
  const void *btf_data = btf__raw_data(btf, &btf_size);
  if (!btf_data) {
    fail(err, path, "libbpf: btf__raw_data failed");
    goto out;
  }

  /* Section indices: programs' sections (each followed by its .rel
   * section), .text and .rel.text if there are loop bodies, then
   * license, .maps, .ctap.user, .ctap.meta, .BTF, .BTF.ext if there are
   * loop bodies or CO-RE relocations, .symtab, .strtab. */
  uint32_t next = 1, nkernel = 0;
  has_rel = xcalloc(n1, sizeof *has_rel);
  for (uint32_t i = 0; i < n; i++)
    if (!obj->progs[i].user && (obj->progs[i].nrelocs || prog_funcs(&obj->progs[i])))
      has_rel[leader[i]] = true;
  for (uint32_t i = 0; i < n; i++) {
    if (obj->progs[i].user) continue;
    nkernel++;
    if (leader[i] != i) continue;
    prog_sec[i] = next++;
    if (has_rel[i]) next++;
  }
  uint32_t text_sec = nbodies ? next++ : 0;
  if (nbodies) next++; /* .rel.text */
  uint32_t license_sec = next++;
  uint32_t maps_sec = obj->nmaps ? next++ : 0;
  next += 3; /* .ctap.user, .ctap.meta, .BTF */
  if (has_ext) next++; /* .BTF.ext */
  uint32_t symtab_sec = next++;
  uint32_t strtab_sec = next++;

  /* Symbols: the local ones (.text's section symbol, then each program's
   * loop bodies), then the global ones: programs, maps, _license. */
  strtab_add(&strtab, "");
  size_t nlocal = nbodies ? 1 + (size_t)nbodies : 0;
  size_t nsyms = 1 + nlocal + (size_t)nkernel + obj->nmaps + 1;
  syms = xcalloc(nsyms, sizeof *syms);
  size_t si = 1, text_sym = 0;
  if (nbodies) {
    text_sym = si;
    syms[si].st_info = ELF64_ST_INFO(STB_LOCAL, STT_SECTION);
    syms[si++].st_shndx = (Elf64_Section)text_sec;
    for (uint32_t i = 0; i < n; i++) {
      const BoProg *p = &obj->progs[i];
      if (p->user || p->ninsns == prog_code(p)) continue;
      int64_t from = body_start(p, 0);
      for (uint32_t k = 0; from >= 0; k++) {
        int64_t to = body_start(p, k + 1);
        char name[300];
        snprintf(name, sizeof name, "%.256s_loop%u", p->name, k);
        syms[si].st_name = strtab_add(&strtab, name);
        syms[si].st_info = ELF64_ST_INFO(STB_LOCAL, STT_FUNC);
        syms[si].st_shndx = (Elf64_Section)text_sec;
        syms[si].st_value = ((uint64_t)text_off[i] + (uint64_t)from - prog_code(p)) * 8;
        syms[si].st_size = (uint64_t)((to < 0 ? p->ninsns : to) - from) * 8;
        si++;
        from = to;
      }
    }
  }
  for (uint32_t i = 0; i < n; i++) {
    const BoProg *p = &obj->progs[i];
    if (p->user) continue;
    syms[si].st_name = strtab_add(&strtab, p->name);
    syms[si].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
    syms[si].st_shndx = (Elf64_Section)prog_sec[leader[i]];
    syms[si].st_value = (uint64_t)at[i] * 8;
    syms[si].st_size = (uint64_t)prog_code(p) * 8;
    si++;
  }
  size_t map_sym0 = si;
  for (uint32_t i = 0; i < obj->nmaps; i++) {
    syms[si].st_name = strtab_add(&strtab, obj->maps[i].name);
    syms[si].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT);
    syms[si].st_shndx = (Elf64_Section)maps_sec;
    syms[si].st_value = lay[i].offset;
    syms[si].st_size = lay[i].size;
    si++;
  }
  syms[si].st_name = strtab_add(&strtab, "_license");
  syms[si].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT);
  syms[si].st_shndx = (Elf64_Section)license_sec;
  syms[si].st_size = 4;

  /* Sections, in the order of the indices above. */
  static const char license[] = "GPL";
  maps_data = xcalloc(maps_size ? maps_size : 1, 1);
  size_t nsec = 0;
  for (uint32_t l = 0; l < n; l++) {
    if (obj->progs[l].user || leader[l] != l) continue;
    const char *name = obj->progs[l].section;
    secs[nsec++] = sec(strtab_add(&strtab, name), SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 8,
                       code.data + code_off[l], code_len[l]);
    if (!has_rel[l]) continue;
    for (uint32_t i = l; i < n; i++) {
      const BoProg *p = &obj->progs[i];
      if (p->user || leader[i] != l) continue;
      put_relocs(p, 0, prog_code(p), at[i], map_sym0, text_sym, &relbufs[l]);
    }
    uint32_t rn = (uint32_t)strtab.len;
    buf_put(&strtab, ".rel", 4);
    strtab_add(&strtab, name);
    Sec *rs = &secs[nsec++];
    *rs = sec(rn, SHT_REL, SHF_INFO_LINK, 8, relbufs[l].data, relbufs[l].len);
    rs->link = symtab_sec;
    rs->info = prog_sec[l];
    rs->entsize = sizeof(Elf64_Rel);
    rs->dtype = ELF_T_REL;
  }
  if (nbodies) {
    secs[nsec++] = sec(strtab_add(&strtab, ".text"), SHT_PROGBITS,
                       SHF_ALLOC | SHF_EXECINSTR, 8, text.data, text.len);
    /* the bodies' own map and function loads */
    for (uint32_t i = 0; i < n; i++) {
      const BoProg *p = &obj->progs[i];
      if (!p->user)
        put_relocs(p, prog_code(p), p->ninsns, (int64_t)text_off[i] - prog_code(p), map_sym0,
                   text_sym, &text_rel);
    }
    Sec *rs = &secs[nsec++];
    *rs = sec(strtab_add(&strtab, ".rel.text"), SHT_REL, SHF_INFO_LINK, 8, text_rel.data,
              text_rel.len);
    rs->link = symtab_sec;
    rs->info = text_sec;
    rs->entsize = sizeof(Elf64_Rel);
    rs->dtype = ELF_T_REL;
  }
  secs[nsec++] = sec(strtab_add(&strtab, "license"), SHT_PROGBITS,
                     SHF_ALLOC | SHF_WRITE, 1, license, sizeof license);
  if (obj->nmaps)
    secs[nsec++] = sec(strtab_add(&strtab, ".maps"), SHT_PROGBITS,
                       SHF_ALLOC | SHF_WRITE, 8, maps_data, maps_size);
  secs[nsec++] = sec(strtab_add(&strtab, BO_USER_SECTION), SHT_PROGBITS, 0, 8,
                     user.data, user.len);
  secs[nsec++] = sec(strtab_add(&strtab, BO_META_SECTION), SHT_PROGBITS, 0, 8,
                     meta.data, meta.len);
  secs[nsec++] = sec(strtab_add(&strtab, ".BTF"), SHT_PROGBITS, 0, 4,
                     btf_data, btf_size);
  if (has_ext)
    secs[nsec++] = sec(strtab_add(&strtab, ".BTF.ext"), SHT_PROGBITS, 0, 4, btf_ext.data,
                       btf_ext.len);
  Sec *st = &secs[nsec++];
  *st = sec(strtab_add(&strtab, ".symtab"), SHT_SYMTAB, 0, 8, syms,
            nsyms * sizeof *syms);
  st->link = strtab_sec;
  st->info = (uint32_t)(1 + nlocal); /* the first global symbol */
  st->entsize = sizeof(Elf64_Sym);
  st->dtype = ELF_T_SYM;
  /* .strtab holds its own name, so add it before taking its size. */
  uint32_t strtab_name = strtab_add(&strtab, ".strtab");
  secs[nsec++] = sec(strtab_name, SHT_STRTAB, 0, 1, strtab.data, strtab.len);

  fd = open_temp(path, &tmp);
  if (fd < 0) {
    fail(err, path, "cannot create a temporary file beside it: %s",
         strerror(errno));
    goto out;
  }
  if (!write_elf(fd, secs, nsec, strtab_sec, &bad)) {
    fail(err, path, "libelf: %s", bad ? bad : "write failed");
    goto out;
  }
  int rc = close(fd);
  fd = -1;
  if (rc) {
    fail(err, path, "writing: %s", strerror(errno));
    goto out;
  }
  if (rename(tmp, path)) {
    fail(err, path, "cannot rename %s over it: %s", tmp, strerror(errno));
    goto out;
  }
  ok = true;
out:
  if (fd >= 0) close(fd);
  if (tmp && !ok) unlink(tmp);
  free(tmp);
  for (uint32_t i = 0; i < n; i++) free(relbufs[i].data);
  free(relbufs);
  free(maps_data);
  free(syms);
  free(prog_sec);
  free(code_off);
  free(code_len);
  free(leader);
  free(at);
  free(has_rel);
  free(secs);
  free(user.data);
  free(meta.data);
  free(strtab.data);
  free(code.data);
  free(text.data);
  free(text_rel.data);
  free(btf_ext.data);
  free(text_off);
  free(lay);
  free(user_off);
  btf__free(btf);
  return ok;
}
