/* Values of the raft column (keys: engine/raft_keys.h): the raft state, the
 * apply state and log entries.  Fixed layouts, big-endian, each starting with
 * an encoding version byte so a later format can be told apart.
 *
 *   raft state  (33 B): u8 1 | be64 term | be64 vote | be64 commit | be64 last_index
 *   apply state (25 B): u8 1 | be64 applied | be64 truncated_index | be64 truncated_term
 *   log entry (10 B + data): u8 1 | u8 type | be64 term | data
 *
 * A log entry's index is its key's; decoding takes it from there. */
#ifndef TK_RAFTSTORE_PS_CODEC_H
#define TK_RAFTSTORE_PS_CODEC_H

#include "raft/raft.h"
#include "util/bytes.h"

#define RS_RAFT_STATE_LEN  33
#define RS_APPLY_STATE_LEN 25
#define RS_ENTRY_HDR_LEN   10
#define RS_CODEC_V1        1

/* The persisted raft state of a peer: its hard state and the index of the
 * last log entry it holds (TiKV's RaftLocalState). */
struct rs_raft_state {
	struct raft_hard_state hs;
	raft_index last_index;
};

/* How far the state machine got: applied index, and the entry the log was
 * compacted up to (the log holds (truncated_index, last_index]). */
struct rs_apply_state {
	raft_index applied;
	raft_index truncated_index;
	raft_term truncated_term;
};

void rs_raft_state_encode(const struct rs_raft_state *s, uint8_t out[RS_RAFT_STATE_LEN]);
/* TK_E_CORRUPTION when in is not a version-1 record of the exact length. */
enum tk_err rs_raft_state_decode(struct tk_slice in, struct rs_raft_state *s, struct tk_errbuf *eb);
void rs_apply_state_encode(const struct rs_apply_state *s, uint8_t out[RS_APPLY_STATE_LEN]);
enum tk_err rs_apply_state_decode(struct tk_slice in, struct rs_apply_state *s,
                                  struct tk_errbuf *eb);

/* Replace out's content by the value of entry e; false when out of memory. */
bool rs_entry_value_encode(const struct raft_entry *e, struct tk_buf *out);
/* Decode the value of the entry at index; e->data points into in.
 * TK_E_CORRUPTION for a short value, unknown version or type, or term 0. */
enum tk_err rs_entry_value_decode(struct tk_slice in, raft_index index, struct raft_entry *e,
                                  struct tk_errbuf *eb);

#endif
