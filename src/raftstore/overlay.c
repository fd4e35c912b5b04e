/* The write overlay (see overlay.h).
 *
 * Invariants: cap is 0 or a power of two; n < cap * 3 / 4 after every
 * insert (so a probe always meets an empty slot); every used slot's key and
 * value lie in bytes[0, bytes.len). */
#include "raftstore/overlay.h"

#include <stdlib.h>
#include <string.h>

struct rs_overlay_ent {
	uint64_t hash;
	size_t koff, voff; /* in o->bytes */
	uint32_t klen, vlen;
	bool used, present;
};

/* Memory kept across clears: a group commit of ordinary size reuses it, a
 * huge one gives it back. */
#define KEEP_SLOTS 4096u
#define KEEP_BYTES (1u << 20)

void rs_overlay_init(struct rs_overlay *o)
{
	memset(o, 0, sizeof *o);
	tk_buf_init(&o->bytes);
}

void rs_overlay_destroy(struct rs_overlay *o)
{
	free(o->tab);
	tk_buf_destroy(&o->bytes);
	memset(o, 0, sizeof *o);
}

void rs_overlay_clear(struct rs_overlay *o)
{
	/* Zeroing costs the table's size, not the batch's: a table much
	 * larger than its entries (a big batch, then small ones) is dropped
	 * instead, so a clear stays proportional to what the batch wrote. */
	if (o->cap > KEEP_SLOTS || o->n * 8 < o->cap) {
		free(o->tab);
		o->tab = NULL;
		o->cap = 0;
	} else if (o->n) {
		memset(o->tab, 0, o->cap * sizeof *o->tab);
	}
	if (o->bytes.cap > KEEP_BYTES) {
		tk_buf_destroy(&o->bytes);
		tk_buf_init(&o->bytes);
	}
	tk_buf_reset(&o->bytes);
	o->n = 0;
	o->lost = false;
}

/* FNV-1a with a final avalanche, so that linear probing on the low bits
 * sees the whole key. */
static uint64_t hash_key(struct tk_slice k)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < k.n; i++) {
		h ^= k.p[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static struct rs_overlay_ent *find_slot(struct rs_overlay_ent *tab, size_t cap,
                                        const uint8_t *bytes, struct tk_slice key, uint64_t h)
{
	for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		struct rs_overlay_ent *e = &tab[i];
		if (!e->used)
			return e;
		if (e->hash == h && e->klen == key.n &&
		    (key.n == 0 || memcmp(bytes + e->koff, key.p, key.n) == 0))
			return e;
	}
}

static bool grow(struct rs_overlay *o)
{
	size_t cap = o->cap ? o->cap * 2 : 64;
	struct rs_overlay_ent *tab = calloc(cap, sizeof *tab);
	if (!tab)
		return false;
	for (size_t i = 0; i < o->cap; i++) {
		const struct rs_overlay_ent *e = &o->tab[i];
		if (!e->used)
			continue;
		struct rs_overlay_ent *d = &tab[e->hash & (cap - 1)];
		while (d->used)
			d = d + 1 == tab + cap ? tab : d + 1;
		*d = *e;
	}
	free(o->tab);
	o->tab = tab;
	o->cap = cap;
	return true;
}

static void record(struct rs_overlay *o, struct tk_slice key, struct tk_slice val, bool present)
{
	if (o->lost)
		return; /* unknown until clear anyway */
	if (key.n > UINT32_MAX || val.n > UINT32_MAX || ((o->n + 1) * 4 > o->cap * 3 && !grow(o)) ||
	    !tk_buf_reserve(&o->bytes, key.n + val.n)) {
		o->lost = true;
		return;
	}
	uint64_t h = hash_key(key);
	struct rs_overlay_ent *e = find_slot(o->tab, o->cap, o->bytes.data, key, h);
	if (!e->used) {
		e->used = true;
		e->hash = h;
		e->klen = (uint32_t)key.n;
		e->koff = o->bytes.len;
		tk_buf_append(&o->bytes, key.p, key.n); /* reserved above */
		o->n++;
	}
	e->present = present;
	e->voff = o->bytes.len;
	e->vlen = present ? (uint32_t)val.n : 0;
	if (present)
		tk_buf_append(&o->bytes, val.p, val.n);
}

void rs_overlay_put(struct rs_overlay *o, struct tk_slice key, struct tk_slice val)
{
	record(o, key, val, true);
}

void rs_overlay_delete(struct rs_overlay *o, struct tk_slice key)
{
	record(o, key, tk_slice_of(NULL, 0), false);
}

enum rs_overlay_hit rs_overlay_get(const struct rs_overlay *o, struct tk_slice key, bool *present,
                                   struct tk_slice *val)
{
	if (o->lost)
		return RS_OV_UNKNOWN;
	if (o->n == 0)
		return RS_OV_MISS;
	const struct rs_overlay_ent *e =
	    find_slot(o->tab, o->cap, o->bytes.data, key, hash_key(key));
	if (!e->used)
		return RS_OV_MISS;
	*present = e->present;
	/* a present value, even an empty one, never has a NULL pointer */
	*val = !e->present ? tk_slice_of(NULL, 0)
	       : e->vlen   ? tk_slice_of(o->bytes.data + e->voff, e->vlen)
	                   : tk_slice_of("", 0);
	return RS_OV_HIT;
}

size_t rs_overlay_count(const struct rs_overlay *o)
{
	return o->n;
}
