/* Linearizable reads without log writes (§6.4): ReadIndex confirmed by a
 * heartbeat round, or served under the leader lease (§6.4.1, only with
 * CheckQuorum).  A leader answers only after it committed an entry of its own
 * term, since before that its commit index may lag behind the cluster's. */
#include <stdlib.h>
#include <string.h>

#include "raft/impl.h"

static void q_clear(struct raft_readq *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->v[i].ctx);
	q->n = 0;
}

void raft_readonly_reset(struct raft_node *r)
{
	q_clear(&r->pendq);
	q_clear(&r->waitq);
}

static void q_push(struct raft_readq *q, raft_id from, raft_index index, uint64_t seq,
		   const uint8_t *ctx, size_t len)
{
	raft_grow((void **)&q->v, &q->cap, q->n + 1, sizeof(*q->v));
	struct raft_pending_read *p = &q->v[q->n++];
	p->from = from;
	p->index = index;
	p->seq = seq;
	p->len = len;
	p->ctx = NULL;
	if (len) {
		p->ctx = raft_xmalloc(len);
		memcpy(p->ctx, ctx, len);
	}
}

void raft_add_read_state(struct raft_node *r, raft_index index, const uint8_t *ctx, size_t len)
{
	raft_grow((void **)&r->reads, &r->cap_reads, r->n_reads + 1, sizeof(*r->reads));
	struct raft_read_state *rs = &r->reads[r->n_reads++];
	rs->index = index;
	rs->context_len = len;
	rs->context = NULL;
	if (len) {
		uint8_t *c = raft_xmalloc(len);
		memcpy(c, ctx, len);
		rs->context = c;
	}
}

static void respond(struct raft_node *r, raft_id from, raft_index index, const uint8_t *ctx,
		    size_t len)
{
	if (from == r->id) {
		raft_add_read_state(r, index, ctx, len);
		return;
	}
	struct raft_message m = {.type = RAFT_MSG_READ_INDEX_RESP, .to = from, .index = index};
	if (len) {
		uint8_t *c = raft_xmalloc(len);
		memcpy(c, ctx, len);
		m.context = c;
		m.context_len = len;
	}
	raft_send(r, &m);
}

static bool committed_in_term(const struct raft_node *r)
{
	return raft_log_term0(&r->log, r->log.committed) == r->term;
}

/* §6.4.1: a majority acknowledged a heartbeat sent at tick t; each of them
 * refuses to vote for another leader for an election timeout after it got
 * it, so nobody else can lead before t + election_ticks (one tick of margin
 * for clock phase; the clocks' rates must be close, which is the lease's
 * assumption). */
static bool lease_valid(const struct raft_node *r)
{
	if (!r->cfg.check_quorum || r->lead_transferee || r->ticks < r->lease_block_until)
		return false;
	uint64_t s = raft_tracker_read_quorum_seq(&r->prs, r->id, r->read_seq);
	if (s == 0 || r->read_seq - s >= RAFT_ROUNDS)
		return false;
	return r->ticks - r->round_tick[s % RAFT_ROUNDS] + 1 < r->cfg.election_ticks;
}

void raft_leader_read(struct raft_node *r, raft_id from, const uint8_t *ctx, size_t len)
{
	if (r->prs.n == 1 && raft_tracker_get(&r->prs, r->id)) {
		/* Alone in the group: our commit index is the group's. */
		respond(r, from, r->log.committed, ctx, len);
		return;
	}
	if (!committed_in_term(r)) {
		q_push(&r->waitq, from, 0, 0, ctx, len);
		return;
	}
	if (r->cfg.read_only == RAFT_READ_LEASE && lease_valid(r)) {
		respond(r, from, r->log.committed, ctx, len);
		return;
	}
	/* The next heartbeat round confirms we are still the leader. */
	q_push(&r->pendq, from, r->log.committed, r->read_seq + 1, ctx, len);
	raft_bcast_heartbeat(r);
}

static void flush_acked(struct raft_node *r)
{
	size_t k = 0;
	while (k < r->pendq.n && raft_tracker_read_acked(&r->prs, r->id, r->pendq.v[k].seq)) {
		struct raft_pending_read *p = &r->pendq.v[k];
		respond(r, p->from, p->index, p->ctx, p->len);
		free(p->ctx);
		k++;
	}
	if (k) {
		memmove(r->pendq.v, r->pendq.v + k, (r->pendq.n - k) * sizeof(*r->pendq.v));
		r->pendq.n -= k;
	}
}

void raft_readonly_ack(struct raft_node *r, raft_id from, uint64_t seq)
{
	struct raft_progress *p = raft_tracker_get(&r->prs, from);
	if (!p || seq > r->read_seq)
		return;
	if (p->read_ack < seq)
		p->read_ack = seq;
	flush_acked(r);
}

void raft_readonly_on_commit(struct raft_node *r)
{
	if (r->role != RAFT_LEADER || !r->waitq.n || !committed_in_term(r))
		return;
	struct raft_readq q = r->waitq;
	memset(&r->waitq, 0, sizeof(r->waitq));
	for (size_t i = 0; i < q.n; i++) {
		raft_leader_read(r, q.v[i].from, q.v[i].ctx, q.v[i].len);
		free(q.v[i].ctx);
	}
	free(q.v);
}

enum tk_err raft_read_index(struct raft_node *r, const void *ctx, size_t len)
{
	if (r->in_ready)
		raft_panic(&r->log, "raft_read_index between raft_ready and raft_advance");
	if (r->role == RAFT_LEADER) {
		raft_leader_read(r, r->id, ctx, len);
		return TK_OK;
	}
	if (!r->leader)
		return TK_E_NOT_LEADER;
	struct raft_message m = {.type = RAFT_MSG_READ_INDEX, .to = r->leader};
	if (len) {
		uint8_t *c = raft_xmalloc(len);
		memcpy(c, ctx, len);
		m.context = c;
		m.context_len = len;
	}
	raft_send(r, &m);
	return TK_OK;
}
