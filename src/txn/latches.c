/* Per-key latches: see latches.h for the protocol.
 *
 * Data structure: each slot has an owner and a FIFO of waiters.  A command
 * waits on at most one slot at a time (the first of its sorted slots it does
 * not own), so one intrusive `next_wait` link per command is enough.  The
 * invariant "a slot without owner has no waiters" holds because release hands
 * a slot straight to the head of its queue. */
#include "txn/latches.h"

#include <stdlib.h>

#define DEFAULT_SLOTS 4096

struct latch_cmd {
	uint64_t id;
	struct latch_cmd *hnext;     /* hash bucket chain */
	struct latch_cmd *next_wait; /* FIFO link in the slot it waits on */
	size_t owned;                /* slots[0..owned) are held */
	size_t n;
	size_t slots[]; /* sorted, unique slot indexes */
};

struct latch_slot {
	struct latch_cmd *owner;
	struct latch_cmd *head, *tail; /* waiters, oldest first */
};

struct txn_latches {
	struct latch_slot *slots;
	size_t mask;
	struct latch_cmd **buckets;
	size_t nbuckets; /* power of two */
	size_t count;
	uint64_t *woken;
	size_t woken_cap;
};

static uint64_t mix64(uint64_t x)
{
	/* splitmix64 finalizer: spreads ids and FNV output over all bits. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t key_hash(struct tk_slice k)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < k.n; i++) {
		h ^= k.p[i];
		h *= 0x100000001b3ULL;
	}
	return mix64(h);
}

struct txn_latches *txn_latches_new(size_t n_slots)
{
	if (n_slots == 0)
		n_slots = DEFAULT_SLOTS;
	size_t n = 1;
	while (n < n_slots)
		n <<= 1;
	struct txn_latches *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->slots = calloc(n, sizeof(*l->slots));
	l->nbuckets = 64;
	l->buckets = calloc(l->nbuckets, sizeof(*l->buckets));
	if (!l->slots || !l->buckets) {
		txn_latches_free(l);
		return NULL;
	}
	l->mask = n - 1;
	return l;
}

void txn_latches_free(struct txn_latches *l)
{
	if (!l)
		return;
	if (l->buckets) {
		for (size_t i = 0; i < l->nbuckets; i++) {
			struct latch_cmd *c = l->buckets[i];
			while (c) {
				struct latch_cmd *next = c->hnext;
				free(c);
				c = next;
			}
		}
	}
	free(l->buckets);
	free(l->slots);
	free(l->woken);
	free(l);
}

static struct latch_cmd **find_ref(const struct txn_latches *l, uint64_t id)
{
	struct latch_cmd **ref = &l->buckets[mix64(id) & (l->nbuckets - 1)];
	while (*ref && (*ref)->id != id)
		ref = &(*ref)->hnext;
	return ref;
}

static bool grow_buckets(struct txn_latches *l)
{
	size_t nb = l->nbuckets * 2;
	struct latch_cmd **b = calloc(nb, sizeof(*b));
	if (!b)
		return false;
	for (size_t i = 0; i < l->nbuckets; i++) {
		struct latch_cmd *c = l->buckets[i];
		while (c) {
			struct latch_cmd *next = c->hnext;
			size_t h = mix64(c->id) & (nb - 1);
			c->hnext = b[h];
			b[h] = c;
			c = next;
		}
	}
	free(l->buckets);
	l->buckets = b;
	l->nbuckets = nb;
	return true;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/* Take cmd's slots from cmd->owned on; true when it holds them all, false
 * when it had to queue on a held slot. */
static bool advance(struct txn_latches *l, struct latch_cmd *c)
{
	while (c->owned < c->n) {
		struct latch_slot *s = &l->slots[c->slots[c->owned]];
		if (s->owner) {
			c->next_wait = NULL;
			if (s->tail)
				s->tail->next_wait = c;
			else
				s->head = c;
			s->tail = c;
			return false;
		}
		s->owner = c;
		c->owned++;
	}
	return true;
}

enum tk_err txn_latches_acquire(struct txn_latches *l, uint64_t cmd_id, const struct tk_slice *keys,
				size_t n, bool *acquired)
{
	*acquired = false;
	if (*find_ref(l, cmd_id))
		return TK_E_BAD_REQUEST;
	/* Reserve everything that can fail before touching any slot, so that
	 * release never needs memory and NOMEM leaves the table unchanged. */
	if (l->count + 1 > l->nbuckets && !grow_buckets(l))
		return TK_E_NOMEM;
	if (l->woken_cap < l->count + 1) {
		size_t cap = (l->count + 1) * 2;
		uint64_t *w = realloc(l->woken, cap * sizeof(*w));
		if (!w)
			return TK_E_NOMEM;
		l->woken = w;
		l->woken_cap = cap;
	}
	if (n > (SIZE_MAX - sizeof(struct latch_cmd)) / sizeof(size_t))
		return TK_E_NOMEM;
	struct latch_cmd *c = malloc(sizeof(*c) + n * sizeof(size_t));
	if (!c)
		return TK_E_NOMEM;
	for (size_t i = 0; i < n; i++)
		c->slots[i] = (size_t)(key_hash(keys[i]) & l->mask);
	if (n > 1)
		qsort(c->slots, n, sizeof(size_t), cmp_size);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || c->slots[u - 1] != c->slots[i])
			c->slots[u++] = c->slots[i];
	c->n = u;
	c->id = cmd_id;
	c->owned = 0;
	c->next_wait = NULL;
	struct latch_cmd **ref = find_ref(l, cmd_id);
	c->hnext = NULL;
	*ref = c;
	l->count++;
	*acquired = advance(l, c);
	return TK_OK;
}

static void unqueue(struct latch_slot *s, struct latch_cmd *c)
{
	struct latch_cmd *prev = NULL;
	for (struct latch_cmd *w = s->head; w; prev = w, w = w->next_wait) {
		if (w != c)
			continue;
		if (prev)
			prev->next_wait = w->next_wait;
		else
			s->head = w->next_wait;
		if (s->tail == w)
			s->tail = prev;
		return;
	}
}

size_t txn_latches_release(struct txn_latches *l, uint64_t cmd_id, const uint64_t **woken)
{
	size_t nw = 0;
	*woken = l->woken;
	struct latch_cmd **ref = find_ref(l, cmd_id);
	struct latch_cmd *c = *ref;
	if (!c)
		return 0;
	*ref = c->hnext;
	l->count--;
	if (c->owned < c->n)
		unqueue(&l->slots[c->slots[c->owned]], c);
	for (size_t i = 0; i < c->owned; i++) {
		struct latch_slot *s = &l->slots[c->slots[i]];
		struct latch_cmd *w = s->head;
		s->owner = NULL;
		if (!w)
			continue;
		s->head = w->next_wait;
		if (!s->head)
			s->tail = NULL;
		w->next_wait = NULL;
		s->owner = w;
		w->owned++;
		/* Each waiter becomes runnable at most once per release, and
		 * woken_cap >= count (reserved in acquire), so this never
		 * overflows. */
		if (advance(l, w))
			l->woken[nw++] = w->id;
	}
	free(c);
	return nw;
}

bool txn_latches_holds_all(const struct txn_latches *l, uint64_t cmd_id)
{
	const struct latch_cmd *c = *find_ref(l, cmd_id);
	return c && c->owned == c->n;
}

size_t txn_latches_count(const struct txn_latches *l)
{
	return l->count;
}
