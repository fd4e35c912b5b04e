/* A randomized whole-protocol test: bank transfers by several clients whose
 * steps interleave, some of which die at any point of two-phase commit and
 * leave their locks behind.  Other clients and auditors meet those locks,
 * ask the primary (check-txn-status, expiring it after its TTL) and resolve
 * them.  Invariants: every audit at a timestamp sees the total conserved
 * (snapshot isolation, no lost update, atomic commit), and at the end, once
 * every lock is resolved, the total is still conserved and no lock is left.
 * Seeded and deterministic; a failure prints its seed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "txn/test_cmd_helpers.h"

enum { NACCT = 8, NCLIENT = 5, INITIAL = 100, TTL_MS = 20 };

struct client {
	int stage; /* 0 idle, 1 read, 2 primary prewritten, 3 both, 4 primary committed */
	uint64_t start_ts, commit_ts;
	int a, b; /* a is the primary */
	long va, vb;
};

struct sim {
	uint64_t rng;
	uint64_t phys, logical; /* the TSO */
	struct client c[NCLIENT];
	unsigned seed;
	long audits, commits, aborts, crashes, resolves, gcs;
	uint64_t last_sp;        /* newest GC safe point */
	uint64_t past_ts;        /* a past successful audit ... */
	long past_vals[NACCT];   /* ... and what it read */
};

static unsigned rnd(struct sim *s, unsigned n)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return (unsigned)((s->rng >> 33) % n);
}

static uint64_t tso(struct sim *s)
{
	return mvcc_ts_compose(s->phys, ++s->logical);
}

static char names[NACCT][8];

static struct tk_slice acct(int i)
{
	return S(names[i]);
}

static struct tk_slice num(long v)
{
	static char buf[4][32];
	static int next;
	char *b = buf[next++ % 4];
	snprintf(b, 32, "%ld", v);
	return S(b);
}

static long parse(struct tk_slice v)
{
	char b[32];
	ck_assert_uint_lt(v.n, sizeof(b));
	memcpy(b, v.p, v.n);
	b[v.n] = 0;
	return strtol(b, NULL, 10);
}

/* Resolve the lock a reader met: ask its primary, then commit or roll back
 * the whole txn.  Returns false while the lock is still alive. */
static bool resolve_met_lock(struct sim *s, const struct txn_lock_info *l)
{
	struct txn_check_status_resp st;
	ck_assert_int_eq(check_status(l->primary, l->start_ts, tso(s), &st), TK_OK);
	if (st.status == TXN_STATUS_LOCKED)
		return false;
	uint64_t cts = st.status == TXN_STATUS_COMMITTED ? st.commit_ts : 0;
	ck_assert_int_eq(resolve(l->start_ts, cts, 0, NULL), TK_OK);
	s->resolves++;
	return true;
}

/* Read account i at ts; false when blocked by a lock (resolved if dead). */
static bool read_acct(struct sim *s, int i, uint64_t ts, long *v)
{
	struct txn_get_resp r;
	enum tk_err rc = get(acct(i), ts, &r);
	if (rc == TK_E_KEY_LOCKED) {
		resolve_met_lock(s, &r.err.lock);
		return false;
	}
	ck_assert_int_eq(rc, TK_OK);
	ck_assert_msg(r.found, "seed %u: account %d vanished", s->seed, i);
	*v = parse(r.value);
	return true;
}

static void abort_txn(struct sim *s, struct client *c)
{
	enum tk_err rc = rollback(KEYS(acct(c->a), acct(c->b)), c->start_ts, NULL);
	ck_assert_msg(rc == TK_OK, "seed %u: rollback: %s", s->seed, tk_err_name(rc));
	c->stage = 0;
	s->aborts++;
}

static void step_client(struct sim *s, struct client *c)
{
	enum tk_err rc;
	if (c->stage > 0 && rnd(s, 100) < 4) {
		c->stage = 0; /* the client dies: its locks stay behind */
		s->crashes++;
		return;
	}
	switch (c->stage) {
	case 0:
		c->start_ts = tso(s);
		c->a = (int)rnd(s, NACCT);
		c->b = (c->a + 1 + (int)rnd(s, NACCT - 1)) % NACCT;
		if (read_acct(s, c->a, c->start_ts, &c->va) && read_acct(s, c->b, c->start_ts, &c->vb))
			c->stage = 1;
		break;
	case 1: {
		long amount = (long)rnd(s, 30);
		c->va -= amount;
		c->vb += amount;
		rc = prewrite_ttl(MUTS(PUT(acct(c->a), num(c->va))), acct(c->a), c->start_ts, TTL_MS,
				  NULL);
		if (rc == TK_OK)
			c->stage = 2;
		else
			abort_txn(s, c);
		break;
	}
	case 2:
		rc = prewrite_ttl(MUTS(PUT(acct(c->b), num(c->vb))), acct(c->a), c->start_ts, TTL_MS,
				  NULL);
		if (rc == TK_OK)
			c->stage = 3;
		else
			abort_txn(s, c);
		break;
	case 3:
		c->commit_ts = tso(s);
		rc = commit(KEYS(acct(c->a)), c->start_ts, c->commit_ts, NULL);
		if (rc == TK_OK) {
			c->stage = 4;
		} else {
			/* Our primary expired and someone rolled it back. */
			ck_assert_msg(rc == TK_E_TXN_ROLLED_BACK, "seed %u: commit primary: %s",
				      s->seed, tk_err_name(rc));
			abort_txn(s, c);
		}
		break;
	case 4:
		/* Once the primary is committed the txn is: the secondary
		 * commit cannot fail, even if a reader resolved it first. */
		rc = commit(KEYS(acct(c->b)), c->start_ts, c->commit_ts, NULL);
		ck_assert_msg(rc == TK_OK, "seed %u: commit secondary: %s", s->seed, tk_err_name(rc));
		c->stage = 0;
		s->commits++;
		break;
	}
}

/* Read every account at one ts, by gets and by a scan; both must agree and
 * sum to the initial total (unless a live lock blocks the audit).  A past
 * audit's ts, read again, must give exactly what it gave then (repeatable
 * reads, also across GC at safe points below it). */
static void audit(struct sim *s)
{
	uint64_t ts = tso(s);
	long sum = 0, v, vals[NACCT];
	for (int i = 0; i < NACCT; i++) {
		if (!read_acct(s, i, ts, &v))
			return;
		vals[i] = v;
		sum += v;
	}
	if (s->past_ts > s->last_sp) {
		for (int i = 0; i < NACCT; i++) {
			ck_assert_msg(read_acct(s, i, s->past_ts, &v), "seed %u: past read blocked",
				      s->seed);
			ck_assert_msg(v == s->past_vals[i], "seed %u: account %d at %llu was %ld, now %ld",
				      s->seed, i, (unsigned long long)s->past_ts, s->past_vals[i], v);
		}
	}
	if (s->past_ts <= s->last_sp || rnd(s, 4) == 0) {
		s->past_ts = ts;
		memcpy(s->past_vals, vals, sizeof(vals));
	}
	ck_assert_msg(sum == NACCT * INITIAL, "seed %u: audit at %llu sums to %ld", s->seed,
		      (unsigned long long)ts, sum);
	struct txn_scan_resp r;
	ck_assert_int_eq(scan(S("acct"), S("acct~"), 100, ts, false, &r), TK_OK);
	ck_assert_uint_eq(r.n_pairs, NACCT);
	long ssum = 0;
	for (size_t i = 0; i < r.n_pairs; i++)
		ssum += parse(r.pairs[i].value);
	ck_assert_int_eq(ssum, sum);
	s->audits++;
}

/* What a GC worker does: pick a safe point below every live snapshot,
 * resolve the locks below it (or lower it below the live ones), then GC. */
static void gc_step(struct sim *s)
{
	uint64_t sp = tso(s);
	for (int i = 0; i < NCLIENT; i++)
		if (s->c[i].stage && s->c[i].start_ts <= sp)
			sp = s->c[i].start_ts - 1;
	struct txn_scan_lock_resp sl;
	ck_assert_int_eq(scan_lock(sp, 0, &sl), TK_OK);
	for (size_t i = 0; i < sl.n_locks; i++)
		if (!resolve_met_lock(s, &sl.locks[i]) && sl.locks[i].start_ts <= sp)
			sp = sl.locks[i].start_ts - 1;
	struct txn_gc_resp g;
	ck_assert_int_eq(gc(sp, 0, NONE, &g), TK_OK);
	s->last_sp = sp;
	s->gcs++;
}

static void run_seed(unsigned seed, int steps)
{
	struct sim s = {.rng = 0x9e3779b97f4a7c15ULL ^ seed, .phys = 1000, .seed = seed};
	for (int i = 0; i < NACCT; i++)
		ts_put_committed(acct(i), mvcc_ts_compose(1, 0), mvcc_ts_compose(1, 1), num(INITIAL));
	for (int n = 0; n < steps; n++) {
		s.phys += rnd(&s, 3); /* time passes unevenly */
		unsigned what = rnd(&s, 100);
		if (what < 85) {
			step_client(&s, &s.c[rnd(&s, NCLIENT)]);
		} else if (what < 97) {
			audit(&s);
		} else {
			gc_step(&s);
		}
		tk_arena_reset(&E->arena);
	}
	/* Everyone stops; wait out every TTL and clean up what is left. */
	s.phys += 10 * TTL_MS;
	for (int round = 0; ts_count(ENG_CF_LOCK) > 0; round++) {
		ck_assert_int_lt(round, 100);
		struct txn_scan_resp r;
		scan(S("acct"), S("acct~"), 100, tso(&s), true, &r);
		for (size_t i = 0; i < r.n_pairs; i++)
			if (r.pairs[i].err.code == TK_E_KEY_LOCKED)
				ck_assert(resolve_met_lock(&s, &r.pairs[i].err.lock));
		tk_arena_reset(&E->arena);
	}
	audit(&s);
	ck_assert_msg(s.commits > 0 && s.audits > 0, "seed %u: nothing happened", seed);
}

START_TEST(test_random_transfers_with_crashes_conserve_the_total)
{
	for (int i = 0; i < NACCT; i++)
		snprintf(names[i], sizeof(names[i]), "acct%d", i);
	unsigned seed = 1000 + (unsigned)_i;
	run_seed(seed, 3000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("txn_model");
	TCase *tc = tcase_create("bank");
	tcase_add_checked_fixture(tc, ts_setup, ts_teardown);
	tcase_add_loop_test(tc, test_random_transfers_with_crashes_conserve_the_total, 0, 16);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
