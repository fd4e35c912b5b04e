/* Keys of the raft state: where each region's raft log, raft state, apply
 * state and region local state live.  Only this module knows the layout;
 * callers build a struct eng_key (column + bytes) and hand it to the engine.
 *
 * Layout (DESIGN.md section 3; region ids and indexes big-endian, so a
 * region's records sort together and its log sorts by index):
 *
 *   column  key                                   value (owned by raftstore)
 *   raft    be64(region) 0x01 be64(index)  (17 B)  log entry
 *   raft    be64(region) 0x02              (9 B)   raft state: hard state + last index
 *   raft    be64(region) 0x03              (9 B)   apply state: applied, truncated index/term
 *   raft    be64(region) 0x04 be64(seq)    (17 B)  a received snapshot chunk, staged
 *   meta    0x01 be64(region)              (9 B)   region local state (range, epoch, peers, state)
 *   meta    "ident"                                store identity (engine/ident.h)
 *
 * Every raft column record of region R lies in [be64(R), be64(R + 1)), so
 * destroying a peer is one bounded scan.  Region local states sit in the
 * meta column under the byte 0x01, below every ASCII store-level record
 * name, so a restart finds every region with one scan of [0x01, 0x02).
 * Region states live apart from the raft column because they change with
 * applied commands (conf change, split) rather than with the log. */
#ifndef TK_ENGINE_RAFT_KEYS_H
#define TK_ENGINE_RAFT_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"

#define ENG_KEY_MAX 17

/* A key of one column: a small value struct, no allocation. */
struct eng_key {
	enum eng_cf cf;
	uint8_t n;
	uint8_t b[ENG_KEY_MAX];
};

static inline struct tk_slice eng_key_slice(const struct eng_key *k)
{
	return tk_slice_of(k->b, k->n);
}

/* Log entry index of region. */
struct eng_key eng_key_raft_log(uint64_t region, uint64_t index);
/* Upper bound (exclusive) of every log key of region: an iterator over
 * [eng_key_raft_log(region, lo), eng_key_raft_log_end(region)) sees only the
 * region's entries from lo on. */
struct eng_key eng_key_raft_log_end(uint64_t region);
struct eng_key eng_key_raft_state(uint64_t region);
/* Chunk seq of the snapshot being received for region (staged until the
 * snapshot is applied), and the exclusive upper bound of region's chunks. */
struct eng_key eng_key_snap_chunk(uint64_t region, uint64_t seq);
struct eng_key eng_key_snap_chunk_end(uint64_t region);
struct eng_key eng_key_apply_state(uint64_t region);
struct eng_key eng_key_region_state(uint64_t region);
/* Bounds [lo, hi) of all of region's raft column records (log, raft state,
 * apply state, staged snapshot chunks), to destroy a peer's raft state. */
struct eng_key eng_key_raft_region_lo(uint64_t region);
struct eng_key eng_key_raft_region_hi(uint64_t region);
/* Bounds [lo, hi) of every region local state in the meta column. */
struct eng_key eng_key_region_states_lo(void);
struct eng_key eng_key_region_states_hi(void);

/* Parse a raft column key of a log entry (as an iterator returns it, without
 * column prefix): false when key is not a log key. */
bool eng_key_raft_log_parse(struct tk_slice key, uint64_t *region, uint64_t *index);
/* Parse a meta column key of a region local state: false when it is not one. */
bool eng_key_region_state_parse(struct tk_slice key, uint64_t *region);

/* Conveniences over the engine's slice-based calls. */
static inline void eng_batch_put_key(struct eng_batch *b, const struct eng_key *k,
                                     struct tk_slice val)
{
	eng_batch_put(b, k->cf, eng_key_slice(k), val);
}
static inline void eng_batch_delete_key(struct eng_batch *b, const struct eng_key *k)
{
	eng_batch_delete(b, k->cf, eng_key_slice(k));
}
static inline enum tk_err eng_get_key(struct eng *e, const struct eng_key *k, struct tk_buf *val,
                                      bool *found, struct tk_errbuf *eb)
{
	return eng_get(e, k->cf, eng_key_slice(k), val, found, eb);
}
/* Iterator over [lo, hi) of one column (lo and hi name the same column). */
static inline struct eng_iter *eng_iter_new_keys(struct eng *e, const struct eng_snap *snap,
                                                 const struct eng_key *lo, const struct eng_key *hi)
{
	return eng_iter_new(e, snap, lo->cf, eng_key_slice(lo), eng_key_slice(hi));
}

#endif
