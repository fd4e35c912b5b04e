/* Schedulers on synthetic clusters: the replica checker, balance-region and
 * balance-leader (scenarios after TinyKV's balance and replica checker
 * tests, rebuilt on real regions), the registry, the patrol, and a store
 * drained by "store offline" end to end. */
#include <check.h>
#include <stdlib.h>

#include "scheduler/test_fixture.h"

#define MIN31 (31 * 60 * 1000)

static void check_op(const struct operator *op, enum op_kind kind, uint64_t region)
{
	ck_assert_int_eq(op->kind, kind);
	ck_assert_uint_eq(op->region_id, region);
}

/* First step adds on `to`, last removes from `from` (a move). */
static void check_move(const struct operator *op, uint64_t from, uint64_t to)
{
	ck_assert_uint_ge(op->n_steps, 2);
	ck_assert_int_eq(op->steps[0].kind, OP_STEP_ADD_PEER);
	ck_assert_uint_eq(op->steps[0].store_id, to);
	ck_assert_int_eq(op->steps[op->n_steps - 1].kind, OP_STEP_REMOVE_PEER);
	ck_assert_uint_eq(op->steps[op->n_steps - 1].store_id, from);
}

static bool check_region(struct fxc *f, uint64_t id, struct operator *op)
{
	struct sched_ctx ctx = fxc_ctx(f);
	return sched_check_replicas(&ctx, cluster_region(f->c, id), op);
}

static size_t balance_region(struct fxc *f, struct operator *op)
{
	struct sched_ctx ctx = fxc_ctx(f);
	return sched_balance_region(&ctx, op, 1);
}

static size_t balance_leader(struct fxc *f, struct operator *op)
{
	struct sched_ctx ctx = fxc_ctx(f);
	return sched_balance_leader(&ctx, op, 1);
}

/* ---- replica checker ---- */

/* Stores 1..4 with region scores 40, 30, 20, 10 MiB; region 1 on 1, 2. */
static void replica_setup(struct fxc *f)
{
	fxc_init(f);
	for (uint64_t s = 1; s <= 4; s++) {
		fxc_store(f, s);
		fxc_fill(f, s, (unsigned)(5 - s), 10);
	}
	FXC_REGION(f, 1, 1, 1, 2);
}

START_TEST(test_replica_checker_adds_a_peer_on_the_lowest_score_store)
{
	struct fxc f;
	replica_setup(&f);
	struct operator op;
	ck_assert(check_region(&f, 1, &op));
	check_op(&op, OP_KIND_REPLICA, 1);
	fx_assert_steps(&op, 1, ADD(4));
	ck_assert_uint_eq(op.steps[0].peer_id, 100000); /* from the id callback */
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_replica_checker_skips_down_busy_and_full_stores_as_targets)
{
	struct fxc f;
	replica_setup(&f);
	struct operator op;
	fxc_silence(&f, 4, MIN31);
	ck_assert(check_region(&f, 1, &op));
	fx_assert_steps(&op, 1, ADD(3));
	fxc_rehb(&f, 4); /* back up */
	ck_assert(check_region(&f, 1, &op));
	fx_assert_steps(&op, 1, ADD(4));
	fxc_set_busy(&f, 4, true);
	ck_assert(check_region(&f, 1, &op));
	fx_assert_steps(&op, 1, ADD(3));
	fxc_set_busy(&f, 4, false);
	fxc_store_hb(&f, 4, 10 * FX_GIB); /* 10% free < low-space-ratio 20% */
	ck_assert(check_region(&f, 1, &op));
	fx_assert_steps(&op, 1, ADD(3));
	fxc_silence(&f, 3, 25000); /* disconnected: no new replicas either */
	ck_assert(!check_region(&f, 1, &op));
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_replica_checker_skips_stores_flooded_with_snapshots_or_pending)
{
	struct fxc f;
	replica_setup(&f);
	struct operator op;
	struct store_stats st = cluster_store(f.c, 4)->stats;
	st.receiving_snap_count = 2;
	st.applying_snap_count = 2;
	struct tk_errbuf eb;
	ck_assert_int_eq(cluster_store_heartbeat(f.c, &st, f.now, &eb), TK_OK);
	ck_assert(check_region(&f, 1, &op));
	fx_assert_steps(&op, 1, ADD(3));
	st.applying_snap_count = 1; /* 3 in flight: at the limit is fine */
	ck_assert_int_eq(cluster_store_heartbeat(f.c, &st, f.now, &eb), TK_OK);
	ck_assert(check_region(&f, 1, &op));
	fx_assert_steps(&op, 1, ADD(4));
	/* Store 4 holds many peers still catching up. */
	f.cfg.max_pending_peer_count = 2;
	for (uint64_t i = 10; i < 13; i++) {
		FXC_REGION(&f, i, 1, 1, 4);
		struct fxr r;
		fxr_from(&r, cluster_region(f.c, i));
		fxr_pending(&r, 4);
		fxc_put(&f, &r);
	}
	ck_assert(check_region(&f, 1, &op));
	fx_assert_steps(&op, 1, ADD(3));
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_replica_checker_is_quiet_at_max_replicas_and_removes_extras)
{
	struct fxc f;
	replica_setup(&f);
	struct operator op;
	FXC_REGION(&f, 2, 1, 2, 3, 4);
	ck_assert(!check_region(&f, 2, &op));
	/* Four peers: the one on the highest-score store (1) goes; it leads,
	 * so leadership moves first. */
	FXC_REGION(&f, 3, 1, 1, 2, 3, 4);
	ck_assert(check_region(&f, 3, &op));
	fx_assert_steps(&op, 2, TL(2), RM(1));
	/* Led from 4: store 1's peer is just removed. */
	FXC_REGION(&f, 4, 1, 4, 1, 2, 3);
	ck_assert(check_region(&f, 4, &op));
	fx_assert_steps(&op, 1, RM(1));
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_replica_checker_replaces_a_peer_on_a_down_store)
{
	struct fxc f;
	replica_setup(&f);
	struct operator op;
	FXC_REGION(&f, 2, 1, 1, 2, 3);
	fxc_silence(&f, 2, MIN31);
	ck_assert(check_region(&f, 2, &op));
	check_op(&op, OP_KIND_REPLICA, 2);
	fx_assert_steps(&op, 2, ADD(4), RM(2));
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_replica_checker_replaces_a_peer_its_leader_reports_down)
{
	struct fxc f;
	replica_setup(&f);
	struct operator op;
	struct fxr r;
	FXC_REGION(&f, 2, 1, 1, 2, 3);
	fxr_from(&r, cluster_region(f.c, 2));
	fxr_down(&r, 3, 60); /* not long enough */
	fxc_put(&f, &r);
	ck_assert(!check_region(&f, 2, &op));
	r.down[0].down_seconds = 24 * 3600;
	fxc_put(&f, &r);
	ck_assert(check_region(&f, 2, &op));
	fx_assert_steps(&op, 2, ADD(4), RM(3));
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_replica_checker_moves_replicas_off_an_offline_store)
{
	struct fxc f;
	replica_setup(&f);
	struct operator op;
	struct tk_errbuf eb;
	FXC_REGION(&f, 2, 1, 3, 1, 2);
	ck_assert_int_eq(cluster_store_set_offline(f.c, 3, &eb), TK_OK);
	ck_assert(check_region(&f, 2, &op));
	/* Store 3 leads: add on 4, hand leadership to it, then remove 3. */
	fx_assert_steps(&op, 3, ADD(4), TL(4), RM(3));
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_down_peers_are_replaced_before_offline_ones)
{
	struct fxc f;
	fxc_init(&f);
	for (uint64_t s = 1; s <= 4; s++)
		fxc_store(&f, s);
	FXC_REGION(&f, 1, 1, 3, 1, 2);
	struct tk_errbuf eb;
	fxc_silence(&f, 1, MIN31);
	ck_assert_int_eq(cluster_store_set_offline(f.c, 2, &eb), TK_OK);
	struct operator op;
	ck_assert(check_region(&f, 1, &op));
	fx_assert_steps(&op, 2, ADD(4), RM(1));
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_offline_peer_of_an_over_replicated_region_is_just_removed)
{
	struct fxc f;
	replica_setup(&f);
	struct tk_errbuf eb;
	FXC_REGION(&f, 2, 1, 1, 2, 3, 4);
	ck_assert_int_eq(cluster_store_set_offline(f.c, 3, &eb), TK_OK);
	struct operator op;
	ck_assert(check_region(&f, 2, &op));
	fx_assert_steps(&op, 1, RM(3));
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_replica_checker_leaves_regions_on_lost_stores_alone)
{
	struct fxc f;
	fxc_init(&f);
	fxc_store(&f, 1);
	fxc_store(&f, 2);
	FXC_REGION(&f, 1, 1, 1, 2, 3); /* store 3 unknown to us */
	struct operator op;
	ck_assert(!check_region(&f, 1, &op));
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_replica_checker_skips_regions_with_an_operator_or_no_leader)
{
	struct fxc f;
	replica_setup(&f);
	struct operator op, busy;
	struct tk_errbuf eb;
	op_init(&busy, cluster_region(f.c, 1), OP_KIND_ADMIN, f.now, 1000, NULL);
	op_add_step(&busy, OP_STEP_TRANSFER_LEADER, 2, 0);
	ck_assert_int_eq(opctl_add(f.oc, &busy, &eb), TK_OK);
	ck_assert(!check_region(&f, 1, &op));
	struct fxr r;
	fxr_init(&r, 5, "z", "", 1, 1);
	fxr_peer(&r, 51, 1);
	fxc_put(&f, &r);
	ck_assert(!check_region(&f, 5, &op));
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_replica_checker_needs_a_peer_id)
{
	struct fxc f;
	replica_setup(&f);
	struct sched_ctx ctx = fxc_ctx(&f);
	ctx.alloc_peer_id = NULL;
	struct operator op;
	ck_assert(!sched_check_replicas(&ctx, cluster_region(f.c, 1), &op));
	fxc_destroy(&f);
}
END_TEST

/* ---- balance-region ---- */

START_TEST(test_balance_region_moves_from_most_loaded_store_single_replica)
{
	struct fxc f;
	fxc_init(&f);
	f.cfg.max_replicas = 1;
	unsigned fill[] = {6, 8, 8, 16};
	for (uint64_t s = 1; s <= 4; s++) {
		fxc_store(&f, s);
		fxc_fill(&f, s, fill[s - 1], 10);
	}
	struct operator op;
	ck_assert_uint_eq(balance_region(&f, &op), 1);
	ck_assert_int_eq(op.kind, OP_KIND_BALANCE_REGION);
	/* The only peer leads: add on 1, make it leader, remove from 4. */
	fx_assert_steps(&op, 3, ADD(1), TL(1), RM(4));
	ck_assert_uint_eq(region_leader_store(cluster_region(f.c, op.region_id)), 4);
	/* An offline store is no target: store 2 is next (tie with 3: lower id). */
	struct tk_errbuf eb;
	ck_assert_int_eq(cluster_store_set_offline(f.c, 1, &eb), TK_OK);
	ck_assert_uint_eq(balance_region(&f, &op), 1);
	check_move(&op, 4, 2);
	/* Regions with fewer peers than max-replicas are not moved. */
	f.cfg.max_replicas = 3;
	ck_assert_uint_eq(balance_region(&f, &op), 0);
	f.cfg.max_replicas = 1;
	ck_assert_uint_eq(balance_region(&f, &op), 1);
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_balance_region_three_replicas_needs_a_store_outside_the_region)
{
	struct fxc f;
	fxc_init(&f);
	unsigned fill[] = {16, 15, 14};
	for (uint64_t s = 1; s <= 3; s++) {
		fxc_store(&f, s);
		fxc_fill(&f, s, fill[s - 1], 10);
	}
	FXC_REGION(&f, 1, 10, 1, 2, 3);
	struct operator op;
	ck_assert_uint_eq(balance_region(&f, &op), 0); /* every store holds it */
	fxc_store(&f, 4);
	fxc_fill(&f, 4, 2, 10);
	ck_assert_uint_eq(balance_region(&f, &op), 1);
	check_op(&op, OP_KIND_BALANCE_REGION, 1);
	check_move(&op, 1, 4);
	fxc_store(&f, 5);
	fxc_fill(&f, 5, 1, 10);
	ck_assert_uint_eq(balance_region(&f, &op), 1);
	check_move(&op, 1, 5);
	fxc_store(&f, 6);
	ck_assert_uint_eq(balance_region(&f, &op), 1);
	check_move(&op, 1, 6);
	/* A down store is no target. */
	fxc_silence(&f, 6, MIN31);
	ck_assert_uint_eq(balance_region(&f, &op), 1);
	check_move(&op, 1, 5);
	/* Only a store fuller than the source is left: nothing to do. */
	fxc_silence(&f, 4, MIN31);
	fxc_silence(&f, 5, MIN31);
	fxc_store(&f, 7);
	fxc_fill(&f, 7, 20, 10);
	ck_assert_uint_eq(balance_region(&f, &op), 0);
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_balance_region_does_not_move_within_tolerance)
{
	struct fxc f;
	fxc_init(&f);
	f.cfg.max_replicas = 1;
	fxc_store(&f, 1);
	fxc_store(&f, 2);
	fxc_fill(&f, 1, 11, 10);
	fxc_fill(&f, 2, 10, 10);
	struct operator op;
	/* Gap 10 MiB < 2 x 10 MiB: moving would just swap who is heavier. */
	ck_assert_uint_eq(balance_region(&f, &op), 0);
	fxc_fill(&f, 1, 1, 10);
	ck_assert_uint_eq(balance_region(&f, &op), 1); /* gap 20: 110 / 110 after */
	check_move(&op, 1, 2);
	/* A larger tolerance (half the mean score) holds it back. */
	struct tk_errbuf eb;
	ck_assert_int_eq(sched_config_set(&f.cfg, "region-tolerance-ratio", "0.5", &eb), TK_OK);
	ck_assert_uint_eq(balance_region(&f, &op), 0);
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_balance_region_prefers_a_region_whose_source_peer_is_pending)
{
	struct fxc f;
	fxc_init(&f);
	unsigned fill[] = {16, 7, 15, 10};
	for (uint64_t s = 1; s <= 4; s++) {
		fxc_store(&f, s);
		fxc_fill(&f, s, fill[s - 1], 10);
	}
	FXC_REGION(&f, 1, 10, 1, 2, 3);
	FXC_REGION(&f, 2, 10, 1, 2, 3);
	FXC_REGION(&f, 3, 10, 2, 1, 3);
	struct fxr r;
	fxr_from(&r, cluster_region(f.c, 3));
	fxr_pending(&r, 1);
	fxc_put(&f, &r);
	struct operator op;
	ck_assert_uint_eq(balance_region(&f, &op), 1);
	check_op(&op, OP_KIND_BALANCE_REGION, 3);
	fx_assert_steps(&op, 2, ADD(4), RM(1));
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_balance_region_skips_a_target_low_on_space)
{
	struct fxc f;
	fxc_init(&f);
	f.cfg.max_replicas = 1;
	unsigned fill[] = {11, 9, 6, 5, 2};
	for (uint64_t s = 1; s <= 5; s++) {
		fxc_store(&f, s);
		fxc_fill(&f, s, fill[s - 1], 10);
	}
	struct operator op;
	ck_assert_uint_eq(balance_region(&f, &op), 1);
	check_move(&op, 1, 5);
	fxc_store_hb(&f, 5, 15 * FX_GIB);
	ck_assert_uint_eq(balance_region(&f, &op), 1);
	check_move(&op, 1, 4);
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_balance_region_ignores_down_sources_and_unhealthy_regions)
{
	struct fxc f;
	fxc_init(&f);
	for (uint64_t s = 1; s <= 4; s++)
		fxc_store(&f, s);
	fxc_fill(&f, 1, 20, 10);
	FXC_REGION(&f, 1, 10, 1, 2, 3);
	struct fxr r;
	fxr_from(&r, cluster_region(f.c, 1));
	fxr_down(&r, 3, 10);
	fxc_put(&f, &r);
	struct operator op;
	ck_assert_uint_eq(balance_region(&f, &op), 0); /* a down peer: repair first */
	r.r.n_down = 0;
	fxc_put(&f, &r);
	ck_assert_uint_eq(balance_region(&f, &op), 1);
	fxc_silence(&f, 1, MIN31);
	ck_assert_uint_eq(balance_region(&f, &op), 0); /* the replica checker's job */
	fxc_destroy(&f);
}
END_TEST

/* ---- balance-leader ---- */

/* n regions led by `leader`, with followers on the other listed stores. */
static void lead(struct fxc *f, unsigned n, const uint64_t *stores)
{
	for (unsigned i = 0; i < n; i++)
		fxc_region_a(f, f->next_filler++, 1, stores);
}
#define LEAD(f, n, ...) lead((f), (n), (const uint64_t[]){__VA_ARGS__, 0})

static void check_transfer(const struct operator *op, struct fxc *f, uint64_t from, uint64_t to)
{
	ck_assert_int_eq(op->kind, OP_KIND_BALANCE_LEADER);
	fx_assert_steps(op, 1, TL(to));
	ck_assert_uint_eq(region_leader_store(cluster_region(f->c, op->region_id)), from);
	ck_assert_uint_eq(op->timeout_ms, f->cfg.leader_op_timeout_ms);
}

START_TEST(test_balance_leader_filters_stores_by_state)
{
	struct fxc f;
	fxc_init(&f);
	for (uint64_t s = 1; s <= 4; s++)
		fxc_store(&f, s);
	LEAD(&f, 1, 1, 2, 3, 4);
	LEAD(&f, 2, 2, 1, 3, 4);
	LEAD(&f, 3, 3, 1, 2, 4);
	LEAD(&f, 16, 4, 1, 2, 3);
	struct operator op;
	ck_assert_uint_eq(balance_leader(&f, &op), 1);
	check_transfer(&op, &f, 4, 1);
	/* Offline stores still serve: 4 stays a source. */
	struct tk_errbuf eb;
	ck_assert_int_eq(cluster_store_set_offline(f.c, 4, &eb), TK_OK);
	ck_assert_uint_eq(balance_leader(&f, &op), 1);
	check_transfer(&op, &f, 4, 1);
	fxc_silence(&f, 1, MIN31);
	ck_assert_uint_eq(balance_leader(&f, &op), 1);
	check_transfer(&op, &f, 4, 2);
	fxc_set_busy(&f, 2, true);
	ck_assert_uint_eq(balance_leader(&f, &op), 1);
	check_transfer(&op, &f, 4, 3);
	fxc_silence(&f, 3, 25000);
	ck_assert_uint_eq(balance_leader(&f, &op), 0);
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_balance_leader_respects_the_tolerance)
{
	struct fxc f;
	fxc_init(&f);
	for (uint64_t s = 1; s <= 4; s++)
		fxc_store(&f, s);
	LEAD(&f, 14, 1, 2, 3, 4);
	LEAD(&f, 10, 2, 1, 3, 4);
	LEAD(&f, 10, 3, 1, 2, 4);
	LEAD(&f, 10, 4, 1, 2, 3);
	struct tk_errbuf eb;
	ck_assert_int_eq(sched_config_set(&f.cfg, "leader-tolerance", "4", &eb), TK_OK);
	struct operator op;
	ck_assert_uint_eq(balance_leader(&f, &op), 0);
	LEAD(&f, 1, 1, 2, 3, 4);
	ck_assert_uint_eq(balance_leader(&f, &op), 1);
	check_transfer(&op, &f, 1, 2);
	ck_assert_int_eq(sched_config_set(&f.cfg, "leader-tolerance", "5", &eb), TK_OK);
	ck_assert_uint_eq(balance_leader(&f, &op), 0);
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_balance_leader_leaves_a_balanced_cluster_alone)
{
	struct fxc f;
	fxc_init(&f);
	for (uint64_t s = 1; s <= 4; s++)
		fxc_store(&f, s);
	LEAD(&f, 10, 1, 2, 3, 4);
	LEAD(&f, 10, 2, 1, 3, 4);
	LEAD(&f, 10, 3, 1, 2, 4);
	LEAD(&f, 11, 4, 1, 2, 3);
	struct operator op;
	ck_assert_uint_eq(balance_leader(&f, &op), 0);
	ck_assert_uint_eq(balance_leader(&f, &op), 0);
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_balance_leader_only_moves_to_a_follower_store)
{
	struct fxc f;
	fxc_init(&f);
	for (uint64_t s = 1; s <= 4; s++)
		fxc_store(&f, s);
	/* Store 4 leads 16 regions, none with a peer on store 1. */
	LEAD(&f, 1, 1, 2, 3);
	LEAD(&f, 15, 2, 1, 3);
	LEAD(&f, 15, 3, 1, 2);
	LEAD(&f, 16, 4, 2, 3);
	struct operator op;
	ck_assert_uint_eq(balance_leader(&f, &op), 1);
	/* 4 cannot reach 1 and 16 - 15 is too close; 2 (15) can: 2 -> 1. */
	check_transfer(&op, &f, 2, 1);
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_balance_leader_from_a_single_store_spreads_leaders)
{
	struct fxc f;
	fxc_init(&f);
	for (uint64_t s = 1; s <= 3; s++)
		fxc_store(&f, s);
	LEAD(&f, 3, 1, 2, 3);
	/* Apply each transfer and rerun: 3/0/0 ends at 1/1/1. */
	for (int round = 0; round < 5; round++) {
		struct operator op;
		if (!balance_leader(&f, &op))
			break;
		struct fxr r;
		fxr_from(&r, cluster_region(f.c, op.region_id));
		fxr_leader(&r, op.steps[0].store_id);
		fxc_put(&f, &r);
	}
	for (uint64_t s = 1; s <= 3; s++)
		ck_assert_uint_eq(cluster_store(f.c, s)->leader_count, 1);
	fxc_destroy(&f);
}
END_TEST

/* ---- registry, limits, determinism ---- */

START_TEST(test_registry_lists_adds_and_removes_schedulers)
{
	struct sched_registry reg;
	sched_registry_init_default(&reg);
	ck_assert_uint_eq(reg.n, 2);
	ck_assert(sched_registry_has(&reg, "balance-leader"));
	ck_assert(sched_registry_has(&reg, "balance-region"));
	struct tk_errbuf eb;
	ck_assert_int_eq(sched_registry_add(&reg, "balance-leader", &eb), TK_E_BAD_REQUEST);
	ck_assert_int_eq(sched_registry_add(&reg, "shuffle", &eb), TK_E_NOT_FOUND);
	ck_assert_int_eq(sched_registry_remove(&reg, "balance-leader", &eb), TK_OK);
	ck_assert(!sched_registry_has(&reg, "balance-leader"));
	ck_assert_int_eq(sched_registry_remove(&reg, "balance-leader", &eb), TK_E_NOT_FOUND);
	ck_assert_int_eq(sched_registry_add(&reg, "balance-leader", &eb), TK_OK);
	ck_assert_str_eq(reg.active[1]->name, "balance-leader");
	size_t nk;
	ck_assert_ptr_nonnull(sched_kinds(&nk));
	ck_assert_uint_eq(nk, 2);
}
END_TEST

START_TEST(test_registry_run_respects_removal_and_schedule_limits)
{
	struct fxc f;
	fxc_init(&f);
	for (uint64_t s = 1; s <= 4; s++)
		fxc_store(&f, s);
	LEAD(&f, 16, 1, 2, 3);
	fxc_fill(&f, 1, 20, 10);
	struct sched_registry reg;
	sched_registry_init_default(&reg);
	struct sched_ctx ctx = fxc_ctx(&f);
	struct operator ops[4];
	size_t n = sched_registry_run(&reg, &ctx, ops, 4);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ops[0].kind, OP_KIND_BALANCE_LEADER);
	ck_assert_int_eq(ops[1].kind, OP_KIND_BALANCE_REGION);
	/* A limit of 0 disables a kind. */
	f.cfg.leader_schedule_limit = 0;
	n = sched_registry_run(&reg, &ctx, ops, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ops[0].kind, OP_KIND_BALANCE_REGION);
	/* Running operators count against the limit. */
	struct tk_errbuf eb;
	f.cfg.region_schedule_limit = 1;
	ck_assert_int_eq(opctl_add(f.oc, &ops[0], &eb), TK_OK);
	ck_assert_uint_eq(sched_registry_run(&reg, &ctx, ops, 4), 0);
	f.cfg.leader_schedule_limit = 4;
	ck_assert_int_eq(sched_registry_remove(&reg, "balance-leader", &eb), TK_OK);
	ck_assert_uint_eq(sched_registry_run(&reg, &ctx, ops, 4), 0);
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_schedulers_are_deterministic)
{
	struct operator a, b;
	for (int run = 0; run < 2; run++) {
		struct fxc f;
		fxc_init(&f);
		for (uint64_t s = 1; s <= 5; s++) {
			fxc_store(&f, s);
			fxc_fill(&f, s, (unsigned)(s * 3), 10);
		}
		for (uint64_t i = 1; i <= 40; i++)
			FXC_REGION(&f, i, i % 7 + 1, i % 5 + 1, (i + 1) % 5 + 1, (i + 2) % 5 + 1);
		struct sched_ctx ctx = fxc_ctx(&f);
		ctx.seed = 77;
		ck_assert_uint_eq(sched_balance_region(&ctx, run ? &b : &a, 1), 1);
		fxc_destroy(&f);
	}
	ck_assert_mem_eq(&a, &b, sizeof(a));
}
END_TEST

/* ---- patrol and a store drained end to end ---- */

/* Play the stores' part: carry out op's steps on the stored region and
 * heartbeat until the controller says it is done. */
static void execute(struct fxc *f, uint64_t region_id)
{
	struct op_step st;
	struct fxr r;
	fxr_from(&r, cluster_region(f->c, region_id));
	int guard = 0;
	while (opctl_region_heartbeat(f->oc, fxr_get(&r), f->now, &st)) {
		ck_assert_int_lt(guard++, 10);
		switch (st.kind) {
		case OP_STEP_ADD_PEER:
			fxr_peer(&r, st.peer_id, st.store_id);
			r.r.epoch.conf_ver++;
			break;
		case OP_STEP_TRANSFER_LEADER:
			r.r.leader_peer_id = st.peer_id;
			break;
		case OP_STEP_REMOVE_PEER:
			fxr_remove_store(&r, st.store_id);
			r.r.epoch.conf_ver++;
			break;
		}
		fxc_put(f, &r);
	}
}

START_TEST(test_patrol_visits_every_region_in_batches_and_wraps)
{
	struct fxc f;
	fxc_init(&f);
	for (uint64_t s = 1; s <= 4; s++)
		fxc_store(&f, s);
	for (uint64_t i = 1; i <= 30; i++)
		FXC_REGION(&f, i, 1, 1, 2); /* all under-replicated */
	f.cfg.patrol_batch = 7;
	f.cfg.replica_schedule_limit = 1000;
	struct tk_buf cursor;
	tk_buf_init(&cursor);
	struct operator ops[64];
	struct sched_ctx ctx = fxc_ctx(&f);
	size_t total = 0;
	for (int call = 0; call < 5; call++) {
		size_t n = sched_patrol(&ctx, &cursor, ops, 64);
		ck_assert_uint_le(n, 7);
		total += n;
	}
	ck_assert_uint_eq(total, 30);
	ck_assert_uint_eq(cursor.len, 0); /* wrapped after the last region */
	/* The limit counts running replica operators. */
	f.cfg.replica_schedule_limit = 3;
	struct tk_errbuf eb;
	ck_assert_int_eq(opctl_add(f.oc, &ops[0], &eb), TK_OK);
	ck_assert_uint_eq(sched_patrol(&ctx, &cursor, ops, 64), 2);
	tk_buf_destroy(&cursor);
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_store_offline_drains_to_tombstone)
{
	struct fxc f;
	fxc_init(&f);
	for (uint64_t s = 1; s <= 5; s++)
		fxc_store(&f, s);
	for (uint64_t i = 1; i <= 60; i++)
		FXC_REGION(&f, i, 4, i % 5 + 1, (i + 1) % 5 + 1, (i + 2) % 5 + 1);
	struct tk_errbuf eb;
	ck_assert_int_eq(cluster_store_set_offline(f.c, 4, &eb), TK_OK);
	uint64_t held = cluster_store(f.c, 4)->region_count;
	ck_assert_uint_eq(held, 36);
	struct tk_buf cursor;
	tk_buf_init(&cursor);
	for (int tick = 0; tick < 100 && cluster_store(f.c, 4)->region_count; tick++) {
		f.now += 1000;
		fxc_heartbeat_all(&f);
		struct operator ops[16];
		struct sched_ctx ctx = fxc_ctx(&f);
		size_t n = sched_patrol(&ctx, &cursor, ops, 16);
		for (size_t i = 0; i < n; i++) {
			ck_assert_int_eq(opctl_add(f.oc, &ops[i], &eb), TK_OK);
			execute(&f, ops[i].region_id);
		}
		ck_assert_uint_eq(opctl_total(f.oc), 0);
	}
	ck_assert_uint_eq(cluster_store(f.c, 4)->region_count, 0);
	ck_assert_uint_eq(cluster_tick(f.c, f.now, NULL, NULL), 1);
	ck_assert_int_eq(cluster_store(f.c, 4)->admin, STORE_ADMIN_TOMBSTONE);
	/* Every region still has three replicas, none on 4. */
	const struct rtree *t = cluster_regions(f.c);
	for (const struct region *r = rtree_first(t); r; r = rtree_next(t, r)) {
		ck_assert_uint_eq(r->n_peers, 3);
		ck_assert_ptr_null(region_store_peer(r, 4));
	}
	ck_assert(cluster_check_counts(f.c));
	tk_buf_destroy(&cursor);
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_balance_region_converges_without_flapping)
{
	struct fxc f;
	fxc_init(&f);
	for (uint64_t s = 1; s <= 3; s++)
		fxc_store(&f, s);
	for (uint64_t i = 1; i <= 90; i++)
		FXC_REGION(&f, i, 8, 1, 2, 3);
	fxc_store(&f, 4);
	fxc_store(&f, 5);
	int moves = 0;
	for (int round = 0; round < 400; round++) {
		struct operator op;
		struct sched_ctx ctx = fxc_ctx(&f);
		ctx.seed = (uint64_t)round;
		if (!sched_balance_region(&ctx, &op, 1))
			break;
		struct tk_errbuf eb;
		ck_assert_int_eq(opctl_add(f.oc, &op, &eb), TK_OK);
		execute(&f, op.region_id);
		moves++;
	}
	/* 270 replicas over 5 stores: 54 each, within one region of it. */
	for (uint64_t s = 1; s <= 5; s++) {
		uint64_t c = cluster_store(f.c, s)->region_count;
		ck_assert_msg(c >= 53 && c <= 55, "store %llu has %llu", (unsigned long long)s,
			      (unsigned long long)c);
	}
	ck_assert_int_le(moves, 110); /* 108 needed; no back and forth */
	fxc_destroy(&f);
}
END_TEST

/* ---- balance with operators in flight ---- */

/* Create operators from one balance scheduler, without carrying any out,
 * until it has nothing more to do (or `cap` operators): what a daemon does
 * while the stores have not heartbeated the effect yet.  Returns how many. */
static int plan_all(struct fxc *f, size_t (*fn)(const struct sched_ctx *, struct operator *, size_t),
		    int cap, int *to_store)
{
	int made = 0;
	for (; made < cap; made++) {
		struct operator op;
		struct sched_ctx ctx = fxc_ctx(f);
		ctx.seed = (uint64_t)made;
		if (!fn(&ctx, &op, 1))
			break;
		struct tk_errbuf eb;
		ck_assert_int_eq(opctl_add(f->oc, &op, &eb), TK_OK);
		to_store[op.steps[0].store_id]++;
	}
	return made;
}

START_TEST(test_balance_leader_counts_transfers_already_running)
{
	struct fxc f;
	fxc_init(&f);
	for (uint64_t s = 1; s <= 4; s++)
		fxc_store(&f, s);
	LEAD(&f, 24, 1, 2, 3, 4);
	int to[8] = {0};
	/* 24 leaders over 4 stores: 18 transfers leave 6 on each; a 19th
	 * (the view still says 24/0/0/0) would overshoot. */
	ck_assert_int_eq(plan_all(&f, sched_balance_leader, 30, to), 18);
	for (uint64_t s = 2; s <= 4; s++)
		ck_assert_int_eq(to[s], 6);
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_balance_region_counts_moves_already_running)
{
	struct fxc f;
	fxc_init(&f);
	for (uint64_t s = 1; s <= 3; s++)
		fxc_store(&f, s);
	for (uint64_t i = 1; i <= 30; i++)
		FXC_REGION(&f, i, 8, 1, 2, 3);
	fxc_store(&f, 4);
	int to[8] = {0};
	/* 90 replicas over 4 stores: 22 or 23 belong on store 4.  Counting
	 * the moves in flight stops there; not counting them moves every
	 * region (30), leaving 4 with more than any other store. */
	int made = plan_all(&f, sched_balance_region, 40, to);
	ck_assert_int_ge(made, 21);
	ck_assert_int_le(made, 23);
	ck_assert_int_eq(to[4], made);
	fxc_destroy(&f);
}
END_TEST

/* Leaders or replicas each store gave and received over a run. */
struct flow {
	int gave[8], got[8];
	int ops;
};

/* Play a daemon whose operators show in heartbeats only `lag` ticks after
 * they were created: every tick the stores heartbeat, the active
 * schedulers run under their limits, and operators `lag` ticks old are
 * carried out.  Records who gave and received what. */
static void run_lagged(struct fxc *f, const struct sched_registry *reg, int ticks, int lag,
		       struct flow *fl)
{
	struct {
		uint64_t region;
		int tick;
	} inflight[64];
	size_t n_in = 0;
	memset(fl, 0, sizeof(*fl));
	for (int tick = 0; tick < ticks; tick++) {
		f->now += 1000;
		fxc_heartbeat_all(f);
		size_t j = 0;
		for (size_t i = 0; i < n_in; i++) {
			if (tick - inflight[i].tick >= lag)
				execute(f, inflight[i].region);
			else
				inflight[j++] = inflight[i];
		}
		n_in = j;
		struct operator ops[8];
		struct sched_ctx ctx = fxc_ctx(f);
		ctx.seed = (uint64_t)tick;
		size_t n = sched_registry_run(reg, &ctx, ops, 8);
		for (size_t i = 0; i < n; i++) {
			const struct operator *op = &ops[i];
			uint64_t from, to;
			if (op->kind == OP_KIND_BALANCE_LEADER) {
				from = region_leader_store(cluster_region(f->c, op->region_id));
				to = op->steps[0].store_id;
			} else {
				from = op->steps[op->n_steps - 1].store_id;
				to = op->steps[0].store_id;
			}
			struct tk_errbuf eb;
			ck_assert_int_eq(opctl_add(f->oc, op, &eb), TK_OK);
			ck_assert_uint_lt(n_in, 64);
			inflight[n_in].region = op->region_id;
			inflight[n_in++].tick = tick;
			fl->gave[from]++;
			fl->got[to]++;
			fl->ops++;
		}
	}
	for (size_t i = 0; i < n_in; i++)
		execute(f, inflight[i].region);
}

START_TEST(test_balance_leader_does_not_flap_when_transfers_take_several_ticks)
{
	struct fxc f;
	fxc_init(&f);
	for (uint64_t s = 1; s <= 4; s++)
		fxc_store(&f, s);
	LEAD(&f, 20, 1, 2, 3, 4);
	LEAD(&f, 4, 2, 1, 3, 4);
	struct sched_registry reg;
	struct tk_errbuf eb;
	sched_registry_init_default(&reg);
	ck_assert_int_eq(sched_registry_remove(&reg, "balance-region", &eb), TK_OK);
	struct flow fl;
	run_lagged(&f, &reg, 60, 5, &fl);
	/* 20/4/0/0 -> 6/6/6/6: 14 transfers out of store 1, none back. */
	for (uint64_t s = 1; s <= 4; s++) {
		ck_assert_msg(!(fl.gave[s] && fl.got[s]), "store %llu gave %d and got %d leaders",
			      (unsigned long long)s, fl.gave[s], fl.got[s]);
		ck_assert_uint_eq(cluster_store(f.c, s)->leader_count, 6);
	}
	ck_assert_int_eq(fl.ops, 14);
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_balance_region_does_not_flap_when_moves_take_several_ticks)
{
	struct fxc f;
	fxc_init(&f);
	for (uint64_t s = 1; s <= 3; s++)
		fxc_store(&f, s);
	for (uint64_t i = 1; i <= 30; i++)
		FXC_REGION(&f, i, 8, 1, 2, 3);
	fxc_store(&f, 4);
	struct sched_registry reg;
	struct tk_errbuf eb;
	sched_registry_init_default(&reg);
	ck_assert_int_eq(sched_registry_remove(&reg, "balance-leader", &eb), TK_OK);
	struct flow fl;
	run_lagged(&f, &reg, 80, 6, &fl);
	for (uint64_t s = 1; s <= 4; s++) {
		ck_assert_msg(!(fl.gave[s] && fl.got[s]), "store %llu gave %d and got %d replicas",
			      (unsigned long long)s, fl.gave[s], fl.got[s]);
		uint64_t c = cluster_store(f.c, s)->region_count;
		ck_assert_msg(c >= 21 && c <= 24, "store %llu has %llu", (unsigned long long)s,
			      (unsigned long long)c);
	}
	ck_assert_int_le(fl.ops, 23);
	fxc_destroy(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sched_schedulers");
	TCase *rc = tcase_create("replica_checker");
	tcase_add_test(rc, test_replica_checker_adds_a_peer_on_the_lowest_score_store);
	tcase_add_test(rc, test_replica_checker_skips_down_busy_and_full_stores_as_targets);
	tcase_add_test(rc, test_replica_checker_skips_stores_flooded_with_snapshots_or_pending);
	tcase_add_test(rc, test_replica_checker_is_quiet_at_max_replicas_and_removes_extras);
	tcase_add_test(rc, test_replica_checker_replaces_a_peer_on_a_down_store);
	tcase_add_test(rc, test_replica_checker_replaces_a_peer_its_leader_reports_down);
	tcase_add_test(rc, test_replica_checker_moves_replicas_off_an_offline_store);
	tcase_add_test(rc, test_down_peers_are_replaced_before_offline_ones);
	tcase_add_test(rc, test_offline_peer_of_an_over_replicated_region_is_just_removed);
	tcase_add_test(rc, test_replica_checker_leaves_regions_on_lost_stores_alone);
	tcase_add_test(rc, test_replica_checker_skips_regions_with_an_operator_or_no_leader);
	tcase_add_test(rc, test_replica_checker_needs_a_peer_id);
	suite_add_tcase(s, rc);
	TCase *br = tcase_create("balance_region");
	tcase_add_test(br, test_balance_region_moves_from_most_loaded_store_single_replica);
	tcase_add_test(br, test_balance_region_three_replicas_needs_a_store_outside_the_region);
	tcase_add_test(br, test_balance_region_does_not_move_within_tolerance);
	tcase_add_test(br, test_balance_region_prefers_a_region_whose_source_peer_is_pending);
	tcase_add_test(br, test_balance_region_skips_a_target_low_on_space);
	tcase_add_test(br, test_balance_region_ignores_down_sources_and_unhealthy_regions);
	tcase_add_test(br, test_balance_region_converges_without_flapping);
	suite_add_tcase(s, br);
	TCase *bl = tcase_create("balance_leader");
	tcase_add_test(bl, test_balance_leader_filters_stores_by_state);
	tcase_add_test(bl, test_balance_leader_respects_the_tolerance);
	tcase_add_test(bl, test_balance_leader_leaves_a_balanced_cluster_alone);
	tcase_add_test(bl, test_balance_leader_only_moves_to_a_follower_store);
	tcase_add_test(bl, test_balance_leader_from_a_single_store_spreads_leaders);
	TCase *fl = tcase_create("in_flight");
	suite_add_tcase(s, fl);
	tcase_add_test(fl, test_balance_leader_counts_transfers_already_running);
	tcase_add_test(fl, test_balance_region_counts_moves_already_running);
	tcase_add_test(fl, test_balance_leader_does_not_flap_when_transfers_take_several_ticks);
	tcase_add_test(fl, test_balance_region_does_not_flap_when_moves_take_several_ticks);
	suite_add_tcase(s, bl);
	TCase *rg = tcase_create("registry");
	tcase_add_test(rg, test_registry_lists_adds_and_removes_schedulers);
	tcase_add_test(rg, test_registry_run_respects_removal_and_schedule_limits);
	tcase_add_test(rg, test_schedulers_are_deterministic);
	tcase_add_test(rg, test_patrol_visits_every_region_in_batches_and_wraps);
	tcase_add_test(rg, test_store_offline_drains_to_tombstone);
	suite_add_tcase(s, rg);
	return fx_run(s);
}
