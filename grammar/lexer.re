/* lexer.re -- the tokens of `.rules` and `.graph` files (re2c).
 *
 * One lexer serves both kinds of file.  Words are identifiers unless they
 * are one of the keywords below; the parser lets every keyword stand
 * where a *name* is expected (a value called `input`, an attribute called
 * `op`), so the keywords do not take names away from graphs.
 *
 * The source is a NUL-terminated copy (gm_src), so re2c runs with a
 * sentinel and no refill: a NUL before the end is an ordinary bad
 * character, the NUL at the end is end of input.  Comments run from `#`
 * to the end of the line.  Numbers carry no sign: `-` is an operator, and
 * the parser folds `-3` into a literal where only literals are allowed.
 */
#include "internal.h"
#include "parser.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static gm_loc here(gm_parser *P)
{
    gm_loc l = {P->src, P->line, (int)(P->tok - P->line_start) + 1};
    return l;
}

static void set_loc(YYLTYPE *lloc, gm_parser *P)
{
    lloc->first_line = lloc->last_line = P->line;
    lloc->first_column = lloc->last_column = (int)(P->tok - P->line_start) + 1;
}

/* Keywords: sorted by nothing in particular; the list is short. */
static int keyword(const char *s, size_t n)
{
    static const struct { const char *w; int t; } kw[] = {
        {"include", KW_INCLUDE}, {"mapping", KW_MAPPING}, {"layouts", KW_LAYOUTS},
        {"op", KW_OP},           {"fuse", KW_FUSE},       {"edge", KW_EDGE},
        {"rule", KW_RULE},       {"if", KW_IF},           {"priority", KW_PRIORITY},
        {"with", KW_WITH},       {"graph", KW_GRAPH},     {"opset", KW_OPSET},
        {"input", KW_INPUT},     {"output", KW_OUTPUT},   {"weight", KW_WEIGHT},
        {"const", KW_CONST},     {"tensor", KW_TENSOR},
    };
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (strlen(kw[i].w) == n && memcmp(kw[i].w, s, n) == 0) return kw[i].t;
    return 0;
}

/* The text of a quoted string without its quotes, escapes resolved. */
static char *unquote(gm_parser *P, const char *s, const char *e)
{
    char *d = dn_arena_alloc(P->A, (size_t)(e - s) + 1), *o = d;
    for (const char *p = s + 1; p < e - 1; p++) {
        if (*p == '\\' && p + 1 < e - 1) {
            p++;
            *o++ = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
        } else
            *o++ = *p;
    }
    *o = 0;
    return d;
}

int gm_lex(YYSTYPE *lval, YYLTYPE *lloc, gm_parser *P)
{
    const char *YYMARKER = NULL;
    for (;;) {
        P->tok = P->cur;
        set_loc(lloc, P);
        /*!re2c
        re2c:define:YYCTYPE = "unsigned char";
        re2c:define:YYCURSOR = "P->cur";
        re2c:yyfill:enable = 0;
        re2c:flags:utf-8 = 0;

        digits = [0-9]+;
        exp    = [eE] [+-]? digits;
        ident  = [A-Za-z_] [A-Za-z0-9_]*;

        "\x00" {
            if (P->cur - 1 >= P->lim) { P->cur--; return GM_EOF; }
            gm_error(P->d, here(P), "unexpected NUL byte");
            continue;
        }
        [ \t\r\v\f]+ { continue; }
        "\n" { P->line++; P->line_start = P->cur; continue; }
        "#" [^\n\x00]* { continue; }

        ident {
            size_t n = (size_t)(P->cur - P->tok);
            int k = keyword(P->tok, n);
            lval->str = dn_arena_strndup(P->A, P->tok, n);
            return k ? k : T_IDENT;
        }
        digits {
            errno = 0;
            char *end;
            char buf[64];
            size_t n = (size_t)(P->cur - P->tok);
            if (n >= sizeof buf) n = sizeof buf - 1;
            memcpy(buf, P->tok, n);
            buf[n] = 0;
            long long v = strtoll(buf, &end, 10);
            if (errno == ERANGE || (size_t)(P->cur - P->tok) >= sizeof buf) {
                gm_error(P->d, here(P), "integer %s is out of range", buf);
                v = 0;
            }
            lval->inum = v;
            return T_INT;
        }
        digits "." [0-9]* exp? | "." digits exp? | digits exp {
            char buf[128];
            size_t n = (size_t)(P->cur - P->tok);
            if (n >= sizeof buf) n = sizeof buf - 1;
            memcpy(buf, P->tok, n);
            buf[n] = 0;
            lval->num = strtod(buf, NULL);
            return T_FLOAT;
        }
        ["] ([^"\\\n\x00] | "\\" [^\n\x00])* ["] {
            lval->str = unquote(P, P->tok, P->cur);
            return T_STRING;
        }
        ["] ([^"\\\n\x00] | "\\" [^\n\x00])* {
            gm_error(P->d, here(P), "unterminated string");
            lval->str = dn_arena_strndup(P->A, P->tok + 1, (size_t)(P->cur - P->tok - 1));
            return T_STRING;
        }

        "<=>" { return T_BIARROW; }
        "=>"  { return T_ARROW; }
        "->"  { return T_EDGEARROW; }
        "<="  { return T_LE; }
        ">="  { return T_GE; }
        "=="  { return T_EQ; }
        "!="  { return T_NE; }
        "&&"  { return T_AND; }
        "||"  { return T_OR; }
        "::"  { return T_DCOLON; }
        "..." { return T_ELLIPSIS; }
        [()[\]{},;:=<>+\-*/%!?@] { return (unsigned char)P->tok[0]; }

        * {
            unsigned char c = (unsigned char)P->tok[0];
            if (c >= 0x20 && c < 0x7f)
                gm_error(P->d, here(P), "unexpected character '%c'", c);
            else
                gm_error(P->d, here(P), "unexpected byte 0x%02x", c);
            continue;
        }
        */
    }
}
