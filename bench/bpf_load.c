/* ctap-bench: the load generator and timer of bench/bpf.sh.  bpf.sh
 * compiles it itself (static, -O2) into its scratch folder, so the process
 * name the tracers see (execname, comm) is "ctap-bench".
 *
 *   ctap-bench getppid N OUT [stats]
 *                              exactly N getppid() calls, nothing else
 *                              between them; then writes
 *                              "NS START END CPU RUNS RUN_NS MISSES\n" to
 *                              the file OUT: the loop's wall time in ns,
 *                              its start and end (CLOCK_MONOTONIC), the
 *                              CPU time it took (CLOCK_THREAD_CPUTIME_ID:
 *                              user and system time, so the probes' time
 *                              too, but not the time other tasks had the
 *                              CPU), and, summed over the BPF programs the
 *                              parent process holds (the tracer that
 *                              started it with -c; from /proc/PPID/fdinfo,
 *                              read before and after the loop), how many
 *                              times they ran, for how long in total (ns)
 *                              and how many runs the kernel skipped
 *                              (recursion_misses: BPF was already active
 *                              on that CPU).  RUNS and RUN_NS are counted
 *                              only while the kernel's run-time statistics
 *                              are on: with "stats", the program turns them
 *                              on (BPF_ENABLE_STATS) for the loop only, at
 *                              the cost of two clock reads per program run.
 *                              With CTAP_BENCH_CPU=K in the environment,
 *                              the loop first pins itself to CPU K.
 *   ctap-bench count PREFIX OUT
 *                              reads standard input to its end, counts
 *                              the lines that start with PREFIX and
 *                              copies the others to standard output;
 *                              writes "COUNT LAST\n" to OUT, LAST being
 *                              when the last such line was read
 *                              (CLOCK_MONOTONIC ns; 0 if none).
 *   ctap-bench run OUT CMD [ARG]...
 *                              runs CMD (PATH search), waits for it and
 *                              writes "WALL_NS MAXRSS_KB STATUS\n" to OUT:
 *                              wall time from fork to exit, the peak RSS
 *                              of CMD and the children it waited for
 *                              (wait4's rusage), its exit status (128+N
 *                              for signal N).
 *
 * Exit status 2 on a bad command line, 1 if OUT cannot be written. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long clock_ns(clockid_t id)
{
  struct timespec ts;

  clock_gettime(id, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long now_ns(void)
{
  return clock_ns(CLOCK_MONOTONIC);
}

static void usage(void)
{
  fputs("usage: ctap-bench getppid N OUT [stats] | count PREFIX OUT | run OUT CMD [ARG]...\n",
        stderr);
  exit(2);
}

static void write_result(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");

  if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
    fprintf(stderr, "ctap-bench: cannot write %s: %s\n", path, strerror(errno));
    exit(1);
  }
}

typedef struct {
  long long runs, ns, misses;
} ProgStats;

/* The parent's pid, from /proc/self/stat (getppid() would be one call too
 * many for the tracers' counts). */
static long parent_pid(void)
{
  char text[512], *p;
  FILE *f = fopen("/proc/self/stat", "r");
  size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;

  if (f)
    fclose(f);
  text[n] = 0;
  p = strrchr(text, ')'); /* the name may hold spaces and parentheses */
  return p ? strtol(p + 3, NULL, 10) : 0;
}

/* The sums over the BPF programs process pid holds (each program once). */
static ProgStats prog_stats(long pid)
{
  ProgStats st = {0, 0, 0};
  unsigned long seen[256];
  int nseen = 0;
  char path[64], line[128];
  struct dirent *e;
  DIR *d;

  snprintf(path, sizeof path, "/proc/%ld/fdinfo", pid);
  if (pid <= 0 || !(d = opendir(path)))
    return st;
  while ((e = readdir(d))) {
    unsigned long id = 0;
    long long runs = -1, ns = 0, misses = 0;
    bool dup = false;
    FILE *f;

    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "/proc/%ld/fdinfo/%.20s", pid, e->d_name);
    if (!(f = fopen(path, "r")))
      continue;
    while (fgets(line, sizeof line, f)) {
      sscanf(line, "prog_id: %lu", &id);
      sscanf(line, "run_time_ns: %lld", &ns);
      sscanf(line, "run_cnt: %lld", &runs);
      sscanf(line, "recursion_misses: %lld", &misses);
    }
    fclose(f);
    if (!id || runs < 0) /* not a program (a link also names its prog_id) */
      continue;
    for (int i = 0; i < nseen; i++)
      dup = dup || seen[i] == id;
    if (dup || nseen == (int)(sizeof seen / sizeof *seen))
      continue;
    seen[nseen++] = id;
    st.runs += runs;
    st.ns += ns;
    st.misses += misses;
  }
  closedir(d);
  return st;
}

static int loop(const char *count, const char *out, bool stats)
{
  char *end, text[192];
  long n = strtol(count, &end, 10);
  long ppid = parent_pid();
  int stats_fd = -1;

  if (*end || n < 0)
    usage();
  const char *cpu = getenv("CTAP_BENCH_CPU");
  if (cpu && *cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(atoi(cpu), &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
      fprintf(stderr, "ctap-bench: cannot run on CPU %s: %s\n", cpu, strerror(errno));
  }
  if (stats) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.enable_stats.type = BPF_STATS_RUN_TIME;
    stats_fd = (int)syscall(SYS_bpf, BPF_ENABLE_STATS, &attr, sizeof attr);
    if (stats_fd < 0)
      fprintf(stderr, "ctap-bench: BPF_ENABLE_STATS: %s\n", strerror(errno));
  }
  ProgStats s0 = prog_stats(ppid);
  long long c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t0 = now_ns();
  for (long k = 0; k < n; k++)
    getppid();
  long long t1 = now_ns(), c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
  ProgStats s1 = prog_stats(ppid);
  if (stats_fd >= 0)
    close(stats_fd);
  snprintf(text, sizeof text, "%lld %lld %lld %lld %lld %lld %lld\n", t1 - t0, t0, t1, c1 - c0,
           s1.runs - s0.runs, s1.ns - s0.ns, s1.misses - s0.misses);
  write_result(out, text);
  return 0;
}

/* Line by line over chunks: a line matches when its first plen bytes are
 * the prefix; other lines are copied out as they come. */
static int count(const char *prefix, const char *out)
{
  static char buf[1 << 16];
  size_t plen = strlen(prefix), pos = 0; /* bytes of the current line seen */
  bool other = false;                    /* the current line does not match */
  long long n = 0, last = 0;
  char text[64];
  ssize_t got;

  while ((got = read(0, buf, sizeof buf)) != 0) {
    if (got < 0) {
      if (errno == EINTR)
        continue;
      perror("ctap-bench: read");
      return 1;
    }
    bool ended = false;
    for (ssize_t i = 0; i < got; i++) {
      char c = buf[i];
      if (!other && pos < plen && c != prefix[pos]) {
        other = true;
        fwrite(prefix, 1, pos, stdout); /* the part that matched so far */
      }
      if (other)
        putchar(c);
      pos++;
      if (c == '\n') {
        if (!other && pos > plen) {
          n++;
          ended = true;
        }
        other = false;
        pos = 0;
      }
    }
    if (ended)
      last = now_ns();
  }
  fflush(stdout);
  snprintf(text, sizeof text, "%lld %lld\n", n, last);
  write_result(out, text);
  return 0;
}

static int run(const char *out, char **argv)
{
  struct rusage ru;
  char text[96];
  int st;
  long long t0 = now_ns();
  pid_t pid = fork();

  if (pid < 0) {
    perror("ctap-bench: fork");
    return 1;
  }
  if (pid == 0) {
    execvp(argv[0], argv);
    fprintf(stderr, "ctap-bench: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  while (wait4(pid, &st, 0, &ru) < 0)
    if (errno != EINTR) {
      perror("ctap-bench: wait4");
      return 1;
    }
  long long t1 = now_ns();
  int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  snprintf(text, sizeof text, "%lld %ld %d\n", t1 - t0, ru.ru_maxrss, status);
  write_result(out, text);
  return 0;
}

int main(int argc, char **argv)
{
  if ((argc == 4 || (argc == 5 && !strcmp(argv[4], "stats"))) && !strcmp(argv[1], "getppid"))
    return loop(argv[2], argv[3], argc == 5);
  if (argc == 4 && !strcmp(argv[1], "count"))
    return count(argv[2], argv[3]);
  if (argc >= 4 && !strcmp(argv[1], "run"))
    return run(argv[2], argv + 3);
  usage();
}
