/* The cluster map: region heartbeat processing (stale epochs, overlaps,
 * leader/peer/size updates) with per-store counters kept incrementally,
 * and store states from heartbeat ages and admin actions. */
#include <check.h>
#include <stdlib.h>

#include "scheduler/test_fixture.h"

/* Three stores and three regions [r0, r1), [r1, r2), [r2, ) each with a
 * peer on every store, leaders spread round robin. */
struct setup {
	struct fxc f;
	struct fxr r[3];
};

static void check_same(const struct region *got, struct fxr *want)
{
	ck_assert_ptr_nonnull(got);
	const struct region *w = fxr_get(want);
	ck_assert(region_meta_equal(got, w));
	ck_assert_uint_eq(got->approximate_size, w->approximate_size);
	ck_assert_uint_eq(got->approximate_keys, w->approximate_keys);
	ck_assert_uint_eq(got->n_pending, w->n_pending);
	ck_assert_uint_eq(got->n_down, w->n_down);
}

/* The map holds exactly these regions, by id and by key, and the per-store
 * counters agree with a recount. */
static void check_regions(struct setup *s, size_t n)
{
	const struct rtree *t = cluster_regions(s->f.c);
	ck_assert_uint_eq(rtree_count(t), n);
	for (size_t i = 0; i < n; i++) {
		check_same(cluster_region(s->f.c, s->r[i].r.id), &s->r[i]);
		check_same(rtree_find(t, region_start(fxr_get(&s->r[i]))), &s->r[i]);
	}
	ck_assert(cluster_check_counts(s->f.c));
}

static enum tk_err hb(struct setup *s, struct fxr *r, struct cluster_hb_result *res)
{
	struct tk_errbuf eb;
	struct cluster_hb_result dummy;
	return cluster_region_heartbeat(s->f.c, fxr_get(r), s->f.now, res ? res : &dummy, &eb);
}

static void setup(struct setup *s)
{
	fxc_init(&s->f);
	for (uint64_t st = 1; st <= 3; st++)
		fxc_store(&s->f, st);
	const char *keys[] = {"", "r1", "r2", ""};
	for (int i = 0; i < 3; i++) {
		fxr_init(&s->r[i], (uint64_t)i + 1, keys[i], keys[i + 1], 1, 1);
		for (uint64_t st = 1; st <= 3; st++)
			fxr_peer(&s->r[i], (uint64_t)(i + 1) * 10 + st, st);
		fxr_leader(&s->r[i], (uint64_t)i % 3 + 1);
		struct cluster_hb_result res;
		ck_assert_int_eq(hb(s, &s->r[i], &res), TK_OK);
		ck_assert(res.meta_changed);
		check_regions(s, (size_t)i + 1);
	}
}

static void teardown(struct setup *s)
{
	fxc_destroy(&s->f);
}

START_TEST(test_repeated_heartbeat_changes_nothing)
{
	struct setup s;
	setup(&s);
	for (int i = 0; i < 3; i++) {
		struct cluster_hb_result res;
		ck_assert_int_eq(hb(&s, &s.r[i], &res), TK_OK);
		ck_assert(!res.meta_changed);
		ck_assert_uint_eq(res.n_removed, 0);
		check_regions(&s, 3);
	}
	teardown(&s);
}
END_TEST

START_TEST(test_newer_version_updates_the_region)
{
	struct setup s;
	setup(&s);
	for (int i = 0; i < 3; i++) {
		s.r[i].r.epoch.version++;
		struct cluster_hb_result res;
		ck_assert_int_eq(hb(&s, &s.r[i], &res), TK_OK);
		ck_assert(res.meta_changed);
		check_regions(&s, 3);
	}
	teardown(&s);
}
END_TEST

START_TEST(test_stale_version_is_refused_even_with_newer_conf_ver)
{
	struct setup s;
	setup(&s);
	for (int i = 0; i < 3; i++) {
		struct fxr origin = s.r[i];
		s.r[i].r.epoch.version++;
		ck_assert_int_eq(hb(&s, &s.r[i], NULL), TK_OK);
		check_regions(&s, 3);
		struct fxr stale = origin;
		stale.r.epoch.conf_ver++;
		ck_assert_int_eq(hb(&s, &stale, NULL), TK_E_STALE_COMMAND);
		check_regions(&s, 3);
	}
	teardown(&s);
}
END_TEST

START_TEST(test_newer_version_and_conf_ver_update_the_region)
{
	struct setup s;
	setup(&s);
	for (int i = 0; i < 3; i++) {
		s.r[i].r.epoch.version++;
		s.r[i].r.epoch.conf_ver++;
		ck_assert_int_eq(hb(&s, &s.r[i], NULL), TK_OK);
		check_regions(&s, 3);
	}
	teardown(&s);
}
END_TEST

START_TEST(test_stale_conf_ver_is_refused)
{
	struct setup s;
	setup(&s);
	for (int i = 0; i < 3; i++) {
		struct fxr origin = s.r[i];
		s.r[i].r.epoch.conf_ver++;
		ck_assert_int_eq(hb(&s, &s.r[i], NULL), TK_OK);
		check_regions(&s, 3);
		ck_assert_int_eq(hb(&s, &origin, NULL), TK_E_STALE_COMMAND);
		check_regions(&s, 3);
	}
	teardown(&s);
}
END_TEST

START_TEST(test_pending_peers_are_counted_per_store_and_cleared)
{
	struct setup s;
	setup(&s);
	uint64_t want[4] = {0};
	for (int i = 0; i < 3; i++) {
		uint64_t st = (uint64_t)(i * 2) % 3 + 1;
		fxr_pending(&s.r[i], st);
		want[st]++;
		ck_assert_int_eq(hb(&s, &s.r[i], NULL), TK_OK);
		check_regions(&s, 3);
	}
	for (uint64_t st = 1; st <= 3; st++)
		ck_assert_uint_eq(cluster_store(s.f.c, st)->pending_peer_count, want[st]);
	for (int i = 0; i < 3; i++) {
		s.r[i].r.n_pending = 0;
		ck_assert_int_eq(hb(&s, &s.r[i], NULL), TK_OK);
		check_regions(&s, 3);
	}
	for (uint64_t st = 1; st <= 3; st++)
		ck_assert_uint_eq(cluster_store(s.f.c, st)->pending_peer_count, 0);
	teardown(&s);
}
END_TEST

START_TEST(test_removing_and_adding_back_peers_moves_region_counts)
{
	struct setup s;
	setup(&s);
	for (int i = 0; i < 3; i++) {
		struct fxr origin = s.r[i];
		uint64_t leader_store = (uint64_t)i % 3 + 1;
		for (uint64_t st = 1; st <= 3; st++)
			if (st != leader_store)
				fxr_remove_store(&s.r[i], st);
		s.r[i].r.epoch.conf_ver += 2;
		ck_assert_int_eq(hb(&s, &s.r[i], NULL), TK_OK);
		check_regions(&s, 3);
		origin.r.epoch.conf_ver += 4;
		s.r[i] = origin;
		ck_assert_int_eq(hb(&s, &s.r[i], NULL), TK_OK);
		check_regions(&s, 3);
	}
	for (uint64_t st = 1; st <= 3; st++) {
		ck_assert_uint_eq(cluster_store(s.f.c, st)->region_count, 3);
		ck_assert_uint_eq(cluster_store(s.f.c, st)->leader_count, 1);
	}
	teardown(&s);
}
END_TEST

START_TEST(test_leader_change_moves_leader_counts)
{
	struct setup s;
	setup(&s);
	for (int i = 0; i < 3; i++) {
		fxr_leader(&s.r[i], 3);
		ck_assert_int_eq(hb(&s, &s.r[i], NULL), TK_OK);
		check_regions(&s, 3);
	}
	ck_assert_uint_eq(cluster_store(s.f.c, 3)->leader_count, 3);
	ck_assert_uint_eq(cluster_store(s.f.c, 1)->leader_count, 0);
	const struct region *out[4];
	ck_assert_uint_eq(cluster_store_sample(s.f.c, 3, true, 0, 4, out), 3);
	ck_assert_uint_eq(cluster_store_sample(s.f.c, 1, true, 0, 4, out), 0);
	ck_assert_uint_eq(cluster_store_sample(s.f.c, 1, false, 77, 4, out), 3);
	teardown(&s);
}
END_TEST

START_TEST(test_approximate_size_and_keys_update_store_sizes)
{
	struct setup s;
	setup(&s);
	for (int i = 0; i < 3; i++) {
		s.r[i].r.approximate_size = 144 * FX_MIB;
		s.r[i].r.approximate_keys = 144000;
		struct cluster_hb_result res;
		ck_assert_int_eq(hb(&s, &s.r[i], &res), TK_OK);
		ck_assert(!res.meta_changed); /* sizes are not persisted */
		check_regions(&s, 3);
	}
	ck_assert_uint_eq(cluster_store(s.f.c, 1)->region_size, 3 * 144 * FX_MIB);
	ck_assert_uint_eq(cluster_store(s.f.c, 1)->leader_size, 144 * FX_MIB);
	teardown(&s);
}
END_TEST

START_TEST(test_overlapping_newer_region_reports_the_regions_it_replaced)
{
	struct setup s;
	setup(&s);
	/* Region 3 merges 1 and 2: [ , ) with a higher version. */
	struct fxr m = s.r[2];
	snprintf(m.start, sizeof(m.start), "%s", "");
	m.r.epoch.version = 5;
	struct cluster_hb_result res;
	ck_assert_int_eq(hb(&s, &m, &res), TK_OK);
	ck_assert(res.meta_changed);
	ck_assert_uint_eq(res.n_removed, 2);
	ck_assert_uint_eq(res.removed_ids[0] + res.removed_ids[1], 3);
	s.r[0] = m;
	check_regions(&s, 1);
	for (uint64_t st = 1; st <= 3; st++)
		ck_assert_uint_eq(cluster_store(s.f.c, st)->region_count, 1);
	teardown(&s);
}
END_TEST

START_TEST(test_split_reported_out_of_order_keeps_counts_right)
{
	struct setup s;
	fxc_init(&s.f);
	for (uint64_t st = 1; st <= 3; st++)
		fxc_store(&s.f, st);
	struct fxr p, c;
	fxr_init(&p, 1, "", "", 1, 1);
	fxr_peer(&p, 11, 1);
	fxr_leader(&p, 1);
	ck_assert_int_eq(hb(&s, &p, NULL), TK_OK);
	fxr_init(&c, 2, "", "m", 1, 2);
	fxr_peer(&c, 21, 1);
	fxr_leader(&c, 1);
	ck_assert_int_eq(hb(&s, &c, NULL), TK_OK);
	ck_assert_uint_eq(cluster_store(s.f.c, 1)->region_count, 1);
	ck_assert_ptr_null(rtree_find(cluster_regions(s.f.c), tk_slice_str("z")));
	snprintf(p.start, sizeof(p.start), "m");
	p.r.epoch.version = 2;
	ck_assert_int_eq(hb(&s, &p, NULL), TK_OK);
	ck_assert_uint_eq(cluster_store(s.f.c, 1)->region_count, 2);
	ck_assert_uint_eq(cluster_store(s.f.c, 1)->leader_count, 2);
	ck_assert(cluster_check_counts(s.f.c));
	teardown(&s);
}
END_TEST

START_TEST(test_regions_on_unregistered_stores_are_counted_but_not_listed)
{
	struct setup s;
	fxc_init(&s.f);
	fxc_store(&s.f, 1);
	FXC_REGION(&s.f, 1, 1, 1, 2, 3);
	ck_assert_ptr_null(cluster_store(s.f.c, 3));
	ck_assert_uint_eq(cluster_store_count(s.f.c), 1);
	ck_assert(cluster_check_counts(s.f.c));
	teardown(&s);
}
END_TEST

/* ---- stores ---- */

START_TEST(test_store_state_follows_heartbeat_age)
{
	struct fxc f;
	fxc_init(&f);
	fxc_store(&f, 1);
	const struct store *s = cluster_store(f.c, 1);
	ck_assert_int_eq(cluster_store_state(f.c, s, f.now), STORE_UP);
	ck_assert_int_eq(cluster_store_state(f.c, s, f.now + 19999), STORE_UP);
	ck_assert_int_eq(cluster_store_state(f.c, s, f.now + 20000), STORE_DISCONNECTED);
	ck_assert_int_eq(cluster_store_state(f.c, s, f.now + 30 * 60000), STORE_DOWN);
	/* Configurable: a shorter down time takes effect immediately. */
	struct tk_errbuf eb;
	ck_assert_int_eq(sched_config_set(&f.cfg, "max-store-down-time", "1m", &eb), TK_OK);
	ck_assert_int_eq(cluster_store_state(f.c, s, f.now + 60000), STORE_DOWN);
	/* A heartbeat brings it back; a clock going backwards changes nothing. */
	f.now += 60000;
	fxc_store_hb(&f, 1, 10);
	ck_assert_int_eq(cluster_store_state(f.c, s, f.now), STORE_UP);
	ck_assert_int_eq(cluster_store_state(f.c, s, f.now - 5000), STORE_UP);
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_store_registration_rules)
{
	struct fxc f;
	fxc_init(&f);
	struct tk_errbuf eb;
	ck_assert_int_eq(cluster_put_store(f.c, 1, "h:1", 0, &eb), TK_OK);
	ck_assert_int_eq(cluster_put_store(f.c, 2, "h:1", 0, &eb), TK_E_BAD_REQUEST);
	ck_assert_int_eq(cluster_put_store(f.c, 0, "h:2", 0, &eb), TK_E_BAD_REQUEST);
	ck_assert_int_eq(cluster_put_store(f.c, 2, "", 0, &eb), TK_E_BAD_REQUEST);
	/* A store restarting with a new address keeps its id. */
	ck_assert_int_eq(cluster_put_store(f.c, 1, "h:9", 0, &eb), TK_OK);
	ck_assert_str_eq(cluster_store(f.c, 1)->address, "h:9");
	ck_assert_uint_eq(cluster_store_count(f.c), 1);
	struct store_stats st = {.store_id = 5};
	ck_assert_int_eq(cluster_store_heartbeat(f.c, &st, 0, &eb), TK_E_NOT_FOUND);
	fxc_destroy(&f);
}
END_TEST

static void count_changed(void *arg, const struct store *s)
{
	(void)s;
	(*(int *)arg)++;
}

START_TEST(test_offline_store_becomes_tombstone_once_it_holds_no_region)
{
	struct fxc f;
	fxc_init(&f);
	for (uint64_t st = 1; st <= 4; st++)
		fxc_store(&f, st);
	FXC_REGION(&f, 1, 1, 1, 2, 4);
	struct tk_errbuf eb;
	ck_assert_int_eq(cluster_store_set_offline(f.c, 4, &eb), TK_OK);
	ck_assert_int_eq(cluster_store_state(f.c, cluster_store(f.c, 4), f.now), STORE_OFFLINE);
	int changed = 0;
	ck_assert_uint_eq(cluster_tick(f.c, f.now, count_changed, &changed), 0);
	/* The replica moves away: the region now lives on 1, 2, 3. */
	struct fxr r;
	fxr_from(&r, cluster_region(f.c, 1));
	fxr_remove_store(&r, 4);
	fxr_peer(&r, 103, 3);
	r.r.epoch.conf_ver += 2;
	fxc_put(&f, &r);
	ck_assert_uint_eq(cluster_tick(f.c, f.now, count_changed, &changed), 1);
	ck_assert_int_eq(changed, 1);
	ck_assert_int_eq(cluster_store_state(f.c, cluster_store(f.c, 4), f.now), STORE_TOMBSTONE);
	/* A tombstone stays one. */
	struct store_stats st = {.store_id = 4};
	ck_assert_int_eq(cluster_store_heartbeat(f.c, &st, f.now, &eb), TK_E_STORE_TOMBSTONE);
	ck_assert_int_eq(cluster_put_store(f.c, 4, "x:1", f.now, &eb), TK_E_STORE_TOMBSTONE);
	ck_assert_int_eq(cluster_store_set_up(f.c, 4, &eb), TK_E_STORE_TOMBSTONE);
	/* Its address may be reused by a new store. */
	ck_assert_int_eq(cluster_put_store(f.c, 5, "127.0.0.1:20004", f.now, &eb), TK_OK);
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_offline_can_be_cancelled_before_tombstone)
{
	struct fxc f;
	fxc_init(&f);
	fxc_store(&f, 1);
	FXC_REGION(&f, 1, 1, 1);
	struct tk_errbuf eb;
	ck_assert_int_eq(cluster_store_set_offline(f.c, 1, &eb), TK_OK);
	ck_assert_int_eq(cluster_store_set_up(f.c, 1, &eb), TK_OK);
	ck_assert_int_eq(cluster_store_state(f.c, cluster_store(f.c, 1), f.now), STORE_UP);
	ck_assert_int_eq(cluster_store_set_offline(f.c, 9, &eb), TK_E_NOT_FOUND);
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_counts_stay_exact_under_random_heartbeats)
{
	struct fxc f;
	fxc_init(&f);
	for (uint64_t st = 1; st <= 5; st++)
		fxc_store(&f, st);
	uint64_t seed = 12345;
	struct fxr regs[50];
	for (int i = 0; i < 50; i++) {
		char a[16], b[16];
		snprintf(a, sizeof(a), "k%03d", i);
		snprintf(b, sizeof(b), "k%03d", i + 1);
		fxr_init(&regs[i], (uint64_t)i + 1, a, b, 1, 1);
		fxr_peer(&regs[i], (uint64_t)i * 10 + 1, 1);
		fxr_leader(&regs[i], 1);
		fxc_put(&f, &regs[i]);
	}
	for (int step = 0; step < 3000; step++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		struct fxr *r = &regs[(seed >> 33) % 50];
		uint64_t st = (seed >> 20) % 5 + 1;
		switch ((seed >> 50) % 4) {
		case 0:
			if (!fxr_peer_on(r, st) && r->r.n_peers < 5)
				fxr_peer(r, r->r.id * 10 + st, st);
			break;
		case 1:
			if (fxr_peer_on(r, st) && r->r.n_peers > 1) {
				fxr_remove_store(r, st);
				if (!region_peer_by_id(fxr_get(r), r->r.leader_peer_id))
					r->r.leader_peer_id = r->peers[0].id;
				r->r.n_pending = 0;
			}
			break;
		case 2:
			if (fxr_peer_on(r, st))
				fxr_leader(r, st);
			break;
		default:
			r->r.approximate_size = (seed >> 8) % (64 * FX_MIB);
			r->r.n_pending = 0;
			if (fxr_peer_on(r, st))
				fxr_pending(r, st);
		}
		r->r.epoch.conf_ver++;
		fxc_put(&f, r);
	}
	ck_assert(cluster_check_counts(f.c));
	fxc_destroy(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sched_cluster");
	TCase *tc = tcase_create("region_heartbeat");
	tcase_add_test(tc, test_repeated_heartbeat_changes_nothing);
	tcase_add_test(tc, test_newer_version_updates_the_region);
	tcase_add_test(tc, test_stale_version_is_refused_even_with_newer_conf_ver);
	tcase_add_test(tc, test_newer_version_and_conf_ver_update_the_region);
	tcase_add_test(tc, test_stale_conf_ver_is_refused);
	tcase_add_test(tc, test_pending_peers_are_counted_per_store_and_cleared);
	tcase_add_test(tc, test_removing_and_adding_back_peers_moves_region_counts);
	tcase_add_test(tc, test_leader_change_moves_leader_counts);
	tcase_add_test(tc, test_approximate_size_and_keys_update_store_sizes);
	tcase_add_test(tc, test_overlapping_newer_region_reports_the_regions_it_replaced);
	tcase_add_test(tc, test_split_reported_out_of_order_keeps_counts_right);
	tcase_add_test(tc, test_regions_on_unregistered_stores_are_counted_but_not_listed);
	tcase_add_test(tc, test_counts_stay_exact_under_random_heartbeats);
	suite_add_tcase(s, tc);
	TCase *ts = tcase_create("stores");
	tcase_add_test(ts, test_store_state_follows_heartbeat_age);
	tcase_add_test(ts, test_store_registration_rules);
	tcase_add_test(ts, test_offline_store_becomes_tombstone_once_it_holds_no_region);
	tcase_add_test(ts, test_offline_can_be_cancelled_before_tombstone);
	suite_add_tcase(s, ts);
	return fx_run(s);
}
