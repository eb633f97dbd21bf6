/* target: the Target object (see target.h): BTF, function symbols,
 * tracepoints and syscalls, each loaded on first use. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "common/strbuf.h"
#include "target/kimage.h"
#include "target/target.h"

void target_init(Target *t, Arena *a, const TargetKernel *k, const char *btf_file) {
  memset(t, 0, sizeof *t);
  t->arena = a;
  t->kernel = k;
  t->btf_file = btf_file;
}

void target_free(Target *t) {
  if (t->btf) btf__free(t->btf);
  hashmap_free(&t->funcs);
  hashmap_free(&t->events);
  hashmap_free(&t->syscalls);
  hashmap_free(&t->btf_funcs);
  hashmap_free(&t->btf_structs);
  hashmap_free(&t->btf_unions);
  hashmap_free(&t->btf_enums);
  hashmap_free(&t->btf_plain);
  free(t->btf_ptr_to);
  for (size_t i = 0; i < t->module_btfs.len; i++) btf__free(t->module_btfs.items[i]);
  hashmap_free(&t->module_paths);
}

static bool file_exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- BTF ---- */

/* $XDG_CACHE_HOME/ctap/btf/NAME-SIZE-MTIME.btf for an image, or NULL. */
static const char *btf_cache_path(Target *t, const char *image) {
  struct stat st;
  if (stat(image, &st) != 0) return NULL;
  const char *base = getenv("XDG_CACHE_HOME");
  const char *home = getenv("HOME");
  const char *dir = base && *base ? arena_printf(t->arena, "%s/ctap/btf", base)
                    : home && *home ? arena_printf(t->arena, "%s/.cache/ctap/btf", home)
                                    : NULL;
  if (!dir) return NULL;
  const char *name = strrchr(image, '/');
  return arena_printf(t->arena, "%s/%s-%lld-%lld.btf", dir, name ? name + 1 : image,
                      (long long)st.st_size, (long long)st.st_mtime);
}

/* Write the cache file (best effort: a cache that cannot be written is
 * only slower). */
static void btf_cache_store(const char *path, const void *data, size_t size) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  for (char *p = dir + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      mkdir(dir, 0755);
      *p = '/';
    }
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
  FILE *fp = fopen(tmp, "wb");
  if (!fp) return;
  bool ok = fwrite(data, 1, size, fp) == size;
  ok = fclose(fp) == 0 && ok;
  if (!ok || rename(tmp, path) != 0) unlink(tmp);
}

/* Load BTF from a file that is raw BTF, an ELF with .BTF, or a
 * compressed kernel image. */
static struct btf *load_btf_file(Target *t, const char *path) {
  /* Raw BTF or an ELF with .BTF go to libbpf; anything else is a kernel
   * image to unpack (asking libbpf first would make it complain). */
  unsigned char magic[4] = {0};
  FILE *fp = fopen(path, "rb");
  if (fp) {
    if (fread(magic, 1, 4, fp) != 4) memset(magic, 0, sizeof magic);
    fclose(fp);
  }
  bool raw = magic[0] == 0x9f && magic[1] == 0xeb;
  bool elf = memcmp(magic, "\177ELF", 4) == 0;
  struct btf *b = raw ? btf__parse_raw(path) : elf ? btf__parse_elf(path, NULL) : NULL;
  if (b) return b;
  /* Unpacking an image takes most of a second: keep its BTF in a cache
   * keyed by the image's name, size and time. */
  const char *cached = btf_cache_path(t, path);
  if (cached && (b = btf__parse_raw(cached)) != NULL) return b;
  void *data = NULL;
  size_t size = 0;
  char *err = NULL;
  if (kimage_read_btf(path, &data, &size, &err) == 0) {
    b = btf__new(data, (unsigned)size);
    if (b && cached) btf_cache_store(cached, data, size);
    free(data);
    if (b) return b;
    t->btf_error = arena_printf(t->arena, "%s: the .BTF section is not valid BTF", path);
    return NULL;
  }
  t->btf_error = arena_strdup(t->arena, err ? err : path);
  free(err);
  return NULL;
}

struct btf *target_btf(Target *t, const char **err) {
  if (!t->btf_tried) {
    t->btf_tried = true;
    const TargetKernel *k = t->kernel;
    const char *candidates[4];
    int n = 0;
    if (t->btf_file) {
      candidates[n++] = t->btf_file;
    } else {
      if (k->is_running && !k->root[0]) candidates[n++] = "/sys/kernel/btf/vmlinux";
      candidates[n++] = arena_printf(t->arena, "%s/vmlinux", k->build_dir);
      candidates[n++] = arena_printf(t->arena, "%s/boot/vmlinuz-%s", k->root, k->release);
    }
    for (int i = 0; i < n && !t->btf; i++) {
      if (!file_exists(candidates[i])) continue;
      t->btf = load_btf_file(t, candidates[i]);
      if (t->btf) t->btf_source = candidates[i];
    }
    if (!t->btf && !t->btf_error)
      t->btf_error = arena_printf(t->arena,
                                  "no BTF for kernel %s (tried %s%s%s); give one with --kernel-btf FILE",
                                  k->release, candidates[0], n > 1 ? ", " : "",
                                  n > 1 ? candidates[n - 1] : "");
  }
  if (err) *err = t->btf_error;
  return t->btf;
}

static void type_name_into(struct btf *b, int id, StrBuf *sb, int depth) {
  if (!id) {
    sb_puts(sb, "void");
    return;
  }
  const struct btf_type *ty = btf__type_by_id(b, (unsigned)id);
  if (!ty || depth > 20) {
    sb_puts(sb, "?");
    return;
  }
  const char *name = btf__name_by_offset(b, ty->name_off);
  switch (btf_kind(ty)) {
  case BTF_KIND_INT: case BTF_KIND_TYPEDEF: case BTF_KIND_FLOAT:
    sb_puts(sb, name);
    break;
  case BTF_KIND_STRUCT: sb_cat(sb, "struct ", *name ? name : "{...}", NULL); break;
  case BTF_KIND_UNION: sb_cat(sb, "union ", *name ? name : "{...}", NULL); break;
  case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
    sb_cat(sb, "enum ", *name ? name : "{...}", NULL);
    break;
  case BTF_KIND_FWD:
    sb_cat(sb, btf_kflag(ty) ? "union " : "struct ", name, NULL);
    break;
  case BTF_KIND_PTR:
    type_name_into(b, (int)ty->type, sb, depth + 1);
    sb_puts(sb, "*");
    break;
  case BTF_KIND_CONST: case BTF_KIND_VOLATILE: case BTF_KIND_RESTRICT:
  case BTF_KIND_TYPE_TAG:
    if (btf_kind(ty) == BTF_KIND_CONST) sb_puts(sb, "const ");
    type_name_into(b, (int)ty->type, sb, depth + 1);
    break;
  case BTF_KIND_ARRAY: {
    const struct btf_array *arr = btf_array(ty);
    type_name_into(b, (int)arr->type, sb, depth + 1);
    sb_printf(sb, "[%u]", arr->nelems);
    break;
  }
  case BTF_KIND_FUNC_PROTO:
    sb_puts(sb, "func*");
    break;
  default:
    sb_puts(sb, name && *name ? name : "?");
  }
}

static const char *type_name_in(Target *t, struct btf *b, int btf_id) {
  StrBuf sb;
  sb_init(&sb);
  type_name_into(b, btf_id, &sb, 0);
  const char *r = arena_strdup(t->arena, sb_cstr(&sb));
  sb_free(&sb);
  return r;
}

const char *target_type_name(Target *t, int btf_id) {
  struct btf *b = target_btf(t, NULL);
  return b ? type_name_in(t, b, btf_id) : "?";
}

/* BTF types by name (one map per kind, keyed by BTF's own strings) and
 * pointers by pointee (an array), indexed once: btf__find_by_name_kind is
 * a linear scan. */
static void index_btf_types(Target *t, struct btf *b) {
  if (t->btf_types_indexed) return;
  t->btf_types_indexed = true;
  unsigned n = btf__type_cnt(b);
  t->btf_ptr_to = xcalloc(n, sizeof *t->btf_ptr_to);
  t->btf_ntypes = n;
  for (unsigned id = 1; id < n; id++) {
    const struct btf_type *ty = btf__type_by_id(b, id);
    int k = btf_kind(ty);
    HashMap *m;
    switch (k) {
    case BTF_KIND_PTR:
      if (ty->type < n && !t->btf_ptr_to[ty->type]) t->btf_ptr_to[ty->type] = id;
      continue;
    case BTF_KIND_STRUCT: m = &t->btf_structs; break;
    case BTF_KIND_UNION: m = &t->btf_unions; break;
    case BTF_KIND_ENUM: case BTF_KIND_ENUM64: m = &t->btf_enums; break;
    case BTF_KIND_TYPEDEF: case BTF_KIND_INT: m = &t->btf_plain; break;
    default: continue;
    }
    const char *name = btf__name_by_offset(b, ty->name_off);
    if (name && *name && !hashmap_get(m, name, strlen(name)))
      hashmap_put(m, name, strlen(name), (void *)(uintptr_t)id);
  }
}

long target_config_hz(Target *t) {
  const char *hz = t->kconfig ? kconfig_get(t->kconfig, "CONFIG_HZ") : NULL;
  long v = hz ? strtol(hz, NULL, 10) : 0;
  return v > 0 ? v : 250;
}

int target_type_id(Target *t, const char *ctype) {
  struct btf *b = target_btf(t, NULL);
  if (!b) return 0;
  index_btf_types(t, b);
  char buf[256];
  snprintf(buf, sizeof buf, "%s", ctype);
  int stars = 0;
  char *end = buf + strlen(buf);
  while (end > buf && (end[-1] == '*' || end[-1] == ' ')) {
    if (end[-1] == '*') stars++;
    *--end = 0;
  }
  char *name = buf;
  while (!strncmp(name, "const ", 6) || !strncmp(name, "volatile ", 9))
    name += name[0] == 'c' ? 6 : 9;
  HashMap *m = &t->btf_plain;
  if (!strncmp(name, "struct ", 7)) m = &t->btf_structs, name += 7;
  else if (!strncmp(name, "union ", 6)) m = &t->btf_unions, name += 6;
  else if (!strncmp(name, "enum ", 5)) m = &t->btf_enums, name += 5;
  int id = (int)(uintptr_t)hashmap_get(m, name, strlen(name));
  for (int s = 0; id && s < stars; s++) id = target_pointer_to(t, id);
  return id;
}

int target_pointer_to(Target *t, int id) {
  struct btf *b = target_btf(t, NULL);
  if (!b || id <= 0) return 0;
  index_btf_types(t, b);
  return (unsigned)id < t->btf_ntypes ? (int)t->btf_ptr_to[id] : 0;
}

/* BTF FUNC ids by name, indexed once (btf__find_by_name_kind is a scan). */
static int btf_func_id(Target *t, struct btf *b, const char *name) {
  if (!t->btf_funcs_indexed) {
    t->btf_funcs_indexed = true;
    for (unsigned id = 1; id < btf__type_cnt(b); id++) {
      const struct btf_type *ty = btf__type_by_id(b, id);
      if (btf_kind(ty) != BTF_KIND_FUNC) continue;
      const char *n = btf__name_by_offset(b, ty->name_off);
      hashmap_put(&t->btf_funcs, n, strlen(n), (void *)(uintptr_t)id);
      if (strncmp(n, "__bpf_trace_", 12) == 0) vec_push(&t->btf_trace_stubs, t->arena, (void *)n);
    }
  }
  return (int)(uintptr_t)hashmap_get(&t->btf_funcs, name, strlen(name));
}

bool target_function_params(Target *t, const char *name, Vec *params, int *ret_id) {
  struct btf *b = target_btf(t, NULL);
  if (!b) return false;
  int id = btf_func_id(t, b, name);
  if (id <= 0) return false;
  const struct btf_type *fn = btf__type_by_id(b, (unsigned)id);
  const struct btf_type *proto = btf__type_by_id(b, fn->type);
  if (!proto || btf_kind(proto) != BTF_KIND_FUNC_PROTO) return false;
  if (ret_id) *ret_id = (int)proto->type;
  const struct btf_param *p = btf_params(proto);
  for (unsigned i = 0; i < btf_vlen(proto); i++) {
    const char *pname = btf__name_by_offset(b, p[i].name_off);
    if (!pname || !*pname) continue; /* "..." */
    TargetVar *v = arena_alloc(t->arena, sizeof *v);
    v->name = arena_strdup(t->arena, pname);
    v->btf_id = (int)p[i].type;
    v->ctype = target_type_name(t, v->btf_id);
    vec_push(params, t->arena, v);
  }
  return true;
}

/* ---- Function symbols ---- */

/* kallsyms / System.map: "ADDR TYPE NAME [MODULE]"; text symbols only,
 * without compiler suffixes like ".isra.0". */
static void load_symbols(Target *t, FILE *fp) {
  char line[512];
  while (fgets(line, sizeof line, fp)) {
    char type, name[256];
    if (sscanf(line, "%*s %c %255s", &type, name) != 2) continue;
    if (type != 't' && type != 'T' && type != 'w' && type != 'W') continue;
    if (line[strlen(line) - 2] == ']') continue; /* module symbol */
    name[strcspn(name, ".")] = 0;
    if (!name[0] || hashmap_get(&t->funcs, name, strlen(name))) continue;
    char *s = arena_strdup(t->arena, name);
    hashmap_put(&t->funcs, s, strlen(s), s);
    vec_push(&t->func_names, t->arena, s);
  }
}

static void load_funcs(Target *t) {
  if (t->funcs_loaded) return;
  t->funcs_loaded = true;
  const TargetKernel *k = t->kernel;
  const char *maps[] = {
      arena_printf(t->arena, "%s/boot/System.map-%s", k->root, k->release),
      arena_printf(t->arena, "%s/System.map", k->build_dir),
  };
  FILE *fp = NULL;
  if (k->is_running && !k->root[0]) fp = fopen("/proc/kallsyms", "r");
  for (size_t i = 0; !fp && i < 2; i++) fp = fopen(maps[i], "r");
  if (fp) {
    load_symbols(t, fp);
    fclose(fp);
  }
  if (!t->func_names.len) {
    /* No symbol table: the functions BTF knows are the next best thing. */
    struct btf *b = target_btf(t, NULL);
    t->funcs_from_btf = b != NULL;
    for (unsigned id = 1; b && id < btf__type_cnt(b); id++) {
      const struct btf_type *ty = btf__type_by_id(b, id);
      if (btf_kind(ty) != BTF_KIND_FUNC) continue;
      const char *name = btf__name_by_offset(b, ty->name_off);
      if (hashmap_get(&t->funcs, name, strlen(name))) continue;
      char *s = arena_strdup(t->arena, name);
      hashmap_put(&t->funcs, s, strlen(s), s);
      vec_push(&t->func_names, t->arena, s);
    }
  }
  if (t->func_names.len)
    qsort(t->func_names.items, t->func_names.len, sizeof(void *), cmp_str);
}

bool target_function_exists(Target *t, const char *name) {
  load_funcs(t);
  return hashmap_get(&t->funcs, name, strlen(name)) != NULL;
}

void target_functions_matching(Target *t, const char *glob, Vec *out) {
  load_funcs(t);
  if (!strpbrk(glob, "*?[")) {
    if (target_function_exists(t, glob)) vec_push(out, t->arena, (void *)glob);
    return;
  }
  for (size_t i = 0; i < t->func_names.len; i++)
    if (fnmatch(glob, t->func_names.items[i], 0) == 0)
      vec_push(out, t->arena, t->func_names.items[i]);
}

/* ---- tracefs ---- */

static const char *find_tracefs(Target *t) {
  if (t->tracefs) return t->tracefs;
  static const char *const dirs[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
  for (size_t i = 0; i < 2; i++) {
    char *p = arena_printf(t->arena, "%s/available_events", dirs[i]);
    if (file_exists(p)) return t->tracefs = dirs[i];
  }
  /* Not mounted: mount it where the kernel provides the mount point. */
  if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 ||
      errno == EBUSY) {
    if (file_exists("/sys/kernel/tracing/available_events"))
      return t->tracefs = "/sys/kernel/tracing";
  }
  return NULL;
}

/* "\toffset:16;\tsize:8;\tsigned:0;" after a format field's declaration. */
static void field_layout(TargetVar *v, const char *rest) {
  const char *o = strstr(rest, "offset:"), *z = strstr(rest, "size:"),
             *g = strstr(rest, "signed:");
  if (o) v->offset = atoi(o + 7);
  if (z) v->size = atoi(z + 5);
  if (g) v->is_signed = atoi(g + 7) != 0;
}

/* "field:unsigned int fd;\toffset:16;..." -> ("fd", "unsigned int");
 * "field:__data_loc char[] comm;" (a string stored in the record) ->
 * ("comm", "char[]"). */
static TargetVar *parse_format_field(Target *t, const char *line) {
  const char *f = strstr(line, "field:");
  if (!f) return NULL;
  f += 6;
  if (strncmp(f, "__data_loc ", 11) == 0) {
    f += 11;
    const char *semi = strchr(f, ';'), *br = strstr(f, "[]");
    if (!semi || !br || br > semi) return NULL;
    const char *name = br + 2;
    while (*name == ' ') name++;
    TargetVar *v = arena_alloc(t->arena, sizeof *v);
    v->name = arena_strndup(t->arena, name, (size_t)(semi - name));
    v->ctype = arena_printf(t->arena, "%.*s[]", (int)(br - f), f);
    v->data_loc = true;
    field_layout(v, semi);
    return v;
  }
  const char *semi = strchr(f, ';');
  if (!semi) return NULL;
  const char *end = semi;
  while (end > f && end[-1] == ' ') end--;
  /* Strip an array suffix for the name: "char comm[16]". */
  const char *bracket = NULL;
  for (const char *q = f; q < end; q++)
    if (*q == '[') {
      bracket = q;
      break;
    }
  const char *name_end = bracket ? bracket : end;
  const char *name = name_end;
  while (name > f && (name[-1] == '_' || (name[-1] >= 'a' && name[-1] <= 'z') ||
                      (name[-1] >= 'A' && name[-1] <= 'Z') ||
                      (name[-1] >= '0' && name[-1] <= '9')))
    name--;
  const char *type_end = name;
  while (type_end > f && type_end[-1] == ' ') type_end--;
  TargetVar *v = arena_alloc(t->arena, sizeof *v);
  v->name = arena_strndup(t->arena, name, (size_t)(name_end - name));
  StrBuf sb;
  sb_init(&sb);
  sb_append(&sb, f, (size_t)(type_end - f));
  if (bracket) sb_append(&sb, bracket, (size_t)(end - bracket));
  /* "char * buf" -> "char *" */
  v->ctype = arena_strdup(t->arena, sb_cstr(&sb));
  sb_free(&sb);
  field_layout(v, semi);
  return v;
}

static void syscall_arg_type(Target *t, TargetVar *v);

/* The fields of events/SYSTEM/EVENT/format, after the common ones. */
static void read_format(Target *t, const char *system, const char *event, Vec *out,
                        bool skip_syscall_nr) {
  const char *dir = find_tracefs(t);
  if (!dir) return;
  char *path = arena_printf(t->arena, "%s/events/%s/%s/format", dir, system, event);
  FILE *fp = fopen(path, "r");
  if (!fp) return;
  char line[512];
  while (fgets(line, sizeof line, fp)) {
    TargetVar *v = parse_format_field(t, line);
    if (!v || strncmp(v->name, "common_", 7) == 0) continue;
    if (skip_syscall_nr && strcmp(v->name, "__syscall_nr") == 0) continue;
    if (strcmp(system, "syscalls") == 0) syscall_arg_type(t, v);
    vec_push(out, t->arena, v);
  }
  fclose(fp);
}

static int cmp_event(const void *a, const void *b) {
  const TargetEvent *x = *(const TargetEvent *const *)a, *y = *(const TargetEvent *const *)b;
  int c = strcmp(x->system, y->system);
  return c ? c : strcmp(x->event, y->event);
}

static TargetEvent *add_event(Target *t, const char *system, const char *event) {
  char *key = arena_printf(t->arena, "%s:%s", system, event);
  TargetEvent *ev = hashmap_get(&t->events, key, strlen(key));
  if (ev) return ev;
  ev = arena_alloc(t->arena, sizeof *ev);
  ev->system = arena_strdup(t->arena, system);
  ev->event = arena_strdup(t->arena, event);
  hashmap_put(&t->events, key, strlen(key), ev);
  vec_push(&t->event_list, t->arena, ev);
  return ev;
}

/* Is BTF type id a signed integer (through typedefs and modifiers)? */
static bool type_is_signed(struct btf *b, int id) {
  const struct btf_type *t = btf__type_by_id(b, (unsigned)id);
  while (t && (btf_is_typedef(t) || btf_is_mod(t))) t = btf__type_by_id(b, t->type);
  if (t && btf_is_int(t)) return (btf_int_encoding(t) & BTF_INT_SIGNED) != 0;
  if (t && btf_is_enum(t)) return true;
  return false;
}

/* The fields of an event from BTF: struct trace_event_raw_<class>, where
 * the class is the event itself for TRACE_EVENT and the named class for
 * DEFINE_EVENT. */
static void btf_event_fields(Target *t, TargetEvent *ev, const char *cls) {
  struct btf *b = target_btf(t, NULL);
  if (!b) return;
  char name[300];
  snprintf(name, sizeof name, "trace_event_raw_%s", cls);
  int id = btf__find_by_name_kind(b, name, BTF_KIND_STRUCT);
  if (id <= 0) return;
  const struct btf_type *st = btf__type_by_id(b, (unsigned)id);
  const struct btf_member *m = btf_members(st);
  for (unsigned i = 0; i < btf_vlen(st); i++) {
    const char *mn = btf__name_by_offset(b, m[i].name_off);
    if (!mn || !*mn || strcmp(mn, "ent") == 0 || strcmp(mn, "__data") == 0) continue;
    TargetVar *v = arena_alloc(t->arena, sizeof *v);
    v->name = arena_strdup(t->arena, mn);
    v->btf_id = (int)m[i].type;
    v->ctype = target_type_name(t, v->btf_id);
    v->offset = (int)(btf_member_bit_offset(st, i) / 8);
    int sz = btf__resolve_size(b, (unsigned)v->btf_id);
    v->size = sz > 0 ? sz : 0;
    v->is_signed = type_is_signed(b, v->btf_id);
    v->data_loc = strncmp(mn, "__data_loc_", 11) == 0;
    vec_push(&ev->fields, t->arena, v);
  }
  ev->fields_from_btf = true;
}

/* Another kernel: its include/trace/events/ headers name the events
 * (TRACE_SYSTEM, TRACE_EVENT(name, DEFINE_EVENT(class, name) and BTF
 * gives their fields. */
static void load_events_headers(Target *t) {
  const char *dir = arena_printf(t->arena, "%s/include/trace/events", t->kernel->source_dir);
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    size_t n = strlen(de->d_name);
    if (n < 3 || strcmp(de->d_name + n - 2, ".h") != 0) continue;
    FILE *fp = fopen(arena_printf(t->arena, "%s/%s", dir, de->d_name), "r");
    if (!fp) continue;
    char line[512], system[128] = "";
    while (fgets(line, sizeof line, fp)) {
      char a[128], b[128];
      if (sscanf(line, "#define TRACE_SYSTEM %127s", a) == 1) {
        snprintf(system, sizeof system, "%s", a);
        continue;
      }
      if (!system[0]) continue;
      if (sscanf(line, "TRACE_EVENT(%127[A-Za-z0-9_],", a) == 1 ||
          sscanf(line, "TRACE_EVENT_FN(%127[A-Za-z0-9_],", a) == 1 ||
          sscanf(line, "TRACE_EVENT_CONDITION(%127[A-Za-z0-9_],", a) == 1) {
        TargetEvent *ev = add_event(t, system, a);
        btf_event_fields(t, ev, a);
      } else if (sscanf(line, "DEFINE_EVENT(%127[A-Za-z0-9_], %127[A-Za-z0-9_],", a, b) == 2 ||
                 sscanf(line, "DEFINE_EVENT_CONDITION(%127[A-Za-z0-9_], %127[A-Za-z0-9_],", a, b) == 2) {
        TargetEvent *ev = add_event(t, system, b);
        btf_event_fields(t, ev, a);
      }
    }
    fclose(fp);
  }
  closedir(d);
}

static void load_events(Target *t) {
  if (t->events_loaded) return;
  t->events_loaded = true;
  if (!t->kernel->is_running || t->kernel->root[0]) {
    load_events_headers(t);
    if (t->event_list.len)
      qsort(t->event_list.items, t->event_list.len, sizeof(void *), cmp_event);
    return;
  }
  const char *dir = find_tracefs(t);
  if (!dir) return;
  FILE *fp = fopen(arena_printf(t->arena, "%s/available_events", dir), "r");
  if (!fp) return;
  char line[512];
  while (fgets(line, sizeof line, fp)) {
    line[strcspn(line, "\n")] = 0;
    char *colon = strchr(line, ':');
    if (!colon) continue;
    TargetEvent *ev = arena_alloc(t->arena, sizeof *ev);
    ev->system = arena_strndup(t->arena, line, (size_t)(colon - line));
    ev->event = arena_strdup(t->arena, colon + 1);
    char *key = arena_strdup(t->arena, line);
    hashmap_put(&t->events, key, strlen(key), ev);
    vec_push(&t->event_list, t->arena, ev);
  }
  fclose(fp);
  if (t->event_list.len)
    qsort(t->event_list.items, t->event_list.len, sizeof(void *), cmp_event);
}

void target_events_matching(Target *t, const char *system_glob, const char *event_glob,
                            Vec *out) {
  load_events(t);
  for (size_t i = 0; i < t->event_list.len; i++) {
    TargetEvent *ev = t->event_list.items[i];
    if (fnmatch(system_glob, ev->system, 0) == 0 && fnmatch(event_glob, ev->event, 0) == 0)
      vec_push(out, t->arena, ev);
  }
}

/* Do the parameters of FUNC_PROTO a (from the second on) have the types
 * of FUNC_PROTO b's? */
static bool same_params(struct btf *b, const struct btf_type *x, const struct btf_type *y) {
  if (btf_vlen(x) != btf_vlen(y)) return false;
  const struct btf_param *px = btf_params(x), *py = btf_params(y);
  for (unsigned i = 1; i < btf_vlen(x); i++)
    if (px[i].type != py[i].type) return false;
  (void)b;
  return true;
}

/* The arguments of a tracepoint (its TP_PROTO), as stap offers them: the
 * kernel's BTF has a stub __bpf_trace_<class>(void *__data, args...) with
 * the names, where class is the event for TRACE_EVENT and the template for
 * DEFINE_EVENT; btf_trace_<event> gives the types to find the template. */
static void event_args(Target *t, TargetEvent *ev, Vec *out) {
  struct btf *b = target_btf(t, NULL);
  if (!b) return;
  int fn = btf_func_id(t, b, arena_printf(t->arena, "__bpf_trace_%s", ev->event));
  if (fn <= 0) {
    int td = target_type_id(t, arena_printf(t->arena, "btf_trace_%s", ev->event));
    const struct btf_type *ptr = td > 0 ? btf__type_by_id(b, btf__type_by_id(b, (unsigned)td)->type) : NULL;
    const struct btf_type *want = ptr && btf_kind(ptr) == BTF_KIND_PTR ? btf__type_by_id(b, ptr->type) : NULL;
    if (!want || btf_kind(want) != BTF_KIND_FUNC_PROTO) return;
    /* The template whose name shares the longest start with the event. */
    size_t best = 0;
    for (size_t i = 0; i < t->btf_trace_stubs.len; i++) {
      const char *name = t->btf_trace_stubs.items[i];
      int id = btf_func_id(t, b, name);
      const struct btf_type *proto = btf__type_by_id(b, btf__type_by_id(b, (unsigned)id)->type);
      if (!same_params(b, want, proto)) continue;
      size_t k = 0;
      while (name[12 + k] && name[12 + k] == ev->event[k]) k++;
      if (k > best) {
        best = k;
        fn = id;
      }
    }
    if (fn <= 0) return;
  }
  const struct btf_type *proto = btf__type_by_id(b, btf__type_by_id(b, (unsigned)fn)->type);
  const struct btf_param *p = btf_params(proto);
  for (unsigned i = 1; i < btf_vlen(proto); i++) {
    TargetVar *v = arena_alloc(t->arena, sizeof *v);
    v->name = arena_strdup(t->arena, btf__name_by_offset(b, p[i].name_off));
    v->btf_id = (int)p[i].type;
    v->ctype = target_type_name(t, v->btf_id);
    vec_push(out, t->arena, v);
  }
}

const Vec *target_event_vars(Target *t, TargetEvent *ev) {
  if (ev->vars_loaded) return &ev->vars;
  ev->vars_loaded = true;
  /* The arguments first, as stap gives them; then the record's fields
   * whose names the arguments do not already use. */
  Vec fields = {0};
  event_args(t, ev, &ev->vars);
  if (ev->fields_from_btf) fields = ev->fields;
  else read_format(t, ev->system, ev->event, &fields, false);
  for (size_t i = 0; i < fields.len; i++) {
    TargetVar *f = fields.items[i];
    bool dup = false;
    for (size_t k = 0; k < ev->vars.len && !dup; k++)
      dup = !strcmp(((TargetVar *)ev->vars.items[k])->name, f->name);
    f->is_field = true;
    if (!dup) vec_push(&ev->vars, t->arena, f);
  }
  return &ev->vars;
}

/* ---- Syscalls ---- */

static int cmp_syscall(const void *a, const void *b) {
  return strcmp((*(const TargetSyscall *const *)a)->name,
                (*(const TargetSyscall *const *)b)->name);
}

static void add_syscall(Target *t, const char *name, Vec args, bool loaded) {
  if (hashmap_get(&t->syscalls, name, strlen(name))) return;
  TargetSyscall *s = arena_alloc(t->arena, sizeof *s);
  s->name = arena_strdup(t->arena, name);
  s->args = args;
  s->args_loaded = loaded;
  hashmap_put(&t->syscalls, s->name, strlen(s->name), s);
  vec_push(&t->syscall_list, t->arena, s);
}

/* A syscall argument's value from its C type.  The kernel passes each
 * argument in a 64-bit register and the syscalls:* records keep it as 8
 * bytes, but only the C type's bytes are the value: `int dfd` of -100
 * arrives as 0x00000000ffffff9c from a caller that set only the low half
 * (SYSCALL_DEFINE's wrappers truncate the same way).  So v->size becomes
 * the type's size and v->is_signed its signedness (tracefs gives 0 for
 * every argument).  The types syscall prototypes use are known by name;
 * another typedef is looked up in BTF; failing both, the slot stays as
 * it is (8 bytes, unsigned). */
static void syscall_arg_type(Target *t, TargetVar *v) {
  if (!v->ctype || v->data_loc || (v->size != 8 && v->size != 4)) return;
  if (strchr(v->ctype, '*') || strchr(v->ctype, '[')) {
    v->is_signed = false; /* an address */
    return;
  }
  const char *c = v->ctype;
  while (!strncmp(c, "const ", 6) || !strncmp(c, "volatile ", 9)) c += c[0] == 'c' ? 6 : 9;
  static const struct { const char *name; int size; bool is_signed; } known[] = {
      {"int", 4, true},            {"signed int", 4, true},      {"unsigned int", 4, false},
      {"unsigned", 4, false},      {"long", 8, true},            {"long int", 8, true},
      {"unsigned long", 8, false}, {"long long", 8, true},       {"unsigned long long", 8, false},
      {"short", 2, true},          {"unsigned short", 2, false}, {"char", 1, true},
      {"unsigned char", 1, false}, {"size_t", 8, false},         {"ssize_t", 8, true},
      {"pid_t", 4, true},          {"uid_t", 4, false},          {"gid_t", 4, false},
      {"qid_t", 4, false},         {"umode_t", 2, false},        {"loff_t", 8, true},
      {"off_t", 8, true},          {"key_t", 4, true},           {"key_serial_t", 4, true},
      {"mqd_t", 4, true},          {"timer_t", 4, true},         {"clockid_t", 4, true},
      {"rwf_t", 4, true},          {"aio_context_t", 8, false},  {"u8", 1, false},
      {"u16", 2, false},           {"u32", 4, false},            {"u64", 8, false},
      {"__u8", 1, false},          {"__u16", 2, false},          {"__u32", 4, false},
      {"__u64", 8, false},         {"s32", 4, true},             {"s64", 8, true},
      {"__s32", 4, true},          {"__s64", 8, true},           {"old_uid_t", 2, false},
      {"old_gid_t", 2, false},     {"cap_user_header_t", 8, false},
      {"cap_user_data_t", 8, false},
  };
  int size = 0;
  bool sign = false;
  for (size_t i = 0; i < sizeof known / sizeof *known; i++)
    if (strcmp(c, known[i].name) == 0) {
      size = known[i].size;
      sign = known[i].is_signed;
      break;
    }
  if (!size && !strncmp(c, "enum ", 5)) {
    size = 4; /* unsigned int: the kernel's enums here have no negative values */
  } else if (!size) {
    struct btf *b = target_btf(t, NULL);
    int id = b ? target_type_id(t, c) : 0;
    const struct btf_type *bt = id > 0 ? btf__type_by_id(b, (unsigned)btf__resolve_type(b, (unsigned)id)) : NULL;
    if (!bt) return;
    if (btf_is_ptr(bt)) {
      size = 8;
    } else if (btf_is_int(bt) || btf_is_enum(bt)) {
      size = (int)bt->size;
      sign = type_is_signed(b, id);
    } else {
      return;
    }
  }
  if (size > v->size) return;
  v->size = size;
  v->is_signed = sign;
}

/* Running kernel: the syscalls:sys_enter_NAME events and their fields. */
static void load_syscalls_tracefs(Target *t) {
  const char *dir = find_tracefs(t);
  if (!dir) return;
  DIR *d = opendir(arena_printf(t->arena, "%s/events/syscalls", dir));
  if (!d) return;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strncmp(de->d_name, "sys_enter_", 10) != 0) continue;
    add_syscall(t, de->d_name + 10, (Vec){0}, false);
  }
  closedir(d);
}

/* Is the last word of a prototype parameter a type rather than a name?
 * (p is the parameter, nm its last word) */
static bool param_unnamed(const char *p, const char *nm) {
  if (!*nm || nm == p) return true; /* ends in '*', or a lone word */
  static const char *const types[] = {"int", "long", "char", "short", "unsigned", "signed",
                                      "u32", "u64", "s32", "s64", "size_t", "pid_t",
                                      "uid_t", "gid_t", "umode_t", "off_t", "loff_t",
                                      "key_t", "mqd_t", "timer_t", "clockid_t", "qid_t",
                                      "rwf_t", "aio_context_t", "key_serial_t", NULL};
  for (int i = 0; types[i]; i++)
    if (strcmp(nm, types[i]) == 0) return true;
  /* "struct foo" with no name: the word before is struct/union/enum. */
  const char *w = nm;
  while (w > p && w[-1] == ' ') w--;
  return (w - p >= 6 && strncmp(w - 6, "struct", 6) == 0) ||
         (w - p >= 5 && strncmp(w - 5, "union", 5) == 0) ||
         (w - p >= 4 && strncmp(w - 4, "enum", 4) == 0);
}

/* Another kernel: prototypes "asmlinkage long sys_NAME(TYPE NAME, ...);" in
 * the build tree's include/linux/syscalls.h, for the syscalls its symbol
 * table implements. */
static void load_syscalls_headers(Target *t) {
  FILE *fp = fopen(arena_printf(t->arena, "%s/include/linux/syscalls.h", t->kernel->source_dir), "r");
  if (!fp) return;
  StrBuf decl;
  sb_init(&decl);
  char line[1024];
  bool in_decl = false;
  /* After the header, the calls the architecture defines itself (mmap,
   * arch_prctl, ... on x86_64), which it does not declare. */
  const char *const *arch = target_syscall_arch_prototypes(t);
  size_t ai = 0;
  while (fgets(line, sizeof line, fp) ||
         (arch && arch[ai] && snprintf(line, sizeof line, "%s\n", arch[ai++]) > 0)) {
    if (!in_decl && !strstr(line, "asmlinkage long sys_")) continue;
    if (!in_decl) sb_clear(&decl);
    sb_puts(&decl, line);
    in_decl = !strchr(line, ';');
    if (in_decl) continue;
    const char *s = strstr(sb_cstr(&decl), "sys_") + 4;
    const char *paren = strchr(s, '(');
    const char *close = paren ? strrchr(paren, ')') : NULL;
    if (!paren || !close) continue;
    char *name = arena_strndup(t->arena, s, (size_t)(paren - s));
    /* Where the architecture's numbers are known, only its calls: the
     * header also declares other architectures' and compat calls
     * (chown16, fcntl64, ...), which have no syscalls:* events here. */
    if (target_syscall_table_known(t) && target_syscall_nr(t, name) < 0) continue;
    char sym[300];
    snprintf(sym, sizeof sym, "__x64_sys_%s", name);
    if (t->func_names.len && !t->funcs_from_btf && !target_function_exists(t, sym) &&
        !target_function_exists(t, arena_printf(t->arena, "sys_%s", name)))
      continue;
    Vec args = {0};
    char *params = arena_strndup(t->arena, paren + 1, (size_t)(close - paren - 1));
    for (char *p = strtok(params, ","); p; p = strtok(NULL, ",")) {
      while (*p == ' ' || *p == '\n' || *p == '\t') p++;
      char *end = p + strlen(p);
      while (end > p && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\t')) *--end = 0;
      if (!*p || strcmp(p, "void") == 0) continue;
      char *nm = end;
      while (nm > p && (nm[-1] == '_' || (nm[-1] >= 'a' && nm[-1] <= 'z') ||
                        (nm[-1] >= '0' && nm[-1] <= '9') || (nm[-1] >= 'A' && nm[-1] <= 'Z')))
        nm--;
      TargetVar *v = arena_alloc(t->arena, sizeof *v);
      if (param_unnamed(p, nm)) {
        /* "int __user *": a prototype without names; number them. */
        v->name = arena_printf(t->arena, "arg%zu", args.len + 1);
      } else {
        v->name = arena_strdup(t->arena, nm);
        *nm = 0;
      }
      /* "const char __user *" -> "const char *" */
      StrBuf ty;
      sb_init(&ty);
      for (char *w = strtok_r(p, " \t\n", &end); w; w = strtok_r(NULL, " \t\n", &end)) {
        if (strcmp(w, "__user") == 0) continue;
        if (ty.len && w[0] != '*') sb_putc(&ty, ' ');
        else if (ty.len && w[0] == '*' && sb_cstr(&ty)[ty.len - 1] != '*') sb_putc(&ty, ' ');
        sb_puts(&ty, w);
      }
      v->ctype = arena_strdup(t->arena, sb_cstr(&ty));
      sb_free(&ty);
      /* The syscalls:sys_enter_* record: common fields, the syscall
       * number, then each argument as 8 bytes. */
      v->offset = 16 + 8 * (int)args.len;
      v->size = 8;
      v->is_signed = !strchr(v->ctype, '*') && !strstr(v->ctype, "unsigned");
      syscall_arg_type(t, v);
      vec_push(&args, t->arena, v);
    }
    add_syscall(t, name, args, true);
  }
  sb_free(&decl);
  fclose(fp);
}

static void load_syscalls(Target *t) {
  if (t->syscalls_loaded) return;
  t->syscalls_loaded = true;
  if (t->kernel->is_running && !t->kernel->root[0]) load_syscalls_tracefs(t);
  if (!t->syscall_list.len) {
    load_funcs(t);
    load_syscalls_headers(t);
  }
  if (t->syscall_list.len)
    qsort(t->syscall_list.items, t->syscall_list.len, sizeof(void *), cmp_syscall);
}

void target_syscalls_matching(Target *t, const char *glob, Vec *out) {
  load_syscalls(t);
  for (size_t i = 0; i < t->syscall_list.len; i++) {
    TargetSyscall *s = t->syscall_list.items[i];
    if (fnmatch(glob, s->name, 0) == 0) vec_push(out, t->arena, s);
  }
}

const Vec *target_syscall_args(Target *t, TargetSyscall *sc) {
  if (!sc->args_loaded) {
    sc->args_loaded = true;
    read_format(t, "syscalls", arena_printf(t->arena, "sys_enter_%s", sc->name), &sc->args, true);
  }
  return &sc->args;
}

/* ---- Modules ---- */

/* Index <root>/lib/modules/R/kernel/ ** / *.ko by module name ('-' and '_'
 * are the same in module names). */
static void index_modules_dir(Target *t, const char *dir, int depth) {
  DIR *d = depth < 8 ? opendir(dir) : NULL;
  if (!d) return;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.') continue;
    char *path = arena_printf(t->arena, "%s/%s", dir, de->d_name);
    size_t n = strlen(de->d_name);
    if (n > 3 && strcmp(de->d_name + n - 3, ".ko") == 0) {
      char *name = arena_strndup(t->arena, de->d_name, n - 3);
      for (char *c = name; *c; c++)
        if (*c == '-') *c = '_';
      hashmap_put(&t->module_paths, name, strlen(name), path);
    } else if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) {
      index_modules_dir(t, path, depth + 1);
    }
  }
  closedir(d);
}

const char *target_module_path(Target *t, const char *module) {
  if (!t->modules_indexed) {
    t->modules_indexed = true;
    index_modules_dir(t, arena_printf(t->arena, "%s/lib/modules/%s/kernel", t->kernel->root,
                                      t->kernel->release), 0);
  }
  char *name = arena_strdup(t->arena, module);
  for (char *c = name; *c; c++)
    if (*c == '-') *c = '_';
  return hashmap_get(&t->module_paths, name, strlen(name));
}

bool target_module_function_params(Target *t, const char *module, const char *fn, Vec *params) {
  const char *path = target_module_path(t, module);
  struct btf *base = target_btf(t, NULL);
  if (!path || !base) return false;
  char *key = arena_printf(t->arena, "btf:%s", module);
  struct btf *b = hashmap_get(&t->module_paths, key, strlen(key));
  if (!b) {
    b = btf__parse_split(path, base);
    if (!b) return false;
    hashmap_put(&t->module_paths, key, strlen(key), b);
    vec_push(&t->module_btfs, t->arena, b);
  }
  int id = btf__find_by_name_kind(b, fn, BTF_KIND_FUNC);
  if (id <= 0) return false;
  const struct btf_type *proto = btf__type_by_id(b, btf__type_by_id(b, (unsigned)id)->type);
  const struct btf_param *p = btf_params(proto);
  for (unsigned i = 0; i < btf_vlen(proto); i++) {
    const char *pname = btf__name_by_offset(b, p[i].name_off);
    if (!pname || !*pname) continue;
    TargetVar *v = arena_alloc(t->arena, sizeof *v);
    v->name = arena_strdup(t->arena, pname);
    v->ctype = type_name_in(t, b, (int)p[i].type);
    /* Types are named, not numbered: ids of the module's split BTF mean
     * nothing in the kernel's, and pass 2 resolves chains by name. */
    v->btf_id = 0;
    vec_push(params, t->arena, v);
  }
  return true;
}
