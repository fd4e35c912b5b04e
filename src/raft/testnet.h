/* An in-memory cluster for the scenario tests: nodes with in-memory storage,
 * a message queue delivered in order, cuttable links, and a record of what
 * each node applied.  Test code only. */
#ifndef TK_RAFT_TESTNET_H
#define TK_RAFT_TESTNET_H

#include "raft/memstore.h"
#include "raft/raft.h"

#define TN_MAX 8

struct tn_applied {
	raft_index index;
	raft_term term;
	uint8_t type;
	char data[64];
	size_t len;
};

struct tn_node {
	raft_id id;
	struct raft_node *r;
	struct raft_memstore *ms;
	struct tn_applied *applied;
	size_t n_applied, cap_applied;
	struct raft_read_state reads[64]; /* contexts copied into rctx */
	char rctx[64][32];
	size_t n_reads;
	bool down;
	bool snapshot_applied;
	raft_index applied_index;
};

struct tnet {
	size_t n;
	struct tn_node nodes[TN_MAX + 1]; /* by id, 1..n */
	struct raft_config tmpl;
	bool cut[TN_MAX + 1][TN_MAX + 1];
	/* Drop messages of one type (0 = none). */
	uint8_t drop_type;
	struct raft_message *q;
	size_t qn, qcap, qhead;
	/* Messages sent by the node ids in `capture` are kept here instead of
	 * being delivered (for tests that inspect them). */
	bool capture[TN_MAX + 1];
	struct raft_message *cap;
	size_t capn, capcap;
};

/* Config template defaults: election 10, heartbeat 1, inflight 256, 1 MiB. */
void tn_default_config(struct raft_config *c);
/* n nodes with ids 1..n, all voters (tmpl NULL: defaults). */
struct tnet *tn_new(size_t n, const struct raft_config *tmpl);
/* A node with its own voter list (e.g. a node not yet in the group). */
void tn_add_node(struct tnet *t, raft_id id, const raft_id *voters, size_t nv);
void tn_free(struct tnet *t);
/* Persist / send / apply the ready of every node until quiet; deliver all
 * queued messages; repeat until nothing moves. */
void tn_settle(struct tnet *t);
/* Process readies once and deliver at most max queued messages. */
void tn_step_some(struct tnet *t, size_t max);
void tn_tick(struct tnet *t, raft_id id, unsigned times);
void tn_tick_all(struct tnet *t, unsigned times);
void tn_campaign(struct tnet *t, raft_id id);
enum tk_err tn_propose(struct tnet *t, raft_id id, const char *s);
void tn_isolate(struct tnet *t, raft_id id);
void tn_cut(struct tnet *t, raft_id a, raft_id b);
void tn_heal(struct tnet *t);
/* Crash a node: forget everything not in its storage. */
void tn_crash(struct tnet *t, raft_id id);
void tn_restart(struct tnet *t, raft_id id);
struct raft_node *tn_r(struct tnet *t, raft_id id);
raft_id tn_leader(struct tnet *t);
void tn_status(struct tnet *t, raft_id id, struct raft_status *st);
/* Drop everything queued and captured. */
void tn_clear_queue(struct tnet *t);
void tn_clear_capture(struct tnet *t);
/* Compact the storage of id up to index with a snapshot of its state. */
void tn_compact(struct tnet *t, raft_id id, raft_index index);
/* Do two nodes' storages hold the same entries? */
bool tn_logs_equal(struct tnet *t, raft_id a, raft_id b);

/* Stand-alone node helpers for message-level tests. */
struct raft_node *tn_lone(raft_id id, const raft_id *voters, size_t nv,
			  struct raft_memstore *ms, const struct raft_config *tmpl);
/* Take the node's ready: persist into ms, copy messages into out (up to max),
 * advance; returns the number of messages. */
size_t tn_drain(struct raft_node *r, struct raft_memstore *ms, struct raft_message *out,
		size_t max);
void tn_free_msgs(struct raft_message *v, size_t n);

#endif
