/* One region's peer on a store: a raft node over the region's peer storage,
 * and the proposals waiting for their entries to be applied.
 *
 * A proposal's callback fires exactly once: TK_OK only after its entry (same
 * index AND same term as proposed) was applied and that apply was written;
 * TK_E_NOT_LEADER at once when this peer is not leader; TK_E_STALE_COMMAND
 * when the entry at its index turned out to be another term's (the leader
 * was deposed and its entry overwritten; a new proposal at or below a
 * pending one's index proves that too); TK_E_SHUTTING_DOWN when the peer is
 * freed first (outcome unknown: the entry may still commit).  Never a false
 * success.
 *
 * The ready pass is the store's (store.h); the peer offers its steps.
 * Log GC: the leader proposes COMPACT_LOG commands by rs_peer_options'
 * rules (rs_peer_maybe_compact); every replica applies them by marking its
 * log truncated, and the store deletes the entries in a later raft batch
 * (peer_storage.h, "Log GC").  Snapshots are generated and streamed by the
 * store (store.h, snap.h); a ready's snapshot is applied in two steps
 * below.
 *
 * Membership (confchange.c): a CHANGE_PEER (cmd.h) is proposed as a raft
 * conf change entry whose context is the encoded admin command (the peer,
 * its store, the region epoch at proposal).  Each replica applies it in the
 * apply batch: a stale epoch or an impossible change fails the proposal and
 * changes nothing; otherwise the region state gets the new peers and
 * conf_ver + 1 and raft's membership changes with it.  A replica that
 * applied its own removal is marked removed (rs_peer_removed): the store
 * destroys it after the pass (store.h, "Peers born and destroyed"). */
#ifndef TK_RAFTSTORE_PEER_H
#define TK_RAFTSTORE_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "raft/raft.h"
#include "raftstore/apply.h"
#include "raftstore/peer_storage.h"
#include "raftstore/read_queue.h"

/* out: the command's outputs (apply.h; CAS outcomes) when rc is TK_OK and
 * it has any, else NULL; valid during the call only. */
typedef void (*rs_proposal_cb)(void *arg, enum tk_err rc, const struct rs_cmd_output *out);

struct rs_peer_options {
	unsigned election_ticks;  /* default 10 */
	unsigned heartbeat_ticks; /* default 2 */
	uint64_t seed;            /* election PRNG seed, mixed with the peer id */
	/* Log GC (TiKV's raft_log_gc_*): after applying, a leader proposes a
	 * COMPACT_LOG command (cmd.h) when
	 *  - applied - first index + 1 >= log_gc_count_limit, or the entry
	 *    bytes applied since the last compaction reach log_gc_size_limit:
	 *    compact up to the applied index, whatever the followers' match
	 *    (a follower left behind catches up by snapshot): the log never
	 *    grows without bound;
	 *  - else when the smallest match of the recently active followers
	 *    (and applied) is >= first index + log_gc_threshold - 1: compact up
	 *    to that match (nobody alive needs a snapshot).
	 * 0 disables the respective rule. */
	uint64_t log_gc_threshold;   /* entries, default 50 */
	uint64_t log_gc_count_limit; /* entries, default 1000 */
	uint64_t log_gc_size_limit;  /* bytes of entry data, default 8 MiB */
};
void rs_peer_options_default(struct rs_peer_options *o);

struct rs_peer;

/* Open region_id's peer from e: the peer id is the region's peer on store
 * store_id.  TK_E_NOT_FOUND when the region state is missing, not normal, or
 * has no peer on this store; peer storage load errors. */
enum tk_err rs_peer_open(struct eng *e, uint64_t region_id, uint64_t store_id,
                         const struct rs_peer_options *o, struct rs_peer **out,
                         struct tk_errbuf *eb);
/* A new, uninitialized peer peer_id of region_id on store store_id (one
 * born from a message, store.h): no range, no data, no membership until a
 * snapshot brings them; a raft state stored for the region (the hard state
 * of an uninitialized peer before a restart: its term and vote) is loaded.
 * TK_E_BAD_REQUEST when the region is already initialized on this store
 * (anything but no state or a tombstone); peer storage load errors. */
enum tk_err rs_peer_create(struct eng *e, uint64_t region_id, uint64_t store_id, raft_id peer_id,
                           const struct rs_peer_options *o, struct rs_peer **out,
                           struct tk_errbuf *eb);
/* Pending proposals get TK_E_SHUTTING_DOWN. */
void rs_peer_free(struct rs_peer *p);

uint64_t rs_peer_region_id(const struct rs_peer *p);
raft_id rs_peer_id(const struct rs_peer *p);
struct raft_node *rs_peer_raft(struct rs_peer *p);
struct rs_peer_storage *rs_peer_storage(struct rs_peer *p);
/* Store id of the region's peer peer_id (from the region state, else from
 * what rs_peer_learn_store recorded); 0 when unknown. */
uint64_t rs_peer_store_of(const struct rs_peer *p, raft_id peer_id);
/* Remember that peer_id lives on store_id (from an incoming envelope). */
void rs_peer_learn_store(struct rs_peer *p, raft_id peer_id, uint64_t store_id);
/* The region as this peer knows it (range, epoch, peers; borrowed until the
 * next ready pass); NULL while the peer is uninitialized. */
const struct rs_region *rs_peer_region(const struct rs_peer *p);
bool rs_peer_is_leader(const struct rs_peer *p);
/* The leader's peer id as this peer knows it; 0 when unknown. */
raft_id rs_peer_leader_id(const struct rs_peer *p);
/* This peer applied its own removal (it is destroyed after the pass). */
bool rs_peer_removed(const struct rs_peer *p);
/* The store learnt this peer was removed (a tombstone answer, a newer
 * peer): it is destroyed at the end of the next ready pass. */
void rs_peer_mark_removed(struct rs_peer *p);
size_t rs_peer_pending(const struct rs_peer *p);

/* Propose a command (cmd.h encoding, copied).  Returns TK_OK when proposed
 * (cb fires later) or the error it also gave cb: TK_E_BAD_REQUEST for a
 * malformed command, TK_E_NOT_LEADER, TK_E_NOMEM. */
enum tk_err rs_peer_propose(struct rs_peer *p, const uint8_t *cmd, size_t len, rs_proposal_cb cb,
                            void *arg);

/* Propose adding (add != 0) or removing voter peer_id on store store_id.
 * Returns TK_OK when proposed (cb fires once its entry is applied: TK_OK,
 * or TK_E_EPOCH_NOT_MATCH when the region changed since the proposal,
 * TK_E_STALE_COMMAND like any proposal) or the error it also gave cb:
 * TK_E_NOT_LEADER (also when asked to remove the leader itself: it starts
 * a leadership transfer to the most up-to-date other peer, the caller asks
 * the new leader), TK_E_BAD_REQUEST (adding a peer id or store already in
 * the region, removing one not in it, the last peer), TK_E_SERVER_IS_BUSY
 * (another conf change of the region is proposed and not applied yet),
 * TK_E_NOMEM. */
enum tk_err rs_peer_change_peer(struct rs_peer *p, int add, uint64_t peer_id, uint64_t store_id,
                                rs_proposal_cb cb, void *arg);
/* Start moving leadership to peer_id (raft's transfer, no log entry, as in
 * TiKV).  TK_OK when started (or peer_id already leads): the transfer may
 * still fail, the caller sees it in the leader it learns later;
 * TK_E_NOT_LEADER on a follower, TK_E_BAD_REQUEST when peer_id is no
 * member. */
enum tk_err rs_peer_transfer_leader(struct rs_peer *p, uint64_t peer_id);
/* On a leader, for region heartbeats: the peers that need a snapshot
 * (pending: behind the log's first index or being sent one) and the peers
 * not heard from within the last election timeout (down; raft's CheckQuorum
 * activity), at most cap of each into out; returns the count (0 on a
 * follower). */
size_t rs_peer_pending_peers(const struct rs_peer *p, uint64_t *out, size_t cap);
size_t rs_peer_down_peers(const struct rs_peer *p, uint64_t *out, size_t cap);

/* A linearizable read (read_queue.h): cb fires TK_OK once this leader
 * confirmed its leadership after the call and applied up to the commit
 * index it had, NOT_LEADER when it loses leadership first, SHUTTING_DOWN
 * when the peer is freed.  Returns TK_E_NOT_LEADER at once (cb not called)
 * on a peer that does not lead, TK_E_NOMEM. */
enum tk_err rs_peer_read(struct rs_peer *p, rs_read_cb cb, void *arg);
/* Ask raft for the read index of the reads queued since the last call
 * (before the ready pass collects readies). */
void rs_peer_flush_reads(struct rs_peer *p);
/* After a ready was applied: record its read states, fail the reads on a
 * lost leadership, serve those now applied. */
void rs_peer_reads_done(struct rs_peer *p, const struct raft_ready *rd);

/* Ready pass steps, in this order (store.c):
 * stage_log into the shared raft batch (a ready's snapshot: its raft and
 * apply state and the region state marked APPLYING), then after the write
 * rs_ps_persisted on the storage, then rs_peer_apply_snapshot_data (the
 * snapshot's staged chunks into the data columns, snap.h), then send rd->msgs,
 * then stage_apply into the shared apply batch, then after that write
 * applied() (which fires callbacks), then raft_advance. */
enum tk_err rs_peer_stage_log(struct rs_peer *p, struct eng_batch *b, const struct raft_ready *rd,
                              struct tk_errbuf *eb);
enum tk_err rs_peer_stage_apply(struct rs_peer *p, struct rs_apply_ctx *ac,
                                const struct raft_ready *rd, struct tk_errbuf *eb);
void rs_peer_applied(struct rs_peer *p, const struct raft_ready *rd, struct rs_apply_ctx *ac);
/* No-op unless the last stage_log staged a snapshot.  Engine errors
 * (the store must close: the region restarts APPLYING and is finished at
 * open). */
enum tk_err rs_peer_apply_snapshot_data(struct rs_peer *p, struct tk_errbuf *eb);
/* After raft_advance: on a leader, propose a COMPACT_LOG command when the
 * log GC rules say so and none of this term is still unapplied.  Returns
 * true when it proposed.  Never fails visibly: a refused proposal (no
 * longer leader, out of memory) is tried again after a later apply. */
bool rs_peer_maybe_compact(struct rs_peer *p);

#endif
