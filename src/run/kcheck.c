/* kcheck: what an object needs of the running kernel, said in the
 * script's terms.
 *
 * Before the object loads, every CO-RE relocation's struct and member
 * (bo.h: BoCoreType) is looked up in the running kernel's BTF, vmlinux's
 * and then the modules': libbpf would otherwise turn a read of a member
 * the kernel lacks into a call of an invalid helper, and the verifier
 * would reject the program with a dump that names neither.  A program
 * whose every probe is optional ('?') is left out instead.
 *
 * A kernel.function probe comes as a kprobe and as an fentry/fexit
 * program (bo.h: BO_FENTRY); kcheck_kfunc leaves one of the two out,
 * per probe: fentry where this kernel attaches BPF trampolines (tried
 * once, with a program that does nothing), has the function in its
 * BTF and in ftrace's list, and the trampoline can take its arguments;
 * else the kprobe.  CTAP_KFUNC=kprobe in the environment chooses the
 * kprobes always.  A function that still does not attach is a warning
 * (kcheck_kfunc_reason says why), as in stap, unless the kernel has no
 * kprobes at all. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/strbuf.h"
#include "run/kcheck.h"
#include "run/symbols.h"

/* The member named name of composite type t (through unnamed ones). */
static bool has_member(const struct btf *b, const struct btf_type *t, const char *name, int depth) {
  if (depth > 8) return false;
  const struct btf_member *m = btf_members(t);
  for (unsigned i = 0; i < btf_vlen(t); i++) {
    const char *mn = btf__name_by_offset(b, m[i].name_off);
    if (mn && *mn) {
      if (!strcmp(mn, name)) return true;
      continue;
    }
    const struct btf_type *in = btf__type_by_id(b, m[i].type);
    while (in && (btf_is_mod(in) || btf_is_typedef(in))) in = btf__type_by_id(b, in->type);
    if (in && btf_is_composite(in) && has_member(b, in, name, depth + 1)) return true;
  }
  return false;
}

/* Does some struct (or union) named t->name in b have member m?  Sets
 * *named when there is a type of that name at all. */
static bool type_has(const struct btf *b, unsigned first, const BoCoreType *t, const char *m,
                     bool *named) {
  unsigned n = btf__type_cnt(b);
  for (unsigned id = first; id < n; id++) {
    const struct btf_type *bt = btf__type_by_id(b, id);
    if (!(t->is_union ? btf_is_union(bt) : btf_is_struct(bt))) continue;
    const char *name = btf__name_by_offset(b, bt->name_off);
    if (!name || strcmp(name, t->name)) continue;
    *named = true;
    if (has_member(b, bt, m, 0)) return true;
  }
  return false;
}

typedef struct Kbtf {
  struct btf *vmlinux;
  struct btf **mods;
  size_t nmods;
  bool mods_loaded;
} Kbtf;

static void load_modules(Kbtf *k) {
  k->mods_loaded = true;
  DIR *d = opendir("/sys/kernel/btf");
  if (!d) return;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux")) continue;
    char path[512];
    snprintf(path, sizeof path, "/sys/kernel/btf/%s", de->d_name);
    struct btf *m = btf__parse_split(path, k->vmlinux);
    if (!m) continue;
    k->mods = realloc(k->mods, (k->nmods + 1) * sizeof *k->mods);
    k->mods[k->nmods++] = m;
  }
  closedir(d);
}

/* Is member m of t in the running kernel (vmlinux, else a module)? */
static bool kernel_has(Kbtf *k, const BoCoreType *t, const char *m, bool *named) {
  if (type_has(k->vmlinux, 1, t, m, named)) return true;
  if (!k->mods_loaded) load_modules(k);
  unsigned first = btf__type_cnt(k->vmlinux);
  for (size_t i = 0; i < k->nmods; i++)
    if (type_has(k->mods[i], first, t, m, named)) return true;
  return false;
}

static const char *release(void) {
  static struct utsname u;
  if (!u.release[0] && uname(&u) != 0) return "?";
  return u.release;
}

bool kcheck_core(const BoObject *o, bool *left_out) {
  bool any = false;
  for (uint32_t i = 0; i < o->nprogs; i++) any |= !o->progs[i].user && o->progs[i].ncore;
  if (!any) return true;
  Kbtf k = {.vmlinux = btf__load_vmlinux_btf()};
  if (!k.vmlinux) {
    fprintf(stderr, "ERROR: the running kernel (%s) has no BTF (/sys/kernel/btf/vmlinux): "
            "the object's struct member reads cannot be relocated to it\n", release());
    return false;
  }
  bool ok = true;
  /* each (type, member) once: checked[t][m] 0 unknown, 1 present, 2 missing */
  unsigned char **checked = calloc(o->ncore_types + 1, sizeof *checked);
  for (uint32_t t = 0; t < o->ncore_types; t++)
    checked[t] = calloc(o->core_types[t].nmembers + 1, 1);
  for (uint32_t i = 0; i < o->nprogs; i++) {
    const BoProg *p = &o->progs[i];
    if (p->user) continue;
    for (uint32_t j = 0; j < p->ncore; j++) {
      const BoCoreReloc *r = &p->core[j];
      const BoCoreType *t = &o->core_types[r->type];
      const char *m = t->members[r->member].name;
      bool named = false;
      if (!checked[r->type][r->member])
        checked[r->type][r->member] = kernel_has(&k, t, m, &named) ? 1 : 2;
      if (checked[r->type][r->member] == 1) continue;
      /* the probes this program serves: all optional, or an error */
      bool optional = true;
      const char *point = NULL;
      for (uint32_t q = 0; q < o->nprobes; q++)
        if (o->probes[q].prog == i) {
          if (!point) point = o->probes[q].point;
          optional &= (o->probes[q].flags & BO_PROBE_OPTIONAL) != 0;
        }
      left_out[i] = true;
      if (!optional) {
        fprintf(stderr, "ERROR: probe %s reads member '%s' of %s %s, which the running "
                "kernel (%s) does not have\n", point ? point : p->name, m,
                t->is_union ? "union" : "struct", t->name, release());
        ok = false;
      }
      break;
    }
  }
  for (uint32_t t = 0; t < o->ncore_types; t++) free(checked[t]);
  free(checked);
  for (size_t i = 0; i < k.nmods; i++) btf__free(k.mods[i]);
  free(k.mods);
  btf__free(k.vmlinux);
  return ok;
}

/* The running kernel's text symbols named as the object's kernel
 * functions (/proc/kallsyms, read once): a function name that several
 * static functions share (init_once) is ambiguous, and a kprobe or a
 * trampoline by that name would take whichever the kernel finds first. */
static struct {
  bool readable;    /* kallsyms could be read */
  char **names;     /* the object's function names, sorted, unique */
  uint32_t *count;  /* text symbols of each name */
  uint64_t **addrs; /* their addresses (count of them) */
  size_t n;
  uint64_t text;    /* _text's address (0: not known) */
} ksyms;

static int cmp_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void ksyms_load(const BoObject *o) {
  ksyms.names = calloc(o->nprobes + 1, sizeof *ksyms.names);
  for (uint32_t i = 0; i < o->nprobes; i++)
    if ((o->probes[i].kind == BO_KPROBE || o->probes[i].kind == BO_FENTRY) && o->probes[i].target)
      ksyms.names[ksyms.n++] = (char *)o->probes[i].target;
  qsort(ksyms.names, ksyms.n, sizeof *ksyms.names, cmp_name);
  size_t u = 0;
  for (size_t i = 0; i < ksyms.n; i++)
    if (!u || strcmp(ksyms.names[u - 1], ksyms.names[i])) ksyms.names[u++] = ksyms.names[i];
  ksyms.n = u;
  ksyms.count = calloc(u + 1, sizeof *ksyms.count);
  ksyms.addrs = calloc(u + 1, sizeof *ksyms.addrs);
  FILE *f = ksyms.count && ksyms.addrs ? fopen("/proc/kallsyms", "r") : NULL;
  if (!f) return;
  ksyms.readable = true;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    KsymLine k;
    if (!symbols_kallsyms_line(line, &k) || (k.type != 't' && k.type != 'T')) continue;
    uint64_t addr = k.addr;
    if (!strcmp(k.name, "_text")) ksyms.text = addr;
    char **hit = bsearch(&k.name, ksyms.names, ksyms.n, sizeof *ksyms.names, cmp_name);
    if (!hit) continue;
    size_t i = (size_t)(hit - ksyms.names);
    uint32_t c = ksyms.count[i];
    if (!(c & (c - 1))) { /* 0, 1, 2, 4, ...: room for twice as many */
      uint64_t *more = realloc(ksyms.addrs[i], (c ? 2 * c : 1) * sizeof *more);
      if (!more) continue;
      ksyms.addrs[i] = more;
    }
    ksyms.addrs[i][c] = addr;
    ksyms.count[i] = c + 1;
  }
  fclose(f);
}

int kcheck_kfunc_addrs(const char *fn, uint64_t offset, const uint64_t **addrs) {
  char **hit = ksyms.readable ? bsearch(&fn, ksyms.names, ksyms.n, sizeof *ksyms.names, cmp_name)
                              : NULL;
  size_t i = hit ? (size_t)(hit - ksyms.names) : 0;
  /* one function of that name (or none, or cannot tell): by name */
  if (!hit || ksyms.count[i] < 2) return 0;
  /* kallsyms shows 0 for every address to a process that may not see them */
  if (!ksyms.text) return -1;
  if (!offset) {
    *addrs = ksyms.addrs[i];
    return (int)ksyms.count[i];
  }
  for (uint32_t k = 0; k < ksyms.count[i]; k++)
    if (ksyms.addrs[i][k] == ksyms.text + offset) {
      *addrs = &ksyms.addrs[i][k];
      return 1;
    }
  return -1;
}

/* How many text symbols of the running kernel are named fn (one of the
 * object's functions), or -1 when kallsyms cannot be read. */
static int ksym_count(const char *fn) {
  if (!ksyms.readable) return -1;
  char **hit = bsearch(&fn, ksyms.names, ksyms.n, sizeof *ksyms.names, cmp_name);
  return hit ? (int)ksyms.count[hit - ksyms.names] : -1;
}

/* The functions ftrace can call out of (tracefs's available_filter_functions),
 * read once: BPF reaches a kernel function only through them, with a BPF
 * trampoline (fentry) or with a kprobe (a kprobe on any other function is
 * refused unless the kernel has CONFIG_KPROBE_EVENTS_ON_NOTRACE). */
static struct {
  bool loaded;      /* read (or tried) */
  char *text;       /* the file's contents, lines cut at their name */
  char **names;     /* into text, sorted */
  size_t n;
} traceable;

static void traceable_load(void) {
  traceable.loaded = true;
  static const char *const paths[] = {"/sys/kernel/tracing/available_filter_functions",
                                      "/sys/kernel/debug/tracing/available_filter_functions"};
  FILE *f = NULL;
  for (size_t i = 0; !f && i < sizeof paths / sizeof *paths; i++) f = fopen(paths[i], "r");
  if (!f) return;
  StrBuf sb;
  sb_init(&sb);
  char buf[65536];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, f)) > 0) sb_append(&sb, buf, got);
  bool ok = !ferror(f);
  fclose(f);
  if (!ok || !sb.len) {
    sb_free(&sb);
    return;
  }
  traceable.text = sb.data; /* kept: the names point into it */
  size_t cap = 0;
  /* "name" or "name [module]", a line each */
  for (char *line = traceable.text; *line;) {
    char *end = strchr(line, '\n');
    if (end) *end = 0;
    char *sp = strchr(line, ' ');
    if (sp) *sp = 0;
    if (*line) {
      if (traceable.n == cap) {
        char **more = realloc(traceable.names, (cap ? cap * 2 : 4096) * sizeof *more);
        if (!more) break;
        traceable.names = more;
        cap = cap ? cap * 2 : 4096;
      }
      traceable.names[traceable.n++] = line;
    }
    if (!end) break;
    line = end + 1;
  }
  qsort(traceable.names, traceable.n, sizeof *traceable.names, cmp_name);
}

/* 1: ftrace can call out of fn; 0: it cannot; -1: cannot tell (no tracefs). */
static int is_traceable(const char *fn) {
  if (!traceable.loaded) traceable_load();
  if (!traceable.n) return -1;
  return bsearch(&fn, traceable.names, traceable.n, sizeof *traceable.names, cmp_name) != NULL;
}

void kcheck_free(void) {
  for (size_t i = 0; ksyms.addrs && i < ksyms.n; i++) free(ksyms.addrs[i]);
  free(ksyms.addrs);
  free(ksyms.names);
  free(ksyms.count);
  memset(&ksyms, 0, sizeof ksyms);
  free(traceable.names);
  free(traceable.text);
  memset(&traceable, 0, sizeof traceable);
}

bool kcheck_has_kprobes(void) {
  return access("/sys/bus/event_source/devices/kprobe", F_OK) == 0 ||
         access("/sys/kernel/tracing/kprobe_events", F_OK) == 0 ||
         access("/sys/kernel/debug/tracing/kprobe_events", F_OK) == 0;
}

const char *kcheck_kfunc_reason(const char *fn, bool fentry, int err, char *buf, size_t size) {
  if (!fentry && !kcheck_has_kprobes())
    snprintf(buf, size, "the running kernel (%s) has no kprobes (CONFIG_KPROBES, "
             "CONFIG_KPROBE_EVENTS)", release());
  else if (ksym_count(fn) == 0)
    snprintf(buf, size, "the running kernel (%s) has no function '%s'", release(), fn);
  else if (ksym_count(fn) > 1)
    snprintf(buf, size, "the running kernel (%s) has %d functions named '%s', and none is "
             "the one the object was built for", release(), ksym_count(fn), fn);
  else if (is_traceable(fn) == 0)
    snprintf(buf, size, "the running kernel (%s) does not trace '%s' (it is not in "
             "available_filter_functions)", release(), fn);
  else
    snprintf(buf, size, "the kernel refused %s on '%s': %s", fentry ? "a BPF trampoline" : "a kprobe",
             fn, strerror(err));
  return buf;
}

/* The BTF id of function fn in the running kernel (vmlinux or a module,
 * whose BTF fd goes to *obj_fd, else 0), or 0. */
static int func_btf_id(Kbtf *k, const char *fn, int *obj_fd) {
  *obj_fd = 0;
  int id = btf__find_by_name_kind(k->vmlinux, fn, BTF_KIND_FUNC);
  if (id > 0) return id;
  if (!k->mods_loaded) load_modules(k);
  for (size_t i = 0; i < k->nmods; i++) {
    id = btf__find_by_name_kind(k->mods[i], fn, BTF_KIND_FUNC);
    if (id > 0) {
      *obj_fd = -1; /* a module's: the check below uses vmlinux functions only */
      return id;
    }
  }
  return 0;
}

/* Can this kernel attach an fentry program (a BPF trampoline) to
 * vmlinux function id?  A program that returns 0, loaded and attached
 * for a moment. */
static bool fentry_works(int id) {
  struct bpf_insn insns[] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
      {.code = BPF_JMP | BPF_EXIT},
  };
  LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = BPF_TRACE_FENTRY,
              .attach_btf_id = (unsigned)id);
  int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "ctap_fentry_chk", "GPL", insns, 2, &po);
  if (fd < 0) return false;
  int link = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
  if (link >= 0) close(link);
  close(fd);
  return link >= 0;
}

/* Can a BPF trampoline take vmlinux function id's arguments?  x86's take
 * at most 6 in Linux 6.1 (more since), and no struct passed by value. */
static bool trampoline_args_fit(const struct btf *b, int id) {
  const struct btf_type *fn = btf__type_by_id(b, (unsigned)id);
  const struct btf_type *proto = fn ? btf__type_by_id(b, fn->type) : NULL;
  if (!proto || !btf_is_func_proto(proto) || btf_vlen(proto) > 6) return false;
  const struct btf_param *a = btf_params(proto);
  for (unsigned i = 0; i < btf_vlen(proto); i++) {
    const struct btf_type *t = btf__type_by_id(b, a[i].type);
    while (t && (btf_is_mod(t) || btf_is_typedef(t))) t = btf__type_by_id(b, t->type);
    if (t && btf_is_composite(t)) return false;
  }
  return true;
}

int kcheck_kfunc(const BoObject *o, bool *left_out) {
  bool any = false;
  for (uint32_t i = 0; i < o->nprobes; i++)
    any |= o->probes[i].kind == BO_FENTRY || o->probes[i].kind == BO_KPROBE;
  if (!any) return 0;
  ksyms_load(o);
  const char *want = getenv("CTAP_KFUNC");
  bool force_kprobe = want && !strcmp(want, "kprobe");
  Kbtf k = {.vmlinux = force_kprobe ? NULL : btf__load_vmlinux_btf()};
  /* whether trampolines work at all: tried once, on the first function
   * that could take one */
  bool works = false, tried = false;
  int used = 0;
  for (uint32_t i = 0; i < o->nprobes; i++) {
    const BoProbe *p = &o->probes[i];
    if (p->kind != BO_FENTRY) continue;
    /* the group's fentry programs, if each of its functions can take a
     * trampoline here: a vmlinux function with BTF that ftrace traces,
     * the only one of its name */
    bool fentry = k.vmlinux != NULL;
    for (uint32_t j = 0; fentry && j < o->nprobes; j++) {
      const BoProbe *q = &o->probes[j];
      if (q->kind != BO_FENTRY || q->sequence != p->sequence || !q->target) continue;
      int obj_fd, id = func_btf_id(&k, q->target, &obj_fd);
      if (!id || is_traceable(q->target) == 0 || ksym_count(q->target) > 1 ||
          (!obj_fd && !trampoline_args_fit(k.vmlinux, id)))
        fentry = false;
      else if (!tried && !obj_fd) {
        tried = true;
        works = fentry_works(id);
      }
    }
    fentry = fentry && tried && works;
    for (uint32_t j = 0; j < o->nprobes; j++) {
      const BoProbe *q = &o->probes[j];
      if (q->sequence != p->sequence || (q->kind != BO_FENTRY && q->kind != BO_KPROBE)) continue;
      if ((q->kind == BO_FENTRY) != fentry) left_out[q->prog] = true;
    }
    used += fentry && !(p->flags & BO_PROBE_ENTRY);
  }
  for (size_t i = 0; i < k.nmods; i++) btf__free(k.mods[i]);
  free(k.mods);
  btf__free(k.vmlinux);
  return used;
}
