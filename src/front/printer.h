/* printer: the syntax tree back to script text, for `stap -p1`.
 *
 * The form is canonical: two-space indentation, one statement per line
 * ending in ';', parentheses only where precedence needs them, strings
 * re-escaped, numbers as written.  Printing a file, parsing the output and
 * printing again gives the same text (the tests check this fixed point over
 * every script in the repository). */
#ifndef CTAP_FRONT_PRINTER_H
#define CTAP_FRONT_PRINTER_H

#include "common/strbuf.h"
#include "front/ast.h"

void printer_file(StrBuf *out, const File *f);
void printer_expr(StrBuf *out, const Expr *e);
/* A statement at an indentation level (a block as { ... }). */
void printer_stmt(StrBuf *out, const Stmt *s, int indent);
void printer_probe_point(StrBuf *out, const ProbePoint *pp);
void printer_string_literal(StrBuf *out, const char *s, size_t len);

#endif
