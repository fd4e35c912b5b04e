/* Unit tests of tinykv-scheduler's state layer (sched_state.c): what the
 * daemon adds to the pure core (persistence through a real LevelDB, the
 * clocks, heartbeat replies with operator steps), and the wire conversion
 * of the service. */
#define _GNU_SOURCE 1
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meta/region_wire.h"
#include "schedd/service.h"
#include "schedd/state.h"
#include "util/log.h"

struct fix {
	char *dir;
	struct eng *eng;
	struct schedd d;
	uint64_t wall, mono;
};

static uint64_t fake_wall(void *arg)
{
	return ((struct fix *)arg)->wall;
}

static uint64_t fake_mono(void *arg)
{
	return ((struct fix *)arg)->mono;
}

static enum tk_err fix_open_id(struct fix *f, uint64_t want, struct tk_errbuf *eb)
{
	struct eng_options o;
	eng_options_default(&o);
	o.path = f->dir;
	o.create_if_missing = true;
	o.block_cache_bytes = 1 << 20;
	o.write_buffer_bytes = 1 << 20;
	ck_assert_int_eq(eng_open(&o, &f->eng, eb), TK_OK);
	memset(&f->d, 0, sizeof f->d);
	f->d.wall_ms = fake_wall;
	f->d.mono_ms = fake_mono;
	f->d.clock_arg = f;
	return schedd_open(&f->d, f->eng, want, 4242, eb);
}

static void fix_open(struct fix *f)
{
	struct tk_errbuf eb;
	enum tk_err e = fix_open_id(f, 0, &eb);
	ck_assert_msg(e == TK_OK, "%s", eb.msg);
}

static void fix_close(struct fix *f)
{
	schedd_close(&f->d);
	eng_close(f->eng);
	f->eng = NULL;
}

static void fix_init(struct fix *f)
{
	memset(f, 0, sizeof *f);
	f->dir = strdup("/tmp/tksched-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	f->wall = 1700000000000ull;
	f->mono = 1000;
	fix_open(f);
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static void fix_destroy(struct fix *f)
{
	if (f->eng)
		fix_close(f);
	nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(f->dir);
}

/* A region [start, end) with peers (id, store) pairs. */
struct tregion {
	struct region r;
	struct region_peer peers[8];
};

static void treg(struct tregion *t, uint64_t id, const char *start, const char *end, uint64_t conf_ver,
		 uint64_t version, size_t n, const uint64_t *pairs)
{
	memset(t, 0, sizeof *t);
	t->r.id = id;
	t->r.start_key = (const uint8_t *)start;
	t->r.start_len = strlen(start);
	t->r.end_key = (const uint8_t *)end;
	t->r.end_len = strlen(end);
	t->r.epoch = (struct region_epoch){conf_ver, version};
	for (size_t i = 0; i < n; i++)
		t->peers[i] = (struct region_peer){pairs[2 * i], pairs[2 * i + 1]};
	t->r.peers = t->peers;
	t->r.n_peers = n;
	t->r.leader_peer_id = pairs[0];
}

static void boot(struct fix *f, uint64_t nstores)
{
	struct tk_errbuf eb;
	struct tregion t;
	treg(&t, 100, "", "", 1, 1, 1, (uint64_t[]){101, 1});
	ck_assert_int_eq(schedd_bootstrap(&f->d, 1, "h:1", &t.r, &eb), TK_OK);
	for (uint64_t s = 2; s <= nstores; s++) {
		char addr[16];
		snprintf(addr, sizeof addr, "h:%llu", (unsigned long long)s);
		ck_assert_int_eq(schedd_put_store(&f->d, s, addr, &eb), TK_OK);
	}
	for (uint64_t s = 1; s <= nstores; s++) {
		struct store_stats st = {.store_id = s, .capacity = 100ull << 30, .available = 90ull << 30};
		ck_assert_int_eq(schedd_store_heartbeat(&f->d, &st, &eb), TK_OK);
	}
}

START_TEST(test_new_data_dir_records_generated_cluster_id_and_keeps_it)
{
	struct fix f;
	fix_init(&f);
	ck_assert_uint_eq(f.d.cluster_id, 4242);
	fix_close(&f);
	struct tk_errbuf eb;
	ck_assert_int_eq(fix_open_id(&f, 0, &eb), TK_OK);
	ck_assert_uint_eq(f.d.cluster_id, 4242);
	fix_close(&f);
	ck_assert_int_eq(fix_open_id(&f, 7, &eb), TK_E_CLUSTER_MISMATCH);
	ck_assert_ptr_nonnull(strstr(eb.msg, "4242"));
	schedd_close(&f.d);
	eng_close(f.eng);
	f.eng = NULL;
	fix_destroy(&f);
}
END_TEST

START_TEST(test_timestamps_never_repeat_after_reopen_even_with_clock_back)
{
	struct fix f;
	fix_init(&f);
	struct tk_errbuf eb;
	uint64_t ts, last = 0, wait;
	for (int i = 0; i < 100; i++) {
		ck_assert_int_eq(schedd_get_ts(&f.d, 10, &ts, &wait, &eb), TK_OK);
		ck_assert_uint_eq(wait, 0);
		ck_assert_uint_gt(ts, last);
		last = ts + 9;
		f.wall += i % 3 == 0;
	}
	fix_close(&f);
	f.wall -= 60000; /* the wall clock stepped back a minute over the restart */
	fix_open(&f);
	ck_assert_int_eq(schedd_get_ts(&f.d, 1, &ts, &wait, &eb), TK_OK);
	ck_assert_uint_eq(wait, 0);
	ck_assert_uint_gt(ts, last);
	fix_destroy(&f);
}
END_TEST

START_TEST(test_timestamp_count_above_the_limit_is_refused_naming_it)
{
	struct fix f;
	fix_init(&f);
	struct tk_errbuf eb;
	uint64_t ts, wait;
	ck_assert_int_eq(schedd_get_ts(&f.d, TSO_MAX_COUNT + 1, &ts, &wait, &eb), TK_E_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(eb.msg, "limit of 16384"));
	ck_assert_int_eq(schedd_get_ts(&f.d, TSO_MAX_COUNT, &ts, &wait, &eb), TK_OK);
	ck_assert_uint_eq(wait, 0);
	fix_destroy(&f);
}
END_TEST

START_TEST(test_a_used_up_millisecond_says_when_to_ask_again)
{
	struct fix f;
	fix_init(&f);
	struct tk_errbuf eb;
	uint64_t ts, wait, last = 0;
	/* 16 batches of 16384 fill the clock's millisecond */
	for (int i = 0; i < 16; i++) {
		ck_assert_int_eq(schedd_get_ts(&f.d, TSO_MAX_COUNT, &ts, &wait, &eb), TK_OK);
		ck_assert_uint_eq(wait, 0);
		ck_assert_uint_eq(tso_physical(ts), f.wall);
		ck_assert_uint_gt(ts, last);
		last = ts;
	}
	ck_assert_int_eq(schedd_get_ts(&f.d, 1, &ts, &wait, &eb), TK_OK);
	ck_assert_uint_eq(wait, f.wall + 1);
	f.wall++;
	ck_assert_int_eq(schedd_get_ts(&f.d, 1, &ts, &wait, &eb), TK_OK);
	ck_assert_uint_eq(wait, 0);
	ck_assert_uint_eq(tso_physical(ts), f.wall);
	fix_destroy(&f);
}
END_TEST

START_TEST(test_ids_never_repeat_after_reopen)
{
	struct fix f;
	fix_init(&f);
	struct tk_errbuf eb;
	uint64_t id, last = 0;
	for (int i = 0; i < 50; i++) {
		ck_assert_int_eq(schedd_alloc_ids(&f.d, 100, &id, &eb), TK_OK);
		ck_assert_uint_gt(id, last);
		last = id + 99;
	}
	fix_close(&f);
	fix_open(&f);
	ck_assert_int_eq(schedd_alloc_ids(&f.d, 1, &id, &eb), TK_OK);
	ck_assert_uint_gt(id, last);
	fix_destroy(&f);
}
END_TEST

START_TEST(test_ids_skip_past_ids_found_in_bootstrap)
{
	struct fix f;
	fix_init(&f);
	boot(&f, 1); /* region 100, peer 101 chosen by the caller */
	struct tk_errbuf eb;
	uint64_t id;
	ck_assert_int_eq(schedd_alloc_ids(&f.d, 1, &id, &eb), TK_OK);
	ck_assert_uint_gt(id, 101);
	fix_destroy(&f);
}
END_TEST

START_TEST(test_requests_before_bootstrap_are_not_bootstrapped)
{
	struct fix f;
	fix_init(&f);
	struct tk_errbuf eb;
	struct tregion t;
	treg(&t, 5, "", "", 1, 1, 1, (uint64_t[]){6, 1});
	struct op_step st;
	bool has;
	ck_assert_int_eq(schedd_put_store(&f.d, 1, "h:1", &eb), TK_E_NOT_BOOTSTRAPPED);
	ck_assert_int_eq(schedd_region_heartbeat(&f.d, &t.r, &st, &has, &eb), TK_E_NOT_BOOTSTRAPPED);
	ck_assert_int_eq(schedd_bootstrap(&f.d, 2, "h:2", &t.r, &eb), TK_E_BAD_REQUEST);
	ck_assert_int_eq(schedd_bootstrap(&f.d, 1, "h:1", &t.r, &eb), TK_OK);
	ck_assert_int_eq(schedd_bootstrap(&f.d, 1, "h:1", &t.r, &eb), TK_E_ALREADY_BOOTSTRAPPED);
	fix_destroy(&f);
}
END_TEST

START_TEST(test_under_replicated_region_gets_add_peer_in_heartbeat_reply)
{
	struct fix f;
	fix_init(&f);
	boot(&f, 3);
	struct tk_errbuf eb;
	struct tregion t;
	treg(&t, 100, "", "", 1, 1, 1, (uint64_t[]){101, 1});
	struct op_step st;
	bool has;
	ck_assert_int_eq(schedd_region_heartbeat(&f.d, &t.r, &st, &has, &eb), TK_OK);
	ck_assert(has);
	ck_assert_int_eq(st.kind, OP_STEP_ADD_PEER);
	ck_assert(st.store_id == 2 || st.store_id == 3);
	ck_assert_uint_gt(st.peer_id, 101);
	/* the same heartbeat again: the same step */
	struct op_step again;
	ck_assert_int_eq(schedd_region_heartbeat(&f.d, &t.r, &again, &has, &eb), TK_OK);
	ck_assert(has);
	ck_assert_uint_eq(again.peer_id, st.peer_id);
	/* the store reports the new peer: the operator finishes, the next one
	 * adds the third replica */
	treg(&t, 100, "", "", 2, 1, 2, (uint64_t[]){101, 1, st.peer_id, st.store_id});
	ck_assert_int_eq(schedd_region_heartbeat(&f.d, &t.r, &again, &has, &eb), TK_OK);
	ck_assert(has);
	ck_assert_uint_ne(again.store_id, st.store_id);
	ck_assert_uint_ge(f.d.stats.ops_finished, 1);
	fix_destroy(&f);
}
END_TEST

START_TEST(test_stale_heartbeat_is_refused_with_both_epochs)
{
	struct fix f;
	fix_init(&f);
	boot(&f, 1);
	struct tk_errbuf eb;
	struct tregion t;
	struct op_step st;
	bool has;
	treg(&t, 100, "", "", 1, 5, 1, (uint64_t[]){101, 1});
	ck_assert_int_eq(schedd_region_heartbeat(&f.d, &t.r, &st, &has, &eb), TK_OK);
	treg(&t, 100, "", "", 1, 4, 1, (uint64_t[]){101, 1});
	ck_assert_int_eq(schedd_region_heartbeat(&f.d, &t.r, &st, &has, &eb), TK_E_STALE_COMMAND);
	ck_assert_ptr_nonnull(strstr(eb.msg, "version 4"));
	ck_assert_ptr_nonnull(strstr(eb.msg, "version 5"));
	ck_assert_uint_eq(f.d.stats.stale_heartbeats, 1);
	fix_destroy(&f);
}
END_TEST

START_TEST(test_split_routing_survives_reopen)
{
	struct fix f;
	fix_init(&f);
	boot(&f, 1);
	struct tk_errbuf eb;
	struct tregion t;
	treg(&t, 100, "", "", 1, 1, 1, (uint64_t[]){101, 1});
	uint64_t nr, np[1];
	ck_assert_int_eq(schedd_ask_split(&f.d, &t.r, &nr, np, &eb), TK_OK);
	struct op_step st;
	bool has;
	/* the new right half first: it replaces the parent's overlap */
	struct tregion right;
	treg(&right, nr, "m", "", 1, 2, 1, (uint64_t[]){np[0], 1});
	ck_assert_int_eq(schedd_region_heartbeat(&f.d, &right.r, &st, &has, &eb), TK_OK);
	treg(&t, 100, "", "m", 1, 2, 1, (uint64_t[]){101, 1});
	ck_assert_int_eq(schedd_region_heartbeat(&f.d, &t.r, &st, &has, &eb), TK_OK);
	/* asking to split with the old epoch is stale */
	treg(&t, 100, "", "", 1, 1, 1, (uint64_t[]){101, 1});
	ck_assert_int_eq(schedd_ask_split(&f.d, &t.r, &nr, np, &eb), TK_E_EPOCH_NOT_MATCH);
	fix_close(&f);
	fix_open(&f);
	ck_assert(f.d.bootstrapped);
	const struct rtree *rt = cluster_regions(f.d.cluster);
	ck_assert_uint_eq(rtree_count(rt), 2);
	ck_assert_uint_eq(rtree_find(rt, tk_slice_str("a"))->id, 100);
	ck_assert_uint_eq(rtree_find(rt, tk_slice_str("z"))->id, nr);
	ck_assert_uint_eq(rtree_find(rt, tk_slice_str("z"))->leader_peer_id, np[0]);
	fix_destroy(&f);
}
END_TEST

START_TEST(test_store_offline_config_and_schedulers_survive_reopen)
{
	struct fix f;
	fix_init(&f);
	boot(&f, 2);
	struct tk_errbuf eb;
	ck_assert_int_eq(schedd_store_offline(&f.d, 2, false, &eb), TK_OK);
	ck_assert_int_eq(schedd_store_offline(&f.d, 9, false, &eb), TK_E_NOT_FOUND);
	ck_assert_int_eq(schedd_config_set(&f.d, "max-replicas", "5", &eb), TK_OK);
	ck_assert_int_eq(schedd_config_set(&f.d, "max-replicas", "x", &eb), TK_E_BAD_CONFIG);
	ck_assert_int_eq(schedd_remove_scheduler(&f.d, "balance-leader", &eb), TK_OK);
	ck_assert_int_eq(schedd_remove_scheduler(&f.d, "balance-leader", &eb), TK_E_NOT_FOUND);
	fix_close(&f);
	fix_open(&f);
	ck_assert_uint_eq(f.d.cfg.max_replicas, 5);
	ck_assert(!sched_registry_has(&f.d.reg, "balance-leader"));
	ck_assert(sched_registry_has(&f.d.reg, "balance-region"));
	const struct store *s = cluster_store(f.d.cluster, 2);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s->admin, STORE_ADMIN_OFFLINE);
	ck_assert_str_eq(s->address, "h:2");
	fix_destroy(&f);
}
END_TEST

START_TEST(test_balance_plans_only_the_transfers_needed_before_heartbeats_show_them)
{
	struct fix f;
	fix_init(&f);
	boot(&f, 3);
	struct tk_errbuf eb;
	struct op_step st;
	bool has;
	/* 6 regions on stores 1-3, all led from store 1 */
	const char *keys[] = {"", "b", "c", "d", "e", "f", ""};
	for (int i = 0; i < 6; i++) {
		struct tregion t;
		uint64_t id = 200 + (uint64_t)i * 4;
		treg(&t, id, keys[i], keys[i + 1], 1, 2, 3, (uint64_t[]){id + 1, 1, id + 2, 2, id + 3, 3});
		ck_assert_int_eq(schedd_region_heartbeat(&f.d, &t.r, &st, &has, &eb), TK_OK);
	}
	ck_assert_int_eq(schedd_remove_scheduler(&f.d, "balance-region", &eb), TK_OK);
	ck_assert_int_eq(schedd_config_set(&f.d, "leader-schedule-limit", "16", &eb), TK_OK);
	/* Ticks without heartbeats: the map still shows store 1 with every
	 * leader.  The transfers under way count: 6/0/0 needs 2 to store 2
	 * and 2 to store 3, and nothing more however often the tick runs
	 * (the daemon used to work around stacking by refusing a second
	 * operator touching the same store). */
	for (int i = 0; i < 10; i++) {
		f.mono += 100;
		schedd_tick(&f.d);
	}
	ck_assert_uint_eq(opctl_count(f.d.ops, OP_KIND_BALANCE_LEADER), 4);
	unsigned to[4] = {0};
	for (size_t i = 0; i < opctl_total(f.d.ops); i++) {
		const struct operator *op = opctl_at(f.d.ops, i);
		ck_assert_uint_le(op->steps[0].store_id, 3);
		to[op->steps[0].store_id]++;
	}
	ck_assert_uint_eq(to[2], 2);
	ck_assert_uint_eq(to[3], 2);
	fix_destroy(&f);
}
END_TEST

START_TEST(test_wrong_cluster_id_in_a_request_is_cluster_mismatch)
{
	struct fix f;
	fix_init(&f);
	struct tk_errbuf eb;
	ck_assert_int_eq(schedd_check_cluster(&f.d, 0, &eb), TK_OK);
	ck_assert_int_eq(schedd_check_cluster(&f.d, 4242, &eb), TK_OK);
	ck_assert_int_eq(schedd_check_cluster(&f.d, 1, &eb), TK_E_CLUSTER_MISMATCH);
	fix_destroy(&f);
}
END_TEST

START_TEST(test_wire_region_with_too_many_peers_is_bad_request)
{
	struct tk_arena a;
	tk_arena_init(&a);
	struct tk_sched_peer peers[65];
	memset(peers, 0, sizeof peers);
	struct tk_sched_region w;
	memset(&w, 0, sizeof w);
	w.id = 1;
	w.peers.v = peers;
	w.peers.n = 65;
	struct region r;
	struct tk_errbuf eb;
	ck_assert_int_eq(region_from_wire(&a, &w, &r, &eb), TK_E_BAD_REQUEST);
	ck_assert_int_eq(region_from_wire(&a, NULL, &r, &eb), TK_E_BAD_REQUEST);
	w.peers.n = 2;
	peers[0] = (struct tk_sched_peer){.id = 3, .store = 1};
	peers[1] = (struct tk_sched_peer){.id = 4, .store = 2};
	ck_assert_int_eq(region_from_wire(&a, &w, &r, &eb), TK_OK);
	ck_assert_uint_eq(r.n_peers, 2);
	ck_assert_uint_eq(r.peers[1].store_id, 2);
	tk_arena_destroy(&a);
}
END_TEST

int main(void)
{
	tk_log_min_level = TK_LOG_WARN;
	Suite *s = suite_create("sched_state");
	TCase *tc = tcase_create("state");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_new_data_dir_records_generated_cluster_id_and_keeps_it);
	tcase_add_test(tc, test_timestamps_never_repeat_after_reopen_even_with_clock_back);
	tcase_add_test(tc, test_timestamp_count_above_the_limit_is_refused_naming_it);
	tcase_add_test(tc, test_a_used_up_millisecond_says_when_to_ask_again);
	tcase_add_test(tc, test_ids_never_repeat_after_reopen);
	tcase_add_test(tc, test_ids_skip_past_ids_found_in_bootstrap);
	tcase_add_test(tc, test_requests_before_bootstrap_are_not_bootstrapped);
	tcase_add_test(tc, test_under_replicated_region_gets_add_peer_in_heartbeat_reply);
	tcase_add_test(tc, test_stale_heartbeat_is_refused_with_both_epochs);
	tcase_add_test(tc, test_split_routing_survives_reopen);
	tcase_add_test(tc, test_store_offline_config_and_schedulers_survive_reopen);
	tcase_add_test(tc, test_balance_plans_only_the_transfers_needed_before_heartbeats_show_them);
	tcase_add_test(tc, test_wrong_cluster_id_in_a_request_is_cluster_mismatch);
	tcase_add_test(tc, test_wire_region_with_too_many_peers_is_bad_request);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
