/* Membership changes on the in-process cluster (fixture.h): TinyKV's
 * hand-written raftstore scenarios (transfer leader, basic conf change,
 * remove the leader), peers born from messages and destroyed, stale peers
 * told to go by a tombstone, and kills in the middle of a destruction. */
#include "test_ps_helpers.h" /* first: it sets _GNU_SOURCE */

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/raft_keys.h"
#include "raftstore/cmd.h"
#include "raftstore/fixture.h"

static uint64_t peer_on(const struct rs_region *r, uint64_t store_id)
{
	for (uint32_t i = 0; r && i < r->n_peers; i++)
		if (r->peers[i].store_id == store_id)
			return r->peers[i].id;
	return 0;
}

/* Tick until store id holds no peer of the region (bounded). */
static void await_gone(struct fx *c, int id)
{
	for (int i = 0; i < 300 && fx_peer(c, id); i++)
		fx_tick(c, 1);
	ck_assert_msg(!fx_peer(c, id), "store %d still has its peer", id);
}

/* A store that lost its peer keeps a tombstone and nothing else of it. */
static void expect_destroyed(struct fx *c, int id)
{
	ck_assert_ptr_null(fx_peer(c, id));
	ck_assert(rs_store_tombstone(c->s[id], FX_RID, NULL));
	ck_assert_uint_eq(fx_data_keys(c, id), 0);
	ck_assert_uint_eq(fx_raft_records(c, id), 0);
}

START_TEST(test_leadership_moves_to_every_store_in_turn)
{
	struct fx *c = fx_new(5, 31);
	fx_campaign(c, 1);
	for (int round = 0; round < 2; round++)
		for (int to = 1; to <= 5; to++) {
			int l = fx_await_leader(c);
			ck_assert_int_eq(rs_store_transfer_leader(c->s[l], FX_RID, (uint64_t)to),
			                 TK_OK);
			for (int i = 0; i < 50 && fx_leader(c) != to; i++)
				fx_tick(c, 1);
			ck_assert_int_eq(fx_leader(c), to);
			char k[16];
			snprintf(k, sizeof k, "t%d-%d", round, to);
			fx_put_ok(c, k, "v");
			ck_assert_int_eq(fx_leader(c), to);
		}
	/* a follower cannot transfer, nor may anyone to a stranger */
	int l = fx_leader(c), f = l % 5 + 1;
	ck_assert_int_eq(rs_store_transfer_leader(c->s[f], FX_RID, 1), TK_E_NOT_LEADER);
	ck_assert_int_eq(rs_store_transfer_leader(c->s[l], FX_RID, 77), TK_E_BAD_REQUEST);
	ck_assert_int_eq(rs_store_transfer_leader(c->s[l], 99, 1), TK_E_REGION_NOT_FOUND);
	fx_free(c);
}
END_TEST

/* TinyKV's TestBasicConfChange: shrink to one peer, grow back, remove a
 * store and re-add it with a new peer id; a removed store holds nothing of
 * the region. */
START_TEST(test_a_region_shrinks_to_one_peer_grows_back_and_removed_stores_hold_nothing)
{
	struct fx *c = fx_new(5, 32);
	fx_campaign(c, 1);
	fx_put_ok(c, "k0", "v0");
	for (int id = 2; id <= 5; id++) {
		fx_change_ok(c, 0, (uint64_t)id, (uint64_t)id);
		await_gone(c, id);
	}
	const struct rs_region *r = fx_region(c, 1);
	ck_assert_uint_eq(r->n_peers, 1);
	ck_assert_uint_eq(r->epoch.conf_ver, 1 + 4);
	for (int id = 2; id <= 5; id++)
		expect_destroyed(c, id);
	fx_put_ok(c, "k1", "v1"); /* one peer alone commits */
	fx_expect_val(c, 1, "k1", "v1");
	fx_expect_val(c, 2, "k1", NULL);

	/* grow back with new peer ids: each learns everything by snapshot */
	fx_change_ok(c, 1, 12, 2);
	fx_change_ok(c, 1, 13, 3);
	fx_converge(c);
	fx_expect_val(c, 2, "k0", "v0");
	fx_expect_val(c, 3, "k1", "v1");
	ck_assert_uint_eq(rs_peer_id(fx_peer(c, 2)), 12);
	fx_put_ok(c, "k2", "v2");

	/* remove store 2 again, write, and re-add it with yet another id */
	fx_change_ok(c, 0, 12, 2);
	await_gone(c, 2);
	expect_destroyed(c, 2);
	fx_put_ok(c, "k3", "v3");
	fx_expect_val(c, 2, "k3", NULL);
	fx_change_ok(c, 1, 22, 2);
	fx_change_ok(c, 1, 14, 4);
	fx_put_ok(c, "k4", "v4");
	fx_converge(c);
	for (int id = 1; id <= 4; id++) {
		fx_expect_val(c, id, "k0", "v0");
		fx_expect_val(c, id, "k3", "v3");
		fx_expect_val(c, id, "k4", "v4");
	}
	ck_assert(!rs_store_tombstone(c->s[2], FX_RID, NULL)); /* live again */
	expect_destroyed(c, 5);
	r = fx_region(c, fx_leader(c));
	ck_assert_uint_eq(r->n_peers, 4);
	ck_assert_uint_eq(peer_on(r, 2), 22);
	/* every store agrees on the region */
	for (int id = 1; id <= 4; id++) {
		ck_assert_uint_eq(fx_region(c, id)->epoch.conf_ver, r->epoch.conf_ver);
		ck_assert_uint_eq(fx_region(c, id)->n_peers, 4);
	}
	fx_free(c);
}
END_TEST

START_TEST(test_impossible_or_concurrent_changes_are_refused_with_a_clear_error)
{
	struct fx *c = fx_new_peers(4, 3, 33, NULL);
	fx_campaign(c, 1);
	struct fx_result r, r2;
	fx_change_peer(c, 1, 1, 9, 2, &r); /* store 2 already has a peer */
	ck_assert_int_eq(r.rc, TK_E_BAD_REQUEST);
	fx_change_peer(c, 1, 1, 3, 4, &r); /* peer id 3 exists */
	ck_assert_int_eq(r.rc, TK_E_BAD_REQUEST);
	fx_change_peer(c, 1, 0, 9, 4, &r); /* no such peer */
	ck_assert_int_eq(r.rc, TK_E_BAD_REQUEST);
	fx_change_peer(c, 2, 1, 4, 4, &r); /* a follower */
	ck_assert_int_eq(r.rc, TK_E_NOT_LEADER);
	ck_assert_int_eq(r.fired, 1);
	/* one change at a time */
	fx_change_peer(c, 1, 1, 4, 4, &r);
	fx_change_peer(c, 1, 0, 3, 3, &r2);
	ck_assert_int_eq(r2.rc, TK_E_SERVER_IS_BUSY);
	ck_assert_int_eq(r2.fired, 1);
	fx_settle(c);
	ck_assert_int_eq(r.rc, TK_OK);
	ck_assert_int_eq(r.fired, 1);
	fx_change_peer(c, 1, 0, 3, 3, &r2); /* now it may */
	fx_settle(c);
	ck_assert_int_eq(r2.rc, TK_OK);
	ck_assert_uint_eq(fx_region(c, 1)->epoch.conf_ver, 3);
	fx_free(c);
}
END_TEST

/* A conf change entry whose epoch is not the region's (proposed before
 * another change applied) changes nothing on any replica. */
START_TEST(test_a_conf_change_of_a_stale_epoch_changes_nothing)
{
	struct fx *c = fx_new_peers(4, 3, 34, NULL);
	fx_campaign(c, 1);
	struct rs_admin a = {.type = RS_ADMIN_CHANGE_PEER,
	                     .change = RS_CHANGE_ADD_VOTER,
	                     .peer_id = 4,
	                     .store_id = 4,
	                     .epoch = {.conf_ver = 0, .version = 1}};
	struct tk_buf ctx;
	tk_buf_init(&ctx);
	ck_assert(rs_admin_encode(&a, &ctx));
	struct raft_conf_change cc = {RAFT_CC_ADD_VOTER, 4, ctx.data, ctx.len};
	ck_assert_int_eq(raft_propose_conf_change(fx_raft(c, 1), &cc), TK_OK);
	fx_settle(c);
	fx_tick(c, 3);
	for (int id = 1; id <= 3; id++) {
		ck_assert_uint_eq(fx_region(c, id)->n_peers, 3);
		ck_assert_uint_eq(fx_region(c, id)->epoch.conf_ver, 1);
		struct raft_conf_state cs;
		raft_conf_state(fx_raft(c, id), &cs);
		ck_assert_uint_eq(cs.n_voters, 3);
	}
	ck_assert_ptr_null(fx_peer(c, 4));
	/* the right epoch goes through */
	a.epoch.conf_ver = 1;
	ck_assert(rs_admin_encode(&a, &ctx));
	cc.context = ctx.data;
	ck_assert_int_eq(raft_propose_conf_change(fx_raft(c, 1), &cc), TK_OK);
	for (int i = 0; i < 200 && !fx_region(c, 4); i++)
		fx_tick(c, 1);
	fx_converge(c);
	ck_assert_ptr_nonnull(fx_region(c, 4));
	ck_assert_uint_eq(fx_region(c, 4)->n_peers, 4);
	tk_buf_destroy(&ctx);
	fx_free(c);
}
END_TEST

/* Removing the leader: it hands leadership over first (NOT_LEADER), the new
 * leader removes it.  In a two-peer region too, where a leader applying its
 * own removal could leave the other peer needing a vote nobody gives. */
static void remove_leader(int stores, uint64_t seed)
{
	struct fx *c = fx_new(stores, seed);
	fx_campaign(c, 1);
	fx_put_ok(c, "a", "1");
	struct fx_result r;
	fx_change_peer(c, 1, 0, 1, 1, &r);
	ck_assert_int_eq(r.rc, TK_E_NOT_LEADER);
	fx_change_ok(c, 0, 1, 1);
	await_gone(c, 1);
	expect_destroyed(c, 1);
	int l = fx_await_leader(c);
	ck_assert_int_ne(l, 1);
	ck_assert_uint_eq(fx_region(c, l)->n_peers, (uint32_t)stores - 1);
	fx_put_ok(c, "b", "2");
	fx_converge(c);
	for (int id = 2; id <= stores; id++) {
		fx_expect_val(c, id, "a", "1");
		fx_expect_val(c, id, "b", "2");
	}
	fx_free(c);
}

START_TEST(test_the_leader_is_removed_after_handing_over_leadership)
{
	remove_leader(3, 35);
}
END_TEST

START_TEST(test_the_leader_of_a_two_peer_region_is_removed_and_the_other_serves_alone)
{
	remove_leader(2, 36);
}
END_TEST

static struct rs_store_stats stats(struct fx *c, int id)
{
	struct rs_store_stats st;
	rs_store_get_stats(c->s[id], &st);
	return st;
}

/* TinyKV's checkMsg case b: a peer removed while cut off never learns it;
 * after the heal its campaign is answered with a tombstone and it
 * destroys itself, data included. */
START_TEST(test_a_peer_removed_while_partitioned_away_is_destroyed_by_a_tombstone_answer)
{
	struct fx *c = fx_new(3, 41);
	fx_campaign(c, 1);
	fx_put_ok(c, "a", "1");
	fx_converge(c);
	int g[4] = {0, 1, 1, 2};
	fx_partition(c, g);
	fx_change_ok(c, 0, 3, 3);
	fx_put_ok(c, "b", "2");
	fx_tick(c, 30);
	ck_assert_ptr_nonnull(fx_peer(c, 3)); /* stale, campaigning into the void */
	fx_expect_val(c, 3, "a", "1");
	fx_partition(c, NULL);
	await_gone(c, 3);
	expect_destroyed(c, 3);
	ck_assert_uint_ge(stats(c, 1).tombstones_sent + stats(c, 2).tombstones_sent, 1);
	/* the stale peer disturbed nobody: the leader kept its term */
	fx_put_ok(c, "c", "3");
	ck_assert_int_eq(fx_leader(c), 1);
	fx_expect_val(c, 3, "c", NULL);
	fx_free(c);
}
END_TEST

/* The envelope a store sent to store `to` with the tombstone flag, if any
 * is queued. */
static bool tombstone_queued(struct fx *c, uint64_t to)
{
	for (size_t i = 0; i < c->qn; i++)
		if (c->q[i].to == to && c->q[i].env.tombstone)
			return true;
	return false;
}

static struct rs_envelope vote_env(uint64_t from_store, uint64_t to_peer, uint64_t conf_ver)
{
	struct rs_envelope env;
	memset(&env, 0, sizeof env);
	env.region_id = FX_RID;
	env.from_store = from_store;
	env.epoch = (struct region_epoch){.conf_ver = conf_ver, .version = 1};
	env.msg.type = RAFT_MSG_PREVOTE;
	env.msg.from = from_store;
	env.msg.to = to_peer;
	env.msg.term = 50;
	return env;
}

/* A tombstone answers votes of an older epoch, drops those of its own, and
 * lets a newer epoch create a peer again. */
START_TEST(test_a_tombstone_answers_older_epochs_and_only_a_newer_one_recreates_the_peer)
{
	struct fx *c = fx_new_peers(4, 3, 42, NULL);
	fx_campaign(c, 1);
	fx_change_ok(c, 0, 3, 3);
	await_gone(c, 3);
	struct region_epoch te;
	ck_assert(rs_store_tombstone(c->s[3], FX_RID, &te));
	ck_assert_uint_eq(te.conf_ver, 2);
	/* from a store of the region as the tombstone knows it: it only lags */
	struct rs_envelope env = vote_env(2, 3, 1);
	ck_assert_int_eq(rs_store_step(c->s[3], &env), TK_OK);
	c->sending_store = 3;
	struct tk_errbuf eb;
	ck_assert_int_eq(rs_store_ready_pass(c->s[3], NULL, &eb), TK_OK);
	ck_assert(!tombstone_queued(c, 2));
	/* from a store the region no longer has: it was removed, it goes */
	env = vote_env(4, 3, 1);
	ck_assert_int_eq(rs_store_step(c->s[3], &env), TK_OK);
	ck_assert_int_eq(rs_store_ready_pass(c->s[3], NULL, &eb), TK_OK);
	ck_assert(tombstone_queued(c, 4));
	fx_settle(c); /* store 4 holds nothing of the region: nothing happens */
	ck_assert_ptr_null(fx_peer(c, 4));
	env = vote_env(2, 3, 2); /* same epoch: dropped, nothing created */
	ck_assert_int_eq(rs_store_step(c->s[3], &env), TK_OK);
	ck_assert_ptr_null(fx_peer(c, 3));
	/* the tombstone survives a restart */
	fx_kill(c, 3);
	fx_start(c, 3);
	ck_assert(rs_store_tombstone(c->s[3], FX_RID, NULL));
	ck_assert_ptr_null(fx_peer(c, 3));
	/* re-added with a new id: messages of the newer epoch create it */
	fx_change_ok(c, 1, 7, 3);
	fx_put_ok(c, "k", "v");
	fx_converge(c);
	ck_assert_uint_eq(rs_peer_id(fx_peer(c, 3)), 7);
	fx_expect_val(c, 3, "k", "v");
	ck_assert(!rs_store_tombstone(c->s[3], FX_RID, NULL));
	ck_assert_uint_eq(fx_region(c, 3)->epoch.conf_ver, 3);
	fx_free(c);
}
END_TEST

/* A conf change racing a leader change: the proposer is cut off after 0, 1
 * or 2 rounds of sending; its callback fires once, and says OK exactly when
 * the change is in the region everyone ends with. */
START_TEST(test_a_conf_change_racing_a_leader_change_fails_or_applies_exactly_once)
{
	int applied = 0, failed = 0;
	for (uint64_t seed = 0; seed < 12; seed++) {
		struct fx *c = fx_new_peers(4, 3, 60 + seed, NULL);
		fx_campaign(c, 1);
		fx_put_ok(c, "a", "1");
		fx_converge(c);
		struct fx_result r;
		int add = seed % 2 == 0;
		if (add)
			fx_change_peer(c, 1, 1, 4, 4, &r);
		else
			fx_change_peer(c, 1, 0, 3, 3, &r);
		ck_assert_int_eq(r.rc, INT_MIN);
		for (uint64_t i = 0; i < seed / 2 % 3; i++)
			fx_round(c);
		int g[5] = {0, 1, 2, 2, 2};
		fx_partition(c, g);
		/* the others elect a leader (which, removing 3, may need 1 to
		 * commit anything after the removal, or be 3 and step down) */
		fx_tick(c, 40);
		ck_assert_int_ne(raft_current_term(fx_raft(c, 2)),
		                 raft_current_term(fx_raft(c, 1)));
		fx_partition(c, NULL);
		fx_put_ok(c, "b", "2");
		fx_tick(c, 20);
		fx_converge(c);
		ck_assert_int_eq(r.fired, 1);
		int l = fx_leader(c);
		const struct rs_region *rg = fx_region(c, l);
		bool in = add ? peer_on(rg, 4) != 0 : peer_on(rg, 3) == 0;
		ck_assert_msg((r.rc == TK_OK) == in, "seed %llu: rc %s, change %s",
		              (unsigned long long)seed, tk_err_name((enum tk_err)r.rc),
		              in ? "applied" : "not applied");
		ck_assert_uint_eq(rg->epoch.conf_ver, 1 + (in ? 1 : 0));
		applied += in;
		failed += !in;
		fx_free(c);
	}
	ck_assert_int_gt(applied, 0);
	ck_assert_int_gt(failed, 0);
}
END_TEST

/* Kill the removed store at each of its writes in turn while it applies
 * its removal and destroys its peer (the entry, the apply, the tombstone,
 * the data, the raft records): every restart ends with the peer destroyed,
 * nothing of the region left, and no peer re-created. */
START_TEST(test_a_store_killed_in_the_middle_of_destroying_a_peer_finishes_at_restart)
{
	int partial = 0;
	char k[16], v[64];
	for (uint64_t n = 0; n < 10; n++) {
		struct fx *c = fx_new(3, 70 + n);
		fx_campaign(c, 1);
		for (int i = 0; i < 30; i++) {
			snprintf(k, sizeof k, "k%03d", i);
			snprintf(v, sizeof v, "value-%03d-0123456789", i);
			fx_put_ok(c, k, v);
		}
		fx_converge(c);
		eng_inject_write_failure(c->e[3], n, TK_E_IO);
		fx_change_ok(c, 0, 3, 3);
		for (int i = 0; i < 300 && c->s[3] && fx_peer(c, 3); i++)
			fx_tick(c, 1);
		if (!c->s[3]) { /* a failed pass killed it */
			size_t recs;
			uint8_t st = fx_stored_state(c->dir[3], &recs);
			partial += st == RS_PEER_TOMBSTONE && recs > 0;
			fx_start(c, 3);
			await_gone(c, 3);
		} else {
			eng_inject_write_failure(c->e[3], 0, TK_OK);
		}
		expect_destroyed(c, 3);
		fx_put_ok(c, "after", "1");
		fx_tick(c, 30);
		expect_destroyed(c, 3);
		fx_expect_val(c, 2, "after", "1");
		fx_free(c);
	}
	ck_assert_int_ge(partial, 1);
}
END_TEST

/* The generic test's "conf changes with restarts" row: clients write their
 * own keys while every round a random store's peer is removed (when the
 * region keeps at least two others) or a new peer is added on it, and
 * stores restart (one, or all at once every third round).  At the end each
 * client's keys read back in order on every member and no other store
 * holds any of them. */
static void generic_confchange(int clients, uint64_t seed)
{
	enum { ROUNDS = 12, PER_ROUND = 4 };
	struct rs_peer_options o;
	rs_peer_options_default(&o);
	o.log_gc_threshold = 10;
	o.log_gc_count_limit = 30;
	struct fx *c = fx_new_peers(5, 3, seed, &o);
	fx_campaign(c, 1);
	int seq[5] = {0};
	uint64_t rng = seed * 7919 + 13, next_id = 100;
	int changes = 0;
	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < PER_ROUND; i++)
			for (int cl = 0; cl < clients; cl++)
				fx_client_put(c, cl, seq[cl]++);
		rng = rng * 6364136223846793005u + 1442695040888963407u;
		int x = (int)(rng >> 33) % 5 + 1;
		const struct rs_region *r = fx_region(c, fx_await_leader(c));
		uint64_t have = peer_on(r, (uint64_t)x);
		if (have && r->n_peers > 2) {
			fx_change_ok(c, 0, have, (uint64_t)x);
			changes++;
		} else if (!have) {
			fx_change_ok(c, 1, next_id++, (uint64_t)x);
			changes++;
		}
		if (round % 3 == 2) {
			for (int id = 1; id <= 5; id++)
				fx_kill(c, id);
			for (int id = 1; id <= 5; id++)
				fx_start(c, id);
		} else {
			int y = (int)(rng >> 40) % 5 + 1;
			fx_kill(c, y);
			fx_start(c, y);
		}
	}
	fx_await_leader(c);
	fx_converge(c);
	const struct rs_region *r = fx_region(c, fx_leader(c));
	for (int cl = 0; cl < clients; cl++)
		for (int id = 1; id <= 5; id++)
			if (peer_on(r, (uint64_t)id))
				fx_expect_client_keys(c, id, cl, seq[cl]);
	for (int id = 1; id <= 5; id++) /* (a store that never held it keeps no tombstone) */
		if (!peer_on(r, (uint64_t)id)) {
			ck_assert_ptr_null(fx_peer(c, id));
			ck_assert_uint_eq(fx_data_keys(c, id), 0);
			ck_assert_uint_eq(fx_raft_records(c, id), 0);
		}
	ck_assert_uint_eq(r->epoch.conf_ver, 1 + (uint64_t)changes);
	ck_assert_int_ge(changes, ROUNDS / 3);
	fx_free(c);
}

START_TEST(test_one_clients_keys_survive_conf_changes_with_restarts_in_order)
{
	for (uint64_t seed = 81; seed < 85; seed++)
		generic_confchange(1, seed);
}
END_TEST

START_TEST(test_five_clients_keys_survive_conf_changes_with_restarts_in_order)
{
	for (uint64_t seed = 91; seed < 94; seed++)
		generic_confchange(5, seed);
}
END_TEST

/* TiKV's rule for a newer peer id: store 3's peer is removed and a new one
 * added on store 3 while it is cut off; after the heal the leader's
 * messages to the new peer (a newer epoch) make the old one go, and the
 * next one creates the new peer over the tombstone, which catches up. */
START_TEST(test_a_message_for_a_newer_peer_on_the_store_replaces_the_stale_one)
{
	struct fx *c = fx_new(3, 43);
	fx_campaign(c, 1);
	fx_put_ok(c, "a", "1");
	fx_converge(c);
	int g[4] = {0, 1, 1, 2};
	fx_partition(c, g);
	fx_change_ok(c, 0, 3, 3);
	fx_change_ok(c, 1, 7, 3);
	fx_put_ok(c, "b", "2");
	ck_assert_uint_eq(rs_peer_id(fx_peer(c, 3)), 3);
	fx_partition(c, NULL);
	for (int i = 0; i < 300 && !(fx_peer(c, 3) && rs_peer_id(fx_peer(c, 3)) == 7); i++)
		fx_tick(c, 1);
	fx_converge(c);
	ck_assert_uint_eq(rs_peer_id(fx_peer(c, 3)), 7);
	ck_assert_uint_eq(fx_region(c, 3)->epoch.conf_ver, 3);
	fx_expect_val(c, 3, "a", "1");
	fx_expect_val(c, 3, "b", "2");
	ck_assert(!rs_store_tombstone(c->s[3], FX_RID, NULL));
	struct rs_store_stats st;
	rs_store_get_stats(c->s[3], &st);
	ck_assert_uint_eq(st.peers_destroyed, 1);
	ck_assert_uint_eq(st.peers_created, 1);
	/* and it survives a restart as the new peer */
	fx_kill(c, 3);
	fx_start(c, 3);
	ck_assert_uint_eq(rs_peer_id(fx_peer(c, 3)), 7);
	fx_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raftstore_confchange");
	TCase *tc = tcase_create("confchange");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_leadership_moves_to_every_store_in_turn);
	tcase_add_test(
	    tc, test_a_region_shrinks_to_one_peer_grows_back_and_removed_stores_hold_nothing);
	tcase_add_test(tc, test_impossible_or_concurrent_changes_are_refused_with_a_clear_error);
	tcase_add_test(tc, test_a_conf_change_of_a_stale_epoch_changes_nothing);
	tcase_add_test(tc, test_the_leader_is_removed_after_handing_over_leadership);
	tcase_add_test(tc,
	               test_the_leader_of_a_two_peer_region_is_removed_and_the_other_serves_alone);
	tcase_add_test(
	    tc, test_a_peer_removed_while_partitioned_away_is_destroyed_by_a_tombstone_answer);
	tcase_add_test(
	    tc, test_a_tombstone_answers_older_epochs_and_only_a_newer_one_recreates_the_peer);
	tcase_add_test(tc, test_a_conf_change_racing_a_leader_change_fails_or_applies_exactly_once);
	tcase_add_test(tc,
	               test_a_store_killed_in_the_middle_of_destroying_a_peer_finishes_at_restart);
	tcase_add_test(tc, test_a_message_for_a_newer_peer_on_the_store_replaces_the_stale_one);
	tcase_add_test(tc, test_one_clients_keys_survive_conf_changes_with_restarts_in_order);
	tcase_add_test(tc, test_five_clients_keys_survive_conf_changes_with_restarts_in_order);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
