#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "engine/raft_keys.h"

static int cmp(const struct eng_key *a, const struct eng_key *b)
{
	return tk_slice_cmp(eng_key_slice(a), eng_key_slice(b));
}

START_TEST(test_log_keys_sort_by_region_then_index_across_byte_boundaries)
{
	static const uint64_t idx[] = {0, 1, 255, 256, 65535, 65536, 1ull << 32, UINT64_MAX - 1};
	for (size_t i = 0; i + 1 < sizeof idx / sizeof idx[0]; i++) {
		struct eng_key a = eng_key_raft_log(3, idx[i]), b = eng_key_raft_log(3, idx[i + 1]);
		ck_assert_int_lt(cmp(&a, &b), 0);
	}
	struct eng_key last3 = eng_key_raft_log(3, UINT64_MAX), first4 = eng_key_raft_log(4, 0);
	ck_assert_int_lt(cmp(&last3, &first4), 0);
	struct eng_key r256 = eng_key_raft_log(256, 1);
	ck_assert_int_lt(cmp(&first4, &r256), 0);
}
END_TEST

START_TEST(test_every_raft_record_of_a_region_lies_within_its_bounds)
{
	static const uint64_t ids[] = {1, 255, 256, UINT64_MAX};
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		uint64_t r = ids[i];
		struct eng_key lo = eng_key_raft_region_lo(r), hi = eng_key_raft_region_hi(r);
		struct eng_key recs[] = {
		    eng_key_raft_log(r, 0),           eng_key_raft_log(r, UINT64_MAX),
		    eng_key_raft_log_end(r),          eng_key_raft_state(r),
		    eng_key_apply_state(r),           eng_key_snap_chunk(r, 0),
		    eng_key_snap_chunk(r, UINT64_MAX)};
		for (size_t j = 0; j < sizeof recs / sizeof recs[0]; j++) {
			ck_assert_int_eq(recs[j].cf, ENG_CF_RAFT);
			ck_assert_int_le(cmp(&lo, &recs[j]), 0);
			ck_assert_int_lt(cmp(&recs[j], &hi), 0);
		}
		/* The log's end bound is above every log key, below the states. */
		struct eng_key end = eng_key_raft_log_end(r),
		               last = eng_key_raft_log(r, UINT64_MAX);
		struct eng_key rs = eng_key_raft_state(r);
		ck_assert_int_lt(cmp(&last, &end), 0);
		ck_assert_int_le(cmp(&end, &rs), 0);
		/* Staged snapshot chunks: past the states, never read as log. */
		struct eng_key c0 = eng_key_snap_chunk(r, 0),
		               cmax = eng_key_snap_chunk(r, UINT64_MAX),
		               cend = eng_key_snap_chunk_end(r), as = eng_key_apply_state(r);
		ck_assert_int_lt(cmp(&as, &c0), 0);
		ck_assert_int_lt(cmp(&cmax, &cend), 0);
		ck_assert_int_le(cmp(&cend, &hi), 0);
		uint64_t pr, pi;
		ck_assert(!eng_key_raft_log_parse(eng_key_slice(&c0), &pr, &pi));
		if (r != UINT64_MAX) {
			struct eng_key next = eng_key_raft_log(r + 1, 0);
			ck_assert_int_le(cmp(&hi, &next), 0);
		}
	}
}
END_TEST

START_TEST(test_log_and_region_state_keys_parse_back_and_others_do_not)
{
	uint64_t region, index;
	struct eng_key k = eng_key_raft_log(0x0102030405060708ull, 0x1112131415161718ull);
	ck_assert(eng_key_raft_log_parse(eng_key_slice(&k), &region, &index));
	ck_assert_uint_eq(region, 0x0102030405060708ull);
	ck_assert_uint_eq(index, 0x1112131415161718ull);
	struct eng_key s = eng_key_raft_state(5), a = eng_key_apply_state(5);
	ck_assert(!eng_key_raft_log_parse(eng_key_slice(&s), &region, &index));
	ck_assert(!eng_key_raft_log_parse(eng_key_slice(&a), &region, &index));
	k.b[8] = 0x02; /* right length, wrong suffix */
	ck_assert(!eng_key_raft_log_parse(eng_key_slice(&k), &region, &index));

	struct eng_key r = eng_key_region_state(77);
	ck_assert_int_eq(r.cf, ENG_CF_META);
	ck_assert(eng_key_region_state_parse(eng_key_slice(&r), &region));
	ck_assert_uint_eq(region, 77);
	ck_assert(!eng_key_region_state_parse(tk_slice_str("ident"), &region));
	struct eng_key lo = eng_key_region_states_lo(), hi = eng_key_region_states_hi();
	ck_assert_int_le(cmp(&lo, &r), 0);
	ck_assert_int_lt(cmp(&r, &hi), 0);
	/* The store identity record sorts outside the region states. */
	ck_assert_int_gt(tk_slice_cmp(tk_slice_str("ident"), eng_key_slice(&hi)), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raft_keys");
	TCase *tc = tcase_create("keys");
	tcase_add_test(tc, test_log_keys_sort_by_region_then_index_across_byte_boundaries);
	tcase_add_test(tc, test_every_raft_record_of_a_region_lies_within_its_bounds);
	tcase_add_test(tc, test_log_and_region_state_keys_parse_back_and_others_do_not);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
