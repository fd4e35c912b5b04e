/* Peer storage: the raft library's log storage (struct raft_storage_ops) for
 * one region over the engine, with an entry cache for the tail of the log.
 *
 * What it keeps (keys: engine/raft_keys.h, values: raftstore/ps_codec.h and
 * region_state.h): the log entries (truncated_index, last_index], the raft
 * state (hard state + last index), the apply state (applied index, truncated
 * index and term) and the region local state.
 *
 * Writes are staged, never performed here.  The functions that change state
 * ADD operations to a caller-owned engine batch, so that one ready pass puts
 * the entries and hard states of every region into ONE batch written with
 * one sync, and so that applied commands go into the same batch as the new
 * apply state.  The storage that raft reads keeps answering from the
 * persisted state until the caller reports the write:
 *
 *     rs_ps_append(ps, b, rd.entries, rd.n_entries, eb);   // for each peer
 *     rs_ps_set_hard_state(ps, b, &rd.hard_state);
 *     eng_write(e, b, true, eb);                           // once
 *     rs_ps_persisted(ps);  // or rs_ps_discard_staged(ps) when the write failed
 *
 * Only after rs_ps_persisted do first/last index, term, entries and the
 * entry cache show the change (the raft library requires that storage holds
 * only what was persisted).  A peer storage may have staged changes in at
 * most one unwritten batch at a time: rs_ps_persisted or
 * rs_ps_discard_staged must come before staging into another batch.
 *
 * Errors: the staging functions validate their input (TK_E_BAD_REQUEST,
 * TK_E_COMPACTED, TK_E_LOG_UNAVAILABLE, each with a message) and leave the
 * batch and the staged state unchanged on error.  Storage reads (the ops
 * the raft library calls) answer TK_E_COMPACTED / TK_E_LOG_UNAVAILABLE as
 * raft.h defines them; an engine read error or a damaged entry answers
 * TK_E_IO / TK_E_CORRUPTION, which the raft library treats as fatal (a node
 * cannot go on with an unreadable log); rs_ps_last_error says what happened.
 * Loading at restart (rs_ps_open) checks the stored state and refuses a
 * corrupt or inconsistent one with TK_E_CORRUPTION and a message naming the
 * region and the broken rule; it never asserts.
 *
 * Threading: one thread at a time (the store's reactor or a test). */
#ifndef TK_RAFTSTORE_PEER_STORAGE_H
#define TK_RAFTSTORE_PEER_STORAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "raft/raft.h"
#include "raftstore/ps_codec.h"
#include "raftstore/region_state.h"

/* A bootstrapped region starts with its log "compacted" up to this index and
 * term (as TiKV does), so that a peer added later with an empty log is always
 * behind the leader's first index and receives a snapshot, which is how it
 * learns the region's membership and data. */
#define RS_INIT_LOG_INDEX 5
#define RS_INIT_LOG_TERM  5

struct rs_ps_options {
	/* Entry cache bounds: the cache holds a contiguous tail of the log,
	 * at most this many entries and (roughly) bytes of entry data; the
	 * oldest entries are evicted first.  0 entries disables the cache. */
	size_t cache_max_entries; /* default 1024 */
	size_t cache_max_bytes;   /* default 4 MiB */
};
void rs_ps_options_default(struct rs_ps_options *o);

struct rs_peer_storage;

/* Add to b the initial state of a region created by bootstrapping (the first
 * region of a cluster, or a region born of a split): region state rs
 * (checked with rs_region_state_check, state normal), raft state {term 5,
 * commit 5, last index 5} and apply state {applied 5, truncated 5 / term 5}.
 * Refuses with TK_E_BAD_REQUEST when e already holds a raft state, apply
 * state or region state for the region; engine read errors. */
enum tk_err rs_ps_bootstrap(struct eng *e, struct eng_batch *b, const struct rs_region_state *rs,
                            struct tk_errbuf *eb);

/* Load region_id's peer storage from e (borrowed for the storage's life).
 * Without any stored state the peer is new and uninitialized (empty log,
 * zero hard state, no region state).  Checks: each record decodes; an
 * initialized region (region state normal or applying) has both a raft state
 * and an apply state; an apply state never stands without a raft state;
 * truncated_index <= applied <= commit <= last_index; the log's live part
 * starts at truncated_index + 1 and its last entry is last_index, with a
 * term between the truncated term and the hard state's term (entries at or
 * below truncated_index are a log GC cut short by a restart: pending GC).  TK_E_CORRUPTION
 * with "region R: ..." when a check fails; TK_E_IO / TK_E_CORRUPTION from
 * the engine; TK_E_BAD_REQUEST for region id 0; TK_E_NOMEM. */
enum tk_err rs_ps_open(struct eng *e, uint64_t region_id, const struct rs_ps_options *o,
                       struct rs_peer_storage **out, struct tk_errbuf *eb);
void rs_ps_free(struct rs_peer_storage *ps);

/* The raft library's view of ps (for raft_config.storage). */
struct raft_storage rs_ps_storage(struct rs_peer_storage *ps);

/* Persisted state (what raft sees). */
uint64_t rs_ps_region_id(const struct rs_peer_storage *ps);
void rs_ps_raft_state(const struct rs_peer_storage *ps, struct rs_raft_state *out);
void rs_ps_apply_state(const struct rs_peer_storage *ps, struct rs_apply_state *out);
raft_index rs_ps_first_index(const struct rs_peer_storage *ps);
raft_index rs_ps_last_index(const struct rs_peer_storage *ps);
/* The region local state (borrowed until the next rs_ps_persisted), NULL
 * while the peer is uninitialized. */
const struct rs_region_state *rs_ps_region_state(const struct rs_peer_storage *ps);
/* The region state the staged batch will leave (the persisted one when none
 * is staged): what a second conf change applied in the same pass builds on. */
const struct rs_region_state *rs_ps_staged_region_state(const struct rs_peer_storage *ps);
/* The voters as raft_storage_ops.initial_state reports them: the region's
 * peer ids (none while uninitialized or tombstoned). */
void rs_ps_conf_state(const struct rs_peer_storage *ps, struct raft_conf_state *cs);
/* Snapshot metadata at the applied index (index, its term, conf state), for
 * a snapshot generator.  TK_E_COMPACTED when the applied entry's term is no
 * longer known; read errors as term(). */
enum tk_err rs_ps_snapshot_meta(struct rs_peer_storage *ps, struct raft_snapshot_meta *meta);

/* Stage appending ents (contiguous indexes, terms non-zero and not
 * decreasing; bytes copied) after dropping every entry at or after
 * ents[0].index: puts each entry, deletes the replaced suffix beyond the new
 * last index, and puts the raft state with the new last index.
 * TK_E_BAD_REQUEST when ents[0].index leaves a gap after the last index or
 * is at or below the truncated index, or ents are malformed. */
enum tk_err rs_ps_append(struct rs_peer_storage *ps, struct eng_batch *b,
                         const struct raft_entry *ents, size_t n, struct tk_errbuf *eb);
/* Whether term and vote are those of the hard state on disk (what the
 * last persisted batch held, not what is staged). */
bool rs_ps_term_vote_persisted(const struct rs_peer_storage *ps, raft_term term, raft_id vote);
/* Stage a new hard state (raft state put). */
void rs_ps_set_hard_state(struct rs_peer_storage *ps, struct eng_batch *b,
                          const struct raft_hard_state *hs);
/* Stage the applied index (apply state put).  TK_E_BAD_REQUEST when applied
 * goes backwards or beyond the (staged) commit index. */
enum tk_err rs_ps_set_applied(struct rs_peer_storage *ps, struct eng_batch *b, raft_index applied,
                              struct tk_errbuf *eb);
/* Stage log compaction up to and including index: deletes the entries
 * (truncated_index, index] and records index and its term as truncated in
 * the apply state.  TK_E_COMPACTED when index <= truncated_index,
 * TK_E_LOG_UNAVAILABLE when index > last_index, TK_E_BAD_REQUEST when
 * index > applied (never drop unapplied entries); term read errors. */
enum tk_err rs_ps_compact(struct rs_peer_storage *ps, struct eng_batch *b, raft_index index,
                          struct tk_errbuf *eb);
/* Log GC, in two steps so that the log is never shorter than what the apply
 * state on disk says it holds.  Step one, while applying a COMPACT_LOG
 * command (cmd.h): stage marking the log compacted up to and including
 * index (apply state: truncated index and its term) without deleting any
 * entry, so that it goes into the apply batch of the command.  Step two,
 * after that batch was written: rs_ps_gc_log stages deleting the entries
 * the apply state no longer covers, at most max of them per call (the rest
 * on later calls), into a raft batch.  A restart between the two finds the
 * entries at or below the truncated index still stored: rs_ps_open accepts
 * them as pending GC (never reads them) and rs_ps_gc_log deletes them.
 * rs_ps_set_truncated: TK_E_COMPACTED when index <= truncated_index (a stale
 * command: apply it as a no-op), TK_E_BAD_REQUEST when index is beyond the
 * commit or last index (the caller applies the command at an index above
 * index, so the entries it drops are applied); term read errors. */
enum tk_err rs_ps_set_truncated(struct rs_peer_storage *ps, struct eng_batch *b, raft_index index,
                                struct tk_errbuf *eb);
/* True when compacted entries wait to be deleted (persisted view). */
bool rs_ps_gc_pending(const struct rs_peer_storage *ps);
/* Stage deleting up to max of the entries waiting (oldest first); returns
 * how many deletes were staged (0: none waiting). */
size_t rs_ps_gc_log(struct rs_peer_storage *ps, struct eng_batch *b, size_t max);
/* Stage a snapshot's metadata: deletes the whole log, sets last_index,
 * applied and truncated index to meta->index (truncated term meta->term),
 * raises commit to meta->index, and records rs as the region state (its
 * region id must be ours; rs's peers should match meta->conf).  The
 * snapshot's data (the region's keys) is the caller's to write into the same
 * batch.  TK_E_COMPACTED when meta->index < truncated_index (a stale
 * snapshot); TK_E_BAD_REQUEST for a bad rs; TK_E_NOMEM. */
enum tk_err rs_ps_apply_snapshot(struct rs_peer_storage *ps, struct eng_batch *b,
                                 const struct raft_snapshot_meta *meta,
                                 const struct rs_region_state *rs, struct tk_errbuf *eb);
/* Stage a new region state (conf change, split, tombstone).
 * TK_E_BAD_REQUEST for another region's id or a bad state; TK_E_NOMEM. */
enum tk_err rs_ps_set_region_state(struct rs_peer_storage *ps, struct eng_batch *b,
                                   const struct rs_region_state *rs, struct tk_errbuf *eb);

/* True when changes are staged and not yet persisted or discarded. */
bool rs_ps_has_staged(const struct rs_peer_storage *ps);
/* The batch holding the staged changes was written: make them visible and
 * update the entry cache (copies of the appended entries go to the cache;
 * compacted and replaced entries leave it).  No-op without staged changes. */
void rs_ps_persisted(struct rs_peer_storage *ps);
/* The batch was not written (or was cleared): forget the staged changes. */
void rs_ps_discard_staged(struct rs_peer_storage *ps);

/* Where the raft library gets snapshots to send to followers.  Without a
 * source the snapshot op answers TK_E_SERVER_IS_BUSY (raft retries later);
 * the store sets one on every peer (snap_xfer.c, snap.h).  fn fills out
 * (its data borrowed until the next call into the storage). */
typedef enum tk_err (*rs_ps_snapshot_fn)(void *arg, struct rs_peer_storage *ps,
                                         struct raft_snapshot *out);
void rs_ps_set_snapshot_source(struct rs_peer_storage *ps, rs_ps_snapshot_fn fn, void *arg);

struct rs_ps_stats {
	uint64_t cache_hits;    /* entries served from the cache */
	uint64_t disk_entries;  /* entries read from the engine */
	size_t cache_entries;   /* entries cached now */
	size_t cache_bytes;     /* their data bytes */
	raft_index cache_first; /* first cached index (0 when empty) */
	uint64_t gc_pending;    /* compacted entries still to delete (an upper bound) */
};
void rs_ps_get_stats(const struct rs_peer_storage *ps, struct rs_ps_stats *out);
/* The message of the last failed storage read ("" when none). */
const char *rs_ps_last_error(const struct rs_peer_storage *ps);

#endif
