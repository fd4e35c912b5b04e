/* The pure part of the inline protocol (proto-spec/inline.md): what one line
 * says, and how a value is written on a reply line.  No connection and no
 * libevent, so the fuzzer (src/net/fuzz_inline.c) drives the same code
 * net_inline_input runs. */
#include <string.h>

#include "net/net.h"
#include "util/quote.h"

/* A browser or curl pointed at the client port gets a clear answer. */
static bool looks_like_http(const uint8_t *p, size_t n)
{
	return n >= 9 &&
	       (memcmp(p + n - 8, "HTTP/1.1", 8) == 0 || memcmp(p + n - 8, "HTTP/1.0", 8) == 0);
}

enum net_inline_line net_inline_parse_line(const uint8_t *p, size_t len, struct tk_args *args,
                                           const char **why)
{
	if (len && p[len - 1] == '\r')
		len--;
	if (looks_like_http(p, len))
		return NET_INLINE_HTTP;
	if (!tk_split_args((const char *)p, len, args, NET_INLINE_MAX_ARGS, why))
		return NET_INLINE_BAD;
	return args->argc ? NET_INLINE_ARGS : NET_INLINE_EMPTY;
}

void net_inline_text(struct tk_buf *out, struct tk_slice v)
{
	size_t at = out->len;
	tk_quote(out, v);
	const uint8_t *q = out->data + at;
	size_t n = out->len - at;
	/* plain text that reads like a reply line of its own, "(nil)", "(3
	 * pairs)", "ERR ...", gets quotes: tk_quote left it bare, so it holds
	 * no quote, space or escape and wrapping it is enough */
	if (n && q[0] != '"' && (q[0] == '(' || (n >= 3 && memcmp(q, "ERR", 3) == 0)) &&
	    tk_buf_append(out, "\"\"", 2)) {
		memmove(out->data + at + 1, out->data + at, n);
		out->data[at] = '"';
		out->data[at + n + 1] = '"';
	}
}

void net_inline_value(struct tk_buf *out, struct tk_slice v)
{
	net_inline_text(out, v);
	tk_buf_append_byte(out, '\n');
}

enum tk_err net_inline_count(struct tk_slice s, const char *usage, const char *what,
                             uint64_t max_shown, uint64_t *out, struct tk_errbuf *eb)
{
	uint64_t v = 0;
	bool digits = s.n > 0;
	for (size_t i = 0; i < s.n && digits; i++)
		digits = s.p[i] >= '0' && s.p[i] <= '9';
	if (!digits)
		return tk_err_set(eb, TK_E_BAD_REQUEST,
		                  "wrong arguments; usage: %s (%s is a number)", usage, what);
	for (size_t i = 0; i < s.n; i++) {
		unsigned d = (unsigned)(s.p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return tk_err_set(
			    eb, TK_E_BAD_REQUEST, "%s %.*s is out of range (at most %llu)", what,
			    (int)(s.n > 24 ? 24 : s.n), s.p, (unsigned long long)max_shown);
		v = v * 10 + d;
	}
	*out = v;
	return TK_OK;
}
