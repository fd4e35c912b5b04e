/* Scenario tests of the receiving side, message by message: heartbeats and
 * snapshots at the edges of the follower's log, and what it reports of an
 * installed snapshot.  Prompted by mutants that the other tests let survive
 * (tools/mutants-raft-report.md). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "raft/testsolo.h"

static const raft_id V3[] = {1, 2, 3};

/* A heartbeat never makes a follower commit past its own last entry, even
 * one naming the next index (bad input is never a crash). */
START_TEST(test_a_heartbeat_commit_past_the_log_commits_only_the_log)
{
	const raft_term terms[] = {1, 1};
	struct solo s;
	solo_open(&s, V3, 3, terms, 2, 1, NULL);
	for (raft_index c = 3; c <= 4; c++) {
		struct raft_message hb = {.type = RAFT_MSG_HEARTBEAT, .from = 2, .term = 1,
					  .commit = c};
		solo_step(&s, hb);
		struct raft_status st;
		raft_status(s.r, &st);
		ck_assert_uint_eq(st.commit, 2);
	}
	solo_free(&s);
}
END_TEST

/* A snapshot right after the follower's commit is installed (it holds an
 * entry the follower has not committed, maybe not even got). */
START_TEST(test_a_snapshot_of_the_index_after_the_commit_is_installed)
{
	const raft_term terms[] = {1};
	struct solo s;
	solo_open(&s, V3, 3, terms, 1, 1, NULL);
	struct raft_message hb = {.type = RAFT_MSG_HEARTBEAT, .from = 2, .term = 1, .commit = 1};
	solo_step(&s, hb);
	solo_drain(&s);
	struct raft_snapshot snap = {.meta = {.index = 2, .term = 1,
					      .conf = {.n_voters = 3, .voters = {1, 2, 3}}}};
	struct raft_message m = {.type = RAFT_MSG_SNAPSHOT, .from = 2, .term = 1, .snapshot = &snap};
	solo_step(&s, m);
	solo_drain(&s);
	ck_assert_uint_eq(raft_last_index(s.r), 2);
	ck_assert_uint_eq(find(&s, RAFT_MSG_APPEND_RESP, 2)->index, 2);
	struct raft_status st;
	raft_status(s.r, &st);
	ck_assert_uint_eq(st.commit, 2);
	ck_assert_uint_eq(st.applied, 2); /* the snapshot is applied */
	solo_free(&s);
}
END_TEST

/* A heartbeat or a snapshot of the current term tells the follower who
 * leads (here it voted in that term and knew no leader yet). */
START_TEST(test_a_heartbeat_or_snapshot_of_the_term_names_the_leader)
{
	for (int snap = 0; snap <= 1; snap++) {
		struct solo s;
		solo_open(&s, V3, 3, NULL, 0, 1, NULL);
		struct raft_message v = {.type = RAFT_MSG_VOTE, .from = 2, .term = 2};
		solo_step(&s, v);
		ck_assert_uint_eq(raft_leader(s.r), 0);
		struct raft_snapshot sn = {.meta = {.index = 3, .term = 2,
						    .conf = {.n_voters = 3, .voters = {1, 2, 3}}}};
		struct raft_message m = {.type = snap ? RAFT_MSG_SNAPSHOT : RAFT_MSG_HEARTBEAT,
					 .from = 2, .term = 2, .snapshot = snap ? &sn : NULL};
		solo_step(&s, m);
		ck_assert_uint_eq(raft_leader(s.r), 2);
		solo_free(&s);
	}
}
END_TEST

/* Requests meant for the leader (READ_INDEX, TRANSFER_LEADER) reaching a
 * follower go to its leader, unless it knows none or they come from it. */
START_TEST(test_a_follower_forwards_leader_requests_only_to_another_known_leader)
{
	for (int type = RAFT_MSG_TRANSFER_LEADER; type <= RAFT_MSG_READ_INDEX; type++) {
		struct solo s;
		solo_open(&s, V3, 3, NULL, 0, 1, NULL);
		struct raft_message m = {.type = (uint8_t)type, .from = 2, .term = 1, .index = 2};
		solo_step(&s, m); /* no leader known */
		solo_drain(&s);
		ck_assert_uint_eq(s.n, 0);
		struct raft_message hb = {.type = RAFT_MSG_HEARTBEAT, .from = 3, .term = 1};
		solo_step(&s, hb);
		solo_drain(&s);
		solo_step(&s, m); /* from 2: to leader 3 */
		solo_drain(&s);
		ck_assert_uint_eq(sent(&s, (uint8_t)type, 3), 1);
		m.from = 3;
		solo_step(&s, m); /* from the leader itself: dropped */
		solo_drain(&s);
		ck_assert_uint_eq(s.n, 0);
		solo_free(&s);
	}
}
END_TEST

/* A forwarded request is the node's own message: it keeps no pointer of the
 * caller's (those fields are not part of the request; freeing the sent
 * message must not free them). */
START_TEST(test_a_forwarded_request_keeps_no_pointer_of_the_callers_message)
{
	struct raft_entry e = {.index = 1, .term = 1};
	struct raft_snapshot sn = {.meta = {.index = 1, .term = 1}};
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, NULL);
	struct raft_message hb = {.type = RAFT_MSG_HEARTBEAT, .from = 3, .term = 1};
	solo_step(&s, hb);
	solo_drain(&s);
	uint8_t ctx[3] = {'c', 't', 'x'};
	struct raft_message m = {.type = RAFT_MSG_READ_INDEX, .from = 2, .term = 1,
				 .entries = &e, .snapshot = &sn, .context = ctx, .context_len = 3};
	solo_step(&s, m);
	memset(ctx, 0, sizeof(ctx));
	struct raft_ready rd;
	raft_ready(s.r, &rd);
	ck_assert_uint_eq(rd.n_msgs, 1);
	ck_assert_ptr_null(rd.msgs[0].entries);
	ck_assert_ptr_null(rd.msgs[0].snapshot);
	ck_assert_uint_eq(rd.msgs[0].context_len, 3);
	ck_assert_ptr_nonnull(rd.msgs[0].context);
	ck_assert_int_eq(memcmp(rd.msgs[0].context, "ctx", 3), 0);
	raft_advance(s.r); /* frees the message */
	solo_free(&s);
}
END_TEST

/* A candidate that hears from the leader of its term follows it and takes
 * the append at once (§3.4): the entry and the answer. */
START_TEST(test_a_candidate_takes_an_append_of_its_term)
{
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, NULL);
	raft_campaign(s.r);
	ck_assert_int_eq(raft_role(s.r), RAFT_CANDIDATE);
	solo_drain(&s);
	struct raft_entry e = {.index = 1, .term = 2};
	struct raft_message m = {.type = RAFT_MSG_APPEND, .from = 2, .term = 2, .entries = &e,
				 .n_entries = 1, .commit = 1};
	solo_step(&s, m);
	solo_drain(&s);
	ck_assert_int_eq(raft_role(s.r), RAFT_FOLLOWER);
	ck_assert_uint_eq(raft_leader(s.r), 2);
	ck_assert_uint_eq(raft_last_index(s.r), 1);
	const struct raft_message *r = find(&s, RAFT_MSG_APPEND_RESP, 2);
	ck_assert_ptr_nonnull(r);
	ck_assert(!r->reject);
	ck_assert_uint_eq(r->index, 1);
	solo_free(&s);
}
END_TEST

/* The same for a snapshot: the candidate follows its sender in its term. */
START_TEST(test_a_candidate_takes_a_snapshot_of_its_term)
{
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, NULL);
	raft_campaign(s.r);
	solo_drain(&s);
	struct raft_snapshot sn = {.meta = {.index = 4, .term = 1,
					    .conf = {.n_voters = 3, .voters = {1, 2, 3}}}};
	struct raft_message m = {.type = RAFT_MSG_SNAPSHOT, .from = 2, .term = 2, .snapshot = &sn};
	solo_step(&s, m);
	solo_drain(&s);
	ck_assert_int_eq(raft_role(s.r), RAFT_FOLLOWER);
	ck_assert_uint_eq(raft_current_term(s.r), 2);
	ck_assert_uint_eq(raft_leader(s.r), 2);
	ck_assert_uint_eq(raft_last_index(s.r), 4);
	struct raft_hard_state hs;
	raft_memstore_hard_state(s.ms, &hs);
	ck_assert_uint_eq(hs.term, 2);
	ck_assert_uint_eq(hs.vote, 1);
	solo_free(&s);
}
END_TEST

static void two_snapshots_before_a_ready(void)
{
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, NULL);
	for (raft_index i = 5; i <= 8; i += 3) {
		struct raft_snapshot sn = {.meta = {.index = i, .term = 1,
						    .conf = {.n_voters = 3, .voters = {1, 2, 3}}},
					   .data = (const uint8_t *)"state", .len = 5};
		struct raft_message m = {.type = RAFT_MSG_SNAPSHOT, .from = 2, .term = 1,
					 .snapshot = &sn};
		solo_step(&s, m);
	}
	ck_assert_uint_eq(raft_last_index(s.r), 8);
	solo_free(&s);
}

/* A snapshot replacing one not yet handed out releases it. */
START_TEST(test_a_snapshot_replacing_an_unpersisted_one_releases_it)
{
	for (int i = 0; i < 10; i++)
		two_snapshots_before_a_ready();
	size_t before = heap_in_use();
	for (int i = 0; i < 50; i++)
		two_snapshots_before_a_ready();
	ck_assert_uint_le(heap_in_use(), before);
}
END_TEST

/* A snapshot to install must be synced before the answer goes out. */
START_TEST(test_a_ready_with_a_snapshot_must_sync)
{
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, NULL);
	struct raft_message hb = {.type = RAFT_MSG_HEARTBEAT, .from = 2, .term = 1};
	solo_step(&s, hb);
	solo_drain(&s);
	struct raft_snapshot sn = {.meta = {.index = 4, .term = 1,
					    .conf = {.n_voters = 3, .voters = {1, 2, 3}}}};
	struct raft_message m = {.type = RAFT_MSG_SNAPSHOT, .from = 2, .term = 1, .snapshot = &sn};
	solo_step(&s, m);
	struct raft_ready rd;
	raft_ready(s.r, &rd);
	ck_assert_ptr_nonnull(rd.snapshot);
	ck_assert(rd.must_sync);
	raft_advance(s.r);
	solo_free(&s);
}
END_TEST

static char last_restore[256];
static void keep_restore_line(void *arg, raft_id node, const char *line)
{
	(void)arg;
	(void)node;
	if (strstr(line, "restored snapshot"))
		snprintf(last_restore, sizeof(last_restore), "%s", line);
}

/* The trace of an installed snapshot says whether this node is a member of
 * the membership it brings (a node learning it was removed). */
START_TEST(test_the_trace_of_an_installed_snapshot_tells_membership)
{
	struct raft_tracer tr = {.trace = keep_restore_line};
	struct raft_config c;
	tn_default_config(&c);
	c.tracer = &tr;
	for (int member = 0; member <= 1; member++) {
		struct solo s;
		solo_open(&s, V3, 3, NULL, 0, 1, &c);
		struct raft_snapshot snap = {.meta = {.index = 5, .term = 1}};
		snap.meta.conf.n_voters = 2;
		snap.meta.conf.voters[0] = 2;
		snap.meta.conf.voters[1] = member ? 1 : 3;
		struct raft_message m = {.type = RAFT_MSG_SNAPSHOT, .from = 2, .term = 1,
					 .snapshot = &snap};
		last_restore[0] = 0;
		solo_step(&s, m);
		ck_assert_ptr_nonnull(strstr(last_restore, member ? "member=1" : "member=0"));
		solo_free(&s);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raft_follower");
	TCase *tc = tcase_create("follower");
	tcase_add_test(tc, test_a_heartbeat_commit_past_the_log_commits_only_the_log);
	tcase_add_test(tc, test_a_snapshot_of_the_index_after_the_commit_is_installed);
	tcase_add_test(tc, test_the_trace_of_an_installed_snapshot_tells_membership);
	tcase_add_test(tc, test_a_heartbeat_or_snapshot_of_the_term_names_the_leader);
	tcase_add_test(tc, test_a_follower_forwards_leader_requests_only_to_another_known_leader);
	tcase_add_test(tc, test_a_forwarded_request_keeps_no_pointer_of_the_callers_message);
	tcase_add_test(tc, test_a_candidate_takes_an_append_of_its_term);
	tcase_add_test(tc, test_a_candidate_takes_a_snapshot_of_its_term);
	tcase_add_test(tc, test_a_snapshot_replacing_an_unpersisted_one_releases_it);
	tcase_add_test(tc, test_a_ready_with_a_snapshot_must_sync);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int f = srunner_ntests_failed(sr);
	srunner_free(sr);
	return f ? EXIT_FAILURE : EXIT_SUCCESS;
}
