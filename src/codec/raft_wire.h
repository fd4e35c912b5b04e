/* Raft messages <-> their wire structs (proto-spec/raft.md).  Only the
 * plain structs of raft/raft.h are used, not the library's code, so the
 * codec does not depend on src/raft at link time. */
#ifndef TK_CODEC_RAFT_WIRE_H
#define TK_CODEC_RAFT_WIRE_H

#include "codec/schema.h"
#include "raft/raft.h"
#include "util/arena.h"
#include "util/err.h"

/* Fill w from m.  Entry and snapshot structs are allocated in a; bytes are
 * borrowed from m.  TK_E_NOMEM. */
enum tk_err tk_raft_msg_to_wire(const struct raft_message *m, struct tk_raft_msg *w,
				struct tk_arena *a);

/* Fill m from a decoded w, checking what the schema cannot: a known message
 * type, non-zero from/to, at most RAFT_MAX_VOTERS voters, entry types.
 * Entries and snapshot in a; bytes borrowed from w.  TK_E_BAD_REQUEST with
 * a message, TK_E_NOMEM. */
enum tk_err tk_raft_msg_from_wire(const struct tk_raft_msg *w, struct raft_message *m,
				  struct tk_arena *a, struct tk_errbuf *eb);

#endif
