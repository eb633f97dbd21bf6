/* options: the stap command line, parsed as stap parses it (getopt with
 * stap's short and long options, so combined flags like -wp2 work), into
 * one StapOptions.  Messages and exit codes follow stap(1). */
#ifndef CTAP_STAP_OPTIONS_H
#define CTAP_STAP_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "common/arena.h"
#include "common/vec.h"

typedef struct StapOptions {
  int last_pass;           /* -p N: 1-5 (5 by default) */
  int verbose;             /* -v count */
  bool guru;               /* -g */
  bool no_warnings;        /* -w */
  bool warnings_as_errors; /* -W */
  bool unoptimized;        /* -u */
  bool suppress_handler_errors; /* --suppress-handler-errors */
  bool keep_tmp;           /* -k */
  const char *script_file; /* FILE or "-" */
  Vec script_texts;        /* -e SCRIPT (one) and -E SCRIPT (more) */
  Vec args;                /* script arguments after the script */
  Vec include_dirs;        /* -I DIR */
  Vec defines;             /* -D NAME=VALUE */
  Vec globals;             /* -G VAR=VALUE */
  const char *release;     /* -r RELEASE or DIR */
  const char *arch;        /* -a ARCH */
  const char *module_name; /* -m NAME */
  const char *output;      /* -o FILE */
  const char *command;     /* -c CMD */
  long target_pid;         /* -x PID */
  int buffer_mb;           /* -s NUM: MB of output buffer (0: default) */
  const char *runtime;     /* --runtime=kernel|bpf (NULL: decide) */
  const char *compatible;  /* --compatible=VERSION */
  const char *privilege;   /* --privilege=... */
  const char *kernel_btf;  /* --kernel-btf=FILE */
  const char *list_pattern;/* -l / -L PATTERN */
  bool list_vars;          /* -L */
  bool dump_functions, dump_probe_aliases, dump_probe_types;
  bool show_help, show_version;
} StapOptions;

/* Parse argv.  Returns -1 to go on, or an exit status (after printing
 * help, version or an error). */
int options_parse(StapOptions *o, Arena *a, int argc, char **argv);
void options_usage(FILE *out);
void options_version(FILE *out);

#endif
