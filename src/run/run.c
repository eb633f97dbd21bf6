/* run: loading and running a .bo object (see run.h).  The order follows
 * stap's: globals initialized, the -c command forked (held until the
 * probes are attached), begin probes, kernel probes attached, the event
 * loop (ring buffer, timer probes, signals, the command's end), then
 * detach, drain, end probes, and the closing report. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wordexp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>

#include "common/strbuf.h"
#include "run/kcheck.h"
#include "run/session.h"

/* SIGINT, SIGTERM and SIGHUP count here (Session.signals); they and
 * SIGCHLD (the -c command ended) write a byte to wake_pipe, which the
 * event loop waits on with the ring buffer, so that it wakes at once. */
static volatile sig_atomic_t signals, last_signal;
static int wake_pipe[2] = {-1, -1};

static void wake(void) {
  int e = errno;
  if (wake_pipe[1] >= 0 && write(wake_pipe[1], "", 1) < 0) {
    /* full: the loop is awake already */
  }
  errno = e;
}

static void on_signal(int sig) {
  last_signal = sig;
  signals++;
  wake();
}

static void on_child(int sig) {
  (void)sig;
  wake();
}

/* libbpf's messages are collected: a verifier log is shown only when a
 * load fails, with the script location of the failing instruction. */
static StrBuf libbpf_log;
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap) {
  if (level == LIBBPF_DEBUG) return 0;
  /* a verifier log comes as one message, its last words at its end */
  char buf[4096];
  va_list again;
  va_copy(again, ap);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  if (n > 0 && (size_t)n < sizeof buf) {
    sb_append(&libbpf_log, buf, (size_t)n);
  } else if (n > 0) {
    char *big = malloc((size_t)n + 1);
    if (big && vsnprintf(big, (size_t)n + 1, fmt, again) == n) sb_append(&libbpf_log, big, (size_t)n);
    free(big);
  }
  va_end(again);
  return 0;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* staprun -v: what the session is doing, on standard error. */
static void note(const Session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const Session *s, const char *fmt, ...) {
  if (!s->opt->verbose) return;
  va_list ap;
  va_start(ap, fmt);
  fputs("staprun: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("ERROR: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* The script line of instruction insn of prog, as "FILE:LINE". */
static const char *insn_location(const BoObject *obj, const BoProg *p, long insn, char *buf,
                                 size_t cap) {
  const BoLine *best = NULL;
  for (uint32_t i = 0; i < p->nlines; i++)
    if ((long)p->lines[i].insn <= insn) best = &p->lines[i];
  if (!best || best->file >= obj->nfiles) return NULL;
  snprintf(buf, cap, "%s:%u:%u", obj->files[best->file], best->line, best->col);
  return buf;
}

/* A load failed: name the probe and the script line the verifier stopped
 * at (the last "N: (..)" instruction in its log), then the log's end. */
static void report_load_failure(Session *s) {
  const char *log = sb_cstr(&libbpf_log);
  for (uint32_t i = 0; i < s->obj.nprobes; i++) {
    const BoProg *p = &s->obj.progs[s->obj.probes[i].prog];
    if (p->user || !strstr(log, p->name)) continue;
    long last = -1;
    for (const char *q = log; *q; q++) {
      if ((q == log || q[-1] == '\n') && *q >= '0' && *q <= '9') {
        char *end;
        long v = strtol(q, &end, 10);
        if (end[0] == ':' && end[1] == ' ' && end[2] == '(') last = v;
      }
    }
    char where[512];
    const char *loc = last >= 0 ? insn_location(&s->obj, p, last, where, sizeof where) : NULL;
    fprintf(stderr, "ERROR: the kernel rejected probe %s%s%s\n", s->obj.probes[i].point,
            loc ? " at " : "", loc ? loc : "");
    break;
  }
  /* the verifier's last words */
  size_t len = strlen(log), start = len > 1500 ? len - 1500 : 0;
  while (start > 0 && log[start - 1] != '\n') start++;
  if (len) fprintf(stderr, "%s", log + start);
}

/* One record from the ring buffer.  A read stops (a negative return,
 * after this record) when its budget is spent or a signal came, so that
 * probes that write as fast as staprun reads (say, on the very write()
 * calls that print their output) cannot hold the event loop. */
static int ringbuf_cb(void *ctx, void *data, size_t size) {
  Session *s = ctx;
  session_record(s, data, size);
  if (s->rb_budget && --s->rb_budget == 0) return -EAGAIN;
  return session_signalled(s) ? -EINTR : 0;
}

/* Read what the ring buffer holds: at most `budget` records, or all of it
 * (0) once no kernel probe writes any more. */
static void drain(Session *s, struct ring_buffer *rb, size_t budget) {
  s->rb_budget = budget;
  ring_buffer__consume(rb);
  s->rb_budget = 0;
}

/* Start -c CMD stopped (SIGSTOP) until the probes are ready.  As stap's
 * staprun does, the command is expanded with wordexp(3) (quotes,
 * backslashes, $VAR, ~, globs) and executed directly, so that target()
 * is its pid; a command wordexp does not take (| & ; < > ( ) { } or a
 * newline: pipes, redirections, lists; or a command substitution) runs
 * through /bin/sh -c, target() then the shell's pid.  -1 after
 * reporting why not. */
static pid_t start_command(const char *cmd) {
  wordexp_t w = {0};
  int rc = wordexp(cmd, &w, WRDE_NOCMD);
  bool shell = rc == WRDE_BADCHAR || rc == WRDE_CMDSUB;
  if (rc == 0 && w.we_wordc == 0) {
    wordfree(&w);
    fail("-c '%s': the command is empty", cmd);
    return -1;
  }
  if (rc != 0 && !shell) {
    if (rc == WRDE_NOSPACE) wordfree(&w); /* what it allocated */
    fail("-c '%s': %s", cmd,
         rc == WRDE_SYNTAX ? "a shell syntax error (an unmatched quote or brace?)"
                           : "cannot expand it (out of memory)");
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    fail("cannot start '%s': %s", cmd, strerror(errno));
    if (!shell) wordfree(&w);
    return -1;
  }
  if (pid == 0) {
    raise(SIGSTOP);
    if (shell) {
      execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
      fprintf(stderr, "ERROR: cannot run /bin/sh for '%s': %s\n", cmd, strerror(errno));
    } else {
      execvp(w.we_wordv[0], w.we_wordv);
      fprintf(stderr, "ERROR: cannot run '%s': %s\n", w.we_wordv[0], strerror(errno));
    }
    _exit(127);
  }
  if (!shell) wordfree(&w);
  int st;
  if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st)) {
    fail("cannot start '%s': it did not stop before its exec", cmd);
    return -1;
  }
  return pid;
}

/* The -c command has ended with wait status st: a failure is a warning
 * (and staprun's exit status 1), as stap's stapio reports it. */
static bool command_ended_well(Session *s, int st) {
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return true;
  fflush(s->out);
  if (s->opt->no_warnings) return false;
  if (WIFEXITED(st))
    fprintf(stderr, "WARNING: Child process exited with status %d\n", WEXITSTATUS(st));
  else if (WIFSIGNALED(st))
    fprintf(stderr, "WARNING: Child process exited with signal %d (%s)\n", WTERMSIG(st),
            strsignal(WTERMSIG(st)));
  return false;
}

/* process("PATH") probes: PATH's (device, inode) in the kernel's
 * encoding, written where the probe's filter reads it (BoProbe.offset;
 * see src/bpf/process.c), and the processes already running PATH entered
 * in ctap_procs so that their .end fires. */
static bool prepare_process_probes(Session *s) {
  int procs = -1;
  for (uint32_t i = 0; i < s->obj.nmaps; i++)
    if (strcmp(s->obj.maps[i].name, "ctap_procs") == 0) procs = s->map_fds[i];
  for (uint32_t i = 0; i < s->obj.nprobes; i++) {
    const BoProbe *p = &s->obj.probes[i];
    if ((p->kind != BO_PROCESS_BEGIN && p->kind != BO_PROCESS_END) || !p->target) continue;
    struct stat st;
    if (p->offset + 16 > s->globals_size) {
      fail("probe %s: its executable's slot is outside the globals", p->point);
      return false;
    }
    if (stat(p->target, &st) != 0) {
      if (p->flags & BO_PROBE_OPTIONAL) continue;
      fail("probe %s: cannot find executable '%s': %s", p->point, p->target, strerror(errno));
      return false;
    }
    uint64_t id[2] = {(uint64_t)major(st.st_dev) << 20 | minor(st.st_dev), st.st_ino};
    memcpy(s->globals + p->offset, id, sizeof id);
    DIR *d = procs >= 0 ? opendir("/proc") : NULL;
    for (struct dirent *e; d && (e = readdir(d));) {
      char *end, exe[64];
      long pid = strtol(e->d_name, &end, 10);
      if (*end || pid <= 0) continue;
      snprintf(exe, sizeof exe, "/proc/%ld/exe", pid);
      struct stat ps;
      if (stat(exe, &ps) != 0 || ps.st_dev != st.st_dev || ps.st_ino != st.st_ino) continue;
      uint32_t key = (uint32_t)pid, val = (uint32_t)p->offset;
      bpf_map_update_elem(procs, &key, &val, BPF_ANY);
    }
    if (d) closedir(d);
  }
  return true;
}

static bool set_global(Session *s, const char *setting) {
  const char *eq = strchr(setting, '=');
  if (!eq) return false;
  for (uint32_t i = 0; i < s->obj.nglobals; i++) {
    BoGlobal *g = &s->obj.globals[i];
    if (strlen(g->name) != (size_t)(eq - setting) || strncmp(g->name, setting, (size_t)(eq - setting)))
      continue;
    if (g->arity || g->type == BO_STATS) return false;
    unsigned char *p = s->globals + g->offset;
    if (g->type == BO_STRING) {
      size_t S = s->obj.limits.maxstringlen;
      snprintf((char *)p, S, "%s", eq + 1);
    } else {
      char *end;
      errno = 0;
      long long v = strtoll(eq + 1, &end, 0);
      if (errno || *end || end == eq + 1) return false;
      memcpy(p, &v, 8);
    }
    return true;
  }
  return false;
}

static int perf_open(const BoProbe *p, pid_t pid, int cpu) {
  struct perf_event_attr a = {0};
  a.size = sizeof a;
  if (p->kind == BO_PERF) {
    a.type = p->perf_type;
    a.config = p->perf_config;
  } else {
    a.type = PERF_TYPE_SOFTWARE;
    a.config = PERF_COUNT_SW_CPU_CLOCK;
  }
  a.sample_period = (uint64_t)(p->period > 0 ? p->period : 1000000);
  return (int)syscall(SYS_perf_event_open, &a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

typedef struct Links {
  struct bpf_link **v;
  size_t n, cap;
  int *fds;
  size_t nfds, fds_cap;
} Links;

static void add_link(Links *l, struct bpf_link *k) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 16;
    l->v = realloc(l->v, l->cap * sizeof *l->v);
  }
  l->v[l->n++] = k;
}

static void add_fd(Links *l, int fd) {
  if (l->nfds == l->fds_cap) {
    l->fds_cap = l->fds_cap ? l->fds_cap * 2 : 16;
    l->fds = realloc(l->fds, l->fds_cap * sizeof *l->fds);
  }
  l->fds[l->nfds++] = fd;
}

/* Attach one kernel probe; false (reported) on failure. */
static bool attach(Session *s, const BoProbe *p, Links *links) {
  const BoProg *bp = &s->obj.progs[p->prog];
  struct bpf_program *prog = bpf_object__find_program_by_name(s->bpf, bp->name);
  if (!prog) {
    fail("probe %s: program %s missing from the object", p->point, bp->name);
    return false;
  }
  struct bpf_link *l = NULL;
  char sys[128];
  switch (p->kind) {
  case BO_TRACEPOINT: {
    const char *colon = p->target ? strchr(p->target, ':') : NULL;
    if (!colon) break;
    snprintf(sys, sizeof sys, "%.*s", (int)(colon - p->target), p->target);
    l = bpf_program__attach_tracepoint(prog, sys, colon + 1);
    break;
  }
  case BO_RAW_TRACEPOINT:
  case BO_PROCESS_BEGIN:
  case BO_PROCESS_END:
    /* A BTF raw tracepoint ("tp_btf/sys_enter": syscall programs) names
     * its tracepoint at load. */
    if (bpf_program__type(prog) == BPF_PROG_TYPE_TRACING) l = bpf_program__attach_trace(prog);
    else l = bpf_program__attach_raw_tracepoint(
        prog, p->kind == BO_PROCESS_BEGIN ? "sched_process_exec"
              : p->kind == BO_PROCESS_END ? "sched_process_exit" : p->target);
    break;
  case BO_TAIL_CALL: {
    /* not attached: a syscall program jumps to it through its array */
    struct bpf_map *m = p->target ? bpf_object__find_map_by_name(s->bpf, p->target) : NULL;
    uint32_t slot = (uint32_t)p->offset;
    int fd = bpf_program__fd(prog);
    if (!m || bpf_map_update_elem(bpf_map__fd(m), &slot, &fd, BPF_ANY)) {
      fail("probe %s: cannot enter it in program array %s: %s", p->point,
           p->target ? p->target : "?", m ? strerror(errno) : "no such map");
      return false;
    }
    return true;
  }
  case BO_KPROBE: {
    /* by name, or at each address of the functions it means (kcheck.h) */
    bool ret = (p->flags & BO_PROBE_RETURN) != 0;
    const uint64_t *addrs = NULL;
    int n = p->target ? kcheck_kfunc_addrs(p->target, p->offset, &addrs) : 0;
    if (n == 0) l = bpf_program__attach_kprobe(prog, ret, p->target);
    else errno = EADDRNOTAVAIL;
    for (int i = 0; i < n; i++) {
      LIBBPF_OPTS(bpf_kprobe_opts, ko, .retprobe = ret, .offset = (size_t)addrs[i]);
      if (l) add_link(links, l);
      if (!(l = bpf_program__attach_kprobe_opts(prog, NULL, &ko))) break;
    }
    break;
  }
  case BO_FENTRY:
    l = bpf_program__attach_trace(prog);
    break;
  case BO_UPROBE: {
    LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = (p->flags & BO_PROBE_RETURN) != 0,
                .func_name = p->symbol);
    l = bpf_program__attach_uprobe_opts(prog, -1, p->target, (size_t)p->offset, &uo);
    break;
  }
  case BO_PERF:
  case BO_PROFILE: {
    /* on every CPU, or (.process) following the target process */
    bool target = p->flags & BO_PROBE_TARGET;
    if (target && s->control->target_pid <= 0) {
      fail("probe %s counts the target process: give one with -c or -x", p->point);
      return false;
    }
    for (int c = 0; c < (target ? 1 : s->ncpus); c++) {
      int fd = target ? perf_open(p, s->control->target_pid, -1) : perf_open(p, -1, c);
      if (fd < 0) {
        int err = errno;
        if (err == ENODEV) continue; /* an offline CPU */
        if (p->flags & BO_PROBE_OPTIONAL) return true;
        /* a hardware event the machine (a VM, often) does not count */
        if (err == ENOENT && p->perf_type == PERF_TYPE_HARDWARE)
          fail("probe %s: this machine has no hardware counter for it (its CPU's PMU does "
               "not count the event, or there is no PMU, as in many virtual machines)",
               p->point);
        else
          fail("probe %s: perf event: %s", p->point, strerror(err));
        return false;
      }
      add_fd(links, fd);
      struct bpf_link *pl = bpf_program__attach_perf_event(prog, fd);
      if (!pl) {
        fail("probe %s: %s", p->point, strerror(errno));
        return false;
      }
      add_link(links, pl);
    }
    return true;
  }
  default:
    return true;
  }
  if (!l) {
    int err = errno;
    if (p->flags & BO_PROBE_OPTIONAL) return true;
    char why[256];
    if ((p->kind == BO_KPROBE || p->kind == BO_FENTRY) && p->target && kcheck_has_kprobes()) {
      /* as stap: one function the kernel will not probe is a warning,
       * and the session goes on with the others */
      if (!s->opt->no_warnings)
        fprintf(stderr, "WARNING: probe %s registration error [man warning::pass5] (rc %d): %s\n",
                p->point, -err, kcheck_kfunc_reason(p->target, p->kind == BO_FENTRY, err, why,
                                                     sizeof why));
      return true;
    }
    fail("cannot attach probe %s: %s", p->point,
         p->kind == BO_KPROBE && p->target
             ? kcheck_kfunc_reason(p->target, false, err, why, sizeof why)
             : strerror(err));
    return false;
  }
  add_link(links, l);
  return true;
}

static int cmp_seq(const void *a, const void *b) {
  const BoProbe *x = *(const BoProbe *const *)a, *y = *(const BoProbe *const *)b;
  return x->sequence < y->sequence ? -1 : x->sequence > y->sequence;
}

/* The function a begin, end or error probe that needs kernel state
 * (bo.h: BO_BEGIN) is attached to, with a uprobe on this very program:
 * calling it runs that probe in the kernel, in this process's context.
 * Kept out of line and visible, so that it exists as a symbol to attach
 * to. */
__attribute__((noinline, used, visibility("default"))) void ctap_kernel_hook(void) {
  __asm__ volatile("" ::: "memory");
}

static struct ring_buffer *session_rb;

/* Run kernel program prog through the hook; false (reported) if it
 * cannot be attached. */
static bool run_in_kernel(Session *s, const BoProbe *p) {
  const BoProg *bp = &s->obj.progs[p->prog];
  struct bpf_program *prog = bpf_object__find_program_by_name(s->bpf, bp->name);
  if (!prog || s->left_out[p->prog]) return prog != NULL;
  LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = "ctap_kernel_hook");
  struct bpf_link *l = bpf_program__attach_uprobe_opts(prog, getpid(), "/proc/self/exe", 0, &uo);
  if (!l) {
    fail("cannot run probe %s in the kernel (a uprobe on this program's "
         "ctap_kernel_hook): %s", p->point, strerror(errno));
    return false;
  }
  ctap_kernel_hook();
  bpf_link__destroy(l);
  if (session_rb) drain(s, session_rb, 0);
  return true;
}

/* Run the user probes of one kind, by sequence. */
static void run_kind(Session *s, uint32_t kind) {
  const BoProbe **v = calloc(s->obj.nprobes + 1, sizeof *v);
  size_t n = 0;
  for (uint32_t i = 0; i < s->obj.nprobes; i++)
    if (s->obj.probes[i].kind == kind) v[n++] = &s->obj.probes[i];
  qsort(v, n, sizeof *v, cmp_seq);
  for (size_t i = 0; i < n; i++) {
    /* a signal stops the probes of this kind that are still to run */
    if ((kind == BO_BEGIN && s->exiting) || session_signalled(s)) break;
    if (!s->obj.progs[v[i]->prog].user) {
      if (!run_in_kernel(s, v[i])) {
        s->errors++;
        s->exiting = s->failed = true;
      }
      continue;
    }
    session_run_user(s, v[i]->prog);
  }
  free(v);
}

/* A timer probe and when it runs next. */
typedef struct Timer {
  const BoProbe *p; /* the timer probe (a user program) */
  int64_t next;     /* CLOCK_MONOTONIC ns of its next run */
} Timer;

/* Timer t has just run (late or not) at about `now`: its next run is one
 * period (with .randomize, give or take up to that) after the one just
 * due, on the timer's own schedule, so that over the session it runs as
 * often as its period says however late each wake-up is.  When staprun
 * fell behind by more than a period, the runs missed are dropped, not
 * run in a burst: the schedule moves past them, as stap's hrtimers do
 * (hrtimer_forward). */
static void timer_forward(Timer *t, int64_t now) {
  int64_t period = t->p->period > 0 ? t->p->period : 1000000, r = t->p->randomize;
  t->next += period + (r > 0 ? (int64_t)(random() % (2 * r + 1)) - r : 0);
  if (t->next <= now) t->next += ((now - t->next) / period + 1) * period;
}

/* The runs the kernel skipped of the loaded kernel programs: those that
 * fired while a BPF program was running on that CPU already (reentrancy:
 * bpf_prog_info's recursion_misses). */
static uint64_t kernel_skips(Session *s) {
  uint64_t n = 0;
  struct bpf_program *prog;
  bpf_object__for_each_program(prog, s->bpf) {
    int fd = bpf_program__fd(prog);
    struct bpf_prog_info info;
    uint32_t len = sizeof info;
    memset(&info, 0, sizeof info);
    if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0) n += info.recursion_misses;
  }
  return n;
}

/* MAXSKIPPED: more probes skipped than that (the control block's count)
 * end the session as too many errors do, with stap's message.  Like stap
 * with its default INTERRUPTIBLE=1, skips for reentrancy (the kernel's
 * recursion_misses) are counted and reported but not held against it. */
static void check_skipped(Session *s) {
  if (s->failed || s->control->skipped <= s->obj.limits.maxskipped) return;
  fflush(s->out);
  fputs("ERROR: Skipped too many probes, check MAXSKIPPED or try again with stap -t for "
        "more details.\n", stderr);
  s->exiting = s->failed = true;
  s->control->state = BO_STATE_STOPPING;
}

/* The signals the session handles, and what they did before. */
static const int handled[] = {SIGINT, SIGTERM, SIGHUP, SIGCHLD};
enum { NHANDLED = sizeof handled / sizeof *handled };

static void handle_signals(struct sigaction old[NHANDLED]) {
  for (int i = 0; i < NHANDLED; i++) {
    struct sigaction sa = {0};
    sa.sa_handler = handled[i] == SIGCHLD ? on_child : on_signal;
    sa.sa_flags = SA_RESTART | (handled[i] == SIGCHLD ? SA_NOCLDSTOP : 0);
    sigfillset(&sa.sa_mask);
    sigaction(handled[i], &sa, &old[i]);
  }
}

int run_object_file(const char *path, const RunOptions *o) {
  Session S = {0}, *s = &S;
  s->opt = o;
  const char *err;
  if (!bo_read(path, &s->obj, &err)) {
    fail("%s", err);
    return 1;
  }
  uint32_t nuser = 0;
  for (uint32_t i = 0; i < s->obj.nprogs; i++) nuser += s->obj.progs[i].user;
  note(s, "read %s: module %s, built for kernel %s: %u probe%s; %u kernel and %u user "
       "programs; %u maps", path, s->obj.name, s->obj.release ? s->obj.release : "?",
       s->obj.nprobes, s->obj.nprobes == 1 ? "" : "s", s->obj.nprogs - nuser, nuser,
       s->obj.nmaps);
  int status = 1;
  Links links = {0};
  struct ring_buffer *rb = NULL;
  Timer *timers = NULL;
  pid_t child = -1;
  bool child_failed = false, signals_set = false;
  struct sigaction old_actions[NHANDLED];
  long old_slack = -1;
  s->out = stdout;
  if (o->output) {
    s->out = fopen(o->output, "w");
    if (!s->out) {
      fail("cannot open output file '%s': %s", o->output, strerror(errno));
      s->out = stdout;
      goto done;
    }
  }
  s->ncpus = libbpf_num_possible_cpus();
  if (s->ncpus <= 0) s->ncpus = 1;
  s->fmts = calloc(s->obj.nformats + 1, sizeof *s->fmts);
  s->nfmts = calloc(s->obj.nformats + 1, sizeof *s->nfmts);
  s->scratch = calloc(1, s->obj.scratch_size + 8);

  sb_init(&libbpf_log);
  libbpf_set_print(libbpf_print);
  LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = s->obj.name);
  s->bpf = bpf_object__open_file(path, &oo);
  if (!s->bpf) {
    fail("%s: libbpf cannot open it: %s", path, strerror(errno));
    goto done;
  }
  /* programs reading struct members this kernel lacks (kcheck.c) */
  s->left_out = calloc(s->obj.nprogs + 1, sizeof *s->left_out);
  if (!kcheck_core(&s->obj, s->left_out)) goto done;
  int nfentry = kcheck_kfunc(&s->obj, s->left_out), nkfunc = 0;
  for (uint32_t i = 0; i < s->obj.nprobes; i++)
    nkfunc += s->obj.probes[i].kind == BO_FENTRY && !(s->obj.probes[i].flags & BO_PROBE_ENTRY);
  if (nkfunc)
    note(s, "kernel.function probes: %d through fentry/fexit, %d through kprobes", nfentry,
         nkfunc - nfentry);
  uint32_t nleft = 0;
  for (uint32_t i = 0; i < s->obj.nprogs; i++) {
    struct bpf_program *lp = s->left_out[i] ? bpf_object__find_program_by_name(s->bpf,
                                                  s->obj.progs[i].name) : NULL;
    if (lp) {
      bpf_program__set_autoload(lp, false);
      nleft++;
    }
  }
  if (bpf_object__load(s->bpf)) {
    report_load_failure(s);
    goto done;
  }
  s->map_fds = calloc(s->obj.nmaps + 1, sizeof *s->map_fds);
  for (uint32_t i = 0; i < s->obj.nmaps; i++) {
    struct bpf_map *m = bpf_object__find_map_by_name(s->bpf, s->obj.maps[i].name);
    s->map_fds[i] = m ? bpf_map__fd(m) : -1;
    if (s->map_fds[i] < 0) {
      fail("%s: map %s missing", path, s->obj.maps[i].name);
      goto done;
    }
    /* constant data (the regular expressions' automata): load, freeze */
    uint32_t zero = 0;
    if (s->obj.maps[i].init &&
        (bpf_map_update_elem(s->map_fds[i], &zero, s->obj.maps[i].init, BPF_ANY) < 0 ||
         bpf_map_freeze(s->map_fds[i]) < 0)) {
      fail("%s: cannot load map %s: %s", path, s->obj.maps[i].name, strerror(errno));
      goto done;
    }
  }
  if (o->verbose) {
    /* the ring buffer as the kernel made it */
    struct bpf_map_info mi;
    uint32_t milen = sizeof mi;
    memset(&mi, 0, sizeof mi);
    bpf_obj_get_info_by_fd(s->map_fds[s->obj.ringbuf_map], &mi, &milen);
    note(s, "loaded into the kernel: %u kernel programs (%u left out), %u maps; an output "
         "ring buffer of %u bytes", s->obj.nprogs - nuser - nleft, nleft, s->obj.nmaps,
         mi.max_entries);
  }
  /* The globals: one mmapped array element. */
  const BoMap *gm = &s->obj.maps[s->obj.globals_map];
  s->globals_size = gm->value_size;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t maplen = (gm->value_size + page - 1) / page * page;
  void *mem = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED,
                   s->map_fds[s->obj.globals_map], 0);
  if (mem == MAP_FAILED) {
    fail("cannot map the globals: %s", strerror(errno));
    goto done;
  }
  s->globals = mem;
  s->control = mem;
  struct timespec rt, mono;
  clock_gettime(CLOCK_REALTIME, &rt);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  s->control->realtime_offset = ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000 +
                                (rt.tv_nsec - mono.tv_nsec);
  s->control->ncpus = s->ncpus;
  s->control->stp_pid = getpid();
  s->control->stp_uid = getuid();
  s->control->target_pid = o->target_pid;
  for (uint32_t i = 0; i < s->obj.nglobals; i++) {
    BoGlobal *g = &s->obj.globals[i];
    if (!g->has_init || g->arity || g->type == BO_STATS) continue;
    if (g->type == BO_STRING && g->init_str)
      snprintf((char *)s->globals + g->offset, s->obj.limits.maxstringlen, "%s", g->init_str);
    else if (g->type == BO_LONG)
      memcpy(s->globals + g->offset, &g->init_num, 8);
  }
  for (size_t i = 0; i < o->nglobals; i++)
    if (!set_global(s, o->globals[i])) {
      fail("invalid global setting '%s'", o->globals[i]);
      goto done;
    }
  if (!prepare_process_probes(s)) goto done;
  rb = session_rb = ring_buffer__new(s->map_fds[s->obj.ringbuf_map], ringbuf_cb, s, NULL);
  if (!rb) {
    fail("cannot open the output ring buffer: %s", strerror(errno));
    goto done;
  }
  if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    fail("cannot make a pipe for the event loop: %s", strerror(errno));
    goto done;
  }
  handle_signals(old_actions);
  signals_set = true;
  s->signals = &signals;
  s->signals_seen = signals;
  if (o->command) {
    child = start_command(o->command);
    if (child < 0) goto done;
    s->control->target_pid = child;
    note(s, "started the command '%s': pid %d, held until the probes are attached", o->command,
         (int)child);
  }

  run_kind(s, BO_BEGIN);
  s->control->state = BO_STATE_RUNNING;
  size_t nattached = 0;
  for (uint32_t i = 0; i < s->obj.nprobes && !s->exiting && !session_signalled(s); i++) {
    const BoProbe *p = &s->obj.probes[i];
    if (s->obj.progs[p->prog].user || s->left_out[p->prog]) continue;
    if (!attach(s, p, &links)) {
      s->errors++;
      s->exiting = s->failed = true;
    } else if (p->kind != BO_TAIL_CALL) {
      nattached++;
    }
  }
  note(s, "attached %zu kernel probes (%zu links, %zu perf events)", nattached, links.n,
       links.nfds);
  if (child > 0) kill(child, SIGCONT);
  size_t ntimers = 0;
  timers = calloc(s->obj.nprobes + 1, sizeof *timers);
  int64_t t0 = now_ns();
  for (uint32_t i = 0; i < s->obj.nprobes; i++)
    if (s->obj.probes[i].kind == BO_TIMER) {
      timers[ntimers].p = &s->obj.probes[i];
      timers[ntimers++].next = t0 + s->obj.probes[i].period;
    }
  if (ntimers) {
    /* wake-ups as precise as the timers ask (the default slack, 50 us,
     * would stretch a timer.us(100) by half) */
    old_slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  }
  /* The event loop: the timers that are due run, then it waits, to the
   * nanosecond, for the next one, for records, for a signal or for the
   * command's end (SIGCHLD). */
  int rbfd = ring_buffer__epoll_fd(rb);
  int64_t child_checked = t0;
  bool child_ended = false;
  while (!s->exiting && !session_signalled(s)) {
    int64_t now = now_ns();
    for (size_t i = 0; i < ntimers && !s->exiting && !session_signalled(s); i++)
      if (timers[i].next <= now) {
        session_run_user(s, timers[i].p->prog);
        timer_forward(&timers[i], now);
      }
    check_skipped(s);
    if (s->exiting || session_signalled(s)) break;
    now = now_ns();
    int64_t wait = 200 * 1000000LL;
    for (size_t i = 0; i < ntimers; i++)
      if (timers[i].next - now < wait) wait = timers[i].next - now;
    bool woken = false;
    if (wait > 0) {
      struct pollfd pf[2] = {{.fd = rbfd, .events = POLLIN}, {.fd = wake_pipe[0], .events = POLLIN}};
      struct timespec ts = {.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
      if (ppoll(pf, 2, &ts, NULL) > 0 && pf[1].revents) {
        char buf[64];
        while (read(wake_pipe[0], buf, sizeof buf) > 0) {
        }
        woken = true;
      }
    }
    /* a bounded read, so that a flood of records cannot hold the timers */
    drain(s, rb, 4096);
    fflush(s->out);
    if (child > 0 && (woken || now - child_checked > 100 * 1000000LL)) {
      int st;
      child_checked = now;
      if (waitpid(child, &st, WNOHANG) == child) {
        child = -1;
        s->exiting = child_ended = true;
        child_failed = !command_ended_well(s, st);
      }
    }
  }
  if (session_signalled(s))
    note(s, "stopping: %s", strsignal(last_signal));
  else
    note(s, "stopping: %s", child_ended ? "the command exited" : s->failed ? "errors" : "exit()");
  /* The signal that ended the loop is acted on; one more stops the end
   * probes. */
  s->signals_seen = signals;
  /* Stop: no more kernel events, everything they sent is shown, then the
   * end probes. */
  s->control->state = BO_STATE_STOPPING;
  for (size_t i = 0; i < links.n; i++) bpf_link__destroy(links.v[i]);
  note(s, "detached %zu kernel probes", nattached);
  links.n = 0;
  drain(s, rb, 0);
  check_skipped(s);
  run_kind(s, s->failed ? BO_ERROR : BO_END);
  drain(s, rb, 0);
  fflush(s->out);
  s->skipped = s->control->skipped + kernel_skips(s);
  /* errors --suppress-handler-errors kept quiet: reported, not failed on */
  int64_t suppressed = (int64_t)s->control->suppressed;
  if (s->control->lost > s->lost_reported)
    fprintf(stderr, "WARNING: %" PRIu64 " output records were lost (the ring buffer was full)\n",
            s->control->lost);
  if (s->errors || suppressed || s->skipped)
    fprintf(stderr, "WARNING: Number of errors: %" PRId64 ", skipped probes: %" PRIu64 "\n",
            s->errors + suppressed, s->skipped);
  status = s->errors || s->failed || child_failed ? 1 : 0;
  note(s, "done: %" PRId64 " errors, %" PRIu64 " skipped probes, %" PRIu64 " lost records; "
       "exit status %d", s->errors + suppressed, s->skipped, s->control->lost, status);
done:
  if (child > 0) {
    kill(child, SIGTERM);
    kill(child, SIGCONT);
    waitpid(child, NULL, 0);
  }
  if (signals_set)
    for (int i = 0; i < NHANDLED; i++) sigaction(handled[i], &old_actions[i], NULL);
  for (int i = 0; i < 2; i++) {
    if (wake_pipe[i] >= 0) close(wake_pipe[i]);
    wake_pipe[i] = -1;
  }
  if (old_slack > 0) prctl(PR_SET_TIMERSLACK, (unsigned long)old_slack, 0, 0, 0);
  for (size_t i = 0; i < links.n; i++) bpf_link__destroy(links.v[i]);
  for (size_t i = 0; i < links.nfds; i++) close(links.fds[i]);
  free(links.v);
  free(links.fds);
  free(timers);
  ring_buffer__free(rb);
  session_rb = NULL;
  /* munmap takes every page the range touches, as mmap gave */
  if (s->globals) munmap(s->globals, s->globals_size);
  bpf_object__close(s->bpf);
  if (s->out != stdout && s->out) fclose(s->out);
  else fflush(stdout);
  for (uint32_t i = 0; i < s->obj.nformats; i++) free(s->fmts ? s->fmts[i] : NULL);
  free(s->fmts);
  free(s->nfmts);
  free(s->scratch);
  free(s->map_fds);
  free(s->left_out);
  session_free_user(s);
  kcheck_free();
  sb_free(&libbpf_log);
  bo_free(&s->obj);
  return status;
}
