/* Loading and saving the scheduler's metadata through a real engine. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* nftw, mkdtemp */
#endif
#include <check.h>
#include <ftw.h>
#include <stdlib.h>

#include "scheduler/id_alloc.h"
#include "scheduler/persist_store.h"
#include "scheduler/test_fixture.h"
#include "scheduler/tso.h"

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

struct db {
	char dir[64];
	struct eng *e;
};

static void db_open(struct db *d)
{
	struct eng_options o;
	eng_options_default(&o);
	o.path = d->dir;
	o.create_if_missing = true;
	o.block_cache_bytes = 1 << 20;
	o.write_buffer_bytes = 1 << 20;
	struct tk_errbuf eb;
	ck_assert_msg(eng_open(&o, &d->e, &eb) == TK_OK, "%s", eb.msg);
}

static void db_init(struct db *d)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/tksched-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d->dir));
	db_open(d);
}

static void db_reopen(struct db *d)
{
	eng_close(d->e);
	db_open(d);
}

static void db_destroy(struct db *d)
{
	eng_close(d->e);
	nftw(d->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_batch(struct db *d, struct eng_batch *b)
{
	struct tk_errbuf eb;
	ck_assert_msg(eng_write(d->e, b, true, &eb) == TK_OK, "%s", eb.msg);
	eng_batch_free(b);
}

/* A fresh cluster loaded from d. */
struct loaded {
	struct sched_config cfg;
	struct sched_registry reg;
	struct cluster *c;
	struct sps_loaded info;
};

static enum tk_err load(struct db *d, struct loaded *l)
{
	sched_config_default(&l->cfg);
	sched_registry_init_default(&l->reg);
	l->c = cluster_new(&l->cfg);
	struct tk_errbuf eb;
	enum tk_err err = sps_load(d->e, l->c, &l->cfg, &l->reg, 5000, &l->info, &eb);
	if (err)
		fprintf(stderr, "load: %s\n", eb.msg);
	return err;
}

START_TEST(test_empty_database_loads_nothing)
{
	struct db d;
	db_init(&d);
	struct loaded l;
	ck_assert_int_eq(load(&d, &l), TK_OK);
	ck_assert(!l.info.have_cluster);
	ck_assert_uint_eq(l.info.tso_limit, 0);
	ck_assert_uint_eq(cluster_store_count(l.c), 0);
	ck_assert_uint_eq(l.reg.n, 2);
	cluster_free(l.c);
	db_destroy(&d);
}
END_TEST

START_TEST(test_saved_cluster_loads_back_after_reopen)
{
	struct db d;
	db_init(&d);
	struct fxc f;
	fxc_init(&f);
	for (uint64_t s = 1; s <= 3; s++)
		fxc_store(&f, s);
	struct tk_errbuf eb;
	ck_assert_int_eq(cluster_store_set_offline(f.c, 3, &eb), TK_OK);
	struct eng_batch *b = eng_batch_new();
	for (uint64_t s = 1; s <= 3; s++)
		ck_assert(sps_put_store(b, cluster_store(f.c, s)));
	for (uint64_t i = 1; i <= 50; i++) {
		FXC_REGION(&f, i, 1, i % 3 + 1, (i + 1) % 3 + 1);
		ck_assert(sps_put_region(b, cluster_region(f.c, i)));
	}
	ck_assert(sps_put_cluster(b, 4242, true));
	ck_assert(sps_put_id_limit(b, 777));
	ck_assert_int_eq(sched_config_set(&f.cfg, "max-replicas", "5", &eb), TK_OK);
	ck_assert(sps_put_config(b, &f.cfg));
	struct sched_registry reg;
	sched_registry_init_default(&reg);
	ck_assert_int_eq(sched_registry_remove(&reg, "balance-region", &eb), TK_OK);
	ck_assert(sps_put_schedulers(b, &reg));
	write_batch(&d, b);
	ck_assert_int_eq(sps_save_tso_limit(d.e, 123456, &eb), TK_OK);
	db_reopen(&d);

	struct loaded l;
	ck_assert_int_eq(load(&d, &l), TK_OK);
	ck_assert(l.info.have_cluster);
	ck_assert_uint_eq(l.info.cluster_id, 4242);
	ck_assert(l.info.bootstrapped);
	ck_assert_uint_eq(l.info.tso_limit, 123456);
	ck_assert_uint_eq(l.info.id_limit, 777);
	ck_assert_uint_eq(l.info.n_stores, 3);
	ck_assert_uint_eq(l.info.n_regions, 50);
	ck_assert_uint_eq(l.info.max_id_seen, 50 * 100 + 3);
	ck_assert_uint_eq(l.cfg.max_replicas, 5);
	ck_assert_uint_eq(l.reg.n, 1);
	ck_assert_int_eq(cluster_store(l.c, 3)->admin, STORE_ADMIN_OFFLINE);
	ck_assert_str_eq(cluster_store(l.c, 2)->address, "127.0.0.1:20002");
	for (uint64_t i = 1; i <= 50; i++)
		ck_assert(region_meta_equal(cluster_region(l.c, i), cluster_region(f.c, i)));
	ck_assert_uint_eq(cluster_store(l.c, 1)->region_count,
			  cluster_store(f.c, 1)->region_count);
	cluster_free(l.c);
	fxc_destroy(&f);
	db_destroy(&d);
}
END_TEST

START_TEST(test_heartbeat_results_delete_replaced_regions)
{
	struct db d;
	db_init(&d);
	struct fxc f;
	fxc_init(&f);
	fxc_store(&f, 1);
	struct fxr a, m;
	struct cluster_hb_result res;
	struct tk_errbuf eb;
	for (uint64_t i = 1; i <= 3; i++) {
		char s[8], e[8];
		snprintf(s, sizeof(s), "k%llu", (unsigned long long)i);
		snprintf(e, sizeof(e), "k%llu", (unsigned long long)i + 1);
		fxr_init(&a, i, s, e, 1, 1);
		fxr_peer(&a, i * 10, 1);
		ck_assert_int_eq(cluster_region_heartbeat(f.c, fxr_get(&a), 0, &res, &eb), TK_OK);
		struct eng_batch *b = eng_batch_new();
		ck_assert(sps_put_heartbeat(b, &res));
		write_batch(&d, b);
	}
	/* Region 3 absorbs 1 and 2. */
	fxr_init(&m, 3, "k1", "k4", 1, 2);
	fxr_peer(&m, 30, 1);
	ck_assert_int_eq(cluster_region_heartbeat(f.c, fxr_get(&m), 0, &res, &eb), TK_OK);
	struct eng_batch *b = eng_batch_new();
	ck_assert(sps_put_heartbeat(b, &res));
	write_batch(&d, b);
	struct loaded l;
	ck_assert_int_eq(load(&d, &l), TK_OK);
	ck_assert_uint_eq(l.info.n_regions, 1);
	ck_assert_uint_eq(l.info.n_stale_regions, 0);
	ck_assert_uint_eq(cluster_region(l.c, 3)->epoch.version, 2);
	cluster_free(l.c);
	fxc_destroy(&f);
	db_destroy(&d);
}
END_TEST

START_TEST(test_stale_overlapping_records_are_skipped_on_load)
{
	struct db d;
	db_init(&d);
	struct fxr a, b2;
	fxr_init(&a, 1, "a", "z", 1, 5);
	fxr_init(&b2, 2, "c", "d", 1, 3); /* left over: 1 (v5) replaced it */
	struct eng_batch *b = eng_batch_new();
	ck_assert(sps_put_region(b, fxr_get(&a)));
	ck_assert(sps_put_region(b, fxr_get(&b2)));
	write_batch(&d, b);
	struct loaded l;
	ck_assert_int_eq(load(&d, &l), TK_OK);
	ck_assert_uint_eq(l.info.n_regions, 1);
	ck_assert_uint_eq(l.info.n_stale_regions, 1);
	ck_assert_ptr_null(cluster_region(l.c, 2));
	cluster_free(l.c);
	db_destroy(&d);
}
END_TEST

START_TEST(test_corrupt_record_fails_the_load_with_its_key)
{
	struct db d;
	db_init(&d);
	struct tk_buf k;
	tk_buf_init(&k);
	ck_assert(persist_region_key(&k, 9));
	struct eng_batch *b = eng_batch_new();
	eng_batch_put(b, ENG_CF_META, tk_buf_slice(&k), tk_slice_str("\001garbage"));
	write_batch(&d, b);
	struct sched_config cfg;
	sched_config_default(&cfg);
	struct sched_registry reg;
	sched_registry_init_default(&reg);
	struct cluster *c = cluster_new(&cfg);
	struct sps_loaded info;
	struct tk_errbuf eb;
	ck_assert_int_eq(sps_load(d.e, c, &cfg, &reg, 0, &info, &eb), TK_E_CORRUPTION);
	ck_assert_ptr_nonnull(strstr(eb.msg, "region 9"));
	cluster_free(c);
	tk_buf_destroy(&k);
	db_destroy(&d);
}
END_TEST

START_TEST(test_tso_and_ids_never_repeat_across_restarts_through_the_engine)
{
	struct db d;
	db_init(&d);
	uint64_t last_ts = 0, last_id = 0, now = 1000000;
	for (int life = 0; life < 5; life++) {
		struct loaded l;
		ck_assert_int_eq(load(&d, &l), TK_OK);
		struct tso t;
		struct idalloc a;
		tso_init(&t, l.info.tso_limit, 3000);
		idalloc_init(&a, l.info.id_limit, 100);
		struct tk_errbuf eb;
		now -= 2000; /* the clock went back across the restart */
		for (int i = 0; i < 300; i++) {
			uint64_t ts, id, limit;
			while (tso_alloc(&t, now, 1, &ts, &limit) == TSO_NEED_PERSIST) {
				ck_assert_int_eq(sps_save_tso_limit(d.e, limit, &eb), TK_OK);
				tso_set_limit(&t, limit);
			}
			while (idalloc_alloc(&a, 3, &id, &limit) == IDALLOC_NEED_PERSIST) {
				ck_assert_int_eq(sps_save_id_limit(d.e, limit, &eb), TK_OK);
				idalloc_set_limit(&a, limit);
			}
			ck_assert_uint_gt(ts, last_ts);
			ck_assert_uint_gt(id, last_id);
			last_ts = ts;
			last_id = id + 2;
			now += i % 2;
		}
		cluster_free(l.c);
		db_reopen(&d); /* "crash": nothing else is saved */
	}
	db_destroy(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sched_persist_store");
	TCase *tc = tcase_create("engine");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_empty_database_loads_nothing);
	tcase_add_test(tc, test_saved_cluster_loads_back_after_reopen);
	tcase_add_test(tc, test_heartbeat_results_delete_replaced_regions);
	tcase_add_test(tc, test_stale_overlapping_records_are_skipped_on_load);
	tcase_add_test(tc, test_corrupt_record_fails_the_load_with_its_key);
	tcase_add_test(tc, test_tso_and_ids_never_repeat_across_restarts_through_the_engine);
	suite_add_tcase(s, tc);
	return fx_run(s);
}
