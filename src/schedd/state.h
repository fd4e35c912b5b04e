/* tinykv-scheduler's state: the pure scheduler core (src/scheduler) bound to
 * its LevelDB and to the clocks.
 *
 * The core decides (scheduler/coordinator.h for heartbeats), and loads
 * and encodes the records (scheduler/persist_store.h); this layer writes
 * them when the core says something changed, and feeds it time:
 *  - ids and timestamps are served from windows persisted ahead with fsync
 *    before a value from them leaves (so a SIGKILL never repeats one);
 *  - cluster, store, config and scheduler records are written with fsync
 *    before the request is acknowledged;
 *  - region records are written when a heartbeat changes a region's range,
 *    epoch, peers or leader, without fsync: the write reaches the kernel
 *    before the reply, so it survives a crash of the process (a machine
 *    crash may lose the newest routing, which the next heartbeats restore).
 *
 * Time: the TSO runs on the wall clock (milliseconds since the epoch), the
 * cluster map and operators on a monotonic millisecond clock, both read
 * here (overridable for tests) and passed down to the core.
 *
 * Not thread safe: everything runs on the daemon's reactor. */
#ifndef TK_SCHEDD_STATE_H
#define TK_SCHEDD_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "scheduler/cluster.h"
#include "scheduler/id_alloc.h"
#include "scheduler/operator.h"
#include "scheduler/sched.h"
#include "scheduler/sched_config.h"
#include "scheduler/tso.h"
#include "util/bytes.h"
#include "util/err.h"

/* Most ids one alloc_id may ask for. */
#define SCHEDD_MAX_ID_COUNT 1000000u

struct schedd_stats {
	uint64_t region_heartbeats, store_heartbeats, stale_heartbeats;
	uint64_t ops_created, ops_finished, ops_timeout, ops_cancelled;
	uint64_t tso_persists, id_persists, region_writes;
	uint64_t ticks;
};

struct schedd {
	struct eng *eng; /* borrowed */
	uint64_t cluster_id;
	bool bootstrapped;
	struct sched_config cfg;
	struct cluster *cluster;
	struct opctl *ops;
	struct sched_registry reg;
	struct tso tso;
	struct idalloc ids;
	struct eng_batch *batch;
	struct tk_buf patrol_cursor;
	uint64_t seed;
	struct schedd_stats stats;
	/* clocks (tk_wall_ms and a monotonic ms clock unless a test sets them) */
	uint64_t (*wall_ms)(void *arg);
	uint64_t (*mono_ms)(void *arg);
	void *clock_arg;
	struct tk_errbuf alloc_err; /* why the last peer id allocation failed */
};

/* Load the scheduler's state from eng (or create a new cluster in it).
 * want_cluster_id: 0 = accept the recorded one (a new data dir then gets a
 * generated id); otherwise it must match (TK_E_CLUSTER_MISMATCH).
 * gen_cluster_id: the id to record for a new data dir when want is 0.
 * Clock hooks may be set in *d before the call (zero = the real clocks).
 * Errors: engine errors, TK_E_CORRUPTION for an undecodable record,
 * TK_E_CLUSTER_MISMATCH, TK_E_NOMEM.  On error, schedd_close cleans up. */
enum tk_err schedd_open(struct schedd *d, struct eng *eng, uint64_t want_cluster_id,
			uint64_t gen_cluster_id, struct tk_errbuf *eb);
void schedd_close(struct schedd *d);

uint64_t schedd_now_ms(struct schedd *d); /* monotonic */

/* Apply scheduler settings given at startup (flags, config file) over the
 * persisted ones, and persist the result.  TK_E_NOT_FOUND, TK_E_BAD_CONFIG. */
enum tk_err schedd_config_set(struct schedd *d, const char *name, const char *value,
			      struct tk_errbuf *eb);

/* ---- requests: each returns TK_OK or fills eb ---- */
enum tk_err schedd_check_cluster(const struct schedd *d, uint64_t cluster, struct tk_errbuf *eb);
enum tk_err schedd_alloc_ids(struct schedd *d, uint64_t count, uint64_t *first,
			     struct tk_errbuf *eb);
/* count (0: 1) consecutive timestamps from *first.  TK_OK with
 * *wait_until != 0 means none was served: the current millisecond is used
 * up (scheduler/tso.h), ask again once the wall clock (d->wall_ms) reads
 * *wait_until.  TK_E_BAD_REQUEST above TSO_MAX_COUNT (the message names
 * the limit), engine errors when the next window cannot be persisted. */
enum tk_err schedd_get_ts(struct schedd *d, uint64_t count, uint64_t *first, uint64_t *wait_until,
			  struct tk_errbuf *eb);
/* The first store and region (a peer of r must be on store_id). */
enum tk_err schedd_bootstrap(struct schedd *d, uint64_t store_id, const char *addr,
			     const struct region *r, struct tk_errbuf *eb);
enum tk_err schedd_put_store(struct schedd *d, uint64_t id, const char *addr,
			     struct tk_errbuf *eb);
enum tk_err schedd_store_heartbeat(struct schedd *d, const struct store_stats *st,
				   struct tk_errbuf *eb);
/* Apply a region heartbeat; *has_step says whether *step should go back to
 * the leader.  *stored (may be NULL) is the region as now stored. */
enum tk_err schedd_region_heartbeat(struct schedd *d, const struct region *r,
				    struct op_step *step, bool *has_step, struct tk_errbuf *eb);
/* New region id and one peer id per peer of r (ids written to peer_ids,
 * which has room for r->n_peers).  TK_E_REGION_NOT_FOUND for an unknown
 * region, TK_E_EPOCH_NOT_MATCH when r's epoch is older than the stored one. */
enum tk_err schedd_ask_split(struct schedd *d, const struct region *r, uint64_t *new_region,
			     uint64_t *peer_ids, struct tk_errbuf *eb);
enum tk_err schedd_store_offline(struct schedd *d, uint64_t id, bool cancel,
				 struct tk_errbuf *eb);
enum tk_err schedd_add_scheduler(struct schedd *d, const char *name, struct tk_errbuf *eb);
enum tk_err schedd_remove_scheduler(struct schedd *d, const char *name, struct tk_errbuf *eb);

/* Persist the next TSO window when the current one is running out, so
 * that get_ts rarely waits for a write (a fast timer of the daemon). */
void schedd_tso_ahead(struct schedd *d);
/* Periodic work (the daemon's schedule timer): store states, operator
 * timeouts, the replica patrol and the active schedulers.  Returns the
 * number of operators created. */
size_t schedd_tick(struct schedd *d);

#endif
