/* ctap-workload: the deterministic process the tests/run scripts trace.
 *
 * It is linked statically and built without sanitizers (see meson.build),
 * so that between execve and exit it makes only the system calls listed
 * here: no dynamic loader, no ASan start-up, no stdio.  It writes to
 * standard output or error only when a subcommand asks for it (none does,
 * except the usage message on a bad command line, exit status 2).
 *
 * Usage: ctap-workload SUBCOMMAND [ARGS] [SUBCOMMAND [ARGS]]...
 * Subcommands run in order; the process then exits with status 0
 * (exit_group).  Numbers are decimal.
 *
 *   reads N SIZE    openat(AT_FDCWD, "/dev/zero", O_RDONLY) = 3, then
 *                   exactly N read(3, BUF, SIZE) (each returns SIZE),
 *                   then close(3).
 *   writes N SIZE   openat(AT_FDCWD, "/dev/null", O_WRONLY) = 3, then
 *                   exactly N write(3, BUF, SIZE) (each returns SIZE),
 *                   then close(3).
 *   badread N       N read(-1, BUF, 1) calls, each failing with EBADF
 *                   (argstr "-1, 0x200000000000, 1", retstr "-9 (EBADF)").
 *   getppid N       N getppid() calls.
 *   syscalls        the fixed sequence, with getppid() as its markers:
 *                     getppid()
 *                     openat(AT_FDCWD, "/dev/zero", O_RDONLY)   = 3
 *                     read(3, BUF, 16)                          = 16
 *                     close(3)                                  = 0
 *                     openat(AT_FDCWD, "/dev/null", O_WRONLY)   = 3
 *                     write(3, BUF, 16)                         = 16
 *                     close(3)                                  = 0
 *                     getppid()
 *                   (syscall names as stap's syscall.* prints them:
 *                   getppid openat read close openat write close getppid)
 *   sleep MS        one nanosleep of MS milliseconds (glibc issues it as
 *                   clock_nanosleep).
 *   spin MS         burns CPU in user space for MS milliseconds of wall
 *                   time (clock_gettime through the vDSO: no syscalls).
 *   tick MS N       N times: getppid(), then sleep MS milliseconds.
 *   func N          calls ctap_workload_func(a, b) N times, the k-th call
 *                   (k = 1..N) with a = k and b = k * 10000000000; each
 *                   returns a + b = k * 10000000001.
 *   sockets N       N socket(AF_UNIX, SOCK_DGRAM, 0) (descriptors 3 to
 *                   N + 2, all open at once), then close(3) ... close(N + 2).
 *   exec PATH [ARG]...
 *                   execv(PATH, [PATH, ARG...]) (the remaining words are
 *                   its arguments, not subcommands).  Exit status 127 if
 *                   execv fails.
 *
 * BUF is a fixed anonymous mapping at address 0x200000000000 (1 MiB,
 * SIZE is at most 1048576), so read's argstr is "3, 0x200000000000, SIZE".
 * The mapping is made by the first subcommand that needs BUF (one mmap).
 *
 * Before main, glibc's static start-up makes its own calls (on Debian 12:
 * brk, arch_prctl, set_tid_address, set_robust_list, rseq, prlimit64,
 * readlink, getrandom, mprotect); none of them is a read, write, openat,
 * close or getppid.  The process name (execname) is "ctap-workload".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_ADDR ((void *)0x200000000000UL)
#define BUF_SIZE (1UL << 20)

/* The uprobe target: process("ctap-workload").function("ctap_workload_func")
 * with $a, $b and $return.  Kept out of line and with its signature intact
 * (no constant propagation or clones), and called through a volatile
 * pointer so that no call is folded away.  Its volatile local gives it a
 * frame, so that it starts with push %rbp (GCC gives a leaf function
 * without one no frame pointer, even with -fno-omit-frame-pointer): by
 * that instruction the kernel knows that a uprobe there stopped it before
 * its frame was made, and reads its caller (main) from the stack, which
 * makes its user stack ctap_workload_func, main, ... */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noipa))
#endif
__attribute__((noinline, used, visibility("default")))
long ctap_workload_func(int a, long b)
{
  volatile long sum = a + b;

  return sum;
}

static long (*volatile func_ptr)(int, long) = ctap_workload_func;
static volatile long func_sink;
static char *buf;

static void usage(void)
{
  static const char msg[] =
      "usage: ctap-workload {reads N SIZE | writes N SIZE | badread N | getppid N | syscalls |\n"
      "                      sleep MS | spin MS | tick MS N | func N | sockets N |\n"
      "                      exec PATH [ARG]...}...\n";
  (void)!write(2, msg, sizeof msg - 1);
  _exit(2);
}

/* A decimal argument, or the usage message. */
static long number(const char *s)
{
  char *end;
  long v;

  if (!s || !*s)
    usage();
  v = strtol(s, &end, 10);
  if (*end || v < 0)
    usage();
  return v;
}

static void need_buf(void)
{
  if (buf)
    return;
  buf = mmap(BUF_ADDR, BUF_SIZE, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (buf != BUF_ADDR)
    _exit(3);
}

static void sleep_ms(long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

  nanosleep(&ts, NULL);
}

static long now_ms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* reads/writes: open PATH with FLAGS, N transfers of SIZE bytes, close. */
static void transfer(const char *path, int flags, long n, long size)
{
  int fd;

  if (size > (long)BUF_SIZE)
    usage();
  need_buf();
  fd = open(path, flags);
  if (fd < 0)
    _exit(4);
  for (long i = 0; i < n; i++) {
    ssize_t r = flags == O_RDONLY ? read(fd, buf, size) : write(fd, buf, size);
    if (r != size)
      _exit(5);
  }
  close(fd);
}

int main(int argc, char **argv)
{
  if (argc < 2)
    usage();
  for (int i = 1; i < argc;) {
    const char *cmd = argv[i++];

    if (!strcmp(cmd, "reads") || !strcmp(cmd, "writes")) {
      long n = number(argv[i]), size = number(i + 1 < argc ? argv[i + 1] : NULL);
      i += 2;
      if (cmd[0] == 'r')
        transfer("/dev/zero", O_RDONLY, n, size);
      else
        transfer("/dev/null", O_WRONLY, n, size);
    } else if (!strcmp(cmd, "badread")) {
      long n = number(argv[i++]);
      need_buf();
      for (long k = 0; k < n; k++)
        if (read(-1, buf, 1) != -1)
          _exit(5);
    } else if (!strcmp(cmd, "getppid")) {
      long n = number(argv[i++]);
      for (long k = 0; k < n; k++)
        getppid();
    } else if (!strcmp(cmd, "syscalls")) {
      need_buf();
      getppid();
      int fd = open("/dev/zero", O_RDONLY);
      if (fd < 0 || read(fd, buf, 16) != 16)
        _exit(4);
      close(fd);
      fd = open("/dev/null", O_WRONLY);
      if (fd < 0 || write(fd, buf, 16) != 16)
        _exit(4);
      close(fd);
      getppid();
    } else if (!strcmp(cmd, "sleep")) {
      sleep_ms(number(argv[i++]));
    } else if (!strcmp(cmd, "spin")) {
      long until = now_ms() + number(argv[i++]);
      while (now_ms() < until)
        ;
    } else if (!strcmp(cmd, "tick")) {
      long ms = number(argv[i]), n = number(i + 1 < argc ? argv[i + 1] : NULL);
      i += 2;
      for (long k = 0; k < n; k++) {
        getppid();
        sleep_ms(ms);
      }
    } else if (!strcmp(cmd, "func")) {
      long n = number(argv[i++]);
      for (long k = 1; k <= n; k++)
        func_sink = func_ptr((int)k, k * 10000000000L);
    } else if (!strcmp(cmd, "sockets")) {
      long n = number(argv[i++]);
      for (long k = 0; k < n; k++)
        if (socket(AF_UNIX, SOCK_DGRAM, 0) < 0)
          _exit(6);
      for (long k = 0; k < n; k++)
        close((int)(3 + k));
    } else if (!strcmp(cmd, "exec")) {
      if (i >= argc)
        usage();
      execv(argv[i], argv + i);
      _exit(127);
    } else {
      usage();
    }
  }
  return 0;
}
