/* Operators and the controller: steps finished by heartbeats, the current
 * step carried by responses, timeouts, obsolete epochs, one per region. */
#include <check.h>
#include <stdlib.h>

#include "scheduler/test_fixture.h"

struct ended {
	int n;
	enum op_status last;
	uint64_t region;
};

static void on_end(void *arg, const struct operator *op)
{
	struct ended *e = arg;
	e->n++;
	e->last = op->status;
	e->region = op->region_id;
}

/* Region 7 on stores 1, 2, 3 led by 1; operator: move the peer on 1 to 4. */
static void move_op(struct fxr *r, struct operator *op, uint64_t now)
{
	fxr_init(r, 7, "a", "b", 5, 3);
	fxr_peer(r, 71, 1);
	fxr_peer(r, 72, 2);
	fxr_peer(r, 73, 3);
	fxr_leader(r, 1);
	op_init(op, fxr_get(r), OP_KIND_BALANCE_REGION, now, 60000, "move 1->4");
	ck_assert(op_add_step(op, OP_STEP_ADD_PEER, 4, 74));
	ck_assert(op_add_step(op, OP_STEP_TRANSFER_LEADER, 4, 74));
	ck_assert(op_add_step(op, OP_STEP_REMOVE_PEER, 1, 71));
}

/* A controller running move_op on region 7 since t = 1000. */
struct started {
	struct ended e;
	struct opctl *oc;
	struct fxr r;
	struct operator op;
};

static void start(struct started *t)
{
	t->e = (struct ended){0, OP_RUNNING, 0};
	t->oc = opctl_new(on_end, &t->e);
	move_op(&t->r, &t->op, 1000);
	struct tk_errbuf eb;
	ck_assert_int_eq(opctl_add(t->oc, &t->op, &eb), TK_OK);
}

START_TEST(test_operator_steps_are_sent_until_heartbeats_show_them_done)
{
	struct started t;
	start(&t);
	ck_assert_uint_eq(opctl_count(t.oc, OP_KIND_BALANCE_REGION), 1);
	struct op_step st;
	/* Created: the first heartbeat carries add-peer. */
	ck_assert(opctl_region_heartbeat(t.oc, fxr_get(&t.r), 1001, &st));
	ck_assert_int_eq(st.kind, OP_STEP_ADD_PEER);
	ck_assert_uint_eq(st.store_id, 4);
	ck_assert_uint_eq(st.peer_id, 74);
	/* Peer added but still pending (catching up): not done yet. */
	fxr_peer(&t.r, 74, 4);
	fxr_pending(&t.r, 4);
	t.r.r.epoch.conf_ver++;
	ck_assert(opctl_region_heartbeat(t.oc, fxr_get(&t.r), 1002, &st));
	ck_assert_int_eq(st.kind, OP_STEP_ADD_PEER);
	/* Caught up: the next step is the leader transfer, with the peer id. */
	t.r.r.n_pending = 0;
	ck_assert(opctl_region_heartbeat(t.oc, fxr_get(&t.r), 1003, &st));
	ck_assert_int_eq(st.kind, OP_STEP_TRANSFER_LEADER);
	ck_assert_uint_eq(st.store_id, 4);
	ck_assert_uint_eq(st.peer_id, 74);
	fxr_leader(&t.r, 4);
	ck_assert(opctl_region_heartbeat(t.oc, fxr_get(&t.r), 1004, &st));
	ck_assert_int_eq(st.kind, OP_STEP_REMOVE_PEER);
	ck_assert_uint_eq(st.store_id, 1);
	ck_assert_uint_eq(opctl_get(t.oc, 7)->cur, 2);
	/* Removed: finished, nothing more to send, operator gone. */
	fxr_remove_store(&t.r, 1);
	t.r.r.epoch.conf_ver++;
	ck_assert(!opctl_region_heartbeat(t.oc, fxr_get(&t.r), 1005, &st));
	ck_assert_int_eq(t.e.n, 1);
	ck_assert_int_eq(t.e.last, OP_FINISHED);
	ck_assert_ptr_null(opctl_get(t.oc, 7));
	ck_assert_uint_eq(opctl_count(t.oc, OP_KIND_BALANCE_REGION), 0);
	opctl_free(t.oc);
}
END_TEST

START_TEST(test_a_heartbeat_may_finish_several_steps_at_once)
{
	struct started t;
	start(&t);
	fxr_peer(&t.r, 74, 4);
	fxr_leader(&t.r, 4);
	t.r.r.epoch.conf_ver++;
	struct op_step st;
	ck_assert(opctl_region_heartbeat(t.oc, fxr_get(&t.r), 1001, &st));
	ck_assert_int_eq(st.kind, OP_STEP_REMOVE_PEER);
	opctl_free(t.oc);
}
END_TEST

START_TEST(test_operator_times_out_on_heartbeat_and_on_tick)
{
	struct started t;
	start(&t);
	struct tk_errbuf eb;
	struct op_step st;
	ck_assert(opctl_region_heartbeat(t.oc, fxr_get(&t.r), 60999, &st));
	ck_assert(!opctl_region_heartbeat(t.oc, fxr_get(&t.r), 61000, &st));
	ck_assert_int_eq(t.e.last, OP_TIMEOUT);
	ck_assert_uint_eq(opctl_total(t.oc), 0);
	/* A silent region's operator is reaped by the tick. */
	ck_assert_int_eq(opctl_add(t.oc, &t.op, &eb), TK_OK);
	ck_assert_uint_eq(opctl_tick(t.oc, 30000), 0);
	ck_assert_uint_eq(opctl_tick(t.oc, 61000), 1);
	ck_assert_int_eq(t.e.n, 2);
	ck_assert_int_eq(t.e.last, OP_TIMEOUT);
	opctl_free(t.oc);
}
END_TEST

START_TEST(test_split_makes_the_operator_obsolete)
{
	struct started t;
	start(&t);
	t.r.r.epoch.version++;
	struct op_step st;
	ck_assert(!opctl_region_heartbeat(t.oc, fxr_get(&t.r), 1001, &st));
	ck_assert_int_eq(t.e.last, OP_CANCELLED);
	opctl_free(t.oc);
}
END_TEST

START_TEST(test_foreign_membership_change_makes_the_operator_obsolete)
{
	struct started t;
	start(&t);
	/* Two conf changes while our first step is current: one is not ours. */
	fxr_remove_store(&t.r, 3);
	fxr_peer(&t.r, 75, 5);
	t.r.r.epoch.conf_ver += 2;
	struct op_step st;
	ck_assert(!opctl_region_heartbeat(t.oc, fxr_get(&t.r), 1001, &st));
	ck_assert_int_eq(t.e.last, OP_CANCELLED);
	opctl_free(t.oc);
}
END_TEST

START_TEST(test_at_most_one_operator_per_region_but_admin_replaces)
{
	struct ended e = {0, OP_RUNNING, 0};
	struct opctl *oc = opctl_new(on_end, &e);
	struct fxr r;
	struct operator op, other;
	move_op(&r, &op, 1000);
	struct tk_errbuf eb;
	ck_assert_int_eq(opctl_add(oc, &op, &eb), TK_OK);
	op_init(&other, fxr_get(&r), OP_KIND_BALANCE_LEADER, 1000, 10000, "leader");
	op_add_step(&other, OP_STEP_TRANSFER_LEADER, 2, 72);
	ck_assert_int_eq(opctl_add(oc, &other, &eb), TK_E_BAD_REQUEST);
	ck_assert_uint_eq(opctl_total(oc), 1);
	other.kind = OP_KIND_ADMIN;
	ck_assert_int_eq(opctl_add(oc, &other, &eb), TK_OK);
	ck_assert_int_eq(e.last, OP_REPLACED);
	ck_assert_uint_eq(opctl_total(oc), 1);
	ck_assert_int_eq(opctl_get(oc, 7)->kind, OP_KIND_ADMIN);
	/* An admin operator is not replaced by another. */
	ck_assert_int_eq(opctl_add(oc, &other, &eb), TK_E_BAD_REQUEST);
	ck_assert(opctl_cancel(oc, 7));
	ck_assert_int_eq(e.last, OP_CANCELLED);
	ck_assert(!opctl_cancel(oc, 7));
	/* Empty operators are refused. */
	op_init(&other, fxr_get(&r), OP_KIND_ADMIN, 0, 1, NULL);
	ck_assert_int_eq(opctl_add(oc, &other, &eb), TK_E_BAD_REQUEST);
	opctl_free(oc);
}
END_TEST

START_TEST(test_controller_tracks_many_regions_independently)
{
	struct opctl *oc = opctl_new(NULL, NULL);
	struct tk_errbuf eb;
	struct fxr r[100];
	for (int i = 0; i < 100; i++) {
		fxr_init(&r[i], (uint64_t)i + 1, "a", "b", 1, 1);
		fxr_peer(&r[i], (uint64_t)i * 10 + 1, 1);
		fxr_peer(&r[i], (uint64_t)i * 10 + 2, 2);
		fxr_leader(&r[i], 1);
		struct operator op;
		op_init(&op, fxr_get(&r[i]), OP_KIND_BALANCE_LEADER, 0, 1000, NULL);
		op_add_step(&op, OP_STEP_TRANSFER_LEADER, 2, 0);
		ck_assert_int_eq(opctl_add(oc, &op, &eb), TK_OK);
	}
	/* Finish the even ones. */
	for (int i = 0; i < 100; i += 2) {
		fxr_leader(&r[i], 2);
		struct op_step st;
		ck_assert(!opctl_region_heartbeat(oc, fxr_get(&r[i]), 10, &st));
	}
	ck_assert_uint_eq(opctl_total(oc), 50);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(opctl_get(oc, (uint64_t)i + 1) != NULL, i % 2 == 1);
	for (size_t i = 0; i < opctl_total(oc); i++)
		ck_assert_uint_eq(opctl_at(oc, i)->region_id % 2, 0); /* ids of odd i */
	opctl_free(oc);
}
END_TEST

START_TEST(test_operator_description_lists_its_steps)
{
	struct fxr r;
	struct operator op;
	move_op(&r, &op, 0);
	char buf[256];
	op_format(&op, buf, sizeof(buf));
	ck_assert_str_eq(buf, "region 7 move 1->4 (balance-region) running step 0/3: "
			      "add-peer(store 4) transfer-leader(store 4) remove-peer(store 1)");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sched_operator");
	TCase *tc = tcase_create("operator");
	tcase_add_test(tc, test_operator_steps_are_sent_until_heartbeats_show_them_done);
	tcase_add_test(tc, test_a_heartbeat_may_finish_several_steps_at_once);
	tcase_add_test(tc, test_operator_times_out_on_heartbeat_and_on_tick);
	tcase_add_test(tc, test_split_makes_the_operator_obsolete);
	tcase_add_test(tc, test_foreign_membership_change_makes_the_operator_obsolete);
	tcase_add_test(tc, test_at_most_one_operator_per_region_but_admin_replaces);
	tcase_add_test(tc, test_controller_tracks_many_regions_independently);
	tcase_add_test(tc, test_operator_description_lists_its_steps);
	suite_add_tcase(s, tc);
	return fx_run(s);
}
