/* Private state of a store, shared by store.c (router, ready pass) and
 * snap_xfer.c (snapshot streams).  Not a public header. */
#ifndef TK_RAFTSTORE_STORE_INT_H
#define TK_RAFTSTORE_STORE_INT_H

#include "raftstore/snap.h"
#include "raftstore/store.h"

/* A snapshot raft asked for (an engine snapshot at the applied index),
 * waiting for its SNAPSHOT message to leave in a ready pass. */
struct xfer_gen {
	uint64_t snap_id, region_id, pass;
	struct eng_snap *snap; /* owned */
};

/* An outgoing stream. */
struct xfer_out {
	uint64_t snap_id, region_id, to_store;
	struct raft_message final; /* the SNAPSHOT message (deep copy) */
	struct rs_snap_gen gen;
	uint32_t next_seq, acked; /* chunks sent, chunks acknowledged */
	bool last_sent;
	/* The chunks not acknowledged yet, chunk q in win[q % wn] (wn = the
	 * window): kept to send again when a chunk or its ack is lost. */
	struct tk_buf *win;
	unsigned wn;
	bool resend;
	unsigned idle_ticks;
};

/* An incoming stream of one region (the last one: its id and next_seq stay
 * after it ended, so that a resent chunk is acknowledged again). */
struct xfer_in {
	uint64_t region_id, snap_id;
	raft_id from_peer;
	uint32_t next_seq;
	bool active;
	/* Every chunk staged and the SNAPSHOT stepped: no other stream may
	 * replace the staged chunks until the peer's next ready shows whether
	 * raft took the snapshot. */
	bool sealed;
};

struct xfer_ack {
	uint64_t to_store;
	struct rs_envelope env;
};

/* A region this store destroyed its peer of: the epoch it had then.  A
 * message of an epoch not newer never re-creates it; one of an older epoch
 * from a peer that may not know it was removed is answered with a
 * tombstone envelope (store_peers.c). */
struct store_tomb {
	uint64_t region_id;
	struct region_epoch epoch;
	/* The region's stores then: a sender on one of them is no stale
	 * member (it may lag, it was not removed). */
	uint32_t n_stores;
	uint64_t stores[RS_REGION_MAX_PEERS];
};

struct rs_store {
	struct rs_store_config cfg;
	/* The router: peers by region id.  A plain array searched linearly;
	 * a hash map when stores hold many regions (a later step). */
	struct rs_peer **peers;
	size_t n, cap;
	struct eng_batch *raft_b, *apply_b;
	struct rs_apply_ctx ac;
	/* Per pass scratch: which peers had a ready, and their readies. */
	struct raft_ready *rds;
	size_t *idx;
	bool *early; /* per ready: its leader's appends may leave before the write */
	struct rs_envelope *env;
	size_t envcap;
	struct rs_store_stats st;
	uint64_t pass_no;

	/* Snapshot transfer (snap_xfer.c). */
	uint64_t next_snap_id;
	struct xfer_gen *gens;
	size_t ngen, gencap;
	struct xfer_out **outs;
	size_t nout;
	struct xfer_in *ins;
	size_t nin, incap;
	struct xfer_ack *acks;
	size_t nack, ackcap;
	struct tk_buf desc; /* the descriptor handed to raft */

	/* Peers born and destroyed (store_peers.c). */
	struct store_tomb *tombs;
	size_t ntomb, tombcap;
	struct xfer_ack *answers; /* tombstone answers, sent in the next pass */
	size_t nans, anscap;
};

/* store.c: add p to the router (the store owns it on success). */
enum tk_err store_add_peer(struct rs_store *s, struct rs_peer *p, struct tk_errbuf *eb);

/* store_peers.c */
/* At open, for a region state found TOMBSTONE: remember it and finish a
 * destruction a kill cut short. */
enum tk_err store_open_tombstone(struct rs_store *s, const struct rs_region_state *rs,
                                 struct tk_errbuf *eb);
/* At open, for a NORMAL region state that names no peer on this store: the
 * peer applied its own removal and a kill came before its tombstone;
 * destroy it now. */
enum tk_err store_open_removed(struct rs_store *s, const struct rs_region_state *rs,
                               struct tk_errbuf *eb);
/* rs_store_step of a raft message (env->type RS_ENV_RAFT). */
enum tk_err store_step_raft(struct rs_store *s, const struct rs_envelope *env);
/* Destroy every peer marked removed (tombstone first, then its raft state
 * and data).  Engine errors (the store must close; the restart finishes). */
enum tk_err store_destroy_removed(struct rs_store *s, struct tk_errbuf *eb);
bool store_has_removed(const struct rs_store *s);
/* Send the queued tombstone answers. */
void store_send_answers(struct rs_store *s);
void store_peers_free(struct rs_store *s);

/* Fill env's routing fields (store.h) for a message of region_id to
 * to_store: this store, and the region's epoch and range when it has a
 * peer of it. */
void store_address(struct rs_store *s, uint64_t region_id, uint64_t to_store,
                   struct rs_envelope *env);

/* snap_xfer.c */
void xfer_init(struct rs_store *s);
void xfer_free(struct rs_store *s);
/* The snapshot source of every peer's storage (arg: the store). */
enum tk_err xfer_generate(void *arg, struct rs_peer_storage *ps, struct raft_snapshot *out);
/* A ready's SNAPSHOT message to to_store: start its stream (or tell raft it
 * failed). */
void xfer_start(struct rs_store *s, struct rs_peer *p, const struct raft_message *m,
                uint64_t to_store);
/* Drop generated snapshots no message claimed in an earlier pass. */
void xfer_release_unclaimed(struct rs_store *s);
/* Send queued acks and the chunks the streams' windows allow. */
void xfer_send(struct rs_store *s);
/* True when xfer_send has something to do. */
bool xfer_has_work(const struct rs_store *s);
enum tk_err xfer_step(struct rs_store *s, const struct rs_envelope *env);
void xfer_tick(struct rs_store *s);
/* The peer's ready was handled (had_snapshot: it carried the snapshot a
 * sealed incoming stream delivered): that stream is done. */
void xfer_ready_done(struct rs_store *s, uint64_t region_id, bool had_snapshot);
/* region_id's peer is gone: end its streams both ways. */
void xfer_forget_region(struct rs_store *s, uint64_t region_id);

#endif
