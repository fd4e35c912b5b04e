/* balance-leader and balance-region: see sched.h for the policies.  Both
 * score stores as they will be once the running operators are done
 * (influence.c), so a move still in flight is not made again. */
#include <stdio.h>
#include <stdlib.h>

#include "scheduler/sched_common.h"

#define SAMPLE 64 /* regions examined per source store per call */

struct scored {
	const struct store *s;
	uint64_t score;
};

static int by_score_desc(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return x->s->id < y->s->id ? -1 : (x->s->id > y->s->id);
}

/* The stores `keep` accepts with their scores, highest first, in a new
 * array (*out, free it; NULL on allocation failure).  Returns the count. */
static size_t scored_stores(const struct sched_ctx *ctx, const struct sc_influence *inf,
			    bool (*keep)(const struct sched_ctx *, const struct store *),
			    uint64_t (*score)(const struct sc_influence *, const struct store *),
			    struct scored **out)
{
	size_t ns = cluster_store_count(ctx->cluster), n = 0;
	struct scored *v = calloc(ns ? ns : 1, sizeof(*v));
	*out = v;
	if (!v)
		return 0;
	for (size_t i = 0; i < ns; i++) {
		const struct store *s = cluster_store_at(ctx->cluster, i);
		if (keep(ctx, s))
			v[n++] = (struct scored){s, score(inf, s)};
	}
	qsort(v, n, sizeof(*v), by_score_desc);
	return n;
}

/* ---- balance-region ---- */

static bool region_store_ok(const struct sched_ctx *ctx, const struct store *s)
{
	return sc_state(ctx, s) == STORE_UP;
}

/* How much we want to move region r off `source` (0: not a candidate). */
static int region_priority(const struct sched_ctx *ctx, const struct region *r, uint64_t source)
{
	if (sc_busy_region(ctx, r) || !region_leader(r) || r->n_down ||
	    r->n_peers != ctx->cfg->max_replicas)
		return 0;
	const struct region_peer *p = region_store_peer(r, source);
	if (!p)
		return 0;
	bool own_pending = region_peer_is_pending(r, p->id);
	if (r->n_pending > (own_pending ? 1u : 0u))
		return 0; /* another peer is catching up: do not add more work */
	if (own_pending)
		return 3; /* the lagging replica is the cheapest to move */
	return region_leader_store(r) == source ? 1 : 2;
}

size_t sched_balance_region(const struct sched_ctx *ctx, struct operator *out, size_t max_out)
{
	struct sc_influence inf;
	if (max_out == 0 || !sc_influence_init(&inf, ctx))
		return 0;
	struct scored *src;
	const struct store **tgt;
	size_t n_up = scored_stores(ctx, &inf, region_store_ok, sc_region_score, &src);
	size_t n_tgt = sc_sorted_targets(ctx, &inf, &tgt);
	uint64_t total = 0;
	for (size_t i = 0; i < n_up; i++)
		total += src[i].score;
	size_t made = 0;
	if (n_up < 2 || n_tgt == 0)
		goto out;
	double tolerance = ctx->cfg->region_tolerance_ratio * (double)total / (double)n_up;
	const struct region *cand[SAMPLE];
	for (size_t i = 0; i < n_up && !made; i++) {
		const struct store *source = src[i].s;
		uint64_t s_score = src[i].score;
		/* Sources come in falling score order: once even the best target
		 * is within tolerance of this one, it is of every later one. */
		uint64_t best = sc_region_score(&inf, tgt[0]);
		if (s_score <= best || (double)(s_score - best) <= tolerance)
			break;
		size_t nc = cluster_store_sample(ctx->cluster, source->id, false,
						 ctx->seed * 0x9e3779b97f4a7c15ULL, SAMPLE, cand);
		for (int prio = 3; prio >= 1 && !made; prio--) {
			for (size_t k = 0; k < nc && !made; k++) {
				const struct region *r = cand[k];
				if (region_priority(ctx, r, source->id) != prio)
					continue;
				/* The best target not already holding r: at most
				 * max-replicas + 1 steps down the sorted list. */
				const struct store *target = NULL;
				for (size_t j = 0; j < n_tgt && !target; j++)
					if (tgt[j] != source && !region_store_peer(r, tgt[j]->id))
						target = tgt[j];
				if (!target)
					continue;
				uint64_t t_score = sc_region_score(&inf, target);
				uint64_t size = region_score_size(r);
				if (s_score <= t_score)
					continue;
				uint64_t gap = s_score - t_score;
				if ((double)gap <= tolerance || gap < 2 * size)
					continue;
				if (sc_build_move(ctx, r, source->id, target->id,
						  OP_KIND_BALANCE_REGION, "balance-region", out))
					made = 1;
			}
		}
	}
out:
	free(src);
	free(tgt);
	sc_influence_destroy(&inf);
	return made;
}

/* ---- balance-leader ---- */

static bool leader_source_ok(const struct sched_ctx *ctx, const struct store *s)
{
	enum store_state st = sc_state(ctx, s);
	return st == STORE_UP || st == STORE_OFFLINE; /* offline stores still serve */
}

static bool leader_target_ok(const struct sched_ctx *ctx, const struct store *s)
{
	return sc_state(ctx, s) == STORE_UP && !s->stats.is_busy;
}

static bool leader_store_ok(const struct sched_ctx *ctx, const struct store *s)
{
	return leader_source_ok(ctx, s) || leader_target_ok(ctx, s);
}

static bool worth_moving(const struct sched_ctx *ctx, uint64_t from, uint64_t to)
{
	uint64_t tol = ctx->cfg->leader_tolerance < 1 ? 1 : ctx->cfg->leader_tolerance;
	return from > to && from - to > tol;
}

/* A follower of r that can take leadership: eligible, caught up, and the
 * fewest leaders.  NULL when none. */
static const struct store *leader_target(const struct sched_ctx *ctx,
					 const struct sc_influence *inf, const struct region *r)
{
	const struct store *best = NULL;
	uint64_t best_score = 0;
	for (size_t i = 0; i < r->n_peers; i++) {
		const struct region_peer *p = &r->peers[i];
		if (p->id == r->leader_peer_id || region_peer_is_pending(r, p->id) ||
		    region_peer_is_down(r, p->id))
			continue;
		const struct store *s = sc_store(ctx, p->store_id);
		if (!s || !leader_target_ok(ctx, s))
			continue;
		uint64_t ls = sc_leader_score(inf, s);
		if (!best || ls < best_score || (ls == best_score && s->id < best->id)) {
			best = s;
			best_score = ls;
		}
	}
	return best;
}

static void make_transfer(const struct sched_ctx *ctx, const struct region *r, uint64_t from,
			  const struct store *to, struct operator *out)
{
	char desc[48];
	snprintf(desc, sizeof(desc), "balance-leader %llu->%llu", (unsigned long long)from,
		 (unsigned long long)to->id);
	op_init(out, r, OP_KIND_BALANCE_LEADER, ctx->now_ms, ctx->cfg->leader_op_timeout_ms, desc);
	op_add_step(out, OP_STEP_TRANSFER_LEADER, to->id, region_store_peer(r, to->id)->id);
}

size_t sched_balance_leader(const struct sched_ctx *ctx, struct operator *out, size_t max_out)
{
	struct sc_influence inf;
	if (max_out == 0 || !sc_influence_init(&inf, ctx))
		return 0;
	struct scored *st;
	size_t n = scored_stores(ctx, &inf, leader_store_ok, sc_leader_score, &st);
	size_t made = 0;
	const struct region *cand[SAMPLE];
	uint64_t start = ctx->seed * 0x9e3779b97f4a7c15ULL;
	/* Pass 1: push a leader out of the most loaded sources. */
	for (size_t i = 0; i < n && !made; i++) {
		const struct store *source = st[i].s;
		if (!leader_source_ok(ctx, source))
			continue;
		size_t nc =
			cluster_store_sample(ctx->cluster, source->id, true, start, SAMPLE, cand);
		const struct region *best_r = NULL;
		const struct store *best_t = NULL;
		for (size_t k = 0; k < nc; k++) {
			if (sc_busy_region(ctx, cand[k]) ||
			    region_leader_store(cand[k]) != source->id)
				continue;
			const struct store *t = leader_target(ctx, &inf, cand[k]);
			if (t && (!best_t || sc_leader_score(&inf, t) < sc_leader_score(&inf, best_t))) {
				best_t = t;
				best_r = cand[k];
			}
		}
		if (best_t && worth_moving(ctx, st[i].score, sc_leader_score(&inf, best_t))) {
			make_transfer(ctx, best_r, source->id, best_t, out);
			made = 1;
		}
	}
	/* Pass 2: pull a leader into the least loaded targets, from whichever
	 * of their regions is led from a store with enough more leaders. */
	for (size_t i = n; i-- > 0 && !made;) {
		const struct store *target = st[i].s;
		if (!leader_target_ok(ctx, target))
			continue;
		size_t nc =
			cluster_store_sample(ctx->cluster, target->id, false, start, SAMPLE, cand);
		for (size_t k = 0; k < nc && !made; k++) {
			const struct region *r = cand[k];
			const struct region_peer *p = region_store_peer(r, target->id);
			uint64_t ls = region_leader_store(r);
			const struct store *source = ls ? sc_store(ctx, ls) : NULL;
			if (!source || ls == target->id || sc_busy_region(ctx, r) ||
			    !leader_source_ok(ctx, source) || region_peer_is_pending(r, p->id) ||
			    region_peer_is_down(r, p->id) ||
			    !worth_moving(ctx, sc_leader_score(&inf, source), st[i].score))
				continue;
			make_transfer(ctx, r, ls, target, out);
			made = 1;
		}
	}
	free(st);
	sc_influence_destroy(&inf);
	return made;
}
