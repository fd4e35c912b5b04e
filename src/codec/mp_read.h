/* A zero-copy, bounds-checked msgpack reader.
 *
 * Our own rather than msgpack-c's unpacker because network input must be
 * checked before anything is allocated: msgpack-c allocates a declared array
 * length up front (16 bytes per element), so a 6-byte payload declaring 2^32
 * elements would ask for 64 GiB.  Here an array or map count larger than the
 * bytes left is refused at once, strings point into the input, and nothing is
 * allocated.  msgpack-c still writes every frame (msgpack_packer) and parses
 * trusted input in tools/. */
#ifndef TK_CODEC_MP_READ_H
#define TK_CODEC_MP_READ_H

#include <stdbool.h>
#include <stdint.h>

#include "util/bytes.h"

enum mp_kind { MP_NIL, MP_BOOL, MP_UINT, MP_NEGINT, MP_FLOAT, MP_STR, MP_BIN, MP_ARRAY, MP_MAP, MP_EXT };

struct mp_value {
	enum mp_kind kind;
	bool b;
	uint64_t u;      /* MP_UINT */
	int64_t i;       /* MP_NEGINT */
	double f;        /* MP_FLOAT */
	struct tk_slice s; /* MP_STR, MP_BIN, MP_EXT (data) */
	uint32_t count;  /* MP_ARRAY elements, MP_MAP pairs */
};

struct mp_reader {
	const uint8_t *p, *end;
};

static inline void mp_reader_init(struct mp_reader *r, const void *p, size_t n)
{
	r->p = (const uint8_t *)p;
	r->end = r->p + n;
}
static inline size_t mp_left(const struct mp_reader *r)
{
	return (size_t)(r->end - r->p);
}

/* Read one value header (containers: only the count; their elements follow).
 * False on truncation, a reserved type byte (0xc1) or an impossible count. */
bool mp_read(struct mp_reader *r, struct mp_value *v);
/* Skip one whole value, however deeply nested (checked without recursion).
 * False when it is malformed or truncated. */
bool mp_skip(struct mp_reader *r);
/* Name of a kind for error messages ("map", "bin", ...). */
const char *mp_kind_name(enum mp_kind k);

#endif
