/* The region value type, the epoch rules and the wire conversion. */
#include <check.h>
#include <string.h>

#include "meta/region.h"
#include "meta/region_wire.h"

static struct region range(const char *start, const char *end)
{
	struct region r = {.id = 1};
	r.start_key = (const uint8_t *)start;
	r.start_len = strlen(start);
	r.end_key = (const uint8_t *)end;
	r.end_len = strlen(end);
	return r;
}

START_TEST(test_epoch_behind_in_either_part_is_stale)
{
	struct region_epoch cur = {.conf_ver = 5, .version = 7};
	ck_assert(!region_epoch_is_stale(cur, cur));
	ck_assert(region_epoch_is_stale((struct region_epoch){4, 7}, cur));
	ck_assert(region_epoch_is_stale((struct region_epoch){5, 6}, cur));
	ck_assert(!region_epoch_is_stale((struct region_epoch){6, 7}, cur));
	ck_assert(!region_epoch_is_stale((struct region_epoch){5, 8}, cur));
	/* newer in one part, older in the other: still stale */
	ck_assert(region_epoch_is_stale((struct region_epoch){9, 6}, cur));
}
END_TEST

START_TEST(test_empty_end_key_means_the_range_has_no_end)
{
	struct region r = range("b", "");
	ck_assert(!region_contains(&r, tk_slice_str("a")));
	ck_assert(region_contains(&r, tk_slice_str("b")));
	ck_assert(region_contains(&r, tk_slice_str("zzzz")));
	struct region s = range("b", "d");
	ck_assert(region_contains(&s, tk_slice_str("c")));
	ck_assert(!region_contains(&s, tk_slice_str("d")));
}
END_TEST

START_TEST(test_adjacent_ranges_do_not_overlap)
{
	struct region a = range("", "m"), b = range("m", ""), c = range("k", "p");
	ck_assert(!region_overlaps(&a, &b));
	ck_assert(region_overlaps(&a, &c));
	ck_assert(region_overlaps(&b, &c));
}
END_TEST

START_TEST(test_region_survives_the_wire_round_trip)
{
	struct tk_arena a;
	tk_arena_init(&a);
	struct region_peer peers[] = {{11, 1}, {12, 2}, {13, 3}};
	struct region r = range("a", "k");
	r.id = 42;
	r.epoch = (struct region_epoch){3, 9};
	r.peers = peers;
	r.n_peers = 3;
	struct tk_sched_region *w = region_to_wire(&a, &r);
	ck_assert_ptr_nonnull(w);
	struct region back;
	struct tk_errbuf eb;
	tk_err_clear(&eb);
	ck_assert_int_eq(region_from_wire(&a, w, &back, &eb), TK_OK);
	ck_assert_uint_eq(back.id, 42);
	ck_assert(tk_slice_eq(region_start(&back), tk_slice_str("a")));
	ck_assert(tk_slice_eq(region_end(&back), tk_slice_str("k")));
	ck_assert_uint_eq(back.epoch.conf_ver, 3);
	ck_assert_uint_eq(back.epoch.version, 9);
	ck_assert_uint_eq(back.n_peers, 3);
	ck_assert_uint_eq(back.peers[2].id, 13);
	ck_assert_uint_eq(back.peers[2].store_id, 3);
	ck_assert(region_meta_equal(&r, &back));
	tk_arena_destroy(&a);
}
END_TEST

START_TEST(test_wire_region_with_too_many_peers_is_refused)
{
	struct tk_arena a;
	tk_arena_init(&a);
	struct tk_sched_peer many[REGION_MAX_PEERS + 1];
	memset(many, 0, sizeof many);
	struct tk_sched_region w;
	memset(&w, 0, sizeof w);
	w.id = 1;
	w.peers.v = many;
	w.peers.n = REGION_MAX_PEERS + 1;
	struct region r;
	struct tk_errbuf eb;
	tk_err_clear(&eb);
	ck_assert_int_eq(region_from_wire(&a, &w, &r, &eb), TK_E_BAD_REQUEST);
	ck_assert_int_eq(region_from_wire(&a, NULL, &r, &eb), TK_E_BAD_REQUEST);
	tk_arena_destroy(&a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("meta");
	TCase *tc = tcase_create("region");
	tcase_add_test(tc, test_epoch_behind_in_either_part_is_stale);
	tcase_add_test(tc, test_empty_end_key_means_the_range_has_no_end);
	tcase_add_test(tc, test_adjacent_ranges_do_not_overlap);
	tcase_add_test(tc, test_region_survives_the_wire_round_trip);
	tcase_add_test(tc, test_wire_region_with_too_many_peers_is_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
