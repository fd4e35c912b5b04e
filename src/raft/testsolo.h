/* Node 1 alone, driven message by message by a scenario test: open it on a
 * storage, step messages into it, drain its readies (persisting them and
 * keeping copies of its messages), elect or depose it.  Test code only. */
#ifndef TK_RAFT_TESTSOLO_H
#define TK_RAFT_TESTSOLO_H

#include "raft/testheap.h"
#include "raft/testnet_check.h"

struct solo {
	struct raft_memstore *ms;
	struct raft_node *r;
	struct raft_message out[64];
	size_t n;       /* messages of the last drain */
	size_t n_reads; /* read states of the last drain */
};

static inline struct raft_memstore *store_with(const raft_term *terms, size_t n, raft_term term)
{
	struct raft_memstore *ms = raft_memstore_new();
	for (size_t i = 0; i < n; i++) {
		struct raft_entry e = {.index = i + 1, .term = terms[i]};
		raft_memstore_append(ms, &e, 1);
	}
	struct raft_hard_state hs = {.term = term};
	raft_memstore_set_hard_state(ms, &hs);
	return ms;
}

static inline void solo_open(struct solo *s, const raft_id *voters, size_t nv,
			     const raft_term *terms, size_t n, raft_term term,
			     const struct raft_config *c)
{
	memset(s, 0, sizeof(*s));
	s->ms = store_with(terms, n, term);
	s->r = tn_lone(1, voters, nv, s->ms, c);
}

/* Persist, keep the messages (copies), count the reads, advance. */
static inline void solo_drain(struct solo *s)
{
	tn_free_msgs(s->out, s->n);
	s->n = 0;
	s->n_reads = 0;
	while (raft_has_ready(s->r)) {
		struct raft_ready rd;
		raft_ready(s->r, &rd);
		if (rd.snapshot)
			raft_memstore_apply_snapshot(s->ms, rd.snapshot);
		if (rd.n_entries)
			raft_memstore_append(s->ms, rd.entries, rd.n_entries);
		if (rd.has_hard_state)
			raft_memstore_set_hard_state(s->ms, &rd.hard_state);
		for (size_t i = 0; i < rd.n_msgs && s->n < 64; i++)
			raft_message_copy(&s->out[s->n++], &rd.msgs[i]);
		s->n_reads += rd.n_reads;
		raft_advance(s->r);
	}
}

static inline void solo_free(struct solo *s)
{
	tn_free_msgs(s->out, s->n);
	raft_node_free(s->r);
	raft_memstore_free(s->ms);
}

static inline void solo_step(struct solo *s, struct raft_message m)
{
	m.to = 1;
	ck_assert_int_eq(raft_step(s->r, &m), TK_OK);
}

/* Campaign (no PreVote; unless already a candidate) and win with the votes
 * of the first voters after node 1; drain. */
static inline void solo_elect(struct solo *s, const raft_id *voters, size_t nv)
{
	if (raft_role(s->r) != RAFT_CANDIDATE)
		raft_campaign(s->r);
	raft_term term = raft_current_term(s->r);
	for (size_t i = 1; i < nv && raft_role(s->r) != RAFT_LEADER; i++) {
		struct raft_message g = {.type = RAFT_MSG_VOTE_RESP, .from = voters[i], .term = term};
		solo_step(s, g);
	}
	ck_assert_int_eq(raft_role(s->r), RAFT_LEADER);
	solo_drain(s);
}

/* A message from a leader of a higher term: node 1 follows it. */
static inline void solo_depose(struct solo *s, raft_id by)
{
	struct raft_message hb = {
		.type = RAFT_MSG_HEARTBEAT, .from = by, .term = raft_current_term(s->r) + 1};
	solo_step(s, hb);
	ck_assert_int_eq(raft_role(s->r), RAFT_FOLLOWER);
	solo_drain(s);
}

static inline size_t sent(const struct solo *s, uint8_t type, raft_id to)
{
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->out[i].type == type && s->out[i].to == to)
			k++;
	return k;
}

static inline const struct raft_message *find(const struct solo *s, uint8_t type, raft_id to)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->out[i].type == type && s->out[i].to == to)
			return &s->out[i];
	return NULL;
}

static inline raft_index progress_match_of(const struct raft_status *st, raft_id id)
{
	const struct raft_progress_status *p = progress_of(st, id);
	ck_assert_ptr_nonnull(p);
	return p->match;
}

static inline void tick_n(struct raft_node *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		raft_tick(r);
}

#endif
