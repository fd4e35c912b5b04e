#include "scheduler/coordinator.h"

#include <string.h>

enum tk_err coord_region_heartbeat(struct cluster *c, struct opctl *oc, const struct region *r,
				   uint64_t now_ms, struct coord_hb_out *out, struct tk_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	enum tk_err err = cluster_region_heartbeat(c, r, now_ms, &out->hb, eb);
	if (err && err != TK_E_NOMEM)
		return err;
	/* Regions the heartbeat replaced (merged away, or a stale parent
	 * range) cannot finish their operators. */
	for (size_t i = 0; i < out->hb.n_removed; i++)
		opctl_cancel(oc, out->hb.removed_ids[i]);
	/* On NOMEM the map itself was updated (only a store index missed an
	 * entry): operators still progress; the error is reported. */
	if (out->hb.stored)
		out->send = opctl_region_heartbeat(oc, out->hb.stored, now_ms, &out->step);
	return err;
}

static void on_tombstone(void *arg, const struct store *s)
{
	struct coord_tick_out *out = arg;
	if (out->tombstoned < sizeof(out->tombstoned_ids) / sizeof(out->tombstoned_ids[0]))
		out->tombstoned_ids[out->tombstoned] = s->id;
	out->tombstoned++;
}

#define TICK_MAX_OPS 64

static size_t add_all(struct opctl *oc, const struct operator *ops, size_t n)
{
	size_t added = 0;
	struct tk_errbuf eb;
	for (size_t i = 0; i < n; i++)
		added += opctl_add(oc, &ops[i], &eb) == TK_OK;
	return added;
}

void coord_tick(const struct sched_ctx *ctx, struct opctl *oc, struct cluster *c,
		const struct sched_registry *reg, struct tk_buf *patrol_cursor,
		struct coord_tick_out *out)
{
	memset(out, 0, sizeof(*out));
	out->ops_timed_out = opctl_tick(oc, ctx->now_ms);
	cluster_tick(c, ctx->now_ms, on_tombstone, out);
	struct operator ops[TICK_MAX_OPS];
	size_t n = sched_patrol(ctx, patrol_cursor, ops, TICK_MAX_OPS);
	out->ops_added += add_all(oc, ops, n);
	n = sched_registry_run(reg, ctx, ops, TICK_MAX_OPS);
	out->ops_added += add_all(oc, ops, n);
}
