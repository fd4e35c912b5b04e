/* Unit tests of the Percolator commands get, prewrite, commit and batch
 * rollback (txn_cmds.h) over a real engine: every rule, their retries, and
 * the orderings that go wrong in practice (a rollback before its prewrite, a
 * commit after a rollback). */
#include <check.h>
#include <stdlib.h>

#include "txn/test_cmd_helpers.h"

/* ---- get ---- */

START_TEST(test_get_returns_the_committed_value)
{
	ts_put_committed(K(99), 50, 54, K(42));
	ck_assert(get_is(K(99), MVCC_TS_MAX, K(42)));
	for (int i = 0; i < 3; i++)
		ck_assert(get_is(K(99), 100, K(42)));
}
END_TEST

START_TEST(test_get_on_an_empty_store_is_not_found)
{
	ck_assert(get_absent(K(100), MVCC_TS_MAX));
}
END_TEST

START_TEST(test_get_of_a_key_between_two_others_is_not_found)
{
	ts_put_committed(K(99), 50, 54, K(42));
	ts_put_committed(K(101), 50, 54, K(42));
	ck_assert(get_absent(K(100), MVCC_TS_MAX));
}
END_TEST

START_TEST(test_get_sees_the_version_committed_at_or_before_its_ts)
{
	ts_put_committed(K(99), 50, 54, K(42));
	ts_put_committed(K(99), 60, 66, K(43));
	ts_put_committed(K(99), 120, 122, K(44));
	ck_assert(get_absent(K(99), 40));
	ck_assert(get_is(K(99), 56, K(42)));
	ck_assert(get_is(K(99), 60, K(42)));
	ck_assert(get_is(K(99), 65, K(42)));
	ck_assert(get_is(K(99), 66, K(43)));
	ck_assert(get_is(K(99), 100, K(43)));
	ck_assert(get_is(K(99), 122, K(44)));
}
END_TEST

START_TEST(test_get_after_a_delete_is_not_found_until_the_next_put)
{
	ts_put_committed(K(99), 50, 54, K(42));
	ts_put_write(K(99), 66, MVCC_WRITE_DELETE, 60);
	ts_put_committed(K(99), 120, 122, K(44));
	ck_assert(get_is(K(99), 54, K(42)));
	ck_assert(get_is(K(99), 60, K(42)));
	ck_assert(get_is(K(99), 65, K(42)));
	ck_assert(get_absent(K(99), 66));
	ck_assert(get_absent(K(99), 67));
	ck_assert(get_is(K(99), 122, K(44)));
}
END_TEST

START_TEST(test_get_blocked_by_an_older_lock_is_key_locked_with_lock_info)
{
	ts_put_committed(K(99), 50, 54, K(42));
	ts_put_lock(K(99), K(99), 200, 3000, MVCC_LOCK_PUT);
	/* A reader older than the lock does not care. */
	ck_assert(get_is(K(99), 55, K(42)));
	struct txn_get_resp r;
	ck_assert_int_eq(get(K(99), 300, &r), TK_E_KEY_LOCKED);
	ck_assert_int_eq(r.err.code, TK_E_KEY_LOCKED);
	ck_assert(tk_slice_eq(r.err.lock.key, K(99)));
	ck_assert(tk_slice_eq(r.err.lock.primary, K(99)));
	ck_assert_uint_eq(r.err.lock.start_ts, 200);
	ck_assert_uint_eq(r.err.lock.ttl_ms, 3000);
	/* A lock at exactly the reader's ts blocks too. */
	ck_assert_int_eq(get(K(99), 200, &r), TK_E_KEY_LOCKED);
}
END_TEST

START_TEST(test_get_is_not_blocked_by_a_lock_kind_lock)
{
	ts_put_committed(K(99), 50, 54, K(42));
	ts_put_lock(K(99), K(99), 200, 3000, MVCC_LOCK_LOCK);
	ck_assert(get_is(K(99), 300, K(42)));
}
END_TEST

/* ---- prewrite ---- */

START_TEST(test_prewrite_with_no_mutations_writes_nothing)
{
	ck_assert_int_eq(prewrite(NULL, 0, K(1), 100, NULL), TK_OK);
	ts_assert_lens(0, 0, 0);
}
END_TEST

START_TEST(test_prewrite_writes_a_lock_and_the_value)
{
	ck_assert_int_eq(prewrite_ttl(MUTS(PUT(K(3), K(42))), K(3), 100, 1000, NULL), TK_OK);
	ts_assert_lens(1, 1, 0);
	ck_assert(ts_has_value(K(3), 100));
	struct mvcc_lock l;
	ck_assert(ts_get_lock(K(3), &l));
	ck_assert_int_eq(l.kind, MVCC_LOCK_PUT);
	ck_assert_uint_eq(l.start_ts, 100);
	ck_assert_uint_eq(l.ttl_ms, 1000);
	ck_assert(tk_slice_eq(l.primary, K(3)));
	/* Not visible to anyone until committed; readers after it block. */
	ck_assert(get_absent(K(3), 99));
	struct txn_get_resp r;
	ck_assert_int_eq(get(K(3), 101, &r), TK_E_KEY_LOCKED);
}
END_TEST

START_TEST(test_prewrite_of_a_key_locked_by_another_txn_is_key_locked)
{
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), 100, NULL), TK_OK);
	struct txn_prewrite_resp r;
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(53))), K(3), 101, &r), TK_E_KEY_LOCKED);
	ck_assert_uint_eq(r.n_errors, 1);
	ck_assert_int_eq(r.errors[0].code, TK_E_KEY_LOCKED);
	ck_assert_uint_eq(r.errors[0].lock.start_ts, 100);
	ck_assert(tk_slice_eq(r.errors[0].key, K(3)));
	ts_assert_lens(1, 1, 0);
	ck_assert(ts_has_value(K(3), 100));
}
END_TEST

START_TEST(test_prewrite_after_a_newer_commit_is_a_write_conflict)
{
	ts_put_committed(K(3), 80, 101, K(5));
	struct txn_prewrite_resp r;
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), 100, &r), TK_E_WRITE_CONFLICT);
	ck_assert_uint_eq(r.n_errors, 1);
	ck_assert_int_eq(r.errors[0].code, TK_E_WRITE_CONFLICT);
	ck_assert_uint_eq(r.errors[0].conflict_commit_ts, 101);
	ck_assert_uint_eq(r.errors[0].conflict_start_ts, 80);
	ck_assert_uint_eq(r.errors[0].start_ts, 100);
	ck_assert(tk_slice_eq(r.errors[0].primary, K(3)));
	ts_assert_lens(1, 0, 1);
}
END_TEST

START_TEST(test_prewrite_after_a_commit_at_exactly_start_ts_is_a_write_conflict)
{
	ts_put_committed(K(3), 80, 100, K(5));
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), 100, NULL), TK_E_WRITE_CONFLICT);
}
END_TEST

START_TEST(test_prewrite_after_an_older_commit_succeeds)
{
	ts_put_committed(K(3), 80, 90, K(5));
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), 100, NULL), TK_OK);
	ts_assert_lens(2, 1, 1);
	ck_assert(ts_has_value(K(3), 80));
	ck_assert(ts_has_value(K(3), 100));
}
END_TEST

START_TEST(test_prewrites_of_different_keys_by_two_txns_both_succeed)
{
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), 100, NULL), TK_OK);
	ck_assert_int_eq(prewrite(MUTS(PUT(K(4), K(53))), K(4), 101, NULL), TK_OK);
	ts_assert_lens(2, 2, 0);
	struct mvcc_lock l;
	ck_assert(ts_get_lock(K(4), &l) && l.start_ts == 101);
}
END_TEST

START_TEST(test_prewrite_of_a_duplicated_key_keeps_the_last_mutation)
{
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42)), PUT(K(3), K(45))), K(3), 100, NULL), TK_OK);
	ts_assert_lens(1, 1, 0);
	ck_assert_int_eq(commit(KEYS(K(3)), 100, 110, NULL), TK_OK);
	ck_assert(get_is(K(3), 120, K(45)));
}
END_TEST

START_TEST(test_prewrite_of_many_mutations_locks_each_key_once)
{
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42)), PUT(K(4), K(43)), PUT(K(5), K(44)),
				       DEL(K(4)), PUT(K(4), K(1, 3, 5)), PUT(K(255), K(45))),
				  K(3), 100, NULL),
			 TK_OK);
	ts_assert_lens(4, 4, 0);
	ck_assert_int_eq(commit(KEYS(K(3), K(4), K(5), K(255)), 100, 110, NULL), TK_OK);
	ck_assert(get_is(K(4), 120, K(1, 3, 5)));
}
END_TEST

START_TEST(test_prewrite_of_put_then_delete_leaves_no_staged_value)
{
	ck_assert_int_eq(prewrite(MUTS(PUT(K(4), K(43)), DEL(K(4))), K(4), 100, NULL), TK_OK);
	ts_assert_lens(0, 1, 0);
	struct mvcc_lock l;
	ck_assert(ts_get_lock(K(4), &l) && l.kind == MVCC_LOCK_DELETE);
	ck_assert_int_eq(commit(KEYS(K(4)), 100, 110, NULL), TK_OK);
	ck_assert(write_is(K(4), 110, MVCC_WRITE_DELETE, 100));
}
END_TEST

START_TEST(test_prewrite_retry_is_idempotent)
{
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42)), PUT(K(4), K(43))), K(3), 100, NULL),
				 TK_OK);
	ts_assert_lens(2, 2, 0);
}
END_TEST

START_TEST(test_prewrite_retry_after_commit_succeeds_and_writes_nothing)
{
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), 100, NULL), TK_OK);
	ck_assert_int_eq(commit(KEYS(K(3)), 100, 110, NULL), TK_OK);
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), 100, NULL), TK_OK);
	ts_assert_lens(1, 0, 1);
}
END_TEST

START_TEST(test_prewrite_that_arrives_after_its_rollback_is_refused)
{
	ck_assert_int_eq(rollback(KEYS(K(3)), 100, NULL), TK_OK);
	struct txn_prewrite_resp r;
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), 100, &r), TK_E_TXN_ROLLED_BACK);
	ck_assert_uint_eq(r.n_errors, 1);
	ck_assert_int_eq(r.errors[0].code, TK_E_TXN_ROLLED_BACK);
	ts_assert_lens(0, 0, 1);
}
END_TEST

START_TEST(test_prewrite_refused_on_one_key_writes_no_key)
{
	ts_put_lock(K(4), K(4), 90, 10, MVCC_LOCK_PUT);
	ts_put_committed(K(6), 95, 105, K(1));
	struct txn_prewrite_resp r;
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(1)), PUT(K(4), K(2)), PUT(K(5), K(3)),
				       PUT(K(6), K(4))),
				  K(3), 100, &r),
			 TK_E_KEY_LOCKED);
	ck_assert_uint_eq(r.n_errors, 2);
	ck_assert(tk_slice_eq(r.errors[0].key, K(4)));
	ck_assert_int_eq(r.errors[1].code, TK_E_WRITE_CONFLICT);
	ck_assert(tk_slice_eq(r.errors[1].key, K(6)));
	ts_assert_lens(1, 1, 1);
	struct mvcc_lock l;
	ck_assert(!ts_get_lock(K(3), &l));
}
END_TEST

START_TEST(test_prewrite_ignores_rollback_records_of_other_txns)
{
	ts_put_write(K(3), 120, MVCC_WRITE_ROLLBACK, 120);
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), 100, NULL), TK_OK);
}
END_TEST

START_TEST(test_prewrite_without_primary_or_start_ts_is_a_bad_request)
{
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), NONE, 100, NULL), TK_E_BAD_REQUEST);
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), 0, NULL), TK_E_BAD_REQUEST);
	struct txn_mutation bad = {(enum txn_op)9, K(3), NONE};
	ck_assert_int_eq(prewrite(&bad, 1, K(3), 100, NULL), TK_E_BAD_REQUEST);
	ts_assert_lens(0, 0, 0);
}
END_TEST

START_TEST(test_lock_mutation_commits_a_lock_record_that_reads_skip)
{
	ts_put_committed(K(3), 50, 60, K(7));
	ck_assert_int_eq(prewrite(MUTS(LCK(K(3))), K(3), 100, NULL), TK_OK);
	struct mvcc_lock l;
	ck_assert(ts_get_lock(K(3), &l) && l.kind == MVCC_LOCK_LOCK);
	ck_assert(get_is(K(3), 200, K(7))); /* a LOCK lock does not block */
	ck_assert_int_eq(commit(KEYS(K(3)), 100, 110, NULL), TK_OK);
	ck_assert(write_is(K(3), 110, MVCC_WRITE_LOCK, 100));
	ck_assert(get_is(K(3), 200, K(7)));
	/* It still conflicts with a concurrent writer. */
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(8))), K(3), 105, NULL), TK_E_WRITE_CONFLICT);
}
END_TEST

/* ---- commit ---- */

START_TEST(test_commit_of_no_keys_writes_nothing)
{
	ck_assert_int_eq(commit(NULL, 0, 100, 110, NULL), TK_OK);
	ts_assert_lens(0, 0, 0);
}
END_TEST

START_TEST(test_commit_writes_the_record_and_removes_the_lock)
{
	ts_put_value(K(3), 100, K(42));
	ts_put_lock(K(3), K(3), 100, 0, MVCC_LOCK_PUT);
	ck_assert_int_eq(commit(KEYS(K(3)), 100, 110, NULL), TK_OK);
	ts_assert_lens(1, 0, 1);
	ck_assert(write_is(K(3), 110, MVCC_WRITE_PUT, 100));
	ck_assert(get_is(K(3), 110, K(42)));
	ck_assert(get_absent(K(3), 109));
}
END_TEST

START_TEST(test_commit_over_an_older_version_keeps_both)
{
	ts_put_committed(K(3), 80, 84, K(15));
	ts_put_value(K(3), 100, K(42));
	ts_put_lock(K(3), K(3), 100, 0, MVCC_LOCK_PUT);
	ck_assert_int_eq(commit(KEYS(K(3)), 100, 110, NULL), TK_OK);
	ts_assert_lens(2, 0, 2);
	ck_assert(get_is(K(3), 90, K(15)));
	ck_assert(get_is(K(3), 110, K(42)));
}
END_TEST

START_TEST(test_commit_of_several_keys_leaves_other_data_alone)
{
	struct tk_slice mine[] = {K(3), K(12, 4, 0), K(15)};
	for (int i = 0; i < 3; i++) {
		ts_put_value(mine[i], 100, K(1));
		ts_put_lock(mine[i], K(3), 100, 0, MVCC_LOCK_PUT);
	}
	ts_put_committed(K(4), 80, 84, K(15));
	ts_put_committed(K(3, 0), 80, 84, K(150));
	ts_put_value(K(2), 99, K(0, 0, 0, 8));
	ts_put_lock(K(2), K(2), 99, 0, MVCC_LOCK_PUT);
	ts_put_value(K(43, 6), 99, K(1));
	ts_put_lock(K(43, 6), K(2), 99, 0, MVCC_LOCK_PUT);
	ck_assert_int_eq(commit(mine, 3, 100, 110, NULL), TK_OK);
	ts_assert_lens(7, 2, 5);
	for (int i = 0; i < 3; i++)
		ck_assert(write_is(mine[i], 110, MVCC_WRITE_PUT, 100));
	struct mvcc_lock l;
	ck_assert(ts_get_lock(K(2), &l) && l.start_ts == 99);
	ck_assert(ts_get_lock(K(43, 6), &l) && l.start_ts == 99);
}
END_TEST

START_TEST(test_commit_of_a_key_listed_twice_commits_it_once)
{
	ts_put_value(K(3), 100, K(42));
	ts_put_lock(K(3), K(3), 100, 0, MVCC_LOCK_PUT);
	ck_assert_int_eq(commit(KEYS(K(3), K(3)), 100, 110, NULL), TK_OK);
	ts_assert_lens(1, 0, 1);
}
END_TEST

START_TEST(test_commit_after_rollback_is_refused_as_rolled_back)
{
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), 100, NULL), TK_OK);
	ck_assert_int_eq(rollback(KEYS(K(3)), 100, NULL), TK_OK);
	struct txn_commit_resp r;
	ck_assert_int_eq(commit(KEYS(K(3)), 100, 110, &r), TK_E_TXN_ROLLED_BACK);
	ck_assert_int_eq(r.err.code, TK_E_TXN_ROLLED_BACK);
	ck_assert(tk_slice_eq(r.err.key, K(3)));
	ts_assert_lens(0, 0, 1);
	ck_assert(get_absent(K(3), 200));
}
END_TEST

START_TEST(test_commit_where_another_txn_holds_the_lock_is_txn_not_found)
{
	ts_put_value(K(3), 90, K(110));
	ts_put_lock(K(3), K(3), 90, 0, MVCC_LOCK_PUT);
	struct txn_commit_resp r;
	ck_assert_int_eq(commit(KEYS(K(3)), 100, 110, &r), TK_E_TXN_NOT_FOUND);
	ck_assert(r.err.has_lock);
	ck_assert_uint_eq(r.err.lock.start_ts, 90);
	ts_assert_lens(1, 1, 0);
}
END_TEST

START_TEST(test_commit_retry_is_idempotent)
{
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), 100, NULL), TK_OK);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(commit(KEYS(K(3)), 100, 110, NULL), TK_OK);
	ts_assert_lens(1, 0, 1);
	ck_assert(get_is(K(3), 110, K(42)));
}
END_TEST

START_TEST(test_commit_without_prewrite_is_txn_not_found)
{
	ts_put_committed(K(4), 80, 84, K(15));
	ts_put_committed(K(3, 0), 80, 84, K(150));
	struct txn_commit_resp r;
	ck_assert_int_eq(commit(KEYS(K(3)), 100, 110, &r), TK_E_TXN_NOT_FOUND);
	ck_assert(!r.err.has_lock);
	ts_assert_lens(2, 0, 2);
}
END_TEST

START_TEST(test_commit_ts_not_after_start_ts_is_a_bad_request)
{
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), 100, NULL), TK_OK);
	ck_assert_int_eq(commit(KEYS(K(3)), 100, 100, NULL), TK_E_BAD_REQUEST);
	ck_assert_int_eq(commit(KEYS(K(3)), 100, 90, NULL), TK_E_BAD_REQUEST);
	ts_assert_lens(1, 1, 0);
}
END_TEST

START_TEST(test_commit_failing_on_a_later_key_writes_nothing)
{
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), 100, NULL), TK_OK);
	ck_assert_int_eq(commit(KEYS(K(3), K(4)), 100, 110, NULL), TK_E_TXN_NOT_FOUND);
	ts_assert_lens(1, 1, 0);
}
END_TEST

/* ---- batch rollback ---- */

START_TEST(test_rollback_of_no_keys_writes_nothing)
{
	ck_assert_int_eq(rollback(NULL, 0, 100, NULL), TK_OK);
	ts_assert_lens(0, 0, 0);
}
END_TEST

START_TEST(test_rollback_removes_lock_and_value_and_leaves_a_record)
{
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), 100, NULL), TK_OK);
	ck_assert_int_eq(rollback(KEYS(K(3)), 100, NULL), TK_OK);
	ts_assert_lens(0, 0, 1);
	ck_assert(write_is(K(3), 100, MVCC_WRITE_ROLLBACK, 100));
}
END_TEST

START_TEST(test_rollback_of_several_keys_with_a_duplicate)
{
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42)), PUT(K(15), K(0))), K(3), 100, NULL), TK_OK);
	ck_assert_int_eq(rollback(KEYS(K(3), K(15), K(3)), 100, NULL), TK_OK);
	ts_assert_lens(0, 0, 2);
	ck_assert(write_is(K(3), 100, MVCC_WRITE_ROLLBACK, 100));
	ck_assert(write_is(K(15), 100, MVCC_WRITE_ROLLBACK, 100));
}
END_TEST

START_TEST(test_rollback_before_prewrite_leaves_a_record)
{
	ck_assert_int_eq(rollback(KEYS(K(3)), 100, NULL), TK_OK);
	ts_assert_lens(0, 0, 1);
	ck_assert(write_is(K(3), 100, MVCC_WRITE_ROLLBACK, 100));
}
END_TEST

START_TEST(test_rollback_of_a_committed_txn_is_refused_as_committed)
{
	ts_put_committed(K(3), 100, 110, K(42));
	struct txn_rollback_resp r;
	ck_assert_int_eq(rollback(KEYS(K(3)), 100, &r), TK_E_TXN_COMMITTED);
	ck_assert_int_eq(r.err.code, TK_E_TXN_COMMITTED);
	ck_assert_uint_eq(r.err.commit_ts, 110);
	ts_assert_lens(1, 0, 1);
}
END_TEST

START_TEST(test_rollback_refused_on_a_later_key_writes_nothing)
{
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42)), PUT(K(4), K(43))), K(3), 100, NULL),
			 TK_OK);
	ck_assert_int_eq(commit(KEYS(K(4)), 100, 110, NULL), TK_OK);
	ck_assert_int_eq(rollback(KEYS(K(3), K(4)), 100, NULL), TK_E_TXN_COMMITTED);
	struct mvcc_lock l;
	ck_assert(ts_get_lock(K(3), &l));
}
END_TEST

START_TEST(test_rollback_retry_is_idempotent)
{
	ts_put_write(K(3), 100, MVCC_WRITE_ROLLBACK, 100);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(rollback(KEYS(K(3)), 100, NULL), TK_OK);
	ts_assert_lens(0, 0, 1);
}
END_TEST

START_TEST(test_rollback_leaves_another_txns_lock_alone)
{
	ts_put_value(K(3), 80, K(42));
	ts_put_lock(K(3), K(3), 80, 0, MVCC_LOCK_PUT);
	ck_assert_int_eq(rollback(KEYS(K(3)), 100, NULL), TK_OK);
	ts_assert_lens(1, 1, 1);
	struct mvcc_lock l;
	ck_assert(ts_get_lock(K(3), &l) && l.start_ts == 80);
	ck_assert(write_is(K(3), 100, MVCC_WRITE_ROLLBACK, 100));
}
END_TEST

START_TEST(test_rollback_at_the_commit_ts_of_another_txn_keeps_that_commit)
{
	ts_put_committed(K(3), 90, 100, K(42));
	ck_assert_int_eq(rollback(KEYS(K(3)), 100, NULL), TK_OK);
	struct mvcc_write w;
	ck_assert(ts_get_write(K(3), 100, &w));
	ck_assert_int_eq(w.kind, MVCC_WRITE_PUT);
	ck_assert(w.overlapped_rollback);
	ck_assert(get_is(K(3), 100, K(42)));
	/* The rollback still protects txn 100. */
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(1))), K(3), 100, NULL), TK_E_TXN_ROLLED_BACK);
	ck_assert_int_eq(commit(KEYS(K(3)), 100, 120, NULL), TK_E_TXN_ROLLED_BACK);
	ck_assert_int_eq(rollback(KEYS(K(3)), 100, NULL), TK_OK);
	ts_assert_lens(1, 0, 1);
}
END_TEST

START_TEST(test_commit_onto_another_txns_rollback_record_keeps_the_rollback)
{
	ck_assert_int_eq(rollback(KEYS(K(3)), 110, NULL), TK_OK);
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(42))), K(3), 100, NULL), TK_OK);
	ck_assert_int_eq(commit(KEYS(K(3)), 100, 110, NULL), TK_OK);
	ck_assert(get_is(K(3), 110, K(42)));
	ck_assert_int_eq(prewrite(MUTS(PUT(K(3), K(1))), K(3), 110, NULL), TK_E_TXN_ROLLED_BACK);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("txn_cmds");
	struct {
		const char *name;
		const TTest *tests[20];
	} groups[] = {
		{"get",
		 {test_get_returns_the_committed_value, test_get_on_an_empty_store_is_not_found,
		  test_get_of_a_key_between_two_others_is_not_found,
		  test_get_sees_the_version_committed_at_or_before_its_ts,
		  test_get_after_a_delete_is_not_found_until_the_next_put,
		  test_get_blocked_by_an_older_lock_is_key_locked_with_lock_info,
		  test_get_is_not_blocked_by_a_lock_kind_lock}},
		{"prewrite",
		 {test_prewrite_with_no_mutations_writes_nothing, test_prewrite_writes_a_lock_and_the_value,
		  test_prewrite_of_a_key_locked_by_another_txn_is_key_locked,
		  test_prewrite_after_a_newer_commit_is_a_write_conflict,
		  test_prewrite_after_a_commit_at_exactly_start_ts_is_a_write_conflict,
		  test_prewrite_after_an_older_commit_succeeds,
		  test_prewrites_of_different_keys_by_two_txns_both_succeed,
		  test_prewrite_of_a_duplicated_key_keeps_the_last_mutation,
		  test_prewrite_of_many_mutations_locks_each_key_once,
		  test_prewrite_of_put_then_delete_leaves_no_staged_value,
		  test_prewrite_retry_is_idempotent,
		  test_prewrite_retry_after_commit_succeeds_and_writes_nothing,
		  test_prewrite_that_arrives_after_its_rollback_is_refused,
		  test_prewrite_refused_on_one_key_writes_no_key,
		  test_prewrite_ignores_rollback_records_of_other_txns,
		  test_prewrite_without_primary_or_start_ts_is_a_bad_request}},
		{"commit",
		 {test_lock_mutation_commits_a_lock_record_that_reads_skip,
		  test_commit_of_no_keys_writes_nothing, test_commit_writes_the_record_and_removes_the_lock,
		  test_commit_over_an_older_version_keeps_both,
		  test_commit_of_several_keys_leaves_other_data_alone,
		  test_commit_of_a_key_listed_twice_commits_it_once,
		  test_commit_after_rollback_is_refused_as_rolled_back,
		  test_commit_where_another_txn_holds_the_lock_is_txn_not_found,
		  test_commit_retry_is_idempotent, test_commit_without_prewrite_is_txn_not_found,
		  test_commit_ts_not_after_start_ts_is_a_bad_request,
		  test_commit_failing_on_a_later_key_writes_nothing}},
		{"rollback",
		 {test_rollback_of_no_keys_writes_nothing,
		  test_rollback_removes_lock_and_value_and_leaves_a_record,
		  test_rollback_of_several_keys_with_a_duplicate,
		  test_rollback_before_prewrite_leaves_a_record,
		  test_rollback_of_a_committed_txn_is_refused_as_committed,
		  test_rollback_refused_on_a_later_key_writes_nothing, test_rollback_retry_is_idempotent,
		  test_rollback_leaves_another_txns_lock_alone,
		  test_rollback_at_the_commit_ts_of_another_txn_keeps_that_commit,
		  test_commit_onto_another_txns_rollback_record_keeps_the_rollback}},
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
