/* Peers born from messages (store.h, "Peers born and destroyed"), on one
 * store fed hand-made envelopes: which messages create a peer, which
 * ranges refuse it, what an uninitialized peer keeps over a restart, and
 * the store's events and lookups. */
#include "test_ps_helpers.h" /* first: it sets _GNU_SOURCE */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "raftstore/store.h"

#define STORE 4

struct sent {
	uint64_t to_store;
	uint8_t type;
	raft_id from, to;
	raft_term term;
	bool reject, tombstone;
};

struct env {
	char *dir;
	struct eng *e;
	struct rs_store *s;
	struct sent out[64];
	size_t nout;
	int created, destroyed;
	uint64_t last_region;
};

static void on_send(void *arg, uint64_t to, const struct rs_envelope *m, size_t n)
{
	struct env *t = arg;
	for (size_t i = 0; i < n && t->nout < 64; i++)
		t->out[t->nout++] = (struct sent){to,
		                                  m[i].msg.type,
		                                  m[i].msg.from,
		                                  m[i].msg.to,
		                                  m[i].msg.term,
		                                  m[i].msg.reject,
		                                  m[i].tombstone};
}

static void on_peer(void *arg, uint64_t region_id, enum rs_peer_event ev)
{
	struct env *t = arg;
	t->created += ev == RS_PEER_CREATED;
	t->destroyed += ev == RS_PEER_DESTROYED;
	t->last_region = region_id;
}

static void start(struct env *t)
{
	t->e = ph_open(t->dir);
	struct rs_store_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.store_id = STORE;
	cfg.e = t->e;
	rs_peer_options_default(&cfg.peer);
	cfg.send = on_send;
	cfg.send_arg = t;
	cfg.on_peer = on_peer;
	cfg.on_peer_arg = t;
	struct tk_errbuf eb;
	ck_assert_int_eq(rs_store_open(&cfg, &t->s, &eb), TK_OK);
}

static void stop(struct env *t)
{
	rs_store_free(t->s);
	eng_close(t->e);
}

/* Store 4 holds region 2, ["m", +inf), alone (peer 20). */
static void setup(struct env *t)
{
	memset(t, 0, sizeof *t);
	t->dir = ph_tmpdir();
	struct eng *e = ph_open(t->dir);
	struct rs_region_state rs;
	ph_region(&rs, 2, 1, "m", "");
	rs.region.peers[0] = (struct region_peer){20, STORE};
	struct eng_batch *b = eng_batch_new();
	struct tk_errbuf eb;
	ck_assert_int_eq(rs_ps_bootstrap(e, b, &rs, &eb), TK_OK);
	ph_write(e, b);
	eng_batch_free(b);
	rs_region_state_destroy(&rs);
	eng_close(e);
	start(t);
}

static void teardown(struct env *t)
{
	stop(t);
	ph_rmrf(t->dir);
}

static void pass(struct env *t)
{
	struct tk_errbuf eb;
	ck_assert_int_eq(rs_store_ready_pass(t->s, NULL, &eb), TK_OK);
}

/* A message of region rid, range [start, end), from peer `from` on store
 * `from` to peer `to` here. */
static struct rs_envelope msg(uint64_t rid, const char *start, const char *end, uint8_t type,
                              raft_id from, raft_id to, raft_term term)
{
	struct rs_envelope env;
	memset(&env, 0, sizeof env);
	env.region_id = rid;
	env.from_store = from;
	env.to_store = STORE;
	env.epoch = (struct region_epoch){.conf_ver = 2, .version = 1};
	env.start_key = tk_slice_str(start);
	env.end_key = tk_slice_str(end);
	env.msg.type = type;
	env.msg.from = from;
	env.msg.to = to;
	env.msg.term = term;
	return env;
}

START_TEST(test_only_an_initial_message_for_a_range_overlapping_nothing_creates_a_peer)
{
	struct env t;
	setup(&t);
	/* overlaps region 2 ["m", +inf): a split or merge this store has not
	 * seen yet; no peer */
	struct rs_envelope m = msg(1, "", "", RAFT_MSG_VOTE, 1, 41, 6);
	ck_assert_int_eq(rs_store_step(t.s, &m), TK_E_REGION_NOT_FOUND);
	m = msg(1, "a", "n", RAFT_MSG_PREVOTE, 1, 41, 6);
	ck_assert_int_eq(rs_store_step(t.s, &m), TK_E_REGION_NOT_FOUND);
	/* not initial: an append, a heartbeat that assumes entries */
	m = msg(3, "a", "c", RAFT_MSG_APPEND, 1, 43, 6);
	ck_assert_int_eq(rs_store_step(t.s, &m), TK_E_REGION_NOT_FOUND);
	m = msg(3, "a", "c", RAFT_MSG_HEARTBEAT, 1, 43, 6);
	m.msg.commit = 7;
	ck_assert_int_eq(rs_store_step(t.s, &m), TK_E_REGION_NOT_FOUND);
	ck_assert_uint_eq(rs_store_n_peers(t.s), 1);
	ck_assert_int_eq(t.created, 0);
	/* a leader's first heartbeat to a peer it knows nothing of */
	m.msg.commit = 0;
	ck_assert_int_eq(rs_store_step(t.s, &m), TK_OK);
	ck_assert_int_eq(t.created, 1);
	ck_assert_uint_eq(t.last_region, 3);
	struct rs_peer *p = rs_store_peer(t.s, 3);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(rs_peer_id(p), 43);
	ck_assert_ptr_null(rs_peer_region(p)); /* uninitialized */
	/* it answers through the store the envelope named */
	pass(&t);
	ck_assert_uint_eq(t.nout, 1);
	ck_assert_uint_eq(t.out[0].to_store, 1);
	ck_assert_uint_eq(t.out[0].type, RAFT_MSG_HEARTBEAT_RESP);
	/* a vote from a non-overlapping range creates one too */
	m = msg(5, "c", "d", RAFT_MSG_VOTE, 2, 45, 3);
	ck_assert_int_eq(rs_store_step(t.s, &m), TK_OK);
	ck_assert_uint_eq(rs_store_n_peers(t.s), 3);
	/* lookups see initialized regions only */
	ck_assert_ptr_eq(rs_store_find_key(t.s, tk_slice_str("q")), rs_store_peer(t.s, 2));
	ck_assert_ptr_eq(rs_store_find_key(t.s, tk_slice_str("m")), rs_store_peer(t.s, 2));
	ck_assert_ptr_null(rs_store_find_key(t.s, tk_slice_str("b")));
	int seen = 0;
	for (size_t i = 0; i < rs_store_n_peers(t.s); i++)
		seen += (int)rs_peer_region_id(rs_store_peer_at(t.s, i));
	ck_assert_int_eq(seen, 2 + 3 + 5);
	ck_assert_ptr_null(rs_store_peer_at(t.s, 3));
	teardown(&t);
}
END_TEST

/* The vote an uninitialized peer gave survives a restart: the restart
 * does not reopen it, but the next message re-creates it over the stored
 * hard state, and it refuses a second candidate of the same term. */
START_TEST(test_an_uninitialized_peers_vote_survives_a_restart)
{
	struct env t;
	setup(&t);
	struct rs_envelope m = msg(3, "a", "c", RAFT_MSG_VOTE, 1, 43, 7);
	ck_assert_int_eq(rs_store_step(t.s, &m), TK_OK);
	pass(&t);
	ck_assert_uint_eq(t.nout, 1);
	ck_assert_uint_eq(t.out[0].type, RAFT_MSG_VOTE_RESP);
	ck_assert(!t.out[0].reject);
	stop(&t);
	start(&t);
	ck_assert_ptr_null(rs_store_peer(t.s, 3)); /* nothing to find it by */
	ck_assert_uint_eq(rs_store_n_peers(t.s), 1);
	t.nout = 0;
	m = msg(3, "a", "c", RAFT_MSG_VOTE, 2, 43, 7); /* another candidate, same term */
	ck_assert_int_eq(rs_store_step(t.s, &m), TK_OK);
	pass(&t);
	ck_assert_uint_eq(t.nout, 1);
	ck_assert_uint_eq(t.out[0].to_store, 2);
	ck_assert_uint_eq(t.out[0].type, RAFT_MSG_VOTE_RESP);
	ck_assert(t.out[0].reject);
	ck_assert_uint_eq(raft_current_term(rs_peer_raft(rs_store_peer(t.s, 3))), 7);
	t.nout = 0;
	m = msg(3, "a", "c", RAFT_MSG_VOTE, 1, 43, 7); /* the one it voted for */
	ck_assert_int_eq(rs_store_step(t.s, &m), TK_OK);
	pass(&t);
	ck_assert_uint_eq(t.nout, 1);
	ck_assert(!t.out[0].reject);
	teardown(&t);
}
END_TEST

/* A tombstone envelope of a newer epoch naming the peer destroys it (an
 * uninitialized one here: its raft state goes, no tombstone is kept); one
 * naming another peer id, or of an older epoch, changes nothing. */
START_TEST(test_a_tombstone_envelope_destroys_only_the_peer_it_names)
{
	struct env t;
	setup(&t);
	struct rs_envelope m = msg(3, "a", "c", RAFT_MSG_VOTE, 1, 43, 7);
	ck_assert_int_eq(rs_store_step(t.s, &m), TK_OK);
	pass(&t);
	struct rs_envelope g = msg(3, "a", "c", RAFT_MSG_HEARTBEAT, 1, 44, 0);
	g.tombstone = true;
	ck_assert_int_eq(rs_store_step(t.s, &g), TK_OK); /* names peer 44 */
	pass(&t);
	ck_assert_ptr_nonnull(rs_store_peer(t.s, 3));
	g.msg.to = 43;
	ck_assert_int_eq(rs_store_step(t.s, &g), TK_OK);
	ck_assert_ptr_nonnull(rs_store_peer(t.s, 3)); /* goes at the next pass */
	pass(&t);
	ck_assert_ptr_null(rs_store_peer(t.s, 3));
	ck_assert_int_eq(t.destroyed, 1);
	ck_assert(!rs_store_tombstone(t.s, 3, NULL));
	/* its hard state went with it: a new peer starts at term 0 */
	m = msg(3, "a", "c", RAFT_MSG_HEARTBEAT, 1, 43, 1);
	ck_assert_int_eq(rs_store_step(t.s, &m), TK_OK);
	ck_assert_uint_eq(raft_current_term(rs_peer_raft(rs_store_peer(t.s, 3))), 1);
	/* region 2 is initialized at epoch 1/1: an older tombstone is ignored */
	g = msg(2, "m", "", RAFT_MSG_HEARTBEAT, 1, 20, 0);
	g.tombstone = true;
	g.epoch = (struct region_epoch){1, 1};
	ck_assert_int_eq(rs_store_step(t.s, &g), TK_OK);
	pass(&t);
	ck_assert_ptr_nonnull(rs_store_peer(t.s, 2));
	teardown(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raftstore_peer_birth");
	TCase *tc = tcase_create("birth");
	tcase_add_test(tc,
	               test_only_an_initial_message_for_a_range_overlapping_nothing_creates_a_peer);
	tcase_add_test(tc, test_an_uninitialized_peers_vote_survives_a_restart);
	tcase_add_test(tc, test_a_tombstone_envelope_destroys_only_the_peer_it_names);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
