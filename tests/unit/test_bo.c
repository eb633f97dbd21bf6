/* Unit tests of the .bo artifact (src/bpf/bo.h): bo_write then bo_read
 * gives back every field; libbpf opens the object and, as root, loads it
 * into the kernel; bo_read rejects every kind of bad input with a message
 * naming the file, and survives every truncation and many single-byte
 * corruptions of a valid file (run under ASan/UBSan). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/syscall.h>

#include <bpf/libbpf.h>

#include "bpf/bo.h"

#define UNIT "bo"
#include "unit.h"

static char dir[64];

static void skip(const char *name, const char *why) {
  printf("SKIP: unit/bo/%s (%s)\n", name, why);
}

static void detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void detail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("    ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
}

static const char *tmp_path(const char *name) {
  static char buf[8][512];
  static int k;
  char *p = buf[k++ % 8];
  snprintf(p, 512, "%s/%s", dir, name);
  return p;
}

/* ---- building objects --------------------------------------------------- */

#define INSN_INIT(c, d, s, o, i) \
  {.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)}
#define INSN(c, d, s, o, i) ((struct bpf_insn)INSN_INIT(c, d, s, o, i))

/* A kernel program: for each map in maps[], r1 = map (ld_imm64 with a
 * relocation), then a lookup of key 0 (u32 at fp-4) storing 0x5a in the
 * first 8 bytes of the value if there is one, or for a ring buffer
 * bpf_ringbuf_output of 8 zero bytes at fp-16; then r0 = 0, exit. */
typedef struct ProgBuf {
  struct bpf_insn insns[64];
  BoReloc relocs[8];
} ProgBuf;

static void lookup_prog(BoProg *p, ProgBuf *b, const BoObject *o,
                        const uint32_t *maps, uint32_t nmaps) {
  uint32_t n = 0;
  b->insns[n++] = INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0);
  b->insns[n++] = INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, -16, 0);
  for (uint32_t i = 0; i < nmaps; i++) {
    b->relocs[i] = (BoReloc){.insn = n, .map = maps[i]};
    b->insns[n++] = INSN(BPF_LD | BPF_IMM | BPF_DW, BPF_REG_1, 0, 0, 0);
    b->insns[n++] = INSN(0, 0, 0, 0, 0);
    b->insns[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
    if (o->maps[maps[i]].type == BPF_MAP_TYPE_RINGBUF) {
      b->insns[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -16);
      b->insns[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, 8);
      b->insns[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 0);
      b->insns[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_output);
    } else {
      b->insns[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4);
      b->insns[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
      b->insns[n++] = INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 1, 0);
      b->insns[n++] = INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_0, 0, 0, 0x5a);
    }
  }
  b->insns[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
  b->insns[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  p->insns = b->insns;
  p->ninsns = n;
  p->relocs = b->relocs;
  p->nrelocs = nmaps;
}

/* A user program: r1 = map 2 by index, r0 = 7, exit. */
static struct bpf_insn user_insns[] = {
    INSN_INIT(BPF_LD | BPF_IMM | BPF_DW, BPF_REG_1, BO_PSEUDO_MAP_IDX, 0, 2),
    INSN_INIT(0, 0, 0, 0, 0),
    INSN_INIT(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 7),
    INSN_INIT(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
};
static struct bpf_insn user_insns2[] = {
    INSN_INIT(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, -3, -1),
    INSN_INIT(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_9, -8, 0),
    INSN_INIT(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
};

/* An array's initial value (constant data such as regex automata),
 * with a NUL inside: it is bytes, not a string. */
static const char full_init[64] = "initial\0value of an array map";

static BoMap full_maps[] = {
    {"globals", BPF_MAP_TYPE_ARRAY, 4, 64, 1, 0, NULL},
    {"out", BPF_MAP_TYPE_RINGBUF, 0, 0, 1 << 16, 0, NULL},
    {"scratch", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 256, 1, 0, NULL},
    {"arr_x", BPF_MAP_TYPE_HASH, 104, 8, 2048, BPF_F_NO_PREALLOC, NULL},
    {"stat_y", BPF_MAP_TYPE_PERCPU_HASH, 24, 64, 100, 0, NULL},
    {"lru_z", BPF_MAP_TYPE_LRU_HASH, 4, 8, 128, 0, NULL},
    {"const_w", BPF_MAP_TYPE_ARRAY, 4, 64, 1, BPF_F_RDONLY_PROG, full_init},
};

static const char fmt0[] = "a%db\0c%s\n";         /* 9 bytes, a NUL inside */
static const char fmt3[] = "\xff\x00\x80\x01\x00"; /* 5 bytes, any bytes */
static const char *full_formats[] = {fmt0, "", NULL, fmt3, "x"};
static uint32_t full_format_lens[] = {9, 0, 0, 5, 1};
static const char *full_files[] = {"a.stp", "/usr/share/tapset/b.stp", ""};
static BoSite full_sites[] = {{"near operator '/' at a.stp:1:2"}, {""}, {NULL}};

static BoLine lines0[] = {{0, 0, 1, 1}, {2, 1, 3, 4}, {2, 2, 5, 6}};
static BoLine lines1[] = {{0, 1, 10, 2}, {4, 0, 11, 3}};

typedef struct Full {
  BoObject o;
  BoProg progs[7];
  ProgBuf bufs[7];
  BoProbe probes[BO_PROCESS_END + 1];
  BoGlobal globals[3];
} Full;

static void make_full(Full *f) {
  memset(f, 0, sizeof *f);
  BoObject *o = &f->o;
  o->name = "stap_0123abcd";
  o->release = "6.18.44-fc-v657";
  o->limits = (BoLimits){128, 2048, 1000, 10, 3, 100, 1 << 16};
  o->maps = full_maps;
  o->nmaps = 7;
  o->globals_map = 0;
  o->ringbuf_map = 1;
  o->scratch_map = 2;
  o->scratch_size = 1024;
  o->files = full_files;
  o->nfiles = 3;
  o->formats = full_formats;
  o->format_lens = full_format_lens;
  o->nformats = 5;
  o->sites = full_sites;
  o->nsites = 3;

  static const struct {
    const char *name, *section;
    uint32_t type;
  } kp[] = {
      {"probe_1", "tracepoint/syscalls/sys_enter_getpid",
       BPF_PROG_TYPE_TRACEPOINT},
      {"probe_2", "raw_tracepoint/sys_enter", BPF_PROG_TYPE_RAW_TRACEPOINT},
      {"probe_4", "perf_event", BPF_PROG_TYPE_PERF_EVENT},
      {"probe_5", "uprobe", BPF_PROG_TYPE_KPROBE},
      {"probe_6", "kprobe/vfs_read", BPF_PROG_TYPE_KPROBE},
  };
  static const uint32_t mapsets[][3] = {{0, 3, 1}, {2, 4, 5}, {0}, {1}, {5}};
  static const uint32_t nmapsets[] = {3, 3, 1, 1, 1};
  o->progs = f->progs;
  o->nprogs = 7;
  f->progs[0] = (BoProg){.name = "user_0", .section = "", .user = true,
                         .insns = user_insns, .ninsns = 4, .lines = lines0,
                         .nlines = 3};
  f->progs[3] = (BoProg){.name = "user_3", .section = NULL, .user = true,
                         .insns = user_insns2, .ninsns = 3};
  for (int i = 0, k = 0; i < 7; i++) {
    if (i == 0 || i == 3) continue;
    BoProg *p = &f->progs[i];
    p->name = kp[k].name;
    p->section = kp[k].section;
    p->type = kp[k].type;
    lookup_prog(p, &f->bufs[i], o, mapsets[k], nmapsets[k]);
    if (i == 1) {
      p->lines = lines1;
      p->nlines = 2;
    }
    k++;
  }

  o->probes = f->probes;
  o->nprobes = BO_PROCESS_END + 1; /* one probe of every kind */
  for (uint32_t k = 0; k < o->nprobes; k++) {
    BoProbe *p = &f->probes[k];
    p->kind = k;
    static const uint32_t kernel_progs[] = {1, 2, 4, 5, 6};
    p->prog = k <= BO_TIMER ? (k % 2 ? 3 : 0) : kernel_progs[k % 5];
    p->flags = k % 4;
    p->point = k == 0 ? "MARKPOINT" : k == 1 ? "" : k == 2 ? NULL : "timer.s(1)";
    p->target = k % 3 == 0 ? NULL : k % 3 == 1 ? "" : "/bin/ls";
    p->symbol = k % 2 ? "main" : NULL;
    p->offset = 0x1122334455667788ull + k;
    p->period = -1000000000ll * k;
    p->randomize = 5 + k;
    p->sequence = -(int64_t)k;
    p->perf_type = 100 + k;
    p->perf_config = 0xffffffffffffff00ull | k;
  }

  o->globals = f->globals;
  o->nglobals = 3;
  f->globals[0] = (BoGlobal){.name = "count", .type = BO_LONG, .map = 0,
                             .offset = 32, .has_init = true, .init_num = -42,
                             .init_str = NULL};
  f->globals[1] = (BoGlobal){.name = "arr_x", .type = BO_STRING, .arity = 9,
                             .index = {1, 2, 1, 2, 1, 2, 1, 2, 1},
                             .index_size = {8, 16, 8, 16, 8, 16, 8, 16, 8}, .map = 3,
                             .wrap = true, .max_entries = 2048,
                             .has_init = true, .init_str = ""};
  f->globals[2] = (BoGlobal){.name = "stat_y", .type = BO_STATS, .arity = 2,
                             .index = {2, 1}, .index_size = {16, 8}, .map = 4,
                             .max_entries = 100,
                             .init_str = "hello", .hist = 2, .hist_lo = -5,
                             .hist_hi = 500, .hist_step = 7};
}

/* ---- comparing ------------------------------------------------------------ */

static char why[512];

static bool differ(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool differ(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  return false;
}

static bool same_str(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return !strcmp(a, b);
}

#define SAME(cond, ...)                  \
  do {                                   \
    if (!(cond)) return differ(__VA_ARGS__); \
  } while (0)

static bool same_obj(const BoObject *a, const BoObject *b) {
  SAME(same_str(a->name, b->name), "name");
  SAME(same_str(a->release, b->release), "release");
  SAME(!memcmp(&a->limits, &b->limits, sizeof a->limits), "limits");
  SAME(a->globals_map == b->globals_map && a->ringbuf_map == b->ringbuf_map &&
           a->scratch_map == b->scratch_map &&
           a->scratch_size == b->scratch_size,
       "map indices / scratch size");
  SAME(a->nfiles == b->nfiles, "nfiles");
  for (uint32_t i = 0; i < a->nfiles; i++)
    SAME(same_str(a->files[i], b->files[i]), "file %u", i);
  SAME(a->nmaps == b->nmaps, "nmaps");
  for (uint32_t i = 0; i < a->nmaps; i++) {
    const BoMap *x = &a->maps[i], *y = &b->maps[i];
    SAME(same_str(x->name, y->name) && x->type == y->type &&
             x->key_size == y->key_size && x->value_size == y->value_size &&
             x->max_entries == y->max_entries && x->flags == y->flags &&
             !x->init == !y->init && (!x->init || !memcmp(x->init, y->init, x->value_size)),
         "map %u", i);
  }
  SAME(a->nprogs == b->nprogs, "nprogs");
  for (uint32_t i = 0; i < a->nprogs; i++) {
    const BoProg *x = &a->progs[i], *y = &b->progs[i];
    SAME(same_str(x->name, y->name), "prog %u name", i);
    SAME(same_str(x->section, y->section), "prog %u section", i);
    SAME(x->type == y->type && x->user == y->user, "prog %u type/user", i);
    SAME(x->ninsns == y->ninsns, "prog %u ninsns %u vs %u", i, x->ninsns,
         y->ninsns);
    SAME(!x->ninsns ||
             !memcmp(x->insns, y->insns, x->ninsns * sizeof *x->insns),
         "prog %u insns", i);
    SAME(x->nrelocs == y->nrelocs, "prog %u nrelocs", i);
    SAME(!x->nrelocs ||
             !memcmp(x->relocs, y->relocs, x->nrelocs * sizeof *x->relocs),
         "prog %u relocs", i);
    SAME(x->nlines == y->nlines, "prog %u nlines", i);
    SAME(!x->nlines ||
             !memcmp(x->lines, y->lines, x->nlines * sizeof *x->lines),
         "prog %u lines", i);
  }
  SAME(a->nprobes == b->nprobes, "nprobes");
  for (uint32_t i = 0; i < a->nprobes; i++) {
    const BoProbe *x = &a->probes[i], *y = &b->probes[i];
    SAME(x->kind == y->kind && x->prog == y->prog && x->flags == y->flags,
         "probe %u kind/prog/flags", i);
    SAME(same_str(x->point, y->point) && same_str(x->target, y->target) &&
             same_str(x->symbol, y->symbol),
         "probe %u strings", i);
    SAME(x->offset == y->offset && x->period == y->period &&
             x->randomize == y->randomize && x->sequence == y->sequence &&
             x->perf_type == y->perf_type && x->perf_config == y->perf_config,
         "probe %u numbers", i);
  }
  SAME(a->nglobals == b->nglobals, "nglobals");
  for (uint32_t i = 0; i < a->nglobals; i++) {
    const BoGlobal *x = &a->globals[i], *y = &b->globals[i];
    SAME(same_str(x->name, y->name) && same_str(x->init_str, y->init_str),
         "global %u strings", i);
    SAME(x->type == y->type && x->arity == y->arity &&
             !memcmp(x->index, y->index, sizeof x->index) &&
             !memcmp(x->index_size, y->index_size, sizeof x->index_size) && x->map == y->map &&
             x->offset == y->offset && x->wrap == y->wrap &&
             x->max_entries == y->max_entries && x->has_init == y->has_init &&
             x->init_num == y->init_num && x->hist == y->hist &&
             x->hist_lo == y->hist_lo && x->hist_hi == y->hist_hi &&
             x->hist_step == y->hist_step,
         "global %u fields", i);
  }
  SAME(a->nformats == b->nformats, "nformats");
  for (uint32_t i = 0; i < a->nformats; i++) {
    SAME((a->formats[i] == NULL) == (b->formats[i] == NULL), "format %u NULL",
         i);
    SAME(a->format_lens[i] == b->format_lens[i], "format %u length", i);
    SAME(!a->formats[i] ||
             !memcmp(a->formats[i], b->formats[i], a->format_lens[i]),
         "format %u bytes", i);
  }
  SAME(a->nsites == b->nsites, "nsites");
  for (uint32_t i = 0; i < a->nsites; i++)
    SAME(same_str(a->sites[i].text, b->sites[i].text), "site %u", i);
  return true;
}

/* ---- files -------------------------------------------------------------- */

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
  *len = fread(b, 1, (size_t)n, f);
  fclose(f);
  return b;
}

static void spit(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    exit(2);
  }
  if (len) fwrite(data, 1, len, f);
  fclose(f);
}

/* File offset and size of the named section, through libelf. */
static bool section_at(const char *path, const char *name, size_t *off,
                       size_t *size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return false;
  Elf *e = elf_begin(fd, ELF_C_READ, NULL);
  size_t shstrndx;
  bool found = false;
  if (e && !elf_getshdrstrndx(e, &shstrndx)) {
    for (Elf_Scn *s = NULL; (s = elf_nextscn(e, s));) {
      GElf_Shdr sh;
      if (!gelf_getshdr(s, &sh)) continue;
      const char *n = elf_strptr(e, shstrndx, sh.sh_name);
      if (n && !strcmp(n, name)) {
        *off = sh.sh_offset;
        *size = sh.sh_size;
        found = true;
        break;
      }
    }
  }
  if (e) elf_end(e);
  close(fd);
  return found;
}

static void put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* bo_read of path fails with a message naming the file and holding want. */
static bool rejects(const char *path, const char *want) {
  BoObject o;
  const char *err = NULL;
  if (bo_read(path, &o, &err)) {
    bo_free(&o);
    detail("%s: accepted", path);
    return false;
  }
  bool ok = err && strstr(err, path) && strstr(err, want);
  detail("%s", err ? err : "(no message)");
  if (!ok) detail("wanted a message with \"%s\"", want);
  return ok && o.nprogs == 0 && o.owner == NULL;
}

/* A copy of good with len bytes at off replaced, written to name: bo_read
 * must reject it saying want. */
static bool rejects_patch(const unsigned char *good, size_t n, size_t off,
                          const void *bytes, size_t len, const char *want) {
  const char *path = tmp_path("patched.bo");
  unsigned char *b = malloc(n);
  memcpy(b, good, n);
  if (off + len > n) {
    free(b);
    detail("patch offset out of range");
    return false;
  }
  memcpy(b + off, bytes, len);
  spit(path, b, n);
  free(b);
  return rejects(path, want);
}

static size_t find_bytes(const unsigned char *h, size_t n, const void *needle,
                         size_t len) {
  const unsigned char *p = memmem(h, n, needle, len);
  return p ? (size_t)(p - h) : (size_t)-1;
}

/* ---- tests -------------------------------------------------------------- */

static void test_roundtrip(void) {
  Full f;
  make_full(&f);
  const char *path = tmp_path("full.bo");
  const char *err = NULL;
  bool w = bo_write(&f.o, path, &err);
  if (!w) detail("bo_write: %s", err);
  BoObject r;
  bool ok = w && bo_read(path, &r, &err);
  if (w && !ok) detail("bo_read: %s", err);
  bool same = ok && same_obj(&f.o, &r);
  if (ok && !same) detail("differs: %s", why);
  check("roundtrip-full", same);
  check("roundtrip-formats-with-nul",
        ok && r.nformats == 5 && r.format_lens[0] == 9 &&
            !memcmp(r.formats[0], fmt0, 9) && r.format_lens[3] == 5 &&
            !memcmp(r.formats[3], fmt3, 5) && r.formats[2] == NULL &&
            r.formats[1] && r.formats[1][0] == 0);
  check("roundtrip-null-vs-empty",
        ok && r.progs[0].section && !*r.progs[0].section &&
            !r.progs[3].section && r.probes[1].point && !*r.probes[1].point &&
            !r.probes[2].point && !r.globals[0].init_str &&
            r.globals[1].init_str && !*r.globals[1].init_str &&
            !r.sites[2].text && r.sites[1].text && !*r.sites[1].text);
  check("roundtrip-kernel-insns-and-relocs",
        ok && r.progs[1].nrelocs == 3 && r.progs[1].relocs[2].map == 1 &&
            r.progs[1].insns[r.progs[1].relocs[0].insn].code ==
                (BPF_LD | BPF_IMM | BPF_DW));
  if (ok) bo_free(&r);
  check("bo_free-zeroes", r.owner == NULL && r.nprogs == 0 && !r.progs);

  /* Writing again over an existing file replaces it. */
  f.o.name = "second";
  ok = bo_write(&f.o, path, &err) && bo_read(path, &r, &err);
  check("rewrite-replaces", ok && same_str(r.name, "second"));
  if (ok) bo_free(&r);

  /* The empty object. */
  BoObject e = {0};
  path = tmp_path("empty.bo");
  ok = bo_write(&e, path, &err) && bo_read(path, &r, &err);
  if (!ok) detail("%s", err);
  check("roundtrip-empty-object", ok && same_obj(&e, &r));
  if (ok) bo_free(&r);
}

static bool only_files(const char *const *names, int n) {
  DIR *d = opendir(dir);
  if (!d) return false;
  bool ok = true;
  for (struct dirent *de; (de = readdir(d));) {
    if (de->d_name[0] == '.') continue;
    bool known = false;
    for (int i = 0; i < n; i++) known |= !strcmp(de->d_name, names[i]);
    if (!known) {
      detail("unexpected file %s", de->d_name);
      ok = false;
    }
  }
  closedir(d);
  return ok;
}

static void test_write_errors(void) {
  Full f;
  make_full(&f);
  const char *err = NULL;
  f.bufs[1].relocs[1].insn = 1000;
  const char *path = tmp_path("bad.bo");
  bool w = bo_write(&f.o, path, &err);
  if (!w) detail("%s", err);
  check("write-rejects-reloc-past-end",
        !w && err && strstr(err, "past the end") && access(path, F_OK) != 0);
  make_full(&f);
  f.bufs[1].relocs[0].insn = 0; /* a store, not a ld_imm64 */
  w = bo_write(&f.o, path, &err);
  check("write-rejects-reloc-not-ld_imm64", !w && strstr(err, "ld_imm64"));
  make_full(&f);
  f.probes[4].prog = 0; /* a perf timer on a user program */
  w = bo_write(&f.o, path, &err);
  check("write-rejects-probe-on-wrong-program", !w);
  make_full(&f);
  f.progs[2].name = "probe_1";
  w = bo_write(&f.o, path, &err);
  check("write-rejects-duplicate-symbol", !w && strstr(err, "twice"));
  make_full(&f);
  f.globals[1].index_size[1] = 12; /* a string's width is whole words */
  w = bo_write(&f.o, path, &err);
  check("write-rejects-index-size", !w && strstr(err, "global 1: an index's size"));
  make_full(&f);
  f.globals[2].index_size[0] = 24; /* the indices no longer make the key */
  w = bo_write(&f.o, path, &err);
  check("write-rejects-key-size", !w && strstr(err, "global 2: its indices do not make"));
  make_full(&f);
  w = bo_write(&f.o, "/nonexistent-dir/x.bo", &err);
  if (!w) detail("%s", err);
  check("write-missing-directory",
        !w && strstr(err, "/nonexistent-dir/x.bo") && strstr(err, "No such"));
  static const char *const left[] = {"full.bo", "empty.bo"};
  check("write-failures-leave-no-files", only_files(left, 2));
}

static int quiet_print(enum libbpf_print_level level, const char *fmt,
                       va_list ap) {
  if (level != LIBBPF_WARN) return 0;
  printf("    libbpf: ");
  return vprintf(fmt, ap);
}

static void test_libbpf_open(void) {
  Full f;
  make_full(&f);
  const char *path = tmp_path("full.bo");
  const char *err;
  if (!bo_write(&f.o, path, &err)) {
    check("libbpf-open-file", 0);
    return;
  }
  struct bpf_object *obj = bpf_object__open_file(path, NULL);
  long e = libbpf_get_error(obj);
  check("libbpf-open-file", obj && !e);
  if (!obj || e) return;
  int nprog = 0, good = 0;
  struct bpf_program *p;
  bpf_object__for_each_program(p, obj) {
    nprog++;
    for (uint32_t i = 0; i < f.o.nprogs; i++) {
      const BoProg *bp = &f.o.progs[i];
      if (bp->user || strcmp(bp->name, bpf_program__name(p))) continue;
      bool ok = !strcmp(bpf_program__section_name(p), bp->section) &&
                bpf_program__type(p) == (enum bpf_prog_type)bp->type &&
                bpf_program__insn_cnt(p) == bp->ninsns;
      if (!ok)
        detail("program %s: section %s type %d insns %zu",
               bpf_program__name(p), bpf_program__section_name(p),
               bpf_program__type(p), bpf_program__insn_cnt(p));
      good += ok;
    }
  }
  check("libbpf-sees-programs", nprog == 5 && good == 5);
  int nmap = 0, mgood = 0;
  struct bpf_map *m;
  bpf_object__for_each_map(m, obj) {
    nmap++;
    for (uint32_t i = 0; i < f.o.nmaps; i++) {
      const BoMap *bm = &f.o.maps[i];
      if (strcmp(bm->name, bpf_map__name(m))) continue;
      bool ok = bpf_map__type(m) == (enum bpf_map_type)bm->type &&
                bpf_map__key_size(m) == bm->key_size &&
                bpf_map__value_size(m) == bm->value_size &&
                bpf_map__max_entries(m) == bm->max_entries &&
                bpf_map__map_flags(m) == bm->flags;
      if (!ok)
        detail("map %s: type %d key %u value %u max %u flags %u",
               bpf_map__name(m), bpf_map__type(m), bpf_map__key_size(m),
               bpf_map__value_size(m), bpf_map__max_entries(m),
               bpf_map__map_flags(m));
      mgood += ok;
    }
  }
  check("libbpf-sees-maps", nmap == 7 && mgood == 7);
  bpf_object__close(obj);

  size_t n;
  unsigned char *b = slurp(path, &n);
  obj = bpf_object__open_mem(b, n, NULL);
  e = libbpf_get_error(obj);
  check("libbpf-open-mem", obj && !e);
  if (obj && !e) bpf_object__close(obj);
  free(b);
}

static int on_record(void *ctx, void *data, size_t size) {
  (void)data;
  if (size == 8) ++*(int *)ctx;
  return 0;
}

/* Attach the load test's programs and make them run: the raw tracepoint
 * stores 0x5a in m_array[0]; the getpid tracepoint sends a record through
 * m_ringbuf. */
static void run_programs(struct bpf_object *obj) {
  struct bpf_program *raw = bpf_object__find_program_by_name(obj, "probe_raw");
  struct bpf_program *tp = bpf_object__find_program_by_name(obj, "probe_tp");
  struct bpf_map *arr = bpf_object__find_map_by_name(obj, "m_array");
  struct bpf_map *rb = bpf_object__find_map_by_name(obj, "m_ringbuf");
  if (!raw || !tp || !arr || !rb) {
    check("kernel-runs-programs", 0);
    return;
  }
  struct bpf_link *l1 = bpf_program__attach_raw_tracepoint(raw, "sys_enter");
  if (libbpf_get_error(l1)) {
    skip("kernel-runs-raw-tracepoint", "cannot attach to sys_enter");
    l1 = NULL;
  }
  struct bpf_link *l2 =
      bpf_program__attach_tracepoint(tp, "syscalls", "sys_enter_getpid");
  if (libbpf_get_error(l2)) {
    skip("kernel-runs-tracepoint", "cannot attach to sys_enter_getpid");
    l2 = NULL;
  }
  int records = 0;
  struct ring_buffer *ring =
      ring_buffer__new(bpf_map__fd(rb), on_record, &records, NULL);
  for (int i = 0; i < 3; i++) syscall(SYS_getpid);
  if (l1) {
    uint32_t key = 0;
    uint64_t value[8] = {0};
    int rc = bpf_map__lookup_elem(arr, &key, sizeof key, value, 64, 0);
    check("kernel-runs-raw-tracepoint", rc == 0 && value[0] == 0x5a);
  }
  if (l2) {
    if (ring) ring_buffer__consume(ring);
    if (records < 3) detail("%d ring buffer records", records);
    check("kernel-runs-tracepoint", ring && records >= 3);
  }
  ring_buffer__free(ring);
  bpf_link__destroy(l1);
  bpf_link__destroy(l2);
}

/* The load test's object: three kernel programs (two of them in sections
 * of the same name) over six maps of six types, and two user programs
 * libbpf must ignore. */
static void test_libbpf_load(void) {
  static BoMap maps[] = {
      {"m_array", BPF_MAP_TYPE_ARRAY, 4, 64, 1, 0, NULL},
      {"m_percpu_array", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 256, 1, 0, NULL},
      {"m_hash", BPF_MAP_TYPE_HASH, 4, 8, 1024, BPF_F_NO_PREALLOC, NULL},
      {"m_percpu_hash", BPF_MAP_TYPE_PERCPU_HASH, 4, 16, 128, 0, NULL},
      {"m_lru_hash", BPF_MAP_TYPE_LRU_HASH, 4, 8, 128, 0, NULL},
      {"m_ringbuf", BPF_MAP_TYPE_RINGBUF, 0, 0, 1 << 16, 0, NULL},
  };
  BoObject o = {.name = "load_test", .maps = maps, .nmaps = 6,
                .ringbuf_map = 5, .scratch_map = 1};
  BoProg progs[5] = {0};
  ProgBuf bufs[5];
  static const uint32_t set0[] = {0, 1, 2}, set1[] = {3, 4, 5}, set2[] = {2};
  progs[0] = (BoProg){.name = "user_0", .section = "", .user = true,
                      .insns = user_insns, .ninsns = 4};
  progs[1] = (BoProg){.name = "probe_raw", .section = "raw_tracepoint/sys_enter",
                      .type = BPF_PROG_TYPE_RAW_TRACEPOINT};
  lookup_prog(&progs[1], &bufs[1], &o, set0, 3);
  progs[2] = (BoProg){.name = "probe_tp",
                      .section = "tracepoint/syscalls/sys_enter_getpid",
                      .type = BPF_PROG_TYPE_TRACEPOINT};
  lookup_prog(&progs[2], &bufs[2], &o, set1, 3);
  progs[3] = (BoProg){.name = "user_3", .section = "", .user = true,
                      .insns = user_insns2, .ninsns = 3};
  progs[4] = (BoProg){.name = "probe_raw2", .section = "raw_tracepoint/sys_enter",
                      .type = BPF_PROG_TYPE_RAW_TRACEPOINT};
  lookup_prog(&progs[4], &bufs[4], &o, set2, 1);
  o.progs = progs;
  o.nprogs = 5;
  const char *path = tmp_path("load.bo");
  const char *err;
  if (!bo_write(&o, path, &err)) {
    detail("%s", err);
    check("libbpf-load", 0);
    return;
  }
  BoObject r;
  bool ok = bo_read(path, &r, &err);
  bool same = ok && same_obj(&o, &r);
  if (!ok) detail("%s", err);
  if (ok && !same) detail("differs: %s", why);
  check("roundtrip-same-section-name-twice", same);
  if (ok) bo_free(&r);

  if (geteuid() != 0) {
    skip("libbpf-load", "not root");
    return;
  }
  if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL) != 1 ||
      libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, NULL) != 1) {
    skip("libbpf-load", "the bpf syscall is unavailable");
    return;
  }
  struct bpf_object *obj = bpf_object__open_file(path, NULL);
  if (libbpf_get_error(obj)) {
    check("libbpf-load", 0);
    return;
  }
  int rc = bpf_object__load(obj);
  if (rc) detail("bpf_object__load: %s", strerror(-rc));
  bool fds = !rc;
  struct bpf_map *m;
  bpf_object__for_each_map(m, obj) fds = fds && bpf_map__fd(m) >= 0;
  struct bpf_program *p;
  bpf_object__for_each_program(p, obj) fds = fds && bpf_program__fd(p) >= 0;
  check("libbpf-load", !rc && fds);
  check("kernel-accepts-btf", !rc && bpf_object__btf_fd(obj) >= 0);
  if (!rc) run_programs(obj);
  bpf_object__close(obj);
}

static void test_rejects(void) {
  check("reject-missing-file",
        rejects(tmp_path("no-such-file.bo"), "No such file"));
  const char *path = tmp_path("empty-file.bo");
  spit(path, "", 0);
  check("reject-empty-file", rejects(path, "empty"));
  path = tmp_path("text.bo");
  spit(path, "hello, world\n", 13);
  check("reject-not-elf", rejects(path, "not an ELF file"));
  spit(path, "\177ELF", 4);
  check("reject-truncated-elf-header", rejects(path, "truncated ELF header"));
  check("reject-directory", rejects(dir, "not a regular file"));
  path = tmp_path("fifo.bo");
  if (mkfifo(path, 0600) == 0) {
    check("reject-fifo-without-hanging", rejects(path, "not a regular file"));
    unlink(path);
  }

  size_t n;
  unsigned char *good = slurp(tmp_path("full.bo"), &n);
  if (!good) {
    check("reject-setup", 0);
    return;
  }
  unsigned char x86[2] = {62, 0};
  check("reject-other-machine",
        rejects_patch(good, n, 18, x86, 2, "not a BPF object"));
  unsigned char c32 = ELFCLASS32;
  check("reject-32-bit", rejects_patch(good, n, EI_CLASS, &c32, 1,
                                       "not a BPF object"));
  size_t at = find_bytes(good, n, ".ctap.meta", 11);
  check("reject-no-meta",
        at != (size_t)-1 &&
            rejects_patch(good, n, at, ".ctap.mexa", 10, "not a ctap object"));

  size_t meta = 0, msize = 0;
  if (!section_at(tmp_path("full.bo"), ".ctap.meta", &meta, &msize)) {
    check("reject-setup", 0);
    free(good);
    return;
  }
  check("reject-bad-magic",
        rejects_patch(good, n, meta, "CTAPMETX", 8, "not a ctap object"));
  unsigned char v[4];
  put32(v, BO_FORMAT_VERSION + 1);
  check("reject-wrong-version",
        rejects_patch(good, n, meta + 8, v, 4, "format version"));
  put32(v, 0x7ffffff0);
  check("reject-string-past-section",
        rejects_patch(good, n, meta + 16, v, 4, "truncated metadata (object"));
  /* The object part: name, release, 7 limits, then globals_map. */
  size_t gm = meta + 16 + 4 + strlen("stap_0123abcd") + 4 +
              strlen("6.18.44-fc-v657") + 7 * 4;
  put32(v, 7);
  check("reject-map-index", rejects_patch(good, n, gm, v, 4, "out of range"));
  /* Probe 0 is kind, prog, flags, then point "MARKPOINT"; the probe count
   * is just before it. */
  unsigned char mark[13];
  put32(mark, 9);
  memcpy(mark + 4, "MARKPOINT", 9);
  at = find_bytes(good, n, mark, 13);
  put32(v, 7);
  check("reject-probe-prog-index",
        at != (size_t)-1 &&
            rejects_patch(good, n, at - 8, v, 4, "probe 0: program 7 out of"));
  put32(v, 1000000);
  check("reject-probe-count",
        at != (size_t)-1 &&
            rejects_patch(good, n, at - 16, v, 4,
                          "truncated metadata (probe table"));
  put32(v, BO_TRACEPOINT);
  check("reject-probe-kind",
        at != (size_t)-1 &&
            rejects_patch(good, n, at - 12, v, 4, "kernel probe on user"));
  put32(v, 99);
  check("reject-probe-unknown-kind",
        at != (size_t)-1 &&
            rejects_patch(good, n, at - 12, v, 4, "unknown kind 99"));
  /* The metadata ends with the last site (NULL: its count 0xffffffff)
   * and the CO-RE type count (none). */
  check("reject-string-past-end-of-metadata",
        rejects_patch(good, n, meta + msize - 8, "\5\0\0\0", 4,
                      "truncated metadata (site table"));
  check("reject-core-types-past-end-of-metadata",
        rejects_patch(good, n, meta + msize - 4, "\1\0\0\0", 4,
                      "truncated metadata (CO-RE types"));
  size_t rel = 0, rsize = 0;
  if (section_at(tmp_path("full.bo"), ".reltracepoint/syscalls/sys_enter_getpid",
                 &rel, &rsize)) {
    unsigned char off[8] = {0};
    off[0] = 0x40;
    off[1] = 0x1f; /* 8000 */
    check("reject-reloc-past-end",
          rejects_patch(good, n, rel, off, 8, "past the end of the program"));
    off[0] = 8;
    off[1] = 0; /* instruction 1, the second half of a ld_imm64 */
    check("reject-reloc-not-ld_imm64",
          rejects_patch(good, n, rel, off, 8, "not a ld_imm64"));
    unsigned char sym[4];
    put32(sym, 9999);
    check("reject-reloc-bad-symbol",
          rejects_patch(good, n, rel + 12, sym, 4, "not a map"));
  } else {
    check("reject-reloc-past-end", 0);
  }
  size_t strtab = 0, ssize = 0;
  at = (size_t)-1;
  if (section_at(tmp_path("full.bo"), ".strtab", &strtab, &ssize))
    at = find_bytes(good + strtab, ssize, "\0probe_1\0", 9);
  check("reject-missing-symbol",
        at != (size_t)-1 && rejects_patch(good, n, strtab + at + 1, "X", 1,
                                          "probe_1): no symbol"));
  /* Program 0: name "user_0", section "", u32 type, u8 user, u32 offset,
   * u32 ninsns. */
  unsigned char uname[10];
  put32(uname, 6);
  memcpy(uname + 4, "user_0", 6);
  at = find_bytes(good, n, uname, 10);
  put32(v, 1000);
  check("reject-user-prog-past-section",
        at != (size_t)-1 &&
            rejects_patch(good, n, at + 10 + 4 + 4 + 1 + 4, v, 4,
                          "run past the end of .ctap.user"));
  free(good);
}

/* 64 user programs of 8 instructions, then each patched to claim all of
 * .ctap.user: reading them would copy 64 times the section, so bo_read
 * refuses (a file's programs never overlap). */
static void test_overlap(void) {
  enum { N = 64, K = 8 };
  static struct bpf_insn insns[N * K];
  static BoProg progs[N];
  static char names[N][8];
  for (int i = 0; i < N; i++) {
    snprintf(names[i], sizeof names[i], "u%04d", i);
    for (int k = 0; k < K; k++)
      insns[i * K + k] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, i * K + k);
    progs[i] = (BoProg){.name = names[i], .section = "", .user = true,
                        .insns = insns + i * K, .ninsns = K};
  }
  BoObject o = {.progs = progs, .nprogs = N};
  const char *path = tmp_path("overlap.bo"), *err;
  size_t n = 0;
  unsigned char *b = NULL;
  bool ok = bo_write(&o, path, &err) && (b = slurp(path, &n));
  /* Each record: str name ("uNNNN"), str section (""), u32 type, u8 user,
   * u32 offset, u32 ninsns. */
  for (int i = 0; ok && i < N; i++) {
    unsigned char rec[9];
    put32(rec, 5);
    memcpy(rec + 4, names[i], 5);
    size_t at = find_bytes(b, n, rec, 9);
    ok = at != (size_t)-1;
    if (ok) {
      put32(b + at + 9 + 4 + 4 + 1, 0);
      put32(b + at + 9 + 4 + 4 + 1 + 4, N * K);
    }
  }
  if (ok) spit(path, b, n);
  free(b);
  check("reject-overlapping-programs",
        ok && rejects(path, "overlap those of another program"));
}

/* Every prefix of a valid file is rejected; every single-byte corruption
 * is read without crashing (rejected or accepted, then freed). */
static void test_fuzz(void) {
  size_t n;
  const char *src = tmp_path("full.bo");
  unsigned char *good = slurp(src, &n);
  if (!good) {
    check("fuzz-setup", 0);
    return;
  }
  const char *path = tmp_path("fuzz.bo");
  size_t accepted = 0, bad_msgs = 0;
  for (size_t len = 0; len < n; len++) {
    spit(path, good, len);
    BoObject o;
    const char *err = NULL;
    if (bo_read(path, &o, &err)) {
      accepted++;
      bo_free(&o);
    } else if (!err || !strstr(err, path)) {
      bad_msgs++;
    }
  }
  if (accepted) detail("%zu truncations accepted", accepted);
  check("reject-every-truncation", accepted == 0 && bad_msgs == 0);

  spit(path, good, n);
  int fd = open(path, O_RDWR);
  static const unsigned char flips[] = {0xff, 0x01, 0x80, 0x7f};
  size_t runs = 0, ok = 0;
  bad_msgs = 0;
  for (size_t off = 0; off < n; off++) {
    for (size_t k = 0; k < sizeof flips; k++) {
      unsigned char c = good[off] ^ flips[k];
      if (pwrite(fd, &c, 1, (off_t)off) != 1) break;
      BoObject o;
      const char *err = NULL;
      runs++;
      if (bo_read(path, &o, &err)) {
        ok++;
        bo_free(&o);
      } else if (!err || !strstr(err, path)) {
        bad_msgs++;
      }
      if (pwrite(fd, &good[off], 1, (off_t)off) != 1) break;
    }
  }
  close(fd);
  detail("%zu corruptions read, %zu accepted", runs, ok);
  check("survive-single-byte-corruptions",
        runs == n * sizeof flips && bad_msgs == 0);
  free(good);
}

static void cleanup(void) {
  DIR *d = opendir(dir);
  if (!d) return;
  for (struct dirent *de; (de = readdir(d));) {
    if (de->d_name[0] == '.') continue;
    unlink(tmp_path(de->d_name));
  }
  closedir(d);
  rmdir(dir);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  elf_version(EV_CURRENT);
  libbpf_set_print(quiet_print);
  snprintf(dir, sizeof dir, "/tmp/ctap-test-bo-XXXXXX");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 2;
  }
  test_roundtrip();
  test_write_errors();
  test_libbpf_open();
  test_libbpf_load();
  test_rejects();
  test_overlap();
  test_fuzz();
  if (getenv("TEST_BO_KEEP"))
    detail("files kept in %s", dir);
  else
    cleanup();
  return failures ? 1 : 0;
}
