/* A simulated cluster driven through the coordinator, as the daemon will:
 * stores heartbeat every simulated second, every region's leader
 * heartbeats and carries out the step it gets back.  Checks that replicas
 * get repaired, load spreads to new stores, a dead store is replaced and an
 * offline store drains to a tombstone. */
#include <check.h>
#include <stdlib.h>

#include "scheduler/coordinator.h"
#include "scheduler/test_fixture.h"

#define NREG 30

struct sim {
	struct fxc f;
	struct fxr truth[NREG]; /* what the stores really have */
	bool dead[16];          /* store stopped (crashed) */
	struct sched_registry reg;
	struct tk_buf cursor;
	uint64_t seed;
};

static void sim_init(struct sim *s)
{
	fxc_init(&s->f);
	sched_registry_init_default(&s->reg);
	tk_buf_init(&s->cursor);
	memset(s->dead, 0, sizeof(s->dead));
	s->seed = 0;
	struct tk_errbuf eb;
	ck_assert_int_eq(sched_config_set(&s->f.cfg, "max-store-down-time", "1m", &eb), TK_OK);
	for (uint64_t st = 1; st <= 3; st++)
		fxc_store(&s->f, st);
	/* As after bootstrap and splits: every region has one replica, on 1. */
	for (int i = 0; i < NREG; i++) {
		char a[16] = "", b[16] = "";
		if (i)
			snprintf(a, sizeof(a), "k%03d", i);
		if (i + 1 < NREG)
			snprintf(b, sizeof(b), "k%03d", i + 1);
		fxr_init(&s->truth[i], (uint64_t)i + 1, a, b, 1, 1);
		fxr_peer(&s->truth[i], (uint64_t)i + 1000, 1);
		fxr_leader(&s->truth[i], 1);
		s->truth[i].r.approximate_size = 8 * FX_MIB;
	}
}

static void sim_destroy(struct sim *s)
{
	tk_buf_destroy(&s->cursor);
	fxc_destroy(&s->f);
}

/* Raft would elect a live peer when the leader's store dies. */
static void elect(struct sim *s, struct fxr *r)
{
	uint64_t ls = 0;
	for (size_t i = 0; i < r->r.n_peers; i++)
		if (r->peers[i].id == r->r.leader_peer_id)
			ls = r->peers[i].store_id;
	if (ls && !s->dead[ls])
		return;
	for (size_t i = 0; i < r->r.n_peers; i++)
		if (!s->dead[r->peers[i].store_id]) {
			r->r.leader_peer_id = r->peers[i].id;
			return;
		}
}

static void apply(struct fxr *r, const struct op_step *st)
{
	switch (st->kind) {
	case OP_STEP_ADD_PEER:
		if (!fxr_peer_on(r, st->store_id)) {
			fxr_peer(r, st->peer_id, st->store_id);
			r->r.epoch.conf_ver++;
		}
		break;
	case OP_STEP_TRANSFER_LEADER:
		fxr_leader(r, st->store_id);
		break;
	case OP_STEP_REMOVE_PEER:
		if (fxr_peer_on(r, st->store_id) && r->r.leader_peer_id != st->peer_id) {
			fxr_remove_store(r, st->store_id);
			r->r.epoch.conf_ver++;
		}
		break;
	}
}

static void sim_second(struct sim *s)
{
	struct fxc *f = &s->f;
	f->now += 1000;
	for (size_t i = 0; i < cluster_store_count(f->c); i++) {
		const struct store *st = cluster_store_at(f->c, i);
		if (!s->dead[st->id] && st->admin != STORE_ADMIN_TOMBSTONE)
			fxc_rehb(f, st->id);
	}
	struct sched_ctx ctx = fxc_ctx(f);
	ctx.seed = s->seed++;
	struct coord_tick_out tick;
	coord_tick(&ctx, f->oc, f->c, &s->reg, &s->cursor, &tick);
	for (int i = 0; i < NREG; i++) {
		struct fxr *r = &s->truth[i];
		elect(s, r);
		struct coord_hb_out out;
		struct tk_errbuf eb;
		ck_assert_msg(coord_region_heartbeat(f->c, f->oc, fxr_get(r), f->now, &out, &eb) ==
				      TK_OK,
			      "%s", eb.msg);
		if (out.send)
			apply(r, &out.step);
	}
}

static size_t replicas_on(struct sim *s, uint64_t store)
{
	size_t n = 0;
	for (int i = 0; i < NREG; i++)
		n += fxr_peer_on(&s->truth[i], store) != 0;
	return n;
}

static bool all_have(struct sim *s, size_t replicas)
{
	for (int i = 0; i < NREG; i++)
		if (s->truth[i].r.n_peers != replicas)
			return false;
	return true;
}

START_TEST(test_simulated_cluster_repairs_balances_replaces_and_drains)
{
	struct sim s;
	sim_init(&s);
	/* 1. Under-replicated regions get their replicas on 2 and 3. */
	for (int t = 0; t < 100 && !all_have(&s, 3); t++)
		sim_second(&s);
	ck_assert(all_have(&s, 3));
	for (uint64_t st = 1; st <= 3; st++)
		ck_assert_uint_eq(replicas_on(&s, st), NREG);
	/* Leaders spread too (they all started on 1). */
	for (int t = 0; t < 60; t++)
		sim_second(&s);
	for (uint64_t st = 1; st <= 3; st++) {
		uint64_t lc = cluster_store(s.f.c, st)->leader_count;
		ck_assert_msg(lc >= 9 && lc <= 11, "store %llu leads %llu",
			      (unsigned long long)st, (unsigned long long)lc);
	}

	/* 2. Two new stores take their share: 90 replicas / 5 = 18 each. */
	fxc_store(&s.f, 4);
	fxc_store(&s.f, 5);
	for (int t = 0; t < 600; t++)
		sim_second(&s);
	for (uint64_t st = 1; st <= 5; st++) {
		size_t n = replicas_on(&s, st);
		ck_assert_msg(n >= 17 && n <= 19, "store %llu holds %zu", (unsigned long long)st,
			      n);
	}
	ck_assert(all_have(&s, 3));

	/* 3. Store 5 dies: after max-store-down-time its replicas move. */
	s.dead[5] = true;
	for (int t = 0; t < 200 && replicas_on(&s, 5); t++)
		sim_second(&s);
	ck_assert_uint_eq(replicas_on(&s, 5), 0);
	ck_assert(all_have(&s, 3));

	/* 4. Store 4 is taken offline: it drains and becomes a tombstone. */
	struct tk_errbuf eb;
	ck_assert_int_eq(cluster_store_set_offline(s.f.c, 4, &eb), TK_OK);
	for (int t = 0; t < 300 && cluster_store(s.f.c, 4)->admin != STORE_ADMIN_TOMBSTONE; t++)
		sim_second(&s);
	ck_assert_int_eq(cluster_store(s.f.c, 4)->admin, STORE_ADMIN_TOMBSTONE);
	ck_assert_uint_eq(replicas_on(&s, 4), 0);
	ck_assert(all_have(&s, 3));
	for (uint64_t st = 1; st <= 3; st++)
		ck_assert_uint_eq(replicas_on(&s, st), NREG);
	ck_assert(cluster_check_counts(s.f.c));
	sim_destroy(&s);
}
END_TEST

START_TEST(test_stale_heartbeat_gets_no_step)
{
	struct fxc f;
	fxc_init(&f);
	fxc_store(&f, 1);
	fxc_store(&f, 2);
	struct fxr r;
	fxr_init(&r, 1, "", "", 2, 2);
	fxr_peer(&r, 11, 1);
	fxr_leader(&r, 1);
	struct coord_hb_out out;
	struct tk_errbuf eb;
	ck_assert_int_eq(coord_region_heartbeat(f.c, f.oc, fxr_get(&r), f.now, &out, &eb), TK_OK);
	struct operator op;
	op_init(&op, fxr_get(&r), OP_KIND_ADMIN, f.now, 10000, NULL);
	op_add_step(&op, OP_STEP_ADD_PEER, 2, 12);
	ck_assert_int_eq(opctl_add(f.oc, &op, &eb), TK_OK);
	ck_assert_int_eq(coord_region_heartbeat(f.c, f.oc, fxr_get(&r), f.now, &out, &eb), TK_OK);
	ck_assert(out.send);
	r.r.epoch.version = 1;
	ck_assert_int_eq(coord_region_heartbeat(f.c, f.oc, fxr_get(&r), f.now, &out, &eb),
			 TK_E_STALE_COMMAND);
	ck_assert(!out.send);
	fxc_destroy(&f);
}
END_TEST

START_TEST(test_operator_of_a_merged_away_region_is_cancelled)
{
	struct fxc f;
	fxc_init(&f);
	fxc_store(&f, 1);
	fxc_store(&f, 2);
	struct fxr a, b;
	fxr_init(&a, 1, "", "m", 1, 1);
	fxr_peer(&a, 11, 1);
	fxr_leader(&a, 1);
	fxr_init(&b, 2, "m", "", 1, 1);
	fxr_peer(&b, 21, 1);
	fxr_leader(&b, 1);
	struct coord_hb_out out;
	struct tk_errbuf eb;
	ck_assert_int_eq(coord_region_heartbeat(f.c, f.oc, fxr_get(&a), f.now, &out, &eb), TK_OK);
	ck_assert_int_eq(coord_region_heartbeat(f.c, f.oc, fxr_get(&b), f.now, &out, &eb), TK_OK);
	struct operator op;
	op_init(&op, fxr_get(&b), OP_KIND_REPLICA, f.now, 60000, NULL);
	op_add_step(&op, OP_STEP_ADD_PEER, 2, 22);
	ck_assert_int_eq(opctl_add(f.oc, &op, &eb), TK_OK);
	/* Region 1 absorbs 2. */
	fxr_init(&a, 1, "", "", 1, 2);
	fxr_peer(&a, 11, 1);
	fxr_leader(&a, 1);
	ck_assert_int_eq(coord_region_heartbeat(f.c, f.oc, fxr_get(&a), f.now, &out, &eb), TK_OK);
	ck_assert_uint_eq(out.hb.n_removed, 1);
	ck_assert_ptr_null(opctl_get(f.oc, 2));
	fxc_destroy(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sched_sim");
	TCase *tc = tcase_create("sim");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_simulated_cluster_repairs_balances_replaces_and_drains);
	tcase_add_test(tc, test_stale_heartbeat_gets_no_step);
	tcase_add_test(tc, test_operator_of_a_merged_away_region_is_cancelled);
	suite_add_tcase(s, tc);
	return fx_run(s);
}
