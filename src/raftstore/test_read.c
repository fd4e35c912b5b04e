/* Linearizable reads (ReadIndex) on the in-process cluster (fixture.h): a
 * leader serves a read only after confirming its leadership, so a deposed
 * leader cut off from the majority never serves a stale value. */
#include "test_ps_helpers.h" /* first: it sets _GNU_SOURCE */

#include <check.h>
#include <limits.h>

#include "raftstore/cmd.h"
#include "raftstore/fixture.h"

struct read_result {
	int rc;
	int fired;
};

static void on_read(void *arg, enum tk_err rc)
{
	struct read_result *r = arg;
	r->rc = (int)rc;
	r->fired++;
}

static void put(struct fx *c, int id, const char *k, const char *v)
{
	struct fx_result r;
	fx_propose(c, id, RS_CMD_PUT, k, v, &r);
	fx_settle(c);
	ck_assert_int_eq(r.fired, 1);
	ck_assert_msg(r.rc == TK_OK, "put %s: %s", k, tk_err_name((enum tk_err)r.rc));
}

static void read_on(struct fx *c, int id, struct read_result *r)
{
	r->rc = INT_MIN;
	r->fired = 0;
	ck_assert_int_eq(rs_store_read(c->s[id], FX_RID, on_read, r), TK_OK);
}

START_TEST(test_a_leader_serves_reads_after_confirming_its_leadership_in_one_round)
{
	struct fx *c = fx_new(3, 11);
	fx_campaign(c, 1);
	ck_assert_int_eq(fx_leader(c), 1);
	put(c, 1, "k", "v1");
	struct read_result r[10];
	for (int i = 0; i < 10; i++)
		read_on(c, 1, &r[i]);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(r[i].fired, 0); /* nothing before the round */
	fx_settle(c);
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(r[i].fired, 1);
		ck_assert_int_eq(r[i].rc, TK_OK);
	}
	char v[16];
	ck_assert(fx_get(c, 1, "k", v, sizeof v));
	ck_assert_str_eq(v, "v1");
	/* a follower refuses at once */
	ck_assert_int_eq(rs_store_read(c->s[2], FX_RID, on_read, &r[0]), TK_E_NOT_LEADER);
	fx_free(c);
}
END_TEST

START_TEST(test_a_deposed_leader_cut_off_from_the_majority_never_serves_a_read)
{
	struct fx *c = fx_new(3, 12);
	fx_campaign(c, 1);
	put(c, 1, "k", "old");
	/* cut the leader off; the majority elects store 2 and writes */
	int groups[] = {0, 1, 2, 2};
	fx_partition(c, groups);
	struct read_result stale;
	read_on(c, 1, &stale); /* store 1 still believes it leads */
	int nl = 0; /* the majority's new leader, once store 1's lease ran out */
	for (int i = 0; i < 300 && !nl; i++) {
		fx_tick(c, 1);
		for (int id = 2; id <= 3; id++)
			if (raft_role(fx_raft(c, id)) == RAFT_LEADER)
				nl = id;
	}
	ck_assert_msg(nl, "the majority elected no leader");
	put(c, nl, "k", "new");
	for (int i = 0; i < 5; i++)
		fx_tick(c, 1);
	ck_assert_msg(stale.fired == 0 || stale.rc != TK_OK,
	              "the cut-off leader served a read while another leader wrote");
	char v[16];
	ck_assert(fx_get(c, 1, "k", v, sizeof v));
	ck_assert_str_eq(v, "old"); /* what it would have served */
	/* healed: the old leader learns the new term and fails the read */
	fx_partition(c, NULL);
	for (int i = 0; i < 30 && stale.fired == 0; i++)
		fx_tick(c, 1);
	ck_assert_int_eq(stale.fired, 1);
	ck_assert_int_eq(stale.rc, TK_E_NOT_LEADER);
	/* the new leader reads the new value */
	struct read_result fresh;
	read_on(c, nl, &fresh);
	fx_settle(c);
	ck_assert_int_eq(fresh.fired, 1);
	ck_assert_int_eq(fresh.rc, TK_OK);
	ck_assert(fx_get(c, nl, "k", v, sizeof v));
	ck_assert_str_eq(v, "new");
	fx_free(c);
}
END_TEST

START_TEST(test_reads_still_queued_when_a_store_stops_are_told_so)
{
	struct fx *c = fx_new(1, 13);
	fx_campaign(c, 1);
	struct read_result r;
	read_on(c, 1, &r);
	fx_kill(c, 1); /* before any pass */
	ck_assert_int_eq(r.fired, 1);
	ck_assert_int_eq(r.rc, TK_E_SHUTTING_DOWN);
	fx_start(c, 1);
	fx_campaign(c, 1);
	read_on(c, 1, &r);
	fx_settle(c);
	ck_assert_int_eq(r.fired, 1);
	ck_assert_int_eq(r.rc, TK_OK); /* a sole voter confirms alone */
	fx_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raftstore_read");
	TCase *tc = tcase_create("read");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_a_leader_serves_reads_after_confirming_its_leadership_in_one_round);
	tcase_add_test(tc, test_a_deposed_leader_cut_off_from_the_majority_never_serves_a_read);
	tcase_add_test(tc, test_reads_still_queued_when_a_store_stops_are_told_so);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
