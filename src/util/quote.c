#include "util/quote.h"

#include <stdlib.h>

void tk_args_init(struct tk_args *a)
{
	a->argv = NULL;
	a->argc = a->cap = 0;
}

void tk_args_destroy(struct tk_args *a)
{
	for (size_t i = 0; i < a->cap; i++)
		tk_buf_destroy(&a->argv[i]);
	free(a->argv);
	tk_args_init(a);
}

static struct tk_buf *next_arg(struct tk_args *a)
{
	if (a->argc == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		struct tk_buf *v = realloc(a->argv, cap * sizeof *v);
		if (!v)
			return NULL;
		for (size_t i = a->cap; i < cap; i++)
			tk_buf_init(&v[i]);
		a->argv = v;
		a->cap = cap;
	}
	struct tk_buf *b = &a->argv[a->argc++];
	tk_buf_reset(b);
	return b;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One decoded byte: most lines fit the argument's storage already. */
static bool put_byte(struct tk_buf *b, char c)
{
	if (b->len < b->cap) {
		b->data[b->len++] = (uint8_t)c;
		return true;
	}
	return tk_buf_append_byte(b, (uint8_t)c);
}

/* Bytes that end a plain argument; a closing quote must be followed by one. */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The argument bytes are appended a run at a time, not a byte at a time:
 * this runs for every line a client sends on the inline port, and the
 * argument buffers (out->argv) keep their storage from line to line, so a
 * connection's lines cost no allocation once its buffers have grown. */
bool tk_split_args(const char *line, size_t len, struct tk_args *out, size_t max_args,
                   const char **why)
{
	const char *p = line, *end = line + len;
	out->argc = 0;
	for (;;) {
		while (p < end && is_blank(*p))
			p++;
		if (p == end)
			return true;
		if (out->argc == max_args) {
			*why = "too many arguments";
			return false;
		}
		struct tk_buf *arg = next_arg(out);
		if (!arg)
			goto oom;
		if (*p == '"') {
			p++;
			for (;;) {
				const char *run = p;
				while (p < end && *p != '"' && *p != '\\')
					p++;
				if (p > run && !tk_buf_append(arg, run, (size_t)(p - run)))
					goto oom;
				if (p == end) {
					*why = "unbalanced double quote";
					return false;
				}
				if (*p++ == '"')
					break;
				if (p == end) {
					*why = "unbalanced double quote";
					return false;
				}
				char c = *p++;
				switch (c) {
				case 'n':
					c = '\n';
					break;
				case 'r':
					c = '\r';
					break;
				case 't':
					c = '\t';
					break;
				case '0':
					c = '\0';
					break;
				case '"':
				case '\\':
				case '\'':
					break;
				case 'x': {
					int hi = p < end ? hex_digit(p[0]) : -1;
					int lo = p + 1 < end ? hex_digit(p[1]) : -1;
					if (hi < 0 || lo < 0) {
						*why = "bad \\x escape (two hex digits expected)";
						return false;
					}
					c = (char)(hi << 4 | lo);
					p += 2;
					break;
				}
				default:
					*why = "unknown escape in double quotes";
					return false;
				}
				if (!put_byte(arg, c))
					goto oom;
			}
		} else if (*p == '\'') {
			p++;
			for (;;) {
				const char *run = p;
				while (p < end && *p != '\'' && *p != '\\')
					p++;
				if (p > run && !tk_buf_append(arg, run, (size_t)(p - run)))
					goto oom;
				if (p == end) {
					*why = "unbalanced single quote";
					return false;
				}
				if (*p == '\'') {
					p++;
					break;
				}
				/* a backslash is literal unless a quote follows it */
				if (p + 1 < end && p[1] == '\'')
					p++;
				if (!put_byte(arg, *p++))
					goto oom;
			}
		} else {
			const char *run = p;
			while (p < end && !is_blank(*p))
				p++;
			if (!tk_buf_append(arg, run, (size_t)(p - run)))
				goto oom;
			continue;
		}
		/* a closing quote must end the argument */
		if (p < end && !is_blank(*p)) {
			*why = "closing quote must be followed by a space";
			return false;
		}
	}
oom:
	*why = "out of memory";
	return false;
}

/* Bytes tk_quote writes as they are inside double quotes. */
static bool is_literal(uint8_t c)
{
	return c >= ' ' && c < 0x7f && c != '"' && c != '\\';
}

/* The length is counted first, so the quoted form is written in place after
 * one reservation of exactly its size. */
bool tk_quote(struct tk_buf *out, struct tk_slice s)
{
	bool plain = s.n > 0;
	size_t n = 2; /* the quotes */
	for (size_t i = 0; i < s.n; i++) {
		uint8_t c = s.p[i];
		if (c <= ' ' || c >= 0x7f || c == '\'')
			plain = false;
		if (is_literal(c))
			n += 1;
		else if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t')
			n += 2, plain = false;
		else
			n += 4;
	}
	if (plain)
		return tk_buf_append(out, s.p, s.n);
	if (!tk_buf_reserve(out, n))
		return false;
	static const char hex[] = "0123456789abcdef";
	uint8_t *w = out->data + out->len;
	*w++ = '"';
	for (size_t i = 0; i < s.n; i++) {
		uint8_t c = s.p[i];
		if (is_literal(c)) {
			*w++ = c;
			continue;
		}
		*w++ = '\\';
		switch (c) {
		case '"':
			*w++ = '"';
			break;
		case '\\':
			*w++ = '\\';
			break;
		case '\n':
			*w++ = 'n';
			break;
		case '\r':
			*w++ = 'r';
			break;
		case '\t':
			*w++ = 't';
			break;
		default:
			*w++ = 'x';
			*w++ = (uint8_t)hex[c >> 4];
			*w++ = (uint8_t)hex[c & 0xf];
		}
	}
	*w++ = '"';
	out->len += n;
	return true;
}
