/* Scenario tests of the leader's bookkeeping, message by message: what its
 * heartbeats say, how a rejection or an acknowledgement moves a follower's
 * progress (probe / replicate / snapshot), leadership transfer timing.  Most
 * were prompted by mutants that the other tests let survive
 * (tools/mutants-raft-report.md). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "raft/testsolo.h"

static const raft_id V3[] = {1, 2, 3};

static const struct raft_progress_status *progress(struct solo *s, raft_id id,
						    struct raft_status *st)
{
	raft_status(s->r, st);
	const struct raft_progress_status *p = progress_of(st, id);
	ck_assert_ptr_nonnull(p);
	return p;
}

static raft_index applied_of(struct raft_node *r)
{
	struct raft_status st;
	raft_status(r, &st);
	return st.applied;
}

static void ack(struct solo *s, raft_id from, raft_index index)
{
	struct raft_message m = {.type = RAFT_MSG_APPEND_RESP, .from = from,
				 .term = raft_current_term(s->r), .index = index};
	solo_step(s, m);
}

/* A heartbeat lets a follower commit up to what it is known to hold, and no
 * less: min(match, commit), also while the commit is not applied yet. */
START_TEST(test_heartbeats_carry_the_commit_bounded_by_the_match_before_it_is_applied)
{
	const raft_term terms[] = {1};
	struct solo s;
	solo_open(&s, V3, 3, terms, 1, 1, NULL);
	solo_elect(&s, V3, 3); /* term 2, entry 2 */
	ack(&s, 3, 2);
	struct raft_status st;
	raft_status(s.r, &st);
	ck_assert_uint_eq(st.commit, 2);
	ck_assert_uint_eq(st.applied, 0);
	raft_tick(s.r); /* heartbeat, before the ready that applies 1-2 */
	solo_drain(&s);
	ck_assert_uint_eq(find(&s, RAFT_MSG_HEARTBEAT, 2)->commit, 0);
	ck_assert_uint_eq(find(&s, RAFT_MSG_HEARTBEAT, 3)->commit, 2);
	solo_free(&s);
}
END_TEST

/* Heartbeats go out every heartbeat_ticks, not every tick after the first. */
START_TEST(test_heartbeats_go_out_once_per_interval)
{
	struct raft_config c;
	tn_default_config(&c);
	c.heartbeat_ticks = 3;
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, &c);
	solo_elect(&s, V3, 3);
	for (int round = 0; round < 3; round++) {
		tick_n(s.r, 2);
		solo_drain(&s);
		ck_assert_uint_eq(sent(&s, RAFT_MSG_HEARTBEAT, 2), 0);
		tick_n(s.r, 1);
		solo_drain(&s);
		ck_assert_uint_eq(sent(&s, RAFT_MSG_HEARTBEAT, 2), 1);
	}
	solo_free(&s);
}
END_TEST

/* Without CheckQuorum a leader never steps down on its own. */
START_TEST(test_without_check_quorum_a_leader_that_hears_nothing_stays)
{
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, NULL);
	solo_elect(&s, V3, 3);
	tick_n(s.r, 5 * 10);
	ck_assert_int_eq(raft_role(s.r), RAFT_LEADER);
	solo_free(&s);
}
END_TEST

/* A rejection moves the probe to the follower's hint (§5.3 fast
 * backtracking): to the hint itself when the follower knows no term there
 * (lt 0), else to the last index of ours whose term is <= lt. */
START_TEST(test_a_rejected_probe_resumes_at_the_followers_hint)
{
	const raft_term terms[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	for (int known = 0; known <= 2; known++) {
		struct solo s;
		solo_open(&s, V3, 3, terms, 10, 1, NULL);
		solo_elect(&s, V3, 3); /* term 2, entry 11; probes at 10 */
		ck_assert_uint_eq(find(&s, RAFT_MSG_APPEND, 2)->index, 10);
		/* known 2: the hint is the rejected index itself (no term) */
		struct raft_message rj = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .term = 2,
					  .index = 10, .reject = true,
					  .reject_hint = known == 2 ? 10 : 7,
					  .log_term = known == 1 ? 1 : 0};
		solo_step(&s, rj);
		solo_drain(&s);
		ck_assert_uint_eq(sent(&s, RAFT_MSG_APPEND, 2), 1);
		ck_assert_uint_eq(find(&s, RAFT_MSG_APPEND, 2)->index, known == 2 ? 9 : 7);
		struct raft_status st;
		ck_assert_uint_eq(progress(&s, 2, &st)->state, RAFT_PROGRESS_PROBE);
		solo_free(&s);
	}
}
END_TEST

/* Leader 1 (term 2) of a log of 10 entries of term 1 (entry 11 its own),
 * follower 2 replicating with match 5 and then back to probe (reported
 * unreachable): the next probe is at 5. */
static void leader_probing_from_5(struct solo *s)
{
	const raft_term terms[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	solo_open(s, V3, 3, terms, 10, 1, NULL);
	solo_elect(s, V3, 3);
	ack(s, 2, 5); /* stale, but below the probe: match 5 */
	solo_drain(s);
	raft_report_unreachable(s->r, 2);
	struct raft_status st;
	const struct raft_progress_status *p = progress(s, 2, &st);
	ck_assert_uint_eq(p->state, RAFT_PROGRESS_PROBE);
	ck_assert_uint_eq(p->match, 5);
	ck_assert_uint_eq(p->next, 6);
}

/* A probe acknowledged below its index: the leader replicates from right
 * after the ack (the entries in between were never acknowledged). */
START_TEST(test_an_ack_below_the_probe_resumes_right_after_it)
{
	const raft_term terms[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	struct solo s;
	solo_open(&s, V3, 3, terms, 10, 1, NULL);
	solo_elect(&s, V3, 3); /* probe at 10 */
	ack(&s, 2, 5);
	solo_drain(&s);
	struct raft_status st;
	const struct raft_progress_status *p = progress(&s, 2, &st);
	ck_assert_uint_eq(p->state, RAFT_PROGRESS_REPLICATE);
	ck_assert_uint_eq(p->match, 5);
	ck_assert_uint_eq(find(&s, RAFT_MSG_APPEND, 2)->index, 5);
	ck_assert_uint_eq(find(&s, RAFT_MSG_APPEND, 2)->n_entries, 6);
	solo_free(&s);
}
END_TEST

/* In probe state a repeated ack (match unchanged) is no news: still probe. */
START_TEST(test_a_repeated_ack_in_probe_state_changes_nothing)
{
	struct solo s;
	leader_probing_from_5(&s);
	ack(&s, 2, 5);
	solo_drain(&s);
	struct raft_status st;
	ck_assert_uint_eq(progress(&s, 2, &st)->state, RAFT_PROGRESS_PROBE);
	solo_free(&s);
}
END_TEST

/* A rejection never moves the probe below match + 1 (what the follower
 * acknowledged stays acknowledged). */
START_TEST(test_a_rejection_never_moves_the_probe_below_the_match)
{
	struct solo s;
	leader_probing_from_5(&s);
	struct raft_message rj = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .term = 2, .index = 5,
				  .reject = true, .reject_hint = 4, .log_term = 0};
	solo_step(&s, rj);
	solo_drain(&s);
	struct raft_status st;
	ck_assert_uint_eq(progress(&s, 2, &st)->next, 6);
	solo_free(&s);
}
END_TEST

/* In replicate state a rejection of an index the follower acknowledged
 * (<= match) is stale: nothing changes. */
START_TEST(test_a_rejection_at_the_match_in_replicate_state_is_stale)
{
	const raft_term terms[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	struct solo s;
	solo_open(&s, V3, 3, terms, 10, 1, NULL);
	solo_elect(&s, V3, 3);
	ack(&s, 2, 5);
	solo_drain(&s);
	struct raft_message rj = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .term = 2, .index = 5,
				  .reject = true, .reject_hint = 5, .log_term = 1};
	solo_step(&s, rj);
	solo_drain(&s);
	struct raft_status st;
	const struct raft_progress_status *p = progress(&s, 2, &st);
	ck_assert_uint_eq(p->state, RAFT_PROGRESS_REPLICATE);
	ck_assert_uint_eq(p->next, 12);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_APPEND, 2), 0);
	solo_free(&s);
}
END_TEST

/* An acknowledgement in replicate state frees the window up to it and
 * keeps the rest in flight: nothing is sent again. */
START_TEST(test_an_ack_in_replicate_state_keeps_later_appends_in_flight)
{
	const raft_term terms[] = {1};
	struct solo s;
	solo_open(&s, V3, 3, terms, 1, 1, NULL);
	solo_elect(&s, V3, 3); /* term 2, entry 2 */
	ack(&s, 2, 2);
	ck_assert_int_eq(raft_propose_one(s.r, "a", 1), TK_OK);
	ck_assert_int_eq(raft_propose_one(s.r, "b", 1), TK_OK);
	ck_assert_int_eq(raft_propose_one(s.r, "c", 1), TK_OK);
	solo_drain(&s);
	struct raft_status st;
	ck_assert_uint_eq(progress(&s, 2, &st)->inflight, 3);
	ack(&s, 2, 3);
	solo_drain(&s);
	const struct raft_progress_status *p = progress(&s, 2, &st);
	ck_assert_uint_eq(p->state, RAFT_PROGRESS_REPLICATE);
	ck_assert_uint_eq(p->inflight, 2);
	ck_assert_uint_eq(p->next, 6);
	for (size_t i = 0; i < s.n; i++)
		if (s.out[i].type == RAFT_MSG_APPEND && s.out[i].to == 2)
			ck_assert_uint_eq(s.out[i].n_entries, 0);
	solo_free(&s);
}
END_TEST

/* A follower in snapshot state leaves it only on an acknowledgement of the
 * snapshot's index (or later): an ack of an earlier index is stale. */
/* Leader 1 (term 2) of a log compacted up to 10, entry 11 of its term, and
 * follower 2, whose log matches at 3 at best, in snapshot state. */
static void leader_sending_a_snapshot(struct solo *s)
{
	const raft_term terms[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	solo_open(s, V3, 3, terms, 10, 1, NULL);
	struct raft_conf_state cs = {.n_voters = 3, .voters = {1, 2, 3}};
	ck_assert_int_eq(raft_memstore_create_snapshot(s->ms, 10, &cs, "s", 1), TK_OK);
	ck_assert_int_eq(raft_memstore_compact(s->ms, 10), TK_OK);
	raft_node_free(s->r);
	s->r = tn_lone(1, V3, 3, s->ms, NULL);
	solo_elect(s, V3, 3);
	struct raft_message rj = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .term = 2, .index = 10,
				  .reject = true, .reject_hint = 3, .log_term = 1};
	solo_step(s, rj);
	solo_drain(s);
	ck_assert_uint_eq(sent(s, RAFT_MSG_SNAPSHOT, 2), 1);
	struct raft_status st;
	ck_assert_uint_eq(progress(s, 2, &st)->state, RAFT_PROGRESS_SNAPSHOT);
}

START_TEST(test_only_an_ack_of_the_snapshot_index_ends_snapshot_state)
{
	struct solo s;
	struct raft_status st;
	leader_sending_a_snapshot(&s);
	ack(&s, 2, 9); /* sent before the snapshot */
	solo_drain(&s);
	ck_assert_uint_eq(progress(&s, 2, &st)->state, RAFT_PROGRESS_SNAPSHOT);
	ck_assert_uint_eq(progress(&s, 2, &st)->match, 9);
	/* still waiting for the one snapshot sent: no second one */
	ck_assert_uint_eq(sent(&s, RAFT_MSG_SNAPSHOT, 2), 0);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_APPEND, 2), 0);
	ack(&s, 2, 10); /* the snapshot is installed */
	solo_drain(&s);
	const struct raft_progress_status *p = progress(&s, 2, &st);
	ck_assert_uint_eq(p->state, RAFT_PROGRESS_REPLICATE);
	ck_assert_uint_eq(p->match, 10);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_APPEND, 2), 1);
	ck_assert_uint_eq(find(&s, RAFT_MSG_APPEND, 2)->index, 10);
	solo_free(&s);
}
END_TEST

/* A snapshot reported as sent resumes after it; a failed one resumes after
 * what the follower is known to hold (its match), not after the snapshot. */
START_TEST(test_after_a_snapshot_report_the_probe_resumes_where_the_follower_is)
{
	for (int c = 0; c < 4; c++) {
		bool ok = c == 0 || c == 3;
		struct solo s;
		struct raft_status st;
		leader_sending_a_snapshot(&s);
		if (c >= 2) /* stale acks: match 1 or 9, still waiting for it */
			ack(&s, 2, c == 2 ? 1 : 9);
		raft_report_snapshot(s.r, 2, ok);
		const struct raft_progress_status *p = progress(&s, 2, &st);
		ck_assert_uint_eq(p->state, RAFT_PROGRESS_PROBE);
		ck_assert(p->paused); /* until the next heartbeat answer */
		ck_assert_uint_eq(p->next, ok ? 11 : c == 2 ? 2 : 1);
		solo_free(&s);
	}
}
END_TEST

/* CheckQuorum counts a voter just added as active (it had no time to
 * answer yet): adding one right before the check does not depose a leader
 * that hears from a quorum of the old voters. */
START_TEST(test_a_voter_just_added_counts_as_active_at_the_next_quorum_check)
{
	struct raft_config c;
	tn_default_config(&c);
	c.check_quorum = true;
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, &c);
	solo_elect(&s, V3, 3);
	tick_n(s.r, c.election_ticks - 1);
	struct raft_message hr = {.type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .term = 2};
	solo_step(&s, hr);
	struct raft_conf_change cc = {.type = RAFT_CC_ADD_VOTER, .node = 4};
	raft_apply_conf_change(s.r, &cc, NULL); /* 4 voters: quorum 3 = 1, 2 and 4 */
	tick_n(s.r, 1);
	ck_assert_int_eq(raft_role(s.r), RAFT_LEADER);
	solo_free(&s);
}
END_TEST

/* A vote answer from a node outside the group is not counted (and is no
 * crash). */
START_TEST(test_a_vote_answer_from_a_non_member_is_ignored)
{
	static const raft_id v5[] = {1, 2, 3, 4, 5};
	struct solo s;
	solo_open(&s, v5, 5, NULL, 0, 1, NULL);
	raft_campaign(s.r);
	struct raft_message g = {.type = RAFT_MSG_VOTE_RESP, .from = 7, .term = 2};
	solo_step(&s, g);
	g.from = 2;
	solo_step(&s, g);
	ck_assert_int_eq(raft_role(s.r), RAFT_CANDIDATE); /* 2 of 5 */
	g.from = 3;
	solo_step(&s, g);
	ck_assert_int_eq(raft_role(s.r), RAFT_LEADER);
	solo_free(&s);
}
END_TEST

/* A heartbeat answer frees a slot of a full window only (so that a lost
 * ack cannot stall the pipeline); with room left it changes nothing. */
START_TEST(test_a_heartbeat_answer_frees_nothing_while_the_window_has_room)
{
	const raft_term terms[] = {1};
	struct solo s;
	solo_open(&s, V3, 3, terms, 1, 1, NULL);
	solo_elect(&s, V3, 3);
	ack(&s, 2, 2);
	ck_assert_int_eq(raft_propose_one(s.r, "a", 1), TK_OK);
	ck_assert_int_eq(raft_propose_one(s.r, "b", 1), TK_OK);
	solo_drain(&s);
	struct raft_message hr = {.type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .term = 2};
	solo_step(&s, hr);
	struct raft_status st;
	ck_assert_uint_eq(progress(&s, 2, &st)->inflight, 2);
	solo_free(&s);
}
END_TEST

/* ---- proposals --------------------------------------------------------- */

static enum tk_err add_voter(struct solo *s, raft_id id)
{
	struct raft_conf_change cc = {.type = RAFT_CC_ADD_VOTER, .node = id};
	return raft_propose_conf_change(s->r, &cc);
}

START_TEST(test_only_a_leader_outside_a_transfer_takes_conf_changes)
{
	const raft_term terms[] = {1};
	struct solo s;
	solo_open(&s, V3, 3, terms, 1, 1, NULL);
	ck_assert_int_eq(add_voter(&s, 4), TK_E_NOT_LEADER); /* follower */
	struct raft_message hb = {.type = RAFT_MSG_HEARTBEAT, .from = 2, .term = 2};
	solo_step(&s, hb);
	ck_assert_int_eq(add_voter(&s, 4), TK_E_NOT_LEADER); /* follower of 2 */
	ck_assert_uint_eq(raft_last_index(s.r), 1);
	solo_drain(&s);
	solo_elect(&s, V3, 3); /* term 3, entry 2 */
	ack(&s, 2, 2);
	solo_drain(&s); /* entry 2 applied */
	ck_assert_int_eq(raft_transfer_leader(s.r, 3), TK_OK);
	ck_assert_int_eq(add_voter(&s, 4), TK_E_NOT_LEADER);
	ck_assert_int_eq(raft_transfer_leader(s.r, 1), TK_OK); /* abort it */
	ck_assert_int_eq(add_voter(&s, 4), TK_OK);
	solo_free(&s);
}
END_TEST

/* §4.1: one change at a time, until the previous one is applied (committed
 * is not enough: the membership changes when the caller applies it). */
START_TEST(test_a_committed_conf_change_still_blocks_the_next_until_applied)
{
	const raft_term terms[] = {1};
	struct solo s;
	solo_open(&s, V3, 3, terms, 1, 1, NULL);
	solo_elect(&s, V3, 3);
	ack(&s, 2, 2);
	solo_drain(&s);
	ck_assert_int_eq(add_voter(&s, 4), TK_OK); /* entry 3 */
	ack(&s, 2, 3);
	struct raft_status st;
	raft_status(s.r, &st);
	ck_assert_uint_eq(st.commit, 3);
	ck_assert_uint_eq(st.applied, 2);
	ck_assert_int_eq(add_voter(&s, 5), TK_E_SERVER_IS_BUSY);
	solo_drain(&s);
	ck_assert_int_eq(add_voter(&s, 5), TK_OK);
	solo_free(&s);
}
END_TEST

/* Adding a voter that is already one is a no-op change, accepted even when
 * the group is full or alone. */
START_TEST(test_adding_a_present_voter_is_accepted_in_a_full_or_single_group)
{
	raft_id v16[RAFT_MAX_VOTERS];
	for (size_t i = 0; i < RAFT_MAX_VOTERS; i++)
		v16[i] = i + 1;
	const raft_id *groups[] = {v16, V3};
	size_t sizes[] = {RAFT_MAX_VOTERS, 1};
	for (int g = 0; g < 2; g++) {
		struct solo s;
		solo_open(&s, groups[g], sizes[g], NULL, 0, 1, NULL);
		solo_elect(&s, groups[g], sizes[g]);
		if (sizes[g] > 1) {
			for (size_t i = 1; i < sizes[g]; i++)
				ack(&s, groups[g][i], 1);
		}
		solo_drain(&s);
		ck_assert_uint_eq(applied_of(s.r), 1);
		ck_assert_int_eq(add_voter(&s, 2 - g), TK_OK);
		solo_free(&s);
	}
}
END_TEST

/* A proposal is a ready by itself (entries to persist), even when it sends
 * nothing (every follower paused) and commits nothing. */
START_TEST(test_a_proposal_alone_makes_a_ready)
{
	const raft_term terms[] = {1};
	struct solo s;
	solo_open(&s, V3, 3, terms, 1, 1, NULL);
	solo_elect(&s, V3, 3); /* probes unanswered: both followers paused */
	ck_assert(!raft_has_ready(s.r));
	ck_assert_int_eq(raft_propose_one(s.r, "x", 1), TK_OK);
	ck_assert(raft_has_ready(s.r));
	struct raft_ready rd;
	raft_ready(s.r, &rd);
	ck_assert_uint_eq(rd.n_entries, 1);
	ck_assert_uint_eq(rd.n_msgs, 0);
	ck_assert(rd.must_sync);
	raft_advance(s.r);
	solo_free(&s);
}
END_TEST

/* Applying a conf change on the leader: a new voter gets an append at once,
 * starting after the leader's last entry; a removal that completes a quorum
 * commits at once; adding the leader itself (a no-op) keeps it leading; a
 * 17th voter is never added. */
START_TEST(test_conf_changes_applied_on_the_leader_take_effect_at_once)
{
	static const raft_id v4[] = {1, 2, 3, 4};
	struct solo s;
	solo_open(&s, v4, 4, NULL, 0, 1, NULL);
	solo_elect(&s, v4, 4); /* term 2, entry 1 */
	ack(&s, 2, 1);
	solo_drain(&s);
	struct raft_status st;
	raft_status(s.r, &st);
	ck_assert_uint_eq(st.commit, 0); /* 2 of 4 */
	ck_assert_uint_eq(st.id, 1);
	struct raft_conf_change rm = {.type = RAFT_CC_REMOVE_VOTER, .node = 4};
	raft_apply_conf_change(s.r, &rm, NULL);
	raft_status(s.r, &st);
	ck_assert_uint_eq(st.commit, 1); /* 2 of 3 */
	solo_drain(&s);
	struct raft_conf_change add = {.type = RAFT_CC_ADD_VOTER, .node = 5};
	raft_apply_conf_change(s.r, &add, NULL);
	solo_drain(&s);
	const struct raft_message *a = find(&s, RAFT_MSG_APPEND, 5);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->index, 1);
	struct raft_conf_change self = {.type = RAFT_CC_ADD_VOTER, .node = 1};
	raft_apply_conf_change(s.r, &self, NULL);
	ck_assert_int_eq(raft_role(s.r), RAFT_LEADER);
	for (raft_id id = 6; id <= 20; id++) {
		struct raft_conf_change more = {.type = RAFT_CC_ADD_VOTER, .node = id};
		raft_apply_conf_change(s.r, &more, NULL);
	}
	struct raft_conf_state cs;
	raft_conf_state(s.r, &cs);
	ck_assert_uint_eq(cs.n_voters, RAFT_MAX_VOTERS);
	solo_free(&s);
}
END_TEST

/* A proposal reads the n entries it is given and nothing after them: here
 * the array ends where readable memory ends. */
START_TEST(test_a_proposal_reads_only_the_entries_it_is_given)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *mem = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	ck_assert(mem != MAP_FAILED);
	ck_assert_int_eq(mprotect(mem + page, page, PROT_NONE), 0);
	const size_t n = 3;
	struct raft_entry *ents = (struct raft_entry *)(void *)(mem + page - n * sizeof(*ents));
	memset(ents, 0, n * sizeof(*ents));
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, NULL);
	solo_elect(&s, V3, 3);
	ck_assert_int_eq(raft_propose(s.r, ents, n), TK_OK);
	ck_assert_uint_eq(raft_last_index(s.r), 1 + n);
	solo_free(&s);
	munmap(mem, 2 * page);
}
END_TEST

/* ---- reads ------------------------------------------------------------- */

static struct raft_config lease_config(void)
{
	struct raft_config c;
	tn_default_config(&c);
	c.check_quorum = true;
	c.read_only = RAFT_READ_LEASE;
	return c;
}

/* Leader 1 of term 2 with its entry committed (acked by 2), no heartbeat
 * round acknowledged yet. */
static void committed_leader(struct solo *s, const struct raft_config *c)
{
	const raft_term terms[] = {1};
	solo_open(s, V3, 3, terms, 1, 1, c);
	solo_elect(s, V3, 3);
	ack(s, 2, 2);
	solo_drain(s);
	struct raft_status st;
	raft_status(s->r, &st);
	ck_assert_uint_eq(st.commit, 2);
}

/* A lease starts with the first heartbeat round a quorum acknowledged: a
 * new leader has none. */
START_TEST(test_a_new_leader_has_no_lease_before_an_acknowledged_round)
{
	struct raft_config c = lease_config();
	struct solo s;
	committed_leader(&s, &c);
	ck_assert_int_eq(raft_read_index(s.r, "r", 1), TK_OK);
	solo_drain(&s);
	ck_assert_uint_eq(s.n_reads, 0);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_HEARTBEAT, 2), 1);
	solo_free(&s);
}
END_TEST

/* The lease rests on the round a quorum acknowledged and when it was sent;
 * after RAFT_ROUNDS (16) newer rounds that send time is forgotten, and the
 * lease with it (even if the slot now holds a recent round's time). */
START_TEST(test_a_lease_on_a_round_sixteen_rounds_old_is_gone)
{
	struct raft_config c = lease_config();
	c.election_ticks = 40; /* ticks alone keep the lease for 39 ticks */
	struct solo s;
	committed_leader(&s, &c);
	tick_n(s.r, 1); /* round 1 */
	struct raft_message hr = {.type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .term = 2,
				  .read_seq = 1};
	solo_step(&s, hr);
	solo_drain(&s);
	tick_n(s.r, 15); /* rounds 2-16: 15 newer ones */
	solo_drain(&s);
	ck_assert_int_eq(raft_read_index(s.r, "a", 1), TK_OK);
	solo_drain(&s);
	ck_assert_uint_eq(s.n_reads, 1); /* round 1 still known */
	tick_n(s.r, 1); /* round 17: round 1's slot is reused */
	solo_drain(&s);
	ck_assert_int_eq(raft_role(s.r), RAFT_LEADER);
	ck_assert_int_eq(raft_read_index(s.r, "b", 1), TK_OK);
	solo_drain(&s);
	ck_assert_uint_eq(s.n_reads, 0);
	solo_free(&s);
}
END_TEST

/* No lease reads while a transfer runs, even before the target got its
 * TIMEOUT_NOW (it may campaign any time now). */
START_TEST(test_no_lease_read_while_a_transfer_runs)
{
	struct raft_config c = lease_config();
	struct solo s;
	committed_leader(&s, &c);
	tick_n(s.r, 1);
	struct raft_message hr = {.type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .term = 2,
				  .read_seq = 1};
	solo_step(&s, hr);
	solo_drain(&s);
	ck_assert_int_eq(raft_read_index(s.r, "a", 1), TK_OK);
	solo_drain(&s);
	ck_assert_uint_eq(s.n_reads, 1); /* the lease holds */
	ck_assert_int_eq(raft_transfer_leader(s.r, 3), TK_OK); /* 3 lags: no TIMEOUT_NOW */
	solo_drain(&s);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_TIMEOUT_NOW, 3), 0);
	ck_assert_int_eq(raft_read_index(s.r, "b", 1), TK_OK);
	solo_drain(&s);
	ck_assert_uint_eq(s.n_reads, 0);
	solo_free(&s);
}
END_TEST

/* After a TIMEOUT_NOW, lease reads stop for two election timeouts: up to
 * the tick before the end, and again from the last one on. */
START_TEST(test_lease_reads_resume_exactly_two_timeouts_after_a_timeout_now)
{
	struct raft_config c = lease_config();
	struct solo s;
	committed_leader(&s, &c);
	tick_n(s.r, 1); /* tick 1 */
	ck_assert_int_eq(raft_transfer_leader(s.r, 2), TK_OK); /* 2 is up to date */
	solo_drain(&s);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_TIMEOUT_NOW, 2), 1);
	/* 2 does not take over; rounds keep being acknowledged */
	for (unsigned t = 2; t <= 2 * c.election_ticks + 1; t++) {
		raft_tick(s.r);
		solo_drain(&s);
		const struct raft_message *hb = find(&s, RAFT_MSG_HEARTBEAT, 2);
		ck_assert_ptr_nonnull(hb);
		struct raft_message hr = {.type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .term = 2,
					  .read_seq = hb->read_seq};
		solo_step(&s, hr);
		solo_drain(&s);
		if (t >= 2 * c.election_ticks) {
			ck_assert_int_eq(raft_read_index(s.r, "x", 1), TK_OK);
			solo_drain(&s);
			/* tick 20: still blocked; tick 21: the lease again */
			ck_assert_uint_eq(s.n_reads, t == 2 * c.election_ticks ? 0 : 1);
		}
	}
	ck_assert_int_eq(raft_role(s.r), RAFT_LEADER);
	solo_free(&s);
}
END_TEST

/* §6.4: a ReadIndex is confirmed by a heartbeat round sent after it came
 * in: answers to an earlier round (sent before the read) do not count, nor
 * answers naming a round never sent. */
START_TEST(test_a_read_is_confirmed_only_by_a_round_sent_after_it)
{
	struct solo s;
	committed_leader(&s, NULL);
	tick_n(s.r, 1); /* round 1, before the read */
	solo_drain(&s);
	ck_assert_int_eq(raft_read_index(s.r, "r", 1), TK_OK); /* round 2 */
	solo_drain(&s);
	ck_assert_uint_eq(find(&s, RAFT_MSG_HEARTBEAT, 2)->read_seq, 2);
	struct raft_message hr = {.type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .term = 2,
				  .read_seq = 1};
	solo_step(&s, hr);
	solo_drain(&s);
	ck_assert_uint_eq(s.n_reads, 0);
	hr.read_seq = 3; /* the next round: not sent yet */
	solo_step(&s, hr);
	hr.read_seq = 7; /* never sent */
	solo_step(&s, hr);
	solo_drain(&s);
	ck_assert_uint_eq(s.n_reads, 0);
	hr.read_seq = 2;
	solo_step(&s, hr);
	solo_drain(&s);
	ck_assert_uint_eq(s.n_reads, 1);
	solo_free(&s);
}
END_TEST

/* Safe reads never use the lease, even with CheckQuorum on. */
START_TEST(test_safe_reads_never_use_a_lease)
{
	struct raft_config c;
	tn_default_config(&c);
	c.check_quorum = true;
	struct solo s;
	committed_leader(&s, &c);
	tick_n(s.r, 1);
	struct raft_message hr = {.type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .term = 2,
				  .read_seq = 1};
	solo_step(&s, hr);
	solo_drain(&s);
	ck_assert_int_eq(raft_read_index(s.r, "r", 1), TK_OK);
	solo_drain(&s);
	ck_assert_uint_eq(s.n_reads, 0);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_HEARTBEAT, 2), 1);
	solo_free(&s);
}
END_TEST

/* Reads with and without a context, answered one after the other on the
 * leader: each answer carries its own context (or none), never one left
 * from an earlier read in a reused slot. */
START_TEST(test_reads_without_context_never_carry_an_earlier_one)
{
	struct solo s;
	committed_leader(&s, NULL);
	const char *ctx[] = {"first", "second", NULL, NULL, "fifth", NULL};
	for (size_t i = 0; i < 6; i++) {
		ck_assert_int_eq(raft_read_index(s.r, ctx[i], ctx[i] ? strlen(ctx[i]) : 0), TK_OK);
		solo_drain(&s);
		const struct raft_message *hb = find(&s, RAFT_MSG_HEARTBEAT, 2);
		ck_assert_ptr_nonnull(hb);
		struct raft_message hr = {.type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .term = 2,
					  .read_seq = hb->read_seq};
		solo_step(&s, hr);
		struct raft_ready rd;
		raft_ready(s.r, &rd);
		ck_assert_uint_eq(rd.n_reads, 1);
		if (ctx[i]) {
			ck_assert_uint_eq(rd.reads[0].context_len, strlen(ctx[i]));
			ck_assert_int_eq(memcmp(rd.reads[0].context, ctx[i], strlen(ctx[i])), 0);
		} else {
			ck_assert_uint_eq(rd.reads[0].context_len, 0);
			ck_assert_ptr_null(rd.reads[0].context);
		}
		raft_advance(s.r);
	}
	solo_free(&s);
}
END_TEST

/* §3.10: a transfer gets one election timeout from the moment it starts,
 * and the leader sends the lagging target what it misses at once. */
START_TEST(test_a_transfer_catches_the_target_up_within_a_timeout_from_its_start)
{
	const raft_term terms[] = {1};
	struct solo s;
	solo_open(&s, V3, 3, terms, 1, 1, NULL);
	solo_elect(&s, V3, 3); /* term 2, entry 2 */
	ack(&s, 2, 1);
	solo_drain(&s);
	tick_n(s.r, 5);
	solo_drain(&s);
	ck_assert_int_eq(raft_transfer_leader(s.r, 2), TK_OK);
	solo_drain(&s);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_APPEND, 2), 1);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_TIMEOUT_NOW, 2), 0);
	struct raft_status st;
	tick_n(s.r, 9);
	raft_status(s.r, &st);
	ck_assert_uint_eq(st.lead_transferee, 2);
	tick_n(s.r, 1);
	raft_status(s.r, &st);
	ck_assert_uint_eq(st.lead_transferee, 0);
	solo_free(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raft_leader");
	TCase *tc = tcase_create("leader");
	tcase_add_test(tc, test_heartbeats_carry_the_commit_bounded_by_the_match_before_it_is_applied);
	tcase_add_test(tc, test_heartbeats_go_out_once_per_interval);
	tcase_add_test(tc, test_without_check_quorum_a_leader_that_hears_nothing_stays);
	tcase_add_test(tc, test_a_rejected_probe_resumes_at_the_followers_hint);
	tcase_add_test(tc, test_an_ack_in_replicate_state_keeps_later_appends_in_flight);
	tcase_add_test(tc, test_only_an_ack_of_the_snapshot_index_ends_snapshot_state);
	tcase_add_test(tc, test_a_transfer_catches_the_target_up_within_a_timeout_from_its_start);
	tcase_add_test(tc, test_after_a_snapshot_report_the_probe_resumes_where_the_follower_is);
	tcase_add_test(tc, test_a_heartbeat_answer_frees_nothing_while_the_window_has_room);
	tcase_add_test(tc, test_a_voter_just_added_counts_as_active_at_the_next_quorum_check);
	tcase_add_test(tc, test_a_vote_answer_from_a_non_member_is_ignored);
	tcase_add_test(tc, test_an_ack_below_the_probe_resumes_right_after_it);
	tcase_add_test(tc, test_a_repeated_ack_in_probe_state_changes_nothing);
	tcase_add_test(tc, test_a_rejection_never_moves_the_probe_below_the_match);
	tcase_add_test(tc, test_a_rejection_at_the_match_in_replicate_state_is_stale);
	tcase_add_test(tc, test_a_new_leader_has_no_lease_before_an_acknowledged_round);
	tcase_add_test(tc, test_a_lease_on_a_round_sixteen_rounds_old_is_gone);
	tcase_add_test(tc, test_no_lease_read_while_a_transfer_runs);
	tcase_add_test(tc, test_reads_without_context_never_carry_an_earlier_one);
	tcase_add_test(tc, test_lease_reads_resume_exactly_two_timeouts_after_a_timeout_now);
	tcase_add_test(tc, test_a_read_is_confirmed_only_by_a_round_sent_after_it);
	tcase_add_test(tc, test_safe_reads_never_use_a_lease);
	tcase_add_test(tc, test_only_a_leader_outside_a_transfer_takes_conf_changes);
	tcase_add_test(tc, test_a_committed_conf_change_still_blocks_the_next_until_applied);
	tcase_add_test(tc, test_adding_a_present_voter_is_accepted_in_a_full_or_single_group);
	tcase_add_test(tc, test_a_proposal_reads_only_the_entries_it_is_given);
	tcase_add_test(tc, test_a_proposal_alone_makes_a_ready);
	tcase_add_test(tc, test_conf_changes_applied_on_the_leader_take_effect_at_once);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int f = srunner_ntests_failed(sr);
	srunner_free(sr);
	return f ? EXIT_FAILURE : EXIT_SUCCESS;
}
