/* Commands carried as raft entry payloads: a batch of raw KV operations that
 * a region's peers apply in log order to the engine's raw column.
 *
 * Encoding (version 1, big-endian), the whole entry data:
 *   u8 version (1) | be32 n_ops | n_ops * (u8 op | be32 key_len | key |
 *   be32 val_len | val)
 * PUT sets key to val, DELETE removes key (val empty) in the raw column;
 * PUT_CF and DELETE_CF do the same in the data column named by the key's
 * first byte (enum eng_cf: raw, default, lock or write; never the raft or
 * meta columns, so no entry can touch raft state), the rest being the key:
 * the transactional commands' writes travel this way.  CAS compares a raw
 * key with what it expects and writes on a match (cas.h), decided when the
 * entry is applied; its val is
 *   u8 flags (bit 0: expect absent, bit 1: delete) | be32 expect_len |
 *   expect | new value (the rest; empty for a delete)
 * and its outcome (swapped, previous value) is the command's output
 * (apply.h).  INCR adds the be64 in
 * val (8 bytes) to the be64 stored under key (absent counts as 0): it is not
 * idempotent, so applying an entry twice shows (the tests use it for that).
 * An empty entry (the leader's no-op of its term) is no command.  Decoding
 * refuses anything that is not exactly such a record: a bad entry is an
 * error to report, never a crash.
 *
 * Admin commands (the store's own proposals, never a client's) start with
 * another first byte, so the two kinds are told apart by it:
 *   u8 RS_CMD_ADMIN_V1 (0x81) | u8 admin type | body by type
 *   COMPACT_LOG (1): be64 compact_index | be64 compact_term   (18 B in all)
 *   CHANGE_PEER (2): u8 change (0 add voter, 1 remove voter) | be64 peer id |
 *                    be64 store id | be64 conf_ver | be64 version (35 B)
 * COMPACT_LOG asks every replica to mark its log compacted up to and
 * including compact_index (whose term is compact_term); each replica deletes
 * the entries afterwards (peer_storage.h, "log GC").
 * CHANGE_PEER is never a normal entry: it is the context of a raft conf
 * change entry (raft.h; the entry's node is peer_id), carrying what the
 * apply needs besides the raft change: the peer's store and the region epoch
 * the proposal was made at.  Every replica applies it the same way
 * (confchange.h): an epoch other than the region's current one, adding a
 * peer id or store already in the region, or removing a peer not in it,
 * fails the proposal (EPOCH_NOT_MATCH / BAD_REQUEST) and changes nothing;
 * otherwise the region's peers change and its conf_ver grows by one.
 * TRANSFER_LEADER (3) is reserved and never encoded: as in TiKV, a
 * leadership transfer is no log entry, the leader calls raft's transfer
 * directly (rs_store_transfer_leader). */
#ifndef TK_RAFTSTORE_CMD_H
#define TK_RAFTSTORE_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "meta/region.h"
#include "raftstore/cas.h"
#include "util/bytes.h"
#include "util/err.h"

#define RS_CMD_V1       1
#define RS_CMD_ADMIN_V1 0x81

enum rs_cmd_op {
	RS_CMD_PUT = 1,
	RS_CMD_DELETE = 2,
	RS_CMD_INCR = 3,
	RS_CMD_PUT_CF = 4,
	RS_CMD_DELETE_CF = 5,
	RS_CMD_CAS = 6,
};

/* Whether cf may be written by a command (a data column). */
bool rs_cmd_cf_ok(uint8_t cf);

struct rs_cmd_op_view {
	uint8_t op;
	struct tk_slice key, val; /* point into the decoded bytes */
};

/* Start a command in out (reset first); false when out of memory. */
bool rs_cmd_begin(struct tk_buf *out);
/* Add one operation; false when out of memory. */
bool rs_cmd_add(struct tk_buf *out, enum rs_cmd_op op, struct tk_slice key, struct tk_slice val);
/* Add a PUT_CF (is_delete false) or DELETE_CF of key in column cf (a data
 * column); false when out of memory. */
bool rs_cmd_add_cf(struct tk_buf *out, enum eng_cf cf, struct tk_slice key, struct tk_slice val,
                   bool is_delete);
/* Add a CAS of raw key key; false when out of memory. */
bool rs_cmd_add_cas(struct tk_buf *out, struct tk_slice key, const struct rs_cas_op *op);
/* Decode a CAS op's val (checked by rs_cmd_next) into op (slices into val). */
void rs_cmd_cas_parse(struct tk_slice val, struct rs_cas_op *op);
/* Add every operation of b as PUT_CF/DELETE_CF, in order.  TK_E_NOMEM;
 * TK_E_BAD_REQUEST when b writes a column no command may write; the batch's
 * own recorded error. */
enum tk_err rs_cmd_add_batch(struct tk_buf *out, const struct eng_batch *b);

/* Walk a command: rs_cmd_iter_init checks the header, rs_cmd_next yields each
 * op (true) until the end (false, with *rc TK_OK) or a malformed record
 * (false, *rc TK_E_CORRUPTION with the reason in eb). */
struct rs_cmd_iter {
	const uint8_t *p;
	size_t len, off;
	uint32_t left;
};
enum tk_err rs_cmd_iter_init(struct rs_cmd_iter *it, const uint8_t *data, size_t len,
                             struct tk_errbuf *eb);
bool rs_cmd_next(struct rs_cmd_iter *it, struct rs_cmd_op_view *op, enum tk_err *rc,
                 struct tk_errbuf *eb);

enum rs_admin_type {
	RS_ADMIN_COMPACT_LOG = 1,
	RS_ADMIN_CHANGE_PEER = 2,
	RS_ADMIN_TRANSFER_LEADER = 3, /* reserved: never a log entry */
};

enum rs_change_type {
	RS_CHANGE_ADD_VOTER = 0,
	RS_CHANGE_REMOVE_VOTER = 1,
};

#define RS_ADMIN_COMPACT_LOG_LEN 18
#define RS_ADMIN_CHANGE_PEER_LEN 35

struct rs_admin {
	uint8_t type; /* enum rs_admin_type */
	uint64_t compact_index, compact_term; /* COMPACT_LOG */
	/* CHANGE_PEER */
	uint8_t change; /* enum rs_change_type */
	uint64_t peer_id, store_id;
	struct region_epoch epoch;
};

/* True when data is an admin command (by its first byte; it may still be
 * malformed). */
static inline bool rs_cmd_is_admin(const uint8_t *data, size_t len)
{
	return len > 0 && data[0] == RS_CMD_ADMIN_V1;
}
/* Encode a into out (reset first); false when out of memory or a's type is
 * unknown. */
bool rs_admin_encode(const struct rs_admin *a, struct tk_buf *out);
/* TK_E_CORRUPTION when data is not exactly one admin record of a known
 * type. */
enum tk_err rs_admin_decode(const uint8_t *data, size_t len, struct rs_admin *a,
                            struct tk_errbuf *eb);

#endif
