/* Region snapshots: descriptor, chunk records, generator, staging and
 * atomic apply (see snap.h). */
#include "raftstore/snap.h"

#include <stdlib.h>
#include <string.h>

#include "engine/keys.h"
#include "engine/raft_keys.h"

const enum eng_cf rs_snap_cfs[RS_SNAP_N_CFS] = {ENG_CF_RAW, ENG_CF_DEFAULT, ENG_CF_LOCK,
                                                ENG_CF_WRITE};

/* Keys deleted per batch when a range is cleared before a snapshot's data
 * is written: bounds the batch's memory, not the work. */
#define DELETE_BATCH 1024

#define U(x) ((unsigned long long)(x))

bool rs_snap_desc_encode(uint64_t snap_id, const struct rs_region_state *rs, struct tk_buf *out)
{
	uint8_t h[9] = {RS_SNAP_DESC_V1};
	tk_put_be64(h + 1, snap_id);
	tk_buf_reset(out);
	return tk_buf_append(out, h, sizeof h) && rs_region_state_encode(rs, out);
}

enum tk_err rs_snap_desc_decode(const uint8_t *p, size_t n, uint64_t *snap_id,
                                struct rs_region_state *rs, struct tk_errbuf *eb)
{
	if (n < 9 || p[0] != RS_SNAP_DESC_V1)
		return tk_err_set(eb, TK_E_CORRUPTION, "snapshot descriptor: bad header");
	*snap_id = tk_get_be64(p + 1);
	enum tk_err rc = rs_region_state_decode(tk_slice_of(p + 9, n - 9), rs, eb);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "snapshot descriptor");
	return TK_OK;
}

static bool is_snap_cf(unsigned cf)
{
	for (int i = 0; i < RS_SNAP_N_CFS; i++)
		if ((unsigned)rs_snap_cfs[i] == cf)
			return true;
	return false;
}

bool rs_snap_rec_add(struct tk_buf *out, enum eng_cf cf, struct tk_slice key, struct tk_slice val)
{
	uint8_t h[5] = {(uint8_t)cf};
	if (key.n > UINT32_MAX || val.n > UINT32_MAX)
		return false;
	tk_put_be32(h + 1, (uint32_t)key.n);
	if (!tk_buf_append(out, h, 5) || !tk_buf_append(out, key.p, key.n))
		return false;
	tk_put_be32(h, (uint32_t)val.n);
	return tk_buf_append(out, h, 4) && tk_buf_append(out, val.p, val.n);
}

void rs_snap_rec_iter_init(struct rs_snap_rec_iter *it, const uint8_t *p, size_t n)
{
	it->p = p;
	it->n = n;
	it->off = 0;
}

static bool get_part(struct rs_snap_rec_iter *it, struct tk_slice *s)
{
	if (it->n - it->off < 4)
		return false;
	size_t l = tk_get_be32(it->p + it->off);
	it->off += 4;
	if (it->n - it->off < l)
		return false;
	*s = tk_slice_of(it->p + it->off, l);
	it->off += l;
	return true;
}

bool rs_snap_rec_next(struct rs_snap_rec_iter *it, enum eng_cf *cf, struct tk_slice *key,
                      struct tk_slice *val, enum tk_err *rc)
{
	*rc = TK_OK;
	if (it->off == it->n)
		return false;
	unsigned c = it->p[it->off++];
	if (!is_snap_cf(c) || !get_part(it, key) || !get_part(it, val)) {
		*rc = TK_E_CORRUPTION;
		it->off = it->n;
		return false;
	}
	*cf = (enum eng_cf)c;
	return true;
}

bool rs_snap_cf_bounds(enum eng_cf cf, const struct rs_region *r, struct tk_buf *lo, bool *lo_set,
                       struct tk_buf *hi, bool *hi_set)
{
	tk_buf_reset(lo);
	tk_buf_reset(hi);
	*lo_set = r->start_key.len > 0;
	*hi_set = r->end_key.len > 0;
	struct tk_slice s = tk_buf_slice(&r->start_key), e = tk_buf_slice(&r->end_key);
	if (cf == ENG_CF_RAW)
		return (!*lo_set || tk_buf_append(lo, s.p, s.n)) &&
		       (!*hi_set || tk_buf_append(hi, e.p, e.n));
	/* MVCC columns: keys are mc(user key) [+ be64(~ts)]; the encoding
	 * keeps raw order and no encoding is a prefix of another, so
	 * [mc(start), mc(end)) holds exactly the versions of the range. */
	return (!*lo_set || eng_mc_encode(lo, s)) && (!*hi_set || eng_mc_encode(hi, e));
}

static bool in_bounds(struct tk_slice k, const struct tk_buf *lo, bool lo_set,
                      const struct tk_buf *hi, bool hi_set)
{
	return (!lo_set || tk_slice_cmp(k, tk_buf_slice(lo)) >= 0) &&
	       (!hi_set || tk_slice_cmp(k, tk_buf_slice(hi)) < 0);
}

enum tk_err rs_snap_chunk_check(const uint8_t *p, size_t n, const struct rs_region *r,
                                struct tk_errbuf *eb)
{
	struct tk_buf lo[RS_SNAP_N_CFS], hi[RS_SNAP_N_CFS];
	bool los[RS_SNAP_N_CFS], his[RS_SNAP_N_CFS];
	enum tk_err rc = TK_OK;
	for (int i = 0; i < RS_SNAP_N_CFS; i++) {
		tk_buf_init(&lo[i]);
		tk_buf_init(&hi[i]);
		if (rc == TK_OK &&
		    !rs_snap_cf_bounds(rs_snap_cfs[i], r, &lo[i], &los[i], &hi[i], &his[i]))
			rc = tk_err_set(eb, TK_E_NOMEM, "snapshot chunk check");
	}
	struct rs_snap_rec_iter it;
	rs_snap_rec_iter_init(&it, p, n);
	enum eng_cf cf;
	struct tk_slice k, v;
	while (rc == TK_OK) {
		if (!rs_snap_rec_next(&it, &cf, &k, &v, &rc)) {
			if (rc != TK_OK)
				tk_err_set(eb, rc, "snapshot chunk: malformed record");
			break;
		}
		int i = 0;
		while (rs_snap_cfs[i] != cf)
			i++;
		if (!in_bounds(k, &lo[i], los[i], &hi[i], his[i]))
			rc = tk_err_set(eb, TK_E_CORRUPTION,
			                "snapshot chunk: a %s key outside region %llu",
			                eng_cf_name(cf), U(r->id));
	}
	for (int i = 0; i < RS_SNAP_N_CFS; i++) {
		tk_buf_destroy(&lo[i]);
		tk_buf_destroy(&hi[i]);
	}
	return rc;
}

/* ---- the generator ---- */

enum tk_err rs_snap_gen_init(struct rs_snap_gen *g, struct eng *e, struct eng_snap *snap,
                             const struct rs_region_state *rs, struct tk_errbuf *eb)
{
	memset(g, 0, sizeof *g);
	g->e = e;
	g->snap = snap;
	tk_buf_init(&g->last);
	rs_region_state_init(&g->rs);
	if (rs_region_state_copy(&g->rs, rs) != TK_OK)
		return tk_err_set(eb, TK_E_NOMEM, "snapshot generator");
	return TK_OK;
}

void rs_snap_gen_destroy(struct rs_snap_gen *g)
{
	if (g->snap)
		eng_snap_release(g->e, g->snap);
	g->snap = NULL;
	tk_buf_destroy(&g->last);
	rs_region_state_destroy(&g->rs);
}

/* An iterator over the current column's part of the range, positioned after
 * the last key produced.  NULL when out of memory. */
static struct eng_iter *gen_iter(struct rs_snap_gen *g, struct tk_buf *lo, struct tk_buf *hi)
{
	enum eng_cf cf = rs_snap_cfs[g->cf_i];
	bool ls, hs;
	if (!rs_snap_cf_bounds(cf, &g->rs.region, lo, &ls, hi, &hs))
		return NULL;
	struct eng_iter *it =
	    eng_iter_new(g->e, g->snap, cf, ls ? tk_buf_slice(lo) : tk_slice_of(NULL, 0),
	                 hs ? tk_buf_slice(hi) : tk_slice_of(NULL, 0));
	if (!it)
		return NULL;
	if (!g->has_last) {
		eng_iter_seek_first(it);
	} else {
		eng_iter_seek(it, tk_buf_slice(&g->last));
		if (eng_iter_valid(it) && tk_slice_eq(eng_iter_key(it), tk_buf_slice(&g->last)))
			eng_iter_next(it);
	}
	return it;
}

enum tk_err rs_snap_gen_next(struct rs_snap_gen *g, size_t max_bytes, struct tk_buf *out,
                             bool *done, struct tk_errbuf *eb)
{
	tk_buf_reset(out);
	*done = false;
	struct tk_buf lo, hi;
	tk_buf_init(&lo);
	tk_buf_init(&hi);
	enum tk_err rc = TK_OK;
	while (rc == TK_OK && g->cf_i < RS_SNAP_N_CFS && (out->len == 0 || out->len < max_bytes)) {
		struct eng_iter *it = gen_iter(g, &lo, &hi);
		if (!it) {
			rc = tk_err_set(eb, TK_E_NOMEM, "snapshot generator: iterator");
			break;
		}
		enum eng_cf cf = rs_snap_cfs[g->cf_i];
		for (; eng_iter_valid(it) && (out->len == 0 || out->len < max_bytes);
		     eng_iter_next(it)) {
			struct tk_slice k = eng_iter_key(it), v = eng_iter_value(it);
			tk_buf_reset(&g->last);
			if (!rs_snap_rec_add(out, cf, k, v) || !tk_buf_append(&g->last, k.p, k.n)) {
				rc = tk_err_set(eb, TK_E_NOMEM, "snapshot generator: chunk");
				break;
			}
			g->has_last = true;
			g->keys++;
			g->bytes += k.n + v.n;
		}
		if (rc == TK_OK && !eng_iter_valid(it)) {
			rc = eng_iter_status(it, eb);
			if (rc == TK_OK) { /* this column is done */
				g->cf_i++;
				g->has_last = false;
			}
		}
		eng_iter_free(it);
	}
	tk_buf_destroy(&lo);
	tk_buf_destroy(&hi);
	*done = rc == TK_OK && g->cf_i == RS_SNAP_N_CFS;
	return rc;
}

/* ---- the receiver ---- */

/* Delete every key of [lo, hi) of cf, DELETE_BATCH keys per write.  No
 * iterator stays open across a write: a degraded engine reopens only when
 * none is live. */
static enum tk_err delete_range(struct eng *e, enum eng_cf cf, struct tk_slice lo,
                                struct tk_slice hi, struct tk_errbuf *eb)
{
	struct eng_batch *b = eng_batch_new();
	struct tk_buf last;
	tk_buf_init(&last);
	bool has_last = false;
	enum tk_err rc = b ? TK_OK : tk_err_set(eb, TK_E_NOMEM, "delete range");
	while (rc == TK_OK) {
		struct eng_iter *it = eng_iter_new(e, NULL, cf, lo, hi);
		if (!it) {
			rc = tk_err_set(eb, TK_E_NOMEM, "delete range");
			break;
		}
		if (has_last)
			eng_iter_seek(it, tk_buf_slice(&last));
		else
			eng_iter_seek_first(it);
		for (; eng_iter_valid(it) && eng_batch_count(b) < DELETE_BATCH; eng_iter_next(it))
			eng_batch_delete(b, cf, eng_iter_key(it));
		if (eng_iter_valid(it)) { /* resume here: the key is not deleted yet */
			struct tk_slice k = eng_iter_key(it);
			tk_buf_reset(&last);
			has_last = true;
			if (!tk_buf_append(&last, k.p, k.n))
				rc = tk_err_set(eb, TK_E_NOMEM, "delete range");
		} else {
			rc = eng_iter_status(it, eb);
			has_last = false;
		}
		eng_iter_free(it);
		if (rc == TK_OK && eng_batch_count(b) > 0)
			rc = eng_write(e, b, false, eb);
		if (b)
			eng_batch_clear(b);
		if (!has_last)
			break;
	}
	tk_buf_destroy(&last);
	eng_batch_free(b);
	return rc;
}

enum tk_err rs_snap_stage_reset(struct eng *e, uint64_t region, struct tk_errbuf *eb)
{
	struct eng_key lo = eng_key_snap_chunk(region, 0), hi = eng_key_snap_chunk_end(region);
	enum tk_err rc = delete_range(e, ENG_CF_RAFT, eng_key_slice(&lo), eng_key_slice(&hi), eb);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "region %llu: clear staged snapshot", U(region));
	return TK_OK;
}

enum tk_err rs_snap_stage_chunk(struct eng *e, uint64_t region, uint64_t seq, const uint8_t *p,
                                size_t n, struct tk_errbuf *eb)
{
	struct eng_batch *b = eng_batch_new();
	if (!b)
		return tk_err_set(eb, TK_E_NOMEM, "stage snapshot chunk");
	struct eng_key k = eng_key_snap_chunk(region, seq);
	eng_batch_put_key(b, &k, tk_slice_of(p, n));
	enum tk_err rc = eng_write(e, b, false, eb);
	eng_batch_free(b);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "region %llu: stage snapshot chunk %llu", U(region),
		                   U(seq));
	return TK_OK;
}

/* Write one staged chunk's records in one batch. */
static enum tk_err write_chunk(struct eng *e, struct eng_batch *b, struct tk_slice chunk,
                               struct tk_errbuf *eb)
{
	struct rs_snap_rec_iter it;
	rs_snap_rec_iter_init(&it, chunk.p, chunk.n);
	enum eng_cf cf;
	struct tk_slice k, v;
	enum tk_err rc = TK_OK;
	while (rs_snap_rec_next(&it, &cf, &k, &v, &rc))
		eng_batch_put(b, cf, k, v);
	if (rc != TK_OK)
		return tk_err_set(eb, rc, "staged snapshot chunk is damaged");
	rc = eng_write(e, b, false, eb);
	eng_batch_clear(b);
	return rc;
}

enum tk_err rs_snap_clear_data(struct eng *e, const struct rs_region *r, struct tk_errbuf *eb)
{
	struct tk_buf lo, hi;
	tk_buf_init(&lo);
	tk_buf_init(&hi);
	enum tk_err rc = TK_OK;
	for (int i = 0; rc == TK_OK && i < RS_SNAP_N_CFS; i++) {
		bool ls, hs;
		if (!rs_snap_cf_bounds(rs_snap_cfs[i], r, &lo, &ls, &hi, &hs)) {
			rc = tk_err_set(eb, TK_E_NOMEM, "clear region data");
			break;
		}
		rc = delete_range(e, rs_snap_cfs[i], ls ? tk_buf_slice(&lo) : tk_slice_of(NULL, 0),
		                  hs ? tk_buf_slice(&hi) : tk_slice_of(NULL, 0), eb);
	}
	tk_buf_destroy(&lo);
	tk_buf_destroy(&hi);
	return rc;
}

enum tk_err rs_snap_clear_raft(struct eng *e, uint64_t region, struct tk_errbuf *eb)
{
	struct eng_key lo = eng_key_raft_region_lo(region), hi = eng_key_raft_region_hi(region);
	enum tk_err rc = delete_range(e, ENG_CF_RAFT, eng_key_slice(&lo), eng_key_slice(&hi), eb);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "region %llu: delete raft state", U(region));
	return TK_OK;
}

enum tk_err rs_snap_apply_staged(struct eng *e, const struct rs_region *r, struct eng_batch *fin,
                                 struct tk_errbuf *eb)
{
	struct tk_buf lo, hi;
	tk_buf_init(&lo);
	tk_buf_init(&hi);
	/* Old data first: keys the region no longer holds must go. */
	enum tk_err rc = rs_snap_clear_data(e, r, eb);
	/* Then the chunks, staged as 0, 1, ... (a new stream clears the old
	 * one's first), read by point lookups so that no iterator is open
	 * across the writes. */
	struct eng_batch *b = eng_batch_new();
	if (rc == TK_OK && !b)
		rc = tk_err_set(eb, TK_E_NOMEM, "snapshot apply");
	for (uint64_t seq = 0; rc == TK_OK; seq++) {
		struct eng_key k = eng_key_snap_chunk(r->id, seq);
		bool found;
		rc = eng_get_key(e, &k, &lo, &found, eb);
		if (rc != TK_OK || !found)
			break;
		rc = write_chunk(e, b, tk_buf_slice(&lo), eb);
		eng_batch_delete_key(fin, &k);
	}
	eng_batch_free(b);
	tk_buf_destroy(&lo);
	tk_buf_destroy(&hi);
	if (rc == TK_OK)
		rc = eng_write(e, fin, false, eb);
	eng_batch_clear(fin);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "region %llu: apply snapshot", U(r->id));
	return TK_OK;
}

enum tk_err rs_snap_finish_applying(struct eng *e, const struct rs_region_state *rs,
                                    struct tk_errbuf *eb)
{
	struct rs_region_state n;
	rs_region_state_init(&n);
	struct tk_buf v;
	tk_buf_init(&v);
	struct eng_batch *fin = eng_batch_new();
	enum tk_err rc = rs_region_state_copy(&n, rs);
	if (rc != TK_OK || !fin) {
		rc = tk_err_set(eb, TK_E_NOMEM, "finish snapshot");
	} else {
		n.state = RS_PEER_NORMAL;
		if (!rs_region_state_encode(&n, &v)) {
			rc = tk_err_set(eb, TK_E_NOMEM, "finish snapshot");
		} else {
			struct eng_key k = eng_key_region_state(rs->region.id);
			eng_batch_put_key(fin, &k, tk_buf_slice(&v));
			rc = rs_snap_apply_staged(e, &rs->region, fin, eb);
		}
	}
	eng_batch_free(fin);
	tk_buf_destroy(&v);
	rs_region_state_destroy(&n);
	return rc;
}
