/* The entry cache of a peer storage (internal to raftstore): copies of a
 * contiguous run of log entries [first, last], kept as the tail of the
 * persisted log so that replication and apply of recent entries never read
 * the engine.  Bounded in entries and data bytes; the oldest leave first.
 *
 * Invariant: when non-empty, entries are contiguous and end at the peer
 * storage's persisted last index (the peer storage puts entries only after
 * their batch was written, and truncates a replaced suffix). */
#ifndef TK_RAFTSTORE_ENTRY_CACHE_H
#define TK_RAFTSTORE_ENTRY_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "raft/raft.h"

struct rs_cent {
	raft_term term;
	raft_index index;
	uint8_t type;
	uint8_t *data; /* owned, NULL when len is 0 */
	size_t len;
};

struct rs_ecache {
	/* cap slots, grown by doubling up to max_entries: a store holds many
	 * regions, most of them idle with a short tail, so a region pays for
	 * the slots it uses, not for the bound. */
	struct rs_cent *ring;
	size_t cap, head, n;
	size_t max_entries;
	size_t bytes, max_bytes;
};

void rs_ecache_init(struct rs_ecache *c, size_t max_entries, size_t max_bytes);
void rs_ecache_destroy(struct rs_ecache *c);
void rs_ecache_clear(struct rs_ecache *c);
/* Put a copy of e as the new tail: entries at or after e->index leave first;
 * when e does not follow the remaining tail the cache restarts at e.  Out of
 * memory empties the cache (it is only a cache). */
void rs_ecache_put(struct rs_ecache *c, const struct raft_entry *e);
/* Drop entries with index <= upto. */
void rs_ecache_compact(struct rs_ecache *c, raft_index upto);
/* The cached entry at index i (borrowed until the next change), or NULL. */
const struct rs_cent *rs_ecache_get(const struct rs_ecache *c, raft_index i);
/* First cached index; 0 when empty. */
raft_index rs_ecache_first(const struct rs_ecache *c);

#endif
