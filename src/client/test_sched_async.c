/* The asynchronous scheduler client (tinykv_sched.h) and the blocking one
 * over it, against the fake scheduler of fake_server.h. */
#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/fake_server.h"
#include "tinykv_sched.h"
#include "util/clock.h"

static uint64_t ms_now(void)
{
	return tk_mono_ns() / 1000000u;
}

/* What one callback saw. */
struct seen {
	int calls;
	enum tk_err code;
	char msg[512];
	uint64_t first, count;
	bool bootstrapped, has_step;
	struct tkv_op_step step;
	struct tkv_store_info store;
	uint64_t at_ms;
};

static void record(void *arg, const struct tkv_sched_reply *r)
{
	struct seen *s = arg;
	s->calls++;
	s->code = r->code;
	snprintf(s->msg, sizeof s->msg, "%s", r->message);
	s->first = r->first;
	s->count = r->count;
	s->bootstrapped = r->bootstrapped;
	s->has_step = r->has_step;
	s->step = r->step;
	if (r->store)
		s->store = *r->store;
	s->at_ms = ms_now();
}

/* Run the loop until the callback fired (at most 3 s). */
static void run_until(struct event_base *base, const int *calls)
{
	uint64_t end = ms_now() + 3000;
	while (*calls == 0 && ms_now() < end) {
		struct timeval tv = {0, 5000};
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	ck_assert_msg(*calls > 0, "no callback within 3 s");
}

static struct tkv_sched_async *open_sched(struct event_base *base, const char *addr,
                                          unsigned timeout_ms)
{
	struct tkv_sched_config cfg;
	tkv_sched_config_default(&cfg);
	cfg.address = addr;
	cfg.role = "store";
	cfg.timeout_ms = timeout_ms;
	cfg.connect_timeout_ms = 1000;
	cfg.reconnect_min_ms = 40;
	cfg.reconnect_max_ms = 100;
	struct tkv_sched_async *s;
	struct tk_errbuf eb;
	ck_assert_int_eq(tkv_sched_async_new(base, &cfg, &s, &eb), TK_OK);
	return s;
}

START_TEST(test_sched_async_registers_heartbeats_and_allocates_ids)
{
	struct tkv_fake *f = tkv_fake_new(TKV_FAKE_SCHEDULER);
	tkv_fake_listen(f);
	struct event_base *base = event_base_new();
	struct tkv_sched_async *s = open_sched(base, tkv_fake_address(f), 2000);
	struct seen boot = {0}, put = {0}, get = {0}, missing = {0}, shb = {0}, rhb = {0},
	            ids = {0};
	ck_assert_int_eq(tkv_sched_async_is_bootstrapped(s, record, &boot), TK_OK);
	ck_assert_int_eq(tkv_sched_async_put_store(s, 5, "10.0.0.5:20160", record, &put), TK_OK);
	ck_assert_int_eq(boot.calls, 0); /* never from inside the request function */
	run_until(base, &put.calls);
	ck_assert_int_eq(tkv_sched_async_get_store(s, 5, record, &get), TK_OK);
	ck_assert_int_eq(tkv_sched_async_get_store(s, 6, record, &missing), TK_OK);
	struct tkv_store_stats st = {.store_id = 5, .capacity = 100, .available = 50};
	ck_assert_int_eq(tkv_sched_async_store_heartbeat(s, &st, record, &shb), TK_OK);
	struct tkv_peer peers[1] = {{71, 5}};
	struct tkv_region_hb hb = {.region = {.id = 7, .peers = peers, .n_peers = 1},
	                           .leader = {71, 5}};
	ck_assert_int_eq(tkv_sched_async_region_heartbeat(s, &hb, record, &rhb), TK_OK);
	ck_assert_int_eq(tkv_sched_async_alloc_ids(s, 3, record, &ids), TK_OK);
	run_until(base, &ids.calls);
	run_until(base, &rhb.calls);
	run_until(base, &missing.calls);
	ck_assert(tkv_sched_async_ready(s));
	ck_assert_uint_eq(tkv_sched_async_cluster_id(s), 42);
	ck_assert_int_eq(boot.code, TK_OK);
	ck_assert(boot.bootstrapped);
	ck_assert_int_eq(put.code, TK_OK);
	ck_assert_int_eq(get.code, TK_OK);
	ck_assert_str_eq(get.store.addr, "10.0.0.5:20160");
	ck_assert_str_eq(get.store.state, "up");
	ck_assert_int_eq(missing.code, TK_E_NOT_FOUND);
	ck_assert_str_eq(missing.msg, "store not registered");
	ck_assert_int_eq(shb.code, TK_OK);
	ck_assert_int_eq(rhb.code, TK_OK);
	ck_assert(rhb.has_step);
	ck_assert_int_eq(rhb.step.kind, TKV_STEP_ADD_PEER);
	ck_assert_uint_eq(rhb.step.peer_id, 70);
	ck_assert_uint_eq(rhb.step.store_id, 3);
	ck_assert_int_eq(ids.code, TK_OK);
	ck_assert_uint_eq(ids.first, 1000);
	ck_assert_uint_eq(ids.count, 3);
	ck_assert_uint_eq(tkv_sched_async_in_flight(s), 0);
	tkv_sched_async_free(s);
	event_base_free(base);
	tkv_fake_stop(f);
}
END_TEST

/* The scheduler is not up when the handle is made: the first request fails
 * with the connect error, from the loop; attempts back off (40, 80, then
 * 100 ms apart at most); once it listens, the next request is served over a
 * new connection without the caller doing anything else. */
START_TEST(test_sched_async_scheduler_down_at_first_is_used_once_it_is_up)
{
	struct tkv_fake *f = tkv_fake_new(TKV_FAKE_SCHEDULER);
	struct event_base *base = event_base_new();
	uint64_t t0 = ms_now();
	struct tkv_sched_async *s = open_sched(base, tkv_fake_address(f), 2000);
	struct seen r[4];
	memset(r, 0, sizeof r);
	for (int i = 0; i < 4; i++) {
		uint64_t t = ms_now();
		ck_assert_int_eq(tkv_sched_async_get_ts(s, 1, record, &r[i]), TK_OK);
		ck_assert_uint_lt(ms_now() - t, 35); /* queued, not waited for (backoff 40+) */
		run_until(base, &r[i].calls);
		ck_assert_int_eq(r[i].code, TK_E_CONNECTION);
		ck_assert_msg(strstr(r[i].msg, "refused"), "%s", r[i].msg);
	}
	/* the first attempt at once, not after a backoff (compared with the
	 * first backoff rather than a fixed bound: ASan on a loaded machine) */
	ck_assert_uint_lt(r[0].at_ms - t0, r[1].at_ms - r[0].at_ms);
	/* then 40, 80, 100 ms after the previous attempt (the timer may fire a
	 * little early or late: allow 5 ms) */
	ck_assert_uint_ge(r[1].at_ms - r[0].at_ms, 35);
	ck_assert_uint_ge(r[2].at_ms - r[1].at_ms, 75);
	ck_assert_uint_ge(r[3].at_ms - r[2].at_ms, 95);
	ck_assert_uint_lt(r[3].at_ms - r[2].at_ms, 500);
	ck_assert(!tkv_sched_async_ready(s));
	struct tk_errbuf eb;
	ck_assert_int_eq(tkv_sched_async_error(s, &eb), TK_E_CONNECTION);

	tkv_fake_listen(f);
	struct seen ok = {0};
	ck_assert_int_eq(tkv_sched_async_get_ts(s, 2, record, &ok), TK_OK);
	run_until(base, &ok.calls);
	ck_assert_msg(ok.code == TK_OK, "%s", ok.msg);
	ck_assert_uint_eq(ok.first, 1u << 18);
	ck_assert(tkv_sched_async_ready(s));
	ck_assert_int_eq(tkv_fake_accepts(f), 1);
	tkv_sched_async_free(s);
	event_base_free(base);
	tkv_fake_stop(f);
}
END_TEST

START_TEST(test_sched_async_times_out_a_reply_that_never_comes)
{
	struct tkv_fake *f = tkv_fake_new(TKV_FAKE_SCHEDULER);
	tkv_fake_listen(f);
	struct event_base *base = event_base_new();
	struct tkv_sched_async *s = open_sched(base, tkv_fake_address(f), 100);
	struct seen lost = {0}, next = {0};
	uint64_t t0 = ms_now();
	ck_assert_int_eq(tkv_sched_async_get_ts(s, 999, record, &lost), TK_OK);
	run_until(base, &lost.calls);
	ck_assert_int_eq(lost.code, TK_E_TIMEOUT);
	ck_assert_uint_ge(lost.at_ms - t0, 95);
	ck_assert_msg(strstr(lost.msg, "get_ts"), "%s", lost.msg);
	/* the connection stays: the next request is answered on it */
	ck_assert_int_eq(tkv_sched_async_get_ts(s, 1, record, &next), TK_OK);
	run_until(base, &next.calls);
	ck_assert_int_eq(next.code, TK_OK);
	ck_assert_int_eq(lost.calls, 1);
	ck_assert_int_eq(tkv_fake_accepts(f), 1);
	tkv_sched_async_free(s);
	event_base_free(base);
	tkv_fake_stop(f);
}
END_TEST

struct many {
	int done, bad;
	uint64_t ts[300], ids[100];
	int n_ts, n_ids;
};

static void on_ts(void *arg, const struct tkv_sched_reply *r)
{
	struct many *m = arg;
	m->done++;
	if (r->code || r->first < (1u << 18))
		m->bad++;
	else
		m->ts[m->n_ts++] = r->first;
}

static void on_id(void *arg, const struct tkv_sched_reply *r)
{
	struct many *m = arg;
	m->done++;
	if (r->code || r->first < 1000 || r->first >= (1u << 18))
		m->bad++;
	else
		m->ids[m->n_ids++] = r->first;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* 400 requests of two kinds in flight at once; the fake answers each batch
 * it reads in reverse order, so only the ids can match them. */
START_TEST(test_sched_async_matches_many_pipelined_replies_by_id)
{
	struct tkv_fake *f = tkv_fake_new(TKV_FAKE_SCHEDULER);
	tkv_fake_listen(f);
	struct event_base *base = event_base_new();
	struct tkv_sched_async *s = open_sched(base, tkv_fake_address(f), 3000);
	struct many *m = calloc(1, sizeof *m);
	for (int i = 0; i < 300; i++) {
		ck_assert_int_eq(tkv_sched_async_get_ts(s, 1, on_ts, m), TK_OK);
		if (i % 3 == 0)
			ck_assert_int_eq(tkv_sched_async_alloc_ids(s, 1, on_id, m), TK_OK);
	}
	ck_assert_uint_eq(tkv_sched_async_in_flight(s), 400);
	uint64_t end = ms_now() + 5000;
	while (m->done < 400 && ms_now() < end) {
		struct timeval tv = {0, 5000};
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	ck_assert_int_eq(m->done, 400);
	ck_assert_int_eq(m->bad, 0);
	qsort(m->ts, 300, sizeof m->ts[0], cmp_u64);
	qsort(m->ids, 100, sizeof m->ids[0], cmp_u64);
	for (int i = 0; i < 300; i++)
		ck_assert_uint_eq(m->ts[i], (1u << 18) + (uint64_t)i);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(m->ids[i], 1000 + (uint64_t)i);
	ck_assert_uint_eq(tkv_sched_async_in_flight(s), 0);
	free(m);
	tkv_sched_async_free(s);
	event_base_free(base);
	tkv_fake_stop(f);
}
END_TEST

START_TEST(test_sched_async_refuses_a_store_that_is_no_scheduler)
{
	struct tkv_fake *f = tkv_fake_start(); /* a store */
	struct event_base *base = event_base_new();
	struct tkv_sched_async *s = open_sched(base, tkv_fake_address(f), 2000);
	struct seen r = {0};
	ck_assert_int_eq(tkv_sched_async_get_ts(s, 1, record, &r), TK_OK);
	run_until(base, &r.calls);
	ck_assert_int_eq(r.code, TK_E_VERSION_MISMATCH);
	ck_assert_msg(strstr(r.msg, "not a scheduler"), "%s", r.msg);
	tkv_sched_async_free(s);
	event_base_free(base);
	tkv_fake_stop(f);
}
END_TEST

struct freer {
	struct tkv_sched_async *s;
	int calls;
	enum tk_err codes[2];
};

static void free_in_cb(void *arg, const struct tkv_sched_reply *r)
{
	struct freer *fr = arg;
	fr->codes[fr->calls++] = r->code;
	tkv_sched_async_free(fr->s); /* the second call (CLOSED) is a no-op */
}

START_TEST(test_sched_async_free_inside_a_callback_closes_the_rest)
{
	struct tkv_fake *f = tkv_fake_new(TKV_FAKE_SCHEDULER);
	tkv_fake_listen(f);
	struct event_base *base = event_base_new();
	struct freer fr = {0};
	fr.s = open_sched(base, tkv_fake_address(f), 2000);
	ck_assert_int_eq(tkv_sched_async_alloc_ids(fr.s, 1, free_in_cb, &fr), TK_OK);
	ck_assert_int_eq(tkv_sched_async_get_ts(fr.s, 999, free_in_cb, &fr), TK_OK);
	run_until(base, &fr.calls);
	ck_assert_int_eq(fr.calls, 2);
	ck_assert_int_eq(fr.codes[0], TK_OK);
	ck_assert_int_eq(fr.codes[1], TK_E_CLOSED);
	event_base_free(base);
	tkv_fake_stop(f);
}
END_TEST

/* ---- the blocking client over it ---- */

START_TEST(test_sched_blocking_calls_copy_results_and_report_errors)
{
	struct tkv_fake *f = tkv_fake_new(TKV_FAKE_SCHEDULER);
	tkv_fake_listen(f);
	struct tkv_sched_config cfg;
	tkv_sched_config_default(&cfg);
	cfg.address = tkv_fake_address(f);
	cfg.timeout_ms = 200;
	struct tkv_sched *s;
	struct tk_errbuf eb;
	ck_assert_int_eq(tkv_sched_connect(&cfg, &s, &eb), TK_OK);
	ck_assert_uint_eq(tkv_sched_cluster_id(s), 42);
	uint64_t first;
	ck_assert_int_eq(tkv_sched_alloc_ids(s, 5, &first, &eb), TK_OK);
	ck_assert_uint_eq(first, 1000);
	ck_assert_int_eq(tkv_sched_put_store(s, 9, "h:1", &eb), TK_OK);
	struct tkv_store_info st;
	ck_assert_int_eq(tkv_sched_get_store(s, 9, &st, &eb), TK_OK);
	ck_assert_str_eq(st.addr, "h:1");
	ck_assert_int_eq(tkv_sched_get_store(s, 10, &st, &eb), TK_E_NOT_FOUND);
	ck_assert_str_eq(eb.msg, "store not registered");
	ck_assert_int_eq(tkv_sched_get_ts(s, 999, &first, NULL), TK_E_TIMEOUT);
	ck_assert_int_eq(tkv_sched_get_ts(s, 1, &first, &eb), TK_OK);
	tkv_sched_close(s);
	tkv_fake_stop(f);
}
END_TEST

START_TEST(test_sched_blocking_connect_to_a_down_scheduler_fails)
{
	struct tkv_fake *f = tkv_fake_new(TKV_FAKE_SCHEDULER);
	struct tkv_sched_config cfg;
	tkv_sched_config_default(&cfg);
	cfg.address = tkv_fake_address(f);
	struct tkv_sched *s = NULL;
	struct tk_errbuf eb;
	ck_assert_int_eq(tkv_sched_connect(&cfg, &s, &eb), TK_E_CONNECTION);
	ck_assert_msg(strstr(eb.msg, tkv_fake_address(f)), "%s", eb.msg);
	tkv_fake_stop(f);
}
END_TEST

static Suite *sched_suite(void)
{
	Suite *s = suite_create("sched_async");
	TCase *tc = tcase_create("async");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sched_async_registers_heartbeats_and_allocates_ids);
	tcase_add_test(tc, test_sched_async_scheduler_down_at_first_is_used_once_it_is_up);
	tcase_add_test(tc, test_sched_async_times_out_a_reply_that_never_comes);
	tcase_add_test(tc, test_sched_async_matches_many_pipelined_replies_by_id);
	tcase_add_test(tc, test_sched_async_refuses_a_store_that_is_no_scheduler);
	tcase_add_test(tc, test_sched_async_free_inside_a_callback_closes_the_rest);
	suite_add_tcase(s, tc);
	tc = tcase_create("blocking");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sched_blocking_calls_copy_results_and_report_errors);
	tcase_add_test(tc, test_sched_blocking_connect_to_a_down_scheduler_fails);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sched_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
