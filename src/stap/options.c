/* options: see options.h. */
#include "stap/options.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ctap_config.h"

enum {
  LONG_RUNTIME = 256, LONG_BPF, LONG_COMPATIBLE, LONG_PRIVILEGE,
  LONG_UNPRIVILEGED, LONG_KERNEL_BTF, LONG_DUMP_FUNCTIONS,
  LONG_DUMP_PROBE_ALIASES, LONG_DUMP_PROBE_TYPES, LONG_VP, LONG_IGNORED,
  LONG_IGNORED_ARG, LONG_SUPPRESS_HANDLER_ERRORS,
};

static const char short_opts[] = ":hVvp:I:e:E:o:R:r:a:m:kgPc:x:D:bs:uqwWl:L:FS:B:d:tT:G:";

static const struct option long_opts[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"runtime", required_argument, NULL, LONG_RUNTIME},
    {"bpf", no_argument, NULL, LONG_BPF},
    {"compatible", required_argument, NULL, LONG_COMPATIBLE},
    {"privilege", required_argument, NULL, LONG_PRIVILEGE},
    {"unprivileged", no_argument, NULL, LONG_UNPRIVILEGED},
    {"kernel-btf", required_argument, NULL, LONG_KERNEL_BTF},
    {"dump-functions", no_argument, NULL, LONG_DUMP_FUNCTIONS},
    {"dump-probe-aliases", no_argument, NULL, LONG_DUMP_PROBE_ALIASES},
    {"dump-probe-types", no_argument, NULL, LONG_DUMP_PROBE_TYPES},
    {"vp", required_argument, NULL, LONG_VP},
    {"skip-badvars", no_argument, NULL, LONG_IGNORED},
    {"suppress-handler-errors", no_argument, NULL, LONG_SUPPRESS_HANDLER_ERRORS},
    {"suppress-time-limits", no_argument, NULL, LONG_IGNORED},
    {"check-version", no_argument, NULL, LONG_IGNORED},
    {"ldd", no_argument, NULL, LONG_IGNORED},
    {"all-modules", no_argument, NULL, LONG_IGNORED},
    {"prologue-searching", optional_argument, NULL, LONG_IGNORED},
    {"tmpdir", required_argument, NULL, LONG_IGNORED_ARG},
    {"modinfo", required_argument, NULL, LONG_IGNORED_ARG},
    {"sysroot", required_argument, NULL, LONG_IGNORED_ARG},
    {"sysenv", required_argument, NULL, LONG_IGNORED_ARG},
    {"target-namespace", required_argument, NULL, LONG_IGNORED_ARG},
    {NULL, 0, NULL, 0},
};

#define BANNER "Systemtap translator/driver (version " CTAP_STAP_COMPAT "/ctap " CTAP_VERSION ")"

void options_version(FILE *out) {
  fputs(BANNER "\n"
        "Copyright (C) 2026 the ctap authors\n"
        "This is free software; see the source for copying conditions.\n"
        "tested kernel versions: 6.1 ... 6.18\n"
        "enabled features: BPF BTF\n",
        out);
}

void options_usage(FILE *out) {
  fputs(BANNER "\n\n"
        "Usage: stap [options] FILE                    Run script in file.\n"
        "   or: stap [options] -                       Run script on stdin.\n"
        "   or: stap [options] -e SCRIPT               Run given script.\n"
        "   or: stap [options] -l PROBE                List matching probes.\n"
        "   or: stap [options] -L PROBE                List matching probes and local variables.\n"
        "   or: stap [options] --dump-probe-types      List available probe types.\n"
        "   or: stap [options] --dump-probe-aliases    List available probe aliases.\n"
        "   or: stap [options] --dump-functions        List available functions.\n"
        "\n"
        "Options:\n"
        "   --         end of translator options, script options follow\n"
        "   -h --help  show help\n"
        "   -V --version\n"
        "              show version\n"
        "   -p NUM     stop after pass NUM 1-5, instead of 5\n"
        "              (parse, elaborate, translate, compile, run)\n"
        "   -v         add verbosity to all passes\n"
        "   -u         unoptimized translation\n"
        "   -w         suppress warnings\n"
        "   -W         turn warnings into errors\n"
        "   -g         guru mode\n"
        "   -I DIR     look in DIR for additional .stp script files, in addition to\n"
        "              the installed tapset directory\n"
        "   -D NM=VAL  set a runtime limit or macro (MAXACTION=10000, ...)\n"
        "   -G VAR=VAL set global variable to value\n"
        "   -r DIR     cross-compile to kernel with given build tree; or else\n"
        "   -r RELEASE cross-compile to kernel /lib/modules/RELEASE/build\n"
        "   -a ARCH    cross-compile to given architecture\n"
        "   -m MODULE  set probe module name\n"
        "   -o FILE    send script output to file, instead of stdout\n"
        "   -e SCRIPT  run given script\n"
        "   -E SCRIPT  run the SCRIPT in addition to the main script specified\n"
        "              through -e or a script file\n"
        "   -c CMD     start the probes, run CMD, and exit when it finishes\n"
        "   -x PID     sets target() to PID\n"
        "   -k         keep temporary directory\n"
        "   -s NUM     use a NUM megabyte buffer for kernel-to-user data transfer\n"
        "              (the bpf runtime's output ring buffer: a power of 2)\n"
        "   --runtime=MODE\n"
        "              set the pass-5 runtime mode: kernel or bpf\n"
        "   --bpf      shorthand for --runtime=bpf\n"
        "   --kernel-btf=FILE\n"
        "              read the target kernel's types from this BTF file\n"
        "   --compatible=VERSION\n"
        "              suppress incompatible language/tapset changes beyond VERSION\n"
        "   --privilege=PRIVILEGE_LEVEL\n"
        "              check the script for constructs not allowed at the given privilege level\n"
        "   --unprivileged\n"
        "              equivalent to --privilege=stapusr\n"
        "   --dump-probe-types\n"
        "              show a list of available probe types.\n"
        "   --dump-probe-aliases\n"
        "              show a list of available probe aliases.\n"
        "   --dump-functions\n"
        "              show a list of available functions.\n",
        out);
}

static int usage_error(const char *fmt, const char *what) {
  fputs("stap: ", stderr);
  fprintf(stderr, fmt, what);
  fputs("\nTry '--help' for more information. [man stap]\n", stderr);
  return 1;
}

static bool is_privilege(const char *p) {
  return strcmp(p, "stapdev") == 0 || strcmp(p, "stapsys") == 0 ||
         strcmp(p, "stapusr") == 0;
}

int options_parse(StapOptions *o, Arena *a, int argc, char **argv) {
  memset(o, 0, sizeof *o);
  o->last_pass = 5;
  o->target_pid = 0;
  opterr = 0;
  optind = 1;
  bool have_e = false;
  int c;
  while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
    switch (c) {
    case 'h': o->show_help = true; break;
    case 'V': o->show_version = true; break;
    case 'v': o->verbose++; break;
    case 'p': {
      char *end;
      long p = strtol(optarg, &end, 10);
      if (*end || p < 1 || p > 5) {
        fputs("Invalid pass number (should be 1-5).\n", stderr);
        return 1;
      }
      o->last_pass = (int)p;
      break;
    }
    case 'I': vec_push(&o->include_dirs, a, optarg); break;
    case 'e':
      if (have_e) {
        fputs("Only one script can be given with -e; use -E for more.\n", stderr);
        return 1;
      }
      have_e = true;
      vec_push(&o->script_texts, a, optarg);
      break;
    case 'E': vec_push(&o->script_texts, a, optarg); break;
    case 'o': o->output = optarg; break;
    case 'r': o->release = optarg; break;
    case 'a': o->arch = optarg; break;
    case 'm': o->module_name = optarg; break;
    case 'k': o->keep_tmp = true; break;
    case 'g': o->guru = true; break;
    case 'c': o->command = optarg; break;
    case 'x': {
      char *end;
      o->target_pid = strtol(optarg, &end, 10);
      if (*end || o->target_pid <= 0) {
        fprintf(stderr, "Invalid target process ID number '%s'.\n", optarg);
        return 1;
      }
      break;
    }
    case 's': {
      char *end;
      long mb = strtol(optarg, &end, 10);
      if (*end || end == optarg || mb < 1 || mb > 4095) {
        fputs("Invalid buffer size (should be 1-4095).\n", stderr);
        return 1;
      }
      o->buffer_mb = (int)mb;
      break;
    }
    case 'D': vec_push(&o->defines, a, optarg); break;
    case 'G': vec_push(&o->globals, a, optarg); break;
    case 'u': o->unoptimized = true; break;
    case 'w': o->no_warnings = true; break;
    case 'W': o->warnings_as_errors = true; break;
    case 'l':
    case 'L':
      o->list_pattern = optarg;
      o->list_vars = c == 'L';
      break;
    case LONG_RUNTIME:
      if (strcmp(optarg, "kernel") != 0 && strcmp(optarg, "bpf") != 0) {
        fprintf(stderr, "Invalid runtime mode '%s' (should be kernel or bpf).\n", optarg);
        return 1;
      }
      o->runtime = optarg;
      break;
    case LONG_BPF: o->runtime = "bpf"; break;
    case LONG_COMPATIBLE: o->compatible = optarg; break;
    case LONG_PRIVILEGE:
      if (!is_privilege(optarg)) {
        fprintf(stderr, "Invalid argument '%s' for --privilege.\n", optarg);
        return 1;
      }
      o->privilege = optarg;
      break;
    case LONG_UNPRIVILEGED: o->privilege = "stapusr"; break;
    case LONG_KERNEL_BTF: o->kernel_btf = optarg; break;
    case LONG_DUMP_FUNCTIONS: o->dump_functions = true; break;
    case LONG_DUMP_PROBE_ALIASES: o->dump_probe_aliases = true; break;
    case LONG_DUMP_PROBE_TYPES: o->dump_probe_types = true; break;
    case LONG_SUPPRESS_HANDLER_ERRORS: o->suppress_handler_errors = true; break;
    case 'P': case 'b': case 'q': case 'F': case 'S': case 'B':
    case 'd': case 't': case 'T': case 'R': case LONG_VP: case LONG_IGNORED:
    case LONG_IGNORED_ARG:
      break; /* accepted for compatibility; not yet meaningful here */
    case ':': {
      if (optopt) {
        char s[2] = {(char)optopt, 0};
        return usage_error("option requires an argument -- '%s'", s);
      }
      return usage_error("option '%s' requires an argument", argv[optind - 1]);
    }
    default:
      if (optopt) {
        char s[2] = {(char)optopt, 0};
        return usage_error("invalid option -- '%s'", s);
      }
      return usage_error("unrecognized option '%s'", argv[optind - 1]);
    }
  }
  if (o->show_help) {
    options_usage(stdout);
    return 0;
  }
  if (o->show_version) {
    options_version(stdout);
    return 0;
  }
  int i = optind;
  if (!o->script_texts.len || !have_e) {
    bool listing = o->list_pattern || o->dump_functions ||
                   o->dump_probe_aliases || o->dump_probe_types;
    if (i < argc && !have_e && !listing) o->script_file = argv[i++];
    else if (!have_e && !listing) {
      fputs("A script must be specified.\n"
            "Try '--help' for more information. [man stap]\n", stderr);
      return 1;
    }
  }
  for (; i < argc; i++) vec_push(&o->args, a, argv[i]);
  return -1;
}
