/* Snapshot streams between stores: generation when raft asks, chunks under
 * a window, acks, timeouts, and the receiver's staging (see store.h and
 * snap.h). */
#include "raftstore/store_int.h"

#include <stdlib.h>
#include <string.h>

/* Generated snapshots waiting for their message: raft asks once per
 * follower that needs one, so a few are plenty; beyond, raft retries. */
#define MAX_GENS 16
/* Ticks without an ack before the unacknowledged chunks are sent again. */
#define RESEND_TICKS 3

static size_t chunk_bytes(const struct rs_store *s)
{
	return s->cfg.snap_chunk_bytes ? s->cfg.snap_chunk_bytes : (size_t)1 << 20;
}
static unsigned window(const struct rs_store *s)
{
	return s->cfg.snap_window ? s->cfg.snap_window : 4;
}
static unsigned timeout_ticks(const struct rs_store *s)
{
	return s->cfg.snap_timeout_ticks ? s->cfg.snap_timeout_ticks : 50;
}
static unsigned max_sending(const struct rs_store *s)
{
	return s->cfg.snap_max_sending ? s->cfg.snap_max_sending : 4;
}

void xfer_init(struct rs_store *s)
{
	tk_buf_init(&s->desc);
}

static void out_free(struct xfer_out *o)
{
	for (unsigned i = 0; o->win && i < o->wn; i++)
		tk_buf_destroy(&o->win[i]);
	free(o->win);
	rs_snap_gen_destroy(&o->gen);
	raft_message_destroy(&o->final);
	free(o);
}

void xfer_free(struct rs_store *s)
{
	for (size_t i = 0; i < s->ngen; i++)
		eng_snap_release(s->cfg.e, s->gens[i].snap);
	for (size_t i = 0; i < s->nout; i++)
		out_free(s->outs[i]);
	free(s->gens);
	free(s->outs);
	free(s->ins);
	free(s->acks);
	tk_buf_destroy(&s->desc);
}

enum tk_err xfer_generate(void *arg, struct rs_peer_storage *ps, struct raft_snapshot *out)
{
	struct rs_store *s = arg;
	const struct rs_region_state *rs = rs_ps_region_state(ps);
	if (!rs || rs->state != RS_PEER_NORMAL || s->ngen >= MAX_GENS)
		return TK_E_SERVER_IS_BUSY;
	if (s->ngen == s->gencap) {
		size_t cap = s->gencap ? s->gencap * 2 : 4;
		struct xfer_gen *n = realloc(s->gens, cap * sizeof *n);
		if (!n)
			return TK_E_SERVER_IS_BUSY;
		s->gens = n;
		s->gencap = cap;
	}
	struct raft_snapshot_meta meta;
	enum tk_err rc = rs_ps_snapshot_meta(ps, &meta);
	if (rc != TK_OK)
		return rc;
	uint64_t id = s->next_snap_id + 1;
	if (!rs_snap_desc_encode(id, rs, &s->desc))
		return TK_E_SERVER_IS_BUSY;
	/* The engine holds exactly the state at the persisted applied index
	 * (apply writes and the apply state go in one batch), which is
	 * meta.index: this view is the snapshot's data. */
	struct eng_snap *snap = eng_snapshot(s->cfg.e);
	if (!snap)
		return TK_E_SERVER_IS_BUSY;
	s->next_snap_id = id;
	s->gens[s->ngen++] = (struct xfer_gen){
	    .snap_id = id, .region_id = rs_ps_region_id(ps), .pass = s->pass_no, .snap = snap};
	s->st.snaps_generated++;
	out->meta = meta;
	out->data = s->desc.data;
	out->len = s->desc.len;
	return TK_OK;
}

void xfer_release_unclaimed(struct rs_store *s)
{
	size_t k = 0;
	for (size_t i = 0; i < s->ngen; i++) {
		if (s->gens[i].pass < s->pass_no)
			eng_snap_release(s->cfg.e, s->gens[i].snap);
		else
			s->gens[k++] = s->gens[i];
	}
	s->ngen = k;
}

static bool desc_id(const struct raft_snapshot *sn, uint64_t *id)
{
	if (!sn || sn->len < 9 || sn->data[0] != RS_SNAP_DESC_V1)
		return false;
	*id = tk_get_be64(sn->data + 1);
	return true;
}

void xfer_start(struct rs_store *s, struct rs_peer *p, const struct raft_message *m,
                uint64_t to_store)
{
	uint64_t id = 0;
	struct eng_snap *snap = NULL;
	if (desc_id(m->snapshot, &id))
		for (size_t i = 0; i < s->ngen; i++)
			if (s->gens[i].snap_id == id) {
				snap = s->gens[i].snap;
				s->gens[i] = s->gens[--s->ngen];
				break;
			}
	struct xfer_out *o = NULL;
	struct tk_errbuf eb;
	const struct rs_region_state *rs = rs_ps_region_state(rs_peer_storage(p));
	if (snap && to_store && rs && s->nout < max_sending(s)) {
		struct xfer_out **n = realloc(s->outs, (s->nout + 1) * sizeof *n);
		if (n)
			s->outs = n;
		o = n ? calloc(1, sizeof *o) : NULL;
		if (o) {
			o->wn = window(s);
			o->win = calloc(o->wn, sizeof *o->win);
			if (!o->win) {
				free(o);
				o = NULL;
			}
		}
	}
	if (!o || rs_snap_gen_init(&o->gen, s->cfg.e, snap, rs, &eb) != TK_OK) {
		if (o) /* the generator took the engine snapshot */
			out_free(o);
		else if (snap)
			eng_snap_release(s->cfg.e, snap);
		s->st.snaps_aborted++;
		raft_report_snapshot(rs_peer_raft(p), m->to, false);
		return;
	}
	o->snap_id = id;
	o->region_id = rs_peer_region_id(p);
	o->to_store = to_store;
	raft_message_copy(&o->final, m);
	for (unsigned i = 0; i < o->wn; i++)
		tk_buf_init(&o->win[i]);
	s->outs[s->nout++] = o;
}

/* End stream i: raft learns whether the follower got every chunk. */
static void out_end(struct rs_store *s, size_t i, bool ok)
{
	struct xfer_out *o = s->outs[i];
	struct rs_peer *p = rs_store_peer(s, o->region_id);
	if (p)
		raft_report_snapshot(rs_peer_raft(p), o->final.to, ok);
	if (ok)
		s->st.snaps_sent++;
	else
		s->st.snaps_aborted++;
	out_free(o);
	s->outs[i] = s->outs[--s->nout];
}

bool xfer_has_work(const struct rs_store *s)
{
	if (s->nack)
		return true;
	for (size_t i = 0; i < s->nout; i++)
		if (s->outs[i]->resend || (!s->outs[i]->last_sent &&
		                           s->outs[i]->next_seq - s->outs[i]->acked < window(s)))
			return true;
	return false;
}

/* Send chunk seq of o, which the window still holds. */
static void send_chunk(struct rs_store *s, struct xfer_out *o, uint32_t seq)
{
	const struct tk_buf *d = &o->win[seq % o->wn];
	bool last = o->last_sent && seq + 1 == o->next_seq;
	struct rs_envelope env;
	memset(&env, 0, sizeof env);
	env.region_id = o->region_id;
	store_address(s, o->region_id, o->to_store, &env);
	env.type = RS_ENV_SNAP_CHUNK;
	if (last) {
		env.msg = o->final;
	} else {
		env.msg.type = RAFT_MSG_SNAPSHOT;
		env.msg.from = o->final.from;
		env.msg.to = o->final.to;
		env.msg.term = o->final.term;
	}
	env.snap = (struct rs_snap_chunk){.snap_id = o->snap_id,
	                                  .from_store = s->cfg.store_id,
	                                  .seq = seq,
	                                  .last = last,
	                                  .data = d->data,
	                                  .len = d->len};
	if (s->cfg.send)
		s->cfg.send(s->cfg.send_arg, o->to_store, &env, 1);
	s->st.snap_chunks_sent++;
}

void xfer_send(struct rs_store *s)
{
	for (size_t i = 0; i < s->nack; i++) {
		struct xfer_ack *a = &s->acks[i];
		store_address(s, a->env.region_id, a->to_store, &a->env);
		if (s->cfg.send)
			s->cfg.send(s->cfg.send_arg, a->to_store, &a->env, 1);
	}
	s->nack = 0;
	for (size_t i = 0; i < s->nout; i++) {
		struct xfer_out *o = s->outs[i];
		if (o->resend) { /* go back: everything not acknowledged again */
			o->resend = false;
			for (uint32_t q = o->acked; q < o->next_seq; q++)
				send_chunk(s, o, q);
		}
		while (!o->last_sent && o->next_seq - o->acked < o->wn) {
			bool done;
			struct tk_errbuf eb;
			if (rs_snap_gen_next(&o->gen, chunk_bytes(s), &o->win[o->next_seq % o->wn],
			                     &done, &eb) != TK_OK) {
				out_end(s, i--, false);
				break;
			}
			o->next_seq++;
			o->last_sent = done;
			send_chunk(s, o, o->next_seq - 1);
		}
	}
}

void xfer_tick(struct rs_store *s)
{
	for (size_t i = 0; i < s->nout; i++) {
		struct xfer_out *o = s->outs[i];
		if (++o->idle_ticks > timeout_ticks(s))
			out_end(s, i--, false);
		else if (o->idle_ticks % RESEND_TICKS == 0 && o->acked < o->next_seq)
			o->resend = true; /* a chunk or its ack was lost: the next pass resends */
	}
}

static struct xfer_in *find_in(struct rs_store *s, uint64_t region_id, bool create)
{
	for (size_t i = 0; i < s->nin; i++)
		if (s->ins[i].region_id == region_id)
			return &s->ins[i];
	if (!create)
		return NULL;
	if (s->nin == s->incap) {
		size_t cap = s->incap ? s->incap * 2 : 4;
		struct xfer_in *n = realloc(s->ins, cap * sizeof *n);
		if (!n)
			return NULL;
		s->ins = n;
		s->incap = cap;
	}
	struct xfer_in *in = &s->ins[s->nin++];
	memset(in, 0, sizeof *in);
	in->region_id = region_id;
	return in;
}

void xfer_ready_done(struct rs_store *s, uint64_t region_id, bool had_snapshot)
{
	struct xfer_in *in = find_in(s, region_id, false);
	if (!in || !in->sealed)
		return;
	in->sealed = false;
	/* Raft did not take it (it had the entries already): the staged
	 * chunks are garbage.  (A taken one's went with its final batch.)  A
	 * failure here leaves them to the next stream's reset. */
	struct tk_errbuf eb;
	if (!had_snapshot)
		(void)rs_snap_stage_reset(s->cfg.e, region_id, &eb);
}

static void queue_ack(struct rs_store *s, const struct rs_envelope *env, bool reject)
{
	if (s->nack == s->ackcap) {
		size_t cap = s->ackcap ? s->ackcap * 2 : 8;
		struct xfer_ack *n = realloc(s->acks, cap * sizeof *n);
		if (!n)
			return; /* the sender times out and raft retries */
		s->acks = n;
		s->ackcap = cap;
	}
	struct xfer_ack *a = &s->acks[s->nack++];
	memset(a, 0, sizeof *a);
	a->to_store = env->snap.from_store;
	a->env.region_id = env->region_id;
	a->env.type = RS_ENV_SNAP_ACK;
	a->env.msg.type = RAFT_MSG_SNAPSHOT;
	a->env.msg.from = env->msg.to;
	a->env.msg.to = env->msg.from;
	a->env.msg.term = env->msg.term;
	a->env.snap.snap_id = env->snap.snap_id;
	a->env.snap.from_store = s->cfg.store_id;
	a->env.snap.seq = env->snap.seq;
	a->env.snap.reject = reject;
	if (reject)
		s->st.snap_chunks_refused++;
}

/* The last chunk's SNAPSHOT must describe this region with a peer of ours. */
static bool desc_ok(struct rs_store *s, const struct rs_envelope *env)
{
	const struct raft_snapshot *sn = env->msg.snapshot;
	if (env->msg.type != RAFT_MSG_SNAPSHOT || !sn)
		return false;
	uint64_t id;
	struct rs_region_state rs;
	rs_region_state_init(&rs);
	struct tk_errbuf eb;
	bool ok = rs_snap_desc_decode(sn->data, sn->len, &id, &rs, &eb) == TK_OK &&
	          id == env->snap.snap_id && rs.region.id == env->region_id &&
	          rs.state == RS_PEER_NORMAL;
	bool ours = false;
	for (uint32_t i = 0; ok && i < rs.region.n_peers; i++)
		ours = ours || (rs.region.peers[i].store_id == s->cfg.store_id &&
		                rs.region.peers[i].id == env->msg.to);
	rs_region_state_destroy(&rs);
	return ok && ours;
}

enum take { TAKEN, DUPLICATE, GAP, REFUSED };

static enum take take_chunk(struct rs_store *s, struct rs_peer *p, const struct rs_envelope *env)
{
	const struct rs_snap_chunk *c = &env->snap;
	struct xfer_in *in = find_in(s, env->region_id, true);
	struct tk_errbuf eb;
	if (!in)
		return REFUSED;
	bool same = in->snap_id == c->snap_id && in->from_peer == env->msg.from;
	if (same && c->seq < in->next_seq)
		return DUPLICATE; /* a resend after a lost ack: ack again */
	if (same && in->active && c->seq > in->next_seq)
		return GAP; /* one was lost: the sender goes back to it */
	if (c->seq == 0 && !same) {
		if (in->sealed || rs_snap_stage_reset(s->cfg.e, env->region_id, &eb) != TK_OK)
			return REFUSED;
		in->active = true;
		in->snap_id = c->snap_id;
		in->from_peer = env->msg.from;
		in->next_seq = 0;
	} else if (!same || !in->active) {
		return REFUSED; /* e.g. this store restarted mid-stream */
	}
	/* Keys must lie in the region as this store knows it; a peer that
	 * knows no range yet (uninitialized) checks the records' form only. */
	const struct rs_region_state *rs = rs_ps_region_state(rs_peer_storage(p));
	struct rs_region anywhere;
	memset(&anywhere, 0, sizeof anywhere);
	anywhere.id = env->region_id;
	if ((c->len && !c->data) ||
	    rs_snap_chunk_check(c->data, c->len, rs ? &rs->region : &anywhere, &eb) != TK_OK ||
	    (c->last && !desc_ok(s, env)) ||
	    rs_snap_stage_chunk(s->cfg.e, env->region_id, c->seq, c->data, c->len, &eb) != TK_OK) {
		in->active = false;
		in->snap_id = 0;
		return REFUSED;
	}
	in->next_seq++;
	s->st.snap_chunks_received++;
	if (!c->last)
		return TAKEN;
	in->active = false;
	in->sealed = true;
	if (raft_step(rs_peer_raft(p), &env->msg) != TK_OK) {
		in->sealed = false;
		in->snap_id = 0;
		return REFUSED;
	}
	return TAKEN;
}

enum tk_err xfer_step(struct rs_store *s, const struct rs_envelope *env)
{
	if (env->type == RS_ENV_SNAP_ACK) {
		for (size_t i = 0; i < s->nout; i++) {
			struct xfer_out *o = s->outs[i];
			if (o->snap_id != env->snap.snap_id || o->region_id != env->region_id)
				continue;
			if (env->snap.reject || env->snap.seq >= o->next_seq) {
				out_end(s, i, false);
			} else {
				if (env->snap.seq + 1 > o->acked)
					o->acked = env->snap.seq + 1;
				o->idle_ticks = 0;
				if (o->last_sent && o->acked == o->next_seq)
					out_end(s, i, true);
			}
			break;
		}
		return TK_OK;
	}
	if (env->type != RS_ENV_SNAP_CHUNK)
		return TK_E_BAD_REQUEST;
	struct rs_peer *p = rs_store_peer(s, env->region_id);
	if (!p)
		return TK_E_REGION_NOT_FOUND;
	enum take t = take_chunk(s, p, env);
	if (t != GAP)
		queue_ack(s, env, t == REFUSED);
	return TK_OK;
}

void xfer_forget_region(struct rs_store *s, uint64_t region_id)
{
	for (size_t i = 0; i < s->nout; i++)
		if (s->outs[i]->region_id == region_id)
			out_end(s, i--, false);
	for (size_t i = 0; i < s->nin; i++)
		if (s->ins[i].region_id == region_id) {
			s->ins[i] = s->ins[--s->nin];
			break;
		}
}
