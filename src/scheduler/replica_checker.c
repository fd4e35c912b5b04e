/* The replica checker: keeps every region at max-replicas healthy peers.
 * See sched.h for the policy; this file only decides, it never acts. */
#include <string.h>

#include "scheduler/sched_common.h"

/* Why a peer should go, from most to least urgent. */
enum peer_health {
	PEER_OK,
	PEER_OFFLINE, /* its store is draining */
	PEER_DOWN,    /* its store is down, or the leader reports it down long enough */
};

static enum peer_health peer_health(const struct sched_ctx *ctx, const struct region *r,
				    const struct region_peer *p)
{
	const struct store *s = sc_store(ctx, p->store_id);
	if (!s)
		return PEER_OK; /* unknown store: nothing known to act on */
	enum store_state st = sc_state(ctx, s);
	if (st == STORE_DOWN || st == STORE_TOMBSTONE)
		return PEER_DOWN;
	for (size_t i = 0; i < r->n_down; i++)
		if (r->down_peers[i].peer_id == p->id &&
		    r->down_peers[i].down_seconds * 1000 >= ctx->cfg->max_store_down_time_ms)
			return PEER_DOWN;
	if (st == STORE_OFFLINE)
		return PEER_OFFLINE;
	return PEER_OK;
}

/* Replace (or, when over-replicated, just remove) the peer on `store`. */
static bool replace_peer(const struct sched_ctx *ctx, const struct region *r, uint64_t store,
			 const char *why, struct operator *out)
{
	if (r->n_peers > ctx->cfg->max_replicas)
		return sc_build_remove(ctx, r, store, OP_KIND_REPLICA, why, out);
	const struct store *to = sc_best_target(ctx, r, 0);
	if (!to)
		return false;
	return sc_build_move(ctx, r, store, to->id, OP_KIND_REPLICA, why, out);
}

/* The peer to drop from an over-replicated region: unhealthy first, then
 * the store with the highest region score (ties: highest id). */
static const struct region_peer *worst_peer(const struct sched_ctx *ctx, const struct region *r)
{
	const struct region_peer *worst = NULL;
	int worst_rank = -1;
	uint64_t worst_score = 0;
	for (size_t i = 0; i < r->n_peers; i++) {
		const struct region_peer *p = &r->peers[i];
		const struct store *s = sc_store(ctx, p->store_id);
		int rank;
		if (!s)
			rank = 3;
		else if (sc_state(ctx, s) != STORE_UP)
			rank = 2;
		else if (region_peer_is_pending(r, p->id))
			rank = 1;
		else
			rank = 0;
		uint64_t score = s ? sched_region_score(s) : 0;
		if (rank > worst_rank || (rank == worst_rank && score > worst_score) ||
		    (rank == worst_rank && score == worst_score && p->store_id > worst->store_id)) {
			worst = p;
			worst_rank = rank;
			worst_score = score;
		}
	}
	return worst;
}

bool sched_check_replicas(const struct sched_ctx *ctx, const struct region *r,
			  struct operator *out)
{
	if (sc_busy_region(ctx, r) || !region_leader(r))
		return false;
	/* Down peers first: they cost availability now.  Then offline ones. */
	for (int want = PEER_DOWN; want >= PEER_OFFLINE; want--) {
		for (size_t i = 0; i < r->n_peers; i++) {
			if ((int)peer_health(ctx, r, &r->peers[i]) != want)
				continue;
			if (replace_peer(ctx, r, r->peers[i].store_id,
					 want == PEER_DOWN ? "replace-down" : "replace-offline",
					 out))
				return true;
		}
	}
	if (r->n_peers < ctx->cfg->max_replicas) {
		const struct store *to = sc_best_target(ctx, r, 0);
		uint64_t pid = ctx->alloc_peer_id ? ctx->alloc_peer_id(ctx->alloc_arg) : 0;
		if (!to || pid == 0)
			return false;
		op_init(out, r, OP_KIND_REPLICA, ctx->now_ms, ctx->cfg->region_op_timeout_ms,
			"add-replica");
		op_add_step(out, OP_STEP_ADD_PEER, to->id, pid);
		return true;
	}
	if (r->n_peers > ctx->cfg->max_replicas) {
		const struct region_peer *p = worst_peer(ctx, r);
		return p && sc_build_remove(ctx, r, p->store_id, OP_KIND_REPLICA,
					    "remove-extra", out);
	}
	return false;
}

size_t sched_patrol(const struct sched_ctx *ctx, struct tk_buf *cursor, struct operator *out,
		    size_t max_out)
{
	const struct rtree *t = cluster_regions(ctx->cluster);
	const struct opctl *oc = ctx->ops;
	size_t running = oc ? opctl_count(oc, OP_KIND_REPLICA) : 0;
	size_t limit = ctx->cfg->replica_schedule_limit;
	size_t budget = running >= limit ? 0 : limit - running;
	if (budget > max_out)
		budget = max_out;
	size_t n = 0;
	const struct region *r = rtree_find(t, tk_buf_slice(cursor));
	if (!r) {
		const struct region *first[1];
		r = rtree_scan(t, tk_buf_slice(cursor), 1, first) ? first[0] : NULL;
	}
	for (uint64_t visited = 0; r && visited < ctx->cfg->patrol_batch && n < budget;
	     visited++) {
		if (sched_check_replicas(ctx, r, &out[n]))
			n++;
		tk_buf_reset(cursor);
		if (r->end_len == 0) {
			r = NULL; /* wrapped: next patrol starts at the first region */
			break;
		}
		tk_buf_append(cursor, r->end_key, r->end_len);
		r = rtree_next(t, r);
	}
	if (!r)
		tk_buf_reset(cursor);
	return n;
}
