/* Wire schema: transactional KV, Percolator (proto-spec/txn.md).  Part of
 * the table in codec/schema.h (read its header comment for the field macro
 * and types).
 *
 * Transaction outcomes (a key locked by another transaction, a write
 * conflict, a transaction already committed or rolled back) are data in the
 * response body, as key_error objects, because the client acts on their
 * detail; transport and request errors use the envelope's "e". */
#ifndef TK_CODEC_SCHEMA_TXN_H
#define TK_CODEC_SCHEMA_TXN_H

#define TK_OBJ_txn_lock(F, o)                                                    \
	F(o, key, "key", BIN, REQ)                                               \
	F(o, primary, "primary", BIN, REQ)                                       \
	F(o, start_ts, "start_ts", U64, REQ)                                     \
	F(o, ttl, "ttl", U64, REQ)                                               \
	F(o, kind, "kind", STR, REQ)

#define TK_OBJ_key_error(F, o)                                                   \
	F(o, code, "code", STR, REQ)                                             \
	F(o, key, "key", BIN, OPT)                                               \
	F(o, lock, "lock", OBJ(txn_lock), OPT)                                   \
	F(o, primary, "primary", BIN, OPT)                                       \
	F(o, start_ts, "start_ts", U64, OPT)                                     \
	F(o, conflict_start_ts, "conflict_start_ts", U64, OPT)                   \
	F(o, conflict_commit_ts, "conflict_commit_ts", U64, OPT)                 \
	F(o, commit_ts, "commit_ts", U64, OPT)

#define TK_OBJ_mutation(F, o)                                                    \
	F(o, op, "op", STR, REQ)                                                 \
	F(o, key, "k", BIN, REQ)                                                 \
	F(o, value, "v", BIN, OPT)

#define TK_OBJ_txn_pair(F, o)                                                    \
	F(o, key, "k", BIN, REQ)                                                 \
	F(o, value, "v", BIN, OPT)                                               \
	F(o, error, "error", OBJ(key_error), OPT)

#define TK_OBJ_kv_get_req(F, o)                                                  \
	F(o, key, "k", BIN, REQ)                                                 \
	F(o, version, "version", U64, REQ)                                       \
	F(o, ctx, "ctx", OBJ(region_ctx), OPT)
#define TK_OBJ_kv_get_resp(F, o)                                                 \
	F(o, value, "v", BIN, OPT)                                               \
	F(o, error, "error", OBJ(key_error), OPT)

#define TK_OBJ_kv_prewrite_req(F, o)                                             \
	F(o, mutations, "mutations", OBJLIST(mutation), REQ)                     \
	F(o, primary, "primary", BIN, REQ)                                       \
	F(o, start_ts, "start_ts", U64, REQ)                                     \
	F(o, lock_ttl, "lock_ttl", U64, REQ)                                     \
	F(o, min_commit_ts, "min_commit_ts", U64, OPT)                           \
	F(o, ctx, "ctx", OBJ(region_ctx), OPT)
#define TK_OBJ_kv_prewrite_resp(F, o) F(o, errors, "errors", OBJLIST(key_error), OPT)

#define TK_OBJ_kv_commit_req(F, o)                                               \
	F(o, keys, "keys", BINLIST, REQ)                                         \
	F(o, start_ts, "start_ts", U64, REQ)                                     \
	F(o, commit_ts, "commit_ts", U64, REQ)                                   \
	F(o, ctx, "ctx", OBJ(region_ctx), OPT)
#define TK_OBJ_kv_key_error_resp(F, o) F(o, error, "error", OBJ(key_error), OPT)

#define TK_OBJ_kv_scan_req(F, o)                                                 \
	F(o, start, "start", BIN, REQ)                                           \
	F(o, end, "end", BIN, OPT)                                               \
	F(o, limit, "limit", U64, OPT)                                           \
	F(o, version, "version", U64, REQ)                                       \
	F(o, keys_only, "keys_only", BOOL, OPT)                                  \
	F(o, ctx, "ctx", OBJ(region_ctx), OPT)
#define TK_OBJ_kv_scan_resp(F, o) F(o, pairs, "pairs", OBJLIST(txn_pair), REQ)

#define TK_OBJ_kv_check_txn_status_req(F, o)                                     \
	F(o, primary, "primary", BIN, REQ)                                       \
	F(o, lock_ts, "lock_ts", U64, REQ)                                       \
	F(o, current_ts, "current_ts", U64, REQ)                                 \
	F(o, ctx, "ctx", OBJ(region_ctx), OPT)
#define TK_OBJ_kv_check_txn_status_resp(F, o)                                    \
	F(o, status, "status", STR, REQ)                                         \
	F(o, action, "action", STR, OPT)                                         \
	F(o, commit_ts, "commit_ts", U64, OPT)                                   \
	F(o, lock, "lock", OBJ(txn_lock), OPT)

#define TK_OBJ_kv_batch_rollback_req(F, o)                                       \
	F(o, keys, "keys", BINLIST, REQ)                                         \
	F(o, start_ts, "start_ts", U64, REQ)                                     \
	F(o, ctx, "ctx", OBJ(region_ctx), OPT)

#define TK_OBJ_kv_resolve_lock_req(F, o)                                         \
	F(o, start_ts, "start_ts", U64, REQ)                                     \
	F(o, commit_ts, "commit_ts", U64, OPT)                                   \
	F(o, ctx, "ctx", OBJ(region_ctx), OPT)
#define TK_OBJ_kv_resolve_lock_resp(F, o) F(o, resolved, "resolved", U64, OPT)

#define TK_OBJ_kv_scan_lock_req(F, o)                                            \
	F(o, max_ts, "max_ts", U64, REQ)                                         \
	F(o, start, "start", BIN, OPT)                                           \
	F(o, end, "end", BIN, OPT)                                               \
	F(o, limit, "limit", U64, OPT)                                           \
	F(o, ctx, "ctx", OBJ(region_ctx), OPT)
#define TK_OBJ_kv_scan_lock_resp(F, o)                                           \
	F(o, locks, "locks", OBJLIST(txn_lock), REQ)                             \
	F(o, more, "more", BOOL, OPT)

#define TK_OBJ_kv_gc_req(F, o)                                                   \
	F(o, safe_point, "safe_point", U64, REQ)                                 \
	F(o, ctx, "ctx", OBJ(region_ctx), OPT)
#define TK_OBJ_kv_gc_resp(F, o)                                                  \
	F(o, keys, "keys", U64, OPT)                                             \
	F(o, deleted, "deleted", U64, OPT)

#define TK_OBJECTS_TXN(X)                                                        \
	X(txn_lock)                                                              \
	X(key_error)                                                             \
	X(mutation)                                                              \
	X(txn_pair)                                                              \
	X(kv_get_req)                                                            \
	X(kv_get_resp)                                                           \
	X(kv_prewrite_req)                                                       \
	X(kv_prewrite_resp)                                                      \
	X(kv_commit_req)                                                         \
	X(kv_key_error_resp)                                                     \
	X(kv_scan_req)                                                           \
	X(kv_scan_resp)                                                          \
	X(kv_check_txn_status_req)                                               \
	X(kv_check_txn_status_resp)                                              \
	X(kv_batch_rollback_req)                                                 \
	X(kv_resolve_lock_req)                                                   \
	X(kv_resolve_lock_resp)                                                  \
	X(kv_scan_lock_req)                                                      \
	X(kv_scan_lock_resp)                                                     \
	X(kv_gc_req)                                                             \
	X(kv_gc_resp)

#define TK_MESSAGES_TXN(M)                                                       \
	M(kv_get, kv_get_req, kv_get_resp)                                       \
	M(kv_prewrite, kv_prewrite_req, kv_prewrite_resp)                        \
	M(kv_commit, kv_commit_req, kv_key_error_resp)                           \
	M(kv_scan, kv_scan_req, kv_scan_resp)                                    \
	M(kv_check_txn_status, kv_check_txn_status_req, kv_check_txn_status_resp) \
	M(kv_batch_rollback, kv_batch_rollback_req, kv_key_error_resp)           \
	M(kv_resolve_lock, kv_resolve_lock_req, kv_resolve_lock_resp)            \
	M(kv_scan_lock, kv_scan_lock_req, kv_scan_lock_resp)                     \
	M(kv_gc, kv_gc_req, kv_gc_resp)

#endif
