/* In-memory storage; see memstore.h.  Entry payloads live in shared blocks
 * (mem.h) so that appending a batch costs few allocations. */
#include "raft/memstore.h"

#include <stdlib.h>
#include <string.h>

#include "raft/mem.h"

struct raft_memstore {
	struct raft_hard_state hs;
	struct raft_conf_state cs;
	struct raft_snapshot snap; /* meta + owned data */
	bool snap_busy;
	/* ents[0] is a dummy holding the snapshot's index and term. */
	struct raft_entry *ents;
	struct raft_blk **blk;
	size_t n, cap;
	struct raft_blkpool pool;
};

struct raft_memstore *raft_memstore_new(void)
{
	struct raft_memstore *ms = raft_xcalloc(1, sizeof(*ms));
	raft_blkpool_init(&ms->pool, 256 * 1024);
	raft_grow((void **)&ms->ents, &ms->cap, 1, sizeof(*ms->ents));
	size_t c = 0;
	raft_grow((void **)&ms->blk, &c, ms->cap, sizeof(*ms->blk));
	memset(&ms->ents[0], 0, sizeof(ms->ents[0]));
	ms->blk[0] = NULL;
	ms->n = 1;
	return ms;
}

static void release_from(struct raft_memstore *ms, size_t from)
{
	for (size_t i = from; i < ms->n; i++)
		raft_blk_release(&ms->pool, ms->blk[i]);
	ms->n = from;
}

void raft_memstore_free(struct raft_memstore *ms)
{
	if (!ms)
		return;
	release_from(ms, 1);
	raft_blkpool_destroy(&ms->pool);
	free(ms->ents);
	free(ms->blk);
	free((void *)ms->snap.data);
	free(ms);
}

void raft_memstore_set_hard_state(struct raft_memstore *ms, const struct raft_hard_state *hs)
{
	ms->hs = *hs;
}

void raft_memstore_hard_state(const struct raft_memstore *ms, struct raft_hard_state *hs)
{
	*hs = ms->hs;
}

void raft_memstore_set_conf(struct raft_memstore *ms, const struct raft_conf_state *cs)
{
	ms->cs = *cs;
}

void raft_memstore_conf(const struct raft_memstore *ms, struct raft_conf_state *cs)
{
	*cs = ms->cs;
}

void raft_memstore_set_snapshot_busy(struct raft_memstore *ms, bool busy)
{
	ms->snap_busy = busy;
}

raft_index raft_memstore_first(const struct raft_memstore *ms)
{
	return ms->ents[0].index + 1;
}

raft_index raft_memstore_last(const struct raft_memstore *ms)
{
	return ms->ents[0].index + ms->n - 1;
}

const struct raft_entry *raft_memstore_entry(const struct raft_memstore *ms, raft_index i)
{
	if (i < raft_memstore_first(ms) || i > raft_memstore_last(ms))
		return NULL;
	return &ms->ents[i - ms->ents[0].index];
}

enum tk_err raft_memstore_append(struct raft_memstore *ms, const struct raft_entry *ents,
				 size_t n)
{
	if (n == 0)
		return TK_OK;
	raft_index off = ms->ents[0].index;
	if (ents[0].index <= off || ents[0].index > raft_memstore_last(ms) + 1)
		return TK_E_BAD_REQUEST;
	release_from(ms, (size_t)(ents[0].index - off));
	if (ms->n + n > ms->cap) {
		size_t c = ms->cap;
		raft_grow((void **)&ms->ents, &ms->cap, ms->n + n, sizeof(*ms->ents));
		raft_grow((void **)&ms->blk, &c, ms->cap, sizeof(*ms->blk));
	}
	for (size_t i = 0; i < n; i++) {
		struct raft_entry *e = &ms->ents[ms->n + i];
		*e = ents[i];
		e->data = raft_blk_copy(&ms->pool, ents[i].data, ents[i].len, &ms->blk[ms->n + i]);
	}
	ms->n += n;
	return TK_OK;
}

static void set_snap(struct raft_memstore *ms, const struct raft_snapshot_meta *meta,
		     const void *data, size_t len)
{
	free((void *)ms->snap.data);
	ms->snap.meta = *meta;
	ms->snap.data = NULL;
	ms->snap.len = len;
	if (len) {
		uint8_t *d = raft_xmalloc(len);
		memcpy(d, data, len);
		ms->snap.data = d;
	}
}

void raft_memstore_apply_snapshot(struct raft_memstore *ms, const struct raft_snapshot *s)
{
	set_snap(ms, &s->meta, s->data, s->len);
	release_from(ms, 1);
	ms->ents[0].index = s->meta.index;
	ms->ents[0].term = s->meta.term;
	ms->cs = s->meta.conf;
	if (ms->hs.commit < s->meta.index)
		ms->hs.commit = s->meta.index;
}

/* Drop entries [1, k] keeping ents[0] as the dummy for index off + k. */
static void drop_prefix(struct raft_memstore *ms, size_t k)
{
	for (size_t i = 1; i <= k; i++)
		raft_blk_release(&ms->pool, ms->blk[i]);
	ms->ents[0].index = ms->ents[k].index;
	ms->ents[0].term = ms->ents[k].term;
	ms->ents[0].data = NULL;
	ms->ents[0].len = 0;
	memmove(&ms->ents[1], &ms->ents[k + 1], (ms->n - k - 1) * sizeof(*ms->ents));
	memmove(&ms->blk[1], &ms->blk[k + 1], (ms->n - k - 1) * sizeof(*ms->blk));
	ms->n -= k;
}

enum tk_err raft_memstore_create_snapshot(struct raft_memstore *ms, raft_index index,
					  const struct raft_conf_state *cs, const void *data,
					  size_t len)
{
	if (index <= ms->snap.meta.index)
		return TK_E_COMPACTED;
	if (index > raft_memstore_last(ms) || index < ms->ents[0].index)
		return TK_E_LOG_UNAVAILABLE;
	struct raft_snapshot_meta meta = {
		.index = index,
		.term = ms->ents[index - ms->ents[0].index].term,
		.conf = *cs,
	};
	set_snap(ms, &meta, data, len);
	return TK_OK;
}

enum tk_err raft_memstore_compact(struct raft_memstore *ms, raft_index index)
{
	raft_index off = ms->ents[0].index;
	if (index <= off)
		return TK_E_COMPACTED;
	if (index > raft_memstore_last(ms))
		return TK_E_LOG_UNAVAILABLE;
	drop_prefix(ms, (size_t)(index - off));
	return TK_OK;
}

static enum tk_err ms_initial_state(void *ctx, struct raft_hard_state *hs,
				    struct raft_conf_state *cs)
{
	struct raft_memstore *ms = ctx;
	*hs = ms->hs;
	*cs = ms->cs;
	return TK_OK;
}

static enum tk_err ms_entries(void *ctx, raft_index lo, raft_index hi, size_t max_bytes,
			      struct raft_entbuf *out)
{
	struct raft_memstore *ms = ctx;
	raft_index off = ms->ents[0].index;
	if (lo <= off)
		return TK_E_COMPACTED;
	if (hi > raft_memstore_last(ms) + 1)
		return TK_E_LOG_UNAVAILABLE;
	size_t bytes = 0;
	for (raft_index i = lo; i < hi; i++) {
		const struct raft_entry *e = &ms->ents[i - off];
		if (i > lo && bytes + e->len > max_bytes)
			break;
		bytes += e->len;
		raft_entbuf_push(out, e->term, e->index, e->type, e->data, e->len);
	}
	return TK_OK;
}

static enum tk_err ms_term(void *ctx, raft_index i, raft_term *t)
{
	struct raft_memstore *ms = ctx;
	raft_index off = ms->ents[0].index;
	if (i < off)
		return TK_E_COMPACTED;
	if (i > raft_memstore_last(ms))
		return TK_E_LOG_UNAVAILABLE;
	*t = ms->ents[i - off].term;
	return TK_OK;
}

static enum tk_err ms_first(void *ctx, raft_index *out)
{
	*out = raft_memstore_first(ctx);
	return TK_OK;
}

static enum tk_err ms_last(void *ctx, raft_index *out)
{
	*out = raft_memstore_last(ctx);
	return TK_OK;
}

static enum tk_err ms_snapshot(void *ctx, struct raft_snapshot *out)
{
	struct raft_memstore *ms = ctx;
	if (ms->snap_busy)
		return TK_E_SERVER_IS_BUSY;
	*out = ms->snap;
	return TK_OK;
}

static const struct raft_storage_ops ms_ops = {
	.initial_state = ms_initial_state,
	.entries = ms_entries,
	.term = ms_term,
	.first_index = ms_first,
	.last_index = ms_last,
	.snapshot = ms_snapshot,
};

struct raft_storage raft_memstore_storage(struct raft_memstore *ms)
{
	struct raft_storage st = {.ops = &ms_ops, .ctx = ms};
	return st;
}
