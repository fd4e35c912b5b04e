/* TinyKV's generic raftstore test on the in-process cluster (fixture.h):
 * five stores, 1 or 5 clients that each write their own keys ("c<cl>-<i>" =
 * "x<i>", i counting up) and read them back with a linearizable read
 * through a store that believes it leads, expecting exactly the keys
 * written so far, in order.  Each round the clients run concurrently (each
 * has one operation in flight, all of them interleaved in the same ready
 * passes) while the network misbehaves as the row asks (drops and holds
 * back a fraction of the messages; repartitions at random every election
 * timeout or so, with one store's clock slow, so that a deposed leader may
 * still believe it leads when asked); at its end the network heals, the
 * clients finish what they had in flight, all stores restart (when asked),
 * every client reads its keys back and deletes them (but in the last
 * round, whose keys every store must then hold).  The rows "log compaction
 * with restarts" and "conf changes with restarts" are in test_cluster.c and
 * test_confchange.c. */
#include "test_ps_helpers.h" /* first: it sets _GNU_SOURCE */

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raftstore/cmd.h"
#include "raftstore/fixture.h"

enum { STORES = 5, MAX_CLIENTS = 5, ROUNDS = 3 };
/* Simulated time: a tick every TICK_EVERY steps (one ready pass of every
 * store and one delivery each); the election timeout is 10 ticks. */
enum { TICK_EVERY = 3, ROUND_STEPS = 450, CHAOS_AFTER = 30 };
/* The network changes every election timeout and up to 4 ticks more, as
 * TinyKV's partitioner does (in steps). */
enum { CHAOS_PERIOD = 30, CHAOS_JITTER = 13 };
/* An attempt unanswered after this many steps is given up and retried (a
 * proposal or read lost with a dropped message or a deposed leader). */
enum { GIVE_UP = 45 };
enum { UNRELIABLE = 1, PARTITIONS = 2, CRASH = 4 };
/* Drop as TinyKV's drop filter does, and also hold back some messages a
 * delivery or more (which reorders them). */
enum { DROP_PCT = 10, DELAY_PCT = 10 };

enum op { IDLE, PUT, READ };

struct client {
	int id;
	int seq;             /* its keys 0..seq-1 are acknowledged */
	enum op op;          /* in flight (or to send) */
	int store;           /* where the attempt went */
	int age;             /* steps since it was sent */
	struct fx_result *r; /* the attempt (NULL: to send) */
	int puts, reads;     /* acknowledged this round */
};

struct gen {
	struct fx *c;
	uint64_t rng;
	unsigned flags;
	int n_clients;
	struct client cl[MAX_CLIENTS];
	/* Every attempt: a store may answer one after its client gave up on
	 * it, so they live until the stores are gone. */
	struct fx_result **att;
	size_t n_att, cap_att;
	long retries; /* attempts failed or given up */
	long steps;
	long leader_cut;  /* partitions that left the leader in a minority */
	long two_leaders; /* attempts sent while two stores claimed to lead */
	int slow;         /* the store whose clock is slow (0: none) */
	long ticks;
};

static uint64_t rnd(struct gen *g)
{
	g->rng = g->rng * 6364136223846793005u + 1442695040888963407u;
	return g->rng >> 33;
}

static struct fx_result *new_attempt(struct gen *g)
{
	if (g->n_att == g->cap_att) {
		g->cap_att = g->cap_att ? g->cap_att * 2 : 256;
		g->att = realloc(g->att, g->cap_att * sizeof *g->att);
		ck_assert_ptr_nonnull(g->att);
	}
	struct fx_result *r = calloc(1, sizeof *r);
	ck_assert_ptr_nonnull(r);
	r->rc = INT_MIN;
	g->att[g->n_att++] = r;
	return r;
}

static void on_read(void *arg, enum tk_err rc)
{
	struct fx_result *r = arg;
	r->rc = (int)rc;
	r->fired++;
}

/* A store whose peer believes it leads, picked at random when several do
 * (a deposed leader cut off in a minority may still believe it): a client
 * may well ask a stale leader, which must then not answer; 0 when none. */
static int leader(struct gen *g)
{
	int ids[STORES], n = 0;
	for (int id = 1; id <= g->c->n; id++)
		if (fx_raft(g->c, id) && raft_role(fx_raft(g->c, id)) == RAFT_LEADER)
			ids[n++] = id;
	return n ? ids[rnd(g) % (uint64_t)n] : 0;
}

static raft_term top_term(struct fx *c)
{
	raft_term t = 0;
	for (int id = 1; id <= c->n; id++)
		if (fx_raft(c, id) && raft_current_term(fx_raft(c, id)) > t)
			t = raft_current_term(fx_raft(c, id));
	return t;
}

static void send_attempt(struct gen *g, struct client *k)
{
	int l = leader(g);
	if (!l)
		return; /* no leader yet: try again next step */
	k->r = new_attempt(g);
	k->store = l;
	k->age = 0;
	if (k->op == PUT) {
		char key[32], val[32];
		snprintf(key, sizeof key, "c%d-%05d", k->id, k->seq);
		snprintf(val, sizeof val, "x%d", k->seq);
		fx_propose(g->c, l, RS_CMD_PUT, key, val, k->r);
	} else {
		enum tk_err rc = rs_store_read(g->c->s[l], FX_RID, on_read, k->r);
		if (rc != TK_OK) { /* refused at once, cb not called */
			k->r->rc = (int)rc;
			k->r->fired = 1;
		}
	}
}

/* Take the client's answer if it came, retry what failed or took too long
 * (a put is retried with the same key and value: idempotent), and start a
 * new operation when allowed. */
static void client_step(struct gen *g, struct client *k, bool start_new)
{
	if (k->op != IDLE && k->r && k->r->fired) {
		ck_assert_int_eq(k->r->fired, 1);
		if (k->r->rc != TK_OK) {
			g->retries++;
			k->r = NULL;
		} else if (k->op == PUT) {
			k->seq++;
			k->puts++;
			k->op = IDLE;
		} else { /* the leader confirmed it leads and applied the read index */
			fx_expect_client_keys(g->c, k->store, k->id, k->seq);
			k->reads++;
			k->op = IDLE;
		}
	} else if (k->op != IDLE && k->r && ++k->age > GIVE_UP) {
		g->retries++;
		k->r = NULL;
	}
	if (k->op == IDLE && start_new) {
		k->op = rnd(g) % 2 ? PUT : READ; /* as TinyKV: half puts, half scans */
		k->r = NULL;
	}
	if (k->op != IDLE && !k->r)
		send_attempt(g, k);
}

/* One tick of every live store but the slow one's clock, which runs at
 * half speed (real clocks drift: a deposed leader may not notice it lost
 * its quorum before the others elect a new one). */
static void tick_all(struct gen *g)
{
	g->ticks++;
	for (int id = 1; id <= g->c->n; id++)
		if (g->c->s[id] && (id != g->slow || g->ticks % 3 == 0))
			rs_store_tick(g->c->s[id]);
}

static void step(struct gen *g, bool start_new)
{
	for (int i = 0; i < g->n_clients; i++)
		client_step(g, &g->cl[i], start_new);
	fx_round(g->c);
	int n = 0;
	for (int id = 1; id <= g->c->n; id++)
		n += fx_raft(g->c, id) && raft_role(fx_raft(g->c, id)) == RAFT_LEADER;
	g->two_leaders += n > 1;
	if (++g->steps % TICK_EVERY == 0)
		tick_all(g);
}

static bool all_idle(struct gen *g)
{
	for (int i = 0; i < g->n_clients; i++)
		if (g->cl[i].op != IDLE)
			return false;
	return true;
}

/* Run until every client's operation in flight is done (bounded). */
static void drain(struct gen *g)
{
	for (int i = 0; i < 3000 && !all_idle(g); i++)
		step(g, false);
	ck_assert_msg(all_idle(g), "a client's operation never completed");
}

/* A random split of the stores into two groups (one may be empty, as in
 * TinyKV's partitioner). */
static void repartition(struct gen *g)
{
	int grp[STORES + 1] = {0};
	for (int id = 1; id <= STORES; id++)
		grp[id] = (int)(rnd(g) % 2);
	fx_partition(g->c, grp);
	int l = fx_leader(g->c), with = 0;
	for (int id = 1; l && id <= STORES; id++)
		with += grp[id] == grp[l];
	g->leader_cut += l && with <= STORES / 2;
}

static void delete_ok(struct fx *c, const char *k)
{
	for (int tries = 0; tries < 100; tries++) {
		int l = fx_await_leader(c);
		struct fx_result r;
		fx_propose(c, l, RS_CMD_DELETE, k, NULL, &r);
		fx_settle(c);
		if (r.rc == TK_OK)
			return;
		fx_tick(c, 2);
	}
	ck_abort_msg("delete %s never succeeded", k);
}

/* Every client reads its keys back through the leader (retried until a
 * read is served). */
static void read_back(struct gen *g)
{
	for (int i = 0; i < g->n_clients; i++)
		g->cl[i].op = READ;
	drain(g);
}

static void generic(int n_clients, uint64_t seed, unsigned flags)
{
	struct gen g;
	memset(&g, 0, sizeof g);
	g.c = fx_new(STORES, seed);
	/* A kill here loses nothing a store wrote, synced or not: skip the
	 * fsyncs (they were most of the run time). */
	g.c->no_sync = true;
	for (int id = 1; id <= STORES; id++) {
		fx_kill(g.c, id);
		fx_start(g.c, id);
	}
	g.rng = seed * 7919 + 17;
	g.flags = flags;
	g.n_clients = n_clients;
	for (int i = 0; i < n_clients; i++)
		g.cl[i].id = i;
	fx_await_leader(g.c);
	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < n_clients; i++)
			g.cl[i].seq = g.cl[i].puts = g.cl[i].reads = 0;
		uint64_t dropped = g.c->dropped, delayed = g.c->delayed;
		int next_chaos = CHAOS_AFTER;
		for (int s = 0; s < ROUND_STEPS; s++) {
			if (s == next_chaos) {
				next_chaos += CHAOS_PERIOD + (int)(rnd(&g) % CHAOS_JITTER);
				if (flags & PARTITIONS)
					repartition(&g);
				if (flags & UNRELIABLE) {
					g.c->drop_pct = DROP_PCT;
					g.c->delay_pct = DELAY_PCT;
				}
				/* often the leader's: its old reign then overlaps the
				 * next one's when it is cut off */
				g.slow = rnd(&g) % 2 && fx_leader(g.c)
				             ? fx_leader(g.c)
				             : (int)(rnd(&g) % STORES) + 1;
			}
			step(&g, true);
		}
		/* the clients stop; the network heals; what is in flight ends */
		fx_partition(g.c, NULL);
		g.c->drop_pct = g.c->delay_pct = 0;
		g.slow = 0;
		drain(&g);
		/* the chaos did something: messages lost or late */
		if (flags & UNRELIABLE) {
			ck_assert_uint_gt(g.c->dropped, dropped);
			ck_assert_uint_gt(g.c->delayed, delayed);
		}
		if (flags & CRASH) {
			for (int id = 1; id <= STORES; id++)
				fx_kill(g.c, id);
			for (int id = 1; id <= STORES; id++)
				fx_start(g.c, id);
		}
		read_back(&g);
		for (int i = 0; i < n_clients; i++) {
			struct client *k = &g.cl[i];
			/* whatever the chaos, every client got work done */
			ck_assert_msg(k->puts >= 1 && k->reads >= 1,
			              "seed %llu round %d client %d: %d puts, %d reads",
			              (unsigned long long)seed, round, i, k->puts, k->reads);
			if (round == ROUNDS - 1)
				continue;
			char key[32];
			for (int j = 0; j < k->seq; j++) {
				snprintf(key, sizeof key, "c%d-%05d", k->id, j);
				delete_ok(g.c, key);
			}
			k->seq = 0; /* and the deletes are seen */
		}
		if (round < ROUNDS - 1)
			read_back(&g);
	}
	if (flags & PARTITIONS) /* leaders were cut off, now and then */
		ck_assert_int_ge(g.leader_cut, ROUNDS);
	/* the last round's keys, on every store */
	fx_converge(g.c);
	for (int i = 0; i < n_clients; i++)
		for (int id = 1; id <= STORES; id++)
			fx_expect_client_keys(g.c, id, i, g.cl[i].seq);
	if (getenv("FX_VERBOSE"))
		fprintf(stderr,
		        "seed %llu flags %u: %ld steps, %zu attempts, %ld retried, %llu dropped, "
		        "%llu late, term %llu, %ld steps with two leaders\n",
		        (unsigned long long)seed, flags, g.steps, g.n_att, g.retries,
		        (unsigned long long)g.c->dropped, (unsigned long long)g.c->delayed,
		        (unsigned long long)top_term(g.c), g.two_leaders);
	fx_free(g.c); /* answers the attempts still pending */
	for (size_t i = 0; i < g.n_att; i++)
		free(g.att[i]);
	free(g.att);
}

START_TEST(test_basic_one_client_reads_back_its_keys_in_order)
{
	for (uint64_t seed = 1; seed < 4; seed++)
		generic(1, seed, 0);
}
END_TEST

START_TEST(test_concurrent_five_clients_read_back_their_keys_in_order)
{
	for (uint64_t seed = 11; seed < 14; seed++)
		generic(5, seed, 0);
}
END_TEST

START_TEST(test_unreliable_one_client_reads_back_its_keys_in_order)
{
	for (uint64_t seed = 21; seed < 25; seed++)
		generic(1, seed, UNRELIABLE);
}
END_TEST

START_TEST(test_unreliable_five_clients_read_back_their_keys_in_order)
{
	for (uint64_t seed = 31; seed < 35; seed++)
		generic(5, seed, UNRELIABLE);
}
END_TEST

START_TEST(test_partitions_one_client_reads_back_its_keys_in_order)
{
	for (uint64_t seed = 41; seed < 45; seed++)
		generic(1, seed, PARTITIONS);
}
END_TEST

START_TEST(test_partitions_five_clients_read_back_their_keys_in_order)
{
	for (uint64_t seed = 51; seed < 55; seed++)
		generic(5, seed, PARTITIONS);
}
END_TEST

START_TEST(test_restarts_one_client_reads_back_its_keys_in_order)
{
	for (uint64_t seed = 61; seed < 64; seed++)
		generic(1, seed, CRASH);
}
END_TEST

START_TEST(test_restarts_five_clients_read_back_their_keys_in_order)
{
	for (uint64_t seed = 71; seed < 74; seed++)
		generic(5, seed, CRASH);
}
END_TEST

START_TEST(test_restarts_unreliable_partitions_one_client_reads_back_its_keys_in_order)
{
	for (uint64_t seed = 81; seed < 85; seed++)
		generic(1, seed, CRASH | UNRELIABLE | PARTITIONS);
}
END_TEST

START_TEST(test_restarts_unreliable_partitions_five_clients_read_back_their_keys_in_order)
{
	for (uint64_t seed = 91; seed < 95; seed++)
		generic(5, seed, CRASH | UNRELIABLE | PARTITIONS);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raftstore_generic");
	TCase *tc = tcase_create("generic");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_basic_one_client_reads_back_its_keys_in_order);
	tcase_add_test(tc, test_concurrent_five_clients_read_back_their_keys_in_order);
	tcase_add_test(tc, test_unreliable_one_client_reads_back_its_keys_in_order);
	tcase_add_test(tc, test_unreliable_five_clients_read_back_their_keys_in_order);
	tcase_add_test(tc, test_partitions_one_client_reads_back_its_keys_in_order);
	tcase_add_test(tc, test_partitions_five_clients_read_back_their_keys_in_order);
	tcase_add_test(tc, test_restarts_one_client_reads_back_its_keys_in_order);
	tcase_add_test(tc, test_restarts_five_clients_read_back_their_keys_in_order);
	tcase_add_test(tc,
	               test_restarts_unreliable_partitions_one_client_reads_back_its_keys_in_order);
	tcase_add_test(
	    tc, test_restarts_unreliable_partitions_five_clients_read_back_their_keys_in_order);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
