/* Replicated stores end to end: N stores in one process (fixture.h), each on
 * its own LevelDB, proposing raw KV commands through rs_store and checking
 * what the callbacks say against what every store holds. */
#include "test_ps_helpers.h" /* first: it sets _GNU_SOURCE */

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/raft_keys.h"
#include "raftstore/cmd.h"
#include "raftstore/fixture.h"

static int elect(struct fx *c, int id)
{
	fx_campaign(c, id);
	ck_assert_int_eq(fx_leader(c), id);
	return id;
}

static void put(struct fx *c, int id, const char *k, const char *v)
{
	struct fx_result r;
	fx_propose(c, id, RS_CMD_PUT, k, v, &r);
	fx_settle(c);
	ck_assert_int_eq(r.fired, 1);
	ck_assert_msg(r.rc == TK_OK, "put %s: %s", k, tk_err_name((enum tk_err)r.rc));
}

/* Tick until every live store applied what the leader applied. */
static void converge(struct fx *c)
{
	for (int i = 0; i < 300; i++) {
		int l = fx_leader(c);
		bool same = l != 0;
		for (int id = 1; same && id <= c->n; id++)
			if (c->s[id] && fx_applied(c, id) != fx_applied(c, l))
				same = false;
		if (same)
			return;
		fx_tick(c, 1);
	}
	ck_abort_msg("stores did not converge");
}

START_TEST(test_a_3_store_region_replicates_writes_and_all_stores_converge)
{
	struct fx *c = fx_new(3, 1);
	int l = elect(c, 1);
	struct fx_result r[40];
	char k[16], v[16];
	for (int i = 0; i < 40; i++) {
		snprintf(k, sizeof k, "k%02d", i);
		snprintf(v, sizeof v, "v%02d", i);
		fx_propose(c, l, i % 5 == 4 ? RS_CMD_DELETE : RS_CMD_PUT, k, i % 5 == 4 ? NULL : v,
		           &r[i]);
		if (i % 8 == 0)
			fx_settle(c); /* some passes carry several proposals */
	}
	fx_settle(c);
	for (int i = 0; i < 40; i++) {
		ck_assert_int_eq(r[i].fired, 1);
		ck_assert_int_eq(r[i].rc, TK_OK);
	}
	converge(c);
	for (int id = 1; id <= 3; id++)
		for (int i = 0; i < 40; i++) {
			snprintf(k, sizeof k, "k%02d", i);
			snprintf(v, sizeof v, "v%02d", i);
			fx_expect_val(c, id, k, i % 5 == 4 ? NULL : v);
		}
	/* A follower refuses at once, through the callback. */
	struct fx_result f;
	fx_propose(c, 2, RS_CMD_PUT, "x", "y", &f);
	ck_assert_int_eq(f.fired, 1);
	ck_assert_int_eq(f.rc, TK_E_NOT_LEADER);
	/* Group commit: one log write per ready pass, never more. */
	struct rs_store_stats st;
	rs_store_get_stats(c->s[l], &st);
	ck_assert_uint_le(st.log_writes, st.passes);
	ck_assert_uint_gt(st.syncs, 0);
	fx_free(c);
}
END_TEST

START_TEST(test_an_acknowledged_write_survives_killing_any_one_store_including_the_leader)
{
	struct fx *c = fx_new(3, 2);
	elect(c, 1);
	char k[16];
	for (int victim = 1; victim <= 3; victim++) {
		int l = fx_await_leader(c);
		snprintf(k, sizeof k, "ack%d", victim);
		put(c, l, k, "durable");
		int kill = victim == 1 ? l : (l % 3) + 1; /* first round kills the leader */
		fx_kill(c, kill);
		fx_await_leader(c);
		fx_start(c, kill);
		fx_expect_val(c, kill, k, "durable"); /* on its disk before any catch-up */
		converge(c);
		for (int id = 1; id <= 3; id++)
			for (int j = 1; j <= victim; j++) {
				snprintf(k, sizeof k, "ack%d", j);
				fx_expect_val(c, id, k, "durable");
			}
	}
	fx_free(c);
}
END_TEST

START_TEST(test_the_minority_side_of_a_partition_never_acknowledges_and_converges_after_healing)
{
	struct fx *c = fx_new(3, 3);
	elect(c, 1);
	put(c, 1, "before", "1");
	int g[4] = {0, 1, 2, 2}; /* the leader alone */
	fx_partition(c, g);
	struct fx_result m[5];
	char k[16];
	for (int i = 0; i < 5; i++) {
		snprintf(k, sizeof k, "minority%d", i);
		fx_propose(c, 1, RS_CMD_PUT, k, "lost", &m[i]);
	}
	fx_settle(c);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(m[i].fired, 0);
	/* The majority elects and writes; the minority still acknowledges nothing. */
	int l = 0;
	for (int i = 0; i < 300 && !(l == 2 || l == 3); i++) {
		fx_tick(c, 1);
		l = raft_role(fx_raft(c, 2)) == RAFT_LEADER   ? 2
		    : raft_role(fx_raft(c, 3)) == RAFT_LEADER ? 3
		                                              : 0;
	}
	ck_assert_int_ne(l, 0);
	put(c, l, "majority", "won");
	for (int i = 0; i < 5; i++)
		ck_assert_int_ne(m[i].rc, TK_OK);
	fx_partition(c, NULL);
	converge(c);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(m[i].fired, 1);
		ck_assert_int_eq(m[i].rc, TK_E_STALE_COMMAND);
	}
	for (int id = 1; id <= 3; id++) {
		fx_expect_val(c, id, "before", "1");
		fx_expect_val(c, id, "majority", "won");
		for (int i = 0; i < 5; i++) {
			snprintf(k, sizeof k, "minority%d", i);
			fx_expect_val(c, id, k, NULL);
		}
	}
	fx_free(c);
}
END_TEST

START_TEST(test_a_proposal_on_a_deposed_leader_whose_entry_is_overwritten_gets_an_error)
{
	struct fx *c = fx_new(3, 4);
	elect(c, 1);
	put(c, 1, "a", "1");
	int g[4] = {0, 1, 2, 2};
	fx_partition(c, g);
	struct fx_result old;
	fx_propose(c, 1, RS_CMD_PUT, "b", "old", &old);
	fx_settle(c);
	raft_index at = raft_last_index(fx_raft(c, 1));
	/* The majority elects a new leader, whose entries take the index of
	 * store 1's entry. */
	int l = 0;
	for (int i = 0; i < 300 && !l; i++) {
		fx_tick(c, 1);
		l = raft_role(fx_raft(c, 2)) == RAFT_LEADER   ? 2
		    : raft_role(fx_raft(c, 3)) == RAFT_LEADER ? 3
		                                              : 0;
	}
	ck_assert_int_ne(l, 0);
	put(c, l, "b", "new");
	ck_assert_uint_ge(raft_last_index(fx_raft(c, l)), at);
	ck_assert_int_eq(old.fired, 0); /* deposed, but its entry's fate is unknown yet */
	fx_partition(c, NULL);
	converge(c);
	ck_assert_int_eq(old.fired, 1);
	ck_assert_int_eq(old.rc, TK_E_STALE_COMMAND);
	for (int id = 1; id <= 3; id++)
		fx_expect_val(c, id, "b", "new");
	fx_free(c);
}
END_TEST

START_TEST(test_a_restart_resumes_apply_exactly_where_it_stopped)
{
	struct fx *c = fx_new(3, 5);
	elect(c, 1);
	int acked = 0;
	for (int i = 0; i < 10; i++) {
		struct fx_result r;
		fx_propose(c, 1, RS_CMD_INCR, "ctr", NULL, &r);
		fx_settle(c);
		ck_assert_int_eq(r.rc, TK_OK);
		acked++;
	}
	converge(c);
	/* Store 3's next two writes succeed (the new entries, then the hard
	 * state with their commit) and the apply write after them fails: the
	 * entries are committed and stored but not applied when it dies (the
	 * raft state check below proves that is what happened). */
	eng_inject_write_failure(c->e[3], 2, TK_E_IO);
	struct fx_result r[5];
	for (int i = 0; i < 5; i++)
		fx_propose(c, 1, RS_CMD_INCR, "ctr", NULL, &r[i]);
	fx_settle(c);
	ck_assert_ptr_null(c->s[3]); /* the failed pass killed it */
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(r[i].rc, TK_OK);
	acked += 5;
	fx_start(c, 3);
	ck_assert_uint_lt(fx_applied(c, 3), fx_applied(c, 1));
	struct rs_raft_state rs3;
	rs_ps_raft_state(rs_peer_storage(rs_store_peer(c->s[3], FX_RID)), &rs3);
	ck_assert_uint_gt(rs3.hs.commit, fx_applied(c, 3)); /* committed, not applied */
	ck_assert_uint_eq(fx_counter(c, 3, "ctr"), 10);
	converge(c);
	for (int id = 1; id <= 3; id++)
		ck_assert_uint_eq(fx_counter(c, id, "ctr"), (uint64_t)acked);
	/* Restart every store: nothing is applied again. */
	for (int id = 1; id <= 3; id++) {
		raft_index a = fx_applied(c, id);
		fx_kill(c, id);
		fx_start(c, id);
		ck_assert_uint_eq(fx_applied(c, id), a);
	}
	fx_await_leader(c);
	converge(c);
	for (int id = 1; id <= 3; id++)
		ck_assert_uint_eq(fx_counter(c, id, "ctr"), (uint64_t)acked);
	fx_free(c);
}
END_TEST

START_TEST(test_writes_converge_when_the_network_drops_a_fraction_of_messages)
{
	struct fx *c = fx_new(3, 6);
	elect(c, 1);
	c->drop_pct = 20;
	struct fx_result r[20];
	for (int i = 0; i < 20; i++) {
		int l = fx_await_leader(c);
		fx_propose(c, l, RS_CMD_INCR, "ctr", NULL, &r[i]);
		fx_tick(c, 3);
	}
	c->drop_pct = 0;
	fx_tick(c, 30);
	converge(c);
	uint64_t ok = 0;
	for (int i = 0; i < 20; i++) {
		ck_assert_int_le(r[i].fired, 1);
		ok += r[i].rc == TK_OK;
	}
	/* Never a false success: each success is in the counter (an error may
	 * still have committed, so the counter may exceed the successes). */
	for (int id = 1; id <= 3; id++)
		ck_assert_uint_ge(fx_counter(c, id, "ctr"), ok);
	ck_assert_uint_eq(fx_counter(c, 2, "ctr"), fx_counter(c, 1, "ctr"));
	ck_assert_uint_eq(fx_counter(c, 3, "ctr"), fx_counter(c, 1, "ctr"));
	fx_free(c);
}
END_TEST

static struct rs_peer_options gc_opts(uint64_t threshold, uint64_t count_limit)
{
	struct rs_peer_options o;
	rs_peer_options_default(&o);
	o.log_gc_threshold = threshold;
	o.log_gc_count_limit = count_limit;
	return o;
}

static struct rs_ps_stats ps_stats(struct fx *c, int id)
{
	struct rs_ps_stats st;
	rs_ps_get_stats(rs_peer_storage(rs_store_peer(c->s[id], FX_RID)), &st);
	return st;
}

static raft_index first_index(struct fx *c, int id)
{
	return rs_ps_first_index(rs_peer_storage(rs_store_peer(c->s[id], FX_RID)));
}

START_TEST(test_a_single_replica_log_stays_bounded_under_a_long_write_load)
{
	struct rs_peer_options o = gc_opts(100, 100);
	struct fx *c = fx_new_opts(1, 11, &o);
	elect(c, 1);
	size_t max_keys = 0;
	struct fx_result r[100];
	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 100; i++)
			fx_propose(c, 1, RS_CMD_INCR, "ctr", NULL, &r[i]);
		fx_settle(c);
		for (int i = 0; i < 100; i++)
			ck_assert_int_eq(r[i].rc, TK_OK);
		size_t n = fx_log_keys(c, 1);
		if (n > max_keys)
			max_keys = n;
	}
	ck_assert_uint_eq(fx_counter(c, 1, "ctr"), 20000);
	/* A compaction waits for the entries it drops to be applied and for
	 * its own entry to commit: at most a threshold plus a round of 100
	 * proposals (and the leader's entries) are in the log at any time. */
	ck_assert_uint_le(max_keys, 300);
	ck_assert_uint_gt(first_index(c, 1), 19800);
	struct rs_store_stats st;
	rs_store_get_stats(c->s[1], &st);
	ck_assert_uint_ge(st.gc_proposals, 100);
	ck_assert_uint_ge(st.gc_deletes, 19800);
	/* The compacted log loads again. */
	fx_kill(c, 1);
	fx_start(c, 1);
	ck_assert_uint_eq(fx_counter(c, 1, "ctr"), 20000);
	ck_assert_uint_gt(first_index(c, 1), 19800);
	fx_free(c);
}
END_TEST

START_TEST(test_log_gc_keeps_the_entries_a_live_but_slow_follower_still_needs)
{
	struct rs_peer_options o = gc_opts(20, 1000);
	struct fx *c = fx_new_opts(3, 12, &o);
	elect(c, 1);
	put(c, 1, "a", "1");
	converge(c);
	raft_index m3 = fx_applied(c, 3);
	/* Store 3 is cut off but still counts as active (no election timeout
	 * passes without ticks): the leader keeps its entries. */
	int g[4] = {0, 1, 1, 2};
	fx_partition(c, g);
	char k[16];
	for (int i = 0; i < 60; i++) {
		snprintf(k, sizeof k, "k%02d", i);
		put(c, 1, k, "v");
	}
	ck_assert_uint_le(first_index(c, 1), m3 + 1);
	ck_assert_uint_le(first_index(c, 2), m3 + 1);
	/* Healed, it catches up from the log, and then the log is compacted
	 * on every store. */
	fx_partition(c, NULL);
	fx_tick(c, 5);
	converge(c);
	put(c, 1, "b", "2");
	converge(c);
	for (int id = 1; id <= 3; id++) {
		ck_assert_uint_gt(first_index(c, id), m3 + 40);
		ck_assert_uint_lt(fx_log_keys(c, id), 40);
		fx_expect_val(c, id, "k59", "v");
		fx_expect_val(c, id, "b", "2");
	}
	fx_free(c);
}
END_TEST

/* Kill the store at each write in turn while a compaction is proposed,
 * applied and its entries deleted: every restart loads, nothing
 * acknowledged is lost, nothing is applied twice. */
START_TEST(test_a_restart_between_applying_a_compaction_and_deleting_its_entries_is_consistent)
{
	bool saw_pending = false;
	for (uint64_t n = 0; n < 10; n++) {
		struct rs_peer_options o = gc_opts(10, 10);
		struct fx *c = fx_new_opts(1, 13, &o);
		elect(c, 1);
		uint64_t acked = 0, proposed = 0;
		struct fx_result r;
		/* One short of the threshold (the leader's no-op counts). */
		while (fx_applied(c, 1) - first_index(c, 1) + 1 < 9) {
			fx_propose(c, 1, RS_CMD_INCR, "ctr", NULL, &r);
			fx_settle(c);
			proposed++;
			acked += r.rc == TK_OK;
		}
		eng_inject_write_failure(c->e[1], n, TK_E_IO);
		for (int i = 0; i < 3 && c->s[1]; i++) {
			fx_propose(c, 1, RS_CMD_INCR, "ctr", NULL, &r);
			fx_settle(c);
			proposed++;
			acked += r.rc == TK_OK;
		}
		if (c->s[1])
			fx_kill(c, 1);
		fx_start(c, 1);
		saw_pending = saw_pending || ps_stats(c, 1).gc_pending > 0;
		uint64_t v = fx_counter(c, 1, "ctr");
		ck_assert_uint_ge(v, acked);
		ck_assert_uint_le(v, proposed);
		/* It goes on: pending deletes are done, the log stays short. */
		elect(c, 1);
		for (int i = 0; i < 30; i++)
			put(c, 1, "x", "y");
		ck_assert_uint_eq(ps_stats(c, 1).gc_pending, 0);
		ck_assert_uint_lt(fx_log_keys(c, 1), 25);
		ck_assert_uint_ge(fx_counter(c, 1, "ctr"), v);
		fx_free(c);
	}
	ck_assert(saw_pending);
}
END_TEST

static struct rs_store_stats store_stats(struct fx *c, int id)
{
	struct rs_store_stats st;
	rs_store_get_stats(c->s[id], &st);
	return st;
}

/* Tick until store id applied what store l applied (bounded). */
static void catch_up(struct fx *c, int id)
{
	for (int i = 0; i < 500; i++) {
		int l = fx_leader(c);
		if (l && c->s[id] && fx_applied(c, id) == fx_applied(c, l))
			return;
		fx_tick(c, 1);
	}
	ck_abort_msg("store %d did not catch up", id);
}

/* TinyKV's "one snapshot": an isolated store falls behind past the leader's
 * log compaction and catches up by snapshot; a key deleted meanwhile is
 * gone on it too. */
START_TEST(test_an_isolated_store_catches_up_by_snapshot_and_deleted_keys_are_gone_on_it)
{
	struct rs_peer_options o = gc_opts(10, 20);
	struct fx *c = fx_new_opts(3, 21, &o);
	elect(c, 1);
	put(c, 1, "k1", "v1");
	put(c, 1, "k2", "v2");
	converge(c);
	fx_expect_val(c, 3, "k2", "v2");
	int g[4] = {0, 1, 1, 2};
	fx_partition(c, g);
	put(c, 1, "k3", "v3");
	struct fx_result r;
	fx_propose(c, 1, RS_CMD_DELETE, "k2", NULL, &r);
	fx_settle(c);
	ck_assert_int_eq(r.rc, TK_OK);
	char k[16], v[64];
	for (int i = 0; i < 60; i++) { /* values large enough for several chunks */
		snprintf(k, sizeof k, "f%03d", i);
		snprintf(v, sizeof v, "filler-value-%03d-0123456789abcdef", i);
		put(c, 1, k, v);
	}
	fx_expect_val(c, 3, "k2", "v2");
	fx_expect_val(c, 3, "k3", NULL);
	raft_index last3 = raft_last_index(fx_raft(c, 3));
	ck_assert_uint_gt(first_index(c, 1), last3 + 1); /* only a snapshot helps */
	fx_partition(c, NULL);
	catch_up(c, 3);
	fx_expect_val(c, 3, "k1", "v1");
	fx_expect_val(c, 3, "k3", "v3");
	fx_expect_val(c, 3, "k2", NULL);
	fx_expect_val(c, 3, "f059", "filler-value-059-0123456789abcdef");
	struct rs_store_stats s1 = store_stats(c, 1), s3 = store_stats(c, 3);
	ck_assert_uint_ge(s1.snaps_sent, 1);
	ck_assert_uint_ge(s3.snaps_applied, 1);
	/* 60 values of ~45 bytes in 256-byte chunks. */
	ck_assert_uint_ge(s3.snap_chunks_received, 8);
	ck_assert_uint_eq(ps_stats(c, 3).gc_pending, 0);
	/* It goes on from the log, and restarts on the snapshot's state. */
	put(c, 1, "k4", "v4");
	converge(c);
	fx_expect_val(c, 3, "k4", "v4");
	fx_kill(c, 3);
	fx_start(c, 3);
	fx_expect_val(c, 3, "k2", NULL);
	fx_expect_val(c, 3, "k4", "v4");
	fx_free(c);
}
END_TEST

/* Lost chunks and acks: the sender goes back to the first chunk not
 * acknowledged, the receiver acknowledges a resent one again and ignores
 * one past a gap; the snapshot gets through. */
START_TEST(test_a_snapshot_gets_through_a_network_that_loses_chunks_and_acks)
{
	struct rs_peer_options o = gc_opts(10, 20);
	struct fx *c = fx_new_opts(3, 24, &o);
	elect(c, 1);
	put(c, 1, "k2", "v2");
	converge(c);
	int g[4] = {0, 1, 1, 2};
	fx_partition(c, g);
	struct fx_result r;
	fx_propose(c, 1, RS_CMD_DELETE, "k2", NULL, &r);
	fx_settle(c);
	char k[16], v[64];
	for (int i = 0; i < 60; i++) {
		snprintf(k, sizeof k, "f%03d", i);
		snprintf(v, sizeof v, "filler-value-%03d-0123456789abcdef", i);
		put(c, 1, k, v);
	}
	fx_partition(c, NULL);
	c->drop_pct = 25;
	catch_up(c, 3);
	c->drop_pct = 0;
	struct rs_store_stats s1 = store_stats(c, 1), s3 = store_stats(c, 3);
	ck_assert_uint_ge(s3.snaps_applied, 1);
	ck_assert_uint_gt(s1.snap_chunks_sent, s3.snap_chunks_received); /* some resent */
	fx_expect_val(c, 3, "k2", NULL);
	for (int i = 0; i < 60; i++) {
		snprintf(k, sizeof k, "f%03d", i);
		snprintf(v, sizeof v, "filler-value-%03d-0123456789abcdef", i);
		fx_expect_val(c, 3, k, v);
	}
	fx_free(c);
}
END_TEST

/* The generic test's "log compaction with restarts" row: clients write their
 * own keys while stores are restarted (one at a time, falling behind past
 * compaction, and all at once); every client's keys read back in order on
 * every store. */
START_TEST(test_clients_keys_survive_log_compaction_with_restarts_in_order)
{
	enum { CLIENTS = 5, ROUNDS = 12, PER_ROUND = 8 };
	struct rs_peer_options o = gc_opts(10, 30);
	struct fx *c = fx_new_opts(3, 22, &o);
	elect(c, 1);
	int seq[CLIENTS] = {0};
	uint64_t snaps = 0; /* applied, summed over the stores' lives */
	for (int round = 0; round < ROUNDS; round++) {
		int down = round % 4 == 3 ? 0 : round % 3 + 1; /* 0: restart all after */
		if (down) {
			snaps += store_stats(c, down).snaps_applied;
			fx_kill(c, down);
		}
		for (int i = 0; i < PER_ROUND; i++)
			for (int cl = 0; cl < CLIENTS; cl++) /* retried: a put is idempotent */
				fx_client_put(c, cl, seq[cl]++);
		if (down) {
			fx_start(c, down);
		} else {
			for (int id = 1; id <= 3; id++) {
				snaps += store_stats(c, id).snaps_applied;
				fx_kill(c, id);
			}
			for (int id = 1; id <= 3; id++)
				fx_start(c, id);
		}
	}
	fx_await_leader(c);
	for (int id = 1; id <= 3; id++)
		catch_up(c, id);
	for (int cl = 0; cl < CLIENTS; cl++)
		for (int id = 1; id <= 3; id++)
			fx_expect_client_keys(c, id, cl, seq[cl]);
	for (int id = 1; id <= 3; id++) {
		ck_assert_uint_gt(first_index(c, id), 100); /* compacted throughout */
		snaps += store_stats(c, id).snaps_applied;
	}
	/* A store down for a round missed more than a compaction: it came
	 * back by snapshot. */
	ck_assert_uint_ge(snaps, 1);
	fx_free(c);
}
END_TEST

/* Kill the receiving store at each of its writes in turn while it takes a
 * snapshot (staging chunks, the APPLYING marker, deleting the range,
 * writing the chunks, the final batch): every restart opens consistent,
 * finishing an apply cut short, and converges with the same data. */
START_TEST(test_a_store_killed_in_the_middle_of_applying_a_snapshot_restarts_consistent)
{
	int saw_applying = 0;
	for (uint64_t n = 0; n < 24; n++) {
		struct rs_peer_options o = gc_opts(10, 20);
		struct fx *c = fx_new_opts(3, 23, &o);
		elect(c, 1);
		put(c, 1, "k1", "v1");
		put(c, 1, "k2", "v2");
		converge(c);
		int g[4] = {0, 1, 1, 2};
		fx_partition(c, g);
		struct fx_result r;
		fx_propose(c, 1, RS_CMD_DELETE, "k2", NULL, &r);
		fx_settle(c);
		char k[16], v[64];
		for (int i = 0; i < 40; i++) {
			snprintf(k, sizeof k, "f%03d", i);
			snprintf(v, sizeof v, "filler-value-%03d-0123456789abcdef", i);
			put(c, 1, k, v);
		}
		ck_assert_uint_gt(first_index(c, 1), raft_last_index(fx_raft(c, 3)) + 1);
		eng_inject_write_failure(c->e[3], n, TK_E_IO);
		fx_partition(c, NULL);
		for (int i = 0; i < 100 && c->s[3] && fx_applied(c, 3) != fx_applied(c, 1); i++)
			fx_tick(c, 1);
		if (!c->s[3]) { /* a failed ready pass killed it */
			bool applying = fx_stored_state(c->dir[3], NULL) == RS_PEER_APPLYING;
			saw_applying += applying;
			fx_start(c, 3);
			if (applying) { /* open finished it: the data is the snapshot's */
				fx_expect_val(c, 3, "k2", NULL);
				fx_expect_val(c, 3, "f039", "filler-value-039-0123456789abcdef");
				ck_assert_uint_eq(ps_stats(c, 3).gc_pending, 0);
			}
		} else {
			eng_inject_write_failure(c->e[3], 0, TK_OK);
		}
		catch_up(c, 3);
		put(c, 1, "after", "1");
		converge(c);
		fx_expect_val(c, 3, "k1", "v1");
		fx_expect_val(c, 3, "k2", NULL);
		fx_expect_val(c, 3, "after", "1");
		for (int i = 0; i < 40; i++) {
			snprintf(k, sizeof k, "f%03d", i);
			snprintf(v, sizeof v, "filler-value-%03d-0123456789abcdef", i);
			fx_expect_val(c, 3, k, v);
		}
		fx_free(c);
	}
	ck_assert_int_ge(saw_applying, 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raftstore_cluster");
	TCase *tc = tcase_create("cluster");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_a_3_store_region_replicates_writes_and_all_stores_converge);
	tcase_add_test(
	    tc, test_an_acknowledged_write_survives_killing_any_one_store_including_the_leader);
	tcase_add_test(
	    tc,
	    test_the_minority_side_of_a_partition_never_acknowledges_and_converges_after_healing);
	tcase_add_test(
	    tc, test_a_proposal_on_a_deposed_leader_whose_entry_is_overwritten_gets_an_error);
	tcase_add_test(tc, test_a_restart_resumes_apply_exactly_where_it_stopped);
	tcase_add_test(tc, test_writes_converge_when_the_network_drops_a_fraction_of_messages);
	tcase_add_test(tc, test_a_single_replica_log_stays_bounded_under_a_long_write_load);
	tcase_add_test(tc, test_log_gc_keeps_the_entries_a_live_but_slow_follower_still_needs);
	tcase_add_test(
	    tc,
	    test_a_restart_between_applying_a_compaction_and_deleting_its_entries_is_consistent);
	tcase_add_test(
	    tc, test_an_isolated_store_catches_up_by_snapshot_and_deleted_keys_are_gone_on_it);
	tcase_add_test(tc, test_a_snapshot_gets_through_a_network_that_loses_chunks_and_acks);
	tcase_add_test(tc, test_clients_keys_survive_log_compaction_with_restarts_in_order);
	tcase_add_test(
	    tc, test_a_store_killed_in_the_middle_of_applying_a_snapshot_restarts_consistent);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
