/* Tests of the benchmark engine (run.c) against a real tinykvd started on a
 * free loopback port.  Skipped (exit 77) when tinykvd is not built. */
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

static char tinykvd_path[4096];
static char tmpdir[256];
static char address[128];
static pid_t server_pid;

static bool find_tinykvd(void)
{
	const char *top = getenv("top_builddir");
	snprintf(tinykvd_path, sizeof(tinykvd_path), "%s/src/server/tinykvd", top ? top : ".");
	return access(tinykvd_path, X_OK) == 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Start tinykvd on port 0 and read its address from the "ready" log line,
 * polling with a deadline. */
static void start_server(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tinykv-test-run.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	char datadir[512], log[512];
	snprintf(datadir, sizeof(datadir), "%s/data", tmpdir);
	snprintf(log, sizeof(log), "%s/log", tmpdir);
	server_pid = fork();
	ck_assert_int_ge(server_pid, 0);
	if (server_pid == 0) {
		execl(tinykvd_path, "tinykvd", "--listen", "127.0.0.1:0", "--status-addr", "off",
		      "--data-dir", datadir, "--sync", "off", "--log-file", log, (char *)NULL);
		_exit(127);
	}
	address[0] = '\0';
	for (int i = 0; i < 200 && !address[0]; i++) {
		FILE *f = fopen(log, "r");
		char line[1024];
		while (f && fgets(line, sizeof(line), f)) {
			const char *p = strstr(line, "tinykvd ready listen=");
			if (p && sscanf(p, "tinykvd ready listen=%127s", address) == 1)
				break;
			address[0] = '\0';
		}
		if (f)
			fclose(f);
		if (!address[0])
			sleep_ms(50);
	}
	ck_assert_msg(address[0], "tinykvd did not log its ready line in %s", log);
}

static void stop_server(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGCONT);
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = 0;
	}
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
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (!find_tinykvd()) {
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
