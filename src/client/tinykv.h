/* libtinykv: the tinykv client library.
 *
 * Two APIs over the same connection code:
 *  - blocking: tkv_connect + tkv_get/put/... return when the reply arrives
 *    (or the timeout passes).  One request at a time per client handle.
 *  - asynchronous (pipelined): tkv_async_* on the caller's libevent
 *    event_base; any number of requests in flight on one connection, each
 *    reply delivered to its callback (matched by request id).
 *
 * Errors: every call returns enum tk_err (TK_E_OK is 0; the list and the
 * stable wire names are in tk_errors.h) and fills a struct tk_errbuf with the
 * code and a human message: the server's code and message for server errors
 * (NOT_FOUND is never an error: a missing key is `found == false`),
 * TK_E_CONNECTION / TK_E_TIMEOUT / TK_E_CLOSED for transport failures.
 *
 * Bytes are always pointer + length; keys and values may hold any bytes.
 * Memory returned to the caller is malloc'ed and released with the matching
 * tkv_*free function; memory passed to callbacks is borrowed for the duration
 * of the callback.
 *
 * Thread safety: a handle is used by one thread at a time.
 *
 * Changes to the first draft of this header (the lead's), on purpose:
 *  - timeout_ms applies to the async API too (a request without a reply
 *    after timeout_ms fails with TK_E_TIMEOUT; a late reply is dropped);
 *  - added tkv_async_batch_get/put/delete, tkv_async_error and
 *    tkv_async_server_name;
 *  - tkv_async_* may also return TK_E_TOO_LARGE and TK_E_NOMEM, and the
 *    callback contract is spelled out (exactly once iff TK_E_OK returned);
 *  - region errors come with their detail: struct tkv_region_error, from
 *    tkv_last_region_error (blocking) or tkv_reply.region_error (async);
 *  - the blocking API routes (below) and retries; tkv_async_open_leader.
 *
 * Routing (blocking API and the transaction client).  A cluster's keys are
 * split into regions, each served by the leader of its Raft group.  With
 * cfg->scheduler_address the client asks tinykv-scheduler for the region
 * of a key and the address of its leader's store, caches both, and sends
 * the request there with the region's context (ctx: id, epoch, peer,
 * store).  Without a scheduler, requests go to cfg->address without a
 * context, as to a one-store install; a store that does not lead answers
 * NOT_LEADER with the leader's address, and the client goes there (and
 * keeps going there).  Region errors update the cache from their detail:
 * NOT_LEADER's leader is used at once, without the scheduler;
 * EPOCH_NOT_MATCH and KEY_NOT_IN_REGION replace the region with the ones
 * the store sent (or drop it, to ask the scheduler); REGION_NOT_FOUND and
 * STORE_NOT_MATCH drop what was wrong.  An unreachable store, or a
 * region without a known leader, is skipped for the next peer.
 *
 * Retries: a call makes at most cfg->max_attempts requests and ends by
 * cfg->deadline_ms (each request waits at most timeout_ms, and never past
 * the deadline).  Between attempts it waits with exponential backoff and
 * jitter (5 ms doubling to 1 s; a SERVER_IS_BUSY's backoff_ms at least),
 * except right after fresh routing information.  It fails with the last
 * attempt's error (its region error in tkv_last_region_error).  What may
 * be retried: region errors say the command was not applied, so anything
 * is retried after one.  A request that was sent and got no reply (timeout,
 * lost connection, SHUTTING_DOWN) may have been applied: reads are
 * retried; put, delete and the batches are retried too (applying them twice
 * leaves what applying once leaves) and, if the call fails in the end, it
 * fails with TK_E_UNKNOWN_OUTCOME; a CAS is never sent again (a second
 * compare would see the first one's write): it fails with
 * TK_E_UNKNOWN_OUTCOME at once.  So TK_E_TIMEOUT / TK_E_CONNECTION from a
 * write mean it was not sent; TK_E_UNKNOWN_OUTCOME that nobody knows. */
#ifndef TINYKV_H
#define TINYKV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tk_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;

struct tkv_config {
	const char *address;     /* "host:port"; default "127.0.0.1:20160" */
	unsigned connect_timeout_ms; /* TCP connect + hello; default 3000; 0 = none */
	unsigned timeout_ms;     /* per request, both APIs; default 10000; 0 = none.
				  * Checked every timeout_ms/10 (1..100 ms). */
	const char *name;        /* sent in hello, shows in server logs; default "libtinykv" */
	uint32_t max_frame;      /* largest frame accepted from the server; default 16 MiB - 1 */
	/* Routing (blocking API; "Routing" below).  With a scheduler, regions
	 * are found through it and address may be NULL. */
	const char *scheduler_address; /* tinykv-scheduler "host:port"; default NULL: none */
	unsigned deadline_ms;    /* a call's total time, retries included; default 20000;
	                          * 0 = none (max_attempts bounds it) */
	unsigned max_attempts;   /* requests per call (scheduler lookups not counted);
	                          * default 20; 1 = never retry */
};
/* Fill c with the defaults above. */
void tkv_config_default(struct tkv_config *c);

/* A key/value pair handed out by the library (owned by the array it is in). */
struct tkv_kv {
	uint8_t *key;
	size_t key_len;
	uint8_t *value; /* NULL for keys-only scans */
	size_t value_len;
};

/* Pair given to the library (borrowed). */
struct tkv_kv_in {
	const void *key;
	size_t key_len;
	const void *value;
	size_t value_len;
};

/* ---- regions and region errors ---------------------------------------- */
/* A region: a key range served by one raft group, its epoch and peers
 * (proto-spec/scheduler.md, "sched_region"). */
struct tkv_peer {
	uint64_t id;
	uint64_t store_id;
};

struct tkv_region {
	uint64_t id;
	const uint8_t *start; /* empty: -infinity */
	size_t start_len;
	const uint8_t *end;   /* empty: +infinity */
	size_t end_len;
	uint64_t conf_ver, version;
	const struct tkv_peer *peers;
	size_t n_peers;
};

/* The detail of a region error (proto-spec/errors.md, "Region errors"):
 * where the store says the request should have gone.  What the server did
 * not send is zero: ids 0, strings "", arrays empty, key NULL.  Byte
 * strings are not NUL-terminated. */
struct tkv_region_error {
	enum tk_err code;        /* TK_E_NOT_LEADER, TK_E_EPOCH_NOT_MATCH,
	                          * TK_E_REGION_NOT_FOUND, TK_E_KEY_NOT_IN_REGION,
	                          * TK_E_STALE_COMMAND or TK_E_SERVER_IS_BUSY */
	uint64_t region_id;      /* the region the request named, or the key's */
	struct tkv_peer leader;  /* NOT_LEADER: the leader peer and its store */
	const char *leader_addr; /* NOT_LEADER: the leader store's address */
	/* EPOCH_NOT_MATCH: the store's current regions over the requested
	 * range; KEY_NOT_IN_REGION: the region, with its range */
	const struct tkv_region *regions;
	size_t n_regions;
	const uint8_t *key;      /* KEY_NOT_IN_REGION: the key */
	size_t key_len;
	const char *reason;      /* SERVER_IS_BUSY: "proposal_queue_full",
	                          * "apply_queue_full" or another */
	uint64_t backoff_ms;     /* SERVER_IS_BUSY: wait at least this long */
};

/* tkv_cas / tkv_async_cas flags (proto-spec/raw.md, raw_cas). */
enum tkv_cas_flags {
	TKV_CAS_EXPECT_ABSENT = 1, /* match only when the key does not exist
	                            * (instead of comparing with expect) */
	TKV_CAS_DELETE = 2,        /* on a match delete the key (instead of
	                            * writing value) */
};

struct tkv_scan_opts {
	const void *end;   /* exclusive end; NULL = to the end of the keyspace */
	size_t end_len;
	uint32_t limit;    /* 0 = server default (100); the server caps it */
	bool keys_only;
	bool reverse;      /* descending order, from the end of [start, end) */
};

/* ---- blocking API ------------------------------------------------------ */
struct tkv_client;

/* Connect and say hello, waiting at most cfg->connect_timeout_ms.
 * TK_E_BAD_CONFIG for a malformed address, TK_E_CONNECTION when the server
 * cannot be reached ("connect to 127.0.0.1:20160: Connection refused"),
 * TK_E_TIMEOUT when no hello reply came in time, TK_E_VERSION_MISMATCH when
 * it speaks another protocol version, TK_E_PROTOCOL when the peer is not a
 * tinykv server at all (an HTTP server or any other service: the message
 * says "ADDR is not a tinykv server (it answered ...)", judged from the
 * first bytes of its answer).  cfg may be NULL (defaults); its strings are
 * copied.
 *
 * With cfg->scheduler_address, tkv_connect connects to the scheduler only
 * (cfg->address may be NULL) and stores are reached on demand.
 *
 * Every call below blocks until the reply or until it gives up (Routing,
 * above): TK_E_TIMEOUT when no request was answered within the time
 * (a late reply is dropped; the connection stays usable), a transport
 * failure (TK_E_CONNECTION), TK_E_UNKNOWN_OUTCOME for a write that may or
 * may not have been applied.  A broken connection is remade at the next
 * request.  Server errors come back with the server's code and message in
 * err.  With cfg->max_attempts 1 a call is one request to one store and
 * nothing is learnt from its answer. */
enum tk_err tkv_connect(const struct tkv_config *cfg, struct tkv_client **out,
			struct tk_errbuf *err);
void tkv_close(struct tkv_client *c);
/* The server's description from its hello reply ("tinykvd 0.1.0"); valid
 * until the next call on c. */
const char *tkv_server_name(const struct tkv_client *c);

enum tk_err tkv_ping(struct tkv_client *c, struct tk_errbuf *err);
/* On TK_E_OK, *found says whether the key exists; if it does, *value (malloc'ed,
 * free with tkv_free; NUL-terminated for convenience, not counted in
 * *value_len) holds the value. */
enum tk_err tkv_get(struct tkv_client *c, const void *key, size_t key_len, uint8_t **value,
		    size_t *value_len, bool *found, struct tk_errbuf *err);
enum tk_err tkv_put(struct tkv_client *c, const void *key, size_t key_len, const void *value,
		    size_t value_len, struct tk_errbuf *err);
enum tk_err tkv_delete(struct tkv_client *c, const void *key, size_t key_len,
		       struct tk_errbuf *err);
/* Compare-and-swap, atomically on the server: when the key holds exactly
 * expect (or, with TKV_CAS_EXPECT_ABSENT, does not exist), set it to value
 * (or, with TKV_CAS_DELETE, delete it).  The four forms are:
 *   swap             flags 0                          expect -> value
 *   create           TKV_CAS_EXPECT_ABSENT            absent -> value
 *   delete if equal  TKV_CAS_DELETE                   expect -> deleted
 *   test absent      both                             writes nothing
 * Empty is a value: expect_len 0 matches a key holding "" and never an
 * absent key; value_len 0 stores "".  Operands a flag replaces are ignored
 * (may be NULL).  On TK_E_OK, *swapped says whether it matched (and the
 * write, if any, is durable); a mismatch is not an error.  *prev_found
 * says whether the key existed just before the command, and then *prev
 * (malloc'ed, free with tkv_free; NUL-terminated, the NUL not counted)
 * holds the value it had: the value replaced on a swap, the current one on
 * a mismatch, so a retry loop needs no extra tkv_get.  prev, prev_len and
 * prev_found may all be NULL when the previous value is not wanted.
 * Errors as tkv_put (TK_E_BAD_REQUEST for an empty key or bad flags,
 * TK_E_TOO_LARGE, transport errors: a CAS that failed with TK_E_TIMEOUT
 * or TK_E_CONNECTION may or may not have been applied). */
enum tk_err tkv_cas(struct tkv_client *c, const void *key, size_t key_len, const void *expect,
		    size_t expect_len, const void *value, size_t value_len, unsigned flags,
		    bool *swapped, uint8_t **prev, size_t *prev_len, bool *prev_found,
		    struct tk_errbuf *err);
/* Keys in [start, opts->end), at most opts->limit.  *more says the server
 * stopped early (limit or frame size) and more keys may follow.  Across
 * regions, one request per region in key order (descending when reverse)
 * until the limit; each region's part is read at its own moment.  Free the
 * array with tkv_kvs_free. */
enum tk_err tkv_scan(struct tkv_client *c, const void *start, size_t start_len,
		     const struct tkv_scan_opts *opts, struct tkv_kv **kvs, size_t *n, bool *more,
		     struct tk_errbuf *err);
/* Values of the keys that exist, in request order (missing keys left out),
 * one request per region the keys are in.  Free with tkv_kvs_free. */
enum tk_err tkv_batch_get(struct tkv_client *c, const struct tkv_kv_in *keys, size_t n,
			  struct tkv_kv **kvs, size_t *nout, struct tk_errbuf *err);
/* Atomic per region: all pairs of a region or none (one request per
 * region, in key order of their first keys; a failure leaves the regions
 * before it written). */
enum tk_err tkv_batch_put(struct tkv_client *c, const struct tkv_kv_in *kvs, size_t n,
			  struct tk_errbuf *err);
enum tk_err tkv_batch_delete(struct tkv_client *c, const struct tkv_kv_in *keys, size_t n,
			     struct tk_errbuf *err);

/* The detail of the region error the last call on c failed with, or NULL
 * when it did not fail with one of the region error codes (succeeded, or
 * failed otherwise).  A region error without detail fields still gives a
 * struct (code set, the rest zero).  Owned by c, valid until the next call
 * on c or tkv_close. */
const struct tkv_region_error *tkv_last_region_error(const struct tkv_client *c);

void tkv_free(void *p);
/* Frees an array from tkv_scan or tkv_batch_get: the array and all its keys
 * and values are one allocation (keys and values are NUL-terminated, the NUL
 * not counted). */
void tkv_kvs_free(struct tkv_kv *kvs, size_t n);

/* ---- asynchronous (pipelined) API -------------------------------------- */
struct tkv_async;

/* A reply, borrowed for the duration of the callback: every pointer in it
 * (message, value, kvs and their bytes) is invalid once the callback
 * returns.  Values and keys are not NUL-terminated here. */
struct tkv_reply {
	enum tk_err code;        /* TK_E_OK or the error */
	const char *message;     /* error message ("" on success); for a server
				  * error code unknown to this library (code is
				  * then TK_E_INTERNAL) it starts with "NAME: " */
	bool found;              /* get */
	const uint8_t *value;    /* get */
	size_t value_len;
	const struct tkv_kv *kvs; /* scan, batch_get; value NULL for keys_only */
	size_t n_kvs;
	bool more;               /* scan */
	/* Any request: the decoded response body, the generated struct
	 * tk_<type>_resp of codec/schema.h (internal to the library: the
	 * transaction client reads kv_* replies through it). */
	const void *body;
	/* A region error's detail (code is one of the region error codes of
	 * struct tkv_region_error), NULL otherwise. */
	const struct tkv_region_error *region_error;
	/* cas: whether it matched; found, value and value_len then describe
	 * the key's previous value (found false: the key did not exist). */
	bool swapped;
};
typedef void (*tkv_async_cb)(void *arg, const struct tkv_reply *reply);

/* Start connecting on base; requests may be queued at once and are sent
 * after the hello reply.  A failed connection fails every pending request
 * with the failure's code (TK_E_CONNECTION, TK_E_TIMEOUT when the connect or
 * hello took longer than connect_timeout_ms, TK_E_VERSION_MISMATCH, or
 * TK_E_PROTOCOL for a malformed frame from the server or a peer that is not
 * a tinykv server, as for tkv_connect) and later requests
 * are refused with TK_E_CLOSED: a failed handle stays failed, free it and
 * make a new one.  Never blocks for numeric addresses (a host name is
 * resolved with getaddrinfo, which may).  Returns TK_E_BAD_CONFIG or
 * TK_E_CONNECTION (no handle) when the address cannot be used at all.
 * cfg may be NULL (defaults); its strings are copied.
 *
 * Callback contract: when a tkv_async_* request function returns TK_E_OK,
 * its callback is called exactly once, from the event loop (never from
 * inside the request function), with the reply, a server error, or
 * TK_E_TIMEOUT / a transport error / TK_E_CLOSED (tkv_async_free); when it
 * returns anything else the callback is never called.  Callbacks may queue
 * new requests and may call tkv_async_free; they must not run the base's
 * event loop.  Requests are written in submission order, all those queued
 * during one reactor iteration in one send(). */
enum tk_err tkv_async_new(struct event_base *base, const struct tkv_config *cfg,
			  struct tkv_async **out, struct tk_errbuf *err);
/* Close; pending callbacks are called (from inside this call) with
 * TK_E_CLOSED.  Safe inside a callback (the memory is released when the
 * callback returns). NULL is a no-op. */
void tkv_async_free(struct tkv_async *a);
/* Queue a request; the frame is written when the reactor runs.  Returns
 * TK_E_OK, TK_E_CLOSED (the connection failed earlier), TK_E_TOO_LARGE (the
 * frame is above the server's max_frame) or TK_E_NOMEM.  Keys and values are
 * copied (encoded) before the call returns. */
enum tk_err tkv_async_ping(struct tkv_async *a, tkv_async_cb cb, void *arg);
enum tk_err tkv_async_get(struct tkv_async *a, const void *key, size_t key_len, tkv_async_cb cb,
			  void *arg);
enum tk_err tkv_async_put(struct tkv_async *a, const void *key, size_t key_len, const void *value,
			  size_t value_len, tkv_async_cb cb, void *arg);
enum tk_err tkv_async_delete(struct tkv_async *a, const void *key, size_t key_len, tkv_async_cb cb,
			     void *arg);
enum tk_err tkv_async_scan(struct tkv_async *a, const void *start, size_t start_len,
			   const struct tkv_scan_opts *opts, tkv_async_cb cb, void *arg);
/* Compare-and-swap: arguments and outcome as tkv_cas; the reply carries
 * swapped, and found/value/value_len for the previous value. */
enum tk_err tkv_async_cas(struct tkv_async *a, const void *key, size_t key_len,
			  const void *expect, size_t expect_len, const void *value,
			  size_t value_len, unsigned flags, tkv_async_cb cb, void *arg);
/* Batches: one request, atomic on the server for put/delete.  The reply of
 * batch_get lists the keys that exist (kvs, n_kvs). */
enum tk_err tkv_async_batch_get(struct tkv_async *a, const struct tkv_kv_in *keys, size_t n,
				tkv_async_cb cb, void *arg);
enum tk_err tkv_async_batch_put(struct tkv_async *a, const struct tkv_kv_in *kvs, size_t n,
				tkv_async_cb cb, void *arg);
enum tk_err tkv_async_batch_delete(struct tkv_async *a, const struct tkv_kv_in *keys, size_t n,
				   tkv_async_cb cb, void *arg);
/* tkv_async_new to the leader of the region holding key, found through
 * the scheduler at cfg->scheduler_address (required: TK_E_BAD_CONFIG
 * without it).  Blocks for the lookup (get_region, and get_store when the
 * answer names no address), at most cfg->timeout_ms each.  Requests on the
 * handle carry no region context and are not routed: a request for a key
 * of another region, or after the leader moved, gets the store's region
 * error (NOT_LEADER with the new leader's address, ...).  Errors: the
 * scheduler's (NOT_BOOTSTRAPPED, ...), TK_E_NOT_LEADER when it knows no
 * leader for the region yet, those of tkv_async_new. */
enum tk_err tkv_async_open_leader(struct event_base *base, const struct tkv_config *cfg,
				  const void *key, size_t key_len, struct tkv_async **out,
				  struct tk_errbuf *err);
/* Requests sent or queued whose reply has not arrived. */
size_t tkv_async_in_flight(const struct tkv_async *a);
/* True once the hello reply arrived; false again after a failure. */
bool tkv_async_ready(const struct tkv_async *a);
/* TK_E_OK while the handle is connecting or connected; after a failure its
 * code, with the reason copied into err (may be NULL). */
enum tk_err tkv_async_error(const struct tkv_async *a, struct tk_errbuf *err);
/* The server's description from its hello reply ("" before it). */
const char *tkv_async_server_name(const struct tkv_async *a);

#ifdef __cplusplus
}
#endif
#endif
