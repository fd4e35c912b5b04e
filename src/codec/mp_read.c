#include "codec/mp_read.h"

#include <string.h>

static bool take(struct mp_reader *r, size_t n, const uint8_t **out)
{
	if (mp_left(r) < n)
		return false;
	*out = r->p;
	r->p += n;
	return true;
}

static bool take_uint(struct mp_reader *r, int bytes, uint64_t *out)
{
	const uint8_t *p;
	if (!take(r, (size_t)bytes, &p))
		return false;
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	*out = v;
	return true;
}

static bool take_bytes(struct mp_reader *r, uint64_t n, struct mp_value *v)
{
	const uint8_t *p;
	if (n > mp_left(r) || !take(r, (size_t)n, &p))
		return false;
	v->s = tk_slice_of(p, (size_t)n);
	return true;
}

static bool container(struct mp_reader *r, struct mp_value *v, enum mp_kind k, uint64_t count)
{
	/* every element takes at least one byte: refuse impossible counts now */
	uint64_t min = k == MP_MAP ? count * 2 : count;
	if (count > UINT32_MAX || min > mp_left(r))
		return false;
	v->kind = k;
	v->count = (uint32_t)count;
	return true;
}

static int64_t sign_extend(uint64_t u, int bytes)
{
	int shift = 64 - bytes * 8;
	return (int64_t)(u << shift) >> shift;
}

static bool integer(struct mp_value *v, int64_t i)
{
	if (i >= 0) {
		v->kind = MP_UINT;
		v->u = (uint64_t)i;
	} else {
		v->kind = MP_NEGINT;
		v->i = i;
	}
	return true;
}

bool mp_read(struct mp_reader *r, struct mp_value *v)
{
	const uint8_t *tp;
	uint64_t n;
	if (!take(r, 1, &tp))
		return false;
	uint8_t t = *tp;
	memset(v, 0, sizeof *v);
	if (t <= 0x7f)
		return integer(v, t);
	if (t >= 0xe0)
		return integer(v, (int8_t)t);
	if ((t & 0xf0) == 0x80)
		return container(r, v, MP_MAP, t & 0x0f);
	if ((t & 0xf0) == 0x90)
		return container(r, v, MP_ARRAY, t & 0x0f);
	if ((t & 0xe0) == 0xa0) {
		v->kind = MP_STR;
		return take_bytes(r, t & 0x1f, v);
	}
	switch (t) {
	case 0xc0: v->kind = MP_NIL; return true;
	case 0xc2: v->kind = MP_BOOL; v->b = false; return true;
	case 0xc3: v->kind = MP_BOOL; v->b = true; return true;
	case 0xc4: case 0xc5: case 0xc6:
		v->kind = MP_BIN;
		return take_uint(r, 1 << (t - 0xc4), &n) && take_bytes(r, n, v);
	case 0xd9: case 0xda: case 0xdb:
		v->kind = MP_STR;
		return take_uint(r, 1 << (t - 0xd9), &n) && take_bytes(r, n, v);
	case 0xcc: case 0xcd: case 0xce: case 0xcf:
		v->kind = MP_UINT;
		return take_uint(r, 1 << (t - 0xcc), &v->u);
	case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
		int bytes = 1 << (t - 0xd0);
		if (!take_uint(r, bytes, &n))
			return false;
		return integer(v, sign_extend(n, bytes));
	}
	case 0xca: {
		float f;
		uint32_t u32;
		if (!take_uint(r, 4, &n))
			return false;
		u32 = (uint32_t)n;
		memcpy(&f, &u32, 4);
		v->kind = MP_FLOAT;
		v->f = f;
		return true;
	}
	case 0xcb:
		if (!take_uint(r, 8, &n))
			return false;
		v->kind = MP_FLOAT;
		memcpy(&v->f, &n, 8);
		return true;
	case 0xdc: case 0xdd:
		return take_uint(r, t == 0xdc ? 2 : 4, &n) && container(r, v, MP_ARRAY, n);
	case 0xde: case 0xdf:
		return take_uint(r, t == 0xde ? 2 : 4, &n) && container(r, v, MP_MAP, n);
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
		v->kind = MP_EXT;
		return take(r, 1, &tp) && take_bytes(r, 1u << (t - 0xd4), v);
	case 0xc7: case 0xc8: case 0xc9:
		v->kind = MP_EXT;
		return take_uint(r, 1 << (t - 0xc7), &n) && take(r, 1, &tp) && take_bytes(r, n, v);
	default: /* 0xc1 is reserved */
		return false;
	}
}

bool mp_skip(struct mp_reader *r)
{
	/* values still to skip: a container adds its elements.  No recursion,
	 * so any nesting is checked in constant stack; every value read takes
	 * at least one byte, so the loop ends. */
	uint64_t pending = 1;
	while (pending) {
		struct mp_value v;
		if (!mp_read(r, &v))
			return false;
		pending--;
		if (v.kind == MP_ARRAY)
			pending += v.count;
		else if (v.kind == MP_MAP)
			pending += (uint64_t)v.count * 2;
	}
	return true;
}

const char *mp_kind_name(enum mp_kind k)
{
	static const char *const names[] = {"nil", "bool", "uint", "negative int", "float",
					    "str", "bin", "array", "map", "ext"};
	return (unsigned)k <= MP_EXT ? names[k] : "?";
}
