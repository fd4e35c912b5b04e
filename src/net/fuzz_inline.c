/* libFuzzer target: the inline (netcat) protocol.  The input is what a
 * client sends.  It is cut into lines as net_inline_input cuts its evbuffer
 * (at \n; at the end, as at EOF, the last line needs none; a line longer
 * than max-frame ends the connection; here max-frame is 1 KiB so inputs of a
 * few KiB reach that path), and each line goes through
 * net_inline_parse_line, the code net_inline_input runs.  What parses must
 * read back: every argument written as a reply value (net_inline_value) or
 * quoted as tinykv-cli quotes it (tk_quote) splits into the same bytes, and
 * the quoted arguments joined by spaces into the same argument list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

#define MAX_LINE 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expect_args(const struct tk_buf *text, const struct tk_args *want, size_t from,
                        size_t n, const char *what)
{
	static struct tk_args got; /* reused: allocation dominates otherwise */
	const char *why = "";
	bool ok =
	    tk_split_args((const char *)text->data, text->len, &got, NET_INLINE_MAX_ARGS, &why) &&
	    got.argc == n;
	for (size_t i = 0; ok && i < n; i++)
		ok = tk_slice_eq(tk_buf_slice(&got.argv[i]), tk_buf_slice(&want->argv[from + i]));
	if (!ok) {
		fprintf(stderr, "fuzz: %s does not read back (%s): %.*s\n", what, why,
		        (int)text->len, (const char *)text->data);
		abort();
	}
}

static void check_args_read_back(const struct tk_args *args)
{
	static struct tk_buf all, one;
	all.len = 0;
	for (size_t i = 0; i < args->argc; i++) {
		struct tk_slice a = tk_buf_slice(&args->argv[i]);
		one.len = 0;
		net_inline_value(&one, a);
		one.len--; /* its \n */
		expect_args(&one, args, i, 1, "a reply value");
		if (i)
			tk_buf_append_byte(&all, ' ');
		tk_quote(&all, a);
	}
	expect_args(&all, args, 0, args->argc, "a quoted argument list");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tk_args args;
	size_t off = 0;
	while (off < size) {
		const uint8_t *p = data + off, *nl = memchr(p, '\n', size - off);
		size_t len = nl ? (size_t)(nl - p) : size - off;
		if (len > MAX_LINE)
			break; /* ERR TOO_LARGE, connection closed */
		const char *why = NULL;
		enum net_inline_line kind = net_inline_parse_line(p, len, &args, &why);
		if (kind == NET_INLINE_BAD && !why)
			abort(); /* the error line needs its reason */
		if (kind == NET_INLINE_ARGS)
			check_args_read_back(&args);
		if (kind == NET_INLINE_HTTP)
			break; /* the HTTP answer closes the connection */
		off += len + (nl != NULL);
	}
	return 0;
}
