/* lexer: see lexer.h.  One function per token class; lexer_next()
 * dispatches on the first byte. */
#include "front/lexer.h"

#include <stdio.h>
#include <string.h>

#include "common/strbuf.h"

/* The rarer kinds of token are scanned out of line, so that the common
 * path through lexer_next stays small. */
#define OUT_OF_LINE __attribute__((noinline))

static const char *const op_spellings[OP_COUNT_] = {
    [OP_NONE] = "?",
    [OP_LPAREN] = "(", [OP_RPAREN] = ")", [OP_LBRACKET] = "[",
    [OP_RBRACKET] = "]", [OP_LBRACE] = "{", [OP_RBRACE] = "}",
    [OP_COMMA] = ",", [OP_SEMI] = ";", [OP_COLON] = ":",
    [OP_QUESTION] = "?", [OP_DOT] = ".", [OP_ARROW] = "->",
    [OP_ASSIGN] = "=", [OP_ADD_ASSIGN] = "+=", [OP_SUB_ASSIGN] = "-=",
    [OP_MUL_ASSIGN] = "*=", [OP_DIV_ASSIGN] = "/=", [OP_MOD_ASSIGN] = "%=",
    [OP_SHL_ASSIGN] = "<<=", [OP_SHR_ASSIGN] = ">>=", [OP_AND_ASSIGN] = "&=",
    [OP_OR_ASSIGN] = "|=", [OP_XOR_ASSIGN] = "^=", [OP_CAT_ASSIGN] = ".=",
    [OP_AGGREGATE] = "<<<",
    [OP_OROR] = "||", [OP_ANDAND] = "&&", [OP_BOR] = "|", [OP_BXOR] = "^",
    [OP_BAND] = "&",
    [OP_EQ] = "==", [OP_NE] = "!=", [OP_LT] = "<", [OP_LE] = "<=",
    [OP_GT] = ">", [OP_GE] = ">=", [OP_MATCH] = "=~", [OP_NMATCH] = "!~",
    [OP_SHL] = "<<", [OP_SHR] = ">>", [OP_USHR] = ">>>", [OP_PLUS] = "+", [OP_MINUS] = "-",
    [OP_MUL] = "*", [OP_DIV] = "/", [OP_MOD] = "%",
    [OP_NOT] = "!", [OP_TILDE] = "~", [OP_INC] = "++", [OP_DEC] = "--",
    [OP_PP_IF] = "%(", [OP_PP_THEN] = "%?", [OP_PP_ELSE] = "%:",
    [OP_PP_END] = "%)",
};

static const char *const keywords[] = {
    [KW_NONE] = "", [KW_PROBE] = "probe", [KW_GLOBAL] = "global",
    [KW_FUNCTION] = "function", [KW_PRIVATE] = "private", [KW_IF] = "if",
    [KW_ELSE] = "else", [KW_WHILE] = "while", [KW_FOR] = "for",
    [KW_FOREACH] = "foreach", [KW_IN] = "in", [KW_LIMIT] = "limit",
    [KW_RETURN] = "return", [KW_DELETE] = "delete", [KW_BREAK] = "break",
    [KW_CONTINUE] = "continue", [KW_NEXT] = "next", [KW_TRY] = "try",
    [KW_CATCH] = "catch",
};

const char *op_spelling(Op op) {
  return op > OP_NONE && op < OP_COUNT_ ? op_spellings[op] : "?";
}

const char *keyword_spelling(Keyword kw) { return keywords[kw]; }

/* The keywords by first letter (at most three each), so that most
 * identifiers are told apart from keywords by one table lookup. */
static const Keyword keyword_by_letter[26][3] = {
    ['b' - 'a'] = {KW_BREAK}, ['c' - 'a'] = {KW_CONTINUE, KW_CATCH},
    ['d' - 'a'] = {KW_DELETE}, ['e' - 'a'] = {KW_ELSE},
    ['f' - 'a'] = {KW_FUNCTION, KW_FOR, KW_FOREACH},
    ['g' - 'a'] = {KW_GLOBAL}, ['i' - 'a'] = {KW_IF, KW_IN},
    ['l' - 'a'] = {KW_LIMIT}, ['n' - 'a'] = {KW_NEXT},
    ['p' - 'a'] = {KW_PROBE, KW_PRIVATE}, ['r' - 'a'] = {KW_RETURN},
    ['t' - 'a'] = {KW_TRY}, ['w' - 'a'] = {KW_WHILE},
};

static const uint8_t keyword_len[] = {
    [KW_PROBE] = 5, [KW_GLOBAL] = 6, [KW_FUNCTION] = 8, [KW_PRIVATE] = 7,
    [KW_IF] = 2, [KW_ELSE] = 4, [KW_WHILE] = 5, [KW_FOR] = 3,
    [KW_FOREACH] = 7, [KW_IN] = 2, [KW_LIMIT] = 5, [KW_RETURN] = 6,
    [KW_DELETE] = 6, [KW_BREAK] = 5, [KW_CONTINUE] = 8, [KW_NEXT] = 4,
    [KW_TRY] = 3, [KW_CATCH] = 5,
};

static Keyword keyword_lookup(const char *s, size_t n) {
  if (n < 2 || n > 8 || s[0] < 'a' || s[0] > 'z') return KW_NONE;
  const Keyword *cand = keyword_by_letter[s[0] - 'a'];
  for (int i = 0; i < 3 && cand[i]; i++) {
    if (keyword_len[cand[i]] != n) continue;
    const char *k = keywords[cand[i]];
    size_t j = 1;
    while (j < n && k[j] == s[j]) j++;
    if (j == n) return cand[i];
  }
  return KW_NONE;
}

/* Character classes, one table lookup per byte. */
enum { CC_IDSTART = 1, CC_DIGIT = 2, CC_SPACE = 4, CC_NEWLINE = 8 };

static const unsigned char char_class[256] = {
    ['\n'] = CC_NEWLINE, [' '] = CC_SPACE, ['\t'] = CC_SPACE, ['\r'] = CC_SPACE,
    ['\f'] = CC_SPACE, ['\v'] = CC_SPACE,
    ['0'] = CC_DIGIT, ['1'] = CC_DIGIT, ['2'] = CC_DIGIT, ['3'] = CC_DIGIT,
    ['4'] = CC_DIGIT, ['5'] = CC_DIGIT, ['6'] = CC_DIGIT, ['7'] = CC_DIGIT,
    ['8'] = CC_DIGIT, ['9'] = CC_DIGIT,
    ['_'] = CC_IDSTART, ['$'] = CC_IDSTART,
#define L(c) [c] = CC_IDSTART, [c - 'a' + 'A'] = CC_IDSTART
    L('a'), L('b'), L('c'), L('d'), L('e'), L('f'), L('g'), L('h'), L('i'),
    L('j'), L('k'), L('l'), L('m'), L('n'), L('o'), L('p'), L('q'), L('r'),
    L('s'), L('t'), L('u'), L('v'), L('w'), L('x'), L('y'), L('z'),
#undef L
};

static bool is_ident_start(char c) { return char_class[(unsigned char)c] & CC_IDSTART; }
static bool is_ident_char(char c) { return char_class[(unsigned char)c] & (CC_IDSTART | CC_DIGIT); }
static bool is_digit(char c) { return char_class[(unsigned char)c] & CC_DIGIT; }

/* The text ends in a NUL (SourceFile's promise), which no scanning loop
 * below accepts: loops over identifiers, digits and spaces need no bounds
 * check, and looking one byte ahead of a byte before the end is safe.
 * Loops that may cross a NUL (comments, strings) check the end. */

void lexer_init(Lexer *lx, const SourceFile *file, Arena *arena, Names *names,
                Diag *diag) {
  lx->file = file;
  lx->p = file->text;
  lx->end = file->text + file->len;
  lx->line_start = file->text;
  lx->line = 1;
  lx->arena = arena;
  lx->names = names;
  lx->diag = diag;
}

static SrcLoc loc_at(const Lexer *lx, const char *p) {
  SrcLoc l = {lx->file, lx->line, (uint32_t)(p - lx->line_start) + 1};
  return l;
}

static void newline(Lexer *lx, const char *after) {
  lx->line++;
  lx->line_start = after;
}

/* A token's text: interned, or copied into the arena. */
static const char *keep_text(Lexer *lx, const char *s, size_t n) {
  return lx->names ? names_intern(lx->names, s, n) : arena_strndup(lx->arena, s, n);
}

static void set_token(Token *t, TokKind kind, SrcLoc loc, bool space) {
  *t = (Token){.kind = kind, .space_before = space, .loc = loc};
}

static OUT_OF_LINE void lex_error(Lexer *lx, Token *t, SrcLoc loc, bool space,
                                  const char *msg, const char *detail) {
  if (detail)
    diag_error(lx->diag, "parse error", loc, NULL, "%s %s", msg, detail);
  else
    diag_error(lx->diag, "parse error", loc, NULL, "%s", msg);
  set_token(t, TK_ERROR, loc, space);
  t->text = "";
}

/* Skip a block comment starting at lx->p ("/" "*"); false on an
 * unterminated one (reported), leaving lx->p at its start. */
static bool skip_block_comment(Lexer *lx) {
  SrcLoc start = loc_at(lx, lx->p);
  const char *p = lx->p + 2, *end = lx->end;
  for (;;) {
    if (p >= end) {
      diag_error(lx->diag, "parse error", start, NULL,
                 "unterminated comment (missing '*/')");
      return false;
    }
    if (*p == '*' && p[1] == '/') {
      lx->p = p + 2;
      return true;
    }
    if (*p == '\n') newline(lx, p + 1);
    p++;
  }
}

/* Skip whitespace and comments; returns false on an unterminated comment
 * (already reported), with lx->p at its start.  lexer_next skips plain
 * whitespace itself and calls this at what may be a comment. */
static OUT_OF_LINE bool skip_space(Lexer *lx) {
  const char *p = lx->p;
  for (;;) {
    char c = *p;
    if (c == '\n') {
      newline(lx, ++p);
    } else if (char_class[(unsigned char)c] & CC_SPACE) {
      p++;
    } else if (c == '#' || (c == '/' && p[1] == '/')) {
      const char *nl = memchr(p, '\n', (size_t)(lx->end - p));
      p = nl ? nl : lx->end;
    } else if (c == '/' && p[1] == '*') {
      lx->p = p;
      if (!skip_block_comment(lx)) return false;
      p = lx->p;
    } else {
      break;
    }
  }
  lx->p = p;
  return true;
}

static int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

/* number -> decimal | 0 octal | 0x hex, all 64-bit; a trailing letter or
 * digit that does not belong makes the whole word invalid, as in stap. */
static OUT_OF_LINE void lex_number(Lexer *lx, Token *t, bool space) {
  const char *s = lx->p;
  SrcLoc loc = loc_at(lx, s);
  while (is_ident_char(*lx->p)) lx->p++;
  size_t n = (size_t)(lx->p - s);
  unsigned base = 10;
  const char *d = s;
  if (n > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    d = s + 2;
  } else if (n > 1 && s[0] == '0') {
    base = 8;
    d = s + 1;
  }
  bool ok = d < lx->p;
  uint64_t v = 0;
  for (const char *q = d; ok && q < lx->p; q++) {
    unsigned dv = (unsigned)digit_value(*q);
    ok = dv < base && !__builtin_mul_overflow(v, base, &v) &&
         !__builtin_add_overflow(v, dv, &v);
  }
  set_token(t, TK_NUMBER, loc, space);
  t->text = keep_text(lx, s, n);
  t->len = (uint32_t)n;
  if (!ok) {
    diag_error(lx->diag, "parse error", loc, NULL,
               "number '%s' invalid or out of range", t->text);
    t->kind = TK_ERROR;
    return;
  }
  t->num = (int64_t)v;
}

/* string -> '"' { char | escape } '"'; escapes are C's, decoded to bytes;
 * an unknown escape stands for the character itself, as in stap. */
static OUT_OF_LINE void lex_string(Lexer *lx, Token *t, bool space) {
  SrcLoc loc = loc_at(lx, lx->p);
  lx->p++;
  /* Most strings have no escapes: take them straight from the text. */
  const char *q = lx->p;
  while (q < lx->end && *q != '"' && *q != '\\' && *q != '\n') q++;
  if (q < lx->end && *q == '"') {
    set_token(t, TK_STRING, loc, space);
    t->len = (uint32_t)(q - lx->p);
    t->text = keep_text(lx, lx->p, t->len);
    lx->p = q + 1;
    return;
  }
  StrBuf sb;
  sb_init(&sb);
  sb_append(&sb, lx->p, (size_t)(q - lx->p));
  lx->p = q;
  for (;;) {
    if (lx->p >= lx->end) {
      sb_free(&sb);
      lex_error(lx, t, loc, space, "unterminated string (missing closing '\"')", NULL);
      return;
    }
    char c = *lx->p++;
    if (c == '"') break;
    if (c == '\n') {
      sb_free(&sb);
      lx->p--;
      lex_error(lx, t, loc, space,
                "unterminated string (missing closing '\"' before the end of the line)", NULL);
      return;
    }
    if (c != '\\') {
      sb_putc(&sb, c);
      continue;
    }
    if (lx->p >= lx->end) continue; /* reported as unterminated next round */
    char e = *lx->p++;
    switch (e) {
    case 'a': sb_putc(&sb, '\a'); break;
    case 'b': sb_putc(&sb, '\b'); break;
    case 'f': sb_putc(&sb, '\f'); break;
    case 'n': sb_putc(&sb, '\n'); break;
    case 'r': sb_putc(&sb, '\r'); break;
    case 't': sb_putc(&sb, '\t'); break;
    case 'v': sb_putc(&sb, '\v'); break;
    case 'x': {
      unsigned v = 0;
      int k = 0;
      while (k < 2 && lx->p < lx->end && digit_value(*lx->p) < 16)
        v = v * 16 + (unsigned)digit_value(*lx->p++), k++;
      if (k == 0) sb_putc(&sb, 'x');
      else sb_putc(&sb, (char)v);
      break;
    }
    case '\n': /* a backslash-newline continues the line */
      newline(lx, lx->p);
      break;
    default:
      if (e >= '0' && e <= '7') {
        unsigned v = (unsigned)(e - '0');
        for (int k = 0; k < 2 && lx->p < lx->end && *lx->p >= '0' && *lx->p <= '7'; k++)
          v = v * 8 + (unsigned)(*lx->p++ - '0');
        sb_putc(&sb, (char)(v & 0xff));
      } else {
        sb_putc(&sb, e);
      }
    }
  }
  set_token(t, TK_STRING, loc, space);
  t->len = (uint32_t)sb.len;
  t->text = keep_text(lx, sb_cstr(&sb), sb.len);
  sb_free(&sb);
}

/* embedded -> '%{' any '%}' */
static OUT_OF_LINE void lex_embedded(Lexer *lx, Token *t, bool space) {
  SrcLoc loc = loc_at(lx, lx->p);
  lx->p += 2;
  const char *s = lx->p;
  for (;;) {
    if (lx->p + 1 >= lx->end) {
      lx->p = lx->end;
      lex_error(lx, t, loc, space, "unterminated embedded C (missing '%}')", NULL);
      return;
    }
    if (lx->p[0] == '%' && lx->p[1] == '}') break;
    if (*lx->p == '\n') newline(lx, lx->p + 1);
    lx->p++;
  }
  set_token(t, TK_EMBEDDED, loc, space);
  t->len = (uint32_t)(lx->p - s);
  t->text = arena_strndup(lx->arena, s, t->len);
  lx->p += 2;
}

/* arg -> ('$' | '@') (digits | '#') */
static OUT_OF_LINE void lex_arg(Lexer *lx, Token *t, bool space) {
  SrcLoc loc = loc_at(lx, lx->p);
  set_token(t, TK_ARG, loc, space);
  t->text = *lx->p == '$' ? "$" : "@";
  t->len = 1;
  lx->p++;
  if (*lx->p == '#') {
    lx->p++;
    return;
  }
  int64_t v = 0;
  while (is_digit(*lx->p)) {
    if (v < 100000000) v = v * 10 + (*lx->p - '0');
    lx->p++;
  }
  t->num = v;
  if (v == 0)
    lex_error(lx, t, loc, space, "command line argument index 0 is invalid",
              "(arguments count from $1)");
}

/* Operators, longest match first: the next one or two bytes decide (the
 * third is read only after a second byte that is not the final NUL). */
static Op match_op(const char *p, int *len) {
  char c = p[0], d = p[1];
  *len = 2;
  switch (c) {
  case '<':
    if (d == '<') {
      if (p[2] == '<' || p[2] == '=') {
        *len = 3;
        return p[2] == '<' ? OP_AGGREGATE : OP_SHL_ASSIGN;
      }
      return OP_SHL;
    }
    if (d == '=') return OP_LE;
    *len = 1;
    return OP_LT;
  case '>':
    if (d == '>') {
      if (p[2] == '=' || p[2] == '>') {
        *len = 3;
        return p[2] == '=' ? OP_SHR_ASSIGN : OP_USHR;
      }
      return OP_SHR;
    }
    if (d == '=') return OP_GE;
    *len = 1;
    return OP_GT;
  case '-':
    if (d == '>') return OP_ARROW;
    if (d == '=') return OP_SUB_ASSIGN;
    if (d == '-') return OP_DEC;
    *len = 1;
    return OP_MINUS;
  case '+':
    if (d == '=') return OP_ADD_ASSIGN;
    if (d == '+') return OP_INC;
    *len = 1;
    return OP_PLUS;
  case '*': if (d == '=') return OP_MUL_ASSIGN; *len = 1; return OP_MUL;
  case '/': if (d == '=') return OP_DIV_ASSIGN; *len = 1; return OP_DIV;
  case '%':
    switch (d) {
    case '=': return OP_MOD_ASSIGN;
    case '(': return OP_PP_IF;
    case '?': return OP_PP_THEN;
    case ':': return OP_PP_ELSE;
    case ')': return OP_PP_END;
    }
    *len = 1;
    return OP_MOD;
  case '&':
    if (d == '=') return OP_AND_ASSIGN;
    if (d == '&') return OP_ANDAND;
    *len = 1;
    return OP_BAND;
  case '|':
    if (d == '=') return OP_OR_ASSIGN;
    if (d == '|') return OP_OROR;
    *len = 1;
    return OP_BOR;
  case '^': if (d == '=') return OP_XOR_ASSIGN; *len = 1; return OP_BXOR;
  case '.': if (d == '=') return OP_CAT_ASSIGN; *len = 1; return OP_DOT;
  case '=':
    if (d == '=') return OP_EQ;
    if (d == '~') return OP_MATCH;
    *len = 1;
    return OP_ASSIGN;
  case '!':
    if (d == '=') return OP_NE;
    if (d == '~') return OP_NMATCH;
    *len = 1;
    return OP_NOT;
  }
  *len = 1;
  switch (c) {
  case '(': return OP_LPAREN;
  case ')': return OP_RPAREN;
  case '[': return OP_LBRACKET;
  case ']': return OP_RBRACKET;
  case '{': return OP_LBRACE;
  case '}': return OP_RBRACE;
  case ',': return OP_COMMA;
  case ';': return OP_SEMI;
  case ':': return OP_COLON;
  case '?': return OP_QUESTION;
  case '~': return OP_TILDE;
  }
  return OP_NONE;
}

/* An unterminated comment (reported): an error token at the end. */
static OUT_OF_LINE void lex_unterminated(Lexer *lx, Token *t, bool space) {
  lx->p = lx->end;
  set_token(t, TK_ERROR, loc_at(lx, lx->p), space);
  t->text = "";
}

/* Neither a token nor whitespace. */
static OUT_OF_LINE void lex_invalid(Lexer *lx, Token *t, bool space) {
  const char *s = lx->p++;
  unsigned char c = (unsigned char)*s;
  char shown[8];
  if (c >= 0x20 && c < 0x7f)
    snprintf(shown, sizeof shown, "'%c'", c);
  else
    snprintf(shown, sizeof shown, "'\\x%02x'", c);
  lex_error(lx, t, loc_at(lx, s), space, "invalid character", shown);
}

void lexer_next(Lexer *lx, Token *t) {
  const char *p = lx->p, *s = p;
  while (char_class[(unsigned char)*s] & (CC_SPACE | CC_NEWLINE))
    if (*s++ == '\n') newline(lx, s);
  if (*s == '#' || *s == '/') { /* perhaps a comment */
    lx->p = s;
    if (!skip_space(lx)) {
      lex_unterminated(lx, t, lx->p != p || p == lx->file->text);
      return;
    }
    s = lx->p;
  }
  bool space = s != p || p == lx->file->text;
  lx->p = s;
  if (s >= lx->end) {
    set_token(t, TK_EOF, loc_at(lx, s), space);
    t->text = "";
    return;
  }
  char c = *s;
  if (is_ident_start(c)) {
    if (c == '$' && (is_digit(s[1]) || s[1] == '#')) {
      lex_arg(lx, t, space);
      return;
    }
    const char *e = s + 1;
    while (is_ident_char(*e)) e++;
    lx->p = e;
    size_t n = (size_t)(e - s);
    Keyword kw = keyword_lookup(s, n);
    set_token(t, kw ? TK_KEYWORD : TK_IDENT, loc_at(lx, s), space);
    t->kw = kw;
    t->text = kw ? keywords[kw] : keep_text(lx, s, n);
    t->len = (uint32_t)n;
    return;
  }
  if (is_digit(c)) {
    lex_number(lx, t, space);
    return;
  }
  if (c == '"') {
    lex_string(lx, t, space);
    return;
  }
  if (c == '@') {
    if (is_digit(s[1]) || s[1] == '#') {
      lex_arg(lx, t, space);
      return;
    }
    if (is_ident_start(s[1]) && s[1] != '$') {
      const char *e = s + 2;
      while (is_ident_char(*e)) e++;
      lx->p = e;
      set_token(t, TK_AT, loc_at(lx, s), space);
      t->len = (uint32_t)(e - s - 1);
      t->text = keep_text(lx, s + 1, t->len);
      return;
    }
  }
  if (c == '%' && s[1] == '{') {
    lex_embedded(lx, t, space);
    return;
  }
  int n = 0;
  Op op = match_op(s, &n);
  if (op != OP_NONE) {
    lx->p += n;
    set_token(t, TK_OP, loc_at(lx, s), space);
    t->op = op;
    t->text = op_spellings[op];
    t->len = (uint32_t)n;
    return;
  }
  lex_invalid(lx, t, space);
}

char *token_describe(const Token *t, Arena *arena) {
  switch (t->kind) {
  case TK_EOF: return "end of file";
  case TK_IDENT: return arena_printf(arena, "identifier '%s'", t->text);
  case TK_KEYWORD: return arena_printf(arena, "keyword '%s'", t->text);
  case TK_NUMBER: return arena_printf(arena, "number '%s'", t->text);
  case TK_STRING: {
    StrBuf sb;
    sb_init(&sb);
    for (uint32_t i = 0; i < t->len && i < 40; i++) {
      unsigned char c = (unsigned char)t->text[i];
      if (c == '"' || c == '\\') sb_printf(&sb, "\\%c", c);
      else if (c >= 0x20 && c < 0x7f) sb_putc(&sb, (char)c);
      else sb_printf(&sb, "\\%03o", c);
    }
    char *r = arena_printf(arena, "string \"%s\"%s", sb_cstr(&sb),
                           t->len > 40 ? "..." : "");
    sb_free(&sb);
    return r;
  }
  case TK_OP: return arena_printf(arena, "operator '%s'", t->text);
  case TK_AT: return arena_printf(arena, "operator '@%s'", t->text);
  case TK_ARG:
    return t->num ? arena_printf(arena, "argument '%s%lld'", t->text,
                                 (long long)t->num)
                  : arena_printf(arena, "argument '%s#'", t->text);
  case TK_EMBEDDED: return "embedded-code";
  case TK_ERROR: return "invalid token";
  }
  return "token";
}
