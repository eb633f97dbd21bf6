/* core: CO-RE relocations for struct member offsets (see bo.h).
 *
 * gen_member_add emits `r0 += offset of member` as the kernel the object
 * is built for lays the struct out, and records a relocation for it
 * against a description of the struct (a BoCoreType) that holds only the
 * members the object reads: libbpf rewrites the offset at load time to
 * the running kernel's, matching the struct and the member by name.  A
 * member inside unnamed structs or unions is described as a member of
 * the named struct itself, at its offset there; libbpf finds it in the
 * running kernel's struct through the unnamed ones.  A member of a type
 * CO-RE cannot match (a function pointer's target, a float, a bitfield)
 * and a struct without a name keep the built-for offset. */
#include <string.h>

#include <bpf/btf.h>

#include "bpf/gen.h"

#define E (g->e)

/* The member named name of struct or union id (through unnamed inner
 * ones): its type and byte offset; false if there is none or it is a
 * bitfield. */
static bool find_member(const struct btf *b, int id, const char *name, int *type, long *off) {
  const struct btf_type *t = btf__type_by_id(b, (unsigned)gen_skip_mods(b, id));
  if (!t || !btf_is_composite(t)) return false;
  const struct btf_member *m = btf_members(t);
  for (unsigned i = 0; i < btf_vlen(t); i++) {
    const char *mn = btf__name_by_offset(b, m[i].name_off);
    uint32_t bits = btf_member_bit_offset(t, i);
    if (mn && *mn) {
      if (strcmp(mn, name)) continue;
      if (bits % 8 || btf_member_bitfield_size(t, i)) return false;
      *type = (int)m[i].type;
      *off = (long)(bits / 8);
      return true;
    }
    long sub;
    if (find_member(b, (int)m[i].type, name, type, &sub)) {
      *off = (long)(bits / 8) + sub;
      return true;
    }
  }
  return false;
}

static uint32_t core_type_of(Gen *g, const struct btf *b, int id);

/* Describe a member of type id (modifiers skipped); false if CO-RE
 * cannot match it. */
static bool describe(Gen *g, const struct btf *b, int id, BoCoreMember *m) {
  id = gen_skip_mods(b, id);
  const struct btf_type *t = btf__type_by_id(b, (unsigned)id);
  if (!t) return false;
  if (btf_is_ptr(t)) {
    m->kind = BO_CORE_PTR;
    m->size = 8;
    return true;
  }
  if (btf_is_int(t) || btf_is_enum(t) || btf_is_enum64(t)) {
    if (btf_is_int(t) && (btf_int_offset(t) || btf_int_bits(t) % 8)) return false;
    m->kind = BO_CORE_INT;
    m->size = t->size;
    m->is_signed = btf_is_int(t) ? (btf_int_encoding(t) & BTF_INT_SIGNED) != 0
                                 : (btf_kflag(t) != 0);
    return true;
  }
  if (btf_is_composite(t)) {
    const char *name = btf__name_by_offset(b, t->name_off);
    if (!name || !*name) return false;
    m->kind = BO_CORE_STRUCT;
    m->type = core_type_of(g, b, id);
    return true;
  }
  if (btf_is_array(t)) {
    const struct btf_array *a = btf_array(t);
    int el = gen_skip_mods(b, (int)a->type);
    const struct btf_type *et = btf__type_by_id(b, (unsigned)el);
    if (!et || !btf_is_int(et) || btf_int_offset(et) || btf_int_bits(et) % 8) return false;
    m->kind = BO_CORE_ARRAY;
    m->size = et->size;
    m->is_signed = (btf_int_encoding(et) & BTF_INT_SIGNED) != 0;
    m->nelems = a->nelems;
    return true;
  }
  return false;
}

/* The core type describing named struct or union id (made empty the
 * first time).  Keyed by kind and name, as the object's BTF finds it. */
static uint32_t core_type_of(Gen *g, const struct btf *b, int id) {
  const struct btf_type *t = btf__type_by_id(b, (unsigned)id);
  const char *name = btf__name_by_offset(b, t->name_off);
  for (size_t i = 0; i < g->core_types.len; i++) {
    const BoCoreType *c = g->core_types.items[i];
    if (c->is_union == btf_is_union(t) && !strcmp(c->name, name)) return (uint32_t)i;
  }
  BoCoreType *ct = arena_alloc(g->arena, sizeof *ct);
  *ct = (BoCoreType){.name = arena_strdup(g->arena, name),
                     .is_union = btf_is_union(t), .size = t->size};
  vec_push(&g->core_types, g->arena, ct);
  return (uint32_t)g->core_types.len - 1;
}

void gen_member_add(Gen *g, int struct_id, const char *member, long off) {
  const struct btf *b = target_btf(g->target, NULL);
  int id = b ? gen_skip_mods(b, struct_id) : 0;
  const struct btf_type *t = b ? btf__type_by_id(b, (unsigned)id) : NULL;
  const char *sname = t ? btf__name_by_offset(b, t->name_off) : NULL;
  int mtype;
  long moff;
  BoCoreMember m = {0};
  if (!g->user && sname && *sname && find_member(b, id, member, &mtype, &moff) && moff == off &&
      describe(g, b, mtype, &m)) {
    uint32_t ti = core_type_of(g, b, id);
    BoCoreType *ct = g->core_types.items[ti];
    uint32_t mi = 0;
    while (mi < ct->nmembers && strcmp(ct->members[mi].name, member)) mi++;
    if (mi == ct->nmembers) {
      BoCoreMember *ms = arena_alloc(g->arena, sizeof *ms * (ct->nmembers + 1));
      if (ct->nmembers) memcpy(ms, ct->members, sizeof *ms * ct->nmembers);
      m.name = arena_strdup(g->arena, member);
      m.offset = (uint32_t)off;
      ms[ct->nmembers++] = m;
      ct->members = ms;
    }
    emit_core(E, ti, mi);
    emit_alu_imm(E, BPF_ADD, R0, (int32_t)off);
    return;
  }
  if (off) emit_alu_imm(E, BPF_ADD, R0, (int32_t)off);
}
