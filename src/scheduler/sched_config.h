/* Scheduler configuration: one plain struct passed down (no globals), and a
 * table of named settings so `config show` / `config set NAME VALUE` in the
 * CLI and the daemon's config file go through one validated path.
 *
 * Value syntax by type: counts are decimal integers; durations take a unit
 * (ms, s, m, h; a bare number means seconds); sizes take a unit (B, KiB, MiB,
 * GiB; a bare number means bytes); ratios are decimals. */
#ifndef TK_SCHEDULER_SCHED_CONFIG_H
#define TK_SCHEDULER_SCHED_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/bytes.h"
#include "util/err.h"

struct sched_config {
	uint64_t max_replicas;              /* replicas per region (3) */
	uint64_t max_store_down_time_ms;    /* silent this long: down, peers replaced (30 min) */
	uint64_t store_disconnect_time_ms;  /* no heartbeat this long: disconnected (20 s) */
	uint64_t region_split_size;         /* bytes; stores split above it (96 MiB) */
	uint64_t region_split_keys;         /* keys; stores split above it (960000) */
	uint64_t leader_schedule_limit;     /* concurrent balance-leader operators (4) */
	uint64_t region_schedule_limit;     /* concurrent balance-region operators (4) */
	uint64_t replica_schedule_limit;    /* concurrent replica repair operators (8) */
	uint64_t leader_tolerance;          /* leader count gap left alone (1); moves need >= 2 */
	double region_tolerance_ratio;      /* score gap tolerated, relative to the mean (0.05) */
	double low_space_ratio;             /* never add replicas to a store with less free (0.2) */
	uint64_t leader_op_timeout_ms;      /* leader-only operator timeout (10 s) */
	uint64_t region_op_timeout_ms;      /* operator moving replicas timeout (10 min) */
	uint64_t max_snapshot_count;        /* stores busier with snapshots get no replicas (3) */
	uint64_t max_pending_peer_count;    /* stores with more pending peers get none (16) */
	uint64_t patrol_batch;              /* regions the replica checker visits per tick (1024) */
};

void sched_config_default(struct sched_config *c);

enum sched_config_type {
	SCFG_COUNT,
	SCFG_DURATION,
	SCFG_SIZE,
	SCFG_RATIO,
};

struct sched_config_setting {
	const char *name; /* "max-replicas" */
	enum sched_config_type type;
	size_t offset;    /* into struct sched_config */
	double min, max;  /* inclusive bounds (ms for durations) */
	const char *help;
};

/* The table, in display order; *n gets its length. */
const struct sched_config_setting *sched_config_settings(size_t *n);
/* The setting called name, or NULL. */
const struct sched_config_setting *sched_config_find(const char *name);

/* Append the value of the named setting to out in the syntax set accepts
 * ("30m", "96MiB", "3", "0.05").  TK_E_NOT_FOUND for an unknown name. */
enum tk_err sched_config_get(const struct sched_config *c, const char *name, struct tk_buf *out,
			     struct tk_errbuf *eb);
/* Parse and set; c is unchanged on error.  TK_E_NOT_FOUND for an unknown
 * name, TK_E_BAD_CONFIG for a malformed or out-of-range value. */
enum tk_err sched_config_set(struct sched_config *c, const char *name, const char *value,
			     struct tk_errbuf *eb);
/* "name = value\n" for every setting (for `config show`). */
enum tk_err sched_config_show(const struct sched_config *c, struct tk_buf *out,
			      struct tk_errbuf *eb);

#endif
