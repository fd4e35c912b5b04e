/* The store's router and ready pass (see store.h). */
#include "raftstore/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "engine/raft_keys.h"
#include "util/clock.h"
#include "util/failpoint.h"

/* Log GC deletes per peer and pass: bounds one pass's batch when a large
 * range waits (after a restart, or a compaction forced by the size limit). */
#define RS_LOG_GC_MAX_DELETES 4096

enum tk_err store_add_peer(struct rs_store *s, struct rs_peer *p, struct tk_errbuf *eb)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct rs_peer **np = realloc(s->peers, cap * sizeof *np);
		struct raft_ready *nr = realloc(s->rds, cap * sizeof *nr);
		if (nr)
			s->rds = nr;
		size_t *ni = realloc(s->idx, cap * sizeof *ni);
		bool *ne = realloc(s->early, cap * sizeof *ne);
		if (np)
			s->peers = np;
		if (ni)
			s->idx = ni;
		if (ne)
			s->early = ne;
		if (!np || !nr || !ni || !ne)
			return tk_err_set(eb, TK_E_NOMEM, "router");
		s->cap = cap;
	}
	s->peers[s->n++] = p;
	return TK_OK;
}

/* A snapshot apply that a kill cut short is redone before the peer opens
 * (snap.h); a destruction cut short is finished (store_peers.c). */
static enum tk_err finish_applying(struct rs_store *s, struct eng *e, uint64_t rid,
                                   struct tk_slice val, struct tk_errbuf *eb)
{
	struct rs_region_state rs;
	rs_region_state_init(&rs);
	enum tk_err rc = rs_region_state_decode(val, &rs, eb);
	if (rc != TK_OK)
		tk_err_wrap(eb, rc, "region %llu", (unsigned long long)rid);
	else if (rs.state == RS_PEER_APPLYING)
		rc = rs_snap_finish_applying(e, &rs, eb);
	else if (rs.state == RS_PEER_TOMBSTONE)
		rc = store_open_tombstone(s, &rs, eb);
	if (rc == TK_OK && rs.state != RS_PEER_TOMBSTONE) {
		bool ours = false;
		for (uint32_t i = 0; i < rs.region.n_peers; i++)
			ours = ours || rs.region.peers[i].store_id == s->cfg.store_id;
		if (!ours)
			rc = store_open_removed(s, &rs, eb);
	}
	rs_region_state_destroy(&rs);
	return rc;
}

enum tk_err rs_store_open(const struct rs_store_config *cfg, struct rs_store **out,
                          struct tk_errbuf *eb)
{
	*out = NULL;
	struct rs_store *s = calloc(1, sizeof *s);
	if (!s)
		return tk_err_set(eb, TK_E_NOMEM, "store");
	s->cfg = *cfg;
	xfer_init(s);
	s->raft_b = eng_batch_new();
	s->apply_b = eng_batch_new();
	rs_apply_init(&s->ac, cfg->e, s->apply_b);
	enum tk_err rc = TK_OK;
	struct eng_key lo = eng_key_region_states_lo(), hi = eng_key_region_states_hi();
	struct eng_iter *it = eng_iter_new_keys(cfg->e, NULL, &lo, &hi);
	if (!it)
		rc = tk_err_set(eb, TK_E_NOMEM, "region scan");
	for (eng_iter_seek_first(it); rc == TK_OK && eng_iter_valid(it); eng_iter_next(it)) {
		uint64_t rid;
		if (!eng_key_region_state_parse(eng_iter_key(it), &rid)) {
			rc = tk_err_set(eb, TK_E_CORRUPTION, "bad region state key");
			break;
		}
		rc = finish_applying(s, cfg->e, rid, eng_iter_value(it), eb);
		if (rc != TK_OK)
			break;
		struct rs_peer *p;
		rc = rs_peer_open(cfg->e, rid, cfg->store_id, &cfg->peer, &p, eb);
		if (rc == TK_E_NOT_FOUND) { /* tombstone or not ours: skip */
			rc = TK_OK;
			continue;
		}
		if (rc == TK_OK && (rc = store_add_peer(s, p, eb)) != TK_OK)
			rs_peer_free(p);
		if (rc == TK_OK)
			rs_ps_set_snapshot_source(rs_peer_storage(p), xfer_generate, s);
	}
	if (it && rc == TK_OK)
		rc = eng_iter_status(it, eb);
	if (it)
		eng_iter_free(it);
	if (rc != TK_OK) {
		rs_store_free(s);
		return rc;
	}
	*out = s;
	return TK_OK;
}

void rs_store_free(struct rs_store *s)
{
	if (!s)
		return;
	xfer_free(s); /* engine snapshots first: the engine closes after */
	store_peers_free(s);
	for (size_t i = 0; i < s->n; i++)
		rs_peer_free(s->peers[i]);
	free(s->peers);
	free(s->rds);
	free(s->idx);
	free(s->early);
	free(s->env);
	rs_apply_destroy(&s->ac);
	eng_batch_free(s->raft_b);
	eng_batch_free(s->apply_b);
	free(s);
}

struct rs_peer *rs_store_peer(struct rs_store *s, uint64_t region_id)
{
	for (size_t i = 0; i < s->n; i++)
		if (rs_peer_region_id(s->peers[i]) == region_id)
			return s->peers[i];
	return NULL;
}

size_t rs_store_n_peers(const struct rs_store *s)
{
	return s->n;
}

void rs_store_tick(struct rs_store *s)
{
	for (size_t i = 0; i < s->n; i++)
		raft_tick(rs_peer_raft(s->peers[i]));
	xfer_tick(s);
}

enum tk_err rs_store_step(struct rs_store *s, const struct rs_envelope *env)
{
	if (env->type != RS_ENV_RAFT)
		return xfer_step(s, env);
	/* A snapshot's data comes in chunks; its raft message only last. */
	if (env->msg.type == RAFT_MSG_SNAPSHOT)
		return TK_E_BAD_REQUEST;
	return store_step_raft(s, env);
}

void rs_store_report_unreachable(struct rs_store *s, uint64_t to_store)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct rs_region *r = rs_peer_region(s->peers[i]);
		for (uint32_t k = 0; r && k < r->n_peers; k++)
			if (r->peers[k].store_id == to_store)
				raft_report_unreachable(rs_peer_raft(s->peers[i]), r->peers[k].id);
	}
}

enum tk_err rs_store_read(struct rs_store *s, uint64_t region_id, rs_read_cb cb, void *arg)
{
	struct rs_peer *p = rs_store_peer(s, region_id);
	return p ? rs_peer_read(p, cb, arg) : TK_E_REGION_NOT_FOUND;
}

enum tk_err rs_store_propose(struct rs_store *s, uint64_t region_id, const uint8_t *cmd, size_t len,
                             rs_proposal_cb cb, void *arg)
{
	struct rs_peer *p = rs_store_peer(s, region_id);
	if (!p) {
		cb(arg, TK_E_REGION_NOT_FOUND, NULL);
		return TK_E_REGION_NOT_FOUND;
	}
	return rs_peer_propose(p, cmd, len, cb, arg);
}

void store_address(struct rs_store *s, uint64_t region_id, uint64_t to_store,
                   struct rs_envelope *env)
{
	env->from_store = s->cfg.store_id;
	env->to_store = to_store;
	struct rs_peer *p = rs_store_peer(s, region_id);
	const struct rs_region *r = p ? rs_peer_region(p) : NULL;
	if (!r) /* uninitialized: no epoch, no range yet */
		return;
	env->epoch = r->epoch;
	env->start_key = tk_buf_slice(&r->start_key);
	env->end_key = tk_buf_slice(&r->end_key);
}

/* Step 3: every message of the pass, grouped by destination store (one send
 * per store).  Messages to a peer whose store is unknown are dropped (raft
 * retries). */
/* Which messages a send_all call sends. */
enum send_phase {
	SEND_EARLY, /* before the log write: the appends and heartbeats of leaders */
	SEND_REST,  /* after it: everything else */
};

/* A leader's appends and heartbeats may leave while its own entries of the
 * same ready are being written (Raft thesis 10.2.1; etcd's raft does the
 * same): it counts its own entries as soon as they are appended, but it
 * reads the followers' acknowledgements only after this pass, and so after
 * its write, so nothing is committed on its word before its disk has it.
 * Only when its term and vote are already on disk: a message of a term not
 * yet persisted could let a restarted node vote twice in that term.  The
 * followers' fsyncs then overlap the leader's. */
static bool sends_early(const struct raft_message *m)
{
	return m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT;
}

static enum tk_err send_all(struct rs_store *s, size_t nr, enum send_phase phase,
                            struct tk_errbuf *eb)
{
	size_t total = 0;
	for (size_t k = 0; k < nr; k++)
		total += s->rds[k].n_msgs;
	if (total == 0)
		return TK_OK;
	if (total > s->envcap) {
		struct rs_envelope *n = realloc(s->env, total * sizeof *n);
		if (!n)
			return tk_err_set(eb, TK_E_NOMEM, "send batch");
		s->env = n;
		s->envcap = total;
	}
	uint64_t *dest = calloc(total, sizeof *dest);
	if (!dest)
		return tk_err_set(eb, TK_E_NOMEM, "send batch");
	size_t m = 0;
	for (size_t k = 0; k < nr; k++) {
		struct rs_peer *p = s->peers[s->idx[k]];
		for (size_t j = 0; j < s->rds[k].n_msgs; j++) {
			const struct raft_message *msg = &s->rds[k].msgs[j];
			bool early = s->early[k] && sends_early(msg);
			if (early != (phase == SEND_EARLY))
				continue;
			if (msg->type == RAFT_MSG_SNAPSHOT) { /* streamed instead */
				xfer_start(s, p, msg, rs_peer_store_of(p, msg->to));
				continue;
			}
			dest[m] = rs_peer_store_of(p, msg->to);
			memset(&s->env[m], 0, sizeof s->env[m]);
			s->env[m].region_id = rs_peer_region_id(p);
			store_address(s, s->env[m].region_id, dest[m], &s->env[m]);
			s->env[m].msg = *msg;
			m++;
		}
	}
	/* Stable grouping: send each store's messages in their original order. */
	struct rs_envelope *grp = malloc(total * sizeof *grp);
	if (!grp) {
		free(dest);
		return tk_err_set(eb, TK_E_NOMEM, "send batch");
	}
	for (size_t a = 0; a < m; a++) {
		if (dest[a] == 0)
			continue;
		uint64_t to = dest[a];
		size_t g = 0;
		for (size_t b = a; b < m; b++)
			if (dest[b] == to) {
				grp[g++] = s->env[b];
				dest[b] = 0;
			}
		if (s->cfg.send)
			s->cfg.send(s->cfg.send_arg, to, grp, g);
	}
	free(grp);
	free(dest);
	return TK_OK;
}

enum tk_err rs_store_ready_pass(struct rs_store *s, size_t *n_ready, struct tk_errbuf *eb)
{
	size_t nr = 0, gc = 0;
	bool sync = false;
	enum tk_err rc = TK_OK;
	s->pass_no++;
	/* 1 and 2: every ready's log changes into one batch, with the deletes
	 * of log GC (compactions applied in earlier passes; bounded per peer
	 * and pass, no sync needed: a lost delete is found again at load). */
	for (size_t i = 0; i < s->n; i++) {
		struct raft_node *r = rs_peer_raft(s->peers[i]);
		rs_peer_flush_reads(s->peers[i]);
		if (rs_ps_gc_pending(rs_peer_storage(s->peers[i])))
			gc += rs_ps_gc_log(rs_peer_storage(s->peers[i]), s->raft_b,
			                   RS_LOG_GC_MAX_DELETES);
		if (!raft_has_ready(r))
			continue;
		raft_ready(r, &s->rds[nr]);
		s->idx[nr] = i;
		const struct raft_ready *rd = &s->rds[nr];
		s->early[nr] = raft_role(r) == RAFT_LEADER &&
		               (!rd->has_hard_state ||
		                rs_ps_term_vote_persisted(rs_peer_storage(s->peers[i]),
		                                          rd->hard_state.term, rd->hard_state.vote));
		sync = sync || s->rds[nr].must_sync;
		if (rc == TK_OK)
			rc = rs_peer_stage_log(s->peers[i], s->raft_b, &s->rds[nr], eb);
		nr++;
	}
	if (n_ready)
		*n_ready = nr;
	if (nr == 0 && gc == 0 && !xfer_has_work(s) && s->nans == 0) {
		if (store_has_removed(s)) /* marked by a tombstone answer */
			return store_destroy_removed(s, eb);
		return TK_OK;
	}
	s->st.passes += nr > 0;
	s->st.gc_deletes += gc;
	bool wrote_log = false;
	if (rc == TK_OK && nr > 0)
		rc = send_all(s, nr, SEND_EARLY, eb);
	if (rc == TK_OK && eng_batch_count(s->raft_b) > 0) {
		tk_failpoint("raft-before-log-write");
		sync = sync && !s->cfg.no_sync;
		uint64_t t0 = tk_mono_ns();
		rc = eng_write(s->cfg.e, s->raft_b, sync, eb);
		s->st.log_write_ns += tk_mono_ns() - t0;
		wrote_log = rc == TK_OK;
		s->st.log_writes++;
		s->st.syncs += sync;
	}
	eng_batch_clear(s->raft_b);
	for (size_t i = 0; i < s->n; i++) { /* the readies' and the GC's */
		struct rs_peer_storage *ps = rs_peer_storage(s->peers[i]);
		if (rc == TK_OK)
			rs_ps_persisted(ps);
		else
			rs_ps_discard_staged(ps);
	}
	/* Snapshots: their raft state, apply state and the region marked
	 * APPLYING are on disk now; write their data (snap.h). */
	for (size_t k = 0; rc == TK_OK && k < nr; k++) {
		struct rs_peer *p = s->peers[s->idx[k]];
		if (s->rds[k].snapshot && (rc = rs_peer_apply_snapshot_data(p, eb)) == TK_OK)
			s->st.snaps_applied++;
		xfer_ready_done(s, rs_peer_region_id(p), s->rds[k].snapshot != NULL);
	}
	/* Nothing may be sent or applied unless the log write succeeded; the
	 * readies are still advanced so the nodes stay consistent until the
	 * caller closes the store. */
	if (wrote_log) /* durable, not yet sent nor applied */
		tk_failpoint("raft-after-log-write");
	if (rc == TK_OK)
		rc = send_all(s, nr, SEND_REST, eb);
	if (rc == TK_OK) {
		xfer_send(s);
		store_send_answers(s);
	}
	xfer_release_unclaimed(s);
	/* 4: apply every peer's committed entries in one batch. */
	for (size_t k = 0; rc == TK_OK && k < nr; k++)
		rc = rs_peer_stage_apply(s->peers[s->idx[k]], &s->ac, &s->rds[k], eb);
	if (rc == TK_OK && eng_batch_count(s->apply_b) > 0) {
		uint64_t t0 = tk_mono_ns();
		rc = eng_write(s->cfg.e, s->apply_b, false, eb);
		s->st.apply_write_ns += tk_mono_ns() - t0;
		s->st.apply_writes++;
		if (rc == TK_OK)
			tk_failpoint("raft-after-apply-write"); /* applied, nobody told */
	}
	eng_batch_clear(s->apply_b);
	for (size_t k = 0; k < nr; k++) {
		struct rs_peer *p = s->peers[s->idx[k]];
		if (rc == TK_OK)
			rs_peer_applied(p, &s->rds[k], &s->ac); /* callbacks read outputs */
		else
			rs_ps_discard_staged(rs_peer_storage(p));
	}
	rs_apply_reset(&s->ac);
	for (size_t k = 0; rc == TK_OK && k < nr; k++)
		rs_peer_reads_done(s->peers[s->idx[k]], &s->rds[k]);
	/* 5, then the leaders' log GC proposals (not between ready and
	 * advance: raft refuses proposals there). */
	for (size_t k = 0; k < nr; k++)
		raft_advance(rs_peer_raft(s->peers[s->idx[k]]));
	for (size_t k = 0; rc == TK_OK && k < nr; k++)
		s->st.gc_proposals += rs_peer_maybe_compact(s->peers[s->idx[k]]);
	/* Peers that applied their own removal (or learnt it) go last: the
	 * router's indexes are not used after this. */
	if (rc == TK_OK && store_has_removed(s))
		rc = store_destroy_removed(s, eb);
	return rc;
}

void rs_store_get_stats(const struct rs_store *s, struct rs_store_stats *out)
{
	*out = s->st;
	out->snaps_sending = s->nout;
	out->snaps_receiving = 0;
	for (size_t i = 0; i < s->nin; i++)
		out->snaps_receiving += s->ins[i].active;
}
