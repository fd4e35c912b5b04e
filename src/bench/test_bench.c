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
	ck_assert_int_eq(c.mode, MODE_KV);
	ck_assert_str_eq(c.scheduler, "127.0.0.1:2379");
	ck_assert_uint_eq(c.tso_batch, 100);
	ck_assert_uint_eq(c.txn_keys, 1);
}
END_TEST

START_TEST(test_opts_tso_mode_defaults_to_four_connections_with_one_request_in_flight)
{
	struct bench_config c;
	char err[256];
	const char *args[] = {"--mode", "tso", "-s", "10.0.0.2:2379", NULL};
	ck_assert_int_eq(parse(&c, err, args), 0);
	ck_assert_int_eq(c.mode, MODE_TSO);
	ck_assert_str_eq(c.scheduler, "10.0.0.2:2379");
	ck_assert_uint_eq(c.connections, 4);
	ck_assert_uint_eq(c.pipeline, 1);
	ck_assert_uint_eq(c.threads, 1);
	ck_assert_uint_eq(c.tso_batch, 100);
}
END_TEST

START_TEST(test_opts_tso_mode_keeps_explicit_connections_pipeline_and_batch)
{
	struct bench_config c;
	char err[256];
	const char *args[] = {"-m", "tso", "-c", "8", "-P", "3", "--threads", "2",
			      "--tso-batch", "1k", "-n", "500", NULL};
	ck_assert_int_eq(parse(&c, err, args), 0);
	ck_assert_uint_eq(c.connections, 8);
	ck_assert_uint_eq(c.pipeline, 3);
	ck_assert_uint_eq(c.threads, 2);
	ck_assert_uint_eq(c.tso_batch, 1000);
	ck_assert_uint_eq(c.requests, 500);
}
END_TEST

START_TEST(test_opts_tso_mode_takes_the_scheduler_from_address_without_scheduler)
{
	struct bench_config c;
	char err[256];
	const char *only_a[] = {"-m", "tso", "-a", "10.0.0.3:7", NULL};
	const char *both[] = {"-m", "tso", "-a", "10.0.0.3:7", "-s", "10.0.0.4:8", NULL};
	ck_assert_int_eq(parse(&c, err, only_a), 0);
	ck_assert_str_eq(c.scheduler, "10.0.0.3:7");
	ck_assert_int_eq(parse(&c, err, both), 0);
	ck_assert_str_eq(c.scheduler, "10.0.0.4:8");
}
END_TEST

START_TEST(test_opts_txn_mode_runs_one_worker_per_connection)
{
	struct bench_config c;
	char err[256];
	const char *by_c[] = {"--mode=txn", "-c", "6", "--txn-keys", "10", "-k", "100",
			      "--scheduler", "127.0.0.1:9", NULL};
	const char *by_threads[] = {"-m", "txn", "--threads", "3", NULL};
	const char *defaults[] = {"-m", "txn", NULL};
	ck_assert_int_eq(parse(&c, err, by_c), 0);
	ck_assert_int_eq(c.mode, MODE_TXN);
	ck_assert_uint_eq(c.connections, 6);
	ck_assert_uint_eq(c.threads, 6);
	ck_assert_uint_eq(c.txn_keys, 10);
	ck_assert_uint_eq(c.keyspace, 100);
	ck_assert_str_eq(c.scheduler, "127.0.0.1:9");
	ck_assert_str_eq(c.address, "127.0.0.1:20160");
	ck_assert_int_eq(parse(&c, err, by_threads), 0);
	ck_assert_uint_eq(c.connections, 3);
	ck_assert_uint_eq(c.threads, 3);
	ck_assert_int_eq(parse(&c, err, defaults), 0);
	ck_assert_uint_eq(c.connections, 4);
	ck_assert_uint_eq(c.threads, 4);
	ck_assert(c.duration_s == 10);
}
END_TEST

START_TEST(test_opts_kv_mode_is_the_default_and_can_be_named)
{
	struct bench_config c;
	char err[256];
	const char *kv[] = {"-m", "kv", NULL}, *raw[] = {"--mode", "raw", NULL};
	ck_assert_int_eq(parse(&c, err, kv), 0);
	ck_assert_int_eq(c.mode, MODE_KV);
	ck_assert_uint_eq(c.connections, 50);
	ck_assert_uint_eq(c.pipeline, 16);
	ck_assert_int_eq(parse(&c, err, raw), 0);
	ck_assert_int_eq(c.mode, MODE_KV);
	ck_assert_str_eq(bench_mode_name(MODE_KV), "kv");
	ck_assert_str_eq(bench_mode_name(MODE_TSO), "tso");
	ck_assert_str_eq(bench_mode_name(MODE_TXN), "txn");
}
END_TEST

START_TEST(test_opts_reject_bad_mode_values_with_a_reason)
{
	static const char *const bad[][6] = {
		{"-m", "sql", NULL},
		{"--tso-batch", "0", NULL},
		{"--tso-batch", "262145", NULL},
		{"--txn-keys", "0", NULL},
		{"--txn-keys", "1001", NULL},
		{"-s", "nocolon", NULL},
		{"-m", "txn", "--txn-keys", "10", "-k", "5"},
		{"-m", "txn", "--threads", "2", "-c", "3"},
		{"-m", "txn", "-c", "257", NULL},
		{"-m", "tso", "--rate", "100", NULL},
		{"-m", "txn", "--preload", NULL},
		{"-m", "tso", "-t", "get", NULL},
		{"-m", "txn", "--mix", "1:1", NULL},
		{"-m", "tso", "--scan-limit", "5", NULL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bench_config c;
		char err[256] = "";
		const char *args[7] = {bad[i][0], bad[i][1], bad[i][2], bad[i][3],
				       bad[i][4], bad[i][5], NULL};
		ck_assert_msg(parse(&c, err, args) == -1, "case %zu accepted", i);
		ck_assert_msg(strlen(err) > 0, "case %zu has no reason", i);
	}
}
END_TEST

START_TEST(test_txn_aborts_are_the_outcomes_another_transaction_caused)
{
	ck_assert(bench_txn_is_abort(TK_E_WRITE_CONFLICT));
	ck_assert(bench_txn_is_abort(TK_E_TXN_ROLLED_BACK));
	ck_assert(bench_txn_is_abort(TK_E_TXN_NOT_FOUND));
	ck_assert(bench_txn_is_abort(TK_E_KEY_LOCKED));
	ck_assert(!bench_txn_is_abort(TK_E_OK));
	ck_assert(!bench_txn_is_abort(TK_E_CONNECTION));
	ck_assert(!bench_txn_is_abort(TK_E_TIMEOUT));
	ck_assert(!bench_txn_is_abort(TK_E_INTERNAL));
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

static void assert_distinct_below(const uint64_t *k, unsigned n, uint64_t keyspace)
{
	for (unsigned i = 0; i < n; i++) {
		ck_assert_uint_lt(k[i], keyspace);
		for (unsigned j = 0; j < i; j++)
			ck_assert_msg(k[i] != k[j], "key %llu twice", (unsigned long long)k[i]);
	}
}

START_TEST(test_pick_distinct_never_repeats_a_key_in_a_transaction)
{
	struct bench_rng r;
	struct bench_zipf z;
	uint64_t k[10];
	bench_rng_seed(&r, 7);
	for (int round = 0; round < 2000; round++) {
		bench_pick_distinct(&r, NULL, 12, 10, k);
		assert_distinct_below(k, 10, 12);
	}
	/* A skewed draw over a keyspace just large enough still ends. */
	bench_zipf_init(&z, 10, 0.99);
	for (int round = 0; round < 2000; round++) {
		bench_pick_distinct(&r, &z, 10, 10, k);
		assert_distinct_below(k, 10, 10);
	}
	bench_zipf_init(&z, 100000, 0.99);
	bench_pick_distinct(&r, &z, 100000, 10, k);
	assert_distinct_below(k, 10, 100000);
	bench_pick_distinct(&r, NULL, 1, 1, k);
	ck_assert_uint_eq(k[0], 0);
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
	tcase_add_test(tc, test_opts_tso_mode_defaults_to_four_connections_with_one_request_in_flight);
	tcase_add_test(tc, test_opts_tso_mode_keeps_explicit_connections_pipeline_and_batch);
	tcase_add_test(tc, test_opts_tso_mode_takes_the_scheduler_from_address_without_scheduler);
	tcase_add_test(tc, test_opts_txn_mode_runs_one_worker_per_connection);
	tcase_add_test(tc, test_opts_kv_mode_is_the_default_and_can_be_named);
	tcase_add_test(tc, test_opts_reject_bad_mode_values_with_a_reason);
	tcase_add_test(tc, test_txn_aborts_are_the_outcomes_another_transaction_caused);
	suite_add_tcase(s, tc);
	tc = tcase_create("keygen");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_key_is_prefix_and_twelve_digits);
	tcase_add_test(tc, test_rng_is_reproducible_and_stays_in_range);
	tcase_add_test(tc, test_zipf_rank_frequencies_follow_the_power_law);
	tcase_add_test(tc, test_zipf_handles_tiny_and_huge_keyspaces);
	tcase_add_test(tc, test_zeta_tail_estimate_is_close_to_the_exact_sum);
	tcase_add_test(tc, test_pick_distinct_never_repeats_a_key_in_a_transaction);
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
