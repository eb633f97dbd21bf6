/* bo_read: staprun's reader of the .bo artifact (src/bpf/bo.h), the
 * inverse of src/bpf/bo_write.c, whose header comment describes the
 * ".ctap.meta" encoding.
 *
 * The file is untrusted input: it is read whole into memory and parsed by
 * hand (the ELF header, section headers, symbols and relocations of a
 * 64-bit little-endian object), every offset, length, count and index
 * checked before use, so that no input can make the reader crash, hang or
 * read out of bounds.  Counts are checked against the bytes left before
 * anything is allocated, so allocations stay proportional to the file's
 * size.  The metadata and the user programs come from ".ctap.meta" and
 * ".ctap.user"; each kernel program's instructions come from its ELF
 * section through its symbol, and its map loads from the section's
 * R_BPF_64_64 relocations.  Everything the object points to lives in one
 * Arena, obj->owner, released by bo_free.  The message in *err is in a
 * thread-local buffer, valid until the thread's next bo_read. */
#include "bpf/bo.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/arena.h"

#define BO_MAX_FILE ((size_t)1 << 30)

typedef struct Shdr {
  uint32_t name, type, link, info;
  uint64_t flags, offset, size, entsize;
} Shdr;

typedef struct Rd {
  const char *path;
  const char **err;
  const unsigned char *file;
  size_t size;
  Shdr *sh;
  uint32_t shnum, shstrndx;
  const unsigned char *syms; /* the symbol table's entries */
  size_t nsyms;
  uint32_t symstr;           /* its string table's section */
  Arena *a;
  /* the metadata cursor */
  const unsigned char *p;
  size_t left;
  const char *what;          /* the table being read, for messages */
  /* Bytes of instructions and relocations still allowed: programs do not
   * overlap in a good file, so all of them fit in its size, and a corrupt
   * one cannot make us copy the same bytes again and again. */
  uint64_t budget;
} Rd;

static _Thread_local char errbuf[1024];

static bool fail(Rd *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool fail(Rd *r, const char *fmt, ...) {
  int n = snprintf(errbuf, sizeof errbuf, "%s: ", r->path);
  if (n < 0 || (size_t)n >= sizeof errbuf) n = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errbuf + n, sizeof errbuf - (size_t)n, fmt, ap);
  va_end(ap);
  if (r->err) *r->err = errbuf;
  return false;
}

static uint16_t le16(const unsigned char *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p) {
  return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static struct bpf_insn get_insn(const unsigned char *p) {
  struct bpf_insn in = {0};
  in.code = p[0];
  in.dst_reg = p[1] & 0xf;
  in.src_reg = p[1] >> 4;
  in.off = (int16_t)le16(p + 2);
  in.imm = (int32_t)le32(p + 4);
  return in;
}

/* Zeroed storage for n elements, NULL for none.  n * size is bounded by
 * the caller's count checks. */
static void *alloc_array(Rd *r, size_t n, size_t size) {
  return n ? arena_alloc(r->a, n * size) : NULL;
}

static bool consume(Rd *r, uint64_t bytes, uint32_t prog) {
  if (bytes > r->budget)
    return fail(r, "program %u: instructions or relocations overlap those "
                   "of another program", prog);
  r->budget -= bytes;
  return true;
}

/* ---- the file and its ELF structure --------------------------------------- */

static bool read_file(Rd *r, unsigned char **out) {
  int fd = open(r->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return fail(r, "cannot open: %s", strerror(errno));
  struct stat st;
  if (fstat(fd, &st)) {
    int e = errno;
    close(fd);
    return fail(r, "cannot stat: %s", strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return fail(r, "not a regular file");
  }
  if (st.st_size <= 0) {
    close(fd);
    return fail(r, "empty file, not a BPF object");
  }
  if ((uint64_t)st.st_size > BO_MAX_FILE) {
    close(fd);
    return fail(r, "file too large (%lld bytes)", (long long)st.st_size);
  }
  size_t want = (size_t)st.st_size, got = 0;
  unsigned char *buf = malloc(want);
  if (!buf) {
    close(fd);
    return fail(r, "out of memory reading %zu bytes", want);
  }
  while (got < want) {
    ssize_t n = read(fd, buf + got, want - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      free(buf);
      close(fd);
      return fail(r, "cannot read: %s", strerror(e));
    }
    if (n == 0) break; /* it shrank */
    got += (size_t)n;
  }
  close(fd);
  if (!got) {
    free(buf);
    return fail(r, "empty file, not a BPF object");
  }
  *out = buf;
  r->file = buf;
  r->size = got;
  r->budget = got;
  return true;
}

/* The bytes of section i, or false with a message. */
static bool sec_bytes(Rd *r, uint32_t i, const unsigned char **p, size_t *n) {
  *p = NULL; /* also on failure: an optimizer then sees them set */
  *n = 0;
  if (i >= r->shnum) return fail(r, "section index %u out of range", i);
  const Shdr *s = &r->sh[i];
  if (s->type == SHT_NOBITS) return fail(r, "section %u has no contents", i);
  if (s->offset > r->size || s->size > r->size - s->offset)
    return fail(r, "section %u runs past the end of the file (truncated?)", i);
  *p = r->file + s->offset;
  *n = (size_t)s->size;
  return true;
}

/* The NUL-terminated string at off in string-table section i, or NULL. */
static const char *str_at(Rd *r, uint32_t i, uint64_t off) {
  if (i >= r->shnum || r->sh[i].type != SHT_STRTAB) return NULL;
  const Shdr *s = &r->sh[i];
  if (s->offset > r->size || s->size > r->size - s->offset) return NULL;
  if (off >= s->size) return NULL;
  const char *p = (const char *)r->file + s->offset + off;
  return memchr(p, 0, (size_t)(s->size - off)) ? p : NULL;
}

static const char *sec_name(Rd *r, uint32_t i) {
  return str_at(r, r->shstrndx, r->sh[i].name);
}

static bool read_elf(Rd *r) {
  const unsigned char *f = r->file;
  if (r->size < 4 || memcmp(f, ELFMAG, SELFMAG))
    return fail(r, "not an ELF file");
  if (r->size < sizeof(Elf64_Ehdr)) return fail(r, "truncated ELF header");
  if (f[EI_CLASS] != ELFCLASS64 || f[EI_DATA] != ELFDATA2LSB)
    return fail(r, "not a BPF object (ELF class %u, data encoding %u; a BPF "
                   "object is 64-bit little-endian)", f[EI_CLASS], f[EI_DATA]);
  uint16_t type = le16(f + 16), machine = le16(f + 18);
  if (machine != EM_BPF)
    return fail(r, "not a BPF object (ELF machine %u)", machine);
  if (type != ET_REL)
    return fail(r, "not a relocatable BPF object (ELF type %u)", type);
  uint64_t shoff = le64(f + 40);
  uint16_t shentsize = le16(f + 58), shnum = le16(f + 60);
  uint16_t shstrndx = le16(f + 62);
  if (shnum == 0) return fail(r, "no section headers");
  if (shentsize != sizeof(Elf64_Shdr))
    return fail(r, "bad section header size %u", shentsize);
  if (shoff > r->size || (uint64_t)shnum * shentsize > r->size - shoff)
    return fail(r, "section header table runs past the end of the file "
                   "(truncated?)");
  if (shstrndx >= shnum)
    return fail(r, "section name table index %u out of range", shstrndx);
  r->shnum = shnum;
  r->shstrndx = shstrndx;
  r->sh = alloc_array(r, shnum, sizeof *r->sh);
  for (uint32_t i = 0; i < shnum; i++) {
    const unsigned char *h = f + shoff + (uint64_t)i * shentsize;
    Shdr *s = &r->sh[i];
    s->name = le32(h);
    s->type = le32(h + 4);
    s->flags = le64(h + 8);
    s->offset = le64(h + 24);
    s->size = le64(h + 32);
    s->link = le32(h + 40);
    s->info = le32(h + 44);
    s->entsize = le64(h + 56);
  }
  /* Every section must lie inside the file, read or not: a truncated
   * file is always reported. */
  for (uint32_t i = 1; i < shnum; i++) {
    const Shdr *s = &r->sh[i];
    if (s->type != SHT_NOBITS &&
        (s->offset > r->size || s->size > r->size - s->offset))
      return fail(r, "section %u runs past the end of the file (truncated?)",
                  i);
  }
  if (r->sh[shstrndx].type != SHT_STRTAB)
    return fail(r, "section name table (section %u) is not a string table",
                shstrndx);
  const unsigned char *p;
  size_t n;
  if (!sec_bytes(r, shstrndx, &p, &n)) return false;
  return true;
}

/* Section index by name: 0 if none, -1 (message set) if corrupt or twice. */
static long find_section(Rd *r, const char *name) {
  long found = 0;
  for (uint32_t i = 1; i < r->shnum; i++) {
    const char *s = sec_name(r, i);
    if (!s) {
      fail(r, "section %u: name out of range of the section name table", i);
      return -1;
    }
    if (strcmp(s, name)) continue;
    if (found) {
      fail(r, "two %s sections", name);
      return -1;
    }
    found = i;
  }
  return found;
}

static bool read_symtab(Rd *r) {
  uint32_t idx = 0;
  for (uint32_t i = 1; i < r->shnum; i++) {
    if (r->sh[i].type != SHT_SYMTAB) continue;
    if (idx) return fail(r, "two symbol tables");
    idx = i;
  }
  if (!idx) return fail(r, "no symbol table");
  const Shdr *s = &r->sh[idx];
  size_t n;
  if (!sec_bytes(r, idx, &r->syms, &n)) return false;
  if (s->entsize != sizeof(Elf64_Sym) || n % sizeof(Elf64_Sym))
    return fail(r, "corrupt symbol table (entry size %llu, size %zu)",
                (unsigned long long)s->entsize, n);
  if (s->link >= r->shnum || r->sh[s->link].type != SHT_STRTAB)
    return fail(r, "symbol table has no string table");
  const unsigned char *p;
  size_t len;
  if (!sec_bytes(r, s->link, &p, &len)) return false;
  r->nsyms = n / sizeof(Elf64_Sym);
  r->symstr = s->link;
  return true;
}

typedef struct Sym {
  const char *name; /* NULL if its name is corrupt */
  unsigned type, bind;
  uint16_t shndx;
  uint64_t value, size;
} Sym;

static Sym get_sym(Rd *r, size_t i) {
  const unsigned char *e = r->syms + i * sizeof(Elf64_Sym);
  Sym s;
  s.name = str_at(r, r->symstr, le32(e));
  s.type = ELF64_ST_TYPE(e[4]);
  s.bind = ELF64_ST_BIND(e[4]);
  s.shndx = le16(e + 6);
  s.value = le64(e + 8);
  s.size = le64(e + 16);
  return s;
}

/* ---- the metadata ---------------------------------------------------------- */

static bool need(Rd *r, size_t n) {
  if (r->left < n) return fail(r, "truncated metadata (%s)", r->what);
  return true;
}

static bool get_u8(Rd *r, uint8_t *v) {
  if (!need(r, 1)) return false;
  *v = r->p[0];
  r->p++;
  r->left--;
  return true;
}

static bool get_flag(Rd *r, bool *v) {
  uint8_t b;
  if (!get_u8(r, &b)) return false;
  if (b > 1)
    return fail(r, "corrupt metadata (%s): flag byte %u", r->what, b);
  *v = b;
  return true;
}

static bool get_u32(Rd *r, uint32_t *v) {
  if (!need(r, 4)) return false;
  *v = le32(r->p);
  r->p += 4;
  r->left -= 4;
  return true;
}

static bool get_u64(Rd *r, uint64_t *v) {
  if (!need(r, 8)) return false;
  *v = le64(r->p);
  r->p += 8;
  r->left -= 8;
  return true;
}

static bool get_i64(Rd *r, int64_t *v) {
  uint64_t u;
  if (!get_u64(r, &u)) return false;
  *v = (int64_t)u;
  return true;
}

/* A str: NULL, or a copy with a NUL after it.  Only a binary string (a
 * format) may hold NUL bytes itself. */
static bool get_str_len(Rd *r, const char **out, uint32_t *len, bool binary) {
  uint32_t n;
  if (!get_u32(r, &n)) return false;
  if (n == BO_NULL_STR) {
    *out = NULL;
    if (len) *len = 0;
    return true;
  }
  if (n > r->left)
    return fail(r, "truncated metadata (%s: a string of %u bytes runs past "
                   "the end)", r->what, n);
  if (!binary && memchr(r->p, 0, n))
    return fail(r, "corrupt metadata (%s: a string holds a NUL byte)",
                r->what);
  char *s = arena_alloc(r->a, (size_t)n + 1);
  memcpy(s, r->p, n);
  s[n] = 0;
  r->p += n;
  r->left -= n;
  *out = s;
  if (len) *len = n;
  return true;
}

static bool get_str(Rd *r, const char **out) {
  return get_str_len(r, out, NULL, false);
}

/* A table's entry count, which must fit in what is left at min_size bytes
 * an entry. */
static bool get_count(Rd *r, uint32_t *n, size_t min_size) {
  if (!get_u32(r, n)) return false;
  if (*n > r->left / min_size)
    return fail(r, "truncated metadata (%s: %u entries in %zu bytes)",
                r->what, *n, r->left);
  return true;
}

static bool map_index_ok(const BoObject *o, uint32_t i) {
  return o->nmaps ? i < o->nmaps : i == 0;
}

/* Reads the metadata; *user_off gets each user program's byte offset in
 * .ctap.user (by program index). */
static bool read_meta(Rd *r, BoObject *o, uint32_t **user_off) {
  r->what = "header";
  if (r->left < 8 || memcmp(r->p, BO_META_MAGIC, 8))
    return fail(r, "not a ctap object (bad %s magic)", BO_META_SECTION);
  r->p += 8;
  r->left -= 8;
  uint32_t version, reserved;
  if (!get_u32(r, &version) || !get_u32(r, &reserved)) return false;
  if (version != BO_FORMAT_VERSION)
    return fail(r, ".bo format version %u, but this staprun reads version %d",
                version, BO_FORMAT_VERSION);
  if (reserved) return fail(r, "corrupt metadata (header)");

  r->what = "object";
  BoLimits *l = &o->limits;
  if (!get_str(r, &o->name) || !get_str(r, &o->release) ||
      !get_u32(r, &l->maxstringlen) || !get_u32(r, &l->maxmapentries) ||
      !get_u32(r, &l->maxaction) || !get_u32(r, &l->maxnesting) ||
      !get_u32(r, &l->maxerrors) || !get_u32(r, &l->maxskipped) ||
      !get_u32(r, &l->ringbuf_size) || !get_u32(r, &o->globals_map) ||
      !get_u32(r, &o->ringbuf_map) || !get_u32(r, &o->scratch_map) ||
      !get_u32(r, &o->scratch_size))
    return false;

  r->what = "file table";
  if (!get_count(r, &o->nfiles, 4)) return false;
  o->files = alloc_array(r, o->nfiles, sizeof *o->files);
  for (uint32_t i = 0; i < o->nfiles; i++)
    if (!get_str(r, &o->files[i])) return false;

  r->what = "map table";
  if (!get_count(r, &o->nmaps, 28)) return false;
  o->maps = alloc_array(r, o->nmaps, sizeof *o->maps);
  for (uint32_t i = 0; i < o->nmaps; i++) {
    BoMap *m = &o->maps[i];
    const char *init;
    uint32_t init_len;
    if (!get_str(r, &m->name) || !get_u32(r, &m->type) ||
        !get_u32(r, &m->key_size) || !get_u32(r, &m->value_size) ||
        !get_u32(r, &m->max_entries) || !get_u32(r, &m->flags) ||
        !get_str_len(r, &init, &init_len, true))
      return false;
    if (!m->name || !*m->name) return fail(r, "map %u has no name", i);
    if (init && (init_len != m->value_size || m->type != BPF_MAP_TYPE_ARRAY ||
                 m->key_size != 4 || m->max_entries < 1))
      return fail(r, "corrupt metadata (map %u: an initial value of %u bytes for a value "
                     "of %u)", i, init_len, m->value_size);
    m->init = init;
  }
  if (!map_index_ok(o, o->globals_map) || !map_index_ok(o, o->ringbuf_map) ||
      !map_index_ok(o, o->scratch_map))
    return fail(r, "globals, ring buffer or scratch map index out of range "
                   "(%u, %u, %u; %u maps)", o->globals_map, o->ringbuf_map,
                o->scratch_map, o->nmaps);

  r->what = "program table";
  if (!get_count(r, &o->nprogs, 17)) return false;
  o->progs = alloc_array(r, o->nprogs, sizeof *o->progs);
  uint32_t *loc = alloc_array(r, o->nprogs, sizeof *loc);
  *user_off = loc;
  for (uint32_t i = 0; i < o->nprogs; i++) {
    BoProg *p = &o->progs[i];
    r->what = "program table";
    if (!get_str(r, &p->name) || !get_str(r, &p->section) ||
        !get_u32(r, &p->type) || !get_flag(r, &p->user))
      return false;
    if (p->user) {
      if (!get_u32(r, &loc[i]) || !get_u32(r, &p->ninsns)) return false;
    } else if (!p->name || !*p->name || !p->section || !*p->section) {
      return fail(r, "kernel program %u has no name or section", i);
    }
    r->what = "line table";
    if (!get_count(r, &p->nlines, 16)) return false;
    p->lines = alloc_array(r, p->nlines, sizeof *p->lines);
    for (uint32_t j = 0; j < p->nlines; j++) {
      BoLine *ln = &p->lines[j];
      if (!get_u32(r, &ln->insn) || !get_u32(r, &ln->file) ||
          !get_u32(r, &ln->line) || !get_u32(r, &ln->col))
        return false;
    }
    r->what = "CO-RE relocations";
    if (!get_count(r, &p->ncore, 12)) return false;
    if (p->user && p->ncore) return fail(r, "user program %u has CO-RE relocations", i);
    p->core = alloc_array(r, p->ncore, sizeof *p->core);
    for (uint32_t j = 0; j < p->ncore; j++) {
      BoCoreReloc *c = &p->core[j];
      if (!get_u32(r, &c->insn) || !get_u32(r, &c->type) || !get_u32(r, &c->member))
        return false;
    }
  }

  r->what = "probe table";
  if (!get_count(r, &o->nprobes, 68)) return false;
  o->probes = alloc_array(r, o->nprobes, sizeof *o->probes);
  for (uint32_t i = 0; i < o->nprobes; i++) {
    BoProbe *p = &o->probes[i];
    if (!get_u32(r, &p->kind) || !get_u32(r, &p->prog) ||
        !get_u32(r, &p->flags) || !get_str(r, &p->point) ||
        !get_str(r, &p->target) || !get_str(r, &p->symbol) ||
        !get_u64(r, &p->offset) || !get_i64(r, &p->period) ||
        !get_i64(r, &p->randomize) || !get_i64(r, &p->sequence) ||
        !get_u32(r, &p->perf_type) || !get_u64(r, &p->perf_config))
      return false;
    if (p->kind > BO_FENTRY)
      return fail(r, "probe %u: unknown kind %u", i, p->kind);
    if (p->prog >= o->nprogs)
      return fail(r, "probe %u: program %u out of range (%u programs)", i,
                  p->prog, o->nprogs);
    /* begin, end and error probes may also run in the kernel (bo.h) */
    bool user = p->kind <= BO_TIMER;
    if (o->progs[p->prog].user != user && p->kind != BO_BEGIN && p->kind != BO_END &&
        p->kind != BO_ERROR)
      return fail(r, "probe %u: a %s probe on %s program %u", i,
                  user ? "user" : "kernel", user ? "kernel" : "user", p->prog);
  }

  r->what = "global table";
  if (!get_count(r, &o->nglobals, 111)) return false;
  o->globals = alloc_array(r, o->nglobals, sizeof *o->globals);
  for (uint32_t i = 0; i < o->nglobals; i++) {
    BoGlobal *g = &o->globals[i];
    if (!get_str(r, &g->name) || !get_u32(r, &g->type) ||
        !get_u32(r, &g->arity) || !need(r, sizeof g->index))
      return false;
    memcpy(g->index, r->p, sizeof g->index);
    r->p += sizeof g->index;
    r->left -= sizeof g->index;
    for (size_t j = 0; j < 9; j++)
      if (!get_u32(r, &g->index_size[j])) return false;
    if (!get_u32(r, &g->map) || !get_u32(r, &g->offset) ||
        !get_flag(r, &g->wrap) || !get_u32(r, &g->max_entries) ||
        !get_flag(r, &g->has_init) || !get_i64(r, &g->init_num) ||
        !get_str(r, &g->init_str) || !get_u32(r, &g->hist) ||
        !get_i64(r, &g->hist_lo) || !get_i64(r, &g->hist_hi) ||
        !get_i64(r, &g->hist_step))
      return false;
    if (g->arity > 9)
      return fail(r, "global %u: arity %u (at most 9)", i, g->arity);
    if (g->map >= o->nmaps)
      return fail(r, "global %u: map %u out of range (%u maps)", i, g->map,
                  o->nmaps);
    const char *why = bo_global_key_check(o, g);
    if (why) return fail(r, "global %u: %s", i, why);
  }

  r->what = "format table";
  if (!get_count(r, &o->nformats, 4)) return false;
  o->formats = alloc_array(r, o->nformats, sizeof *o->formats);
  o->format_lens = alloc_array(r, o->nformats, sizeof *o->format_lens);
  for (uint32_t i = 0; i < o->nformats; i++)
    if (!get_str_len(r, &o->formats[i], &o->format_lens[i], true)) return false;

  r->what = "site table";
  if (!get_count(r, &o->nsites, 4)) return false;
  o->sites = alloc_array(r, o->nsites, sizeof *o->sites);
  for (uint32_t i = 0; i < o->nsites; i++)
    if (!get_str(r, &o->sites[i].text)) return false;

  r->what = "CO-RE types";
  if (!get_count(r, &o->ncore_types, 13)) return false;
  o->core_types = alloc_array(r, o->ncore_types, sizeof *o->core_types);
  for (uint32_t i = 0; i < o->ncore_types; i++) {
    BoCoreType *t = &o->core_types[i];
    if (!get_str(r, &t->name) || !get_flag(r, &t->is_union) || !get_u32(r, &t->size) ||
        !get_count(r, &t->nmembers, 25))
      return false;
    if (!t->name || !*t->name) return fail(r, "CO-RE type %u has no name", i);
    t->members = alloc_array(r, t->nmembers, sizeof *t->members);
    for (uint32_t j = 0; j < t->nmembers; j++) {
      BoCoreMember *m = &t->members[j];
      if (!get_str(r, &m->name) || !get_u32(r, &m->offset) || !get_u32(r, &m->kind) ||
          !get_flag(r, &m->is_signed) || !get_u32(r, &m->size) || !get_u32(r, &m->type) ||
          !get_u32(r, &m->nelems))
        return false;
      if (!m->name || !*m->name || m->kind > BO_CORE_ARRAY)
        return fail(r, "CO-RE type %u (%s): member %u is invalid", i, t->name, j);
    }
  }
  for (uint32_t i = 0; i < o->ncore_types; i++)
    for (uint32_t j = 0; j < o->core_types[i].nmembers; j++) {
      const BoCoreMember *m = &o->core_types[i].members[j];
      if (m->kind == BO_CORE_STRUCT && m->type >= o->ncore_types)
        return fail(r, "CO-RE type %u: member %u names type %u (%u types)", i, j, m->type,
                    o->ncore_types);
    }
  for (uint32_t i = 0; i < o->nprogs; i++)
    for (uint32_t j = 0; j < o->progs[i].ncore; j++) {
      const BoCoreReloc *c = &o->progs[i].core[j];
      if (c->type >= o->ncore_types || c->member >= o->core_types[c->type].nmembers)
        return fail(r, "program %u: CO-RE relocation %u names type %u member %u, which "
                       "does not exist", i, j, c->type, c->member);
    }

  if (r->left)
    return fail(r, "corrupt metadata (%zu bytes after the CO-RE types)",
                r->left);
  return true;
}

/* ---- programs ------------------------------------------------------------- */

static bool read_user_prog(Rd *r, BoProg *p, uint32_t i, uint32_t offset,
                           long user_sec) {
  const unsigned char *data = NULL;
  size_t size = 0;
  if (user_sec > 0 && !sec_bytes(r, (uint32_t)user_sec, &data, &size))
    return false;
  if (user_sec <= 0 && p->ninsns)
    return fail(r, "user program %u (%s): no %s section", i,
                p->name ? p->name : "", BO_USER_SECTION);
  if (offset % 8 || offset > size || (size - offset) / 8 < p->ninsns)
    return fail(r, "user program %u (%s): instructions %u..+%u run past the "
                   "end of %s (%zu bytes)", i, p->name ? p->name : "",
                offset, p->ninsns, BO_USER_SECTION, size);
  if (!consume(r, (uint64_t)p->ninsns * 8, i)) return false;
  p->insns = alloc_array(r, p->ninsns, sizeof *p->insns);
  for (uint32_t k = 0; k < p->ninsns; k++)
    p->insns[k] = get_insn(data + offset + (size_t)k * 8);
  return true;
}

/* The map a symbol stands for, by symbol index: -1 if none.  A map's
 * symbol is an object in ".maps" named as the map. */
static int32_t *map_symbols(Rd *r, const BoObject *o) {
  int32_t *m = xmalloc((r->nsyms ? r->nsyms : 1) * sizeof *m);
  for (size_t i = 0; i < r->nsyms; i++) {
    m[i] = -1;
    Sym s = get_sym(r, i);
    if (!s.name || s.type != STT_OBJECT || s.shndx >= r->shnum) continue;
    const char *sec = sec_name(r, s.shndx);
    if (!sec || strcmp(sec, ".maps")) continue;
    for (uint32_t j = 0; j < o->nmaps; j++)
      if (!strcmp(o->maps[j].name, s.name)) {
        m[i] = (int32_t)j;
        break;
      }
  }
  return m;
}

static bool read_relocs(Rd *r, BoProg *p, uint32_t i, uint32_t shndx,
                        uint64_t start, const int32_t *sym_map) {
  /* Count, then fill: the relocations of every SHT_REL section that
   * applies to shndx that fall in this program (a section holds the
   * programs of the same section name, each at its symbol). */
  uint64_t end = start + (uint64_t)p->ninsns * 8;
  size_t total = 0;
  for (uint32_t s = 1; s < r->shnum; s++) {
    if (r->sh[s].type != SHT_REL || r->sh[s].info != shndx) continue;
    const unsigned char *d;
    size_t n;
    if (!sec_bytes(r, s, &d, &n)) return false;
    if (r->sh[s].entsize != sizeof(Elf64_Rel) || n % sizeof(Elf64_Rel))
      return fail(r, "corrupt relocation section %u (entry size %llu, size "
                     "%zu)", s, (unsigned long long)r->sh[s].entsize, n);
    for (size_t e = 0; e < n / sizeof(Elf64_Rel); e++) {
      uint64_t off = le64(d + e * 16);
      if (off >= start && off < end) total++;
    }
  }
  if (total > UINT32_MAX) return fail(r, "too many relocations");
  if (!consume(r, (uint64_t)total * sizeof(Elf64_Rel), i)) return false;
  p->nrelocs = (uint32_t)total;
  p->relocs = alloc_array(r, total, sizeof *p->relocs);
  size_t k = 0;
  for (uint32_t s = 1; s < r->shnum; s++) {
    if (r->sh[s].type != SHT_REL || r->sh[s].info != shndx) continue;
    const unsigned char *d;
    size_t n;
    if (!sec_bytes(r, s, &d, &n)) return false;
    for (size_t e = 0; e < n / sizeof(Elf64_Rel); e++) {
      uint64_t off = le64(d + e * 16), info = le64(d + e * 16 + 8);
      uint32_t type = (uint32_t)ELF64_R_TYPE(info);
      uint64_t sym = ELF64_R_SYM(info);
      if (off >= r->sh[shndx].size || off % 8)
        return fail(r, "kernel program %u (%s): relocation %zu at offset "
                       "%llu past the end of the program (%u instructions)",
                    i, p->name, k, (unsigned long long)off, p->ninsns);
      if (off < start || off >= end) continue; /* another program's */
      if (type != R_BPF_64_64)
        return fail(r, "kernel program %u (%s): relocation %zu has "
                       "unsupported type %u", i, p->name, k, type);
      if (off < start || (off - start) % 8 ||
          (off - start) / 8 >= p->ninsns ||
          p->ninsns - (off - start) / 8 < 2)
        return fail(r, "kernel program %u (%s): relocation %zu at offset "
                       "%llu past the end of the program (%u instructions)",
                    i, p->name, k, (unsigned long long)off, p->ninsns);
      uint32_t insn = (uint32_t)((off - start) / 8);
      if (p->insns[insn].code != BO_LD_IMM64)
        return fail(r, "kernel program %u (%s): relocation %zu at "
                       "instruction %u, which is not a ld_imm64", i, p->name,
                    k, insn);
      /* a loop body's address (a static function in .text): libbpf's */
      if (p->insns[insn].src_reg == BPF_PSEUDO_FUNC) {
        p->nrelocs--;
        continue;
      }
      if (sym >= r->nsyms || sym_map[sym] < 0)
        return fail(r, "kernel program %u (%s): relocation %zu against "
                       "symbol %llu, which is not a map", i, p->name, k,
                    (unsigned long long)sym);
      p->relocs[k].insn = insn;
      p->relocs[k].map = (uint32_t)sym_map[sym];
      k++;
    }
  }
  return true;
}

static bool read_kernel_prog(Rd *r, BoProg *p, uint32_t i,
                             const int32_t *sym_map) {
  size_t si;
  Sym s = {0};
  for (si = 1; si < r->nsyms; si++) {
    s = get_sym(r, si);
    if (s.type == STT_FUNC && s.name && !strcmp(s.name, p->name)) break;
  }
  if (si >= r->nsyms)
    return fail(r, "kernel program %u (%s): no symbol", i, p->name);
  if (s.shndx == SHN_UNDEF || s.shndx >= r->shnum)
    return fail(r, "kernel program %u (%s): symbol in section %u, out of "
                   "range", i, p->name, s.shndx);
  const Shdr *sh = &r->sh[s.shndx];
  const char *name = sec_name(r, s.shndx);
  if (sh->type != SHT_PROGBITS || !(sh->flags & SHF_EXECINSTR) || !name)
    return fail(r, "kernel program %u (%s): symbol in section %u, which is "
                   "not a program section", i, p->name, s.shndx);
  if (strcmp(name, p->section))
    return fail(r, "kernel program %u (%s): in section %s, but the metadata "
                   "says %s", i, p->name, name, p->section);
  const unsigned char *data;
  size_t size;
  if (!sec_bytes(r, s.shndx, &data, &size)) return false;
  if (s.value > size || s.size > size - s.value || s.value % 8 ||
      s.size % 8 || !s.size || s.size / 8 > UINT32_MAX)
    return fail(r, "kernel program %u (%s): instructions at %llu..+%llu do "
                   "not fit section %s (%zu bytes)", i, p->name,
                (unsigned long long)s.value, (unsigned long long)s.size, name,
                size);
  p->ninsns = (uint32_t)(s.size / 8);
  if (!consume(r, s.size, i)) return false;
  p->insns = alloc_array(r, p->ninsns, sizeof *p->insns);
  for (uint32_t k = 0; k < p->ninsns; k++)
    p->insns[k] = get_insn(data + s.value + (size_t)k * 8);
  return read_relocs(r, p, i, s.shndx, s.value, sym_map);
}

static bool check_lines(Rd *r, const BoObject *o) {
  for (uint32_t i = 0; i < o->nprogs; i++) {
    const BoProg *p = &o->progs[i];
    for (uint32_t j = 0; j < p->nlines; j++) {
      const BoLine *l = &p->lines[j];
      if (l->insn >= p->ninsns || (j && l->insn < p->lines[j - 1].insn))
        return fail(r, "program %u (%s): line entry %u at instruction %u out "
                       "of range or order (%u instructions)", i,
                    p->name ? p->name : "", j, l->insn, p->ninsns);
      if (l->file >= o->nfiles)
        return fail(r, "program %u (%s): line entry %u names file %u (%u "
                       "files)", i, p->name ? p->name : "", j, l->file,
                    o->nfiles);
    }
  }
  return true;
}

/* ---- entry points ---------------------------------------------------------- */

static bool read_all(Rd *r, BoObject *obj) {
  if (!read_elf(r)) return false;
  long meta = find_section(r, BO_META_SECTION);
  if (meta < 0) return false;
  if (meta == 0)
    return fail(r, "not a ctap object (no %s section)", BO_META_SECTION);
  long user = find_section(r, BO_USER_SECTION);
  if (user < 0) return false;
  if (!sec_bytes(r, (uint32_t)meta, &r->p, &r->left)) return false;
  uint32_t *user_off = NULL;
  if (!read_meta(r, obj, &user_off)) return false;

  bool kernel = false;
  for (uint32_t i = 0; i < obj->nprogs; i++) kernel |= !obj->progs[i].user;
  int32_t *sym_map = NULL;
  if (kernel) {
    if (!read_symtab(r)) return false;
    sym_map = map_symbols(r, obj);
  }
  bool ok = true;
  for (uint32_t i = 0; ok && i < obj->nprogs; i++) {
    BoProg *p = &obj->progs[i];
    ok = p->user ? read_user_prog(r, p, i, user_off[i], user)
                 : read_kernel_prog(r, p, i, sym_map);
  }
  free(sym_map);
  return ok && check_lines(r, obj);
}

bool bo_read(const char *path, BoObject *obj, const char **err) {
  memset(obj, 0, sizeof *obj);
  Rd r = {.path = path ? path : "(null)", .err = err};
  if (!path) return fail(&r, "no file name");
  Arena *a = xmalloc(sizeof *a);
  arena_init(a);
  r.a = a;
  unsigned char *file = NULL;
  bool ok = read_file(&r, &file) && read_all(&r, obj);
  free(file);
  if (!ok) {
    arena_destroy(a);
    free(a);
    memset(obj, 0, sizeof *obj);
    return false;
  }
  obj->owner = a;
  return true;
}

void bo_free(BoObject *obj) {
  if (!obj) return;
  Arena *a = obj->owner;
  if (a) {
    arena_destroy(a);
    free(a);
  }
  memset(obj, 0, sizeof *obj);
}
