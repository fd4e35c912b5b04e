/* libtinykv's router: how the blocking client (and the transaction client
 * over it) sends one logical request to the leader of the right region,
 * retrying under a total deadline.  Not installed.
 *
 * A request is described by a route_op: the key that locates its region
 * and a build function that fills the request body for the region found
 * (restricting keys or ranges to it) and sets its `ctx`.  route_call
 * repeats attempts until one succeeds, one fails for good, or the budget
 * (deadline, attempts) is spent:
 *   locate   the region of the key: the cache, else the scheduler (when
 *            configured); none known: the request goes unrouted (no ctx)
 *            to the configured store or the last leader hint;
 *   target   the leader believed in, else the region's peers in turn;
 *            store addresses from the cache, else the scheduler;
 *   outcome  region errors update the cache and retry (NOT_LEADER with a
 *            hint goes straight to the leader, without the scheduler);
 *            SERVER_IS_BUSY and STALE_COMMAND back off and retry;
 *            transport failures try the next peer.
 * What may be retried depends on the kind (route_kind). */
#ifndef TK_CLIENT_ROUTE_H
#define TK_CLIENT_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/client_int.h"
#include "client/region_cache.h"

/* What a retry may do to the data.  An attempt whose request was sent but
 * whose reply never came (a timeout, a connection lost, SHUTTING_DOWN) may
 * or may not have been applied:
 *   READ        changes nothing: always retried;
 *   WRITE       idempotent (put, delete, batches, transactional commands:
 *               applying twice leaves what applying once leaves): retried,
 *               and if the call fails in the end it fails with
 *               TK_E_UNKNOWN_OUTCOME;
 *   WRITE_ONCE  not idempotent (CAS: a second apply compares against the
 *               first's result): never retried after such an attempt; the
 *               call fails with TK_E_UNKNOWN_OUTCOME at once.
 * Region errors (NOT_LEADER, EPOCH_NOT_MATCH, REGION_NOT_FOUND,
 * KEY_NOT_IN_REGION, STORE_NOT_MATCH, SERVER_IS_BUSY, STALE_COMMAND) say the
 * command was not applied, so every kind retries them. */
enum route_kind { ROUTE_READ, ROUTE_WRITE, ROUTE_WRITE_ONCE };

/* Fill the request body for region r (NULL: unrouted, the whole request)
 * with ctx (NULL when unrouted; else borrowed until the reply) and return
 * it.  Called before every attempt; NULL means out of memory. */
typedef const void *(*route_build_fn)(void *arg, const struct rc_region *r,
                                      struct tk_region_ctx *ctx);

struct route_op {
	enum tk_msg_type type;
	uint8_t flags; /* TKV_PF_* */
	enum route_kind kind;
	const void *key; /* locates the region */
	size_t key_len;
	/* reverse scans: locate the region holding the keys just below key
	 * (below +inf when before_inf), looking up [range_start, key) */
	bool before, before_inf;
	const void *range_start;
	size_t range_start_len;
	/* the request is for one region as it was (its ctx names an epoch
	 * the caller chose): a region error that changes the region
	 * (EPOCH_NOT_MATCH, KEY_NOT_IN_REGION, REGION_NOT_FOUND) ends the call
	 * instead of rerouting it */
	bool pinned;
	route_build_fn build;
	void *arg;
};

/* A connection of the pool: one store address. */
#define ROUTE_MAX_CONNS 16
struct route_conn {
	char addr[256];
	struct tkv_async *a; /* NULL: a free slot */
	uint64_t store_id;   /* from the hello reply (0: not told) */
	char sched[128];     /* the store's scheduler, from the hello reply ("": none) */
	uint64_t used;       /* for evicting the least recently used */
};

struct tkv_sched;
/* The blocking client (tinykv.h): a private event_base, a connection per
 * store it talks to, the scheduler client when configured, the cache. */
struct tkv_client {
	struct event_base *base;
	struct tkv_config cfg;
	char address[256]; /* the configured store ("" with a scheduler only) */
	char sched_addr[256];
	char name[128];
	char hint_addr[256]; /* unrouted requests: the last leader named */
	struct route_conn conns[ROUTE_MAX_CONNS];
	uint64_t use_clock;
	struct tkv_sched *sched; /* NULL: none, or not reached yet (sched_addr set) */
	struct rc_cache *cache;
	char server_name[128];
	struct tkv_region_error *last_rerr; /* the last call's, or NULL */
	uint64_t rng;
	uint64_t sched_calls;         /* routing requests to the scheduler (tests) */
	uint64_t no_cluster_until_ns; /* the scheduler had no cluster: unrouted until */
};

/* The connection to addr, connected and ready (made, or remade after a
 * failure); timeout_ms bounds the connect (0: the configured one). */
enum tk_err route_conn_get(struct tkv_client *c, const char *addr, unsigned timeout_ms,
                           struct route_conn **out, struct tk_errbuf *err);
/* Connect c->sched to c->sched_addr (c->sched NULL on failure). */
enum tk_err route_sched_connect(struct tkv_client *c, struct tk_errbuf *err);
/* One request on conn, waiting at most timeout_ms for the reply: the
 * result, the server's error (its region error detail in c->last_rerr) or
 * a transport error.  *sent says whether the request was queued on the
 * connection (false: refused before, e.g. a connection found dead). */
enum tk_err route_conn_call(struct tkv_client *c, struct route_conn *conn, enum tk_msg_type type,
                            const void *body, uint8_t flags, unsigned timeout_ms, tkv_body_fn fn,
                            void *fn_arg, bool *sent, struct tk_errbuf *err);

/* One API call's budget, shared by the requests it makes (a scan across
 * regions, a batch split per region, a transaction's commit). */
struct route_budget {
	uint64_t deadline_ns; /* 0: none */
	unsigned attempts;
	unsigned sleep_ms; /* the next backoff before jitter */
	bool unknown;      /* an attempt's outcome is unknown */
};
void route_budget_init(const struct tkv_client *c, struct route_budget *b);

/* Send op until it succeeds or fails for good (see the top).  fn sees the
 * decoded reply body on success.  On failure err holds the code and the
 * reason; tkv_last_region_error(c) the last region error's detail. */
enum tk_err route_call(struct tkv_client *c, struct route_budget *b, const struct route_op *op,
                       tkv_body_fn fn, void *fn_arg, struct tk_errbuf *err);

/* route_call for a request about one key: body is the same whatever the
 * region, *ctx (the body's ctx field) is set before each attempt; the
 * call's own budget. */
enum tk_err route_call_key(struct tkv_client *c, enum tk_msg_type type, enum route_kind kind,
                           void *body, struct tk_region_ctx **ctx, struct tk_slice key,
                           tkv_body_fn fn, void *fn_arg, struct tk_errbuf *err);

#endif
