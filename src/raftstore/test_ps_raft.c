/* The raft library running on peer storages over real LevelDBs: three nodes,
 * each with its own engine in a temp dir, driven by a tiny in-process loop
 * that does what a store's ready pass will do (stage snapshot, entries and
 * hard state into one batch, write, report persisted, send, apply committed
 * entries into the raw column together with the applied index, advance).
 * A node is crashed (its raft node, storage and engine dropped) and
 * restarted from its data dir. */
#include "test_ps_helpers.h" /* first: it sets _GNU_SOURCE */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/raft_keys.h"
#include "raftstore/peer_storage.h"

#define N   3
#define RID 1

struct node {
	raft_id id;
	char *dir;
	struct eng *e;
	struct rs_peer_storage *ps;
	struct raft_node *r;
	struct tk_buf snap; /* generated snapshot data, borrowed by raft */
};

struct cluster {
	struct node nodes[N + 1];
	struct raft_message *q;
	size_t qn, qcap;
	struct eng_batch *b;
	raft_index compact_every; /* 0: never compact */
	size_t snapshots_applied;
};

static void fail_rc(enum tk_err rc, const struct tk_errbuf *eb, const char *what)
{
	ck_assert_msg(rc == TK_OK, "%s: %s", what, eb->msg);
}

static void region_of(struct rs_region_state *rs, const struct raft_conf_state *cs)
{
	ph_region(rs, RID, 0, "", "");
	for (uint32_t i = 0; i < cs->n_voters; i++) {
		rs->region.peers[i].id = cs->voters[i];
		rs->region.peers[i].store_id = cs->voters[i];
	}
	rs->region.n_peers = cs->n_voters;
}

/* Snapshot data: the node's whole raw column as (be32 len, key, be32 len,
 * value) pairs; it matches the applied index because the raw writes and the
 * apply state share one batch. */
static enum tk_err gen_snapshot(void *arg, struct rs_peer_storage *ps, struct raft_snapshot *out)
{
	struct node *nd = arg;
	enum tk_err rc = rs_ps_snapshot_meta(ps, &out->meta);
	if (rc != TK_OK)
		return rc;
	tk_buf_reset(&nd->snap);
	struct eng_iter *it =
	    eng_iter_new(nd->e, NULL, ENG_CF_RAW, tk_slice_of(NULL, 0), tk_slice_of(NULL, 0));
	ck_assert_ptr_nonnull(it);
	for (eng_iter_seek_first(it); eng_iter_valid(it); eng_iter_next(it)) {
		struct tk_slice kv[2] = {eng_iter_key(it), eng_iter_value(it)};
		for (int j = 0; j < 2; j++) {
			uint8_t l[4];
			tk_put_be32(l, (uint32_t)kv[j].n);
			ck_assert(tk_buf_append(&nd->snap, l, 4));
			ck_assert(tk_buf_append(&nd->snap, kv[j].p, kv[j].n));
		}
	}
	eng_iter_free(it);
	out->data = nd->snap.data;
	out->len = nd->snap.len;
	return TK_OK;
}

/* Replace the raw column by the snapshot's pairs (into batch b). */
static void stage_snapshot_data(struct node *nd, struct eng_batch *b, const struct raft_snapshot *s)
{
	struct eng_iter *it =
	    eng_iter_new(nd->e, NULL, ENG_CF_RAW, tk_slice_of(NULL, 0), tk_slice_of(NULL, 0));
	for (eng_iter_seek_first(it); eng_iter_valid(it); eng_iter_next(it))
		eng_batch_delete(b, ENG_CF_RAW, eng_iter_key(it));
	eng_iter_free(it);
	size_t off = 0;
	while (off < s->len) {
		struct tk_slice kv[2];
		for (int j = 0; j < 2; j++) {
			ck_assert_uint_le(off + 4, s->len);
			size_t n = tk_get_be32(s->data + off);
			ck_assert_uint_le(off + 4 + n, s->len);
			kv[j] = tk_slice_of(s->data + off + 4, n);
			off += 4 + n;
		}
		eng_batch_put(b, ENG_CF_RAW, kv[0], kv[1]);
	}
}

static void node_start(struct cluster *c, raft_id id)
{
	struct node *nd = &c->nodes[id];
	nd->id = id;
	if (!nd->dir)
		nd->dir = ph_tmpdir();
	nd->e = ph_open(nd->dir);
	struct tk_errbuf eb;
	struct rs_ps_options o;
	rs_ps_options_default(&o);
	o.cache_max_entries = 8; /* small, so reads also go to disk */
	fail_rc(rs_ps_open(nd->e, RID, &o, &nd->ps, &eb), &eb, "rs_ps_open");
	rs_ps_set_snapshot_source(nd->ps, gen_snapshot, nd);
	struct rs_apply_state a;
	rs_ps_apply_state(nd->ps, &a);
	struct raft_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.id = id;
	cfg.election_ticks = 10;
	cfg.heartbeat_ticks = 1;
	cfg.max_inflight = 64;
	cfg.max_msg_bytes = 1 << 20;
	cfg.check_quorum = true;
	cfg.pre_vote = true;
	cfg.applied = a.applied;
	cfg.storage = rs_ps_storage(nd->ps);
	cfg.seed = id * 7919;
	ck_assert_int_eq(raft_node_new(&cfg, &nd->r), TK_OK);
}

/* Drop everything that was not written: raft node, storage, engine. */
static void node_crash(struct cluster *c, raft_id id)
{
	struct node *nd = &c->nodes[id];
	raft_node_free(nd->r);
	rs_ps_free(nd->ps);
	eng_close(nd->e);
	nd->r = NULL;
	nd->ps = NULL;
	nd->e = NULL;
}

static struct cluster *cluster_new(raft_index compact_every)
{
	struct cluster *c = calloc(1, sizeof *c);
	ck_assert_ptr_nonnull(c);
	c->b = eng_batch_new();
	c->compact_every = compact_every;
	for (raft_id id = 1; id <= N; id++) {
		struct node *nd = &c->nodes[id];
		tk_buf_init(&nd->snap);
		nd->dir = ph_tmpdir();
		struct eng *e = ph_open(nd->dir);
		struct rs_region_state rs;
		ph_region(&rs, RID, N, "", "");
		struct tk_errbuf eb;
		fail_rc(rs_ps_bootstrap(e, c->b, &rs, &eb), &eb, "bootstrap");
		rs_region_state_destroy(&rs);
		ph_write(e, c->b);
		eng_close(e);
		node_start(c, id);
	}
	return c;
}

static void cluster_free(struct cluster *c)
{
	for (raft_id id = 1; id <= N; id++) {
		if (c->nodes[id].r)
			node_crash(c, id);
		tk_buf_destroy(&c->nodes[id].snap);
		ph_rmrf(c->nodes[id].dir);
	}
	for (size_t i = 0; i < c->qn; i++)
		raft_message_destroy(&c->q[i]);
	free(c->q);
	eng_batch_free(c->b);
	free(c);
}

static void apply_committed(struct cluster *c, struct node *nd, const struct raft_ready *rd)
{
	struct tk_errbuf eb;
	if (rd->n_committed == 0)
		return;
	for (size_t i = 0; i < rd->n_committed; i++) {
		const struct raft_entry *e = &rd->committed[i];
		ck_assert_int_eq(e->type, RAFT_ENTRY_NORMAL);
		const uint8_t *eq = e->len ? memchr(e->data, '=', e->len) : NULL;
		if (!eq)
			continue; /* the leader's empty entry */
		eng_batch_put(c->b, ENG_CF_RAW, tk_slice_of(e->data, (size_t)(eq - e->data)),
		              tk_slice_of(eq + 1, e->len - (size_t)(eq - e->data) - 1));
	}
	fail_rc(rs_ps_set_applied(nd->ps, c->b, rd->committed[rd->n_committed - 1].index, &eb), &eb,
	        "set applied");
	fail_rc(eng_write(nd->e, c->b, false, &eb), &eb, "apply write");
	eng_batch_clear(c->b);
	rs_ps_persisted(nd->ps);
}

static void maybe_compact(struct cluster *c, struct node *nd)
{
	struct rs_apply_state a;
	rs_ps_apply_state(nd->ps, &a);
	if (!c->compact_every || a.applied - a.truncated_index < c->compact_every)
		return;
	struct tk_errbuf eb;
	fail_rc(rs_ps_compact(nd->ps, c->b, a.applied, &eb), &eb, "compact");
	fail_rc(eng_write(nd->e, c->b, false, &eb), &eb, "compact write");
	eng_batch_clear(c->b);
	rs_ps_persisted(nd->ps);
}

static void enqueue(struct cluster *c, const struct raft_message *m)
{
	if (c->qn == c->qcap) {
		c->qcap = c->qcap ? c->qcap * 2 : 64;
		c->q = realloc(c->q, c->qcap * sizeof *c->q);
		ck_assert_ptr_nonnull(c->q);
	}
	raft_message_copy(&c->q[c->qn++], m);
}

/* One ready, handled as the store's ready pass will. */
static void handle_ready(struct cluster *c, struct node *nd)
{
	struct raft_ready rd;
	struct tk_errbuf eb;
	raft_ready(nd->r, &rd);
	if (rd.snapshot) {
		struct rs_region_state rs;
		region_of(&rs, &rd.snapshot->meta.conf);
		fail_rc(rs_ps_apply_snapshot(nd->ps, c->b, &rd.snapshot->meta, &rs, &eb), &eb,
		        "apply snapshot");
		rs_region_state_destroy(&rs);
		stage_snapshot_data(nd, c->b, rd.snapshot);
		c->snapshots_applied++;
	}
	fail_rc(rs_ps_append(nd->ps, c->b, rd.entries, rd.n_entries, &eb), &eb, "append");
	if (rd.has_hard_state)
		rs_ps_set_hard_state(nd->ps, c->b, &rd.hard_state);
	if (rs_ps_has_staged(nd->ps)) {
		fail_rc(eng_write(nd->e, c->b, rd.must_sync, &eb), &eb, "ready write");
		eng_batch_clear(c->b);
		rs_ps_persisted(nd->ps);
	}
	for (size_t i = 0; i < rd.n_msgs; i++)
		enqueue(c, &rd.msgs[i]);
	apply_committed(c, nd, &rd);
	raft_advance(nd->r);
	maybe_compact(c, nd);
}

static bool process_all(struct cluster *c)
{
	bool any = false;
	for (raft_id id = 1; id <= N; id++) {
		struct node *nd = &c->nodes[id];
		while (nd->r && raft_has_ready(nd->r)) {
			handle_ready(c, nd);
			any = true;
		}
	}
	return any;
}

/* Deliver the queued messages (in order; new ones wait for the next round);
 * a message to a crashed node is reported unreachable to its sender. */
static bool deliver(struct cluster *c)
{
	size_t n = c->qn;
	if (n == 0)
		return false;
	struct raft_message *q = c->q;
	c->q = NULL;
	c->qn = c->qcap = 0;
	for (size_t i = 0; i < n; i++) {
		struct raft_message *m = &q[i];
		struct node *to = &c->nodes[m->to], *from = &c->nodes[m->from];
		if (to->r) {
			ck_assert_int_eq(raft_step(to->r, m), TK_OK);
			if (m->type == RAFT_MSG_SNAPSHOT && from->r)
				raft_report_snapshot(from->r, m->to, true);
		} else if (from->r) {
			raft_report_unreachable(from->r, m->to);
		}
		raft_message_destroy(m);
		process_all(c);
	}
	free(q);
	return true;
}

static void settle(struct cluster *c)
{
	for (int i = 0; i < 10000; i++) {
		bool any = process_all(c);
		if (!deliver(c) && !any)
			return;
	}
	ck_abort_msg("cluster did not settle");
}

static void tick_all(struct cluster *c)
{
	for (raft_id id = 1; id <= N; id++)
		if (c->nodes[id].r)
			raft_tick(c->nodes[id].r);
	settle(c);
}

static void propose(struct cluster *c, raft_id leader, int from, int to)
{
	for (int i = from; i < to; i++) {
		char kv[32];
		int n = snprintf(kv, sizeof kv, "k%03d=v%03d", i, i);
		ck_assert_int_eq(raft_propose_one(c->nodes[leader].r, kv, (size_t)n), TK_OK);
		if (i % 7 == 0)
			settle(c);
	}
	settle(c);
}

static raft_index applied_of(struct cluster *c, raft_id id)
{
	struct rs_apply_state a;
	rs_ps_apply_state(c->nodes[id].ps, &a);
	return a.applied;
}

/* Every key k000..k<n-1> with its value in id's raw column, and nothing else. */
static void expect_raw(struct cluster *c, raft_id id, int n)
{
	struct eng_iter *it = eng_iter_new(c->nodes[id].e, NULL, ENG_CF_RAW, tk_slice_of(NULL, 0),
	                                   tk_slice_of(NULL, 0));
	int i = 0;
	for (eng_iter_seek_first(it); eng_iter_valid(it); eng_iter_next(it), i++) {
		char k[16], v[16];
		snprintf(k, sizeof k, "k%03d", i);
		snprintf(v, sizeof v, "v%03d", i);
		ck_assert_msg(tk_slice_eq(eng_iter_key(it), tk_slice_str(k)), "node %llu key %d",
		              (unsigned long long)id, i);
		ck_assert(tk_slice_eq(eng_iter_value(it), tk_slice_str(v)));
	}
	eng_iter_free(it);
	ck_assert_msg(i == n, "node %llu holds %d keys, want %d", (unsigned long long)id, i, n);
}

/* Log matching across storages: equal terms wherever both hold an entry. */
static void expect_logs_match(struct cluster *c)
{
	struct raft_storage a = rs_ps_storage(c->nodes[1].ps);
	for (raft_id id = 2; id <= N; id++) {
		struct raft_storage b = rs_ps_storage(c->nodes[id].ps);
		raft_index lo = rs_ps_first_index(c->nodes[1].ps),
		           hi = rs_ps_last_index(c->nodes[1].ps);
		if (rs_ps_first_index(c->nodes[id].ps) > lo)
			lo = rs_ps_first_index(c->nodes[id].ps);
		ck_assert_uint_eq(rs_ps_last_index(c->nodes[id].ps), hi);
		for (raft_index i = lo; i <= hi; i++) {
			raft_term ta, tb;
			ck_assert_int_eq(a.ops->term(a.ctx, i, &ta), TK_OK);
			ck_assert_int_eq(b.ops->term(b.ctx, i, &tb), TK_OK);
			ck_assert_uint_eq(ta, tb);
		}
	}
}

static void elect_1(struct cluster *c)
{
	raft_campaign(c->nodes[1].r);
	settle(c);
	ck_assert_int_eq(raft_role(c->nodes[1].r), RAFT_LEADER);
}

/* Tick until id has applied what the leader applied (bounded). */
static void catch_up(struct cluster *c, raft_id id)
{
	for (int i = 0; i < 200 && applied_of(c, id) < applied_of(c, 1); i++)
		tick_all(c);
	ck_assert_uint_eq(applied_of(c, id), applied_of(c, 1));
}

START_TEST(test_raft_nodes_on_peer_storage_replicate_and_a_restarted_node_keeps_its_log)
{
	struct cluster *c = cluster_new(0);
	elect_1(c);
	propose(c, 1, 0, 30);
	for (raft_id id = 1; id <= N; id++) {
		expect_raw(c, id, 30);
		ck_assert_uint_eq(applied_of(c, id), rs_ps_last_index(c->nodes[1].ps));
	}
	expect_logs_match(c);

	/* What node 3 persisted before it dies. */
	struct rs_raft_state r3;
	struct rs_apply_state a3;
	rs_ps_raft_state(c->nodes[3].ps, &r3);
	rs_ps_apply_state(c->nodes[3].ps, &a3);
	ck_assert_uint_ge(r3.hs.term, RS_INIT_LOG_TERM + 1);
	ck_assert_uint_eq(r3.hs.vote, 1);
	struct raft_entbuf before;
	raft_entbuf_init(&before);
	struct raft_storage st3 = rs_ps_storage(c->nodes[3].ps);
	ck_assert_int_eq(st3.ops->entries(st3.ctx, rs_ps_first_index(c->nodes[3].ps),
	                                  r3.last_index + 1, SIZE_MAX, &before),
	                 TK_OK);
	ck_assert_uint_eq(before.n, r3.last_index - RS_INIT_LOG_INDEX);
	node_crash(c, 3);

	propose(c, 1, 30, 50); /* nodes 1 and 2 commit without node 3 */
	expect_raw(c, 2, 50);

	node_start(c, 3);
	struct rs_raft_state r3b;
	struct rs_apply_state a3b;
	rs_ps_raft_state(c->nodes[3].ps, &r3b);
	rs_ps_apply_state(c->nodes[3].ps, &a3b);
	ck_assert(memcmp(&r3, &r3b, sizeof r3) == 0);
	ck_assert(memcmp(&a3, &a3b, sizeof a3) == 0);
	struct raft_entbuf after;
	raft_entbuf_init(&after);
	st3 = rs_ps_storage(c->nodes[3].ps);
	ck_assert_int_eq(st3.ops->entries(st3.ctx, rs_ps_first_index(c->nodes[3].ps),
	                                  r3.last_index + 1, SIZE_MAX, &after),
	                 TK_OK);
	ck_assert_uint_eq(after.n, before.n);
	for (size_t i = 0; i < after.n; i++) {
		ck_assert_uint_eq(after.ents[i].index, before.ents[i].index);
		ck_assert_uint_eq(after.ents[i].term, before.ents[i].term);
		ck_assert_uint_eq(after.ents[i].len, before.ents[i].len);
		ck_assert(after.ents[i].len == 0 ||
		          memcmp(after.ents[i].data, before.ents[i].data, after.ents[i].len) == 0);
	}
	struct rs_ps_stats s;
	rs_ps_get_stats(c->nodes[3].ps, &s);
	ck_assert_uint_eq(s.disk_entries, before.n); /* a fresh cache: all from LevelDB */
	raft_entbuf_destroy(&before);
	raft_entbuf_destroy(&after);

	catch_up(c, 3);
	for (raft_id id = 1; id <= N; id++)
		expect_raw(c, id, 50);
	expect_logs_match(c);
	ck_assert_uint_eq(c->snapshots_applied, 0);
	cluster_free(c);
}
END_TEST

START_TEST(test_a_restarted_node_behind_the_compacted_log_catches_up_by_snapshot)
{
	struct cluster *c = cluster_new(10);
	elect_1(c);
	propose(c, 1, 0, 12);
	node_crash(c, 3);
	propose(c, 1, 12, 60);
	/* The leader's log no longer holds what node 3 needs next. */
	struct rs_apply_state a1;
	rs_ps_apply_state(c->nodes[1].ps, &a1);
	ck_assert_uint_gt(a1.truncated_index, RS_INIT_LOG_INDEX + 13);

	node_start(c, 3);
	catch_up(c, 3);
	ck_assert_uint_ge(c->snapshots_applied, 1);
	for (raft_id id = 1; id <= N; id++)
		expect_raw(c, id, 60);
	const struct rs_region_state *rs = rs_ps_region_state(c->nodes[3].ps);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(rs->region.n_peers, 3);
	/* And node 3's state after the snapshot survives another restart. */
	propose(c, 1, 60, 65);
	node_crash(c, 3);
	node_start(c, 3);
	expect_raw(c, 3, 65);
	catch_up(c, 3);
	expect_logs_match(c);
	cluster_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ps_raft");
	TCase *tc = tcase_create("raft");
	tcase_set_timeout(tc, 120);
	tcase_add_test(
	    tc, test_raft_nodes_on_peer_storage_replicate_and_a_restarted_node_keeps_its_log);
	tcase_add_test(tc, test_a_restarted_node_behind_the_compacted_log_catches_up_by_snapshot);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
