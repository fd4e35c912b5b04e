/* MVCC garbage collection below a safe point: see txn_gc in txn_cmds.h.
 *
 * One pass over the write column: versions of a key come newest first, so a
 * small state machine per key decides each record as it goes by. */
#include <string.h>

#include "engine/keys.h"
#include "txn/mvcc_int.h"
#include "txn/txn_int.h"

struct gc_key_state {
	struct tk_buf enc;  /* encoded user key being visited */
	struct tk_buf user; /* its raw bytes */
	bool base_found;    /* newest data version <= safe point seen */
};

static enum tk_err start_key(struct gc_key_state *k, struct tk_slice enc, struct tk_errbuf *eb)
{
	size_t used = 0;
	tk_buf_reset(&k->enc);
	tk_buf_reset(&k->user);
	if (!tk_buf_append(&k->enc, enc.p, enc.n))
		return tk_err_set(eb, TK_E_NOMEM, "gc key");
	enum tk_err rc = eng_mc_decode(enc, &k->user, &used, eb);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "gc key");
	k->base_found = false;
	return TK_OK;
}

/* Whether the record (cts, w) of the current key is garbage at sp. */
static bool is_garbage(struct gc_key_state *k, uint64_t cts, const struct mvcc_write *w,
		       uint64_t sp)
{
	if (cts > sp)
		return false;
	if (w->kind == MVCC_WRITE_ROLLBACK || w->kind == MVCC_WRITE_LOCK)
		return true;
	if (k->base_found)
		return true;
	k->base_found = true;
	/* The newest data version at or below sp: a PUT is what readers at sp
	 * see; a DELETE hides nothing once everything older is gone. */
	return w->kind == MVCC_WRITE_DELETE;
}

enum tk_err txn_gc(const struct mvcc_view *v, struct eng_batch *b, const struct txn_gc_req *req,
		   struct txn_gc_resp *resp, struct tk_arena *a, struct tk_errbuf *eb)
{
	memset(resp, 0, sizeof(*resp));
	struct gc_key_state k;
	struct tk_buf lo, hi;
	tk_buf_init(&k.enc);
	tk_buf_init(&k.user);
	tk_buf_init(&lo);
	tk_buf_init(&hi);
	struct eng_iter *it = NULL;
	enum tk_err rc = TK_OK;
	if (!mvcc_enc_version(&lo, req->start, MVCC_TS_MAX) ||
	    (req->end.p && !mvcc_enc_user(&hi, req->end))) {
		rc = tk_err_set(eb, TK_E_NOMEM, "gc bounds");
		goto out;
	}
	it = eng_iter_new(v->eng, v->snap, ENG_CF_WRITE, tk_buf_slice(&lo),
			  req->end.p ? tk_buf_slice(&hi) : tk_slice_of(NULL, 0));
	if (!it) {
		rc = tk_err_set(eb, TK_E_NOMEM, "gc iterator");
		goto out;
	}
	bool have_key = false;
	for (eng_iter_seek_first(it); eng_iter_valid(it); eng_iter_next(it)) {
		struct tk_slice enc;
		uint64_t cts;
		struct mvcc_write w;
		if ((rc = eng_mvcc_key_split(eng_iter_key(it), &enc, &cts, eb)) != TK_OK ||
		    (rc = mvcc_iter_write(it, &cts, &w, eb)) != TK_OK) {
			tk_err_wrap(eb, rc, "gc");
			goto out;
		}
		if (!have_key || !tk_slice_eq(enc, tk_buf_slice(&k.enc))) {
			if ((rc = start_key(&k, enc, eb)) != TK_OK)
				goto out;
			if (req->limit && resp->n_keys == req->limit) {
				resp->more = true;
				if (!txn_dup(a, tk_buf_slice(&k.user), &resp->next_key))
					rc = tk_err_set(eb, TK_E_NOMEM, "gc next key");
				goto out;
			}
			have_key = true;
			resp->n_keys++;
		}
		if (!is_garbage(&k, cts, &w, req->safe_point))
			continue;
		struct tk_slice user = tk_buf_slice(&k.user);
		if (mvcc_del_write(b, user, cts) != TK_OK ||
		    (w.kind == MVCC_WRITE_PUT && mvcc_del_value(b, user, w.start_ts) != TK_OK)) {
			rc = tk_err_set(eb, TK_E_NOMEM, "gc batch");
			goto out;
		}
		resp->n_deleted++;
	}
	rc = eng_iter_status(it, eb);
out:
	if (it)
		eng_iter_free(it);
	tk_buf_destroy(&k.enc);
	tk_buf_destroy(&k.user);
	tk_buf_destroy(&lo);
	tk_buf_destroy(&hi);
	if (rc != TK_OK)
		eng_batch_clear(b);
	return rc;
}
