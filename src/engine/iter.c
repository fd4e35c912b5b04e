/* Iterators bounded to one column and a key range [lower, upper).
 *
 * The LevelDB iterator walks the whole keyspace; this wrapper keeps it inside
 * [<cf>lower, <cf>upper) (or [<cf>, <cf+1>) for absent bounds) by clamping
 * seeks and treating any key outside as the end. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

struct eng_iter {
	struct eng *e;
	leveldb_iterator_t *li; /* NULL: created while the db was closed */
	struct tk_slice lower, upper; /* prefixed bounds, in bounds[] */
	bool valid;
	uint8_t *bounds;
};

static int cmp(const uint8_t *a, size_t an, struct tk_slice b)
{
	size_t n = an < b.n ? an : b.n;
	int c = n ? memcmp(a, b.p, n) : 0;
	if (c)
		return c;
	return an < b.n ? -1 : an > b.n ? 1 : 0;
}

/* Recompute validity after a LevelDB move: valid only inside the bounds. */
static void settle(struct eng_iter *it)
{
	if (!leveldb_iter_valid(it->li)) {
		it->valid = false;
		return;
	}
	size_t n;
	const uint8_t *k = (const uint8_t *)leveldb_iter_key(it->li, &n);
	it->valid = cmp(k, n, it->lower) >= 0 && cmp(k, n, it->upper) < 0;
}

struct eng_iter *eng_iter_new(struct eng *e, const struct eng_snap *snap, enum eng_cf cf,
			      struct tk_slice lower, struct tk_slice upper)
{
	if (!eng_cf_valid(cf))
		return NULL;
	struct eng_iter *it = calloc(1, sizeof *it);
	size_t ln = lower.p ? lower.n : 0, un = upper.p ? upper.n : 0;
	uint8_t *b = malloc(ln + un + 2);
	if (!it || !b) {
		free(it);
		free(b);
		return NULL;
	}
	it->e = e;
	it->bounds = b;
	b[0] = (uint8_t)cf;
	if (ln)
		memcpy(b + 1, lower.p, ln);
	it->lower = tk_slice_of(b, ln + 1);
	if (upper.p) {
		b[ln + 1] = (uint8_t)cf;
		if (un)
			memcpy(b + ln + 2, upper.p, un);
		it->upper = tk_slice_of(b + ln + 1, un + 1);
	} else {
		/* The column ends where the next prefix starts. */
		b[ln + 1] = (uint8_t)(cf + 1);
		it->upper = tk_slice_of(b + ln + 1, 1);
	}
	const leveldb_snapshot_t *ls = snap ? eng_snap_leveldb(snap) : NULL;
	if (e->db && (!snap || ls)) {
		if (ls) {
			leveldb_readoptions_set_snapshot(e->ropts_snap, ls);
			it->li = leveldb_create_iterator(e->db, e->ropts_snap);
			leveldb_readoptions_set_snapshot(e->ropts_snap, NULL);
		} else {
			it->li = leveldb_create_iterator(e->db, e->ropts);
		}
	}
	e->st.live_handles++;
	return it;
}

void eng_iter_free(struct eng_iter *it)
{
	if (!it)
		return;
	if (it->li)
		leveldb_iter_destroy(it->li);
	it->e->st.live_handles--;
	free(it->bounds);
	free(it);
}

void eng_iter_seek_first(struct eng_iter *it)
{
	if (!it->li)
		return;
	leveldb_iter_seek(it->li, (const char *)it->lower.p, it->lower.n);
	settle(it);
}

void eng_iter_seek_last(struct eng_iter *it)
{
	if (!it->li)
		return;
	/* upper is exclusive: the last key in range is the one before it. */
	leveldb_iter_seek(it->li, (const char *)it->upper.p, it->upper.n);
	if (leveldb_iter_valid(it->li))
		leveldb_iter_prev(it->li);
	else
		leveldb_iter_seek_to_last(it->li);
	settle(it);
}

void eng_iter_seek(struct eng_iter *it, struct tk_slice key)
{
	if (!it->li)
		return;
	struct eng *e = it->e;
	uint8_t stack[ENG_STACK_KEY];
	const uint8_t *t = eng_prefix_key(&e->scratch, stack, (enum eng_cf)it->lower.p[0], key);
	if (!t) {
		/* No memory for the target: report the end rather than guess. */
		it->valid = false;
		return;
	}
	if (cmp(t, key.n + 1, it->lower) < 0) {
		eng_iter_seek_first(it);
		return;
	}
	if (cmp(t, key.n + 1, it->upper) >= 0) {
		it->valid = false;
		return;
	}
	leveldb_iter_seek(it->li, (const char *)t, key.n + 1);
	settle(it);
}

void eng_iter_seek_for_prev(struct eng_iter *it, struct tk_slice key)
{
	if (!it->li)
		return;
	struct eng *e = it->e;
	uint8_t stack[ENG_STACK_KEY];
	const uint8_t *t = eng_prefix_key(&e->scratch, stack, (enum eng_cf)it->lower.p[0], key);
	if (!t) {
		it->valid = false;
		return;
	}
	if (cmp(t, key.n + 1, it->upper) >= 0) {
		eng_iter_seek_last(it);
		return;
	}
	if (cmp(t, key.n + 1, it->lower) < 0) {
		it->valid = false;
		return;
	}
	leveldb_iter_seek(it->li, (const char *)t, key.n + 1);
	if (leveldb_iter_valid(it->li)) {
		size_t n;
		const uint8_t *k = (const uint8_t *)leveldb_iter_key(it->li, &n);
		if (n == key.n + 1 && memcmp(k, t, n) == 0) {
			settle(it);
			return;
		}
		leveldb_iter_prev(it->li);
	} else {
		leveldb_iter_seek_to_last(it->li);
	}
	settle(it);
}

bool eng_iter_valid(const struct eng_iter *it)
{
	return it->valid;
}

void eng_iter_next(struct eng_iter *it)
{
	if (!it->valid)
		return;
	leveldb_iter_next(it->li);
	settle(it);
}

void eng_iter_prev(struct eng_iter *it)
{
	if (!it->valid)
		return;
	leveldb_iter_prev(it->li);
	settle(it);
}

struct tk_slice eng_iter_key(const struct eng_iter *it)
{
	if (!it->valid)
		return tk_slice_of(NULL, 0);
	size_t n;
	const char *k = leveldb_iter_key(it->li, &n);
	return tk_slice_of(k + 1, n - 1);
}

struct tk_slice eng_iter_value(const struct eng_iter *it)
{
	if (!it->valid)
		return tk_slice_of(NULL, 0);
	size_t n;
	const char *v = leveldb_iter_value(it->li, &n);
	return tk_slice_of(v, n);
}

enum tk_err eng_iter_status(const struct eng_iter *it, struct tk_errbuf *eb)
{
	struct eng *e = it->e;
	if (!it->li)
		return tk_err_set(eb, TK_E_IO,
				  "data dir %s: iterator created while the database was closed "
				  "after a failed reopen",
				  e->path);
	char *err = NULL;
	leveldb_iter_get_error(it->li, &err);
	if (!err)
		return TK_OK;
	enum tk_err code = eng_map_leveldb_error(err);
	e->st.read_errors++;
	if (code == TK_E_CORRUPTION)
		tk_err_set(eb, code, "data dir %s is corrupt: iterator: %s", e->path, err);
	else
		tk_err_set(eb, code, "engine iterator: %s", err);
	leveldb_free(err);
	return code;
}
