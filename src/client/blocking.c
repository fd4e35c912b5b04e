/* The blocking API: each tkv_client owns a private event_base and one async
 * handle per store it talks to (route.h's pool); a request is queued on one
 * and the base runs until its callback has fired.  Timeouts, errors and
 * decoding are therefore exactly those of the async engine.  Which store,
 * and what happens after a failure, is route.c's business: this file
 * holds the connections and the public calls. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/pending.h"
#include "client/route.h"
#include "tinykv_sched.h"
#include "util/clock.h"
#include "util/err.h"

/* Where one request's callback puts its outcome. */
struct call {
	struct tkv_client *client;
	bool done;
	enum tk_err code;
	struct tk_errbuf *err;
	tkv_body_fn body_fn;
	void *body_arg;
};

static void on_reply(void *arg, const struct tkv_reply *r)
{
	struct call *c = arg;
	c->done = true;
	c->code = r->code;
	if (r->code) {
		tk_err_set(c->err, r->code, "%s", r->message && *r->message ? r->message
									: tk_strerror(r->code));
		if (r->region_error && !(c->client->last_rerr = tkv_region_error_pack(r->region_error)))
			c->code = tk_err_set(c->err, TK_E_NOMEM, "out of memory copying the reply");
		return;
	}
	if (c->body_fn)
		c->code = c->body_fn(c->body_arg, r->body, c->err);
}

/* Records the store id and the scheduler a store names in its hello reply. */
static enum tk_err note_store_id(void *arg, const struct tk_hello_resp *h, struct tk_errbuf *err)
{
	(void)err;
	struct route_conn *k = arg;
	k->store_id = h->store_id;
	size_t n = h->scheduler.p && h->scheduler.n < sizeof k->sched ? h->scheduler.n : 0;
	if (n)
		memcpy(k->sched, h->scheduler.p, n);
	k->sched[n] = 0;
	return TK_OK;
}

static void conn_drop(struct route_conn *k)
{
	tkv_async_free(k->a);
	k->a = NULL;
	k->store_id = 0;
}

enum tk_err route_conn_get(struct tkv_client *c, const char *addr, unsigned timeout_ms,
                           struct route_conn **out, struct tk_errbuf *err)
{
	struct route_conn *k = NULL, *lru = &c->conns[0];
	for (size_t i = 0; i < ROUTE_MAX_CONNS; i++) {
		if (c->conns[i].a && strcmp(c->conns[i].addr, addr) == 0)
			k = &c->conns[i];
		if (!c->conns[i].a ? lru->a != NULL || c->conns[i].used < lru->used
		                   : lru->a && c->conns[i].used < lru->used)
			lru = &c->conns[i];
	}
	/* The loop does not run between calls, so a close by the server (its
	 * idle timeout, a restart) is noticed here, before a request is risked
	 * on the dead connection: then we reconnect instead of failing. */
	if (k) {
		event_base_loop(c->base, EVLOOP_NONBLOCK);
		if (tkv_async_error(k->a, NULL) != TK_OK)
			conn_drop(k);
	}
	if (!k || !k->a) {
		k = k ? k : lru;
		conn_drop(k);
		snprintf(k->addr, sizeof k->addr, "%s", addr);
		struct tkv_config cfg = c->cfg;
		cfg.address = k->addr;
		if (timeout_ms && (!cfg.connect_timeout_ms || timeout_ms < cfg.connect_timeout_ms))
			cfg.connect_timeout_ms = timeout_ms;
		struct tkv_conn_opts o = {.check = note_store_id, .check_arg = k};
		enum tk_err e = tkv_async_open(c->base, &cfg, &o, &k->a, err);
		if (e) {
			k->a = NULL;
			return e;
		}
		while (!tkv_async_ready(k->a) && tkv_async_error(k->a, NULL) == TK_OK)
			if (event_base_loop(c->base, EVLOOP_ONCE) < 0)
				break;
		if (!tkv_async_ready(k->a)) {
			e = tkv_async_error(k->a, err);
			if (e == TK_OK)
				e = tk_err_set(err, TK_E_INTERNAL, "event loop failed while connecting");
			conn_drop(k);
			return e;
		}
		snprintf(c->server_name, sizeof c->server_name, "%s", tkv_async_server_name(k->a));
		if (!c->sched_addr[0] && k->sched[0]) {
			/* given only a store: route through its scheduler from now on */
			snprintf(c->sched_addr, sizeof c->sched_addr, "%s", k->sched);
			c->cfg.scheduler_address = c->sched_addr;
			c->no_cluster_until_ns = 0;
		}
	}
	k->used = ++c->use_clock;
	*out = k;
	return TK_OK;
}

enum tk_err route_conn_call(struct tkv_client *c, struct route_conn *conn, enum tk_msg_type type,
                            const void *body, uint8_t flags, unsigned timeout_ms, tkv_body_fn fn,
                            void *fn_arg, bool *sent, struct tk_errbuf *err)
{
	struct call k = {.client = c, .err = err, .body_fn = fn, .body_arg = fn_arg};
	uint64_t id;
	*sent = false;
	enum tk_err e = tkv_async_submit(conn->a, type, body, flags, timeout_ms, on_reply, &k, &id);
	if (e)
		return tk_err_set(err, e, "%s request: %s", tk_msg_defs[type].name, tk_strerror(e));
	*sent = true; /* queued: from here on it may reach the store */
	while (!k.done) {
		if (event_base_loop(c->base, EVLOOP_ONCE) < 0) {
			tkv_async_forget(conn->a, id);
			return tk_err_set(err, TK_E_INTERNAL, "event loop failed");
		}
	}
	if (k.code == TK_OK)
		tk_err_clear(err);
	return k.code;
}

const struct tkv_region_error *tkv_last_region_error(const struct tkv_client *c)
{
	return c->last_rerr;
}

enum tk_err tkv_connect(const struct tkv_config *cfg, struct tkv_client **out,
			struct tk_errbuf *err)
{
	struct tk_errbuf local;
	if (!err)
		err = &local;
	struct tkv_client *c = calloc(1, sizeof *c);
	if (!c)
		return tk_err_set(err, TK_E_NOMEM, "allocating a client");
	tkv_config_default(&c->cfg);
	if (cfg)
		c->cfg = *cfg;
	/* the handle outlives the caller's strings */
	const char *addr = c->cfg.address;
	if (!addr && !c->cfg.scheduler_address)
		addr = "127.0.0.1:20160";
	snprintf(c->address, sizeof c->address, "%s", addr ? addr : "");
	snprintf(c->sched_addr, sizeof c->sched_addr, "%s",
	         c->cfg.scheduler_address ? c->cfg.scheduler_address : "");
	snprintf(c->name, sizeof c->name, "%s", c->cfg.name ? c->cfg.name : "libtinykv");
	c->cfg.address = c->address;
	c->cfg.scheduler_address = c->sched_addr[0] ? c->sched_addr : NULL;
	c->cfg.name = c->name;
	c->rng = tk_mono_ns() ^ (uint64_t)(uintptr_t)c;
	c->base = event_base_new();
	c->cache = rc_new();
	if (!c->base || !c->cache) {
		tkv_close(c);
		return tk_err_set(err, TK_E_NOMEM, "creating an event base");
	}
	/* Routed through the scheduler, stores are reached on demand.  A
	 * scheduler that cannot be reached is an error only when it is the
	 * one address: with a store address the client starts as without
	 * one (following the stores' hints) and tries it again later. */
	enum tk_err e = TK_E_BAD_CONFIG;
	if (c->sched_addr[0])
		e = route_sched_connect(c, err);
	if (e && c->address[0]) {
		struct route_conn *k;
		e = route_conn_get(c, c->address, 0, &k, err);
	}
	if (e) {
		tkv_close(c);
		return e;
	}
	*out = c;
	return TK_OK;
}

void tkv_close(struct tkv_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < ROUTE_MAX_CONNS; i++)
		tkv_async_free(c->conns[i].a);
	if (c->sched)
		tkv_sched_close(c->sched);
	rc_free(c->cache);
	if (c->base)
		event_base_free(c->base);
	free(c->last_rerr);
	free(c);
}

const char *tkv_server_name(const struct tkv_client *c)
{
	return c->server_name;
}

void tkv_free(void *p)
{
	free(p);
}

void tkv_kvs_free(struct tkv_kv *kvs, size_t n)
{
	(void)n;
	free(kvs);
}

/* ---- the calls -------------------------------------------------------- */

static uint8_t *dup_bytes(const void *p, size_t n)
{
	uint8_t *d = malloc(n + 1);
	if (d) {
		if (n)
			memcpy(d, p, n);
		d[n] = 0;
	}
	return d;
}

static enum tk_err nomem(struct tk_errbuf *err)
{
	return tk_err_set(err, TK_E_NOMEM, "out of memory copying the reply");
}

enum tk_err tkv_ping(struct tkv_client *c, struct tk_errbuf *err)
{
	struct tk_errbuf local;
	if (!err)
		err = &local;
	free(c->last_rerr);
	c->last_rerr = NULL;
	const char *addr = c->hint_addr[0] ? c->hint_addr : c->address;
	if (!addr[0]) {
		/* a scheduler-only client: ping the scheduler */
		bool boot;
		enum tk_err e = c->sched ? TK_OK : route_sched_connect(c, err);
		return e ? e : tkv_sched_is_bootstrapped(c->sched, &boot, err);
	}
	struct route_conn *k;
	enum tk_err e = route_conn_get(c, addr, 0, &k, err);
	if (e)
		return e;
	struct tk_empty body = {0};
	bool sent;
	return route_conn_call(c, k, TK_MSG_ping, &body, 0, c->cfg.timeout_ms, NULL, NULL, &sent,
	                       err);
}

struct get_out {
	uint8_t **value;
	size_t *value_len;
	bool *found;
};

static enum tk_err get_body(void *arg, const void *body, struct tk_errbuf *err)
{
	const struct tk_raw_get_resp *r = body;
	struct get_out *o = arg;
	*o->found = r->value.p != NULL;
	if (*o->found) {
		if (!(*o->value = dup_bytes(r->value.p, r->value.n)))
			return nomem(err);
		*o->value_len = r->value.n;
	}
	return TK_OK;
}

enum tk_err tkv_get(struct tkv_client *c, const void *key, size_t key_len, uint8_t **value,
		    size_t *value_len, bool *found, struct tk_errbuf *err)
{
	struct tk_raw_get_req b = {.key = tk_slice_of(key_len ? key : "", key_len)};
	*value = NULL;
	*value_len = 0;
	*found = false;
	struct get_out o = {value, value_len, found};
	return route_call_key(c, TK_MSG_raw_get, ROUTE_READ, &b, &b.ctx, b.key, get_body, &o, err);
}

enum tk_err tkv_put(struct tkv_client *c, const void *key, size_t key_len, const void *value,
		    size_t value_len, struct tk_errbuf *err)
{
	struct tk_raw_put_req b = {.key = tk_slice_of(key_len ? key : "", key_len),
				   .value = tk_slice_of(value_len ? value : "", value_len)};
	return route_call_key(c, TK_MSG_raw_put, ROUTE_WRITE, &b, &b.ctx, b.key, NULL, NULL, err);
}

enum tk_err tkv_delete(struct tkv_client *c, const void *key, size_t key_len,
		       struct tk_errbuf *err)
{
	struct tk_raw_delete_req b = {.key = tk_slice_of(key_len ? key : "", key_len)};
	return route_call_key(c, TK_MSG_raw_delete, ROUTE_WRITE, &b, &b.ctx, b.key, NULL, NULL, err);
}

struct cas_out {
	bool *swapped;
	uint8_t *prev;
	size_t prev_len;
	bool found;
};

static enum tk_err cas_body(void *arg, const void *body, struct tk_errbuf *err)
{
	const struct tk_raw_cas_resp *r = body;
	struct cas_out *o = arg;
	*o->swapped = r->swapped;
	o->found = r->prev.p != NULL;
	if (o->found) {
		if (!(o->prev = dup_bytes(r->prev.p, r->prev.n)))
			return nomem(err);
		o->prev_len = r->prev.n;
	}
	return TK_OK;
}

enum tk_err tkv_cas(struct tkv_client *c, const void *key, size_t key_len, const void *expect,
		    size_t expect_len, const void *value, size_t value_len, unsigned flags,
		    bool *swapped, uint8_t **prev, size_t *prev_len, bool *prev_found,
		    struct tk_errbuf *err)
{
	struct tk_raw_cas_req b;
	*swapped = false;
	struct cas_out o = {.swapped = swapped};
	enum tk_err e = tkv_cas_req_of(&b, key, key_len, expect, expect_len, value, value_len, flags);
	if (e)
		tk_err_set(err, e, "tkv_cas: unknown flags 0x%x", flags);
	else
		e = route_call_key(c, TK_MSG_raw_cas, ROUTE_WRITE_ONCE, &b, &b.ctx, b.key, cas_body, &o,
		                   err);
	if (e)
		*swapped = false;
	if (prev_found)
		*prev_found = e == TK_OK && o.found;
	if (prev_len)
		*prev_len = e == TK_OK ? o.prev_len : 0;
	if (prev && e == TK_OK) {
		*prev = o.prev;
		o.prev = NULL;
	} else if (prev) {
		*prev = NULL;
	}
	free(o.prev);
	return e;
}

/* ---- results gathered over several regions ---- */

struct kv_acc {
	struct tkv_kv *v; /* each key and value its own malloc */
	size_t n, cap;
};

static bool acc_add(struct kv_acc *a, struct tk_slice k, struct tk_slice v, bool with_value)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct tkv_kv *nv = realloc(a->v, cap * sizeof *nv);
		if (!nv)
			return false;
		a->v = nv;
		a->cap = cap;
	}
	struct tkv_kv *x = &a->v[a->n];
	x->key = dup_bytes(k.p, k.n);
	x->key_len = k.n;
	x->value = with_value ? dup_bytes(v.p, v.n) : NULL;
	x->value_len = with_value ? v.n : 0;
	if (!x->key || (with_value && !x->value)) {
		free(x->key);
		free(x->value);
		return false;
	}
	a->n++;
	return true;
}

static void acc_destroy(struct kv_acc *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].key);
		free(a->v[i].value);
	}
	free(a->v);
	memset(a, 0, sizeof *a);
}

/* One allocation holds the array and every key and value (NUL-terminated),
 * so tkv_kvs_free is one free.  Entries with key NULL are skipped. */
static struct tkv_kv *pack_kvs(const struct tkv_kv *in, size_t n, size_t *nout)
{
	size_t total = 0, m = 0;
	for (size_t i = 0; i < n; i++) {
		if (!in[i].key)
			continue;
		m++;
		total += in[i].key_len + 1 + (in[i].value ? in[i].value_len + 1 : 0);
	}
	total += m * sizeof(struct tkv_kv);
	struct tkv_kv *out = malloc(total ? total : 1);
	if (!out)
		return NULL;
	uint8_t *p = (uint8_t *)(out + m);
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		if (!in[i].key)
			continue;
		out[j].key = p;
		out[j].key_len = in[i].key_len;
		memcpy(p, in[i].key, in[i].key_len + 1);
		p += in[i].key_len + 1;
		out[j].value = NULL;
		out[j].value_len = 0;
		if (in[i].value) {
			out[j].value = p;
			out[j].value_len = in[i].value_len;
			memcpy(p, in[i].value, in[i].value_len + 1);
			p += in[i].value_len + 1;
		}
		j++;
	}
	*nout = m;
	return out;
}

/* ---- scan: region by region ---- */

struct scan_st {
	struct tk_raw_scan_req req;
	struct tk_slice start, end; /* the caller's range (end.p NULL: none) */
	bool reverse, keys_only;
	uint32_t want;              /* the caller's limit */
	struct kv_acc acc;
	bool server_more;           /* the last reply said it stopped early */
	uint32_t got;               /* pairs in the last reply */
	struct tk_buf region_start, region_end; /* the last attempt's region */
	bool routed, region_end_inf;
};

static int cmp_slice(struct tk_slice a, struct tk_slice b)
{
	return tk_slice_cmp(a, b);
}

static const void *build_scan(void *arg, const struct rc_region *r, struct tk_region_ctx *ctx)
{
	struct scan_st *s = arg;
	s->req.ctx = ctx;
	s->req.start = s->start;
	s->req.end = s->end;
	s->routed = r != NULL;
	tk_buf_reset(&s->region_start);
	tk_buf_reset(&s->region_end);
	if (!r)
		return &s->req;
	/* cut the range to the region: [max(start, r.start), min(end, r.end)) */
	if (!tk_buf_append(&s->region_start, r->start, r->start_len) ||
	    !tk_buf_append(&s->region_end, r->end, r->end_len))
		return NULL;
	s->region_end_inf = r->end_len == 0;
	struct tk_slice rs = tk_slice_of(r->start, r->start_len);
	struct tk_slice re = tk_slice_of(r->end, r->end_len);
	if (cmp_slice(rs, s->start) > 0)
		s->req.start = rs;
	if (r->end_len && (!s->end.p || cmp_slice(re, s->end) < 0))
		s->req.end = re;
	return &s->req;
}

static enum tk_err scan_body(void *arg, const void *body, struct tk_errbuf *err)
{
	const struct tk_raw_scan_resp *r = body;
	struct scan_st *s = arg;
	for (uint32_t i = 0; i < r->kvs.n; i++)
		if (!acc_add(&s->acc, r->kvs.v[i].k, r->kvs.v[i].v, !s->keys_only))
			return nomem(err);
	s->server_more = r->more;
	s->got = r->kvs.n;
	return TK_OK;
}

enum tk_err tkv_scan(struct tkv_client *c, const void *start, size_t start_len,
		     const struct tkv_scan_opts *opts, struct tkv_kv **kvs, size_t *n, bool *more,
		     struct tk_errbuf *err)
{
	struct tk_errbuf local;
	if (!err)
		err = &local;
	struct scan_st s;
	memset(&s, 0, sizeof s);
	tk_buf_init(&s.region_start);
	tk_buf_init(&s.region_end);
	struct tk_buf cursor; /* the next region's bound: holds s.start or s.end */
	tk_buf_init(&cursor);
	s.start = tk_slice_of(start_len ? start : "", start_len);
	uint8_t flags = 0;
	if (opts) {
		if (opts->end)
			s.end = tk_slice_of(opts->end_len ? opts->end : "", opts->end_len);
		s.want = opts->limit;
		s.keys_only = opts->keys_only;
		s.reverse = opts->reverse;
		flags = opts->keys_only ? TKV_PF_KEYS_ONLY : 0;
	}
	s.req.keys_only = s.keys_only;
	s.req.reverse = s.reverse;
	*kvs = NULL;
	*n = 0;
	if (more)
		*more = false;
	struct route_budget b;
	route_budget_init(c, &b);
	uint32_t limit = s.want ? s.want : 100; /* the server's default */
	enum tk_err e = TK_OK;
	bool more_out = false;
	for (;;) {
		s.req.limit = s.want ? limit - (uint32_t)s.acc.n : 0;
		/* forward: the region of start; reverse: the one below end */
		struct route_op op = {.type = TK_MSG_raw_scan, .flags = flags, .kind = ROUTE_READ,
		                      .build = build_scan, .arg = &s};
		if (s.reverse) {
			op.before = true;
			op.before_inf = !s.end.p || s.end.n == 0;
			op.key = s.end.p;
			op.key_len = s.end.n;
			op.range_start = s.start.p;
			op.range_start_len = s.start.n;
		} else {
			op.key = s.start.p;
			op.key_len = s.start.n;
		}
		e = route_call(c, &b, &op, scan_body, &s, err);
		if (e)
			break;
		if (!s.routed || s.server_more) {
			more_out = s.server_more;
			break; /* unrouted: the store saw the whole range */
		}
		if (s.acc.n >= limit) {
			more_out = true; /* the next region may hold more */
			break;
		}
		/* the next region, if the range goes on past this one */
		tk_buf_reset(&cursor);
		if (!s.reverse) {
			struct tk_slice re = tk_buf_slice(&s.region_end);
			if (s.region_end_inf || (s.end.p && s.end.n && cmp_slice(re, s.end) >= 0))
				break;
			if (!tk_buf_append(&cursor, re.p, re.n)) {
				e = nomem(err);
				break;
			}
			s.start = tk_buf_slice(&cursor);
		} else {
			struct tk_slice rs = tk_buf_slice(&s.region_start);
			if (rs.n == 0 || cmp_slice(rs, s.start) <= 0)
				break;
			if (!tk_buf_append(&cursor, rs.p, rs.n)) {
				e = nomem(err);
				break;
			}
			s.end = tk_buf_slice(&cursor);
		}
		/* build_scan reads start/end before rebuilding the region bufs */
	}
	if (!e) {
		*kvs = pack_kvs(s.acc.v, s.acc.n, n);
		if (!*kvs)
			e = nomem(err);
		if (more)
			*more = more_out;
	}
	acc_destroy(&s.acc);
	tk_buf_destroy(&s.region_start);
	tk_buf_destroy(&s.region_end);
	tk_buf_destroy(&cursor);
	return e;
}

/* ---- batches: split per region ---- */

struct batch_st {
	enum tk_msg_type type;
	const struct tkv_kv_in *in;
	size_t n;
	bool *done;     /* per key: answered */
	bool *sent;     /* per key: in the request being built */
	struct tk_slice *keys;
	struct tk_kv *pairs;
	union {
		struct tk_raw_batch_get_req get;
		struct tk_raw_batch_put_req put;
		struct tk_raw_batch_delete_req del;
	} req;
	struct tkv_kv *found; /* batch_get: per key, its value (key NULL: none) */
};

static struct tk_slice in_key(const struct tkv_kv_in *x)
{
	return tk_slice_of(x->key_len ? x->key : "", x->key_len);
}

static const void *build_batch(void *arg, const struct rc_region *r, struct tk_region_ctx *ctx)
{
	struct batch_st *s = arg;
	uint32_t m = 0;
	for (size_t i = 0; i < s->n; i++) {
		s->sent[i] = false;
		if (s->done[i] || (r && !rc_contains(r, s->in[i].key, s->in[i].key_len)))
			continue;
		s->sent[i] = true;
		s->keys[m] = in_key(&s->in[i]);
		s->pairs[m].k = s->keys[m];
		s->pairs[m].v = tk_slice_of(s->in[i].value_len ? s->in[i].value : "",
		                            s->in[i].value_len);
		m++;
	}
	if (s->type == TK_MSG_raw_batch_put)
		s->req.put = (struct tk_raw_batch_put_req){.kvs = {s->pairs, m}, .ctx = ctx};
	else if (s->type == TK_MSG_raw_batch_get)
		s->req.get = (struct tk_raw_batch_get_req){.keys = {s->keys, m}, .ctx = ctx};
	else
		s->req.del = (struct tk_raw_batch_delete_req){.keys = {s->keys, m}, .ctx = ctx};
	return &s->req;
}

static enum tk_err batch_body(void *arg, const void *body, struct tk_errbuf *err)
{
	struct batch_st *s = arg;
	if (s->type == TK_MSG_raw_batch_get) {
		const struct tk_raw_batch_get_resp *r = body;
		/* place each pair at the first sent key it names */
		for (uint32_t j = 0; j < r->kvs.n; j++) {
			for (size_t i = 0; i < s->n; i++) {
				if (!s->sent[i] || s->found[i].key ||
				    !tk_slice_eq(in_key(&s->in[i]), r->kvs.v[j].k))
					continue;
				s->found[i].key = dup_bytes(r->kvs.v[j].k.p, r->kvs.v[j].k.n);
				s->found[i].key_len = r->kvs.v[j].k.n;
				s->found[i].value = dup_bytes(r->kvs.v[j].v.p, r->kvs.v[j].v.n);
				s->found[i].value_len = r->kvs.v[j].v.n;
				if (!s->found[i].key || !s->found[i].value)
					return nomem(err);
				break;
			}
		}
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->sent[i])
			s->done[i] = true;
	return TK_OK;
}

static enum tk_err batch(struct tkv_client *c, enum tk_msg_type type, const struct tkv_kv_in *in,
			 size_t n, struct tkv_kv **kvs, size_t *nout, struct tk_errbuf *err)
{
	struct tk_errbuf local;
	if (!err)
		err = &local;
	if (n > UINT32_MAX)
		return tk_err_set(err, TK_E_TOO_LARGE, "too many keys");
	struct batch_st s = {.type = type, .in = in, .n = n};
	size_t m = n ? n : 1;
	s.done = calloc(m, sizeof *s.done);
	s.sent = calloc(m, sizeof *s.sent);
	s.keys = calloc(m, sizeof *s.keys);
	s.pairs = calloc(m, sizeof *s.pairs);
	s.found = calloc(m, sizeof *s.found);
	enum tk_err e = TK_OK;
	if (!s.done || !s.sent || !s.keys || !s.pairs || !s.found)
		e = tk_err_set(err, TK_E_NOMEM, "out of memory");
	struct route_budget b;
	route_budget_init(c, &b);
	/* one request per region, in key order of the first key left; an empty
	 * batch is still one request (the server's answer to it) */
	for (size_t next = 0; !e && (next < n || n == 0);) {
		while (next < n && s.done[next])
			next++;
		if (next == n && n)
			break;
		struct tk_slice k = n ? in_key(&in[next]) : tk_slice_of("", 0);
		struct route_op op = {.type = type,
		                      .kind = type == TK_MSG_raw_batch_get ? ROUTE_READ : ROUTE_WRITE,
		                      .key = k.p, .key_len = k.n, .build = build_batch, .arg = &s};
		e = route_call(c, &b, &op, batch_body, &s, err);
		if (n == 0)
			break;
	}
	if (!e && kvs) {
		*kvs = pack_kvs(s.found, n, nout);
		if (!*kvs)
			e = nomem(err);
	}
	for (size_t i = 0; s.found && i < n; i++) {
		free(s.found[i].key);
		free(s.found[i].value);
	}
	free(s.found);
	free(s.done);
	free(s.sent);
	free(s.keys);
	free(s.pairs);
	return e;
}

enum tk_err tkv_batch_get(struct tkv_client *c, const struct tkv_kv_in *keys, size_t n,
			  struct tkv_kv **kvs, size_t *nout, struct tk_errbuf *err)
{
	*kvs = NULL;
	*nout = 0;
	return batch(c, TK_MSG_raw_batch_get, keys, n, kvs, nout, err);
}

enum tk_err tkv_batch_put(struct tkv_client *c, const struct tkv_kv_in *kvs, size_t n,
			  struct tk_errbuf *err)
{
	return batch(c, TK_MSG_raw_batch_put, kvs, n, NULL, NULL, err);
}

enum tk_err tkv_batch_delete(struct tkv_client *c, const struct tkv_kv_in *keys, size_t n,
			     struct tk_errbuf *err)
{
	return batch(c, TK_MSG_raw_batch_delete, keys, n, NULL, NULL, err);
}
