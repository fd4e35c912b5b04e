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

bool tk_split_args(const char *line, size_t len, struct tk_args *out, size_t max_args,
		   const char **why)
{
	const char *p = line, *end = line + len;
	out->argc = 0;
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p == end)
			return true;
		if (out->argc == max_args) {
			*why = "too many arguments";
			return false;
		}
		struct tk_buf *arg = next_arg(out);
		if (!arg) {
			*why = "out of memory";
			return false;
		}
		if (*p == '"') {
			p++;
			for (;;) {
				if (p == end) {
					*why = "unbalanced double quote";
					return false;
				}
				char c = *p++;
				if (c == '"')
					break;
				if (c == '\\') {
					if (p == end) {
						*why = "unbalanced double quote";
						return false;
					}
					c = *p++;
					switch (c) {
					case 'n': c = '\n'; break;
					case 'r': c = '\r'; break;
					case 't': c = '\t'; break;
					case '0': c = '\0'; break;
					case '"': case '\\': case '\'': break;
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
				}
				tk_buf_append_byte(arg, (uint8_t)c);
			}
		} else if (*p == '\'') {
			p++;
			for (;;) {
				if (p == end) {
					*why = "unbalanced single quote";
					return false;
				}
				char c = *p++;
				if (c == '\'')
					break;
				if (c == '\\' && p < end && *p == '\'')
					c = *p++;
				tk_buf_append_byte(arg, (uint8_t)c);
			}
		} else {
			while (p < end && *p != ' ' && *p != '\t' && *p != '\r')
				tk_buf_append_byte(arg, (uint8_t)*p++);
			continue;
		}
		/* a closing quote must end the argument */
		if (p < end && *p != ' ' && *p != '\t' && *p != '\r') {
			*why = "closing quote must be followed by a space";
			return false;
		}
	}
}

bool tk_quote(struct tk_buf *out, struct tk_slice s)
{
	bool plain = s.n > 0;
	for (size_t i = 0; i < s.n && plain; i++) {
		uint8_t c = s.p[i];
		if (c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '\\')
			plain = false;
	}
	if (plain)
		return tk_buf_append(out, s.p, s.n);
	static const char hex[] = "0123456789abcdef";
	bool ok = tk_buf_append_byte(out, '"');
	for (size_t i = 0; i < s.n; i++) {
		uint8_t c = s.p[i];
		switch (c) {
		case '"': ok &= tk_buf_append(out, "\\\"", 2); break;
		case '\\': ok &= tk_buf_append(out, "\\\\", 2); break;
		case '\n': ok &= tk_buf_append(out, "\\n", 2); break;
		case '\r': ok &= tk_buf_append(out, "\\r", 2); break;
		case '\t': ok &= tk_buf_append(out, "\\t", 2); break;
		default:
			if (c < ' ' || c >= 0x7f) {
				char x[4] = {'\\', 'x', hex[c >> 4], hex[c & 0xf]};
				ok &= tk_buf_append(out, x, 4);
			} else {
				ok &= tk_buf_append_byte(out, c);
			}
		}
	}
	return ok && tk_buf_append_byte(out, '"');
}
