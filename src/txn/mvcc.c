/* MVCC records, point reads and batch writers: see mvcc.h.  The range
 * scanner lives in mvcc_scan.c. */
#include "txn/mvcc.h"

#include "engine/keys.h"
#include "txn/mvcc_int.h"

/* Lock record v1:
 *   [0] version  [1] kind  [2..10) start_ts  [10..18) ttl_ms
 *   [18..26) min_commit_ts  [26..30) primary length  [30..) primary
 * Write record v1:
 *   [0] version  [1] kind  [2] flags (bit 0: overlapped rollback)
 *   [3..11) start_ts
 * All integers big-endian. */
#define LOCK_HDR 30
#define WRITE_FLAG_OVERLAPPED 0x01

bool mvcc_lock_encode(const struct mvcc_lock *l, struct tk_buf *out)
{
	if (l->primary.n > UINT32_MAX || !tk_buf_reserve(out, LOCK_HDR + l->primary.n))
		return false;
	uint8_t *p = out->data + out->len;
	p[0] = MVCC_LOCK_VERSION;
	p[1] = (uint8_t)l->kind;
	tk_put_be64(p + 2, l->start_ts);
	tk_put_be64(p + 10, l->ttl_ms);
	tk_put_be64(p + 18, l->min_commit_ts);
	tk_put_be32(p + 26, (uint32_t)l->primary.n);
	out->len += LOCK_HDR;
	return tk_buf_append(out, l->primary.p, l->primary.n);
}

enum tk_err mvcc_lock_decode(struct tk_slice in, struct mvcc_lock *out, struct tk_errbuf *eb)
{
	if (in.n < 1)
		return tk_err_set(eb, TK_E_CORRUPTION, "lock record: empty");
	if (in.p[0] != MVCC_LOCK_VERSION)
		return tk_err_set(eb, TK_E_CORRUPTION, "lock record: unknown version %u", in.p[0]);
	if (in.n < LOCK_HDR)
		return tk_err_set(eb, TK_E_CORRUPTION, "lock record: truncated (%zu bytes)", in.n);
	uint8_t kind = in.p[1];
	if (kind < MVCC_LOCK_PUT || kind > MVCC_LOCK_LOCK)
		return tk_err_set(eb, TK_E_CORRUPTION, "lock record: unknown kind %u", kind);
	uint32_t plen = tk_get_be32(in.p + 26);
	if ((size_t)plen != in.n - LOCK_HDR)
		return tk_err_set(eb, TK_E_CORRUPTION,
				  "lock record: primary length %u does not match %zu bytes", plen,
				  in.n - LOCK_HDR);
	out->kind = (enum mvcc_lock_kind)kind;
	out->start_ts = tk_get_be64(in.p + 2);
	out->ttl_ms = tk_get_be64(in.p + 10);
	out->min_commit_ts = tk_get_be64(in.p + 18);
	out->primary = tk_slice_of(in.p + LOCK_HDR, plen);
	return TK_OK;
}

static void write_record(uint8_t p[MVCC_WRITE_RECORD_LEN], const struct mvcc_write *w)
{
	p[0] = MVCC_WRITE_VERSION;
	p[1] = (uint8_t)w->kind;
	p[2] = w->overlapped_rollback ? WRITE_FLAG_OVERLAPPED : 0;
	tk_put_be64(p + 3, w->start_ts);
}

bool mvcc_write_encode(const struct mvcc_write *w, struct tk_buf *out)
{
	uint8_t p[MVCC_WRITE_RECORD_LEN];
	write_record(p, w);
	return tk_buf_append(out, p, sizeof(p));
}

enum tk_err mvcc_write_decode(struct tk_slice in, struct mvcc_write *out, struct tk_errbuf *eb)
{
	if (in.n < 1)
		return tk_err_set(eb, TK_E_CORRUPTION, "write record: empty");
	if (in.p[0] != MVCC_WRITE_VERSION)
		return tk_err_set(eb, TK_E_CORRUPTION, "write record: unknown version %u", in.p[0]);
	if (in.n != MVCC_WRITE_RECORD_LEN)
		return tk_err_set(eb, TK_E_CORRUPTION, "write record: %zu bytes, want %d", in.n,
				  MVCC_WRITE_RECORD_LEN);
	uint8_t kind = in.p[1];
	if (kind < MVCC_WRITE_PUT || kind > MVCC_WRITE_LOCK)
		return tk_err_set(eb, TK_E_CORRUPTION, "write record: unknown kind %u", kind);
	if (in.p[2] & ~WRITE_FLAG_OVERLAPPED)
		return tk_err_set(eb, TK_E_CORRUPTION, "write record: unknown flags 0x%x", in.p[2]);
	out->kind = (enum mvcc_write_kind)kind;
	out->overlapped_rollback = (in.p[2] & WRITE_FLAG_OVERLAPPED) != 0;
	out->start_ts = tk_get_be64(in.p + 3);
	return TK_OK;
}

/* ---- keys ---- */

bool mvcc_enc_user(struct tk_buf *out, struct tk_slice key)
{
	tk_buf_reset(out);
	return eng_mc_encode(out, key);
}

bool mvcc_enc_version(struct tk_buf *out, struct tk_slice key, uint64_t ts)
{
	tk_buf_reset(out);
	return eng_mvcc_key(out, key, ts);
}

bool mvcc_enc_after_versions(struct tk_buf *out, struct tk_slice enc_user)
{
	/* enc_user ++ be64(~0) is the oldest possible version; one more byte
	 * makes the smallest key above every version of this user key, and no
	 * other user key's encoding starts with enc_user (prefix-free). */
	static const uint8_t tail[ENG_MVCC_TS_LEN + 1] = {0xff, 0xff, 0xff, 0xff, 0xff,
							  0xff, 0xff, 0xff, 0x00};
	tk_buf_reset(out);
	return tk_buf_append(out, enc_user.p, enc_user.n) && tk_buf_append(out, tail, sizeof(tail));
}

/* ---- reading ---- */

enum tk_err mvcc_view_get(const struct mvcc_view *v, enum eng_cf cf, struct tk_slice key,
			  struct tk_buf *val, bool *found, struct tk_errbuf *eb)
{
	if (v->snap)
		return eng_snap_get(v->eng, v->snap, cf, key, val, found, eb);
	return eng_get(v->eng, cf, key, val, found, eb);
}

enum tk_err mvcc_get_lock(const struct mvcc_view *v, struct tk_slice key, struct tk_buf *raw,
			  struct mvcc_lock *out, bool *found, struct tk_errbuf *eb)
{
	struct tk_buf k;
	tk_buf_init(&k);
	enum tk_err rc;
	if (!mvcc_enc_user(&k, key)) {
		rc = tk_err_set(eb, TK_E_NOMEM, "lock key");
		goto out;
	}
	rc = mvcc_view_get(v, ENG_CF_LOCK, tk_buf_slice(&k), raw, found, eb);
	if (rc == TK_OK && *found)
		rc = mvcc_lock_decode(tk_buf_slice(raw), out, eb);
out:
	tk_buf_destroy(&k);
	return rc;
}

enum tk_err mvcc_versions_iter(const struct mvcc_view *v, struct tk_slice key, uint64_t hi_ts,
			       uint64_t lo_ts, struct eng_iter **out, struct tk_errbuf *eb)
{
	struct tk_buf lo, hi;
	tk_buf_init(&lo);
	tk_buf_init(&hi);
	enum tk_err rc = TK_OK;
	/* mvcc_key(key, lo_ts) ++ 0x00 is the smallest key above the version
	 * at lo_ts: the exclusive upper bound that keeps lo_ts in range. */
	if (!mvcc_enc_version(&lo, key, hi_ts) || !mvcc_enc_version(&hi, key, lo_ts) ||
	    !tk_buf_append_byte(&hi, 0)) {
		rc = tk_err_set(eb, TK_E_NOMEM, "version bounds");
		goto out;
	}
	*out = eng_iter_new(v->eng, v->snap, ENG_CF_WRITE, tk_buf_slice(&lo), tk_buf_slice(&hi));
	if (!*out)
		rc = tk_err_set(eb, TK_E_NOMEM, "write iterator");
	else
		eng_iter_seek_first(*out);
out:
	tk_buf_destroy(&lo);
	tk_buf_destroy(&hi);
	return rc;
}

enum tk_err mvcc_iter_write(struct eng_iter *it, uint64_t *commit_ts, struct mvcc_write *w,
			    struct tk_errbuf *eb)
{
	struct tk_slice enc;
	enum tk_err rc = eng_mvcc_key_split(eng_iter_key(it), &enc, commit_ts, eb);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "write column key");
	rc = mvcc_write_decode(eng_iter_value(it), w, eb);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "commit_ts %llu", (unsigned long long)*commit_ts);
	return TK_OK;
}

enum tk_err mvcc_get_value(const struct mvcc_view *v, struct tk_slice key, uint64_t ts,
			   struct tk_buf *val, bool *found, struct tk_errbuf *eb)
{
	struct eng_iter *it = NULL;
	*found = false;
	tk_buf_reset(val);
	enum tk_err rc = mvcc_versions_iter(v, key, ts, 0, &it, eb);
	if (rc != TK_OK)
		return rc;
	struct mvcc_write w = {0};
	uint64_t cts = 0;
	bool have = false;
	for (; eng_iter_valid(it); eng_iter_next(it)) {
		rc = mvcc_iter_write(it, &cts, &w, eb);
		if (rc != TK_OK)
			goto out;
		if (w.kind == MVCC_WRITE_PUT || w.kind == MVCC_WRITE_DELETE) {
			have = true;
			break;
		}
	}
	rc = eng_iter_status(it, eb);
	if (rc != TK_OK || !have || w.kind == MVCC_WRITE_DELETE)
		goto out;
	rc = mvcc_read_default(v, key, w.start_ts, val, eb);
	if (rc == TK_OK)
		*found = true;
out:
	eng_iter_free(it);
	return rc;
}

enum tk_err mvcc_read_default(const struct mvcc_view *v, struct tk_slice key, uint64_t start_ts,
			      struct tk_buf *val, struct tk_errbuf *eb)
{
	struct tk_buf k;
	tk_buf_init(&k);
	bool found = false;
	enum tk_err rc;
	if (!mvcc_enc_version(&k, key, start_ts)) {
		rc = tk_err_set(eb, TK_E_NOMEM, "default key");
		goto out;
	}
	rc = mvcc_view_get(v, ENG_CF_DEFAULT, tk_buf_slice(&k), val, &found, eb);
	if (rc == TK_OK && !found)
		rc = tk_err_set(eb, TK_E_CORRUPTION,
				"committed value of start_ts %llu missing from default column",
				(unsigned long long)start_ts);
out:
	tk_buf_destroy(&k);
	return rc;
}

enum tk_err mvcc_latest_write(const struct mvcc_view *v, struct tk_slice key,
			      struct mvcc_write *w, uint64_t *commit_ts, bool *found,
			      struct tk_errbuf *eb)
{
	struct eng_iter *it = NULL;
	*found = false;
	enum tk_err rc = mvcc_versions_iter(v, key, MVCC_TS_MAX, 0, &it, eb);
	if (rc != TK_OK)
		return rc;
	if (eng_iter_valid(it)) {
		rc = mvcc_iter_write(it, commit_ts, w, eb);
		*found = rc == TK_OK;
	} else {
		rc = eng_iter_status(it, eb);
	}
	eng_iter_free(it);
	return rc;
}

enum tk_err mvcc_txn_write(const struct mvcc_view *v, struct tk_slice key, uint64_t start_ts,
			   struct mvcc_write *w, uint64_t *commit_ts, bool *found,
			   struct tk_errbuf *eb)
{
	struct eng_iter *it = NULL;
	*found = false;
	enum tk_err rc = mvcc_versions_iter(v, key, MVCC_TS_MAX, start_ts, &it, eb);
	if (rc != TK_OK)
		return rc;
	for (; eng_iter_valid(it); eng_iter_next(it)) {
		struct mvcc_write cur = {0};
		uint64_t cts = 0;
		rc = mvcc_iter_write(it, &cts, &cur, eb);
		if (rc != TK_OK)
			goto out;
		if (cur.start_ts == start_ts) {
			*w = cur;
			*commit_ts = cts;
			*found = true;
			goto out;
		}
		if (cts == start_ts && cur.overlapped_rollback) {
			w->kind = MVCC_WRITE_ROLLBACK;
			w->start_ts = start_ts;
			w->overlapped_rollback = false;
			*commit_ts = cts;
			*found = true;
			goto out;
		}
	}
	rc = eng_iter_status(it, eb);
out:
	eng_iter_free(it);
	return rc;
}

/* ---- writing ---- */

enum tk_err mvcc_put_lock(struct eng_batch *b, struct tk_slice key, const struct mvcc_lock *l)
{
	struct tk_buf k, val;
	tk_buf_init(&k);
	tk_buf_init(&val);
	enum tk_err rc = TK_OK;
	if (!mvcc_enc_user(&k, key) || !mvcc_lock_encode(l, &val))
		rc = TK_E_NOMEM;
	else
		eng_batch_put(b, ENG_CF_LOCK, tk_buf_slice(&k), tk_buf_slice(&val));
	tk_buf_destroy(&k);
	tk_buf_destroy(&val);
	return rc;
}

enum tk_err mvcc_del_lock(struct eng_batch *b, struct tk_slice key)
{
	struct tk_buf k;
	tk_buf_init(&k);
	enum tk_err rc = TK_OK;
	if (!mvcc_enc_user(&k, key))
		rc = TK_E_NOMEM;
	else
		eng_batch_delete(b, ENG_CF_LOCK, tk_buf_slice(&k));
	tk_buf_destroy(&k);
	return rc;
}

static enum tk_err put_or_del_version(struct eng_batch *b, enum eng_cf cf, struct tk_slice key,
				      uint64_t ts, const struct tk_slice *val)
{
	struct tk_buf k;
	tk_buf_init(&k);
	enum tk_err rc = TK_OK;
	if (!mvcc_enc_version(&k, key, ts))
		rc = TK_E_NOMEM;
	else if (val)
		eng_batch_put(b, cf, tk_buf_slice(&k), *val);
	else
		eng_batch_delete(b, cf, tk_buf_slice(&k));
	tk_buf_destroy(&k);
	return rc;
}

enum tk_err mvcc_put_value(struct eng_batch *b, struct tk_slice key, uint64_t start_ts,
			   struct tk_slice value)
{
	return put_or_del_version(b, ENG_CF_DEFAULT, key, start_ts, &value);
}

enum tk_err mvcc_del_value(struct eng_batch *b, struct tk_slice key, uint64_t start_ts)
{
	return put_or_del_version(b, ENG_CF_DEFAULT, key, start_ts, NULL);
}

enum tk_err mvcc_put_write(struct eng_batch *b, struct tk_slice key, uint64_t commit_ts,
			   const struct mvcc_write *w)
{
	uint8_t rec[MVCC_WRITE_RECORD_LEN];
	write_record(rec, w);
	struct tk_slice s = tk_slice_of(rec, sizeof(rec));
	return put_or_del_version(b, ENG_CF_WRITE, key, commit_ts, &s);
}

enum tk_err mvcc_del_write(struct eng_batch *b, struct tk_slice key, uint64_t commit_ts)
{
	return put_or_del_version(b, ENG_CF_WRITE, key, commit_ts, NULL);
}
