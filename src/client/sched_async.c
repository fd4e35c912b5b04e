/* The asynchronous scheduler client (tinykv_sched.h): the KV client's
 * connection engine (async.c) with the hello role "store" or "client", a
 * hello check (a scheduler, of our cluster), typed requests whose replies
 * are turned into the public types, and reconnection with backoff.
 *
 * One connection at a time.  A failed connection is not replaced at once
 * but when the next request comes (a store heartbeats every few seconds;
 * an idle handle costs nothing while the scheduler is down): the new one
 * waits on the loop for the backoff, counted from the previous attempt's
 * failure, and queues requests meanwhile.  Requests never move from a failed
 * connection to the next one: those in flight fail with the cause.
 *
 * Ownership across callbacks: each request carries a small heap context
 * (the caller's callback and what the reply conversion needs), freed by the
 * trampoline after the caller's callback returns.  The trampoline never
 * touches the handle after calling back, so a callback may free it. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "client/sched_conv.h"
#include "codec/codec.h"
#include "tinykv_sched.h"
#include "util/arena.h"
#include "util/clock.h"
#include "util/err.h"

struct tkv_sched_async {
	struct event_base *base;
	struct tkv_sched_config cfg;
	char address[256], role[16], name[128];
	struct tkv_addrs addrs;
	struct tkv_async *conn;
	bool conn_up;        /* conn's hello was accepted */
	unsigned fails;      /* connection attempts in a row that never got up */
	uint64_t failed_ms;  /* when the last connection failed */
	uint64_t cluster_id;
	bool closing;
};

/* One request in flight. */
struct req {
	tkv_sched_cb cb;
	tkv_async_cb raw_cb; /* internal calls: the raw reply */
	void *arg;
	enum tk_msg_type type;
	size_t n; /* region_heartbeats: beats sent; ask_split: peers */
};

static uint64_t now_ms(void)
{
	return tk_mono_ns() / 1000000u;
}

void tkv_sched_config_default(struct tkv_sched_config *c)
{
	memset(c, 0, sizeof *c);
	c->address = "127.0.0.1:2379";
	c->role = "client";
	c->name = "libtinykv";
	c->connect_timeout_ms = 3000;
	c->timeout_ms = 10000;
	c->reconnect_min_ms = 100;
	c->reconnect_max_ms = 5000;
}

const char *tkv_step_kind_name(enum tkv_step_kind k)
{
	switch (k) {
	case TKV_STEP_ADD_PEER:
		return "add_peer";
	case TKV_STEP_REMOVE_PEER:
		return "remove_peer";
	case TKV_STEP_TRANSFER_LEADER:
		return "transfer_leader";
	}
	return "unknown";
}

/* The hello reply must come from a scheduler of our cluster. */
static enum tk_err check_hello(void *arg, const struct tk_hello_resp *h, struct tk_errbuf *err)
{
	struct tkv_sched_async *s = arg;
	if (!tk_slice_eq(h->role, tk_slice_str("scheduler")))
		return tk_err_set(err, TK_E_VERSION_MISMATCH, "%s is a %.*s, not a scheduler",
		                  s->address, (int)h->role.n, (const char *)h->role.p);
	if (s->cfg.cluster_id && h->cluster_id != s->cfg.cluster_id)
		return tk_err_set(err, TK_E_CLUSTER_MISMATCH,
		                  "%s serves cluster %llu, not cluster %llu", s->address,
		                  (unsigned long long)h->cluster_id,
		                  (unsigned long long)s->cfg.cluster_id);
	s->cluster_id = h->cluster_id;
	s->conn_up = true;
	s->fails = 0;
	return TK_OK;
}

/* Open a connection, from the loop, after the backoff the failed attempts
 * so far call for. */
static enum tk_err open_conn(struct tkv_sched_async *s, struct tk_errbuf *err)
{
	unsigned wait = 0;
	if (s->fails > 0) {
		uint64_t w = s->cfg.reconnect_min_ms;
		for (unsigned i = 1; i < s->fails && w < s->cfg.reconnect_max_ms; i++)
			w *= 2;
		wait = (unsigned)(w < s->cfg.reconnect_max_ms ? w : s->cfg.reconnect_max_ms);
	}
	uint64_t now = now_ms(), at = s->failed_ms + wait;
	struct tkv_config kc;
	tkv_config_default(&kc);
	kc.address = s->address;
	kc.name = s->name;
	kc.connect_timeout_ms = s->cfg.connect_timeout_ms;
	kc.timeout_ms = s->cfg.timeout_ms;
	struct tkv_conn_opts o = {.role = s->role,
	                          .deferred = true,
	                          .delay_ms = at > now ? (unsigned)(at - now) : 0,
	                          .addrs = &s->addrs,
	                          .check = check_hello,
	                          .check_arg = s};
	s->conn_up = false;
	return tkv_async_open(s->base, &kc, &o, &s->conn, err);
}

/* The connection to queue a request on: the current one, or a new one in
 * place of a failed one. */
static enum tk_err ensure(struct tkv_sched_async *s)
{
	if (s->closing)
		return TK_E_CLOSED;
	if (s->conn && tkv_async_error(s->conn, NULL) == TK_OK)
		return TK_OK;
	if (s->conn) {
		if (!s->conn_up)
			s->fails++;
		s->failed_ms = tkv_async_failed_ms(s->conn);
		tkv_async_free(s->conn);
		s->conn = NULL;
	}
	struct tk_errbuf eb;
	return open_conn(s, &eb);
}

enum tk_err tkv_sched_async_new(struct event_base *base, const struct tkv_sched_config *cfg,
                                struct tkv_sched_async **out, struct tk_errbuf *err)
{
	struct tkv_sched_async *s = calloc(1, sizeof *s);
	if (!s)
		return tk_err_set(err, TK_E_NOMEM, "allocating a scheduler client");
	tkv_sched_config_default(&s->cfg);
	if (cfg) {
		s->cfg = *cfg;
		if (!cfg->address)
			s->cfg.address = "127.0.0.1:2379";
		if (!cfg->role)
			s->cfg.role = "client";
		if (!cfg->name)
			s->cfg.name = "libtinykv";
	}
	snprintf(s->address, sizeof s->address, "%s", s->cfg.address);
	snprintf(s->role, sizeof s->role, "%s", s->cfg.role);
	snprintf(s->name, sizeof s->name, "%s", s->cfg.name);
	s->cfg.address = s->address;
	s->cfg.role = s->role;
	s->cfg.name = s->name;
	s->base = base;
	enum tk_err e = tkv_addr_resolve(s->address, &s->addrs, err);
	if (!e)
		e = open_conn(s, err);
	if (e) {
		free(s);
		return e;
	}
	*out = s;
	return TK_OK;
}

void tkv_sched_async_free(struct tkv_sched_async *s)
{
	if (!s || s->closing)
		return;
	s->closing = true; /* callbacks of the CLOSED requests may not queue more */
	tkv_async_free(s->conn);
	free(s);
}

bool tkv_sched_async_ready(const struct tkv_sched_async *s)
{
	return s->conn && tkv_async_ready(s->conn);
}

enum tk_err tkv_sched_async_error(const struct tkv_sched_async *s, struct tk_errbuf *err)
{
	return s->conn ? tkv_async_error(s->conn, err) : TK_OK;
}

uint64_t tkv_sched_async_cluster_id(const struct tkv_sched_async *s)
{
	return s->cluster_id;
}

size_t tkv_sched_async_in_flight(const struct tkv_sched_async *s)
{
	return s->conn ? tkv_async_in_flight(s->conn) : 0;
}

const char *tkv_sched_async_server_name(const struct tkv_sched_async *s)
{
	return s->conn ? tkv_async_server_name(s->conn) : "";
}

/* ---- replies ---- */

/* Fill the typed fields of out from a successful reply body; an error
 * (a reply this library cannot use) goes to err. */
static enum tk_err convert(const struct req *q, const void *body, struct tk_arena *ar,
                           struct tkv_sched_reply *out, struct tk_errbuf *err)
{
	switch (q->type) {
	case TK_MSG_is_bootstrapped:
		out->bootstrapped = ((const struct tk_is_bootstrapped_resp *)body)->bootstrapped;
		return TK_OK;
	case TK_MSG_alloc_id:
		out->first = ((const struct tk_alloc_id_resp *)body)->id;
		out->count = ((const struct tk_alloc_id_resp *)body)->count;
		return TK_OK;
	case TK_MSG_get_ts:
		out->first = ((const struct tk_get_ts_resp *)body)->ts;
		out->count = ((const struct tk_get_ts_resp *)body)->count;
		return TK_OK;
	case TK_MSG_get_store: {
		const struct tk_get_store_resp *r = body;
		struct tkv_store_info *st = tk_arena_alloc(ar, sizeof *st);
		if (!st)
			return tk_err_set(err, TK_E_NOMEM, "out of memory");
		if (!r->store)
			return tk_err_set(err, TK_E_PROTOCOL, "get_store reply without a store");
		tkv_sconv_store_out(r->store, st);
		out->store = st;
		return TK_OK;
	}
	case TK_MSG_region_heartbeat: {
		const struct tk_region_heartbeat_resp *r = body;
		if (!r->step)
			return TK_OK;
		out->has_step = true;
		return tkv_sconv_step_out(r->step, &out->step, err);
	}
	case TK_MSG_region_heartbeats: {
		const struct tk_region_heartbeats_resp *r = body;
		if (r->results.n != q->n)
			return tk_err_set(err, TK_E_PROTOCOL, "%u results for %zu heartbeats",
			                  r->results.n, q->n);
		struct tkv_region_hb_result *v = tk_arena_alloc(ar, sizeof *v * (q->n ? q->n : 1));
		if (!v)
			return tk_err_set(err, TK_E_NOMEM, "out of memory");
		for (size_t i = 0; i < q->n; i++) {
			const struct tk_sched_hb_result *w = &r->results.v[i];
			memset(&v[i], 0, sizeof v[i]);
			v[i].region_id = w->region;
			if (w->error) {
				int known;
				v[i].code = tk_err_from_name((const char *)w->error->code.p,
				                             w->error->code.n, &known);
				snprintf(v[i].message, sizeof v[i].message, "%.*s",
				         (int)w->error->msg.n, (const char *)w->error->msg.p);
			}
			if (w->step) {
				enum tk_err e = tkv_sconv_step_out(w->step, &v[i].step, err);
				if (e)
					return e;
				v[i].has_step = true;
			}
		}
		out->results = v;
		out->n_results = q->n;
		return TK_OK;
	}
	case TK_MSG_get_region:
	case TK_MSG_get_region_by_id: {
		struct tkv_region_info *ri = tk_arena_alloc(ar, sizeof *ri);
		if (!ri)
			return tk_err_set(err, TK_E_NOMEM, "out of memory");
		enum tk_err e = tkv_sconv_region_view(ar, body, ri, err);
		out->regions = ri;
		out->n_regions = e ? 0 : 1;
		return e;
	}
	case TK_MSG_scan_regions: {
		const struct tk_scan_regions_resp *r = body;
		size_t n = r->regions.n;
		struct tkv_region_info *v = tk_arena_alloc(ar, sizeof *v * (n ? n : 1));
		if (!v)
			return tk_err_set(err, TK_E_NOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			enum tk_err e = tkv_sconv_region_view(ar, &r->regions.v[i], &v[i], err);
			if (e)
				return e;
		}
		out->regions = v;
		out->n_regions = n;
		out->more = r->more;
		return TK_OK;
	}
	case TK_MSG_ask_split: {
		const struct tk_ask_split_resp *r = body;
		if (r->new_peers.n != q->n)
			return tk_err_set(err, TK_E_PROTOCOL,
			                  "ask_split: %u peer ids for %zu peers", r->new_peers.n,
			                  q->n);
		out->new_region = r->new_region;
		out->new_peers = r->new_peers.v;
		out->n_new_peers = r->new_peers.n;
		return TK_OK;
	}
	default:
		return TK_OK;
	}
}

static void on_reply(void *arg, const struct tkv_reply *r)
{
	struct req *q = arg;
	if (q->raw_cb) {
		q->raw_cb(q->arg, r);
		free(q);
		return;
	}
	struct tkv_sched_reply out;
	memset(&out, 0, sizeof out);
	out.code = r->code;
	out.message = r->message ? r->message : "";
	struct tk_arena ar;
	tk_arena_init(&ar);
	struct tk_errbuf eb;
	if (!r->code && (out.code = convert(q, r->body, &ar, &out, &eb)))
		out.message = eb.msg;
	tkv_sched_cb cb = q->cb;
	void *cb_arg = q->arg;
	free(q);
	cb(cb_arg, &out);
	tk_arena_destroy(&ar);
}

static enum tk_err submit(struct tkv_sched_async *s, enum tk_msg_type type, const void *body,
                          struct req *q)
{
	enum tk_err e = ensure(s);
	if (e)
		return e;
	struct req *h = malloc(sizeof *h);
	if (!h)
		return TK_E_NOMEM;
	*h = *q;
	h->type = type;
	e = tkv_async_submit(s->conn, type, body, 0, s->cfg.timeout_ms, on_reply, h, NULL);
	if (e)
		free(h);
	return e;
}

static enum tk_err typed(struct tkv_sched_async *s, enum tk_msg_type type, const void *body,
                         size_t n, tkv_sched_cb cb, void *arg)
{
	struct req q = {.cb = cb, .arg = arg, .n = n};
	return submit(s, type, body, &q);
}

enum tk_err tkv_sched_async_call(struct tkv_sched_async *s, enum tk_msg_type type, const void *body,
                                 tkv_async_cb cb, void *arg)
{
	struct req q = {.raw_cb = cb, .arg = arg};
	return submit(s, type, body, &q);
}

uint64_t tkv_sched_async_config_cluster(const struct tkv_sched_async *s)
{
	return s->cfg.cluster_id;
}

/* ---- typed requests ---- */

enum tk_err tkv_sched_async_is_bootstrapped(struct tkv_sched_async *s, tkv_sched_cb cb, void *arg)
{
	struct tk_empty req = {0};
	return typed(s, TK_MSG_is_bootstrapped, &req, 0, cb, arg);
}

enum tk_err tkv_sched_async_bootstrap(struct tkv_sched_async *s, uint64_t store_id,
                                      const char *store_addr, const struct tkv_region *first,
                                      tkv_sched_cb cb, void *arg)
{
	struct tk_arena ar;
	tk_arena_init(&ar);
	struct tk_sched_store st;
	memset(&st, 0, sizeof st);
	st.id = store_id;
	st.addr = tk_slice_str(store_addr ? store_addr : "");
	struct tk_bootstrap_req req = {
	    .cluster = s->cfg.cluster_id, .store = &st, .region = tkv_sconv_region_in(&ar, first)};
	enum tk_err e = req.region ? typed(s, TK_MSG_bootstrap, &req, 0, cb, arg) : TK_E_NOMEM;
	tk_arena_destroy(&ar);
	return e;
}

enum tk_err tkv_sched_async_alloc_ids(struct tkv_sched_async *s, uint64_t count, tkv_sched_cb cb,
                                      void *arg)
{
	struct tk_alloc_id_req req = {.count = count};
	return typed(s, TK_MSG_alloc_id, &req, 0, cb, arg);
}

enum tk_err tkv_sched_async_get_ts(struct tkv_sched_async *s, uint64_t count, tkv_sched_cb cb,
                                   void *arg)
{
	struct tk_get_ts_req req = {.count = count};
	return typed(s, TK_MSG_get_ts, &req, 0, cb, arg);
}

enum tk_err tkv_sched_async_put_store(struct tkv_sched_async *s, uint64_t id, const char *addr,
                                      tkv_sched_cb cb, void *arg)
{
	struct tk_sched_store st;
	memset(&st, 0, sizeof st);
	st.id = id;
	st.addr = tk_slice_str(addr ? addr : "");
	struct tk_put_store_req req = {.cluster = s->cfg.cluster_id, .store = &st};
	return typed(s, TK_MSG_put_store, &req, 0, cb, arg);
}

enum tk_err tkv_sched_async_get_store(struct tkv_sched_async *s, uint64_t id, tkv_sched_cb cb,
                                      void *arg)
{
	struct tk_get_store_req req = {.id = id};
	return typed(s, TK_MSG_get_store, &req, 0, cb, arg);
}

enum tk_err tkv_sched_async_store_heartbeat(struct tkv_sched_async *s,
                                            const struct tkv_store_stats *st, tkv_sched_cb cb,
                                            void *arg)
{
	struct tk_store_heartbeat_req req;
	memset(&req, 0, sizeof req);
	req.cluster = s->cfg.cluster_id;
	req.store = st->store_id;
	req.capacity = st->capacity;
	req.available = st->available;
	req.used = st->used;
	req.regions = st->regions;
	req.sending_snaps = st->sending_snaps;
	req.receiving_snaps = st->receiving_snaps;
	req.applying_snaps = st->applying_snaps;
	req.busy = st->busy;
	return typed(s, TK_MSG_store_heartbeat, &req, 0, cb, arg);
}

enum tk_err tkv_sched_async_region_heartbeat(struct tkv_sched_async *s,
                                             const struct tkv_region_hb *hb, tkv_sched_cb cb,
                                             void *arg)
{
	struct tk_arena ar;
	tk_arena_init(&ar);
	struct tk_region_heartbeat_req req;
	enum tk_err e = tkv_sconv_hb_in(&ar, s->cfg.cluster_id, hb, &req)
	                    ? typed(s, TK_MSG_region_heartbeat, &req, 0, cb, arg)
	                    : TK_E_NOMEM;
	tk_arena_destroy(&ar);
	return e;
}

enum tk_err tkv_sched_async_region_heartbeats(struct tkv_sched_async *s,
                                              const struct tkv_region_hb *hbs, size_t n,
                                              tkv_sched_cb cb, void *arg)
{
	if (n > 10000)
		return TK_E_TOO_LARGE;
	struct tk_arena ar;
	tk_arena_init(&ar);
	enum tk_err e = TK_E_NOMEM;
	struct tk_region_heartbeat_req *beats = tk_arena_alloc(&ar, sizeof *beats * (n ? n : 1));
	size_t i = 0;
	while (beats && i < n && tkv_sconv_hb_in(&ar, s->cfg.cluster_id, &hbs[i], &beats[i]))
		i++;
	if (beats && i == n) {
		struct tk_region_heartbeats_req req = {.cluster = s->cfg.cluster_id,
		                                       .beats = {beats, (uint32_t)n}};
		e = typed(s, TK_MSG_region_heartbeats, &req, n, cb, arg);
	}
	tk_arena_destroy(&ar);
	return e;
}

enum tk_err tkv_sched_async_get_region(struct tkv_sched_async *s, const void *key, size_t key_len,
                                       tkv_sched_cb cb, void *arg)
{
	struct tk_get_region_req req = {.key = tk_slice_of(key_len ? key : "", key_len)};
	return typed(s, TK_MSG_get_region, &req, 0, cb, arg);
}

enum tk_err tkv_sched_async_get_region_by_id(struct tkv_sched_async *s, uint64_t id,
                                             tkv_sched_cb cb, void *arg)
{
	struct tk_get_region_by_id_req req = {.id = id};
	return typed(s, TK_MSG_get_region_by_id, &req, 0, cb, arg);
}

enum tk_err tkv_sched_async_scan_regions(struct tkv_sched_async *s, const void *start,
                                         size_t start_len, const void *end, size_t end_len,
                                         uint32_t limit, tkv_sched_cb cb, void *arg)
{
	struct tk_scan_regions_req req = {.start = tk_slice_of(start_len ? start : "", start_len),
	                                  .limit = limit};
	if (end && end_len)
		req.end = tk_slice_of(end, end_len);
	return typed(s, TK_MSG_scan_regions, &req, 0, cb, arg);
}

enum tk_err tkv_sched_async_ask_split(struct tkv_sched_async *s, const struct tkv_region *r,
                                      tkv_sched_cb cb, void *arg)
{
	struct tk_arena ar;
	tk_arena_init(&ar);
	struct tk_ask_split_req req = {.region = tkv_sconv_region_in(&ar, r)};
	enum tk_err e =
	    req.region ? typed(s, TK_MSG_ask_split, &req, r->n_peers, cb, arg) : TK_E_NOMEM;
	tk_arena_destroy(&ar);
	return e;
}
