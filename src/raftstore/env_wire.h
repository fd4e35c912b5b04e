/* Envelopes <-> "raft" frames (proto-spec/raft.md): how one store's
 * messages for another travel on the peer connection.  Every envelope of a
 * send call goes to one store, so a call becomes one frame whose batch
 * names the two stores once (fs, ts); each message carries its region's
 * routing fields and, for snapshot streams, the chunk fields. */
#ifndef TK_RAFTSTORE_ENV_WIRE_H
#define TK_RAFTSTORE_ENV_WIRE_H

#include "codec/codec.h"
#include "raftstore/store.h"
#include "util/arena.h"
#include "util/bytes.h"

/* Append one whole frame (length prefix included) carrying envs[0..n),
 * all from from_store to to_store.  Scratch structs in a (reset by the
 * caller).  TK_E_NOMEM; TK_E_TOO_LARGE from the frame encoder. */
enum tk_err rs_env_encode_frame(const struct rs_envelope *envs, size_t n, uint64_t from_store,
                                uint64_t to_store, struct tk_arena *a, struct tk_buf *out);

/* Fill env from message i of a decoded batch, checking what the schema
 * cannot (tk_raft_msg_from_wire's rules, a known envelope type, a non-zero
 * region and sending store, chunk fields only in snapshot envelopes).
 * Borrows from b; entries in a.  TK_E_BAD_REQUEST with the reason. */
enum tk_err rs_env_from_wire(const struct tk_raft_batch *b, uint32_t i, struct rs_envelope *env,
                             struct tk_arena *a, struct tk_errbuf *eb);

#endif
