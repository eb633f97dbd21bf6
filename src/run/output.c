/* output: what staprun does with the records the probes send: printf
 * records rendered through the shared printf engine, runtime errors
 * reported the way stap reports them (and counted against MAXERRORS),
 * warn() and log() messages, system() commands, stacks and address lists
 * printed with their symbols, and exit(). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/session.h"
#include "run/symbols.h"
#include "runtime/common/printf.h"

static const FmtDirective *format(Session *s, uint32_t id, int *nd) {
  if (id >= s->obj.nformats) return NULL;
  if (!s->fmts[id]) {
    size_t bad;
    int n = fmt_parse(s->obj.formats[id], s->obj.format_lens[id], NULL, 0, &bad);
    if (n < 0) return NULL;
    s->fmts[id] = calloc((size_t)n + 1, sizeof(FmtDirective));
    fmt_parse(s->obj.formats[id], s->obj.format_lens[id], s->fmts[id], n, &bad);
    s->nfmts[id] = n;
  }
  *nd = s->nfmts[id];
  return s->fmts[id];
}

size_t session_render(Session *s, uint32_t id, const unsigned char *args, size_t len,
                      char *buf, size_t cap) {
  int nd;
  const FmtDirective *d = format(s, id, &nd);
  if (!d) {
    if (cap) buf[0] = 0;
    return 0;
  }
  FmtArg av[64];
  int na = 0;
  size_t off = 0, S = s->obj.limits.maxstringlen;
  for (int i = 0; i < nd; i++) {
    if (d[i].conv == FMT_LITERAL) continue;
    int n = fmt_args(&d[i]);
    for (int k = 0; k < n && na < 64; k++) {
      bool last = k == n - 1;
      FmtArg *a = &av[na++];
      memset(a, 0, sizeof *a);
      if (last && (d[i].conv == FMT_STRING || d[i].conv == FMT_MEMORY ||
                   d[i].conv == FMT_MEMORY_HEX)) {
        if (off + S > len) goto short_record;
        a->str = (const char *)args + off;
        a->len = d[i].conv == FMT_STRING ? strnlen(a->str, S) : S;
        off += S;
      } else {
        if (off + 8 > len) goto short_record;
        memcpy(&a->num, args + off, 8);
        off += 8;
      }
    }
  }
  return fmt_render(buf, cap, d, nd, av, na);
short_record:
  if (cap) buf[0] = 0;
  return 0;
}

static void put(Session *s, const char *text, size_t n) { fwrite(text, 1, n, s->out); }

/* system(cmd): /bin/sh runs cmd in the background, as the user running
 * staprun; a grandchild, so that it needs no reaping and outlives us as
 * stap's does.  What staprun printed so far goes out first. */
static void run_system(Session *s, const char *cmd) {
  fflush(s->out);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    if (fork() == 0) {
      execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
      _exit(127);
    }
    _exit(0);
  }
  if (pid > 0) waitpid(pid, NULL, 0);
}

/* ---- stacks ---- */

struct Symbols *session_symbols(Session *s) {
  if (!s->symbols) s->symbols = symbols_new();
  return s->symbols;
}

int session_user_task(const Session *s) {
  int64_t pid = s->control ? s->control->target_pid : 0;
  return pid > 0 && pid <= INT32_MAX ? (int)pid : 0;
}

/* One frame's line: " 0xADDRESS : name+0xOFF/0xSIZE [module]". */
static void print_frame(Session *s, bool user, int tgid, uint64_t addr) {
  Symbols *sy = session_symbols(s);
  SymInfo si = {0};
  if (sy && user) symbols_user(sy, tgid, addr, &si);
  else if (sy) symbols_kernel(sy, addr, &si);
  char small[512];
  size_t n = symbols_format(small, sizeof small, addr, &si, SYM_LINE);
  if (n < sizeof small) {
    put(s, small, n);
    return;
  }
  char *big = malloc(n + 1);
  if (!big) return;
  symbols_format(big, n + 1, addr, &si, SYM_LINE);
  put(s, big, n);
  free(big);
}

/* print_backtrace(), print_ubacktrace(): a BoStack and its frames. */
static void print_stack_record(Session *s, uint32_t id, const unsigned char *p, size_t len) {
  BoStack h;
  if (len < sizeof h) return;
  memcpy(&h, p, sizeof h);
  size_t have = (len - sizeof h) / 8;
  size_t count = h.count < have ? h.count : have;
  if (s->symbols) symbols_refresh(s->symbols);
  for (size_t i = h.first; i < count; i++) {
    uint64_t addr;
    memcpy(&addr, p + sizeof h + 8 * i, 8);
    print_frame(s, id == BO_STACK_USER, (int)h.tgid, addr);
  }
}

/* print_syms(list), print_usyms(list): u32 tgid, u32 pad, the list. */
static void print_syms_record(Session *s, uint32_t id, const unsigned char *p, size_t len) {
  size_t S = s->obj.limits.maxstringlen;
  if (len < 8 + S) return;
  uint32_t tgid;
  memcpy(&tgid, p, 4);
  int task = tgid ? (int)tgid : session_user_task(s);
  char *list = strndup((const char *)p + 8, S);
  if (!list) return;
  if (s->symbols) symbols_refresh(s->symbols);
  for (char *save = NULL, *word = strtok_r(list, " ", &save); word;
       word = strtok_r(NULL, " ", &save))
    print_frame(s, id == BO_STACK_USER, task, strtoull(word, NULL, 16));
  free(list);
}

void session_error(Session *s, const char *msg, uint32_t site) {
  fflush(s->out);
  const char *where = site < s->obj.nsites ? s->obj.sites[site].text : NULL;
  fprintf(stderr, "ERROR: %s%s%s\n", msg, where ? " " : "", where ? where : "");
  s->errors++;
  /* one error more than MAXERRORS ends the session: the kernel probes
   * stop at once, the end probes give way to the error probes */
  if ((uint32_t)s->errors > s->obj.limits.maxerrors) {
    s->exiting = true;
    s->failed = true;
    if (s->control) s->control->state = BO_STATE_STOPPING;
  }
}

void session_record(Session *s, const void *data, size_t size) {
  BoRecord h;
  if (size < sizeof h) return;
  memcpy(&h, data, sizeof h);
  const unsigned char *p = (const unsigned char *)data + sizeof h;
  size_t len = size - sizeof h;
  size_t S = s->obj.limits.maxstringlen;
  switch (h.kind) {
  case BO_REC_PRINTF: {
    char small[1024];
    size_t n = session_render(s, h.id, p, len, small, sizeof small);
    if (n < sizeof small) {
      put(s, small, n);
    } else {
      char *big = malloc(n + 1);
      if (!big) return;
      session_render(s, h.id, p, len, big, n + 1);
      put(s, big, n);
      free(big);
    }
    return;
  }
  case BO_REC_ERROR: {
    if (len < 16) return;
    uint32_t site;
    uint64_t arg;
    const char *before, *after;
    memcpy(&site, p, 4);
    memcpy(&arg, p + 8, 8);
    char msg[512];
    if (h.id == BO_ERR_USER && len >= 16 + S) {
      snprintf(msg, sizeof msg, "%.*s", (int)strnlen((const char *)p + 16, S), p + 16);
    } else if (h.id == BO_ERR_OVERFLOW && arg) {
      snprintf(msg, sizeof msg, "Array overflow, check size limit (%llu)", (unsigned long long)arg);
    } else if (bo_error_address_text(h.id, &before, &after)) {
      snprintf(msg, sizeof msg, "%s%016llx%s", before, (unsigned long long)arg, after);
    } else if (bo_error_text(h.id)) {
      snprintf(msg, sizeof msg, "%s", bo_error_text(h.id));
    } else {
      snprintf(msg, sizeof msg, "unknown error %u", h.id);
    }
    session_error(s, msg, site);
    return;
  }
  case BO_REC_EXIT:
    s->exiting = true;
    return;
  case BO_REC_HIST:
    session_print_hist(s, h.id, p, len);
    return;
  case BO_REC_STACK:
    print_stack_record(s, h.id, p, len);
    return;
  case BO_REC_SYMS:
    print_syms_record(s, h.id, p, len);
    return;
  case BO_REC_LOG: {
    if (len < S) return;
    size_t n = strnlen((const char *)p, S);
    put(s, (const char *)p, n);
    if (!n || p[n - 1] != '\n') put(s, "\n", 1);
    return;
  }
  case BO_REC_SYSTEM: {
    if (len < S) return;
    char *cmd = strndup((const char *)p, S);
    if (cmd) run_system(s, cmd);
    free(cmd);
    return;
  }
  case BO_REC_WARN:
    if (len < S) return;
    fflush(s->out);
    if (!s->opt->no_warnings)
      fprintf(stderr, "WARNING: %.*s\n", (int)strnlen((const char *)p, S), p);
    return;
  default:
    return;
  }
}
