/* The region map: every known region, indexed by id (hash table, O(1)) and
 * by start key (a treap, O(log n) expected), never overlapping.
 *
 * rtree_put applies a region heartbeat with the epoch rules of DESIGN §6:
 *  - a region older than the stored region with the same id (lower version
 *    or lower conf_ver) is stale and refused;
 *  - a region overlapping stored regions replaces those whose version is <=
 *    its own; if any overlapping region has a newer version the heartbeat is
 *    stale and refused, and nothing changes.
 * Splits reported out of order therefore converge: a child replaces the
 * stale parent range it overlaps, and the parent's shrunk range arrives
 * later with a higher version.  Until then the uncovered part of the key
 * space simply has no region (lookups return NULL), which is the truth the
 * scheduler knows.
 *
 * Regions returned are borrowed: valid until the next rtree_put/remove that
 * replaces or removes them.  Not thread safe. */
#ifndef TK_SCHEDULER_REGION_TREE_H
#define TK_SCHEDULER_REGION_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "meta/region.h"
#include "util/err.h"

struct rtree;

/* NULL on allocation failure. */
struct rtree *rtree_new(void);
/* Frees every region. */
void rtree_free(struct rtree *t);
size_t rtree_count(const struct rtree *t);

const struct region *rtree_get(const struct rtree *t, uint64_t id);
/* The region whose range contains key, or NULL (a gap in the map). */
const struct region *rtree_find(const struct rtree *t, struct tk_slice key);
/* Up to limit regions in key order, starting with the one containing from
 * (or the first one after from when from falls in a gap).  Returns the
 * number written to out. */
size_t rtree_scan(const struct rtree *t, struct tk_slice from, size_t limit,
		  const struct region **out);
/* Ordered iteration: the first region, and the one after r (NULL at the
 * end).  O(log n) each. */
const struct region *rtree_first(const struct rtree *t);
const struct region *rtree_next(const struct rtree *t, const struct region *r);

/* Called for each region a put or remove takes out of the map, just before
 * it is freed.  `replaced_by_same_id` is true for the previous version of
 * the region being put. */
typedef void (*rtree_removed_fn)(void *arg, const struct region *old, bool replaced_by_same_id);

/* Insert or update a region from a heartbeat (deep-copied; in stays the
 * caller's).  On success *stored (if not NULL) is the new stored copy.
 * Errors: TK_E_BAD_REQUEST (region_validate), TK_E_STALE_COMMAND (older
 * epoch than the stored region with the same id, or an overlapping region
 * has a newer version: the map is unchanged), TK_E_NOMEM. */
enum tk_err rtree_put(struct rtree *t, const struct region *in, rtree_removed_fn fn, void *arg,
		      const struct region **stored, struct tk_errbuf *eb);
/* Remove the region with this id; false when absent.  fn may be NULL. */
bool rtree_remove(struct rtree *t, uint64_t id, rtree_removed_fn fn, void *arg);

/* Check the internal invariants (treap order and heap property, no
 * overlaps, both indexes agree).  For tests; returns false on violation. */
bool rtree_check(const struct rtree *t);

#endif
