#include "util/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct tk_arena_chunk {
	struct tk_arena_chunk *next;
	size_t used, size;
	alignas(max_align_t) unsigned char mem[];
};

enum { CHUNK_MIN = 4096 };

void tk_arena_init(struct tk_arena *a)
{
	a->head = NULL;
	a->total = 0;
}

void tk_arena_destroy(struct tk_arena *a)
{
	struct tk_arena_chunk *c = a->head;
	while (c) {
		struct tk_arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	tk_arena_init(a);
}

void tk_arena_reset(struct tk_arena *a)
{
	struct tk_arena_chunk *c = a->head;
	if (!c)
		return;
	/* keep the oldest chunk (the last in the list), free the rest */
	while (c->next) {
		struct tk_arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	c->used = 0;
	a->head = c;
	a->total = 0;
}

void *tk_arena_alloc(struct tk_arena *a, size_t n)
{
	size_t align = alignof(max_align_t);
	n = (n + align - 1) & ~(align - 1);
	if (n == 0)
		n = align;
	struct tk_arena_chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		size_t size = n > CHUNK_MIN ? n : CHUNK_MIN;
		if (c && c->size * 2 > size && c->size < (1u << 20))
			size = c->size * 2;
		struct tk_arena_chunk *nc = malloc(sizeof *nc + size);
		if (!nc)
			return NULL;
		nc->used = 0;
		nc->size = size;
		nc->next = c;
		a->head = c = nc;
	}
	void *p = c->mem + c->used;
	c->used += n;
	a->total += n;
	memset(p, 0, n);
	return p;
}

void *tk_arena_dup(struct tk_arena *a, const void *p, size_t n)
{
	void *d = tk_arena_alloc(a, n ? n : 1);
	if (d && n)
		memcpy(d, p, n);
	return d;
}
