/* Region errors on the wire (proto-spec/errors.md, "Region errors"): what a
 * store answers when a request cannot be served by the region it was
 * routed to, with the detail a client needs to route again: the leader's
 * store and address (NOT_LEADER), the regions the store has now
 * (EPOCH_NOT_MATCH), the region's range (KEY_NOT_IN_REGION), why it is busy
 * (SERVER_IS_BUSY).
 *
 * A store fills a struct region_error (every pointer borrowed) and hands it
 * to region_error_encode_frame, or to net_reply_region_error /
 * net_slot_complete_region_error (src/net), which also render it on an
 * inline connection.  The human message says the same as the detail fields
 * (region_error_describe), so that a netcat user sees the hint too. */
#ifndef TK_META_REGION_ERROR_H
#define TK_META_REGION_ERROR_H

#include "codec/codec.h"
#include "meta/region.h"
#include "util/arena.h"

/* Reasons of SERVER_IS_BUSY (a client treats any other like these). */
#define REGION_BUSY_PROPOSALS "proposal_queue_full"
#define REGION_BUSY_APPLY     "apply_queue_full"

/* Most regions an EPOCH_NOT_MATCH names in its message (all travel in
 * `regions`). */
#define REGION_ERROR_MSG_REGIONS 4

struct region_error {
	enum tk_err code;          /* TK_E_NOT_LEADER, TK_E_EPOCH_NOT_MATCH, ... */
	uint64_t region_id;        /* the region the request named; 0: none */
	struct region_peer leader; /* NOT_LEADER: the leader, {0, 0} when unknown */
	const char *leader_addr;   /* NOT_LEADER: its store's address; NULL: unknown */
	/* EPOCH_NOT_MATCH: the store's current regions that overlap the
	 * request's region (after a split, both halves);
	 * KEY_NOT_IN_REGION: the region as the store has it (its range). */
	const struct region *regions;
	size_t n_regions;
	struct tk_slice key; /* KEY_NOT_IN_REGION: the key (p NULL: none) */
	const char *reason;  /* SERVER_IS_BUSY: REGION_BUSY_*; NULL: none */
	uint64_t backoff_ms; /* SERVER_IS_BUSY: wait at least this; 0: none */
};

/* The one-line human message of re (what `msg` carries when the caller has
 * none of its own), e.g. "region 2: not leader; the leader is store 3
 * (peer 6) at 127.0.0.1:20162".  Appended to out; false when out of
 * memory. */
bool region_error_describe(struct tk_buf *out, const struct region_error *re);

/* re as the wire error object, allocated in a (keys and addresses
 * borrowed from re).  msg NULL: region_error_describe's.  NULL when out of
 * memory. */
struct tk_error *region_error_to_wire(struct tk_arena *a, const struct region_error *re,
                                      const char *msg);

/* Append the whole error frame answering request `id` of `type` (as
 * tk_encode_error_frame).  When the regions make the frame too large for
 * the protocol (TK_MAX_FRAME_LIMIT), it is sent without them (the client
 * then asks the scheduler).  TK_E_NOMEM, out unchanged then. */
enum tk_err region_error_encode_frame(struct tk_buf *out, enum tk_msg_type type,
                                      struct tk_slice type_name, uint64_t id,
                                      const struct region_error *re, const char *msg);

/* The detail of a decoded error object, for tests, tools and stores that
 * read another store's replies: regions and their peers are allocated in
 * a, keys point into w, leader_addr and reason are NUL-terminated copies in
 * a.  A region that fails region_validate is a TK_E_BAD_REQUEST.  Codes
 * are taken as they are (unknown names: TK_E_INTERNAL). */
enum tk_err region_error_from_wire(struct tk_arena *a, const struct tk_error *w,
                                   struct region_error *re, struct tk_errbuf *eb);

#endif
