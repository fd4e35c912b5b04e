/* Routing of the blocking and transactional clients (route.h) against fake
 * stores in cluster mode and a fake scheduler (fake_server.h).  Every
 * outcome is checked through what the fakes saw (request counts, keys),
 * never through elapsed time alone; the few time bounds are generous
 * upper limits on a deadline. */
#include <check.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "client/fake_server.h"
#include "client/route.h"
#include "codec/schema.h"
#include "tinykv.h"
#include "tinykv_txn.h"
#include "util/clock.h"

/* Two stores, store 1 and store 2, and a scheduler. */
struct cluster {
	struct tkv_fake *a, *b, *sched;
};

static void cluster_start(struct cluster *k)
{
	k->a = tkv_fake_start();
	k->b = tkv_fake_start();
	k->sched = tkv_fake_new(TKV_FAKE_SCHEDULER);
	tkv_fake_listen(k->sched);
	tkv_fake_add_store(k->sched, 1, tkv_fake_address(k->a));
	tkv_fake_add_store(k->sched, 2, tkv_fake_address(k->b));
}

static void cluster_stop(struct cluster *k)
{
	tkv_fake_stop(k->a);
	tkv_fake_stop(k->b);
	tkv_fake_stop(k->sched);
}

/* Region id over [start, end) with peers id*10+1 on store 1 and id*10+2 on
 * store 2, epoch 1/version, led by store leader at leader_addr. */
static struct tkv_fake_region region(uint64_t id, const char *start, const char *end,
                                     uint64_t version, uint64_t leader, const char *leader_addr)
{
	struct tkv_fake_region r = {.id = id,
	                            .start = start,
	                            .end = end,
	                            .conf_ver = 1,
	                            .version = version,
	                            .n_peers = 2,
	                            .leader_store = leader,
	                            .leader_addr = leader_addr};
	r.peer_ids[0] = id * 10 + 1;
	r.store_ids[0] = 1;
	r.peer_ids[1] = id * 10 + 2;
	r.store_ids[1] = 2;
	return r;
}

static struct tkv_client *connect_cfg(const char *addr, const char *sched, unsigned timeout_ms,
                                      unsigned deadline_ms, unsigned max_attempts)
{
	struct tkv_config cfg;
	tkv_config_default(&cfg);
	cfg.address = addr;
	cfg.scheduler_address = sched;
	cfg.timeout_ms = timeout_ms;
	cfg.deadline_ms = deadline_ms;
	cfg.max_attempts = max_attempts;
	struct tkv_client *c = NULL;
	struct tk_errbuf eb;
	ck_assert_msg(tkv_connect(&cfg, &c, &eb) == TK_OK, "%s", eb.msg);
	return c;
}

static void put_ok(struct tkv_client *c, const char *k, const char *v)
{
	struct tk_errbuf eb;
	ck_assert_msg(tkv_put(c, k, strlen(k), v, strlen(v), &eb) == TK_OK, "put %s: %s", k,
	              eb.msg);
}

static void get_is(struct tkv_client *c, const char *k, const char *want)
{
	struct tk_errbuf eb;
	uint8_t *v;
	size_t vn;
	bool found;
	ck_assert_msg(tkv_get(c, k, strlen(k), &v, &vn, &found, &eb) == TK_OK, "get %s: %s", k,
	              eb.msg);
	ck_assert(found);
	ck_assert_str_eq((char *)v, want);
	tkv_free(v);
}

START_TEST(test_not_leader_hint_is_followed_without_asking_the_scheduler)
{
	struct cluster k;
	cluster_start(&k);
	struct tkv_fake *c3 = tkv_fake_start();
	tkv_fake_add_store(k.sched, 3, tkv_fake_address(c3));
	/* three peers; the scheduler still names store 1, which knows that
	 * store 3 leads (store 2 would say so too, if asked) */
	struct tkv_fake_region stale = region(2, "", "", 1, 1, tkv_fake_address(k.a));
	stale.n_peers = 3;
	stale.peer_ids[2] = 23;
	stale.store_ids[2] = 3;
	struct tkv_fake_region now = stale;
	now.leader_store = 3;
	now.leader_addr = tkv_fake_address(c3);
	tkv_fake_set_cluster(k.sched, 0, &stale, 1);
	tkv_fake_set_cluster(k.a, 1, &now, 1);
	tkv_fake_set_cluster(k.b, 2, &now, 1);
	tkv_fake_set_cluster(c3, 3, &now, 1);
	struct tkv_client *c = connect_cfg(NULL, tkv_fake_address(k.sched), 2000, 5000, 10);
	put_ok(c, "k", "v");
	ck_assert_uint_eq(tkv_fake_count(k.a, TK_MSG_raw_put), 1); /* the NOT_LEADER */
	ck_assert_uint_eq(tkv_fake_count(c3, TK_MSG_raw_put), 1);
	/* the cache now knows the leader: no detour, no scheduler */
	put_ok(c, "k2", "v2");
	get_is(c, "k", "v");
	ck_assert_uint_eq(tkv_fake_count(k.a, -1), 1);
	ck_assert_uint_eq(tkv_fake_count(k.b, -1), 0);
	ck_assert_uint_eq(tkv_fake_count(c3, -1), 3);
	ck_assert_uint_eq(tkv_fake_count(k.sched, TK_MSG_get_region), 1);
	ck_assert_uint_eq(tkv_fake_count(k.sched, TK_MSG_get_store),
	                  0); /* the hint had the address */
	tkv_close(c);
	tkv_fake_stop(c3);
	cluster_stop(&k);
}
END_TEST

START_TEST(test_store_address_alone_follows_the_leader_hint)
{
	struct cluster k;
	cluster_start(&k);
	struct tkv_fake_region now = region(2, "", "", 1, 2, tkv_fake_address(k.b));
	tkv_fake_set_cluster(k.a, 1, &now, 1);
	tkv_fake_set_cluster(k.b, 2, &now, 1);
	struct tkv_client *c = connect_cfg(tkv_fake_address(k.a), NULL, 2000, 5000, 10);
	put_ok(c, "k", "v");
	put_ok(c, "k2", "v2");
	get_is(c, "k2", "v2");
	/* one redirect, then straight to the leader */
	ck_assert_uint_eq(tkv_fake_count(k.a, -1), 1);
	ck_assert_uint_eq(tkv_fake_count(k.b, -1), 3);
	tkv_close(c);
	cluster_stop(&k);
}
END_TEST

START_TEST(test_epoch_not_match_refreshes_the_cache_from_the_error)
{
	struct cluster k;
	cluster_start(&k);
	/* the scheduler has region 2 before its split at m; store 1 after */
	struct tkv_fake_region before = region(2, "", "", 1, 1, tkv_fake_address(k.a));
	struct tkv_fake_region after[2] = {region(2, "", "m", 2, 1, ""),
	                                   region(8, "m", "", 2, 1, "")};
	tkv_fake_set_cluster(k.sched, 0, &before, 1);
	tkv_fake_set_cluster(k.a, 1, after, 2);
	struct tkv_client *c = connect_cfg(NULL, tkv_fake_address(k.sched), 2000, 5000, 10);
	put_ok(c, "a", "1"); /* EPOCH_NOT_MATCH, then region 2 at version 2 */
	put_ok(c, "z", "2"); /* region 8, from the error's regions */
	get_is(c, "z", "2");
	ck_assert_uint_eq(tkv_fake_count(k.a, TK_MSG_raw_put), 3);
	ck_assert_uint_eq(tkv_fake_count(k.sched, TK_MSG_get_region), 1);
	tkv_close(c);
	cluster_stop(&k);
}
END_TEST

START_TEST(test_scan_and_batches_cross_regions_on_two_stores)
{
	struct cluster k;
	cluster_start(&k);
	struct tkv_fake_region rs[2] = {region(2, "", "m", 1, 1, tkv_fake_address(k.a)),
	                                region(8, "m", "", 1, 2, tkv_fake_address(k.b))};
	tkv_fake_set_cluster(k.sched, 0, rs, 2);
	tkv_fake_set_cluster(k.a, 1, rs, 2);
	tkv_fake_set_cluster(k.b, 2, rs, 2);
	struct tkv_client *c = connect_cfg(NULL, tkv_fake_address(k.sched), 2000, 5000, 10);
	struct tkv_kv_in in[4] = {
	    {"y", 1, "4", 1}, {"a", 1, "1", 1}, {"x", 1, "3", 1}, {"b", 1, "2", 1}};
	struct tk_errbuf eb;
	ck_assert_msg(tkv_batch_put(c, in, 4, &eb) == TK_OK, "%s", eb.msg);
	ck_assert_uint_eq(tkv_fake_count(k.a, TK_MSG_raw_batch_put), 1);
	ck_assert_uint_eq(tkv_fake_count(k.b, TK_MSG_raw_batch_put), 1);
	struct tkv_kv *kvs;
	size_t n;
	bool more;
	ck_assert_int_eq(tkv_scan(c, "", 0, NULL, &kvs, &n, &more, &eb), TK_OK);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq((char *)kvs[0].key, "a");
	ck_assert_str_eq((char *)kvs[1].key, "b");
	ck_assert_str_eq((char *)kvs[2].key, "x");
	ck_assert_str_eq((char *)kvs[3].value, "4");
	ck_assert(!more);
	tkv_kvs_free(kvs, n);
	struct tkv_scan_opts o = {.limit = 3};
	ck_assert_int_eq(tkv_scan(c, "b", 1, &o, &kvs, &n, &more, &eb), TK_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq((char *)kvs[0].key, "b");
	ck_assert_str_eq((char *)kvs[2].key, "y");
	tkv_kvs_free(kvs, n);
	struct tkv_scan_opts rev = {.reverse = true, .end = "y", .end_len = 1};
	ck_assert_int_eq(tkv_scan(c, "", 0, &rev, &kvs, &n, &more, &eb), TK_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq((char *)kvs[0].key, "x");
	ck_assert_str_eq((char *)kvs[1].key, "b");
	ck_assert_str_eq((char *)kvs[2].key, "a");
	tkv_kvs_free(kvs, n);
	/* batch_get answers in request order, over both stores */
	struct tkv_kv_in keys[3] = {{"y", 1, NULL, 0}, {"zz", 2, NULL, 0}, {"a", 1, NULL, 0}};
	ck_assert_int_eq(tkv_batch_get(c, keys, 3, &kvs, &n, &eb), TK_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq((char *)kvs[0].key, "y");
	ck_assert_str_eq((char *)kvs[1].value, "1");
	tkv_kvs_free(kvs, n);
	tkv_close(c);
	cluster_stop(&k);
}
END_TEST

/* One store leading the one region: routing without a scheduler. */
static struct tkv_fake *lone_store(void)
{
	struct tkv_fake *f = tkv_fake_start();
	struct tkv_fake_region r = region(2, "", "", 1, 1, "");
	tkv_fake_set_cluster(f, 1, &r, 1);
	return f;
}

START_TEST(test_server_is_busy_is_retried_after_its_backoff)
{
	struct tkv_fake *f = lone_store();
	struct tkv_client *c = connect_cfg(tkv_fake_address(f), NULL, 2000, 5000, 10);
	tkv_fake_script(f, TKV_FAKE_BUSY, 2, 30);
	uint64_t t0 = tk_mono_ns();
	put_ok(c, "k", "v");
	ck_assert_uint_ge(tk_mono_ns() - t0, 60u * 1000000u); /* twice backoff_ms at least */
	ck_assert_uint_eq(tkv_fake_count(f, TK_MSG_raw_put), 3);
	tkv_close(c);
	tkv_fake_stop(f);
}
END_TEST

START_TEST(test_deadline_and_attempt_cap_bound_a_call)
{
	struct tkv_fake *f = lone_store();
	struct tkv_client *c = connect_cfg(tkv_fake_address(f), NULL, 2000, 300, 1000);
	tkv_fake_script(f, TKV_FAKE_BUSY, 1000000, 50);
	struct tk_errbuf eb;
	uint64_t t0 = tk_mono_ns();
	ck_assert_int_eq(tkv_put(c, "k", 1, "v", 1, &eb), TK_E_SERVER_IS_BUSY);
	uint64_t ms = (tk_mono_ns() - t0) / 1000000u;
	ck_assert_msg(ms < 300 + 2000, "took %llu ms", (unsigned long long)ms);
	unsigned n = tkv_fake_count(f, TK_MSG_raw_put);
	ck_assert_uint_ge(n, 2);
	ck_assert_uint_le(n, 300 / 50 + 1);
	ck_assert_ptr_nonnull(tkv_last_region_error(c));
	tkv_close(c);

	/* no deadline: the attempt cap alone */
	c = connect_cfg(tkv_fake_address(f), NULL, 2000, 0, 3);
	tkv_fake_script(f, TKV_FAKE_BUSY, 1000000, 1);
	ck_assert_int_eq(tkv_put(c, "k", 1, "v", 1, &eb), TK_E_SERVER_IS_BUSY);
	ck_assert_msg(strstr(eb.msg, "after 3 attempts"), "%s", eb.msg);
	ck_assert_uint_eq(tkv_fake_count(f, TK_MSG_raw_put), n + 3);
	tkv_close(c);
	tkv_fake_stop(f);
}
END_TEST

START_TEST(test_cas_without_reply_is_unknown_and_not_retried)
{
	struct tkv_fake *f = lone_store();
	struct tkv_client *c = connect_cfg(tkv_fake_address(f), NULL, 100, 5000, 10);
	tkv_fake_script(f, TKV_FAKE_MUTE_WRITES, 1, 0);
	struct tk_errbuf eb;
	bool swapped;
	ck_assert_int_eq(tkv_cas(c, "k", 1, NULL, 0, "v1", 2, TKV_CAS_EXPECT_ABSENT, &swapped, NULL,
	                         NULL, NULL, &eb),
	                 TK_E_UNKNOWN_OUTCOME);
	ck_assert_int_eq(eb.code, TK_E_UNKNOWN_OUTCOME);
	ck_assert(!swapped);
	ck_assert_uint_eq(tkv_fake_count(f, TK_MSG_raw_cas), 1);
	get_is(c, "k", "v1"); /* it was applied: unknown was the right answer */
	tkv_close(c);
	tkv_fake_stop(f);
}
END_TEST

START_TEST(test_put_without_reply_is_retried_then_unknown_at_the_deadline)
{
	struct tkv_fake *f = lone_store();
	struct tkv_client *c = connect_cfg(tkv_fake_address(f), NULL, 100, 5000, 10);
	struct tk_errbuf eb;
	tkv_fake_script(f, TKV_FAKE_MUTE_WRITES, 1, 0);
	put_ok(c, "k", "v"); /* idempotent: the second attempt answers */
	ck_assert_uint_eq(tkv_fake_count(f, TK_MSG_raw_put), 2);
	tkv_close(c);

	c = connect_cfg(tkv_fake_address(f), NULL, 100, 1000, 4);
	tkv_fake_script(f, TKV_FAKE_MUTE_WRITES, 1000, 0);
	ck_assert_int_eq(tkv_delete(c, "k", 1, &eb), TK_E_UNKNOWN_OUTCOME);
	ck_assert_uint_le(tkv_fake_count(f, TK_MSG_raw_delete), 4);
	tkv_close(c);
	tkv_fake_stop(f);
}
END_TEST

START_TEST(test_read_is_retried_after_a_lost_connection)
{
	struct tkv_fake *f = lone_store();
	struct tkv_client *c = connect_cfg(tkv_fake_address(f), NULL, 2000, 5000, 10);
	put_ok(c, "k", "v");
	tkv_fake_script(f, TKV_FAKE_DROP_READS, 1, 0);
	get_is(c, "k", "v");
	ck_assert_uint_eq(tkv_fake_count(f, TK_MSG_raw_get), 2);
	tkv_close(c);
	tkv_fake_stop(f);
}
END_TEST

START_TEST(test_transaction_prewrite_commit_and_gc_split_per_region)
{
	struct cluster k;
	cluster_start(&k);
	struct tkv_fake_region rs[2] = {region(2, "", "m", 1, 1, tkv_fake_address(k.a)),
	                                region(8, "m", "", 1, 2, tkv_fake_address(k.b))};
	tkv_fake_set_cluster(k.sched, 0, rs, 2);
	tkv_fake_set_cluster(k.a, 1, rs, 2);
	tkv_fake_set_cluster(k.b, 2, rs, 2);
	struct tkv_txn_config cfg;
	tkv_txn_config_default(&cfg);
	cfg.scheduler_address = tkv_fake_address(k.sched);
	cfg.store_address = tkv_fake_address(k.a);
	cfg.timeout_ms = 2000;
	struct tkv_txn_client *tc;
	struct tk_errbuf eb;
	ck_assert_msg(tkv_txn_client_new(&cfg, &tc, &eb) == TK_OK, "%s", eb.msg);
	struct tkv_txn *t;
	ck_assert_int_eq(tkv_txn_begin(tc, &t, &eb), TK_OK);
	ck_assert_int_eq(tkv_txn_set(t, "x", 1, "3", 1, &eb), TK_OK);
	ck_assert_int_eq(tkv_txn_set(t, "a", 1, "1", 1, &eb), TK_OK);
	ck_assert_int_eq(tkv_txn_set(t, "b", 1, "2", 1, &eb), TK_OK);
	uint64_t cts;
	ck_assert_msg(tkv_txn_commit(t, &cts, &eb) == TK_OK, "%s", eb.msg);
	char keys[64];
	/* the primary alone first, then the secondaries per region */
	tkv_fake_txn_keys(k.a, false, keys, sizeof keys);
	ck_assert_str_eq(keys, "a,b,");
	ck_assert_uint_eq(tkv_fake_count(k.a, TK_MSG_kv_prewrite), 2);
	tkv_fake_txn_keys(k.b, false, keys, sizeof keys);
	ck_assert_str_eq(keys, "x,");
	tkv_fake_txn_keys(k.a, true, keys, sizeof keys);
	ck_assert_str_eq(keys, "a,b,");
	tkv_fake_txn_keys(k.b, true, keys, sizeof keys);
	ck_assert_str_eq(keys, "x,");
	tkv_txn_free(t);
	/* GC goes region by region: locks scanned, then kv_gc, in each */
	uint64_t deleted = 0;
	ck_assert_msg(tkv_txn_gc(tc, cts, &deleted, &eb) == TK_OK, "%s", eb.msg);
	ck_assert_uint_eq(deleted, 2);
	ck_assert_uint_eq(tkv_fake_count(k.a, TK_MSG_kv_scan_lock), 1);
	ck_assert_uint_eq(tkv_fake_count(k.a, TK_MSG_kv_gc), 1);
	ck_assert_uint_eq(tkv_fake_count(k.b, TK_MSG_kv_scan_lock), 1);
	ck_assert_uint_eq(tkv_fake_count(k.b, TK_MSG_kv_gc), 1);
	tkv_txn_client_free(tc);
	cluster_stop(&k);
}
END_TEST

/* ---- the cache alone ---- */

static struct tkv_region cache_region(uint64_t id, const char *start, const char *end,
                                      const struct tkv_peer *peers)
{
	return (struct tkv_region){.id = id,
	                           .start = (const uint8_t *)start,
	                           .start_len = strlen(start),
	                           .end = (const uint8_t *)end,
	                           .end_len = strlen(end),
	                           .conf_ver = 1,
	                           .version = 1,
	                           .peers = peers,
	                           .n_peers = 2};
}

START_TEST(test_region_cache_finds_by_key_and_drops_overlaps)
{
	struct tkv_peer peers[2] = {{4, 1}, {5, 2}};
	struct rc_cache *c = rc_new();
	struct tkv_region all = cache_region(2, "", "", peers);
	ck_assert_ptr_nonnull(rc_insert(c, &all, 5));
	ck_assert_uint_eq(rc_find(c, "k", 1)->leader_peer, 5);
	/* a split replaces it: both halves in, the old range out */
	struct tkv_region left = cache_region(2, "", "m", peers);
	struct tkv_region right = cache_region(8, "m", "", peers);
	rc_insert(c, &right, 0);
	ck_assert_uint_eq(rc_count(c), 1); /* overlapped region 2 went */
	rc_insert(c, &left, 99);           /* not a peer: leader unknown */
	ck_assert_uint_eq(rc_count(c), 2);
	ck_assert_uint_eq(rc_find(c, "", 0)->id, 2);
	ck_assert_uint_eq(rc_find(c, "l", 1)->leader_peer, 0);
	ck_assert_uint_eq(rc_find(c, "m", 1)->id, 8);
	ck_assert_uint_eq(rc_find(c, "zz", 2)->id, 8);
	/* reverse scans: the region below a key, and below +inf */
	ck_assert_uint_eq(rc_find_before(c, "m", 1, false)->id, 2);
	ck_assert_uint_eq(rc_find_before(c, "n", 1, false)->id, 8);
	ck_assert_uint_eq(rc_find_before(c, "", 0, true)->id, 8);
	ck_assert_ptr_null(rc_find_before(c, "", 0, false)); /* nothing below -inf */
	rc_drop(c, 8);
	ck_assert_ptr_null(rc_find(c, "x", 1));
	ck_assert_ptr_null(rc_find_before(c, "", 0, true));
	ck_assert_ptr_nonnull(rc_peer_on_store(rc_by_id(c, 2), 2));
	ck_assert_ptr_null(rc_peer_on_store(rc_by_id(c, 2), 3));
	ck_assert(rc_set_store_addr(c, 2, "127.0.0.1:1"));
	ck_assert(rc_set_store_addr(c, 2, "127.0.0.1:2"));
	ck_assert_str_eq(rc_store_addr(c, 2), "127.0.0.1:2");
	rc_forget_store(c, 2);
	ck_assert_ptr_null(rc_store_addr(c, 2));
	rc_free(c);
}
END_TEST

struct done {
	bool done;
	enum tk_err code;
};

static void on_done(void *arg, const struct tkv_reply *r)
{
	struct done *d = arg;
	d->done = true;
	d->code = r->code;
}

START_TEST(test_async_open_leader_connects_to_the_region_leader)
{
	struct cluster k;
	cluster_start(&k);
	struct tkv_fake_region rs[2] = {region(2, "", "m", 1, 1, ""), region(8, "m", "", 1, 2, "")};
	tkv_fake_set_cluster(k.sched, 0, rs, 2);
	tkv_fake_set_cluster(k.b, 2, rs, 2);
	struct event_base *base = event_base_new();
	struct tkv_config cfg;
	tkv_config_default(&cfg);
	struct tkv_async *a;
	struct tk_errbuf eb;
	ck_assert_int_eq(tkv_async_open_leader(base, &cfg, "x", 1, &a, &eb), TK_E_BAD_CONFIG);
	cfg.scheduler_address = tkv_fake_address(k.sched);
	ck_assert_msg(tkv_async_open_leader(base, &cfg, "x", 1, &a, &eb) == TK_OK, "%s", eb.msg);
	struct done d = {0};
	ck_assert_int_eq(tkv_async_put(a, "x", 1, "1", 1, on_done, &d), TK_OK);
	while (!d.done)
		ck_assert_int_ge(event_base_loop(base, EVLOOP_ONCE), 0);
	ck_assert_int_eq(d.code, TK_OK);
	ck_assert_uint_eq(tkv_fake_count(k.b, TK_MSG_raw_put), 1);
	ck_assert_uint_eq(tkv_fake_count(k.sched, TK_MSG_get_store), 1); /* no leader_addr */
	tkv_async_free(a);
	event_base_free(base);
	cluster_stop(&k);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("route");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_region_cache_finds_by_key_and_drops_overlaps);
	tcase_add_test(tc, test_not_leader_hint_is_followed_without_asking_the_scheduler);
	tcase_add_test(tc, test_store_address_alone_follows_the_leader_hint);
	tcase_add_test(tc, test_epoch_not_match_refreshes_the_cache_from_the_error);
	tcase_add_test(tc, test_scan_and_batches_cross_regions_on_two_stores);
	tcase_add_test(tc, test_server_is_busy_is_retried_after_its_backoff);
	tcase_add_test(tc, test_deadline_and_attempt_cap_bound_a_call);
	tcase_add_test(tc, test_cas_without_reply_is_unknown_and_not_retried);
	tcase_add_test(tc, test_put_without_reply_is_retried_then_unknown_at_the_deadline);
	tcase_add_test(tc, test_read_is_retried_after_a_lost_connection);
	tcase_add_test(tc, test_transaction_prewrite_commit_and_gc_split_per_region);
	tcase_add_test(tc, test_async_open_leader_connects_to_the_region_leader);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
