/* Per-peer replication progress and the quorum arithmetic over voters
 * (§3.5 flow control, §3.6 commitment, §3.4 vote counting).  Internal. */
#ifndef TK_RAFT_PROGRESS_H
#define TK_RAFT_PROGRESS_H

#include "raft/raft.h"

/* Last indexes of append messages in flight, oldest first (a ring). */
struct raft_inflights {
	size_t start, count, size; /* size: the window (max_inflight) */
	size_t cap;                /* allocated, grows up to size */
	raft_index *buf;           /* allocated on first use */
};

struct raft_progress {
	raft_id id;
	raft_index match; /* highest index known replicated */
	raft_index next;  /* next index to send */
	raft_index pending_snapshot;
	uint8_t state;     /* enum raft_progress_state */
	bool probe_sent;   /* probe state: wait for an answer before the next */
	bool recent_active; /* heard from within the election timeout */
	bool vote_responded, vote_granted;
	uint64_t read_ack; /* highest ReadIndex round acknowledged */
	struct raft_inflights ins;
};

struct raft_tracker {
	size_t n, cap; /* at most RAFT_MAX_VOTERS */
	size_t max_inflight;
	struct raft_progress *pr; /* sized to the group: a node stays small */
};

enum raft_vote_result { RAFT_VOTE_PENDING, RAFT_VOTE_WON, RAFT_VOTE_LOST };

void raft_tracker_init(struct raft_tracker *t, size_t max_inflight);
void raft_tracker_destroy(struct raft_tracker *t);
struct raft_progress *raft_tracker_get(struct raft_tracker *t, raft_id id);
/* Add a voter (no-op when present); returns it. */
struct raft_progress *raft_tracker_add(struct raft_tracker *t, raft_id id, raft_index next);
void raft_tracker_remove(struct raft_tracker *t, raft_id id);
void raft_tracker_conf_state(const struct raft_tracker *t, struct raft_conf_state *cs);
size_t raft_tracker_quorum(const struct raft_tracker *t);
/* Largest index replicated on a majority of voters (§3.6.2). */
raft_index raft_tracker_committed(const struct raft_tracker *t);
void raft_tracker_reset_votes(struct raft_tracker *t);
void raft_tracker_record_vote(struct raft_tracker *t, raft_id id, bool granted);
enum raft_vote_result raft_tracker_tally(const struct raft_tracker *t);
/* Did a majority (self included) talk to us recently?  Clears the flags. */
bool raft_tracker_quorum_active(struct raft_tracker *t, raft_id self);
/* Highest heartbeat round acknowledged by a majority (self acknowledges
 * self_seq). */
uint64_t raft_tracker_read_quorum_seq(const struct raft_tracker *t, raft_id self,
				      uint64_t self_seq);
/* Have a majority acknowledged ReadIndex round seq (self counts)? */
bool raft_tracker_read_acked(const struct raft_tracker *t, raft_id self, uint64_t seq);

void raft_pr_become_probe(struct raft_progress *p);
void raft_pr_become_replicate(struct raft_progress *p);
void raft_pr_become_snapshot(struct raft_progress *p, raft_index snap);
/* An append up to n was acknowledged; true when match advanced. */
bool raft_pr_maybe_update(struct raft_progress *p, raft_index n);
/* The append at rejected was refused, the follower's log ends near hint. */
bool raft_pr_maybe_decr(struct raft_progress *p, raft_index rejected, raft_index hint);
bool raft_pr_paused(const struct raft_progress *p);
/* An append ending at last was sent in replicate state. */
void raft_pr_sent(struct raft_progress *p, raft_index last);

void raft_ins_add(struct raft_inflights *in, raft_index last);
void raft_ins_free_le(struct raft_inflights *in, raft_index to);
void raft_ins_free_first(struct raft_inflights *in);
bool raft_ins_full(const struct raft_inflights *in);
void raft_ins_reset(struct raft_inflights *in);

#endif
