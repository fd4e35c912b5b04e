#include "scheduler/sched_common.h"

#include <stdio.h>
#include <stdlib.h>

const struct store *sc_store(const struct sched_ctx *ctx, uint64_t id)
{
	return cluster_store(ctx->cluster, id);
}

enum store_state sc_state(const struct sched_ctx *ctx, const struct store *s)
{
	return cluster_store_state(ctx->cluster, s, ctx->now_ms);
}

bool sc_busy_region(const struct sched_ctx *ctx, const struct region *r)
{
	return ctx->ops && opctl_get(ctx->ops, r->id) != NULL;
}

uint64_t sched_region_score(const struct store *s)
{
	return s->region_size;
}

bool sched_store_can_receive(const struct sched_ctx *ctx, const struct store *s)
{
	if (sc_state(ctx, s) != STORE_UP || s->stats.is_busy)
		return false;
	/* A new replica arrives by snapshot and starts out pending: a store
	 * already flooded with either would only fall further behind. */
	const struct store_stats *st = &s->stats;
	if (st->sending_snap_count + st->receiving_snap_count + st->applying_snap_count >
		    ctx->cfg->max_snapshot_count ||
	    s->pending_peer_count > ctx->cfg->max_pending_peer_count)
		return false;
	return s->stats.capacity == 0 || store_available_ratio(s) >= ctx->cfg->low_space_ratio;
}

/* Target order: lower score (sa for a, sb for b), then fewer regions,
 * then lower id.  <0 when a is the better target. */
static int target_order(uint64_t sa, const struct store *a, uint64_t sb, const struct store *b)
{
	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (a->region_count != b->region_count)
		return a->region_count < b->region_count ? -1 : 1;
	return a->id < b->id ? -1 : (a->id > b->id);
}

struct scored_target {
	const struct store *s;
	uint64_t score;
};

static int target_cmp(const void *a, const void *b)
{
	const struct scored_target *x = a, *y = b;
	return target_order(x->score, x->s, y->score, y->s);
}

size_t sc_sorted_targets(const struct sched_ctx *ctx, const struct sc_influence *inf,
			 const struct store ***out)
{
	size_t ns = cluster_store_count(ctx->cluster), n = 0;
	const struct store **v = calloc(ns ? ns : 1, sizeof(*v));
	struct scored_target *t = calloc(ns ? ns : 1, sizeof(*t));
	*out = v;
	if (!v || !t) {
		free(t);
		return 0;
	}
	for (size_t i = 0; i < ns; i++) {
		const struct store *s = cluster_store_at(ctx->cluster, i);
		if (sched_store_can_receive(ctx, s))
			t[n++] = (struct scored_target){s, sc_region_score(inf, s)};
	}
	qsort(t, n, sizeof(*t), target_cmp);
	for (size_t i = 0; i < n; i++)
		v[i] = t[i].s;
	free(t);
	return n;
}

const struct store *sc_best_target(const struct sched_ctx *ctx, const struct region *r,
				   uint64_t also_exclude)
{
	const struct store *best = NULL;
	size_t n = cluster_store_count(ctx->cluster);
	for (size_t i = 0; i < n; i++) {
		const struct store *s = cluster_store_at(ctx->cluster, i);
		if (s->id == also_exclude || region_store_peer(r, s->id))
			continue;
		if (!sched_store_can_receive(ctx, s))
			continue;
		if (!best || target_order(sched_region_score(s), s, sched_region_score(best),
					  best) < 0)
			best = s;
	}
	return best;
}

uint64_t sc_timeout(const struct sched_ctx *ctx, enum op_kind kind)
{
	return kind == OP_KIND_BALANCE_LEADER ? ctx->cfg->leader_op_timeout_ms
					      : ctx->cfg->region_op_timeout_ms;
}

bool sc_build_move(const struct sched_ctx *ctx, const struct region *r, uint64_t from,
		   uint64_t to, enum op_kind kind, const char *name, struct operator *out)
{
	const struct region_peer *victim = region_store_peer(r, from);
	uint64_t pid = ctx->alloc_peer_id ? ctx->alloc_peer_id(ctx->alloc_arg) : 0;
	if (!victim || pid == 0)
		return false;
	char desc[48];
	snprintf(desc, sizeof(desc), "%s %llu->%llu", name, (unsigned long long)from,
		 (unsigned long long)to);
	op_init(out, r, kind, ctx->now_ms, sc_timeout(ctx, kind), desc);
	op_add_step(out, OP_STEP_ADD_PEER, to, pid);
	if (region_leader_store(r) == from)
		op_add_step(out, OP_STEP_TRANSFER_LEADER, to, pid);
	op_add_step(out, OP_STEP_REMOVE_PEER, from, victim->id);
	return true;
}

bool sc_build_remove(const struct sched_ctx *ctx, const struct region *r, uint64_t store,
		     enum op_kind kind, const char *name, struct operator *out)
{
	const struct region_peer *victim = region_store_peer(r, store);
	if (!victim)
		return false;
	char desc[48];
	snprintf(desc, sizeof(desc), "%s remove %llu", name, (unsigned long long)store);
	op_init(out, r, kind, ctx->now_ms, sc_timeout(ctx, kind), desc);
	if (region_leader_store(r) == store) {
		/* Hand leadership to an up, caught-up follower first. */
		const struct region_peer *heir = NULL;
		for (size_t i = 0; i < r->n_peers && !heir; i++) {
			const struct region_peer *p = &r->peers[i];
			const struct store *s = sc_store(ctx, p->store_id);
			if (p->store_id == store || !s || sc_state(ctx, s) != STORE_UP ||
			    region_peer_is_pending(r, p->id) || region_peer_is_down(r, p->id))
				continue;
			heir = p;
		}
		if (!heir)
			return false;
		op_add_step(out, OP_STEP_TRANSFER_LEADER, heir->store_id, heir->id);
	}
	op_add_step(out, OP_STEP_REMOVE_PEER, store, victim->id);
	return true;
}
