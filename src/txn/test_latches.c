/* Unit tests of the per-key latches (latches.h). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "txn/latches.h"

#define KS(...) ((const struct tk_slice[]){__VA_ARGS__})
#define NK(...) (sizeof(KS(__VA_ARGS__)) / sizeof(struct tk_slice))
#define S(x) tk_slice_str(x)

static bool acq(struct txn_latches *l, uint64_t id, const struct tk_slice *keys, size_t n)
{
	bool got = false;
	ck_assert_int_eq(txn_latches_acquire(l, id, keys, n, &got), TK_OK);
	return got;
}

static size_t rel(struct txn_latches *l, uint64_t id, uint64_t *out, size_t cap)
{
	const uint64_t *w = NULL;
	size_t n = txn_latches_release(l, id, &w);
	ck_assert_uint_le(n, cap);
	for (size_t i = 0; i < n; i++)
		out[i] = w[i];
	return n;
}

START_TEST(test_latches_commands_on_different_keys_run_together)
{
	struct txn_latches *l = txn_latches_new(1 << 16);
	ck_assert(acq(l, 1, KS(S("a"), S("b")), 2));
	ck_assert(acq(l, 2, KS(S("c")), 1));
	ck_assert(acq(l, 3, KS(S("d"), S("e"), S("f")), 3));
	ck_assert_uint_eq(txn_latches_count(l), 3);
	txn_latches_free(l);
}
END_TEST

START_TEST(test_latches_same_key_is_serialized_and_woken_on_release)
{
	struct txn_latches *l = txn_latches_new(64);
	ck_assert(acq(l, 1, KS(S("k")), 1));
	ck_assert(!acq(l, 2, KS(S("k")), 1));
	ck_assert(!txn_latches_holds_all(l, 2));
	uint64_t w[8];
	ck_assert_uint_eq(rel(l, 1, w, 8), 1);
	ck_assert_uint_eq(w[0], 2);
	ck_assert(txn_latches_holds_all(l, 2));
	ck_assert_uint_eq(rel(l, 2, w, 8), 0);
	ck_assert_uint_eq(txn_latches_count(l), 0);
	txn_latches_free(l);
}
END_TEST

START_TEST(test_latches_waiters_of_one_key_run_in_arrival_order)
{
	struct txn_latches *l = txn_latches_new(64);
	ck_assert(acq(l, 10, KS(S("k")), 1));
	for (uint64_t id = 11; id < 20; id++)
		ck_assert(!acq(l, id, KS(S("k")), 1));
	uint64_t w[8];
	for (uint64_t id = 10; id < 19; id++) {
		ck_assert_uint_eq(rel(l, id, w, 8), 1);
		ck_assert_uint_eq(w[0], id + 1);
	}
	ck_assert_uint_eq(rel(l, 19, w, 8), 0);
	txn_latches_free(l);
}
END_TEST

START_TEST(test_latches_duplicate_keys_in_one_command_do_not_self_block)
{
	struct txn_latches *l = txn_latches_new(64);
	ck_assert(acq(l, 1, KS(S("k"), S("k"), S("j"), S("k")), 4));
	ck_assert(txn_latches_holds_all(l, 1));
	uint64_t w[4];
	ck_assert_uint_eq(rel(l, 1, w, 4), 0);
	txn_latches_free(l);
}
END_TEST

START_TEST(test_latches_empty_key_set_is_acquired_at_once)
{
	struct txn_latches *l = txn_latches_new(64);
	ck_assert(acq(l, 1, NULL, 0));
	uint64_t w[1];
	ck_assert_uint_eq(rel(l, 1, w, 1), 0);
	txn_latches_free(l);
}
END_TEST

START_TEST(test_latches_duplicate_command_id_is_refused)
{
	struct txn_latches *l = txn_latches_new(64);
	bool got;
	ck_assert(acq(l, 1, KS(S("a")), 1));
	ck_assert_int_eq(txn_latches_acquire(l, 1, KS(S("b")), 1, &got), TK_E_BAD_REQUEST);
	txn_latches_free(l);
}
END_TEST

START_TEST(test_latches_release_of_queued_command_cancels_its_wait)
{
	struct txn_latches *l = txn_latches_new(64);
	ck_assert(acq(l, 1, KS(S("k")), 1));
	ck_assert(!acq(l, 2, KS(S("k")), 1));
	ck_assert(!acq(l, 3, KS(S("k")), 1));
	uint64_t w[4];
	ck_assert_uint_eq(rel(l, 2, w, 4), 0); /* cancelled */
	ck_assert_uint_eq(rel(l, 1, w, 4), 1);
	ck_assert_uint_eq(w[0], 3);
	ck_assert_uint_eq(rel(l, 99, w, 4), 0); /* unknown id */
	txn_latches_free(l);
}
END_TEST

START_TEST(test_latches_command_waits_for_every_key_it_needs)
{
	struct txn_latches *l = txn_latches_new(1 << 16);
	ck_assert(acq(l, 1, KS(S("a")), 1));
	ck_assert(acq(l, 2, KS(S("b")), 1));
	ck_assert(!acq(l, 3, KS(S("a"), S("b")), 2));
	uint64_t w[4];
	/* Either release alone is not enough. */
	ck_assert_uint_eq(rel(l, 2, w, 4), 0);
	ck_assert(!txn_latches_holds_all(l, 3));
	ck_assert_uint_eq(rel(l, 1, w, 4), 1);
	ck_assert_uint_eq(w[0], 3);
	txn_latches_free(l);
}
END_TEST

START_TEST(test_latches_crossing_key_orders_do_not_deadlock)
{
	/* Two commands need {a, b} listed in opposite orders: slots are taken
	 * in sorted order, so one of them wins both and the other waits. */
	struct txn_latches *l = txn_latches_new(1 << 16);
	bool g1 = acq(l, 1, KS(S("a"), S("b")), 2);
	bool g2 = acq(l, 2, KS(S("b"), S("a")), 2);
	ck_assert(g1);
	ck_assert(!g2);
	uint64_t w[4];
	ck_assert_uint_eq(rel(l, 1, w, 4), 1);
	ck_assert_uint_eq(w[0], 2);
	txn_latches_free(l);
}
END_TEST

static unsigned rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (unsigned)(*s >> 32);
}

/* A random workload: commands over a few keys arrive and finish in random
 * order; at every moment no two running commands share a slot, and every
 * command eventually runs (no deadlock, no lost wake-up). */
START_TEST(test_latches_random_workload_is_exclusive_and_completes)
{
	enum { NCMD = 2000, NKEY = 12, MAXK = 4 };
	struct txn_latches *l = txn_latches_new(8); /* many shared slots */
	static char names[NKEY][4];
	for (int i = 0; i < NKEY; i++)
		snprintf(names[i], sizeof(names[i]), "k%d", i);
	static struct tk_slice keys[NCMD + 1][MAXK];
	static size_t nkeys[NCMD + 1];
	static bool running[NCMD + 1], done[NCMD + 1];
	uint64_t run_list[NCMD + 1];
	size_t nrun = 0, finished = 0;
	uint64_t seed = 12345;
	uint64_t next = 1;
	while (finished < NCMD) {
		bool arrive = next <= NCMD && (nrun == 0 || rnd(&seed) % 2);
		if (arrive) {
			uint64_t id = next++;
			nkeys[id] = 1 + (size_t)(rnd(&seed) % MAXK);
			for (size_t j = 0; j < nkeys[id]; j++)
				keys[id][j] = S(names[rnd(&seed) % NKEY]);
			if (acq(l, id, keys[id], nkeys[id])) {
				running[id] = true;
				run_list[nrun++] = id;
			}
		} else {
			ck_assert_uint_gt(nrun, 0);
			size_t pick = (size_t)rnd(&seed) % nrun;
			uint64_t id = run_list[pick];
			run_list[pick] = run_list[--nrun];
			running[id] = false;
			done[id] = true;
			finished++;
			const uint64_t *w;
			size_t nw = txn_latches_release(l, id, &w);
			for (size_t i = 0; i < nw; i++) {
				ck_assert(!running[w[i]] && !done[w[i]]);
				running[w[i]] = true;
				run_list[nrun++] = w[i];
			}
		}
		/* Exclusion: running commands never share a key. */
		for (size_t i = 0; i < nrun; i++)
			for (size_t j = i + 1; j < nrun; j++)
				for (size_t a = 0; a < nkeys[run_list[i]]; a++)
					for (size_t b = 0; b < nkeys[run_list[j]]; b++)
						ck_assert(!tk_slice_eq(keys[run_list[i]][a],
								       keys[run_list[j]][b]));
		/* Progress: if nothing runs, nothing may be waiting. */
		if (nrun == 0 && next > NCMD)
			ck_assert_uint_eq(txn_latches_count(l), 0);
	}
	ck_assert_uint_eq(txn_latches_count(l), 0);
	txn_latches_free(l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("latches");
	TCase *tc = tcase_create("latches");
	tcase_add_test(tc, test_latches_commands_on_different_keys_run_together);
	tcase_add_test(tc, test_latches_same_key_is_serialized_and_woken_on_release);
	tcase_add_test(tc, test_latches_waiters_of_one_key_run_in_arrival_order);
	tcase_add_test(tc, test_latches_duplicate_keys_in_one_command_do_not_self_block);
	tcase_add_test(tc, test_latches_empty_key_set_is_acquired_at_once);
	tcase_add_test(tc, test_latches_duplicate_command_id_is_refused);
	tcase_add_test(tc, test_latches_release_of_queued_command_cancels_its_wait);
	tcase_add_test(tc, test_latches_command_waits_for_every_key_it_needs);
	tcase_add_test(tc, test_latches_crossing_key_orders_do_not_deadlock);
	tcase_add_test(tc, test_latches_random_workload_is_exclusive_and_completes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
