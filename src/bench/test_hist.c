/* Unit tests of the log-linear latency histogram (src/bench/hist.c). */
#include "bench/hist.h"

#include <check.h>
#include <stdlib.h>

static struct bench_hist *new_hist(void)
{
	struct bench_hist *h = malloc(sizeof(*h));
	ck_assert_ptr_nonnull(h);
	bench_hist_init(h);
	return h;
}

/* A small deterministic generator so failures replay. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

START_TEST(test_hist_values_below_sub_count_get_their_own_bucket)
{
	for (uint64_t v = 0; v < 2 * BENCH_HIST_SUB_COUNT; v++) {
		ck_assert_uint_eq(bench_hist_bucket_of(v), v);
		ck_assert_uint_eq(bench_hist_bucket_low((unsigned)v), v);
		ck_assert_uint_eq(bench_hist_bucket_high((unsigned)v), v);
	}
}
END_TEST

START_TEST(test_hist_buckets_are_contiguous_over_the_whole_range)
{
	ck_assert_uint_eq(bench_hist_bucket_low(0), 0);
	for (unsigned i = 0; i + 1 < BENCH_HIST_BUCKETS; i++)
		ck_assert_uint_eq(bench_hist_bucket_high(i) + 1, bench_hist_bucket_low(i + 1));
	ck_assert_uint_eq(bench_hist_bucket_high(BENCH_HIST_BUCKETS - 1), UINT64_MAX);
	ck_assert_uint_eq(bench_hist_bucket_of(UINT64_MAX), BENCH_HIST_BUCKETS - 1);
}
END_TEST

START_TEST(test_hist_bucket_holds_its_value_within_one_percent)
{
	uint64_t s = 42;
	for (int i = 0; i < 200000; i++) {
		/* Spread values over every magnitude. */
		uint64_t v = next_rand(&s) >> (next_rand(&s) % 64);
		unsigned b = bench_hist_bucket_of(v);
		ck_assert_uint_lt(b, BENCH_HIST_BUCKETS);
		ck_assert_uint_le(bench_hist_bucket_low(b), v);
		ck_assert_uint_ge(bench_hist_bucket_high(b), v);
		long double width = (long double)(bench_hist_bucket_high(b) - bench_hist_bucket_low(b));
		ck_assert(width <= (long double)v / 100.0L);
	}
}
END_TEST

START_TEST(test_hist_quantile_of_empty_histogram_is_zero)
{
	struct bench_hist *h = new_hist();
	ck_assert_uint_eq(bench_hist_quantile(h, 0.5), 0);
	ck_assert_uint_eq(bench_hist_quantile(h, 1.0), 0);
	ck_assert(bench_hist_mean(h) == 0.0);
	free(h);
}
END_TEST

START_TEST(test_hist_quantile_extremes_are_exact_min_and_max)
{
	struct bench_hist *h = new_hist();
	bench_hist_record(h, 1234567);
	bench_hist_record(h, 999);
	bench_hist_record(h, 7654321);
	ck_assert_uint_eq(bench_hist_quantile(h, 0.0), 999);
	ck_assert_uint_eq(bench_hist_quantile(h, 1.0), 7654321);
	ck_assert_uint_eq(h->min, 999);
	ck_assert_uint_eq(h->max, 7654321);
	free(h);
}
END_TEST

START_TEST(test_hist_quantiles_of_uniform_values_are_within_one_percent)
{
	struct bench_hist *h = new_hist();
	const uint64_t n = 1000000;
	for (uint64_t v = 1; v <= n; v++)
		bench_hist_record(h, v);
	const double qs[] = {0.5, 0.9, 0.99, 0.999, 0.9999};
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		double want = qs[i] * (double)n;
		double got = (double)bench_hist_quantile(h, qs[i]);
		ck_assert_msg(got >= want && got <= want * 1.01, "q=%g want %g got %g", qs[i], want,
			      got);
	}
	ck_assert_uint_eq(h->count, n);
	ck_assert(bench_hist_mean(h) > 500000.0 && bench_hist_mean(h) < 500001.0);
	free(h);
}
END_TEST

START_TEST(test_hist_quantile_is_never_below_the_true_value)
{
	/* Two clusters: the 90th percentile must be in the upper one. */
	struct bench_hist *h = new_hist();
	bench_hist_record_n(h, 100000, 899);
	bench_hist_record_n(h, 5000000, 101);
	ck_assert_uint_eq(bench_hist_quantile(h, 0.899), bench_hist_bucket_high(bench_hist_bucket_of(100000)));
	uint64_t p90 = bench_hist_quantile(h, 0.90);
	ck_assert_uint_ge(p90, 5000000);
	ck_assert_uint_le(p90, 5000000 + 5000000 / 100);
	free(h);
}
END_TEST

START_TEST(test_hist_record_n_equals_n_single_records)
{
	struct bench_hist *a = new_hist(), *b = new_hist();
	bench_hist_record_n(a, 777, 5);
	bench_hist_record_n(a, 3, 0);
	for (int i = 0; i < 5; i++)
		bench_hist_record(b, 777);
	ck_assert_uint_eq(a->count, b->count);
	ck_assert_uint_eq(a->min, b->min);
	ck_assert_uint_eq(a->max, b->max);
	ck_assert(bench_hist_mean(a) == bench_hist_mean(b));
	for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++)
		ck_assert_uint_eq(a->buckets[i], b->buckets[i]);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_hist_merge_equals_recording_into_one_histogram)
{
	struct bench_hist *a = new_hist(), *b = new_hist(), *all = new_hist(), *empty = new_hist();
	uint64_t s = 7;
	for (int i = 0; i < 50000; i++) {
		uint64_t v = next_rand(&s) % 100000000;
		bench_hist_record(i % 3 ? a : b, v);
		bench_hist_record(all, v);
	}
	bench_hist_merge(a, b);
	bench_hist_merge(a, empty);
	ck_assert_uint_eq(a->count, all->count);
	ck_assert_uint_eq(a->min, all->min);
	ck_assert_uint_eq(a->max, all->max);
	for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++)
		ck_assert_uint_eq(a->buckets[i], all->buckets[i]);
	ck_assert_uint_eq(bench_hist_quantile(a, 0.99), bench_hist_quantile(all, 0.99));
	/* Merging into an empty histogram copies min and max. */
	bench_hist_merge(empty, all);
	ck_assert_uint_eq(empty->min, all->min);
	ck_assert_uint_eq(empty->max, all->max);
	free(a);
	free(b);
	free(all);
	free(empty);
}
END_TEST

START_TEST(test_hist_handles_zero_and_the_largest_value)
{
	struct bench_hist *h = new_hist();
	bench_hist_record(h, 0);
	bench_hist_record(h, UINT64_MAX);
	ck_assert_uint_eq(bench_hist_quantile(h, 0.5), 0);
	ck_assert_uint_eq(bench_hist_quantile(h, 0.75), UINT64_MAX);
	ck_assert_uint_eq(h->buckets[0], 1);
	ck_assert_uint_eq(h->buckets[BENCH_HIST_BUCKETS - 1], 1);
	free(h);
}
END_TEST

static Suite *hist_suite(void)
{
	Suite *s = suite_create("hist");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_hist_values_below_sub_count_get_their_own_bucket);
	tcase_add_test(tc, test_hist_buckets_are_contiguous_over_the_whole_range);
	tcase_add_test(tc, test_hist_bucket_holds_its_value_within_one_percent);
	tcase_add_test(tc, test_hist_quantile_of_empty_histogram_is_zero);
	tcase_add_test(tc, test_hist_quantile_extremes_are_exact_min_and_max);
	tcase_add_test(tc, test_hist_quantiles_of_uniform_values_are_within_one_percent);
	tcase_add_test(tc, test_hist_quantile_is_never_below_the_true_value);
	tcase_add_test(tc, test_hist_record_n_equals_n_single_records);
	tcase_add_test(tc, test_hist_merge_equals_recording_into_one_histogram);
	tcase_add_test(tc, test_hist_handles_zero_and_the_largest_value);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hist_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
