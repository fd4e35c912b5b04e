/* Byte strings: a borrowed slice (pointer + length) and an owned growable
 * buffer.  Keys and values are always pointer + length, never NUL-terminated. */
#ifndef TK_UTIL_BYTES_H
#define TK_UTIL_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/err.h"

/* A borrowed byte range.  p == NULL means "absent" (distinct from empty). */
struct tk_slice {
	const uint8_t *p;
	size_t n;
};

static inline struct tk_slice tk_slice_of(const void *p, size_t n)
{
	struct tk_slice s = {(const uint8_t *)p, n};
	return s;
}
static inline struct tk_slice tk_slice_str(const char *s)
{
	return tk_slice_of(s, strlen(s));
}
static inline bool tk_slice_eq(struct tk_slice a, struct tk_slice b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}
/* memcmp order; a shorter prefix sorts first. */
int tk_slice_cmp(struct tk_slice a, struct tk_slice b);

/* An owned, growable byte buffer.  init/destroy: embedded; data may move on
 * every append. */
struct tk_buf {
	uint8_t *data;
	size_t len, cap;
};

void tk_buf_init(struct tk_buf *b);
void tk_buf_destroy(struct tk_buf *b);
/* Ensure room for extra bytes; returns false on allocation failure. */
bool tk_buf_reserve(struct tk_buf *b, size_t extra);
bool tk_buf_append(struct tk_buf *b, const void *p, size_t n);
bool tk_buf_append_byte(struct tk_buf *b, uint8_t c);
bool tk_buf_printf(struct tk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append everything readable from fd up to its end (EOF) to b: binary-safe,
 * retried on EINTR.  At most max bytes: TK_E_TOO_LARGE when fd holds more
 * (then b keeps max + 1 of them and the rest is left unread); TK_E_IO with
 * the system's reason when read fails; TK_E_NOMEM.  For the command-line
 * tools that take their input from stdin (tinykv-cli -x, tkframe encode). */
enum tk_err tk_buf_read_fd(struct tk_buf *b, int fd, size_t max, struct tk_errbuf *eb);
static inline void tk_buf_reset(struct tk_buf *b)
{
	b->len = 0;
}
static inline struct tk_slice tk_buf_slice(const struct tk_buf *b)
{
	return tk_slice_of(b->data, b->len);
}

/* Big-endian fixed-width integers, used by frames and key encodings. */
static inline void tk_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
static inline uint32_t tk_get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void tk_put_be64(uint8_t *p, uint64_t v)
{
	tk_put_be32(p, (uint32_t)(v >> 32));
	tk_put_be32(p + 4, (uint32_t)v);
}
static inline uint64_t tk_get_be64(const uint8_t *p)
{
	return ((uint64_t)tk_get_be32(p) << 32) | tk_get_be32(p + 4);
}

#endif
