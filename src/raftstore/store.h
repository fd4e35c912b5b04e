/* A store: the peers of every region it holds (a router from region id to
 * peer) over one engine, and the ready pass of DESIGN.md section 5:
 *
 *   1. collect the ready of every peer that has one;
 *   2. put all their entries and hard states into ONE batch, written with
 *      one sync (when any ready asks for it), then mark them persisted;
 *   3. hand their messages to the transport, batched per destination store;
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
	/* The sender is a tombstone of the region at epoch: a receiver whose
	 * peer is of an older epoch was removed and destroys itself. */
	bool tombstone;
	struct raft_message msg; /* borrowed: valid during the send call only */
	uint8_t type;            /* enum rs_env_type */
	struct rs_snap_chunk snap;
};

/* Deliver msgs to store to_store (copy what must outlive the call). */
typedef void (*rs_send_fn)(void *arg, uint64_t to_store, const struct rs_envelope *msgs, size_t n);

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

void rs_store_tick(struct rs_store *s);
/* Step a message from the network.  TK_E_REGION_NOT_FOUND for an unknown
 * region; raft_step's TK_E_BAD_REQUEST for a malformed message, or for a
 * raft SNAPSHOT message that did not come as the last chunk of a stream.
 * A snapshot chunk is staged in the engine here (one unsynced write) and
 * acknowledged in the next ready pass; a resent chunk is acknowledged
 * again, one past a gap ignored (the sender goes back to the first chunk
 * not acknowledged after a few ticks), and one that cannot be taken (an
 * unknown stream, malformed, engine error) is answered with a refusing
 * ack, not an error. */
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
};
void rs_store_get_stats(const struct rs_store *s, struct rs_store_stats *out);

#endif
