/* Wire schema: objects and messages every conversation shares.  Part of the table in codec/schema.h (read its
 * header comment for the field macro and types). */
#ifndef TK_CODEC_SCHEMA_CORE_H
#define TK_CODEC_SCHEMA_CORE_H

#define TK_OBJ_empty(F, o)

/* A region and its peers (proto-spec/scheduler.md, "sched_region"): the
 * scheduler's routing answers and heartbeats, and the region errors of KV
 * requests (EPOCH_NOT_MATCH's current regions). */
#define TK_OBJ_sched_peer(F, o)                                                  \
	F(o, id, "id", U64, REQ)                                                 \
	F(o, store, "store", U64, REQ)

#define TK_OBJ_sched_region(F, o)                                                \
	F(o, id, "id", U64, REQ)                                                 \
	F(o, start, "start", BIN, REQ)                                           \
	F(o, end, "end", BIN, REQ)                                               \
	F(o, conf_ver, "conf_ver", U64, REQ)                                     \
	F(o, version, "version", U64, REQ)                                       \
	F(o, peers, "peers", OBJLIST(sched_peer), REQ)

/* The region a KV request was routed with (proto-spec/errors.md, "Region
 * context"): the optional `ctx` of every raw and transactional request. */
#define TK_OBJ_region_ctx(F, o)                                                  \
	F(o, region, "region", U64, REQ)                                         \
	F(o, conf_ver, "conf_ver", U64, REQ)                                     \
	F(o, version, "version", U64, REQ)                                       \
	F(o, peer, "peer", U64, OPT)                                             \
	F(o, store, "store", U64, OPT)

/* The error object.  Past code and msg, the detail fields of region errors
 * (proto-spec/errors.md, "Region errors"); which are present depends on
 * the code.  An error object is decoded leniently (codec.h): unknown
 * fields are skipped and a malformed optional field is dropped, so that
 * servers may add detail without breaking clients. */
#define TK_OBJ_error(F, o)                                                       \
	F(o, code, "code", STR, REQ)                                             \
	F(o, msg, "msg", STR, REQ)                                               \
	F(o, region, "region", U64, OPT)                                         \
	F(o, leader, "leader", OBJ(sched_peer), OPT)                             \
	F(o, leader_addr, "leader_addr", STR, OPT)                               \
	F(o, regions, "regions", OBJLIST(sched_region), OPT)                     \
	F(o, key, "key", BIN, OPT)                                               \
	F(o, reason, "reason", STR, OPT)                                         \
	F(o, backoff_ms, "backoff_ms", U64, OPT)

#define TK_OBJ_hello_req(F, o)                                                   \
	F(o, proto, "proto", U64, REQ)                                           \
	F(o, role, "role", STR, REQ)                                             \
	F(o, name, "name", STR, OPT)

#define TK_OBJ_hello_resp(F, o)                                                  \
	F(o, proto, "proto", U64, REQ)                                           \
	F(o, role, "role", STR, REQ)                                             \
	F(o, server, "server", STR, REQ)                                         \
	F(o, max_frame, "max_frame", U64, REQ)                                   \
	F(o, cluster_id, "cluster_id", U64, OPT)                                 \
	F(o, store_id, "store_id", U64, OPT)                                     \
	F(o, scheduler, "scheduler", STR, OPT)

#define TK_OBJECTS_CORE(X)                                                       \
	X(empty) X(sched_peer) X(sched_region) X(region_ctx) X(error) X(hello_req) X(hello_resp)

#define TK_MESSAGES_CORE(M)                                                      \
	M(hello, hello_req, hello_resp)                                          \
	M(ping, empty, empty)

#endif
