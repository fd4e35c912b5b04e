/* Wire schema: raw KV messages (proto-spec/raw.md).  Part of the table in codec/schema.h (read its
 * header comment for the field macro and types). */
#ifndef TK_CODEC_SCHEMA_RAW_H
#define TK_CODEC_SCHEMA_RAW_H

#define TK_OBJ_raw_get_req(F, o)                                                 \
	F(o, key, "k", BIN, REQ)                                                 \
	F(o, ctx, "ctx", OBJ(region_ctx), OPT)
#define TK_OBJ_raw_get_resp(F, o) F(o, value, "v", BIN, OPT)

#define TK_OBJ_raw_put_req(F, o)                                                 \
	F(o, key, "k", BIN, REQ)                                                 \
	F(o, value, "v", BIN, REQ)                                               \
	F(o, ctx, "ctx", OBJ(region_ctx), OPT)

#define TK_OBJ_raw_delete_req(F, o)                                              \
	F(o, key, "k", BIN, REQ)                                                 \
	F(o, ctx, "ctx", OBJ(region_ctx), OPT)

#define TK_OBJ_raw_scan_req(F, o)                                                \
	F(o, start, "start", BIN, REQ)                                           \
	F(o, end, "end", BIN, OPT)                                               \
	F(o, limit, "limit", U64, OPT)                                           \
	F(o, keys_only, "keys_only", BOOL, OPT)                                  \
	F(o, reverse, "reverse", BOOL, OPT)                                      \
	F(o, ctx, "ctx", OBJ(region_ctx), OPT)

#define TK_OBJ_raw_scan_resp(F, o)                                               \
	F(o, kvs, "kvs", KVLIST, REQ)                                            \
	F(o, more, "more", BOOL, OPT)

#define TK_OBJ_raw_batch_get_req(F, o)                                           \
	F(o, keys, "keys", BINLIST, REQ)                                         \
	F(o, ctx, "ctx", OBJ(region_ctx), OPT)
#define TK_OBJ_raw_batch_get_resp(F, o) F(o, kvs, "kvs", KVLIST, REQ)
#define TK_OBJ_raw_batch_put_req(F, o)                                           \
	F(o, kvs, "kvs", KVLIST, REQ)                                            \
	F(o, ctx, "ctx", OBJ(region_ctx), OPT)
#define TK_OBJ_raw_batch_delete_req(F, o)                                        \
	F(o, keys, "keys", BINLIST, REQ)                                         \
	F(o, ctx, "ctx", OBJ(region_ctx), OPT)

/* Compare-and-swap: exactly one of expect / expect_absent, exactly one of
 * v / delete (the server checks; raftstore/cas.h decides). */
#define TK_OBJ_raw_cas_req(F, o)                                                 \
	F(o, key, "k", BIN, REQ)                                                 \
	F(o, expect, "expect", BIN, OPT)                                         \
	F(o, expect_absent, "expect_absent", BOOL, OPT)                          \
	F(o, value, "v", BIN, OPT)                                               \
	F(o, del, "delete", BOOL, OPT)                                           \
	F(o, ctx, "ctx", OBJ(region_ctx), OPT)
/* prev absent: the key did not exist before the command */
#define TK_OBJ_raw_cas_resp(F, o)                                                \
	F(o, swapped, "swapped", BOOL, REQ)                                      \
	F(o, prev, "prev", BIN, OPT)

#define TK_OBJECTS_RAW(X)                                                        \
	X(raw_get_req)                                                           \
	X(raw_get_resp)                                                          \
	X(raw_put_req)                                                           \
	X(raw_delete_req)                                                        \
	X(raw_scan_req)                                                          \
	X(raw_scan_resp)                                                         \
	X(raw_batch_get_req)                                                     \
	X(raw_batch_get_resp)                                                    \
	X(raw_batch_put_req)                                                     \
	X(raw_batch_delete_req)                                                  \
	X(raw_cas_req)                                                           \
	X(raw_cas_resp)

#define TK_MESSAGES_RAW(M)                                                       \
	M(raw_get, raw_get_req, raw_get_resp)                                    \
	M(raw_put, raw_put_req, empty)                                           \
	M(raw_delete, raw_delete_req, empty)                                     \
	M(raw_scan, raw_scan_req, raw_scan_resp)                                 \
	M(raw_batch_get, raw_batch_get_req, raw_batch_get_resp)                  \
	M(raw_batch_put, raw_batch_put_req, empty)                               \
	M(raw_batch_delete, raw_batch_delete_req, empty)                         \
	M(raw_cas, raw_cas_req, raw_cas_resp)

#endif
