/* The transactional (Percolator) commands of tinykvd: wire structs in and
 * out, the commands themselves in src/txn.
 *
 * Serialization: a writing command takes the latches of its keys
 * (txn/latches.h) and keeps them until its writes are applied from the raft
 * log, because until then the engine does not show them.  A command whose
 * keys are latched waits: its connection is held (NET_HOLD) and the command
 * runs again once a proposal was applied, so the reactor never waits and
 * commands on different keys still share one proposal and one fsync.
 * resolve_lock and gc touch keys found only while running, so they run
 * alone: they wait until no latched write is in flight, and any later
 * writing command waits until they are applied. */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "txn/latches.h"
#include "txn/txn_cmds.h"

static const char *const kind_names[] = {"?", "put", "del", "lock"};

static struct tk_txn_lock *lock_out(struct tk_arena *a, const struct txn_lock_info *l)
{
	struct tk_txn_lock *o = tk_arena_alloc(a, sizeof *o);
	if (!o)
		return NULL;
	o->key = l->key;
	o->primary = l->primary;
	o->start_ts = l->start_ts;
	o->ttl = l->ttl_ms;
	o->kind = tk_slice_str(kind_names[(unsigned)l->kind <= 3 ? l->kind : 0]);
	return o;
}

static struct tk_key_error *key_error_out(struct tk_arena *a, const struct txn_key_error *k)
{
	struct tk_key_error *o = tk_arena_alloc(a, sizeof *o);
	if (!o)
		return NULL;
	o->code = tk_slice_str(tk_err_name(k->code));
	o->key = k->key.p ? k->key : tk_slice_of(NULL, 0);
	if (k->has_lock)
		o->lock = lock_out(a, &k->lock);
	o->primary = k->primary;
	o->start_ts = k->start_ts;
	o->conflict_start_ts = k->conflict_start_ts;
	o->conflict_commit_ts = k->conflict_commit_ts;
	o->commit_ts = k->commit_ts;
	return o;
}

static bool is_outcome(enum tk_err e)
{
	return e == TK_E_KEY_LOCKED || e == TK_E_WRITE_CONFLICT || e == TK_E_TXN_NOT_FOUND ||
	       e == TK_E_TXN_COMMITTED || e == TK_E_TXN_ROLLED_BACK;
}

/* ---- latches ---- */

/* The command must wait for writes in flight: execute holds its
 * connection and runs it again after the next apply. */
static enum tk_err must_wait(struct store *s, struct tk_errbuf *eb)
{
	s->txn.wait = true;
	return tk_err_set(eb, TK_E_SERVER_IS_BUSY, "waiting for latches");
}

static enum tk_err latch(struct store *s, const struct tk_slice *keys, size_t n, uint64_t *id,
			 struct tk_errbuf *eb)
{
	struct store_txn *t = &s->txn;
	if (t->exclusive) /* a resolve/gc in flight touched unknown keys */
		return must_wait(s, eb);
	*id = ++t->next_cmd;
	bool acquired;
	enum tk_err e = txn_latches_acquire(t->latches, *id, keys, n, &acquired);
	if (e)
		return tk_err_set(eb, e, "latches: out of memory");
	if (!acquired) {
		const uint64_t *woken;
		txn_latches_release(t->latches, *id, &woken); /* cancel the wait */
		return must_wait(s, eb);
	}
	return TK_OK;
}

/* Keep command id's latches until its proposal is applied. */
static enum tk_err hold(struct store *s, uint64_t id, struct tk_errbuf *eb)
{
	struct store_txn *t = &s->txn;
	if (t->n_held == t->cap_held) {
		size_t cap = t->cap_held ? t->cap_held * 2 : 64;
		uint64_t *h = realloc(t->held, cap * sizeof *h);
		if (!h)
			return tk_err_set(eb, TK_E_NOMEM, "out of memory");
		t->held = h;
		t->cap_held = cap;
	}
	t->held[t->n_held++] = id;
	t->inflight++;
	return TK_OK;
}

/* After a writing command ran: its batch joins the iteration's proposal and
 * its latches are held until that is applied; a command that wrote nothing
 * lets go now. */
static enum tk_err finish_write(struct store *s, uint64_t id, bool *deferred, struct tk_errbuf *eb)
{
	struct store_txn *t = &s->txn;
	enum tk_err e = TK_OK;
	if (eng_batch_count(t->batch)) {
		struct store_stage_mark m = store_stage_mark(s, eng_batch_bytes(t->batch));
		e = store_stage_batch(s, t->batch);
		if (e) {
			store_stage_rollback(s, m);
			e = tk_err_set(eb, e, "staging the command's writes: %s", tk_strerror(e));
		} else {
			e = hold(s, id, eb);
			if (e)
				store_stage_rollback(s, m);
		}
	}
	if (e || eng_batch_count(t->batch) == 0) {
		const uint64_t *woken;
		txn_latches_release(t->latches, id, &woken);
		eng_batch_clear(t->batch);
		return e;
	}
	eng_batch_clear(t->batch);
	*deferred = true;
	return TK_OK;
}

/* A command that takes no latches (it runs alone) but still writes: until
 * its batch is applied, any later writer waits (its keys are unknown).  One
 * that wrote nothing leaves no such mark. */
static enum tk_err finish_alone(struct store *s, bool *deferred, struct tk_errbuf *eb)
{
	uint64_t id = ++s->txn.next_cmd;
	bool acquired;
	enum tk_err e = txn_latches_acquire(s->txn.latches, id, NULL, 0, &acquired);
	if (e)
		return tk_err_set(eb, e, "latches: out of memory");
	e = finish_write(s, id, deferred, eb);
	if (e == TK_OK && *deferred && !s->txn.pending_exclusive) {
		s->txn.pending_exclusive = true;
		s->txn.exclusive++;
	}
	return e;
}

/* ---- commands ---- */

#define VIEW(s) {(s)->net.eng, NULL}

enum tk_err store_kv_get(struct store *s, struct net_conn *c, const void *reqp, void *respp,
			  bool *deferred, struct tk_errbuf *eb)
{
	const struct tk_kv_get_req *req = reqp;
	struct tk_kv_get_resp *resp = respp;
	(void)deferred;
	struct mvcc_view v = VIEW(s);
	struct txn_get_req r = {req->key, req->version};
	struct txn_get_resp out;
	memset(&out, 0, sizeof out);
	enum tk_err e = txn_get(&v, &r, &out, &c->arena, eb);
	if (is_outcome(e)) {
		resp->error = key_error_out(&c->arena, &out.err);
		return TK_OK;
	}
	if (e == TK_OK && out.found)
		resp->value = out.value.p ? out.value : tk_slice_of("", 0);
	return e;
}

enum tk_err store_kv_scan(struct store *s, struct net_conn *c, const void *reqp, void *respp,
			   bool *deferred, struct tk_errbuf *eb)
{
	const struct tk_kv_scan_req *req = reqp;
	struct tk_kv_scan_resp *resp = respp;
	(void)deferred;
	enum tk_err be = store_check_bounds(req->start, req->end, eb);
	if (be)
		return be;
	struct mvcc_view v = VIEW(s);
	uint64_t limit = req->limit ? req->limit : 100;
	if (limit > s->net.cfg.max_scan_limit)
		limit = s->net.cfg.max_scan_limit;
	struct txn_scan_req r = {req->start, req->end.n ? req->end : tk_slice_of(NULL, 0),
				 (size_t)limit, req->version, req->keys_only};
	struct txn_scan_resp out;
	memset(&out, 0, sizeof out);
	enum tk_err e = txn_scan(&v, &r, &out, &c->arena, eb);
	if (e != TK_OK && !is_outcome(e))
		return e;
	struct tk_txn_pair *pairs = out.n_pairs ? tk_arena_alloc(&c->arena, sizeof *pairs * out.n_pairs) : NULL;
	if (out.n_pairs && !pairs)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	for (size_t i = 0; i < out.n_pairs; i++) {
		pairs[i].key = out.pairs[i].key;
		if (out.pairs[i].err.code != TK_OK)
			pairs[i].error = key_error_out(&c->arena, &out.pairs[i].err);
		else if (!req->keys_only)
			pairs[i].value = out.pairs[i].value.p ? out.pairs[i].value : tk_slice_of("", 0);
	}
	resp->pairs.v = pairs;
	resp->pairs.n = (uint32_t)out.n_pairs;
	return TK_OK;
}

static enum tk_err parse_op(struct tk_slice op, enum txn_op *out)
{
	if (tk_slice_eq(op, tk_slice_str("put")))
		*out = TXN_OP_PUT;
	else if (tk_slice_eq(op, tk_slice_str("del")))
		*out = TXN_OP_DEL;
	else if (tk_slice_eq(op, tk_slice_str("lock")))
		*out = TXN_OP_LOCK;
	else
		return TK_E_BAD_REQUEST;
	return TK_OK;
}

enum tk_err store_kv_prewrite(struct store *s, struct net_conn *c, const void *reqp, void *respp,
			       bool *deferred, struct tk_errbuf *eb)
{
	const struct tk_kv_prewrite_req *req = reqp;
	struct tk_kv_prewrite_resp *resp = respp;
	uint32_t n = req->mutations.n;
	if (n == 0)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "kv_prewrite needs at least one mutation");
	struct txn_mutation *muts = tk_arena_alloc(&c->arena, sizeof *muts * n);
	struct tk_slice *keys = tk_arena_alloc(&c->arena, sizeof *keys * n);
	if (!muts || !keys)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		const struct tk_mutation *m = &req->mutations.v[i];
		if (parse_op(m->op, &muts[i].op))
			return tk_err_set(eb, TK_E_BAD_REQUEST, "mutation %u: op must be put, del or lock", i);
		if (m->key.n == 0 || m->key.n > STORE_MAX_KEY)
			return tk_err_set(eb, m->key.n ? TK_E_TOO_LARGE : TK_E_BAD_REQUEST,
					  "mutation %u: key must be 1 to %d bytes", i, STORE_MAX_KEY);
		if (muts[i].op == TXN_OP_PUT && !m->value.p)
			return tk_err_set(eb, TK_E_BAD_REQUEST, "mutation %u: put needs a value", i);
		if (store_check_value(m->value, eb))
			return tk_err_wrap(eb, TK_E_TOO_LARGE, "mutation %u", i);
		muts[i].key = keys[i] = m->key;
		muts[i].value = m->value.p ? m->value : tk_slice_of("", 0);
	}
	uint64_t id;
	enum tk_err e = latch(s, keys, n, &id, eb);
	if (e)
		return e;
	struct mvcc_view v = VIEW(s);
	struct txn_prewrite_req r = {muts, n, req->primary, req->start_ts, req->lock_ttl, req->min_commit_ts};
	struct txn_prewrite_resp out;
	memset(&out, 0, sizeof out);
	e = txn_prewrite(&v, s->txn.batch, &r, &out, &c->arena, eb);
	if (is_outcome(e)) {
		struct tk_key_error *errs = tk_arena_alloc(&c->arena, sizeof *errs * (out.n_errors ? out.n_errors : 1));
		if (!errs) {
			e = tk_err_set(eb, TK_E_NOMEM, "out of memory");
		} else {
			for (size_t i = 0; i < out.n_errors; i++) {
				struct tk_key_error *k = key_error_out(&c->arena, &out.errors[i]);
				if (k)
					errs[i] = *k;
			}
			resp->errors.v = errs;
			resp->errors.n = (uint32_t)out.n_errors;
			e = TK_OK;
		}
	}
	if (e) {
		eng_batch_clear(s->txn.batch);
		const uint64_t *woken;
		txn_latches_release(s->txn.latches, id, &woken);
		return e;
	}
	return finish_write(s, id, deferred, eb);
}

/* Shared by commit and batch rollback: latch the keys, run, map outcome. */
typedef enum tk_err (*keys_cmd)(struct store *s, const void *req, struct txn_key_error *err,
				struct tk_arena *a, struct tk_errbuf *eb);

static enum tk_err run_keys_cmd(struct store *s, struct net_conn *c, const struct tk_binlist *keys,
				keys_cmd fn, const void *req, struct tk_kv_key_error_resp *resp,
				bool *deferred, struct tk_errbuf *eb)
{
	if (keys->n == 0)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "no keys given");
	uint64_t id;
	enum tk_err e = latch(s, keys->v, keys->n, &id, eb);
	if (e)
		return e;
	struct txn_key_error err;
	memset(&err, 0, sizeof err);
	e = fn(s, req, &err, &c->arena, eb);
	if (is_outcome(e)) {
		resp->error = key_error_out(&c->arena, &err);
		e = TK_OK;
		eng_batch_clear(s->txn.batch);
	}
	if (e) {
		eng_batch_clear(s->txn.batch);
		const uint64_t *woken;
		txn_latches_release(s->txn.latches, id, &woken);
		return e;
	}
	return finish_write(s, id, deferred, eb);
}

static enum tk_err commit_fn(struct store *s, const void *reqp, struct txn_key_error *err,
			     struct tk_arena *a, struct tk_errbuf *eb)
{
	const struct tk_kv_commit_req *req = reqp;
	struct mvcc_view v = VIEW(s);
	struct txn_commit_req r = {req->keys.v, req->keys.n, req->start_ts, req->commit_ts};
	struct txn_commit_resp out;
	memset(&out, 0, sizeof out);
	enum tk_err e = txn_commit(&v, s->txn.batch, &r, &out, a, eb);
	*err = out.err;
	return e;
}

enum tk_err store_kv_commit(struct store *s, struct net_conn *c, const void *reqp, void *respp,
			     bool *deferred, struct tk_errbuf *eb)
{
	const struct tk_kv_commit_req *req = reqp;
	if (req->commit_ts <= req->start_ts)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "commit_ts must be greater than start_ts");
	return run_keys_cmd(s, c, &req->keys, commit_fn, req, respp, deferred, eb);
}

static enum tk_err rollback_fn(struct store *s, const void *reqp, struct txn_key_error *err,
			       struct tk_arena *a, struct tk_errbuf *eb)
{
	const struct tk_kv_batch_rollback_req *req = reqp;
	struct mvcc_view v = VIEW(s);
	struct txn_rollback_req r = {req->keys.v, req->keys.n, req->start_ts};
	struct txn_rollback_resp out;
	memset(&out, 0, sizeof out);
	enum tk_err e = txn_batch_rollback(&v, s->txn.batch, &r, &out, a, eb);
	*err = out.err;
	return e;
}

enum tk_err store_kv_rollback(struct store *s, struct net_conn *c, const void *reqp, void *respp,
			       bool *deferred, struct tk_errbuf *eb)
{
	const struct tk_kv_batch_rollback_req *req = reqp;
	return run_keys_cmd(s, c, &req->keys, rollback_fn, req, respp, deferred, eb);
}

enum tk_err store_kv_check_status(struct store *s, struct net_conn *c, const void *reqp,
				   void *respp, bool *deferred, struct tk_errbuf *eb)
{
	const struct tk_kv_check_txn_status_req *req = reqp;
	struct tk_kv_check_txn_status_resp *resp = respp;
	uint64_t id;
	enum tk_err e = latch(s, &req->primary, 1, &id, eb);
	if (e)
		return e;
	struct mvcc_view v = VIEW(s);
	struct txn_check_status_req r = {req->primary, req->lock_ts, req->current_ts};
	struct txn_check_status_resp out;
	memset(&out, 0, sizeof out);
	e = txn_check_txn_status(&v, s->txn.batch, &r, &out, &c->arena, eb);
	if (e) {
		eng_batch_clear(s->txn.batch);
		const uint64_t *woken;
		txn_latches_release(s->txn.latches, id, &woken);
		return e;
	}
	static const char *const status[] = {"?", "locked", "committed", "rolled_back"};
	static const char *const action[] = {NULL, "ttl_expire_rollback", "lock_not_exist_rollback"};
	resp->status = tk_slice_str(status[(unsigned)out.status <= 3 ? out.status : 0]);
	if ((unsigned)out.action <= 2 && action[out.action])
		resp->action = tk_slice_str(action[out.action]);
	resp->commit_ts = out.commit_ts;
	if (out.status == TXN_STATUS_LOCKED)
		resp->lock = lock_out(&c->arena, &out.lock);
	return finish_write(s, id, deferred, eb);
}

/* resolve_lock and gc find their keys while running: they run alone, after
 * every transactional write in flight is applied. */
static enum tk_err run_alone(struct store *s, struct tk_errbuf *eb)
{
	if (s->txn.inflight || s->txn.exclusive)
		return must_wait(s, eb);
	return TK_OK;
}

enum tk_err store_kv_resolve(struct store *s, struct net_conn *c, const void *reqp, void *respp,
			      bool *deferred, struct tk_errbuf *eb)
{
	const struct tk_kv_resolve_lock_req *req = reqp;
	struct tk_kv_resolve_lock_resp *resp = respp;
	(void)c;
	if (req->commit_ts && req->commit_ts <= req->start_ts)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "commit_ts must be 0 or greater than start_ts");
	enum tk_err w = run_alone(s, eb);
	if (w)
		return w;
	struct mvcc_view v = VIEW(s);
	struct txn_resolve_req r = {req->start_ts, req->commit_ts, tk_slice_of("", 0), tk_slice_of(NULL, 0), 0};
	struct txn_resolve_resp out;
	memset(&out, 0, sizeof out);
	enum tk_err e = txn_resolve_lock(&v, s->txn.batch, &r, &out, eb);
	if (e) {
		eng_batch_clear(s->txn.batch);
		return e;
	}
	resp->resolved = out.n_resolved;
	return finish_alone(s, deferred, eb);
}

enum tk_err store_kv_scan_lock(struct store *s, struct net_conn *c, const void *reqp,
				void *respp, bool *deferred, struct tk_errbuf *eb)
{
	const struct tk_kv_scan_lock_req *req = reqp;
	struct tk_kv_scan_lock_resp *resp = respp;
	(void)deferred;
	enum tk_err be = store_check_bounds(req->start, req->end, eb);
	if (be)
		return be;
	struct mvcc_view v = VIEW(s);
	size_t limit = req->limit ? req->limit : 1000;
	if (limit > s->net.cfg.max_scan_limit)
		limit = s->net.cfg.max_scan_limit;
	struct txn_scan_lock_req r = {req->max_ts, req->start.p ? req->start : tk_slice_of("", 0),
				      req->end.n ? req->end : tk_slice_of(NULL, 0), limit};
	struct txn_scan_lock_resp out;
	memset(&out, 0, sizeof out);
	enum tk_err e = txn_scan_lock(&v, &r, &out, &c->arena, eb);
	if (e)
		return e;
	struct tk_txn_lock *locks = out.n_locks ? tk_arena_alloc(&c->arena, sizeof *locks * out.n_locks) : NULL;
	if (out.n_locks && !locks)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	for (size_t i = 0; i < out.n_locks; i++) {
		struct tk_txn_lock *l = lock_out(&c->arena, &out.locks[i]);
		if (!l)
			return tk_err_set(eb, TK_E_NOMEM, "out of memory");
		locks[i] = *l;
	}
	resp->locks.v = locks;
	resp->locks.n = (uint32_t)out.n_locks;
	resp->more = out.more;
	return TK_OK;
}

enum tk_err store_kv_gc(struct store *s, struct net_conn *c, const void *reqp, void *respp,
			 bool *deferred, struct tk_errbuf *eb)
{
	const struct tk_kv_gc_req *req = reqp;
	struct tk_kv_gc_resp *resp = respp;
	enum tk_err w = run_alone(s, eb);
	if (w)
		return w;
	struct mvcc_view v = VIEW(s);
	/* GC below a live lock could drop the commit record its fate hangs on */
	struct txn_scan_lock_req lr = {req->safe_point, tk_slice_of("", 0), tk_slice_of(NULL, 0), 1};
	struct txn_scan_lock_resp lo;
	memset(&lo, 0, sizeof lo);
	enum tk_err e = txn_scan_lock(&v, &lr, &lo, &c->arena, eb);
	if (e)
		return e;
	if (lo.n_locks)
		return tk_err_set(eb, TK_E_BAD_REQUEST,
				  "a lock of txn %llu at or below the safe point remains: resolve locks first",
				  (unsigned long long)lo.locks[0].start_ts);
	/* txn_gc wants an empty batch per call: gather the calls in acc */
	struct eng_batch *acc = eng_batch_new();
	if (!acc)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	struct tk_slice start = tk_slice_of("", 0);
	uint64_t keys = 0, deleted = 0;
	for (;;) {
		struct txn_gc_req r = {req->safe_point, start, tk_slice_of(NULL, 0), 4096};
		struct txn_gc_resp out;
		memset(&out, 0, sizeof out);
		e = txn_gc(&v, s->txn.batch, &r, &out, &c->arena, eb);
		if (e)
			break;
		keys += out.n_keys;
		deleted += out.n_deleted;
		eng_batch_append(acc, s->txn.batch);
		eng_batch_clear(s->txn.batch);
		if (!out.more)
			break;
		start = out.next_key;
	}
	eng_batch_clear(s->txn.batch);
	if (!e) {
		eng_batch_append(s->txn.batch, acc);
		resp->keys = keys;
		resp->deleted = deleted;
		e = finish_alone(s, deferred, eb);
	}
	eng_batch_free(acc);
	return e;
}

enum tk_err store_txn_init(struct store *s)
{
	s->txn.latches = txn_latches_new(0);
	s->txn.batch = eng_batch_new();
	return s->txn.latches && s->txn.batch ? TK_OK : TK_E_NOMEM;
}

void store_txn_destroy(struct store *s)
{
	if (s->txn.latches)
		txn_latches_free(s->txn.latches);
	if (s->txn.batch)
		eng_batch_free(s->txn.batch);
	free(s->txn.held);
}
