/* The ready / advance handshake, status, and membership changes applied by
 * the caller (§4.1: a change takes effect when the caller applies it). */
#include <stdlib.h>
#include <string.h>

#include "raft/impl.h"

static bool hs_changed(const struct raft_node *r)
{
	return r->term != r->prev_hs.term || r->vote != r->prev_hs.vote ||
	       r->log.committed != r->prev_hs.commit;
}

bool raft_has_ready(const struct raft_node *r)
{
	if (r->in_ready)
		return false;
	return r->n_msgs || r->n_reads || r->log.un || r->log.usnap || hs_changed(r) ||
	       r->leader != r->prev_leader || r->role != r->prev_role ||
	       raft_log_has_next_ents(&r->log);
}

void raft_ready(struct raft_node *r, struct raft_ready *rd)
{
	if (r->in_ready)
		raft_panic(&r->log, "raft_ready twice without raft_advance");
	memset(rd, 0, sizeof(*rd));
	r->in_ready = true;

	if (hs_changed(r)) {
		rd->has_hard_state = true;
		rd->hard_state.term = r->term;
		rd->hard_state.vote = r->vote;
		rd->hard_state.commit = r->log.committed;
		rd->must_sync = r->term != r->prev_hs.term || r->vote != r->prev_hs.vote;
	}
	rd->role = r->role;
	rd->leader = r->leader;
	rd->soft_state_changed = r->leader != r->prev_leader || r->role != r->prev_role;

	r->rd_snap_index = 0;
	if (r->log.usnap) {
		rd->snapshot = r->log.usnap;
		r->rd_snap_index = r->log.usnap->meta.index;
		rd->must_sync = true;
	}
	r->rd_n_entries = r->log.un;
	if (r->log.un) {
		rd->entries = r->log.uents;
		rd->n_entries = r->log.un;
		r->rd_last_index = r->log.uents[r->log.un - 1].index;
		r->rd_last_term = r->log.uents[r->log.un - 1].term;
		rd->must_sync = true;
	}
	raft_log_next_ents(&r->log, r->cfg.max_committed_bytes, &r->rd_committed);
	rd->committed = r->rd_committed.ents;
	rd->n_committed = r->rd_committed.n;

	/* Messages and reads move to the ready; new ones (e.g. from
	 * raft_apply_conf_change) go to the other, empty, array. */
	struct raft_message *mv = r->rd_msgs;
	size_t mcap = r->rd_cap_msgs;
	r->rd_msgs = r->msgs;
	r->rd_n_msgs = r->n_msgs;
	r->rd_cap_msgs = r->cap_msgs;
	r->msgs = mv;
	r->cap_msgs = mcap;
	r->n_msgs = 0;
	rd->msgs = r->rd_msgs;
	rd->n_msgs = r->rd_n_msgs;
	struct raft_read_state *rv = r->rd_reads;
	size_t rcap = r->rd_cap_reads;
	r->rd_reads = r->reads;
	r->rd_n_reads = r->n_reads;
	r->rd_cap_reads = r->cap_reads;
	r->reads = rv;
	r->cap_reads = rcap;
	r->n_reads = 0;
	rd->reads = r->rd_reads;
	rd->n_reads = r->rd_n_reads;

	if (rd->has_hard_state)
		r->prev_hs = rd->hard_state;
	r->prev_leader = rd->leader;
	r->prev_role = rd->role;
}

/* A store hosts many groups, most of them idle: do not keep the big buffers
 * of a burst around. */
static void trim(struct raft_node *r)
{
	const size_t keep = 256 * 1024;
	if (r->scratch.bcap > keep || r->scratch.cap > 1024) {
		raft_entbuf_destroy(&r->scratch);
		raft_entbuf_init(&r->scratch);
	}
	if (r->rd_committed.bcap > keep || r->rd_committed.cap > 1024) {
		raft_entbuf_destroy(&r->rd_committed);
		raft_entbuf_init(&r->rd_committed);
	}
	if (r->rd_cap_msgs > 256) {
		free(r->rd_msgs);
		r->rd_msgs = NULL;
		r->rd_cap_msgs = 0;
	}
}

void raft_advance(struct raft_node *r)
{
	if (!r->in_ready)
		raft_panic(&r->log, "raft_advance without raft_ready");
	r->in_ready = false;
	if (r->rd_snap_index) {
		raft_log_stable_snap_to(&r->log, r->rd_snap_index);
		if (r->rd_snap_index > r->log.applied)
			raft_log_applied_to(&r->log, r->rd_snap_index);
	}
	if (r->rd_committed.n)
		raft_log_applied_to(&r->log, r->rd_committed.ents[r->rd_committed.n - 1].index);
	raft_entbuf_reset(&r->rd_committed);
	if (r->rd_n_entries)
		raft_log_stable_to(&r->log, r->rd_last_index, r->rd_last_term);
	r->rd_n_entries = 0;
	for (size_t i = 0; i < r->rd_n_msgs; i++)
		raft_msg_free(&r->rd_msgs[i]);
	r->rd_n_msgs = 0;
	for (size_t i = 0; i < r->rd_n_reads; i++)
		free((void *)r->rd_reads[i].context);
	r->rd_n_reads = 0;
	trim(r);
}

void raft_status(const struct raft_node *r, struct raft_status *st)
{
	memset(st, 0, sizeof(*st));
	st->id = r->id;
	st->role = r->role;
	st->term = r->term;
	st->vote = r->vote;
	st->leader = r->leader;
	st->commit = r->log.committed;
	st->applied = r->log.applied;
	st->last_index = raft_log_last(&r->log);
	st->lead_transferee = r->lead_transferee;
	if (r->role != RAFT_LEADER)
		return;
	st->n_progress = r->prs.n;
	for (size_t i = 0; i < r->prs.n; i++) {
		const struct raft_progress *p = &r->prs.pr[i];
		struct raft_progress_status *o = &st->progress[i];
		o->id = p->id;
		o->match = p->match;
		o->next = p->next;
		o->state = p->state;
		o->recent_active = p->recent_active;
		o->paused = raft_pr_paused(p);
		o->inflight = p->ins.count;
	}
}

void raft_apply_conf_change(struct raft_node *r, const struct raft_conf_change *cc,
			    struct raft_conf_state *out)
{
	raft_index last = raft_log_last(&r->log);
	if (cc->type == RAFT_CC_ADD_VOTER) {
		if (!raft_tracker_get(&r->prs, cc->node) && r->prs.n < RAFT_MAX_VOTERS) {
			struct raft_progress *p = raft_tracker_add(&r->prs, cc->node, last + 1);
			if (p->id == r->id)
				p->match = last;
		}
	} else if (cc->type == RAFT_CC_REMOVE_VOTER) {
		raft_tracker_remove(&r->prs, cc->node);
		if (cc->node == r->lead_transferee)
			raft_abort_transfer(r);
	}
	TRACE(r, "applied conf change %s %llu, voters=%zu",
	      cc->type == RAFT_CC_ADD_VOTER ? "add" : "remove", (unsigned long long)cc->node,
	      r->prs.n);
	if (r->role == RAFT_LEADER) {
		if (cc->type == RAFT_CC_REMOVE_VOTER && cc->node == r->id) {
			/* A removed leader steps down; the others elect a new one
			 * (§4.2.2).  The change is already committed. */
			raft_become_follower(r, r->term, 0);
		} else {
			/* A smaller quorum may commit more right now. */
			raft_leader_maybe_commit(r);
			raft_bcast_append(r);
		}
	}
	if (out)
		raft_tracker_conf_state(&r->prs, out);
}

size_t raft_conf_change_encode(const struct raft_conf_change *cc, uint8_t *buf, size_t cap)
{
	size_t need = 1 + 8 + cc->context_len;
	if (!buf || cap < need)
		return need;
	buf[0] = cc->type;
	for (int i = 0; i < 8; i++)
		buf[1 + i] = (uint8_t)(cc->node >> (56 - 8 * i));
	if (cc->context_len)
		memcpy(buf + 9, cc->context, cc->context_len);
	return need;
}

enum tk_err raft_conf_change_decode(const uint8_t *data, size_t len, struct raft_conf_change *cc)
{
	memset(cc, 0, sizeof(*cc));
	if (len < 9 || data[0] > RAFT_CC_REMOVE_VOTER)
		return TK_E_BAD_REQUEST;
	cc->type = data[0];
	for (int i = 0; i < 8; i++)
		cc->node = (cc->node << 8) | data[1 + i];
	if (cc->node == 0)
		return TK_E_BAD_REQUEST;
	cc->context = len > 9 ? data + 9 : NULL;
	cc->context_len = len - 9;
	return TK_OK;
}

const char *raft_msg_type_name(uint8_t type)
{
	static const char *const names[] = {
		[RAFT_MSG_APPEND] = "APPEND",
		[RAFT_MSG_APPEND_RESP] = "APPEND_RESP",
		[RAFT_MSG_VOTE] = "VOTE",
		[RAFT_MSG_VOTE_RESP] = "VOTE_RESP",
		[RAFT_MSG_PREVOTE] = "PREVOTE",
		[RAFT_MSG_PREVOTE_RESP] = "PREVOTE_RESP",
		[RAFT_MSG_HEARTBEAT] = "HEARTBEAT",
		[RAFT_MSG_HEARTBEAT_RESP] = "HEARTBEAT_RESP",
		[RAFT_MSG_SNAPSHOT] = "SNAPSHOT",
		[RAFT_MSG_TIMEOUT_NOW] = "TIMEOUT_NOW",
		[RAFT_MSG_TRANSFER_LEADER] = "TRANSFER_LEADER",
		[RAFT_MSG_READ_INDEX] = "READ_INDEX",
		[RAFT_MSG_READ_INDEX_RESP] = "READ_INDEX_RESP",
	};
	if (type < RAFT_MSG_APPEND || type > RAFT_MSG_TYPE_MAX)
		return "UNKNOWN";
	return names[type];
}

const char *raft_role_name(enum raft_role role)
{
	switch (role) {
	case RAFT_FOLLOWER:
		return "follower";
	case RAFT_PRE_CANDIDATE:
		return "pre-candidate";
	case RAFT_CANDIDATE:
		return "candidate";
	case RAFT_LEADER:
		return "leader";
	}
	return "unknown";
}

void raft_message_copy(struct raft_message *dst, const struct raft_message *src)
{
	*dst = *src;
	dst->entries = NULL;
	dst->snapshot = NULL;
	dst->context = NULL;
	if (src->n_entries) {
		size_t bytes = 0;
		for (size_t i = 0; i < src->n_entries; i++)
			bytes += src->entries[i].len;
		size_t hdr = src->n_entries * sizeof(struct raft_entry);
		uint8_t *mem = raft_xmalloc(hdr + bytes);
		struct raft_entry *e = (struct raft_entry *)(void *)mem;
		uint8_t *d = mem + hdr;
		for (size_t i = 0; i < src->n_entries; i++) {
			e[i] = src->entries[i];
			if (e[i].len) {
				memcpy(d, src->entries[i].data, e[i].len);
				e[i].data = d;
				d += e[i].len;
			}
		}
		dst->entries = e;
	}
	if (src->snapshot) {
		struct raft_snapshot *s = raft_xmalloc(sizeof(*s) + src->snapshot->len);
		*s = *src->snapshot;
		if (s->len) {
			memcpy(s + 1, src->snapshot->data, s->len);
			s->data = (const uint8_t *)(s + 1);
		}
		dst->snapshot = s;
	}
	if (src->context_len) {
		uint8_t *c = raft_xmalloc(src->context_len);
		memcpy(c, src->context, src->context_len);
		dst->context = c;
	}
}

void raft_message_destroy(struct raft_message *m)
{
	raft_msg_free(m);
	memset(m, 0, sizeof(*m));
}
