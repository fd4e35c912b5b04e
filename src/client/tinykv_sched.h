/* libtinykv: the scheduler client (tinykv-scheduler, proto-spec/scheduler.md).
 *
 * Two APIs over the KV client's pipelined transport (one connection, any
 * number of requests in flight, replies matched by id):
 *  - asynchronous: tkv_sched_async_* on the caller's libevent event_base,
 *    for a reactor (tinykvd: registration, heartbeats, ids); it never
 *    blocks the loop, and reconnects with backoff after a failure;
 *  - blocking: tkv_sched_connect + tkv_sched_* run the asynchronous client
 *    on a private event_base, one request at a time.
 * The same handle serves stores (hello role "store": bootstrap,
 * registration, heartbeats) and clients (role "client": timestamps,
 * routing, admin).
 *
 * Errors as in tinykv.h: every call returns enum tk_err and fills err (may
 * be NULL) with the code and a message: the scheduler's for its errors
 * (NOT_BOOTSTRAPPED, STALE_COMMAND, REGION_NOT_FOUND, ...), TK_E_CONNECTION /
 * TK_E_TIMEOUT / TK_E_CLOSED for transport failures.  After a transport
 * failure the next call reconnects; a failed call is never retried.  A
 * connection the scheduler closed (a restart) is noticed before a request
 * is risked on it, and replaced.
 *
 * Memory returned is malloc'ed, one allocation per result (free it with
 * tkv_free); input is borrowed for the call.  A handle is used by one
 * thread at a time. */
#ifndef TINYKV_SCHED_H
#define TINYKV_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tinykv.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tkv_sched_config {
	const char *address;         /* "host:port"; default "127.0.0.1:2379" */
	const char *role;            /* "client" (default) or "store" */
	const char *name;            /* sent in hello; default "libtinykv" */
	unsigned connect_timeout_ms; /* default 3000 */
	unsigned timeout_ms;         /* per request; default 10000; 0 = none */
	uint64_t cluster_id;         /* the cluster we belong to; 0 = any.  A
				      * scheduler of another cluster is refused
				      * at connect (TK_E_CLUSTER_MISMATCH), and
				      * requests carry it so the scheduler
				      * checks it too */
	unsigned reconnect_min_ms;   /* async: first wait before reconnecting after a
	                              * failed attempt; default 100 */
	unsigned reconnect_max_ms;   /* async: the wait doubles up to this; default 5000 */
};
void tkv_sched_config_default(struct tkv_sched_config *c);

struct tkv_sched;

/* Connect and say hello.  TK_E_BAD_CONFIG (address), TK_E_CONNECTION,
 * TK_E_TIMEOUT, TK_E_VERSION_MISMATCH (wrong protocol, or not a
 * scheduler), TK_E_PROTOCOL (not a tinykv server at all).  cfg may be
 * NULL; its strings are copied.  The blocking handle reconnects at the
 * next call after a failure, without waiting (reconnect_* are ignored). */
enum tk_err tkv_sched_connect(const struct tkv_sched_config *cfg, struct tkv_sched **out,
			      struct tk_errbuf *err);
void tkv_sched_close(struct tkv_sched *s);
/* The cluster id from the scheduler's hello (0 before a connection). */
uint64_t tkv_sched_cluster_id(const struct tkv_sched *s);

/* ---- region metadata (struct tkv_peer and struct tkv_region: tinykv.h) ---- */
/* What the scheduler knows of a region (routing answers, listings). */
struct tkv_region_info {
	struct tkv_region region;
	struct tkv_peer leader;  /* id 0: unknown */
	const char *leader_addr; /* "" when unknown */
	uint64_t size, keys;     /* approximate */
	size_t n_pending, n_down;
};

struct tkv_store_info {
	uint64_t id;
	char addr[256];
	char state[16]; /* "up", "disconnected", "down", "offline", "tombstone" */
	uint64_t capacity, available;
	uint64_t region_count, leader_count, region_size;
	uint64_t hb_age_ms; /* 0: never (or just now) */
};

struct tkv_store_stats {
	uint64_t store_id;
	uint64_t capacity, available, used;
	uint64_t regions;
	uint64_t sending_snaps, receiving_snaps, applying_snaps;
	bool busy;
};

/* A region heartbeat from its leader. */
struct tkv_region_hb {
	struct tkv_region region;
	struct tkv_peer leader;
	const uint64_t *pending; /* peer ids catching up */
	size_t n_pending;
	const struct tkv_peer *down; /* id = peer id, store_id = seconds down (reuse) */
	size_t n_down;
	uint64_t size, keys;
};

enum tkv_step_kind { TKV_STEP_ADD_PEER, TKV_STEP_REMOVE_PEER, TKV_STEP_TRANSFER_LEADER };
struct tkv_op_step {
	enum tkv_step_kind kind;
	uint64_t peer_id;
	uint64_t store_id;
};

struct tkv_op_info {
	uint64_t region_id;
	char kind[24];
	char desc[64];
	struct tkv_op_step steps[8];
	size_t n_steps, cur;
	uint64_t age_ms;
};

struct tkv_setting {
	char name[48];
	char value[64];
};

/* ---- calls ---- */
enum tk_err tkv_sched_is_bootstrapped(struct tkv_sched *s, bool *bootstrapped,
				      struct tk_errbuf *err);
enum tk_err tkv_sched_bootstrap(struct tkv_sched *s, uint64_t store_id, const char *store_addr,
				const struct tkv_region *first, struct tk_errbuf *err);
/* count ids *first .. *first + count - 1 (count 0 means 1). */
enum tk_err tkv_sched_alloc_ids(struct tkv_sched *s, uint64_t count, uint64_t *first,
				struct tk_errbuf *err);
/* count timestamps *first .. *first + count - 1 (count 0 means 1). */
enum tk_err tkv_sched_get_ts(struct tkv_sched *s, uint64_t count, uint64_t *first,
			     struct tk_errbuf *err);
enum tk_err tkv_sched_put_store(struct tkv_sched *s, uint64_t id, const char *addr,
				struct tk_errbuf *err);
enum tk_err tkv_sched_get_store(struct tkv_sched *s, uint64_t id, struct tkv_store_info *out,
				struct tk_errbuf *err);
/* *out: an array of *n stores (free with tkv_free). */
enum tk_err tkv_sched_get_all_stores(struct tkv_sched *s, bool no_tombstones,
				     struct tkv_store_info **out, size_t *n, struct tk_errbuf *err);
enum tk_err tkv_sched_store_heartbeat(struct tkv_sched *s, const struct tkv_store_stats *st,
				      struct tk_errbuf *err);
/* *has_step says whether the scheduler sent *step for the leader to do. */
enum tk_err tkv_sched_region_heartbeat(struct tkv_sched *s, const struct tkv_region_hb *hb,
				       struct tkv_op_step *step, bool *has_step,
				       struct tk_errbuf *err);
/* The outcome of one heartbeat of a batch. */
struct tkv_region_hb_result {
	uint64_t region_id;
	enum tk_err code;  /* TK_E_OK, or why this beat was refused */
	char message[160];
	bool has_step;
	struct tkv_op_step step;
};
/* n heartbeats in one request (at most 10,000); results[i] answers hbs[i].
 * The call fails as a whole only for transport errors, TK_E_CLUSTER_MISMATCH
 * and TK_E_TOO_LARGE. */
enum tk_err tkv_sched_region_heartbeats(struct tkv_sched *s, const struct tkv_region_hb *hbs,
					size_t n, struct tkv_region_hb_result *results,
					struct tk_errbuf *err);
/* *out: one allocation (free with tkv_free). */
enum tk_err tkv_sched_get_region(struct tkv_sched *s, const void *key, size_t key_len,
				 struct tkv_region_info **out, struct tk_errbuf *err);
enum tk_err tkv_sched_get_region_by_id(struct tkv_sched *s, uint64_t id,
				       struct tkv_region_info **out, struct tk_errbuf *err);
/* Regions from the one containing start, before end (NULL: no end), at
 * most limit (0: 100).  *out: an array of *n (one allocation). */
enum tk_err tkv_sched_scan_regions(struct tkv_sched *s, const void *start, size_t start_len,
				   const void *end, size_t end_len, uint32_t limit,
				   struct tkv_region_info **out, size_t *n, bool *more,
				   struct tk_errbuf *err);
/* new_peers has room for r->n_peers ids. */
enum tk_err tkv_sched_ask_split(struct tkv_sched *s, const struct tkv_region *r,
				uint64_t *new_region, uint64_t *new_peers, struct tk_errbuf *err);

/* ---- admin ---- */
enum tk_err tkv_sched_store_offline(struct tkv_sched *s, uint64_t id, bool cancel,
				    struct tk_errbuf *err);
enum tk_err tkv_sched_list_operators(struct tkv_sched *s, struct tkv_op_info **out, size_t *n,
				     struct tk_errbuf *err);
/* *active and *available: NULL-terminated arrays of names, one
 * allocation each (free with tkv_free). */
enum tk_err tkv_sched_list_schedulers(struct tkv_sched *s, char ***active, char ***available,
				      struct tk_errbuf *err);
enum tk_err tkv_sched_add_scheduler(struct tkv_sched *s, const char *name, struct tk_errbuf *err);
enum tk_err tkv_sched_remove_scheduler(struct tkv_sched *s, const char *name,
				       struct tk_errbuf *err);
/* name NULL: every setting.  *out: an array of *n (free with tkv_free). */
enum tk_err tkv_sched_get_config(struct tkv_sched *s, const char *name, struct tkv_setting **out,
				 size_t *n, struct tk_errbuf *err);
enum tk_err tkv_sched_set_config(struct tkv_sched *s, const char *name, const char *value,
				 struct tk_errbuf *err);

const char *tkv_step_kind_name(enum tkv_step_kind k); /* "add_peer", ... */

/* ---- asynchronous API ----------------------------------------------------
 *
 * A handle owns one connection at a time on the caller's event_base.
 * Connecting, the hello, sending, receiving, timeouts and reconnecting all
 * run from that loop; no call blocks it (a host name in cfg->address is
 * resolved once, by tkv_sched_async_new, with getaddrinfo: give a numeric
 * address in a reactor).
 *
 * Failures and reconnects: when the connection fails (refused, closed by
 * the scheduler, a bad frame, a hello refused for role or cluster) every
 * request in flight fails with the cause (TK_E_CONNECTION, TK_E_TIMEOUT,
 * TK_E_PROTOCOL, TK_E_VERSION_MISMATCH, TK_E_CLUSTER_MISMATCH); a failed
 * request is never retried (an alloc_ids or heartbeat may have been
 * applied).  The next request submitted opens a new connection: at once
 * when the last one had been up, otherwise after a wait that starts at
 * cfg->reconnect_min_ms and doubles up to cfg->reconnect_max_ms between
 * attempts; requests submitted meanwhile wait on the loop (bounded by
 * cfg->timeout_ms) and are sent once the hello is answered.  A scheduler
 * that is down at first therefore fails the first requests and serves
 * later ones once it is up, without the caller doing anything.
 *
 * Callback contract (as tkv_async_*, tinykv.h): when a request function
 * returns TK_E_OK its callback is called exactly once, from the loop (never
 * from inside the request function), with the result, a scheduler error,
 * TK_E_TIMEOUT (no reply within cfg->timeout_ms; a late reply is dropped),
 * a transport error, or TK_E_CLOSED (tkv_sched_async_free).  Otherwise the
 * callback is never called.  Callbacks may submit requests and may call
 * tkv_sched_async_free; they must not run the loop.
 *
 * Ownership: request inputs are borrowed for the call (encoded before it
 * returns).  The reply and everything it points to (message, store,
 * regions and their keys and peers, results, new_peers) is borrowed for
 * the duration of the callback: copy what you keep. */
struct tkv_sched_async;

struct tkv_sched_reply {
	enum tk_err code;                      /* TK_E_OK or the error */
	const char *message;                   /* "" on success */
	bool bootstrapped;                     /* is_bootstrapped */
	uint64_t first;                        /* alloc_ids, get_ts: the first of count */
	uint64_t count;                        /* alloc_ids, get_ts: how many were given */
	const struct tkv_store_info *store;    /* get_store */
	const struct tkv_region_info *regions; /* get_region(_by_id): one; scan_regions */
	size_t n_regions;
	bool more;     /* scan_regions */
	bool has_step; /* region_heartbeat */
	struct tkv_op_step step;
	const struct tkv_region_hb_result *results; /* region_heartbeats, one per beat */
	size_t n_results;
	uint64_t new_region; /* ask_split */
	const uint64_t *new_peers;
	size_t n_new_peers;
};
typedef void (*tkv_sched_cb)(void *arg, const struct tkv_sched_reply *r);

/* Create the handle and start connecting.  TK_E_BAD_CONFIG (address),
 * TK_E_CONNECTION (a host name that does not resolve), TK_E_NOMEM; a
 * scheduler that cannot be reached is no error here (see above).  cfg may
 * be NULL (defaults); its strings are copied. */
enum tk_err tkv_sched_async_new(struct event_base *base, const struct tkv_sched_config *cfg,
                                struct tkv_sched_async **out, struct tk_errbuf *err);
/* Close; callbacks of requests in flight are called (from inside this
 * call) with TK_E_CLOSED.  Safe inside a callback.  NULL is a no-op. */
void tkv_sched_async_free(struct tkv_sched_async *s);
/* True while a connection is up (its hello answered). */
bool tkv_sched_async_ready(const struct tkv_sched_async *s);
/* TK_E_OK while connecting or connected; after a failure of the current
 * connection, its code, with the reason copied into err (may be NULL). */
enum tk_err tkv_sched_async_error(const struct tkv_sched_async *s, struct tk_errbuf *err);
/* The cluster id from the last hello (0 before one). */
uint64_t tkv_sched_async_cluster_id(const struct tkv_sched_async *s);
/* Requests whose callback has not been called yet. */
size_t tkv_sched_async_in_flight(const struct tkv_sched_async *s);
/* The scheduler's description from the last hello reply ("" before one);
 * valid until the next call on s or return to the loop. */
const char *tkv_sched_async_server_name(const struct tkv_sched_async *s);

/* Requests: each returns TK_E_OK (the callback will be called),
 * TK_E_TOO_LARGE, TK_E_NOMEM, or TK_E_BAD_REQUEST for an argument no
 * scheduler would accept; results as in the blocking calls above. */
enum tk_err tkv_sched_async_is_bootstrapped(struct tkv_sched_async *s, tkv_sched_cb cb, void *arg);
enum tk_err tkv_sched_async_bootstrap(struct tkv_sched_async *s, uint64_t store_id,
                                      const char *store_addr, const struct tkv_region *first,
                                      tkv_sched_cb cb, void *arg);
enum tk_err tkv_sched_async_alloc_ids(struct tkv_sched_async *s, uint64_t count, tkv_sched_cb cb,
                                      void *arg);
enum tk_err tkv_sched_async_get_ts(struct tkv_sched_async *s, uint64_t count, tkv_sched_cb cb,
                                   void *arg);
enum tk_err tkv_sched_async_put_store(struct tkv_sched_async *s, uint64_t id, const char *addr,
                                      tkv_sched_cb cb, void *arg);
enum tk_err tkv_sched_async_get_store(struct tkv_sched_async *s, uint64_t id, tkv_sched_cb cb,
                                      void *arg);
enum tk_err tkv_sched_async_store_heartbeat(struct tkv_sched_async *s,
                                            const struct tkv_store_stats *st, tkv_sched_cb cb,
                                            void *arg);
enum tk_err tkv_sched_async_region_heartbeat(struct tkv_sched_async *s,
                                             const struct tkv_region_hb *hb, tkv_sched_cb cb,
                                             void *arg);
/* n beats (at most 10,000) in one request; r->results[i] answers hbs[i]. */
enum tk_err tkv_sched_async_region_heartbeats(struct tkv_sched_async *s,
                                              const struct tkv_region_hb *hbs, size_t n,
                                              tkv_sched_cb cb, void *arg);
enum tk_err tkv_sched_async_get_region(struct tkv_sched_async *s, const void *key, size_t key_len,
                                       tkv_sched_cb cb, void *arg);
enum tk_err tkv_sched_async_get_region_by_id(struct tkv_sched_async *s, uint64_t id,
                                             tkv_sched_cb cb, void *arg);
/* end NULL: no end; limit 0: 100. */
enum tk_err tkv_sched_async_scan_regions(struct tkv_sched_async *s, const void *start,
                                         size_t start_len, const void *end, size_t end_len,
                                         uint32_t limit, tkv_sched_cb cb, void *arg);
enum tk_err tkv_sched_async_ask_split(struct tkv_sched_async *s, const struct tkv_region *r,
                                      tkv_sched_cb cb, void *arg);

#ifdef __cplusplus
}
#endif
#endif
