/* Region local state: what a store records about one region it holds a peer
 * of (range, epoch, peers, and whether the peer is live, a tombstone or
 * applying a snapshot), stored under eng_key_region_state(id).
 *
 * Peers and epochs are src/meta's types.  struct rs_region is a temporary,
 * owning stand-in for src/meta's struct region (which borrows its keys and
 * peers): replacing it with a region_dup'ed struct region is one change in
 * this file and peer_storage; the encoding below stays the on-disk format.
 * At most RS_REGION_MAX_PEERS peers (the raft library's voter bound), fewer
 * than meta's REGION_MAX_PEERS.
 *
 * Encoding (version 1, big-endian):
 *   u8 version (1) | u8 state | be64 region id | be64 conf_ver | be64 version |
 *   be32 start_len | start | be32 end_len | end | u8 n_peers |
 *   n_peers * (be64 peer id | be64 store id)
 * Keys are raw user keys; an empty end key means "up to the end of the key
 * space".  Decoding refuses anything that is not exactly such a record. */
#ifndef TK_RAFTSTORE_REGION_STATE_H
#define TK_RAFTSTORE_REGION_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "meta/region.h"
#include "util/bytes.h"
#include "util/err.h"

#define RS_REGION_MAX_PEERS 16 /* = RAFT_MAX_VOTERS */
#define RS_REGION_STATE_V1  1

enum rs_peer_state {
	RS_PEER_NORMAL = 0,
	RS_PEER_TOMBSTONE = 1, /* removed: raft state and data being / been deleted */
	RS_PEER_APPLYING = 2,  /* a snapshot's data is being written */
};

struct rs_region {
	uint64_t id;
	struct tk_buf start_key; /* owned */
	struct tk_buf end_key;   /* owned; empty = unbounded */
	struct region_epoch epoch;
	uint32_t n_peers;
	struct region_peer peers[RS_REGION_MAX_PEERS];
};

struct rs_region_state {
	uint8_t state; /* enum rs_peer_state */
	struct rs_region region;
};

/* init/destroy for embedded structs: init zeroes everything. */
void rs_region_state_init(struct rs_region_state *s);
void rs_region_state_destroy(struct rs_region_state *s);
/* Deep copy of src into dst (dst initialized); TK_E_NOMEM. */
enum tk_err rs_region_state_copy(struct rs_region_state *dst, const struct rs_region_state *src);
/* Set the range (copies the bytes); false when out of memory. */
bool rs_region_set_range(struct rs_region *r, struct tk_slice start, struct tk_slice end);
const char *rs_peer_state_name(uint8_t state);

/* Append the encoding of s to out; false when out of memory.  Precondition:
 * s passes rs_region_state_check. */
bool rs_region_state_encode(const struct rs_region_state *s, struct tk_buf *out);
/* Decode into s (initialized; its previous content is replaced).
 * TK_E_CORRUPTION, with what is wrong, when in is not a valid record (see
 * rs_region_state_check); TK_E_NOMEM. */
enum tk_err rs_region_state_decode(struct tk_slice in, struct rs_region_state *s,
                                   struct tk_errbuf *eb);
/* The rules a record obeys: known state, non-zero region id, at most
 * RS_REGION_MAX_PEERS peers with non-zero distinct ids and non-zero store ids,
 * start < end unless end is empty.  TK_E_BAD_REQUEST naming the broken rule. */
enum tk_err rs_region_state_check(const struct rs_region_state *s, struct tk_errbuf *eb);

#endif
