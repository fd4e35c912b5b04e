/* The raw KV commands (the `raw` column), for the framed and the inline
 * protocol alike: store/commands.c maps message types onto them. */
#include <stdio.h>
#include <string.h>

#include "config.h"

#include "raftstore/cas.h"
#include "store/store.h"

enum tk_err store_check_key(struct tk_slice k, struct tk_errbuf *eb)
{
	if (k.n == 0)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "key must not be empty");
	if (k.n > STORE_MAX_KEY)
		return tk_err_set(eb, TK_E_TOO_LARGE, "key of %zu bytes is above the %u byte limit", k.n,
				  STORE_MAX_KEY);
	return TK_OK;
}

enum tk_err store_check_value(struct tk_slice v, struct tk_errbuf *eb)
{
	if (v.n > TK_MAX_VALUE)
		return tk_err_set(eb, TK_E_TOO_LARGE, "value of %zu bytes is above the %u byte limit",
				  v.n, TK_MAX_VALUE);
	return TK_OK;
}

enum tk_err store_check_bounds(struct tk_slice start, struct tk_slice end, struct tk_errbuf *eb)
{
	if (start.n > STORE_MAX_KEY)
		return tk_err_set(eb, TK_E_TOO_LARGE,
				  "scan start of %zu bytes is above the %u byte key limit", start.n,
				  STORE_MAX_KEY);
	if (end.n > STORE_MAX_KEY)
		return tk_err_set(eb, TK_E_TOO_LARGE,
				  "scan end of %zu bytes is above the %u byte key limit", end.n,
				  STORE_MAX_KEY);
	return TK_OK;
}

/* Bytes of pairs a reply may carry: the frame limit less the envelope and
 * the body's own keys (well under 128 bytes for any raw reply). */
static size_t reply_budget(const struct store *s)
{
	return s->net.cfg.max_frame - 128;
}

enum tk_err store_raw_get(struct store *s, struct net_conn *c, const void *reqp, void *respp,
			bool *deferred, struct tk_errbuf *eb)
{
	(void)deferred;
	const struct tk_raw_get_req *req = reqp;
	struct tk_raw_get_resp *resp = respp;
	(void)c;
	enum tk_err e = store_check_key(req->key, eb);
	if (e)
		return e;
	bool found;
	e = eng_get(s->net.eng, ENG_CF_RAW, req->key, &s->val, &found, eb);
	if (e == TK_OK && found)
		resp->value = s->val.data ? tk_buf_slice(&s->val) : tk_slice_of("", 0);
	return e;
}

enum tk_err store_raw_put(struct store *s, struct net_conn *c, const void *reqp, void *resp,
			bool *deferred, struct tk_errbuf *eb)
{
	const struct tk_raw_put_req *req = reqp;
	(void)c, (void)resp;
	enum tk_err e = store_check_key(req->key, eb);
	if (!e)
		e = store_check_value(req->value, eb);
	if (!e) {
		struct store_stage_mark m = store_stage_mark(s, req->key.n + req->value.n + 16);
		if ((e = store_stage(s, ENG_CF_RAW, req->key, req->value, false)) != TK_OK) {
			store_stage_rollback(s, m);
			tk_err_set(eb, e, "out of memory");
		}
	}
	*deferred = e == TK_OK;
	return e;
}

enum tk_err store_raw_delete(struct store *s, struct net_conn *c, const void *reqp, void *resp,
			bool *deferred, struct tk_errbuf *eb)
{
	const struct tk_raw_delete_req *req = reqp;
	(void)c, (void)resp;
	enum tk_err e = store_check_key(req->key, eb);
	if (!e) {
		struct store_stage_mark m = store_stage_mark(s, req->key.n + 16);
		if ((e = store_stage(s, ENG_CF_RAW, req->key, tk_slice_of(NULL, 0), true)) != TK_OK) {
			store_stage_rollback(s, m);
			tk_err_set(eb, e, "out of memory");
		}
	}
	*deferred = e == TK_OK;
	return e;
}

enum tk_err store_raw_batch_put(struct store *s, struct net_conn *c, const void *reqp, void *resp,
			bool *deferred, struct tk_errbuf *eb)
{
	const struct tk_raw_batch_put_req *req = reqp;
	(void)c, (void)resp;
	enum tk_err e = TK_OK;
	/* validate everything first: the batch is all or nothing */
	for (uint32_t i = 0; i < req->kvs.n && !e; i++) {
		e = store_check_key(req->kvs.v[i].k, eb);
		if (!e && !req->kvs.v[i].v.p)
			e = tk_err_set(eb, TK_E_BAD_REQUEST, "value of pair %u must not be nil", i);
		if (!e && store_check_value(req->kvs.v[i].v, eb))
			e = tk_err_wrap(eb, TK_E_TOO_LARGE, "pair %u", i);
	}
	size_t bytes = 0;
	for (uint32_t i = 0; i < req->kvs.n && !e; i++)
		bytes += req->kvs.v[i].k.n + req->kvs.v[i].v.n + 16;
	struct store_stage_mark m = store_stage_mark(s, bytes);
	for (uint32_t i = 0; i < req->kvs.n && !e; i++)
		e = store_stage(s, ENG_CF_RAW, req->kvs.v[i].k, req->kvs.v[i].v, false);
	if (e == TK_E_NOMEM) {
		store_stage_rollback(s, m);
		tk_err_set(eb, e, "out of memory");
	}
	*deferred = e == TK_OK;
	return e;
}

enum tk_err store_raw_batch_delete(struct store *s, struct net_conn *c, const void *reqp, void *resp,
			bool *deferred, struct tk_errbuf *eb)
{
	const struct tk_raw_batch_delete_req *req = reqp;
	(void)c, (void)resp;
	enum tk_err e = TK_OK;
	for (uint32_t i = 0; i < req->keys.n && !e; i++)
		e = store_check_key(req->keys.v[i], eb);
	size_t bytes = 0;
	for (uint32_t i = 0; i < req->keys.n && !e; i++)
		bytes += req->keys.v[i].n + 16;
	struct store_stage_mark m = store_stage_mark(s, bytes);
	for (uint32_t i = 0; i < req->keys.n && !e; i++)
		e = store_stage(s, ENG_CF_RAW, req->keys.v[i], tk_slice_of(NULL, 0), true);
	if (e == TK_E_NOMEM) {
		store_stage_rollback(s, m);
		tk_err_set(eb, e, "out of memory");
	}
	*deferred = e == TK_OK;
	return e;
}

enum tk_err store_raw_batch_get(struct store *s, struct net_conn *c, const void *reqp, void *respp,
			bool *deferred, struct tk_errbuf *eb)
{
	(void)deferred;
	const struct tk_raw_batch_get_req *req = reqp;
	struct tk_raw_batch_get_resp *resp = respp;
	if (req->keys.n > s->net.cfg.max_scan_limit)
		return tk_err_set(eb, TK_E_TOO_LARGE, "batch of %u keys is above max-scan-limit %u",
				  req->keys.n, s->net.cfg.max_scan_limit);
	struct tk_kv *kvs = req->keys.n ? tk_arena_alloc(&c->arena, sizeof *kvs * req->keys.n) : NULL;
	if (req->keys.n && !kvs)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	size_t budget = reply_budget(s), used = 0;
	uint32_t n = 0;
	for (uint32_t i = 0; i < req->keys.n; i++) {
		struct tk_slice k = req->keys.v[i];
		enum tk_err e = store_check_key(k, eb);
		bool found;
		if (!e)
			e = eng_get(s->net.eng, ENG_CF_RAW, k, &s->val, &found, eb);
		if (e)
			return e;
		if (!found)
			continue;
		used += tk_mp_bin_size(k.n) + tk_mp_bin_size(s->val.len) + 1;
		if (used > budget)
			return tk_err_set(eb, TK_E_TOO_LARGE,
					  "the values of %u keys do not fit one reply (max-frame %u "
					  "bytes); ask for fewer keys",
					  req->keys.n, s->net.cfg.max_frame);
		kvs[n].k = k;
		kvs[n].v = tk_slice_of(tk_arena_dup(&c->arena, s->val.data, s->val.len), s->val.len);
		if (!kvs[n].v.p)
			return tk_err_set(eb, TK_E_NOMEM, "out of memory");
		n++;
	}
	resp->kvs.v = kvs;
	resp->kvs.n = n;
	return TK_OK;
}

enum tk_err store_raw_scan(struct store *s, struct net_conn *c, const void *reqp, void *respp,
			bool *deferred, struct tk_errbuf *eb)
{
	(void)deferred;
	const struct tk_raw_scan_req *req = reqp;
	struct tk_raw_scan_resp *resp = respp;
	enum tk_err be = store_check_bounds(req->start, req->end, eb);
	if (be)
		return be;
	uint64_t limit = req->limit ? req->limit : 100;
	if (limit > s->net.cfg.max_scan_limit)
		limit = s->net.cfg.max_scan_limit; /* the reply says "more" */
	if (req->end.p && req->end.n && tk_slice_cmp(req->start, req->end) >= 0) {
		resp->kvs.n = 0;
		return TK_OK;
	}
	struct tk_slice end = req->end.n ? req->end : tk_slice_of(NULL, 0);
	struct eng_iter *it = eng_iter_new(s->net.eng, NULL, ENG_CF_RAW, req->start, end);
	if (!it)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	struct tk_kv *kvs = tk_arena_alloc(&c->arena, sizeof *kvs * (size_t)(limit < 1024 ? limit : 1024));
	size_t cap = limit < 1024 ? limit : 1024, n = 0;
	size_t budget = reply_budget(s), used = 0;
	bool more = false;
	if (req->reverse)
		eng_iter_seek_last(it);
	else
		eng_iter_seek_first(it);
	enum tk_err e = TK_OK;
	while (kvs && eng_iter_valid(it)) {
		if (n == limit) {
			more = true;
			break;
		}
		struct tk_slice k = eng_iter_key(it);
		struct tk_slice v = req->keys_only ? tk_slice_of(NULL, 0) : eng_iter_value(it);
		size_t sz = tk_mp_bin_size(k.n) + tk_mp_bin_size(v.n) + 2;
		if (used + sz > budget) {
			if (n == 0)
				e = tk_err_set(eb, TK_E_TOO_LARGE,
					       "a pair of %zu bytes does not fit one reply (max-frame %u bytes)",
					       sz, s->net.cfg.max_frame);
			more = true;
			break;
		}
		if (n == cap) {
			struct tk_kv *bigger = tk_arena_alloc(&c->arena, sizeof *kvs * cap * 2);
			if (!bigger) {
				e = tk_err_set(eb, TK_E_NOMEM, "out of memory");
				break;
			}
			memcpy(bigger, kvs, sizeof *kvs * n);
			kvs = bigger;
			cap *= 2;
		}
		used += sz;
		kvs[n].k = tk_slice_of(tk_arena_dup(&c->arena, k.p, k.n), k.n);
		kvs[n].v = req->keys_only ? tk_slice_of(NULL, 0)
					  : tk_slice_of(tk_arena_dup(&c->arena, v.p, v.n), v.n);
		if (!kvs[n].k.p || (!req->keys_only && !kvs[n].v.p)) {
			e = tk_err_set(eb, TK_E_NOMEM, "out of memory");
			break;
		}
		n++;
		if (req->reverse)
			eng_iter_prev(it);
		else
			eng_iter_next(it);
	}
	if (!kvs && !e)
		e = tk_err_set(eb, TK_E_NOMEM, "out of memory");
	if (!e)
		e = eng_iter_status(it, eb);
	eng_iter_free(it);
	if (e)
		return e;
	/* the limit capped by max-scan-limit also counts as "more" */
	if (!more && req->limit > s->net.cfg.max_scan_limit && n == limit)
		more = true;
	resp->kvs.v = kvs;
	resp->kvs.n = (uint32_t)n;
	resp->more = more;
	return TK_OK;
}

/* The wire request as a CAS operation: exactly one of expect and
 * expect_absent, exactly one of v and delete. */
static enum tk_err cas_op_of(const struct tk_raw_cas_req *req, struct rs_cas_op *op,
                             struct tk_errbuf *eb)
{
	enum tk_err e = store_check_key(req->key, eb);
	if (e)
		return e;
	if ((req->expect.p != NULL) == req->expect_absent)
		return tk_err_set(eb, TK_E_BAD_REQUEST,
		                  "raw_cas needs exactly one of 'expect' and 'expect_absent'");
	if ((req->value.p != NULL) == req->del)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "raw_cas needs exactly one of 'v' and 'delete'");
	if (req->value.p && (e = store_check_value(req->value, eb)))
		return e;
	if (req->expect.p && (e = store_check_value(req->expect, eb)))
		return tk_err_wrap(eb, e, "expect");
	op->expect_kind = req->expect_absent ? RS_CAS_EXPECT_ABSENT : RS_CAS_EXPECT_VALUE;
	op->expect = req->expect;
	op->action = req->del ? RS_CAS_DELETE : RS_CAS_PUT;
	op->value = req->value;
	return TK_OK;
}

enum tk_err store_raw_cas(struct store *s, struct net_conn *c, const void *reqp, void *resp,
                          bool *deferred, struct tk_errbuf *eb)
{
	const struct tk_raw_cas_req *req = reqp;
	(void)c, (void)resp;
	struct rs_cas_op op;
	enum tk_err e = cas_op_of(req, &op, eb);
	if (e)
		return e;
	/* decided when its entry is applied, after every write before it in
	 * the log (raftstore/apply.c); the reply comes from its output */
	struct store_stage_mark m = store_stage_mark(s, req->key.n + op.expect.n + op.value.n + 32);
	if ((e = store_stage_cas(s, req->key, &op)) != TK_OK) {
		store_stage_rollback(s, m);
		return tk_err_set(eb, e, "out of memory");
	}
	*deferred = true;
	return TK_OK;
}
