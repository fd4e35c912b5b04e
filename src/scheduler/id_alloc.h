/* Unique id allocator (store, region and peer ids): pure, with the same
 * persist-a-window-ahead scheme as the TSO.  Ids below the persisted limit
 * may be served; a restarted allocator starts at the persisted limit, so no
 * id is ever handed out twice even if the process died mid-window.
 *
 *   idalloc_init(&a, loaded_limit, 1000);
 *   while (idalloc_alloc(&a, n, &first, &limit) == IDALLOC_NEED_PERSIST) {
 *           save(limit); idalloc_set_limit(&a, limit); }
 * Id 0 is never served (0 means "none" throughout the scheduler). */
#ifndef TK_SCHEDULER_ID_ALLOC_H
#define TK_SCHEDULER_ID_ALLOC_H

#include <stdint.h>

struct idalloc {
	uint64_t next;  /* next id to serve */
	uint64_t limit; /* persisted: ids < limit may be served */
	uint64_t step;  /* window size requested beyond the need */
};

enum idalloc_result {
	IDALLOC_OK,
	IDALLOC_NEED_PERSIST, /* persist *limit, idalloc_set_limit, retry */
	IDALLOC_BAD_COUNT,    /* count 0 or absurdly large (> 2^32) */
};

/* persisted_limit: 0 for a new cluster.  step: e.g. 1000. */
void idalloc_init(struct idalloc *a, uint64_t persisted_limit, uint64_t step);
/* Allocate count consecutive ids *first .. *first + count - 1. */
enum idalloc_result idalloc_alloc(struct idalloc *a, uint64_t count, uint64_t *first,
				  uint64_t *limit);
void idalloc_set_limit(struct idalloc *a, uint64_t limit);
/* Make sure ids up to (excluded) `floor` are never served, e.g. after
 * loading regions whose ids a lost window handed out.  Returns 1 and a limit
 * to persist when the window must move; the caller then calls set_limit. */
int idalloc_bump(struct idalloc *a, uint64_t floor, uint64_t *limit);

#endif
