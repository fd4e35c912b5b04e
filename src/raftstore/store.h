/* A store: the peers of every region it holds (a router from region id to
 * peer) over one engine, and the ready pass of DESIGN.md section 5:
 *
 *   1. collect the ready of every peer that has one;
 *   2. put all their entries and hard states into ONE batch, written with
 *      one sync (when any ready asks for it), then mark them persisted;
 *   3. hand their messages to the transport, batched per destination store
 *      (a leader's appends and heartbeats leave before step 2's write, so
 *      that the followers' writes overlap it, when its term and vote are
 *      on disk already: store.c, sends_early);
 *   4. apply the committed entries of every peer, with each peer's new
 *      apply state, in one batch (no sync: a lost apply is redone from the
 *      log at restart), then fire the proposals' callbacks;
 *   5. advance every peer; then leaders propose log compaction when their
 *      log passed the GC limits (peer.h, rs_peer_options).
 * A peer whose ready has a snapshot gets it applied (snap.h) right after
 * step 2's write, before anything is sent or applied.  Step 3 also sends
 * snapshot acks and the next chunks of outgoing snapshot streams.
 * Step 2's batch also deletes the entries of compactions applied in earlier
 * passes (log GC, peer_storage.h), a bounded number per peer and pass, also
 * in a pass where no peer has a ready: a caller that runs passes only when
 * some peer has one leaves them for later, which is harmless.
 *
 *
 * Peers born and destroyed (store_peers.c; TiKV's and TinyKV's rules).  A
 * raft message for a region this store has no peer of creates one only
 * when it is an initial message (a VOTE or PREVOTE, or a HEARTBEAT or
 * APPEND of a leader to a peer it knows nothing of yet), its range overlaps
 * no region this store holds, and its epoch is newer than that of a
 * tombstone this store keeps of the region.  The new peer is uninitialized
 * (no range, data or membership: a snapshot brings them) and answers
 * through the stores its envelopes named (rs_peer_learn_store).  Its raft
 * hard state is written like any peer's; a restart does not reopen it
 * (there is no region state to find it by), but the next initial message
 * re-creates it over the same stored hard state, so a vote is never lost.
 * A peer is destroyed when it applied its own removal, when a tombstone
 * envelope from a newer epoch names it, or when a message of a newer epoch
 * names a newer peer of the region on this store: at the end of the next
 * ready pass the region state is set TOMBSTONE with the epoch (synced),
 * then the range's data and the region's raft records are deleted; a
 * restart that finds a TOMBSTONE with raft records left finishes the
 * deletion.  A VOTE or PREVOTE from a store no longer in the region (or
 * for a tombstoned one) carrying an older epoch is answered with a
 * tombstone envelope, which makes the stale sender destroy itself.
 *
 * No libevent here: the caller (tinykvd's reactor later, a test fixture now)
 * calls rs_store_tick and rs_store_step, then rs_store_ready_pass.
 * A failed ready pass (engine write or read error) leaves the store unusable:
 * the caller closes it and reopens from the data dir. */
#ifndef TK_RAFTSTORE_STORE_H
#define TK_RAFTSTORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "raft/raft.h"
#include "meta/region.h"
#include "raftstore/peer.h"
#include "util/bytes.h"

/* What an envelope carries (proto-spec/raft.md, "snapshot chunks"). */
enum rs_env_type {
	RS_ENV_RAFT = 0,       /* msg is a raft message */
	RS_ENV_SNAP_CHUNK = 1, /* part of a snapshot stream (snap.h) */
	RS_ENV_SNAP_ACK = 2,   /* the receiver staged a chunk, or refuses the stream */
};

/* A snapshot is never one message: the leader's store streams the region's
 * data as chunks of at most snap_chunk_bytes (plus one record), at most
 * snap_window of them unacknowledged.  In a chunk, msg's from / to / term
 * name the peers; the last chunk's msg is the raft SNAPSHOT message itself
 * (whose snapshot data is the descriptor of snap.h), stepped into the
 * receiver's raft once every chunk is staged.  An ack's msg has from / to
 * swapped. */
struct rs_snap_chunk {
	uint64_t snap_id;    /* the stream, unique per sending store */
	uint64_t from_store; /* the store sending this chunk or ack */
	uint32_t seq;        /* chunk number from 0 (ACK: the chunk staged) */
	bool last;           /* CHUNK: the final chunk */
	bool reject;         /* ACK: stream refused or broken: the sender gives up */
	const uint8_t *data; /* CHUNK: records (snap.h); borrowed like msg */
	size_t len;
};

/* A message of one region, as the transport carries it.  Left zero, type
 * and snap make a plain raft message.  The routing fields (TiKV's
 * RaftMessage) let a store that has no peer of the region yet create one
 * (from a newer epoch, a range overlapping nothing it holds) and answer it,
 * and let a tombstone tell a stale sender to stop: the store filling them
 * is the one sending (rs_store's ready pass, snapshot streams). */
struct rs_envelope {
	uint64_t region_id;
	uint64_t from_store, to_store; /* the stores of msg.from and msg.to */
	struct region_epoch epoch;     /* the sender's epoch of the region */
	struct tk_slice start_key, end_key; /* the sender's range (borrowed) */
	/* The receiver's peer was removed: the sender (a tombstone of the
	 * region, or a live peer) has the region at epoch without it; a
	 * receiver whose peer is of an older epoch destroys itself. */
	bool tombstone;
	struct raft_message msg; /* borrowed: valid during the send call only */
	uint8_t type;            /* enum rs_env_type */
	struct rs_snap_chunk snap;
};

/* Deliver msgs to store to_store (copy what must outlive the call). */
typedef void (*rs_send_fn)(void *arg, uint64_t to_store, const struct rs_envelope *msgs, size_t n);

/* The daemon learns which regions come and go (it keeps region ids, never
 * peer pointers across calls). */
enum rs_peer_event {
	RS_PEER_CREATED = 1,   /* born from a message (uninitialized) */
	RS_PEER_DESTROYED = 2, /* removed: tombstone recorded, data deleted */
};
typedef void (*rs_peer_event_fn)(void *arg, uint64_t region_id, enum rs_peer_event ev);

struct rs_store_config {
	uint64_t store_id;
	struct eng *e; /* borrowed for the store's life */
	struct rs_peer_options peer;
	rs_send_fn send;
	void *send_arg;
	/* Never fsync the raft log (tinykvd --sync off: a crash may lose the
	 * last acknowledged writes, never the log's consistency). */
	bool no_sync;
	/* Snapshot transfer: chunk data bytes (default 1 MiB), chunks in
	 * flight per stream (default 4), ticks without progress before a
	 * stream is abandoned and raft told so (default 50; raft sends a new
	 * snapshot later), outgoing streams at once (default 4; beyond, raft
	 * is told the snapshot failed).  0 means the default. */
	size_t snap_chunk_bytes;
	unsigned snap_window;
	unsigned snap_timeout_ticks;
	unsigned snap_max_sending;
	rs_peer_event_fn on_peer; /* optional */
	void *on_peer_arg;
};

struct rs_store;

/* Open every region that has a live peer on this store (a scan of the region
 * local states), first finishing the apply of any snapshot a kill cut short
 * (region state APPLYING, snap.h).  Load errors as rs_peer_open; engine
 * errors of that finish. */
enum tk_err rs_store_open(const struct rs_store_config *cfg, struct rs_store **out,
                          struct tk_errbuf *eb);
void rs_store_free(struct rs_store *s);

struct rs_peer *rs_store_peer(struct rs_store *s, uint64_t region_id);
size_t rs_store_n_peers(const struct rs_store *s);
/* Peer i of the router, 0 <= i < rs_store_n_peers (the order changes when
 * peers come and go: iterate without stepping or passing in between). */
struct rs_peer *rs_store_peer_at(struct rs_store *s, size_t i);
/* The peer whose (initialized) region holds key; NULL when none.  A linear
 * scan for now. */
struct rs_peer *rs_store_find_key(struct rs_store *s, struct tk_slice key);
/* Membership (peer.h, rs_peer_change_peer / rs_peer_transfer_leader) on
 * region_id; TK_E_REGION_NOT_FOUND (also given to cb) for an unknown one. */
enum tk_err rs_store_change_peer(struct rs_store *s, uint64_t region_id, int add, uint64_t peer_id,
                                 uint64_t store_id, rs_proposal_cb cb, void *arg);
enum tk_err rs_store_transfer_leader(struct rs_store *s, uint64_t region_id, uint64_t peer_id);
/* Whether this store keeps a tombstone of region_id (its peer was
 * destroyed), and at which epoch. */
bool rs_store_tombstone(const struct rs_store *s, uint64_t region_id, struct region_epoch *epoch);

void rs_store_tick(struct rs_store *s);
/* Step a message from the network.  TK_E_REGION_NOT_FOUND for an unknown
 * region that the message may not create a peer of (see above; a message
 * dropped, or answered with a tombstone, is TK_OK); raft_step's
 * TK_E_BAD_REQUEST for a malformed message, or for a raft SNAPSHOT message
 * that did not come as the last chunk of a stream.  A snapshot chunk is
 * staged in the engine here (one unsynced write) and acknowledged in the
 * next ready pass; a resent chunk is acknowledged again, one past a gap
 * ignored (the sender goes back to the first chunk not acknowledged after a
 * few ticks), and one that cannot be taken (an unknown stream, malformed,
 * engine error) is answered with a refusing ack, not an error. */
enum tk_err rs_store_step(struct rs_store *s, const struct rs_envelope *env);
/* The transport could not deliver to store to_store (link down, queue
 * full): every peer on it is reported unreachable to its region's raft,
 * which then probes it instead of streaming appends into the void. */
void rs_store_report_unreachable(struct rs_store *s, uint64_t to_store);
/* Propose a command on a region (rs_peer_propose); TK_E_REGION_NOT_FOUND
 * (also given to cb) for an unknown region. */
enum tk_err rs_store_propose(struct rs_store *s, uint64_t region_id, const uint8_t *cmd, size_t len,
                             rs_proposal_cb cb, void *arg);

/* A linearizable read on a region (rs_peer_read); TK_E_REGION_NOT_FOUND
 * (cb not called) for an unknown region.  The read index is asked at the
 * next ready pass, for every read queued until then at once. */
enum tk_err rs_store_read(struct rs_store *s, uint64_t region_id, rs_read_cb cb, void *arg);

/* One ready pass; *n_ready (may be NULL) counts the peers that had one
 * (log GC work alone counts none). */
enum tk_err rs_store_ready_pass(struct rs_store *s, size_t *n_ready, struct tk_errbuf *eb);

struct rs_store_stats {
	uint64_t passes;     /* ready passes that had work */
	uint64_t log_writes; /* raft batches written (one per such pass) */
	uint64_t syncs;      /* of them with sync */
	uint64_t apply_writes;
	uint64_t gc_proposals; /* COMPACT_LOG commands proposed */
	uint64_t gc_deletes;   /* compacted log entries deleted */
	uint64_t log_write_ns;   /* time in raft log writes (with their fsync) */
	uint64_t apply_write_ns; /* time in apply writes */
	uint64_t snaps_generated, snaps_sent, snaps_aborted, snap_chunks_sent;
	uint64_t snaps_applied, snap_chunks_received, snap_chunks_refused;
	uint64_t peers_created, peers_destroyed, tombstones_sent;
	uint64_t snaps_sending, snaps_receiving; /* streams under way now */
};
void rs_store_get_stats(const struct rs_store *s, struct rs_store_stats *out);

#endif
