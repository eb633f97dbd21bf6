/* btf_check: the target tests' checker.  Reads the BTF of a real kernel
 * through kimage_read_btf (a bzImage, an ELF vmlinux or raw BTF), parses it
 * with libbpf and checks facts that every recent x86-64 kernel has, so that
 * a broken decompressor or section lookup shows as a named failure.
 *
 *   btf_check FILE NAME    prints PASS:/FAIL: NAME/CHECK lines; exit 0
 *                          when all pass, 1 otherwise */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/btf.h>

#include "target/kimage.h"

static int failures;
static const char *prefix;

static void check(const char *name, bool ok, const char *detail) {
  printf("%s: %s/%s\n", ok ? "PASS" : "FAIL", prefix, name);
  if (!ok) {
    failures++;
    if (detail) printf("    %s\n", detail);
  }
}

/* Whether the struct or union `id` has a member `name`, looking into its
 * anonymous struct and union members too (depth-bounded). */
static bool has_member(const struct btf *b, int id, const char *name, int depth) {
  const struct btf_type *t = btf__type_by_id(b, (__u32)id);
  if (!t || depth > 8 || (!btf_is_struct(t) && !btf_is_union(t))) return false;
  const struct btf_member *m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); i++, m++) {
    const char *mn = btf__name_by_offset(b, m->name_off);
    if (mn && strcmp(mn, name) == 0) return true;
    if ((!mn || !*mn) && has_member(b, (int)btf__resolve_type(b, m->type), name, depth + 1))
      return true;
  }
  return false;
}

static void check_member(const struct btf *b, const char *sname, const char *member) {
  char name[128], detail[256];
  snprintf(name, sizeof name, "struct-%s-%s", sname, member);
  int id = btf__find_by_name_kind(b, sname, BTF_KIND_STRUCT);
  if (id <= 0) {
    snprintf(detail, sizeof detail, "no struct %s", sname);
    check(name, false, detail);
    return;
  }
  snprintf(detail, sizeof detail, "struct %s has no member %s", sname, member);
  check(name, has_member(b, id, member, 0), detail);
}

/* FUNC fname's prototype has exactly the parameter names in want. */
static void check_params(const struct btf *b, const char *fname, const char *const *want, int n) {
  char name[128], detail[512];
  snprintf(name, sizeof name, "func-%s-params", fname);
  int id = btf__find_by_name_kind(b, fname, BTF_KIND_FUNC);
  const struct btf_type *f = id > 0 ? btf__type_by_id(b, (__u32)id) : NULL;
  const struct btf_type *proto = f ? btf__type_by_id(b, f->type) : NULL;
  if (!proto || !btf_is_func_proto(proto)) {
    snprintf(detail, sizeof detail, "no FUNC %s with a prototype", fname);
    check(name, false, detail);
    return;
  }
  const struct btf_param *p = btf_params(proto);
  int len = snprintf(detail, sizeof detail, "%s(", fname);
  bool ok = btf_vlen(proto) == n;
  for (int i = 0; i < btf_vlen(proto); i++) {
    const char *pn = btf__name_by_offset(b, p[i].name_off);
    if (!pn) pn = "?";
    if (i >= n || strcmp(pn, want[i]) != 0) ok = false;
    if (len < (int)sizeof detail)
      len += snprintf(detail + len, sizeof detail - (size_t)len, "%s%s", i ? ", " : "", pn);
  }
  if (len < (int)sizeof detail) snprintf(detail + len, sizeof detail - (size_t)len, ")");
  check(name, ok, detail);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: btf_check FILE NAME\n");
    return 2;
  }
  prefix = argv[2];
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  void *data = NULL;
  size_t size = 0;
  char *err = NULL;
  int rc = kimage_read_btf(argv[1], &data, &size, &err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  check("read-btf", rc == 0, err);
  free(err);
  if (rc != 0) return 1;
  struct btf *b = btf__new(data, (__u32)size);
  free(data);
  check("libbpf-parses", b != NULL, "btf__new failed");
  if (!b) return 1;
  double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  printf("    %s: %zu bytes of BTF, %u types, read in %.0f ms\n", argv[1], size,
         btf__type_cnt(b), ms);

  check_member(b, "task_struct", "__state");
  check_member(b, "file", "f_pos");
  static const char *const vfs_read_params[] = {"file", "buf", "count", "pos"};
  check_params(b, "vfs_read", vfs_read_params, 4);
  btf__free(b);
  return failures ? 1 : 0;
}
