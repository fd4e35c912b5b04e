/* src/meta: the one definition of regions, peers and epochs, and the epoch
 * rules, for the scheduler, the store and the client alike.
 *
 * A region is a plain value struct: its range, epoch and peers, and what its
 * leader reports of it (leader, pending and down peers, approximate size).
 *
 * The same struct describes a heartbeat's input (pointers borrowed from the
 * decoded message) and a stored region (pointers into one allocation owned
 * by the region tree; see region_dup).  Keys are byte strings; an empty
 * end_key means +infinity, an empty start_key -infinity. */
#ifndef TK_META_REGION_H
#define TK_META_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/bytes.h"
#include "util/err.h"

struct region_epoch {
	uint64_t conf_ver; /* bumped by every membership change */
	uint64_t version;  /* bumped by every split or merge */
};

/* The epoch rule (DESIGN.md section 5): a view of a region whose epoch is
 * behind the current one in either part is stale: its range (version) or
 * its peers (conf_ver) may have changed since.  Requests routed with a
 * stale epoch get EPOCH_NOT_MATCH; stale heartbeats are refused. */
static inline bool region_epoch_is_stale(struct region_epoch have, struct region_epoch current)
{
	return have.version < current.version || have.conf_ver < current.conf_ver;
}

/* Most peers a region may have (a heartbeat with more is refused). */
#define REGION_MAX_PEERS 64

struct region_peer {
	uint64_t id;
	uint64_t store_id;
};

struct region_down_peer {
	uint64_t peer_id;
	uint64_t down_seconds; /* as reported by the leader */
};

struct region {
	uint64_t id;
	const uint8_t *start_key;
	size_t start_len;
	const uint8_t *end_key;
	size_t end_len; /* 0: +infinity */
	struct region_epoch epoch;
	const struct region_peer *peers;
	size_t n_peers;
	uint64_t leader_peer_id; /* 0: unknown */
	const uint64_t *pending_peer_ids;
	size_t n_pending;
	const struct region_down_peer *down_peers;
	size_t n_down;
	uint64_t approximate_size; /* bytes */
	uint64_t approximate_keys;
};

static inline struct tk_slice region_start(const struct region *r)
{
	return tk_slice_of(r->start_key, r->start_len);
}
static inline struct tk_slice region_end(const struct region *r)
{
	return tk_slice_of(r->end_key, r->end_len);
}

/* Whether key lies in [start, end). */
bool region_contains(const struct region *r, struct tk_slice key);
/* Whether [a.start, a.end) and [b.start, b.end) intersect. */
bool region_overlaps(const struct region *a, const struct region *b);

/* The peer on store_id, or NULL. */
const struct region_peer *region_store_peer(const struct region *r, uint64_t store_id);
const struct region_peer *region_peer_by_id(const struct region *r, uint64_t peer_id);
/* The leader peer, or NULL when unknown. */
const struct region_peer *region_leader(const struct region *r);
/* Store of the leader, 0 when unknown. */
uint64_t region_leader_store(const struct region *r);
bool region_peer_is_pending(const struct region *r, uint64_t peer_id);
bool region_peer_is_down(const struct region *r, uint64_t peer_id);
/* Whether the two describe the same range, epoch, peers and leader (the
 * fields worth persisting and routing on; sizes and pending/down sets are
 * not compared). */
bool region_meta_equal(const struct region *a, const struct region *b);

/* Check a heartbeat's region: nonzero id, start < end (or end +inf), at
 * most REGION_MAX_PEERS peers (and as many pending or down ones), peer
 * ids and stores nonzero and distinct, leader (if set) one of the peers,
 * pending/down ids among the peers.  TK_E_BAD_REQUEST with a message. */
enum tk_err region_validate(const struct region *r, struct tk_errbuf *eb);

/* A deep copy in one heap block placed `header` bytes after the block's
 * start (so the tree can put its links in front).  Returns the block, or
 * NULL on allocation failure; *out points at the copy inside it.  Free the
 * block with free(). */
void *region_dup(const struct region *r, size_t header, struct region **out);

#endif
