/* The table of requests in flight on one connection, keyed by request id.
 *
 * Replies may come back in any order, so lookup is by id through an
 * open-addressing hash table (linear probing, deletion by backward shift, no
 * tombstones), sized by the number of requests in flight rather than by the
 * spread of their ids: one slow request does not make the table grow while
 * thousands of others complete.  Entries are stored by value, so queueing a
 * request allocates nothing once the table has reached its working size. */
#ifndef TK_CLIENT_PENDING_H
#define TK_CLIENT_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tinykv.h"

struct tkv_pending {
	uint64_t id;        /* 0 marks a free slot; request ids start at 1 */
	tkv_async_cb cb;
	void *arg;
	uint64_t deadline_ms; /* monotonic; 0 = no timeout */
	uint32_t timeout_ms;  /* for the TK_E_TIMEOUT message */
	uint8_t type;       /* enum tk_msg_type of the request */
	uint8_t flags;      /* TKV_PF_* */
};
#define TKV_PF_KEYS_ONLY 1u

struct tkv_ptable {
	struct tkv_pending *slots;
	size_t cap; /* power of two, or 0 before the first insert */
	size_t n;
};

void tkv_ptable_init(struct tkv_ptable *t);
void tkv_ptable_destroy(struct tkv_ptable *t);
/* Insert a copy of *p (p->id != 0 and not already present).  Returns false
 * only when growing the table fails (out of memory). */
bool tkv_ptable_insert(struct tkv_ptable *t, const struct tkv_pending *p);
/* Remove the entry with this id into *out; false when there is none. */
bool tkv_ptable_take(struct tkv_ptable *t, uint64_t id, struct tkv_pending *out);
/* Is there an entry with this id? */
bool tkv_ptable_has(const struct tkv_ptable *t, uint64_t id);

#endif
