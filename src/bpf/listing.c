/* listing: stap -p3 on the bpf runtime.  For each probe its program, in a
 * readable assembly (the kernel verifier's notation), each run of
 * instructions under the script line it came from. */
#include <inttypes.h>
#include <string.h>

#include "bpf/translate.h"

static const char *const alu_ops[16] = {"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=",
                                        "neg", "%=", "^=", "=", "s>>=", "end", NULL, NULL};
static const char *const jmp_ops[16] = {"goto", "==", ">", ">=", "&", "!=", "s>", "s>=",
                                        "call", "exit", "<", "<=", "s<", "s<=", NULL, NULL};
static const char *const size_names[4] = {"u32", "u16", "u8", "u64"};

static void insn_text(StrBuf *out, const struct bpf_insn *in, uint32_t i, uint32_t n) {
  uint8_t cls = BPF_CLASS(in->code);
  uint8_t op = BPF_OP(in->code) >> 4;
  bool x = BPF_SRC(in->code) == BPF_X;
  switch (cls) {
  case BPF_ALU64:
  case BPF_ALU: {
    const char *r = cls == BPF_ALU64 ? "r" : "w";
    if (op == (BPF_NEG >> 4)) sb_printf(out, "%s%d = -%s%d", r, in->dst_reg, r, in->dst_reg);
    else if (x) sb_printf(out, "%s%d %s %s%d", r, in->dst_reg, alu_ops[op], r, in->src_reg);
    else sb_printf(out, "%s%d %s %d", r, in->dst_reg, alu_ops[op], in->imm);
    return;
  }
  case BPF_JMP:
  case BPF_JMP32:
    if (op == (BPF_CALL >> 4)) {
      if (in->src_reg == BPF_PSEUDO_CALL) sb_printf(out, "call pc%+d", in->imm);
      else sb_printf(out, "call %d", in->imm);
      return;
    }
    if (op == (BPF_EXIT >> 4)) {
      sb_puts(out, "exit");
      return;
    }
    if (op == 0) {
      sb_printf(out, "goto %" PRId64, (int64_t)i + 1 + in->off);
      return;
    }
    if (x) sb_printf(out, "if r%d %s r%d goto %" PRId64, in->dst_reg, jmp_ops[op], in->src_reg,
                     (int64_t)i + 1 + in->off);
    else sb_printf(out, "if r%d %s %d goto %" PRId64, in->dst_reg, jmp_ops[op], in->imm,
                   (int64_t)i + 1 + in->off);
    return;
  case BPF_LDX:
    sb_printf(out, "r%d = *(%s *)(r%d %+d)", in->dst_reg, size_names[BPF_SIZE(in->code) >> 3],
              in->src_reg, in->off);
    return;
  case BPF_STX:
    if (BPF_MODE(in->code) == BPF_ATOMIC) {
      sb_printf(out, "lock *(%s *)(r%d %+d) += r%d", size_names[BPF_SIZE(in->code) >> 3],
                in->dst_reg, in->off, in->src_reg);
      return;
    }
    sb_printf(out, "*(%s *)(r%d %+d) = r%d", size_names[BPF_SIZE(in->code) >> 3], in->dst_reg,
              in->off, in->src_reg);
    return;
  case BPF_ST:
    sb_printf(out, "*(%s *)(r%d %+d) = %d", size_names[BPF_SIZE(in->code) >> 3], in->dst_reg,
              in->off, in->imm);
    return;
  case BPF_LD:
    if (in->code == (BPF_LD | BPF_DW | BPF_IMM) && i + 1 < n) {
      uint64_t v = (uint32_t)in->imm | (uint64_t)(uint32_t)in[1].imm << 32;
      sb_printf(out, "r%d = 0x%" PRIx64 " ll", in->dst_reg, v);
      return;
    }
    break;
  default:
    break;
  }
  sb_printf(out, "(code 0x%02x)", in->code);
}

/* "hash", "percpu_hash", ...: the map types globals use. */
static const char *map_type_name(uint32_t type) {
  switch (type) {
  case BPF_MAP_TYPE_HASH: return "hash";
  case BPF_MAP_TYPE_PERCPU_HASH: return "percpu_hash";
  case BPF_MAP_TYPE_ARRAY: return "array";
  case BPF_MAP_TYPE_PERCPU_ARRAY: return "percpu_array";
  default: return "map";
  }
}

void bpf_listing(StrBuf *out, const BoObject *obj) {
  /* the arrays and statistics: their indices' bytes in the key, and maps */
  static const char *const types[] = {"?", "long", "string", "stats"};
  for (uint32_t i = 0; i < obj->nglobals; i++) {
    const BoGlobal *g = &obj->globals[i];
    if ((!g->arity && g->type != BO_STATS) || g->map >= obj->nmaps) continue;
    const BoMap *m = &obj->maps[g->map];
    sb_printf(out, "# global %s", g->name);
    for (uint32_t j = 0; j < g->arity && j < 9; j++)
      sb_printf(out, "%s%s:%u", j ? ", " : "[", g->index[j] == BO_STRING ? "string" : "long",
                g->index_size[j]);
    sb_printf(out, "%s: %s, map %s (%s, key %u bytes, value %u bytes, %u entries)\n",
              g->arity ? "]" : "", types[g->type < 4 ? g->type : 0], m->name,
              map_type_name(m->type), m->key_size, m->value_size, m->max_entries);
  }
  for (uint32_t p = 0; p < obj->nprobes; p++) {
    const BoProbe *pr = &obj->probes[p];
    const BoProg *prog = &obj->progs[pr->prog];
    sb_printf(out, "# probe %s: %s%s (%u instructions)\n", pr->point,
              prog->user ? "user program" : "section ", prog->user ? "" : prog->section,
              prog->ninsns);
    uint32_t li = 0, r = 0;
    for (uint32_t i = 0; i < prog->ninsns; i++) {
      while (li < prog->nlines && prog->lines[li].insn == i) {
        const BoLine *l = &prog->lines[li++];
        sb_printf(out, "; %s:%u:%u\n", l->file < obj->nfiles ? obj->files[l->file] : "?",
                  l->line, l->col);
      }
      const struct bpf_insn *in = &prog->insns[i];
      sb_printf(out, "%5u: ", i);
      insn_text(out, in, i, prog->ninsns);
      while (r < prog->nrelocs && prog->relocs[r].insn < i) r++;
      if (r < prog->nrelocs && prog->relocs[r].insn == i)
        sb_printf(out, "  ; map %s", obj->maps[prog->relocs[r].map].name);
      else if (in->code == (BPF_LD | BPF_DW | BPF_IMM) && in->src_reg == BO_PSEUDO_MAP_IDX &&
               (uint32_t)in->imm < obj->nmaps)
        sb_printf(out, "  ; map %s", obj->maps[in->imm].name);
      else if (in->code == (BPF_LD | BPF_DW | BPF_IMM) && in->src_reg == BPF_PSEUDO_FUNC)
        sb_printf(out, "  ; bpf_loop body at %" PRId64, (int64_t)i + in->imm + 1);
      for (uint32_t c = 0; c < prog->ncore; c++)
        if (prog->core[c].insn == i && prog->core[c].type < obj->ncore_types) {
          const BoCoreType *t = &obj->core_types[prog->core[c].type];
          if (prog->core[c].member < t->nmembers)
            sb_printf(out, "  ; CO-RE offset of %s %s.%s", t->is_union ? "union" : "struct",
                      t->name, t->members[prog->core[c].member].name);
        }
      sb_putc(out, '\n');
      if (prog->ncode && i + 1 == prog->ncode) sb_puts(out, "; the bpf_loop bodies (.text)\n");
      if (in->code == (BPF_LD | BPF_DW | BPF_IMM)) i++;
    }
  }
}
