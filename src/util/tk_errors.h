/* The tinykv error list, shared by the whole code base and installed with
 * libtinykv (as tk_errors.h) so client programs see the same codes.
 *
 * Every error has a C enum value (TK_E_<NAME>), a stable wire name ("<NAME>",
 * listed in proto-spec/errors.md; never renumber or rename one: add new ones
 * at the end) and a default human message. */
#ifndef TK_ERRORS_H
#define TK_ERRORS_H

#include <stddef.h>

#define TK_ERRORS(X)                                                             \
	X(OK, "success")                                                         \
	X(INTERNAL, "internal error")                                            \
	X(NOMEM, "out of memory")                                                \
	X(IO, "I/O error")                                                       \
	X(NO_SPACE, "no space left on device")                                   \
	X(CORRUPTION, "data corruption")                                         \
	X(BAD_REQUEST, "bad request")                                            \
	X(TOO_LARGE, "frame or value too large")                                 \
	X(UNKNOWN_MESSAGE, "unknown message type")                               \
	X(PROTOCOL, "protocol violation")                                        \
	X(VERSION_MISMATCH, "protocol version or role not supported")            \
	X(NOT_FOUND, "not found")                                                \
	X(CONNECTION, "connection failed")                                       \
	X(TIMEOUT, "timed out")                                                  \
	X(CLOSED, "connection closed")                                           \
	X(SERVER_IS_BUSY, "server is busy")                                      \
	X(SHUTTING_DOWN, "server is shutting down")                              \
	X(BAD_CONFIG, "bad configuration")                                       \
	X(DATA_DIR, "unusable data directory")                                   \
	X(NOT_LEADER, "not leader")                                              \
	X(REGION_NOT_FOUND, "region not found")                                  \
	X(KEY_NOT_IN_REGION, "key not in region")                                \
	X(EPOCH_NOT_MATCH, "region epoch does not match")                        \
	X(STALE_COMMAND, "stale command")                                        \
	X(STORE_NOT_MATCH, "request sent to the wrong store")                    \
	X(KEY_LOCKED, "key is locked")                                           \
	X(WRITE_CONFLICT, "write conflict")                                      \
	X(TXN_NOT_FOUND, "transaction not found")                                \
	X(TXN_COMMITTED, "transaction already committed")                        \
	X(TXN_ROLLED_BACK, "transaction already rolled back")                    \
	X(NOT_BOOTSTRAPPED, "cluster not bootstrapped")                          \
	X(ALREADY_BOOTSTRAPPED, "cluster already bootstrapped")                  \
	X(STORE_TOMBSTONE, "store is a tombstone")                               \
	X(CLUSTER_MISMATCH, "cluster id does not match")                        \
	X(COMPACTED, "raft log entries compacted")                               \
	X(LOG_UNAVAILABLE, "raft log entries not available yet")                  \
	X(STORE_MISMATCH, "data dir belongs to another store")                  \
	X(UNKNOWN_OUTCOME, "outcome unknown: the write may or may not have been applied")

enum tk_err {
#define TK_ERR_ENUM(name, msg) TK_E_##name,
	TK_ERRORS(TK_ERR_ENUM)
#undef TK_ERR_ENUM
	TK_E__COUNT
};
#define TK_OK TK_E_OK

/* Stable wire name of an error ("NOT_LEADER"); "INTERNAL" for out-of-range. */
const char *tk_err_name(enum tk_err e);
/* Default human message of an error. */
const char *tk_strerror(enum tk_err e);
/* Error from its wire name; TK_E_INTERNAL when unknown (sets *known false). */
enum tk_err tk_err_from_name(const char *name, size_t len, int *known);

/* Detail travelling with an error: a code and a message that layers may
 * prefix with their context ("apply region 7: engine: write: ..."). */
struct tk_errbuf {
	enum tk_err code;
	char msg[512];
};

#endif
