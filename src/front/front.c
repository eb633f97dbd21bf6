/* front: see front.h. */
#include "front/front.h"

#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "front/parser.h"

void front_init(Front *f, Arena *arena, Diag *diag, const PPEnv *env) {
  memset(f, 0, sizeof *f);
  f->arena = arena;
  f->diag = diag;
  f->env = env;
  names_init(&f->names, arena);
}

void front_free(Front *f) {
  tapset_free(&f->lib);
  hashmap_free(&f->parsed_paths);
  for (size_t i = 0; i < f->sources.len; i++) source_free(f->sources.items[i]);
  hashmap_free(&f->lib_macros);
  names_free(&f->names);
}

static SourceFile *read_source(Front *f, const char *path) {
  SourceFile *src = source_read(path, NULL);
  if (!src) {
    SrcLoc none = {0};
    diag_error(f->diag, "parse error", none, NULL, "cannot read tapset file '%s': %s",
               path, strerror(errno));
    return NULL;
  }
  src->is_tapset = true;
  return src;
}

/* A .stpm file holds only @define: run the preprocessor over it and
 * complain about anything that comes out. */
static void load_macro_file(Front *f, const char *path) {
  SourceFile *src = read_source(f, path);
  if (!src) return;
  src->index = (int)f->sources.len;
  vec_push(&f->sources, f->arena, src);
  Lexer lx;
  lexer_init(&lx, src, f->arena, &f->names, f->diag);
  PP pp;
  pp_init(&pp, &lx, f->env, &f->lib_macros, f->arena, f->diag);
  for (;;) {
    Token t;
    pp_next(&pp, &t);
    if (t.kind == TK_EOF) break;
    if (t.kind == TK_ERROR) continue;
    diag_error(f->diag, "parse error", t.loc, token_describe(&t, f->arena),
               "only @define is allowed in a macro library file");
    break;
  }
  pp_free(&pp);
}

static Macro *library_macro(void *ctx, const char *name) {
  Front *f = ctx;
  if (!f->lib_macros_loaded) {
    f->lib_macros_loaded = true;
    for (size_t i = 0; i < f->lib.macros.len; i++) load_macro_file(f, f->lib.macros.items[i]);
  }
  return hashmap_get(&f->lib_macros, name, strlen(name));
}

File *front_parse(Front *f, SourceFile *src, bool tapset, bool guru) {
  src->is_tapset = tapset;
  src->index = (int)f->sources.len;
  vec_push(&f->sources, f->arena, src);
  Lexer lx;
  lexer_init(&lx, src, f->arena, &f->names, f->diag);
  HashMap local = {0};
  PP pp;
  pp_init(&pp, &lx, f->env, &local, f->arena, f->diag);
  pp.library = library_macro;
  pp.library_ctx = f;
  pp.owner = &f->sources; /* $N sources live as long as the tree */
  File *file = parser_parse_file(&pp, src, tapset || guru, f->arena, f->diag);
  pp_free(&pp);
  hashmap_free(&local);
  vec_push(&f->files, f->arena, file);
  return file;
}

static void parse_library_file(Front *f, const char *path) {
  SourceFile *src = read_source(f, path);
  if (!src) return;
  f->library_parsed++;
  front_parse(f, src, true, false);
}

bool front_parse_library_files(Front *f, const Vec *paths) {
  bool any = false;
  for (size_t i = 0; paths && i < paths->len; i++) {
    const char *p = paths->items[i];
    if (hashmap_get(&f->parsed_paths, p, strlen(p))) continue;
    hashmap_put(&f->parsed_paths, p, strlen(p), (void *)p);
    parse_library_file(f, p);
    any = true;
  }
  return any;
}

bool front_load_alias_files(Front *f, const char *first) {
  TapsetLib *lib = &f->lib;
  if (!strpbrk(first, "*?["))
    return front_parse_library_files(f, tapset_defining_alias(lib, f->arena, first));
  bool any = false;
  tapset_defining_alias(lib, f->arena, ""); /* builds the index */
  for (size_t s = 0; s < lib->aliases.cap; s++) {
    HashEntry *e = &lib->aliases.slots[s];
    if (e->key && util_glob_match(first, e->key))
      any |= front_parse_library_files(f, e->value);
  }
  return any;
}

typedef struct Needs {
  Front *f;
  Vec names;    /* const char*: functions called */
} Needs;

static void collect_calls(Expr *e, void *ctx) {
  Needs *n = ctx;
  if (e->kind == E_CALL) vec_push(&n->names, n->f->arena, (void *)e->name);
}

void front_load_needed(Front *f) {
  HashMap defined = {0};
  for (size_t done = 0; done < f->files.len; done++) {
    File *file = f->files.items[done];
    Needs n = {f, {0}};
    for (size_t i = 0; i < file->items.len; i++) {
      Item *it = file->items.items[i];
      if (it->kind == I_FUNCTION) hashmap_put(&defined, it->name, strlen(it->name), it);
      ast_walk_item(it, collect_calls, &n);
      for (size_t k = 0; k < it->points.len; k++) {
        ProbePoint *pp = it->points.items[k];
        front_load_alias_files(f, ((ProbeComp *)pp->comps.items[0])->name);
      }
    }
    for (size_t i = 0; i < n.names.len; i++) {
      const char *name = n.names.items[i];
      if (!hashmap_get(&defined, name, strlen(name)))
        front_parse_library_files(f, tapset_defining_function(&f->lib, f->arena, name));
    }
  }
  hashmap_free(&defined);
}
