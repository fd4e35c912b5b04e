/* Peer storage over the engine: staging into caller batches, the raft
 * storage ops, the entry cache.  Loading and checking at restart is in
 * peer_storage_load.c.  See peer_storage.h. */
#include "raftstore/peer_storage_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/raft_keys.h"

void rs_ps_options_default(struct rs_ps_options *o)
{
	o->cache_max_entries = 1024;
	o->cache_max_bytes = 4u << 20;
}

void rs_ps_free(struct rs_peer_storage *ps)
{
	if (!ps)
		return;
	rs_ecache_destroy(&ps->cache);
	raft_entbuf_destroy(&ps->s_ents);
	rs_region_state_destroy(&ps->region);
	rs_region_state_destroy(&ps->s_region);
	tk_buf_destroy(&ps->val);
	free(ps);
}

uint64_t rs_ps_region_id(const struct rs_peer_storage *ps)
{
	return ps->region_id;
}

void rs_ps_raft_state(const struct rs_peer_storage *ps, struct rs_raft_state *out)
{
	*out = ps->raft;
}

void rs_ps_apply_state(const struct rs_peer_storage *ps, struct rs_apply_state *out)
{
	*out = ps->apply;
}

raft_index rs_ps_first_index(const struct rs_peer_storage *ps)
{
	return ps->apply.truncated_index + 1;
}

raft_index rs_ps_last_index(const struct rs_peer_storage *ps)
{
	return ps->raft.last_index;
}

const struct rs_region_state *rs_ps_region_state(const struct rs_peer_storage *ps)
{
	return ps->has_region ? &ps->region : NULL;
}

const struct rs_region_state *rs_ps_staged_region_state(const struct rs_peer_storage *ps)
{
	if (ps->staged && ps->s_region_set)
		return &ps->s_region;
	return rs_ps_region_state(ps);
}

void rs_ps_conf_state(const struct rs_peer_storage *ps, struct raft_conf_state *cs)
{
	memset(cs, 0, sizeof *cs);
	if (!ps->has_region || ps->region.state == RS_PEER_TOMBSTONE)
		return;
	for (uint32_t i = 0; i < ps->region.region.n_peers && i < RAFT_MAX_VOTERS; i++)
		cs->voters[cs->n_voters++] = ps->region.region.peers[i].id;
}

void rs_ps_set_snapshot_source(struct rs_peer_storage *ps, rs_ps_snapshot_fn fn, void *arg)
{
	ps->snap_fn = fn;
	ps->snap_arg = arg;
}

void rs_ps_get_stats(const struct rs_peer_storage *ps, struct rs_ps_stats *out)
{
	out->cache_hits = ps->cache_hits;
	out->disk_entries = ps->disk_entries;
	out->cache_entries = ps->cache.n;
	out->cache_bytes = ps->cache.bytes;
	out->cache_first = rs_ecache_first(&ps->cache);
	out->gc_pending = ps->gc_lo <= ps->gc_hi ? ps->gc_hi - ps->gc_lo + 1 : 0;
}

const char *rs_ps_last_error(const struct rs_peer_storage *ps)
{
	return ps->err.msg;
}

/* ---- reads: what the raft library sees (persisted state only) ---- */

/* The term of entry i of the persisted log, from the cache or the engine. */
static enum tk_err read_term(struct rs_peer_storage *ps, raft_index i, raft_term *t,
                             struct tk_errbuf *eb)
{
	if (i == ps->apply.truncated_index) {
		*t = ps->apply.truncated_term;
		return TK_OK;
	}
	if (i < ps->apply.truncated_index)
		return tk_err_set(eb, TK_E_COMPACTED, "region %llu: entry %llu compacted",
		                  (unsigned long long)ps->region_id, (unsigned long long)i);
	if (i > ps->raft.last_index)
		return tk_err_set(eb, TK_E_LOG_UNAVAILABLE,
		                  "region %llu: entry %llu beyond last %llu",
		                  (unsigned long long)ps->region_id, (unsigned long long)i,
		                  (unsigned long long)ps->raft.last_index);
	const struct rs_cent *c = rs_ecache_get(&ps->cache, i);
	if (c) {
		ps->cache_hits++;
		*t = c->term;
		return TK_OK;
	}
	struct eng_key k = eng_key_raft_log(ps->region_id, i);
	bool found;
	enum tk_err rc = eng_get_key(ps->eng, &k, &ps->val, &found, eb);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "region %llu: read entry %llu",
		                   (unsigned long long)ps->region_id, (unsigned long long)i);
	if (!found)
		return tk_err_set(eb, TK_E_CORRUPTION, "region %llu: log entry %llu is missing",
		                  (unsigned long long)ps->region_id, (unsigned long long)i);
	ps->disk_entries++;
	struct raft_entry e;
	rc = rs_entry_value_decode(tk_buf_slice(&ps->val), i, &e, eb);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "region %llu", (unsigned long long)ps->region_id);
	*t = e.term;
	return TK_OK;
}

/* Push engine entries [lo, hi) into out, stopping at max_bytes (*bytes
 * counts what out holds from this call; always at least one entry).
 * Returns with *stopped set when the byte limit cut the range. */
static enum tk_err read_disk(struct rs_peer_storage *ps, raft_index lo, raft_index hi,
                             size_t max_bytes, struct raft_entbuf *out, size_t *bytes,
                             bool *stopped, struct tk_errbuf *eb)
{
	struct eng_key from = eng_key_raft_log(ps->region_id, lo);
	struct eng_key to = eng_key_raft_log(ps->region_id, hi);
	struct eng_iter *it = eng_iter_new_keys(ps->eng, NULL, &from, &to);
	if (!it)
		return tk_err_set(eb, TK_E_NOMEM, "region %llu: log iterator: out of memory",
		                  (unsigned long long)ps->region_id);
	enum tk_err rc = TK_OK;
	raft_index want = lo;
	for (eng_iter_seek_first(it); want < hi && eng_iter_valid(it); eng_iter_next(it)) {
		uint64_t region, index;
		if (!eng_key_raft_log_parse(eng_iter_key(it), &region, &index) ||
		    region != ps->region_id || index != want) {
			rc = tk_err_set(
			    eb, TK_E_CORRUPTION, "region %llu: log entry %llu is missing",
			    (unsigned long long)ps->region_id, (unsigned long long)want);
			break;
		}
		struct raft_entry e;
		rc = rs_entry_value_decode(eng_iter_value(it), index, &e, eb);
		if (rc != TK_OK) {
			tk_err_wrap(eb, rc, "region %llu", (unsigned long long)ps->region_id);
			break;
		}
		if (out->n && *bytes + e.len > max_bytes) {
			*stopped = true;
			break;
		}
		*bytes += e.len;
		raft_entbuf_push(out, e.term, e.index, e.type, e.data, e.len);
		ps->disk_entries++;
		want++;
	}
	if (rc == TK_OK && !*stopped && want < hi) {
		rc = eng_iter_status(it, eb);
		if (rc != TK_OK)
			tk_err_wrap(eb, rc, "region %llu: read log", (unsigned long long)ps->region_id);
		else
			rc = tk_err_set(
			    eb, TK_E_CORRUPTION, "region %llu: log entry %llu is missing",
			    (unsigned long long)ps->region_id, (unsigned long long)want);
	}
	eng_iter_free(it);
	return rc;
}

static enum tk_err op_entries(void *ctx, raft_index lo, raft_index hi, size_t max_bytes,
                              struct raft_entbuf *out)
{
	struct rs_peer_storage *ps = ctx;
	struct tk_errbuf *eb = &ps->err;
	if (lo <= ps->apply.truncated_index)
		return tk_err_set(eb, TK_E_COMPACTED, "region %llu: entries from %llu compacted",
		                  (unsigned long long)ps->region_id, (unsigned long long)lo);
	if (hi > ps->raft.last_index + 1)
		return tk_err_set(eb, TK_E_LOG_UNAVAILABLE,
		                  "region %llu: entries up to %llu beyond last %llu",
		                  (unsigned long long)ps->region_id, (unsigned long long)hi,
		                  (unsigned long long)ps->raft.last_index);
	if (lo >= hi)
		return TK_OK;
	size_t bytes = 0;
	bool stopped = false;
	raft_index cfirst = rs_ecache_first(&ps->cache);
	raft_index disk_hi = cfirst == 0 ? hi : (cfirst < hi ? cfirst : hi);
	if (lo < disk_hi) {
		enum tk_err rc = read_disk(ps, lo, disk_hi, max_bytes, out, &bytes, &stopped, eb);
		if (rc != TK_OK || stopped)
			return rc;
		lo = disk_hi;
	}
	for (raft_index i = lo; i < hi; i++) {
		const struct rs_cent *c = rs_ecache_get(&ps->cache, i);
		if (!c) /* the cache is the tail up to last: cannot happen */
			return tk_err_set(eb, TK_E_INTERNAL, "region %llu: entry cache lost %llu",
			                  (unsigned long long)ps->region_id, (unsigned long long)i);
		if (out->n && bytes + c->len > max_bytes)
			break;
		bytes += c->len;
		raft_entbuf_push(out, c->term, c->index, c->type, c->data, c->len);
		ps->cache_hits++;
	}
	return TK_OK;
}

static enum tk_err op_term(void *ctx, raft_index i, raft_term *out)
{
	struct rs_peer_storage *ps = ctx;
	return read_term(ps, i, out, &ps->err);
}

static enum tk_err op_first_index(void *ctx, raft_index *out)
{
	*out = rs_ps_first_index(ctx);
	return TK_OK;
}

static enum tk_err op_last_index(void *ctx, raft_index *out)
{
	*out = rs_ps_last_index(ctx);
	return TK_OK;
}

static enum tk_err op_initial_state(void *ctx, struct raft_hard_state *hs,
                                    struct raft_conf_state *cs)
{
	struct rs_peer_storage *ps = ctx;
	*hs = ps->raft.hs;
	rs_ps_conf_state(ps, cs);
	return TK_OK;
}

static enum tk_err op_snapshot(void *ctx, struct raft_snapshot *out)
{
	struct rs_peer_storage *ps = ctx;
	if (!ps->snap_fn)
		return TK_E_SERVER_IS_BUSY;
	return ps->snap_fn(ps->snap_arg, ps, out);
}

static const struct raft_storage_ops ps_ops = {
    .initial_state = op_initial_state,
    .entries = op_entries,
    .term = op_term,
    .first_index = op_first_index,
    .last_index = op_last_index,
    .snapshot = op_snapshot,
};

struct raft_storage rs_ps_storage(struct rs_peer_storage *ps)
{
	struct raft_storage st = {.ops = &ps_ops, .ctx = ps};
	return st;
}

enum tk_err rs_ps_snapshot_meta(struct rs_peer_storage *ps, struct raft_snapshot_meta *meta)
{
	memset(meta, 0, sizeof *meta);
	enum tk_err rc = read_term(ps, ps->apply.applied, &meta->term, &ps->err);
	if (rc != TK_OK)
		return rc;
	meta->index = ps->apply.applied;
	rs_ps_conf_state(ps, &meta->conf);
	return TK_OK;
}

/* ---- staging into a caller's batch ---- */

static void stage_begin(struct rs_peer_storage *ps)
{
	if (ps->staged)
		return;
	ps->staged = true;
	ps->s_raft = ps->raft;
	ps->s_apply = ps->apply;
	ps->s_gc_lo = ps->gc_lo;
	ps->s_gc_hi = ps->gc_hi;
	ps->s_region_set = false;
	ps->s_reset = false;
	raft_entbuf_reset(&ps->s_ents);
}

static void put_raft_state(struct rs_peer_storage *ps, struct eng_batch *b)
{
	uint8_t v[RS_RAFT_STATE_LEN];
	rs_raft_state_encode(&ps->s_raft, v);
	struct eng_key k = eng_key_raft_state(ps->region_id);
	eng_batch_put_key(b, &k, tk_slice_of(v, sizeof v));
}

static void put_apply_state(struct rs_peer_storage *ps, struct eng_batch *b)
{
	uint8_t v[RS_APPLY_STATE_LEN];
	rs_apply_state_encode(&ps->s_apply, v);
	struct eng_key k = eng_key_apply_state(ps->region_id);
	eng_batch_put_key(b, &k, tk_slice_of(v, sizeof v));
}

static void delete_log(struct rs_peer_storage *ps, struct eng_batch *b, raft_index lo,
                       raft_index hi)
{
	for (raft_index i = lo; i <= hi; i++) {
		struct eng_key k = eng_key_raft_log(ps->region_id, i);
		eng_batch_delete_key(b, &k);
	}
}

enum tk_err rs_ps_append(struct rs_peer_storage *ps, struct eng_batch *b,
                         const struct raft_entry *ents, size_t n, struct tk_errbuf *eb)
{
	if (n == 0)
		return TK_OK;
	const struct rs_raft_state *r = ps->staged ? &ps->s_raft : &ps->raft;
	const struct rs_apply_state *a = ps->staged ? &ps->s_apply : &ps->apply;
	raft_index first = ents[0].index;
	if (first <= a->truncated_index || first > r->last_index + 1)
		return tk_err_set(
		    eb, TK_E_BAD_REQUEST, "region %llu: append at %llu, log holds (%llu, %llu]",
		    (unsigned long long)ps->region_id, (unsigned long long)first,
		    (unsigned long long)a->truncated_index, (unsigned long long)r->last_index);
	for (size_t i = 0; i < n; i++) {
		if (ents[i].index != first + i || ents[i].term == 0 ||
		    (i && ents[i].term < ents[i - 1].term) ||
		    ents[i].type > RAFT_ENTRY_CONF_CHANGE || (ents[i].len && !ents[i].data))
			return tk_err_set(eb, TK_E_BAD_REQUEST,
			                  "region %llu: malformed entry %zu of an append at %llu",
			                  (unsigned long long)ps->region_id, i,
			                  (unsigned long long)first);
	}
	/* Reserve room for the largest value first, so that encoding cannot
	 * fail once the batch has been touched. */
	size_t max_len = 0;
	for (size_t i = 0; i < n; i++)
		if (ents[i].len > max_len)
			max_len = ents[i].len;
	tk_buf_reset(&ps->val);
	if (!tk_buf_reserve(&ps->val, RS_ENTRY_HDR_LEN + max_len))
		return tk_err_set(eb, TK_E_NOMEM, "region %llu: append: out of memory",
		                  (unsigned long long)ps->region_id);
	stage_begin(ps);
	raft_index old_last = ps->s_raft.last_index;
	raft_index new_last = first + n - 1;
	for (size_t i = 0; i < n; i++) {
		rs_entry_value_encode(&ents[i], &ps->val); /* room reserved above */
		struct eng_key k = eng_key_raft_log(ps->region_id, ents[i].index);
		eng_batch_put_key(b, &k, tk_buf_slice(&ps->val));
		raft_entbuf_push(&ps->s_ents, ents[i].term, ents[i].index, ents[i].type,
		                 ents[i].data, ents[i].len);
	}
	if (old_last > new_last)
		delete_log(ps, b, new_last + 1, old_last);
	ps->s_raft.last_index = new_last;
	put_raft_state(ps, b);
	return TK_OK;
}

bool rs_ps_term_vote_persisted(const struct rs_peer_storage *ps, raft_term term, raft_id vote)
{
	return ps->raft.hs.term == term && ps->raft.hs.vote == vote;
}

void rs_ps_set_hard_state(struct rs_peer_storage *ps, struct eng_batch *b,
                          const struct raft_hard_state *hs)
{
	stage_begin(ps);
	ps->s_raft.hs = *hs;
	put_raft_state(ps, b);
}

enum tk_err rs_ps_set_applied(struct rs_peer_storage *ps, struct eng_batch *b, raft_index applied,
                              struct tk_errbuf *eb)
{
	const struct rs_raft_state *r = ps->staged ? &ps->s_raft : &ps->raft;
	const struct rs_apply_state *a = ps->staged ? &ps->s_apply : &ps->apply;
	if (applied < a->applied || applied > r->hs.commit)
		return tk_err_set(eb, TK_E_BAD_REQUEST,
		                  "region %llu: applied index %llu outside [%llu, commit %llu]",
		                  (unsigned long long)ps->region_id, (unsigned long long)applied,
		                  (unsigned long long)a->applied, (unsigned long long)r->hs.commit);
	stage_begin(ps);
	ps->s_apply.applied = applied;
	put_apply_state(ps, b);
	return TK_OK;
}

/* Term of entry i as the staged log has it. */
static enum tk_err staged_term(struct rs_peer_storage *ps, raft_index i, raft_term *t,
                               struct tk_errbuf *eb)
{
	if (ps->staged) {
		if (i == ps->s_apply.truncated_index) {
			*t = ps->s_apply.truncated_term;
			return TK_OK;
		}
		/* Later appends override earlier ones: search from the end. */
		for (size_t k = ps->s_ents.n; k-- > 0;)
			if (ps->s_ents.ents[k].index == i) {
				*t = ps->s_ents.ents[k].term;
				return TK_OK;
			}
	}
	return read_term(ps, i, t, eb);
}

enum tk_err rs_ps_compact(struct rs_peer_storage *ps, struct eng_batch *b, raft_index index,
                          struct tk_errbuf *eb)
{
	const struct rs_raft_state *r = ps->staged ? &ps->s_raft : &ps->raft;
	const struct rs_apply_state *a = ps->staged ? &ps->s_apply : &ps->apply;
	unsigned long long id = (unsigned long long)ps->region_id;
	if (index <= a->truncated_index)
		return tk_err_set(
		    eb, TK_E_COMPACTED, "region %llu: compact to %llu: already compacted to %llu",
		    id, (unsigned long long)index, (unsigned long long)a->truncated_index);
	if (index > r->last_index)
		return tk_err_set(eb, TK_E_LOG_UNAVAILABLE,
		                  "region %llu: compact to %llu beyond last index %llu", id,
		                  (unsigned long long)index, (unsigned long long)r->last_index);
	if (index > a->applied)
		return tk_err_set(eb, TK_E_BAD_REQUEST,
		                  "region %llu: compact to %llu beyond applied index %llu", id,
		                  (unsigned long long)index, (unsigned long long)a->applied);
	raft_term t;
	enum tk_err rc = staged_term(ps, index, &t, eb);
	if (rc != TK_OK)
		return rc;
	stage_begin(ps);
	delete_log(ps, b, ps->s_apply.truncated_index + 1, index);
	ps->s_apply.truncated_index = index;
	ps->s_apply.truncated_term = t;
	put_apply_state(ps, b);
	return TK_OK;
}

enum tk_err rs_ps_set_truncated(struct rs_peer_storage *ps, struct eng_batch *b, raft_index index,
                                struct tk_errbuf *eb)
{
	const struct rs_raft_state *r = ps->staged ? &ps->s_raft : &ps->raft;
	const struct rs_apply_state *a = ps->staged ? &ps->s_apply : &ps->apply;
	unsigned long long id = (unsigned long long)ps->region_id;
	if (index <= a->truncated_index)
		return tk_err_set(
		    eb, TK_E_COMPACTED, "region %llu: compact to %llu: already compacted to %llu",
		    id, (unsigned long long)index, (unsigned long long)a->truncated_index);
	if (index > r->hs.commit || index > r->last_index)
		return tk_err_set(eb, TK_E_BAD_REQUEST,
		                  "region %llu: compact to %llu beyond commit %llu / last %llu", id,
		                  (unsigned long long)index, (unsigned long long)r->hs.commit,
		                  (unsigned long long)r->last_index);
	raft_term t;
	enum tk_err rc = staged_term(ps, index, &t, eb);
	if (rc != TK_OK)
		return rc;
	stage_begin(ps);
	/* The entries (truncated, index] join the run still to delete, which
	 * is contiguous: it ends at the old truncated index when not empty. */
	if (ps->s_gc_lo > ps->s_gc_hi)
		ps->s_gc_lo = ps->s_apply.truncated_index + 1;
	ps->s_gc_hi = index;
	ps->s_apply.truncated_index = index;
	ps->s_apply.truncated_term = t;
	put_apply_state(ps, b);
	return TK_OK;
}

bool rs_ps_gc_pending(const struct rs_peer_storage *ps)
{
	return ps->gc_lo <= ps->gc_hi;
}

size_t rs_ps_gc_log(struct rs_peer_storage *ps, struct eng_batch *b, size_t max)
{
	raft_index lo = ps->staged ? ps->s_gc_lo : ps->gc_lo;
	raft_index hi = ps->staged ? ps->s_gc_hi : ps->gc_hi;
	if (lo > hi || max == 0)
		return 0;
	if (hi - lo >= max)
		hi = lo + max - 1;
	stage_begin(ps);
	delete_log(ps, b, lo, hi);
	ps->s_gc_lo = hi + 1;
	return (size_t)(hi - lo + 1);
}

static enum tk_err check_region(const struct rs_peer_storage *ps, const struct rs_region_state *rs,
                                struct tk_errbuf *eb)
{
	enum tk_err rc = rs_region_state_check(rs, eb);
	if (rc != TK_OK)
		return rc;
	if (rs->region.id != ps->region_id)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "region %llu: region state of region %llu",
		                  (unsigned long long)ps->region_id,
		                  (unsigned long long)rs->region.id);
	return TK_OK;
}

/* Stage rs as the region state: copy first (the only step that can fail),
 * then put. */
static enum tk_err stage_region(struct rs_peer_storage *ps, struct eng_batch *b,
                                const struct rs_region_state *rs, struct tk_errbuf *eb)
{
	struct rs_region_state copy;
	rs_region_state_init(&copy);
	tk_buf_reset(&ps->val);
	if (rs_region_state_copy(&copy, rs) != TK_OK || !rs_region_state_encode(rs, &ps->val)) {
		rs_region_state_destroy(&copy);
		return tk_err_set(eb, TK_E_NOMEM, "region %llu: region state: out of memory",
		                  (unsigned long long)ps->region_id);
	}
	stage_begin(ps);
	rs_region_state_destroy(&ps->s_region);
	ps->s_region = copy;
	ps->s_region_set = true;
	struct eng_key k = eng_key_region_state(ps->region_id);
	eng_batch_put_key(b, &k, tk_buf_slice(&ps->val));
	return TK_OK;
}

enum tk_err rs_ps_set_region_state(struct rs_peer_storage *ps, struct eng_batch *b,
                                   const struct rs_region_state *rs, struct tk_errbuf *eb)
{
	enum tk_err rc = check_region(ps, rs, eb);
	if (rc != TK_OK)
		return rc;
	return stage_region(ps, b, rs, eb);
}

enum tk_err rs_ps_apply_snapshot(struct rs_peer_storage *ps, struct eng_batch *b,
                                 const struct raft_snapshot_meta *meta,
                                 const struct rs_region_state *rs, struct tk_errbuf *eb)
{
	const struct rs_apply_state *a = ps->staged ? &ps->s_apply : &ps->apply;
	if (meta->index < a->truncated_index || meta->term == 0)
		return tk_err_set(eb, meta->term ? TK_E_COMPACTED : TK_E_BAD_REQUEST,
		                  "region %llu: snapshot at %llu term %llu, log truncated at %llu",
		                  (unsigned long long)ps->region_id,
		                  (unsigned long long)meta->index, (unsigned long long)meta->term,
		                  (unsigned long long)a->truncated_index);
	enum tk_err rc = check_region(ps, rs, eb);
	if (rc != TK_OK)
		return rc;
	rc = stage_region(ps, b, rs, eb);
	if (rc != TK_OK)
		return rc;
	delete_log(ps, b, ps->s_apply.truncated_index + 1, ps->s_raft.last_index);
	ps->s_raft.last_index = meta->index;
	if (ps->s_raft.hs.commit < meta->index)
		ps->s_raft.hs.commit = meta->index;
	ps->s_apply.applied = meta->index;
	ps->s_apply.truncated_index = meta->index;
	ps->s_apply.truncated_term = meta->term;
	ps->s_reset = true;
	raft_entbuf_reset(&ps->s_ents);
	put_raft_state(ps, b);
	put_apply_state(ps, b);
	return TK_OK;
}

bool rs_ps_has_staged(const struct rs_peer_storage *ps)
{
	return ps->staged;
}

void rs_ps_discard_staged(struct rs_peer_storage *ps)
{
	ps->staged = false;
	raft_entbuf_reset(&ps->s_ents);
	if (ps->s_region_set) {
		rs_region_state_destroy(&ps->s_region);
		ps->s_region_set = false;
	}
}

void rs_ps_persisted(struct rs_peer_storage *ps)
{
	if (!ps->staged)
		return;
	ps->raft = ps->s_raft;
	ps->apply = ps->s_apply;
	ps->gc_lo = ps->s_gc_lo;
	ps->gc_hi = ps->s_gc_hi;
	if (ps->s_region_set) {
		struct rs_region_state t = ps->region;
		ps->region = ps->s_region;
		ps->s_region = t;
		ps->has_region = true;
	}
	if (ps->s_reset)
		rs_ecache_clear(&ps->cache);
	/* Replaying the staged appends in order leaves the cache as the
	 * persisted tail: each append first drops what it replaces. */
	for (size_t i = 0; i < ps->s_ents.n; i++)
		rs_ecache_put(&ps->cache, &ps->s_ents.ents[i]);
	rs_ecache_compact(&ps->cache, ps->apply.truncated_index);
	/* Defensive: a cache that does not end exactly at the last index
	 * would serve entries the log no longer has; drop it. */
	if (ps->cache.n && (!rs_ecache_get(&ps->cache, ps->raft.last_index) ||
	                    rs_ecache_get(&ps->cache, ps->raft.last_index + 1)))
		rs_ecache_clear(&ps->cache);
	rs_ps_discard_staged(ps);
}
