/* The client's routing table (region_cache.h): regions in an array sorted
 * by start key (a client sees few regions; lookups are a binary search),
 * store addresses in a small list. */
#include "client/region_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rc_store {
	uint64_t id;
	char addr[256];
};

struct rc_cache {
	struct rc_region *v; /* sorted by start, never overlapping */
	size_t n, cap;
	struct rc_store *stores;
	size_t n_stores, cap_stores;
};

static int cmp_bytes(const void *a, size_t an, const void *b, size_t bn)
{
	size_t n = an < bn ? an : bn;
	int c = n ? memcmp(a, b, n) : 0;
	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

struct rc_cache *rc_new(void)
{
	return calloc(1, sizeof(struct rc_cache));
}

static void region_destroy(struct rc_region *r)
{
	free(r->start);
	free(r->end);
	free(r->peers);
}

void rc_free(struct rc_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		region_destroy(&c->v[i]);
	free(c->v);
	free(c->stores);
	free(c);
}

size_t rc_count(const struct rc_cache *c)
{
	return c->n;
}

bool rc_contains(const struct rc_region *r, const void *key, size_t key_len)
{
	if (cmp_bytes(key, key_len, r->start, r->start_len) < 0)
		return false;
	return r->end_len == 0 || cmp_bytes(key, key_len, r->end, r->end_len) < 0;
}

/* Index of the last region whose start is <= key, or c->n when none. */
static size_t last_start_le(const struct rc_cache *c, const void *key, size_t key_len)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cmp_bytes(c->v[mid].start, c->v[mid].start_len, key, key_len) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : c->n;
}

struct rc_region *rc_find(struct rc_cache *c, const void *key, size_t key_len)
{
	size_t i = last_start_le(c, key, key_len);
	return i < c->n && rc_contains(&c->v[i], key, key_len) ? &c->v[i] : NULL;
}

struct rc_region *rc_find_before(struct rc_cache *c, const void *key, size_t key_len,
                                 bool end_is_inf)
{
	if (c->n == 0)
		return NULL;
	if (end_is_inf)
		return c->v[c->n - 1].end_len == 0 ? &c->v[c->n - 1] : NULL;
	/* the last region starting strictly below key */
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cmp_bytes(c->v[mid].start, c->v[mid].start_len, key, key_len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	struct rc_region *r = &c->v[lo - 1];
	if (r->end_len && cmp_bytes(key, key_len, r->end, r->end_len) > 0)
		return NULL;
	return r;
}

struct rc_region *rc_by_id(struct rc_cache *c, uint64_t id)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].id == id)
			return &c->v[i];
	return NULL;
}

static void remove_at(struct rc_cache *c, size_t i)
{
	region_destroy(&c->v[i]);
	memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof *c->v);
	c->n--;
}

void rc_drop(struct rc_cache *c, uint64_t region_id)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].id == region_id) {
			remove_at(c, i);
			return;
		}
}

/* Whether [a.start, a.end) and [start, end) share a key (empty end: +inf). */
static bool overlaps(const struct rc_region *a, const struct tkv_region *b)
{
	bool a_before = a->end_len && cmp_bytes(a->end, a->end_len, b->start, b->start_len) <= 0;
	bool b_before = b->end_len && cmp_bytes(b->end, b->end_len, a->start, a->start_len) <= 0;
	return !a_before && !b_before;
}

static uint8_t *dup_bytes(const void *p, size_t n)
{
	uint8_t *d = malloc(n + 1);
	if (d) {
		if (n)
			memcpy(d, p, n);
		d[n] = 0;
	}
	return d;
}

struct rc_region *rc_insert(struct rc_cache *c, const struct tkv_region *r, uint64_t leader_peer)
{
	for (size_t i = c->n; i-- > 0;)
		if (c->v[i].id == r->id || overlaps(&c->v[i], r))
			remove_at(c, i);
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct rc_region *v = realloc(c->v, cap * sizeof *v);
		if (!v)
			return NULL;
		c->v = v;
		c->cap = cap;
	}
	struct rc_region x;
	memset(&x, 0, sizeof x);
	x.id = r->id;
	x.start = dup_bytes(r->start, r->start_len);
	x.end = dup_bytes(r->end, r->end_len);
	x.start_len = r->start_len;
	x.end_len = r->end_len;
	x.conf_ver = r->conf_ver;
	x.version = r->version;
	x.peers = malloc((r->n_peers ? r->n_peers : 1) * sizeof *x.peers);
	if (!x.start || !x.end || !x.peers) {
		region_destroy(&x);
		return NULL;
	}
	if (r->n_peers)
		memcpy(x.peers, r->peers, r->n_peers * sizeof *x.peers);
	x.n_peers = r->n_peers;
	for (size_t i = 0; i < x.n_peers; i++)
		if (x.peers[i].id == leader_peer)
			x.leader_peer = leader_peer;
	size_t at = 0;
	while (at < c->n && cmp_bytes(c->v[at].start, c->v[at].start_len, x.start, x.start_len) < 0)
		at++;
	memmove(&c->v[at + 1], &c->v[at], (c->n - at) * sizeof *c->v);
	c->v[at] = x;
	c->n++;
	return &c->v[at];
}

const struct tkv_peer *rc_peer_on_store(const struct rc_region *r, uint64_t store_id)
{
	for (size_t i = 0; i < r->n_peers; i++)
		if (r->peers[i].store_id == store_id)
			return &r->peers[i];
	return NULL;
}

const char *rc_store_addr(const struct rc_cache *c, uint64_t store_id)
{
	for (size_t i = 0; i < c->n_stores; i++)
		if (c->stores[i].id == store_id)
			return c->stores[i].addr;
	return NULL;
}

bool rc_set_store_addr(struct rc_cache *c, uint64_t store_id, const char *addr)
{
	if (!store_id || !addr || !*addr)
		return true;
	struct rc_store *s = NULL;
	for (size_t i = 0; i < c->n_stores; i++)
		if (c->stores[i].id == store_id)
			s = &c->stores[i];
	if (!s) {
		if (c->n_stores == c->cap_stores) {
			size_t cap = c->cap_stores ? c->cap_stores * 2 : 8;
			struct rc_store *v = realloc(c->stores, cap * sizeof *v);
			if (!v)
				return false;
			c->stores = v;
			c->cap_stores = cap;
		}
		s = &c->stores[c->n_stores++];
		s->id = store_id;
	}
	snprintf(s->addr, sizeof s->addr, "%s", addr);
	return true;
}

void rc_forget_store(struct rc_cache *c, uint64_t store_id)
{
	for (size_t i = 0; i < c->n_stores; i++)
		if (c->stores[i].id == store_id) {
			c->stores[i] = c->stores[--c->n_stores];
			return;
		}
}
