/* Unit tests of the recovery side of Percolator (txn_cmds.h): check-txn-
 * status with TTL expiry, resolve-lock, scan, GC, and whole transactions
 * that a reader has to clean up after. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "txn/test_cmd_helpers.h"

/* ---- check-txn-status ---- */

START_TEST(test_check_status_rolls_back_an_expired_lock)
{
	uint64_t lock_ts = mvcc_ts_compose(5000, 3);
	ck_assert_int_eq(prewrite_ttl(MUTS(PUT(K(3), K(42))), K(3), lock_ts, 8, NULL), TK_OK);
	struct txn_check_status_resp r;
	ck_assert_int_eq(check_status(K(3), lock_ts, ms(5009), &r), TK_OK);
	ck_assert_int_eq(r.status, TXN_STATUS_ROLLED_BACK);
	ck_assert_int_eq(r.action, TXN_ACTION_TTL_EXPIRE_ROLLBACK);
	ts_assert_lens(0, 0, 1);
	ck_assert(write_is(K(3), lock_ts, MVCC_WRITE_ROLLBACK, lock_ts));
	/* A retry sees the rollback and does nothing more. */
	ck_assert_int_eq(check_status(K(3), lock_ts, ms(5009), &r), TK_OK);
	ck_assert_int_eq(r.status, TXN_STATUS_ROLLED_BACK);
	ck_assert_int_eq(r.action, TXN_ACTION_NONE);
	ts_assert_lens(0, 0, 1);
	/* The txn can no longer commit. */
	ck_assert_int_eq(commit(KEYS(K(3)), lock_ts, ms(6000), NULL), TK_E_TXN_ROLLED_BACK);
}
END_TEST

START_TEST(test_check_status_keeps_a_live_lock_and_reports_its_ttl)
{
	uint64_t lock_ts = mvcc_ts_compose(5000, 3);
	ck_assert_int_eq(prewrite_ttl(MUTS(PUT(K(3), K(42))), K(3), lock_ts, 8, NULL), TK_OK);
	struct txn_check_status_resp r;
	/* At exactly start + ttl the lock is still alive. */
	ck_assert_int_eq(check_status(K(3), lock_ts, ms(5008), &r), TK_OK);
	ck_assert_int_eq(r.status, TXN_STATUS_LOCKED);
	ck_assert_int_eq(r.action, TXN_ACTION_NONE);
	ck_assert_uint_eq(r.lock.ttl_ms, 8);
	ck_assert_uint_eq(r.lock.start_ts, lock_ts);
	ts_assert_lens(1, 1, 0);
	/* A current_ts older than the lock never expires it. */
	ck_assert_int_eq(check_status(K(3), lock_ts, ms(10), &r), TK_OK);
	ck_assert_int_eq(r.status, TXN_STATUS_LOCKED);
}
END_TEST

START_TEST(test_check_status_of_a_rolled_back_txn_changes_nothing)
{
	uint64_t lock_ts = mvcc_ts_compose(5000, 3);
	ts_put_value(K(3), lock_ts, K(42));
	ts_put_write(K(3), lock_ts, MVCC_WRITE_ROLLBACK, lock_ts);
	ts_put_lock(K(3), K(3), mvcc_ts_compose(8000, 0), 8, MVCC_LOCK_PUT); /* another txn */
	struct txn_check_status_resp r;
	ck_assert_int_eq(check_status(K(3), lock_ts, ms(9000), &r), TK_OK);
	ck_assert_int_eq(r.status, TXN_STATUS_ROLLED_BACK);
	ck_assert_int_eq(r.action, TXN_ACTION_NONE);
	ck_assert_uint_eq(r.commit_ts, 0);
	ts_assert_lens(1, 1, 1);
}
END_TEST

START_TEST(test_check_status_of_a_committed_txn_reports_the_commit_ts)
{
	uint64_t lock_ts = mvcc_ts_compose(5000, 3);
	ts_put_committed(K(3), lock_ts, mvcc_ts_compose(5000, 9), K(42));
	struct txn_check_status_resp r;
	ck_assert_int_eq(check_status(K(3), lock_ts, ms(9000), &r), TK_OK);
	ck_assert_int_eq(r.status, TXN_STATUS_COMMITTED);
	ck_assert_int_eq(r.action, TXN_ACTION_NONE);
	ck_assert_uint_eq(r.commit_ts, mvcc_ts_compose(5000, 9));
	ts_assert_lens(1, 0, 1);
}
END_TEST

START_TEST(test_check_status_with_no_lock_and_no_record_rolls_back)
{
	uint64_t lock_ts = mvcc_ts_compose(5000, 3);
	struct txn_check_status_resp r;
	ck_assert_int_eq(check_status(K(3), lock_ts, ms(5001), &r), TK_OK);
	ck_assert_int_eq(r.status, TXN_STATUS_ROLLED_BACK);
	ck_assert_int_eq(r.action, TXN_ACTION_LOCK_NOT_EXIST_ROLLBACK);
	ts_assert_lens(0, 0, 1);
	ck_assert(write_is(K(3), lock_ts, MVCC_WRITE_ROLLBACK, lock_ts));
	/* A retry finds the record it left. */
	ck_assert_int_eq(check_status(K(3), lock_ts, ms(5001), &r), TK_OK);
	ck_assert_int_eq(r.status, TXN_STATUS_ROLLED_BACK);
	ck_assert_int_eq(r.action, TXN_ACTION_NONE);
	/* The prewrite that was still in flight arrives: refused. */
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), lock_ts, NULL),
			 TK_E_TXN_ROLLED_BACK);
	ts_assert_lens(0, 0, 1);
}
END_TEST

START_TEST(test_check_status_ignores_a_lock_of_another_txn_on_the_primary)
{
	uint64_t lock_ts = mvcc_ts_compose(5000, 3), other = mvcc_ts_compose(6000, 0);
	ts_put_lock(K(3), K(3), other, 100000, MVCC_LOCK_PUT);
	struct txn_check_status_resp r;
	ck_assert_int_eq(check_status(K(3), lock_ts, ms(7000), &r), TK_OK);
	ck_assert_int_eq(r.status, TXN_STATUS_ROLLED_BACK);
	ck_assert_int_eq(r.action, TXN_ACTION_LOCK_NOT_EXIST_ROLLBACK);
	struct mvcc_lock l;
	ck_assert(ts_get_lock(K(3), &l) && l.start_ts == other);
}
END_TEST

/* ---- heart beat ---- */

START_TEST(test_heart_beat_extends_the_primary_ttl_and_keeps_the_txn_alive)
{
	uint64_t lock_ts = mvcc_ts_compose(5000, 0);
	ck_assert_int_eq(prewrite_ttl(MUTS(PUT(K(3), K(42))), K(3), lock_ts, 8, NULL), TK_OK);
	struct txn_heart_beat_resp hb;
	ck_assert_int_eq(heart_beat(K(3), lock_ts, 100, &hb), TK_OK);
	ck_assert_uint_eq(hb.ttl_ms, 100);
	/* A smaller advice never shortens it; a retry changes nothing. */
	ck_assert_int_eq(heart_beat(K(3), lock_ts, 50, &hb), TK_OK);
	ck_assert_uint_eq(hb.ttl_ms, 100);
	struct txn_check_status_resp r;
	ck_assert_int_eq(check_status(K(3), lock_ts, ms(5050), &r), TK_OK);
	ck_assert_int_eq(r.status, TXN_STATUS_LOCKED);
	ck_assert_uint_eq(r.lock.ttl_ms, 100);
	ck_assert_int_eq(check_status(K(3), lock_ts, ms(5101), &r), TK_OK);
	ck_assert_int_eq(r.status, TXN_STATUS_ROLLED_BACK);
}
END_TEST

START_TEST(test_heart_beat_of_a_finished_txn_is_txn_not_found)
{
	struct txn_heart_beat_resp hb;
	ck_assert_int_eq(heart_beat(K(3), 100, 100, &hb), TK_E_TXN_NOT_FOUND);
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), 100, NULL), TK_OK);
	ck_assert_int_eq(commit(KEYS(K(3)), 100, 110, NULL), TK_OK);
	ck_assert_int_eq(heart_beat(K(3), 100, 100, &hb), TK_E_TXN_NOT_FOUND);
	ck_assert_int_eq(hb.err.code, TK_E_TXN_NOT_FOUND);
	ts_assert_lens(1, 0, 1);
}
END_TEST

/* ---- resolve lock ---- */

static void three_locks(void)
{
	ts_put_value(K(3), 100, K(42));
	ts_put_lock(K(3), K(3), 100, 0, MVCC_LOCK_PUT);
	ts_put_value(K(7), 100, K(43));
	ts_put_lock(K(7), K(3), 100, 0, MVCC_LOCK_PUT);
	ts_put_value(K(200), 110, K(44));
	ts_put_lock(K(200), K(200), 110, 0, MVCC_LOCK_PUT);
}

START_TEST(test_resolve_with_nothing_to_resolve_writes_nothing)
{
	struct txn_resolve_resp r;
	ck_assert_int_eq(resolve(100, 0, 0, &r), TK_OK);
	ck_assert_uint_eq(r.n_resolved, 0);
	ts_assert_lens(0, 0, 0);
}
END_TEST

START_TEST(test_resolve_commit_commits_every_lock_of_the_txn)
{
	three_locks();
	struct txn_resolve_resp r;
	ck_assert_int_eq(resolve(100, 120, 0, &r), TK_OK);
	ck_assert_uint_eq(r.n_resolved, 2);
	ts_assert_lens(3, 1, 2);
	ck_assert(write_is(K(3), 120, MVCC_WRITE_PUT, 100));
	ck_assert(write_is(K(7), 120, MVCC_WRITE_PUT, 100));
	struct mvcc_lock l;
	ck_assert(ts_get_lock(K(200), &l) && l.start_ts == 110);
	ck_assert(get_is(K(7), 130, K(43)));
}
END_TEST

START_TEST(test_resolve_rollback_rolls_back_every_lock_of_the_txn)
{
	three_locks();
	ck_assert_int_eq(resolve(100, 0, 0, NULL), TK_OK);
	ts_assert_lens(1, 1, 2);
	ck_assert(write_is(K(3), 100, MVCC_WRITE_ROLLBACK, 100));
	ck_assert(write_is(K(7), 100, MVCC_WRITE_ROLLBACK, 100));
}
END_TEST

START_TEST(test_resolve_of_keys_already_committed_or_rolled_back_changes_nothing)
{
	ts_put_value(K(3), 100, K(42));
	ts_put_write(K(201), 120, MVCC_WRITE_PUT, 100);
	ts_put_value(K(7), 100, K(43));
	ts_put_write(K(201), 100, MVCC_WRITE_ROLLBACK, 100);
	ts_put_value(K(200), 110, K(44));
	ts_put_lock(K(200), K(200), 110, 0, MVCC_LOCK_PUT);
	ck_assert_int_eq(resolve(100, 120, 0, NULL), TK_OK);
	ts_assert_lens(3, 1, 2);
	ck_assert_int_eq(resolve(100, 0, 0, NULL), TK_OK);
	ts_assert_lens(3, 1, 2);
}
END_TEST

START_TEST(test_resolve_retry_is_idempotent)
{
	three_locks();
	ck_assert_int_eq(resolve(100, 120, 0, NULL), TK_OK);
	struct txn_resolve_resp r;
	ck_assert_int_eq(resolve(100, 120, 0, &r), TK_OK);
	ck_assert_uint_eq(r.n_resolved, 0);
	ts_assert_lens(3, 1, 2);
}
END_TEST

START_TEST(test_resolve_with_a_limit_continues_on_the_next_call)
{
	for (uint8_t i = 0; i < 10; i++) {
		ts_put_value(K(i), 100, K(i));
		ts_put_lock(K(i), K(0), 100, 0, MVCC_LOCK_PUT);
	}
	struct txn_resolve_resp r;
	int calls = 0;
	do {
		ck_assert_int_eq(resolve(100, 120, 4, &r), TK_OK);
		ck_assert_uint_le(r.n_resolved, 4);
		calls++;
	} while (r.more);
	ck_assert_int_eq(calls, 3);
	ts_assert_lens(10, 0, 10);
}
END_TEST

START_TEST(test_resolve_stays_inside_its_key_range)
{
	three_locks();
	struct txn_resolve_req req = {100, 0, K(5), K(200), 0};
	struct txn_resolve_resp r;
	ck_assert_int_eq(txn_resolve_lock(&E->view, E->batch, &req, &r, &E->eb), TK_OK);
	finish(TK_OK);
	ck_assert_uint_eq(r.n_resolved, 1);
	struct mvcc_lock l;
	ck_assert(ts_get_lock(K(3), &l));
	ck_assert(!ts_get_lock(K(7), &l));
}
END_TEST

/* ---- scan lock ---- */

START_TEST(test_scan_lock_lists_the_locks_at_or_below_max_ts)
{
	three_locks();
	ts_put_lock(K(9), K(3), 100, 7, MVCC_LOCK_LOCK);
	struct txn_scan_lock_resp r;
	ck_assert_int_eq(scan_lock(105, 0, &r), TK_OK);
	ck_assert_uint_eq(r.n_locks, 3);
	ck_assert(tk_slice_eq(r.locks[0].key, K(3)));
	ck_assert(tk_slice_eq(r.locks[1].key, K(7)));
	ck_assert(tk_slice_eq(r.locks[1].primary, K(3)));
	ck_assert(tk_slice_eq(r.locks[2].key, K(9)));
	ck_assert_int_eq(r.locks[2].kind, MVCC_LOCK_LOCK);
	ck_assert_uint_eq(r.locks[2].ttl_ms, 7);
	ck_assert_int_eq(scan_lock(110, 0, &r), TK_OK);
	ck_assert_uint_eq(r.n_locks, 4);
	ck_assert_int_eq(scan_lock(99, 0, &r), TK_OK);
	ck_assert_uint_eq(r.n_locks, 0);
}
END_TEST

START_TEST(test_scan_lock_stops_at_its_limit)
{
	for (uint8_t i = 0; i < 40; i++)
		ts_put_lock(K(i), K(0), 100, 0, MVCC_LOCK_PUT);
	struct txn_scan_lock_resp r;
	ck_assert_int_eq(scan_lock(100, 25, &r), TK_OK);
	ck_assert_uint_eq(r.n_locks, 25);
	ck_assert(r.more);
	ck_assert(tk_slice_eq(r.locks[24].key, K(24)));
	ck_assert_int_eq(scan_lock(100, 0, &r), TK_OK);
	ck_assert_uint_eq(r.n_locks, 40);
	ck_assert(!r.more);
}
END_TEST

/* ---- scan ---- */

/* Keys committed before 100, after 100, started before but committed after,
 * and one deleted then re-put (after TinyKV's scan fixture). */
static void scan_fixture(void)
{
	struct {
		struct tk_slice k;
		uint64_t s, c;
		struct tk_slice v;
	} d[] = {
		{K(1), 80, 99, K(50)},       {K(1, 23), 80, 99, K(55)},  {K(3), 80, 99, K(51)},
		{K(3, 45), 80, 99, K(56)},   {K(3, 46), 80, 99, K(57)},  {K(3, 47), 80, 99, K(58)},
		{K(3, 48), 80, 99, K(59)},   {K(4), 80, 99, K(52)},      {K(120), 80, 99, K(53)},
		{K(199), 80, 99, K(54)},     {K(4, 45), 110, 116, K(58)}, {K(4, 46), 110, 116, K(57)},
		{K(4, 47), 110, 116, K(58)}, {K(4, 48), 110, 116, K(59)}, {K(5, 45), 97, 101, K(60)},
		{K(5, 46), 97, 101, K(61)},  {K(5, 47), 97, 101, K(62)},  {K(5, 48), 97, 101, K(63)},
		{K(150), 80, 99, K(42)},     {K(150), 110, 116, K(64)},
	};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		ts_put_committed(d[i].k, d[i].s, d[i].c, d[i].v);
	ts_put_write(K(150), 101, MVCC_WRITE_DELETE, 97);
}

static bool pair_is(const struct txn_scan_resp *r, size_t i, struct tk_slice k, struct tk_slice v)
{
	return i < r->n_pairs && tk_slice_eq(r->pairs[i].key, k) && tk_slice_eq(r->pairs[i].value, v) &&
	       r->pairs[i].err.code == TK_OK;
}

START_TEST(test_scan_past_the_last_key_is_empty)
{
	scan_fixture();
	struct txn_scan_resp r;
	ck_assert_int_eq(scan(K(200), NONE, 10000, 100, false, &r), TK_OK);
	ck_assert_uint_eq(r.n_pairs, 0);
}
END_TEST

START_TEST(test_scan_with_limit_zero_is_empty)
{
	scan_fixture();
	struct txn_scan_resp r;
	ck_assert_int_eq(scan(K(3), NONE, 0, 100, false, &r), TK_OK);
	ck_assert_uint_eq(r.n_pairs, 0);
}
END_TEST

START_TEST(test_scan_of_everything_sees_exactly_the_versions_at_its_ts)
{
	scan_fixture();
	struct txn_scan_resp r;
	ck_assert_int_eq(scan(K(0), NONE, 10000, 100, false, &r), TK_OK);
	ck_assert_uint_eq(r.n_pairs, 11);
	ck_assert(pair_is(&r, 0, K(1), K(50)));
	ck_assert(pair_is(&r, 1, K(1, 23), K(55)));
	ck_assert(pair_is(&r, 7, K(4), K(52)));
	ck_assert(pair_is(&r, 8, K(120), K(53)));
	ck_assert(pair_is(&r, 9, K(150), K(42)));
	ck_assert(pair_is(&r, 10, K(199), K(54)));
}
END_TEST

START_TEST(test_scan_stops_at_its_limit)
{
	scan_fixture();
	struct txn_scan_resp r;
	ck_assert_int_eq(scan(K(2), NONE, 6, 100, false, &r), TK_OK);
	ck_assert_uint_eq(r.n_pairs, 6);
	ck_assert(pair_is(&r, 0, K(3), K(51)));
	ck_assert(pair_is(&r, 1, K(3, 45), K(56)));
	ck_assert(pair_is(&r, 5, K(4), K(52)));
}
END_TEST

START_TEST(test_scan_over_a_deleted_then_replaced_key)
{
	scan_fixture();
	struct txn_scan_resp r;
	ck_assert_int_eq(scan(K(100), NONE, 10000, 100, false, &r), TK_OK);
	ck_assert_uint_eq(r.n_pairs, 3);
	ck_assert(pair_is(&r, 1, K(150), K(42)));
	ck_assert_int_eq(scan(K(100), NONE, 10000, 105, false, &r), TK_OK);
	ck_assert_uint_eq(r.n_pairs, 2);
	ck_assert(pair_is(&r, 0, K(120), K(53)));
	ck_assert(pair_is(&r, 1, K(199), K(54)));
	ck_assert_int_eq(scan(K(100), NONE, 10000, 120, false, &r), TK_OK);
	ck_assert_uint_eq(r.n_pairs, 3);
	ck_assert(pair_is(&r, 1, K(150), K(64)));
}
END_TEST

START_TEST(test_scan_at_a_later_ts_sees_later_commits)
{
	scan_fixture();
	struct txn_scan_resp r;
	ck_assert_int_eq(scan(K(4), K(6), 10000, 200, false, &r), TK_OK);
	ck_assert_uint_eq(r.n_pairs, 9); /* 4, 4.45-48, 5.45-48 */
	ck_assert(pair_is(&r, 1, K(4, 45), K(58)));
	ck_assert(pair_is(&r, 8, K(5, 48), K(63)));
}
END_TEST

START_TEST(test_scan_reports_locked_keys_and_goes_on)
{
	scan_fixture();
	ts_put_lock(K(3, 46), K(3), 90, 10, MVCC_LOCK_PUT);
	ts_put_lock(K(3, 47), K(3), 150, 10, MVCC_LOCK_PUT); /* newer than the scan */
	ts_put_lock(K(3, 50), K(3), 90, 10, MVCC_LOCK_PUT);  /* a key not yet written */
	struct txn_scan_resp r;
	ck_assert_int_eq(scan(K(3), K(4), 100, 100, false, &r), TK_E_KEY_LOCKED);
	ck_assert_uint_eq(r.n_pairs, 6);
	ck_assert(pair_is(&r, 1, K(3, 45), K(56)));
	ck_assert_int_eq(r.pairs[2].err.code, TK_E_KEY_LOCKED);
	ck_assert(tk_slice_eq(r.pairs[2].key, K(3, 46)));
	ck_assert_uint_eq(r.pairs[2].err.lock.start_ts, 90);
	ck_assert(pair_is(&r, 3, K(3, 47), K(58)));
	ck_assert(pair_is(&r, 4, K(3, 48), K(59)));
	ck_assert_int_eq(r.pairs[5].err.code, TK_E_KEY_LOCKED);
	ck_assert(tk_slice_eq(r.pairs[5].key, K(3, 50)));
}
END_TEST

START_TEST(test_scan_key_only_returns_keys_without_values)
{
	scan_fixture();
	struct txn_scan_resp r;
	ck_assert_int_eq(scan(K(3), K(4), 100, 100, true, &r), TK_OK);
	ck_assert_uint_eq(r.n_pairs, 5);
	for (size_t i = 0; i < r.n_pairs; i++)
		ck_assert_uint_eq(r.pairs[i].value.n, 0);
	ck_assert(tk_slice_eq(r.pairs[4].key, K(3, 48)));
}
END_TEST

START_TEST(test_scan_of_a_large_range_grows_its_result)
{
	char k[16];
	for (int i = 0; i < 300; i++) {
		snprintf(k, sizeof(k), "key%04d", i);
		ts_put_committed(S(k), 10, 11, S(k));
	}
	struct txn_scan_resp r;
	ck_assert_int_eq(scan(S(""), NONE, 1000, 20, false, &r), TK_OK);
	ck_assert_uint_eq(r.n_pairs, 300);
	ck_assert(pair_is(&r, 299, S("key0299"), S("key0299")));
}
END_TEST

START_TEST(test_scan_of_an_inverted_or_empty_range_is_empty)
{
	scan_fixture();
	struct txn_scan_resp r;
	ck_assert_int_eq(scan(K(5), K(3), 100, 200, false, &r), TK_OK);
	ck_assert_uint_eq(r.n_pairs, 0);
	ck_assert_int_eq(scan(K(3), K(3), 100, 200, false, &r), TK_OK);
	ck_assert_uint_eq(r.n_pairs, 0);
}
END_TEST

START_TEST(test_ranges_with_an_absent_start_begin_at_the_first_key)
{
	ts_put_committed(tk_slice_of("", 0), 10, 11, K(7)); /* the empty key is a key */
	ts_put_committed(K(0), 10, 11, K(8));
	ts_put_lock(K(1), K(1), 20, 0, MVCC_LOCK_PUT);
	struct txn_scan_resp r;
	ck_assert_int_eq(scan(NONE, NONE, 100, 15, false, &r), TK_OK);
	ck_assert_uint_eq(r.n_pairs, 2);
	ck_assert_uint_eq(r.pairs[0].key.n, 0);
	ck_assert(pair_is(&r, 1, K(0), K(8)));
	struct txn_scan_lock_req sl = {100, NONE, NONE, 0};
	struct txn_scan_lock_resp slr;
	ck_assert_int_eq(txn_scan_lock(&E->view, &sl, &slr, &E->arena, &E->eb), TK_OK);
	ck_assert_uint_eq(slr.n_locks, 1);
	struct txn_resolve_req rq = {20, 0, NONE, NONE, 0};
	struct txn_resolve_resp rr;
	ck_assert_int_eq(txn_resolve_lock(&E->view, E->batch, &rq, &rr, &E->eb), TK_OK);
	finish(TK_OK);
	ck_assert_uint_eq(rr.n_resolved, 1);
	ts_put_committed(tk_slice_of("", 0), 12, 13, K(9));
	struct txn_gc_resp g;
	ck_assert_int_eq(gc(100, 0, NONE, &g), TK_OK);
	ck_assert_uint_eq(g.n_deleted, 2); /* the old empty-key version, the rollback */
}
END_TEST

/* ---- gc ---- */

START_TEST(test_gc_keeps_the_newest_version_below_the_safe_point)
{
	ts_put_committed(K(1), 10, 11, K(1));
	ts_put_committed(K(1), 20, 21, K(2));
	ts_put_committed(K(1), 30, 31, K(3));
	ts_put_committed(K(1), 40, 41, K(4)); /* above the safe point */
	struct txn_gc_resp r;
	ck_assert_int_eq(gc(35, 0, NONE, &r), TK_OK);
	ck_assert_uint_eq(r.n_deleted, 2);
	ts_assert_lens(2, 0, 2);
	ck_assert(get_is(K(1), 35, K(3)));
	ck_assert(get_is(K(1), 41, K(4)));
	ck_assert(!ts_has_value(K(1), 10) && !ts_has_value(K(1), 20));
}
END_TEST

START_TEST(test_gc_keeps_a_version_committed_exactly_at_the_safe_point)
{
	ts_put_committed(K(1), 10, 11, K(1));
	ts_put_committed(K(1), 20, 35, K(2));
	struct txn_gc_resp r;
	ck_assert_int_eq(gc(35, 0, NONE, &r), TK_OK);
	ck_assert_uint_eq(r.n_deleted, 1);
	ts_assert_lens(1, 0, 1);
	ck_assert(get_is(K(1), 35, K(2)));
}
END_TEST

START_TEST(test_gc_removes_rollback_and_lock_records_below_the_safe_point)
{
	ts_put_committed(K(1), 10, 11, K(1));
	ts_put_write(K(1), 15, MVCC_WRITE_ROLLBACK, 15);
	ts_put_write(K(1), 17, MVCC_WRITE_LOCK, 16);
	ts_put_write(K(1), 50, MVCC_WRITE_ROLLBACK, 50); /* above: kept */
	struct txn_gc_resp r;
	ck_assert_int_eq(gc(20, 0, NONE, &r), TK_OK);
	ck_assert_uint_eq(r.n_deleted, 2);
	ts_assert_lens(1, 0, 2);
	ck_assert(get_is(K(1), 20, K(1)));
}
END_TEST

START_TEST(test_gc_removes_a_key_deleted_below_the_safe_point)
{
	ts_put_committed(K(1), 10, 11, K(1));
	ts_put_write(K(1), 13, MVCC_WRITE_DELETE, 12);
	ts_put_committed(K(2), 10, 11, K(2));
	struct txn_gc_resp r;
	ck_assert_int_eq(gc(20, 0, NONE, &r), TK_OK);
	ts_assert_lens(1, 0, 1);
	ck_assert(get_absent(K(1), 20));
	ck_assert(get_is(K(2), 20, K(2)));
}
END_TEST

START_TEST(test_gc_keeps_everything_above_the_safe_point)
{
	ts_put_committed(K(1), 10, 11, K(1));
	ts_put_write(K(1), 13, MVCC_WRITE_DELETE, 12);
	ts_put_committed(K(1), 14, 15, K(3));
	struct txn_gc_resp r;
	ck_assert_int_eq(gc(5, 0, NONE, &r), TK_OK);
	ck_assert_uint_eq(r.n_deleted, 0);
	ts_assert_lens(2, 0, 3);
}
END_TEST

START_TEST(test_gc_twice_is_idempotent)
{
	ts_put_committed(K(1), 10, 11, K(1));
	ts_put_committed(K(1), 20, 21, K(2));
	struct txn_gc_resp r;
	ck_assert_int_eq(gc(30, 0, NONE, &r), TK_OK);
	ck_assert_uint_eq(r.n_deleted, 1);
	ck_assert_int_eq(gc(30, 0, NONE, &r), TK_OK);
	ck_assert_uint_eq(r.n_deleted, 0);
	ck_assert(get_is(K(1), 30, K(2)));
}
END_TEST

START_TEST(test_gc_with_a_limit_resumes_at_the_next_key)
{
	for (uint8_t i = 1; i <= 5; i++) {
		ts_put_committed(K(i), 10, 11, K(i));
		ts_put_committed(K(i), 20, 21, K(i));
	}
	struct txn_gc_resp r;
	ck_assert_int_eq(gc(30, 2, NONE, &r), TK_OK);
	ck_assert(r.more);
	ck_assert_uint_eq(r.n_keys, 2);
	ck_assert(tk_slice_eq(r.next_key, K(3)));
	ts_assert_lens(8, 0, 8);
	struct tk_slice next = r.next_key;
	ck_assert_int_eq(gc(30, 0, next, &r), TK_OK);
	ck_assert(!r.more);
	ts_assert_lens(5, 0, 5);
}
END_TEST

/* ---- whole transactions ---- */

START_TEST(test_two_phase_commit_with_a_secondary_resolved_after_the_primary)
{
	ck_assert_int_eq(prewrite_ttl(MUTS(PUT(K(1), K(10)), PUT(K(2), K(20)), DEL(K(3))), K(1),
				      ms(1000), 5, NULL),
			 TK_OK);
	ts_put_committed(K(3), ms(10), ms(11), K(30));
	/* The client commits the primary and dies. */
	ck_assert_int_eq(commit(KEYS(K(1)), ms(1000), ms(1001), NULL), TK_OK);
	/* A reader hits the secondary's lock, asks the primary, resolves. */
	struct txn_get_resp g;
	ck_assert_int_eq(get(K(2), ms(2000), &g), TK_E_KEY_LOCKED);
	struct txn_check_status_resp st;
	ck_assert_int_eq(check_status(g.err.lock.primary, g.err.lock.start_ts, ms(2000), &st), TK_OK);
	ck_assert_int_eq(st.status, TXN_STATUS_COMMITTED);
	ck_assert_int_eq(resolve(g.err.lock.start_ts, st.commit_ts, 0, NULL), TK_OK);
	ck_assert(get_is(K(2), ms(2000), K(20)));
	ck_assert(get_absent(K(3), ms(2000)));
	ck_assert(get_is(K(3), ms(500), K(30)));
	ts_assert_lens(3, 0, 4);
}
END_TEST

START_TEST(test_abandoned_txn_is_rolled_back_after_its_ttl_and_cannot_commit)
{
	ck_assert_int_eq(prewrite_ttl(MUTS(PUT(K(1), K(10)), PUT(K(2), K(20))), K(1), ms(1000), 5,
				      NULL),
			 TK_OK);
	struct txn_check_status_resp st;
	ck_assert_int_eq(check_status(K(1), ms(1000), ms(1003), &st), TK_OK);
	ck_assert_int_eq(st.status, TXN_STATUS_LOCKED);
	ck_assert_int_eq(check_status(K(1), ms(1000), ms(1006), &st), TK_OK);
	ck_assert_int_eq(st.status, TXN_STATUS_ROLLED_BACK);
	ck_assert_int_eq(resolve(ms(1000), 0, 0, NULL), TK_OK);
	ts_assert_lens(0, 0, 2);
	ck_assert_int_eq(commit(KEYS(K(1), K(2)), ms(1000), ms(1007), NULL), TK_E_TXN_ROLLED_BACK);
	ck_assert(get_absent(K(2), ms(3000)));
}
END_TEST

START_TEST(test_commands_read_through_a_snapshot)
{
	ck_assert_int_eq(prewrite(MUTS(PUT(K(1), K(10))), K(1), 100, NULL), TK_OK);
	struct eng_snap *snap = eng_snapshot(E->eng);
	ck_assert_int_eq(commit(KEYS(K(1)), 100, 110, NULL), TK_OK);
	struct mvcc_view sv = {E->eng, snap};
	struct txn_get_req req = {K(1), 200};
	struct txn_get_resp r;
	ck_assert_int_eq(txn_get(&sv, &req, &r, &E->arena, &E->eb), TK_E_KEY_LOCKED);
	eng_snap_release(E->eng, snap);
	ck_assert(get_is(K(1), 200, K(10)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("txn_resolve");
	struct {
		const char *name;
		const TTest *tests[20];
	} groups[] = {
		{"check_txn_status",
		 {test_check_status_rolls_back_an_expired_lock,
		  test_check_status_keeps_a_live_lock_and_reports_its_ttl,
		  test_check_status_of_a_rolled_back_txn_changes_nothing,
		  test_check_status_of_a_committed_txn_reports_the_commit_ts,
		  test_check_status_with_no_lock_and_no_record_rolls_back,
		  test_check_status_ignores_a_lock_of_another_txn_on_the_primary}},
		{"heart_beat",
		 {test_heart_beat_extends_the_primary_ttl_and_keeps_the_txn_alive,
		  test_heart_beat_of_a_finished_txn_is_txn_not_found}},
		{"resolve",
		 {test_resolve_with_nothing_to_resolve_writes_nothing,
		  test_resolve_commit_commits_every_lock_of_the_txn,
		  test_resolve_rollback_rolls_back_every_lock_of_the_txn,
		  test_resolve_of_keys_already_committed_or_rolled_back_changes_nothing,
		  test_resolve_retry_is_idempotent, test_resolve_with_a_limit_continues_on_the_next_call,
		  test_resolve_stays_inside_its_key_range}},
		{"scan_lock",
		 {test_scan_lock_lists_the_locks_at_or_below_max_ts, test_scan_lock_stops_at_its_limit}},
		{"scan",
		 {test_scan_past_the_last_key_is_empty, test_scan_with_limit_zero_is_empty,
		  test_scan_of_everything_sees_exactly_the_versions_at_its_ts, test_scan_stops_at_its_limit,
		  test_scan_over_a_deleted_then_replaced_key, test_scan_at_a_later_ts_sees_later_commits,
		  test_scan_reports_locked_keys_and_goes_on,
		  test_scan_key_only_returns_keys_without_values,
		  test_scan_of_a_large_range_grows_its_result,
		  test_scan_of_an_inverted_or_empty_range_is_empty,
		  test_ranges_with_an_absent_start_begin_at_the_first_key}},
		{"gc",
		 {test_gc_keeps_the_newest_version_below_the_safe_point,
		  test_gc_keeps_a_version_committed_exactly_at_the_safe_point,
		  test_gc_removes_rollback_and_lock_records_below_the_safe_point,
		  test_gc_removes_a_key_deleted_below_the_safe_point,
		  test_gc_keeps_everything_above_the_safe_point, test_gc_twice_is_idempotent,
		  test_gc_with_a_limit_resumes_at_the_next_key}},
		{"txn",
		 {test_two_phase_commit_with_a_secondary_resolved_after_the_primary,
		  test_abandoned_txn_is_rolled_back_after_its_ttl_and_cannot_commit,
		  test_commands_read_through_a_snapshot}},
	};
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		TCase *tc = tcase_create(groups[g].name);
		tcase_add_checked_fixture(tc, ts_setup, ts_teardown);
		for (size_t i = 0; i < 20 && groups[g].tests[i]; i++)
			tcase_add_test(tc, groups[g].tests[i]);
		suite_add_tcase(s, tc);
	}
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
