/* Wire schema: objects and messages every conversation shares.  Part of the table in codec/schema.h (read its
 * header comment for the field macro and types). */
#ifndef TK_CODEC_SCHEMA_CORE_H
#define TK_CODEC_SCHEMA_CORE_H

#define TK_OBJ_empty(F, o)

#define TK_OBJ_error(F, o)                                                       \
	F(o, code, "code", STR, REQ)                                             \
	F(o, msg, "msg", STR, REQ)

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
	F(o, store_id, "store_id", U64, OPT)

#define TK_OBJECTS_CORE(X) X(empty) X(error) X(hello_req) X(hello_resp)

#define TK_MESSAGES_CORE(M)                                                      \
	M(hello, hello_req, hello_resp)                                          \
	M(ping, empty, empty)

#endif
