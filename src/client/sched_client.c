/* The blocking scheduler client (tinykv_sched.h): the asynchronous client
 * (sched_async.c) on a private event_base, one request at a time.  Each
 * call queues its request and runs the base until the callback has copied
 * the result into the caller's variables, so transport, timeouts, replies
 * and errors are exactly those of the asynchronous client. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "client/sched_conv.h"
#include "codec/codec.h"
#include "tinykv_sched.h"
#include "util/err.h"

struct tkv_sched {
	struct event_base *base;
	struct tkv_sched_async *a;
};

/* One call: where its callback puts the outcome. */
struct call {
	bool done;
	enum tk_err code;
	struct tk_errbuf *err;
	void (*copy)(struct call *c, const struct tkv_sched_reply *r); /* typed results */
	tkv_body_fn body_fn;                                           /* raw results */
	void *out;                                                     /* for copy/body_fn */
	void *out2;
	size_t n;
};

static void on_reply(void *arg, const struct tkv_sched_reply *r)
{
	struct call *c = arg;
	c->done = true;
	c->code = r->code;
	if (r->code) {
		tk_err_set(c->err, r->code, "%s", *r->message ? r->message : tk_strerror(r->code));
		return;
	}
	if (c->copy)
		c->copy(c, r);
}

static void on_raw_reply(void *arg, const struct tkv_reply *r)
{
	struct call *c = arg;
	c->done = true;
	c->code = r->code;
	if (r->code) {
		tk_err_set(c->err, r->code, "%s",
		           r->message && *r->message ? r->message : tk_strerror(r->code));
		return;
	}
	c->code = c->body_fn(c->out, r->body, c->err);
}

/* Run the base until the call's callback has fired.  The request was queued
 * (e is its submit result). */
static enum tk_err wait_call(struct tkv_sched *s, enum tk_err e, struct call *c, const char *what)
{
	if (e)
		return tk_err_set(c->err, e, "%s request: %s", what, tk_strerror(e));
	while (!c->done)
		if (event_base_loop(s->base, EVLOOP_ONCE) < 0)
			return tk_err_set(c->err, TK_E_INTERNAL, "event loop failed");
	if (c->code == TK_OK)
		tk_err_clear(c->err);
	return c->code;
}

/* Start a call: notice a close by the scheduler (its restart, its idle
 * timeout) that happened while the loop was not running, so that the
 * request goes to a fresh connection instead of a dead one. */
static void begin(struct tkv_sched *s, struct call *c, struct tk_errbuf *err,
                  struct tk_errbuf *local)
{
	memset(c, 0, sizeof *c);
	c->err = err ? err : local;
	event_base_loop(s->base, EVLOOP_NONBLOCK);
}

enum tk_err tkv_sched_connect(const struct tkv_sched_config *cfg, struct tkv_sched **out,
                              struct tk_errbuf *err)
{
	struct tk_errbuf local;
	if (!err)
		err = &local;
	struct tkv_sched_config c;
	tkv_sched_config_default(&c);
	if (cfg)
		c = *cfg;
	/* a blocking call reconnects at once: its caller is waiting */
	c.reconnect_min_ms = c.reconnect_max_ms = 0;
	struct tkv_sched *s = calloc(1, sizeof *s);
	if (!s || !(s->base = event_base_new())) {
		free(s);
		return tk_err_set(err, TK_E_NOMEM, "allocating a scheduler client");
	}
	enum tk_err e = tkv_sched_async_new(s->base, &c, &s->a, err);
	while (!e && !tkv_sched_async_ready(s->a) && !(e = tkv_sched_async_error(s->a, err)))
		if (event_base_loop(s->base, EVLOOP_ONCE) < 0)
			e = tk_err_set(err, TK_E_INTERNAL, "event loop failed while connecting");
	if (e) {
		tkv_sched_close(s);
		return e;
	}
	*out = s;
	return TK_OK;
}

void tkv_sched_close(struct tkv_sched *s)
{
	if (!s)
		return;
	tkv_sched_async_free(s->a);
	event_base_free(s->base);
	free(s);
}

uint64_t tkv_sched_cluster_id(const struct tkv_sched *s)
{
	return tkv_sched_async_cluster_id(s->a);
}

/* ---- typed calls: results copied out of the borrowed reply ---- */

static void copy_bootstrapped(struct call *c, const struct tkv_sched_reply *r)
{
	*(bool *)c->out = r->bootstrapped;
}

static void copy_first(struct call *c, const struct tkv_sched_reply *r)
{
	*(uint64_t *)c->out = r->first;
}

static void copy_store(struct call *c, const struct tkv_sched_reply *r)
{
	*(struct tkv_store_info *)c->out = *r->store;
}

static void copy_step(struct call *c, const struct tkv_sched_reply *r)
{
	*(bool *)c->out2 = r->has_step;
	if (r->has_step)
		*(struct tkv_op_step *)c->out = r->step;
}

static void copy_results(struct call *c, const struct tkv_sched_reply *r)
{
	memcpy(c->out, r->results, sizeof *r->results * r->n_results);
}

static void copy_regions(struct call *c, const struct tkv_sched_reply *r)
{
	struct tkv_region_info **out = c->out;
	c->code = tkv_sconv_regions_pack(r->regions, r->n_regions, out, c->err);
	c->n = r->n_regions;
	if (c->out2)
		*(bool *)c->out2 = r->more;
}

static void copy_split(struct call *c, const struct tkv_sched_reply *r)
{
	*(uint64_t *)c->out2 = r->new_region;
	memcpy(c->out, r->new_peers, sizeof *r->new_peers * r->n_new_peers);
}

#define BEGIN(s, err)                                                                              \
	struct call c;                                                                             \
	struct tk_errbuf local;                                                                    \
	begin(s, &c, err, &local)

enum tk_err tkv_sched_is_bootstrapped(struct tkv_sched *s, bool *bootstrapped,
                                      struct tk_errbuf *err)
{
	BEGIN(s, err);
	c.copy = copy_bootstrapped;
	c.out = bootstrapped;
	return wait_call(s, tkv_sched_async_is_bootstrapped(s->a, on_reply, &c), &c,
	                 "is_bootstrapped");
}

enum tk_err tkv_sched_bootstrap(struct tkv_sched *s, uint64_t store_id, const char *store_addr,
                                const struct tkv_region *first, struct tk_errbuf *err)
{
	BEGIN(s, err);
	return wait_call(s,
	                 tkv_sched_async_bootstrap(s->a, store_id, store_addr, first, on_reply, &c),
	                 &c, "bootstrap");
}

enum tk_err tkv_sched_alloc_ids(struct tkv_sched *s, uint64_t count, uint64_t *first,
                                struct tk_errbuf *err)
{
	BEGIN(s, err);
	c.copy = copy_first;
	c.out = first;
	return wait_call(s, tkv_sched_async_alloc_ids(s->a, count, on_reply, &c), &c, "alloc_id");
}

enum tk_err tkv_sched_get_ts(struct tkv_sched *s, uint64_t count, uint64_t *first,
                             struct tk_errbuf *err)
{
	BEGIN(s, err);
	c.copy = copy_first;
	c.out = first;
	return wait_call(s, tkv_sched_async_get_ts(s->a, count, on_reply, &c), &c, "get_ts");
}

enum tk_err tkv_sched_put_store(struct tkv_sched *s, uint64_t id, const char *addr,
                                struct tk_errbuf *err)
{
	BEGIN(s, err);
	return wait_call(s, tkv_sched_async_put_store(s->a, id, addr, on_reply, &c), &c,
	                 "put_store");
}

enum tk_err tkv_sched_get_store(struct tkv_sched *s, uint64_t id, struct tkv_store_info *out,
                                struct tk_errbuf *err)
{
	BEGIN(s, err);
	c.copy = copy_store;
	c.out = out;
	return wait_call(s, tkv_sched_async_get_store(s->a, id, on_reply, &c), &c, "get_store");
}

enum tk_err tkv_sched_store_heartbeat(struct tkv_sched *s, const struct tkv_store_stats *st,
                                      struct tk_errbuf *err)
{
	BEGIN(s, err);
	return wait_call(s, tkv_sched_async_store_heartbeat(s->a, st, on_reply, &c), &c,
	                 "store_heartbeat");
}

enum tk_err tkv_sched_region_heartbeat(struct tkv_sched *s, const struct tkv_region_hb *hb,
                                       struct tkv_op_step *step, bool *has_step,
                                       struct tk_errbuf *err)
{
	*has_step = false;
	BEGIN(s, err);
	c.copy = copy_step;
	c.out = step;
	c.out2 = has_step;
	return wait_call(s, tkv_sched_async_region_heartbeat(s->a, hb, on_reply, &c), &c,
	                 "region_heartbeat");
}

enum tk_err tkv_sched_region_heartbeats(struct tkv_sched *s, const struct tkv_region_hb *hbs,
                                        size_t n, struct tkv_region_hb_result *results,
                                        struct tk_errbuf *err)
{
	if (n > 10000)
		return tk_err_set(err, TK_E_TOO_LARGE, "%zu heartbeats in one batch, at most 10000",
		                  n);
	BEGIN(s, err);
	c.copy = copy_results;
	c.out = results;
	return wait_call(s, tkv_sched_async_region_heartbeats(s->a, hbs, n, on_reply, &c), &c,
	                 "region_heartbeats");
}

enum tk_err tkv_sched_get_region(struct tkv_sched *s, const void *key, size_t key_len,
                                 struct tkv_region_info **out, struct tk_errbuf *err)
{
	*out = NULL;
	BEGIN(s, err);
	c.copy = copy_regions;
	c.out = out;
	return wait_call(s, tkv_sched_async_get_region(s->a, key, key_len, on_reply, &c), &c,
	                 "get_region");
}

enum tk_err tkv_sched_get_region_by_id(struct tkv_sched *s, uint64_t id,
                                       struct tkv_region_info **out, struct tk_errbuf *err)
{
	*out = NULL;
	BEGIN(s, err);
	c.copy = copy_regions;
	c.out = out;
	return wait_call(s, tkv_sched_async_get_region_by_id(s->a, id, on_reply, &c), &c,
	                 "get_region_by_id");
}

enum tk_err tkv_sched_scan_regions(struct tkv_sched *s, const void *start, size_t start_len,
                                   const void *end, size_t end_len, uint32_t limit,
                                   struct tkv_region_info **out, size_t *n, bool *more,
                                   struct tk_errbuf *err)
{
	*out = NULL;
	*n = 0;
	BEGIN(s, err);
	c.copy = copy_regions;
	c.out = out;
	c.out2 = more;
	enum tk_err e = wait_call(
	    s,
	    tkv_sched_async_scan_regions(s->a, start, start_len, end, end_len, limit, on_reply, &c),
	    &c, "scan_regions");
	if (!e)
		*n = c.n;
	return e;
}

enum tk_err tkv_sched_ask_split(struct tkv_sched *s, const struct tkv_region *rg,
                                uint64_t *new_region, uint64_t *new_peers, struct tk_errbuf *err)
{
	BEGIN(s, err);
	c.copy = copy_split;
	c.out = new_peers;
	c.out2 = new_region;
	return wait_call(s, tkv_sched_async_ask_split(s->a, rg, on_reply, &c), &c, "ask_split");
}

/* ---- admin calls: raw replies, converted here ---- */

static enum tk_err raw(struct tkv_sched *s, enum tk_msg_type type, const void *req, tkv_body_fn fn,
                       void *out, struct tk_errbuf *err)
{
	BEGIN(s, err);
	c.body_fn = fn;
	c.out = out;
	return wait_call(s, tkv_sched_async_call(s->a, type, req, on_raw_reply, &c), &c,
	                 tk_msg_defs[type].name);
}

static enum tk_err ignore_body(void *arg, const void *body, struct tk_errbuf *err)
{
	(void)arg;
	(void)body;
	(void)err;
	return TK_OK;
}

struct stores_out {
	struct tkv_store_info *v;
	size_t n;
};

static enum tk_err stores_body(void *arg, const void *body, struct tk_errbuf *err)
{
	const struct tk_get_all_stores_resp *r = body;
	struct stores_out *o = arg;
	o->v = malloc(sizeof *o->v * (r->stores.n ? r->stores.n : 1));
	if (!o->v)
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i < r->stores.n; i++)
		tkv_sconv_store_out(&r->stores.v[i], &o->v[i]);
	o->n = r->stores.n;
	return TK_OK;
}

enum tk_err tkv_sched_get_all_stores(struct tkv_sched *s, bool no_tombstones,
                                     struct tkv_store_info **out, size_t *n, struct tk_errbuf *err)
{
	struct tk_get_all_stores_req req = {.no_tombstones = no_tombstones};
	struct stores_out o = {NULL, 0};
	enum tk_err e = raw(s, TK_MSG_get_all_stores, &req, stores_body, &o, err);
	*out = e ? NULL : o.v;
	*n = e ? 0 : o.n;
	if (e)
		free(o.v);
	return e;
}

enum tk_err tkv_sched_store_offline(struct tkv_sched *s, uint64_t id, bool cancel,
                                    struct tk_errbuf *err)
{
	struct tk_store_offline_req req = {.id = id, .cancel = cancel};
	return raw(s, TK_MSG_store_offline, &req, ignore_body, NULL, err);
}

struct ops_out {
	struct tkv_op_info *v;
	size_t n;
};

static enum tk_err ops_body(void *arg, const void *body, struct tk_errbuf *err)
{
	const struct tk_list_operators_resp *r = body;
	struct ops_out *o = arg;
	struct tkv_op_info *v = calloc(r->ops.n ? r->ops.n : 1, sizeof *v);
	if (!v)
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i < r->ops.n; i++) {
		const struct tk_sched_op *w = &r->ops.v[i];
		v[i].region_id = w->region;
		snprintf(v[i].kind, sizeof v[i].kind, "%.*s", (int)w->kind.n,
		         (const char *)w->kind.p);
		snprintf(v[i].desc, sizeof v[i].desc, "%.*s", (int)w->desc.n,
		         (const char *)w->desc.p);
		for (uint32_t j = 0; j < w->steps.n && j < 8; j++) {
			enum tk_err e = tkv_sconv_step_out(&w->steps.v[j], &v[i].steps[j], err);
			if (e) {
				free(v);
				return e;
			}
			v[i].n_steps = j + 1;
		}
		v[i].cur = w->cur;
		v[i].age_ms = w->age_ms;
	}
	o->v = v;
	o->n = r->ops.n;
	return TK_OK;
}

enum tk_err tkv_sched_list_operators(struct tkv_sched *s, struct tkv_op_info **out, size_t *n,
                                     struct tk_errbuf *err)
{
	struct tk_empty req = {0};
	struct ops_out o = {NULL, 0};
	enum tk_err e = raw(s, TK_MSG_list_operators, &req, ops_body, &o, err);
	*out = o.v;
	*n = o.n;
	return e;
}

/* A NULL-terminated array of C strings in one allocation. */
static char **strv(const struct tk_binlist *l)
{
	size_t total = sizeof(char *) * (l->n + 1);
	for (uint32_t i = 0; i < l->n; i++)
		total += l->v[i].n + 1;
	char **v = malloc(total);
	if (!v)
		return NULL;
	char *p = (char *)(v + l->n + 1);
	for (uint32_t i = 0; i < l->n; i++) {
		v[i] = p;
		if (l->v[i].n)
			memcpy(p, l->v[i].p, l->v[i].n);
		p[l->v[i].n] = 0;
		p += l->v[i].n + 1;
	}
	v[l->n] = NULL;
	return v;
}

struct names_out {
	char **active, **available;
};

static enum tk_err names_body(void *arg, const void *body, struct tk_errbuf *err)
{
	const struct tk_list_schedulers_resp *r = body;
	struct names_out *o = arg;
	o->active = strv(&r->active);
	o->available = strv(&r->available);
	if (!o->active || !o->available) {
		free(o->active);
		free(o->available);
		o->active = o->available = NULL;
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	}
	return TK_OK;
}

enum tk_err tkv_sched_list_schedulers(struct tkv_sched *s, char ***active, char ***available,
                                      struct tk_errbuf *err)
{
	struct tk_empty req = {0};
	struct names_out o = {NULL, NULL};
	enum tk_err e = raw(s, TK_MSG_list_schedulers, &req, names_body, &o, err);
	*active = o.active;
	*available = o.available;
	return e;
}

enum tk_err tkv_sched_add_scheduler(struct tkv_sched *s, const char *name, struct tk_errbuf *err)
{
	struct tk_scheduler_name_req req = {.name = tk_slice_str(name)};
	return raw(s, TK_MSG_add_scheduler, &req, ignore_body, NULL, err);
}

enum tk_err tkv_sched_remove_scheduler(struct tkv_sched *s, const char *name, struct tk_errbuf *err)
{
	struct tk_scheduler_name_req req = {.name = tk_slice_str(name)};
	return raw(s, TK_MSG_remove_scheduler, &req, ignore_body, NULL, err);
}

struct settings_out {
	struct tkv_setting *v;
	size_t n;
};

static enum tk_err settings_body(void *arg, const void *body, struct tk_errbuf *err)
{
	const struct tk_get_config_resp *r = body;
	struct settings_out *o = arg;
	struct tkv_setting *v = calloc(r->settings.n ? r->settings.n : 1, sizeof *v);
	if (!v)
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i < r->settings.n; i++) {
		const struct tk_kv *kv = &r->settings.v[i];
		snprintf(v[i].name, sizeof v[i].name, "%.*s", (int)kv->k.n, (const char *)kv->k.p);
		snprintf(v[i].value, sizeof v[i].value, "%.*s", (int)kv->v.n,
		         (const char *)kv->v.p);
	}
	o->v = v;
	o->n = r->settings.n;
	return TK_OK;
}

enum tk_err tkv_sched_get_config(struct tkv_sched *s, const char *name, struct tkv_setting **out,
                                 size_t *n, struct tk_errbuf *err)
{
	struct tk_get_config_req req = {.name = name ? tk_slice_str(name) : tk_slice_of(NULL, 0)};
	struct settings_out o = {NULL, 0};
	enum tk_err e = raw(s, TK_MSG_get_config, &req, settings_body, &o, err);
	*out = o.v;
	*n = o.n;
	return e;
}

enum tk_err tkv_sched_set_config(struct tkv_sched *s, const char *name, const char *value,
                                 struct tk_errbuf *err)
{
	struct tk_set_config_req req = {.name = tk_slice_str(name), .value = tk_slice_str(value)};
	return raw(s, TK_MSG_set_config, &req, ignore_body, NULL, err);
}
