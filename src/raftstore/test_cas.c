/* The compare-and-swap decision (cas.h): every form against every state of
 * the key, empty values apart from absent ones. */
#include <check.h>
#include <stdlib.h>

#include "raftstore/cas.h"

static const struct tk_slice absent_cur = {NULL, 0};

static struct tk_slice s(const char *text)
{
	return tk_slice_str(text);
}

static struct rs_cas_op swap(const char *expect, const char *value)
{
	struct rs_cas_op op = {RS_CAS_EXPECT_VALUE, s(expect), RS_CAS_PUT, s(value)};
	return op;
}

static struct rs_cas_op create(const char *value)
{
	struct rs_cas_op op = {RS_CAS_EXPECT_ABSENT, {NULL, 0}, RS_CAS_PUT, s(value)};
	return op;
}

static struct rs_cas_op delete_if(const char *expect)
{
	struct rs_cas_op op = {RS_CAS_EXPECT_VALUE, s(expect), RS_CAS_DELETE, {NULL, 0}};
	return op;
}

#define ck_result(r, sw, wr)                                                                       \
	do {                                                                                       \
		struct rs_cas_result r_ = (r);                                                     \
		ck_assert_int_eq(r_.swapped, (sw));                                                \
		ck_assert_int_eq(r_.write, (wr));                                                  \
	} while (0)

START_TEST(test_swap_puts_the_new_value_when_the_current_value_is_equal)
{
	struct rs_cas_op op = swap("41", "42");
	ck_result(rs_cas_decide(&op, true, s("41")), true, RS_CAS_WRITE_PUT);
}
END_TEST

START_TEST(test_swap_writes_nothing_when_the_current_value_differs)
{
	struct rs_cas_op op = swap("41", "42");
	ck_result(rs_cas_decide(&op, true, s("40")), false, RS_CAS_WRITE_NONE);
	ck_result(rs_cas_decide(&op, true, s("410")), false, RS_CAS_WRITE_NONE);
	ck_result(rs_cas_decide(&op, true, s("4")), false, RS_CAS_WRITE_NONE);
}
END_TEST

START_TEST(test_swap_writes_nothing_when_the_key_is_absent)
{
	struct rs_cas_op op = swap("41", "42");
	ck_result(rs_cas_decide(&op, false, absent_cur), false, RS_CAS_WRITE_NONE);
}
END_TEST

START_TEST(test_swap_compares_binary_bytes_exactly)
{
	static const uint8_t a[] = {0x00, 0xff, 'x'}, b[] = {0x00, 0xfe, 'x'};
	struct rs_cas_op op = {RS_CAS_EXPECT_VALUE, tk_slice_of(a, 3), RS_CAS_PUT, s("n")};
	ck_result(rs_cas_decide(&op, true, tk_slice_of(a, 3)), true, RS_CAS_WRITE_PUT);
	ck_result(rs_cas_decide(&op, true, tk_slice_of(b, 3)), false, RS_CAS_WRITE_NONE);
	ck_result(rs_cas_decide(&op, true, tk_slice_of(a, 1)), false, RS_CAS_WRITE_NONE);
}
END_TEST

START_TEST(test_expect_absent_creates_a_missing_key)
{
	struct rs_cas_op op = create("1");
	ck_result(rs_cas_decide(&op, false, absent_cur), true, RS_CAS_WRITE_PUT);
}
END_TEST

START_TEST(test_expect_absent_leaves_an_existing_key_alone)
{
	struct rs_cas_op op = create("1");
	ck_result(rs_cas_decide(&op, true, s("1")), false, RS_CAS_WRITE_NONE);
	ck_result(rs_cas_decide(&op, true, s("other")), false, RS_CAS_WRITE_NONE);
}
END_TEST

START_TEST(test_an_empty_value_is_present_and_is_not_absent)
{
	/* a key holding "" exists: "expect absent" does not match it... */
	struct rs_cas_op nx = create("1");
	ck_result(rs_cas_decide(&nx, true, s("")), false, RS_CAS_WRITE_NONE);
	/* ... "expect ''" does, whatever the pointer of the empty slice ... */
	struct rs_cas_op eq = swap("", "1");
	ck_result(rs_cas_decide(&eq, true, s("")), true, RS_CAS_WRITE_PUT);
	ck_result(rs_cas_decide(&eq, true, tk_slice_of(NULL, 0)), true, RS_CAS_WRITE_PUT);
	/* ... and "expect ''" does not match an absent key */
	ck_result(rs_cas_decide(&eq, false, absent_cur), false, RS_CAS_WRITE_NONE);
}
END_TEST

START_TEST(test_an_empty_new_value_is_put_not_deleted)
{
	struct rs_cas_op op = swap("x", "");
	ck_result(rs_cas_decide(&op, true, s("x")), true, RS_CAS_WRITE_PUT);
	struct rs_cas_op nx = create("");
	ck_result(rs_cas_decide(&nx, false, absent_cur), true, RS_CAS_WRITE_PUT);
}
END_TEST

START_TEST(test_delete_if_equal_deletes_only_an_equal_value)
{
	struct rs_cas_op op = delete_if("owner-1");
	ck_result(rs_cas_decide(&op, true, s("owner-1")), true, RS_CAS_WRITE_DELETE);
	ck_result(rs_cas_decide(&op, true, s("owner-2")), false, RS_CAS_WRITE_NONE);
	ck_result(rs_cas_decide(&op, false, absent_cur), false, RS_CAS_WRITE_NONE);
}
END_TEST

START_TEST(test_delete_if_equal_to_empty_deletes_an_empty_value)
{
	struct rs_cas_op op = delete_if("");
	ck_result(rs_cas_decide(&op, true, s("")), true, RS_CAS_WRITE_DELETE);
	ck_result(rs_cas_decide(&op, false, absent_cur), false, RS_CAS_WRITE_NONE);
}
END_TEST

START_TEST(test_expect_absent_with_delete_is_a_test_that_writes_nothing)
{
	struct rs_cas_op op = {RS_CAS_EXPECT_ABSENT, {NULL, 0}, RS_CAS_DELETE, {NULL, 0}};
	ck_result(rs_cas_decide(&op, false, absent_cur), true, RS_CAS_WRITE_NONE);
	ck_result(rs_cas_decide(&op, true, s("v")), false, RS_CAS_WRITE_NONE);
}
END_TEST

START_TEST(test_the_decision_ignores_operands_its_form_does_not_use)
{
	/* an expect-absent op with a stray expect slice, a delete with a stray
	 * value: the form decides, never the leftover bytes */
	struct rs_cas_op op = {RS_CAS_EXPECT_ABSENT, s("v"), RS_CAS_DELETE, s("w")};
	ck_result(rs_cas_decide(&op, true, s("v")), false, RS_CAS_WRITE_NONE);
	struct rs_cas_op put = {RS_CAS_EXPECT_VALUE, s("v"), RS_CAS_PUT, s("w")};
	ck_result(rs_cas_decide(&put, true, s("v")), true, RS_CAS_WRITE_PUT);
	/* an absent current value with stray bytes is still absent */
	struct rs_cas_op eq = swap("v", "w");
	ck_result(rs_cas_decide(&eq, false, s("v")), false, RS_CAS_WRITE_NONE);
}
END_TEST

START_TEST(test_the_same_inputs_always_give_the_same_decision)
{
	/* what every replica relies on at apply time */
	struct rs_cas_op op = swap("a", "b");
	for (int i = 0; i < 1000; i++) {
		ck_result(rs_cas_decide(&op, true, s("a")), true, RS_CAS_WRITE_PUT);
		ck_result(rs_cas_decide(&op, true, s("b")), false, RS_CAS_WRITE_NONE);
	}
}
END_TEST

int main(void)
{
	Suite *su = suite_create("cas");
	TCase *tc = tcase_create("decide");
	tcase_add_test(tc, test_swap_puts_the_new_value_when_the_current_value_is_equal);
	tcase_add_test(tc, test_swap_writes_nothing_when_the_current_value_differs);
	tcase_add_test(tc, test_swap_writes_nothing_when_the_key_is_absent);
	tcase_add_test(tc, test_swap_compares_binary_bytes_exactly);
	tcase_add_test(tc, test_expect_absent_creates_a_missing_key);
	tcase_add_test(tc, test_expect_absent_leaves_an_existing_key_alone);
	tcase_add_test(tc, test_an_empty_value_is_present_and_is_not_absent);
	tcase_add_test(tc, test_an_empty_new_value_is_put_not_deleted);
	tcase_add_test(tc, test_delete_if_equal_deletes_only_an_equal_value);
	tcase_add_test(tc, test_delete_if_equal_to_empty_deletes_an_empty_value);
	tcase_add_test(tc, test_expect_absent_with_delete_is_a_test_that_writes_nothing);
	tcase_add_test(tc, test_the_decision_ignores_operands_its_form_does_not_use);
	tcase_add_test(tc, test_the_same_inputs_always_give_the_same_decision);
	suite_add_tcase(su, tc);
	SRunner *sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
