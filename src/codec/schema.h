/* The one table of wire message definitions.
 *
 * Every message body is an "object": a msgpack map with short string keys.
 * Each object is listed once here as an X-macro of fields
 *     F(o, c_name, "wire_name", TYPE, REQ|OPT)
 * and that single list generates the C struct (struct tk_<object>), the
 * decoder/encoder descriptor (tk_def_<object>) and, through TK_MESSAGES, the
 * message type enum and the request/response pairing.  proto-spec/ documents
 * the same table in prose; t/ and src/codec/test_golden check the two agree
 * through golden vectors.
 *
 * Field types:
 *   U64      unsigned integer (msgpack positive int)            uint64_t
 *   BOOL     boolean                                           bool
 *   BIN      byte string (bin; str accepted on input)          struct tk_slice (p NULL = absent)
 *   STR      text (str; bin accepted on input)                 struct tk_slice
 *   BINLIST  array of BIN                                      struct tk_binlist
 *   KVLIST   array of [key, value] pairs (2-element arrays)    struct tk_kvlist
 *   U64LIST  array of U64                                      struct tk_u64list
 *   OBJ(x)   nested object x                                   struct tk_x * (NULL = absent)
 *   OBJLIST(x) array of object x                               struct tk_x_list
 * REQ fields must be present on input (decode error otherwise) and are always
 * written; OPT fields are written only when not zero/absent and default to
 * zero/absent when missing.  Unknown keys are rejected (BAD_REQUEST): a typo
 * at the netcat prompt is an error, not a silently ignored field; new fields
 * come with a new protocol version in hello.  The one exception is the error
 * object (schema_core.h), read leniently so that servers can add detail:
 * see tk_msg_decode. */
#ifndef TK_CODEC_SCHEMA_H
#define TK_CODEC_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/bytes.h"

/* Current protocol version, sent in hello. */
#define TK_PROTO_VERSION 2

struct tk_binlist {
	struct tk_slice *v;
	uint32_t n;
};
struct tk_kv {
	struct tk_slice k, v;
};
struct tk_kvlist {
	struct tk_kv *v;
	uint32_t n;
};
struct tk_u64list {
	uint64_t *v;
	uint32_t n;
};

/* ---- objects and messages ------------------------------------------- */
/* Each conversation keeps its objects and messages in its own file:
 *   schema_core.h   empty, error, hello, ping
 *   schema_raw.h    raw KV
 *   schema_raft.h   raft messages between stores
 *   schema_sched.h  scheduler traffic
 *   schema_txn.h    transactional KV
 * each defining TK_OBJECTS_<PART>(X) (nested objects first) and
 * TK_MESSAGES_<PART>(M).  Message and object names are global: keep them
 * unique across files. */
#include "codec/schema_core.h"
#include "codec/schema_raw.h"
#include "codec/schema_raft.h"
#include "codec/schema_sched.h"
#include "codec/schema_txn.h"

#define TK_ALL_OBJECTS(X)                                                        \
	TK_OBJECTS_CORE(X)                                                       \
	TK_OBJECTS_RAW(X)                                                        \
	TK_OBJECTS_RAFT(X)                                                       \
	TK_OBJECTS_SCHED(X)                                                      \
	TK_OBJECTS_TXN(X)

/* M(name, request object, response object) */
#define TK_MESSAGES(M)                                                           \
	TK_MESSAGES_CORE(M)                                                      \
	TK_MESSAGES_RAW(M)                                                       \
	TK_MESSAGES_RAFT(M)                                                      \
	TK_MESSAGES_SCHED(M)                                                     \
	TK_MESSAGES_TXN(M)

/* ---- generated C types ------------------------------------------------- */
#define TK_CT_U64 uint64_t
#define TK_CT_BOOL bool
#define TK_CT_BIN struct tk_slice
#define TK_CT_STR struct tk_slice
#define TK_CT_BINLIST struct tk_binlist
#define TK_CT_KVLIST struct tk_kvlist
#define TK_CT_U64LIST struct tk_u64list
#define TK_CT_OBJ(x) struct tk_##x *
#define TK_CT_OBJLIST(x) struct tk_##x##_list

#define TK_GEN_FIELD(o, cname, wname, type, flags) TK_CT_##type cname;
#define TK_GEN_STRUCT(o)                                                         \
	struct tk_##o {                                                          \
		TK_OBJ_##o(TK_GEN_FIELD, o) char tk_pad_;                        \
	};                                                                       \
	struct tk_##o##_list {                                                   \
		struct tk_##o *v;                                                \
		uint32_t n;                                                      \
	};
TK_ALL_OBJECTS(TK_GEN_STRUCT)
#undef TK_GEN_STRUCT
#undef TK_GEN_FIELD

enum tk_msg_type {
#define TK_GEN_ENUM(name, req, resp) TK_MSG_##name,
	TK_MESSAGES(TK_GEN_ENUM)
#undef TK_GEN_ENUM
	TK_MSG__COUNT
};

/* ---- descriptors ------------------------------------------------------- */
enum tk_field_type { TKF_U64, TKF_BOOL, TKF_BIN, TKF_STR, TKF_BINLIST, TKF_KVLIST, TKF_OBJ, TKF_OBJLIST, TKF_U64LIST };

struct tk_obj_def;
struct tk_field_def {
	const char *name;
	uint8_t name_len;
	uint8_t type;     /* enum tk_field_type */
	bool required;
	uint16_t offset;  /* in the C struct */
	const struct tk_obj_def *sub; /* OBJ and OBJLIST */
};
struct tk_obj_def {
	const char *name;
	size_t size; /* sizeof the C struct */
	const struct tk_field_def *fields;
	uint32_t nfields;
};
struct tk_msg_def {
	const char *name;
	const struct tk_obj_def *req, *resp;
};

#define TK_GEN_EXTERN(o) extern const struct tk_obj_def tk_def_##o;
TK_ALL_OBJECTS(TK_GEN_EXTERN)
#undef TK_GEN_EXTERN

extern const struct tk_msg_def tk_msg_defs[TK_MSG__COUNT];

/* Message type from its wire name; returns false when unknown. */
bool tk_msg_type_from_name(const char *name, size_t len, enum tk_msg_type *out);

#endif
