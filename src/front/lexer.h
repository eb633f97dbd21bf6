/* lexer: SystemTap script text to tokens (part of pass 1).
 *
 * The lexer knows identifiers (with `$`), keywords, integers (decimal,
 * octal, hex; 64-bit, values up to 2^64-1 wrap), strings with C escapes
 * decoded to bytes, comments (`#`, `//`, block), embedded C `%{ ... %}`,
 * every operator including the preprocessor's `%( %? %: %)`, `@word`
 * operators and macro names, and command-line argument references `$1`,
 * `@1`, `$#`, `@#` (which the preprocessor substitutes).  Lexical errors
 * are reported here and yield a TK_ERROR token so the parser can recover
 * without reporting them twice. */
#ifndef CTAP_FRONT_LEXER_H
#define CTAP_FRONT_LEXER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/diag.h"
#include "front/names.h"

typedef enum TokKind {
  TK_EOF,      /* end of input */
  TK_IDENT,    /* identifier, possibly starting with $ ($name, $$vars) */
  TK_KEYWORD,  /* probe, global, function, if, ... */
  TK_NUMBER,   /* integer literal: num holds the value, text the spelling */
  TK_STRING,   /* string literal: text/len hold the decoded bytes */
  TK_OP,       /* operator or punctuation: op */
  TK_AT,       /* @word: @count, @cast, @define, macro invocation */
  TK_ARG,      /* $N / @N / $# / @#: num = N (0 for #), text "$" or "@" */
  TK_EMBEDDED, /* %{ ... %}: text holds the code between the braces */
  TK_ERROR,    /* a lexical error, already reported */
} TokKind;

/* Packed (one byte): the tree stores operators in its nodes. */
typedef enum __attribute__((packed)) Op {
  OP_NONE,
  OP_LPAREN, OP_RPAREN, OP_LBRACKET, OP_RBRACKET, OP_LBRACE, OP_RBRACE,
  OP_COMMA, OP_SEMI, OP_COLON, OP_QUESTION, OP_DOT, OP_ARROW,
  OP_ASSIGN, OP_ADD_ASSIGN, OP_SUB_ASSIGN, OP_MUL_ASSIGN, OP_DIV_ASSIGN,
  OP_MOD_ASSIGN, OP_SHL_ASSIGN, OP_SHR_ASSIGN, OP_AND_ASSIGN, OP_OR_ASSIGN,
  OP_XOR_ASSIGN, OP_CAT_ASSIGN, OP_AGGREGATE,
  OP_OROR, OP_ANDAND, OP_BOR, OP_BXOR, OP_BAND,
  OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_MATCH, OP_NMATCH,
  OP_SHL, OP_SHR, OP_USHR, OP_PLUS, OP_MINUS, OP_MUL, OP_DIV, OP_MOD,
  OP_NOT, OP_TILDE, OP_INC, OP_DEC,
  OP_PP_IF, OP_PP_THEN, OP_PP_ELSE, OP_PP_END, /* %( %? %: %) */
  OP_COUNT_
} Op;

typedef enum Keyword {
  KW_NONE,
  KW_PROBE, KW_GLOBAL, KW_FUNCTION, KW_PRIVATE, KW_IF, KW_ELSE, KW_WHILE,
  KW_FOR, KW_FOREACH, KW_IN, KW_LIMIT, KW_RETURN, KW_DELETE, KW_BREAK,
  KW_CONTINUE, KW_NEXT, KW_TRY, KW_CATCH,
} Keyword;

typedef struct Token Token;

/* Tokens are values: the lexer fills one in, the preprocessor and the
 * parser copy them, and none is allocated unless a macro stores it.  The
 * strings a token points to (text) are interned or static and outlive it. */
struct Token {
  uint8_t kind;      /* TokKind */
  uint8_t op;        /* TK_OP: which operator (Op) */
  uint8_t kw;        /* TK_KEYWORD: which keyword (Keyword) */
  bool space_before; /* whitespace or a comment precedes the token */
  uint32_t len;      /* bytes in text */
  const char *text;  /* spelling; decoded bytes for TK_STRING; code for
                        TK_EMBEDDED; the word after '@' for TK_AT */
  int64_t num;       /* TK_NUMBER value; TK_ARG argument number */
  SrcLoc loc;        /* where the token starts */
  const Token *origin; /* the stored copy (in a macro body or argument
                          list) this token was delivered from, or NULL for
                          a token fresh from a lexer or the preprocessor:
                          two deliveries of one stored token are the same
                          token to the parser's error recovery */
};

typedef struct Lexer {
  const SourceFile *file; /* the text being scanned (NUL-terminated) */
  const char *p;          /* next byte to scan */
  const char *end;        /* one past the last byte */
  const char *line_start; /* start of the current line, for columns */
  uint32_t line;          /* current line number */
  Arena *arena;           /* embedded C and uninterned strings go here */
  Names *names;           /* where token text is interned, or NULL to
                             copy it into the arena */
  Diag *diag;             /* lexical errors go here */
} Lexer;

void lexer_init(Lexer *lx, const SourceFile *file, Arena *arena, Names *names,
                Diag *diag);
/* Scan the next token into *t. */
void lexer_next(Lexer *lx, Token *t);

/* Spelling of an operator ("<<<"), of a keyword ("foreach"). */
const char *op_spelling(Op op);
const char *keyword_spelling(Keyword kw);
/* A description of a token for "saw:" lines: "operator '}'". */
char *token_describe(const Token *t, Arena *arena);

#endif
