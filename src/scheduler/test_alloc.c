/* TSO and id allocator: monotonic under clock jumps, batching, logical
 * overflow, and never repeating across restarts. */
#include <check.h>
#include <stdlib.h>

#include "scheduler/id_alloc.h"
#include "scheduler/test_fixture.h"
#include "scheduler/tso.h"

/* A fake daemon around the TSO: "disk" holds the persisted limit. */
struct tso_daemon {
	struct tso t;
	uint64_t disk;
	unsigned persists;
};

static void daemon_start(struct tso_daemon *d, uint64_t window)
{
	tso_init(&d->t, d->disk, window);
}

static uint64_t daemon_get(struct tso_daemon *d, uint64_t now, uint32_t count)
{
	uint64_t first, limit;
	for (int tries = 0; tries < 3; tries++) {
		switch (tso_alloc(&d->t, now, count, &first, &limit)) {
		case TSO_OK:
			/* Plain checks in the hot path: ck_assert is slow per call. */
			if (tso_physical(first) >= d->disk)
				ck_abort_msg("served %llu beyond limit %llu",
					     (unsigned long long)first,
					     (unsigned long long)d->disk);
			return first;
		case TSO_NEED_PERSIST:
			if (limit <= d->disk)
				ck_abort_msg("limit went backwards");
			d->disk = limit;
			d->persists++;
			tso_set_limit(&d->t, limit);
			break;
		case TSO_WAIT:
			ck_abort_msg("unexpected wait at %llu", (unsigned long long)now);
			break;
		default:
			ck_abort_msg("bad count");
		}
	}
	ck_abort_msg("tso did not serve after persisting");
	return 0;
}

/* daemon_get with a clock (*now) that the caller waits on whenever the TSO
 * says so, as the daemon's retry timer does. */
static uint64_t daemon_get_waiting(struct tso_daemon *d, uint64_t *now, uint32_t count,
				   unsigned *waits)
{
	uint64_t first, ms;
	for (int tries = 0; tries < 5; tries++) {
		switch (tso_alloc(&d->t, *now, count, &first, &ms)) {
		case TSO_OK:
			if (tso_physical(first) >= d->disk)
				ck_abort_msg("served %llu beyond limit %llu",
					     (unsigned long long)first,
					     (unsigned long long)d->disk);
			return first;
		case TSO_NEED_PERSIST:
			d->disk = ms;
			d->persists++;
			tso_set_limit(&d->t, ms);
			break;
		case TSO_WAIT:
			if (ms <= *now)
				ck_abort_msg("wait for %llu at %llu", (unsigned long long)ms,
					     (unsigned long long)*now);
			(*waits)++;
			*now = ms;
			break;
		default:
			ck_abort_msg("bad count");
		}
	}
	ck_abort_msg("tso did not serve");
	return 0;
}

/* Deterministic PRNG for the tests only. */
static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

START_TEST(test_tso_is_strictly_increasing_under_random_clock_jumps)
{
	struct tso_daemon d = {.disk = 0};
	daemon_start(&d, 3000);
	uint64_t seed = 0x1234567 + (uint64_t)_i, now = 1700000000000ULL, last = 0;
	unsigned waits = 0;
	for (int i = 0; i < 2000000; i++) {
		uint64_t x = rng(&seed);
		switch (x % 64) {
		case 0: /* backward jump up to 10 s */
			now -= (x >> 8) % 10000;
			break;
		case 1: /* forward jump up to 10 s */
			now += (x >> 8) % 10000;
			break;
		case 2:
		case 3:
		case 4:
			now += 1;
			break;
		default:
			break; /* stalled clock: many calls in one ms */
		}
		uint32_t count = (x >> 40) % 8 == 0 ? (uint32_t)((x >> 20) % 1000) + 1 : 1;
		uint64_t ts = daemon_get_waiting(&d, &now, count, &waits);
		if (ts <= last || tso_physical(ts + count - 1) != tso_physical(ts))
			ck_abort_msg("call %d: ts %llu after %llu", i, (unsigned long long)ts,
				     (unsigned long long)last);
		last = ts + count - 1;
	}
	/* A window is persisted per ~3 s of physical time, not per call. */
	ck_assert_uint_lt(d.persists, 200000);
	/* Steps back and stalls used some milliseconds up: the waits ran. */
	ck_assert_uint_gt(waits, 0);
}
END_TEST

START_TEST(test_tso_waits_for_the_clock_when_a_millisecond_is_used_up)
{
	struct tso_daemon d = {.disk = 0};
	daemon_start(&d, 3000);
	uint64_t now = 5000, first, ms;
	/* Fill ms 5000 up to 10 logical parts from its end. */
	uint64_t a = daemon_get(&d, now, 1);
	while (tso_logical(d.t.last) + TSO_MAX_COUNT <= TSO_LOGICAL_MAX)
		daemon_get(&d, now, (uint32_t)TSO_MAX_COUNT);
	ck_assert_uint_eq(tso_physical(a), 5000);
	ck_assert_uint_eq(tso_logical(a), 0);
	uint64_t left = TSO_LOGICAL_MAX - tso_logical(tso_last(&d.t));
	uint64_t b = daemon_get(&d, now, (uint32_t)left);
	ck_assert_uint_eq(tso_physical(b), 5000);
	ck_assert_uint_eq(tso_logical(b + left - 1), TSO_LOGICAL_MAX);
	/* The millisecond is used up and the clock has not moved: wait for
	 * ms 5001 rather than serve from it ahead of the clock. */
	ck_assert_int_eq(tso_alloc(&d.t, now, 1, &first, &ms), TSO_WAIT);
	ck_assert_uint_eq(ms, 5001);
	ck_assert_uint_eq(tso_last(&d.t), b + left - 1); /* nothing served */
	/* The clock reached 5001. */
	uint64_t c = daemon_get(&d, 5001, 20);
	ck_assert_uint_eq(tso_physical(c), 5001);
	ck_assert_uint_eq(tso_logical(c), 0);
	/* A batch that does not fit in what is left of a millisecond waits
	 * too, and is not split over two. */
	d.t.next_logical = TSO_LOGICAL_MAX - 5;
	ck_assert_int_eq(tso_alloc(&d.t, 5001, 10, &first, &ms), TSO_WAIT);
	ck_assert_uint_eq(daemon_get(&d, 5001, 6), tso_compose(5001, TSO_LOGICAL_MAX - 5));
}
END_TEST

/* The attack: many pipelined requests of the largest count, with
 * the clock moving at its own pace (here 1 ms per 100 requests served or
 * refused).  The physical part must stay with the clock: before, 100,000
 * requests of 262,144 moved it 88 s ahead. */
START_TEST(test_tso_flood_keeps_the_physical_part_at_the_clock)
{
	struct tso_daemon d = {.disk = 0};
	daemon_start(&d, 3000);
	uint64_t now = 1700000000000ULL, last = 0, ahead_max = 0, served = 0;
	unsigned calls = 0;
	for (int i = 0; i < 100000; i++) {
		uint64_t first, ms;
		if (++calls % 100 == 0)
			now++;
		switch (tso_alloc(&d.t, now, (uint32_t)TSO_MAX_COUNT, &first, &ms)) {
		case TSO_OK:
			if (first <= last)
				ck_abort_msg("ts went back");
			last = first + TSO_MAX_COUNT - 1;
			served++;
			if (tso_physical(first) > now && tso_physical(first) - now > ahead_max)
				ahead_max = tso_physical(first) - now;
			break;
		case TSO_NEED_PERSIST:
			d.disk = ms;
			tso_set_limit(&d.t, ms);
			break;
		case TSO_WAIT:
			ck_assert_uint_eq(ms, now + 1);
			break; /* parked: retried as a new call */
		default:
			ck_abort_msg("bad count");
		}
	}
	ck_assert_uint_eq(ahead_max, 0);
	/* 1,000 ms of clock, 16 batches of 16,384 per ms. */
	ck_assert_uint_ge(served, 1000 * 16 - 16);
	ck_assert_uint_le(tso_physical(last), now);
}
END_TEST

START_TEST(test_tso_ahead_of_the_clock_moves_on_one_ms_per_tick)
{
	/* Restarted with the clock 2 s behind the persisted limit: serving
	 * starts at the limit, and each used-up millisecond waits for one
	 * tick of the clock, so the lead stays 2 s and never grows. */
	struct tso_daemon d = {.disk = 12000};
	daemon_start(&d, 3000);
	uint64_t now = 10000, first, ms;
	for (uint64_t i = 0; i < 50; i++) {
		uint64_t a = daemon_get(&d, now, 1);
		ck_assert_uint_eq(tso_physical(a), 12000 + i);
		d.t.next_logical = TSO_LOGICAL_MAX + 1; /* used up */
		ck_assert_int_eq(tso_alloc(&d.t, now, 1, &first, &ms), TSO_WAIT);
		ck_assert_uint_eq(ms, now + 1);
		now = ms;
	}
	/* The clock steps back 5 s: the same pace, its ticks counted from
	 * the new reading. */
	now -= 5000;
	uint64_t before = tso_physical(tso_last(&d.t));
	ck_assert_int_eq(tso_alloc(&d.t, now, 1, &first, &ms), TSO_WAIT);
	ck_assert_uint_eq(ms, now + 1);
	ck_assert_uint_eq(tso_physical(daemon_get(&d, now + 1, 1)), before + 1);
	d.t.next_logical = TSO_LOGICAL_MAX + 1;
	ck_assert_int_eq(tso_alloc(&d.t, now + 1, 1, &first, &ms), TSO_WAIT);
	ck_assert_uint_eq(tso_physical(daemon_get(&d, now + 2, 1)), before + 2);
	/* Once the clock passes the physical part, it is the clock again. */
	ck_assert_uint_eq(tso_physical(daemon_get(&d, before + 100, 1)), before + 100);
}
END_TEST

START_TEST(test_tso_batch_hands_out_consecutive_timestamps)
{
	struct tso_daemon d = {.disk = 0};
	daemon_start(&d, 3000);
	uint64_t a = daemon_get(&d, 1000, 100);
	uint64_t b = daemon_get(&d, 1000, 1);
	ck_assert_uint_eq(b, a + 100);
	uint64_t first, limit;
	ck_assert_int_eq(tso_alloc(&d.t, 1000, 0, &first, &limit), TSO_BAD_COUNT);
	ck_assert_int_eq(tso_alloc(&d.t, 1000, (uint32_t)TSO_MAX_COUNT + 1, &first, &limit),
			 TSO_BAD_COUNT);
	ck_assert_uint_eq(TSO_MAX_COUNT, 16384); /* the limit proto-spec documents */
	ck_assert_uint_eq(daemon_get(&d, 1000, (uint32_t)TSO_MAX_COUNT), b + 1);
}
END_TEST

START_TEST(test_tso_never_serves_at_or_beyond_the_persisted_limit)
{
	struct tso t;
	tso_init(&t, 0, 3000);
	uint64_t first, limit;
	ck_assert_int_eq(tso_alloc(&t, 10000, 1, &first, &limit), TSO_NEED_PERSIST);
	ck_assert_uint_eq(limit, 13000);
	/* Not persisted yet: still refuses. */
	ck_assert_int_eq(tso_alloc(&t, 10000, 1, &first, &limit), TSO_NEED_PERSIST);
	tso_set_limit(&t, 13000);
	ck_assert_int_eq(tso_alloc(&t, 12999, 1, &first, &limit), TSO_OK);
	ck_assert_int_eq(tso_alloc(&t, 13000, 1, &first, &limit), TSO_NEED_PERSIST);
	ck_assert_uint_eq(limit, 16000);
}
END_TEST

START_TEST(test_tso_restart_from_saved_limit_never_repeats)
{
	struct tso_daemon d = {.disk = 0};
	uint64_t now = 1000000, last = 0, seed = 99;
	for (int life = 0; life < 50; life++) {
		daemon_start(&d, 3000);
		/* The restarted process's clock may be behind the old one. */
		now -= rng(&seed) % 5000;
		uint64_t ts = daemon_get(&d, now, 1);
		ck_assert_uint_gt(ts, last);
		last = ts;
		for (int i = 0; i < 1000; i++) {
			now += rng(&seed) % 3;
			uint32_t count = 1 + (uint32_t)(rng(&seed) % 4);
			ts = daemon_get(&d, now, count);
			ck_assert_uint_gt(ts, last);
			last = ts + count - 1;
		}
	}
}
END_TEST

START_TEST(test_tso_first_physical_after_restart_is_the_limit)
{
	struct tso t;
	tso_init(&t, 50000, 3000);
	uint64_t first, limit;
	ck_assert_uint_eq(tso_last(&t), 0);
	/* Clock far behind the persisted limit: nothing below 50000 again
	 * (an earlier life may have served up to 49999.max), and no wait:
	 * ms 50000 itself was never served. */
	ck_assert_int_eq(tso_alloc(&t, 100, 1, &first, &limit), TSO_NEED_PERSIST);
	tso_set_limit(&t, limit);
	ck_assert_int_eq(tso_alloc(&t, 100, 1, &first, &limit), TSO_OK);
	ck_assert_uint_eq(tso_physical(first), 50000);
	ck_assert_uint_eq(tso_logical(first), 0);
	ck_assert_uint_eq(tso_last(&t), first);
}
END_TEST

START_TEST(test_tso_asks_to_extend_before_the_window_runs_out)
{
	struct tso t;
	tso_init(&t, 0, 3000);
	tso_set_limit(&t, 4000);
	uint64_t limit;
	ck_assert(!tso_want_extend(&t, 1000, &limit));
	ck_assert(tso_want_extend(&t, 3500, &limit));
	ck_assert_uint_eq(limit, 6500);
}
END_TEST

START_TEST(test_id_alloc_never_repeats_across_restarts)
{
	uint64_t disk = 0, last = 0;
	for (int life = 0; life < 20; life++) {
		struct idalloc a;
		idalloc_init(&a, disk, 100);
		for (int i = 0; i < 250; i++) {
			uint64_t first, limit, count = (uint64_t)(i % 7) + 1;
			enum idalloc_result res;
			while ((res = idalloc_alloc(&a, count, &first, &limit)) ==
			       IDALLOC_NEED_PERSIST) {
				ck_assert_uint_gt(limit, disk);
				disk = limit;
				idalloc_set_limit(&a, limit);
			}
			ck_assert_int_eq(res, IDALLOC_OK);
			ck_assert_uint_gt(first, last);
			ck_assert_uint_le(first + count, disk);
			last = first + count - 1;
		}
	}
}
END_TEST

START_TEST(test_id_alloc_starts_at_one_and_rejects_zero_count)
{
	struct idalloc a;
	idalloc_init(&a, 0, 10);
	uint64_t first, limit;
	ck_assert_int_eq(idalloc_alloc(&a, 1, &first, &limit), IDALLOC_NEED_PERSIST);
	idalloc_set_limit(&a, limit);
	ck_assert_int_eq(idalloc_alloc(&a, 1, &first, &limit), IDALLOC_OK);
	ck_assert_uint_eq(first, 1);
	ck_assert_int_eq(idalloc_alloc(&a, 0, &first, &limit), IDALLOC_BAD_COUNT);
}
END_TEST

START_TEST(test_id_alloc_bump_skips_ids_seen_on_disk)
{
	struct idalloc a;
	idalloc_init(&a, 100, 10);
	uint64_t limit, first;
	ck_assert(idalloc_bump(&a, 500, &limit));
	ck_assert_uint_eq(limit, 510);
	idalloc_set_limit(&a, limit);
	ck_assert_int_eq(idalloc_alloc(&a, 1, &first, &limit), IDALLOC_OK);
	ck_assert_uint_eq(first, 500);
	ck_assert(!idalloc_bump(&a, 10, &limit));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sched_alloc");
	TCase *tc = tcase_create("tso");
	tcase_add_loop_test(tc, test_tso_is_strictly_increasing_under_random_clock_jumps, 0, 2);
	tcase_add_test(tc, test_tso_waits_for_the_clock_when_a_millisecond_is_used_up);
	tcase_add_test(tc, test_tso_flood_keeps_the_physical_part_at_the_clock);
	tcase_add_test(tc, test_tso_ahead_of_the_clock_moves_on_one_ms_per_tick);
	tcase_add_test(tc, test_tso_batch_hands_out_consecutive_timestamps);
	tcase_add_test(tc, test_tso_never_serves_at_or_beyond_the_persisted_limit);
	tcase_add_test(tc, test_tso_restart_from_saved_limit_never_repeats);
	tcase_add_test(tc, test_tso_first_physical_after_restart_is_the_limit);
	tcase_add_test(tc, test_tso_asks_to_extend_before_the_window_runs_out);
	suite_add_tcase(s, tc);
	TCase *ti = tcase_create("id_alloc");
	tcase_add_test(ti, test_id_alloc_never_repeats_across_restarts);
	tcase_add_test(ti, test_id_alloc_starts_at_one_and_rejects_zero_count);
	tcase_add_test(ti, test_id_alloc_bump_skips_ids_seen_on_disk);
	suite_add_tcase(s, ti);
	return fx_run(s);
}
