/* The transaction client (tinykv_txn.h): Percolator two-phase commit, lock
 * resolution with backoff, over the blocking store client (which routes
 * each command to its region's leader, route.h) and the scheduler
 * client's TSO.  Commands over several keys are split per region: a
 * prewrite or commit of keys in two regions is two requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client_int.h"
#include "client/route.h"
#include "codec/schema.h"
#include "tinykv_sched.h"
#include "tinykv_txn.h"
#include "util/bytes.h"
#include "util/clock.h"
#include "util/err.h"

struct tkv_txn_client {
	struct tkv_txn_config cfg;
	char store_addr[256], sched_addr[256];
	struct tkv_client *store;
	struct tkv_sched *sched;
};

enum mut_op { MUT_PUT, MUT_DEL };

struct mut {
	enum mut_op op;
	struct tk_buf key, value;
};

struct tkv_txn {
	struct tkv_txn_client *c;
	uint64_t start_ts;
	struct mut *muts; /* sorted by key */
	size_t n, cap;
	bool finished;
};

/* A lock met while reading or writing, to resolve. */
struct lock_seen {
	struct tk_buf primary;
	struct tk_buf key; /* where it was met: its region gets the resolve */
	uint64_t start_ts;
};

static void lock_seen_destroy(struct lock_seen *l)
{
	tk_buf_destroy(&l->primary);
	tk_buf_destroy(&l->key);
}

/* Send body (with its ctx field) to the region of key. */
static enum tk_err call_key(struct tkv_txn_client *c, enum tk_msg_type type, enum route_kind kind,
                            void *body, struct tk_region_ctx **ctx, struct tk_slice key,
                            tkv_body_fn fn, void *arg, struct tk_errbuf *err)
{
	return route_call_key(c->store, type, kind, body, ctx, key, fn, arg, err);
}

void tkv_txn_config_default(struct tkv_txn_config *c)
{
	memset(c, 0, sizeof *c);
	c->store_address = "127.0.0.1:20160";
	c->scheduler_address = "127.0.0.1:2379";
	c->lock_ttl_ms = 3000;
	c->backoff_max_ms = 10000;
	c->timeout_ms = 10000;
}

enum tk_err tkv_txn_client_new(const struct tkv_txn_config *cfg, struct tkv_txn_client **out,
			       struct tk_errbuf *err)
{
	struct tkv_txn_client *c = calloc(1, sizeof *c);
	if (!c)
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	tkv_txn_config_default(&c->cfg);
	if (cfg)
		c->cfg = *cfg;
	snprintf(c->store_addr, sizeof c->store_addr, "%s",
		 c->cfg.store_address ? c->cfg.store_address : "127.0.0.1:20160");
	snprintf(c->sched_addr, sizeof c->sched_addr, "%s",
		 c->cfg.scheduler_address ? c->cfg.scheduler_address : "127.0.0.1:2379");
	struct tkv_config sc;
	tkv_config_default(&sc);
	sc.address = c->store_addr;
	sc.scheduler_address = c->sched_addr; /* regions (none: the store serves all) */
	sc.name = "libtinykv-txn";
	sc.timeout_ms = c->cfg.timeout_ms;
	struct tkv_sched_config dc;
	tkv_sched_config_default(&dc);
	dc.address = c->sched_addr;
	dc.name = "libtinykv-txn";
	dc.timeout_ms = c->cfg.timeout_ms;
	enum tk_err e = tkv_connect(&sc, &c->store, err);
	if (!e)
		e = tkv_sched_connect(&dc, &c->sched, err);
	if (e) {
		tkv_txn_client_free(c);
		return e;
	}
	*out = c;
	return TK_OK;
}

void tkv_txn_client_free(struct tkv_txn_client *c)
{
	if (!c)
		return;
	if (c->store)
		tkv_close(c->store);
	if (c->sched)
		tkv_sched_close(c->sched);
	free(c);
}

enum tk_err tkv_txn_client_ts(struct tkv_txn_client *c, uint64_t *ts, struct tk_errbuf *err)
{
	enum tk_err e = tkv_sched_get_ts(c->sched, 1, ts, err);
	if (e)
		tk_err_wrap(err, e, "timestamp from the scheduler");
	return e;
}

/* ---- backoff ---- */

struct backoff {
	uint64_t deadline_ns;
	unsigned sleep_ms;
};

static void backoff_init(struct backoff *b, const struct tkv_txn_client *c)
{
	b->deadline_ns = tk_mono_ns() + (uint64_t)c->cfg.backoff_max_ms * 1000000u;
	b->sleep_ms = 2;
}

/* Sleep before the next attempt; false when the deadline has passed. */
static bool backoff_sleep(struct backoff *b)
{
	uint64_t now = tk_mono_ns();
	if (now >= b->deadline_ns)
		return false;
	uint64_t ns = (uint64_t)b->sleep_ms * 1000000u;
	if (now + ns > b->deadline_ns)
		ns = b->deadline_ns - now;
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
	nanosleep(&ts, NULL);
	if (b->sleep_ms < 500)
		b->sleep_ms *= 2;
	return true;
}

/* ---- lock resolution ---- */

static enum tk_err status_body(void *arg, const void *body, struct tk_errbuf *err)
{
	const struct tk_kv_check_txn_status_resp *r = body;
	uint64_t *commit_ts = arg; /* 0: rolled back; UINT64_MAX: still locked */
	(void)err;
	if (tk_slice_eq(r->status, tk_slice_str("committed")))
		*commit_ts = r->commit_ts;
	else if (tk_slice_eq(r->status, tk_slice_str("rolled_back")))
		*commit_ts = 0;
	else
		*commit_ts = UINT64_MAX;
	return TK_OK;
}

static enum tk_err ignore_body(void *arg, const void *body, struct tk_errbuf *err)
{
	(void)arg, (void)body, (void)err;
	return TK_OK;
}

/* Settle one lock's transaction: TK_OK once its locks are committed or
 * rolled back, TK_E_KEY_LOCKED while it is alive. */
static enum tk_err resolve(struct tkv_txn_client *c, const struct lock_seen *l, struct tk_errbuf *err)
{
	uint64_t now;
	enum tk_err e = tkv_txn_client_ts(c, &now, err);
	if (e)
		return e;
	/* the primary's region knows the transaction's fate (and may roll
	 * it back: a write) */
	struct tk_kv_check_txn_status_req sreq = {tk_buf_slice(&l->primary), l->start_ts, now, NULL, 0};
	uint64_t commit_ts = UINT64_MAX;
	e = call_key(c, TK_MSG_kv_check_txn_status, ROUTE_WRITE, &sreq, &sreq.ctx, sreq.primary,
	             status_body, &commit_ts, err);
	if (e)
		return e;
	if (commit_ts == UINT64_MAX)
		return tk_err_set(err, TK_E_KEY_LOCKED, "key locked by live transaction %llu",
				  (unsigned long long)l->start_ts);
	/* resolve_lock settles the transaction's locks in one region: the one
	 * where this lock was met (locks elsewhere are settled when met) */
	struct tk_kv_resolve_lock_req rreq = {l->start_ts, commit_ts, NULL, 0};
	struct tk_slice where = l->key.len ? tk_buf_slice(&l->key) : tk_buf_slice(&l->primary);
	return call_key(c, TK_MSG_kv_resolve_lock, ROUTE_WRITE, &rreq, &rreq.ctx, where,
	                ignore_body, NULL, err);
}

static void lock_from_wire(struct lock_seen *out, const struct tk_txn_lock *l)
{
	tk_buf_init(&out->primary);
	tk_buf_init(&out->key);
	tk_buf_append(&out->primary, l->primary.p, l->primary.n);
	tk_buf_append(&out->key, l->key.p, l->key.n);
	out->start_ts = l->start_ts;
}

/* ---- transactions ---- */

enum tk_err tkv_txn_begin(struct tkv_txn_client *c, struct tkv_txn **out, struct tk_errbuf *err)
{
	struct tkv_txn *t = calloc(1, sizeof *t);
	if (!t)
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	t->c = c;
	enum tk_err e = tkv_txn_client_ts(c, &t->start_ts, err);
	if (e) {
		free(t);
		return e;
	}
	*out = t;
	return TK_OK;
}

uint64_t tkv_txn_start_ts(const struct tkv_txn *t)
{
	return t->start_ts;
}

void tkv_txn_free(struct tkv_txn *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		tk_buf_destroy(&t->muts[i].key);
		tk_buf_destroy(&t->muts[i].value);
	}
	free(t->muts);
	free(t);
}

/* Index of key in the sorted buffer, or where it would go (*found false). */
static size_t find(const struct tkv_txn *t, struct tk_slice key, bool *found)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = tk_slice_cmp(tk_buf_slice(&t->muts[mid].key), key);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static enum tk_err buffer(struct tkv_txn *t, enum mut_op op, const void *key, size_t key_len,
			  const void *value, size_t value_len, struct tk_errbuf *err)
{
	if (t->finished)
		return tk_err_set(err, TK_E_BAD_REQUEST, "the transaction is finished");
	if (key_len == 0)
		return tk_err_set(err, TK_E_BAD_REQUEST, "key must not be empty");
	bool found;
	size_t i = find(t, tk_slice_of(key, key_len), &found);
	if (!found) {
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 8;
			struct mut *m = realloc(t->muts, cap * sizeof *m);
			if (!m)
				return tk_err_set(err, TK_E_NOMEM, "out of memory");
			t->muts = m;
			t->cap = cap;
		}
		memmove(&t->muts[i + 1], &t->muts[i], (t->n - i) * sizeof *t->muts);
		t->n++;
		tk_buf_init(&t->muts[i].key);
		tk_buf_init(&t->muts[i].value);
		tk_buf_append(&t->muts[i].key, key, key_len);
	}
	t->muts[i].op = op;
	tk_buf_reset(&t->muts[i].value);
	if (!tk_buf_append(&t->muts[i].value, value, value_len) ||
	    (key_len && !t->muts[i].key.data))
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	return TK_OK;
}

enum tk_err tkv_txn_set(struct tkv_txn *t, const void *key, size_t key_len, const void *value,
			size_t value_len, struct tk_errbuf *err)
{
	return buffer(t, MUT_PUT, key, key_len, value, value_len, err);
}

enum tk_err tkv_txn_delete(struct tkv_txn *t, const void *key, size_t key_len,
			   struct tk_errbuf *err)
{
	return buffer(t, MUT_DEL, key, key_len, NULL, 0, err);
}

/* ---- reads ---- */

struct get_out {
	struct tk_buf value;
	bool found;
	bool locked;
	struct lock_seen lock;
};

static enum tk_err get_body(void *arg, const void *body, struct tk_errbuf *err)
{
	const struct tk_kv_get_resp *r = body;
	struct get_out *o = arg;
	(void)err;
	if (r->error && r->error->lock) {
		o->locked = true;
		lock_from_wire(&o->lock, r->error->lock);
		return TK_OK;
	}
	o->found = r->value.p != NULL;
	if (o->found)
		tk_buf_append(&o->value, r->value.p, r->value.n);
	return TK_OK;
}

static uint8_t *dup_nul(const void *p, size_t n)
{
	uint8_t *d = malloc(n + 1);
	if (d) {
		if (n)
			memcpy(d, p, n);
		d[n] = 0;
	}
	return d;
}

enum tk_err tkv_txn_get(struct tkv_txn *t, const void *key, size_t key_len, uint8_t **value,
			size_t *value_len, bool *found, struct tk_errbuf *err)
{
	if (t->finished)
		return tk_err_set(err, TK_E_BAD_REQUEST, "the transaction is finished");
	bool in_buf;
	size_t i = find(t, tk_slice_of(key, key_len), &in_buf);
	*found = false;
	*value = NULL;
	*value_len = 0;
	if (in_buf) {
		if (t->muts[i].op == MUT_DEL)
			return TK_OK;
		*found = true;
		*value_len = t->muts[i].value.len;
		*value = dup_nul(t->muts[i].value.data, t->muts[i].value.len);
		return *value ? TK_OK : tk_err_set(err, TK_E_NOMEM, "out of memory");
	}
	struct backoff b;
	backoff_init(&b, t->c);
	for (;;) {
		struct get_out o;
		memset(&o, 0, sizeof o);
		tk_buf_init(&o.value);
		struct tk_kv_get_req req = {tk_slice_of(key_len ? key : "", key_len), t->start_ts, NULL, 0};
		enum tk_err e = call_key(t->c, TK_MSG_kv_get, ROUTE_READ, &req, &req.ctx, req.key,
		                         get_body, &o, err);
		if (!e && !o.locked) {
			*found = o.found;
			if (o.found) {
				*value_len = o.value.len;
				*value = dup_nul(o.value.data, o.value.len);
				if (!*value)
					e = tk_err_set(err, TK_E_NOMEM, "out of memory");
			}
		}
		tk_buf_destroy(&o.value);
		if (e || !o.locked)
			return e;
		e = resolve(t->c, &o.lock, err);
		lock_seen_destroy(&o.lock);
		if (e && e != TK_E_KEY_LOCKED)
			return e;
		if (e == TK_E_KEY_LOCKED && !backoff_sleep(&b))
			return tk_err_wrap(err, e, "gave up after %u ms", t->c->cfg.backoff_max_ms);
	}
}

struct scan_out {
	struct tkv_kv *kvs;
	size_t n;
	struct lock_seen *locks;
	size_t n_locks;
	bool nomem;
};

static enum tk_err scan_body(void *arg, const void *body, struct tk_errbuf *err)
{
	const struct tk_kv_scan_resp *r = body;
	struct scan_out *o = arg;
	(void)err;
	/* appended to: a scan across regions is one reply per region */
	struct tkv_kv *kvs = realloc(o->kvs, (o->n + r->pairs.n + 1) * sizeof *kvs);
	if (kvs)
		o->kvs = kvs;
	struct lock_seen *locks = realloc(o->locks, (o->n_locks + r->pairs.n + 1) * sizeof *locks);
	if (locks)
		o->locks = locks;
	if (!kvs || !locks) {
		o->nomem = true;
		return TK_E_NOMEM;
	}
	for (uint32_t i = 0; i < r->pairs.n; i++) {
		const struct tk_txn_pair *p = &r->pairs.v[i];
		if (p->error && p->error->lock) {
			lock_from_wire(&o->locks[o->n_locks++], p->error->lock);
			continue;
		}
		struct tkv_kv *kv = &o->kvs[o->n++];
		kv->key = dup_nul(p->key.p, p->key.n);
		kv->key_len = p->key.n;
		kv->value = dup_nul(p->value.p, p->value.n);
		kv->value_len = p->value.n;
		if (!kv->key || !kv->value)
			o->nomem = true;
	}
	return o->nomem ? TK_E_NOMEM : TK_OK;
}

/* A kv_scan cut to each region in turn. */
struct scan_st {
	struct tk_kv_scan_req req;
	struct tk_slice start, end; /* what is left of the range */
	bool routed, region_end_inf;
	struct tk_buf region_end;
};

static const void *build_scan(void *arg, const struct rc_region *r, struct tk_region_ctx *ctx)
{
	struct scan_st *s = arg;
	s->req.ctx = ctx;
	s->req.start = s->start;
	s->req.end = s->end;
	s->routed = r != NULL;
	tk_buf_reset(&s->region_end);
	if (!r)
		return &s->req;
	if (!tk_buf_append(&s->region_end, r->end, r->end_len))
		return NULL;
	s->region_end_inf = r->end_len == 0;
	struct tk_slice rs = tk_slice_of(r->start, r->start_len);
	struct tk_slice re = tk_slice_of(r->end, r->end_len);
	if (tk_slice_cmp(rs, s->start) > 0)
		s->req.start = rs;
	if (r->end_len && (!s->end.p || !s->end.n || tk_slice_cmp(re, s->end) < 0))
		s->req.end = re;
	return &s->req;
}

/* kv_scan [start, end) at version, region by region, until `ask` pairs and
 * locks are in o or the range ends. */
static enum tk_err scan_routed(struct tkv_txn *t, struct tk_slice start, struct tk_slice end,
                               uint64_t ask, struct scan_out *o, struct tk_errbuf *err)
{
	struct scan_st s;
	memset(&s, 0, sizeof s);
	tk_buf_init(&s.region_end);
	struct tk_buf cursor;
	tk_buf_init(&cursor);
	s.start = start;
	s.end = end;
	s.req.version = t->start_ts;
	struct route_budget b;
	route_budget_init(t->c->store, &b);
	enum tk_err e;
	for (;;) {
		s.req.limit = ask - (o->n + o->n_locks);
		struct route_op op = {.type = TK_MSG_kv_scan, .kind = ROUTE_READ, .key = s.start.p,
		                      .key_len = s.start.n, .build = build_scan, .arg = &s};
		e = route_call(t->c->store, &b, &op, scan_body, o, err);
		if (e || !s.routed || o->n + o->n_locks >= ask || s.region_end_inf)
			break;
		struct tk_slice re = tk_buf_slice(&s.region_end);
		if (s.end.p && s.end.n && tk_slice_cmp(re, s.end) >= 0)
			break;
		tk_buf_reset(&cursor);
		if (!tk_buf_append(&cursor, re.p, re.n)) {
			e = tk_err_set(err, TK_E_NOMEM, "out of memory");
			break;
		}
		s.start = tk_buf_slice(&cursor);
	}
	tk_buf_destroy(&s.region_end);
	tk_buf_destroy(&cursor);
	return e;
}

static void free_scan_out(struct scan_out *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->kvs[i].key);
		free(o->kvs[i].value);
	}
	for (size_t i = 0; i < o->n_locks; i++)
		lock_seen_destroy(&o->locks[i]);
	free(o->kvs);
	free(o->locks);
	memset(o, 0, sizeof *o);
}

static int kv_cmp(const void *a, const void *b)
{
	const struct tkv_kv *x = a, *y = b;
	return tk_slice_cmp(tk_slice_of(x->key, x->key_len), tk_slice_of(y->key, y->key_len));
}

/* Merge the server's pairs with the buffered writes in range, sorted and
 * cut at limit, into one tkv_kvs_free-able block. */
static enum tk_err merge(struct tkv_txn *t, const struct scan_out *o, struct tk_slice start,
			 struct tk_slice end, uint32_t limit, struct tkv_kv **out, size_t *nout,
			 struct tk_errbuf *err)
{
	struct tkv_kv *all = calloc(o->n + t->n + 1, sizeof *all);
	if (!all)
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < o->n; i++) {
		bool in_buf;
		find(t, tk_slice_of(o->kvs[i].key, o->kvs[i].key_len), &in_buf);
		if (!in_buf)
			all[n++] = o->kvs[i];
	}
	for (size_t i = 0; i < t->n; i++) {
		struct tk_slice k = tk_buf_slice(&t->muts[i].key);
		if (t->muts[i].op != MUT_PUT || tk_slice_cmp(k, start) < 0 ||
		    (end.p && end.n && tk_slice_cmp(k, end) >= 0))
			continue;
		all[n].key = t->muts[i].key.data;
		all[n].key_len = t->muts[i].key.len;
		all[n].value = t->muts[i].value.data ? t->muts[i].value.data : (uint8_t *)"";
		all[n].value_len = t->muts[i].value.len;
		n++;
	}
	qsort(all, n, sizeof *all, kv_cmp);
	if (n > limit)
		n = limit;
	/* one block: array, then NUL-terminated keys and values */
	size_t total = n * sizeof(struct tkv_kv);
	for (size_t i = 0; i < n; i++)
		total += all[i].key_len + all[i].value_len + 2;
	struct tkv_kv *res = malloc(total ? total : 1);
	if (!res) {
		free(all);
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	}
	uint8_t *p = (uint8_t *)(res + n);
	for (size_t i = 0; i < n; i++) {
		res[i].key = p;
		res[i].key_len = all[i].key_len;
		memcpy(p, all[i].key, all[i].key_len);
		p[all[i].key_len] = 0;
		p += all[i].key_len + 1;
		res[i].value = p;
		res[i].value_len = all[i].value_len;
		if (all[i].value_len)
			memcpy(p, all[i].value, all[i].value_len);
		p[all[i].value_len] = 0;
		p += all[i].value_len + 1;
	}
	free(all);
	*out = res;
	*nout = n;
	return TK_OK;
}

enum tk_err tkv_txn_scan(struct tkv_txn *t, const void *start, size_t start_len, const void *end,
			 size_t end_len, uint32_t limit, struct tkv_kv **kvs, size_t *n,
			 struct tk_errbuf *err)
{
	if (t->finished)
		return tk_err_set(err, TK_E_BAD_REQUEST, "the transaction is finished");
	if (limit == 0)
		limit = 100;
	struct tk_slice s = tk_slice_of(start_len ? start : "", start_len);
	struct tk_slice e_ = end ? tk_slice_of(end_len ? end : "", end_len) : tk_slice_of(NULL, 0);
	/* buffered deletes may hide server pairs: ask for that many more */
	uint64_t ask = (uint64_t)limit + t->n;
	struct backoff b;
	backoff_init(&b, t->c);
	for (;;) {
		struct scan_out o;
		memset(&o, 0, sizeof o);
		enum tk_err e = scan_routed(t, s, e_, ask, &o, err);
		if (!e && o.n_locks == 0)
			e = merge(t, &o, s, e_, limit, kvs, n, err);
		bool retry = false;
		for (size_t i = 0; !e && i < o.n_locks; i++) {
			enum tk_err r = resolve(t->c, &o.locks[i], err);
			if (r == TK_E_KEY_LOCKED)
				retry = true;
			else if (r)
				e = r;
		}
		bool had_locks = o.n_locks > 0;
		free_scan_out(&o);
		if (e || !had_locks)
			return e;
		if (retry && !backoff_sleep(&b))
			return tk_err_set(err, TK_E_KEY_LOCKED, "scan: a lock stayed alive for %u ms",
					  t->c->cfg.backoff_max_ms);
	}
}

/* ---- commit ---- */

struct prewrite_out {
	enum tk_err outcome; /* first non-lock failure */
	struct tk_errbuf detail;
	struct lock_seen *locks;
	size_t n_locks, cap_locks;
};

static enum tk_err prewrite_body(void *arg, const void *body, struct tk_errbuf *err)
{
	const struct tk_kv_prewrite_resp *r = body;
	struct prewrite_out *o = arg;
	(void)err;
	for (uint32_t i = 0; i < r->errors.n; i++) {
		const struct tk_key_error *k = &r->errors.v[i];
		int known;
		enum tk_err code = tk_err_from_name((const char *)k->code.p, k->code.n, &known);
		if (code == TK_E_KEY_LOCKED && k->lock) {
			if (o->n_locks == o->cap_locks) {
				size_t cap = o->cap_locks ? o->cap_locks * 2 : 4;
				struct lock_seen *l = realloc(o->locks, cap * sizeof *l);
				if (!l)
					return TK_E_NOMEM;
				o->locks = l;
				o->cap_locks = cap;
			}
			lock_from_wire(&o->locks[o->n_locks++], k->lock);
		} else if (!o->outcome) {
			o->outcome = code;
			if (code == TK_E_WRITE_CONFLICT)
				tk_err_set(&o->detail, code,
					   "write conflict on key '%.*s': committed at %llu after our start %llu",
					   (int)(k->key.n > 64 ? 64 : k->key.n), k->key.p,
					   (unsigned long long)k->conflict_commit_ts,
					   (unsigned long long)k->start_ts);
			else
				tk_err_set(&o->detail, code, "prewrite of '%.*s': %.*s",
					   (int)(k->key.n > 64 ? 64 : k->key.n), k->key.p, (int)k->code.n,
					   k->code.p);
		}
	}
	return TK_OK;
}

static void free_locks(struct prewrite_out *o)
{
	for (size_t i = 0; i < o->n_locks; i++)
		lock_seen_destroy(&o->locks[i]);
	free(o->locks);
	o->locks = NULL;
	o->n_locks = o->cap_locks = 0;
}

/* Keys of muts[from, to) grouped per region: each request carries the
 * keys not yet done that lie in the region it is built for. */
struct group_st {
	struct tkv_txn *t;
	size_t from, to;
	bool *done, *sent; /* per mut in [from, to) */
	struct tk_mutation *m;
	struct tk_slice *keys;
	enum tk_msg_type type;
	uint64_t commit_ts;
	union {
		struct tk_kv_prewrite_req prewrite;
		struct tk_kv_commit_req commit;
		struct tk_kv_batch_rollback_req rollback;
	} req;
};

static const void *build_group(void *arg, const struct rc_region *r, struct tk_region_ctx *ctx)
{
	struct group_st *g = arg;
	uint32_t n = 0;
	for (size_t i = 0; i < g->to - g->from; i++) {
		const struct mut *x = &g->t->muts[g->from + i];
		g->sent[i] = !g->done[i] && (!r || rc_contains(r, x->key.data, x->key.len));
		if (!g->sent[i])
			continue;
		g->keys[n] = tk_buf_slice(&x->key);
		g->m[n].op = tk_slice_str(x->op == MUT_PUT ? "put" : "del");
		g->m[n].key = g->keys[n];
		g->m[n].value = x->op == MUT_PUT ? tk_slice_of(x->value.data ? (const void *)x->value.data
		                                                             : "",
		                                               x->value.len)
		                                 : tk_slice_of(NULL, 0);
		n++;
	}
	struct tkv_txn *t = g->t;
	if (g->type == TK_MSG_kv_prewrite)
		g->req.prewrite = (struct tk_kv_prewrite_req){.mutations = {g->m, n},
		                                              .primary = tk_buf_slice(&t->muts[0].key),
		                                              .start_ts = t->start_ts,
		                                              .lock_ttl = t->c->cfg.lock_ttl_ms,
		                                              .ctx = ctx};
	else if (g->type == TK_MSG_kv_commit)
		g->req.commit = (struct tk_kv_commit_req){.keys = {g->keys, n},
		                                          .start_ts = t->start_ts,
		                                          .commit_ts = g->commit_ts,
		                                          .ctx = ctx};
	else
		g->req.rollback = (struct tk_kv_batch_rollback_req){
		    .keys = {g->keys, n}, .start_ts = t->start_ts, .ctx = ctx};
	return &g->req;
}

static bool group_init(struct group_st *g, struct tkv_txn *t, enum tk_msg_type type, size_t from,
                       size_t to)
{
	memset(g, 0, sizeof *g);
	g->t = t;
	g->type = type;
	g->from = from;
	g->to = to;
	size_t n = to > from ? to - from : 1;
	g->done = calloc(n, sizeof *g->done);
	g->sent = calloc(n, sizeof *g->sent);
	g->m = calloc(n, sizeof *g->m);
	g->keys = calloc(n, sizeof *g->keys);
	return g->done && g->sent && g->m && g->keys;
}

static void group_destroy(struct group_st *g)
{
	free(g->done);
	free(g->sent);
	free(g->m);
	free(g->keys);
}

/* The first mut of the group not done (g->to - g->from when all are). */
static size_t group_next(const struct group_st *g)
{
	size_t i = 0;
	while (i < g->to - g->from && g->done[i])
		i++;
	return i;
}

static void group_mark_sent_done(struct group_st *g)
{
	for (size_t i = 0; i < g->to - g->from; i++)
		if (g->sent[i])
			g->done[i] = true;
}

static struct route_op group_op(struct group_st *g, size_t i)
{
	const struct tk_buf *k = &g->t->muts[g->from + i].key;
	return (struct route_op){.type = g->type, .kind = ROUTE_WRITE, .key = k->data,
	                         .key_len = k->len, .build = build_group, .arg = g};
}

/* Prewrite muts[from, to), one request per region, with retries over the
 * locks in the way. */
static enum tk_err prewrite(struct tkv_txn *t, size_t from, size_t to, struct tk_errbuf *err)
{
	struct group_st g;
	enum tk_err e = TK_OK;
	if (!group_init(&g, t, TK_MSG_kv_prewrite, from, to))
		e = tk_err_set(err, TK_E_NOMEM, "out of memory");
	struct route_budget rb;
	route_budget_init(t->c->store, &rb);
	for (size_t i; !e && (i = group_next(&g)) < to - from;) {
		struct backoff b;
		backoff_init(&b, t->c);
		for (;;) {
			struct prewrite_out o;
			memset(&o, 0, sizeof o);
			struct route_op op = group_op(&g, i);
			e = route_call(t->c->store, &rb, &op, prewrite_body, &o, err);
			if (!e && o.outcome) {
				*err = o.detail;
				e = o.outcome;
			}
			bool retry = false;
			for (size_t j = 0; !e && j < o.n_locks; j++) {
				enum tk_err r = resolve(t->c, &o.locks[j], err);
				if (r == TK_E_KEY_LOCKED)
					retry = true;
				else if (r)
					e = r;
			}
			bool had_locks = o.n_locks > 0;
			free_locks(&o);
			if (!e && !had_locks)
				group_mark_sent_done(&g);
			if (e || !had_locks)
				break;
			if (retry && !backoff_sleep(&b)) {
				e = tk_err_set(err, TK_E_KEY_LOCKED,
				               "prewrite: a lock stayed alive for %u ms",
				               t->c->cfg.backoff_max_ms);
				break;
			}
		}
	}
	group_destroy(&g);
	return e;
}

static enum tk_err key_error_body(void *arg, const void *body, struct tk_errbuf *err)
{
	const struct tk_kv_key_error_resp *r = body;
	(void)arg;
	if (!r->error)
		return TK_OK;
	int known;
	enum tk_err code = tk_err_from_name((const char *)r->error->code.p, r->error->code.n, &known);
	return tk_err_set(err, code, "%.*s on key '%.*s'", (int)r->error->code.n, r->error->code.p,
			  (int)(r->error->key.n > 64 ? 64 : r->error->key.n), r->error->key.p);
}

/* Commit (or roll back) the keys of muts[from, to), one request per region. */
static enum tk_err send_keys(struct tkv_txn *t, enum tk_msg_type type, size_t from, size_t to,
			     uint64_t commit_ts, struct tk_errbuf *err)
{
	struct group_st g;
	enum tk_err e = TK_OK;
	if (!group_init(&g, t, type, from, to))
		e = tk_err_set(err, TK_E_NOMEM, "out of memory");
	g.commit_ts = commit_ts;
	struct route_budget rb;
	route_budget_init(t->c->store, &rb);
	for (size_t i; !e && (i = group_next(&g)) < to - from;) {
		struct route_op op = group_op(&g, i);
		e = route_call(t->c->store, &rb, &op, key_error_body, NULL, err);
		if (!e)
			group_mark_sent_done(&g);
	}
	group_destroy(&g);
	return e;
}

enum tk_err tkv_txn_commit(struct tkv_txn *t, uint64_t *commit_ts, struct tk_errbuf *err)
{
	if (t->finished)
		return tk_err_set(err, TK_E_BAD_REQUEST, "the transaction is finished");
	t->finished = true;
	if (commit_ts)
		*commit_ts = 0;
	if (t->n == 0)
		return TK_OK; /* read-only: nothing to do */
	/* primary first: once it is locked, every secondary names it */
	enum tk_err e = prewrite(t, 0, 1, err);
	if (!e && t->n > 1)
		e = prewrite(t, 1, t->n, err);
	if (e) {
		/* leave nothing behind for others to resolve */
		struct tk_errbuf ignored;
		send_keys(t, TK_MSG_kv_batch_rollback, 0, t->n, 0, &ignored);
		return e;
	}
	if (t->c->cfg.crash_point == 1)
		return tk_err_set(err, TK_E_INTERNAL, "stopped after prewrite (crash_point 1)");
	uint64_t cts;
	e = tkv_txn_client_ts(t->c, &cts, err);
	if (!e)
		e = send_keys(t, TK_MSG_kv_commit, 0, 1, cts, err); /* the commit point */
	if (e)
		return e;
	if (commit_ts)
		*commit_ts = cts;
	if (t->c->cfg.crash_point == 2)
		return tk_err_set(err, TK_E_INTERNAL, "stopped after the primary commit (crash_point 2)");
	/* committed; a secondary that fails here is resolved by the next reader */
	if (t->n > 1) {
		struct tk_errbuf ignored;
		send_keys(t, TK_MSG_kv_commit, 1, t->n, cts, &ignored);
	}
	return TK_OK;
}

enum tk_err tkv_txn_rollback(struct tkv_txn *t, struct tk_errbuf *err)
{
	(void)err;
	/* nothing reached the store before commit: dropping the buffer is all */
	t->finished = true;
	return TK_OK;
}

enum tk_err tkv_txn_run(struct tkv_txn_client *c, unsigned max_attempts, tkv_txn_fn fn, void *arg,
			struct tk_errbuf *err)
{
	enum tk_err e = TK_OK;
	if (max_attempts == 0)
		max_attempts = 1;
	for (unsigned attempt = 0; attempt < max_attempts; attempt++) {
		struct tkv_txn *t;
		e = tkv_txn_begin(c, &t, err);
		if (e)
			return e;
		e = fn(t, arg, err);
		if (e == TK_OK)
			e = tkv_txn_commit(t, NULL, err);
		tkv_txn_free(t);
		if (e != TK_E_WRITE_CONFLICT && e != TK_E_TXN_ROLLED_BACK && e != TK_E_TXN_NOT_FOUND &&
		    e != TK_E_KEY_LOCKED)
			return e;
	}
	return e;
}

/* ---- garbage collection ---- */

struct scan_lock_out {
	struct lock_seen *locks;
	size_t n;
	bool more;
	struct tk_buf last_key;
};

static enum tk_err scan_lock_body(void *arg, const void *body, struct tk_errbuf *err)
{
	const struct tk_kv_scan_lock_resp *r = body;
	struct scan_lock_out *o = arg;
	(void)err;
	o->locks = calloc(r->locks.n + 1, sizeof *o->locks);
	if (!o->locks)
		return TK_E_NOMEM;
	for (uint32_t i = 0; i < r->locks.n; i++)
		lock_from_wire(&o->locks[o->n++], &r->locks.v[i]);
	o->more = r->more;
	if (r->locks.n) {
		tk_buf_reset(&o->last_key);
		tk_buf_append(&o->last_key, r->locks.v[r->locks.n - 1].key.p, r->locks.v[r->locks.n - 1].key.n);
	}
	return TK_OK;
}

/* GC of one region: its locks below the safe point, then kv_gc pinned to
 * the region (and epoch) whose locks were resolved. */
struct gc_st {
	struct tk_kv_scan_lock_req sl;
	struct tk_kv_gc_req gc;
	struct tk_slice start;
	bool gc_phase;
	bool routed, region_end_inf;
	struct tk_buf region_end;
	struct tk_region_ctx scanned; /* the region the locks were scanned in */
	struct tk_region_ctx pinned;
};

static const void *build_gc(void *arg, const struct rc_region *r, struct tk_region_ctx *ctx)
{
	struct gc_st *g = arg;
	if (g->gc_phase) {
		/* the epoch scanned: a region changed since answers EPOCH_NOT_MATCH */
		if (ctx) {
			g->pinned = *ctx;
			g->pinned.region = g->scanned.region;
			g->pinned.conf_ver = g->scanned.conf_ver;
			g->pinned.version = g->scanned.version;
		}
		g->gc.ctx = ctx ? &g->pinned : NULL;
		return &g->gc;
	}
	g->sl.ctx = ctx;
	g->sl.start = g->start;
	g->sl.end = tk_slice_of(NULL, 0);
	g->routed = r != NULL;
	tk_buf_reset(&g->region_end);
	if (!r)
		return &g->sl;
	g->scanned = *ctx;
	if (!tk_buf_append(&g->region_end, r->end, r->end_len))
		return NULL;
	g->region_end_inf = r->end_len == 0;
	struct tk_slice rs = tk_slice_of(r->start, r->start_len);
	if (tk_slice_cmp(rs, g->start) > 0)
		g->sl.start = rs;
	if (r->end_len)
		g->sl.end = tk_slice_of(r->end, r->end_len);
	return &g->sl;
}

static enum tk_err gc_sum_body(void *arg, const void *body, struct tk_errbuf *err)
{
	(void)err;
	*(uint64_t *)arg += ((const struct tk_kv_gc_resp *)body)->deleted;
	return TK_OK;
}

/* Resolve the locks below the safe point in the region of g->start (the
 * whole store when unrouted), then collect its garbage. */
static enum tk_err gc_region(struct tkv_txn_client *c, struct gc_st *g, uint64_t *deleted,
                             struct tk_errbuf *err)
{
	struct backoff b;
	backoff_init(&b, c);
	struct route_budget rb;
	route_budget_init(c->store, &rb);
	g->gc_phase = false;
	for (;;) {
		struct scan_lock_out o;
		memset(&o, 0, sizeof o);
		tk_buf_init(&o.last_key);
		struct route_op op = {.type = TK_MSG_kv_scan_lock, .kind = ROUTE_READ,
		                      .key = g->start.p, .key_len = g->start.n,
		                      .build = build_gc, .arg = g};
		enum tk_err e = route_call(c->store, &rb, &op, scan_lock_body, &o, err);
		bool live = false;
		for (size_t i = 0; !e && i < o.n; i++) {
			enum tk_err r = resolve(c, &o.locks[i], err);
			if (r == TK_E_KEY_LOCKED)
				live = true;
			else if (r)
				e = r;
		}
		size_t found = o.n;
		for (size_t i = 0; i < o.n; i++)
			lock_seen_destroy(&o.locks[i]);
		free(o.locks);
		tk_buf_destroy(&o.last_key);
		if (e)
			return e;
		if (found == 0)
			break;
		if (live && !backoff_sleep(&b))
			return tk_err_set(err, TK_E_KEY_LOCKED, "gc: a lock below the safe point stayed alive");
	}
	g->gc_phase = true;
	struct route_op op = {.type = TK_MSG_kv_gc, .kind = ROUTE_WRITE, .key = g->start.p,
	                      .key_len = g->start.n, .pinned = true, .build = build_gc, .arg = g};
	return route_call(c->store, &rb, &op, gc_sum_body, deleted, err);
}

enum tk_err tkv_txn_gc(struct tkv_txn_client *c, uint64_t safe_point, uint64_t *deleted,
		       struct tk_errbuf *err)
{
	struct gc_st g;
	memset(&g, 0, sizeof g);
	tk_buf_init(&g.region_end);
	struct tk_buf cursor;
	tk_buf_init(&cursor);
	g.sl = (struct tk_kv_scan_lock_req){.max_ts = safe_point, .limit = 1000};
	g.gc.safe_point = safe_point;
	g.start = tk_slice_of("", 0);
	uint64_t total = 0;
	enum tk_err e;
	unsigned restarts = 0;
	for (;;) {
		e = gc_region(c, &g, &total, err);
		if ((e == TK_E_EPOCH_NOT_MATCH || e == TK_E_REGION_NOT_FOUND ||
		     e == TK_E_KEY_NOT_IN_REGION) && restarts++ < 5)
			continue; /* the region changed under us: again, as it is now */
		if (e || !g.routed || g.region_end_inf)
			break;
		tk_buf_reset(&cursor);
		struct tk_slice re = tk_buf_slice(&g.region_end);
		if (!tk_buf_append(&cursor, re.p, re.n)) {
			e = tk_err_set(err, TK_E_NOMEM, "out of memory");
			break;
		}
		g.start = tk_buf_slice(&cursor);
		restarts = 0;
	}
	tk_buf_destroy(&g.region_end);
	tk_buf_destroy(&cursor);
	if (!e && deleted)
		*deleted = total;
	return e;
}
