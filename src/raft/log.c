/* The raft log (storage + unstable tail); see log.h. */
#include "raft/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void raft_panic(const struct raft_log *l, const char *what)
{
	char line[160];
	snprintf(line, sizeof(line), "panic: %s", what);
	if (l && l->tracer && l->tracer->trace)
		l->tracer->trace(l->tracer->arg, l->id, line);
	fprintf(stderr, "raft node %llu: %s\n", l ? (unsigned long long)l->id : 0ULL, line);
	abort();
}

static enum tk_err st_check(const struct raft_log *l, enum tk_err e)
{
	if (e != TK_OK && e != TK_E_COMPACTED && e != TK_E_LOG_UNAVAILABLE &&
	    e != TK_E_SERVER_IS_BUSY)
		raft_panic(l, "raft storage failed");
	return e;
}

static raft_index st_first(const struct raft_log *l)
{
	raft_index i = 0;
	if (st_check(l, l->st.ops->first_index(l->st.ctx, &i)) != TK_OK)
		raft_panic(l, "storage first_index");
	return i;
}

static raft_index st_last(const struct raft_log *l)
{
	raft_index i = 0;
	if (st_check(l, l->st.ops->last_index(l->st.ctx, &i)) != TK_OK)
		raft_panic(l, "storage last_index");
	return i;
}

void raft_log_init(struct raft_log *l, struct raft_storage st)
{
	raft_log_init_traced(l, st, NULL, 0);
}

void raft_log_init_traced(struct raft_log *l, struct raft_storage st,
			  const struct raft_tracer *tracer, raft_id id)
{
	memset(l, 0, sizeof(*l));
	l->st = st;
	l->tracer = tracer;
	l->id = id;
	raft_blkpool_init(&l->pool, 64 * 1024);
	raft_index first = st_first(l);
	l->uoff = st_last(l) + 1;
	l->committed = first - 1;
	l->applied = first - 1;
}

static void drop_usnap(struct raft_log *l)
{
	if (l->usnap) {
		free((void *)l->usnap->data);
		free(l->usnap);
		l->usnap = NULL;
	}
}

/* Release unstable entries [from, un). */
static void truncate_unstable(struct raft_log *l, size_t from)
{
	for (size_t i = from; i < l->un; i++)
		raft_blk_release(&l->pool, l->ublk[i]);
	l->un = from;
}

void raft_log_destroy(struct raft_log *l)
{
	truncate_unstable(l, 0);
	drop_usnap(l);
	raft_blkpool_destroy(&l->pool);
	free(l->uents);
	free(l->ublk);
	memset(l, 0, sizeof(*l));
}

raft_index raft_log_first(const struct raft_log *l)
{
	if (l->usnap)
		return l->usnap->meta.index + 1;
	return st_first(l);
}

raft_index raft_log_last(const struct raft_log *l)
{
	if (l->un)
		return l->uoff + l->un - 1;
	if (l->usnap)
		return l->usnap->meta.index;
	return st_last(l);
}

enum tk_err raft_log_term(const struct raft_log *l, raft_index i, raft_term *t)
{
	*t = 0;
	if (l->un && i >= l->uoff && i < l->uoff + l->un) {
		*t = l->uents[i - l->uoff].term;
		return TK_OK;
	}
	if (l->usnap) {
		if (i == l->usnap->meta.index) {
			*t = l->usnap->meta.term;
			return TK_OK;
		}
		/* With an unstable snapshot, storage content is obsolete. */
		return i < l->usnap->meta.index ? TK_E_COMPACTED : TK_E_LOG_UNAVAILABLE;
	}
	if (i >= l->uoff)
		return TK_E_LOG_UNAVAILABLE;
	return st_check(l, l->st.ops->term(l->st.ctx, i, t));
}

raft_term raft_log_term0(const struct raft_log *l, raft_index i)
{
	raft_term t;
	if (raft_log_term(l, i, &t) != TK_OK)
		return 0;
	return t;
}

raft_term raft_log_last_term(const struct raft_log *l)
{
	raft_term t;
	if (raft_log_term(l, raft_log_last(l), &t) != TK_OK)
		raft_panic(l, "term of last index unavailable");
	return t;
}

bool raft_log_match_term(const struct raft_log *l, raft_index i, raft_term t)
{
	raft_term have;
	if (raft_log_term(l, i, &have) != TK_OK)
		return false;
	return have == t;
}

bool raft_log_up_to_date(const struct raft_log *l, raft_index index, raft_term term)
{
	raft_term lt = raft_log_last_term(l);
	return term > lt || (term == lt && index >= raft_log_last(l));
}

raft_index raft_log_append(struct raft_log *l, const struct raft_entry *ents, size_t n)
{
	if (n == 0)
		return raft_log_last(l);
	raft_index after = ents[0].index - 1;
	if (after < l->committed)
		raft_panic(l, "append would overwrite committed entries");
	if (after + 1 == l->uoff + l->un) {
		/* the common case: a plain extension */
	} else if (after < l->uoff) {
		/* Replaces (a suffix of) the stable log: the storage drops its
		 * conflicting tail when these entries are persisted. */
		truncate_unstable(l, 0);
		l->uoff = after + 1;
	} else {
		truncate_unstable(l, (size_t)(after + 1 - l->uoff));
	}
	if (l->un + n > l->ucap) {
		size_t c = l->ucap;
		raft_grow((void **)&l->uents, &l->ucap, l->un + n, sizeof(*l->uents));
		raft_grow((void **)&l->ublk, &c, l->un + n, sizeof(*l->ublk));
	}
	for (size_t i = 0; i < n; i++) {
		struct raft_entry *e = &l->uents[l->un + i];
		*e = ents[i];
		e->data = raft_blk_copy(&l->pool, ents[i].data, ents[i].len, &l->ublk[l->un + i]);
	}
	l->un += n;
	return raft_log_last(l);
}

/* Index of the first entry that is new or conflicts with ours, 0 if none. */
static raft_index find_conflict(const struct raft_log *l, const struct raft_entry *ents,
				size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!raft_log_match_term(l, ents[i].index, ents[i].term))
			return ents[i].index;
	return 0;
}

bool raft_log_maybe_append(struct raft_log *l, raft_index index, raft_term log_term,
			   raft_index commit, const struct raft_entry *ents, size_t n,
			   raft_index *last_new)
{
	if (!raft_log_match_term(l, index, log_term))
		return false;
	raft_index lastnew = index + n;
	raft_index ci = find_conflict(l, ents, n);
	if (ci) {
		if (ci <= l->committed)
			raft_panic(l, "conflict with a committed entry");
		raft_log_append(l, ents + (ci - index - 1), n - (size_t)(ci - index - 1));
	}
	raft_log_commit_to(l, commit < lastnew ? commit : lastnew);
	*last_new = lastnew;
	return true;
}

raft_index raft_log_find_conflict_by_term(const struct raft_log *l, raft_index index,
					  raft_term term)
{
	for (;;) {
		raft_term t;
		if (raft_log_term(l, index, &t) != TK_OK)
			return index; /* unknown: let the probe find out */
		if (t <= term || index == 0)
			return index;
		index--;
	}
}

void raft_log_commit_to(struct raft_log *l, raft_index c)
{
	if (c <= l->committed)
		return;
	if (c > raft_log_last(l))
		raft_panic(l, "commit beyond last index");
	l->committed = c;
}

bool raft_log_maybe_commit(struct raft_log *l, raft_index max, raft_term term)
{
	if (max > l->committed && raft_log_term0(l, max) == term) {
		raft_log_commit_to(l, max);
		return true;
	}
	return false;
}

void raft_log_applied_to(struct raft_log *l, raft_index i)
{
	if (i == 0)
		return;
	if (i > l->committed || i < l->applied)
		raft_panic(l, "applied out of range");
	l->applied = i;
}

enum tk_err raft_log_slice(const struct raft_log *l, raft_index lo, raft_index hi,
			   size_t max_bytes, struct raft_entbuf *out)
{
	raft_entbuf_reset(out);
	if (lo < raft_log_first(l))
		return TK_E_COMPACTED;
	if (hi > raft_log_last(l) + 1)
		return TK_E_LOG_UNAVAILABLE;
	if (lo >= hi)
		return TK_OK;
	if (max_bytes == 0)
		max_bytes = SIZE_MAX;
	if (lo < l->uoff) {
		raft_index shi = hi < l->uoff ? hi : l->uoff;
		enum tk_err e = st_check(l, l->st.ops->entries(l->st.ctx, lo, shi, max_bytes, out));
		if (e == TK_E_LOG_UNAVAILABLE)
			raft_panic(l, "storage lost entries before the unstable ones");
		if (e != TK_OK)
			return e;
		if (out->n < shi - lo || out->bytes >= max_bytes)
			return TK_OK; /* hit the byte limit */
		lo = shi;
	}
	for (raft_index i = lo < l->uoff ? l->uoff : lo; i < hi; i++) {
		const struct raft_entry *e = &l->uents[i - l->uoff];
		if (out->n && out->bytes + e->len > max_bytes)
			break;
		raft_entbuf_push(out, e->term, e->index, e->type, e->data, e->len);
	}
	return TK_OK;
}

static raft_index next_lo(const struct raft_log *l)
{
	raft_index lo = l->applied + 1, first = raft_log_first(l);
	return lo > first ? lo : first;
}

bool raft_log_has_next_ents(const struct raft_log *l)
{
	return l->committed + 1 > next_lo(l);
}

void raft_log_next_ents(const struct raft_log *l, size_t max_bytes, struct raft_entbuf *out)
{
	raft_entbuf_reset(out);
	raft_index lo = next_lo(l);
	if (l->committed + 1 > lo && raft_log_slice(l, lo, l->committed + 1, max_bytes, out) != TK_OK)
		raft_panic(l, "committed entries unavailable");
}

enum tk_err raft_log_snapshot(const struct raft_log *l, struct raft_snapshot *out)
{
	if (l->usnap) {
		*out = *l->usnap;
		return TK_OK;
	}
	return st_check(l, l->st.ops->snapshot(l->st.ctx, out));
}

void raft_log_restore(struct raft_log *l, const struct raft_snapshot *s)
{
	drop_usnap(l);
	truncate_unstable(l, 0);
	struct raft_snapshot *c = raft_xmalloc(sizeof(*c));
	*c = *s;
	if (s->len) {
		uint8_t *d = raft_xmalloc(s->len);
		memcpy(d, s->data, s->len);
		c->data = d;
	} else {
		c->data = NULL;
	}
	l->usnap = c;
	l->uoff = s->meta.index + 1;
	l->committed = s->meta.index;
}

void raft_log_stable_to(struct raft_log *l, raft_index i, raft_term t)
{
	if (!l->un || i < l->uoff || i >= l->uoff + l->un)
		return;
	if (l->uents[i - l->uoff].term != t)
		return; /* replaced since it was handed out */
	size_t k = (size_t)(i - l->uoff) + 1;
	for (size_t j = 0; j < k; j++)
		raft_blk_release(&l->pool, l->ublk[j]);
	memmove(l->uents, l->uents + k, (l->un - k) * sizeof(*l->uents));
	memmove(l->ublk, l->ublk + k, (l->un - k) * sizeof(*l->ublk));
	l->un -= k;
	l->uoff = i + 1;
}

void raft_log_stable_snap_to(struct raft_log *l, raft_index i)
{
	if (l->usnap && l->usnap->meta.index == i)
		drop_usnap(l);
}
