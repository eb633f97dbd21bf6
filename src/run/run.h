/* run: pass 5 for the bpf runtime, shared by staprun and stap.  Loads a
 * .bo object with libbpf, initializes its globals, runs the begin probes,
 * attaches the kernel probes, relays their output, runs timer probes, and
 * on exit(), SIGINT, SIGTERM or the end of the -c command stops the event
 * probes, runs the end probes, drains the output and returns stap's exit
 * status. */
#ifndef CTAP_RUN_RUN_H
#define CTAP_RUN_RUN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct RunOptions {
  const char *output;       /* -o FILE, or NULL for stdout */
  const char *command;      /* -c CMD (split and expanded by wordexp(3),
                               shell syntax by /bin/sh -c), or NULL */
  long target_pid;          /* -x PID, or 0 */
  int verbose;              /* -v */
  bool no_warnings;         /* -w */
  const char *const *globals; /* NAME=VALUE settings of globals */
  size_t nglobals;
} RunOptions;

/* Run the object at path; returns the exit status (0, or 1 after errors). */
int run_object_file(const char *path, const RunOptions *o);

#endif
