/* A region's peer: raft node, storage and pending proposals (see peer.h). */
#include "raftstore/peer_int.h"

#include <stdlib.h>
#include <string.h>

#include "raftstore/cmd.h"
#include "raftstore/snap.h"

void rs_peer_options_default(struct rs_peer_options *o)
{
	memset(o, 0, sizeof *o);
	o->election_ticks = 10;
	o->heartbeat_ticks = 2;
	o->seed = 1;
	o->log_gc_threshold = 50;
	o->log_gc_count_limit = 1000;
	o->log_gc_size_limit = 8u << 20;
}

/* The raft node of p (p->id set) over its storage. */
static enum tk_err start_raft(struct rs_peer *p, const struct rs_peer_options *o,
                              struct tk_errbuf *eb)
{
	struct rs_apply_state a;
	rs_ps_apply_state(p->ps, &a);
	struct raft_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.id = p->id;
	cfg.election_ticks = o->election_ticks;
	cfg.heartbeat_ticks = o->heartbeat_ticks;
	cfg.max_inflight = 256;
	cfg.max_msg_bytes = 1 << 20;
	cfg.check_quorum = true;
	cfg.pre_vote = true;
	/* Resume apply exactly where the last apply write left it. */
	cfg.applied = a.applied;
	cfg.storage = rs_ps_storage(p->ps);
	cfg.seed = o->seed * 1000003u + p->id;
	enum tk_err rc = raft_node_new(&cfg, &p->r);
	if (rc != TK_OK)
		return tk_err_set(eb, rc, "region %llu: raft config refused",
		                  (unsigned long long)p->region_id);
	return TK_OK;
}

static struct rs_peer *peer_alloc(struct eng *e, uint64_t region_id, uint64_t store_id,
                                  const struct rs_peer_options *o)
{
	struct rs_peer *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->region_id = region_id;
	p->store_id = store_id;
	p->e = e;
	p->opt = *o;
	rs_rq_init(&p->rq);
	rs_region_state_init(&p->snap_rs);
	return p;
}

static void peer_unwind(struct rs_peer *p)
{
	rs_rq_destroy(&p->rq);
	rs_region_state_destroy(&p->snap_rs);
	rs_ps_free(p->ps);
	free(p);
}

enum tk_err rs_peer_open(struct eng *e, uint64_t region_id, uint64_t store_id,
                         const struct rs_peer_options *o, struct rs_peer **out,
                         struct tk_errbuf *eb)
{
	*out = NULL;
	struct rs_peer *p = peer_alloc(e, region_id, store_id, o);
	if (!p)
		return tk_err_set(eb, TK_E_NOMEM, "peer");
	enum tk_err rc = rs_ps_open(e, region_id, NULL, &p->ps, eb);
	if (rc != TK_OK) {
		p->ps = NULL;
		peer_unwind(p);
		return rc;
	}
	const struct rs_region_state *rs = rs_ps_region_state(p->ps);
	if (rs && rs->state == RS_PEER_NORMAL)
		for (uint32_t i = 0; i < rs->region.n_peers; i++)
			if (rs->region.peers[i].store_id == store_id)
				p->id = rs->region.peers[i].id;
	if (!p->id) {
		peer_unwind(p);
		return tk_err_set(eb, TK_E_NOT_FOUND, "region %llu has no live peer on store %llu",
		                  (unsigned long long)region_id, (unsigned long long)store_id);
	}
	if ((rc = start_raft(p, o, eb)) != TK_OK) {
		peer_unwind(p);
		return rc;
	}
	*out = p;
	return TK_OK;
}

enum tk_err rs_peer_create(struct eng *e, uint64_t region_id, uint64_t store_id, raft_id peer_id,
                           const struct rs_peer_options *o, struct rs_peer **out,
                           struct tk_errbuf *eb)
{
	*out = NULL;
	struct rs_peer *p = peer_alloc(e, region_id, store_id, o);
	if (!p)
		return tk_err_set(eb, TK_E_NOMEM, "peer");
	p->id = peer_id;
	enum tk_err rc = rs_ps_open(e, region_id, NULL, &p->ps, eb);
	if (rc != TK_OK) {
		p->ps = NULL;
		peer_unwind(p);
		return rc;
	}
	const struct rs_region_state *rs = rs_ps_region_state(p->ps);
	if (rs && rs->state != RS_PEER_TOMBSTONE) {
		peer_unwind(p);
		return tk_err_set(eb, TK_E_BAD_REQUEST, "region %llu is already initialized here",
		                  (unsigned long long)region_id);
	}
	if ((rc = start_raft(p, o, eb)) != TK_OK) {
		peer_unwind(p);
		return rc;
	}
	*out = p;
	return TK_OK;
}

static void fire_head(struct rs_peer *p, enum tk_err rc, const struct rs_cmd_output *out)
{
	struct proposal pr = p->props[p->head++];
	p->np--;
	if (p->np == 0)
		p->head = 0;
	pr.cb(pr.arg, rc, out);
}

void rs_peer_free(struct rs_peer *p)
{
	if (!p)
		return;
	while (p->np)
		fire_head(p, TK_E_SHUTTING_DOWN, NULL);
	rs_rq_destroy(&p->rq);
	raft_node_free(p->r);
	rs_ps_free(p->ps);
	rs_region_state_destroy(&p->snap_rs);
	free(p->props);
	free(p->results);
	free(p->out_start);
	free(p);
}

uint64_t rs_peer_region_id(const struct rs_peer *p)
{
	return p->region_id;
}
raft_id rs_peer_id(const struct rs_peer *p)
{
	return p->id;
}
struct raft_node *rs_peer_raft(struct rs_peer *p)
{
	return p->r;
}
struct rs_peer_storage *rs_peer_storage(struct rs_peer *p)
{
	return p->ps;
}
size_t rs_peer_pending(const struct rs_peer *p)
{
	return p->np;
}

uint64_t rs_peer_store_of(const struct rs_peer *p, raft_id peer_id)
{
	const struct rs_region_state *rs = rs_ps_region_state(p->ps);
	for (uint32_t i = 0; rs && rs->state != RS_PEER_TOMBSTONE && i < rs->region.n_peers; i++)
		if (rs->region.peers[i].id == peer_id)
			return rs->region.peers[i].store_id;
	for (size_t i = 0; i < p->ncache; i++)
		if (p->cache[i].id == peer_id)
			return p->cache[i].store_id;
	return 0;
}

void rs_peer_learn_store(struct rs_peer *p, raft_id peer_id, uint64_t store_id)
{
	if (!peer_id || !store_id)
		return;
	for (size_t i = 0; i < p->ncache; i++)
		if (p->cache[i].id == peer_id) {
			p->cache[i].store_id = store_id;
			return;
		}
	/* Full: the oldest entry goes (a cache, the region state is the truth). */
	if (p->ncache == RS_PEER_CACHE) {
		memmove(p->cache, p->cache + 1, (RS_PEER_CACHE - 1) * sizeof *p->cache);
		p->ncache--;
	}
	p->cache[p->ncache++] = (struct region_peer){peer_id, store_id};
}

const struct rs_region_state *peer_region_state(const struct rs_peer *p)
{
	const struct rs_region_state *rs = rs_ps_staged_region_state(p->ps);
	return rs && rs->state != RS_PEER_TOMBSTONE ? rs : NULL;
}

const struct rs_region *rs_peer_region(const struct rs_peer *p)
{
	const struct rs_region_state *rs = rs_ps_region_state(p->ps);
	return rs && rs->state != RS_PEER_TOMBSTONE ? &rs->region : NULL;
}

bool rs_peer_is_leader(const struct rs_peer *p)
{
	return raft_role(p->r) == RAFT_LEADER;
}

raft_id rs_peer_leader_id(const struct rs_peer *p)
{
	return raft_leader(p->r);
}

bool rs_peer_removed(const struct rs_peer *p)
{
	return p->removed;
}

void rs_peer_mark_removed(struct rs_peer *p)
{
	p->removed = true;
}

/* Room for one more proposal at the tail; false when out of memory. */
bool peer_reserve(struct rs_peer *p)
{
	if (p->np == 0)
		p->head = 0;
	if (p->head + p->np < p->cap)
		return true;
	if (p->head > 0) {
		memmove(p->props, p->props + p->head, p->np * sizeof *p->props);
		p->head = 0;
		return true;
	}
	size_t cap = p->cap ? p->cap * 2 : 16;
	struct proposal *n = realloc(p->props, cap * sizeof *n);
	if (!n)
		return false;
	p->props = n;
	p->cap = cap;
	return true;
}

/* A new proposal at index i of term t proves every pending one at an index
 * >= i stale: this leader's log now holds a term-t entry at i, and a leader
 * holds every committed entry, so the older entries there never commit.
 * Failing them here also keeps the queue sorted by index.  Room was
 * reserved before proposing. */
void peer_push_proposal(struct rs_peer *p, raft_index i, raft_term t, rs_proposal_cb cb,
                        void *arg)
{
	while (p->np && p->props[p->head + p->np - 1].index >= i) {
		struct proposal pr = p->props[p->head + p->np - 1];
		p->np--;
		pr.cb(pr.arg, TK_E_STALE_COMMAND, NULL);
	}
	p->props[p->head + p->np++] = (struct proposal){i, t, cb, arg};
}

enum tk_err rs_peer_propose(struct rs_peer *p, const uint8_t *cmd, size_t len, rs_proposal_cb cb,
                            void *arg)
{
	struct tk_errbuf eb;
	struct rs_cmd_iter it;
	struct rs_cmd_op_view op;
	enum tk_err rc = rs_cmd_iter_init(&it, cmd, len, &eb);
	while (rc == TK_OK && rs_cmd_next(&it, &op, &rc, &eb))
		;
	if (rc != TK_OK) {
		cb(arg, TK_E_BAD_REQUEST, NULL);
		return TK_E_BAD_REQUEST;
	}
	/* Room first: once proposed, the entry must be tracked, or its
	 * callback could never fire. */
	if (!peer_reserve(p)) {
		cb(arg, TK_E_NOMEM, NULL);
		return TK_E_NOMEM;
	}
	rc = raft_propose_one(p->r, cmd, len);
	if (rc != TK_OK) {
		cb(arg, rc, NULL);
		return rc;
	}
	peer_push_proposal(p, raft_last_index(p->r), raft_current_term(p->r), cb, arg);
	return TK_OK;
}

/* The snapshot's states, with the region marked APPLYING (snap.h): the
 * data follows in rs_peer_apply_snapshot_data once this batch is written. */
static enum tk_err stage_snapshot(struct rs_peer *p, struct eng_batch *b,
                                  const struct raft_snapshot *sn, struct tk_errbuf *eb)
{
	uint64_t id;
	/* The store checked the descriptor before stepping the message. */
	enum tk_err rc = rs_snap_desc_decode(sn->data, sn->len, &id, &p->snap_rs, eb);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "region %llu", (unsigned long long)p->region_id);
	p->snap_rs.state = RS_PEER_APPLYING;
	rc = rs_ps_apply_snapshot(p->ps, b, &sn->meta, &p->snap_rs, eb);
	p->snap_rs.state = RS_PEER_NORMAL;
	if (rc != TK_OK)
		return rc;
	p->snap_pending = true;
	p->log_bytes = 0;
	return TK_OK;
}

enum tk_err rs_peer_apply_snapshot_data(struct rs_peer *p, struct tk_errbuf *eb)
{
	if (!p->snap_pending)
		return TK_OK;
	p->snap_pending = false;
	struct eng_batch *fin = eng_batch_new();
	if (!fin)
		return tk_err_set(eb, TK_E_NOMEM, "region %llu: apply snapshot",
		                  (unsigned long long)p->region_id);
	enum tk_err rc = rs_ps_set_region_state(p->ps, fin, &p->snap_rs, eb);
	if (rc == TK_OK)
		rc = rs_snap_apply_staged(p->e, &p->snap_rs.region, fin, eb);
	if (rc == TK_OK)
		rs_ps_persisted(p->ps);
	else
		rs_ps_discard_staged(p->ps);
	eng_batch_free(fin);
	return rc;
}

enum tk_err rs_peer_stage_log(struct rs_peer *p, struct eng_batch *b, const struct raft_ready *rd,
                              struct tk_errbuf *eb)
{
	enum tk_err rc = TK_OK;
	if (rd->snapshot && (rc = stage_snapshot(p, b, rd->snapshot, eb)) != TK_OK)
		return rc;
	rc = rs_ps_append(p->ps, b, rd->entries, rd->n_entries, eb);
	if (rc != TK_OK)
		return rc;
	if (rd->has_hard_state)
		rs_ps_set_hard_state(p->ps, b, &rd->hard_state);
	return TK_OK;
}

/* Apply an admin command.  Only engine failures are errors: a malformed or
 * stale command is the same on every replica and applies as a no-op. */
static enum tk_err apply_admin(struct rs_peer *p, struct rs_apply_ctx *ac,
                               const struct raft_entry *e, struct tk_errbuf *eb)
{
	struct rs_admin a;
	struct tk_errbuf aeb;
	if (rs_admin_decode(e->data, e->len, &a, &aeb) != TK_OK || a.type != RS_ADMIN_COMPACT_LOG)
		return TK_OK; /* CHANGE_PEER travels only in conf change entries */
	/* COMPACT_LOG: the entries up to compact_index are applied here (it
	 * was proposed after they were), so the log may drop them. */
	enum tk_err rc = rs_ps_set_truncated(p->ps, ac->b, a.compact_index, &aeb);
	if (rc == TK_OK) {
		p->log_bytes = 0;
		return TK_OK;
	}
	if (rc == TK_E_COMPACTED || rc == TK_E_BAD_REQUEST)
		return TK_OK;
	return tk_err_wrap(eb, rc, "region %llu apply %llu: compact log: %s",
	                   (unsigned long long)p->region_id, (unsigned long long)e->index, aeb.msg);
}

enum tk_err rs_peer_stage_apply(struct rs_peer *p, struct rs_apply_ctx *ac,
                                const struct raft_ready *rd, struct tk_errbuf *eb)
{
	p->nres = 0;
	if (rd->n_committed == 0)
		return TK_OK;
	if (p->rescap < rd->n_committed) {
		enum tk_err *n = realloc(p->results, rd->n_committed * sizeof *n);
		if (n)
			p->results = n;
		size_t *o = realloc(p->out_start, 2 * rd->n_committed * sizeof *o);
		if (o)
			p->out_start = o;
		if (!n || !o)
			return tk_err_set(eb, TK_E_NOMEM, "apply results");
		p->rescap = rd->n_committed;
	}
	for (size_t i = 0; i < rd->n_committed; i++) {
		const struct raft_entry *e = &rd->committed[i];
		enum tk_err rc = TK_OK;
		p->log_bytes += e->len;
		p->out_start[2 * p->nres] = p->out_start[2 * p->nres + 1] = 0;
		/* Empty entries are leaders' no-ops. */
		if (e->type == RAFT_ENTRY_CONF_CHANGE) {
			rc = peer_apply_conf_change(p, ac, e, &p->results[p->nres], eb);
			if (rc != TK_OK)
				return rc;
			rc = p->results[p->nres];
		} else if (e->type == RAFT_ENTRY_NORMAL && rs_cmd_is_admin(e->data, e->len)) {
			rc = apply_admin(p, ac, e, eb);
			if (rc != TK_OK)
				return rc;
		} else if (e->type == RAFT_ENTRY_NORMAL && e->len > 0) {
			struct tk_errbuf aeb;
			size_t before = rs_apply_n_outputs(ac);
			rc = rs_apply_cmd(ac, e->data, e->len, &aeb);
			p->out_start[2 * p->nres] = before;
			p->out_start[2 * p->nres + 1] = rs_apply_n_outputs(ac) - before;
			/* A malformed command is the same on every replica:
			 * skip it everywhere; engine failures end the pass. */
			if (rc != TK_OK && rc != TK_E_CORRUPTION)
				return tk_err_wrap(eb, rc, "region %llu apply %llu: %s",
				                   (unsigned long long)p->region_id,
				                   (unsigned long long)e->index, aeb.msg);
		}
		p->results[p->nres++] = rc;
	}
	return rs_ps_set_applied(p->ps, ac->b, rd->committed[rd->n_committed - 1].index, eb);
}

void rs_peer_applied(struct rs_peer *p, const struct raft_ready *rd, struct rs_apply_ctx *ac)
{
	rs_ps_persisted(p->ps);
	for (size_t i = 0; i < rd->n_committed && i < p->nres; i++) {
		const struct raft_entry *e = &rd->committed[i];
		/* A committed entry (i, T) makes every pending proposal below
		 * index i, or of a term below T, stale: the log's terms never
		 * decrease, so a term-t entry with t < T can no longer commit
		 * at any index above i.  The queue is sorted by index with
		 * non-decreasing terms, so only its head needs looking at. */
		while (p->np) {
			const struct proposal *h = &p->props[p->head];
			if (h->index == e->index && h->term == e->term) {
				size_t n = p->out_start[2 * i + 1];
				struct rs_cmd_output out =
				    rs_apply_outputs(ac, p->out_start[2 * i], n);
				fire_head(p, p->results[i], p->results[i] == TK_OK && n ? &out : NULL);
				break;
			}
			if (h->index > e->index && h->term >= e->term)
				break;
			fire_head(p, TK_E_STALE_COMMAND, NULL);
		}
	}
	p->nres = 0;
}

bool rs_peer_maybe_compact(struct rs_peer *p)
{
	if (raft_role(p->r) != RAFT_LEADER)
		return false;
	struct rs_apply_state a;
	rs_ps_apply_state(p->ps, &a);
	raft_term term = raft_current_term(p->r);
	if (p->gc_prop_index && p->gc_prop_term == term && a.applied < p->gc_prop_index)
		return false; /* ours is still on its way */
	p->gc_prop_index = 0;
	raft_index first = rs_ps_first_index(p->ps);
	if (a.applied < first)
		return false;
	uint64_t n = a.applied - first + 1; /* applied entries still in the log */
	const struct rs_peer_options *o = &p->opt;
	bool force = (o->log_gc_count_limit && n >= o->log_gc_count_limit) ||
	             (o->log_gc_size_limit && p->log_bytes >= o->log_gc_size_limit);
	if (!force && !(o->log_gc_threshold && n >= o->log_gc_threshold))
		return false;
	raft_index upto = a.applied;
	if (!force) {
		/* Keep what a live follower still needs. */
		struct raft_status st;
		raft_status(p->r, &st);
		for (size_t i = 0; i < st.n_progress; i++) {
			const struct raft_progress_status *pr = &st.progress[i];
			if (pr->id != p->id && pr->recent_active && pr->match < upto)
				upto = pr->match;
		}
		if (upto < first || upto - first + 1 < o->log_gc_threshold)
			return false;
	}
	struct raft_storage rst = rs_ps_storage(p->ps);
	struct rs_admin cmd = {.type = RS_ADMIN_COMPACT_LOG, .compact_index = upto};
	if (rst.ops->term(rst.ctx, upto, &cmd.compact_term) != TK_OK)
		return false;
	struct tk_buf enc;
	tk_buf_init(&enc);
	bool ok = rs_admin_encode(&cmd, &enc) && raft_propose_one(p->r, enc.data, enc.len) == TK_OK;
	tk_buf_destroy(&enc);
	if (!ok)
		return false;
	p->gc_prop_index = raft_last_index(p->r);
	p->gc_prop_term = term;
	return true;
}

enum tk_err rs_peer_read(struct rs_peer *p, rs_read_cb cb, void *arg)
{
	if (raft_role(p->r) != RAFT_LEADER)
		return TK_E_NOT_LEADER;
	return rs_rq_add(&p->rq, cb, arg);
}

void rs_peer_flush_reads(struct rs_peer *p)
{
	uint64_t seq;
	if (!rs_rq_take_unsent(&p->rq, &seq))
		return;
	uint8_t ctx[8];
	tk_put_be64(ctx, seq);
	enum tk_err rc = raft_read_index(p->r, ctx, sizeof ctx);
	if (rc != TK_OK)
		rs_rq_fail_batch(&p->rq, seq, rc);
}

void rs_peer_reads_done(struct rs_peer *p, const struct raft_ready *rd)
{
	for (size_t i = 0; i < rd->n_reads; i++)
		if (rd->reads[i].context_len == 8)
			rs_rq_confirm(&p->rq, tk_get_be64(rd->reads[i].context), rd->reads[i].index);
	if (rd->soft_state_changed && rd->role != RAFT_LEADER)
		rs_rq_fail_all(&p->rq, TK_E_NOT_LEADER);
	if (rs_rq_len(&p->rq) == 0)
		return;
	struct rs_apply_state a;
	rs_ps_apply_state(p->ps, &a);
	rs_rq_fire_applied(&p->rq, a.applied);
}
