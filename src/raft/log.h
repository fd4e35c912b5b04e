/* The raft log: entries persisted in the caller's storage followed by the
 * unstable tail (entries and maybe a snapshot not yet handed out through
 * raft_ready / acknowledged by raft_advance), plus the commit and applied
 * indexes.  Internal to the library. */
#ifndef TK_RAFT_LOG_H
#define TK_RAFT_LOG_H

#include "raft/mem.h"
#include "raft/raft.h"

struct raft_log {
	struct raft_storage st;
	/* Unstable snapshot (owned, data copied) waiting to be persisted. */
	struct raft_snapshot *usnap;
	/* Unstable entries uents[0..un) hold indexes uoff, uoff+1, ... */
	raft_index uoff;
	struct raft_entry *uents;
	struct raft_blk **ublk;
	size_t un, ucap;
	struct raft_blkpool pool;
	raft_index committed;
	raft_index applied;
	/* Where raft_panic reports (the owning node's tracer and id; NULL for
	 * a log used alone). */
	const struct raft_tracer *tracer;
	raft_id id;
};

/* Abort the process on a broken invariant (never on bad input), after
 * handing the message to l's tracer (if any) and to stderr, so that the
 * cause is in the trace and the logs, not only in a core dump. */
_Noreturn void raft_panic(const struct raft_log *l, const char *what);

void raft_log_init(struct raft_log *l, struct raft_storage st);
/* The same, for a node: panics are reported to tracer as node id. */
void raft_log_init_traced(struct raft_log *l, struct raft_storage st,
			  const struct raft_tracer *tracer, raft_id id);
void raft_log_destroy(struct raft_log *l);

raft_index raft_log_first(const struct raft_log *l);
raft_index raft_log_last(const struct raft_log *l);
/* TK_OK, TK_E_COMPACTED or TK_E_LOG_UNAVAILABLE. */
enum tk_err raft_log_term(const struct raft_log *l, raft_index i, raft_term *t);
/* Term of i, 0 when not available. */
raft_term raft_log_term0(const struct raft_log *l, raft_index i);
raft_term raft_log_last_term(const struct raft_log *l);
bool raft_log_match_term(const struct raft_log *l, raft_index i, raft_term t);
/* §3.6.1: is a log ending at (index, term) at least as up to date as ours? */
bool raft_log_up_to_date(const struct raft_log *l, raft_index index, raft_term term);

/* Append entries (copied) after truncating anything from ents[0].index on.
 * Returns the new last index. */
raft_index raft_log_append(struct raft_log *l, const struct raft_entry *ents, size_t n);
/* The follower side of AppendEntries (§3.5): false when the entry at index
 * does not have log_term; else appends what is new and advances commit. */
bool raft_log_maybe_append(struct raft_log *l, raft_index index, raft_term log_term,
			   raft_index commit, const struct raft_entry *ents, size_t n,
			   raft_index *last_new);
/* Largest index <= index whose term is <= term (fast backtracking). */
raft_index raft_log_find_conflict_by_term(const struct raft_log *l, raft_index index,
					  raft_term term);
void raft_log_commit_to(struct raft_log *l, raft_index c);
/* Leader: commit up to max if that entry is of term (§3.6.2). */
bool raft_log_maybe_commit(struct raft_log *l, raft_index max, raft_term term);
void raft_log_applied_to(struct raft_log *l, raft_index i);

/* Copy entries [lo, hi) into out (reset first), at most max_bytes (0 = no
 * limit) but at least one.  TK_E_COMPACTED / TK_E_LOG_UNAVAILABLE. */
enum tk_err raft_log_slice(const struct raft_log *l, raft_index lo, raft_index hi,
			   size_t max_bytes, struct raft_entbuf *out);
bool raft_log_has_next_ents(const struct raft_log *l);
/* Committed, not yet applied entries. */
void raft_log_next_ents(const struct raft_log *l, size_t max_bytes, struct raft_entbuf *out);

/* The snapshot to send to a lagging follower: the unstable one or the
 * storage's.  Borrowed until the next log call.  TK_E_SERVER_IS_BUSY. */
enum tk_err raft_log_snapshot(const struct raft_log *l, struct raft_snapshot *out);
/* Replace the log with a snapshot (copied). */
void raft_log_restore(struct raft_log *l, const struct raft_snapshot *s);

void raft_log_stable_to(struct raft_log *l, raft_index i, raft_term t);
void raft_log_stable_snap_to(struct raft_log *l, raft_index i);

#endif
