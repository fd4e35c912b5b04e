/* Followers and candidates: AppendEntries, heartbeats and InstallSnapshot on
 * the receiving side (§3.5, §5.3), vote counting (§3.4), and the requests a
 * follower forwards to its leader. */
#include <string.h>

#include "raft/impl.h"

static void handle_append(struct raft_node *r, const struct raft_message *m)
{
	struct raft_message resp = {.type = RAFT_MSG_APPEND_RESP, .to = m->from};
	if (m->index < r->log.committed) {
		/* Everything up to our commit matches the leader (log matching). */
		resp.index = r->log.committed;
		raft_send(r, &resp);
		return;
	}
	raft_index last_new;
	if (raft_log_maybe_append(&r->log, m->index, m->log_term, m->commit, m->entries,
				  m->n_entries, &last_new)) {
		resp.index = last_new;
		raft_send(r, &resp);
		return;
	}
	/* Tell the leader where our log may match: the last index <= its probe
	 * whose term is <= the probe's term (the leader then skips a term). */
	raft_index last = raft_log_last(&r->log);
	raft_index hint = m->index < last ? m->index : last;
	hint = raft_log_find_conflict_by_term(&r->log, hint, m->log_term);
	resp.index = m->index;
	resp.reject = true;
	resp.reject_hint = hint;
	resp.log_term = raft_log_term0(&r->log, hint);
	TRACE(r, "reject append at %llu (log_term %llu), hint %llu",
	      (unsigned long long)m->index, (unsigned long long)m->log_term,
	      (unsigned long long)hint);
	raft_send(r, &resp);
}

static void handle_heartbeat(struct raft_node *r, const struct raft_message *m)
{
	raft_index c = m->commit;
	if (c > raft_log_last(&r->log))
		c = raft_log_last(&r->log); /* defensive: never beyond what we have */
	raft_log_commit_to(&r->log, c);
	struct raft_message resp = {
		.type = RAFT_MSG_HEARTBEAT_RESP, .to = m->from, .read_seq = m->read_seq};
	raft_send(r, &resp);
}

static bool conf_has(const struct raft_conf_state *cs, raft_id id)
{
	for (uint32_t i = 0; i < cs->n_voters; i++)
		if (cs->voters[i] == id)
			return true;
	return false;
}

/* Install a snapshot unless we already have its last entry. */
static bool restore(struct raft_node *r, const struct raft_snapshot *s)
{
	if (s->meta.index <= r->log.committed)
		return false;
	if (s->meta.conf.n_voters > RAFT_MAX_VOTERS)
		return false;
	if (raft_log_match_term(&r->log, s->meta.index, s->meta.term)) {
		/* Our log already contains it: just move commit forward. */
		raft_log_commit_to(&r->log, s->meta.index);
		return false;
	}
	raft_log_restore(&r->log, s);
	/* Membership comes with the snapshot. */
	raft_tracker_destroy(&r->prs);
	raft_tracker_init(&r->prs, r->cfg.max_inflight);
	for (uint32_t i = 0; i < s->meta.conf.n_voters; i++)
		raft_tracker_add(&r->prs, s->meta.conf.voters[i], s->meta.index + 1);
	struct raft_progress *self = raft_tracker_get(&r->prs, r->id);
	if (self)
		self->match = s->meta.index;
	TRACE(r, "restored snapshot index=%llu term=%llu member=%d",
	      (unsigned long long)s->meta.index, (unsigned long long)s->meta.term,
	      conf_has(&s->meta.conf, r->id));
	return true;
}

static void handle_snapshot(struct raft_node *r, const struct raft_message *m)
{
	struct raft_message resp = {.type = RAFT_MSG_APPEND_RESP, .to = m->from};
	if (restore(r, m->snapshot))
		resp.index = raft_log_last(&r->log);
	else
		resp.index = r->log.committed;
	raft_send(r, &resp);
}

void raft_follower_step(struct raft_node *r, const struct raft_message *m)
{
	switch (m->type) {
	case RAFT_MSG_APPEND:
		r->election_elapsed = 0;
		r->leader = m->from;
		handle_append(r, m);
		break;
	case RAFT_MSG_HEARTBEAT:
		r->election_elapsed = 0;
		r->leader = m->from;
		handle_heartbeat(r, m);
		break;
	case RAFT_MSG_SNAPSHOT:
		r->election_elapsed = 0;
		r->leader = m->from;
		handle_snapshot(r, m);
		break;
	case RAFT_MSG_TRANSFER_LEADER:
	case RAFT_MSG_READ_INDEX:
		if (r->leader && r->leader != m->from) {
			struct raft_message f = *m;
			f.to = r->leader;
			f.from = 0;
			f.term = 0;
			f.entries = NULL;
			f.n_entries = 0;
			f.snapshot = NULL;
			f.context = NULL;
			if (m->context_len) {
				uint8_t *c = raft_xmalloc(m->context_len);
				memcpy(c, m->context, m->context_len);
				f.context = c;
			}
			raft_send(r, &f);
		}
		break;
	case RAFT_MSG_TIMEOUT_NOW:
		/* The leader hands over: campaign at once, skipping PreVote and
		 * the others' leader lease (§3.10). */
		TRACE(r, "timeout-now from %llu", (unsigned long long)m->from);
		raft_hup(r, true);
		break;
	case RAFT_MSG_READ_INDEX_RESP:
		raft_add_read_state(r, m->index, m->context, m->context_len);
		break;
	default:
		break;
	}
}

void raft_candidate_step(struct raft_node *r, const struct raft_message *m)
{
	uint8_t my_resp =
		r->role == RAFT_PRE_CANDIDATE ? RAFT_MSG_PREVOTE_RESP : RAFT_MSG_VOTE_RESP;
	switch (m->type) {
	case RAFT_MSG_APPEND:
		raft_become_follower(r, m->term, m->from);
		handle_append(r, m);
		return;
	case RAFT_MSG_HEARTBEAT:
		raft_become_follower(r, m->term, m->from);
		handle_heartbeat(r, m);
		return;
	case RAFT_MSG_SNAPSHOT:
		raft_become_follower(r, m->term, m->from);
		handle_snapshot(r, m);
		return;
	default:
		break;
	}
	if (m->type != my_resp)
		return;
	raft_tracker_record_vote(&r->prs, m->from, !m->reject);
	switch (raft_tracker_tally(&r->prs)) {
	case RAFT_VOTE_WON:
		if (r->role == RAFT_PRE_CANDIDATE) {
			raft_start_election(r, false, false);
		} else {
			raft_become_leader(r);
			raft_bcast_append(r);
		}
		break;
	case RAFT_VOTE_LOST:
		/* Stay in the term, wait for a leader or the next timeout. */
		raft_become_follower(r, r->term, 0);
		break;
	default:
		break;
	}
}
