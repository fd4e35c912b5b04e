/* libtinykv's routing table: the regions a client has learnt (key range,
 * epoch, peers, the leader it believes in) and the client addresses of
 * stores.  Filled from the scheduler's routing answers and from the detail
 * of region errors; a plain data structure (no I/O), so the router
 * (route.c) decides when to ask and when to drop.
 *
 * Invariant: the cached regions never overlap.  Inserting a region drops
 * every cached region its range overlaps (the newer answer wins: a split
 * or merge makes the old ranges wrong).  Not installed. */
#ifndef TK_CLIENT_REGION_CACHE_H
#define TK_CLIENT_REGION_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tinykv.h"

/* A cached region: an owned copy, valid until the next change of the cache
 * (insert, drop). */
struct rc_region {
	uint64_t id;
	uint8_t *start, *end; /* NUL-terminated copies; length 0: -inf / +inf */
	size_t start_len, end_len;
	uint64_t conf_ver, version;
	struct tkv_peer *peers;
	size_t n_peers;
	uint64_t leader_peer; /* 0: unknown */
	unsigned next_try;    /* rotation over peers while the leader is unknown */
};

struct rc_cache;

struct rc_cache *rc_new(void);
void rc_free(struct rc_cache *c);

/* The region holding key, or NULL. */
struct rc_region *rc_find(struct rc_cache *c, const void *key, size_t key_len);
/* The region holding the keys just below key (end_is_inf: below +inf),
 * for reverse scans: its start < key <= its end.  NULL when not cached. */
struct rc_region *rc_find_before(struct rc_cache *c, const void *key, size_t key_len,
                                 bool end_is_inf);
struct rc_region *rc_by_id(struct rc_cache *c, uint64_t id);
/* Copy r in, with leader_peer (0: unknown), dropping the regions it
 * overlaps.  Returns the cached copy, NULL when out of memory (the cache
 * is then unchanged but for the dropped overlaps). */
struct rc_region *rc_insert(struct rc_cache *c, const struct tkv_region *r, uint64_t leader_peer);
void rc_drop(struct rc_cache *c, uint64_t region_id);
size_t rc_count(const struct rc_cache *c);

/* The peer of r on store_id, or NULL. */
const struct tkv_peer *rc_peer_on_store(const struct rc_region *r, uint64_t store_id);

/* Store addresses ("host:port"), by store id. */
const char *rc_store_addr(const struct rc_cache *c, uint64_t store_id);
bool rc_set_store_addr(struct rc_cache *c, uint64_t store_id, const char *addr);
void rc_forget_store(struct rc_cache *c, uint64_t store_id);

/* Whether key lies in [r->start, r->end). */
bool rc_contains(const struct rc_region *r, const void *key, size_t key_len);

#endif
