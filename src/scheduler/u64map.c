#include "scheduler/u64map.h"

#include <stdlib.h>
#include <string.h>

void u64map_init(struct u64map *m, bool with_vals)
{
	memset(m, 0, sizeof(*m));
	m->stride = with_vals ? 2 : 1;
}

void u64map_destroy(struct u64map *m)
{
	size_t stride = m->stride;
	free(m->slots);
	memset(m, 0, sizeof(*m));
	m->stride = stride;
}

#define KEY(m, i) ((m)->slots[(i) * (m)->stride])
#define VAL(m, i) ((m)->slots[(i) * (m)->stride + 1])

static size_t slot_of(const struct u64map *m, uint64_t key)
{
	return (size_t)(u64_mix(key) & (m->cap - 1));
}

/* Slot holding key, or the empty slot where it would go. */
static size_t find_slot(const struct u64map *m, uint64_t key)
{
	size_t i = slot_of(m, key);
	while (KEY(m, i) != 0 && KEY(m, i) != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* Rehash into ncap slots (a power of two >= 2 * n). */
static bool resize(struct u64map *m, size_t ncap)
{
	uint64_t *ns = calloc(ncap * m->stride, sizeof(*ns));
	if (!ns)
		return false;
	struct u64map old = *m;
	m->slots = ns;
	m->cap = ncap;
	for (size_t i = 0; i < old.cap; i++) {
		if (KEY(&old, i) == 0)
			continue;
		size_t j = find_slot(m, KEY(&old, i));
		memcpy(&KEY(m, j), &KEY(&old, i), m->stride * sizeof(uint64_t));
	}
	free(old.slots);
	return true;
}

static bool grow(struct u64map *m)
{
	return resize(m, m->cap ? m->cap * 2 : 16);
}

bool u64map_put(struct u64map *m, uint64_t key, void *val)
{
	size_t i = m->cap ? find_slot(m, key) : 0;
	if (m->cap && KEY(m, i) == key) {
		if (m->stride == 2)
			VAL(m, i) = (uint64_t)(uintptr_t)val;
		return true;
	}
	/* Keep the load factor at or below 1/2: probes stay short. */
	if ((m->n + 1) * 2 > m->cap) {
		if (!grow(m))
			return false;
		i = find_slot(m, key);
	}
	KEY(m, i) = key;
	if (m->stride == 2)
		VAL(m, i) = (uint64_t)(uintptr_t)val;
	m->n++;
	return true;
}

bool u64map_has(const struct u64map *m, uint64_t key)
{
	return m->cap && KEY(m, find_slot(m, key)) == key;
}

void *u64map_get(const struct u64map *m, uint64_t key)
{
	if (!m->cap || m->stride != 2)
		return NULL;
	size_t i = find_slot(m, key);
	return KEY(m, i) == key ? (void *)(uintptr_t)VAL(m, i) : NULL;
}

bool u64map_del(struct u64map *m, uint64_t key)
{
	if (!m->cap)
		return false;
	size_t i = find_slot(m, key);
	if (KEY(m, i) != key)
		return false;
	/* Backward shift: move later members of the probe run into the hole
	 * when their home slot does not lie cyclically in (hole, j]. */
	size_t mask = m->cap - 1, j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (KEY(m, j) == 0)
			break;
		size_t home = slot_of(m, KEY(m, j));
		bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
		if (stays)
			continue;
		memcpy(&KEY(m, i), &KEY(m, j), m->stride * sizeof(uint64_t));
		i = j;
	}
	memset(&KEY(m, i), 0, m->stride * sizeof(uint64_t));
	m->n--;
	/* Shrink when mostly empty, so walks over the slots (sampling a
	 * drained store's regions) stay proportional to the members.  A failed
	 * shrink is harmless. */
	if (m->cap > 64 && m->n * 8 < m->cap)
		resize(m, m->cap / 2);
	return true;
}

bool u64map_next(const struct u64map *m, size_t *pos, uint64_t *key, void **val)
{
	for (size_t i = *pos; i < m->cap; i++) {
		if (KEY(m, i) == 0)
			continue;
		*pos = i;
		*key = KEY(m, i);
		if (val)
			*val = m->stride == 2 ? (void *)(uintptr_t)VAL(m, i) : NULL;
		return true;
	}
	return false;
}

bool u64map_pick(const struct u64map *m, uint64_t start, uint64_t *key, void **val)
{
	if (m->n == 0)
		return false;
	size_t pos = (size_t)(start & (m->cap - 1));
	if (u64map_next(m, &pos, key, val))
		return true;
	pos = 0;
	return u64map_next(m, &pos, key, val);
}

void u64vec_init(struct u64vec *v)
{
	memset(v, 0, sizeof(*v));
}

void u64vec_destroy(struct u64vec *v)
{
	free(v->v);
	memset(v, 0, sizeof(*v));
}

bool u64vec_push(struct u64vec *v, uint64_t x)
{
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 8;
		uint64_t *nv = realloc(v->v, ncap * sizeof(*nv));
		if (!nv)
			return false;
		v->v = nv;
		v->cap = ncap;
	}
	v->v[v->n++] = x;
	return true;
}
