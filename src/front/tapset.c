/* tapset: see tapset.h. */
#include "front/tapset.h"

#include "front/lexer.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Add the .stp and .stpm files directly in dir, in name order. */
static void scan_dir(TapsetLib *lib, Arena *a, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  Vec names = {0};
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (ends_with(de->d_name, ".stp") || ends_with(de->d_name, ".stpm"))
      vec_push(&names, a, arena_strdup(a, de->d_name));
  closedir(d);
  if (names.len) qsort(names.items, names.len, sizeof *names.items, cmp_str);
  for (size_t i = 0; i < names.len; i++) {
    const char *name = names.items[i];
    char *path = arena_printf(a, "%s/%s", dir, name);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    vec_push(ends_with(name, ".stpm") ? &lib->macros : &lib->scripts, a, path);
  }
}

void tapset_scan(TapsetLib *lib, Arena *a, const char *const *dirs, int ndirs,
                 const char *runtime, const char *arch) {
  const char *rt = runtime && strcmp(runtime, "bpf") == 0 ? "bpf" : "linux";
  for (int i = 0; i < ndirs; i++) {
    const char *d = dirs[i];
    vec_push(&lib->dirs, a, (void *)d);
    scan_dir(lib, a, d);
    scan_dir(lib, a, arena_printf(a, "%s/%s", d, rt));
    scan_dir(lib, a, arena_printf(a, "%s/%s", d, arch));
    scan_dir(lib, a, arena_printf(a, "%s/%s/%s", d, rt, arch));
  }
}

static void index_add(HashMap *m, Arena *a, const char *name, const char *path) {
  Vec *paths = hashmap_get(m, name, strlen(name));
  if (!paths) {
    paths = arena_alloc(a, sizeof *paths);
    hashmap_put(m, name, strlen(name), paths);
  }
  if (!paths->len || vec_last(paths) != path) vec_push(paths, a, (void *)path);
}

static bool tok_is(const Token *t, TokKind kind, Op op) {
  return t->kind == kind && (kind != TK_OP || t->op == op);
}

/* Scan one script's tokens for "function NAME" and "probe NAME... =" (or
 * "+="); conditionals are not evaluated, so both branches count, which can
 * only load a file more than strictly needed.  Token text is interned in
 * scratch, which the whole scan shares. */
static void index_script(TapsetLib *lib, Arena *a, Names *scratch, const char *path) {
  SourceFile *src = source_read(path, NULL);
  if (!src) return; /* reported when (if) the file is parsed */
  Diag quiet;
  diag_init(&quiet, NULL);
  Lexer lx;
  lexer_init(&lx, src, scratch->arena, scratch, &quiet);
  Token prev = {.kind = TK_EOF}, t;
  for (lexer_next(&lx, &t); t.kind != TK_EOF; prev = t, lexer_next(&lx, &t)) {
    if (prev.kind != TK_KEYWORD) continue;
    if (prev.kw == KW_FUNCTION && t.kind == TK_IDENT) {
      index_add(&lib->functions, a, arena_strdup(a, t.text), path);
    } else if (prev.kw == KW_PROBE && (t.kind == TK_IDENT || t.kind == TK_KEYWORD)) {
      /* An alias definition: components up to '=' or '+=' on this level. */
      const char *first = arena_strdup(a, t.text);
      int depth = 0;
      Token u;
      for (lexer_next(&lx, &u); u.kind != TK_EOF; lexer_next(&lx, &u)) {
        if (tok_is(&u, TK_OP, OP_LPAREN)) depth++;
        else if (tok_is(&u, TK_OP, OP_RPAREN)) depth--;
        else if (depth == 0 && (tok_is(&u, TK_OP, OP_ASSIGN) || tok_is(&u, TK_OP, OP_ADD_ASSIGN))) {
          index_add(&lib->aliases, a, first, path);
          break;
        } else if (depth == 0 && (tok_is(&u, TK_OP, OP_LBRACE) || tok_is(&u, TK_OP, OP_COMMA))) {
          break;
        }
        t = u;
      }
    }
  }
  source_free(src);
}

static void ensure_index(TapsetLib *lib, Arena *a) {
  if (lib->indexed) return;
  lib->indexed = true;
  /* Token text is needed only while a script is scanned: one scratch
   * arena for the whole library, not one (and its first chunk) a script. */
  Arena scratch;
  arena_init(&scratch);
  Names names;
  names_init(&names, &scratch);
  for (size_t i = 0; i < lib->scripts.len; i++)
    index_script(lib, a, &names, lib->scripts.items[i]);
  names_free(&names);
  arena_destroy(&scratch);
}

const Vec *tapset_defining_function(TapsetLib *lib, Arena *a, const char *name) {
  ensure_index(lib, a);
  return hashmap_get(&lib->functions, name, strlen(name));
}

const Vec *tapset_defining_alias(TapsetLib *lib, Arena *a, const char *name) {
  ensure_index(lib, a);
  return hashmap_get(&lib->aliases, name, strlen(name));
}

void tapset_free(TapsetLib *lib) {
  hashmap_free(&lib->functions);
  hashmap_free(&lib->aliases);
}
