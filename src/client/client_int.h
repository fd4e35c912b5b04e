/* libtinykv internals shared by the async engine, the blocking API and the
 * unit tests.  Not installed. */
#ifndef TK_CLIENT_CLIENT_INT_H
#define TK_CLIENT_CLIENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "codec/schema.h"
#include "tinykv.h"

#define TKV_DEFAULT_PORT 20160
#define TKV_MAX_ADDRS 8

/* Split "host:port", "[v6addr]:port", "host" (default port) into host and
 * port.  TK_E_BAD_CONFIG on an empty host, a bad or zero port, an unclosed
 * bracket or a host longer than hostcap - 1. */
enum tk_err tkv_addr_split(const char *addr, char *host, size_t hostcap, uint16_t *port,
			   struct tk_errbuf *err);

struct tkv_addrs {
	struct sockaddr_storage sa[TKV_MAX_ADDRS];
	socklen_t len[TKV_MAX_ADDRS];
	int n;
};
/* Resolve addr into at most TKV_MAX_ADDRS socket addresses (numeric hosts
 * without a lookup; names through getaddrinfo, which may block).
 * TK_E_BAD_CONFIG for a malformed address, TK_E_CONNECTION when the name does
 * not resolve. */
enum tk_err tkv_addr_resolve(const char *addr, struct tkv_addrs *out, struct tk_errbuf *err);

/* Judge the server's hello reply before the connection counts as ready:
 * return TK_OK, or an error code with the reason in err (the connection
 * then fails with it). */
struct tk_hello_resp;
typedef enum tk_err (*tkv_hello_check)(void *arg, const struct tk_hello_resp *h,
                                       struct tk_errbuf *err);

/* What a layer above the KV client asks of its connection (the scheduler
 * client, sched_async.c). */
struct tkv_conn_opts {
	const char *role;              /* hello role; NULL: "client" */
	bool deferred;                 /* connect from the loop, so that even an
	                                * immediate refusal fails the handle there */
	unsigned delay_ms;             /* wait this long on the loop before connecting */
	const struct tkv_addrs *addrs; /* already resolved; NULL: resolve cfg->address */
	tkv_hello_check check;         /* NULL: any tinykv server will do */
	void *check_arg;
};
/* tkv_async_new with options (o may be NULL).  With addrs or a numeric
 * address it never blocks; with delay_ms the connect starts from the loop
 * and its failure fails the handle there. */
enum tk_err tkv_async_open(struct event_base *base, const struct tkv_config *cfg,
                           const struct tkv_conn_opts *o, struct tkv_async **out,
                           struct tk_errbuf *err);

/* Like tkv_async_new but over an already connected stream socket (the
 * handle owns fd from then on, even on failure).  The hello is sent at once.
 * Used by the unit tests with a socketpair. */
enum tk_err tkv_async_new_fd(struct event_base *base, const struct tkv_config *cfg, int fd,
			     struct tkv_async **out, struct tk_errbuf *err);

/* Queue one request of any type whose body is the generated request struct
 * `body` (borrowed for the call).  *id (may be NULL) receives the request
 * id.  timeout_ms overrides the handle's per-request timeout (0 = none).
 * Errors as the public tkv_async_* functions: the callback is called iff
 * TK_E_OK is returned. */
enum tk_err tkv_async_submit(struct tkv_async *a, enum tk_msg_type type, const void *body,
			     uint8_t flags, unsigned timeout_ms, tkv_async_cb cb, void *arg,
			     uint64_t *id);
/* The raw_cas request of tkv_cas / tkv_async_cas (operands borrowed).
 * TK_E_BAD_REQUEST for unknown flags. */
enum tk_err tkv_cas_req_of(struct tk_raw_cas_req *b, const void *key, size_t key_len,
			   const void *expect, size_t expect_len, const void *value, size_t value_len,
			   unsigned flags);
/* Drop a request without calling its callback (a reply arriving later is
 * ignored).  Returns false when the id is not in flight. */
bool tkv_async_forget(struct tkv_async *a, uint64_t id);
/* When the handle failed (monotonic ms), 0 while it has not. */
uint64_t tkv_async_failed_ms(const struct tkv_async *a);
/* The event base the handle runs on. */
struct event_base *tkv_async_base(const struct tkv_async *a);
/* The per-request timeout configured for the handle. */
unsigned tkv_async_timeout_ms(const struct tkv_async *a);

/* Blocking calls of any message through a tkv_client: route.h (route_call). */
struct tkv_client;
typedef enum tk_err (*tkv_body_fn)(void *arg, const void *body, struct tk_errbuf *err);

/* region_error.c: region errors handed to callers.  Whether code is one of
 * the six region error codes of struct tkv_region_error. */
bool tkv_is_region_error(enum tk_err code);
/* A view of the error object w for code: regions, peers and NUL-terminated
 * strings allocated in a, key and region bounds pointing into w.  False when
 * out of memory. */
struct tk_arena;
bool tkv_region_error_view(struct tk_arena *a, enum tk_err code, const struct tk_error *w,
                           struct tkv_region_error *out);
/* A deep copy of in, in one malloc'ed block (free()), or NULL when out of
 * memory. */
struct tkv_region_error *tkv_region_error_pack(const struct tkv_region_error *in);

/* The scheduler client's raw call: any request type with its generated
 * body; cb sees the decoded reply body in reply->body.  Contract of the
 * public tkv_sched_async_* requests. */
struct tkv_sched_async;
enum tk_err tkv_sched_async_call(struct tkv_sched_async *s, enum tk_msg_type type, const void *body,
                                 tkv_async_cb cb, void *arg);
/* The cluster id the handle was configured with (cfg.cluster_id). */
uint64_t tkv_sched_async_config_cluster(const struct tkv_sched_async *s);

#endif
