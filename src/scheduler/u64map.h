/* An open-addressing hash table keyed by nonzero uint64 ids (region, store,
 * peer ids), with an optional pointer value per key (a set when values are
 * off).  Linear probing with backward-shift deletion, so there are no
 * tombstones and lookups stay O(1) after millions of deletes.
 *
 * Iteration is by slot position: u64map_next walks from any position, which
 * is also how schedulers pick "some" member of a large set in O(1) amortized
 * without randomness (the caller keeps a cursor).  Any insert may rehash and
 * reorder the slots; a cursor then merely points somewhere else. */
#ifndef TK_SCHEDULER_U64MAP_H
#define TK_SCHEDULER_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map {
	/* Slot i is slots[i * stride] (the key; 0 marks an empty slot) and, in
	 * a map, slots[i * stride + 1] (the value): key and value share a cache
	 * line, so a lookup costs one miss. */
	uint64_t *slots;
	size_t stride; /* 1 for a set, 2 for a map */
	size_t cap;    /* slots: power of two, or 0 before the first insert */
	size_t n;
};

void u64map_init(struct u64map *m, bool with_vals);
void u64map_destroy(struct u64map *m);
/* Insert or overwrite.  key must be nonzero.  false on allocation failure
 * (the map is unchanged). */
bool u64map_put(struct u64map *m, uint64_t key, void *val);
bool u64map_has(const struct u64map *m, uint64_t key);
/* The value of key, NULL when absent (or stored as NULL). */
void *u64map_get(const struct u64map *m, uint64_t key);
/* Remove key; returns whether it was present. */
bool u64map_del(struct u64map *m, uint64_t key);
static inline size_t u64map_count(const struct u64map *m)
{
	return m->n;
}
/* The key in slot i (0 if empty); i < m->cap. */
static inline uint64_t u64map_slot_key(const struct u64map *m, size_t i)
{
	return m->slots[i * m->stride];
}
/* The first occupied slot at or after pos (wrapping is the caller's choice:
 * returns false at the end of the table).  On success fills *key, *val (val
 * may be NULL) and *pos with the found slot; continue from *pos + 1. */
bool u64map_next(const struct u64map *m, size_t *pos, uint64_t *key, void **val);
/* Like u64map_next but starts at start % cap and wraps once around, so any
 * start value finds a member of a nonempty map. */
bool u64map_pick(const struct u64map *m, uint64_t start, uint64_t *key, void **val);

/* A finalizer-quality mix of a 64-bit value (splitmix64). */
static inline uint64_t u64_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A growable array of uint64 (ids to report back to the caller). */
struct u64vec {
	uint64_t *v;
	size_t n, cap;
};
void u64vec_init(struct u64vec *v);
void u64vec_destroy(struct u64vec *v);
bool u64vec_push(struct u64vec *v, uint64_t x);

#endif
