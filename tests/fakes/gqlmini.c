/*
 * gqlmini.c - a small, strict GraphQL engine for fake-stash (see gqlmini.h).
 *
 * The parser follows the GraphQL October 2021 grammar for executable
 * documents. Validation implements the rules a client can realistically
 * break: unknown fields/arguments/types/enum values/input fields, missing
 * required arguments, leaf/composite selections, undefined and unused
 * variables and fragments, fragment cycles, variable positions, duplicate
 * names and conflicting response keys. Messages copy gqlparser's (gqlgen's
 * validator) wording so a test reading them sees what Stash would say.
 */
#include "gqlmini.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/strv.h"
#include "core/xalloc.h"

/* Append to an unlimited buffer (cannot fail). */
static void
bput(struct s2p_buf *b, const void *p, size_t n)
{
	if (s2p_buf_add(b, p, n) != S2P_OK)
		abort();
}

static void
bputs(struct s2p_buf *b, const char *s)
{
	bput(b, s, strlen(s));
}

/* ------------------------------------------------------------------ */
/* AST                                                                 */

enum vkind {
	V_VAR,
	V_INT,
	V_FLOAT,
	V_STRING,
	V_BOOL,
	V_NULL,
	V_ENUM,
	V_LIST,
	V_OBJECT,
};

struct value {
	enum vkind kind;
	char *s;              /* VAR name, INT/FLOAT text, STRING, ENUM */
	int b;                /* BOOL */
	struct value **items; /* LIST items, OBJECT values */
	char **keys;          /* OBJECT keys */
	size_t n;
	int line, col;
};

struct arg {
	char *name;
	struct value *value;
	int line, col;
};

struct directive {
	char *name;
	struct arg *args;
	size_t nargs;
	int line, col;
};

struct selset;

enum selkind { S_FIELD, S_SPREAD, S_INLINE };

struct sel {
	enum selkind kind;
	char *alias; /* FIELD: NULL when none */
	char *name;  /* FIELD name or fragment name */
	struct arg *args;
	size_t nargs;
	struct directive *dirs;
	size_t ndirs;
	char *type_cond;    /* INLINE: NULL when none */
	struct selset *sub; /* NULL when absent */
	int line, col;
};

struct selset {
	struct sel *v;
	size_t n;
};

struct vardef {
	char *name;
	char *type;        /* SDL notation */
	struct value *def; /* default, or NULL */
	int line, col;
};

struct fake_gql_op {
	const struct fake_gql_doc *doc;
	const char *kind; /* "query", "mutation", "subscription" */
	char *name;       /* NULL when anonymous */
	struct vardef *vars;
	size_t nvars;
	struct directive *dirs;
	size_t ndirs;
	struct selset *sel;
	int line, col;
};

struct frag {
	char *name;
	char *type_cond;
	struct directive *dirs;
	size_t ndirs;
	struct selset *sel;
	int line, col;
};

struct fake_gql_doc {
	void **allocs; /* every allocation of the document */
	size_t nallocs, capallocs;
	struct fake_gql_op *ops;
	size_t nops;
	struct frag *frags;
	size_t nfrags;
};

/* Register p as owned by the document. */
static void
dkeep(struct fake_gql_doc *d, void *p)
{
	if (d->nallocs == d->capallocs) {
		d->capallocs = d->capallocs ? d->capallocs * 2 : 64;
		d->allocs = s2p_xrealloc(d->allocs,
		    d->capallocs * sizeof(*d->allocs));
	}
	d->allocs[d->nallocs++] = p;
}

/* Zeroed allocation owned by the document. */
static void *
dalloc(struct fake_gql_doc *d, size_t n)
{
	void *p = s2p_xcalloc(1, n ? n : 1);

	dkeep(d, p);
	return p;
}

/* Grow an array owned by the document (old may be NULL). */
static void *
dgrow(struct fake_gql_doc *d, void *old, size_t n)
{
	void *p;
	size_t i;

	if (old == NULL)
		return dalloc(d, n);
	p = s2p_xrealloc(old, n);
	for (i = d->nallocs; i-- > 0;) {
		if (d->allocs[i] == old) {
			d->allocs[i] = p;
			break;
		}
	}
	return p;
}

static char *
dstrndup(struct fake_gql_doc *d, const char *s, size_t n)
{
	char *p = s2p_xstrndup(s, n);

	dkeep(d, p);
	return p;
}

void
fake_gql_doc_free(struct fake_gql_doc *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nallocs; i++)
		free(d->allocs[i]);
	free(d->allocs);
	free(d);
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */

/* Append {"message", "locations"?, "extensions": {"code"}} to errors. */
static void add_error(json_t *errors, int line, int col, const char *code,
    const char *fmt, ...) S2P_PRINTF(5, 6);

static void
add_error(json_t *errors, int line, int col, const char *code, const char *fmt,
    ...)
{
	char msg[512];
	va_list ap;
	json_t *e;
	size_t i;
	json_t *old;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The same fragment can be checked from several places: report each
	 * message once. */
	json_array_foreach(errors, i, old)
	{
		if (strcmp(json_string_value(json_object_get(old, "message")),
			msg) == 0)
			return;
	}
	e = json_pack("{s:s}", "message", msg);
	if (line > 0)
		json_object_set_new(e, "locations",
		    json_pack("[{s:i,s:i}]", "line", line, "column", col));
	if (code)
		json_object_set_new(e, "extensions",
		    json_pack("{s:s}", "code", code));
	json_array_append_new(errors, e);
}

json_t *
fake_gql_error(const char *msg)
{
	return json_pack("[{s:s}]", "message", msg);
}

/* ------------------------------------------------------------------ */
/* Lexer                                                               */

enum tok { T_EOF, T_PUNCT, T_SPREAD, T_NAME, T_INT, T_FLOAT, T_STRING };

struct parser {
	struct fake_gql_doc *d;
	const char *src;
	size_t pos;
	int line;
	size_t line_start;
	/* current token */
	enum tok t;
	char punct;
	const char *ts; /* token text in src */
	size_t tn;
	char *sval; /* decoded STRING, owned by the document */
	int tline, tcol;
	/* error */
	int failed;
	char err[256];
	int eline, ecol;
};

static void perr(struct parser *p, const char *fmt, ...) S2P_PRINTF(2, 3);

static void
perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	p->eline = p->tline;
	p->ecol = p->tcol;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
}

/* Describe the current token for messages ("Name \"x\"", "<EOF>"). */
static void
tokdesc(const struct parser *p, char *buf, size_t n)
{
	switch (p->t) {
	case T_EOF:
		snprintf(buf, n, "<EOF>");
		break;
	case T_PUNCT:
		snprintf(buf, n, "%c", p->punct);
		break;
	case T_SPREAD:
		snprintf(buf, n, "...");
		break;
	case T_NAME:
		snprintf(buf, n, "Name \"%.*s\"",
		    (int)(p->tn > 40 ? 40 : p->tn), p->ts);
		break;
	case T_INT:
		snprintf(buf, n, "Int \"%.*s\"", (int)(p->tn > 40 ? 40 : p->tn),
		    p->ts);
		break;
	case T_FLOAT:
		snprintf(buf, n, "Float \"%.*s\"",
		    (int)(p->tn > 40 ? 40 : p->tn), p->ts);
		break;
	case T_STRING:
		snprintf(buf, n, "String");
		break;
	}
}

static int
is_name_start(int c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_name_char(int c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static void
newline_at(struct parser *p, size_t next)
{
	p->line++;
	p->line_start = next;
}

/* Skip ignored tokens: white space, line terminators, commas, comments and
 * the BOM. */
static void
skip_ignored(struct parser *p)
{
	const unsigned char *s = (const unsigned char *)p->src;

	for (;;) {
		unsigned char c = s[p->pos];

		if (c == ' ' || c == '\t' || c == ',') {
			p->pos++;
		} else if (c == '\n') {
			p->pos++;
			newline_at(p, p->pos);
		} else if (c == '\r') {
			p->pos++;
			if (s[p->pos] == '\n')
				p->pos++;
			newline_at(p, p->pos);
		} else if (c == 0xEF && s[p->pos + 1] == 0xBB &&
		    s[p->pos + 2] == 0xBF) {
			p->pos += 3;
		} else if (c == '#') {
			while (
			    s[p->pos] && s[p->pos] != '\n' && s[p->pos] != '\r')
				p->pos++;
		} else {
			return;
		}
	}
}

/* Append the UTF-8 encoding of cp to b. */
static void
put_utf8(struct s2p_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	bput(b, u, n);
}

/* Four hex digits at s as a number; -1 if any is not hex. */
static int
hex4(const char *s, unsigned long *out)
{
	unsigned long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned long)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned long)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Lex a "..." string starting at p->pos (on the quote). */
static void
lex_string(struct parser *p)
{
	struct s2p_buf b;
	const char *s = p->src;

	s2p_buf_init(&b, 0);
	p->pos++;
	for (;;) {
		char c = s[p->pos];

		if (c == '\0' || c == '\n' || c == '\r') {
			perr(p, "Unterminated string.");
			goto out;
		}
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c != '\\') {
			bput(&b, &c, 1);
			p->pos++;
			continue;
		}
		c = s[p->pos + 1];
		p->pos += 2;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			bput(&b, &c, 1);
			break;
		case 'b':
			bputs(&b, "\b");
			break;
		case 'f':
			bputs(&b, "\f");
			break;
		case 'n':
			bputs(&b, "\n");
			break;
		case 'r':
			bputs(&b, "\r");
			break;
		case 't':
			bputs(&b, "\t");
			break;
		case 'u': {
			unsigned long cp, lo;

			if (hex4(s + p->pos, &cp) < 0) {
				perr(p, "Invalid character escape sequence.");
				goto out;
			}
			p->pos += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF && s[p->pos] == '\\' &&
			    s[p->pos + 1] == 'u' &&
			    hex4(s + p->pos + 2, &lo) == 0 && lo >= 0xDC00 &&
			    lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				    (lo - 0xDC00);
				p->pos += 6;
			}
			put_utf8(&b, cp);
			break;
		}
		default:
			perr(p, "Invalid character escape sequence: \\%c.", c);
			goto out;
		}
	}
	p->sval = s2p_buf_take(&b);
	dkeep(p->d, p->sval);
out:
	s2p_buf_free(&b);
}

/* Lex a """block string""" (with the common-indent removal of the spec). */
static void
lex_block_string(struct parser *p)
{
	struct s2p_buf raw, b;
	const char *s = p->src;
	char *text, *line, *next;
	size_t common = (size_t)-1, i;
	struct s2p_strv lines = {0};
	size_t first, last;

	s2p_buf_init(&raw, 0);
	s2p_buf_init(&b, 0);
	p->pos += 3;
	for (;;) {
		if (s[p->pos] == '\0') {
			perr(p, "Unterminated string.");
			goto out;
		}
		if (strncmp(s + p->pos, "\"\"\"", 3) == 0) {
			p->pos += 3;
			break;
		}
		if (strncmp(s + p->pos, "\\\"\"\"", 4) == 0) {
			bputs(&raw, "\"\"\"");
			p->pos += 4;
			continue;
		}
		if (s[p->pos] == '\n')
			newline_at(p, p->pos + 1);
		bput(&raw, s + p->pos, 1);
		p->pos++;
	}
	text = s2p_buf_take(&raw);
	for (line = text; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*line && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		s2p_strv_push(&lines, line);
	}
	free(text);
	for (i = 1; i < lines.n; i++) {
		size_t ind = strspn(lines.v[i], " \t");

		if (lines.v[i][ind] && ind < common)
			common = ind;
	}
	for (i = 1; i < lines.n && common != (size_t)-1; i++) {
		size_t len = strlen(lines.v[i]);

		memmove(lines.v[i], lines.v[i] + (len < common ? len : common),
		    (len < common ? 0 : len - common) + 1);
	}
	first = 0;
	while (first < lines.n &&
	    lines.v[first][strspn(lines.v[first], " \t")] == '\0')
		first++;
	last = lines.n;
	while (last > first &&
	    lines.v[last - 1][strspn(lines.v[last - 1], " \t")] == '\0')
		last--;
	for (i = first; i < last; i++) {
		if (i > first)
			bputs(&b, "\n");
		bputs(&b, lines.v[i]);
	}
	p->sval = s2p_buf_take(&b);
	dkeep(p->d, p->sval);
out:
	s2p_strv_free(&lines);
	s2p_buf_free(&raw);
	s2p_buf_free(&b);
}

/* Advance to the next token. */
static void
next(struct parser *p)
{
	const char *s = p->src;
	char c;

	if (p->failed) {
		p->t = T_EOF;
		return;
	}
	skip_ignored(p);
	p->tline = p->line;
	p->tcol = (int)(p->pos - p->line_start) + 1;
	p->ts = s + p->pos;
	p->sval = NULL;
	c = s[p->pos];
	if (c == '\0') {
		p->t = T_EOF;
		p->tn = 0;
		return;
	}
	if (strchr("!$&()=:@[]{}|", c)) {
		p->t = T_PUNCT;
		p->punct = c;
		p->pos++;
		p->tn = 1;
		return;
	}
	if (c == '.') {
		if (strncmp(s + p->pos, "...", 3) == 0) {
			p->t = T_SPREAD;
			p->pos += 3;
			p->tn = 3;
			return;
		}
		perr(p, "Unexpected \".\"");
		p->t = T_EOF;
		return;
	}
	if (is_name_start((unsigned char)c)) {
		size_t st = p->pos;

		while (is_name_char((unsigned char)s[p->pos]))
			p->pos++;
		p->t = T_NAME;
		p->tn = p->pos - st;
		return;
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		size_t st = p->pos;
		int isfloat = 0;

		if (s[p->pos] == '-')
			p->pos++;
		if (s[p->pos] == '0' && s[p->pos + 1] >= '0' &&
		    s[p->pos + 1] <= '9') {
			perr(p, "Invalid number, unexpected digit after 0");
			p->t = T_EOF;
			return;
		}
		if (!(s[p->pos] >= '0' && s[p->pos] <= '9')) {
			perr(p, "Invalid number, expected digit");
			p->t = T_EOF;
			return;
		}
		while (s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
		if (s[p->pos] == '.') {
			isfloat = 1;
			p->pos++;
			if (!(s[p->pos] >= '0' && s[p->pos] <= '9')) {
				perr(p, "Invalid number, expected digit");
				p->t = T_EOF;
				return;
			}
			while (s[p->pos] >= '0' && s[p->pos] <= '9')
				p->pos++;
		}
		if (s[p->pos] == 'e' || s[p->pos] == 'E') {
			isfloat = 1;
			p->pos++;
			if (s[p->pos] == '+' || s[p->pos] == '-')
				p->pos++;
			if (!(s[p->pos] >= '0' && s[p->pos] <= '9')) {
				perr(p, "Invalid number, expected digit");
				p->t = T_EOF;
				return;
			}
			while (s[p->pos] >= '0' && s[p->pos] <= '9')
				p->pos++;
		}
		if (is_name_start((unsigned char)s[p->pos]) ||
		    s[p->pos] == '.') {
			perr(p, "Invalid number");
			p->t = T_EOF;
			return;
		}
		p->t = isfloat ? T_FLOAT : T_INT;
		p->tn = p->pos - st;
		return;
	}
	if (c == '"') {
		p->t = T_STRING;
		if (strncmp(s + p->pos, "\"\"\"", 3) == 0)
			lex_block_string(p);
		else
			lex_string(p);
		p->tn = (size_t)(s + p->pos - p->ts);
		if (p->failed)
			p->t = T_EOF;
		return;
	}
	perr(p, "Unexpected character \"%c\"", c);
	p->t = T_EOF;
}

static int
at_punct(const struct parser *p, char c)
{
	return p->t == T_PUNCT && p->punct == c;
}

static int
at_name(const struct parser *p, const char *kw)
{
	return p->t == T_NAME && p->tn == strlen(kw) &&
	    strncmp(p->ts, kw, p->tn) == 0;
}

/* Consume punctuator c or fail. */
static int
expect_punct(struct parser *p, char c)
{
	char found[64];

	if (at_punct(p, c)) {
		next(p);
		return 0;
	}
	tokdesc(p, found, sizeof(found));
	perr(p, "Expected %c, found %s", c, found);
	return -1;
}

/* Consume a name; *out is a document-owned copy. */
static int
expect_name(struct parser *p, char **out)
{
	char found[64];

	if (p->t == T_NAME) {
		*out = dstrndup(p->d, p->ts, p->tn);
		next(p);
		return 0;
	}
	tokdesc(p, found, sizeof(found));
	perr(p, "Expected Name, found %s", found);
	return -1;
}

static void
unexpected(struct parser *p)
{
	char found[64];

	tokdesc(p, found, sizeof(found));
	perr(p, "Unexpected %s", found);
}

/* ------------------------------------------------------------------ */
/* Parser                                                              */

static struct value *parse_value(struct parser *p, int is_const);

static struct value *
new_value(struct parser *p, enum vkind k)
{
	struct value *v = dalloc(p->d, sizeof(*v));

	v->kind = k;
	v->line = p->tline;
	v->col = p->tcol;
	return v;
}

/* ListValue: "[" Value* "]" (the current token is "["). */
static struct value *
parse_list(struct parser *p, int is_const)
{
	struct value *v = new_value(p, V_LIST);

	next(p);
	while (!at_punct(p, ']')) {
		struct value *it;

		if (p->t == T_EOF) {
			unexpected(p);
			return NULL;
		}
		it = parse_value(p, is_const);
		if (it == NULL)
			return NULL;
		v->items = dgrow(p->d, v->items,
		    (v->n + 1) * sizeof(*v->items));
		v->items[v->n++] = it;
	}
	next(p);
	return v;
}

/* ObjectValue: "{" (Name ":" Value)* "}" (current token "{"). */
static struct value *
parse_object(struct parser *p, int is_const)
{
	struct value *v = new_value(p, V_OBJECT);

	next(p);
	while (!at_punct(p, '}')) {
		char *key;
		struct value *it;

		if (expect_name(p, &key) < 0 || expect_punct(p, ':') < 0)
			return NULL;
		it = parse_value(p, is_const);
		if (it == NULL)
			return NULL;
		v->items = dgrow(p->d, v->items,
		    (v->n + 1) * sizeof(*v->items));
		v->keys = dgrow(p->d, v->keys, (v->n + 1) * sizeof(*v->keys));
		v->items[v->n] = it;
		v->keys[v->n++] = key;
	}
	next(p);
	return v;
}

/* Value[Const]: variables are refused in const contexts (defaults). */
static struct value *
parse_value(struct parser *p, int is_const)
{
	struct value *v;

	switch (p->t) {
	case T_PUNCT:
		if (p->punct == '[')
			return parse_list(p, is_const);
		if (p->punct == '{')
			return parse_object(p, is_const);
		if (p->punct == '$' && !is_const) {
			v = new_value(p, V_VAR);
			next(p);
			if (expect_name(p, &v->s) < 0)
				return NULL;
			return v;
		}
		break;
	case T_INT:
	case T_FLOAT:
		v = new_value(p, p->t == T_INT ? V_INT : V_FLOAT);
		v->s = dstrndup(p->d, p->ts, p->tn);
		next(p);
		return v;
	case T_STRING:
		v = new_value(p, V_STRING);
		v->s = p->sval;
		next(p);
		return v;
	case T_NAME:
		if (at_name(p, "true") || at_name(p, "false")) {
			v = new_value(p, V_BOOL);
			v->b = at_name(p, "true");
		} else if (at_name(p, "null")) {
			v = new_value(p, V_NULL);
		} else {
			v = new_value(p, V_ENUM);
			v->s = dstrndup(p->d, p->ts, p->tn);
		}
		next(p);
		return v;
	default:
		break;
	}
	unexpected(p);
	return NULL;
}

/* Arguments: "(" name ":" value ... ")". */
static int
parse_args(struct parser *p, struct arg **out, size_t *n, int is_const)
{
	*out = NULL;
	*n = 0;
	if (!at_punct(p, '('))
		return 0;
	next(p);
	if (at_punct(p, ')')) {
		unexpected(p);
		return -1;
	}
	while (!at_punct(p, ')')) {
		struct arg a = {0};

		a.line = p->tline;
		a.col = p->tcol;
		if (expect_name(p, &a.name) < 0 || expect_punct(p, ':') < 0)
			return -1;
		a.value = parse_value(p, is_const);
		if (a.value == NULL)
			return -1;
		*out = dgrow(p->d, *out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = a;
	}
	next(p);
	return 0;
}

/* Directives: ("@" Name Arguments?)*; none is fine. */
static int
parse_directives(struct parser *p, struct directive **out, size_t *n,
    int is_const)
{
	*out = NULL;
	*n = 0;
	while (at_punct(p, '@')) {
		struct directive dv = {0};

		dv.line = p->tline;
		dv.col = p->tcol;
		next(p);
		if (expect_name(p, &dv.name) < 0 ||
		    parse_args(p, &dv.args, &dv.nargs, is_const) < 0)
			return -1;
		*out = dgrow(p->d, *out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = dv;
	}
	return 0;
}

static struct selset *parse_selset(struct parser *p);

/* One Selection: Field, FragmentSpread or InlineFragment. */
static int
parse_selection(struct parser *p, struct sel *sl)
{
	sl->line = p->tline;
	sl->col = p->tcol;
	if (p->t == T_SPREAD) {
		next(p);
		if (p->t == T_NAME && !at_name(p, "on")) {
			sl->kind = S_SPREAD;
			if (expect_name(p, &sl->name) < 0)
				return -1;
			return parse_directives(p, &sl->dirs, &sl->ndirs, 0);
		}
		sl->kind = S_INLINE;
		if (at_name(p, "on")) {
			next(p);
			if (expect_name(p, &sl->type_cond) < 0)
				return -1;
		}
		if (parse_directives(p, &sl->dirs, &sl->ndirs, 0) < 0)
			return -1;
		sl->sub = parse_selset(p);
		return sl->sub ? 0 : -1;
	}
	sl->kind = S_FIELD;
	if (expect_name(p, &sl->name) < 0)
		return -1;
	if (at_punct(p, ':')) {
		next(p);
		sl->alias = sl->name;
		if (expect_name(p, &sl->name) < 0)
			return -1;
	}
	if (parse_args(p, &sl->args, &sl->nargs, 0) < 0 ||
	    parse_directives(p, &sl->dirs, &sl->ndirs, 0) < 0)
		return -1;
	if (at_punct(p, '{')) {
		sl->sub = parse_selset(p);
		if (sl->sub == NULL)
			return -1;
	}
	return 0;
}

/* SelectionSet: "{" Selection+ "}". */
static struct selset *
parse_selset(struct parser *p)
{
	struct selset *ss = dalloc(p->d, sizeof(*ss));

	if (expect_punct(p, '{') < 0)
		return NULL;
	if (at_punct(p, '}')) {
		unexpected(p);
		return NULL;
	}
	while (!at_punct(p, '}')) {
		struct sel sl = {0};

		if (parse_selection(p, &sl) < 0)
			return NULL;
		ss->v = dgrow(p->d, ss->v, (ss->n + 1) * sizeof(*ss->v));
		ss->v[ss->n++] = sl;
	}
	next(p);
	return ss;
}

/* Type: Name | "[" Type "]" | Type "!"; returned in SDL notation. */
static char *
parse_type(struct parser *p)
{
	char *inner, *res;
	size_t n;

	if (at_punct(p, '[')) {
		next(p);
		inner = parse_type(p);
		if (inner == NULL || expect_punct(p, ']') < 0)
			return NULL;
		n = strlen(inner) + 4;
		res = dalloc(p->d, n);
		snprintf(res, n, "[%s]", inner);
	} else {
		if (expect_name(p, &res) < 0)
			return NULL;
	}
	if (at_punct(p, '!')) {
		next(p);
		n = strlen(res) + 2;
		inner = res;
		res = dalloc(p->d, n);
		snprintf(res, n, "%s!", inner);
	}
	return res;
}

/* VariableDefinitions: "(" ($name: Type (= default)?)+ ")". */
static int
parse_vardefs(struct parser *p, struct fake_gql_op *op)
{
	if (!at_punct(p, '('))
		return 0;
	next(p);
	if (at_punct(p, ')')) {
		unexpected(p);
		return -1;
	}
	while (!at_punct(p, ')')) {
		struct vardef vd = {0};
		struct directive *dirs;
		size_t nd;

		vd.line = p->tline;
		vd.col = p->tcol;
		if (expect_punct(p, '$') < 0 || expect_name(p, &vd.name) < 0 ||
		    expect_punct(p, ':') < 0)
			return -1;
		vd.type = parse_type(p);
		if (vd.type == NULL)
			return -1;
		if (at_punct(p, '=')) {
			next(p);
			vd.def = parse_value(p, 1);
			if (vd.def == NULL)
				return -1;
		}
		if (parse_directives(p, &dirs, &nd, 1) < 0)
			return -1;
		op->vars = dgrow(p->d, op->vars,
		    (op->nvars + 1) * sizeof(*op->vars));
		op->vars[op->nvars++] = vd;
	}
	next(p);
	return 0;
}

/* One ExecutableDefinition: an operation (or the query
 * shorthand "{...}") or a fragment; appended to the document. */
static int
parse_definition(struct parser *p)
{
	struct fake_gql_doc *d = p->d;

	if (at_name(p, "fragment")) {
		struct frag f = {0};

		f.line = p->tline;
		f.col = p->tcol;
		next(p);
		if (at_name(p, "on")) {
			unexpected(p);
			return -1;
		}
		if (expect_name(p, &f.name) < 0)
			return -1;
		if (!at_name(p, "on")) {
			char found[64];

			tokdesc(p, found, sizeof(found));
			perr(p, "Expected \"on\", found %s", found);
			return -1;
		}
		next(p);
		if (expect_name(p, &f.type_cond) < 0 ||
		    parse_directives(p, &f.dirs, &f.ndirs, 0) < 0)
			return -1;
		f.sel = parse_selset(p);
		if (f.sel == NULL)
			return -1;
		d->frags = dgrow(d, d->frags,
		    (d->nfrags + 1) * sizeof(*d->frags));
		d->frags[d->nfrags++] = f;
		return 0;
	}
	{
		struct fake_gql_op op = {0};

		op.doc = d;
		op.line = p->tline;
		op.col = p->tcol;
		if (at_punct(p, '{')) {
			op.kind = "query";
		} else if (at_name(p, "query") || at_name(p, "mutation") ||
		    at_name(p, "subscription")) {
			op.kind = at_name(p, "query") ? "query"
			    : at_name(p, "mutation")  ? "mutation"
						      : "subscription";
			next(p);
			if (p->t == T_NAME && expect_name(p, &op.name) < 0)
				return -1;
			if (parse_vardefs(p, &op) < 0 ||
			    parse_directives(p, &op.dirs, &op.ndirs, 0) < 0)
				return -1;
		} else {
			unexpected(p);
			return -1;
		}
		op.sel = parse_selset(p);
		if (op.sel == NULL)
			return -1;
		d->ops = dgrow(d, d->ops, (d->nops + 1) * sizeof(*d->ops));
		d->ops[d->nops++] = op;
	}
	return 0;
}

struct fake_gql_doc *
fake_gql_parse(const char *text, json_t **errors)
{
	struct parser p;
	struct fake_gql_doc *d = s2p_xcalloc(1, sizeof(*d));

	*errors = NULL;
	memset(&p, 0, sizeof(p));
	p.d = d;
	p.src = text ? text : "";
	p.line = 1;
	next(&p);
	if (p.t == T_EOF && !p.failed)
		unexpected(&p);
	while (!p.failed && p.t != T_EOF) {
		if (parse_definition(&p) < 0)
			break;
	}
	if (p.failed) {
		*errors = json_array();
		add_error(*errors, p.eline, p.ecol, "GRAPHQL_PARSE_FAILED",
		    "%s", p.err);
		fake_gql_doc_free(d);
		return NULL;
	}
	return d;
}

/* ------------------------------------------------------------------ */
/* Schema helpers                                                      */

static const struct fake_gql_type *
find_type(const struct fake_gql_schema *s, const char *name)
{
	const struct fake_gql_type *t;

	for (t = s->types; t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

static const struct fake_gql_field *
find_field(const struct fake_gql_type *t, const char *name)
{
	const struct fake_gql_field *f;

	if (t == NULL || t->fields == NULL)
		return NULL;
	for (f = t->fields; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

/* The named type inside a type reference ("[Scene!]!" -> "Scene"). */
static void
named_type(const char *type, char *buf, size_t n)
{
	size_t i = 0;

	while (*type == '[')
		type++;
	while (*type && *type != ']' && *type != '!' && i + 1 < n)
		buf[i++] = *type++;
	buf[i] = '\0';
}

static int
is_nonnull(const char *type)
{
	size_t n = strlen(type);

	return n > 0 && type[n - 1] == '!';
}

/* type without its outer "!". */
static void
strip_nonnull(const char *type, char *buf, size_t n)
{
	snprintf(buf, n, "%s", type);
	if (is_nonnull(buf))
		buf[strlen(buf) - 1] = '\0';
}

/* For a nullable list type "[X]" the item type X. */
static void
list_inner(const char *type, char *buf, size_t n)
{
	size_t len = strlen(type);

	snprintf(buf, n, "%.*s", (int)(len >= 2 ? len - 2 : 0), type + 1);
}

/* Look up argument name of field f; copy its type to buf. */
static int
arg_type(const struct fake_gql_field *f, const char *name, char *buf, size_t n)
{
	const char *s = f->args;
	size_t nl = strlen(name);

	while (s && *s) {
		const char *colon = strchr(s, ':');
		const char *end = strchr(s, ',');

		if (colon == NULL)
			return 0;
		if (end == NULL)
			end = s + strlen(s);
		if ((size_t)(colon - s) == nl && strncmp(s, name, nl) == 0) {
			snprintf(buf, n, "%.*s", (int)(end - colon - 1),
			    colon + 1);
			return 1;
		}
		s = *end ? end + 1 : end;
	}
	return 0;
}

/* Iterate over the arguments of f: *pos starts at f->args. */
static int
next_arg(const char **pos, char *name, size_t nn, char *type, size_t tn)
{
	const char *s = *pos, *colon, *end;

	if (s == NULL || *s == '\0')
		return 0;
	colon = strchr(s, ':');
	end = strchr(s, ',');
	if (end == NULL)
		end = s + strlen(s);
	snprintf(name, nn, "%.*s", (int)(colon - s), s);
	snprintf(type, tn, "%.*s", (int)(end - colon - 1), colon + 1);
	*pos = *end ? end + 1 : end;
	return 1;
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */

#define TBUF 128

struct vctx {
	const struct fake_gql_schema *s;
	const struct fake_gql_doc *d;
	json_t *errors;
	const struct fake_gql_op *op;
	int *var_used;    /* per vardef of op */
	int *frag_used;   /* per fragment of d */
	int *frag_active; /* fragments on the current spread path */
	int depth;
};

static const struct frag *
find_frag(const struct fake_gql_doc *d, const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < d->nfrags; i++) {
		if (strcmp(d->frags[i].name, name) == 0) {
			if (idx)
				*idx = i;
			return &d->frags[i];
		}
	}
	return NULL;
}

static const struct vardef *
find_var(const struct fake_gql_op *op, const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < op->nvars; i++) {
		if (strcmp(op->vars[i].name, name) == 0) {
			if (idx)
				*idx = i;
			return &op->vars[i];
		}
	}
	return NULL;
}

/* A short description of a literal for "found ..." messages. */
static const char *
value_desc(const struct value *v)
{
	switch (v->kind) {
	case V_VAR:
		return "a variable";
	case V_INT:
		return v->s;
	case V_FLOAT:
		return v->s;
	case V_STRING:
		return "a String";
	case V_BOOL:
		return v->b ? "true" : "false";
	case V_NULL:
		return "null";
	case V_ENUM:
		return v->s;
	case V_LIST:
		return "a List";
	case V_OBJECT:
		return "an Object";
	}
	return "?";
}

/* A variable of type vt may be used where lt is expected (spec
 * "AreTypesCompatible", with the default-value allowance). */
static int
types_compatible(const char *vt, const char *lt, int has_default)
{
	char a[TBUF], b[TBUF];

	if (is_nonnull(lt)) {
		if (!is_nonnull(vt) && !has_default)
			return 0;
		strip_nonnull(lt, b, sizeof(b));
		strip_nonnull(vt, a, sizeof(a));
		return types_compatible(a, b, 1);
	}
	if (is_nonnull(vt)) {
		strip_nonnull(vt, a, sizeof(a));
		return types_compatible(a, lt, 1);
	}
	if (lt[0] == '[') {
		if (vt[0] != '[')
			return 0;
		list_inner(lt, b, sizeof(b));
		list_inner(vt, a, sizeof(a));
		return types_compatible(a, b, 1);
	}
	if (vt[0] == '[')
		return 0;
	return strcmp(vt, lt) == 0;
}

/* May literal v be used where the named scalar is expected? */
static int
scalar_accepts(const char *scalar, const struct value *v)
{
	if (strcmp(scalar, "Int") == 0 || strcmp(scalar, "Int64") == 0)
		return v->kind == V_INT;
	if (strcmp(scalar, "Float") == 0)
		return v->kind == V_INT || v->kind == V_FLOAT;
	if (strcmp(scalar, "String") == 0 || strcmp(scalar, "Time") == 0 ||
	    strcmp(scalar, "Timestamp") == 0)
		return v->kind == V_STRING;
	if (strcmp(scalar, "Boolean") == 0)
		return v->kind == V_BOOL;
	if (strcmp(scalar, "ID") == 0)
		return v->kind == V_STRING || v->kind == V_INT;
	if (strcmp(scalar, "Map") == 0 || strcmp(scalar, "BoolMap") == 0 ||
	    strcmp(scalar, "PluginConfigMap") == 0)
		return v->kind == V_OBJECT;
	return 1; /* Any, Upload */
}

static void validate_value(struct vctx *c, const struct value *v,
    const char *type);

/* Check a variable reference used where type is expected. */
static void
validate_var_use(struct vctx *c, const struct value *v, const char *type)
{
	size_t idx;
	const struct vardef *vd = find_var(c->op, v->s, &idx);

	if (vd == NULL) {
		if (c->op->name)
			add_error(c->errors, v->line, v->col,
			    "GRAPHQL_VALIDATION_FAILED",
			    "Variable \"$%s\" is not defined by operation "
			    "\"%s\".",
			    v->s, c->op->name);
		else
			add_error(c->errors, v->line, v->col,
			    "GRAPHQL_VALIDATION_FAILED",
			    "Variable \"$%s\" is not defined.", v->s);
		return;
	}
	c->var_used[idx] = 1;
	if (!types_compatible(vd->type, type,
		vd->def != NULL && vd->def->kind != V_NULL))
		add_error(c->errors, v->line, v->col,
		    "GRAPHQL_VALIDATION_FAILED",
		    "Variable \"$%s\" of type \"%s\" used in position "
		    "expecting type \"%s\".",
		    v->s, vd->type, type);
}

/* Check literal v against an input type (variables through
 * their declared type); errors go to c->errors. */
static void
validate_value(struct vctx *c, const struct value *v, const char *type)
{
	char bt[TBUF], nt[TBUF];
	const struct fake_gql_type *t;
	size_t i, j;

	if (v->kind == V_VAR) {
		if (c->op)
			validate_var_use(c, v, type);
		return;
	}
	if (v->kind == V_NULL) {
		if (is_nonnull(type))
			add_error(c->errors, v->line, v->col,
			    "GRAPHQL_VALIDATION_FAILED",
			    "Expected value of type \"%s\", found null.", type);
		return;
	}
	strip_nonnull(type, bt, sizeof(bt));
	if (bt[0] == '[') {
		list_inner(bt, nt, sizeof(nt));
		if (v->kind == V_LIST) {
			for (i = 0; i < v->n; i++)
				validate_value(c, v->items[i], nt);
		} else {
			validate_value(c, v, nt);
		}
		return;
	}
	t = find_type(c->s, bt);
	if (t == NULL)
		return; /* reported where the type was named */
	switch (t->kind) {
	case FAKE_GQL_SCALAR:
		if (!scalar_accepts(bt, v))
			add_error(c->errors, v->line, v->col,
			    "GRAPHQL_VALIDATION_FAILED",
			    "Expected value of type \"%s\", found %s.", type,
			    value_desc(v));
		break;
	case FAKE_GQL_ENUM:
		if (v->kind != V_ENUM)
			add_error(c->errors, v->line, v->col,
			    "GRAPHQL_VALIDATION_FAILED",
			    "Expected value of type \"%s\", found %s.", type,
			    value_desc(v));
		else if (find_field(t, v->s) == NULL)
			add_error(c->errors, v->line, v->col,
			    "GRAPHQL_VALIDATION_FAILED",
			    "Value \"%s\" does not exist in \"%s\" enum.", v->s,
			    bt);
		break;
	case FAKE_GQL_INPUT: {
		const struct fake_gql_field *f;

		if (v->kind != V_OBJECT) {
			add_error(c->errors, v->line, v->col,
			    "GRAPHQL_VALIDATION_FAILED",
			    "Expected value of type \"%s\", found %s.", type,
			    value_desc(v));
			break;
		}
		for (i = 0; i < v->n; i++) {
			for (j = 0; j < i; j++)
				if (strcmp(v->keys[i], v->keys[j]) == 0)
					add_error(c->errors, v->line, v->col,
					    "GRAPHQL_VALIDATION_FAILED",
					    "There can be only one input "
					    "field named \"%s\".",
					    v->keys[i]);
			f = find_field(t, v->keys[i]);
			if (f == NULL) {
				add_error(c->errors, v->items[i]->line,
				    v->items[i]->col,
				    "GRAPHQL_VALIDATION_FAILED",
				    "Field \"%s\" is not defined by type "
				    "\"%s\".",
				    v->keys[i], bt);
				continue;
			}
			validate_value(c, v->items[i], f->type);
		}
		for (f = t->fields; f->name; f++) {
			int found = 0;

			if (!is_nonnull(f->type))
				continue;
			for (i = 0; i < v->n; i++)
				if (strcmp(v->keys[i], f->name) == 0)
					found = 1;
			if (!found)
				add_error(c->errors, v->line, v->col,
				    "GRAPHQL_VALIDATION_FAILED",
				    "Field \"%s.%s\" of required type \"%s\" "
				    "was not provided.",
				    bt, f->name, f->type);
		}
		break;
	}
	case FAKE_GQL_OBJECT:
		break;
	}
}

/* Only @skip(if:) and @include(if:) exist. */
static void
validate_directives(struct vctx *c, const struct directive *dirs, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		const struct directive *dv = &dirs[i];
		int have_if = 0;

		if (strcmp(dv->name, "skip") != 0 &&
		    strcmp(dv->name, "include") != 0) {
			add_error(c->errors, dv->line, dv->col,
			    "GRAPHQL_VALIDATION_FAILED",
			    "Unknown directive \"@%s\".", dv->name);
			continue;
		}
		for (j = 0; j < dv->nargs; j++) {
			if (strcmp(dv->args[j].name, "if") != 0) {
				add_error(c->errors, dv->args[j].line,
				    dv->args[j].col,
				    "GRAPHQL_VALIDATION_FAILED",
				    "Unknown argument \"%s\" on directive "
				    "\"@%s\".",
				    dv->args[j].name, dv->name);
				continue;
			}
			have_if = 1;
			validate_value(c, dv->args[j].value, "Boolean!");
		}
		if (!have_if)
			add_error(c->errors, dv->line, dv->col,
			    "GRAPHQL_VALIDATION_FAILED",
			    "Directive \"@%s\" argument \"if\" of type "
			    "\"Boolean!\" is required, but it was not "
			    "provided.",
			    dv->name);
	}
}

/* Response keys seen in one selection set (flattened over fragments), to
 * detect "Fields conflict". */
struct keyseen {
	const char *key[256];
	const char *name[256];
	size_t n;
};

static void validate_selset(struct vctx *c, const struct selset *ss,
    const char *type, struct keyseen *ks);

/* Check one field: it exists on t, its arguments, its
 * sub-selection and response key; recurse into object fields. */
static void
validate_field(struct vctx *c, const struct sel *sl,
    const struct fake_gql_type *t, struct keyseen *ks)
{
	const struct fake_gql_field *f;
	const char *key = sl->alias ? sl->alias : sl->name;
	char at[TBUF], an[TBUF], nt[TBUF];
	const char *pos;
	const struct fake_gql_type *ft;
	size_t i, j;

	for (i = 0; i < ks->n; i++) {
		if (strcmp(ks->key[i], key) == 0 &&
		    strcmp(ks->name[i], sl->name) != 0)
			add_error(c->errors, sl->line, sl->col,
			    "GRAPHQL_VALIDATION_FAILED",
			    "Fields \"%s\" conflict because %s and %s are "
			    "different fields. Use different aliases on the "
			    "fields to fetch both if this was intentional.",
			    key, ks->name[i], sl->name);
	}
	if (ks->n < S2P_ARRAY_LEN(ks->key)) {
		ks->key[ks->n] = key;
		ks->name[ks->n++] = sl->name;
	}
	validate_directives(c, sl->dirs, sl->ndirs);
	if (strcmp(sl->name, "__typename") == 0) {
		if (sl->sub)
			add_error(c->errors, sl->line, sl->col,
			    "GRAPHQL_VALIDATION_FAILED",
			    "Field \"__typename\" must not have a selection "
			    "since type \"String!\" has no subfields.");
		return;
	}
	f = find_field(t, sl->name);
	if (f == NULL) {
		add_error(c->errors, sl->line, sl->col,
		    "GRAPHQL_VALIDATION_FAILED",
		    "Cannot query field \"%s\" on type \"%s\".", sl->name,
		    t->name);
		return;
	}
	for (i = 0; i < sl->nargs; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(sl->args[i].name, sl->args[j].name) == 0)
				add_error(c->errors, sl->args[i].line,
				    sl->args[i].col,
				    "GRAPHQL_VALIDATION_FAILED",
				    "There can be only one argument named "
				    "\"%s\".",
				    sl->args[i].name);
		if (!arg_type(f, sl->args[i].name, at, sizeof(at))) {
			add_error(c->errors, sl->args[i].line, sl->args[i].col,
			    "GRAPHQL_VALIDATION_FAILED",
			    "Unknown argument \"%s\" on field \"%s.%s\".",
			    sl->args[i].name, t->name, sl->name);
			continue;
		}
		validate_value(c, sl->args[i].value, at);
	}
	pos = f->args;
	while (next_arg(&pos, an, sizeof(an), at, sizeof(at))) {
		int found = 0;

		if (!is_nonnull(at))
			continue;
		for (i = 0; i < sl->nargs; i++)
			if (strcmp(sl->args[i].name, an) == 0)
				found = 1;
		if (!found)
			add_error(c->errors, sl->line, sl->col,
			    "GRAPHQL_VALIDATION_FAILED",
			    "Field \"%s\" argument \"%s\" of type \"%s\" is "
			    "required, but it was not provided.",
			    sl->name, an, at);
	}
	named_type(f->type, nt, sizeof(nt));
	ft = find_type(c->s, nt);
	if (ft && ft->kind == FAKE_GQL_OBJECT) {
		if (sl->sub == NULL) {
			add_error(c->errors, sl->line, sl->col,
			    "GRAPHQL_VALIDATION_FAILED",
			    "Field \"%s\" of type \"%s\" must have a "
			    "selection of subfields. Did you mean \"%s { ... "
			    "}\"?",
			    sl->name, f->type, sl->name);
			return;
		}
		{
			struct keyseen sub = {.n = 0};

			validate_selset(c, sl->sub, nt, &sub);
		}
	} else if (sl->sub) {
		add_error(c->errors, sl->line, sl->col,
		    "GRAPHQL_VALIDATION_FAILED",
		    "Field \"%s\" must not have a selection since type \"%s\" "
		    "has no subfields.",
		    sl->name, f->type);
	}
}

/* Check a selection set of type, following fragment spreads
 * (cycles reported) and inline fragments. */
static void
validate_selset(struct vctx *c, const struct selset *ss, const char *type,
    struct keyseen *ks)
{
	const struct fake_gql_type *t = find_type(c->s, type);
	size_t i;

	if (t == NULL || ++c->depth > 64) {
		c->depth--;
		return;
	}
	for (i = 0; i < ss->n; i++) {
		const struct sel *sl = &ss->v[i];

		if (sl->kind == S_FIELD) {
			validate_field(c, sl, t, ks);
		} else if (sl->kind == S_INLINE) {
			validate_directives(c, sl->dirs, sl->ndirs);
			if (sl->type_cond &&
			    find_type(c->s, sl->type_cond) == NULL) {
				add_error(c->errors, sl->line, sl->col,
				    "GRAPHQL_VALIDATION_FAILED",
				    "Unknown type \"%s\".", sl->type_cond);
				continue;
			}
			if (sl->type_cond && strcmp(sl->type_cond, type) != 0) {
				add_error(c->errors, sl->line, sl->col,
				    "GRAPHQL_VALIDATION_FAILED",
				    "Fragment cannot be spread here as objects "
				    "of type \"%s\" can never be of type "
				    "\"%s\".",
				    type, sl->type_cond);
				continue;
			}
			validate_selset(c, sl->sub, type, ks);
		} else {
			size_t fi;
			const struct frag *fr = find_frag(c->d, sl->name, &fi);

			validate_directives(c, sl->dirs, sl->ndirs);
			if (fr == NULL) {
				add_error(c->errors, sl->line, sl->col,
				    "GRAPHQL_VALIDATION_FAILED",
				    "Unknown fragment \"%s\".", sl->name);
				continue;
			}
			c->frag_used[fi] = 1;
			if (c->frag_active[fi]) {
				add_error(c->errors, sl->line, sl->col,
				    "GRAPHQL_VALIDATION_FAILED",
				    "Cannot spread fragment \"%s\" within "
				    "itself.",
				    sl->name);
				continue;
			}
			if (find_type(c->s, fr->type_cond) == NULL)
				continue; /* reported with the fragment */
			if (strcmp(fr->type_cond, type) != 0) {
				add_error(c->errors, sl->line, sl->col,
				    "GRAPHQL_VALIDATION_FAILED",
				    "Fragment \"%s\" cannot be spread here as "
				    "objects of type \"%s\" can never be of "
				    "type \"%s\".",
				    sl->name, type, fr->type_cond);
				continue;
			}
			c->frag_active[fi] = 1;
			validate_selset(c, fr->sel, type, ks);
			c->frag_active[fi] = 0;
		}
	}
	c->depth--;
}

/* Is type a valid input type of the schema (for variable definitions)? */
static int
check_input_type(struct vctx *c, const struct vardef *vd)
{
	char nt[TBUF];
	const struct fake_gql_type *t;

	named_type(vd->type, nt, sizeof(nt));
	t = find_type(c->s, nt);
	if (t == NULL) {
		add_error(c->errors, vd->line, vd->col,
		    "GRAPHQL_VALIDATION_FAILED", "Unknown type \"%s\".", nt);
		return 0;
	}
	if (t->kind == FAKE_GQL_OBJECT) {
		add_error(c->errors, vd->line, vd->col,
		    "GRAPHQL_VALIDATION_FAILED",
		    "Variable \"$%s\" cannot be non-input type \"%s\".",
		    vd->name, vd->type);
		return 0;
	}
	return 1;
}

/* Validate every operation and fragment of the document. */
static void
validate_document(const struct fake_gql_doc *d, const struct fake_gql_schema *s,
    json_t *errors)
{
	struct vctx c;
	size_t i, j;

	memset(&c, 0, sizeof(c));
	c.s = s;
	c.d = d;
	c.errors = errors;
	c.frag_used = s2p_xcalloc(d->nfrags + 1, sizeof(int));
	c.frag_active = s2p_xcalloc(d->nfrags + 1, sizeof(int));
	for (i = 0; i < d->nops; i++) {
		const struct fake_gql_op *op = &d->ops[i];
		const char *root;
		struct keyseen ks = {.n = 0};

		if (op->name == NULL && d->nops > 1)
			add_error(errors, op->line, op->col,
			    "GRAPHQL_VALIDATION_FAILED",
			    "This anonymous operation must be the only "
			    "defined operation.");
		for (j = 0; j < i; j++)
			if (op->name && d->ops[j].name &&
			    strcmp(op->name, d->ops[j].name) == 0)
				add_error(errors, op->line, op->col,
				    "GRAPHQL_VALIDATION_FAILED",
				    "There can be only one operation named "
				    "\"%s\".",
				    op->name);
		root = strcmp(op->kind, "query") == 0   ? s->query
		    : strcmp(op->kind, "mutation") == 0 ? s->mutation
							: NULL;
		if (root == NULL) {
			add_error(errors, op->line, op->col,
			    "GRAPHQL_VALIDATION_FAILED",
			    "Schema does not support operation type \"%s\"",
			    op->kind);
			continue;
		}
		c.op = op;
		c.var_used = s2p_xcalloc(op->nvars + 1, sizeof(int));
		for (j = 0; j < op->nvars; j++) {
			size_t k;

			for (k = 0; k < j; k++)
				if (strcmp(op->vars[j].name,
					op->vars[k].name) == 0)
					add_error(errors, op->vars[j].line,
					    op->vars[j].col,
					    "GRAPHQL_VALIDATION_FAILED",
					    "There can be only one variable "
					    "named \"$%s\".",
					    op->vars[j].name);
			if (check_input_type(&c, &op->vars[j]) &&
			    op->vars[j].def) {
				const struct fake_gql_op *save = c.op;

				c.op = NULL;
				validate_value(&c, op->vars[j].def,
				    op->vars[j].type);
				c.op = save;
			}
		}
		validate_directives(&c, op->dirs, op->ndirs);
		validate_selset(&c, op->sel, root, &ks);
		for (j = 0; j < op->nvars; j++)
			if (!c.var_used[j])
				add_error(errors, op->vars[j].line,
				    op->vars[j].col,
				    "GRAPHQL_VALIDATION_FAILED",
				    op->name
					? "Variable \"$%s\" is never used "
					  "in operation \"%s\"."
					: "Variable \"$%s\" is never used.",
				    op->vars[j].name, op->name ? op->name : "");
		free(c.var_used);
		c.var_used = NULL;
	}
	for (i = 0; i < d->nfrags; i++) {
		const struct frag *fr = &d->frags[i];

		for (j = 0; j < i; j++)
			if (strcmp(fr->name, d->frags[j].name) == 0)
				add_error(errors, fr->line, fr->col,
				    "GRAPHQL_VALIDATION_FAILED",
				    "There can be only one fragment named "
				    "\"%s\".",
				    fr->name);
		if (find_type(s, fr->type_cond) == NULL)
			add_error(errors, fr->line, fr->col,
			    "GRAPHQL_VALIDATION_FAILED", "Unknown type \"%s\".",
			    fr->type_cond);
		if (!c.frag_used[i])
			add_error(errors, fr->line, fr->col,
			    "GRAPHQL_VALIDATION_FAILED",
			    "Fragment \"%s\" is never used.", fr->name);
	}
	free(c.frag_used);
	free(c.frag_active);
}

/* ------------------------------------------------------------------ */
/* Variable coercion (JSON input against declared types)                */

static const char *
json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "map";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "int";
	case JSON_REAL:
		return "float";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

/* Coerce v (may be NULL = absent) to type; returns a new reference, or
 * NULL with *msg filled (path is "variable.a.b"). */
static json_t *
coerce_json(const struct fake_gql_schema *s, json_t *v, const char *type,
    const char *path, char *msg, size_t msgn)
{
	char bt[TBUF], nt[TBUF];
	const struct fake_gql_type *t;

	if (v == NULL || json_is_null(v)) {
		if (is_nonnull(type)) {
			snprintf(msg, msgn, "input: %s %s", path,
			    v == NULL ? "must be defined" : "cannot be null");
			return NULL;
		}
		return json_null();
	}
	strip_nonnull(type, bt, sizeof(bt));
	if (bt[0] == '[') {
		json_t *out = json_array(), *it;
		size_t i;

		list_inner(bt, nt, sizeof(nt));
		if (!json_is_array(v)) {
			json_t *one = coerce_json(s, v, nt, path, msg, msgn);

			if (one == NULL) {
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, one);
			return out;
		}
		json_array_foreach(v, i, it)
		{
			char sub[256];
			json_t *c;

			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			c = coerce_json(s, it, nt, sub, msg, msgn);
			if (c == NULL) {
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, c);
		}
		return out;
	}
	t = find_type(s, bt);
	if (t == NULL) {
		snprintf(msg, msgn, "input: %s unknown type %s", path, bt);
		return NULL;
	}
	if (t->kind == FAKE_GQL_ENUM) {
		if (!json_is_string(v)) {
			snprintf(msg, msgn, "input: %s enums must be strings",
			    path);
			return NULL;
		}
		if (find_field(t, json_string_value(v)) == NULL) {
			snprintf(msg, msgn, "input: %s %s is not a valid %s",
			    path, json_string_value(v), bt);
			return NULL;
		}
		return json_incref(v);
	}
	if (t->kind == FAKE_GQL_INPUT) {
		const struct fake_gql_field *f;
		const char *k;
		json_t *it, *out;

		if (!json_is_object(v)) {
			snprintf(msg, msgn, "input: %s must be a %s", path, bt);
			return NULL;
		}
		json_object_foreach(v, k, it)
		{
			if (find_field(t, k) == NULL) {
				snprintf(msg, msgn,
				    "input: %s.%s unknown field", path, k);
				return NULL;
			}
		}
		out = json_object();
		for (f = t->fields; f->name; f++) {
			char sub[256];
			json_t *c;

			it = json_object_get(v, f->name);
			snprintf(sub, sizeof(sub), "%s.%s", path, f->name);
			if (it == NULL && !is_nonnull(f->type))
				continue;
			c = coerce_json(s, it, f->type, sub, msg, msgn);
			if (c == NULL) {
				json_decref(out);
				return NULL;
			}
			json_object_set_new(out, f->name, c);
		}
		return out;
	}
	if (t->kind != FAKE_GQL_SCALAR) {
		snprintf(msg, msgn, "input: %s %s is not an input type", path,
		    bt);
		return NULL;
	}
	if (strcmp(bt, "ID") == 0) {
		if (json_is_string(v))
			return json_incref(v);
		if (json_is_integer(v))
			return json_sprintf("%" JSON_INTEGER_FORMAT,
			    json_integer_value(v));
	} else if (strcmp(bt, "Int") == 0) {
		if (json_is_integer(v) &&
		    json_integer_value(v) >= -2147483648LL &&
		    json_integer_value(v) <= 2147483647LL)
			return json_incref(v);
	} else if (strcmp(bt, "Int64") == 0) {
		if (json_is_integer(v))
			return json_incref(v);
	} else if (strcmp(bt, "Float") == 0) {
		if (json_is_number(v))
			return json_incref(v);
	} else if (strcmp(bt, "String") == 0 || strcmp(bt, "Time") == 0 ||
	    strcmp(bt, "Timestamp") == 0) {
		if (json_is_string(v))
			return json_incref(v);
	} else if (strcmp(bt, "Boolean") == 0) {
		if (json_is_boolean(v))
			return json_incref(v);
	} else if (strcmp(bt, "Map") == 0 || strcmp(bt, "BoolMap") == 0 ||
	    strcmp(bt, "PluginConfigMap") == 0) {
		if (json_is_object(v))
			return json_incref(v);
	} else {
		return json_incref(v);
	}
	snprintf(msg, msgn, "input: %s cannot use %s as %s", path, json_kind(v),
	    bt);
	return NULL;
}

/* Literal (AST) to JSON with variable substitution, for defaults and
 * arguments. Returns NULL when the value is an absent variable. */
static json_t *
lit_to_json(const struct fake_gql_schema *s, const struct value *v,
    const char *type, json_t *vars)
{
	char bt[TBUF], nt[TBUF];
	const struct fake_gql_type *t;
	size_t i;

	if (v->kind == V_VAR) {
		json_t *x = vars ? json_object_get(vars, v->s) : NULL;

		return x ? json_incref(x) : NULL;
	}
	if (v->kind == V_NULL)
		return json_null();
	strip_nonnull(type ? type : "Any", bt, sizeof(bt));
	if (bt[0] == '[') {
		json_t *out = json_array();

		list_inner(bt, nt, sizeof(nt));
		if (v->kind != V_LIST) {
			json_t *one = lit_to_json(s, v, nt, vars);

			json_array_append_new(out, one ? one : json_null());
			return out;
		}
		for (i = 0; i < v->n; i++) {
			json_t *it = lit_to_json(s, v->items[i], nt, vars);

			json_array_append_new(out, it ? it : json_null());
		}
		return out;
	}
	t = find_type(s, bt);
	switch (v->kind) {
	case V_INT:
		if (strcmp(bt, "ID") == 0)
			return json_string(v->s);
		if (strcmp(bt, "Float") == 0)
			return json_real(strtod(v->s, NULL));
		return json_integer(strtoll(v->s, NULL, 10));
	case V_FLOAT:
		return json_real(strtod(v->s, NULL));
	case V_STRING:
	case V_ENUM:
		return json_string(v->s);
	case V_BOOL:
		return json_boolean(v->b);
	case V_LIST: {
		json_t *out = json_array();

		for (i = 0; i < v->n; i++) {
			json_t *it = lit_to_json(s, v->items[i], NULL, vars);

			json_array_append_new(out, it ? it : json_null());
		}
		return out;
	}
	case V_OBJECT: {
		json_t *out = json_object();

		for (i = 0; i < v->n; i++) {
			const struct fake_gql_field *f = (t &&
							     t->kind ==
								 FAKE_GQL_INPUT)
			    ? find_field(t, v->keys[i])
			    : NULL;
			json_t *it = lit_to_json(s, v->items[i],
			    f ? f->type : NULL, vars);

			if (it)
				json_object_set_new(out, v->keys[i], it);
		}
		return out;
	}
	default:
		return json_null();
	}
}

const struct fake_gql_op *
fake_gql_prepare(const struct fake_gql_doc *d, const struct fake_gql_schema *s,
    const char *operation_name, json_t *variables, json_t **vars_out,
    json_t **errors)
{
	const struct fake_gql_op *op = NULL;
	json_t *errs = json_array(), *vars = NULL;
	size_t i;

	*vars_out = NULL;
	*errors = NULL;
	validate_document(d, s, errs);
	if (json_array_size(errs) > 0)
		goto fail;
	if (operation_name && *operation_name) {
		for (i = 0; i < d->nops; i++)
			if (d->ops[i].name &&
			    strcmp(d->ops[i].name, operation_name) == 0)
				op = &d->ops[i];
	} else if (d->nops == 1) {
		op = &d->ops[0];
	}
	if (op == NULL) {
		add_error(errs, 0, 0, "GRAPHQL_VALIDATION_FAILED",
		    "operation %s not found",
		    operation_name ? operation_name : "");
		goto fail;
	}
	if (variables && !json_is_object(variables) &&
	    !json_is_null(variables)) {
		add_error(errs, 0, 0, "GRAPHQL_VALIDATION_FAILED",
		    "input: variables must be an object");
		goto fail;
	}
	vars = json_object();
	for (i = 0; i < op->nvars; i++) {
		const struct vardef *vd = &op->vars[i];
		json_t *given = (variables && json_is_object(variables))
		    ? json_object_get(variables, vd->name)
		    : NULL;
		json_t *c;
		char path[160], msg[512];

		snprintf(path, sizeof(path), "variable.%s", vd->name);
		if (given == NULL && vd->def) {
			json_object_set_new(vars, vd->name,
			    lit_to_json(s, vd->def, vd->type, NULL));
			continue;
		}
		if (given == NULL && !is_nonnull(vd->type))
			continue;
		c = coerce_json(s, given, vd->type, path, msg, sizeof(msg));
		if (c == NULL) {
			add_error(errs, vd->line, vd->col,
			    "GRAPHQL_VALIDATION_FAILED", "%s", msg);
			goto fail;
		}
		json_object_set_new(vars, vd->name, c);
	}
	json_decref(errs);
	*vars_out = vars;
	return op;
fail:
	json_decref(vars);
	*errors = errs;
	return NULL;
}

const char *
fake_gql_op_kind(const struct fake_gql_op *op)
{
	return op->kind;
}

/* Comma list of the root field names; caller frees. */
char *
fake_gql_op_root_fields(const struct fake_gql_op *op)
{
	struct s2p_buf b;
	size_t i;

	s2p_buf_init(&b, 0);
	for (i = 0; i < op->sel->n; i++) {
		const struct sel *sl = &op->sel->v[i];

		if (sl->kind != S_FIELD)
			continue;
		bputs(&b, b.len ? "," : "");
		bputs(&b, sl->name);
	}
	return s2p_buf_take(&b);
}

/* ------------------------------------------------------------------ */
/* Execution                                                           */

/* One step of the response path: a key, or a list index (key NULL). */
struct pstep {
	const char *key;
	size_t idx;
};

struct xctx {
	const struct fake_gql_schema *s;
	const struct fake_gql_doc *d;
	json_t *vars;
	json_t *errors;
	struct pstep *path; /* current response path (JSON only in errors) */
	size_t npath, path_cap;
	fake_gql_resolver resolve;
	void *ctx;
};

static void
path_push(struct xctx *x, const char *key, size_t idx)
{
	if (x->npath == x->path_cap) {
		x->path_cap = x->path_cap ? 2 * x->path_cap : 16;
		x->path = s2p_xrealloc(x->path, x->path_cap * sizeof(*x->path));
	}
	x->path[x->npath].key = key;
	x->path[x->npath++].idx = idx;
}

/* A list of selection sets whose fields merge (same response key). */
struct setlist {
	const struct selset **v;
	size_t n;
};

static void
setlist_add(struct setlist *l, const struct selset *ss)
{
	l->v = s2p_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = ss;
}

/* A field's declared type, taken apart once per group (the fields of a
 * list's items share their groups). */
struct tinfo {
	char bt[TBUF];                 /* without the outer "!" */
	char nt[TBUF];                 /* the named type */
	char it[TBUF];                 /* a list's item type */
	const struct fake_gql_type *t; /* of nt */
};

/* Response key -> the fields collected for it. */
struct group {
	const char *key;
	const struct sel *first;
	struct setlist subs;
	const struct fake_gql_field *f; /* set with ti on first use */
	struct tinfo ti;
	int ready;
};

struct groups {
	struct group *v;
	size_t n;
	const struct fake_gql_type *t; /* the object type */
};

/* Should a selection be executed, given @skip/@include? */
static int
directives_include(struct xctx *x, const struct directive *dirs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *cond = NULL;
		int val;

		if (dirs[i].nargs == 1)
			cond = lit_to_json(x->s, dirs[i].args[0].value,
			    "Boolean!", x->vars);
		val = json_is_true(cond);
		json_decref(cond);
		if (strcmp(dirs[i].name, "skip") == 0 && val)
			return 0;
		if (strcmp(dirs[i].name, "include") == 0 && !val)
			return 0;
	}
	return 1;
}

/* CollectFields of the spec, over several selection sets at once. */
static void
collect(struct xctx *x, const struct selset *ss, struct groups *g, int depth)
{
	size_t i, j;

	if (depth > 64)
		return;
	for (i = 0; i < ss->n; i++) {
		const struct sel *sl = &ss->v[i];

		if (!directives_include(x, sl->dirs, sl->ndirs))
			continue;
		if (sl->kind == S_FIELD) {
			const char *key = sl->alias ? sl->alias : sl->name;

			for (j = 0; j < g->n; j++)
				if (strcmp(g->v[j].key, key) == 0)
					break;
			if (j == g->n) {
				g->v = s2p_xrealloc(g->v,
				    (g->n + 1) * sizeof(*g->v));
				memset(&g->v[j], 0, sizeof(g->v[j]));
				g->v[j].key = key;
				g->v[j].first = sl;
				g->n++;
			}
			if (sl->sub)
				setlist_add(&g->v[j].subs, sl->sub);
		} else if (sl->kind == S_INLINE) {
			collect(x, sl->sub, g, depth + 1);
		} else {
			const struct frag *fr = find_frag(x->d, sl->name, NULL);

			if (fr)
				collect(x, fr->sel, g, depth + 1);
		}
	}
}

static json_t *exec_selsets(struct xctx *x, const char *type, void *obj,
    const struct setlist *sets);
static json_t *exec_groups(struct xctx *x, const char *type, void *obj,
    struct groups *g);

static void
xerror(struct xctx *x, const char *msg)
{
	json_t *path = json_array();
	size_t i;

	for (i = 0; i < x->npath; i++)
		json_array_append_new(path,
		    x->path[i].key ? json_string(x->path[i].key)
				   : json_integer((json_int_t)x->path[i].idx));
	json_array_append_new(x->errors,
	    json_pack("{s:s,s:o}", "message", msg, "path", path));
}

/* The groups of the selection sets for an object of type. */
static void
groups_collect(struct xctx *x, const char *type, const struct setlist *sets,
    struct groups *g)
{
	size_t i;

	memset(g, 0, sizeof(*g));
	g->t = find_type(x->s, type);
	for (i = 0; i < sets->n; i++)
		collect(x, sets->v[i], g, 0);
}

static void
groups_free(struct groups *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->v[i].subs.v);
	free(g->v);
}

static void
tinfo_set(struct xctx *x, const char *type, struct tinfo *ti)
{
	strip_nonnull(type, ti->bt, sizeof(ti->bt));
	named_type(type, ti->nt, sizeof(ti->nt));
	list_inner(ti->bt, ti->it, sizeof(ti->it));
	ti->t = find_type(x->s, ti->nt);
}

/* Complete a resolved value against its declared type. NULL means "null
 * in a non-null position": the parent must become null. */
static json_t *
complete(struct xctx *x, const char *type, const struct tinfo *ti,
    struct fake_gql_result *r, const struct setlist *subs)
{
	const char *bt = ti->bt, *nt = ti->nt;
	const struct fake_gql_type *t = ti->t;
	json_t *v = NULL;
	size_t i;

	if (r->error) {
		xerror(x, r->error);
	} else if (bt[0] == '[' && r->list) {
		struct groups g;

		/* Every item has the same fields: collect them once. */
		groups_collect(x, nt, subs, &g);
		v = json_array();
		for (i = 0; i < r->nobjs; i++) {
			json_t *o;

			path_push(x, NULL, i);
			o = exec_groups(x, nt, r->objs[i], &g);
			x->npath--;
			if (o == NULL) {
				if (is_nonnull(ti->it)) {
					json_decref(v);
					v = NULL;
					break;
				}
				o = json_null();
			}
			json_array_append_new(v, o);
		}
		groups_free(&g);
	} else if (t && t->kind == FAKE_GQL_OBJECT && bt[0] != '[') {
		if (r->obj) {
			v = exec_selsets(x, nt, r->obj, subs);
			if (v == NULL && !is_nonnull(type))
				v = json_null();
			if (v == NULL)
				return NULL;
		}
	} else if (r->value) {
		v = json_incref(r->value);
	}
	if (v == NULL || json_is_null(v)) {
		if (is_nonnull(type)) {
			if (r->error == NULL)
				xerror(x, "must not be null");
			json_decref(v);
			return NULL;
		}
		if (v == NULL)
			v = json_null();
	}
	return v;
}

/* Release what a resolver returned. */
static void
result_release(struct fake_gql_result *r)
{
	size_t i;

	json_decref(r->value);
	if (r->obj_free) {
		if (r->obj)
			r->obj_free(r->obj);
		for (i = 0; i < r->nobjs; i++)
			r->obj_free(r->objs[i]);
	}
	free(r->objs);
	free(r->error);
}

/* Build the arguments object of a field (absent variables left out). */
static json_t *
field_args(struct xctx *x, const struct sel *sl, const struct fake_gql_field *f)
{
	json_t *args = json_object();
	char at[TBUF];
	size_t i;

	for (i = 0; i < sl->nargs; i++) {
		json_t *v;

		if (!arg_type(f, sl->args[i].name, at, sizeof(at)))
			continue;
		v = lit_to_json(x->s, sl->args[i].value, at, x->vars);
		if (v)
			json_object_set_new(args, sl->args[i].name, v);
	}
	return args;
}

/* ExecuteSelectionSet over collected groups: an object, or NULL to
 * propagate a null. A group's field and type are looked up on its first
 * use (the groups of a list serve all its items). */
static json_t *
exec_groups(struct xctx *x, const char *type, void *obj, struct groups *g)
{
	json_t *out = json_object();
	size_t i;

	for (i = 0; i < g->n; i++) {
		struct group *gr = &g->v[i];
		const struct sel *sl = gr->first;
		struct fake_gql_result r;
		json_t *args, *v;

		if (strcmp(sl->name, "__typename") == 0) {
			json_object_set_new(out, gr->key, json_string(type));
			continue;
		}
		if (!gr->ready) {
			gr->ready = 1;
			gr->f = find_field(g->t, sl->name);
			if (gr->f != NULL)
				tinfo_set(x, gr->f->type, &gr->ti);
		}
		if (gr->f == NULL)
			continue; /* validated: cannot happen */
		memset(&r, 0, sizeof(r));
		args = field_args(x, sl, gr->f);
		path_push(x, gr->key, 0);
		x->resolve(x->ctx, type, obj, sl->name, args, &r);
		v = complete(x, gr->f->type, &gr->ti, &r, &gr->subs);
		x->npath--;
		result_release(&r);
		json_decref(args);
		if (v == NULL) {
			json_decref(out);
			out = NULL;
			break;
		}
		json_object_set_new(out, gr->key, v);
	}
	return out;
}

/* ExecuteSelectionSet: an object, or NULL to propagate a null. */
static json_t *
exec_selsets(struct xctx *x, const char *type, void *obj,
    const struct setlist *sets)
{
	struct groups g;
	json_t *out;

	groups_collect(x, type, sets, &g);
	out = exec_groups(x, type, obj, &g);
	groups_free(&g);
	return out;
}

/* Execute op from the root type; errors (if any) come first,
 * as gqlgen orders them. */
json_t *
fake_gql_execute(const struct fake_gql_schema *s, const struct fake_gql_op *op,
    json_t *vars, fake_gql_resolver resolve, void *ctx)
{
	struct xctx x;
	struct setlist root = {0};
	json_t *data, *resp = json_object();

	memset(&x, 0, sizeof(x));
	x.s = s;
	x.d = op->doc;
	x.vars = vars;
	x.errors = json_array();
	x.resolve = resolve;
	x.ctx = ctx;
	setlist_add(&root, op->sel);
	data = exec_selsets(&x,
	    strcmp(op->kind, "mutation") == 0 ? s->mutation : s->query, NULL,
	    &root);
	free(root.v);
	if (json_array_size(x.errors) > 0)
		json_object_set(resp, "errors", x.errors);
	json_object_set_new(resp, "data", data ? data : json_null());
	json_decref(x.errors);
	free(x.path);
	return resp;
}
