/* Operator steps from the scheduler (in region heartbeat replies) become
 * admin proposals on the region's leader (issue 9 item 3):
 *   add_peer        a ChangePeer (add voter) conf change through the log;
 *   remove_peer     a ChangePeer (remove voter);
 *   transfer_leader raft's leadership transfer (not a log entry, as in
 *                   TiKV: the leader sends TIMEOUT_NOW once the target has
 *                   its log).
 * The scheduler repeats a step in every reply until a later heartbeat shows
 * it done, so a step is idempotent here: one already done (the peer is
 * there / gone, the target leads) is skipped, and one whose conf change is
 * still in flight is not proposed twice (the raftstore refuses a second
 * conf change of a region while one is pending; that refusal is expected
 * and only counted).  Conf changes go one peer at a time. */
#include <string.h>

#include "store/store.h"
#include "util/log.h"

static bool has_peer(const struct rs_region *r, uint64_t peer_id, uint64_t store_id)
{
	for (uint32_t i = 0; i < r->n_peers; i++)
		if (r->peers[i].id == peer_id && (!store_id || r->peers[i].store_id == store_id))
			return true;
	return false;
}

static void on_conf_change(void *arg, enum tk_err rc, const struct rs_cmd_output *out)
{
	(void)out;
	struct store *s = arg;
	if (rc == TK_OK)
		s->hb.ops_done++;
	else
		s->hb.ops_failed++;
	/* the new membership: tell the scheduler at once */
	store_hb_poll(s);
}

void store_run_step(struct store *s, uint64_t region_id, const struct tkv_op_step *st)
{
	struct rs_store *rs = s->raft.rs;
	struct rs_peer *p = rs ? rs_store_peer(rs, region_id) : NULL;
	if (!p || raft_role(rs_peer_raft(p)) != RAFT_LEADER)
		return; /* only the leader acts; the scheduler asks it again */
	const struct rs_region *r = rs_peer_region(p);
	enum tk_err rc = TK_OK;
	switch (st->kind) {
	case TKV_STEP_ADD_PEER:
		if (has_peer(r, st->peer_id, st->store_id))
			return;
		rc = rs_store_change_peer(rs, region_id, 1, st->peer_id, st->store_id, on_conf_change, s);
		break;
	case TKV_STEP_REMOVE_PEER:
		if (!has_peer(r, st->peer_id, 0))
			return;
		rc = rs_store_change_peer(rs, region_id, 0, st->peer_id, st->store_id, on_conf_change, s);
		break;
	case TKV_STEP_TRANSFER_LEADER:
		if (st->peer_id == rs_peer_id(p) || !has_peer(r, st->peer_id, 0))
			return;
		rc = rs_store_transfer_leader(rs, region_id, st->peer_id);
		break;
	default:
		return;
	}
	if (rc == TK_OK) {
		s->hb.ops_started++;
		net_iteration_end(&s->net); /* the ready pass sends it */
	} else {
		s->hb.ops_refused++;
	}
}
