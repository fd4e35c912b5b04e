/* Unit tests of tinykv-bench's option parsing and workload generation. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

static int parse(struct bench_config *c, char *err, const char *const *args)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = (char *)"tinykv-bench";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	bench_config_default(c);
	FILE *devnull = fopen("/dev/null", "w");
	int rc = bench_parse_args(c, argc, argv, devnull, err, 256);
	fclose(devnull);
	return rc;
}

START_TEST(test_opts_defaults_match_the_documented_values)
{
	struct bench_config c;
	char err[256];
	const char *args[] = {NULL};
	ck_assert_int_eq(parse(&c, err, args), 0);
	ck_assert_str_eq(c.address, "127.0.0.1:20160");
	ck_assert_uint_eq(c.connections, 50);
	ck_assert_uint_eq(c.pipeline, 16);
	ck_assert_uint_eq(c.keyspace, 100000);
	ck_assert_uint_eq(c.value_size, 100);
	ck_assert_uint_eq(c.mix[OP_GET], 90);
	ck_assert_uint_eq(c.mix[OP_PUT], 10);
	ck_assert_uint_eq(c.mix[OP_SCAN], 0);
	ck_assert(c.duration_s == 10);
	ck_assert_uint_eq(c.requests, 0);
	ck_assert(c.rate == 0);
}
END_TEST

START_TEST(test_opts_parse_every_option)
{
	struct bench_config c;
	char err[256];
	const char *args[] = {"-a", "10.0.0.1:7", "-c", "8", "-P", "4", "--threads", "2", "-k",
			      "1m", "-d", "1000", "--mix", "1:2:3", "--scan-limit", "5", "-n",
			      "20k", "--rate", "5000", "--zipf", "--preload", "--json", "-q",
			      "--seed", "9", "--timeout", "50", NULL};
	ck_assert_int_eq(parse(&c, err, args), 0);
	ck_assert_str_eq(c.address, "10.0.0.1:7");
	ck_assert_uint_eq(c.connections, 8);
	ck_assert_uint_eq(c.pipeline, 4);
	ck_assert_uint_eq(c.threads, 2);
	ck_assert_uint_eq(c.keyspace, 1000000);
	ck_assert_uint_eq(c.value_size, 1000);
	ck_assert_uint_eq(c.mix[OP_GET], 1);
	ck_assert_uint_eq(c.mix[OP_PUT], 2);
	ck_assert_uint_eq(c.mix[OP_SCAN], 3);
	ck_assert_uint_eq(c.scan_limit, 5);
	ck_assert_uint_eq(c.requests, 20000);
	ck_assert(c.duration_s == 0);
	ck_assert(c.rate == 5000);
	ck_assert(c.zipf == 0.99);
	ck_assert(c.preload && c.json && c.quiet);
	ck_assert_uint_eq(c.seed, 9);
	ck_assert_uint_eq(c.timeout_ms, 50);
}
END_TEST

START_TEST(test_opts_type_shortcut_sets_a_single_op_mix)
{
	struct bench_config c;
	char err[256];
	const char *args[] = {"-t", "put", "--zipf=0.5", "-D", "2.5", NULL};
	const char *spaced[] = {"--zipf", "0.7", "-q", NULL};
	ck_assert_int_eq(parse(&c, err, args), 0);
	ck_assert_uint_eq(c.mix[OP_GET], 0);
	ck_assert_uint_eq(c.mix[OP_PUT], 1);
	ck_assert_uint_eq(c.mix[OP_SCAN], 0);
	ck_assert(c.zipf == 0.5);
	ck_assert(c.duration_s == 2.5);
	ck_assert_int_eq(parse(&c, err, spaced), 0);
	ck_assert(c.zipf == 0.7);
	ck_assert(c.quiet);
}
END_TEST

START_TEST(test_opts_reject_bad_values_with_a_reason)
{
	static const char *const bad[][4] = {
		{"-c", "0", NULL},       {"-P", "x", NULL},          {"--mix", "0:0:0", NULL},
		{"--mix", "1:2:3:4", NULL}, {"-t", "del", NULL},      {"-n", "-5", NULL},
		{"-D", "0", NULL},       {"-n", "5", "-D", "1"},    {"--zipf=1.5", NULL},
		{"-a", "nocolon", NULL}, {"--bogus", NULL},          {"extra", NULL},
		{"-k", "0", NULL},       {"--threads", "3", "-c", "2"}, {"-d", "99999999", NULL},
		{"-c", NULL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bench_config c;
		char err[256] = "";
		const char *args[5] = {bad[i][0], bad[i][1], bad[i][2], bad[i][3], NULL};
		ck_assert_msg(parse(&c, err, args) == -1, "case %zu accepted", i);
		ck_assert_msg(strlen(err) > 0, "case %zu has no reason", i);
	}
}
END_TEST

START_TEST(test_opts_help_and_version_ask_to_exit)
{
	struct bench_config c;
	char err[256];
	const char *h[] = {"--help", NULL}, *v[] = {"-V", NULL};
	ck_assert_int_eq(parse(&c, err, h), 1);
	ck_assert_int_eq(parse(&c, err, v), 1);
}
END_TEST

START_TEST(test_mix_allows_missing_trailing_weights)
{
	unsigned m[OP__COUNT] = {7, 7, 7};
	ck_assert(bench_parse_mix("95:5", m));
	ck_assert_uint_eq(m[0], 95);
	ck_assert_uint_eq(m[1], 5);
	ck_assert_uint_eq(m[2], 0);
	ck_assert(!bench_parse_mix("", m));
	ck_assert(!bench_parse_mix("5:", m));
	ck_assert(!bench_parse_mix("a:b", m));
	ck_assert_uint_eq(m[0], 95); /* unchanged by a failed parse */
}
END_TEST

START_TEST(test_key_is_prefix_and_twelve_digits)
{
	char buf[32];
	ck_assert_uint_eq(bench_key(buf, 0), 16);
	ck_assert_str_eq(buf, "key:000000000000");
	ck_assert_uint_eq(bench_key(buf, 1234567), 16);
	ck_assert_str_eq(buf, "key:000001234567");
	ck_assert_uint_eq(bench_key(buf, BENCH_MAX_KEYSPACE - 1), 16);
	ck_assert_str_eq(buf, "key:999999999999");
}
END_TEST

START_TEST(test_rng_is_reproducible_and_stays_in_range)
{
	struct bench_rng a, b;
	bench_rng_seed(&a, 5);
	bench_rng_seed(&b, 5);
	uint64_t counts[10] = {0};
	for (int i = 0; i < 100000; i++) {
		ck_assert_uint_eq(bench_rng_next(&a), bench_rng_next(&b));
		uint64_t v = bench_rng_below(&a, 10);
		ck_assert_uint_lt(v, 10);
		counts[v]++;
		double u = bench_rng_unit(&a);
		ck_assert(u >= 0.0 && u < 1.0);
		bench_rng_next(&b);
		bench_rng_next(&b);
	}
	for (int i = 0; i < 10; i++) /* uniform: 10000 each, +-5% */
		ck_assert(counts[i] > 9500 && counts[i] < 10500);
}
END_TEST

START_TEST(test_zipf_rank_frequencies_follow_the_power_law)
{
	const uint64_t n = 1000;
	const double theta = 0.99;
	struct bench_zipf z;
	struct bench_rng r;
	bench_zipf_init(&z, n, theta);
	bench_rng_seed(&r, 11);
	uint64_t *counts = calloc(n, sizeof(*counts));
	const int draws = 400000;
	for (int i = 0; i < draws; i++) {
		uint64_t k = bench_zipf_next(&z, &r);
		ck_assert_uint_lt(k, n);
		counts[k]++;
	}
	/* P(rank i) = (i+1)^-theta / zeta(n): check the head, where the
	 * method is exact, within 5%. */
	for (int i = 0; i < 2; i++) {
		double want = pow(i + 1, -theta) / z.zetan * draws;
		ck_assert_msg(fabs((double)counts[i] - want) < want * 0.05, "rank %d: %llu vs %.0f", i,
			      (unsigned long long)counts[i], want);
	}
	/* And the shape: the first 10% of the keys get most of the draws. */
	uint64_t head = 0;
	for (uint64_t i = 0; i < n / 10; i++)
		head += counts[i];
	ck_assert(head > draws / 2);
	free(counts);
}
END_TEST

START_TEST(test_zipf_handles_tiny_and_huge_keyspaces)
{
	struct bench_zipf z;
	struct bench_rng r;
	bench_rng_seed(&r, 3);
	bench_zipf_init(&z, 1, 0.99);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(bench_zipf_next(&z, &r), 0);
	bench_zipf_init(&z, 2, 0.5);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_lt(bench_zipf_next(&z, &r), 2);
	/* Beyond 10^7 the zeta tail is estimated: still finite and in range. */
	bench_zipf_init(&z, BENCH_MAX_KEYSPACE, 0.99);
	ck_assert(isfinite(z.zetan) && z.zetan > 0);
	for (int i = 0; i < 1000; i++)
		ck_assert_uint_lt(bench_zipf_next(&z, &r), BENCH_MAX_KEYSPACE);
}
END_TEST

START_TEST(test_zeta_tail_estimate_is_close_to_the_exact_sum)
{
	/* 1.2 * 10^7 keys: 10^7 exact terms plus the estimate, against the
	 * exact sum computed here. */
	const uint64_t n = 12000000;
	double exact = 0;
	for (uint64_t i = n; i >= 1; i--)
		exact += pow((double)i, -0.9);
	struct bench_zipf z;
	bench_zipf_init(&z, n, 0.9);
	ck_assert_msg(fabs(z.zetan - exact) < exact * 1e-9, "%.12g vs %.12g", z.zetan, exact);
}
END_TEST

static Suite *bench_suite(void)
{
	Suite *s = suite_create("bench");
	TCase *tc = tcase_create("opts");
	tcase_add_test(tc, test_opts_defaults_match_the_documented_values);
	tcase_add_test(tc, test_opts_parse_every_option);
	tcase_add_test(tc, test_opts_type_shortcut_sets_a_single_op_mix);
	tcase_add_test(tc, test_opts_reject_bad_values_with_a_reason);
	tcase_add_test(tc, test_opts_help_and_version_ask_to_exit);
	tcase_add_test(tc, test_mix_allows_missing_trailing_weights);
	suite_add_tcase(s, tc);
	tc = tcase_create("keygen");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_key_is_prefix_and_twelve_digits);
	tcase_add_test(tc, test_rng_is_reproducible_and_stays_in_range);
	tcase_add_test(tc, test_zipf_rank_frequencies_follow_the_power_law);
	tcase_add_test(tc, test_zipf_handles_tiny_and_huge_keyspaces);
	tcase_add_test(tc, test_zeta_tail_estimate_is_close_to_the_exact_sum);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bench_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
