#include "util/bytes.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int tk_slice_cmp(struct tk_slice a, struct tk_slice b)
{
	size_t n = a.n < b.n ? a.n : b.n;
	int c = n ? memcmp(a.p, b.p, n) : 0;
	if (c)
		return c;
	return a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
}

void tk_buf_init(struct tk_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void tk_buf_destroy(struct tk_buf *b)
{
	free(b->data);
	tk_buf_init(b);
}

bool tk_buf_reserve(struct tk_buf *b, size_t extra)
{
	if (b->cap - b->len >= extra)
		return true;
	size_t need = b->len + extra;
	if (need < b->len)
		return false;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap * 2 > cap ? cap * 2 : need;
	uint8_t *d = realloc(b->data, cap);
	if (!d)
		return false;
	b->data = d;
	b->cap = cap;
	return true;
}

bool tk_buf_append(struct tk_buf *b, const void *p, size_t n)
{
	if (!tk_buf_reserve(b, n))
		return false;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return true;
}

bool tk_buf_append_byte(struct tk_buf *b, uint8_t c)
{
	return tk_buf_append(b, &c, 1);
}

bool tk_buf_printf(struct tk_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !tk_buf_reserve(b, (size_t)n + 1))
		return false;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return true;
}

enum tk_err tk_buf_read_fd(struct tk_buf *b, int fd, size_t max, struct tk_errbuf *eb)
{
	const size_t chunk = 64 * 1024;
	size_t start = b->len;
	for (;;) {
		size_t left = max - (b->len - start);
		/* one byte past the cap is asked for, to tell "exactly max bytes"
		 * from "more than max" */
		size_t want = left < chunk ? left + 1 : chunk;
		if (!tk_buf_reserve(b, want))
			return tk_err_set(eb, TK_E_NOMEM, "out of memory after reading %zu bytes",
					  b->len - start);
		ssize_t n = read(fd, b->data + b->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return tk_err_set(eb, TK_E_IO, "read: %s", strerror(errno));
		if (n == 0)
			return TK_OK;
		b->len += (size_t)n;
		if (b->len - start > max)
			return tk_err_set(eb, TK_E_TOO_LARGE, "more than %zu bytes", max);
	}
}
