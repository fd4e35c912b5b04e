/* Schedulers: pure functions from a read-only view of the cluster to
 * operators.  They never change the cluster or the controller; the caller
 * (the daemon's periodic tick) adds what they return to the controller.
 *
 * Determinism: no clock and no randomness inside.  The view carries now_ms
 * and a `seed` that only rotates where in a store's region index sampling
 * starts (pass a counter); same inputs, same operators.
 *
 * Policies (all stores below are registered ones):
 *  - A target (store receiving a replica) is up (heartbeat recent, not
 *    offline), not busy, has at least low-space-ratio free, at most
 *    max-snapshot-count snapshots in flight and max-pending-peer-count
 *    pending peers, and does not already hold the region.  The best target
 *    has the lowest region score.
 *  - A store's region score is the sum of region_score_size of its regions
 *    (approximate size, at least 1 MiB each): size first, count as a floor.
 *  - Replica checker (per region): replace peers on down stores (silent for
 *    max-store-down-time, or reported down that long by the leader), then
 *    peers on offline stores, then add a peer when under-replicated, then
 *    remove the worst peer when over-replicated.  A leader being removed
 *    first hands leadership to the new or another peer.
 *  - balance-region: from the highest-score up store, move one healthy
 *    region (exactly max-replicas peers, none down or pending except its own
 *    pending peer, which makes it preferred) to the lowest-score target,
 *    only if the gap exceeds region-tolerance-ratio x mean score and the
 *    move cannot make the target's score exceed the source's
 *    (gap >= 2 x region size): no flapping.
 *  - balance-leader: move a leader from the store with most leaders (up or
 *    offline) to a follower's store with the fewest (up, not busy) when the
 *    gap exceeds leader-tolerance (and is at least 2).
 *  - Regions with a running operator, no known leader, or a stale view are
 *    skipped.
 *  - Operators in flight: both balance schedulers score stores as they will
 *    be once the running operators (ctx->ops) are done, counting the steps
 *    the heartbeats do not show yet, so a move still under way is not made
 *    again and the cluster converges without overshooting and moving load
 *    back (flapping). */
#ifndef TK_SCHEDULER_SCHED_H
#define TK_SCHEDULER_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scheduler/cluster.h"
#include "scheduler/operator.h"
#include "scheduler/sched_config.h"
#include "util/bytes.h"

struct sched_ctx {
	const struct cluster *cluster;
	const struct sched_config *cfg;
	const struct opctl *ops; /* may be NULL; regions with an operator are skipped */
	uint64_t now_ms;
	uint64_t seed; /* rotates sampling; any value */
	/* A fresh peer id for add-peer steps; 0 when none can be had now (the
	 * scheduler then produces nothing needing one). */
	uint64_t (*alloc_peer_id)(void *arg);
	void *alloc_arg;
};

/* Replica checker for one region.  Returns true and fills *out with an
 * OP_KIND_REPLICA operator when the region needs repair. */
bool sched_check_replicas(const struct sched_ctx *ctx, const struct region *r,
			  struct operator *out);

/* Run the replica checker over up to cfg->patrol_batch regions starting at
 * the key in *cursor (empty: the first region), advancing *cursor (wrapping
 * to empty after the last region).  Respects replica-schedule-limit against
 * the running replica operators.  Returns the number of operators written
 * (at most max_out).  O(batch x log n). */
size_t sched_patrol(const struct sched_ctx *ctx, struct tk_buf *cursor, struct operator *out,
		    size_t max_out);

/* One balance step each; return the number of operators written (0 or 1).
 * They do not check the schedule limits (sched_registry_run does). */
size_t sched_balance_leader(const struct sched_ctx *ctx, struct operator *out, size_t max_out);
size_t sched_balance_region(const struct sched_ctx *ctx, struct operator *out, size_t max_out);

/* Store scores and filters, exposed for the CLI and for tests. */
bool sched_store_can_receive(const struct sched_ctx *ctx, const struct store *s);
uint64_t sched_region_score(const struct store *s);

/* ---- Registry of named schedulers (`scheduler list|add|remove`) ---- */

#define SCHED_REGISTRY_MAX 8

typedef size_t (*sched_fn)(const struct sched_ctx *ctx, struct operator *out, size_t max_out);

struct sched_kind {
	const char *name;      /* "balance-leader" */
	sched_fn fn;
	enum op_kind op_kind;  /* the operators it makes, for the limit */
};

/* The schedulers that exist (what `scheduler add` accepts). */
const struct sched_kind *sched_kinds(size_t *n);

struct sched_registry {
	const struct sched_kind *active[SCHED_REGISTRY_MAX];
	size_t n;
};

/* Start with the default set: balance-leader and balance-region. */
void sched_registry_init_default(struct sched_registry *reg);
/* TK_E_NOT_FOUND for an unknown name, TK_E_BAD_REQUEST if already active. */
enum tk_err sched_registry_add(struct sched_registry *reg, const char *name, struct tk_errbuf *eb);
/* TK_E_NOT_FOUND when not active. */
enum tk_err sched_registry_remove(struct sched_registry *reg, const char *name,
				  struct tk_errbuf *eb);
bool sched_registry_has(const struct sched_registry *reg, const char *name);
/* Run every active scheduler whose kind is under its schedule limit in
 * ctx->cfg (counting ctx->ops); returns operators written to out. */
size_t sched_registry_run(const struct sched_registry *reg, const struct sched_ctx *ctx,
			  struct operator *out, size_t max_out);

#endif
