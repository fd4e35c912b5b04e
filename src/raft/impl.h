/* The node struct and the internal functions shared by the files of the
 * state machine (node.c: roles, terms, elections; leader.c: replication and
 * commitment; follower.c: the receiving side; readonly.c: ReadIndex;
 * ready.c: the ready/advance handshake and membership).  Internal. */
#ifndef TK_RAFT_IMPL_H
#define TK_RAFT_IMPL_H

#include "raft/log.h"
#include "raft/progress.h"
#include "raft/raft.h"

/* A ReadIndex request waiting for its heartbeat round (or, in waitq, for the
 * leader's first commit in its term). */
struct raft_pending_read {
	raft_id from;
	raft_index index;
	uint64_t seq;
	uint8_t *ctx;
	size_t len;
};

#define RAFT_ROUNDS 16

struct raft_readq {
	struct raft_pending_read *v;
	size_t n, cap;
};

struct raft_node {
	raft_id id;
	struct raft_config cfg;
	struct raft_tracer tracer;

	raft_term term;
	raft_id vote;
	raft_id leader;
	enum raft_role role;
	struct raft_log log;
	struct raft_tracker prs;

	unsigned election_elapsed;
	unsigned heartbeat_elapsed;
	unsigned randomized_timeout;
	uint64_t rng;

	raft_id lead_transferee;
	raft_index pending_conf_index;

	/* Outgoing messages and answered reads, handed out by raft_ready. */
	struct raft_message *msgs;
	size_t n_msgs, cap_msgs;
	struct raft_read_state *reads;
	size_t n_reads, cap_reads;

	struct raft_readq pendq; /* leader: waiting for a heartbeat quorum */
	struct raft_readq waitq; /* leader: waiting for a commit in its term */
	/* Heartbeat rounds: every broadcast is round ++read_seq, sent at
	 * round_tick[seq % RAFT_ROUNDS]; acknowledged rounds confirm ReadIndex
	 * requests and extend the lease. */
	uint64_t read_seq;
	uint64_t round_tick[RAFT_ROUNDS];
	uint64_t ticks;          /* local clock, in ticks */
	uint64_t lease_block_until; /* no lease reads before (after TIMEOUT_NOW) */
	unsigned boot_elapsed;   /* ticks since start, saturating */
	raft_term boot_term;     /* term found in storage at start */

	/* Ready bookkeeping. */
	struct raft_hard_state prev_hs;
	raft_id prev_leader;
	enum raft_role prev_role;
	bool in_ready;
	struct raft_message *rd_msgs; /* double-buffered with msgs */
	size_t rd_n_msgs, rd_cap_msgs;
	struct raft_read_state *rd_reads;
	size_t rd_n_reads, rd_cap_reads;
	struct raft_entbuf rd_committed;
	size_t rd_n_entries;
	raft_index rd_last_index;
	raft_term rd_last_term;
	raft_index rd_snap_index;

	struct raft_entbuf scratch;
};

void raft_trace(const struct raft_node *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define TRACE(r, ...)                                                                   \
	do {                                                                            \
		if ((r)->tracer.trace)                                                  \
			raft_trace((r), __VA_ARGS__);                                    \
	} while (0)

/* Queue m for sending (from and, when zero, term are filled in).  Takes
 * ownership of the memory m points to. */
void raft_send(struct raft_node *r, struct raft_message *m);
void raft_msg_free(struct raft_message *m);

void raft_become_follower(struct raft_node *r, raft_term term, raft_id leader);
void raft_become_leader(struct raft_node *r);
bool raft_promotable(const struct raft_node *r);
void raft_hup(struct raft_node *r, bool transfer);
/* Campaign (pre: a PreVote round) without the checks of raft_hup. */
void raft_start_election(struct raft_node *r, bool pre, bool transfer);

/* leader.c */
void raft_leader_step(struct raft_node *r, const struct raft_message *m);
void raft_leader_tick(struct raft_node *r);
void raft_append_entries(struct raft_node *r, const struct raft_entry *ents, size_t n);
bool raft_leader_maybe_commit(struct raft_node *r);
void raft_bcast_append(struct raft_node *r);
void raft_bcast_heartbeat(struct raft_node *r);
void raft_send_append(struct raft_node *r, raft_id to);
void raft_abort_transfer(struct raft_node *r);
void raft_leader_transfer(struct raft_node *r, raft_id target);

/* follower.c */
void raft_follower_step(struct raft_node *r, const struct raft_message *m);
void raft_candidate_step(struct raft_node *r, const struct raft_message *m);

/* readonly.c */
void raft_readonly_reset(struct raft_node *r);
void raft_leader_read(struct raft_node *r, raft_id from, const uint8_t *ctx, size_t len);
void raft_readonly_ack(struct raft_node *r, raft_id from, uint64_t seq);
/* The leader committed: serve reads that waited for a commit in its term. */
void raft_readonly_on_commit(struct raft_node *r);
void raft_add_read_state(struct raft_node *r, raft_index index, const uint8_t *ctx,
			 size_t len);

#endif
