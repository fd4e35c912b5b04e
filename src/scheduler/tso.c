#include "scheduler/tso.h"

void tso_init(struct tso *t, uint64_t persisted_limit_ms, uint64_t window_ms)
{
	/* Nothing at or above the persisted limit was ever served, so the
	 * limit's own millisecond is free from its first logical part on,
	 * whatever the clock says. */
	t->physical = persisted_limit_ms;
	t->next_logical = 0;
	t->last = 0;
	t->moved_at = 0;
	t->limit_ms = persisted_limit_ms;
	t->window_ms = window_ms ? window_ms : 1;
}

enum tso_result tso_alloc(struct tso *t, uint64_t now_ms, uint32_t count, uint64_t *first,
			  uint64_t *ms)
{
	if (count == 0 || count > TSO_MAX_COUNT)
		return TSO_BAD_COUNT;
	uint64_t phys = t->physical, logical = t->next_logical;
	if (now_ms > phys) {
		phys = now_ms;
		logical = 0;
	} else if (logical + count - 1 > TSO_LOGICAL_MAX) {
		/* This millisecond is used up and the clock has not passed it.
		 * Only a tick of the clock may move the physical part on: at
		 * the clock (phys == moved_at) that is the normal case above;
		 * ahead of it (a restart, a step back) by one per tick, so
		 * the lead never grows.  A clock that went back below the
		 * last move's reading counts its ticks from where it is now. */
		if (now_ms < t->moved_at)
			t->moved_at = now_ms;
		if (now_ms == t->moved_at) {
			*ms = now_ms + 1;
			return TSO_WAIT;
		}
		phys++;
		logical = 0;
	}
	if (phys >= t->limit_ms) {
		*ms = phys + t->window_ms;
		return TSO_NEED_PERSIST;
	}
	if (phys != t->physical || t->last == 0)
		t->moved_at = now_ms; /* (or the first served since a restart) */
	t->physical = phys;
	t->next_logical = logical + count;
	t->last = tso_compose(phys, logical + count - 1);
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
	uint64_t base = now_ms > t->physical ? now_ms : t->physical;
	if (base + t->window_ms / 3 < t->limit_ms)
		return 0;
	*limit = base + t->window_ms;
	return 1;
}

uint64_t tso_last(const struct tso *t)
{
	return t->last;
}
