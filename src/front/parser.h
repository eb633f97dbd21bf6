/* parser: tokens (from the preprocessor) to the syntax tree (pass 1).
 *
 * A recursive-descent parser; each function is headed by the grammar rule
 * it implements.  Expression precedence, lowest first: assignment (= op=
 * <<<, right-associative), ternary, ||, &&, |, ^, &, in, comparisons and
 * regex match, shifts, '.', + -, * / %, unary, postfix ++/--, primary.
 * On an error the parser reports it and skips to the next top-level
 * declaration, so one run reports several independent mistakes; nesting
 * deeper than PARSER_MAX_DEPTH is an error, not a stack overflow. */
#ifndef CTAP_FRONT_PARSER_H
#define CTAP_FRONT_PARSER_H

#include <stdbool.h>

#include "front/ast.h"
#include "front/preproc.h"

enum { PARSER_MAX_DEPTH = 400, PARSER_MAX_INDICES = 9 };

/* Parse a whole file.  Embedded C is refused unless allow_embedded (guru
 * mode, or a tapset).  Errors go to diag; the returned File holds what
 * could be parsed. */
File *parser_parse_file(PP *pp, const SourceFile *src, bool allow_embedded,
                        Arena *arena, Diag *diag);

#endif
