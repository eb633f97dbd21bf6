/* syscall_args: the prologue of the syscall probes (pass 2), as
 * SystemTap's syscall tapset writes it: the variable `name`, one
 * variable per argument, `argstr` (the arguments as text, "AT_FDCWD,
 * \"/dev/zero\", O_RDONLY"), and on return `retval` and `retstr` ("3",
 * "-9 (EBADF)").
 *
 * It is data: a table of the common file, memory and process calls gives
 * each argument's decoder in argstr order, and the decoders say how the
 * variable is computed (C's casts: a 32-bit argument arrives in a 64-bit
 * register), how argstr prints it, and which tapset function
 * (tapset/aux_syscalls.stp) turns it into text (NAME_str).  A call the
 * table does not know, or whose arguments the target names otherwise,
 * gets the generic form from the arguments' C types: quoted strings for
 * `const char *`, %p for other pointers, %#o for modes, %d or %u for
 * integers.  The text is script, parsed like an alias body. */
#include <string.h>

#include "sema/sema_int.h"

/* How an argument's variable is computed from $field. */
typedef enum Conv {
  CV_INT,   /* __int32($f): a 32-bit signed argument */
  CV_UINT,  /* __uint32($f) */
  CV_RAW,   /* $f: 64 bits */
  CV_PTR,   /* NAME_uaddr = $f, NAME = $f */
  CV_PATH,  /* NAME_uaddr = $f, NAME = user_string_quoted(NAME_uaddr) */
  CV_BUF,   /* as CV_PTR, NAME_str = user_buffer_quoted(NAME_uaddr, LEN, 50) */
} Conv;

typedef struct Decoder {
  const char *name;  /* as the table spells it */
  Conv conv;
  const char *fmt;   /* its argstr directive */
  const char *func;  /* the tapset function of NAME_str, or NULL */
} Decoder;

static const Decoder decoders[] = {
    {"int", CV_INT, "%d", NULL},        {"uint", CV_UINT, "%u", NULL},
    {"long", CV_RAW, "%d", NULL},       {"ulong", CV_RAW, "%u", NULL},
    {"ptr", CV_PTR, "%p", NULL},        {"path", CV_PATH, "%s", NULL},
    {"buf", CV_BUF, "%s", NULL},        {"mode", CV_UINT, "%#o", NULL},
    {"cmode", CV_UINT, "%#o", NULL},    /* mode, printed with O_CREAT only */
    {"dfd", CV_INT, "%s", "_dfd_str"},  {"oflags", CV_INT, "%s", "_sys_open_flag_str"},
    {"atflags", CV_INT, "%s", "_at_flag_str"},
    {"access", CV_INT, "%s", "_access_mode_str"},
    {"faccess2", CV_INT, "%s", "_faccessat2_flags_str"},
    {"whence", CV_UINT, "%s", "_seek_whence_str"},
    {"fcntl", CV_INT, "%s", "_fcntl_cmd_str"},
    {"signal", CV_INT, "%s", "_signal_name"},
    {"prot", CV_RAW, "%s", "_mprotect_prot_str"},
    {"mmapflags", CV_RAW, "%s", "_mmap_flags"},
    {"wait4", CV_INT, "%s", "_wait4_opt_str"},
    {"pipe2", CV_INT, "%s", "_sys_pipe2_flag_str"},
    {"dup3", CV_INT, "%s", "_dup3_flag_str"},
    {"mknod", CV_UINT, "%s", "_mknod_mode_str"},
    {"rlimit", CV_INT, "%s", "_rlimit_resource_str"},
    {"rename2", CV_UINT, "%s", "_renameat2_flags_str"},
    {"grnd", CV_UINT, "%s", "_getrandom_flags_str"},
    {"how", CV_INT, "%s", "_sigprocmask_how_str"},
};

/* One system call: its tracepoint name, stap's name for it when that
 * differs, its arguments in argstr order ("FIELD:DECODER", a buffer's
 * length field after '/'), and how retstr prints (1 decimal, 2 hex, 3
 * octal: return_str's format).  From SystemTap 4.8's sysc_*.stp. */
typedef struct SyscallSpec {
  const char *name;
  const char *stap_name;
  const char *args;
  int ret;
} SyscallSpec;

static const SyscallSpec specs[] = {
    /* files */
    {"read", NULL, "fd:int buf:ptr count:ulong", 1},
    {"write", NULL, "fd:int buf:buf/count count:ulong", 1},
    {"pread64", "pread", "fd:int buf:ptr count:ulong pos:long", 1},
    {"pwrite64", "pwrite", "fd:int buf:buf/count count:ulong pos:long", 1},
    {"readv", NULL, "fd:int vec:ptr vlen:int", 1},
    {"writev", NULL, "fd:int vec:ptr vlen:int", 1},
    {"open", NULL, "filename:path flags:oflags mode:cmode", 1},
    {"openat", NULL, "dfd:dfd filename:path flags:oflags mode:cmode", 1},
    {"creat", NULL, "pathname:path mode:mode", 1},
    {"close", NULL, "fd:int", 1},
    {"lseek", NULL, "fd:int offset:long whence:whence", 1},
    {"newstat", "stat", "filename:path statbuf:ptr", 1},
    {"newlstat", "lstat", "filename:path statbuf:ptr", 1},
    {"newfstat", "fstat", "fd:int statbuf:ptr", 1},
    {"newfstatat", "fstatat", "dfd:dfd filename:path statbuf:ptr flag:atflags", 1},
    {"access", NULL, "filename:path mode:access", 1},
    {"faccessat", NULL, "dfd:dfd filename:path mode:access", 1},
    {"faccessat2", NULL, "dfd:dfd filename:path mode:access flags:faccess2", 1},
    {"mkdir", NULL, "pathname:path mode:mode", 1},
    {"mkdirat", NULL, "dfd:dfd pathname:path mode:mode", 1},
    {"rmdir", NULL, "pathname:path", 1},
    {"unlink", NULL, "pathname:path", 1},
    {"unlinkat", NULL, "dfd:dfd pathname:path flag:atflags", 1},
    {"rename", NULL, "oldname:path newname:path", 1},
    {"renameat", NULL, "olddfd:dfd oldname:path newdfd:dfd newname:path", 1},
    {"renameat2", NULL, "olddfd:dfd oldname:path newdfd:dfd newname:path flags:rename2", 1},
    {"link", NULL, "oldname:path newname:path", 1},
    {"linkat", NULL, "olddfd:dfd oldname:path newdfd:dfd newname:path flags:atflags", 1},
    {"symlink", NULL, "oldname:path newname:path", 1},
    {"symlinkat", NULL, "oldname:path newdfd:dfd newname:path", 1},
    {"readlink", NULL, "path:path buf:ptr bufsiz:int", 1},
    {"readlinkat", NULL, "dfd:dfd pathname:path buf:ptr bufsiz:int", 1},
    {"chmod", NULL, "filename:path mode:mode", 1},
    {"fchmod", NULL, "fd:int mode:mode", 1},
    {"fchmodat", NULL, "dfd:dfd filename:path mode:mode", 1},
    {"chown", NULL, "filename:path user:int group:int", 1},
    {"lchown", NULL, "filename:path user:int group:int", 1},
    {"fchown", NULL, "fd:int user:int group:int", 1},
    {"fchownat", NULL, "dfd:dfd filename:path user:int group:int flag:atflags", 1},
    {"chdir", NULL, "filename:path", 1},
    {"fchdir", NULL, "fd:int", 1},
    {"getcwd", NULL, "buf:ptr size:long", 1},
    {"dup", NULL, "fildes:int", 1},
    {"dup2", NULL, "oldfd:int newfd:int", 1},
    {"dup3", NULL, "oldfd:int newfd:int flags:dup3", 1},
    {"fcntl", NULL, "fd:int cmd:fcntl arg:ptr", 1},
    {"ioctl", NULL, "fd:int cmd:int arg:ptr", 1},
    {"truncate", NULL, "path:path length:long", 1},
    {"ftruncate", NULL, "fd:int length:long", 1},
    {"fsync", NULL, "fd:int", 1},
    {"fdatasync", NULL, "fd:int", 1},
    {"syncfs", NULL, "fd:int", 1},
    {"getdents64", "getdents", "fd:int dirent:ptr count:int", 1},
    {"statfs", NULL, "pathname:path buf:ptr", 1},
    {"fstatfs", NULL, "fd:int buf:ptr", 1},
    {"umask", NULL, "mask:mode", 3},
    {"mknod", NULL, "filename:path mode:mknod dev:uint", 1},
    {"mknodat", NULL, "dfd:dfd filename:path mode:mknod dev:uint", 1},
    {"sendfile64", "sendfile", "out_fd:int in_fd:int offset:ptr count:ulong", 1},
    {"pipe2", NULL, "fildes:ptr flags:pipe2", 1},
    {"poll", NULL, "ufds:ptr nfds:uint timeout_msecs:int", 1},
    /* memory */
    {"mmap", NULL, "addr:ptr len:ulong prot:prot flags:mmapflags fd:int off:long", 2},
    {"munmap", NULL, "addr:ptr len:ulong", 1},
    {"mprotect", NULL, "start:ptr len:ulong prot:prot", 1},
    {"mremap", NULL, "addr:ptr old_len:ulong new_len:ulong flags:ulong new_addr:ptr", 2},
    {"brk", NULL, "brk:ptr", 1},
    /* processes */
    {"exit", NULL, "error_code:int", 1},
    {"exit_group", NULL, "error_code:int", 1},
    {"kill", NULL, "pid:int sig:signal", 1},
    {"tkill", NULL, "pid:int sig:signal", 1},
    {"tgkill", NULL, "tgid:int pid:int sig:signal", 1},
    {"wait4", NULL, "upid:int stat_addr:ptr options:wait4 ru:ptr", 1},
    {"execve", NULL, "filename:path argv:ptr envp:ptr", 1},
    {"set_tid_address", NULL, "tidptr:ptr", 1},
    {"setpgid", NULL, "pid:int pgid:int", 1},
    {"getpgid", NULL, "pid:int", 1},
    {"getsid", NULL, "pid:int", 1},
    {"setuid", NULL, "uid:int", 1},
    {"setgid", NULL, "gid:int", 1},
    {"alarm", NULL, "seconds:uint", 1},
    {"getrlimit", NULL, "resource:rlimit rlim:ptr", 1},
    {"getrandom", NULL, "buf:ptr count:ulong flags:grnd", 1},
    {"rt_sigprocmask", NULL, "how:how nset:ptr oset:ptr sigsetsize:long", 1},
    {"listen", NULL, "fd:int backlog:int", 1},
};

static const Decoder *decoder_named(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof decoders / sizeof *decoders; i++)
    if (strlen(decoders[i].name) == len && memcmp(decoders[i].name, name, len) == 0)
      return &decoders[i];
  return NULL;
}

static const SyscallSpec *spec_of(const char *name) {
  for (size_t i = 0; i < sizeof specs / sizeof *specs; i++)
    if (strcmp(specs[i].name, name) == 0) return &specs[i];
  return NULL;
}

/* ---- The arguments ---- */

typedef struct Arg Arg;
struct Arg {
  const TargetVar *v;
  const char *var;      /* the variable's name */
  const Decoder *dec;
  const Arg *len;       /* CV_BUF: the length argument */
  bool in_argstr;
};

static bool is_keyword(const char *s) {
  static const char *const kws[] = {"probe", "global", "function", "private", "if", "else",
                                     "while", "for", "foreach", "in", "limit", "return",
                                     "delete", "break", "continue", "next", "try", "catch"};
  for (size_t i = 0; i < sizeof kws / sizeof *kws; i++)
    if (strcmp(s, kws[i]) == 0) return true;
  return false;
}

/* A C type of 32 bits (the others are 64), and whether it is signed. */
static bool ctype_32(const char *t, bool *is_signed) {
  static const char *const s32[] = {"int", "pid_t", "key_serial_t", "clockid_t", "timer_t",
                                    "mqd_t", "rwf_t", "s32", "__s32", "int32_t"};
  static const char *const u32[] = {"unsigned int", "unsigned", "u32", "__u32", "uint32_t",
                                    "uid_t", "gid_t", "qid_t", "umode_t", "mode_t"};
  for (size_t i = 0; i < sizeof s32 / sizeof *s32; i++)
    if (strcmp(t, s32[i]) == 0) {
      *is_signed = true;
      return true;
    }
  for (size_t i = 0; i < sizeof u32 / sizeof *u32; i++)
    if (strcmp(t, u32[i]) == 0) {
      *is_signed = false;
      return true;
    }
  return false;
}

/* The generic decoder of an argument, from its C type. */
static const Decoder *generic_decoder(const TargetVar *v, bool quoted) {
  const char *t = v->ctype;
  bool is_signed = false;
  if (strchr(t, '*')) {
    bool str = strstr(t, "const char") && !strstr(t, "**");
    return decoder_named(str && quoted ? "path" : "ptr", str && quoted ? 4 : 3);
  }
  if (!strcmp(t, "umode_t") || !strcmp(t, "mode_t")) return decoder_named("mode", 4);
  size_t n = strlen(v->name);
  bool fd = !strcmp(v->name, "fd") || (n > 2 && !strcmp(v->name + n - 2, "fd"));
  if (ctype_32(t, &is_signed)) return decoder_named(is_signed || fd ? "int" : "uint", is_signed || fd ? 3 : 4);
  bool unsig = strstr(t, "unsigned") || !strcmp(t, "size_t") || t[0] == 'u';
  return decoder_named(unsig ? "ulong" : "long", unsig ? 5 : 4);
}

static const TargetVar *field(const Vec *sargs, const char *name, size_t len) {
  for (size_t i = 0; i < sargs->len; i++) {
    const TargetVar *v = sargs->items[i];
    if (strlen(v->name) == len && memcmp(v->name, name, len) == 0) return v;
  }
  return NULL;
}

/* The arguments with the table's decoders; false (nothing filled) if
 * the table names a field this target does not have. */
static bool table_args(const SyscallSpec *sp, const Vec *sargs, Arg *args, bool quoted,
                       bool buffers) {
  for (size_t i = 0; i < sargs->len; i++) args[i].dec = NULL;
  for (const char *p = sp->args; *p;) {
    while (*p == ' ') p++;
    const char *colon = strchr(p, ':');
    if (!colon) return false;
    const char *dec = colon + 1;
    size_t dl = strcspn(dec, " /");
    const TargetVar *v = field(sargs, p, (size_t)(colon - p));
    const Decoder *d = decoder_named(dec, dl);
    if (!v || !d) return false;
    Arg *a = &args[0];
    while (a->v != v) a++;
    a->dec = d;
    a->in_argstr = true;
    if (d->conv == CV_PATH && !quoted) a->dec = decoder_named("ptr", 3);
    p = dec + dl;
    if (*p == '/') {
      const char *ln = p + 1;
      size_t ll = strcspn(ln, " ");
      const TargetVar *lv = field(sargs, ln, ll);
      if (!lv) return false;
      for (size_t k = 0; k < sargs->len; k++)
        if (args[k].v == lv) a->len = &args[k];
      if (!buffers) a->dec = decoder_named("ptr", 3);
      p = ln + ll;
    }
  }
  return true;
}

/* The prologue's text for entry (argstr) or return (retstr) into sb. */
static void prologue_text(Sema *S, TargetSyscall *sc, bool ret, StrBuf *sb) {
  const SyscallSpec *sp = spec_of(sc->name);
  sb_printf(sb, "name = \"%s\"; ", sp && sp->stap_name ? sp->stap_name : sc->name);
  if (ret) {
    sb_puts(sb, "retval = $return; ");
    if (sema_functions_named(S, "return_str"))
      sb_printf(sb, "retstr = return_str(%d, retval)", sp ? sp->ret : 1);
    else
      sb_puts(sb, "retstr = sprintf(\"%d\", retval)");
    return;
  }
  const Vec *sargs = target_syscall_args(S->target, sc);
  bool quoted = sema_functions_named(S, "user_string_quoted") != NULL;
  bool buffers = sema_functions_named(S, "user_buffer_quoted") != NULL;
  bool ints = sema_functions_named(S, "__int32") != NULL;
  Arg *args = arena_alloc(S->arena, sizeof *args * (sargs->len + 1));
  for (size_t i = 0; i < sargs->len; i++) {
    const TargetVar *v = sargs->items[i];
    /* An argument may not take the name of a keyword or of a variable
     * the prologue sets itself (newuname's "name"). */
    bool clash = is_keyword(v->name) || !strcmp(v->name, "name") ||
                 !strcmp(v->name, "argstr") || !strcmp(v->name, "retstr") ||
                 !strcmp(v->name, "retval");
    args[i] = (Arg){.v = v, .var = clash ? arena_printf(S->arena, "%s_arg", v->name) : v->name};
  }
  if (!sp || !table_args(sp, sargs, args, quoted, buffers))
    for (size_t i = 0; i < sargs->len; i++) {
      args[i].dec = generic_decoder(args[i].v, quoted);
      args[i].in_argstr = true;
      args[i].len = NULL;
    }
  /* the variables, in argument order; the table leaves some arguments
   * out of argstr, which get the generic variable */
  for (size_t i = 0; i < sargs->len; i++) {
    Arg *a = &args[i];
    if (!a->dec) a->dec = generic_decoder(a->v, quoted);
    const char *n = a->var, *f = a->v->name;
    switch (a->dec->conv) {
    case CV_INT:
      sb_printf(sb, ints ? "%s = __int32($%s); " : "%s = $%s; ", n, f);
      break;
    case CV_UINT:
      sb_printf(sb, ints ? "%s = __uint32($%s); " : "%s = $%s; ", n, f);
      break;
    case CV_RAW:
      sb_printf(sb, "%s = $%s; ", n, f);
      break;
    case CV_PTR:
    case CV_BUF:
      sb_printf(sb, "%s_uaddr = $%s; %s = $%s; ", n, f, n, f);
      break;
    case CV_PATH:
      sb_printf(sb, "%s_uaddr = $%s; %s = user_string_quoted(%s_uaddr); ", n, f, n, n);
      break;
    }
  }
  /* the decoded texts */
  bool str_funcs = true;
  for (size_t i = 0; i < sargs->len; i++) {
    const Decoder *d = args[i].dec;
    if (d->func && !sema_functions_named(S, d->func)) str_funcs = false;
  }
  for (size_t i = 0; i < sargs->len; i++) {
    Arg *a = &args[i];
    if (a->dec->func && str_funcs)
      sb_printf(sb, "%s_str = %s(%s); ", a->var, a->dec->func, a->var);
    else if (a->dec->conv == CV_BUF && a->len)
      sb_printf(sb, "%s_str = user_buffer_quoted(%s_uaddr, %s, 50); ", a->var, a->var,
                a->len->var);
  }
  /* argstr; with O_CREAT, open's and openat's mode */
  StrBuf fmt, vals, cfmt, cvals;
  sb_init(&fmt);
  sb_init(&vals);
  sb_init(&cfmt);
  sb_init(&cvals);
  const char *cond = NULL;
  for (size_t i = 0; i < sargs->len; i++) {
    Arg *a = &args[i];
    if (!a->in_argstr) continue;
    const Decoder *d = a->dec;
    bool text = d->func && str_funcs;
    const char *value = text ? arena_printf(S->arena, "%s_str", a->var)
                        : d->conv == CV_BUF && a->len ? arena_printf(S->arena, "%s_str", a->var)
                        : d->conv == CV_PTR ? arena_printf(S->arena, "%s_uaddr", a->var)
                                            : a->var;
    const char *dir = text ? "%s" : d->func ? "%d" : d->conv == CV_BUF && !a->len ? "%p" : d->fmt;
    bool optional = !strcmp(d->name, "cmode");
    if (optional) {
      for (size_t k = 0; k < sargs->len; k++)
        if (!strcmp(args[k].dec->name, "oflags")) cond = args[k].var;
    }
    if (!optional || !cond) {
      sb_printf(&fmt, "%s%s", fmt.len ? ", " : "", dir);
      sb_printf(&vals, ", %s", value);
    }
    sb_printf(&cfmt, "%s%s", cfmt.len ? ", " : "", dir);
    sb_printf(&cvals, ", %s", value);
  }
  if (!fmt.len && !cond)
    sb_puts(sb, "argstr = \"\"");
  else if (cond)
    sb_printf(sb, "argstr = %s & 0100 ? sprintf(\"%s\"%s) : sprintf(\"%s\"%s)", cond,
              sb_cstr(&cfmt), sb_cstr(&cvals), sb_cstr(&fmt), sb_cstr(&vals));
  else
    sb_printf(sb, "argstr = sprintf(\"%s\"%s)", sb_cstr(&fmt), sb_cstr(&vals));
  sb_free(&fmt);
  sb_free(&vals);
  sb_free(&cfmt);
  sb_free(&cvals);
}

Stmt *syscall_prologue(Sema *S, TargetSyscall *sc, bool ret) {
  StrBuf sb;
  sb_init(&sb);
  prologue_text(S, sc, ret, &sb);
  Stmt *s = probes_parse_body(S, sb_cstr(&sb));
  sb_free(&sb);
  return s;
}
