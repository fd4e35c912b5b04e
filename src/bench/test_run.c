/* Tests of the benchmark engines (run.c, tso.c, txn.c) against a real
 * tinykvd (and tinykv-scheduler for --mode tso and txn) started on free
 * loopback ports.  Skipped (exit 77) when tinykvd is not built; the tso and
 * txn cases are skipped when tinykv-scheduler is not. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"

static char tinykvd_path[4096], scheduler_path[4096];
static char tmpdir[256];
static char address[128], sched_address[128];
static pid_t server_pid, sched_pid;

static bool find_daemon(char *path, size_t len, const char *name)
{
	const char *top = getenv("top_builddir");
	snprintf(path, len, "%s/src/%s/%s", top ? top : ".",
		 strcmp(name, "tinykvd") == 0 ? "store" : "schedd", name);
	return access(path, X_OK) == 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Start a daemon on port 0 with --data-dir DIR/NAME-data and --log-file
 * DIR/NAME.log (plus extra, NULL-terminated, at most 4) and read its address
 * from the "<name> ready listen=" log line, polling with a deadline. */
static pid_t start_daemon(const char *path, const char *name, const char *const *extra,
			  char addr[128])
{
	char datadir[512], log[512], ready[64];
	snprintf(datadir, sizeof(datadir), "%s/%s-data", tmpdir, name);
	snprintf(log, sizeof(log), "%s/%s.log", tmpdir, name);
	snprintf(ready, sizeof(ready), "%s ready listen=", name);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		const char *argv[16] = {name,	   "--listen", "127.0.0.1:0", "--status-addr",
					"off",	   "--data-dir", datadir,	   "--log-file",
					log};
		int n = 9;
		for (; extra && *extra && n < 14; extra++)
			argv[n++] = *extra;
		argv[n] = NULL;
		execv(path, (char *const *)argv);
		_exit(127);
	}
	addr[0] = '\0';
	for (int i = 0; i < 200 && !addr[0]; i++) {
		FILE *f = fopen(log, "r");
		char line[1024];
		while (f && fgets(line, sizeof(line), f)) {
			const char *p = strstr(line, ready);
			if (p && sscanf(p + strlen(ready), "%127s", addr) == 1)
				break;
			addr[0] = '\0';
		}
		if (f)
			fclose(f);
		if (!addr[0])
			sleep_ms(50);
	}
	if (!addr[0]) { /* the fixture's teardown does not run after this */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	ck_assert_msg(addr[0], "%s did not log its ready line in %s", name, log);
	return pid;
}

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tinykv-test-run.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void start_server(void)
{
	static const char *const extra[] = {"--sync", "off", NULL};
	make_tmpdir();
	server_pid = start_daemon(tinykvd_path, "tinykvd", extra, address);
}

static void stop_daemon(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGCONT);
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
		*pid = 0;
	}
}

static void stop_server(void)
{
	stop_daemon(&server_pid);
	stop_daemon(&sched_pid);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

static void config(struct bench_config *c)
{
	bench_config_default(c);
	snprintf(c->address, sizeof(c->address), "%s", address);
	c->quiet = true;
	c->duration_s = 0;
}

static struct bench_result *run(const struct bench_config *c)
{
	struct bench_result *r = calloc(1, sizeof(*r));
	struct tk_errbuf err = {0};
	ck_assert_ptr_nonnull(r);
	enum tk_err rc = bench_run(c, NULL, r, &err);
	ck_assert_msg(rc == TK_E_OK, "bench_run: %s", err.msg);
	return r;
}

START_TEST(test_run_sends_exactly_the_requested_count)
{
	struct bench_config c;
	config(&c);
	c.connections = 3;
	c.pipeline = 5;
	c.threads = 2;
	c.requests = 1001;
	c.keyspace = 500;
	c.preload = true;
	c.mix[OP_GET] = 2;
	c.mix[OP_PUT] = 1;
	c.mix[OP_SCAN] = 1;
	struct bench_result *r = run(&c);
	ck_assert_uint_eq(r->preloaded, 500);
	ck_assert_uint_eq(bench_result_ops(r), 1001);
	ck_assert_uint_eq(bench_result_errors(r), 0);
	/* Every key was preloaded, so every get finds its key. */
	ck_assert_uint_eq(r->op[OP_GET].misses, 0);
	ck_assert_uint_eq(r->op[OP_GET].hits, r->op[OP_GET].ok);
	/* Scans return the limit, except those starting near the last key. */
	ck_assert_uint_le(r->op[OP_SCAN].rows, r->op[OP_SCAN].ok * c.scan_limit);
	ck_assert_uint_gt(r->op[OP_SCAN].rows, r->op[OP_SCAN].ok * c.scan_limit * 9 / 10);
	for (int op = 0; op < OP__COUNT; op++) {
		ck_assert_uint_gt(r->op[op].ok, 0);
		ck_assert_uint_eq(r->op[op].lat.count, r->op[op].ok);
	}
	free(r);
}
END_TEST

/* The server is stopped for 400 ms in the middle of an open-loop run at
 * 2000 requests/s.  The ~800 requests due meanwhile must show their wait:
 * latency counts from the scheduled time, so the high percentiles reflect
 * the stall even though few requests were in flight when it began. */
static void *staller(void *arg)
{
	(void)arg;
	sleep_ms(500);
	kill(server_pid, SIGSTOP);
	sleep_ms(400);
	kill(server_pid, SIGCONT);
	return NULL;
}

START_TEST(test_open_loop_latency_counts_from_the_scheduled_time)
{
	struct bench_config c;
	config(&c);
	c.connections = 2;
	c.pipeline = 4;
	c.requests = 3000;
	c.rate = 2000;
	c.mix[OP_GET] = 1;
	c.mix[OP_PUT] = 0;
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, staller, NULL), 0);
	struct bench_result *r = run(&c);
	pthread_join(t, NULL);
	ck_assert_uint_eq(bench_result_ops(r), 3000);
	ck_assert_uint_eq(bench_result_errors(r), 0);
	ck_assert_uint_eq(r->unsent, 0);
	const struct bench_hist *h = &r->op[OP_GET].lat;
	/* About 27% of the requests were due during the stall, waiting up to
	 * 400 ms: p90 is at least ~250 ms (asserted with margin). */
	ck_assert_msg(bench_hist_quantile(h, 0.90) >= 150000000u, "p90 %llu ns",
		      (unsigned long long)bench_hist_quantile(h, 0.90));
	ck_assert_uint_ge(h->max, 300000000u);
	/* The run still takes about 3000 / 2000 s: the schedule does not
	 * slip when the server stalls. */
	ck_assert_uint_lt(r->elapsed_ns, 3000000000u);
	free(r);
}
END_TEST

START_TEST(test_timed_run_stops_after_its_duration)
{
	struct bench_config c;
	config(&c);
	c.connections = 4;
	c.duration_s = 0.5;
	c.mix[OP_PUT] = 1;
	c.mix[OP_GET] = 0;
	struct bench_result *r = run(&c);
	ck_assert_uint_gt(bench_result_ops(r), 0);
	ck_assert_uint_ge(r->elapsed_ns, 450000000u);
	ck_assert_uint_lt(r->elapsed_ns, 3000000000u);
	ck_assert_uint_eq(bench_result_errors(r), 0);
	free(r);
}
END_TEST

/* The library refuses a frame above the server's limit before sending it:
 * the run stops at once with that error instead of idling until the end. */
START_TEST(test_request_above_the_frame_limit_fails_the_run)
{
	struct bench_config c;
	config(&c);
	c.connections = 2;
	c.requests = 10;
	c.value_size = BENCH_MAX_VALUE; /* tinykvd's default max-frame is 4 MiB */
	c.mix[OP_GET] = 0;
	c.mix[OP_PUT] = 1;
	struct bench_result *r = calloc(1, sizeof(*r));
	struct tk_errbuf err = {0};
	enum tk_err rc = bench_run(&c, NULL, r, &err);
	ck_assert_int_eq(rc, TK_E_TOO_LARGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "refused"));
	free(r);
}
END_TEST

START_TEST(test_unreachable_server_fails_the_run_with_a_reason)
{
	struct bench_config c;
	config(&c);
	snprintf(c.address, sizeof(c.address), "127.0.0.1:1");
	c.requests = 10;
	struct bench_result *r = calloc(1, sizeof(*r));
	struct tk_errbuf err = {0};
	enum tk_err rc = bench_run(&c, NULL, r, &err);
	ck_assert_int_eq(rc, TK_E_CONNECTION);
	ck_assert_ptr_nonnull(strstr(err.msg, "127.0.0.1:1"));
	free(r);
}
END_TEST

/* ---- --mode tso and --mode txn ------------------------------------------ */

/* A scheduler and a tinykvd in one temporary directory. */
static void start_both(void)
{
	static const char *const extra[] = {"--sync", "off", NULL};
	make_tmpdir();
	sched_pid = start_daemon(scheduler_path, "tinykv-scheduler", NULL, sched_address);
	server_pid = start_daemon(tinykvd_path, "tinykvd", extra, address);
}

static void mode_config(struct bench_config *c, enum bench_mode mode)
{
	config(c);
	c->mode = mode;
	snprintf(c->scheduler, sizeof(c->scheduler), "%s", sched_address);
	c->connections = 4;
	c->threads = mode == MODE_TXN ? 4 : 1;
	c->pipeline = 1;
}

static struct bench_result *run_mode(const struct bench_config *c)
{
	struct bench_result *r = calloc(1, sizeof(*r));
	struct tk_errbuf err = {0};
	ck_assert_ptr_nonnull(r);
	enum tk_err rc = c->mode == MODE_TSO ? bench_run_tso(c, NULL, r, &err)
					     : bench_run_txn(c, NULL, r, &err);
	ck_assert_msg(rc == TK_E_OK, "bench_run_%s: %s", bench_mode_name(c->mode), err.msg);
	return r;
}

START_TEST(test_tso_mode_gets_increasing_timestamps_for_its_duration)
{
	struct bench_config c;
	mode_config(&c, MODE_TSO);
	c.duration_s = 1;
	c.tso_batch = 100;
	struct bench_result *r = run_mode(&c);
	ck_assert_uint_gt(r->tso_ok, 0);
	ck_assert_uint_eq(r->timestamps, r->tso_ok * 100);
	ck_assert_uint_eq(r->failed, 0);
	ck_assert_uint_eq(r->ts_violations, 0);
	ck_assert_uint_eq(bench_result_errors(r), 0);
	ck_assert_uint_eq(r->lat.count, r->tso_ok);
	ck_assert_uint_ge(r->elapsed_ns, 900000000u);
	ck_assert_uint_lt(r->elapsed_ns, 5000000000u);
	free(r);
}
END_TEST

START_TEST(test_tso_mode_sends_exactly_the_requested_count)
{
	struct bench_config c;
	mode_config(&c, MODE_TSO);
	c.requests = 1001;
	c.connections = 3;
	c.threads = 2;
	c.pipeline = 4;
	c.tso_batch = 1;
	struct bench_result *r = run_mode(&c);
	ck_assert_uint_eq(r->tso_ok, 1001);
	ck_assert_uint_eq(r->timestamps, 1001);
	ck_assert_uint_eq(r->ts_violations, 0);
	ck_assert_uint_eq(bench_result_ops(r), 1001);
	ck_assert_uint_eq(bench_result_errors(r), 0);
	free(r);
}
END_TEST

START_TEST(test_txn_mode_commits_for_its_duration_without_errors)
{
	struct bench_config c;
	mode_config(&c, MODE_TXN);
	c.duration_s = 1;
	c.txn_keys = 10;
	c.keyspace = 100000;
	struct bench_result *r = run_mode(&c);
	ck_assert_uint_gt(r->txn_committed, 0);
	ck_assert_uint_eq(r->failed, 0);
	ck_assert_uint_eq(bench_result_errors(r), 0);
	ck_assert_uint_eq(r->lat.count, r->txn_committed);
	ck_assert_uint_ge(r->elapsed_ns, 900000000u);
	free(r);
}
END_TEST

/* Four workers writing 5 of 10 keys each: most transactions overlap, so
 * some must abort, and every transaction is either committed or aborted. */
START_TEST(test_txn_mode_counts_aborts_under_contention)
{
	struct bench_config c;
	mode_config(&c, MODE_TXN);
	c.requests = 200;
	c.txn_keys = 5;
	c.keyspace = 10;
	struct bench_result *r = run_mode(&c);
	ck_assert_uint_eq(r->failed, 0);
	ck_assert_uint_eq(r->txn_committed + r->txn_aborted, 200);
	ck_assert_uint_gt(r->txn_committed, 0);
	ck_assert_uint_gt(r->txn_aborted, 0);
	uint64_t by_code = 0;
	for (int e = 0; e < TK_E__COUNT; e++)
		by_code += r->aborts[e];
	ck_assert_uint_eq(by_code, r->txn_aborted);
	free(r);
}
END_TEST

START_TEST(test_unreachable_scheduler_fails_the_tso_run_with_a_reason)
{
	struct bench_config c;
	config(&c);
	c.mode = MODE_TSO;
	snprintf(c.scheduler, sizeof(c.scheduler), "127.0.0.1:1");
	c.connections = 2;
	c.pipeline = 1;
	c.requests = 10;
	struct bench_result *r = calloc(1, sizeof(*r));
	struct tk_errbuf err = {0};
	enum tk_err rc = bench_run_tso(&c, NULL, r, &err);
	ck_assert_int_eq(rc, TK_E_CONNECTION);
	ck_assert_ptr_nonnull(strstr(err.msg, "127.0.0.1:1"));
	free(r);
}
END_TEST

static Suite *run_suite(void)
{
	Suite *s = suite_create("run");
	TCase *tc = tcase_create("tinykvd");
	tcase_add_checked_fixture(tc, start_server, stop_server);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_run_sends_exactly_the_requested_count);
	tcase_add_test(tc, test_open_loop_latency_counts_from_the_scheduled_time);
	tcase_add_test(tc, test_timed_run_stops_after_its_duration);
	tcase_add_test(tc, test_request_above_the_frame_limit_fails_the_run);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, test_unreachable_server_fails_the_run_with_a_reason);
	tcase_add_test(tc, test_unreachable_scheduler_fails_the_tso_run_with_a_reason);
	suite_add_tcase(s, tc);
	if (find_daemon(scheduler_path, sizeof(scheduler_path), "tinykv-scheduler")) {
		tc = tcase_create("modes");
		tcase_add_checked_fixture(tc, start_both, stop_server);
		tcase_set_timeout(tc, 30);
		tcase_add_test(tc, test_tso_mode_gets_increasing_timestamps_for_its_duration);
		tcase_add_test(tc, test_tso_mode_sends_exactly_the_requested_count);
		tcase_add_test(tc, test_txn_mode_commits_for_its_duration_without_errors);
		tcase_add_test(tc, test_txn_mode_counts_aborts_under_contention);
		suite_add_tcase(s, tc);
	} else {
		fprintf(stderr, "test_run: %s not built, tso and txn tests skipped\n",
			scheduler_path);
	}
	return s;
}

int main(void)
{
	if (!find_daemon(tinykvd_path, sizeof(tinykvd_path), "tinykvd")) {
		fprintf(stderr, "test_run: %s not built, skipped\n", tinykvd_path);
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	SRunner *sr = srunner_create(run_suite());
	/* The server is a child of this process: no forking per test. */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
