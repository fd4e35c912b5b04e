/* Percolator commands: get, prewrite, commit, scan, check-txn-status,
 * heart-beat, batch-rollback, scan-lock, resolve-lock.  See txn_cmds.h for
 * the rules; GC is in gc.c. */
#include "txn/txn_cmds.h"

#include <stdint.h>
#include <string.h>

#include "engine/keys.h"
#include "txn/mvcc_int.h"
#include "txn/txn_int.h"

/* ---- helpers shared with gc.c ---- */

bool txn_dup(struct tk_arena *a, struct tk_slice in, struct tk_slice *out)
{
	if (in.n == 0) {
		*out = tk_slice_of("", 0);
		return true;
	}
	void *p = tk_arena_dup(a, in.p, in.n);
	if (!p)
		return false;
	*out = tk_slice_of(p, in.n);
	return true;
}

static enum tk_err lock_info(struct tk_arena *a, struct tk_slice key, const struct mvcc_lock *l,
			     struct txn_lock_info *out, struct tk_errbuf *eb)
{
	if (!txn_dup(a, key, &out->key) || !txn_dup(a, l->primary, &out->primary))
		return tk_err_set(eb, TK_E_NOMEM, "lock info");
	out->start_ts = l->start_ts;
	out->ttl_ms = l->ttl_ms;
	out->kind = l->kind;
	return TK_OK;
}

static enum tk_err key_error(struct tk_arena *a, enum tk_err code, struct tk_slice key,
			     struct txn_key_error *out, struct tk_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	out->code = code;
	if (!txn_dup(a, key, &out->key))
		return tk_err_set(eb, TK_E_NOMEM, "key error");
	return TK_OK;
}

static enum tk_err locked_error(struct tk_arena *a, struct tk_slice key, const struct mvcc_lock *l,
				struct txn_key_error *out, struct tk_errbuf *eb)
{
	enum tk_err rc = key_error(a, TK_E_KEY_LOCKED, key, out, eb);
	if (rc == TK_OK)
		rc = lock_info(a, key, l, &out->lock, eb);
	out->has_lock = true;
	return rc;
}

/* The code of a failed command, with a readable message in eb. */
static enum tk_err outcome(const struct txn_key_error *e, struct tk_errbuf *eb)
{
	return tk_err_set(eb, e->code, "%s (key of %zu bytes)", tk_strerror(e->code), e->key.n);
}

static enum mvcc_write_kind write_kind_of(enum mvcc_lock_kind k)
{
	switch (k) {
	case MVCC_LOCK_PUT:
		return MVCC_WRITE_PUT;
	case MVCC_LOCK_DELETE:
		return MVCC_WRITE_DELETE;
	case MVCC_LOCK_LOCK:
		break;
	}
	return MVCC_WRITE_LOCK;
}

/* The write record stored exactly at mvcc_key(key, ts), if any. */
static enum tk_err write_at(const struct mvcc_view *v, struct tk_slice key, uint64_t ts,
			    struct mvcc_write *w, bool *found, struct tk_errbuf *eb)
{
	struct tk_buf k, val;
	tk_buf_init(&k);
	tk_buf_init(&val);
	enum tk_err rc;
	if (!mvcc_enc_version(&k, key, ts)) {
		rc = tk_err_set(eb, TK_E_NOMEM, "write key");
		goto out;
	}
	rc = mvcc_view_get(v, ENG_CF_WRITE, tk_buf_slice(&k), &val, found, eb);
	if (rc == TK_OK && *found)
		rc = mvcc_write_decode(tk_buf_slice(&val), w, eb);
out:
	tk_buf_destroy(&k);
	tk_buf_destroy(&val);
	return rc;
}

enum tk_err txn_put_rollback(const struct mvcc_view *v, struct eng_batch *b, struct tk_slice key,
			     uint64_t start_ts, struct tk_errbuf *eb)
{
	struct mvcc_write w;
	bool found = false;
	enum tk_err rc = write_at(v, key, start_ts, &w, &found, eb);
	if (rc != TK_OK)
		return rc;
	if (found) {
		/* Another txn committed at exactly our start_ts: keep its
		 * record and mark our rollback on it instead. */
		if (w.kind == MVCC_WRITE_ROLLBACK || w.overlapped_rollback ||
		    w.start_ts == start_ts)
			return TK_OK;
		w.overlapped_rollback = true;
	} else {
		w = (struct mvcc_write){.kind = MVCC_WRITE_ROLLBACK, .start_ts = start_ts};
	}
	if (mvcc_put_write(b, key, start_ts, &w) != TK_OK)
		return tk_err_set(eb, TK_E_NOMEM, "rollback record");
	return TK_OK;
}

enum tk_err txn_commit_locked(const struct mvcc_view *v, struct eng_batch *b, struct tk_slice key,
			      const struct mvcc_lock *l, uint64_t commit_ts, struct tk_errbuf *eb)
{
	/* A rollback record of the txn that started at our commit_ts may sit
	 * where our record goes: keep its meaning as a flag. */
	struct mvcc_write old, w = {.kind = write_kind_of(l->kind), .start_ts = l->start_ts};
	bool found = false;
	enum tk_err rc = write_at(v, key, commit_ts, &old, &found, eb);
	if (rc != TK_OK)
		return rc;
	if (found && (old.kind == MVCC_WRITE_ROLLBACK || old.overlapped_rollback))
		w.overlapped_rollback = true;
	if (mvcc_put_write(b, key, commit_ts, &w) != TK_OK || mvcc_del_lock(b, key) != TK_OK)
		return tk_err_set(eb, TK_E_NOMEM, "commit record");
	return TK_OK;
}

enum tk_err txn_rollback_locked(const struct mvcc_view *v, struct eng_batch *b, struct tk_slice key,
				const struct mvcc_lock *l, struct tk_errbuf *eb)
{
	if (mvcc_del_lock(b, key) != TK_OK ||
	    (l->kind == MVCC_LOCK_PUT && mvcc_del_value(b, key, l->start_ts) != TK_OK))
		return tk_err_set(eb, TK_E_NOMEM, "rollback");
	return txn_put_rollback(v, b, key, l->start_ts, eb);
}

/* ---- get ---- */

enum tk_err txn_get(const struct mvcc_view *v, const struct txn_get_req *req,
		    struct txn_get_resp *resp, struct tk_arena *a, struct tk_errbuf *eb)
{
	struct tk_buf raw, val;
	tk_buf_init(&raw);
	tk_buf_init(&val);
	memset(resp, 0, sizeof(*resp));
	struct mvcc_lock l;
	bool found = false;
	enum tk_err rc = mvcc_get_lock(v, req->key, &raw, &l, &found, eb);
	if (rc != TK_OK)
		goto out;
	if (found && l.kind != MVCC_LOCK_LOCK && l.start_ts <= req->version) {
		rc = locked_error(a, req->key, &l, &resp->err, eb);
		if (rc == TK_OK)
			rc = outcome(&resp->err, eb);
		goto out;
	}
	rc = mvcc_get_value(v, req->key, req->version, &val, &found, eb);
	if (rc != TK_OK || !found)
		goto out;
	if (!txn_dup(a, tk_buf_slice(&val), &resp->value)) {
		rc = tk_err_set(eb, TK_E_NOMEM, "get value");
		goto out;
	}
	resp->found = true;
out:
	tk_buf_destroy(&raw);
	tk_buf_destroy(&val);
	return rc;
}

/* ---- prewrite ---- */

/* Check the committed history of key against a prewrite at start_ts.  Sets
 * e->code to TK_OK (go ahead), or an outcome; *done when the txn already
 * committed this key (nothing to write). */
static enum tk_err prewrite_check_writes(const struct mvcc_view *v, struct tk_slice key,
					 uint64_t start_ts, struct txn_key_error *e, bool *done,
					 struct tk_errbuf *eb)
{
	struct eng_iter *it = NULL;
	enum tk_err rc = mvcc_versions_iter(v, key, MVCC_TS_MAX, start_ts, &it, eb);
	if (rc != TK_OK)
		return rc;
	bool conflict = false, own = false;
	struct mvcc_write w, cw = {0};
	uint64_t cts, conflict_cts = 0;
	for (; eng_iter_valid(it); eng_iter_next(it)) {
		if ((rc = mvcc_iter_write(it, &cts, &w, eb)) != TK_OK)
			goto out;
		if (w.start_ts == start_ts || (cts == start_ts && w.overlapped_rollback)) {
			/* Our own record decides, whatever came after it. */
			own = true;
			if (w.start_ts != start_ts || w.kind == MVCC_WRITE_ROLLBACK)
				e->code = TK_E_TXN_ROLLED_BACK;
			else
				*done = true;
			break;
		}
		if (w.kind != MVCC_WRITE_ROLLBACK && !conflict) {
			conflict = true;
			cw = w;
			conflict_cts = cts;
		}
	}
	if (!own && (rc = eng_iter_status(it, eb)) != TK_OK)
		goto out;
	if (!own && conflict) {
		e->code = TK_E_WRITE_CONFLICT;
		e->conflict_start_ts = cw.start_ts;
		e->conflict_commit_ts = conflict_cts;
	}
out:
	eng_iter_free(it);
	return rc;
}

enum tk_err txn_prewrite(const struct mvcc_view *v, struct eng_batch *b,
			 const struct txn_prewrite_req *req, struct txn_prewrite_resp *resp,
			 struct tk_arena *a, struct tk_errbuf *eb)
{
	memset(resp, 0, sizeof(*resp));
	if (req->n_muts == 0)
		return TK_OK;
	if (req->start_ts == 0 || !req->primary.p)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "prewrite: needs start_ts and primary");
	if (req->n_muts > SIZE_MAX / sizeof(*resp->errors))
		return tk_err_set(eb, TK_E_BAD_REQUEST, "prewrite: too many mutations");
	resp->errors = tk_arena_alloc(a, req->n_muts * sizeof(*resp->errors));
	if (!resp->errors)
		return tk_err_set(eb, TK_E_NOMEM, "prewrite errors");
	struct tk_buf raw;
	tk_buf_init(&raw);
	enum tk_err rc = TK_OK;
	for (size_t i = 0; i < req->n_muts; i++) {
		const struct txn_mutation *m = &req->muts[i];
		if (m->op < TXN_OP_PUT || m->op > TXN_OP_LOCK || !m->key.p) {
			rc = tk_err_set(eb, TK_E_BAD_REQUEST, "prewrite: mutation %zu invalid", i);
			goto fail;
		}
		struct mvcc_lock l;
		bool found = false;
		if ((rc = mvcc_get_lock(v, m->key, &raw, &l, &found, eb)) != TK_OK)
			goto fail;
		if (found && l.start_ts == req->start_ts)
			continue; /* a retry: our lock is in place */
		struct txn_key_error *e = &resp->errors[resp->n_errors];
		if (found) {
			if ((rc = locked_error(a, m->key, &l, e, eb)) != TK_OK)
				goto fail;
			resp->n_errors++;
			continue;
		}
		bool done = false;
		memset(e, 0, sizeof(*e));
		if ((rc = prewrite_check_writes(v, m->key, req->start_ts, e, &done, eb)) != TK_OK)
			goto fail;
		if (done)
			continue;
		if (e->code != TK_OK) {
			e->start_ts = req->start_ts;
			if (!txn_dup(a, m->key, &e->key) || !txn_dup(a, req->primary, &e->primary)) {
				rc = tk_err_set(eb, TK_E_NOMEM, "prewrite error");
				goto fail;
			}
			resp->n_errors++;
			continue;
		}
		if (resp->n_errors)
			continue; /* the batch is dropped anyway */
		struct mvcc_lock nl = {
			.kind = m->op == TXN_OP_PUT   ? MVCC_LOCK_PUT
				: m->op == TXN_OP_DEL ? MVCC_LOCK_DELETE
						      : MVCC_LOCK_LOCK,
			.start_ts = req->start_ts,
			.ttl_ms = req->lock_ttl_ms,
			.min_commit_ts = req->min_commit_ts,
			.primary = req->primary,
		};
		/* DEL and LOCK also delete the staged value, so that an earlier
		 * PUT of the same key in this request leaves nothing behind. */
		enum tk_err w = mvcc_put_lock(b, m->key, &nl);
		if (w == TK_OK)
			w = m->op == TXN_OP_PUT ? mvcc_put_value(b, m->key, req->start_ts, m->value)
						: mvcc_del_value(b, m->key, req->start_ts);
		if (w != TK_OK) {
			rc = tk_err_set(eb, TK_E_NOMEM, "prewrite batch");
			goto fail;
		}
	}
	tk_buf_destroy(&raw);
	if (resp->n_errors) {
		eng_batch_clear(b);
		return outcome(&resp->errors[0], eb);
	}
	return TK_OK;
fail:
	tk_buf_destroy(&raw);
	eng_batch_clear(b);
	return rc;
}

/* ---- commit ---- */

enum tk_err txn_commit(const struct mvcc_view *v, struct eng_batch *b,
		       const struct txn_commit_req *req, struct txn_commit_resp *resp,
		       struct tk_arena *a, struct tk_errbuf *eb)
{
	memset(resp, 0, sizeof(*resp));
	if (req->n_keys == 0)
		return TK_OK;
	if (req->commit_ts <= req->start_ts)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "commit: commit_ts %llu <= start_ts %llu",
				  (unsigned long long)req->commit_ts,
				  (unsigned long long)req->start_ts);
	struct tk_buf raw;
	tk_buf_init(&raw);
	enum tk_err rc = TK_OK;
	for (size_t i = 0; i < req->n_keys; i++) {
		struct tk_slice key = req->keys[i];
		struct mvcc_lock l;
		bool found = false;
		if ((rc = mvcc_get_lock(v, key, &raw, &l, &found, eb)) != TK_OK)
			goto fail;
		if (found && l.start_ts == req->start_ts) {
			if (l.min_commit_ts && req->commit_ts < l.min_commit_ts) {
				rc = tk_err_set(eb, TK_E_BAD_REQUEST,
						"commit: commit_ts below the lock's min_commit_ts");
				goto fail;
			}
			if ((rc = txn_commit_locked(v, b, key, &l, req->commit_ts, eb)) != TK_OK)
				goto fail;
			continue;
		}
		struct mvcc_write w;
		uint64_t cts;
		bool has_rec = false;
		if ((rc = mvcc_txn_write(v, key, req->start_ts, &w, &cts, &has_rec, eb)) != TK_OK)
			goto fail;
		if (has_rec && w.kind != MVCC_WRITE_ROLLBACK)
			continue; /* a retry: already committed */
		enum tk_err code = has_rec ? TK_E_TXN_ROLLED_BACK : TK_E_TXN_NOT_FOUND;
		if ((rc = key_error(a, code, key, &resp->err, eb)) != TK_OK)
			goto fail;
		resp->err.start_ts = req->start_ts;
		if (found && !has_rec) {
			if ((rc = lock_info(a, key, &l, &resp->err.lock, eb)) != TK_OK)
				goto fail;
			resp->err.has_lock = true;
		}
		rc = outcome(&resp->err, eb);
		goto fail;
	}
	tk_buf_destroy(&raw);
	return TK_OK;
fail:
	tk_buf_destroy(&raw);
	eng_batch_clear(b);
	return rc;
}

/* ---- scan ---- */

enum tk_err txn_scan(const struct mvcc_view *v, const struct txn_scan_req *req,
		     struct txn_scan_resp *resp, struct tk_arena *a, struct tk_errbuf *eb)
{
	memset(resp, 0, sizeof(*resp));
	if (req->limit == 0)
		return TK_OK;
	struct mvcc_scanner *s = NULL;
	enum tk_err rc = mvcc_scanner_new(v, req->start, req->end, req->version, req->key_only,
					  true, &s, eb);
	if (rc != TK_OK)
		return rc;
	size_t cap = req->limit < 64 ? req->limit : 64;
	bool locked = false;
	resp->pairs = tk_arena_alloc(a, cap * sizeof(*resp->pairs));
	if (!resp->pairs) {
		rc = tk_err_set(eb, TK_E_NOMEM, "scan pairs");
		goto out;
	}
	while (resp->n_pairs < req->limit) {
		struct mvcc_scan_entry e;
		bool done = false;
		if ((rc = mvcc_scanner_next(s, &e, &done, eb)) != TK_OK || done)
			break;
		if (resp->n_pairs == cap) {
			/* The arena cannot grow in place: copy into a bigger array
			 * (the old one stays until the arena is reset). */
			size_t ncap = cap * 2 < req->limit ? cap * 2 : req->limit;
			struct txn_kv_pair *np = tk_arena_alloc(a, ncap * sizeof(*np));
			if (!np) {
				rc = tk_err_set(eb, TK_E_NOMEM, "scan pairs");
				break;
			}
			memcpy(np, resp->pairs, cap * sizeof(*np));
			resp->pairs = np;
			cap = ncap;
		}
		struct txn_kv_pair *p = &resp->pairs[resp->n_pairs];
		memset(p, 0, sizeof(*p));
		if (!txn_dup(a, e.key, &p->key) || !txn_dup(a, e.value, &p->value)) {
			rc = tk_err_set(eb, TK_E_NOMEM, "scan pair");
			break;
		}
		if (e.locked) {
			if ((rc = locked_error(a, e.key, &e.lock, &p->err, eb)) != TK_OK)
				break;
			locked = true;
		}
		resp->n_pairs++;
	}
	if (rc == TK_OK && locked)
		rc = tk_err_set(eb, TK_E_KEY_LOCKED, "scan met locked keys");
out:
	mvcc_scanner_free(s);
	return rc;
}

/* ---- check-txn-status ---- */

static bool lock_expired(const struct mvcc_lock *l, uint64_t current_ts)
{
	uint64_t born = mvcc_ts_physical_ms(l->start_ts);
	uint64_t now = mvcc_ts_physical_ms(current_ts);
	return now > born && now - born > l->ttl_ms;
}

enum tk_err txn_check_txn_status(const struct mvcc_view *v, struct eng_batch *b,
				 const struct txn_check_status_req *req,
				 struct txn_check_status_resp *resp, struct tk_arena *a,
				 struct tk_errbuf *eb)
{
	memset(resp, 0, sizeof(*resp));
	if (req->lock_ts == 0 || !req->primary.p)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "check-txn-status: needs lock_ts and primary");
	struct tk_buf raw;
	tk_buf_init(&raw);
	struct mvcc_lock l;
	bool found = false;
	enum tk_err rc = mvcc_get_lock(v, req->primary, &raw, &l, &found, eb);
	if (rc != TK_OK)
		goto out;
	if (found && l.start_ts == req->lock_ts) {
		if (lock_expired(&l, req->current_ts)) {
			rc = txn_rollback_locked(v, b, req->primary, &l, eb);
			resp->status = TXN_STATUS_ROLLED_BACK;
			resp->action = TXN_ACTION_TTL_EXPIRE_ROLLBACK;
		} else {
			rc = lock_info(a, req->primary, &l, &resp->lock, eb);
			resp->status = TXN_STATUS_LOCKED;
		}
		goto out;
	}
	struct mvcc_write w;
	uint64_t cts;
	bool has_rec = false;
	if ((rc = mvcc_txn_write(v, req->primary, req->lock_ts, &w, &cts, &has_rec, eb)) != TK_OK)
		goto out;
	if (has_rec && w.kind != MVCC_WRITE_ROLLBACK) {
		resp->status = TXN_STATUS_COMMITTED;
		resp->commit_ts = cts;
	} else if (has_rec) {
		resp->status = TXN_STATUS_ROLLED_BACK;
	} else {
		rc = txn_put_rollback(v, b, req->primary, req->lock_ts, eb);
		resp->status = TXN_STATUS_ROLLED_BACK;
		resp->action = TXN_ACTION_LOCK_NOT_EXIST_ROLLBACK;
	}
out:
	tk_buf_destroy(&raw);
	if (rc != TK_OK)
		eng_batch_clear(b);
	return rc;
}

/* ---- heart beat ---- */

enum tk_err txn_heart_beat(const struct mvcc_view *v, struct eng_batch *b,
			   const struct txn_heart_beat_req *req, struct txn_heart_beat_resp *resp,
			   struct tk_arena *a, struct tk_errbuf *eb)
{
	memset(resp, 0, sizeof(*resp));
	struct tk_buf raw;
	tk_buf_init(&raw);
	struct mvcc_lock l;
	bool found = false;
	enum tk_err rc = mvcc_get_lock(v, req->primary, &raw, &l, &found, eb);
	if (rc != TK_OK)
		goto out;
	if (!found || l.start_ts != req->start_ts) {
		rc = key_error(a, TK_E_TXN_NOT_FOUND, req->primary, &resp->err, eb);
		resp->err.start_ts = req->start_ts;
		if (rc == TK_OK)
			rc = outcome(&resp->err, eb);
		goto out;
	}
	if (req->advise_ttl_ms > l.ttl_ms) {
		l.ttl_ms = req->advise_ttl_ms;
		if (mvcc_put_lock(b, req->primary, &l) != TK_OK)
			rc = tk_err_set(eb, TK_E_NOMEM, "heart beat");
	}
	resp->ttl_ms = l.ttl_ms;
out:
	tk_buf_destroy(&raw);
	if (rc != TK_OK)
		eng_batch_clear(b);
	return rc;
}

/* ---- batch rollback ---- */

enum tk_err txn_batch_rollback(const struct mvcc_view *v, struct eng_batch *b,
			       const struct txn_rollback_req *req, struct txn_rollback_resp *resp,
			       struct tk_arena *a, struct tk_errbuf *eb)
{
	memset(resp, 0, sizeof(*resp));
	struct tk_buf raw;
	tk_buf_init(&raw);
	enum tk_err rc = TK_OK;
	for (size_t i = 0; i < req->n_keys; i++) {
		struct tk_slice key = req->keys[i];
		struct mvcc_lock l;
		bool found = false;
		if ((rc = mvcc_get_lock(v, key, &raw, &l, &found, eb)) != TK_OK)
			goto fail;
		if (found && l.start_ts == req->start_ts) {
			if ((rc = txn_rollback_locked(v, b, key, &l, eb)) != TK_OK)
				goto fail;
			continue;
		}
		struct mvcc_write w;
		uint64_t cts;
		bool has_rec = false;
		if ((rc = mvcc_txn_write(v, key, req->start_ts, &w, &cts, &has_rec, eb)) != TK_OK)
			goto fail;
		if (has_rec && w.kind == MVCC_WRITE_ROLLBACK)
			continue; /* a retry */
		if (has_rec) {
			if ((rc = key_error(a, TK_E_TXN_COMMITTED, key, &resp->err, eb)) != TK_OK)
				goto fail;
			resp->err.start_ts = req->start_ts;
			resp->err.commit_ts = cts;
			rc = outcome(&resp->err, eb);
			goto fail;
		}
		/* Nothing prewritten (yet): the record makes a late prewrite
		 * of this txn fail. */
		if ((rc = txn_put_rollback(v, b, key, req->start_ts, eb)) != TK_OK)
			goto fail;
	}
	tk_buf_destroy(&raw);
	return TK_OK;
fail:
	tk_buf_destroy(&raw);
	eng_batch_clear(b);
	return rc;
}

/* ---- scan lock ---- */

/* A lock-column iterator over the user-key range [start, end). */
static enum tk_err lock_iter(const struct mvcc_view *v, struct tk_slice start, struct tk_slice end,
			     struct eng_iter **out, struct tk_errbuf *eb)
{
	struct tk_buf lo, hi;
	tk_buf_init(&lo);
	tk_buf_init(&hi);
	enum tk_err rc = TK_OK;
	if (!mvcc_enc_user(&lo, start) || (end.p && !mvcc_enc_user(&hi, end))) {
		rc = tk_err_set(eb, TK_E_NOMEM, "lock range");
		goto out;
	}
	*out = eng_iter_new(v->eng, v->snap, ENG_CF_LOCK, tk_buf_slice(&lo),
			    end.p ? tk_buf_slice(&hi) : tk_slice_of(NULL, 0));
	if (!*out)
		rc = tk_err_set(eb, TK_E_NOMEM, "lock iterator");
	else
		eng_iter_seek_first(*out);
out:
	tk_buf_destroy(&lo);
	tk_buf_destroy(&hi);
	return rc;
}

/* The user key of the lock under it (reset first). */
static enum tk_err lock_iter_key(struct eng_iter *it, struct tk_buf *key, struct tk_errbuf *eb)
{
	struct tk_slice ek = eng_iter_key(it);
	size_t used = 0;
	tk_buf_reset(key);
	enum tk_err rc = eng_mc_decode(ek, key, &used, eb);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "lock column key");
	if (used != ek.n)
		return tk_err_set(eb, TK_E_CORRUPTION, "lock column key has trailing bytes");
	return TK_OK;
}

enum tk_err txn_scan_lock(const struct mvcc_view *v, const struct txn_scan_lock_req *req,
			  struct txn_scan_lock_resp *resp, struct tk_arena *a, struct tk_errbuf *eb)
{
	memset(resp, 0, sizeof(*resp));
	struct eng_iter *it = NULL;
	struct tk_buf key;
	tk_buf_init(&key);
	size_t cap = 0;
	enum tk_err rc = lock_iter(v, req->start, req->end, &it, eb);
	if (rc != TK_OK)
		goto out;
	for (; eng_iter_valid(it); eng_iter_next(it)) {
		struct mvcc_lock l;
		if ((rc = mvcc_lock_decode(eng_iter_value(it), &l, eb)) != TK_OK)
			goto out;
		if (l.start_ts > req->max_ts)
			continue;
		if (req->limit && resp->n_locks == req->limit) {
			resp->more = true;
			goto out;
		}
		if ((rc = lock_iter_key(it, &key, eb)) != TK_OK)
			goto out;
		if (resp->n_locks == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct txn_lock_info *nl = tk_arena_alloc(a, ncap * sizeof(*nl));
			if (!nl) {
				rc = tk_err_set(eb, TK_E_NOMEM, "scan lock");
				goto out;
			}
			if (cap)
				memcpy(nl, resp->locks, cap * sizeof(*nl));
			resp->locks = nl;
			cap = ncap;
		}
		rc = lock_info(a, tk_buf_slice(&key), &l, &resp->locks[resp->n_locks], eb);
		if (rc != TK_OK)
			goto out;
		resp->n_locks++;
	}
	rc = eng_iter_status(it, eb);
out:
	if (it)
		eng_iter_free(it);
	tk_buf_destroy(&key);
	return rc;
}

/* ---- resolve lock ---- */

enum tk_err txn_resolve_lock(const struct mvcc_view *v, struct eng_batch *b,
			     const struct txn_resolve_req *req, struct txn_resolve_resp *resp,
			     struct tk_errbuf *eb)
{
	memset(resp, 0, sizeof(*resp));
	if (req->commit_ts && req->commit_ts <= req->start_ts)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "resolve: commit_ts <= start_ts");
	struct tk_buf key, raw;
	tk_buf_init(&key);
	tk_buf_init(&raw);
	struct eng_iter *it = NULL;
	enum tk_err rc = lock_iter(v, req->start, req->end, &it, eb);
	if (rc != TK_OK)
		goto out;
	for (; eng_iter_valid(it); eng_iter_next(it)) {
		struct mvcc_lock l;
		if ((rc = mvcc_lock_decode(eng_iter_value(it), &l, eb)) != TK_OK)
			goto out;
		if (l.start_ts != req->start_ts)
			continue;
		if (req->limit && resp->n_resolved == req->limit) {
			resp->more = true;
			break;
		}
		if ((rc = lock_iter_key(it, &key, eb)) != TK_OK)
			goto out;
		/* l.primary borrows the iterator's value: copy it out of the
		 * way of the reads below (they do not move this iterator, but
		 * keep the record stable regardless). */
		tk_buf_reset(&raw);
		if (!tk_buf_append(&raw, l.primary.p, l.primary.n)) {
			rc = tk_err_set(eb, TK_E_NOMEM, "resolve");
			goto out;
		}
		l.primary = tk_buf_slice(&raw);
		if (req->commit_ts)
			rc = txn_commit_locked(v, b, tk_buf_slice(&key), &l, req->commit_ts, eb);
		else
			rc = txn_rollback_locked(v, b, tk_buf_slice(&key), &l, eb);
		if (rc != TK_OK)
			goto out;
		resp->n_resolved++;
	}
	if (!resp->more)
		rc = eng_iter_status(it, eb);
out:
	if (it)
		eng_iter_free(it);
	tk_buf_destroy(&key);
	tk_buf_destroy(&raw);
	if (rc != TK_OK)
		eng_batch_clear(b);
	return rc;
}
