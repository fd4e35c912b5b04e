/* The write overlay (overlay.h): the newest staged write of a key wins,
 * deletes and empty values are told apart, growth keeps every entry, clear
 * forgets them, and a lost write makes lookups unknown. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raftstore/overlay.h"

static struct tk_slice s(const char *text)
{
	return tk_slice_str(text);
}

static void ck_value(const struct rs_overlay *o, const char *key, const char *want)
{
	bool present = false;
	struct tk_slice v = {NULL, 0};
	ck_assert_int_eq(rs_overlay_get(o, s(key), &present, &v), RS_OV_HIT);
	ck_assert(present);
	ck_assert_ptr_nonnull(v.p);
	ck_assert(tk_slice_eq(v, s(want)));
}

static void ck_deleted(const struct rs_overlay *o, const char *key)
{
	bool present = true;
	struct tk_slice v;
	ck_assert_int_eq(rs_overlay_get(o, s(key), &present, &v), RS_OV_HIT);
	ck_assert(!present);
}

static void ck_miss(const struct rs_overlay *o, const char *key)
{
	bool present;
	struct tk_slice v;
	ck_assert_int_eq(rs_overlay_get(o, s(key), &present, &v), RS_OV_MISS);
}

START_TEST(test_an_empty_overlay_misses_every_key)
{
	struct rs_overlay o;
	rs_overlay_init(&o);
	ck_miss(&o, "a");
	ck_assert_uint_eq(rs_overlay_count(&o), 0);
	rs_overlay_destroy(&o);
}
END_TEST

START_TEST(test_the_newest_write_of_a_key_wins)
{
	struct rs_overlay o;
	rs_overlay_init(&o);
	rs_overlay_put(&o, s("k"), s("1"));
	ck_value(&o, "k", "1");
	rs_overlay_put(&o, s("k"), s("22"));
	ck_value(&o, "k", "22");
	rs_overlay_delete(&o, s("k"));
	ck_deleted(&o, "k");
	rs_overlay_put(&o, s("k"), s("333"));
	ck_value(&o, "k", "333");
	ck_assert_uint_eq(rs_overlay_count(&o), 1);
	ck_miss(&o, "k2");
	ck_miss(&o, "");
	rs_overlay_destroy(&o);
}
END_TEST

START_TEST(test_an_empty_value_is_present_with_a_non_null_pointer)
{
	struct rs_overlay o;
	rs_overlay_init(&o);
	rs_overlay_put(&o, s("e"), tk_slice_of(NULL, 0));
	ck_value(&o, "e", "");
	rs_overlay_delete(&o, s("d"));
	ck_deleted(&o, "d");
	rs_overlay_destroy(&o);
}
END_TEST

START_TEST(test_keys_that_share_a_prefix_or_binary_bytes_stay_apart)
{
	struct rs_overlay o;
	rs_overlay_init(&o);
	static const uint8_t k0[] = {0x00}, k1[] = {0x00, 0x00}, k2[] = {0xff};
	rs_overlay_put(&o, tk_slice_of(k0, 1), s("zero"));
	rs_overlay_put(&o, tk_slice_of(k1, 2), s("two zeros"));
	rs_overlay_delete(&o, tk_slice_of(k2, 1));
	rs_overlay_put(&o, s("ab"), s("AB"));
	rs_overlay_put(&o, s("a"), s("A"));
	bool present;
	struct tk_slice v;
	ck_assert_int_eq(rs_overlay_get(&o, tk_slice_of(k0, 1), &present, &v), RS_OV_HIT);
	ck_assert(present && tk_slice_eq(v, s("zero")));
	ck_assert_int_eq(rs_overlay_get(&o, tk_slice_of(k1, 2), &present, &v), RS_OV_HIT);
	ck_assert(present && tk_slice_eq(v, s("two zeros")));
	ck_assert_int_eq(rs_overlay_get(&o, tk_slice_of(k2, 1), &present, &v), RS_OV_HIT);
	ck_assert(!present);
	ck_value(&o, "a", "A");
	ck_value(&o, "ab", "AB");
	ck_miss(&o, "abc");
	rs_overlay_destroy(&o);
}
END_TEST

START_TEST(test_growth_keeps_every_entry_and_its_newest_value)
{
	struct rs_overlay o;
	rs_overlay_init(&o);
	char k[32], v[32];
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 20000; i++) {
			snprintf(k, sizeof k, "key%d", i);
			snprintf(v, sizeof v, "v%d.%d", i, round);
			if (i % 7 == 3 && round == 1)
				rs_overlay_delete(&o, s(k));
			else
				rs_overlay_put(&o, s(k), s(v));
		}
	}
	ck_assert_uint_eq(rs_overlay_count(&o), 20000);
	for (int i = 0; i < 20000; i++) {
		snprintf(k, sizeof k, "key%d", i);
		snprintf(v, sizeof v, "v%d.1", i);
		if (i % 7 == 3)
			ck_deleted(&o, k);
		else
			ck_value(&o, k, v);
	}
	ck_miss(&o, "key20000");
	rs_overlay_destroy(&o);
}
END_TEST

START_TEST(test_clear_forgets_every_entry_and_the_overlay_is_reusable)
{
	struct rs_overlay o;
	rs_overlay_init(&o);
	char k[32];
	for (int i = 0; i < 10000; i++) { /* past the memory kept across clears */
		snprintf(k, sizeof k, "key%d", i);
		rs_overlay_put(&o, s(k), s("x"));
	}
	rs_overlay_clear(&o);
	ck_assert_uint_eq(rs_overlay_count(&o), 0);
	ck_miss(&o, "key1");
	rs_overlay_put(&o, s("key1"), s("y"));
	ck_value(&o, "key1", "y");
	ck_miss(&o, "key2");
	rs_overlay_clear(&o); /* small: the table is kept and zeroed */
	ck_miss(&o, "key1");
	rs_overlay_put(&o, s("key2"), s("z"));
	ck_value(&o, "key2", "z");
	rs_overlay_destroy(&o);
}
END_TEST

START_TEST(test_a_lost_write_makes_lookups_unknown_until_clear)
{
	struct rs_overlay o;
	rs_overlay_init(&o);
	rs_overlay_put(&o, s("k"), s("1"));
	/* a write that cannot be recorded (as when an allocation fails): a
	 * value too long for an entry, refused before its bytes are read */
	rs_overlay_put(&o, s("k"), tk_slice_of("2", (size_t)UINT32_MAX + 1));
	bool present;
	struct tk_slice v;
	ck_assert_int_eq(rs_overlay_get(&o, s("k"), &present, &v), RS_OV_UNKNOWN);
	ck_assert_int_eq(rs_overlay_get(&o, s("other"), &present, &v), RS_OV_UNKNOWN);
	rs_overlay_clear(&o);
	ck_miss(&o, "k");
	rs_overlay_destroy(&o);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("overlay");
	TCase *tc = tcase_create("overlay");
	tcase_add_test(tc, test_an_empty_overlay_misses_every_key);
	tcase_add_test(tc, test_the_newest_write_of_a_key_wins);
	tcase_add_test(tc, test_an_empty_value_is_present_with_a_non_null_pointer);
	tcase_add_test(tc, test_keys_that_share_a_prefix_or_binary_bytes_stay_apart);
	tcase_add_test(tc, test_growth_keeps_every_entry_and_its_newest_value);
	tcase_add_test(tc, test_clear_forgets_every_entry_and_the_overlay_is_reusable);
	tcase_add_test(tc, test_a_lost_write_makes_lookups_unknown_until_clear);
	suite_add_tcase(su, tc);
	SRunner *sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
