#include "scheduler/tso.h"

void tso_init(struct tso *t, uint64_t persisted_limit_ms, uint64_t window_ms)
{
	/* Pretend the last timestamp was the very end of the persisted limit's
	 * millisecond: whatever the clock says, the next physical part is then
	 * > persisted_limit_ms, beyond everything a previous incarnation might
	 * have served. */
	t->last_physical = persisted_limit_ms;
	t->last_logical = TSO_LOGICAL_MAX;
	t->limit_ms = persisted_limit_ms;
	t->window_ms = window_ms ? window_ms : 1;
}

enum tso_result tso_alloc(struct tso *t, uint64_t now_ms, uint32_t count, uint64_t *first,
			  uint64_t *limit)
{
	if (count == 0 || count > TSO_MAX_COUNT)
		return TSO_BAD_COUNT;
	uint64_t phys, logical;
	if (now_ms > t->last_physical) {
		phys = now_ms;
		logical = 0;
	} else {
		/* The clock stalled or went back: stay on the last physical
		 * millisecond and move to the next one when logical overflows. */
		phys = t->last_physical;
		logical = t->last_logical + 1;
		if (logical + count - 1 > TSO_LOGICAL_MAX) {
			phys++;
			logical = 0;
		}
	}
	if (phys >= t->limit_ms) {
		*limit = (phys > now_ms ? phys : now_ms) + t->window_ms;
		return TSO_NEED_PERSIST;
	}
	t->last_physical = phys;
	t->last_logical = logical + count - 1;
	*first = tso_compose(phys, logical);
	return TSO_OK;
}

void tso_set_limit(struct tso *t, uint64_t limit_ms)
{
	if (limit_ms > t->limit_ms)
		t->limit_ms = limit_ms;
}

int tso_want_extend(const struct tso *t, uint64_t now_ms, uint64_t *limit)
{
	uint64_t base = now_ms > t->last_physical ? now_ms : t->last_physical;
	if (base + t->window_ms / 3 < t->limit_ms)
		return 0;
	*limit = base + t->window_ms;
	return 1;
}

uint64_t tso_last(const struct tso *t)
{
	if (t->last_logical == TSO_LOGICAL_MAX && t->last_physical == t->limit_ms)
		return 0;
	return tso_compose(t->last_physical, t->last_logical);
}
