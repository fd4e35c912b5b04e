/* Helpers shared by the schedulers (not part of the public API). */
#ifndef TK_SCHEDULER_SCHED_COMMON_H
#define TK_SCHEDULER_SCHED_COMMON_H

#include "scheduler/sched.h"
#include "scheduler/u64map.h"

/* Registered store by id, NULL for unknown ids. */
/* What the running operators of ctx->ops are about to change, per store
 * (influence.c says why the balance schedulers need it). */
struct sc_delta {
	int64_t leaders; /* leaders the store gains (negative: loses) */
	int64_t size;    /* region score it gains (region_score_size units) */
};
struct sc_influence {
	struct u64map by_store; /* registered store id -> struct sc_delta * */
	struct sc_delta *v;
};
/* O(stores + running operators).  false on allocation failure (nothing
 * to destroy then). */
bool sc_influence_init(struct sc_influence *inf, const struct sched_ctx *ctx);
void sc_influence_destroy(struct sc_influence *inf);
/* A store's leader count and region score once the running operators are
 * done (inf NULL: as the heartbeats reported them). */
uint64_t sc_leader_score(const struct sc_influence *inf, const struct store *s);
uint64_t sc_region_score(const struct sc_influence *inf, const struct store *s);

const struct store *sc_store(const struct sched_ctx *ctx, uint64_t id);
enum store_state sc_state(const struct sched_ctx *ctx, const struct store *s);
/* Whether the region has a running operator. */
bool sc_busy_region(const struct sched_ctx *ctx, const struct region *r);
/* The lowest-score store that can receive a replica of r, skipping store
 * `also_exclude` (0: none).  NULL when none. */
const struct store *sc_best_target(const struct sched_ctx *ctx, const struct region *r,
				   uint64_t also_exclude);
/* Every store that can receive a replica, best target first (lowest
 * score as sc_region_score(inf) gives it, then fewest regions, then lowest
 * id), in a new array (*out; free it; NULL on allocation failure).
 * Returns the count. */
size_t sc_sorted_targets(const struct sched_ctx *ctx, const struct sc_influence *inf,
			 const struct store ***out);
/* Operator moving r's peer on `from` to store `to`: add a peer on `to`
 * (fresh id), hand leadership to it when `from` leads, remove `from`.
 * false when no peer id is available. */
bool sc_build_move(const struct sched_ctx *ctx, const struct region *r, uint64_t from,
		   uint64_t to, enum op_kind kind, const char *name, struct operator *out);
/* Operator removing r's peer on `store`; when it leads, leadership first
 * goes to the healthiest other peer.  false when no other peer can lead. */
bool sc_build_remove(const struct sched_ctx *ctx, const struct region *r, uint64_t store,
		     enum op_kind kind, const char *name, struct operator *out);
uint64_t sc_timeout(const struct sched_ctx *ctx, enum op_kind kind);

#endif
