/* Membership changes of a region (peer.h, "Membership"): proposing a
 * CHANGE_PEER as a raft conf change entry, applying it on every replica,
 * leadership transfers, and what a leader reports of its peers. */
#include "raftstore/peer_int.h"

#include <stdlib.h>
#include <string.h>

#include "raftstore/cmd.h"

static const struct region_peer *find_peer(const struct rs_region *r, uint64_t peer_id)
{
	for (uint32_t i = 0; r && i < r->n_peers; i++)
		if (r->peers[i].id == peer_id)
			return &r->peers[i];
	return NULL;
}

static const struct region_peer *find_store(const struct rs_region *r, uint64_t store_id)
{
	for (uint32_t i = 0; r && i < r->n_peers; i++)
		if (r->peers[i].store_id == store_id)
			return &r->peers[i];
	return NULL;
}

/* Whether change a may apply to region r (the same answer on every replica:
 * it depends on the log only).  TK_OK, TK_E_EPOCH_NOT_MATCH, or
 * TK_E_BAD_REQUEST with the reason. */
static enum tk_err check_change(const struct rs_region *r, const struct rs_admin *a,
                                bool check_epoch, struct tk_errbuf *eb)
{
	if (check_epoch &&
	    (a->epoch.conf_ver != r->epoch.conf_ver || a->epoch.version != r->epoch.version))
		return tk_err_set(
		    eb, TK_E_EPOCH_NOT_MATCH,
		    "region %llu: change peer at epoch %llu/%llu, region is at %llu/%llu",
		    (unsigned long long)r->id, (unsigned long long)a->epoch.conf_ver,
		    (unsigned long long)a->epoch.version, (unsigned long long)r->epoch.conf_ver,
		    (unsigned long long)r->epoch.version);
	if (a->change == RS_CHANGE_ADD_VOTER) {
		if (find_peer(r, a->peer_id) || find_store(r, a->store_id))
			return tk_err_set(
			    eb, TK_E_BAD_REQUEST,
			    "region %llu: peer %llu or store %llu is already a member",
			    (unsigned long long)r->id, (unsigned long long)a->peer_id,
			    (unsigned long long)a->store_id);
		if (r->n_peers >= RS_REGION_MAX_PEERS)
			return tk_err_set(eb, TK_E_BAD_REQUEST, "region %llu: %u peers already",
			                  (unsigned long long)r->id, r->n_peers);
		return TK_OK;
	}
	const struct region_peer *pr = find_peer(r, a->peer_id);
	if (!pr || pr->store_id != a->store_id)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "region %llu: no peer %llu on store %llu",
		                  (unsigned long long)r->id, (unsigned long long)a->peer_id,
		                  (unsigned long long)a->store_id);
	if (r->n_peers == 1)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "region %llu: its last peer cannot go",
		                  (unsigned long long)r->id);
	return TK_OK;
}

enum tk_err peer_apply_conf_change(struct rs_peer *p, struct rs_apply_ctx *ac,
                                   const struct raft_entry *e, enum tk_err *res,
                                   struct tk_errbuf *eb)
{
	struct raft_conf_change cc;
	struct rs_admin a;
	struct tk_errbuf aeb;
	/* A malformed entry is the same on every replica: nobody applies it. */
	*res = TK_E_CORRUPTION;
	if (raft_conf_change_decode(e->data, e->len, &cc) != TK_OK ||
	    rs_admin_decode(cc.context, cc.context_len, &a, &aeb) != TK_OK ||
	    a.type != RS_ADMIN_CHANGE_PEER || a.peer_id != cc.node ||
	    (cc.type == RAFT_CC_ADD_VOTER) != (a.change == RS_CHANGE_ADD_VOTER))
		return TK_OK;
	const struct rs_region_state *cur = peer_region_state(p);
	if (!cur) { /* no entry reaches a peer before its snapshot */
		*res = TK_E_REGION_NOT_FOUND;
		return TK_OK;
	}
	*res = check_change(&cur->region, &a, true, &aeb);
	if (*res != TK_OK)
		return TK_OK;
	struct rs_region_state n;
	rs_region_state_init(&n);
	enum tk_err rc = rs_region_state_copy(&n, cur);
	if (rc == TK_OK) {
		struct rs_region *r = &n.region;
		if (a.change == RS_CHANGE_ADD_VOTER) {
			r->peers[r->n_peers++] = (struct region_peer){a.peer_id, a.store_id};
		} else {
			uint32_t k = 0;
			for (uint32_t i = 0; i < r->n_peers; i++)
				if (r->peers[i].id != a.peer_id)
					r->peers[k++] = r->peers[i];
			r->n_peers = k;
		}
		r->epoch.conf_ver++;
		rc = rs_ps_set_region_state(p->ps, ac->b, &n, eb);
	} else {
		tk_err_set(eb, rc, "region %llu: conf change", (unsigned long long)p->region_id);
	}
	rs_region_state_destroy(&n);
	if (rc != TK_OK)
		return rc;
	/* The region state and raft's membership change together: both are
	 * what the apply batch leaves (the storage reports the voters from the
	 * region state at restart). */
	raft_apply_conf_change(p->r, &cc, NULL);
	if (a.change == RS_CHANGE_REMOVE_VOTER && a.peer_id == p->id)
		p->removed = true;
	*res = TK_OK;
	return TK_OK;
}

/* The other voter most likely to take over at once: the highest match. */
static raft_id transfer_target(struct rs_peer *p)
{
	struct raft_status st;
	raft_status(p->r, &st);
	raft_id best = 0;
	raft_index m = 0;
	for (size_t i = 0; i < st.n_progress; i++)
		if (st.progress[i].id != p->id && (best == 0 || st.progress[i].match > m)) {
			best = st.progress[i].id;
			m = st.progress[i].match;
		}
	return best;
}

enum tk_err rs_peer_change_peer(struct rs_peer *p, int add, uint64_t peer_id, uint64_t store_id,
                                rs_proposal_cb cb, void *arg)
{
	struct tk_errbuf eb;
	const struct rs_region *r = rs_peer_region(p);
	enum tk_err rc = TK_OK;
	struct rs_admin a = {.type = RS_ADMIN_CHANGE_PEER,
	                     .change = add ? RS_CHANGE_ADD_VOTER : RS_CHANGE_REMOVE_VOTER,
	                     .peer_id = peer_id,
	                     .store_id = store_id};
	if (raft_role(p->r) != RAFT_LEADER || !r)
		rc = TK_E_NOT_LEADER;
	else if (peer_id == 0 || store_id == 0)
		rc = TK_E_BAD_REQUEST;
	else
		rc = check_change(r, &a, false, &eb);
	if (rc == TK_OK && !add && peer_id == p->id) {
		/* The leader never removes itself (as PD does, leadership moves
		 * first): applying its own removal it would stop replicating
		 * before the others know the entry committed, and a two-peer
		 * region would be left with one voter that needs two votes. */
		raft_id t = transfer_target(p);
		if (t)
			(void)raft_transfer_leader(p->r, t);
		rc = TK_E_NOT_LEADER;
	}
	if (rc == TK_OK && !peer_reserve(p))
		rc = TK_E_NOMEM;
	struct tk_buf ctx;
	tk_buf_init(&ctx);
	if (rc == TK_OK) {
		a.epoch = r->epoch;
		if (!rs_admin_encode(&a, &ctx))
			rc = TK_E_NOMEM;
	}
	if (rc == TK_OK) {
		struct raft_conf_change cc = {
		    .type = add ? RAFT_CC_ADD_VOTER : RAFT_CC_REMOVE_VOTER,
		    .node = peer_id,
		    .context = ctx.data,
		    .context_len = ctx.len,
		};
		/* SERVER_IS_BUSY: another change of the region is proposed and
		 * not applied yet (one at a time, raft.h). */
		rc = raft_propose_conf_change(p->r, &cc);
	}
	tk_buf_destroy(&ctx);
	if (rc != TK_OK) {
		cb(arg, rc, NULL);
		return rc;
	}
	peer_push_proposal(p, raft_last_index(p->r), raft_current_term(p->r), cb, arg);
	return TK_OK;
}

enum tk_err rs_peer_transfer_leader(struct rs_peer *p, uint64_t peer_id)
{
	if (raft_role(p->r) != RAFT_LEADER)
		return TK_E_NOT_LEADER;
	if (peer_id == p->id)
		return TK_OK;
	if (!find_peer(rs_peer_region(p), peer_id))
		return TK_E_BAD_REQUEST;
	return raft_transfer_leader(p->r, peer_id);
}

size_t rs_peer_pending_peers(const struct rs_peer *p, uint64_t *out, size_t cap)
{
	if (raft_role(p->r) != RAFT_LEADER)
		return 0;
	struct raft_status st;
	raft_status(p->r, &st);
	raft_index first = rs_ps_first_index(p->ps);
	size_t n = 0;
	for (size_t i = 0; i < st.n_progress; i++) {
		const struct raft_progress_status *pr = &st.progress[i];
		if (pr->id == p->id)
			continue;
		/* Behind the log's start: it needs (or takes) a snapshot. */
		if ((pr->state == RAFT_PROGRESS_SNAPSHOT || pr->match + 1 < first) && n < cap)
			out[n++] = pr->id;
	}
	return n;
}

size_t rs_peer_down_peers(const struct rs_peer *p, uint64_t *out, size_t cap)
{
	if (raft_role(p->r) != RAFT_LEADER)
		return 0;
	struct raft_status st;
	raft_status(p->r, &st);
	size_t n = 0;
	for (size_t i = 0; i < st.n_progress; i++)
		if (st.progress[i].id != p->id && !st.progress[i].recent_active && n < cap)
			out[n++] = st.progress[i].id;
	return n;
}
