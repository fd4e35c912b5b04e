/* Progress tracking and quorum arithmetic; see progress.h. */
#include "raft/progress.h"

#include <stdlib.h>
#include <string.h>

#include "raft/log.h"
#include "raft/mem.h"

void raft_tracker_init(struct raft_tracker *t, size_t max_inflight)
{
	memset(t, 0, sizeof(*t));
	t->max_inflight = max_inflight;
}

void raft_tracker_destroy(struct raft_tracker *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->pr[i].ins.buf);
	free(t->pr);
	t->pr = NULL;
	t->n = t->cap = 0;
}

struct raft_progress *raft_tracker_get(struct raft_tracker *t, raft_id id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->pr[i].id == id)
			return &t->pr[i];
	return NULL;
}

struct raft_progress *raft_tracker_add(struct raft_tracker *t, raft_id id, raft_index next)
{
	struct raft_progress *p = raft_tracker_get(t, id);
	if (p)
		return p;
	if (t->n == RAFT_MAX_VOTERS)
		raft_panic(NULL, "too many voters");
	if (t->n == t->cap) {
		size_t c = t->cap ? t->cap + 2 : 3;
		t->pr = raft_xrealloc(t->pr, c * sizeof(*t->pr));
		t->cap = c;
	}
	p = &t->pr[t->n++];
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->next = next;
	p->state = RAFT_PROGRESS_PROBE;
	/* A new peer counts as active so that check-quorum does not depose the
	 * leader before the peer had a chance to answer. */
	p->recent_active = true;
	p->ins.size = t->max_inflight;
	return p;
}

void raft_tracker_remove(struct raft_tracker *t, raft_id id)
{
	struct raft_progress *p = raft_tracker_get(t, id);
	if (!p)
		return;
	free(p->ins.buf);
	size_t i = (size_t)(p - t->pr);
	memmove(&t->pr[i], &t->pr[i + 1], (t->n - i - 1) * sizeof(t->pr[0]));
	t->n--;
}

void raft_tracker_conf_state(const struct raft_tracker *t, struct raft_conf_state *cs)
{
	memset(cs, 0, sizeof(*cs));
	for (size_t i = 0; i < t->n; i++)
		cs->voters[cs->n_voters++] = t->pr[i].id;
}

size_t raft_tracker_quorum(const struct raft_tracker *t)
{
	return t->n / 2 + 1;
}

raft_index raft_tracker_committed(const struct raft_tracker *t)
{
	if (t->n == 0)
		return 0;
	raft_index m[RAFT_MAX_VOTERS];
	for (size_t i = 0; i < t->n; i++)
		m[i] = t->pr[i].match;
	/* Insertion sort, descending: n is tiny. */
	for (size_t i = 1; i < t->n; i++) {
		raft_index v = m[i];
		size_t j = i;
		while (j > 0 && m[j - 1] < v) {
			m[j] = m[j - 1];
			j--;
		}
		m[j] = v;
	}
	return m[raft_tracker_quorum(t) - 1];
}

uint64_t raft_tracker_read_quorum_seq(const struct raft_tracker *t, raft_id self,
				      uint64_t self_seq)
{
	if (t->n == 0)
		return 0;
	uint64_t m[RAFT_MAX_VOTERS];
	for (size_t i = 0; i < t->n; i++)
		m[i] = t->pr[i].id == self ? self_seq : t->pr[i].read_ack;
	for (size_t i = 1; i < t->n; i++) {
		uint64_t v = m[i];
		size_t j = i;
		while (j > 0 && m[j - 1] < v) {
			m[j] = m[j - 1];
			j--;
		}
		m[j] = v;
	}
	return m[raft_tracker_quorum(t) - 1];
}

void raft_tracker_reset_votes(struct raft_tracker *t)
{
	for (size_t i = 0; i < t->n; i++)
		t->pr[i].vote_responded = t->pr[i].vote_granted = false;
}

void raft_tracker_record_vote(struct raft_tracker *t, raft_id id, bool granted)
{
	struct raft_progress *p = raft_tracker_get(t, id);
	if (!p || p->vote_responded)
		return; /* only the first answer of a voter counts */
	p->vote_responded = true;
	p->vote_granted = granted;
}

enum raft_vote_result raft_tracker_tally(const struct raft_tracker *t)
{
	size_t yes = 0, no = 0, q = raft_tracker_quorum(t);
	for (size_t i = 0; i < t->n; i++) {
		if (!t->pr[i].vote_responded)
			continue;
		if (t->pr[i].vote_granted)
			yes++;
		else
			no++;
	}
	if (yes >= q)
		return RAFT_VOTE_WON;
	if (no > t->n - q)
		return RAFT_VOTE_LOST;
	return RAFT_VOTE_PENDING;
}

bool raft_tracker_quorum_active(struct raft_tracker *t, raft_id self)
{
	size_t act = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->pr[i].id == self || t->pr[i].recent_active)
			act++;
		if (t->pr[i].id != self)
			t->pr[i].recent_active = false;
	}
	return act >= raft_tracker_quorum(t);
}

bool raft_tracker_read_acked(const struct raft_tracker *t, raft_id self, uint64_t seq)
{
	size_t acks = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->pr[i].id == self || t->pr[i].read_ack >= seq)
			acks++;
	return acks >= raft_tracker_quorum(t);
}

static void reset_state(struct raft_progress *p, uint8_t state)
{
	p->probe_sent = false;
	p->pending_snapshot = 0;
	p->state = state;
	raft_ins_reset(&p->ins);
}

void raft_pr_become_probe(struct raft_progress *p)
{
	if (p->state == RAFT_PROGRESS_SNAPSHOT) {
		/* Resume after the snapshot, which the follower may have. */
		raft_index ps = p->pending_snapshot;
		reset_state(p, RAFT_PROGRESS_PROBE);
		p->next = (p->match + 1 > ps + 1) ? p->match + 1 : ps + 1;
	} else {
		reset_state(p, RAFT_PROGRESS_PROBE);
		p->next = p->match + 1;
	}
}

void raft_pr_become_replicate(struct raft_progress *p)
{
	reset_state(p, RAFT_PROGRESS_REPLICATE);
	p->next = p->match + 1;
}

void raft_pr_become_snapshot(struct raft_progress *p, raft_index snap)
{
	reset_state(p, RAFT_PROGRESS_SNAPSHOT);
	p->pending_snapshot = snap;
}

bool raft_pr_maybe_update(struct raft_progress *p, raft_index n)
{
	bool updated = false;
	if (p->match < n) {
		p->match = n;
		updated = true;
		p->probe_sent = false;
	}
	if (p->next < n + 1)
		p->next = n + 1;
	return updated;
}

bool raft_pr_maybe_decr(struct raft_progress *p, raft_index rejected, raft_index hint)
{
	if (p->state == RAFT_PROGRESS_REPLICATE) {
		/* Stale rejection of something already matched. */
		if (rejected <= p->match)
			return false;
		p->next = p->match + 1;
		return true;
	}
	/* In probe state only the answer to the latest probe counts. */
	if (p->next - 1 != rejected)
		return false;
	raft_index n = rejected < hint + 1 ? rejected : hint + 1;
	if (n < p->match + 1)
		n = p->match + 1;
	if (n < 1)
		n = 1;
	p->next = n;
	p->probe_sent = false;
	return true;
}

bool raft_pr_paused(const struct raft_progress *p)
{
	switch (p->state) {
	case RAFT_PROGRESS_PROBE:
		return p->probe_sent;
	case RAFT_PROGRESS_REPLICATE:
		return raft_ins_full(&p->ins);
	default:
		return true;
	}
}

void raft_pr_sent(struct raft_progress *p, raft_index last)
{
	p->next = last + 1;
	raft_ins_add(&p->ins, last);
}

void raft_ins_add(struct raft_inflights *in, raft_index last)
{
	if (in->count >= in->size)
		raft_panic(NULL, "inflight window overflow");
	if (in->count == in->cap) {
		/* Grow (ring unrolled) so that idle or slow peers keep a small
		 * buffer; a busy one reaches the full window. */
		size_t c = in->cap ? in->cap * 2 : 4;
		if (c > in->size)
			c = in->size;
		raft_index *nb = raft_xmalloc(c * sizeof(*nb));
		for (size_t i = 0; i < in->count; i++)
			nb[i] = in->buf[(in->start + i) % in->cap];
		free(in->buf);
		in->buf = nb;
		in->cap = c;
		in->start = 0;
	}
	in->buf[(in->start + in->count) % in->cap] = last;
	in->count++;
}

void raft_ins_free_le(struct raft_inflights *in, raft_index to)
{
	while (in->count && in->buf[in->start] <= to) {
		in->start = (in->start + 1) % in->cap;
		in->count--;
	}
	if (!in->count)
		in->start = 0;
}

void raft_ins_free_first(struct raft_inflights *in)
{
	if (in->count)
		raft_ins_free_le(in, in->buf[in->start]);
}

bool raft_ins_full(const struct raft_inflights *in)
{
	return in->count == in->size;
}

void raft_ins_reset(struct raft_inflights *in)
{
	in->start = in->count = 0;
}
