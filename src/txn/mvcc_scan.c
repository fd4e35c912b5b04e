/* The MVCC range scanner: a merge of the lock column (one entry per locked
 * key) and the write column (versions of each key, newest first), both
 * ordered by the memcomparable user key.  See mvcc.h. */
#include <stdlib.h>

#include "engine/keys.h"
#include "txn/mvcc_int.h"

struct mvcc_scanner {
	struct mvcc_view v;
	uint64_t ts;
	bool key_only, check_locks;
	struct eng_iter *locks;  /* NULL unless check_locks */
	struct eng_iter *writes;
	struct tk_buf cur;      /* encoded user key being visited */
	struct tk_buf seek;     /* scratch for seek targets */
	struct tk_buf key;      /* decoded user key handed out */
	struct tk_buf val;      /* value handed out */
	struct tk_buf lockbuf;  /* lock record handed out */
};

enum tk_err mvcc_scanner_new(const struct mvcc_view *v, struct tk_slice start, struct tk_slice end,
			     uint64_t ts, bool key_only, bool check_locks,
			     struct mvcc_scanner **out, struct tk_errbuf *eb)
{
	struct mvcc_scanner *s = calloc(1, sizeof(*s));
	if (!s)
		return tk_err_set(eb, TK_E_NOMEM, "scanner");
	s->v = *v;
	s->ts = ts;
	s->key_only = key_only;
	s->check_locks = check_locks;
	tk_buf_init(&s->cur);
	tk_buf_init(&s->seek);
	tk_buf_init(&s->key);
	tk_buf_init(&s->val);
	tk_buf_init(&s->lockbuf);

	/* Bounds: encoded start (locks) and its newest version (writes) below;
	 * encoded end above both, which excludes every version of end and
	 * nothing smaller, as the encoding is prefix-free. */
	struct tk_buf lo_lock, lo_write, hi;
	tk_buf_init(&lo_lock);
	tk_buf_init(&lo_write);
	tk_buf_init(&hi);
	enum tk_err rc = TK_OK;
	if (!mvcc_enc_user(&lo_lock, start) || !mvcc_enc_version(&lo_write, start, MVCC_TS_MAX) ||
	    (end.p && !mvcc_enc_user(&hi, end))) {
		rc = tk_err_set(eb, TK_E_NOMEM, "scan bounds");
		goto out;
	}
	struct tk_slice upper = end.p ? tk_buf_slice(&hi) : tk_slice_of(NULL, 0);
	s->writes = eng_iter_new(v->eng, v->snap, ENG_CF_WRITE, tk_buf_slice(&lo_write), upper);
	if (check_locks)
		s->locks = eng_iter_new(v->eng, v->snap, ENG_CF_LOCK, tk_buf_slice(&lo_lock), upper);
	if (!s->writes || (check_locks && !s->locks)) {
		rc = tk_err_set(eb, TK_E_NOMEM, "scan iterators");
		goto out;
	}
	eng_iter_seek_first(s->writes);
	if (s->locks)
		eng_iter_seek_first(s->locks);
out:
	tk_buf_destroy(&lo_lock);
	tk_buf_destroy(&lo_write);
	tk_buf_destroy(&hi);
	if (rc != TK_OK) {
		mvcc_scanner_free(s);
		return rc;
	}
	*out = s;
	return TK_OK;
}

void mvcc_scanner_free(struct mvcc_scanner *s)
{
	if (!s)
		return;
	if (s->writes)
		eng_iter_free(s->writes);
	if (s->locks)
		eng_iter_free(s->locks);
	tk_buf_destroy(&s->cur);
	tk_buf_destroy(&s->seek);
	tk_buf_destroy(&s->key);
	tk_buf_destroy(&s->val);
	tk_buf_destroy(&s->lockbuf);
	free(s);
}

/* Encoded user key of the write iterator's entry. */
static enum tk_err write_user(struct mvcc_scanner *s, struct tk_slice *enc, struct tk_errbuf *eb)
{
	uint64_t ts;
	enum tk_err rc = eng_mvcc_key_split(eng_iter_key(s->writes), enc, &ts, eb);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "scan write column");
	return TK_OK;
}

/* Move the write iterator past every version of s->cur. */
static enum tk_err skip_versions(struct mvcc_scanner *s, struct tk_errbuf *eb)
{
	if (!mvcc_enc_after_versions(&s->seek, tk_buf_slice(&s->cur)))
		return tk_err_set(eb, TK_E_NOMEM, "scan seek");
	eng_iter_seek(s->writes, tk_buf_slice(&s->seek));
	return TK_OK;
}

static bool lock_blocks(const struct mvcc_lock *l, uint64_t ts)
{
	return l->kind != MVCC_LOCK_LOCK && l->start_ts <= ts;
}

/* Find the version of s->cur visible at s->ts: *w and true in *have, or
 * *have false (never written, or nothing committed at or before ts). */
static enum tk_err visible_version(struct mvcc_scanner *s, struct mvcc_write *w, bool *have,
				   struct tk_errbuf *eb)
{
	*have = false;
	if (!tk_buf_reserve(&s->seek, s->cur.len + ENG_MVCC_TS_LEN))
		return tk_err_set(eb, TK_E_NOMEM, "scan seek");
	tk_buf_reset(&s->seek);
	tk_buf_append(&s->seek, s->cur.data, s->cur.len);
	uint8_t t[ENG_MVCC_TS_LEN];
	tk_put_be64(t, ~s->ts);
	tk_buf_append(&s->seek, t, sizeof(t));
	eng_iter_seek(s->writes, tk_buf_slice(&s->seek));
	for (; eng_iter_valid(s->writes); eng_iter_next(s->writes)) {
		struct tk_slice enc;
		enum tk_err rc = write_user(s, &enc, eb);
		if (rc != TK_OK)
			return rc;
		if (!tk_slice_eq(enc, tk_buf_slice(&s->cur)))
			break;
		uint64_t cts;
		rc = mvcc_iter_write(s->writes, &cts, w, eb);
		if (rc != TK_OK)
			return rc;
		if (w->kind == MVCC_WRITE_PUT || w->kind == MVCC_WRITE_DELETE) {
			*have = true;
			break;
		}
	}
	return eng_iter_status(s->writes, eb);
}

static enum tk_err set_key(struct mvcc_scanner *s, struct mvcc_scan_entry *e, struct tk_errbuf *eb)
{
	size_t used;
	tk_buf_reset(&s->key);
	enum tk_err rc = eng_mc_decode(tk_buf_slice(&s->cur), &s->key, &used, eb);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "scan key");
	if (used != s->cur.len)
		return tk_err_set(eb, TK_E_CORRUPTION, "scan key: trailing bytes after the key");
	e->key = tk_buf_slice(&s->key);
	return TK_OK;
}

enum tk_err mvcc_scanner_next(struct mvcc_scanner *s, struct mvcc_scan_entry *e, bool *done,
			      struct tk_errbuf *eb)
{
	enum tk_err rc;
	*done = false;
	for (;;) {
		bool wv = eng_iter_valid(s->writes);
		bool lv = s->locks && eng_iter_valid(s->locks);
		if (!wv && (rc = eng_iter_status(s->writes, eb)) != TK_OK)
			return rc;
		if (s->locks && !lv && (rc = eng_iter_status(s->locks, eb)) != TK_OK)
			return rc;
		if (!wv && !lv) {
			*done = true;
			return TK_OK;
		}
		struct tk_slice wenc = {NULL, 0}, lenc = {NULL, 0};
		if (wv && (rc = write_user(s, &wenc, eb)) != TK_OK)
			return rc;
		if (lv)
			lenc = eng_iter_key(s->locks);
		bool on_lock = lv && (!wv || tk_slice_cmp(lenc, wenc) <= 0);
		bool on_write = wv && (!lv || tk_slice_cmp(wenc, lenc) <= 0);
		struct tk_slice cur = on_lock ? lenc : wenc;
		tk_buf_reset(&s->cur);
		if (!tk_buf_append(&s->cur, cur.p, cur.n))
			return tk_err_set(eb, TK_E_NOMEM, "scan key");

		if (on_lock) {
			struct mvcc_lock l;
			tk_buf_reset(&s->lockbuf);
			if (!tk_buf_append(&s->lockbuf, eng_iter_value(s->locks).p,
					   eng_iter_value(s->locks).n))
				return tk_err_set(eb, TK_E_NOMEM, "scan lock");
			eng_iter_next(s->locks);
			rc = mvcc_lock_decode(tk_buf_slice(&s->lockbuf), &l, eb);
			if (rc != TK_OK)
				return tk_err_wrap(eb, rc, "scan lock column");
			if (lock_blocks(&l, s->ts)) {
				if (on_write && (rc = skip_versions(s, eb)) != TK_OK)
					return rc;
				if ((rc = set_key(s, e, eb)) != TK_OK)
					return rc;
				e->locked = true;
				e->lock = l;
				e->value = tk_slice_of(NULL, 0);
				return TK_OK;
			}
			if (!on_write)
				continue;
		}

		struct mvcc_write w;
		bool have;
		if ((rc = visible_version(s, &w, &have, eb)) != TK_OK)
			return rc;
		if ((rc = skip_versions(s, eb)) != TK_OK)
			return rc;
		if (!have || w.kind != MVCC_WRITE_PUT)
			continue;
		if ((rc = set_key(s, e, eb)) != TK_OK)
			return rc;
		e->locked = false;
		e->value = tk_slice_of(NULL, 0);
		if (!s->key_only) {
			rc = mvcc_read_default(&s->v, e->key, w.start_ts, &s->val, eb);
			if (rc != TK_OK)
				return rc;
			e->value = tk_buf_slice(&s->val);
		}
		return TK_OK;
	}
}
