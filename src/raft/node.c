/* Node life cycle, terms, roles and elections (§3.3, §3.4, §9.6 PreVote,
 * §6.2 CheckQuorum's effect on voting); see impl.h for the file split. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/impl.h"

void raft_trace(const struct raft_node *r, const char *fmt, ...)
{
	char line[256];
	int k = snprintf(line, sizeof(line), "term=%llu role=%s ", (unsigned long long)r->term,
			 raft_role_name(r->role));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + k, sizeof(line) - (size_t)k, fmt, ap);
	va_end(ap);
	r->tracer.trace(r->tracer.arg, r->id, line);
}

/* splitmix64: a small, seedable generator kept inside the node. */
static uint64_t rng_next(struct raft_node *r)
{
	uint64_t z = (r->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void reset_randomized_timeout(struct raft_node *r)
{
	unsigned e = r->cfg.election_ticks;
	r->randomized_timeout = e + (unsigned)(rng_next(r) % e);
}

void raft_msg_free(struct raft_message *m)
{
	free(m->entries); /* entries and their bytes are one allocation */
	free(m->snapshot);
	free((void *)m->context);
}

void raft_send(struct raft_node *r, struct raft_message *m)
{
	m->from = r->id;
	if (m->term == 0)
		m->term = r->term;
	raft_grow((void **)&r->msgs, &r->cap_msgs, r->n_msgs + 1, sizeof(*r->msgs));
	r->msgs[r->n_msgs++] = *m;
}

static enum tk_err check_config(const struct raft_config *c)
{
	if (c->id == 0 || c->election_ticks == 0 || c->heartbeat_ticks == 0 ||
	    c->heartbeat_ticks >= c->election_ticks || c->max_inflight == 0 ||
	    c->max_msg_bytes == 0 || c->n_voters > RAFT_MAX_VOTERS || !c->storage.ops)
		return TK_E_BAD_CONFIG;
	if (c->read_only == RAFT_READ_LEASE && !c->check_quorum)
		return TK_E_BAD_CONFIG; /* a lease without CheckQuorum is unsafe */
	if (c->read_only != RAFT_READ_SAFE && c->read_only != RAFT_READ_LEASE)
		return TK_E_BAD_CONFIG;
	return TK_OK;
}

enum tk_err raft_node_new(const struct raft_config *cfg, struct raft_node **out)
{
	*out = NULL;
	enum tk_err e = check_config(cfg);
	if (e != TK_OK)
		return e;
	struct raft_hard_state hs;
	struct raft_conf_state cs;
	memset(&hs, 0, sizeof(hs));
	memset(&cs, 0, sizeof(cs));
	e = cfg->storage.ops->initial_state(cfg->storage.ctx, &hs, &cs);
	if (e != TK_OK)
		return e;
	if (cs.n_voters > RAFT_MAX_VOTERS)
		return TK_E_CORRUPTION;

	struct raft_node *r = raft_xcalloc(1, sizeof(*r));
	r->id = cfg->id;
	r->cfg = *cfg;
	r->cfg.voters = NULL;
	r->cfg.n_voters = 0;
	if (cfg->tracer)
		r->tracer = *cfg->tracer;
	r->rng = cfg->seed ^ (cfg->id * 0x2545f4914f6cdd1dULL);
	raft_log_init_traced(&r->log, cfg->storage, &r->tracer, r->id);
	raft_tracker_init(&r->prs, cfg->max_inflight);
	raft_entbuf_init(&r->rd_committed);
	raft_entbuf_init(&r->scratch);

	raft_index last = raft_log_last(&r->log);
	if (cs.n_voters == 0)
		for (size_t i = 0; i < cfg->n_voters; i++)
			raft_tracker_add(&r->prs, cfg->voters[i], last + 1);
	else
		for (size_t i = 0; i < cs.n_voters; i++)
			raft_tracker_add(&r->prs, cs.voters[i], last + 1);

	if (hs.commit) {
		if (hs.commit < r->log.committed || hs.commit > last) {
			raft_node_free(r);
			return TK_E_CORRUPTION;
		}
		r->log.committed = hs.commit;
	}
	if (cfg->applied > r->log.applied) {
		if (cfg->applied > r->log.committed) {
			raft_node_free(r);
			return TK_E_BAD_CONFIG;
		}
		r->log.applied = cfg->applied;
	}
	raft_become_follower(r, hs.term, 0);
	r->vote = hs.vote;
	r->boot_term = hs.term; /* 0: never followed anybody */
	r->prev_hs.term = hs.term;
	r->prev_hs.vote = hs.vote;
	r->prev_hs.commit = r->log.committed;
	r->prev_role = RAFT_FOLLOWER;
	TRACE(r, "start commit=%llu applied=%llu last=%llu voters=%zu",
	      (unsigned long long)r->log.committed, (unsigned long long)r->log.applied,
	      (unsigned long long)last, r->prs.n);
	*out = r;
	return TK_OK;
}

static void free_msgs(struct raft_message *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		raft_msg_free(&v[i]);
	free(v);
}

static void free_reads(struct raft_read_state *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((void *)v[i].context);
	free(v);
}

void raft_node_free(struct raft_node *r)
{
	if (!r)
		return;
	free_msgs(r->msgs, r->n_msgs);
	free_msgs(r->rd_msgs, r->rd_n_msgs);
	free_reads(r->reads, r->n_reads);
	free_reads(r->rd_reads, r->rd_n_reads);
	raft_readonly_reset(r);
	free(r->pendq.v);
	free(r->waitq.v);
	raft_entbuf_destroy(&r->rd_committed);
	raft_entbuf_destroy(&r->scratch);
	raft_tracker_destroy(&r->prs);
	raft_log_destroy(&r->log);
	free(r);
}

/* Common part of every role change: a new term forgets the vote. */
static void reset(struct raft_node *r, raft_term term)
{
	if (r->term != term) {
		r->term = term;
		r->vote = 0;
	}
	r->leader = 0;
	r->election_elapsed = 0;
	r->heartbeat_elapsed = 0;
	reset_randomized_timeout(r);
	r->lead_transferee = 0;
	r->pending_conf_index = 0;
	raft_tracker_reset_votes(&r->prs);
	raft_index last = raft_log_last(&r->log);
	for (size_t i = 0; i < r->prs.n; i++) {
		struct raft_progress *p = &r->prs.pr[i];
		p->match = p->id == r->id ? last : 0;
		p->next = last + 1;
		p->state = RAFT_PROGRESS_PROBE;
		p->probe_sent = false;
		p->pending_snapshot = 0;
		p->recent_active = p->id == r->id;
		p->read_ack = 0;
		raft_ins_reset(&p->ins);
	}
	raft_readonly_reset(r);
}

void raft_become_follower(struct raft_node *r, raft_term term, raft_id leader)
{
	reset(r, term);
	r->leader = leader;
	r->role = RAFT_FOLLOWER;
	TRACE(r, "became follower leader=%llu", (unsigned long long)leader);
}

static void become_pre_candidate(struct raft_node *r)
{
	if (r->role == RAFT_LEADER)
		raft_panic(&r->log, "leader cannot become pre-candidate");
	/* PreVote (§9.6) changes neither term nor vote. */
	raft_tracker_reset_votes(&r->prs);
	r->leader = 0;
	r->role = RAFT_PRE_CANDIDATE;
	TRACE(r, "became pre-candidate");
}

static void become_candidate(struct raft_node *r)
{
	if (r->role == RAFT_LEADER)
		raft_panic(&r->log, "leader cannot become candidate");
	reset(r, r->term + 1);
	r->vote = r->id;
	r->role = RAFT_CANDIDATE;
	TRACE(r, "became candidate");
}

void raft_become_leader(struct raft_node *r)
{
	if (r->role == RAFT_FOLLOWER)
		raft_panic(&r->log, "follower cannot become leader");
	reset(r, r->term);
	r->leader = r->id;
	r->role = RAFT_LEADER;
	struct raft_progress *self = raft_tracker_get(&r->prs, r->id);
	if (self)
		raft_pr_become_replicate(self);
	/* An empty entry of the new term lets the leader commit what earlier
	 * leaders left (§3.6.2, §6.4: ReadIndex waits for it too). */
	struct raft_entry noop = {.type = RAFT_ENTRY_NORMAL};
	raft_append_entries(r, &noop, 1);
	/* No conf change until that entry is applied: this closes the hole of
	 * single-server changes across leader changes (Ongaro, raft-dev 2015). */
	r->pending_conf_index = raft_log_last(&r->log);
	TRACE(r, "became leader last=%llu", (unsigned long long)raft_log_last(&r->log));
}

bool raft_promotable(const struct raft_node *r)
{
	return raft_tracker_get((struct raft_tracker *)&r->prs, r->id) != NULL &&
	       r->log.usnap == NULL;
}

/* Committed but unapplied conf changes: campaigning could then use a stale
 * membership. */
static bool has_unapplied_conf_change(struct raft_node *r)
{
	if (r->log.committed <= r->log.applied)
		return false;
	raft_index lo = r->log.applied + 1, first = raft_log_first(&r->log);
	if (lo < first)
		lo = first;
	for (; lo <= r->log.committed;) {
		if (raft_log_slice(&r->log, lo, r->log.committed + 1, 1 << 20, &r->scratch) != TK_OK)
			return true; /* be conservative */
		for (size_t i = 0; i < r->scratch.n; i++)
			if (r->scratch.ents[i].type == RAFT_ENTRY_CONF_CHANGE)
				return true;
		if (!r->scratch.n)
			break;
		lo = r->scratch.ents[r->scratch.n - 1].index + 1;
	}
	return false;
}

static void send_vote_requests(struct raft_node *r, uint8_t type, raft_term term, bool transfer)
{
	for (size_t i = 0; i < r->prs.n; i++) {
		raft_id to = r->prs.pr[i].id;
		if (to == r->id)
			continue;
		struct raft_message m = {
			.type = type,
			.to = to,
			.term = term,
			.index = raft_log_last(&r->log),
			.log_term = raft_log_last_term(&r->log),
			.transfer = transfer,
		};
		raft_send(r, &m);
	}
}

void raft_start_election(struct raft_node *r, bool pre, bool transfer)
{
	uint8_t type;
	raft_term term;
	if (pre) {
		become_pre_candidate(r);
		type = RAFT_MSG_PREVOTE;
		term = r->term + 1; /* the term it would campaign in */
	} else {
		become_candidate(r);
		type = RAFT_MSG_VOTE;
		term = r->term;
	}
	raft_tracker_record_vote(&r->prs, r->id, true);
	if (raft_tracker_tally(&r->prs) == RAFT_VOTE_WON) {
		/* A single-voter group wins at once. */
		if (pre)
			raft_start_election(r, false, transfer);
		else
			raft_become_leader(r);
		return;
	}
	send_vote_requests(r, type, term, transfer);
}

void raft_hup(struct raft_node *r, bool transfer)
{
	if (r->role == RAFT_LEADER)
		return;
	if (!raft_promotable(r)) {
		TRACE(r, "not promotable, no campaign");
		return;
	}
	if (has_unapplied_conf_change(r)) {
		TRACE(r, "unapplied conf change, no campaign");
		return;
	}
	raft_start_election(r, r->cfg.pre_vote && !transfer, transfer);
}

void raft_campaign(struct raft_node *r)
{
	if (r->in_ready)
		raft_panic(&r->log, "raft_campaign between raft_ready and raft_advance");
	raft_hup(r, false);
}

void raft_tick(struct raft_node *r)
{
	if (r->in_ready)
		raft_panic(&r->log, "raft_tick between raft_ready and raft_advance");
	r->ticks++;
	if (r->boot_elapsed < r->cfg.election_ticks)
		r->boot_elapsed++;
	if (r->role == RAFT_LEADER) {
		raft_leader_tick(r);
		return;
	}
	r->election_elapsed++;
	if (raft_promotable(r) && r->election_elapsed >= r->randomized_timeout) {
		r->election_elapsed = 0;
		raft_hup(r, false);
	}
}

static void handle_vote_request(struct raft_node *r, const struct raft_message *m)
{
	bool pre = m->type == RAFT_MSG_PREVOTE;
	/* We may vote for a candidate we already voted for, or when we have
	 * neither voted nor know a leader in this term; a pre-vote for a future
	 * term does not bind us (§9.6). */
	bool can_vote = r->vote == m->from || (r->vote == 0 && r->leader == 0) ||
			(pre && m->term > r->term);
	struct raft_message resp = {
		.type = pre ? RAFT_MSG_PREVOTE_RESP : RAFT_MSG_VOTE_RESP,
		.to = m->from,
	};
	if (can_vote && raft_log_up_to_date(&r->log, m->index, m->log_term)) {
		/* The answer carries the candidate's term so a pre-vote grant is
		 * recognised by the pre-candidate (whose term is lower). */
		resp.term = m->term;
		if (!pre) {
			r->election_elapsed = 0;
			r->vote = m->from;
		}
		TRACE(r, "grant %s to %llu", pre ? "pre-vote" : "vote", (unsigned long long)m->from);
	} else {
		resp.term = r->term;
		resp.reject = true;
		TRACE(r, "reject %s from %llu", pre ? "pre-vote" : "vote", (unsigned long long)m->from);
	}
	raft_send(r, &resp);
}

/* Bad input from the network is an error, never an assert: check what the
 * state machine relies on. */
static bool well_formed(const struct raft_message *m)
{
	if (m->n_entries && (!m->entries || m->type != RAFT_MSG_APPEND))
		return false;
	if (m->context_len && !m->context)
		return false;
	if (m->type == RAFT_MSG_SNAPSHOT &&
	    (!m->snapshot || (m->snapshot->len && !m->snapshot->data) ||
	     m->snapshot->meta.conf.n_voters > RAFT_MAX_VOTERS))
		return false;
	raft_term prev = m->log_term;
	for (size_t i = 0; i < m->n_entries; i++) {
		const struct raft_entry *e = &m->entries[i];
		/* contiguous after index, terms never decreasing nor beyond
		 * the sender's term */
		if (e->index != m->index + 1 + i || e->term < prev || e->term > m->term ||
		    e->type > RAFT_ENTRY_CONF_CHANGE || (e->len && !e->data))
			return false;
		prev = e->term;
	}
	return true;
}

enum tk_err raft_step(struct raft_node *r, const struct raft_message *m)
{
	if (r->in_ready)
		raft_panic(&r->log, "raft_step between raft_ready and raft_advance");
	if (m->type < RAFT_MSG_APPEND || m->type > RAFT_MSG_TYPE_MAX || m->to != r->id ||
	    m->from == 0)
		return TK_E_BAD_REQUEST;
	if (!well_formed(m))
		return TK_E_BAD_REQUEST;

	bool vote_req = m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_PREVOTE;
	if (m->term > r->term) {
		if (vote_req) {
			/* §4.2.3 / CheckQuorum: while we hear from a leader, a
			 * disruptive candidate is ignored unless the leader itself
			 * asked for the election (transfer). */
			bool in_lease = r->cfg.check_quorum && r->leader != 0 &&
					r->election_elapsed < r->cfg.election_ticks;
			/* With lease reads, a restarted node may have promised a
			 * leader its support before the crash: keep the promise
			 * for one election timeout after start (a node that never
			 * had a term promised nothing). */
			if (r->cfg.check_quorum && r->cfg.read_only == RAFT_READ_LEASE &&
			    r->boot_term > 0 && r->boot_elapsed < r->cfg.election_ticks)
				in_lease = true;
			if (!m->transfer && in_lease) {
				TRACE(r, "ignore %s from %llu in lease", raft_msg_type_name(m->type),
				      (unsigned long long)m->from);
				return TK_OK;
			}
		}
		if (m->type == RAFT_MSG_PREVOTE) {
			/* never change term for a pre-vote */
		} else if (m->type == RAFT_MSG_PREVOTE_RESP && !m->reject) {
			/* granted pre-votes carry the future term */
		} else if (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT ||
			   m->type == RAFT_MSG_SNAPSHOT) {
			raft_become_follower(r, m->term, m->from);
		} else {
			raft_become_follower(r, m->term, 0);
		}
	} else if (m->term < r->term) {
		if (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT) {
			/* A stale leader learns the newer term and steps down.
			 * Without this, a node whose term grew while it could not
			 * win (PreVote, CheckQuorum, or a stale membership that
			 * sends its vote requests to the wrong peers) would ignore
			 * the real leader forever: the simulator found the last
			 * case, where two removed-and-stale nodes kept a new group
			 * without quorum. */
			struct raft_message resp = {.type = RAFT_MSG_APPEND_RESP, .to = m->from};
			raft_send(r, &resp);
		} else if (m->type == RAFT_MSG_PREVOTE) {
			struct raft_message resp = {
				.type = RAFT_MSG_PREVOTE_RESP, .to = m->from, .reject = true};
			raft_send(r, &resp);
		}
		return TK_OK;
	}

	if (vote_req) {
		handle_vote_request(r, m);
		return TK_OK;
	}
	switch (r->role) {
	case RAFT_LEADER:
		raft_leader_step(r, m);
		break;
	case RAFT_FOLLOWER:
		raft_follower_step(r, m);
		break;
	default:
		raft_candidate_step(r, m);
		break;
	}
	return TK_OK;
}

raft_id raft_leader(const struct raft_node *r)
{
	return r->leader;
}

enum raft_role raft_role(const struct raft_node *r)
{
	return r->role;
}

raft_term raft_current_term(const struct raft_node *r)
{
	return r->term;
}

raft_index raft_last_index(const struct raft_node *r)
{
	return raft_log_last(&r->log);
}

void raft_conf_state(const struct raft_node *r, struct raft_conf_state *cs)
{
	raft_tracker_conf_state(&r->prs, cs);
}
