/* process: which processes a process.begin/.end program fires for.
 *
 * process("PATH").begin runs on sched_process_exec; it fires when the new
 * executable (current->mm->exe_file) is PATH's file: the same inode
 * number on the same device.  staprun stats PATH when it loads the object
 * and writes (device, inode) into the globals at the probe's offset
 * (BoProbe.offset), so that the object stays valid on another machine.
 * A matching process is remembered in the map "ctap_procs" (tgid -> the
 * offset, which names the executable), as process("PATH").end needs it:
 * at sched_process_exit the process's memory (and so its executable) is
 * already gone.  staprun also enters the processes already running PATH.
 * .end fires once per process, when its last thread exits (signal->live
 * has reached 0).  A script with only process("PATH").end gets a begin
 * program of its own to fill the map. */
#include <string.h>

#include <bpf/btf.h>

#include "bpf/gen.h"
#include "front/ast.h"

#define E (g->e)

/* The offset of struct `st`'s member `m` in the target's BTF, or -1
 * (reported, naming the probe). */
static long field(Gen *g, const char *st, const char *m) {
  struct btf *b = target_btf(g->target, NULL);
  int id = b ? btf__find_by_name_kind(b, st, BTF_KIND_STRUCT) : -1;
  long off = id > 0 ? member_offset(b, id, m) : -1;
  if (off < 0)
    gen_error(g, g->probe->item ? g->probe->item->loc : (SrcLoc){0},
              "probe %s needs struct %s's member %s, which the kernel's BTF lacks",
              g->probe->point, st, m);
  return off;
}

/* The executable a process probe names, with its (device, inode) slot in
 * the globals, allocated once per path. */
static GExe *exe_of(Gen *g, const char *path) {
  for (size_t i = 0; i < g->exes.len; i++) {
    GExe *x = g->exes.items[i];
    if (strcmp(x->path, path) == 0) return x;
  }
  GExe *x = arena_alloc(g->arena, sizeof *x);
  x->path = path;
  x->offset = g->globals_size;
  g->globals_size += 16;
  vec_push(&g->exes, g->arena, x);
  return x;
}

/* The begin program an executable needs when only .end probes name it
 * (NULL when it has one). */
Probe *process_companion(Gen *g, size_t i) {
  GExe *x = g->exes.items[i];
  if (x->has_begin || !x->has_end) return NULL;
  Probe *p = arena_alloc(g->arena, sizeof *p);
  p->family = PF_PROCESS_BEGIN;
  p->point = arena_printf(g->arena, "process(\"%s\").begin", x->path);
  p->target = x->path;
  p->body = ast_stmt(g->arena, S_BLOCK, (SrcLoc){0});
  return p;
}

/* r0 = *(r1 + off) (size bytes) or jump to out when r1 is 0. */
static void deref(Gen *g, long off, int size, uint32_t out) {
  emit_jmp(E, BPF_JEQ, R1, 0, 0, false, out);
  if (off) emit_alu_imm(E, BPF_ADD, R1, (int32_t)off);
  read_kernel(g, size, false, g->probe->item ? g->probe->item->loc : (SrcLoc){0},
              "identifier 'process'");
}

/* key (scratch) = this process's tgid */
static uint32_t tgid_key(Gen *g) {
  uint32_t key = gen_tmp(g, 8);
  emit_call(E, BPF_FUNC_get_current_pid_tgid);
  emit_alu_imm(E, BPF_RSH, R0, 32);
  emit_stx(E, BPF_W, R_SCR, (int16_t)key, R0);
  return key;
}

void process_filter(Gen *g, Probe *p, BoProbe *bp) {
  uint32_t out = g->out_label, mark = g->top;
  long task_signal = field(g, "task_struct", "signal");
  long live = field(g, "signal_struct", "live");
  if (!p->target) {
    if (p->family == PF_PROCESS_END) {
      /* a process ends with its last thread */
      emit_call(E, BPF_FUNC_get_current_task);
      emit_mov(E, R1, R0);
      deref(g, task_signal, 8, out);
      emit_mov(E, R1, R0);
      deref(g, live, 4, out);
      emit_jmp(E, BPF_JNE, R0, 0, 0, false, out);
    }
    return;
  }
  GExe *x = exe_of(g, p->target);
  uint32_t slot = x->offset;
  bp->offset = slot;
  if (p->family == PF_PROCESS_BEGIN) x->has_begin = true;
  else x->has_end = true;
  if (!g->has_procs) {
    g->procs_map = gen_add_map(g, "ctap_procs", BPF_MAP_TYPE_HASH, 4, 4, g->lim.maxmapentries);
    g->has_procs = true;
  }
  if (p->family == PF_PROCESS_BEGIN) {
    long mm = field(g, "task_struct", "mm"), exe = field(g, "mm_struct", "exe_file");
    long inode = field(g, "file", "f_inode"), ino = field(g, "inode", "i_ino");
    long sb = field(g, "inode", "i_sb"), dev = field(g, "super_block", "s_dev");
    if (g->failed) return;
    uint32_t in = gen_tmp(g, 8);
    emit_call(E, BPF_FUNC_get_current_task);
    emit_mov(E, R1, R0);
    deref(g, mm, 8, out);
    emit_mov(E, R1, R0);
    deref(g, exe, 8, out);
    emit_mov(E, R1, R0);
    deref(g, inode, 8, out);
    emit_stx(E, BPF_DW, R_SCR, (int16_t)in, R0);
    emit_mov(E, R1, R0);
    deref(g, ino, 8, out);
    emit_ldx(E, BPF_DW, R1, R_GLOB, (int16_t)(slot + 8));
    emit_jmp(E, BPF_JNE, R0, R1, 0, true, out);
    emit_ldx(E, BPF_DW, R1, R_SCR, (int16_t)in);
    deref(g, sb, 8, out);
    emit_mov(E, R1, R0);
    deref(g, dev, 4, out);
    emit_ldx(E, BPF_DW, R1, R_GLOB, (int16_t)slot);
    emit_jmp(E, BPF_JNE, R0, R1, 0, true, out);
    /* remembered for .end */
    uint32_t key = tgid_key(g), val = gen_tmp(g, 8);
    emit_st(E, BPF_W, R_SCR, (int16_t)val, (int32_t)slot);
    map_call(g, BPF_FUNC_map_update_elem, g->procs_map, key, (int)val, BPF_ANY);
  } else {
    if (g->failed) return;
    emit_call(E, BPF_FUNC_get_current_task);
    emit_mov(E, R1, R0);
    deref(g, task_signal, 8, out);
    emit_mov(E, R1, R0);
    deref(g, live, 4, out);
    emit_jmp(E, BPF_JNE, R0, 0, 0, false, out);
    uint32_t key = tgid_key(g);
    map_call(g, BPF_FUNC_map_lookup_elem, g->procs_map, key, -1, 0);
    emit_jmp(E, BPF_JEQ, R0, 0, 0, false, out);
    emit_ldx(E, BPF_W, R1, R0, 0);
    emit_jmp(E, BPF_JNE, R1, 0, (int32_t)slot, false, out);
    map_call(g, BPF_FUNC_map_delete_elem, g->procs_map, key, -1, 0);
  }
  g->top = mark;
}
