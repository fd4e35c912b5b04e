/* The cluster map: stores, their states, and the region map, kept up to date
 * by store and region heartbeats, with per-store region/leader counts and
 * size sums maintained incrementally (O(peers) per heartbeat, never a scan).
 *
 * Pure: no clock (now_ms is an argument), no I/O.  The daemon persists what
 * the results say changed (persist.h).  The config is borrowed: `config
 * set` takes effect on the next call.  Not thread safe. */
#ifndef TK_SCHEDULER_CLUSTER_H
#define TK_SCHEDULER_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meta/region.h"
#include "scheduler/region_tree.h"
#include "scheduler/sched_config.h"
#include "util/err.h"

/* Effective size of a region in balance scores: approximate_size, but at
 * least 1 MiB so that empty new regions still weigh something. */
static inline uint64_t region_score_size(const struct region *r)
{
	const uint64_t min = UINT64_C(1) << 20;
	return r->approximate_size > min ? r->approximate_size : min;
}

#define STORE_ADDRESS_MAX 256

/* What an administrator decided; persisted. */
enum store_admin {
	STORE_ADMIN_UP = 0,
	STORE_ADMIN_OFFLINE = 1,   /* draining: replicas move away */
	STORE_ADMIN_TOMBSTONE = 2, /* drained and gone for good */
};

/* The state derived from the admin state and heartbeat age. */
enum store_state {
	STORE_UP,
	STORE_DISCONNECTED, /* silent > store-disconnect-time: no new work */
	STORE_DOWN,         /* silent > max-store-down-time: replicas replaced */
	STORE_OFFLINE,
	STORE_TOMBSTONE,
};
const char *store_state_name(enum store_state s);

/* A store heartbeat's payload. */
struct store_stats {
	uint64_t store_id;
	uint64_t capacity;  /* bytes */
	uint64_t available; /* bytes */
	uint64_t used_size; /* bytes */
	uint64_t region_count; /* as reported by the store (informational) */
	uint64_t sending_snap_count, receiving_snap_count, applying_snap_count;
	bool is_busy;
};

/* A store as the scheduler knows it.  Read-only for callers. */
struct store {
	uint64_t id;
	char address[STORE_ADDRESS_MAX];
	enum store_admin admin;
	bool registered;            /* put by the store; false: only seen in regions */
	uint64_t created_ms;        /* registration time (age basis before a heartbeat) */
	uint64_t last_heartbeat_ms; /* 0: never */
	struct store_stats stats;   /* the last heartbeat */
	/* From region heartbeats (what the map says, not what the store says): */
	uint64_t region_count;       /* regions with a peer here */
	uint64_t leader_count;       /* regions led from here */
	uint64_t region_size;        /* sum of region_score_size over region_count */
	uint64_t leader_size;        /* same over leader_count */
	uint64_t pending_peer_count; /* peers here reported pending */
};

struct cluster;

/* cfg is borrowed and must outlive the cluster.  NULL on allocation failure. */
struct cluster *cluster_new(const struct sched_config *cfg);
void cluster_free(struct cluster *c);

/* Register a store or update its address (a store restarting).
 * TK_E_STORE_TOMBSTONE if the id is a tombstone, TK_E_BAD_REQUEST for id 0,
 * an empty or too long address, or an address used by another live store. */
enum tk_err cluster_put_store(struct cluster *c, uint64_t id, const char *address,
			      uint64_t now_ms, struct tk_errbuf *eb);
/* Restore a store from persisted metadata (no validation of liveness; the
 * heartbeat clock starts at now_ms). */
enum tk_err cluster_load_store(struct cluster *c, uint64_t id, const char *address,
			       enum store_admin admin, uint64_t now_ms, struct tk_errbuf *eb);
/* TK_E_NOT_FOUND for an unregistered store, TK_E_STORE_TOMBSTONE. */
enum tk_err cluster_store_heartbeat(struct cluster *c, const struct store_stats *st,
				    uint64_t now_ms, struct tk_errbuf *eb);
/* Admin "store offline ID": the replica checker then moves its replicas
 * away and cluster_tick makes it a tombstone once it holds none.
 * TK_E_NOT_FOUND, TK_E_STORE_TOMBSTONE. */
enum tk_err cluster_store_set_offline(struct cluster *c, uint64_t id, struct tk_errbuf *eb);
/* Cancel an offline (not possible once tombstone). */
enum tk_err cluster_store_set_up(struct cluster *c, uint64_t id, struct tk_errbuf *eb);

/* A registered store, or NULL. */
const struct store *cluster_store(const struct cluster *c, uint64_t id);
/* Registered stores, in registration order: i < cluster_store_count. */
size_t cluster_store_count(const struct cluster *c);
const struct store *cluster_store_at(const struct cluster *c, size_t i);
enum store_state cluster_store_state(const struct cluster *c, const struct store *s,
				     uint64_t now_ms);
/* Free space fraction from the last heartbeat (1.0 before any). */
double store_available_ratio(const struct store *s);

struct cluster_hb_result {
	const struct region *stored; /* the region as now stored */
	bool meta_changed; /* range, epoch, peers, leader changed: persist it */
	const uint64_t *removed_ids; /* other regions it replaced (delete them) */
	size_t n_removed;            /* valid until the next cluster call */
};

/* Apply a region heartbeat (see rtree_put for the epoch rules).  Errors:
 * TK_E_BAD_REQUEST, TK_E_STALE_COMMAND (map unchanged), TK_E_NOMEM. */
enum tk_err cluster_region_heartbeat(struct cluster *c, const struct region *r, uint64_t now_ms,
				     struct cluster_hb_result *res, struct tk_errbuf *eb);
/* Drop a region (e.g. an admin removing a tombstone region). */
bool cluster_remove_region(struct cluster *c, uint64_t region_id);
const struct rtree *cluster_regions(const struct cluster *c);
static inline const struct region *cluster_region(const struct cluster *c, uint64_t id)
{
	return rtree_get(cluster_regions(c), id);
}

/* Up to max distinct regions with a peer on store_id (leaders_only: led
 * from it), taken from the store's index starting at position `start` (any
 * value; callers rotate it to spread their choices).  O(max) amortized. */
size_t cluster_store_sample(const struct cluster *c, uint64_t store_id, bool leaders_only,
			    uint64_t start, size_t max, const struct region **out);

/* Called for each store whose admin state cluster_tick changed. */
typedef void (*cluster_store_fn)(void *arg, const struct store *s);
/* Periodic work: offline stores holding no replica become tombstones.
 * Returns how many changed. */
size_t cluster_tick(struct cluster *c, uint64_t now_ms, cluster_store_fn fn, void *arg);

/* Recount everything from the region map and compare with the incremental
 * counters.  For tests; false on mismatch. */
bool cluster_check_counts(const struct cluster *c);

#endif
