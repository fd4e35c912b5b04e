/* Private state of a region's peer, shared by peer.c (proposals, ready
 * steps, log GC) and confchange.c (membership changes).  Not a public
 * header. */
#ifndef TK_RAFTSTORE_PEER_INT_H
#define TK_RAFTSTORE_PEER_INT_H

#include "raftstore/peer.h"

#define RS_PEER_CACHE 16

struct proposal {
	raft_index index;
	raft_term term;
	rs_proposal_cb cb;
	void *arg;
};

struct rs_peer {
	uint64_t region_id, store_id;
	raft_id id;
	struct eng *e;
	struct rs_peer_storage *ps;
	struct raft_node *r;
	struct rs_peer_options opt;
	/* Log GC: entry bytes applied since the last compaction (a hint: it
	 * restarts at 0 with the peer), and the COMPACT_LOG proposed last
	 * (index and term of its entry), so that one at a time is in flight. */
	uint64_t log_bytes;
	raft_index gc_prop_index;
	raft_term gc_prop_term;
	/* A snapshot staged by stage_log whose data is still to be written:
	 * its region state (NORMAL), set when the data is in. */
	bool snap_pending;
	struct rs_region_state snap_rs;
	/* Pending proposals, sorted by index (see push_proposal); head first. */
	struct proposal *props;
	size_t np, head, cap;
	/* Conf changes (confchange.c): set when this peer applied its own
	 * removal; the store destroys it after the pass. */
	bool removed;
	/* Stores of peer ids learned from incoming envelopes, for the peers
	 * the region state does not name yet (an uninitialized peer's
	 * leader, a peer just added). */
	struct region_peer cache[RS_PEER_CACHE];
	size_t ncache;
	/* Results decided while staging apply, fired after the write. */
	struct rs_read_queue rq;
	enum tk_err *results;
	size_t *out_start; /* per result: its outputs' start and count in the apply ctx */
	size_t nres, rescap;
};

/* Track a proposal just made at raft_last_index (room reserved by
 * peer_reserve). */
bool peer_reserve(struct rs_peer *p);
void peer_push_proposal(struct rs_peer *p, raft_index i, raft_term t, rs_proposal_cb cb, void *arg);
/* The region state as the apply batch will leave it (staged or persisted);
 * NULL while uninitialized. */
const struct rs_region_state *peer_region_state(const struct rs_peer *p);

/* confchange.c: apply a committed conf change entry into the apply batch;
 * *res is the proposal's result.  Engine errors only. */
enum tk_err peer_apply_conf_change(struct rs_peer *p, struct rs_apply_ctx *ac,
                                   const struct raft_entry *e, enum tk_err *res,
                                   struct tk_errbuf *eb);

#endif
