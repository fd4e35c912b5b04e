#include "client/pending.h"

#include <stdlib.h>
#include <string.h>

#define MIN_CAP 64u

void tkv_ptable_init(struct tkv_ptable *t)
{
	t->slots = NULL;
	t->cap = t->n = 0;
}

void tkv_ptable_destroy(struct tkv_ptable *t)
{
	free(t->slots);
	tkv_ptable_init(t);
}

/* Fibonacci hashing: consecutive ids spread over the whole table. */
static size_t home(const struct tkv_ptable *t, uint64_t id)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & (t->cap - 1);
}

static void place(struct tkv_ptable *t, const struct tkv_pending *p)
{
	size_t i = home(t, p->id);
	while (t->slots[i].id != 0)
		i = (i + 1) & (t->cap - 1);
	t->slots[i] = *p;
}

static bool grow(struct tkv_ptable *t)
{
	size_t cap = t->cap ? t->cap * 2 : MIN_CAP;
	struct tkv_pending *old = t->slots;
	size_t old_cap = t->cap;
	struct tkv_pending *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return false;
	t->slots = slots;
	t->cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].id != 0)
			place(t, &old[i]);
	free(old);
	return true;
}

bool tkv_ptable_insert(struct tkv_ptable *t, const struct tkv_pending *p)
{
	/* keep the load at most 1/2 so probe runs stay short */
	if ((t->n + 1) * 2 > t->cap && !grow(t))
		return false;
	place(t, p);
	t->n++;
	return true;
}

static size_t find(const struct tkv_ptable *t, uint64_t id)
{
	if (t->cap == 0 || id == 0)
		return SIZE_MAX;
	for (size_t i = home(t, id);; i = (i + 1) & (t->cap - 1)) {
		if (t->slots[i].id == id)
			return i;
		if (t->slots[i].id == 0)
			return SIZE_MAX;
	}
}

bool tkv_ptable_has(const struct tkv_ptable *t, uint64_t id)
{
	return find(t, id) != SIZE_MAX;
}

bool tkv_ptable_take(struct tkv_ptable *t, uint64_t id, struct tkv_pending *out)
{
	size_t i = find(t, id);
	if (i == SIZE_MAX)
		return false;
	*out = t->slots[i];
	/* Backward-shift deletion: pull later members of the probe run into the
	 * hole when their home slot is not between the hole and themselves. */
	size_t mask = t->cap - 1, hole = i;
	for (size_t j = (i + 1) & mask; t->slots[j].id != 0; j = (j + 1) & mask) {
		size_t h = home(t, t->slots[j].id);
		bool movable = hole <= j ? (h <= hole || h > j) : (h <= hole && h > j);
		if (movable) {
			t->slots[hole] = t->slots[j];
			hole = j;
		}
	}
	memset(&t->slots[hole], 0, sizeof t->slots[hole]);
	t->n--;
	return true;
}
