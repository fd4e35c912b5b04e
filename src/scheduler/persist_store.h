/* Loading and saving the scheduler's metadata through the storage engine
 * (its own LevelDB, META column, keys and formats of persist.h).
 *
 * Saving is batch building: the daemon adds the records a heartbeat or an
 * admin command changed to one eng_batch and writes it (sync) before it
 * answers.  The TSO and id windows must be durable before use, so they have
 * synchronous helpers.  Lives in its own library (libtkschedstore.la) so the
 * pure core does not link LevelDB. */
#ifndef TK_SCHEDULER_PERSIST_STORE_H
#define TK_SCHEDULER_PERSIST_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "scheduler/cluster.h"
#include "scheduler/persist.h"
#include "scheduler/sched.h"
#include "scheduler/sched_config.h"
#include "util/err.h"

struct sps_loaded {
	bool have_cluster; /* a cluster record exists */
	uint64_t cluster_id;
	bool bootstrapped;
	uint64_t tso_limit;   /* 0 when never persisted */
	uint64_t id_limit;    /* 0 when never persisted */
	uint64_t max_id_seen; /* highest store, region or peer id loaded */
	size_t n_stores, n_regions;
	size_t n_stale_regions; /* records superseded by an overlapping newer one */
};

/* Load everything into an empty cluster, the config and the registry (both
 * keep their values when no record exists).  Region records that overlap a
 * newer region are skipped and counted (a crash between a heartbeat's write
 * and its delete of replaced regions cannot leave the map inconsistent).
 * Errors: TK_E_CORRUPTION for an undecodable record (with its key), engine
 * errors as returned by the engine. */
enum tk_err sps_load(struct eng *e, struct cluster *c, struct sched_config *cfg,
		     struct sched_registry *reg, uint64_t now_ms, struct sps_loaded *out,
		     struct tk_errbuf *eb);

/* Batch builders (no I/O).  false on allocation failure. */
bool sps_put_store(struct eng_batch *b, const struct store *s);
bool sps_put_region(struct eng_batch *b, const struct region *r);
bool sps_delete_region(struct eng_batch *b, uint64_t region_id);
bool sps_put_cluster(struct eng_batch *b, uint64_t cluster_id, bool bootstrapped);
bool sps_put_tso_limit(struct eng_batch *b, uint64_t limit_ms);
bool sps_put_id_limit(struct eng_batch *b, uint64_t limit);
bool sps_put_config(struct eng_batch *b, const struct sched_config *cfg);
bool sps_put_schedulers(struct eng_batch *b, const struct sched_registry *reg);

/* Add a region heartbeat's changes: the stored region (when its metadata
 * changed) and deletes of the regions it replaced. */
bool sps_put_heartbeat(struct eng_batch *b, const struct cluster_hb_result *res);

/* Write the TSO / id window limit synchronously (fsync) before serving from
 * it.  Engine errors as returned. */
enum tk_err sps_save_tso_limit(struct eng *e, uint64_t limit_ms, struct tk_errbuf *eb);
enum tk_err sps_save_id_limit(struct eng *e, uint64_t limit, struct tk_errbuf *eb);

#endif
