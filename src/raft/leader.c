/* The leader: proposals, log replication with flow control (§3.5, §10.2),
 * commitment (§3.6.2), snapshots to lagging peers (§5), CheckQuorum (§6.2)
 * and leadership transfer (§3.10). */
#include <stdlib.h>
#include <string.h>

#include "raft/impl.h"

void raft_append_entries(struct raft_node *r, const struct raft_entry *ents, size_t n)
{
	raft_index last = raft_log_last(&r->log);
	struct raft_entry stack[16];
	struct raft_entry *v = n <= 16 ? stack : raft_xmalloc(n * sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		v[i] = ents[i];
		v[i].term = r->term;
		v[i].index = last + 1 + i;
	}
	last = raft_log_append(&r->log, v, n);
	if (v != stack)
		free(v);
	/* The leader's own entries count towards the quorum right away: the
	 * caller persists them before it sends the messages of the same ready,
	 * so nothing it acknowledges later can be lost by the leader. */
	struct raft_progress *self = raft_tracker_get(&r->prs, r->id);
	if (self)
		raft_pr_maybe_update(self, last);
	raft_leader_maybe_commit(r);
}

bool raft_leader_maybe_commit(struct raft_node *r)
{
	raft_index idx = raft_tracker_committed(&r->prs);
	/* Only an entry of the current term is committed by counting (§3.6.2,
	 * Figure 8 of the paper); earlier ones follow it. */
	if (!raft_log_maybe_commit(&r->log, idx, r->term))
		return false;
	raft_readonly_on_commit(r);
	return true;
}

/* Copy entries into one allocation owned by the message. */
static void attach_entries(struct raft_message *m, const struct raft_entbuf *b)
{
	if (!b->n)
		return;
	size_t hdr = b->n * sizeof(struct raft_entry);
	uint8_t *mem = raft_xmalloc(hdr + b->bytes);
	struct raft_entry *e = (struct raft_entry *)(void *)mem;
	uint8_t *data = mem + hdr;
	for (size_t i = 0; i < b->n; i++) {
		e[i] = b->ents[i];
		if (e[i].len) {
			memcpy(data, b->ents[i].data, e[i].len);
			e[i].data = data;
			data += e[i].len;
		}
	}
	m->entries = e;
	m->n_entries = b->n;
}

static bool send_snapshot(struct raft_node *r, struct raft_progress *p)
{
	if (!p->recent_active) {
		TRACE(r, "peer %llu not active, no snapshot", (unsigned long long)p->id);
		return false;
	}
	struct raft_snapshot s;
	if (raft_log_snapshot(&r->log, &s) != TK_OK) {
		TRACE(r, "snapshot for %llu not ready", (unsigned long long)p->id);
		return false;
	}
	if (s.meta.index == 0)
		raft_panic(&r->log, "need a snapshot but the storage has none");
	struct raft_snapshot *c = raft_xmalloc(sizeof(*c) + s.len);
	*c = s;
	if (s.len) {
		memcpy(c + 1, s.data, s.len);
		c->data = (const uint8_t *)(c + 1);
	}
	struct raft_message m = {.type = RAFT_MSG_SNAPSHOT, .to = p->id, .snapshot = c};
	raft_pr_become_snapshot(p, s.meta.index);
	TRACE(r, "send snapshot index=%llu to %llu", (unsigned long long)s.meta.index,
	      (unsigned long long)p->id);
	raft_send(r, &m);
	return true;
}

/* Send what p needs next; false when nothing was sent (paused, nothing to
 * send and !if_empty, or snapshot not available). */
static bool maybe_send_append(struct raft_node *r, struct raft_progress *p, bool if_empty)
{
	if (raft_pr_paused(p))
		return false;
	raft_term prev_term;
	enum tk_err te = raft_log_term(&r->log, p->next - 1, &prev_term);
	enum tk_err ee = TK_OK;
	raft_index last = raft_log_last(&r->log);
	if (te == TK_OK) {
		ee = raft_log_slice(&r->log, p->next, last + 1, r->cfg.max_msg_bytes, &r->scratch);
		if (ee == TK_OK && r->scratch.n == 0 && !if_empty)
			return false;
	}
	if (te != TK_OK || ee != TK_OK)
		return send_snapshot(r, p);
	struct raft_message m = {
		.type = RAFT_MSG_APPEND,
		.to = p->id,
		.index = p->next - 1,
		.log_term = prev_term,
		.commit = r->log.committed,
	};
	attach_entries(&m, &r->scratch);
	if (m.n_entries) {
		raft_index l = m.entries[m.n_entries - 1].index;
		if (p->state == RAFT_PROGRESS_REPLICATE)
			raft_pr_sent(p, l); /* optimistic: pipeline the next one */
		else
			p->probe_sent = true;
	}
	raft_send(r, &m);
	return true;
}

void raft_send_append(struct raft_node *r, raft_id to)
{
	struct raft_progress *p = raft_tracker_get(&r->prs, to);
	if (p)
		maybe_send_append(r, p, true);
}

void raft_bcast_append(struct raft_node *r)
{
	for (size_t i = 0; i < r->prs.n; i++)
		if (r->prs.pr[i].id != r->id)
			maybe_send_append(r, &r->prs.pr[i], true);
}

void raft_bcast_heartbeat(struct raft_node *r)
{
	uint64_t seq = ++r->read_seq;
	r->round_tick[seq % RAFT_ROUNDS] = r->ticks;
	for (size_t i = 0; i < r->prs.n; i++) {
		struct raft_progress *p = &r->prs.pr[i];
		if (p->id == r->id)
			continue;
		/* A follower may not have the entries up to our commit yet, so
		 * it learns only what it is known to hold. */
		struct raft_message m = {
			.type = RAFT_MSG_HEARTBEAT,
			.to = p->id,
			.commit = p->match < r->log.committed ? p->match : r->log.committed,
			.read_seq = seq,
		};
		raft_send(r, &m);
	}
}

static void send_timeout_now(struct raft_node *r, raft_id to)
{
	struct raft_message m = {.type = RAFT_MSG_TIMEOUT_NOW, .to = to};
	/* The target will campaign past the followers' lease: stop serving
	 * lease reads for a while, even if the transfer is aborted. */
	r->lease_block_until = r->ticks + 2 * (uint64_t)r->cfg.election_ticks;
	TRACE(r, "send timeout-now to %llu", (unsigned long long)to);
	raft_send(r, &m);
}

void raft_abort_transfer(struct raft_node *r)
{
	if (r->lead_transferee)
		TRACE(r, "abort transfer to %llu", (unsigned long long)r->lead_transferee);
	r->lead_transferee = 0;
}

void raft_leader_transfer(struct raft_node *r, raft_id target)
{
	struct raft_progress *p = raft_tracker_get(&r->prs, target);
	if (!p)
		return; /* not a voter (a removed leader is not one either) */
	if (r->lead_transferee == target)
		return; /* already in progress: the deadline is not extended */
	raft_abort_transfer(r);
	if (target == r->id)
		return; /* "transfer" back to us: just stop the running one */
	/* The transfer must finish within one election timeout (§3.10). */
	r->election_elapsed = 0;
	r->lead_transferee = target;
	TRACE(r, "transfer leadership to %llu", (unsigned long long)target);
	if (p->match == raft_log_last(&r->log))
		send_timeout_now(r, target);
	else
		maybe_send_append(r, p, true);
}

void raft_leader_tick(struct raft_node *r)
{
	r->heartbeat_elapsed++;
	r->election_elapsed++;
	if (r->election_elapsed >= r->cfg.election_ticks) {
		r->election_elapsed = 0;
		if (r->cfg.check_quorum && !raft_tracker_quorum_active(&r->prs, r->id)) {
			/* §6.2: a leader that cannot reach a quorum steps down so
			 * that clients look for the real leader. */
			TRACE(r, "check quorum failed, stepping down");
			raft_become_follower(r, r->term, 0);
			return;
		}
		raft_abort_transfer(r);
	}
	if (r->heartbeat_elapsed >= r->cfg.heartbeat_ticks) {
		r->heartbeat_elapsed = 0;
		raft_bcast_heartbeat(r);
	}
}

static void handle_append_resp(struct raft_node *r, struct raft_progress *p,
			       const struct raft_message *m)
{
	p->recent_active = true;
	if (m->reject) {
		raft_index hint = m->reject_hint;
		/* Skip a whole term of our log at a time (§5.3 fast backtracking). */
		if (m->log_term > 0)
			hint = raft_log_find_conflict_by_term(&r->log, m->reject_hint, m->log_term);
		if (raft_pr_maybe_decr(p, m->index, hint)) {
			TRACE(r, "append to %llu rejected at %llu, next=%llu",
			      (unsigned long long)p->id, (unsigned long long)m->index,
			      (unsigned long long)p->next);
			if (p->state == RAFT_PROGRESS_REPLICATE)
				raft_pr_become_probe(p);
			maybe_send_append(r, p, true);
		}
		return;
	}
	if (m->index > raft_log_last(&r->log))
		return; /* cannot have more than we sent: a broken peer */
	bool was_paused = raft_pr_paused(p);
	if (!raft_pr_maybe_update(p, m->index))
		return;
	if (p->state == RAFT_PROGRESS_PROBE) {
		raft_pr_become_replicate(p);
	} else if (p->state == RAFT_PROGRESS_SNAPSHOT && p->match >= p->pending_snapshot) {
		raft_pr_become_probe(p);
		raft_pr_become_replicate(p);
	} else if (p->state == RAFT_PROGRESS_REPLICATE) {
		raft_ins_free_le(&p->ins, m->index);
	}
	raft_id id = p->id;
	if (raft_leader_maybe_commit(r)) {
		raft_bcast_append(r);
	} else if (was_paused) {
		maybe_send_append(r, p, true);
	}
	/* bcast may have used the window; refill it as long as there is data. */
	p = raft_tracker_get(&r->prs, id);
	while (p && maybe_send_append(r, p, false))
		;
	if (p && id == r->lead_transferee && p->match == raft_log_last(&r->log))
		send_timeout_now(r, id);
}

void raft_leader_step(struct raft_node *r, const struct raft_message *m)
{
	switch (m->type) {
	case RAFT_MSG_TRANSFER_LEADER:
		raft_leader_transfer(r, m->index);
		return;
	case RAFT_MSG_READ_INDEX:
		raft_leader_read(r, m->from, m->context, m->context_len);
		return;
	default:
		break;
	}
	struct raft_progress *p = raft_tracker_get(&r->prs, m->from);
	if (!p || m->from == r->id)
		return;
	switch (m->type) {
	case RAFT_MSG_APPEND_RESP:
		handle_append_resp(r, p, m);
		break;
	case RAFT_MSG_HEARTBEAT_RESP:
		p->recent_active = true;
		p->probe_sent = false;
		if (p->state == RAFT_PROGRESS_REPLICATE && raft_ins_full(&p->ins))
			raft_ins_free_first(&p->ins);
		if (p->match < raft_log_last(&r->log))
			maybe_send_append(r, p, true);
		if (m->read_seq)
			raft_readonly_ack(r, m->from, m->read_seq);
		break;
	default:
		/* APPEND / HEARTBEAT / SNAPSHOT from another leader of our term
		 * cannot happen (election safety); vote answers are late. */
		break;
	}
}

enum tk_err raft_propose(struct raft_node *r, const struct raft_entry *ents, size_t count)
{
	if (r->in_ready)
		raft_panic(&r->log, "raft_propose between raft_ready and raft_advance");
	if (r->role != RAFT_LEADER || r->lead_transferee ||
	    !raft_tracker_get(&r->prs, r->id))
		return TK_E_NOT_LEADER;
	for (size_t i = 0; i < count; i++)
		if (ents[i].type != RAFT_ENTRY_NORMAL)
			return TK_E_BAD_REQUEST; /* use raft_propose_conf_change */
	if (count == 0)
		return TK_OK;
	raft_append_entries(r, ents, count);
	raft_bcast_append(r);
	return TK_OK;
}

enum tk_err raft_propose_one(struct raft_node *r, const void *data, size_t len)
{
	struct raft_entry e = {.type = RAFT_ENTRY_NORMAL, .data = data, .len = len};
	return raft_propose(r, &e, 1);
}

enum tk_err raft_propose_conf_change(struct raft_node *r, const struct raft_conf_change *cc)
{
	if (r->in_ready)
		raft_panic(&r->log, "raft_propose_conf_change between raft_ready and raft_advance");
	if (r->role != RAFT_LEADER || r->lead_transferee ||
	    !raft_tracker_get(&r->prs, r->id))
		return TK_E_NOT_LEADER;
	if (r->pending_conf_index > r->log.applied)
		return TK_E_SERVER_IS_BUSY; /* §4.1: one change at a time */
	bool present = raft_tracker_get(&r->prs, cc->node) != NULL;
	if (cc->node == 0 || cc->type > RAFT_CC_REMOVE_VOTER)
		return TK_E_BAD_REQUEST;
	if (cc->type == RAFT_CC_ADD_VOTER && !present && r->prs.n == RAFT_MAX_VOTERS)
		return TK_E_BAD_REQUEST;
	if (cc->type == RAFT_CC_REMOVE_VOTER && present && r->prs.n == 1)
		return TK_E_BAD_REQUEST;
	size_t need = raft_conf_change_encode(cc, NULL, 0);
	uint8_t *buf = raft_xmalloc(need);
	raft_conf_change_encode(cc, buf, need);
	struct raft_entry e = {.type = RAFT_ENTRY_CONF_CHANGE, .data = buf, .len = need};
	raft_append_entries(r, &e, 1);
	free(buf);
	r->pending_conf_index = raft_log_last(&r->log);
	raft_bcast_append(r);
	return TK_OK;
}

enum tk_err raft_transfer_leader(struct raft_node *r, raft_id target)
{
	if (r->in_ready)
		raft_panic(&r->log, "raft_transfer_leader between raft_ready and raft_advance");
	if (r->role == RAFT_LEADER) {
		raft_leader_transfer(r, target);
		return TK_OK;
	}
	if (!r->leader)
		return TK_E_NOT_LEADER;
	struct raft_message m = {.type = RAFT_MSG_TRANSFER_LEADER, .to = r->leader, .index = target};
	raft_send(r, &m);
	return TK_OK;
}

void raft_report_unreachable(struct raft_node *r, raft_id id)
{
	struct raft_progress *p = raft_tracker_get(&r->prs, id);
	if (r->role != RAFT_LEADER || !p)
		return;
	/* Messages may have been lost: probe instead of pipelining blindly. */
	if (p->state == RAFT_PROGRESS_REPLICATE)
		raft_pr_become_probe(p);
}

void raft_report_snapshot(struct raft_node *r, raft_id id, bool ok)
{
	struct raft_progress *p = raft_tracker_get(&r->prs, id);
	if (r->role != RAFT_LEADER || !p || p->state != RAFT_PROGRESS_SNAPSHOT)
		return;
	if (!ok)
		p->pending_snapshot = 0;
	raft_pr_become_probe(p);
	/* Wait for the next heartbeat answer before probing again: the peer may
	 * be busy applying the snapshot. */
	p->probe_sent = true;
}
