/* tinykvd's regions on Raft (DESIGN.md section 5): the raftstore (src/raftstore)
 * inside the reactor.
 *
 * Every write of an iteration is staged into one command (raftstore/cmd.h)
 * and proposed to the region's raft group when the iteration ends; the
 * ready pass then writes the log of every region with one sync, applies the
 * committed entries, and the proposal's callback answers every write it
 * carried.  A store started without a cluster (the standalone mode) is a
 * one-store cluster: region 1 spans every key with one peer, on this store,
 * bootstrapped on first start; its only voter leads at once.
 *
 * A failed ready pass (a full disk, an I/O error) leaves the raft nodes
 * ahead of what is on disk, so the raftstore is closed and reopened from the
 * engine: the proposals in flight fail with the pass's error (their entries
 * may still have reached the disk, like any write that fails with an engine
 * error: the outcome is unknown), and the peer campaigns again at the next
 * write. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "engine/raft_keys.h"
#include "meta/region_error.h"
#include "raftstore/cmd.h"
#include "raftstore/peer_storage.h"
#include "store/store.h"
#include "txn/latches.h"
#include "util/log.h"

/* A proposal this big is made at once rather than at the end of the
 * iteration: it bounds an entry (and a raft message carrying it); the sync
 * stays shared, since the ready pass still runs once per iteration. */
#define STORE_MAX_PROPOSAL (1u << 20)
#define STANDALONE_REGION 1
#define RAFT_TICK_MS 100
/* Ready passes per iteration: more readies wait for the next iteration. */
#define MAX_PASSES 8

/* One proposal's waiters: the replies of its writes and the latches of its
 * transactional commands, all answered when its entry is applied. */
struct store_group {
	struct store *s;
	size_t n_slots, n_latches;
	bool exclusive; /* carries a resolve/gc: later writers wait for it */
	struct net_slot **slots;
	int32_t *cas; /* per slot: its CAS's output ordinal, or -1 */
	uint64_t *latches;
};

/* A CAS reply from its output; TK_E_INTERNAL when the apply gave none. */
static void complete_cas(struct net_slot *sl, const struct rs_cmd_output *out, int32_t k)
{
	if (!out || k < 0 || (size_t)k >= out->n) {
		net_slot_complete(sl, TK_E_INTERNAL, "the CAS was applied without an outcome", NULL);
		return;
	}
	struct tk_raw_cas_resp resp;
	memset(&resp, 0, sizeof resp);
	resp.swapped = out->cas[k].swapped;
	if (out->cas[k].prev_present)
		resp.prev = out->cas[k].prev.p ? out->cas[k].prev : tk_slice_of("", 0);
	net_slot_complete(sl, TK_OK, NULL, &resp);
}

static void group_done(void *arg, enum tk_err rc, const struct rs_cmd_output *out)
{
	struct store_group *g = arg;
	struct store *s = g->s;
	struct store_raft *sr = &s->raft;
	const char *msg = NULL;
	if (rc == TK_E_SHUTTING_DOWN && sr->fail_rc) {
		rc = sr->fail_rc; /* the raftstore was reopened after this error */
		msg = sr->fail_msg;
	} else if (rc == TK_E_NOT_LEADER) {
		msg = "this store's peer of the region is not its leader";
	} else if (rc == TK_E_STALE_COMMAND) {
		msg = "the write was superseded by a leader change and not applied";
	} else if (rc == TK_E_SHUTTING_DOWN) {
		msg = "the store stopped before the write was applied (its outcome is unknown)";
	} else if (rc != TK_OK) {
		msg = tk_strerror(rc);
	}
	for (size_t i = 0; i < g->n_latches; i++) {
		const uint64_t *woken;
		txn_latches_release(s->txn.latches, g->latches[i], &woken);
	}
	s->txn.inflight -= g->n_latches;
	if (g->exclusive)
		s->txn.exclusive--;
	if (rc == TK_OK) {
		s->net.metrics.commits++;
		s->net.metrics.committed_ops += g->n_slots;
	}
	sr->groups--;
	sr->completed = true;
	/* completing a slot may flush (and free) its connection */
	for (size_t i = 0; i < g->n_slots; i++) {
		if (rc == TK_OK && g->cas[i] >= 0)
			complete_cas(g->slots[i], out, g->cas[i]);
		else
			net_slot_complete(g->slots[i], rc, msg, NULL);
	}
	free(g->slots);
	free(g->cas);
	free(g->latches);
	free(g);
}

static bool sole_voter(struct rs_peer *p)
{
	const struct rs_region_state *rs = rs_ps_region_state(rs_peer_storage(p));
	return rs && rs->region.n_peers == 1 && rs->region.peers[0].id == rs_peer_id(p);
}

/* The peer that serves requests: the one region's, for now (a store holds
 * at most one until regions split).  A store that had none picks up the
 * peer a leader's message created (or a restart found). */
struct rs_peer *store_serving_peer(struct store *s)
{
	struct store_raft *sr = &s->raft;
	if (!sr->rs)
		return NULL;
	struct rs_peer *p = sr->region_id ? rs_store_peer(sr->rs, sr->region_id) : NULL;
	if (!p && (p = rs_store_peer_at(sr->rs, 0)) != NULL)
		sr->region_id = rs_peer_region_id(p);
	return p;
}

static struct rs_peer *serving_peer(struct store *s)
{
	return store_serving_peer(s);
}

/* A region whose only voter is this peer needs no election timeout: it
 * leads as soon as it asks (at start, and after a reopen). */
static void lead_if_alone(struct store *s)
{
	struct rs_peer *p = serving_peer(s);
	if (p && raft_role(rs_peer_raft(p)) != RAFT_LEADER && sole_voter(p))
		raft_campaign(rs_peer_raft(p));
}

/* The served region in meta's form (borrowing the region state). */
static void region_of(const struct rs_region_state *rs, struct region *r)
{
	memset(r, 0, sizeof *r);
	r->id = rs->region.id;
	r->start_key = rs->region.start_key.data;
	r->start_len = rs->region.start_key.len;
	r->end_key = rs->region.end_key.data;
	r->end_len = rs->region.end_key.len;
	r->epoch = rs->region.epoch;
	r->peers = rs->region.peers;
	r->n_peers = rs->region.n_peers;
}

/* NOT_LEADER with the leader when this peer knows it (and its store's
 * address when the transport resolved it). */
static void not_leader(struct store *s, struct rs_peer *p, struct region_error *re)
{
	re->code = TK_E_NOT_LEADER;
	raft_id l = raft_leader(rs_peer_raft(p));
	re->leader.id = l;
	re->leader.store_id = l ? rs_peer_store_of(p, l) : 0;
	if (re->leader.store_id == s->net.ident.store_id)
		re->leader_addr = s->advertise;
	else if (re->leader.store_id)
		re->leader_addr = store_tr_addr(s, re->leader.store_id);
}

/* re as the request's answer: the wire error (*werr, NULL when out of
 * memory), its code and message.  Returns false (the request fails). */
static bool region_fail(const struct region_error *re, struct tk_arena *a, struct tk_error **werr,
                        enum tk_err *code, struct tk_errbuf *eb)
{
	*code = re->code;
	*werr = region_error_to_wire(a, re, NULL);
	struct tk_buf msg;
	tk_buf_init(&msg);
	if (region_error_describe(&msg, re) && msg.len)
		tk_err_set(eb, re->code, "%.*s", (int)msg.len, (const char *)msg.data);
	else
		tk_err_set(eb, re->code, "%s", tk_strerror(re->code));
	tk_buf_destroy(&msg);
	return false;
}

bool store_check_ctx(struct store *s, const struct tk_region_ctx *ctx, struct tk_arena *a,
                     struct tk_error **werr, enum tk_err *code, struct tk_errbuf *eb)
{
	struct rs_peer *p = serving_peer(s);
	const struct rs_region_state *rs = p ? rs_ps_region_state(rs_peer_storage(p)) : NULL;
	struct region_error re;
	memset(&re, 0, sizeof re);
	re.region_id = ctx->region;
	struct region cur;
	if (ctx->store && ctx->store != s->net.ident.store_id) {
		re.code = TK_E_STORE_NOT_MATCH;
	} else if (!rs || rs->region.id != ctx->region) {
		re.code = TK_E_REGION_NOT_FOUND;
	} else if (ctx->conf_ver != rs->region.epoch.conf_ver ||
	           ctx->version != rs->region.epoch.version) {
		/* any difference: the client's routing is not the region's */
		region_of(rs, &cur);
		re.code = TK_E_EPOCH_NOT_MATCH;
		re.regions = &cur;
		re.n_regions = 1;
	} else if (raft_role(rs_peer_raft(p)) != RAFT_LEADER) {
		not_leader(s, p, &re);
	} else {
		return true;
	}
	return region_fail(&re, a, werr, code, eb);
}

/* How long a client told SERVER_IS_BUSY should wait before retrying. */
#define BUSY_BACKOFF_MS 50

bool store_check_busy(struct store *s, struct tk_arena *a, struct tk_error **werr,
                      enum tk_err *code, struct tk_errbuf *eb)
{
	struct store_raft *sr = &s->raft;
	if (sr->groups < s->net.cfg.max_pending_proposals)
		return true;
	struct region_error re;
	memset(&re, 0, sizeof re);
	re.code = TK_E_SERVER_IS_BUSY;
	re.region_id = sr->region_id;
	re.reason = REGION_BUSY_PROPOSALS;
	re.backoff_ms = BUSY_BACKOFF_MS;
	sr->busy_refusals++;
	return region_fail(&re, a, werr, code, eb);
}

/* The read gate's states of a connection (net_conn.svc_state). */
enum { READ_IDLE = 0, READ_ASKED, READ_CONFIRMED, READ_LOST };

struct read_wait {
	struct store *s;
	struct net_conn *c;
};

static void on_read_index(void *arg, enum tk_err rc)
{
	struct read_wait *w = arg;
	struct store *s = w->s;
	struct net_conn *c = w->c;
	free(w);
	c->svc_state = rc == TK_OK ? READ_CONFIRMED : READ_LOST;
	/* resumed after the ready pass (store_read_resume), never inside it */
	if (s->nread_done == s->cap_read_done) {
		size_t cap = s->cap_read_done ? s->cap_read_done * 2 : 64;
		struct net_conn **n = realloc(s->read_done, cap * sizeof *n);
		if (!n) {
			LOG_ERROR("out of memory: a held read cannot be resumed");
			return;
		}
		s->read_done = n;
		s->cap_read_done = cap;
	}
	s->read_done[s->nread_done++] = c;
}

void store_read_resume(struct store *s)
{
	while (s->nread_done) {
		struct net_conn **list = s->read_done;
		size_t n = s->nread_done;
		s->read_done = NULL;
		s->nread_done = s->cap_read_done = 0;
		for (size_t i = 0; i < n; i++)
			net_conn_resume(list[i]); /* may free it */
		free(list);
	}
}

enum store_read_gate store_read_gate(struct store *s, struct net_conn *c, int32_t st,
                                     struct tk_arena *a, struct tk_error **werr, enum tk_err *code,
                                     struct tk_errbuf *eb)
{
	*werr = NULL;
	struct rs_peer *p = serving_peer(s);
	if (!p) {
		*code = tk_err_set(eb, TK_E_REGION_NOT_FOUND, "this store holds no region");
		return READ_FAIL;
	}
	/* A sole voter's applied state holds every acknowledged write and no
	 * other leader can exist: local reads are linearizable. */
	if (sole_voter(p) || st == READ_CONFIRMED)
		return READ_NOW;
	struct region_error re;
	memset(&re, 0, sizeof re);
	re.region_id = rs_peer_region_id(p);
	if (st != READ_LOST && raft_role(rs_peer_raft(p)) == RAFT_LEADER) {
		/* ReadIndex: leadership confirmed by a heartbeat round after
		 * this read arrived, served once applied reaches the commit
		 * index of that moment (read_queue.h); every read queued before
		 * the next ready pass shares the round */
		struct read_wait *w = malloc(sizeof *w);
		if (!w) {
			*code = tk_err_set(eb, TK_E_NOMEM, "out of memory");
			return READ_FAIL;
		}
		*w = (struct read_wait){s, c};
		if (rs_store_read(s->raft.rs, re.region_id, on_read_index, w) == TK_OK) {
			c->svc_state = READ_ASKED;
			net_iteration_end(&s->net);
			return READ_WAIT;
		}
		free(w);
	}
	not_leader(s, p, &re);
	region_fail(&re, a, werr, code, eb);
	return READ_FAIL;
}


/* ---- staging ---- */

/* The iteration's command has its header (started on first use). */
static bool cmd_started(struct store *s)
{
	return s->raft.cmd.len >= 5 || rs_cmd_begin(&s->raft.cmd);
}

static bool stage_room(struct store *s, size_t bytes)
{
	struct tk_buf *cmd = &s->raft.cmd;
	if (cmd->len > 5 && cmd->len + bytes > STORE_MAX_PROPOSAL)
		store_propose(s);
	return cmd_started(s);
}

struct store_stage_mark store_stage_mark(struct store *s, size_t bytes)
{
	struct store_stage_mark m = {0, 0};
	if (stage_room(s, bytes)) {
		m.len = s->raft.cmd.len;
		m.ops = tk_get_be32(s->raft.cmd.data + 1);
	}
	return m;
}

void store_stage_rollback(struct store *s, struct store_stage_mark m)
{
	if (m.len < 5)
		return;
	s->raft.cmd.len = m.len;
	tk_put_be32(s->raft.cmd.data + 1, m.ops);
	if (s->raft.last_cas >= 0) { /* the rolled back request's CAS */
		s->raft.n_cas--;
		s->raft.last_cas = -1;
	}
}

enum tk_err store_stage(struct store *s, enum eng_cf cf, struct tk_slice key, struct tk_slice val,
                        bool is_delete)
{
	if (!cmd_started(s))
		return TK_E_NOMEM;
	return rs_cmd_add_cf(&s->raft.cmd, cf, key, val, is_delete) ? TK_OK : TK_E_NOMEM;
}

enum tk_err store_stage_batch(struct store *s, const struct eng_batch *b)
{
	if (!cmd_started(s))
		return TK_E_NOMEM;
	return rs_cmd_add_batch(&s->raft.cmd, b);
}

enum tk_err store_stage_cas(struct store *s, struct tk_slice key, const struct rs_cas_op *op)
{
	if (!cmd_started(s))
		return TK_E_NOMEM;
	if (!rs_cmd_add_cas(&s->raft.cmd, key, op))
		return TK_E_NOMEM;
	s->raft.last_cas = (int32_t)s->raft.n_cas++;
	return TK_OK;
}

static bool cmd_has_ops(const struct tk_buf *cmd)
{
	return cmd->len > 5 && tk_get_be32(cmd->data + 1) > 0;
}

void store_propose(struct store *s)
{
	struct store_raft *sr = &s->raft;
	struct store_txn *t = &s->txn;
	if (s->npending == 0 && t->n_held == 0) {
		tk_buf_reset(&sr->cmd);
		return;
	}
	struct store_group *g = calloc(1, sizeof *g);
	if (g) {
		g->slots = malloc(s->npending * sizeof *g->slots + 1);
		g->cas = malloc(s->npending * sizeof *g->cas + 1);
		g->latches = malloc(t->n_held * sizeof *g->latches + 1);
	}
	if (!g || !g->slots || !g->cas || !g->latches) {
		if (g) {
			free(g->slots);
			free(g->cas);
			free(g->latches);
		}
		free(g);
		/* cannot track them: fail the writes, nothing is proposed */
		for (size_t i = 0; i < t->n_held; i++) {
			const uint64_t *woken;
			txn_latches_release(t->latches, t->held[i], &woken);
		}
		t->inflight -= t->n_held;
		t->n_held = 0;
		if (t->pending_exclusive) {
			t->exclusive--;
			t->pending_exclusive = false;
		}
		size_t n = s->npending;
		s->npending = 0;
		sr->n_cas = 0;
		tk_buf_reset(&sr->cmd);
		for (size_t i = 0; i < n; i++)
			net_slot_complete(s->pending[i], TK_E_NOMEM, "out of memory", NULL);
		return;
	}
	g->s = s;
	g->n_slots = s->npending;
	if (s->npending) { /* memcpy from NULL is undefined, even of 0 bytes */
		memcpy(g->slots, s->pending, s->npending * sizeof *g->slots);
		memcpy(g->cas, s->pending_cas, s->npending * sizeof *g->cas);
	}
	g->n_latches = t->n_held;
	if (t->n_held)
		memcpy(g->latches, t->held, t->n_held * sizeof *g->latches);
	g->exclusive = t->pending_exclusive;
	s->npending = 0;
	t->n_held = 0;
	t->pending_exclusive = false;
	sr->groups++;
	if (!cmd_has_ops(&sr->cmd)) {
		/* only commands that wrote nothing (cannot happen: they answer
		 * at once), but never leave waiters behind */
		tk_buf_reset(&sr->cmd);
		sr->n_cas = 0;
		group_done(g, TK_OK, NULL);
		return;
	}
	lead_if_alone(s);
	sr->proposals++;
	/* on refusal (not leader, out of memory) group_done ran already */
	rs_store_propose(sr->rs, sr->region_id, sr->cmd.data, sr->cmd.len, group_done, g);
	tk_buf_reset(&sr->cmd);
	sr->n_cas = 0;
	net_iteration_end(&s->net);
}

/* ---- the ready pass ---- */

/* Close and reopen the raftstore from the engine after a failed pass. */
static void reopen(struct store *s, enum tk_err rc, const char *why)
{
	struct store_raft *sr = &s->raft;
	LOG_ERROR("raft ready pass failed (%s): reopening the regions from the data dir", why);
	sr->fail_rc = rc;
	snprintf(sr->fail_msg, sizeof sr->fail_msg, "%s", why);
	sr->reopens++;
	rs_store_free(sr->rs); /* fails every proposal in flight with fail_rc */
	sr->rs = NULL;
	sr->fail_rc = TK_OK;
	struct tk_errbuf eb;
	tk_err_clear(&eb);
	enum tk_err e = rs_store_open(&sr->cfg, &sr->rs, &eb);
	if (e != TK_OK) {
		LOG_ERROR("cannot reopen the regions: %s; stopping", eb.msg);
		sr->rs = NULL;
		s->net.shutting_down = true;
		event_base_loopbreak(s->net.base);
	}
}

void store_raft_run(struct store *s)
{
	struct store_raft *sr = &s->raft;
	for (int i = 0; sr->rs && i < MAX_PASSES; i++) {
		struct tk_errbuf eb;
		tk_err_clear(&eb);
		size_t n = 0;
		enum tk_err rc = rs_store_ready_pass(sr->rs, &n, &eb);
		if (rc != TK_OK) {
			reopen(s, rc, eb.msg);
			return;
		}
		if (n == 0)
			return;
	}
	net_iteration_end(&s->net); /* still busy: go on next iteration */
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct store *s = arg;
	if (!s->raft.rs)
		return;
	rs_store_tick(s->raft.rs);
	net_iteration_end(&s->net);
}

/* ---- open / close ---- */

static enum tk_err start_tick(struct store *s, struct tk_errbuf *eb)
{
	struct store_raft *sr = &s->raft;
	sr->tick = event_new(s->net.base, -1, EV_PERSIST, on_tick, s);
	struct timeval tv = {0, RAFT_TICK_MS * 1000};
	if (!sr->tick || event_add(sr->tick, &tv) != 0)
		return tk_err_set(eb, TK_E_NOMEM, "raft tick timer");
	return TK_OK;
}

enum tk_err store_region_bootstrap(struct eng *e, uint64_t region_id, uint64_t peer_id,
                                   uint64_t store_id, struct tk_errbuf *eb)
{
	struct rs_region_state rs;
	rs_region_state_init(&rs);
	rs.state = RS_PEER_NORMAL;
	rs.region.id = region_id;
	rs.region.epoch.conf_ver = 1;
	rs.region.epoch.version = 1;
	rs.region.n_peers = 1;
	rs.region.peers[0].id = peer_id;
	rs.region.peers[0].store_id = store_id;
	struct eng_batch *b = eng_batch_new();
	enum tk_err rc = b ? TK_OK : tk_err_set(eb, TK_E_NOMEM, "out of memory");
	if (rc == TK_OK && !rs_region_set_range(&rs.region, tk_slice_of("", 0), tk_slice_of("", 0)))
		rc = tk_err_set(eb, TK_E_NOMEM, "out of memory");
	if (rc == TK_OK)
		rc = rs_ps_bootstrap(e, b, &rs, eb);
	if (rc == TK_OK)
		rc = eng_write(e, b, true, eb);
	if (rc == TK_OK)
		LOG_INFO(
		    "bootstrapped region %llu (all keys, one replica: peer %llu) on store %llu",
		    (unsigned long long)region_id, (unsigned long long)peer_id,
		    (unsigned long long)store_id);
	if (b)
		eng_batch_free(b);
	rs_region_state_destroy(&rs);
	return rc;
}

enum tk_err store_local_regions(struct eng *e, uint64_t store_id, uint64_t *ids, size_t max,
                                size_t *n, struct tk_errbuf *eb)
{
	struct eng_key lo = eng_key_region_states_lo(), hi = eng_key_region_states_hi();
	struct eng_iter *it = eng_iter_new(e, NULL, lo.cf, eng_key_slice(&lo), eng_key_slice(&hi));
	if (!it)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	struct rs_region_state rs;
	rs_region_state_init(&rs);
	enum tk_err rc = TK_OK;
	*n = 0;
	for (eng_iter_seek_first(it); eng_iter_valid(it); eng_iter_next(it)) {
		uint64_t id;
		if (!eng_key_region_state_parse(eng_iter_key(it), &id))
			continue;
		if ((rc = rs_region_state_decode(eng_iter_value(it), &rs, eb)) != TK_OK) {
			tk_err_wrap(eb, rc, "region %llu", (unsigned long long)id);
			break;
		}
		if (rs.state == RS_PEER_TOMBSTONE)
			continue;
		bool ours = false;
		for (uint32_t i = 0; i < rs.region.n_peers; i++)
			ours = ours || rs.region.peers[i].store_id == store_id;
		if (!ours)
			continue;
		if (*n < max)
			ids[*n] = id;
		(*n)++;
	}
	if (rc == TK_OK)
		rc = eng_iter_status(it, eb);
	eng_iter_free(it);
	rs_region_state_destroy(&rs);
	return rc;
}

enum tk_err store_raft_open(struct store *s, struct tk_errbuf *eb)
{
	struct store_raft *sr = &s->raft;
	bool no_sync = sr->cfg.no_sync;
	memset(&sr->cfg, 0, sizeof sr->cfg);
	sr->cfg.no_sync = no_sync;
	sr->cfg.store_id = s->net.ident.store_id;
	sr->cfg.e = s->net.eng;
	rs_peer_options_default(&sr->cfg.peer);
	if (s->cluster) {
		sr->cfg.send = store_tr_send;
		sr->cfg.send_arg = s;
	}
	sr->cfg.peer.seed = (uint64_t)s->net.start_ns ^ sr->cfg.store_id;
	/* requests go to the one region this store holds (the first, should
	 * there be more: several regions per store come with splits) */
	size_t n = 0;
	enum tk_err rc =
	    store_local_regions(s->net.eng, sr->cfg.store_id, &sr->region_id, 1, &n, eb);
	if (rc != TK_OK)
		return rc;
	if (n == 0 && !s->cluster) {
		/* the standalone region: every key, one peer (id 1) on this store */
		sr->region_id = STANDALONE_REGION;
		rc = store_region_bootstrap(s->net.eng, STANDALONE_REGION, 1, sr->cfg.store_id, eb);
	} else if (n == 0) {
		sr->region_id = 0; /* a cluster store that holds no region yet */
	}
	if (rc == TK_OK)
		rc = rs_store_open(&sr->cfg, &sr->rs, eb);
	if (rc != TK_OK)
		return rc;
	if (sr->region_id && !serving_peer(s))
		return tk_err_set(eb, TK_E_DATA_DIR, "the data dir holds no peer of region %llu",
		                  (unsigned long long)sr->region_id);
	if (!sr->region_id) {
		LOG_INFO("this store holds no region yet: requests get REGION_NOT_FOUND");
		return start_tick(s, eb);
	}
	/* lead now, and apply what the log holds beyond the apply state, so
	 * that the first read sees every write acknowledged before a crash */
	struct raft_status st;
	raft_status(rs_peer_raft(serving_peer(s)), &st);
	LOG_INFO("region %llu opened: term %llu, applied %llu, commit %llu, last index %llu",
	         (unsigned long long)sr->region_id, (unsigned long long)st.term,
	         (unsigned long long)st.applied, (unsigned long long)st.commit,
	         (unsigned long long)st.last_index);
	lead_if_alone(s);
	store_raft_run(s);
	if (!sr->rs || !serving_peer(s))
		return tk_err_set(eb, TK_E_IO, "the first ready pass failed");
	raft_status(rs_peer_raft(serving_peer(s)), &st);
	LOG_INFO("region %llu: %s at term %llu, applied %llu of %llu",
	         (unsigned long long)sr->region_id, raft_role_name(st.role),
	         (unsigned long long)st.term, (unsigned long long)st.applied,
	         (unsigned long long)st.last_index);
	return start_tick(s, eb);
}

void store_raft_close(struct store *s)
{
	struct store_raft *sr = &s->raft;
	if (sr->tick)
		event_free(sr->tick);
	sr->tick = NULL;
	rs_store_free(sr->rs); /* proposals still in flight: SHUTTING_DOWN */
	sr->rs = NULL;
	tk_buf_destroy(&sr->cmd);
}

void store_log_role(struct store *s)
{
	struct rs_peer *p = serving_peer(s);
	if (!p)
		return;
	struct raft_status st;
	raft_status(rs_peer_raft(p), &st);
	struct store_raft *sr = &s->raft;
	if (st.role == sr->logged_role && st.term == sr->logged_term &&
	    st.leader == sr->logged_leader)
		return;
	LOG_INFO("region %llu: %s at term %llu, leader peer %llu", (unsigned long long)sr->region_id,
	         raft_role_name(st.role), (unsigned long long)st.term,
	         (unsigned long long)st.leader);
	sr->logged_role = st.role;
	sr->logged_term = st.term;
	sr->logged_leader = st.leader;
}

/* ---- status ---- */

void store_raft_metrics(struct store *s, struct tk_buf *out)
{
	struct store_raft *sr = &s->raft;
	struct rs_store_stats st;
	memset(&st, 0, sizeof st);
	size_t regions = 0, leaders = 0;
	uint64_t lag = 0;
	if (sr->rs) {
		rs_store_get_stats(sr->rs, &st);
		regions = rs_store_n_peers(sr->rs);
		struct rs_peer *p = serving_peer(s);
		leaders = p && raft_role(rs_peer_raft(p)) == RAFT_LEADER;
		if (p) {
			struct raft_status rst;
			raft_status(rs_peer_raft(p), &rst);
			lag = rst.commit - rst.applied;
		}
	}
	tk_buf_printf(out,
	              "# HELP tinykv_regions Regions with a peer on this store.\n"
	              "# TYPE tinykv_regions gauge\ntinykv_regions %zu\n"
	              "# HELP tinykv_region_leaders Regions whose peer on this store leads.\n"
	              "# TYPE tinykv_region_leaders gauge\ntinykv_region_leaders %zu\n"
	              "# HELP tinykv_raft_proposals_total Commands proposed (one per iteration "
	              "with writes, or per 1 MiB).\n"
	              "# TYPE tinykv_raft_proposals_total counter\ntinykv_raft_proposals_total %llu\n"
	              "# HELP tinykv_raft_ready_passes_total Ready passes that had work.\n"
	              "# TYPE tinykv_raft_ready_passes_total counter\n"
	              "tinykv_raft_ready_passes_total %llu\n"
	              "# HELP tinykv_raft_log_writes_total Raft log batches written (all regions "
	              "in one).\n"
	              "# TYPE tinykv_raft_log_writes_total counter\ntinykv_raft_log_writes_total %llu\n"
	              "# HELP tinykv_raft_log_syncs_total Raft log batches written with fsync.\n"
	              "# TYPE tinykv_raft_log_syncs_total counter\ntinykv_raft_log_syncs_total %llu\n"
	              "# HELP tinykv_raft_apply_writes_total Apply batches written.\n"
	              "# TYPE tinykv_raft_apply_writes_total counter\n"
	              "tinykv_raft_apply_writes_total %llu\n"
	              "# HELP tinykv_raft_reopens_total Raftstore reopens after a failed ready pass.\n"
	              "# TYPE tinykv_raft_reopens_total counter\ntinykv_raft_reopens_total %llu\n"
	              "# HELP tinykv_raft_log_gc_proposals_total Log compactions proposed.\n"
	              "# TYPE tinykv_raft_log_gc_proposals_total counter\n"
	              "tinykv_raft_log_gc_proposals_total %llu\n"
	              "# HELP tinykv_raft_log_gc_deletes_total Compacted log entries deleted.\n"
	              "# TYPE tinykv_raft_log_gc_deletes_total counter\n"
	              "tinykv_raft_log_gc_deletes_total %llu\n"
	              "# HELP tinykv_raft_log_write_seconds_total Time in raft log writes (with "
	              "fsync); divide by tinykv_raft_log_writes_total for the mean.\n"
	              "# TYPE tinykv_raft_log_write_seconds_total counter\n"
	              "tinykv_raft_log_write_seconds_total %.6f\n"
	              "# HELP tinykv_raft_apply_write_seconds_total Time in apply writes; divide by "
	              "tinykv_raft_apply_writes_total for the mean.\n"
	              "# TYPE tinykv_raft_apply_write_seconds_total counter\n"
	              "tinykv_raft_apply_write_seconds_total %.6f\n"
	              "# HELP tinykv_raft_apply_lag_entries Committed entries not applied yet "
	              "(the served region).\n"
	              "# TYPE tinykv_raft_apply_lag_entries gauge\ntinykv_raft_apply_lag_entries %llu\n",
	              regions, leaders, (unsigned long long)sr->proposals,
	              (unsigned long long)st.passes, (unsigned long long)st.log_writes,
	              (unsigned long long)st.syncs, (unsigned long long)st.apply_writes,
	              (unsigned long long)sr->reopens, (unsigned long long)st.gc_proposals,
	              (unsigned long long)st.gc_deletes, (double)st.log_write_ns / 1e9,
	              (double)st.apply_write_ns / 1e9, (unsigned long long)lag);
	tk_buf_printf(out,
	              "# HELP tinykv_raft_snapshots_sent_total Snapshot streams sent to completion.\n"
	              "# TYPE tinykv_raft_snapshots_sent_total counter\n"
	              "tinykv_raft_snapshots_sent_total %llu\n"
	              "# HELP tinykv_raft_snapshots_aborted_total Snapshot streams abandoned.\n"
	              "# TYPE tinykv_raft_snapshots_aborted_total counter\n"
	              "tinykv_raft_snapshots_aborted_total %llu\n"
	              "# HELP tinykv_raft_snapshots_applied_total Snapshots received and applied.\n"
	              "# TYPE tinykv_raft_snapshots_applied_total counter\n"
	              "tinykv_raft_snapshots_applied_total %llu\n"
	              "# HELP tinykv_raft_snapshot_chunks_total Snapshot chunks sent and received.\n"
	              "# TYPE tinykv_raft_snapshot_chunks_total counter\n"
	              "tinykv_raft_snapshot_chunks_total{dir=\"sent\"} %llu\n"
	              "tinykv_raft_snapshot_chunks_total{dir=\"received\"} %llu\n"
	              "tinykv_raft_snapshot_chunks_total{dir=\"refused\"} %llu\n"
	              "# HELP tinykv_server_busy_total Writes refused with SERVER_IS_BUSY "
	              "(--max-pending-proposals reached).\n"
	              "# TYPE tinykv_server_busy_total counter\ntinykv_server_busy_total %llu\n",
	              (unsigned long long)st.snaps_sent, (unsigned long long)st.snaps_aborted,
	              (unsigned long long)st.snaps_applied, (unsigned long long)st.snap_chunks_sent,
	              (unsigned long long)st.snap_chunks_received,
	              (unsigned long long)st.snap_chunks_refused, (unsigned long long)sr->busy_refusals);
}

size_t store_raft_status(struct store *s, struct net_status_field *f, size_t max)
{
	struct rs_peer *p = serving_peer(s);
	size_t n = 0;
	if (!p)
		return 0;
	struct raft_status st;
	raft_status(rs_peer_raft(p), &st);
#define NUM(k, v) if (n < max) f[n++] = (struct net_status_field){k, false, NULL, (uint64_t)(v)}
	NUM("region_id", s->raft.region_id);
	if (n < max)
		f[n++] = (struct net_status_field){"raft_role", true, raft_role_name(st.role), 0};
	NUM("raft_term", st.term);
	NUM("raft_commit", st.commit);
	NUM("raft_applied", st.applied);
	NUM("raft_first_index", rs_ps_first_index(rs_peer_storage(p)));
	NUM("raft_last_index", st.last_index);
	NUM("raft_proposals_in_flight", s->raft.groups);
#undef NUM
	return n;
}
