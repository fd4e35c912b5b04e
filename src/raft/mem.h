/* Internal memory helpers of the raft library: allocation that aborts on
 * failure, and reference-counted byte blocks that hold entry payloads so a
 * batch of entries costs one allocation instead of one per entry. */
#ifndef TK_RAFT_MEM_H
#define TK_RAFT_MEM_H

#include <stddef.h>
#include <stdint.h>

void *raft_xmalloc(size_t n);
void *raft_xcalloc(size_t n, size_t size);
void *raft_xrealloc(void *p, size_t n);
/* Grow *arr (of elem-size items, capacity *cap) to hold at least need items. */
void raft_grow(void **arr, size_t *cap, size_t need, size_t elem);

/* A block of payload bytes shared by many entries. */
struct raft_blk {
	size_t refs;
	size_t cap, used;
	uint8_t data[];
};

/* Appends payloads to the current tail block; a block is freed when the last
 * entry pointing into it is released. */
struct raft_blkpool {
	struct raft_blk *tail;
	size_t block_size;
};

void raft_blkpool_init(struct raft_blkpool *p, size_t block_size);
/* Forget the tail block (the entries keep their references). */
void raft_blkpool_destroy(struct raft_blkpool *p);
/* Copy len bytes into a block; returns the copy and its block (one reference
 * taken).  len 0 returns NULL and no block. */
const uint8_t *raft_blk_copy(struct raft_blkpool *p, const uint8_t *data, size_t len,
			     struct raft_blk **blk);
void raft_blk_release(struct raft_blkpool *p, struct raft_blk *b);

#endif
