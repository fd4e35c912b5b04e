/* Peers born from messages and destroyed after their removal, tombstones,
 * and the store's membership entry points (store.h, "Peers born and
 * destroyed").  The rules follow TiKV's and TinyKV's store workers
 * (maybeCreatePeer, checkMsg, handleGCPeerMsg); where they differ, TiKV's. */
#include "raftstore/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "engine/raft_keys.h"
#include "raftstore/snap.h"
#include "util/failpoint.h"

static struct store_tomb *find_tomb(const struct rs_store *s, uint64_t rid)
{
	for (size_t i = 0; i < s->ntomb; i++)
		if (s->tombs[i].region_id == rid)
			return &s->tombs[i];
	return NULL;
}

static enum tk_err remember_tomb(struct rs_store *s, const struct rs_region *r,
                                 struct tk_errbuf *eb)
{
	uint64_t rid = r->id;
	struct store_tomb *t = find_tomb(s, rid);
	if (!t) {
		if (s->ntomb == s->tombcap) {
			size_t cap = s->tombcap ? s->tombcap * 2 : 8;
			struct store_tomb *n = realloc(s->tombs, cap * sizeof *n);
			if (!n)
				return tk_err_set(eb, TK_E_NOMEM, "tombstones");
			s->tombs = n;
			s->tombcap = cap;
		}
		t = &s->tombs[s->ntomb++];
		t->region_id = rid;
	}
	t->epoch = r->epoch;
	t->n_stores = r->n_peers;
	for (uint32_t i = 0; i < r->n_peers; i++)
		t->stores[i] = r->peers[i].store_id;
	return TK_OK;
}

bool rs_store_tombstone(const struct rs_store *s, uint64_t region_id, struct region_epoch *epoch)
{
	const struct store_tomb *t = find_tomb(s, region_id);
	if (t && epoch)
		*epoch = t->epoch;
	return t != NULL;
}

void store_peers_free(struct rs_store *s)
{
	free(s->tombs);
	free(s->answers);
}

/* The last step of a destruction: the range's data, then the raft records
 * (a restart that still finds raft records under the tombstone redoes
 * both; data first so that no restart sees the records gone and the data
 * left). */
static enum tk_err clear_region(struct rs_store *s, uint64_t rid, const struct rs_region *r,
                                struct tk_errbuf *eb)
{
	enum tk_err rc = TK_OK;
	if (r)
		rc = rs_snap_clear_data(s->cfg.e, r, eb);
	if (rc == TK_OK)
		tk_failpoint("destroy-after-data");
	if (rc == TK_OK)
		rc = rs_snap_clear_raft(s->cfg.e, rid, eb);
	return rc;
}

enum tk_err store_open_tombstone(struct rs_store *s, const struct rs_region_state *rs,
                                 struct tk_errbuf *eb)
{
	enum tk_err rc = remember_tomb(s, &rs->region, eb);
	if (rc != TK_OK)
		return rc;
	struct eng_key lo = eng_key_raft_region_lo(rs->region.id);
	struct eng_key hi = eng_key_raft_region_hi(rs->region.id);
	struct eng_iter *it = eng_iter_new_keys(s->cfg.e, NULL, &lo, &hi);
	if (!it)
		return tk_err_set(eb, TK_E_NOMEM, "tombstone scan");
	eng_iter_seek_first(it);
	bool left = eng_iter_valid(it);
	rc = eng_iter_status(it, eb);
	eng_iter_free(it);
	if (rc == TK_OK && left) /* a destruction a kill cut short */
		rc = clear_region(s, rs->region.id, &rs->region, eb);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "region %llu: finish destroying",
		                   (unsigned long long)rs->region.id);
	return TK_OK;
}

/* Record region state rs as TOMBSTONE (synced unless the store never
 * syncs) and remember it. */
static enum tk_err write_tombstone(struct rs_store *s, const struct rs_region_state *rs,
                                   struct rs_region_state *ts, struct tk_errbuf *eb)
{
	struct tk_buf v;
	tk_buf_init(&v);
	struct eng_batch *b = eng_batch_new();
	enum tk_err rc = rs_region_state_copy(ts, rs);
	ts->state = RS_PEER_TOMBSTONE;
	if (rc != TK_OK || !b || !rs_region_state_encode(ts, &v)) {
		rc = tk_err_set(eb, TK_E_NOMEM, "tombstone");
	} else {
		struct eng_key k = eng_key_region_state(rs->region.id);
		eng_batch_put_key(b, &k, tk_buf_slice(&v));
		rc = eng_write(s->cfg.e, b, !s->cfg.no_sync, eb);
	}
	eng_batch_free(b);
	tk_buf_destroy(&v);
	if (rc == TK_OK)
		rc = remember_tomb(s, &ts->region, eb);
	return rc;
}

enum tk_err store_open_removed(struct rs_store *s, const struct rs_region_state *rs,
                               struct tk_errbuf *eb)
{
	struct rs_region_state ts;
	rs_region_state_init(&ts);
	enum tk_err rc = write_tombstone(s, rs, &ts, eb);
	if (rc == TK_OK)
		rc = clear_region(s, rs->region.id, &rs->region, eb);
	rs_region_state_destroy(&ts);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "region %llu: finish destroying",
		                   (unsigned long long)rs->region.id);
	s->st.peers_destroyed++;
	return TK_OK;
}

static void notify(struct rs_store *s, uint64_t rid, enum rs_peer_event ev)
{
	if (s->cfg.on_peer)
		s->cfg.on_peer(s->cfg.on_peer_arg, rid, ev);
}

/* Destroy router entry i: the tombstone (synced) first, then the peer
 * leaves the router, then its data and raft records go. */
static enum tk_err destroy_peer(struct rs_store *s, size_t i, struct tk_errbuf *eb)
{
	struct rs_peer *p = s->peers[i];
	uint64_t rid = rs_peer_region_id(p);
	const struct rs_region_state *cur = rs_ps_region_state(rs_peer_storage(p));
	bool init = cur && cur->state == RS_PEER_NORMAL;
	struct rs_region_state ts;
	rs_region_state_init(&ts);
	enum tk_err rc = TK_OK;
	if (init)
		rc = write_tombstone(s, cur, &ts, eb);
	if (rc != TK_OK) { /* the store closes; the peer reopens as it was */
		rs_region_state_destroy(&ts);
		return tk_err_wrap(eb, rc, "region %llu: destroy", (unsigned long long)rid);
	}
	tk_failpoint("destroy-after-tombstone");
	memmove(&s->peers[i], &s->peers[i + 1], (s->n - i - 1) * sizeof *s->peers);
	s->n--;
	xfer_forget_region(s, rid);
	rs_peer_free(p);
	rc = clear_region(s, rid, init ? &ts.region : NULL, eb);
	rs_region_state_destroy(&ts);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "region %llu: destroy", (unsigned long long)rid);
	s->st.peers_destroyed++;
	notify(s, rid, RS_PEER_DESTROYED);
	return TK_OK;
}

bool store_has_removed(const struct rs_store *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (rs_peer_removed(s->peers[i]))
			return true;
	return false;
}

enum tk_err store_destroy_removed(struct rs_store *s, struct tk_errbuf *eb)
{
	for (size_t i = 0; i < s->n; i++)
		if (rs_peer_removed(s->peers[i])) {
			enum tk_err rc = destroy_peer(s, i--, eb);
			if (rc != TK_OK)
				return rc;
		}
	return TK_OK;
}

static bool is_vote(const struct raft_message *m)
{
	return m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_PREVOTE;
}

/* TiKV's is_initial_msg: a candidate asking for a vote, or a leader's
 * heartbeat to a peer it knows to hold nothing (commit 0; a leader
 * heartbeats commit min(match, committed)). */
static bool is_initial(const struct raft_message *m)
{
	return is_vote(m) || (m->type == RAFT_MSG_HEARTBEAT && m->commit == 0);
}

/* Tell the sender of env, a peer of an older epoch, that it is removed. */
static void answer_tombstone(struct rs_store *s, const struct rs_envelope *env,
                             struct region_epoch epoch)
{
	if (!env->from_store)
		return;
	if (s->nans == s->anscap) {
		size_t cap = s->anscap ? s->anscap * 2 : 8;
		struct xfer_ack *n = realloc(s->answers, cap * sizeof *n);
		if (!n)
			return; /* it asks again */
		s->answers = n;
		s->anscap = cap;
	}
	struct xfer_ack *a = &s->answers[s->nans++];
	memset(a, 0, sizeof *a);
	a->to_store = env->from_store;
	a->env.region_id = env->region_id;
	a->env.from_store = s->cfg.store_id;
	a->env.to_store = env->from_store;
	a->env.epoch = epoch;
	a->env.tombstone = true;
	/* A message that carries nothing (term 0): never stepped into raft. */
	a->env.msg.type = RAFT_MSG_HEARTBEAT;
	a->env.msg.from = env->msg.to;
	a->env.msg.to = env->msg.from;
	s->st.tombstones_sent++;
}

void store_send_answers(struct rs_store *s)
{
	for (size_t i = 0; i < s->nans; i++)
		if (s->cfg.send)
			s->cfg.send(s->cfg.send_arg, s->answers[i].to_store, &s->answers[i].env, 1);
	s->nans = 0;
}

static bool range_overlaps(struct tk_slice as, struct tk_slice ae, const struct rs_region *b)
{
	struct tk_slice bs = tk_buf_slice(&b->start_key), be = tk_buf_slice(&b->end_key);
	return (ae.n == 0 || tk_slice_cmp(bs, ae) < 0) && (be.n == 0 || tk_slice_cmp(as, be) < 0);
}

static bool store_in_region(const struct rs_region *r, uint64_t store_id)
{
	for (uint32_t i = 0; i < r->n_peers; i++)
		if (r->peers[i].store_id == store_id)
			return true;
	return false;
}

static struct region_epoch peer_epoch(const struct rs_peer *p)
{
	const struct rs_region *r = rs_peer_region(p);
	return r ? r->epoch : (struct region_epoch){0, 0};
}

/* No peer of env's region here: create one if the message may. */
static enum tk_err maybe_create(struct rs_store *s, const struct rs_envelope *env)
{
	const struct raft_message *m = &env->msg;
	if (!is_initial(m) || m->to == 0 || env->from_store == 0)
		return TK_E_REGION_NOT_FOUND;
	struct store_tomb *t = find_tomb(s, env->region_id);
	if (t) {
		if (region_epoch_is_stale(env->epoch, t->epoch)) {
			/* Only a sender the region no longer has was removed; a
			 * member of it merely lags (TinyKV's checkMsg). */
			bool member = false;
			for (uint32_t i = 0; i < t->n_stores; i++)
				member = member || t->stores[i] == env->from_store;
			if (is_vote(m) && !member)
				answer_tombstone(s, env, t->epoch);
			return TK_OK;
		}
		/* Not newer than the tombstone: the destroyed peer's group. */
		if (!region_epoch_is_stale(t->epoch, env->epoch))
			return TK_OK;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct rs_region *r = rs_peer_region(s->peers[i]);
		if (r && range_overlaps(env->start_key, env->end_key, r))
			return TK_E_REGION_NOT_FOUND; /* a split or merge not seen yet */
	}
	struct tk_errbuf eb;
	enum tk_err rc = TK_OK;
	if (t) {
		/* The new peer's raft state would sit under the old tombstone,
		 * which a restart would take for a destruction cut short.  The
		 * delete needs no sync: LevelDB keeps writes in order, and the
		 * peer's first synced hard state comes after it. */
		struct eng_batch *b = eng_batch_new();
		struct eng_key k = eng_key_region_state(env->region_id);
		if (b)
			eng_batch_delete_key(b, &k);
		rc = b ? eng_write(s->cfg.e, b, false, &eb) : TK_E_NOMEM;
		eng_batch_free(b);
		if (rc != TK_OK)
			return rc;
		*t = s->tombs[--s->ntomb];
	}
	struct rs_peer *p;
	rc =
	    rs_peer_create(s->cfg.e, env->region_id, s->cfg.store_id, m->to, &s->cfg.peer, &p, &eb);
	if (rc != TK_OK)
		return rc;
	if ((rc = store_add_peer(s, p, &eb)) != TK_OK) {
		rs_peer_free(p);
		return rc;
	}
	rs_ps_set_snapshot_source(rs_peer_storage(p), xfer_generate, s);
	s->st.peers_created++;
	notify(s, env->region_id, RS_PEER_CREATED);
	rs_peer_learn_store(p, m->from, env->from_store);
	return raft_step(rs_peer_raft(p), m);
}

enum tk_err store_step_raft(struct rs_store *s, const struct rs_envelope *env)
{
	const struct raft_message *m = &env->msg;
	struct rs_peer *p = rs_store_peer(s, env->region_id);
	if (env->tombstone) { /* never creates, never reaches raft */
		if (p && m->to == rs_peer_id(p) && region_epoch_is_stale(peer_epoch(p), env->epoch))
			rs_peer_mark_removed(p);
		return TK_OK;
	}
	if (!p)
		return maybe_create(s, env);
	if (rs_peer_removed(p))
		return TK_OK; /* on its way out */
	if (m->to != rs_peer_id(p)) {
		/* A newer peer of the region on this store: ours was removed
		 * and re-added while it did not listen.  It goes; a later
		 * message creates the new one. */
		if (m->to > rs_peer_id(p) && region_epoch_is_stale(peer_epoch(p), env->epoch))
			rs_peer_mark_removed(p);
		return TK_OK;
	}
	const struct rs_region *r = rs_peer_region(p);
	if (r && env->from_store && region_epoch_is_stale(env->epoch, r->epoch) &&
	    !store_in_region(r, env->from_store)) {
		/* From a peer removed while away (TinyKV's checkMsg case b):
		 * if it campaigns, tell it to go. */
		if (is_vote(m))
			answer_tombstone(s, env, r->epoch);
		return TK_OK;
	}
	rs_peer_learn_store(p, m->from, env->from_store);
	return raft_step(rs_peer_raft(p), m);
}

struct rs_peer *rs_store_peer_at(struct rs_store *s, size_t i)
{
	return i < s->n ? s->peers[i] : NULL;
}

struct rs_peer *rs_store_find_key(struct rs_store *s, struct tk_slice key)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct rs_region *r = rs_peer_region(s->peers[i]);
		if (!r || rs_peer_removed(s->peers[i]))
			continue;
		struct tk_slice st = tk_buf_slice(&r->start_key), en = tk_buf_slice(&r->end_key);
		if (tk_slice_cmp(st, key) <= 0 && (en.n == 0 || tk_slice_cmp(key, en) < 0))
			return s->peers[i];
	}
	return NULL;
}

enum tk_err rs_store_change_peer(struct rs_store *s, uint64_t region_id, int add, uint64_t peer_id,
                                 uint64_t store_id, rs_proposal_cb cb, void *arg)
{
	struct rs_peer *p = rs_store_peer(s, region_id);
	if (!p) {
		cb(arg, TK_E_REGION_NOT_FOUND, NULL);
		return TK_E_REGION_NOT_FOUND;
	}
	return rs_peer_change_peer(p, add, peer_id, store_id, cb, arg);
}

enum tk_err rs_store_transfer_leader(struct rs_store *s, uint64_t region_id, uint64_t peer_id)
{
	struct rs_peer *p = rs_store_peer(s, region_id);
	return p ? rs_peer_transfer_leader(p, peer_id) : TK_E_REGION_NOT_FOUND;
}
