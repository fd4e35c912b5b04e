/* The blocking API: each tkv_client owns a private event_base and one async
 * handle on it; a call queues one request and runs the base until its
 * callback has fired.  Timeouts, errors and decoding are therefore exactly
 * those of the async engine.  A handle whose connection failed reconnects
 * at the next call (the failed call itself is never retried). */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "client/pending.h"
#include "util/err.h"

struct tkv_client {
	struct event_base *base;
	struct tkv_config cfg;
	char address[256];
	char name[128];
	struct tkv_async *a;
	char server_name[128];
	struct tkv_region_error *last_rerr; /* the last call's, or NULL */
};

/* Where one call's callback puts its results (all optional). */
struct call {
	struct tkv_client *client;
	bool done;
	enum tk_err code;
	struct tk_errbuf *err;
	uint8_t **value;
	size_t *value_len;
	bool *found;
	bool *swapped;
	struct tkv_kv **kvs;
	size_t *n;
	bool *more;
	tkv_body_fn body_fn;
	void *body_arg;
};

static enum tk_err nomem(struct call *c)
{
	c->code = tk_err_set(c->err, TK_E_NOMEM, "out of memory copying the reply");
	return c->code;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n + 1);
	if (d) {
		if (n)
			memcpy(d, p, n);
		d[n] = 0;
	}
	return d;
}

/* One allocation holds the array and every key and value (NUL-terminated),
 * so tkv_kvs_free is one free. */
static struct tkv_kv *dup_kvs(const struct tkv_kv *in, size_t n)
{
	size_t total = n * sizeof(struct tkv_kv);
	for (size_t i = 0; i < n; i++)
		total += in[i].key_len + 1 + (in[i].value ? in[i].value_len + 1 : 0);
	struct tkv_kv *out = malloc(total ? total : 1);
	if (!out)
		return NULL;
	uint8_t *p = (uint8_t *)(out + n);
	for (size_t i = 0; i < n; i++) {
		out[i].key = p;
		out[i].key_len = in[i].key_len;
		if (in[i].key_len)
			memcpy(p, in[i].key, in[i].key_len);
		p[in[i].key_len] = 0;
		p += in[i].key_len + 1;
		out[i].value = NULL;
		out[i].value_len = 0;
		if (in[i].value) {
			out[i].value = p;
			out[i].value_len = in[i].value_len;
			if (in[i].value_len)
				memcpy(p, in[i].value, in[i].value_len);
			p[in[i].value_len] = 0;
			p += in[i].value_len + 1;
		}
	}
	return out;
}

static void on_reply(void *arg, const struct tkv_reply *r)
{
	struct call *c = arg;
	c->done = true;
	c->code = r->code;
	if (r->code) {
		tk_err_set(c->err, r->code, "%s", r->message && *r->message ? r->message
									: tk_strerror(r->code));
		if (r->region_error && !(c->client->last_rerr = tkv_region_error_pack(r->region_error)))
			nomem(c);
		return;
	}
	if (c->found) {
		*c->found = r->found;
		if (r->found) {
			if (!(*c->value = dup_bytes(r->value, r->value_len))) {
				nomem(c);
				return;
			}
			*c->value_len = r->value_len;
		}
	}
	if (c->swapped)
		*c->swapped = r->swapped;
	if (c->kvs) {
		*c->kvs = NULL;
		*c->n = 0;
		if (r->n_kvs) {
			if (!(*c->kvs = dup_kvs(r->kvs, r->n_kvs))) {
				nomem(c);
				return;
			}
			*c->n = r->n_kvs;
		}
	}
	if (c->more)
		*c->more = r->more;
	if (c->body_fn)
		c->code = c->body_fn(c->body_arg, r->body, c->err);
}

/* Make sure c->a is a live, ready connection. */
static enum tk_err ensure(struct tkv_client *c, struct tk_errbuf *err)
{
	/* The loop does not run between calls, so a close by the server (its
	 * idle timeout, a restart) is noticed here, before a request is risked
	 * on the dead connection: then we reconnect instead of failing. */
	if (c->a)
		event_base_loop(c->base, EVLOOP_NONBLOCK);
	if (c->a && tkv_async_error(c->a, NULL) != TK_OK) {
		tkv_async_free(c->a);
		c->a = NULL;
	}
	if (c->a)
		return TK_OK;
	enum tk_err e = tkv_async_new(c->base, &c->cfg, &c->a, err);
	if (e) {
		c->a = NULL;
		return e;
	}
	while (!tkv_async_ready(c->a) && tkv_async_error(c->a, NULL) == TK_OK)
		if (event_base_loop(c->base, EVLOOP_ONCE) < 0)
			break;
	if (!tkv_async_ready(c->a)) {
		e = tkv_async_error(c->a, err);
		if (e == TK_OK)
			e = tk_err_set(err, TK_E_INTERNAL, "event loop failed while connecting");
		tkv_async_free(c->a);
		c->a = NULL;
		return e;
	}
	snprintf(c->server_name, sizeof c->server_name, "%s", tkv_async_server_name(c->a));
	return TK_OK;
}

static void forget_region_error(struct tkv_client *c)
{
	free(c->last_rerr);
	c->last_rerr = NULL;
}

const struct tkv_region_error *tkv_last_region_error(const struct tkv_client *c)
{
	return c->last_rerr;
}

/* Queue one request and wait for its reply (k->err set). */
static enum tk_err call_wait(struct tkv_client *c, enum tk_msg_type type, const void *body,
			     uint8_t flags, struct call *k)
{
	forget_region_error(c);
	k->client = c;
	enum tk_err e = ensure(c, k->err);
	if (e)
		return e;
	uint64_t id;
	e = tkv_async_submit(c->a, type, body, flags, c->cfg.timeout_ms, on_reply, k, &id);
	if (e)
		return tk_err_set(k->err, e, "%s request: %s", tk_msg_defs[type].name,
				  tk_strerror(e));
	while (!k->done) {
		if (event_base_loop(c->base, EVLOOP_ONCE) < 0) {
			tkv_async_forget(c->a, id);
			return tk_err_set(k->err, TK_E_INTERNAL, "event loop failed");
		}
	}
	if (k->code == TK_OK)
		tk_err_clear(k->err);
	return k->code;
}

/* Queue one request and wait for its reply.  Without an error buffer the
 * callback still needs one: a local one, which k must not keep once it dies. */
static enum tk_err call(struct tkv_client *c, enum tk_msg_type type, const void *body,
			uint8_t flags, struct call *k)
{
	struct tk_errbuf local;
	bool mine = !k->err;
	if (mine)
		k->err = &local;
	enum tk_err e = call_wait(c, type, body, flags, k);
	if (mine)
		k->err = NULL;
	return e;
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
	snprintf(c->address, sizeof c->address, "%s", c->cfg.address ? c->cfg.address
								  : "127.0.0.1:20160");
	snprintf(c->name, sizeof c->name, "%s", c->cfg.name ? c->cfg.name : "libtinykv");
	c->cfg.address = c->address;
	c->cfg.name = c->name;
	c->base = event_base_new();
	if (!c->base) {
		free(c);
		return tk_err_set(err, TK_E_NOMEM, "creating an event base");
	}
	enum tk_err e = ensure(c, err);
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
	tkv_async_free(c->a);
	event_base_free(c->base);
	forget_region_error(c);
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

enum tk_err tkv_ping(struct tkv_client *c, struct tk_errbuf *err)
{
	struct tk_empty b = {0};
	struct call k = {.err = err};
	return call(c, TK_MSG_ping, &b, 0, &k);
}

enum tk_err tkv_get(struct tkv_client *c, const void *key, size_t key_len, uint8_t **value,
		    size_t *value_len, bool *found, struct tk_errbuf *err)
{
	struct tk_raw_get_req b = {.key = tk_slice_of(key_len ? key : "", key_len)};
	*value = NULL;
	*value_len = 0;
	*found = false;
	struct call k = {.err = err, .value = value, .value_len = value_len, .found = found};
	return call(c, TK_MSG_raw_get, &b, 0, &k);
}

enum tk_err tkv_put(struct tkv_client *c, const void *key, size_t key_len, const void *value,
		    size_t value_len, struct tk_errbuf *err)
{
	struct tk_raw_put_req b = {.key = tk_slice_of(key_len ? key : "", key_len),
				   .value = tk_slice_of(value_len ? value : "", value_len)};
	struct call k = {.err = err};
	return call(c, TK_MSG_raw_put, &b, 0, &k);
}

enum tk_err tkv_delete(struct tkv_client *c, const void *key, size_t key_len,
		       struct tk_errbuf *err)
{
	struct tk_raw_delete_req b = {.key = tk_slice_of(key_len ? key : "", key_len)};
	struct call k = {.err = err};
	return call(c, TK_MSG_raw_delete, &b, 0, &k);
}

enum tk_err tkv_cas(struct tkv_client *c, const void *key, size_t key_len, const void *expect,
		    size_t expect_len, const void *value, size_t value_len, unsigned flags,
		    bool *swapped, uint8_t **prev, size_t *prev_len, bool *prev_found,
		    struct tk_errbuf *err)
{
	struct tk_raw_cas_req b;
	*swapped = false;
	uint8_t *v = NULL;
	size_t vn = 0;
	bool found = false;
	enum tk_err e = tkv_cas_req_of(&b, key, key_len, expect, expect_len, value, value_len, flags);
	if (e) {
		tk_err_set(err, e, "tkv_cas: unknown flags 0x%x", flags);
	} else {
		struct call k = {
		    .err = err, .value = &v, .value_len = &vn, .found = &found, .swapped = swapped};
		e = call(c, TK_MSG_raw_cas, &b, 0, &k);
	}
	if (prev_found)
		*prev_found = e == TK_OK && found;
	if (prev_len)
		*prev_len = e == TK_OK ? vn : 0;
	if (prev && e == TK_OK) {
		*prev = v;
		v = NULL;
	} else if (prev) {
		*prev = NULL;
	}
	free(v);
	return e;
}

enum tk_err tkv_scan(struct tkv_client *c, const void *start, size_t start_len,
		     const struct tkv_scan_opts *opts, struct tkv_kv **kvs, size_t *n, bool *more,
		     struct tk_errbuf *err)
{
	struct tk_raw_scan_req b = {.start = tk_slice_of(start_len ? start : "", start_len)};
	uint8_t flags = 0;
	if (opts) {
		if (opts->end)
			b.end = tk_slice_of(opts->end_len ? opts->end : "", opts->end_len);
		b.limit = opts->limit;
		b.keys_only = opts->keys_only;
		b.reverse = opts->reverse;
		flags = opts->keys_only ? TKV_PF_KEYS_ONLY : 0;
	}
	*kvs = NULL;
	*n = 0;
	bool more_local;
	struct call k = {.err = err, .kvs = kvs, .n = n, .more = more ? more : &more_local};
	return call(c, TK_MSG_raw_scan, &b, flags, &k);
}

/* Slice arrays for batch bodies: built per call (the blocking API is not the
 * fast path; the async engine reuses its own scratch buffer). */
static enum tk_err batch(struct tkv_client *c, enum tk_msg_type type, const struct tkv_kv_in *in,
			 size_t n, struct call *k)
{
	forget_region_error(c);
	if (n > UINT32_MAX)
		return tk_err_set(k->err, TK_E_TOO_LARGE, "too many keys");
	bool pairs = type == TK_MSG_raw_batch_put;
	void *arr = malloc((n ? n : 1) * (pairs ? sizeof(struct tk_kv) : sizeof(struct tk_slice)));
	if (!arr)
		return tk_err_set(k->err, TK_E_NOMEM, "out of memory");
	struct tk_kv *kv = arr;
	struct tk_slice *ks = arr;
	for (size_t i = 0; i < n; i++) {
		struct tk_slice key = tk_slice_of(in[i].key_len ? in[i].key : "", in[i].key_len);
		if (pairs) {
			kv[i].k = key;
			kv[i].v = tk_slice_of(in[i].value_len ? in[i].value : "", in[i].value_len);
		} else {
			ks[i] = key;
		}
	}
	enum tk_err e;
	struct tk_binlist keys = {ks, (uint32_t)n};
	if (type == TK_MSG_raw_batch_put) {
		struct tk_raw_batch_put_req b = {.kvs = {kv, (uint32_t)n}};
		e = call(c, type, &b, 0, k);
	} else if (type == TK_MSG_raw_batch_get) {
		struct tk_raw_batch_get_req b = {.keys = keys};
		e = call(c, type, &b, 0, k);
	} else {
		struct tk_raw_batch_delete_req b = {.keys = keys};
		e = call(c, type, &b, 0, k);
	}
	free(arr);
	return e;
}

enum tk_err tkv_batch_get(struct tkv_client *c, const struct tkv_kv_in *keys, size_t n,
			  struct tkv_kv **kvs, size_t *nout, struct tk_errbuf *err)
{
	struct tk_errbuf local;
	*kvs = NULL;
	*nout = 0;
	struct call k = {.err = err ? err : &local, .kvs = kvs, .n = nout};
	return batch(c, TK_MSG_raw_batch_get, keys, n, &k);
}

enum tk_err tkv_batch_put(struct tkv_client *c, const struct tkv_kv_in *kvs, size_t n,
			  struct tk_errbuf *err)
{
	struct tk_errbuf local;
	struct call k = {.err = err ? err : &local};
	return batch(c, TK_MSG_raw_batch_put, kvs, n, &k);
}

enum tk_err tkv_batch_delete(struct tkv_client *c, const struct tkv_kv_in *keys, size_t n,
			     struct tk_errbuf *err)
{
	struct tk_errbuf local;
	struct call k = {.err = err ? err : &local};
	return batch(c, TK_MSG_raw_batch_delete, keys, n, &k);
}

enum tk_err tkv_call_msg(struct tkv_client *c, enum tk_msg_type type, const void *req,
			 tkv_body_fn fn, void *arg, struct tk_errbuf *err)
{
	struct call k;
	memset(&k, 0, sizeof k);
	k.err = err;
	k.body_fn = fn;
	k.body_arg = arg;
	return call(c, type, req, 0, &k);
}
