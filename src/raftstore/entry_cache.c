/* The entry cache: a ring of owned entry copies; see entry_cache.h. */
#include "raftstore/entry_cache.h"

#include <stdlib.h>
#include <string.h>

void rs_ecache_init(struct rs_ecache *c, size_t max_entries, size_t max_bytes)
{
	memset(c, 0, sizeof *c);
	c->max_entries = max_entries;
	c->max_bytes = max_bytes;
}

static struct rs_cent *slot(const struct rs_ecache *c, size_t k)
{
	return &c->ring[(c->head + k) % c->cap];
}

static void pop_front(struct rs_ecache *c)
{
	struct rs_cent *e = slot(c, 0);
	c->bytes -= e->len;
	free(e->data);
	e->data = NULL;
	c->head = (c->head + 1) % c->cap;
	c->n--;
}

static void pop_back(struct rs_ecache *c)
{
	struct rs_cent *e = slot(c, c->n - 1);
	c->bytes -= e->len;
	free(e->data);
	e->data = NULL;
	c->n--;
}

void rs_ecache_clear(struct rs_ecache *c)
{
	while (c->n)
		pop_back(c);
	c->head = 0;
}

/* Double the ring (at most max_entries), keeping the entries in order. */
static bool grow(struct rs_ecache *c)
{
	size_t cap = c->cap ? c->cap * 2 : 8;
	if (cap > c->max_entries)
		cap = c->max_entries;
	struct rs_cent *r = calloc(cap, sizeof *r);
	if (!r)
		return false;
	for (size_t k = 0; k < c->n; k++)
		r[k] = *slot(c, k);
	free(c->ring);
	c->ring = r;
	c->cap = cap;
	c->head = 0;
	return true;
}

void rs_ecache_destroy(struct rs_ecache *c)
{
	if (c->ring)
		rs_ecache_clear(c);
	free(c->ring);
	c->ring = NULL;
}

raft_index rs_ecache_first(const struct rs_ecache *c)
{
	return c->n ? slot(c, 0)->index : 0;
}

const struct rs_cent *rs_ecache_get(const struct rs_ecache *c, raft_index i)
{
	raft_index first = rs_ecache_first(c);
	if (c->n == 0 || i < first || i - first >= c->n)
		return NULL;
	return slot(c, (size_t)(i - first));
}

void rs_ecache_put(struct rs_ecache *c, const struct raft_entry *e)
{
	if (c->max_entries == 0)
		return;
	while (c->n && slot(c, c->n - 1)->index >= e->index)
		pop_back(c);
	if (c->n && slot(c, c->n - 1)->index + 1 != e->index)
		rs_ecache_clear(c);
	if (c->n == c->cap && c->cap < c->max_entries && !grow(c)) {
		rs_ecache_clear(c);
		return;
	}
	if (c->n == c->cap)
		pop_front(c);
	uint8_t *data = NULL;
	if (e->len) {
		data = malloc(e->len);
		if (!data) {
			rs_ecache_clear(c);
			return;
		}
		memcpy(data, e->data, e->len);
	}
	struct rs_cent *s = slot(c, c->n);
	s->term = e->term;
	s->index = e->index;
	s->type = e->type;
	s->data = data;
	s->len = e->len;
	c->n++;
	c->bytes += e->len;
	while (c->n && c->bytes > c->max_bytes)
		pop_front(c);
}

void rs_ecache_compact(struct rs_ecache *c, raft_index upto)
{
	while (c->n && slot(c, 0)->index <= upto)
		pop_front(c);
}
