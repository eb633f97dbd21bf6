/* staprun: run a prebuilt bpf-runtime object on a machine with nothing
 * else installed.  staprun [-v] [-V] [-w] [-o FILE] [-c CMD | -x PID]
 * NAME.bo [VAR=VALUE ...] (staprun(8); VAR=VALUE sets a global, as module
 * options do for the kernel runtime). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctap_config.h"
#include "run/run.h"

static void version(FILE *out) {
  fputs("Systemtap module loader/runner (version " CTAP_STAP_COMPAT "/ctap " CTAP_VERSION ")\n"
        "Copyright (C) 2026 the ctap authors\n"
        "This is free software; see the source for copying conditions.\n"
        "tested kernel versions: 6.1 ... 6.18\n"
        "enabled features: BPF BTF (runs NAME.bo objects of stap --runtime=bpf)\n",
        out);
}

static void usage(FILE *out) {
  fputs("Usage: staprun [-v] [-V] [-w] [-o FILE] [-c CMD | -x PID] MODULE [MODULE-OPTIONS]\n"
        "  -v        increase verbosity: say what staprun does (read, load,\n"
        "            attach, detach)\n"
        "  -V        show the version and exit\n"
        "  -w        suppress warnings\n"
        "  -o FILE   send output to FILE\n"
        "  -c CMD    run CMD; target() is its pid; exit when it does\n"
        "  -x PID    target() is PID\n"
        "  -h        show this help\n"
        "MODULE is a NAME.bo object built by stap -p4; MODULE-OPTIONS are\n"
        "NAME=VALUE settings of its global variables.\n",
        out);
}

int main(int argc, char **argv) {
  RunOptions o = {0};
  int c;
  while ((c = getopt(argc, argv, "+vVwo:c:x:h")) != -1) {
    switch (c) {
    case 'v': o.verbose++; break;
    case 'V': version(stdout); return 0;
    case 'w': o.no_warnings = true; break;
    case 'o': o.output = optarg; break;
    case 'c': o.command = optarg; break;
    case 'x': {
      char *end;
      o.target_pid = strtol(optarg, &end, 10);
      if (*end || o.target_pid <= 0) {
        fprintf(stderr, "ERROR: invalid -x PID '%s'\n", optarg);
        return 1;
      }
      break;
    }
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 1;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return 1;
  }
  if (o.command && o.target_pid) {
    fputs("ERROR: -c and -x are mutually exclusive\n", stderr);
    return 1;
  }
  const char *path = argv[optind++];
  o.globals = (const char *const *)argv + optind;
  o.nglobals = (size_t)(argc - optind);
  return run_object_file(path, &o);
}
