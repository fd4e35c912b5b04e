/* Scenario tests: what a node starts from (persisted state checked at
 * start), what a role change resets (§3.3-§3.4: nothing learnt as leader of
 * an earlier term may count in a later one) and what freeing a node
 * releases.  Most were prompted by mutants that the other tests let
 * survive (tools/mutants-raft-report.md). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "raft/testsolo.h"

static const raft_id V3[] = {1, 2, 3};
static const raft_id V5[] = {1, 2, 3, 4, 5};

/* ---- start ------------------------------------------------------------ */

START_TEST(test_a_persisted_membership_of_the_largest_size_is_accepted)
{
	struct raft_memstore *ms = store_with(NULL, 0, 1);
	struct raft_conf_state cs = {.n_voters = RAFT_MAX_VOTERS};
	for (uint32_t i = 0; i < RAFT_MAX_VOTERS; i++)
		cs.voters[i] = i + 1;
	raft_memstore_set_conf(ms, &cs);
	struct raft_node *r = tn_lone(1, V3, 3, ms, NULL);
	struct raft_conf_state got;
	raft_conf_state(r, &got);
	ck_assert_uint_eq(got.n_voters, RAFT_MAX_VOTERS);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_a_persisted_commit_below_the_snapshot_is_corruption)
{
	raft_term terms[] = {1, 1, 1, 1, 1, 1};
	struct raft_memstore *ms = store_with(terms, 6, 1);
	struct raft_conf_state cs = {.n_voters = 3, .voters = {1, 2, 3}};
	ck_assert_int_eq(raft_memstore_create_snapshot(ms, 5, &cs, "s", 1), TK_OK);
	ck_assert_int_eq(raft_memstore_compact(ms, 5), TK_OK);
	/* everything up to the snapshot is committed: a hard state saying
	 * otherwise is not ours */
	struct raft_hard_state hs = {.term = 1, .commit = 3};
	raft_memstore_set_hard_state(ms, &hs);
	struct raft_config c;
	tn_default_config(&c);
	c.id = 1;
	c.voters = V3;
	c.n_voters = 3;
	c.storage = raft_memstore_storage(ms);
	struct raft_node *r;
	ck_assert_int_eq(raft_node_new(&c, &r), TK_E_CORRUPTION);
	hs.commit = 5;
	raft_memstore_set_hard_state(ms, &hs);
	ck_assert_int_eq(raft_node_new(&c, &r), TK_OK);
	struct raft_status st;
	raft_status(r, &st);
	ck_assert_uint_eq(st.commit, 5);
	ck_assert_uint_eq(st.applied, 5); /* the snapshot is the state machine's state */
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

/* With lease reads, a node that had a term before it restarted may have
 * acknowledged a leader's heartbeat just before the crash: it refuses
 * votes for one election timeout after the start (§6.4.1). */
START_TEST(test_a_restarted_lease_node_refuses_votes_for_one_election_timeout)
{
	struct raft_config c;
	tn_default_config(&c);
	c.check_quorum = true;
	c.read_only = RAFT_READ_LEASE;
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 3, &c);
	struct raft_message v = {.type = RAFT_MSG_VOTE, .from = 2, .term = 4};
	solo_step(&s, v);
	solo_drain(&s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(raft_current_term(s.r), 3);
	tick_n(s.r, c.election_ticks - 1);
	solo_step(&s, v);
	solo_drain(&s);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_VOTE_RESP, 2), 0);
	/* kept for exactly one election timeout (1 may campaign itself at
	 * that tick, so the next request is for a term after that) */
	tick_n(s.r, 1);
	v.term = 5;
	solo_step(&s, v);
	solo_drain(&s);
	const struct raft_message *resp = find(&s, RAFT_MSG_VOTE_RESP, 2);
	ck_assert_ptr_nonnull(resp);
	ck_assert(!resp->reject);
	solo_free(&s);
}
END_TEST

/* ---- role changes ------------------------------------------------------ */

START_TEST(test_candidates_and_pre_candidates_know_no_leader)
{
	for (int pre = 0; pre <= 1; pre++) {
		struct raft_config c;
		tn_default_config(&c);
		c.pre_vote = pre;
		struct tnet *t = tn_new(3, &c);
		tn_campaign(t, 1);
		ck_assert_uint_eq(raft_leader(tn_r(t, 2)), 1);
		tn_isolate(t, 2);
		/* 2 times out (or is asked to campaign) while it still knows 1 */
		tn_campaign(t, 2);
		ck_assert_int_eq(raft_role(tn_r(t, 2)),
				 pre ? RAFT_PRE_CANDIDATE : RAFT_CANDIDATE);
		ck_assert_uint_eq(raft_leader(tn_r(t, 2)), 0);
		struct raft_status st;
		tn_status(t, 2, &st);
		ck_assert_uint_eq(st.leader, 0);
		tn_free(t);
	}
}
END_TEST

/* Heartbeats are due heartbeat_ticks after a node becomes leader, whatever
 * its count stood at when it lost an earlier leadership. */
START_TEST(test_a_new_leader_counts_its_heartbeat_interval_from_zero)
{
	struct raft_config c;
	tn_default_config(&c);
	c.heartbeat_ticks = 3;
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, &c);
	solo_elect(&s, V3, 3);
	tick_n(s.r, 2);
	solo_drain(&s);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_HEARTBEAT, 2), 0);
	solo_depose(&s, 2);
	solo_elect(&s, V3, 3);
	tick_n(s.r, 2);
	solo_drain(&s);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_HEARTBEAT, 2), 0);
	tick_n(s.r, 1);
	solo_drain(&s);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_HEARTBEAT, 2), 1);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_HEARTBEAT, 3), 1);
	solo_free(&s);
}
END_TEST

/* The match index a leader learnt in an earlier term says nothing about the
 * follower's log now (a later leader may have truncated it): counting it
 * would commit an entry that only the leader holds. */
START_TEST(test_a_follower_match_of_an_earlier_term_never_counts_toward_commit)
{
	const raft_term terms[] = {1, 1, 1};
	struct solo s;
	solo_open(&s, V3, 3, terms, 3, 1, NULL);
	solo_elect(&s, V3, 3); /* term 2, its empty entry at 4 */
	/* 2 acknowledges up to 3: match 3, nothing of term 2 committed */
	struct raft_message ack = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .term = 2, .index = 3};
	solo_step(&s, ack);
	solo_drain(&s);
	struct raft_status st;
	raft_status(s.r, &st);
	ck_assert_uint_eq(st.commit, 0);
	ck_assert_uint_eq(progress_match_of(&st, 2), 3);
	/* leader 3 of term 3 replaces 1's log after index 1 */
	struct raft_entry e = {.index = 2, .term = 3};
	struct raft_message app = {.type = RAFT_MSG_APPEND, .from = 3, .term = 3, .index = 1,
				   .log_term = 1, .commit = 1, .entries = &e, .n_entries = 1};
	solo_step(&s, app);
	solo_drain(&s);
	ck_assert_uint_eq(raft_last_index(s.r), 2);
	/* 1 leads again (term 4, its entry at 3): 2 holds nothing of it yet */
	solo_elect(&s, V3, 3);
	ck_assert_uint_eq(raft_last_index(s.r), 3);
	raft_status(s.r, &st);
	ck_assert_uint_eq(progress_match_of(&st, 2), 0);
	ck_assert_uint_eq(progress_match_of(&st, 3), 0);
	ck_assert_uint_eq(st.commit, 1);
	solo_free(&s);
}
END_TEST

START_TEST(test_a_reelected_leader_sends_to_every_follower_at_once)
{
	const raft_term terms[] = {1};
	struct solo s;
	solo_open(&s, V3, 3, terms, 1, 1, NULL);
	solo_elect(&s, V3, 3);
	/* its probes are never answered */
	ck_assert_uint_eq(sent(&s, RAFT_MSG_APPEND, 2), 1);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_APPEND, 3), 1);
	solo_depose(&s, 3);
	solo_elect(&s, V3, 3);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_APPEND, 2), 1);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_APPEND, 3), 1);
	solo_free(&s);
}
END_TEST

/* CheckQuorum (§6.2): votes are no sign of life, a new leader that hears
 * from nobody steps down at the end of its first election timeout (and
 * whatever it heard as leader of an earlier term does not count). */
START_TEST(test_a_new_leader_that_hears_nothing_steps_down_after_one_timeout)
{
	struct raft_config c;
	tn_default_config(&c);
	c.check_quorum = true;
	for (int again = 0; again <= 2; again++) {
		struct solo s;
		solo_open(&s, V3, 3, NULL, 0, 1, &c);
		if (again == 2) {
			/* the campaign took a few ticks */
			raft_campaign(s.r);
			tick_n(s.r, c.election_ticks / 2);
			ck_assert_int_eq(raft_role(s.r), RAFT_CANDIDATE);
		}
		if (again == 1) {
			solo_elect(&s, V3, 3);
			struct raft_message hr = {
				.type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .term = 2};
			solo_step(&s, hr);
			solo_depose(&s, 2);
		}
		solo_elect(&s, V3, 3);
		struct raft_status st;
		raft_status(s.r, &st);
		ck_assert(!progress_of(&st, 2)->recent_active);
		ck_assert(!progress_of(&st, 3)->recent_active);
		ck_assert(progress_of(&st, 1)->recent_active);
		tick_n(s.r, c.election_ticks - 1);
		ck_assert_int_eq(raft_role(s.r), RAFT_LEADER);
		tick_n(s.r, 1);
		ck_assert_int_eq(raft_role(s.r), RAFT_FOLLOWER);
		solo_free(&s);
	}
}
END_TEST

/* A lease rests on heartbeat rounds of the current leadership only: rounds
 * acknowledged while this node led an earlier term do not make one. */
START_TEST(test_a_reelected_leader_has_no_lease_from_an_earlier_term)
{
	struct raft_config c;
	tn_default_config(&c);
	c.check_quorum = true;
	c.read_only = RAFT_READ_LEASE;
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, &c);
	solo_elect(&s, V3, 3); /* term 2, entry 1 */
	struct raft_message ack = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .term = 2, .index = 1};
	solo_step(&s, ack);
	tick_n(s.r, 1); /* heartbeat round 1 */
	struct raft_message hr = {
		.type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .term = 2, .read_seq = 1};
	solo_step(&s, hr);
	solo_drain(&s);
	/* deposed, elected again at once: term 4, entry 2 */
	solo_depose(&s, 3);
	solo_elect(&s, V3, 3);
	struct raft_message ack2 = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .term = 4, .index = 2};
	solo_step(&s, ack2);
	solo_drain(&s);
	struct raft_status st;
	raft_status(s.r, &st);
	ck_assert_uint_eq(st.commit, 2);
	ck_assert_int_eq(raft_read_index(s.r, "r", 1), TK_OK);
	solo_drain(&s);
	ck_assert_uint_eq(s.n_reads, 0); /* waits for a heartbeat round */
	ck_assert_uint_eq(sent(&s, RAFT_MSG_HEARTBEAT, 2), 1);
	solo_free(&s);
}
END_TEST

/* PreVote (§9.6): a grant counts in the round it answers; a pre-candidate
 * that times out starts a new round from its own vote only. */
START_TEST(test_a_pre_vote_grant_counts_only_in_its_own_round)
{
	struct raft_config c;
	tn_default_config(&c);
	c.pre_vote = true;
	struct solo s;
	solo_open(&s, V5, 5, NULL, 0, 1, &c);
	raft_campaign(s.r);
	solo_drain(&s);
	ck_assert_int_eq(raft_role(s.r), RAFT_PRE_CANDIDATE);
	struct raft_message g = {.type = RAFT_MSG_PREVOTE_RESP, .from = 2, .term = 2};
	solo_step(&s, g);
	ck_assert_int_eq(raft_role(s.r), RAFT_PRE_CANDIDATE);
	/* the round times out: a new one starts */
	unsigned k = 0;
	do {
		raft_tick(s.r);
		solo_drain(&s);
	} while (sent(&s, RAFT_MSG_PREVOTE, 2) == 0 && ++k < 4 * c.election_ticks);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_PREVOTE, 2), 1);
	/* and its timer restarted: the next tick starts no other round */
	raft_tick(s.r);
	solo_drain(&s);
	ck_assert_uint_eq(sent(&s, RAFT_MSG_PREVOTE, 2), 0);
	g.from = 3;
	solo_step(&s, g);
	ck_assert_int_eq(raft_role(s.r), RAFT_PRE_CANDIDATE); /* 2 of 5 */
	g.from = 4;
	solo_step(&s, g);
	ck_assert_int_eq(raft_role(s.r), RAFT_CANDIDATE);
	solo_free(&s);
}
END_TEST

/* ---- timers and votes -------------------------------------------------- */

/* Only committed entries still to be applied that include a conf change
 * keep a node from campaigning (its membership could be stale); applied
 * conf changes and normal entries do not. */
START_TEST(test_only_an_unapplied_conf_change_blocks_a_campaign)
{
	struct raft_conf_change cc = {.type = RAFT_CC_ADD_VOTER, .node = 3};
	uint8_t buf[16];
	size_t n = raft_conf_change_encode(&cc, buf, sizeof(buf));
	struct raft_entry ents[3] = {
		{.index = 1, .term = 1, .type = RAFT_ENTRY_CONF_CHANGE, .data = buf, .len = n},
		{.index = 2, .term = 1},
		{.index = 3, .term = 1}};
	struct raft_memstore *ms = raft_memstore_new();
	raft_memstore_append(ms, ents, 3);
	struct raft_hard_state hs = {.term = 1, .commit = 3};
	raft_memstore_set_hard_state(ms, &hs);
	struct raft_config c;
	tn_default_config(&c);
	c.applied = 1; /* the conf change is applied, 2 and 3 are not */
	struct raft_node *r = tn_lone(1, V3, 3, ms, &c);
	raft_campaign(r);
	ck_assert_int_eq(raft_role(r), RAFT_CANDIDATE);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

/* The same scan must look at the committed entries only: here the node's
 * scratch buffer last held [4, 5] with a conf change at 5 (sent to a
 * follower while leader), and 4 alone is committed and unapplied. */
START_TEST(test_an_uncommitted_conf_change_sent_earlier_does_not_block_a_campaign)
{
	const raft_term terms[] = {1};
	struct solo s;
	solo_open(&s, V3, 3, terms, 1, 1, NULL);
	solo_elect(&s, V3, 3); /* term 2, entry 2 */
	struct raft_message ack = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .term = 2, .index = 2};
	solo_step(&s, ack);
	solo_drain(&s);
	ck_assert_int_eq(raft_propose_one(s.r, "a", 1), TK_OK); /* 3 */
	ck_assert_int_eq(raft_propose_one(s.r, "b", 1), TK_OK); /* 4 */
	struct raft_conf_change cc = {.type = RAFT_CC_ADD_VOTER, .node = 4};
	ck_assert_int_eq(raft_propose_conf_change(s.r, &cc), TK_OK); /* 5 */
	solo_drain(&s);
	/* 3 acknowledges 3: commit 3, and 3 gets [4, 5] in one append */
	ack.from = 3;
	ack.index = 3;
	solo_step(&s, ack);
	solo_drain(&s);
	const struct raft_message *app = find(&s, RAFT_MSG_APPEND, 3);
	ck_assert_ptr_nonnull(app);
	ck_assert_uint_eq(app->n_entries, 2);
	ck_assert_int_eq(app->entries[1].type, RAFT_ENTRY_CONF_CHANGE);
	/* leader 2 of term 3 commits 4 */
	struct raft_message hb = {.type = RAFT_MSG_APPEND, .from = 2, .term = 3, .index = 5,
				  .log_term = 2, .commit = 4};
	solo_step(&s, hb);
	struct raft_status st;
	raft_status(s.r, &st);
	ck_assert_uint_eq(st.commit, 4);
	ck_assert_uint_eq(st.applied, 3);
	raft_campaign(s.r);
	ck_assert_int_eq(raft_role(s.r), RAFT_CANDIDATE);
	solo_free(&s);
}
END_TEST

/* A node that cannot campaign (here: not a voter) still counts the time
 * since it heard from its leader: once an election timeout passed it no
 * longer protects that leader from a candidate (CheckQuorum, §4.2.3). */
START_TEST(test_a_node_that_cannot_campaign_still_times_out_its_leader)
{
	static const raft_id others[] = {2, 3, 4};
	struct raft_config c;
	tn_default_config(&c);
	c.check_quorum = true;
	struct solo s;
	solo_open(&s, others, 3, NULL, 0, 0, &c);
	struct raft_message hb = {.type = RAFT_MSG_HEARTBEAT, .from = 2, .term = 2};
	solo_step(&s, hb);
	ck_assert_uint_eq(raft_leader(s.r), 2);
	/* 20 ticks: past any randomized timeout in [10, 20), and not a
	 * multiple of one, so a timer restarted at each timeout would be
	 * below 10 now */
	tick_n(s.r, 2 * c.election_ticks);
	ck_assert_int_eq(raft_role(s.r), RAFT_FOLLOWER);
	struct raft_message v = {.type = RAFT_MSG_VOTE, .from = 3, .term = 3};
	solo_step(&s, v);
	solo_drain(&s);
	const struct raft_message *resp = find(&s, RAFT_MSG_VOTE_RESP, 3);
	ck_assert_ptr_nonnull(resp);
	ck_assert(!resp->reject);
	solo_free(&s);
}
END_TEST

/* Node 1 with one entry of term 1, raised to term 2 by a candidate whose
 * log is behind (refused: no vote, no leader in term 2). */
static void open_in_term_2_without_vote(struct solo *s, const struct raft_config *c)
{
	const raft_term terms[] = {1};
	solo_open(s, V3, 3, terms, 1, 1, c);
	struct raft_message v = {.type = RAFT_MSG_VOTE, .from = 3, .term = 2};
	solo_step(s, v);
	solo_drain(s);
	ck_assert(find(s, RAFT_MSG_VOTE_RESP, 3)->reject);
}

/* §3.4: granting a vote restarts the election timer (the candidate may win
 * and needs the time to say so). */
START_TEST(test_granting_a_vote_restarts_the_election_timer)
{
	struct raft_config c;
	tn_default_config(&c);
	/* the node's randomized timeout in term 2 */
	struct solo s;
	open_in_term_2_without_vote(&s, &c);
	unsigned timeout = 0;
	while (raft_role(s.r) == RAFT_FOLLOWER && timeout < 10 * c.election_ticks) {
		raft_tick(s.r);
		timeout++;
	}
	solo_free(&s);
	ck_assert_uint_ge(timeout, c.election_ticks);
	/* the same node again (same seed, same steps): the same timeout */
	open_in_term_2_without_vote(&s, &c);
	tick_n(s.r, timeout - 1);
	struct raft_message v = {.type = RAFT_MSG_VOTE, .from = 2, .term = 2, .index = 1,
				 .log_term = 1};
	solo_step(&s, v);
	solo_drain(&s);
	ck_assert(!find(&s, RAFT_MSG_VOTE_RESP, 2)->reject);
	tick_n(s.r, c.election_ticks - 1);
	ck_assert_int_eq(raft_role(s.r), RAFT_FOLLOWER);
	solo_free(&s);
}
END_TEST

/* §3.8: a vote is persisted (hard state, synced) in the ready that sends
 * the answer, also a vote in the term the node is already in. */
START_TEST(test_a_vote_in_the_current_term_is_persisted_with_its_answer)
{
	struct solo s;
	open_in_term_2_without_vote(&s, NULL);
	struct raft_message v = {.type = RAFT_MSG_VOTE, .from = 2, .term = 2, .index = 1,
				 .log_term = 1};
	solo_step(&s, v);
	struct raft_ready rd;
	raft_ready(s.r, &rd);
	ck_assert(rd.has_hard_state);
	ck_assert_uint_eq(rd.hard_state.term, 2);
	ck_assert_uint_eq(rd.hard_state.vote, 2);
	ck_assert(rd.must_sync);
	ck_assert_uint_eq(rd.n_msgs, 1);
	raft_advance(s.r);
	solo_free(&s);
}
END_TEST

/* A higher term learnt from a stale answer (nothing to send back, no other
 * change) is still a ready: the term must be persisted. */
START_TEST(test_a_higher_term_from_an_answer_alone_makes_a_ready)
{
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, NULL);
	solo_drain(&s);
	struct raft_message r = {.type = RAFT_MSG_VOTE_RESP, .from = 2, .term = 3, .reject = true};
	solo_step(&s, r);
	ck_assert(raft_has_ready(s.r));
	struct raft_ready rd;
	raft_ready(s.r, &rd);
	ck_assert(rd.has_hard_state);
	ck_assert_uint_eq(rd.hard_state.term, 3);
	ck_assert(rd.must_sync);
	raft_advance(s.r);
	solo_free(&s);
}
END_TEST

/* A commit index moving alone is reported in the hard state but needs no
 * sync (it can be learnt again after a crash; §3.8 syncs term and vote). */
START_TEST(test_a_commit_alone_needs_no_sync)
{
	const raft_term terms[] = {1, 1};
	struct solo s;
	solo_open(&s, V3, 3, terms, 2, 1, NULL);
	struct raft_message hb = {.type = RAFT_MSG_HEARTBEAT, .from = 2, .term = 1, .commit = 1};
	solo_step(&s, hb);
	solo_drain(&s);
	hb.commit = 2;
	solo_step(&s, hb);
	struct raft_ready rd;
	raft_ready(s.r, &rd);
	ck_assert(rd.has_hard_state);
	ck_assert_uint_eq(rd.hard_state.commit, 2);
	ck_assert(!rd.must_sync);
	ck_assert(!rd.soft_state_changed);
	raft_advance(s.r);
	solo_free(&s);
}
END_TEST

/* A lost election is a ready by itself (the role changes back to
 * follower; nothing else does). */
START_TEST(test_a_lost_election_alone_makes_a_ready)
{
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, NULL);
	raft_campaign(s.r);
	solo_drain(&s);
	struct raft_message r = {.type = RAFT_MSG_VOTE_RESP, .from = 2, .term = 2, .reject = true};
	solo_step(&s, r);
	r.from = 3;
	solo_step(&s, r);
	ck_assert_int_eq(raft_role(s.r), RAFT_FOLLOWER);
	ck_assert(raft_has_ready(s.r));
	struct raft_ready rd;
	raft_ready(s.r, &rd);
	ck_assert(rd.soft_state_changed);
	ck_assert_int_eq(rd.role, RAFT_FOLLOWER);
	raft_advance(s.r);
	solo_free(&s);
}
END_TEST

/* The answers carry what proto-spec/raft.md lists for them (tm, rj), the
 * term being the voter's own when it refuses. */
START_TEST(test_vote_answers_carry_the_term_and_the_refusal_only)
{
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 5, NULL);
	struct raft_message v = {.type = RAFT_MSG_VOTE, .from = 2, .term = 6};
	solo_step(&s, v);
	v.from = 3;
	solo_step(&s, v); /* already voted for 2 in term 6 */
	solo_drain(&s);
	const struct raft_message *g = find(&s, RAFT_MSG_VOTE_RESP, 2);
	const struct raft_message *no = find(&s, RAFT_MSG_VOTE_RESP, 3);
	ck_assert(!g->reject);
	ck_assert(no->reject);
	ck_assert_uint_eq(g->term, 6);
	ck_assert_uint_eq(no->term, 6);
	ck_assert_uint_eq(g->log_term, 0);
	ck_assert_uint_eq(no->log_term, 0);
	ck_assert_uint_eq(no->index, 0);
	solo_free(&s);
}
END_TEST

/* A pre-vote for the term we are in cannot be granted while we know a
 * leader of it (only a pre-vote for a later term is free, §9.6). */
START_TEST(test_a_pre_vote_for_the_current_term_is_refused_under_a_leader)
{
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, NULL);
	struct raft_message hb = {.type = RAFT_MSG_HEARTBEAT, .from = 2, .term = 2};
	solo_step(&s, hb);
	struct raft_message pv = {.type = RAFT_MSG_PREVOTE, .from = 3, .term = 2};
	solo_step(&s, pv);
	pv.term = 3;
	pv.from = 3;
	solo_drain(&s);
	const struct raft_message *resp = find(&s, RAFT_MSG_PREVOTE_RESP, 3);
	ck_assert_ptr_nonnull(resp);
	ck_assert(resp->reject);
	solo_step(&s, pv); /* for term 3 it is free */
	solo_drain(&s);
	resp = find(&s, RAFT_MSG_PREVOTE_RESP, 3);
	ck_assert(!resp->reject);
	ck_assert_uint_eq(raft_current_term(s.r), 2);
	solo_free(&s);
}
END_TEST

/* Without lease reads a restarted node promised nothing and may vote at
 * once (CheckQuorum alone protects only a leader it hears from). */
START_TEST(test_a_restarted_node_without_lease_reads_votes_at_once)
{
	struct raft_config c;
	tn_default_config(&c);
	c.check_quorum = true;
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 3, &c);
	struct raft_message v = {.type = RAFT_MSG_VOTE, .from = 2, .term = 4};
	solo_step(&s, v);
	solo_drain(&s);
	const struct raft_message *resp = find(&s, RAFT_MSG_VOTE_RESP, 2);
	ck_assert_ptr_nonnull(resp);
	ck_assert(!resp->reject);
	solo_free(&s);
}
END_TEST

/* ---- input ------------------------------------------------------------- */

START_TEST(test_messages_of_type_zero_are_refused_before_they_change_anything)
{
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, NULL);
	struct raft_message m = {.type = 0, .from = 2, .to = 1, .term = 9};
	ck_assert_int_eq(raft_step(s.r, &m), TK_E_BAD_REQUEST);
	ck_assert_uint_eq(raft_current_term(s.r), 1);
	solo_free(&s);
}
END_TEST

START_TEST(test_an_entry_with_a_length_but_no_data_is_refused)
{
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, NULL);
	struct raft_entry e = {.index = 1, .term = 2, .len = 5, .data = NULL};
	struct raft_message m = {.type = RAFT_MSG_APPEND, .from = 2, .to = 1, .term = 2,
				 .entries = &e, .n_entries = 1};
	ck_assert_int_eq(raft_step(s.r, &m), TK_E_BAD_REQUEST);
	ck_assert_uint_eq(raft_last_index(s.r), 0);
	solo_free(&s);
}
END_TEST

START_TEST(test_a_snapshot_of_the_largest_membership_is_installed)
{
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, NULL);
	struct raft_snapshot snap = {.meta = {.index = 10, .term = 1}};
	snap.meta.conf.n_voters = RAFT_MAX_VOTERS;
	for (uint32_t i = 0; i < RAFT_MAX_VOTERS; i++)
		snap.meta.conf.voters[i] = i + 1;
	struct raft_message m = {.type = RAFT_MSG_SNAPSHOT, .from = 2, .to = 1, .term = 1,
				 .snapshot = &snap};
	ck_assert_int_eq(raft_step(s.r, &m), TK_OK);
	struct raft_conf_state cs;
	raft_conf_state(s.r, &cs);
	ck_assert_uint_eq(cs.n_voters, RAFT_MAX_VOTERS);
	ck_assert_uint_eq(raft_last_index(s.r), 10);
	solo_free(&s);
}
END_TEST

/* ---- freeing ------------------------------------------------------------ */

/* A follower holding an outgoing message and an answered read, freed
 * before its ready (in_ready false) or between ready and advance. */
static void node_with_pending_output(bool in_ready)
{
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, NULL);
	struct raft_message hb = {.type = RAFT_MSG_HEARTBEAT, .from = 2, .term = 2};
	solo_step(&s, hb);
	struct raft_message rr = {.type = RAFT_MSG_READ_INDEX_RESP, .from = 2, .term = 2,
				  .index = 0, .context = (const uint8_t *)"ctx", .context_len = 3};
	solo_step(&s, rr);
	if (in_ready) {
		struct raft_ready rd;
		raft_ready(s.r, &rd);
		ck_assert_uint_eq(rd.n_msgs, 1);
		ck_assert_uint_eq(rd.n_reads, 1);
	}
	solo_free(&s);
}

/* A store hosts many groups and destroys peers: a node takes nothing with
 * it when freed, whatever it still held for its caller. */
START_TEST(test_freeing_a_node_releases_all_it_holds)
{
	/* the allocator keeps some freed blocks for reuse (counted as in
	 * use): let it fill its caches first, then nothing may grow */
	for (int i = 0; i < 10; i++) {
		node_with_pending_output(false);
		node_with_pending_output(true);
	}
	size_t before = heap_in_use();
	for (int i = 0; i < 50; i++) {
		node_with_pending_output(false);
		node_with_pending_output(true);
	}
	size_t after = heap_in_use();
	ck_assert_uint_le(after, before);
}
END_TEST

/* A store hosts many groups, most of them idle: after a burst of messages
 * (here 300 heartbeat answers in one ready) the big message array is given
 * back at the end of the ready, not kept for the next burst. */
START_TEST(test_the_message_array_of_a_burst_is_given_back)
{
	struct solo s;
	solo_open(&s, V3, 3, NULL, 0, 1, NULL);
	struct raft_message hb = {.type = RAFT_MSG_HEARTBEAT, .from = 2, .term = 1};
	solo_step(&s, hb);
	solo_drain(&s);
	size_t before = heap_in_use();
	for (int i = 0; i < 300; i++)
		solo_step(&s, hb);
	struct raft_ready rd;
	raft_ready(s.r, &rd);
	ck_assert_uint_eq(rd.n_msgs, 300);
	raft_advance(s.r);
	ck_assert_uint_le(heap_in_use(), before + 4096);
	for (int i = 0; i < 3; i++) { /* and the node goes on working */
		solo_step(&s, hb);
		solo_drain(&s);
		ck_assert_uint_eq(sent(&s, RAFT_MSG_HEARTBEAT_RESP, 2), 1);
	}
	solo_free(&s);
}
END_TEST

Suite *raft_node_suite(void);
Suite *raft_node_suite(void)
{
	Suite *s = suite_create("raft_node");
	TCase *tc = tcase_create("node");
	tcase_add_test(tc, test_a_persisted_membership_of_the_largest_size_is_accepted);
	tcase_add_test(tc, test_a_persisted_commit_below_the_snapshot_is_corruption);
	tcase_add_test(tc, test_a_restarted_lease_node_refuses_votes_for_one_election_timeout);
	tcase_add_test(tc, test_candidates_and_pre_candidates_know_no_leader);
	tcase_add_test(tc, test_a_new_leader_counts_its_heartbeat_interval_from_zero);
	tcase_add_test(tc, test_a_follower_match_of_an_earlier_term_never_counts_toward_commit);
	tcase_add_test(tc, test_a_reelected_leader_sends_to_every_follower_at_once);
	tcase_add_test(tc, test_a_new_leader_that_hears_nothing_steps_down_after_one_timeout);
	tcase_add_test(tc, test_a_reelected_leader_has_no_lease_from_an_earlier_term);
	tcase_add_test(tc, test_a_pre_vote_grant_counts_only_in_its_own_round);
	tcase_add_test(tc, test_freeing_a_node_releases_all_it_holds);
	tcase_add_test(tc, test_the_message_array_of_a_burst_is_given_back);
	tcase_add_test(tc, test_only_an_unapplied_conf_change_blocks_a_campaign);
	tcase_add_test(tc, test_an_uncommitted_conf_change_sent_earlier_does_not_block_a_campaign);
	tcase_add_test(tc, test_a_node_that_cannot_campaign_still_times_out_its_leader);
	tcase_add_test(tc, test_granting_a_vote_restarts_the_election_timer);
	tcase_add_test(tc, test_a_vote_in_the_current_term_is_persisted_with_its_answer);
	tcase_add_test(tc, test_a_higher_term_from_an_answer_alone_makes_a_ready);
	tcase_add_test(tc, test_a_lost_election_alone_makes_a_ready);
	tcase_add_test(tc, test_a_commit_alone_needs_no_sync);
	tcase_add_test(tc, test_vote_answers_carry_the_term_and_the_refusal_only);
	tcase_add_test(tc, test_a_pre_vote_for_the_current_term_is_refused_under_a_leader);
	tcase_add_test(tc, test_a_restarted_node_without_lease_reads_votes_at_once);
	tcase_add_test(tc, test_messages_of_type_zero_are_refused_before_they_change_anything);
	tcase_add_test(tc, test_an_entry_with_a_length_but_no_data_is_refused);
	tcase_add_test(tc, test_a_snapshot_of_the_largest_membership_is_installed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(raft_node_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
