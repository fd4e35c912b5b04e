#include "raft/mem.h"

#include <stdlib.h>
#include <string.h>

#include "raft/raft.h"

void *raft_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort(); /* see raft.h: no half-applied consensus state */
	return p;
}

void *raft_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		abort();
	return p;
}

void *raft_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		abort();
	return q;
}

void raft_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return;
	size_t c = *cap ? *cap : 8;
	while (c < need)
		c *= 2;
	*arr = raft_xrealloc(*arr, c * elem);
	*cap = c;
}

void raft_blkpool_init(struct raft_blkpool *p, size_t block_size)
{
	p->tail = NULL;
	p->block_size = block_size;
}

void raft_blkpool_destroy(struct raft_blkpool *p)
{
	struct raft_blk *b = p->tail;
	p->tail = NULL;
	/* The pool holds one reference on its tail so that it is not freed while
	 * more payloads may still be appended to it. */
	if (b && --b->refs == 0)
		free(b);
}

const uint8_t *raft_blk_copy(struct raft_blkpool *p, const uint8_t *data, size_t len,
			     struct raft_blk **blk)
{
	if (len == 0) {
		*blk = NULL;
		return NULL;
	}
	struct raft_blk *b = p->tail;
	if (!b || b->cap - b->used < len) {
		if (len >= p->block_size / 4) {
			/* Big payloads get their own block so that they do not
			 * waste the rest of a shared one. */
			b = raft_xmalloc(sizeof(*b) + len);
			b->refs = 0;
			b->cap = len;
			b->used = 0;
		} else {
			raft_blkpool_destroy(p);
			b = raft_xmalloc(sizeof(*b) + p->block_size);
			b->refs = 1; /* the pool's own reference */
			b->cap = p->block_size;
			b->used = 0;
			p->tail = b;
		}
	}
	uint8_t *dst = b->data + b->used;
	memcpy(dst, data, len);
	b->used += len;
	b->refs++;
	*blk = b;
	return dst;
}

void raft_blk_release(struct raft_blkpool *p, struct raft_blk *b)
{
	(void)p;
	if (b && --b->refs == 0)
		free(b);
}

void raft_entbuf_init(struct raft_entbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void raft_entbuf_reset(struct raft_entbuf *b)
{
	b->n = 0;
	b->blen = 0;
	b->bytes = 0;
}

void raft_entbuf_destroy(struct raft_entbuf *b)
{
	free(b->ents);
	free(b->offs);
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

void raft_entbuf_push(struct raft_entbuf *b, raft_term term, raft_index index, uint8_t type,
		      const uint8_t *data, size_t len)
{
	if (b->n == b->cap) {
		size_t c = b->cap;
		raft_grow((void **)&b->ents, &b->cap, b->n + 1, sizeof(*b->ents));
		raft_grow((void **)&b->offs, &c, b->n + 1, sizeof(*b->offs));
	}
	if (b->blen + len > b->bcap) {
		uint8_t *old = b->buf;
		raft_grow((void **)&b->buf, &b->bcap, b->blen + len, 1);
		if (b->buf != old)
			for (size_t i = 0; i < b->n; i++)
				if (b->ents[i].len)
					b->ents[i].data = b->buf + b->offs[i];
	}
	struct raft_entry *e = &b->ents[b->n];
	e->term = term;
	e->index = index;
	e->type = type;
	e->len = len;
	b->offs[b->n] = b->blen;
	if (len) {
		memcpy(b->buf + b->blen, data, len);
		e->data = b->buf + b->blen;
	} else {
		e->data = NULL;
	}
	b->blen += len;
	b->bytes += len;
	b->n++;
}
