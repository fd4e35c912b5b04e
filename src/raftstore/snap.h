/* Region snapshots (DESIGN.md section 5): the data a leader's store streams
 * to a follower whose log fell behind the leader's compacted log, and how
 * the follower applies it.  The transfer itself (chunks, window, acks,
 * timeouts) is the store's (store.c); this module holds the pieces it is
 * built of: the descriptor, the chunk records, the generator over an engine
 * snapshot, and the receiver's staging and atomic apply.
 *
 * What a snapshot holds: every key of the region's range [start, end) in
 * each data column (raw, default, lock, write, in that order, each in key
 * order), read from ONE engine snapshot taken when raft asked for the
 * snapshot, so it is the state exactly at the applied index that the raft
 * snapshot metadata names.  The raft snapshot's data (opaque to raft) is
 * only the descriptor below; the keys travel in chunks.
 *
 * Descriptor (version 1, big-endian), the raft snapshot's data:
 *   u8 1 | be64 snap_id | region local state (region_state.h encoding)
 * Chunk data: zero or more records
 *   u8 column (engine prefix byte: 2 raw, 3 default, 4 lock, 5 write) |
 *   be32 key_len | key | be32 val_len | val
 * (proto-spec/raft.md, "snapshot chunks", has the wire messages.)
 *
 * Applying on the receiver is crash-safe in this order:
 *   1. each chunk is staged in the engine as it arrives (raft column,
 *      eng_key_snap_chunk), acknowledged after its write;
 *   2. the ready pass persists the snapshot's raft state, apply state and the
 *      region state marked APPLYING in the synced raft batch;
 *   3. rs_snap_apply_staged deletes every key of the range in each data
 *      column, writes the staged chunks' records (one batch per chunk, so
 *      memory stays bounded by the chunk size), and last writes one batch
 *      with the region state back to NORMAL and the staged chunks deleted.
 * A store killed anywhere in 3 finds the region APPLYING at restart and
 * redoes 3 from the start (rs_snap_finish_applying): deleting the range
 * first makes that idempotent. */
#ifndef TK_RAFTSTORE_SNAP_H
#define TK_RAFTSTORE_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "raftstore/region_state.h"

#define RS_SNAP_DESC_V1 1
#define RS_SNAP_N_CFS   4

/* The data columns a snapshot carries, in stream order. */
extern const enum eng_cf rs_snap_cfs[RS_SNAP_N_CFS];

/* Append the descriptor to out (reset first); false when out of memory.
 * Precondition: rs passes rs_region_state_check. */
bool rs_snap_desc_encode(uint64_t snap_id, const struct rs_region_state *rs, struct tk_buf *out);
/* Decode a descriptor; rs initialized (its content replaced).
 * TK_E_CORRUPTION for anything but exactly one version-1 descriptor. */
enum tk_err rs_snap_desc_decode(const uint8_t *p, size_t n, uint64_t *snap_id,
                                struct rs_region_state *rs, struct tk_errbuf *eb);

/* Append one record to a chunk; false when out of memory. */
bool rs_snap_rec_add(struct tk_buf *out, enum eng_cf cf, struct tk_slice key, struct tk_slice val);
/* Walk a chunk's records: true with the next one (pointing into p), false
 * at the end (*rc TK_OK) or at a malformed record or a column that is not
 * a snapshot column (*rc TK_E_CORRUPTION). */
struct rs_snap_rec_iter {
	const uint8_t *p;
	size_t n, off;
};
void rs_snap_rec_iter_init(struct rs_snap_rec_iter *it, const uint8_t *p, size_t n);
bool rs_snap_rec_next(struct rs_snap_rec_iter *it, enum eng_cf *cf, struct tk_slice *key,
                      struct tk_slice *val, enum tk_err *rc);
/* TK_E_CORRUPTION (with the reason) unless every record is well formed and
 * its key lies in region r's range for its column. */
enum tk_err rs_snap_chunk_check(const uint8_t *p, size_t n, const struct rs_region *r,
                                struct tk_errbuf *eb);

/* Bounds of region r's range in column cf, as engine keys: raw keys for the
 * raw column, memcomparable-encoded for the MVCC columns.  *lo_set / *hi_set
 * false mean unbounded (an empty start or end key).  False when out of
 * memory. */
bool rs_snap_cf_bounds(enum eng_cf cf, const struct rs_region *r, struct tk_buf *lo, bool *lo_set,
                       struct tk_buf *hi, bool *hi_set);

/* The generator of one outgoing snapshot: walks region r's range in every
 * snapshot column of the engine snapshot it owns (rs copied). */
struct rs_snap_gen {
	struct eng *e;
	struct eng_snap *snap; /* owned: released by rs_snap_gen_destroy */
	struct rs_region_state rs;
	int cf_i; /* index into rs_snap_cfs; RS_SNAP_N_CFS when done */
	struct tk_buf last;
	bool has_last;
	uint64_t keys, bytes; /* sent so far */
};
/* Takes ownership of snap (also on failure).  TK_E_NOMEM. */
enum tk_err rs_snap_gen_init(struct rs_snap_gen *g, struct eng *e, struct eng_snap *snap,
                             const struct rs_region_state *rs, struct tk_errbuf *eb);
void rs_snap_gen_destroy(struct rs_snap_gen *g);
/* Fill out (reset first) with the next records, stopping once out holds at
 * least max_bytes (a record is never split, so one large value may exceed
 * it); *done when the whole range has been produced.  Engine read errors. */
enum tk_err rs_snap_gen_next(struct rs_snap_gen *g, size_t max_bytes, struct tk_buf *out,
                             bool *done, struct tk_errbuf *eb);

/* Receiver: delete every staged chunk of region (a new stream starts). */
enum tk_err rs_snap_stage_reset(struct eng *e, uint64_t region, struct tk_errbuf *eb);
/* Stage chunk seq of region (one unsynced write: the raft batch that marks
 * the snapshot APPLYING is synced after it). */
enum tk_err rs_snap_stage_chunk(struct eng *e, uint64_t region, uint64_t seq, const uint8_t *p,
                                size_t n, struct tk_errbuf *eb);
/* Delete every key of region r's range in each data column (a few thousand
 * keys per write; no sync): the first part of step 3, and of destroying a
 * removed peer (store.h).  Engine errors. */
enum tk_err rs_snap_clear_data(struct eng *e, const struct rs_region *r, struct tk_errbuf *eb);
/* Delete every raft column record of region (log, raft state, apply state,
 * staged chunks), in key order.  Engine errors. */
enum tk_err rs_snap_clear_raft(struct eng *e, uint64_t region, struct tk_errbuf *eb);
/* Step 3 above for region r: fin holds the caller's final records (the
 * region state back to NORMAL); the staged chunks' deletions are added to
 * it and it is written last.  fin is cleared on return.  Engine errors,
 * TK_E_CORRUPTION for a damaged staged chunk. */
enum tk_err rs_snap_apply_staged(struct eng *e, const struct rs_region *r, struct eng_batch *fin,
                                 struct tk_errbuf *eb);
/* At restart, for a region found APPLYING (rs): redo step 3, leaving the
 * region state NORMAL. */
enum tk_err rs_snap_finish_applying(struct eng *e, const struct rs_region_state *rs,
                                    struct tk_errbuf *eb);

#endif
