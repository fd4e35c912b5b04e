/* The coordinator: the two entry points the daemon calls, tying the cluster
 * map, the operator controller, the replica checker and the scheduler
 * registry together in the right order.  Still pure (no I/O, no clock);
 * the daemon persists what the results say changed.
 *
 * Region heartbeat (per region, from its leader):
 *   coord_region_heartbeat -> apply to the map (stale: refused, no step)
 *   -> persist out.hb (sps_put_heartbeat) -> reply with out.step if out.send.
 * Tick (e.g. every 100 ms to 1 s):
 *   coord_tick -> persist the stores in tombstoned[] -> done; the new
 *   operators are already in the controller and go out with the next
 *   heartbeats of their regions. */
#ifndef TK_SCHEDULER_COORDINATOR_H
#define TK_SCHEDULER_COORDINATOR_H

#include "scheduler/cluster.h"
#include "scheduler/operator.h"
#include "scheduler/sched.h"

struct coord_hb_out {
	struct cluster_hb_result hb; /* what changed in the map (persist it) */
	bool send;                   /* reply with step */
	struct op_step step;
};

/* Apply a region heartbeat and find the step to send back; operators of
 * regions the heartbeat replaced are cancelled.  Errors are
 * those of cluster_region_heartbeat (TK_E_STALE_COMMAND: the region is
 * older than what we know; reply with no step). */
enum tk_err coord_region_heartbeat(struct cluster *c, struct opctl *oc, const struct region *r,
				   uint64_t now_ms, struct coord_hb_out *out, struct tk_errbuf *eb);

struct coord_tick_out {
	size_t ops_added;    /* new operators handed to the controller */
	size_t ops_timed_out;
	size_t tombstoned;   /* offline stores that became tombstones (persist them) */
	uint64_t tombstoned_ids[8]; /* the first few of them */
};

/* Periodic work, in order: time out operators; make drained offline stores
 * tombstones; run the replica checker over the next patrol batch (cursor
 * kept by the caller, an empty tk_buf to start); run the registry's
 * schedulers; add every operator produced to ctx->ops's controller `oc`
 * (ctx->ops must be oc).  Operators refused by the controller (the region
 * got one in the same tick) are dropped. */
void coord_tick(const struct sched_ctx *ctx, struct opctl *oc, struct cluster *c,
		const struct sched_registry *reg, struct tk_buf *patrol_cursor,
		struct coord_tick_out *out);

#endif
