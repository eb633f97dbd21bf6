/* kfunc_attach_timer: the timer of bench/kfunc-attach.sh, run in the
 * guest (busybox's date has no nanoseconds, and a fork of date per
 * timestamp would cost milliseconds under TCG).
 *
 *   kfunc_attach_timer CMD [ARG]...
 *
 * Runs CMD with its standard output on a pipe (standard input and error
 * are inherited), reads that pipe to its end, waits for CMD, then prints
 * on its own standard output:
 *
 *   start NS               CLOCK_REALTIME just before the fork
 *   line NS TEXT           for each line CMD wrote: when read() returned
 *                          the line's end, and the line
 *   exit NS STATUS         when CMD had ended (its pipe closed and it was
 *                          reaped), and its exit status (128+N: signal N)
 *
 * NS are nanoseconds of CLOCK_REALTIME, the clock of the tapset's
 * gettimeofday_ns() (the bpf runtime adds the offset staprun measured to
 * the kernel's monotonic clock), so that a probe's own timestamps compare
 * with them.  Exit status: CMD's, or 127 when it cannot be run. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Lines seen so far: their arrival times and text, printed at the end so
 * that printing does not delay the reading. */
struct line {
  int64_t ns;
  char *text;
};

int main(int argc, char **argv)
{
  int fds[2];
  struct line *lines = NULL;
  size_t nlines = 0, cap = 0, len = 0;
  char *cur = NULL, buf[4096];
  int st;

  if (argc < 2) {
    fputs("usage: kfunc_attach_timer CMD [ARG]...\n", stderr);
    return 2;
  }
  if (pipe(fds) < 0) {
    perror("kfunc_attach_timer: pipe");
    return 127;
  }
  int64_t start = now_ns();
  pid_t pid = fork();
  if (pid < 0) {
    perror("kfunc_attach_timer: fork");
    return 127;
  }
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execvp(argv[1], argv + 1);
    fprintf(stderr, "kfunc_attach_timer: cannot run %s: %s\n", argv[1], strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    int64_t t = now_ns();
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] != '\n') {
        cur = realloc(cur, len + 2);
        if (!cur)
          abort();
        cur[len++] = buf[i];
        continue;
      }
      if (nlines == cap) {
        cap = cap ? 2 * cap : 16;
        lines = realloc(lines, cap * sizeof *lines);
        if (!lines)
          abort();
      }
      lines[nlines].ns = t;
      lines[nlines].text = cur ? cur : strdup("");
      if (cur)
        cur[len] = 0;
      nlines++;
      cur = NULL;
      len = 0;
    }
  }
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  int64_t end = now_ns();
  int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  printf("start %lld\n", (long long)start);
  for (size_t i = 0; i < nlines; i++)
    printf("line %lld %s\n", (long long)lines[i].ns, lines[i].text);
  if (cur) {
    cur[len] = 0;
    printf("line %lld %s\n", (long long)end, cur); /* unterminated last line */
  }
  printf("exit %lld %d\n", (long long)end, status);
  return status;
}
