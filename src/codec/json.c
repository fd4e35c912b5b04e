#include "codec/json.h"

#include <ctype.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/mp_read.h"

/* Values nested at most this deep (the top value is depth 1), the same limit
 * both ways so that whatever converts one way converts back. */
#define JSON_MAX_DEPTH 64

/* ---- JSON -> msgpack ---------------------------------------------------- */

enum jkind { J_NULL, J_TRUE, J_FALSE, J_UINT, J_INT, J_FLOAT, J_STR, J_BIN, J_ARR, J_OBJ };

struct jval {
	enum jkind kind;
	uint64_t u;
	int64_t i;
	double f;
	struct tk_buf s;      /* J_STR, J_BIN */
	struct jval **items;  /* J_ARR: values; J_OBJ: key, value, key, value... */
	size_t n, cap;        /* number of items (pairs count twice), room for */
};

struct jparser {
	const char *start, *p, *end;
	struct tk_errbuf *eb;
	int depth;
};

static void jfree(struct jval *v)
{
	if (!v)
		return;
	tk_buf_destroy(&v->s);
	for (size_t i = 0; i < v->n; i++)
		jfree(v->items[i]);
	free(v->items);
	free(v);
}

static void skip_ws(struct jparser *jp)
{
	while (jp->p < jp->end && isspace((unsigned char)*jp->p))
		jp->p++;
}

static struct jval *fail(struct jparser *jp, const char *what)
{
	tk_err_set(jp->eb, TK_E_BAD_REQUEST, "JSON: %s at offset %zu", what,
		   (size_t)(jp->p - jp->start));
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void put_utf8(struct tk_buf *b, uint32_t cp)
{
	if (cp < 0x80) {
		tk_buf_append_byte(b, (uint8_t)cp);
	} else if (cp < 0x800) {
		tk_buf_append_byte(b, (uint8_t)(0xc0 | (cp >> 6)));
		tk_buf_append_byte(b, (uint8_t)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		tk_buf_append_byte(b, (uint8_t)(0xe0 | (cp >> 12)));
		tk_buf_append_byte(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
		tk_buf_append_byte(b, (uint8_t)(0x80 | (cp & 0x3f)));
	} else {
		tk_buf_append_byte(b, (uint8_t)(0xf0 | (cp >> 18)));
		tk_buf_append_byte(b, (uint8_t)(0x80 | ((cp >> 12) & 0x3f)));
		tk_buf_append_byte(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
		tk_buf_append_byte(b, (uint8_t)(0x80 | (cp & 0x3f)));
	}
}

static bool parse_string(struct jparser *jp, struct tk_buf *out)
{
	jp->p++; /* opening quote */
	while (jp->p < jp->end && *jp->p != '"') {
		/* a run of plain bytes at once */
		const char *run = jp->p;
		while (jp->p < jp->end && *jp->p != '"' && *jp->p != '\\')
			jp->p++;
		if (jp->p > run) {
			tk_buf_append(out, run, (size_t)(jp->p - run));
			continue;
		}
		char c = *jp->p++;
		if (jp->p >= jp->end)
			return false;
		c = *jp->p++;
		switch (c) {
		case '"': case '\\': case '/': tk_buf_append_byte(out, (uint8_t)c); break;
		case 'b': tk_buf_append_byte(out, '\b'); break;
		case 'f': tk_buf_append_byte(out, '\f'); break;
		case 'n': tk_buf_append_byte(out, '\n'); break;
		case 'r': tk_buf_append_byte(out, '\r'); break;
		case 't': tk_buf_append_byte(out, '\t'); break;
		case 'u': {
			if (jp->end - jp->p < 4)
				return false;
			uint32_t cp = 0;
			for (int i = 0; i < 4; i++) {
				int h = hexval(jp->p[i]);
				if (h < 0)
					return false;
				cp = cp << 4 | (uint32_t)h;
			}
			jp->p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && jp->end - jp->p >= 6 && jp->p[0] == '\\' &&
			    jp->p[1] == 'u') {
				uint32_t lo = 0;
				for (int i = 0; i < 4; i++) {
					int h = hexval(jp->p[2 + i]);
					if (h < 0)
						return false;
					lo = lo << 4 | (uint32_t)h;
				}
				jp->p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			put_utf8(out, cp);
			break;
		}
		default: return false;
		}
	}
	if (jp->p >= jp->end)
		return false;
	jp->p++;
	return true;
}

static struct jval *parse_value(struct jparser *jp);

static bool add_item(struct jval *v, struct jval *item)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 4;
		struct jval **items = realloc(v->items, cap * sizeof *items);
		if (!items)
			return false;
		v->items = items;
		v->cap = cap;
	}
	v->items[v->n++] = item;
	return true;
}

/* {"$b": "..."} and {"$hex": "..."} turn into bin */
static void maybe_bin(struct jval *v)
{
	if (v->n != 2 || v->items[1]->kind != J_STR)
		return;
	struct tk_buf *k = &v->items[0]->s, *s = &v->items[1]->s;
	struct tk_buf bin;
	tk_buf_init(&bin);
	if (k->len == 2 && memcmp(k->data, "$b", 2) == 0) {
		tk_buf_append(&bin, s->data, s->len);
	} else if (k->len == 4 && memcmp(k->data, "$hex", 4) == 0 && s->len % 2 == 0) {
		for (size_t i = 0; i < s->len; i += 2) {
			int hi = hexval((char)s->data[i]), lo = hexval((char)s->data[i + 1]);
			if (hi < 0 || lo < 0) {
				tk_buf_destroy(&bin);
				return;
			}
			tk_buf_append_byte(&bin, (uint8_t)(hi << 4 | lo));
		}
	} else {
		return;
	}
	jfree(v->items[0]);
	jfree(v->items[1]);
	free(v->items);
	v->items = NULL;
	v->n = v->cap = 0;
	v->kind = J_BIN;
	v->s = bin;
}

static struct jval *parse_container(struct jparser *jp, struct jval *v, char close)
{
	jp->p++;
	skip_ws(jp);
	if (jp->p < jp->end && *jp->p == close) {
		jp->p++;
		return v;
	}
	for (;;) {
		skip_ws(jp);
		if (close == '}') {
			if (jp->p >= jp->end || *jp->p != '"') {
				jfree(v);
				return fail(jp, "expected a string key");
			}
			struct jval *k = calloc(1, sizeof *k);
			if (!k || !parse_string(jp, &k->s) || !add_item(v, k)) {
				jfree(k);
				jfree(v);
				return fail(jp, "bad key");
			}
			k->kind = J_STR;
			skip_ws(jp);
			if (jp->p >= jp->end || *jp->p != ':') {
				jfree(v);
				return fail(jp, "expected ':'");
			}
			jp->p++;
		}
		struct jval *item = parse_value(jp);
		if (!item) {
			jfree(v);
			return NULL;
		}
		if (!add_item(v, item)) {
			jfree(item);
			jfree(v);
			return fail(jp, "out of memory");
		}
		skip_ws(jp);
		if (jp->p < jp->end && *jp->p == ',') {
			jp->p++;
			continue;
		}
		if (jp->p < jp->end && *jp->p == close) {
			jp->p++;
			break;
		}
		jfree(v);
		return fail(jp, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
	}
	if (close == '}')
		maybe_bin(v);
	return v;
}

static struct jval *parse_number(struct jparser *jp, struct jval *v)
{
	const char *start = jp->p;
	bool is_float = false;
	if (*jp->p == '-')
		jp->p++;
	for (; jp->p < jp->end; jp->p++) {
		char c = *jp->p;
		if (c == '.' || c == 'e' || c == 'E')
			is_float = true;
		else if (!isdigit((unsigned char)c) && c != '+' && c != '-')
			break;
	}
	char tmp[64];
	size_t len = (size_t)(jp->p - start);
	if (len == 0 || len >= sizeof tmp) {
		jfree(v);
		return fail(jp, "bad number");
	}
	memcpy(tmp, start, len);
	tmp[len] = 0;
	char *endp;
	if (is_float) {
		v->kind = J_FLOAT;
		v->f = strtod(tmp, &endp);
	} else if (tmp[0] == '-') {
		v->kind = J_INT;
		v->i = strtoll(tmp, &endp, 10);
	} else {
		v->kind = J_UINT;
		v->u = strtoull(tmp, &endp, 10);
	}
	if (*endp) {
		jfree(v);
		return fail(jp, "bad number");
	}
	return v;
}

static struct jval *parse_value(struct jparser *jp)
{
	skip_ws(jp);
	if (jp->p >= jp->end)
		return fail(jp, "unexpected end of input");
	if (++jp->depth > JSON_MAX_DEPTH)
		return fail(jp, "nested too deep");
	struct jval *v = calloc(1, sizeof *v);
	if (!v)
		return fail(jp, "out of memory");
	struct jval *r = v;
	char c = *jp->p;
	if (c == '{') {
		v->kind = J_OBJ;
		r = parse_container(jp, v, '}');
	} else if (c == '[') {
		v->kind = J_ARR;
		r = parse_container(jp, v, ']');
	} else if (c == '"') {
		v->kind = J_STR;
		if (!parse_string(jp, &v->s)) {
			jfree(v);
			r = fail(jp, "bad string");
		}
	} else if (c == '-' || isdigit((unsigned char)c)) {
		r = parse_number(jp, v);
	} else {
		static const struct { const char *word; enum jkind kind; } words[] = {
			{"null", J_NULL}, {"true", J_TRUE}, {"false", J_FALSE}};
		r = NULL;
		for (size_t i = 0; i < 3; i++) {
			size_t n = strlen(words[i].word);
			if ((size_t)(jp->end - jp->p) >= n && memcmp(jp->p, words[i].word, n) == 0) {
				v->kind = words[i].kind;
				jp->p += n;
				r = v;
				break;
			}
		}
		if (!r) {
			jfree(v);
			r = fail(jp, "unexpected character");
		}
	}
	jp->depth--;
	return r;
}

static void pack(msgpack_packer *pk, const struct jval *v)
{
	switch (v->kind) {
	case J_NULL: msgpack_pack_nil(pk); break;
	case J_TRUE: msgpack_pack_true(pk); break;
	case J_FALSE: msgpack_pack_false(pk); break;
	case J_UINT: msgpack_pack_uint64(pk, v->u); break;
	case J_INT: msgpack_pack_int64(pk, v->i); break;
	case J_FLOAT: msgpack_pack_double(pk, v->f); break;
	case J_STR:
		msgpack_pack_str(pk, v->s.len);
		msgpack_pack_str_body(pk, v->s.data, v->s.len);
		break;
	case J_BIN:
		msgpack_pack_bin(pk, v->s.len);
		msgpack_pack_bin_body(pk, v->s.data, v->s.len);
		break;
	case J_ARR:
		msgpack_pack_array(pk, v->n);
		for (size_t i = 0; i < v->n; i++)
			pack(pk, v->items[i]);
		break;
	case J_OBJ:
		msgpack_pack_map(pk, v->n / 2);
		for (size_t i = 0; i < v->n; i++)
			pack(pk, v->items[i]);
		break;
	}
}

static int append_cb(void *data, const char *p, size_t n)
{
	return tk_buf_append(data, p, n) ? 0 : -1;
}

enum tk_err tk_json_to_msgpack(struct tk_slice json, size_t *consumed, struct tk_buf *out,
			       struct tk_errbuf *eb)
{
	struct jparser jp = {(const char *)json.p, (const char *)json.p, (const char *)json.p + json.n, eb, 0};
	struct jval *v = parse_value(&jp);
	if (!v)
		return TK_E_BAD_REQUEST;
	skip_ws(&jp);
	*consumed = (size_t)(jp.p - (const char *)json.p);
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, append_cb);
	pack(&pk, v);
	jfree(v);
	return TK_OK;
}

/* ---- msgpack -> JSON ---------------------------------------------------- */

/* How many bytes each byte of a string takes in JSON: 1 as it is, 2 for \" \\
 * and \n, 6 for the other control characters (\u00XX).  A table, because
 * this runs for every byte of every string the frame tool prints: one load a
 * byte instead of five comparisons (and, in the fuzzer, five traced ones). */
static const uint8_t escaped_len[256] = {
	[0x00 ... 0x09] = 6, ['\n'] = 2,   [0x0b ... 0x1f] = 6, [' ' ... '!'] = 1,
	['"'] = 2,           ['#' ... '['] = 1, ['\\'] = 2,        [']' ... 0x7e] = 1,
	[0x7f] = 6,          [0x80 ... 0xff] = 1,
};

/* Write the JSON form of one string byte at w; returns its length. */
static size_t put_escaped(uint8_t *w, uint8_t c)
{
	static const char hex[] = "0123456789abcdef";
	switch (escaped_len[c]) {
	case 1:
		w[0] = c;
		return 1;
	case 2:
		w[0] = '\\';
		w[1] = c == '\n' ? 'n' : c;
		return 2;
	default:
		memcpy(w, "\\u00", 4);
		w[4] = (uint8_t)hex[c >> 4];
		w[5] = (uint8_t)hex[c & 0xf];
		return 6;
	}
}

static size_t json_string_len(const uint8_t *p, size_t n)
{
	size_t len = 2; /* the quotes */
	for (size_t i = 0; i < n; i++)
		len += escaped_len[p[i]];
	return len;
}

/* The length is counted first, so the string is written in place after one
 * reservation of exactly its size. */
static void json_string(struct tk_buf *out, struct tk_slice s)
{
	size_t len = json_string_len(s.p, s.n);
	if (!tk_buf_reserve(out, len))
		return;
	uint8_t *w = out->data + out->len;
	*w++ = '"';
	for (size_t i = 0; i < s.n; i++)
		w += put_escaped(w, s.p[i]);
	*w = '"';
	out->len += len;
}

/* Turn out's bytes from `at` on into a JSON string holding them, in place:
 * how a map key that is not a str is written (its JSON text, escaped), with
 * no buffer of its own.  Written from the end backwards, so every byte is
 * read before its escaped form can overwrite it. */
static void json_string_in_place(struct tk_buf *out, size_t at)
{
	size_t n = out->len - at;
	size_t len = json_string_len(out->data + at, n);
	if (!tk_buf_reserve(out, len - n))
		return;
	uint8_t *r = out->data + out->len, *w = out->data + at + len;
	*--w = '"';
	while (r > out->data + at) {
		uint8_t e[6];
		size_t k = put_escaped(e, *--r);
		w -= k;
		memcpy(w, e, k);
	}
	*--w = '"';
	out->len = at + len;
}

/* Decimal digits of an integer; printf's format parsing costs more than the
 * conversion. */
static void put_integer(struct tk_buf *out, uint64_t magnitude, bool negative)
{
	uint8_t d[21]; /* 20 digits of UINT64_MAX and a sign */
	size_t i = sizeof d;
	do {
		d[--i] = (uint8_t)('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude);
	if (negative)
		d[--i] = '-';
	tk_buf_append(out, d + i, sizeof d - i);
}

static bool printable(struct tk_slice s)
{
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] < 0x20 || s.p[i] > 0x7e)
			return false;
	return true;
}

static void hex_bytes(struct tk_buf *out, struct tk_slice s)
{
	static const char digits[] = "0123456789abcdef";
	if (!tk_buf_reserve(out, s.n * 2))
		return;
	for (size_t i = 0; i < s.n; i++) {
		out->data[out->len++] = (uint8_t)digits[s.p[i] >> 4];
		out->data[out->len++] = (uint8_t)digits[s.p[i] & 0xf];
	}
}

struct to_json {
	struct mp_reader r;
	const char *why; /* set on failure */
	/* how many container map keys we are inside: a container key's text is
	 * escaped into a JSON string, so every level doubles the backslashes
	 * of the one below; one level keeps the output linear in the input */
	int in_key;
};

static bool to_json(struct to_json *c, struct tk_buf *out, int depth)
{
	struct mp_value v;
	if (depth >= JSON_MAX_DEPTH) { /* depth counts from 0 here */
		c->why = "nested too deep";
		return false;
	}
	if (!mp_read(&c->r, &v)) {
		c->why = "malformed msgpack";
		return false;
	}
	switch (v.kind) {
	case MP_NIL: tk_buf_append(out, "null", 4); break;
	case MP_BOOL: v.b ? tk_buf_append(out, "true", 4) : tk_buf_append(out, "false", 5); break;
	case MP_UINT: put_integer(out, v.u, false); break;
	case MP_NEGINT: put_integer(out, 0 - (uint64_t)v.i, true); break;
	case MP_FLOAT:
		if (isfinite(v.f))
			tk_buf_printf(out, "%.17g", v.f);
		else
			tk_buf_append(out, "null", 4);
		break;
	case MP_STR: json_string(out, v.s); break;
	case MP_BIN:
	case MP_EXT:
		if (depth + 1 >= JSON_MAX_DEPTH) { /* {"$b": ...} is one level more */
			c->why = "nested too deep";
			return false;
		}
		if (v.kind == MP_BIN && printable(v.s)) {
			tk_buf_append(out, "{\"$b\":", 6);
			json_string(out, v.s);
		} else {
			tk_buf_append(out, v.kind == MP_BIN ? "{\"$hex\":\"" : "{\"$ext\":\"", 9);
			hex_bytes(out, v.s);
			tk_buf_append_byte(out, '"');
		}
		tk_buf_append_byte(out, '}');
		break;
	case MP_ARRAY:
		tk_buf_append_byte(out, '[');
		for (uint32_t i = 0; i < v.count; i++) {
			if (i)
				tk_buf_append_byte(out, ',');
			if (!to_json(c, out, depth + 1))
				return false;
		}
		tk_buf_append_byte(out, ']');
		break;
	case MP_MAP:
		tk_buf_append_byte(out, '{');
		for (uint32_t i = 0; i < v.count; i++) {
			if (i)
				tk_buf_append_byte(out, ',');
			struct mp_reader save = c->r;
			struct mp_value k;
			if (!mp_read(&c->r, &k)) {
				c->why = "malformed msgpack";
				return false;
			}
			if (k.kind == MP_STR) {
				json_string(out, k.s);
			} else {
				/* JSON keys are strings: render other keys as their JSON text */
				bool container = k.kind == MP_ARRAY || k.kind == MP_MAP;
				if (container && c->in_key) {
					c->why = "a map key holds an array or map that is itself a "
						 "map key";
					return false;
				}
				c->r = save;
				c->in_key += container;
				size_t at = out->len;
				bool ok = to_json(c, out, depth + 1);
				c->in_key -= container;
				if (!ok)
					return false;
				json_string_in_place(out, at);
			}
			tk_buf_append_byte(out, ':');
			if (!to_json(c, out, depth + 1))
				return false;
		}
		tk_buf_append_byte(out, '}');
		break;
	}
	return true;
}

enum tk_err tk_msgpack_to_json(struct tk_slice mp, struct tk_buf *out, struct tk_errbuf *eb)
{
	struct to_json c = {.why = NULL, .in_key = 0};
	mp_reader_init(&c.r, mp.p, mp.n);
	if (!to_json(&c, out, 0))
		return tk_err_set(eb, TK_E_BAD_REQUEST, "%s", c.why);
	if (mp_left(&c.r))
		return tk_err_set(eb, TK_E_BAD_REQUEST, "%zu trailing bytes after msgpack value",
				  mp_left(&c.r));
	return TK_OK;
}
