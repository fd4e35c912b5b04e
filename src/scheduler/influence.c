/* What running operators are about to change, per store.
 *
 * The store counters of the cluster map follow region heartbeats, so an
 * operator's effect shows only once the stores have carried it out and
 * reported it: a leader transfer takes a heartbeat or two, a replica move
 * a whole snapshot.  A balance scheduler that scored stores by the map
 * alone would see the same imbalance on every tick until then, pick the
 * same pair of stores again and again, overshoot and later move the load
 * back (leaders and regions flapping).  So the balance schedulers score
 * stores as they will be once the running operators are done: the map's
 * counters plus the steps of each running operator that the map does not
 * show yet.  (PD calls this operator influence.)
 *
 * A step counts when the stored region does not show it, whatever the
 * operator's current step says: that keeps the count right between a
 * heartbeat that changed the region and the controller noticing. */
#include <stdlib.h>

#include "scheduler/sched_common.h"

static struct sc_delta *delta_of(struct sc_influence *inf, uint64_t store_id)
{
	return u64map_get(&inf->by_store, store_id); /* NULL: not registered */
}

static void add_leader(struct sc_influence *inf, uint64_t store_id, int64_t d)
{
	struct sc_delta *x = delta_of(inf, store_id);
	if (x)
		x->leaders += d;
}

static void add_size(struct sc_influence *inf, uint64_t store_id, int64_t d)
{
	struct sc_delta *x = delta_of(inf, store_id);
	if (x)
		x->size += d;
}

/* The effect of op's steps not yet shown by r, step by step from r as it
 * is stored now. */
static void account(struct sc_influence *inf, const struct operator *op, const struct region *r)
{
	uint64_t leader = region_leader_store(r);
	int64_t size = (int64_t)region_score_size(r);
	for (size_t i = op->cur; i < op->n_steps; i++) {
		const struct op_step *s = &op->steps[i];
		const struct region_peer *p = region_store_peer(r, s->store_id);
		switch (s->kind) {
		case OP_STEP_ADD_PEER:
			if (!p)
				add_size(inf, s->store_id, size);
			break;
		case OP_STEP_REMOVE_PEER:
			if (p)
				add_size(inf, s->store_id, -size);
			if (leader == s->store_id) {
				/* not made by our schedulers (they hand the
				 * leadership over first); whoever gets it is
				 * unknown */
				add_leader(inf, leader, -1);
				leader = 0;
			}
			break;
		case OP_STEP_TRANSFER_LEADER:
			if (leader != s->store_id) {
				if (leader)
					add_leader(inf, leader, -1);
				add_leader(inf, s->store_id, 1);
				leader = s->store_id;
			}
			break;
		}
	}
}

bool sc_influence_init(struct sc_influence *inf, const struct sched_ctx *ctx)
{
	size_t ns = cluster_store_count(ctx->cluster);
	u64map_init(&inf->by_store, true);
	inf->v = calloc(ns ? ns : 1, sizeof(*inf->v));
	if (!inf->v)
		goto fail;
	for (size_t i = 0; i < ns; i++)
		if (!u64map_put(&inf->by_store, cluster_store_at(ctx->cluster, i)->id, &inf->v[i]))
			goto fail;
	size_t nops = ctx->ops ? opctl_total(ctx->ops) : 0;
	for (size_t i = 0; i < nops; i++) {
		const struct operator *op = opctl_at(ctx->ops, i);
		const struct region *r = cluster_region(ctx->cluster, op->region_id);
		if (r)
			account(inf, op, r);
	}
	return true;
fail:
	sc_influence_destroy(inf);
	return false;
}

void sc_influence_destroy(struct sc_influence *inf)
{
	u64map_destroy(&inf->by_store);
	free(inf->v);
	inf->v = NULL;
}

static uint64_t plus(uint64_t base, int64_t d)
{
	if (d >= 0)
		return base + (uint64_t)d;
	uint64_t less = 0 - (uint64_t)d;
	return less > base ? 0 : base - less;
}

uint64_t sc_leader_score(const struct sc_influence *inf, const struct store *s)
{
	const struct sc_delta *x = inf ? u64map_get(&inf->by_store, s->id) : NULL;
	return x ? plus(s->leader_count, x->leaders) : s->leader_count;
}

uint64_t sc_region_score(const struct sc_influence *inf, const struct store *s)
{
	const struct sc_delta *x = inf ? u64map_get(&inf->by_store, s->id) : NULL;
	return x ? plus(sched_region_score(s), x->size) : sched_region_score(s);
}
