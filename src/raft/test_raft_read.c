/* Scenario tests: ReadIndex and lease reads (§6.4), and the ready / advance
 * contract (persist, send, apply, advance; restart; status). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/testnet_check.h"

static const raft_id V3[] = {1, 2, 3};

/* ---- ReadIndex and lease reads ---- */

static const char *read_ctx(struct tnet *t, raft_id id, size_t k)
{
	return (const char *)t->nodes[id].reads[k].context;
}

START_TEST(test_read_index_on_the_leader_is_answered_after_a_heartbeat_quorum)
{
	struct tnet *t = tn_new(3, NULL);
	tn_campaign(t, 1);
	propose_n(t, 1, 2);
	tn_isolate(t, 2);
	tn_isolate(t, 3);
	ck_assert_int_eq(raft_read_index(tn_r(t, 1), "r1", 2), TK_OK);
	tn_settle(t);
	ck_assert_uint_eq(t->nodes[1].n_reads, 0);
	tn_heal(t);
	tn_tick(t, 1, 1);
	ck_assert_uint_eq(t->nodes[1].n_reads, 1);
	ck_assert_uint_eq(t->nodes[1].reads[0].index, 3);
	ck_assert_str_eq(read_ctx(t, 1, 0), "r1");
	tn_free(t);
}
END_TEST

START_TEST(test_read_index_from_a_follower_is_forwarded_and_answered)
{
	struct tnet *t = tn_new(3, NULL);
	tn_campaign(t, 1);
	propose_n(t, 1, 3);
	ck_assert_int_eq(raft_read_index(tn_r(t, 3), "f3", 2), TK_OK);
	tn_settle(t);
	ck_assert_uint_eq(t->nodes[3].n_reads, 1);
	ck_assert_uint_eq(t->nodes[3].reads[0].index, 4);
	ck_assert_str_eq(read_ctx(t, 3, 0), "f3");
	ck_assert_uint_eq(t->nodes[1].n_reads, 0);
	tn_free(t);
}
END_TEST

START_TEST(test_read_index_waits_until_a_new_leader_commits_in_its_term)
{
	struct tnet *t = tn_new(3, NULL);
	tn_campaign(t, 1);
	propose_n(t, 1, 2);
	t->drop_type = RAFT_MSG_APPEND;
	tn_campaign(t, 2);
	ck_assert_int_eq(raft_role(tn_r(t, 2)), RAFT_LEADER);
	raft_read_index(tn_r(t, 2), "n2", 2);
	tn_tick(t, 2, 3);
	ck_assert_uint_eq(t->nodes[2].n_reads, 0);
	t->drop_type = 0;
	tn_tick(t, 2, 2);
	ck_assert_uint_eq(t->nodes[2].n_reads, 1);
	ck_assert_uint_eq(t->nodes[2].reads[0].index, 4); /* its empty entry */
	tn_free(t);
}
END_TEST

START_TEST(test_leader_in_a_minority_never_answers_a_safe_read)
{
	struct tnet *t = tn_new(3, NULL);
	tn_campaign(t, 1);
	tn_isolate(t, 1);
	raft_read_index(tn_r(t, 1), "lost", 4);
	tn_tick(t, 1, 5);
	ck_assert_uint_eq(t->nodes[1].n_reads, 0);
	/* the others move on: a newer write and a read there see it */
	tn_campaign(t, 2);
	tn_propose(t, 2, "w");
	raft_read_index(tn_r(t, 3), "r", 1);
	tn_settle(t);
	ck_assert_uint_eq(t->nodes[3].n_reads, 1);
	ck_assert_uint_eq(t->nodes[3].reads[0].index, 3);
	tn_free(t);
}
END_TEST

START_TEST(test_lease_read_is_answered_without_a_heartbeat_round)
{
	struct raft_config c;
	tn_default_config(&c);
	c.check_quorum = true;
	c.read_only = RAFT_READ_LEASE;
	struct tnet *t = tn_new(3, &c);
	tn_campaign(t, 1);
	propose_n(t, 1, 1);
	tn_tick(t, 1, 1); /* a heartbeat round acknowledged by all: the lease */
	t->drop_type = RAFT_MSG_HEARTBEAT;
	raft_read_index(tn_r(t, 1), "l", 1);
	tn_settle(t);
	ck_assert_uint_eq(t->nodes[1].n_reads, 1);
	ck_assert_uint_eq(t->nodes[1].reads[0].index, 2);
	tn_free(t);
}
END_TEST

START_TEST(test_lease_read_falls_back_to_a_heartbeat_round_once_the_lease_expired)
{
	struct raft_config c;
	tn_default_config(&c);
	c.check_quorum = true;
	c.read_only = RAFT_READ_LEASE;
	struct tnet *t = tn_new(3, &c);
	tn_campaign(t, 1);
	tn_tick(t, 1, 5); /* last round acknowledged at tick 5 */
	tn_isolate(t, 1);
	tn_tick(t, 1, 8);
	/* 8 ticks later the lease still holds (election timeout 10, margin 1) */
	raft_read_index(tn_r(t, 1), "in", 2);
	tn_settle(t);
	ck_assert_uint_eq(t->nodes[1].n_reads, 1);
	tn_tick(t, 1, 1);
	ck_assert_int_eq(raft_role(tn_r(t, 1)), RAFT_LEADER);
	raft_read_index(tn_r(t, 1), "late", 4);
	tn_settle(t);
	ck_assert_uint_eq(t->nodes[1].n_reads, 1);
	tn_free(t);
}
END_TEST

START_TEST(test_lease_reads_stop_once_leadership_is_handed_over)
{
	struct raft_config c;
	tn_default_config(&c);
	c.check_quorum = true;
	c.read_only = RAFT_READ_LEASE;
	struct tnet *t = tn_new(3, &c);
	tn_campaign(t, 1);
	tn_tick(t, 1, 1);
	t->drop_type = RAFT_MSG_TIMEOUT_NOW;
	raft_transfer_leader(tn_r(t, 1), 2);
	tn_settle(t);
	tn_tick(t, 1, 10); /* the transfer is aborted after an election timeout */
	ck_assert_int_eq(raft_role(tn_r(t, 1)), RAFT_LEADER);
	struct raft_status st;
	tn_status(t, 1, &st);
	ck_assert_uint_eq(st.lead_transferee, 0);
	/* no lease: the read needs a heartbeat round, which is lost */
	t->drop_type = RAFT_MSG_HEARTBEAT;
	raft_read_index(tn_r(t, 1), "x", 1);
	tn_settle(t);
	ck_assert_uint_eq(t->nodes[1].n_reads, 0);
	tn_free(t);
}
END_TEST

START_TEST(test_read_index_without_a_known_leader_fails)
{
	struct tnet *t = tn_new(3, NULL);
	ck_assert_int_eq(raft_read_index(tn_r(t, 2), "x", 1), TK_E_NOT_LEADER);
	ck_assert_int_eq(raft_transfer_leader(tn_r(t, 2), 1), TK_E_NOT_LEADER);
	tn_free(t);
}
END_TEST

START_TEST(test_single_voter_answers_reads_at_once)
{
	struct tnet *t = tn_new(1, NULL);
	tn_campaign(t, 1);
	raft_read_index(tn_r(t, 1), "s", 1);
	tn_settle(t);
	ck_assert_uint_eq(t->nodes[1].n_reads, 1);
	ck_assert_uint_eq(t->nodes[1].reads[0].index, 1);
	tn_free(t);
}
END_TEST

START_TEST(test_many_reads_are_answered_in_order)
{
	struct tnet *t = tn_new(3, NULL);
	tn_campaign(t, 1);
	char ctx[8][4];
	for (int i = 0; i < 8; i++) {
		snprintf(ctx[i], sizeof(ctx[i]), "r%d", i);
		raft_read_index(tn_r(t, 1 + (raft_id)(i % 3)), ctx[i], strlen(ctx[i]));
		if (i % 2)
			tn_propose(t, 1, "w");
	}
	tn_settle(t);
	size_t total = t->nodes[1].n_reads + t->nodes[2].n_reads + t->nodes[3].n_reads;
	ck_assert_uint_eq(total, 8);
	for (raft_id id = 1; id <= 3; id++)
		for (size_t k = 1; k < t->nodes[id].n_reads; k++)
			ck_assert_uint_ge(t->nodes[id].reads[k].index, t->nodes[id].reads[k - 1].index);
	tn_free(t);
}
END_TEST

/* ---- ready / advance ---- */

START_TEST(test_idle_node_has_no_ready)
{
	struct tnet *t = tn_new(3, NULL);
	tn_campaign(t, 1);
	tn_settle(t);
	for (raft_id i = 1; i <= 3; i++)
		ck_assert(!raft_has_ready(tn_r(t, i)));
	tn_free(t);
}
END_TEST

START_TEST(test_ready_reports_hard_and_soft_state_only_when_they_change)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_node *r = tn_lone(1, V3, 3, ms, NULL);
	ck_assert(!raft_has_ready(r));
	raft_campaign(r);
	struct raft_ready rd;
	raft_ready(r, &rd);
	ck_assert(rd.has_hard_state);
	ck_assert(rd.must_sync);
	ck_assert(rd.soft_state_changed);
	ck_assert_int_eq(rd.role, RAFT_CANDIDATE);
	ck_assert_uint_eq(rd.hard_state.term, 1);
	ck_assert_uint_eq(rd.hard_state.vote, 1);
	raft_memstore_set_hard_state(ms, &rd.hard_state);
	raft_advance(r);
	ck_assert(!raft_has_ready(r));
	struct raft_message g = {.type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 1};
	raft_step(r, &g);
	raft_ready(r, &rd);
	ck_assert(!rd.has_hard_state);
	ck_assert(rd.soft_state_changed);
	ck_assert_int_eq(rd.role, RAFT_LEADER);
	ck_assert_uint_eq(rd.n_entries, 1);
	raft_memstore_append(ms, rd.entries, rd.n_entries);
	raft_advance(r);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_committed_entries_per_ready_respect_the_byte_limit)
{
	struct raft_config c;
	tn_default_config(&c);
	c.max_committed_bytes = 30;
	struct tnet *t = tn_new(1, &c);
	tn_campaign(t, 1);
	char v[20];
	memset(v, 'q', sizeof(v));
	struct raft_entry ents[5];
	for (int i = 0; i < 5; i++)
		ents[i] = (struct raft_entry){.data = (const uint8_t *)v, .len = 20};
	raft_propose(tn_r(t, 1), ents, 5);
	struct raft_node *r = tn_r(t, 1);
	size_t readies = 0, applied = 0;
	while (raft_has_ready(r)) {
		struct raft_ready rd;
		raft_ready(r, &rd);
		raft_memstore_append(t->nodes[1].ms, rd.entries, rd.n_entries);
		if (rd.has_hard_state)
			raft_memstore_set_hard_state(t->nodes[1].ms, &rd.hard_state);
		size_t bytes = 0;
		for (size_t i = 0; i < rd.n_committed; i++)
			bytes += rd.committed[i].len;
		ck_assert(rd.n_committed <= 1 || bytes <= 30);
		applied += rd.n_committed;
		readies++;
		raft_advance(r);
	}
	ck_assert_uint_eq(applied, 5);
	ck_assert_uint_ge(readies, 5);
	tn_free(t);
}
END_TEST

START_TEST(test_restart_resumes_after_the_applied_index)
{
	struct tnet *t = tn_new(3, NULL);
	tn_campaign(t, 1);
	propose_n(t, 1, 4);
	size_t before = t->nodes[2].n_applied;
	tn_crash(t, 2);
	tn_restart(t, 2);
	tn_settle(t);
	ck_assert_uint_eq(t->nodes[2].n_applied, before);
	propose_n(t, 1, 1);
	ck_assert_uint_eq(t->nodes[2].n_applied, before + 1);
	tn_free(t);
}
END_TEST


START_TEST(test_status_reports_progress_only_on_the_leader)
{
	struct tnet *t = tn_new(3, NULL);
	tn_campaign(t, 1);
	propose_n(t, 1, 2);
	struct raft_status st;
	tn_status(t, 1, &st);
	ck_assert_uint_eq(st.n_progress, 3);
	ck_assert_uint_eq(progress_of(&st, 2)->match, 3);
	ck_assert_uint_eq(progress_of(&st, 2)->next, 4);
	ck_assert_int_eq(progress_of(&st, 2)->state, RAFT_PROGRESS_REPLICATE);
	ck_assert_uint_eq(st.commit, 3);
	ck_assert_uint_eq(st.applied, 3);
	tn_status(t, 2, &st);
	ck_assert_uint_eq(st.n_progress, 0);
	ck_assert_uint_eq(st.leader, 1);
	ck_assert_uint_eq(raft_current_term(tn_r(t, 2)), 1);
	ck_assert_uint_eq(raft_last_index(tn_r(t, 2)), 3);
	struct raft_conf_state cs;
	raft_conf_state(tn_r(t, 2), &cs);
	ck_assert_uint_eq(cs.n_voters, 3);
	tn_free(t);
}
END_TEST

START_TEST(test_restart_from_a_snapshot_keeps_commit_and_membership)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_snapshot s = {.meta = {.index = 10, .term = 3, .conf = {.n_voters = 2, .voters = {1, 2}}},
				  .data = (const uint8_t *)"x", .len = 1};
	raft_memstore_apply_snapshot(ms, &s);
	struct raft_entry e = {.index = 11, .term = 3};
	raft_memstore_append(ms, &e, 1);
	struct raft_hard_state hs = {.term = 3, .vote = 1, .commit = 11};
	raft_memstore_set_hard_state(ms, &hs);
	struct raft_config c;
	tn_default_config(&c);
	c.applied = 10;
	struct raft_node *r = tn_lone(1, NULL, 0, ms, &c);
	struct raft_status st;
	raft_status(r, &st);
	ck_assert_uint_eq(st.commit, 11);
	ck_assert_uint_eq(st.applied, 10);
	ck_assert_uint_eq(st.last_index, 11);
	struct raft_ready rd;
	raft_ready(r, &rd);
	ck_assert_uint_eq(rd.n_committed, 1);
	ck_assert_uint_eq(rd.committed[0].index, 11);
	ck_assert(!rd.has_hard_state);
	raft_advance(r);
	/* membership {1, 2}: a single grant from 2 elects 1 */
	raft_campaign(r);
	struct raft_message g = {.type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 4};
	raft_step(r, &g);
	ck_assert_int_eq(raft_role(r), RAFT_LEADER);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_corrupt_persisted_commit_is_refused_at_start)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_hard_state hs = {.term = 1, .commit = 5}; /* beyond the log */
	raft_memstore_set_hard_state(ms, &hs);
	struct raft_config c;
	tn_default_config(&c);
	c.id = 1;
	c.storage = raft_memstore_storage(ms);
	struct raft_node *r;
	ck_assert_int_eq(raft_node_new(&c, &r), TK_E_CORRUPTION);
	ck_assert_ptr_null(r);
	raft_memstore_free(ms);
}
END_TEST

static size_t trace_lines;
static void count_trace(void *arg, raft_id node, const char *line)
{
	(void)arg;
	(void)node;
	ck_assert_ptr_nonnull(line);
	trace_lines++;
}

START_TEST(test_tracer_receives_events)
{
	struct raft_tracer tr = {.trace = count_trace};
	struct raft_config c;
	tn_default_config(&c);
	c.tracer = &tr;
	trace_lines = 0;
	struct tnet *t = tn_new(3, &c);
	tn_campaign(t, 1);
	ck_assert_uint_gt(trace_lines, 5);
	tn_free(t);
}
END_TEST

/* Take every ready of r (persisting into ms) and count the answered reads;
 * last_hb_seq is the round of the last heartbeat sent. */
static uint64_t last_hb_seq;
static size_t drain_reads(struct raft_node *r, struct raft_memstore *ms)
{
	size_t n = 0;
	while (raft_has_ready(r)) {
		struct raft_ready rd;
		raft_ready(r, &rd);
		if (rd.n_entries)
			raft_memstore_append(ms, rd.entries, rd.n_entries);
		if (rd.has_hard_state)
			raft_memstore_set_hard_state(ms, &rd.hard_state);
		n += rd.n_reads;
		for (size_t i = 0; i < rd.n_msgs; i++)
			if (rd.msgs[i].type == RAFT_MSG_HEARTBEAT)
				last_hb_seq = rd.msgs[i].read_seq;
		raft_advance(r);
	}
	return n;
}

/* A read that waits for the leader's first commit of its term (§6.4) is
 * dropped when the leader steps down: the caller retries; it is never
 * answered by a later leadership of the same node. */
START_TEST(test_reads_waiting_on_a_deposed_leader_are_dropped)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_node *r = tn_lone(1, V3, 3, ms, NULL);
	raft_campaign(r);
	struct raft_message g = {.type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 1};
	ck_assert_int_eq(raft_step(r, &g), TK_OK);
	ck_assert_int_eq(raft_role(r), RAFT_LEADER);
	drain_reads(r, ms);
	ck_assert_int_eq(raft_read_index(r, "old", 3), TK_OK); /* nothing committed yet */
	ck_assert_uint_eq(drain_reads(r, ms), 0);
	struct raft_message hb = {.type = RAFT_MSG_HEARTBEAT, .from = 2, .to = 1, .term = 2};
	ck_assert_int_eq(raft_step(r, &hb), TK_OK);
	ck_assert_int_eq(raft_role(r), RAFT_FOLLOWER);
	drain_reads(r, ms);
	raft_campaign(r);
	g.term = 3;
	ck_assert_int_eq(raft_step(r, &g), TK_OK);
	ck_assert_int_eq(raft_role(r), RAFT_LEADER);
	drain_reads(r, ms);
	struct raft_message a = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .to = 1, .term = 3,
				 .index = raft_last_index(r)};
	ck_assert_int_eq(raft_step(r, &a), TK_OK);
	ck_assert_uint_eq(drain_reads(r, ms), 0);
	/* even after a heartbeat round of the new term */
	struct raft_message hr = {.type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .to = 1, .term = 3,
				  .read_seq = last_hb_seq};
	ck_assert_int_eq(raft_step(r, &hr), TK_OK);
	ck_assert_uint_eq(drain_reads(r, ms), 0);
	/* while a new read is answered */
	ck_assert_int_eq(raft_read_index(r, "new", 3), TK_OK);
	drain_reads(r, ms);
	hr.read_seq = last_hb_seq;
	ck_assert_uint_gt(last_hb_seq, 0);
	ck_assert_int_eq(raft_step(r, &hr), TK_OK);
	ck_assert_uint_eq(drain_reads(r, ms), 1);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

/* A follower forwards a read to its leader with a copy of the context, or
 * none: never the caller's own buffer (raft_send takes ownership of what a
 * message points to), even when that buffer comes with a zero length. */
START_TEST(test_a_forwarded_read_never_points_at_the_callers_buffer)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_node *r = tn_lone(1, V3, 3, ms, NULL);
	struct raft_message hb = {.type = RAFT_MSG_HEARTBEAT, .from = 2, .to = 1, .term = 1};
	ck_assert_int_eq(raft_step(r, &hb), TK_OK);
	struct raft_message out[8];
	tn_free_msgs(out, tn_drain(r, ms, out, 8));
	static uint8_t buf[4] = "ctx";
	struct raft_message m = {.type = RAFT_MSG_READ_INDEX, .from = 3, .to = 1, .term = 1,
				 .context = buf, .context_len = 0};
	ck_assert_int_eq(raft_step(r, &m), TK_OK);
	struct raft_ready rd;
	raft_ready(r, &rd);
	size_t fwd = 0;
	for (size_t i = 0; i < rd.n_msgs; i++)
		if (rd.msgs[i].type == RAFT_MSG_READ_INDEX) {
			fwd++;
			ck_assert_uint_eq(rd.msgs[i].to, 2);
			ck_assert(rd.msgs[i].context != buf);
		}
	raft_advance(r);
	ck_assert_uint_eq(fwd, 1);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raft_read");
	TCase *tc;
	tc = tcase_create("read");
	tcase_add_test(tc, test_read_index_on_the_leader_is_answered_after_a_heartbeat_quorum);
	tcase_add_test(tc, test_a_forwarded_read_never_points_at_the_callers_buffer);
	tcase_add_test(tc, test_reads_waiting_on_a_deposed_leader_are_dropped);
	tcase_add_test(tc, test_read_index_from_a_follower_is_forwarded_and_answered);
	tcase_add_test(tc, test_read_index_waits_until_a_new_leader_commits_in_its_term);
	tcase_add_test(tc, test_leader_in_a_minority_never_answers_a_safe_read);
	tcase_add_test(tc, test_lease_read_is_answered_without_a_heartbeat_round);
	tcase_add_test(tc, test_lease_read_falls_back_to_a_heartbeat_round_once_the_lease_expired);
	tcase_add_test(tc, test_lease_reads_stop_once_leadership_is_handed_over);
	tcase_add_test(tc, test_read_index_without_a_known_leader_fails);
	tcase_add_test(tc, test_single_voter_answers_reads_at_once);
	tcase_add_test(tc, test_many_reads_are_answered_in_order);
	suite_add_tcase(s, tc);
	tc = tcase_create("ready");
	tcase_add_test(tc, test_idle_node_has_no_ready);
	tcase_add_test(tc, test_ready_reports_hard_and_soft_state_only_when_they_change);
	tcase_add_test(tc, test_committed_entries_per_ready_respect_the_byte_limit);
	tcase_add_test(tc, test_restart_resumes_after_the_applied_index);
	tcase_add_test(tc, test_tracer_receives_events);
	tcase_add_test(tc, test_status_reports_progress_only_on_the_leader);
	tcase_add_test(tc, test_restart_from_a_snapshot_keeps_commit_and_membership);
	tcase_add_test(tc, test_corrupt_persisted_commit_is_refused_at_start);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int f = srunner_ntests_failed(sr);
	srunner_free(sr);
	return f ? EXIT_FAILURE : EXIT_SUCCESS;
}
