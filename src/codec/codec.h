/* Frames and messages: the wire codec (proto-spec/framing.md, envelope.md).
 *
 * A frame is a 4-byte big-endian payload length followed by one msgpack map,
 * the envelope: {"t": type name, "id": request id, and exactly one of
 * "b": request body | "r": response body | "e": error object}.
 * Bodies are decoded into and encoded from the generated structs of
 * codec/schema.h, driven by the descriptor table: there is no per-message
 * encoder or decoder. */
#ifndef TK_CODEC_CODEC_H
#define TK_CODEC_CODEC_H

#include <stdbool.h>
#include <stdint.h>

#include "codec/schema.h"
#include "util/arena.h"
#include "util/bytes.h"
#include "util/err.h"

#define TK_FRAME_HEADER 4u
#define TK_MAX_FRAME_DEFAULT (4u << 20)
/* Frames must stay below 16 MiB so a framed connection's first byte is 0x00
 * and never an ASCII letter (that is how the inline protocol is detected). */
#define TK_MAX_FRAME_LIMIT ((16u << 20) - 1)
#define TK_MAX_DEPTH 16 /* nesting limit of decoded objects */

/* Sizes of stored pairs (proto-spec/framing.md, "Limits").  A value is
 * bounded so that any stored pair always fits one reply: a scan that
 * reaches it can return it, and no pair hides the keys after it.  The
 * bound is fixed, not derived from --max-frame, so that data written under
 * one setting stays readable under any other; instead a store refuses to
 * start with a max-frame below TK_MIN_MAX_FRAME, the smallest frame that
 * carries one pair of the largest key and value in a reply, and in a
 * kv_prewrite with the largest primary key too (TK_PAIR_OVERHEAD covers
 * envelopes and field names with room to spare). */
#define TK_MAX_KEY       8192u
#define TK_MAX_VALUE     (TK_MAX_FRAME_DEFAULT - (32u << 10)) /* 4,161,536 */
#define TK_PAIR_OVERHEAD 1024u
#define TK_MIN_MAX_FRAME (TK_MAX_VALUE + 2 * TK_MAX_KEY + TK_PAIR_OVERHEAD) /* 4,178,944 */

enum tk_frame_status { TK_FRAME_NEED_MORE, TK_FRAME_READY, TK_FRAME_TOO_LARGE };

/* Look at the first bytes of a stream: is a whole frame there?  On READY and
 * TOO_LARGE *payload_len is the declared length.  Checked before anything is
 * allocated. */
enum tk_frame_status tk_frame_peek(const uint8_t *p, size_t avail, uint32_t max_payload,
				   uint32_t *payload_len);

enum tk_msg_kind { TK_REQUEST, TK_RESPONSE, TK_ERROR };

struct tk_msg {
	enum tk_msg_type type;     /* TK_MSG__COUNT when the name is unknown */
	struct tk_slice type_name; /* as received (decode) or NULL (encode: from type) */
	uint64_t id;
	enum tk_msg_kind kind;
	/* TK_REQUEST: struct tk_<req>; TK_RESPONSE: struct tk_<resp> (per
	 * tk_msg_defs[type]); TK_ERROR: struct tk_error.  Decoded bodies live in
	 * the arena and point into the payload: both must outlive the message. */
	void *body;
	bool id_known; /* decode: the envelope's id was read (reply with it) */
};

/* Decode one payload (without the length prefix).  On error, msg->id_known
 * says whose error it is (proto-spec/framing.md, "Envelope errors"): false
 * when there is no request to answer (the payload is not one well-formed
 * msgpack map, has trailing bytes, or lacks one uint `id`: a connection
 * error); true when the envelope is readable and the error concerns request
 * msg->id alone (msg->type_name is its `t` when that was one str, msg->type
 * TK_MSG__COUNT when unknown).  Errors: TK_E_BAD_REQUEST (malformed
 * msgpack, wrong types, missing/unknown/duplicate fields, trailing bytes),
 * TK_E_UNKNOWN_MESSAGE, TK_E_NOMEM.
 *
 * An error object ("e", struct tk_error) is read leniently, at every depth
 * inside it (forward compatibility, proto-spec/errors.md): unknown fields
 * are skipped, a repeated field keeps its first value, and an optional
 * field that does not decode (wrong type, a region missing its id, ...) is
 * dropped as if absent.  Only a malformed `code` or `msg` fails the
 * decode, so a reply always reaches its caller with its code. */
enum tk_err tk_msg_decode(struct tk_slice payload, struct tk_arena *arena, struct tk_msg *msg,
			  struct tk_errbuf *eb);

/* Decode just a body object (used by tests and tools); tk_def_error
 * leniently, as tk_msg_decode does. */
enum tk_err tk_obj_decode(struct tk_slice data, const struct tk_obj_def *def, void *out,
			  struct tk_arena *arena, struct tk_errbuf *eb);

/* Append one whole frame (length + payload) for msg to out.  Returns
 * TK_E_NOMEM or TK_E_TOO_LARGE (payload above TK_MAX_FRAME_LIMIT; out is left
 * unchanged then). */
enum tk_err tk_msg_encode_frame(struct tk_buf *out, const struct tk_msg *msg);

/* Convenience: an error response frame for request id with code and message. */
enum tk_err tk_encode_error_frame(struct tk_buf *out, enum tk_msg_type type,
				  struct tk_slice type_name, uint64_t id, enum tk_err code,
				  const char *message);

/* Encoded size of a tk_slice/list, for budgeting responses below max frame:
 * msgpack bin header + bytes. */
static inline size_t tk_mp_bin_size(size_t n)
{
	return n + (n < 256 ? 2 : n < 65536 ? 3 : 5);
}

#endif
