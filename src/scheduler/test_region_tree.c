/* The region tree: lookups, the epoch rules for stale and overlapping
 * heartbeats, out-of-order splits, merges; and the u64 hash map under it. */
#include <check.h>
#include <stdlib.h>

#include "scheduler/region_tree.h"
#include "scheduler/test_fixture.h"
#include "scheduler/u64map.h"

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

START_TEST(test_u64map_matches_a_reference_under_random_puts_and_deletes)
{
	enum { N = 5000 };
	static uint8_t ref[N];
	memset(ref, 0, sizeof(ref));
	struct u64map m;
	u64map_init(&m, true);
	uint64_t seed = 42;
	for (int i = 0; i < 200000; i++) {
		uint64_t k = rng(&seed) % (N - 1) + 1;
		if (rng(&seed) % 3) {
			ck_assert(u64map_put(&m, k, (void *)(uintptr_t)(k * 3)));
			ref[k] = 1;
		} else {
			ck_assert_int_eq(u64map_del(&m, k), ref[k]);
			ref[k] = 0;
		}
	}
	size_t n = 0;
	for (uint64_t k = 1; k < N; k++) {
		ck_assert_int_eq(u64map_has(&m, k), ref[k]);
		if (ref[k]) {
			ck_assert_ptr_eq(u64map_get(&m, k), (void *)(uintptr_t)(k * 3));
			n++;
		}
	}
	ck_assert_uint_eq(u64map_count(&m), n);
	size_t pos = 0, seen = 0;
	uint64_t k;
	void *v;
	while (u64map_next(&m, &pos, &k, &v)) {
		ck_assert(ref[k]);
		seen++;
		pos++;
	}
	ck_assert_uint_eq(seen, n);
	ck_assert(u64map_pick(&m, 12345, &k, &v));
	u64map_destroy(&m);
}
END_TEST

static void put_ok(struct rtree *t, struct fxr *r)
{
	struct tk_errbuf eb;
	ck_assert_msg(rtree_put(t, fxr_get(r), NULL, NULL, NULL, &eb) == TK_OK, "%s", eb.msg);
	ck_assert(rtree_check(t));
}

static enum tk_err put(struct rtree *t, struct fxr *r)
{
	struct tk_errbuf eb;
	enum tk_err err = rtree_put(t, fxr_get(r), NULL, NULL, NULL, &eb);
	ck_assert(rtree_check(t));
	return err;
}

static uint64_t find_id(struct rtree *t, const char *key)
{
	const struct region *r = rtree_find(t, tk_slice_str(key));
	return r ? r->id : 0;
}

START_TEST(test_find_returns_the_region_containing_the_key_or_null_in_a_gap)
{
	struct rtree *t = rtree_new();
	struct fxr a, b, c;
	fxr_init(&a, 1, "", "b", 1, 1);
	fxr_init(&b, 2, "b", "d", 1, 1);
	fxr_init(&c, 3, "f", "", 1, 1);
	put_ok(t, &a);
	put_ok(t, &b);
	put_ok(t, &c);
	ck_assert_uint_eq(find_id(t, ""), 1);
	ck_assert_uint_eq(find_id(t, "a"), 1);
	ck_assert_uint_eq(find_id(t, "b"), 2);
	ck_assert_uint_eq(find_id(t, "czz"), 2);
	ck_assert_uint_eq(find_id(t, "d"), 0); /* [d, f) is a gap */
	ck_assert_uint_eq(find_id(t, "e"), 0);
	ck_assert_uint_eq(find_id(t, "f"), 3);
	ck_assert_uint_eq(find_id(t, "zzzz"), 3);
	ck_assert_uint_eq(rtree_get(t, 2)->id, 2);
	ck_assert_ptr_null(rtree_get(t, 9));
	ck_assert_uint_eq(rtree_count(t), 3);
	rtree_free(t);
}
END_TEST

START_TEST(test_scan_starts_at_the_containing_region_and_respects_the_limit)
{
	struct rtree *t = rtree_new();
	struct fxr r;
	const char *keys[] = {"", "c", "f", "i", "l", ""};
	for (int i = 0; i < 5; i++) {
		fxr_init(&r, (uint64_t)i + 1, keys[i], keys[i + 1], 1, 1);
		put_ok(t, &r);
	}
	const struct region *out[10];
	size_t n = rtree_scan(t, tk_slice_str("d"), 10, out);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(out[0]->id, 2);
	ck_assert_uint_eq(out[3]->id, 5);
	ck_assert_uint_eq(rtree_scan(t, tk_slice_str(""), 2, out), 2);
	ck_assert_uint_eq(out[1]->id, 2);
	/* Ordered iteration covers everything once. */
	size_t k = 0;
	for (const struct region *x = rtree_first(t); x; x = rtree_next(t, x))
		ck_assert_uint_eq(x->id, ++k);
	ck_assert_uint_eq(k, 5);
	rtree_free(t);
}
END_TEST

START_TEST(test_heartbeat_with_older_version_is_stale)
{
	struct rtree *t = rtree_new();
	struct fxr r;
	fxr_init(&r, 1, "a", "m", 1, 5);
	put_ok(t, &r);
	struct fxr stale = r;
	stale.r.epoch.version = 4;
	stale.r.epoch.conf_ver = 9; /* newer conf_ver does not excuse an old version */
	ck_assert_int_eq(put(t, &stale), TK_E_STALE_COMMAND);
	ck_assert_uint_eq(rtree_get(t, 1)->epoch.version, 5);
	ck_assert_uint_eq(rtree_get(t, 1)->epoch.conf_ver, 1);
	rtree_free(t);
}
END_TEST

START_TEST(test_heartbeat_with_older_conf_ver_is_stale)
{
	struct rtree *t = rtree_new();
	struct fxr r;
	fxr_init(&r, 1, "a", "m", 3, 1);
	put_ok(t, &r);
	struct fxr stale = r;
	stale.r.epoch.conf_ver = 2;
	ck_assert_int_eq(put(t, &stale), TK_E_STALE_COMMAND);
	ck_assert_uint_eq(rtree_get(t, 1)->epoch.conf_ver, 3);
	rtree_free(t);
}
END_TEST

START_TEST(test_same_epoch_heartbeat_updates_leader_peers_and_size)
{
	struct rtree *t = rtree_new();
	struct fxr r;
	fxr_init(&r, 1, "a", "m", 1, 1);
	fxr_peer(&r, 11, 1);
	fxr_peer(&r, 12, 2);
	fxr_leader(&r, 1);
	put_ok(t, &r);
	fxr_leader(&r, 2);
	r.r.approximate_size = 144;
	r.r.approximate_keys = 144000;
	fxr_pending(&r, 1);
	put_ok(t, &r);
	const struct region *s = rtree_get(t, 1);
	ck_assert_uint_eq(s->leader_peer_id, 12);
	ck_assert_uint_eq(s->approximate_size, 144);
	ck_assert_uint_eq(s->approximate_keys, 144000);
	ck_assert(region_peer_is_pending(s, 11));
	ck_assert_uint_eq(rtree_count(t), 1);
	rtree_free(t);
}
END_TEST

START_TEST(test_newer_region_replaces_every_overlapping_older_one)
{
	struct rtree *t = rtree_new();
	struct fxr r;
	const char *keys[] = {"a", "c", "e", "g", "i"};
	for (int i = 0; i < 4; i++) {
		fxr_init(&r, (uint64_t)i + 1, keys[i], keys[i + 1], 1, 2);
		put_ok(t, &r);
	}
	/* [b, h) v3 overlaps regions 1..4 partially or fully. */
	fxr_init(&r, 9, "b", "h", 1, 3);
	put_ok(t, &r);
	ck_assert_uint_eq(rtree_count(t), 1);
	ck_assert_uint_eq(find_id(t, "a"), 0);
	ck_assert_uint_eq(find_id(t, "b"), 9);
	ck_assert_uint_eq(find_id(t, "gz"), 9);
	ck_assert_uint_eq(find_id(t, "h"), 0);
	rtree_free(t);
}
END_TEST

START_TEST(test_overlap_with_a_newer_version_refuses_the_heartbeat)
{
	struct rtree *t = rtree_new();
	struct fxr a, b, c;
	fxr_init(&a, 1, "a", "c", 1, 1);
	fxr_init(&b, 2, "c", "e", 1, 5);
	put_ok(t, &a);
	put_ok(t, &b);
	fxr_init(&c, 3, "b", "d", 1, 3);
	ck_assert_int_eq(put(t, &c), TK_E_STALE_COMMAND);
	/* Nothing changed, not even the older overlap. */
	ck_assert_uint_eq(rtree_count(t), 2);
	ck_assert_uint_eq(find_id(t, "a"), 1);
	ck_assert_uint_eq(find_id(t, "d"), 2);
	rtree_free(t);
}
END_TEST

START_TEST(test_split_children_reported_before_the_parent_converge)
{
	struct rtree *t = rtree_new();
	struct fxr r1, r2, r3;
	fxr_init(&r1, 1, "", "", 1, 1);
	put_ok(t, &r1);
	ck_assert_uint_eq(find_id(t, "foo"), 1);
	/* Split 1 into 2 [, m) and 1 [m, ); 2 reports first. */
	fxr_init(&r2, 2, "", "m", 1, 1);
	put_ok(t, &r2);
	ck_assert_uint_eq(find_id(t, "a"), 2);
	ck_assert_uint_eq(find_id(t, "z"), 0); /* the parent's range is gone */
	fxr_init(&r1, 1, "m", "", 1, 2);
	put_ok(t, &r1);
	ck_assert_uint_eq(find_id(t, "z"), 1);
	/* Split 1 into 3 [m, q) and 1 [q, ); now the parent reports first. */
	fxr_init(&r1, 1, "q", "", 1, 3);
	put_ok(t, &r1);
	ck_assert_uint_eq(find_id(t, "z"), 1);
	ck_assert_uint_eq(find_id(t, "a"), 2);
	ck_assert_uint_eq(find_id(t, "n"), 0);
	fxr_init(&r3, 3, "m", "q", 1, 1);
	put_ok(t, &r3);
	ck_assert_uint_eq(find_id(t, "n"), 3);
	/* A late heartbeat of the parent before any split is stale. */
	fxr_init(&r1, 1, "", "", 1, 1);
	ck_assert_int_eq(put(t, &r1), TK_E_STALE_COMMAND);
	rtree_free(t);
}
END_TEST

START_TEST(test_merged_away_region_reported_late_is_stale)
{
	struct rtree *t = rtree_new();
	struct fxr a, b;
	fxr_init(&a, 1, "a", "m", 1, 2);
	fxr_init(&b, 2, "m", "z", 1, 2);
	put_ok(t, &a);
	put_ok(t, &b);
	/* 1 absorbs 2: version max(2, 2) + 1. */
	fxr_init(&a, 1, "a", "z", 1, 3);
	put_ok(t, &a);
	ck_assert_ptr_null(rtree_get(t, 2));
	ck_assert_uint_eq(find_id(t, "n"), 1);
	ck_assert_int_eq(put(t, &b), TK_E_STALE_COMMAND);
	rtree_free(t);
}
END_TEST

START_TEST(test_malformed_regions_are_bad_requests)
{
	struct rtree *t = rtree_new();
	struct fxr r;
	fxr_init(&r, 1, "m", "a", 1, 1);
	ck_assert_int_eq(put(t, &r), TK_E_BAD_REQUEST);
	fxr_init(&r, 0, "a", "m", 1, 1);
	ck_assert_int_eq(put(t, &r), TK_E_BAD_REQUEST);
	fxr_init(&r, 1, "a", "m", 1, 1);
	fxr_peer(&r, 5, 1);
	fxr_peer(&r, 6, 1);
	ck_assert_int_eq(put(t, &r), TK_E_BAD_REQUEST);
	fxr_init(&r, 1, "a", "m", 1, 1);
	fxr_peer(&r, 5, 1);
	r.r.leader_peer_id = 7;
	ck_assert_int_eq(put(t, &r), TK_E_BAD_REQUEST);
	/* More peers than REGION_MAX_PEERS. */
	struct region_peer many[REGION_MAX_PEERS + 1];
	for (size_t i = 0; i <= REGION_MAX_PEERS; i++)
		many[i] = (struct region_peer){i + 1, i + 1};
	fxr_init(&r, 1, "a", "m", 1, 1);
	struct region big = *fxr_get(&r);
	big.peers = many;
	big.n_peers = REGION_MAX_PEERS + 1;
	struct tk_errbuf eb;
	ck_assert_int_eq(rtree_put(t, &big, NULL, NULL, NULL, &eb), TK_E_BAD_REQUEST);
	big.n_peers = REGION_MAX_PEERS;
	ck_assert_int_eq(rtree_put(t, &big, NULL, NULL, NULL, &eb), TK_OK);
	ck_assert(rtree_remove(t, 1, NULL, NULL));
	ck_assert_uint_eq(rtree_count(t), 0);
	rtree_free(t);
}
END_TEST

/* ---- split/merge rounds over a numeric key space ---- */

#define SPACE 0x100000u

struct span {
	uint64_t id, version;
	unsigned lo, hi; /* [lo, hi) of SPACE; 0 / SPACE are -inf / +inf */
};

static void span_region(const struct span *s, struct fxr *r)
{
	char a[16] = "", b[16] = "";
	if (s->lo)
		snprintf(a, sizeof(a), "%08x", s->lo);
	if (s->hi != SPACE)
		snprintf(b, sizeof(b), "%08x", s->hi);
	fxr_init(r, s->id, a, b, 1, s->version);
}

static void heartbeat_all(struct rtree *t, struct span *v, size_t n, uint64_t *seed)
{
	/* Report in a shuffled order: children before parents and back. */
	size_t *ord = malloc(n * sizeof(*ord));
	for (size_t i = 0; i < n; i++)
		ord[i] = i;
	for (size_t i = n; i > 1; i--) {
		size_t j = rng(seed) % i, x = ord[i - 1];
		ord[i - 1] = ord[j];
		ord[j] = x;
	}
	for (size_t i = 0; i < n; i++) {
		struct fxr r;
		span_region(&v[ord[i]], &r);
		put_ok(t, &r);
		char k[16];
		snprintf(k, sizeof(k), "%08x", v[ord[i]].lo);
		ck_assert_uint_eq(find_id(t, v[ord[i]].lo ? k : ""), v[ord[i]].id);
	}
	free(ord);
	/* All reported: the map is exactly v. */
	ck_assert_uint_eq(rtree_count(t), n);
	for (size_t i = 0; i < n; i++) {
		char k[16];
		snprintf(k, sizeof(k), "%08x", v[i].hi - 1);
		ck_assert_uint_eq(find_id(t, k), v[i].id);
	}
}

START_TEST(test_rounds_of_splits_and_merges_reported_in_any_order_converge)
{
	struct rtree *t = rtree_new();
	uint64_t seed = 7 + (uint64_t)_i, next_id = 2;
	size_t n = 1, cap = 1 << 12;
	struct span *v = malloc(cap * sizeof(*v)), *w = malloc(cap * sizeof(*w));
	v[0] = (struct span){1, 1, 0, SPACE};
	heartbeat_all(t, v, n, &seed);
	for (int round = 0; round < 14; round++) {
		size_t m = 0;
		if (round % 3 != 2) { /* split everything in two */
			for (size_t i = 0; i < n; i++) {
				unsigned mid = v[i].lo + (v[i].hi - v[i].lo) / 2;
				uint64_t ver = v[i].version + 1;
				w[m++] = (struct span){next_id++, ver, v[i].lo, mid};
				w[m++] = (struct span){v[i].id, ver, mid, v[i].hi};
			}
		} else { /* merge neighbours pairwise, the right one survives */
			for (size_t i = 0; i < n; i += 2) {
				if (i + 1 == n) {
					w[m++] = v[i];
					continue;
				}
				uint64_t a = v[i].version, b = v[i + 1].version;
				uint64_t ver = (a > b ? a : b) + 1;
				w[m++] = (struct span){v[i + 1].id, ver, v[i].lo, v[i + 1].hi};
			}
		}
		struct span *x = v;
		v = w;
		w = x;
		n = m;
		heartbeat_all(t, v, n, &seed);
	}
	free(v);
	free(w);
	rtree_free(t);
}
END_TEST

struct seen_ctx {
	uint64_t seen[4];
	int n;
};

static void record_removed(void *arg, const struct region *old, bool same)
{
	struct seen_ctx *cx = arg;
	cx->seen[cx->n++] = old->id | (same ? 0x100 : 0);
}

START_TEST(test_removed_callback_reports_replaced_regions)
{
	struct rtree *t = rtree_new();
	struct fxr r;
	fxr_init(&r, 1, "a", "c", 1, 1);
	put_ok(t, &r);
	fxr_init(&r, 2, "c", "e", 1, 1);
	put_ok(t, &r);
	struct seen_ctx cx = {{0}, 0};
	fxr_init(&r, 2, "a", "e", 1, 2);
	struct tk_errbuf eb;
	ck_assert_int_eq(rtree_put(t, fxr_get(&r), record_removed, &cx, NULL, &eb), TK_OK);
	ck_assert_int_eq(cx.n, 2);
	ck_assert_uint_eq(cx.seen[0], 2 | 0x100); /* the old version of 2 first */
	ck_assert_uint_eq(cx.seen[1], 1);
	ck_assert(rtree_remove(t, 2, NULL, NULL));
	ck_assert(!rtree_remove(t, 2, NULL, NULL));
	rtree_free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sched_region_tree");
	TCase *tc = tcase_create("tree");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_u64map_matches_a_reference_under_random_puts_and_deletes);
	tcase_add_test(tc, test_find_returns_the_region_containing_the_key_or_null_in_a_gap);
	tcase_add_test(tc, test_scan_starts_at_the_containing_region_and_respects_the_limit);
	tcase_add_test(tc, test_heartbeat_with_older_version_is_stale);
	tcase_add_test(tc, test_heartbeat_with_older_conf_ver_is_stale);
	tcase_add_test(tc, test_same_epoch_heartbeat_updates_leader_peers_and_size);
	tcase_add_test(tc, test_newer_region_replaces_every_overlapping_older_one);
	tcase_add_test(tc, test_overlap_with_a_newer_version_refuses_the_heartbeat);
	tcase_add_test(tc, test_split_children_reported_before_the_parent_converge);
	tcase_add_test(tc, test_merged_away_region_reported_late_is_stale);
	tcase_add_test(tc, test_malformed_regions_are_bad_requests);
	tcase_add_loop_test(tc, test_rounds_of_splits_and_merges_reported_in_any_order_converge,
			    0, 3);
	tcase_add_test(tc, test_removed_callback_reports_replaced_regions);
	suite_add_tcase(s, tc);
	return fx_run(s);
}
