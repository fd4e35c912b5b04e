/* Timestamp oracle: a pure allocator of 64-bit timestamps
 * (physical milliseconds << 18 | logical), strictly increasing across calls,
 * clock jumps in both directions, and restarts.
 *
 * No clock inside: the caller passes now_ms.  Crash safety comes from a
 * persisted window limit L: no timestamp with physical part >= L is ever
 * served, and a restarted allocator serves only physical parts >= L.  When
 * the allocator needs a higher limit it says so (TSO_NEED_PERSIST with the
 * limit to write); the daemon persists it synchronously, calls
 * tso_set_limit, and retries.  tso_want_extend lets the daemon persist the
 * next window in advance so the request path rarely waits for a write.
 *
 * The physical part follows the clock and load never moves it ahead: when
 * the current millisecond's logical part cannot hold a request, the
 * allocator says TSO_WAIT instead of moving to the next millisecond, and
 * the caller retries once the clock has ticked (as PD does).  Otherwise a
 * flood of requests (or a few large ones) would push the timestamps ahead
 * of the wall clock without bound.  The physical part is ahead of the
 * clock only where strict increase demands it: after the clock stepped
 * back, and after a restart (by up to window_ms: the persisted limit).
 * While it is ahead, a used-up millisecond moves it on by one per tick of
 * the clock, never faster, so the lead never grows and serving does not
 * stop until the clock catches up.
 *
 * Usage:
 *   struct tso t; tso_init(&t, loaded_limit_ms, 3000);
 *   for (;;) switch (tso_alloc(&t, now, count, &first, &ms)) {
 *     case TSO_OK: reply first..first+count-1; break;
 *     case TSO_NEED_PERSIST: save(ms); tso_set_limit(&t, ms); continue;
 *     case TSO_WAIT: retry when the clock reads ms (or has moved at all);
 *     case TSO_BAD_COUNT: refuse the request; } */
#ifndef TK_SCHEDULER_TSO_H
#define TK_SCHEDULER_TSO_H

#include <stdint.h>

#define TSO_LOGICAL_BITS 18
#define TSO_LOGICAL_MAX ((UINT64_C(1) << TSO_LOGICAL_BITS) - 1)
/* Largest batch one request may ask for: a sixteenth of a millisecond's
 * logical space, so that one client's batches leave room in each
 * millisecond for others (all of a batch shares one physical part).
 * Documented in proto-spec/scheduler.md. */
#define TSO_MAX_COUNT (UINT64_C(1) << 14)

static inline uint64_t tso_compose(uint64_t physical_ms, uint64_t logical)
{
	return (physical_ms << TSO_LOGICAL_BITS) | logical;
}
static inline uint64_t tso_physical(uint64_t ts)
{
	return ts >> TSO_LOGICAL_BITS;
}
static inline uint64_t tso_logical(uint64_t ts)
{
	return ts & TSO_LOGICAL_MAX;
}

struct tso {
	uint64_t physical;     /* the millisecond being served */
	uint64_t next_logical; /* its first logical part not served yet */
	uint64_t last;         /* the last served timestamp, 0 if none since init */
	uint64_t moved_at;     /* clock reading when `physical` last moved on */
	uint64_t limit_ms;     /* persisted: serve only physical < limit_ms */
	uint64_t window_ms;    /* how far ahead of now a new limit goes */
};

enum tso_result {
	TSO_OK,           /* *first filled */
	TSO_NEED_PERSIST, /* persist *ms, call tso_set_limit, retry */
	TSO_WAIT,         /* the millisecond is used up: retry at clock *ms */
	TSO_BAD_COUNT,    /* count is 0 or > TSO_MAX_COUNT */
};

/* Start from the limit loaded from disk (0 for a new cluster).  window_ms is
 * how far ahead limits are requested (e.g. 3000). */
void tso_init(struct tso *t, uint64_t persisted_limit_ms, uint64_t window_ms);
/* Hand out count consecutive timestamps *first .. *first + count - 1 (same
 * physical part), all greater than anything served before.  *ms is set for
 * TSO_NEED_PERSIST (the limit to persist) and TSO_WAIT (the next clock
 * reading, at which a retry can be served). */
enum tso_result tso_alloc(struct tso *t, uint64_t now_ms, uint32_t count, uint64_t *first,
			  uint64_t *ms);
/* The daemon persisted limit_ms: it may now be served up to (excluded).
 * A limit lower than the current one is ignored. */
void tso_set_limit(struct tso *t, uint64_t limit_ms);
/* Whether the window is running out (less than a third of window_ms left
 * before now_ms reaches the limit); if so, *limit is the next limit to
 * persist ahead of time.  Never required for correctness. */
int tso_want_extend(const struct tso *t, uint64_t now_ms, uint64_t *limit);
/* The last timestamp served (0 if none since init). */
uint64_t tso_last(const struct tso *t);

#endif
