/* An in-memory raft log storage for tests, the simulator and the benchmark.
 * It holds what the caller "persisted": the caller appends the entries and
 * sets the hard state it receives through raft_ready. */
#ifndef TK_RAFT_MEMSTORE_H
#define TK_RAFT_MEMSTORE_H

#include "raft/raft.h"

struct raft_memstore;

struct raft_memstore *raft_memstore_new(void);
void raft_memstore_free(struct raft_memstore *ms);
/* The storage interface over ms (ms stays owned by the caller). */
struct raft_storage raft_memstore_storage(struct raft_memstore *ms);

void raft_memstore_set_hard_state(struct raft_memstore *ms, const struct raft_hard_state *hs);
void raft_memstore_hard_state(const struct raft_memstore *ms, struct raft_hard_state *hs);
void raft_memstore_set_conf(struct raft_memstore *ms, const struct raft_conf_state *cs);
void raft_memstore_conf(const struct raft_memstore *ms, struct raft_conf_state *cs);
/* Append entries (copied), first dropping any stored entry at or after
 * ents[0].index.  TK_E_BAD_REQUEST when ents[0].index leaves a gap or is
 * at or below the snapshot index. */
enum tk_err raft_memstore_append(struct raft_memstore *ms, const struct raft_entry *ents,
				 size_t n);
/* Replace everything by a snapshot (copied); its membership becomes ours. */
void raft_memstore_apply_snapshot(struct raft_memstore *ms, const struct raft_snapshot *s);
/* Record a snapshot of the state machine at index (<= last; copies data) and
 * use cs as its membership.  TK_E_COMPACTED when older than the current one. */
enum tk_err raft_memstore_create_snapshot(struct raft_memstore *ms, raft_index index,
					  const struct raft_conf_state *cs, const void *data,
					  size_t len);
/* Discard entries up to and including index (log compaction).  index must be
 * <= last; TK_E_COMPACTED when already compacted past it. */
enum tk_err raft_memstore_compact(struct raft_memstore *ms, raft_index index);
/* Make snapshot() answer TK_E_SERVER_IS_BUSY (tests of the retry path). */
void raft_memstore_set_snapshot_busy(struct raft_memstore *ms, bool busy);

raft_index raft_memstore_first(const struct raft_memstore *ms);
raft_index raft_memstore_last(const struct raft_memstore *ms);
/* Entry at index (borrowed until the next change), NULL if not held. */
const struct raft_entry *raft_memstore_entry(const struct raft_memstore *ms, raft_index i);

#endif
