#include "scheduler/region_tree.h"

#include <stdlib.h>

#include "scheduler/u64map.h"

/* A treap node keeps its own copy of the start key, so a descent touches
 * only nodes (one or two cache lines each), never the region blocks.  The
 * region (one block from region_dup) hangs off the node and is swapped in
 * place when a heartbeat keeps the range: the common heartbeat is then O(1),
 * a hash lookup and no tree work at all. */
struct rt_node {
	struct rt_node *l, *r;
	struct region *reg;
	uint32_t prio; /* max-heap; a hash of the region id, so no randomness */
	uint32_t klen;
	uint8_t key[]; /* the start key */
};

struct rtree {
	struct rt_node *root;
	struct u64map by_id; /* region id -> struct rt_node * */
};

struct rtree *rtree_new(void)
{
	struct rtree *t = calloc(1, sizeof(*t));
	if (t)
		u64map_init(&t->by_id, true);
	return t;
}

static void free_nodes(struct rt_node *n)
{
	while (n) {
		free_nodes(n->l);
		struct rt_node *r = n->r;
		free(n->reg);
		free(n);
		n = r;
	}
}

void rtree_free(struct rtree *t)
{
	if (!t)
		return;
	free_nodes(t->root);
	u64map_destroy(&t->by_id);
	free(t);
}

size_t rtree_count(const struct rtree *t)
{
	return u64map_count(&t->by_id);
}

static int cmp_start(struct tk_slice key, const struct rt_node *n)
{
	size_t m = key.n < n->klen ? key.n : n->klen;
	int c = m ? memcmp(key.p, n->key, m) : 0;
	if (c)
		return c;
	return key.n < n->klen ? -1 : key.n > n->klen;
}

const struct region *rtree_get(const struct rtree *t, uint64_t id)
{
	struct rt_node *n = u64map_get(&t->by_id, id);
	return n ? n->reg : NULL;
}

/* The node with the greatest start key <= key. */
static struct rt_node *floor_node(const struct rtree *t, struct tk_slice key)
{
	struct rt_node *n = t->root, *best = NULL;
	while (n) {
		if (cmp_start(key, n) >= 0) {
			best = n;
			n = n->r;
		} else {
			n = n->l;
		}
	}
	return best;
}

/* The node with the smallest start key > key. */
static struct rt_node *above_node(const struct rtree *t, struct tk_slice key)
{
	struct rt_node *n = t->root, *best = NULL;
	while (n) {
		if (cmp_start(key, n) < 0) {
			best = n;
			n = n->l;
		} else {
			n = n->r;
		}
	}
	return best;
}

/* Both neighbours of key in one descent: *le the greatest start <= key,
 * *gt the smallest start > key. */
static void neighbours(const struct rtree *t, struct tk_slice key, struct rt_node **le,
		       struct rt_node **gt)
{
	struct rt_node *n = t->root;
	*le = *gt = NULL;
	while (n) {
		if (cmp_start(key, n) >= 0) {
			*le = n;
			n = n->r;
		} else {
			*gt = n;
			n = n->l;
		}
	}
}

const struct region *rtree_find(const struct rtree *t, struct tk_slice key)
{
	struct rt_node *n = floor_node(t, key);
	return n && region_contains(n->reg, key) ? n->reg : NULL;
}

const struct region *rtree_first(const struct rtree *t)
{
	struct rt_node *n = t->root;
	while (n && n->l)
		n = n->l;
	return n ? n->reg : NULL;
}

const struct region *rtree_next(const struct rtree *t, const struct region *r)
{
	struct rt_node *n = above_node(t, region_start(r));
	return n ? n->reg : NULL;
}

size_t rtree_scan(const struct rtree *t, struct tk_slice from, size_t limit,
		  const struct region **out)
{
	size_t k = 0;
	struct rt_node *n = floor_node(t, from);
	if (!n || !region_contains(n->reg, from))
		n = above_node(t, from);
	while (n && k < limit) {
		out[k++] = n->reg;
		n = above_node(t, region_start(n->reg));
	}
	return k;
}

/* Split n into keys < key (*lo) and keys >= key (*hi). */
static void split(struct rt_node *n, struct tk_slice key, struct rt_node **lo, struct rt_node **hi)
{
	if (!n) {
		*lo = *hi = NULL;
		return;
	}
	if (cmp_start(key, n) > 0) {
		split(n->r, key, &n->r, hi);
		*lo = n;
	} else {
		split(n->l, key, lo, &n->l);
		*hi = n;
	}
}

/* Join two treaps where every key of a precedes every key of b. */
static struct rt_node *merge(struct rt_node *a, struct rt_node *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (a->prio > b->prio) {
		a->r = merge(a->r, b);
		return a;
	}
	b->l = merge(a, b->l);
	return b;
}

static void tree_insert(struct rtree *t, struct rt_node *nn)
{
	/* Descend while the parents outrank the new node, then split the
	 * subtree there: O(log n) expected. */
	struct rt_node **link = &t->root;
	struct tk_slice key = tk_slice_of(nn->key, nn->klen);
	while (*link && (*link)->prio > nn->prio)
		link = cmp_start(key, *link) < 0 ? &(*link)->l : &(*link)->r;
	split(*link, key, &nn->l, &nn->r);
	*link = nn;
}

/* Unlink the node with this start key (it must exist) and return it. */
static struct rt_node *tree_unlink(struct rtree *t, struct tk_slice key)
{
	struct rt_node **link = &t->root;
	while (*link) {
		int c = cmp_start(key, *link);
		if (c == 0) {
			struct rt_node *n = *link;
			*link = merge(n->l, n->r);
			n->l = n->r = NULL;
			return n;
		}
		link = c < 0 ? &(*link)->l : &(*link)->r;
	}
	return NULL;
}

static void drop(struct rtree *t, struct rt_node *n, rtree_removed_fn fn, void *arg, bool same)
{
	tree_unlink(t, region_start(n->reg));
	if (!same) /* a replacement overwrites the id's entry instead */
		u64map_del(&t->by_id, n->reg->id);
	if (fn)
		fn(arg, n->reg, same);
	free(n->reg);
	free(n);
}

static bool newer_epoch_blocks(const struct region *stored, const struct region *in)
{
	return region_epoch_is_stale(in->epoch, stored->epoch);
}

/* Most heartbeats overlap nothing but their own previous version; collect
 * the others' ids into a small stack array, spilling to the heap if needed.
 * Ids, not nodes: each is dropped through the id index, which lets the
 * analyzer see that no node is freed twice (it cannot follow that the walk
 * collecting them never meets a node twice). */
struct id_list {
	uint64_t inl[8];
	uint64_t *v;
	size_t n, cap;
};

static bool list_push(struct id_list *l, uint64_t x)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap * 2;
		uint64_t *nv = malloc(ncap * sizeof(*nv));
		if (!nv)
			return false;
		memcpy(nv, l->v, l->n * sizeof(*nv));
		if (l->v != l->inl)
			free(l->v);
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = x;
	return true;
}

enum tk_err rtree_put(struct rtree *t, const struct region *in, rtree_removed_fn fn, void *arg,
		      const struct region **stored, struct tk_errbuf *eb)
{
	enum tk_err err = region_validate(in, eb);
	if (err)
		return err;
	struct rt_node *old = u64map_get(&t->by_id, in->id);
	if (old && newer_epoch_blocks(old->reg, in))
		return tk_err_set(eb, TK_E_STALE_COMMAND,
				  "region %llu: stale epoch (conf_ver %llu, version %llu) < stored "
				  "(conf_ver %llu, version %llu)",
				  (unsigned long long)in->id,
				  (unsigned long long)in->epoch.conf_ver,
				  (unsigned long long)in->epoch.version,
				  (unsigned long long)old->reg->epoch.conf_ver,
				  (unsigned long long)old->reg->epoch.version);

	if (old && tk_slice_eq(region_start(old->reg), region_start(in)) &&
	    tk_slice_eq(region_end(old->reg), region_end(in))) {
		/* Same range: the map never overlaps, so nothing else is
		 * affected; swap the region under the node. */
		struct region *copy;
		if (!region_dup(in, 0, &copy))
			return tk_err_set(eb, TK_E_NOMEM, "region tree: copy region");
		if (fn)
			fn(arg, old->reg, true);
		free(old->reg);
		old->reg = copy;
		if (stored)
			*stored = copy;
		return TK_OK;
	}

	/* Collect the other regions overlapping [start, end): the one holding
	 * start, then successors until one starts at or after end. */
	struct id_list ov = {.n = 0, .cap = 8};
	ov.v = ov.inl;
	struct rt_node *n, *gt;
	neighbours(t, region_start(in), &n, &gt);
	if (!n || !region_overlaps(n->reg, in))
		n = gt;
	for (; n && region_overlaps(n->reg, in); n = above_node(t, region_start(n->reg))) {
		if (n == old)
			continue;
		if (n->reg->epoch.version > in->epoch.version) {
			err = tk_err_set(eb, TK_E_STALE_COMMAND,
					 "region %llu version %llu: overlaps region %llu "
					 "with newer version %llu",
					 (unsigned long long)in->id,
					 (unsigned long long)in->epoch.version,
					 (unsigned long long)n->reg->id,
					 (unsigned long long)n->reg->epoch.version);
			goto out;
		}
		if (!list_push(&ov, n->reg->id)) {
			err = tk_err_set(eb, TK_E_NOMEM, "region tree: overlap list");
			goto out;
		}
	}

	struct region *copy;
	struct rt_node *nn = malloc(sizeof(*nn) + in->start_len);
	if (!nn || !region_dup(in, 0, &copy)) {
		free(nn);
		err = tk_err_set(eb, TK_E_NOMEM, "region tree: copy region");
		goto out;
	}
	memset(nn, 0, sizeof(*nn));
	nn->reg = copy;
	nn->prio = (uint32_t)u64_mix(in->id ^ UINT64_C(0x5bd1e995));
	nn->klen = (uint32_t)in->start_len;
	if (in->start_len)
		memcpy(nn->key, in->start_key, in->start_len);
	/* Claim the hash slot first: the only step that can fail (a region
	 * already known keeps its slot, so that put cannot fail). */
	if (!u64map_put(&t->by_id, in->id, nn)) {
		free(copy);
		free(nn);
		err = tk_err_set(eb, TK_E_NOMEM, "region tree: id index");
		goto out;
	}
	if (old)
		drop(t, old, fn, arg, true);
	for (size_t i = 0; i < ov.n; i++) {
		struct rt_node *x = u64map_get(&t->by_id, ov.v[i]);
		if (x)
			drop(t, x, fn, arg, false);
	}
	tree_insert(t, nn);
	if (stored)
		*stored = copy;
out:
	if (ov.v != ov.inl)
		free(ov.v);
	return err;
}

bool rtree_remove(struct rtree *t, uint64_t id, rtree_removed_fn fn, void *arg)
{
	struct rt_node *n = u64map_get(&t->by_id, id);
	if (!n)
		return false;
	drop(t, n, fn, arg, false);
	return true;
}

static bool check_node(const struct rtree *t, const struct rt_node *n, size_t *count,
		       const struct region **prev)
{
	if (!n)
		return true;
	if (n->l && n->l->prio > n->prio)
		return false;
	if (n->r && n->r->prio > n->prio)
		return false;
	if (!check_node(t, n->l, count, prev))
		return false;
	if (*prev) {
		/* strictly ordered and not overlapping */
		if ((*prev)->end_len == 0 ||
		    tk_slice_cmp(region_end(*prev), region_start(n->reg)) > 0)
			return false;
	}
	if (u64map_get(&t->by_id, n->reg->id) != n)
		return false;
	*prev = n->reg;
	(*count)++;
	return check_node(t, n->r, count, prev);
}

bool rtree_check(const struct rtree *t)
{
	size_t count = 0;
	const struct region *prev = NULL;
	if (!check_node(t, t->root, &count, &prev))
		return false;
	return count == u64map_count(&t->by_id);
}
