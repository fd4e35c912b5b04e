#include "scheduler/id_alloc.h"

void idalloc_init(struct idalloc *a, uint64_t persisted_limit, uint64_t step)
{
	a->next = persisted_limit ? persisted_limit : 1;
	a->limit = persisted_limit;
	a->step = step ? step : 1;
}

enum idalloc_result idalloc_alloc(struct idalloc *a, uint64_t count, uint64_t *first,
				  uint64_t *limit)
{
	if (count == 0 || count > (UINT64_C(1) << 32))
		return IDALLOC_BAD_COUNT;
	if (a->next + count > a->limit) {
		*limit = a->next + count + a->step;
		return IDALLOC_NEED_PERSIST;
	}
	*first = a->next;
	a->next += count;
	return IDALLOC_OK;
}

void idalloc_set_limit(struct idalloc *a, uint64_t limit)
{
	if (limit > a->limit)
		a->limit = limit;
}

int idalloc_bump(struct idalloc *a, uint64_t floor, uint64_t *limit)
{
	if (floor > a->next)
		a->next = floor;
	if (a->next <= a->limit)
		return 0;
	*limit = a->next + a->step;
	return 1;
}
