/* sema: pass 2's tables and order of work (see sema.h, sema_int.h). */
#include "sema/sema_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *vtype_name(VType t) {
  switch (t) {
  case VT_LONG: return "long";
  case VT_STRING: return "string";
  case VT_STATS: return "stats";
  default: return "unknown";
  }
}

void sema_error(Sema *S, SrcLoc loc, const char *saw, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_verror(S->diag, "semantic error", loc, saw, fmt, ap);
  va_end(ap);
}

Symbol *sema_new_symbol(Sema *S, const char *name, SymKind kind, SrcLoc loc) {
  Symbol *s = arena_alloc(S->arena, sizeof *s);
  s->name = name;
  s->kind = kind;
  s->loc = loc;
  s->arity = -1;
  return s;
}

static bool is_builtin_body(const Item *it) {
  return it->code && strstr(it->code, "ctap:builtin") != NULL;
}

/* Register the globals, functions and aliases of files parsed since the
 * last call (the user's, then library files as they are loaded). */
void sema_register_new_files(Sema *S) {
  for (; S->files_seen < S->front->files.len; S->files_seen++) {
    File *f = S->front->files.items[S->files_seen];
    bool lib = f->source->is_tapset;
    for (size_t i = 0; i < f->items.len; i++) {
      Item *it = f->items.items[i];
      switch (it->kind) {
      case I_GLOBAL: {
        HashMap *map = &S->globals;
        const char *key = it->name;
        if (it->private_) {
          map = &S->privates;
          key = arena_printf(S->arena, "%d:%s", f->source->index, it->name);
        }
        Symbol *old = hashmap_get(map, key, strlen(key));
        if (old) {
          if (old->decl && !lib)
            sema_error(S, it->loc, arena_printf(S->arena, "identifier '%s'", it->name),
                       "duplicate global variable '%s' (first declared at %s:%u)",
                       it->name, old->loc.file ? old->loc.file->name : "?", old->loc.line);
          break;
        }
        Symbol *g = sema_new_symbol(S, it->name, SYM_GLOBAL, it->loc);
        g->decl = it;
        g->from_library = lib;
        if (it->init) {
          g->type = it->init->kind == E_STR ? VT_STRING : VT_LONG;
          g->type_loc = it->init->loc;
          g->arity = 0;
          g->written = true;
        }
        hashmap_put(map, key, strlen(key), g);
        vec_push(&S->prog->globals, S->arena, g);
        break;
      }
      case I_FUNCTION: {
        Vec *v = hashmap_get(&S->functions, it->name, strlen(it->name));
        if (!v) {
          v = arena_alloc(S->arena, sizeof *v);
          hashmap_put(&S->functions, it->name, strlen(it->name), v);
        }
        Function *fn = arena_alloc(S->arena, sizeof *fn);
        fn->name = it->name;
        fn->item = it;
        fn->builtin = is_builtin_body(it);
        fn->ret = it->ret_type == T_LONG ? VT_LONG : it->ret_type == T_STRING ? VT_STRING : VT_UNKNOWN;
        fn->ret_loc = it->loc;
        for (size_t k = 0; k < it->params.len; k++) {
          Param *p = it->params.items[k];
          Symbol *s = sema_new_symbol(S, p->name, SYM_PARAM, p->loc);
          s->arity = 0;
          s->type = p->type == T_LONG ? VT_LONG : p->type == T_STRING ? VT_STRING : VT_UNKNOWN;
          s->type_loc = p->loc;
          vec_push(&fn->params, S->arena, s);
        }
        vec_push(v, S->arena, fn);
        break;
      }
      case I_PROBE:
        if (it->alias) vec_push(&S->aliases, S->arena, it);
        break;
      case I_EMBEDDED:
        vec_push(&S->prog->embedded, S->arena, it);
        break;
      }
    }
  }
}

Symbol *sema_global(Sema *S, const char *name, const SourceFile *file) {
  if (file) {
    char *key = arena_printf(S->arena, "%d:%s", file->index, name);
    Symbol *p = hashmap_get(&S->privates, key, strlen(key));
    if (p) return p;
  }
  return hashmap_get(&S->globals, name, strlen(name));
}

/* Functions of this name, loading the library scripts that define it. */
Vec *sema_functions_named(Sema *S, const char *name) {
  Vec *v = hashmap_get(&S->functions, name, strlen(name));
  if (v) return v;
  if (!front_parse_library_files(S->front, tapset_defining_function(&S->front->lib, S->arena, name)))
    return NULL;
  sema_register_new_files(S);
  return hashmap_get(&S->functions, name, strlen(name));
}

/* Edit distance, for "did you mean" suggestions. */
static size_t distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > 64 || m > 64) return 99;
  size_t row[65];
  for (size_t j = 0; j <= m; j++) row[j] = j;
  for (size_t i = 1; i <= n; i++) {
    size_t prev = row[0];
    row[0] = i;
    for (size_t j = 1; j <= m; j++) {
      size_t cur = row[j];
      size_t best = prev + (a[i - 1] != b[j - 1]);
      if (row[j] + 1 < best) best = row[j] + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      prev = cur;
    }
  }
  return row[m];
}

const char *sema_suggest(const char *name, const Vec *candidates) {
  const char *best = NULL;
  size_t best_d = strlen(name) / 3 + 1;
  if (best_d > 3) best_d = 3;
  for (size_t i = 0; i < candidates->len; i++) {
    const char *c = candidates->items[i];
    size_t d = distance(name, c);
    if (d <= best_d && (!best || d < best_d)) {
      best = c;
      best_d = d;
    }
  }
  return best;
}

static Sema *sema_new(Front *front, Target *target, const SemaOptions *opt) {
  Sema *S = arena_alloc(front->arena, sizeof *S);
  S->arena = front->arena;
  S->diag = front->diag;
  S->front = front;
  S->target = target;
  S->opt = opt;
  S->prog = arena_alloc(front->arena, sizeof *S->prog);
  return S;
}

static void sema_free(Sema *S) {
  hashmap_free(&S->globals);
  hashmap_free(&S->privates);
  hashmap_free(&S->functions);
}

Program *sema_elaborate(Front *front, size_t user_files, Target *target,
                        const SemaOptions *opt) {
  Sema *S = sema_new(front, target, opt);
  sema_register_new_files(S);
  /* Probes of the user's files only: library probes are aliases. */
  for (size_t i = 0; i < user_files; i++) {
    File *f = front->files.items[i];
    for (size_t k = 0; k < f->items.len; k++) {
      Item *it = f->items.items[k];
      if (it->kind == I_PROBE && !it->alias) probes_expand_item(S, it);
    }
  }
  if (!S->diag->errors) check_program(S);
  if (!S->diag->errors && !opt->listing && sema_display_globals(S)) {
    S->final_round = false;
    check_program(S); /* with the display probe */
  }
  if (!S->diag->errors) check_elide(S);
  Program *p = S->prog;
  sema_free(S);
  return p;
}

static int cmp_probe(const void *a, const void *b) {
  return strcmp((*(Probe *const *)a)->point, (*(Probe *const *)b)->point);
}

Vec *sema_list(Front *front, Target *target, const char *pattern,
               const SemaOptions *opt) {
  Sema *S = sema_new(front, target, opt);
  sema_register_new_files(S);
  char *text = arena_printf(S->arena, "probe %s {}", pattern);
  SourceFile *src = source_from_string(text, strlen(text), "<probe pattern>");
  File *f = front_parse(front, src, false, false);
  S->files_seen = front->files.len;
  if (!S->diag->errors && f->items.len == 1) {
    Item *it = f->items.items[0];
    ProbePoint *pp = it->points.items[0];
    pp->optional = true; /* listing: no match is not an error */
    probes_expand_item(S, it);
  }
  if (!S->diag->errors && opt->listing) check_program(S);
  Vec *out = &S->prog->probes;
  if (out->len) qsort(out->items, out->len, sizeof(void *), cmp_probe);
  sema_free(S);
  return out;
}
