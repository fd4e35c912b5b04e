/* Scenario tests: leader election (§3.4), PreVote (§9.6), CheckQuorum (§6.2),
 * terms and stale messages (§3.3).  Test names state the rule they prove. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "raft/testnet.h"

static const raft_id V3[] = {1, 2, 3};
static const raft_id V5[] = {1, 2, 3, 4, 5};

static struct raft_config cfg_with(bool pre_vote, bool check_quorum)
{
	struct raft_config c;
	tn_default_config(&c);
	c.pre_vote = pre_vote;
	c.check_quorum = check_quorum;
	return c;
}

/* Storage holding entries with the given terms and a hard state. */
static struct raft_memstore *store_with(const raft_term *terms, size_t n, raft_term term)
{
	struct raft_memstore *ms = raft_memstore_new();
	for (size_t i = 0; i < n; i++) {
		struct raft_entry e = {.index = i + 1, .term = terms[i]};
		raft_memstore_append(ms, &e, 1);
	}
	struct raft_hard_state hs = {.term = term};
	raft_memstore_set_hard_state(ms, &hs);
	return ms;
}

static void tick_n(struct raft_node *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		raft_tick(r);
}

START_TEST(test_node_starts_as_follower_with_persisted_term_and_vote)
{
	struct raft_memstore *ms = store_with(NULL, 0, 7);
	struct raft_hard_state hs = {.term = 7, .vote = 2};
	raft_memstore_set_hard_state(ms, &hs);
	struct raft_node *r = tn_lone(1, V3, 3, ms, NULL);
	struct raft_status st;
	raft_status(r, &st);
	ck_assert_int_eq(st.role, RAFT_FOLLOWER);
	ck_assert_uint_eq(st.term, 7);
	ck_assert_uint_eq(st.vote, 2);
	ck_assert_uint_eq(st.leader, 0);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_follower_campaigns_after_election_timeout_with_new_term_and_self_vote)
{
	raft_term terms[] = {1, 1, 2};
	struct raft_memstore *ms = store_with(terms, 3, 2);
	struct raft_node *r = tn_lone(1, V3, 3, ms, NULL);
	tick_n(r, 20);
	struct raft_status st;
	raft_status(r, &st);
	ck_assert_int_eq(st.role, RAFT_CANDIDATE);
	ck_assert_uint_eq(st.term, 3);
	ck_assert_uint_eq(st.vote, 1);
	struct raft_message m[8];
	size_t n = tn_drain(r, ms, m, 8);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(m[i].type, RAFT_MSG_VOTE);
		ck_assert_uint_eq(m[i].term, 3);
		ck_assert_uint_eq(m[i].index, 3);
		ck_assert_uint_eq(m[i].log_term, 2);
	}
	/* the vote was persisted before the requests go out */
	struct raft_hard_state hs;
	raft_memstore_hard_state(ms, &hs);
	ck_assert_uint_eq(hs.term, 3);
	ck_assert_uint_eq(hs.vote, 1);
	tn_free_msgs(m, n);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_election_timeout_is_randomized_between_one_and_two_timeouts)
{
	bool seen[40] = {0};
	size_t distinct = 0;
	for (uint64_t seed = 1; seed <= 200; seed++) {
		struct raft_config c = cfg_with(false, false);
		c.seed = seed;
		struct raft_memstore *ms = raft_memstore_new();
		struct raft_node *r = tn_lone(1, V3, 3, ms, &c);
		unsigned t = 0;
		while (raft_role(r) == RAFT_FOLLOWER && t < 40) {
			raft_tick(r);
			t++;
		}
		ck_assert_uint_ge(t, 10);
		ck_assert_uint_lt(t, 20);
		if (!seen[t]) {
			seen[t] = true;
			distinct++;
		}
		raft_node_free(r);
		raft_memstore_free(ms);
	}
	ck_assert_uint_ge(distinct, 5);
}
END_TEST

START_TEST(test_candidate_wins_with_votes_from_a_majority)
{
	struct tnet *t = tn_new(3, NULL);
	tn_campaign(t, 1);
	struct raft_status st;
	tn_status(t, 1, &st);
	ck_assert_int_eq(st.role, RAFT_LEADER);
	ck_assert_uint_eq(st.term, 1);
	for (raft_id i = 2; i <= 3; i++) {
		tn_status(t, i, &st);
		ck_assert_int_eq(st.role, RAFT_FOLLOWER);
		ck_assert_uint_eq(st.leader, 1);
		ck_assert_uint_eq(st.term, 1);
	}
	/* the leader's empty entry of its term is committed everywhere */
	tn_status(t, 3, &st);
	ck_assert_uint_eq(st.commit, 1);
	tn_free(t);
}
END_TEST

/* One round of votes with the given answers (1 grant, 0 reject, -1 none)
 * from peers 2..n; returns the resulting role. */
static enum raft_role one_round(size_t n, const int *answers)
{
	raft_id voters[5] = {1, 2, 3, 4, 5};
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_node *r = tn_lone(1, voters, n, ms, NULL);
	raft_campaign(r);
	struct raft_message out[8];
	tn_free_msgs(out, tn_drain(r, ms, out, 8));
	for (size_t i = 0; i + 1 < n; i++) {
		if (answers[i] < 0)
			continue;
		struct raft_message m = {.type = RAFT_MSG_VOTE_RESP, .from = i + 2, .to = 1,
					 .term = 1, .reject = answers[i] == 0};
		raft_step(r, &m);
	}
	enum raft_role role = raft_role(r);
	raft_node_free(r);
	raft_memstore_free(ms);
	return role;
}

START_TEST(test_election_outcome_in_one_round_depends_on_the_vote_count)
{
	int all[] = {1, 1, 1, 1};
	ck_assert_int_eq(one_round(1, all), RAFT_LEADER);
	ck_assert_int_eq(one_round(3, all), RAFT_LEADER);
	int one_yes[] = {1, -1};
	ck_assert_int_eq(one_round(3, one_yes), RAFT_LEADER);
	int two_yes5[] = {1, 1, -1, -1};
	ck_assert_int_eq(one_round(5, two_yes5), RAFT_LEADER);
	int none[] = {-1, -1};
	ck_assert_int_eq(one_round(3, none), RAFT_CANDIDATE);
	int one_yes5[] = {1, -1, -1, -1};
	ck_assert_int_eq(one_round(5, one_yes5), RAFT_CANDIDATE);
	int rejected[] = {0, 0};
	ck_assert_int_eq(one_round(3, rejected), RAFT_FOLLOWER);
	int rejected5[] = {0, 0, 0, -1};
	ck_assert_int_eq(one_round(5, rejected5), RAFT_FOLLOWER);
}
END_TEST

static struct raft_message vote_req(raft_id from, raft_term term, raft_index index,
				    raft_term log_term, bool pre)
{
	struct raft_message m = {.type = pre ? RAFT_MSG_PREVOTE : RAFT_MSG_VOTE, .from = from,
				 .to = 1, .term = term, .index = index, .log_term = log_term};
	return m;
}

/* Step one vote request into a fresh node with the given log; true when
 * granted. */
static bool grants(const raft_term *terms, size_t n, raft_term node_term, struct raft_message req)
{
	struct raft_memstore *ms = store_with(terms, n, node_term);
	struct raft_node *r = tn_lone(1, V3, 3, ms, NULL);
	raft_step(r, &req);
	struct raft_message out[4];
	size_t k = tn_drain(r, ms, out, 4);
	ck_assert_uint_eq(k, 1);
	bool granted = !out[0].reject;
	tn_free_msgs(out, k);
	raft_node_free(r);
	raft_memstore_free(ms);
	return granted;
}

START_TEST(test_voter_grants_only_to_candidates_with_logs_at_least_as_up_to_date)
{
	raft_term l11[] = {1, 1};
	/* same last term: longer or equal index wins */
	ck_assert(grants(l11, 2, 1, vote_req(2, 2, 2, 1, false)));
	ck_assert(grants(l11, 2, 1, vote_req(2, 2, 3, 1, false)));
	ck_assert(!grants(l11, 2, 1, vote_req(2, 2, 1, 1, false)));
	/* higher last term wins even with a shorter log */
	raft_term l12[] = {1, 2};
	ck_assert(grants(l12, 2, 2, vote_req(2, 3, 1, 3, false)));
	/* lower last term loses even with a longer log */
	ck_assert(!grants(l12, 2, 2, vote_req(2, 3, 5, 1, false)));
	/* the same holds for pre-votes */
	ck_assert(!grants(l12, 2, 2, vote_req(2, 3, 5, 1, true)));
	ck_assert(grants(l12, 2, 2, vote_req(2, 3, 2, 2, true)));
}
END_TEST

START_TEST(test_follower_votes_for_at_most_one_candidate_per_term)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_node *r = tn_lone(1, V3, 3, ms, NULL);
	struct raft_message a = vote_req(2, 1, 0, 0, false), b = vote_req(3, 1, 0, 0, false);
	raft_step(r, &a);
	raft_step(r, &b);
	raft_step(r, &a); /* a repeated request of the same candidate is granted again */
	struct raft_message out[4];
	size_t k = tn_drain(r, ms, out, 4);
	ck_assert_uint_eq(k, 3);
	ck_assert(!out[0].reject);
	ck_assert(out[1].reject);
	ck_assert(!out[2].reject);
	struct raft_hard_state hs;
	raft_memstore_hard_state(ms, &hs);
	ck_assert_uint_eq(hs.vote, 2);
	tn_free_msgs(out, k);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_node_in_any_role_grants_vote_for_a_higher_term)
{
	for (int role = 0; role < 4; role++) {
		struct raft_memstore *ms = raft_memstore_new();
		struct raft_node *r = tn_lone(1, V3, 3, ms, NULL);
		struct raft_message out[8];
		if (role >= 2) {
			raft_campaign(r);
			if (role == 3) {
				struct raft_message g = {.type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 1};
				raft_step(r, &g);
				ck_assert_int_eq(raft_role(r), RAFT_LEADER);
			}
		}
		tn_free_msgs(out, tn_drain(r, ms, out, 8));
		struct raft_message req = vote_req(2, 5, 10, 5, false);
		raft_step(r, &req);
		struct raft_status st;
		raft_status(r, &st);
		ck_assert_int_eq(st.role, RAFT_FOLLOWER);
		ck_assert_uint_eq(st.term, 5);
		ck_assert_uint_eq(st.vote, 2);
		size_t k = tn_drain(r, ms, out, 8);
		ck_assert_uint_eq(k, 1);
		ck_assert_int_eq(out[0].type, RAFT_MSG_VOTE_RESP);
		ck_assert(!out[0].reject);
		tn_free_msgs(out, k);
		raft_node_free(r);
		raft_memstore_free(ms);
	}
}
END_TEST

START_TEST(test_candidate_with_shorter_log_loses_election)
{
	struct tnet *t = tn_new(3, NULL);
	tn_campaign(t, 1);
	tn_isolate(t, 3);
	tn_propose(t, 1, "a");
	tn_propose(t, 1, "b");
	tn_heal(t);
	tn_campaign(t, 3);
	struct raft_status st;
	tn_status(t, 3, &st);
	ck_assert_int_ne(st.role, RAFT_LEADER);
	ck_assert_uint_eq(st.term, 2);
	/* a node with the longer log wins the next election */
	tn_campaign(t, 2);
	ck_assert_uint_eq(tn_leader(t), 2);
	tn_settle(t);
	tn_status(t, 3, &st);
	ck_assert_uint_eq(st.commit, 4);
	tn_free(t);
}
END_TEST

START_TEST(test_split_vote_elects_nobody_and_a_later_election_succeeds)
{
	struct tnet *t = tn_new(4, NULL);
	tn_cut(t, 1, 3);
	tn_cut(t, 1, 4);
	tn_cut(t, 2, 3);
	tn_cut(t, 2, 4);
	tn_campaign(t, 1);
	tn_campaign(t, 3);
	ck_assert_uint_eq(tn_leader(t), 0);
	struct raft_status st;
	tn_status(t, 1, &st);
	ck_assert_int_eq(st.role, RAFT_CANDIDATE);
	tn_heal(t);
	tn_tick_all(t, 40);
	ck_assert_uint_ne(tn_leader(t), 0);
	tn_free(t);
}
END_TEST

START_TEST(test_dueling_candidates_converge_on_the_one_with_the_longer_log)
{
	struct tnet *t = tn_new(3, NULL);
	tn_cut(t, 1, 3);
	tn_campaign(t, 1);
	tn_campaign(t, 3);
	/* 1 won with 2's vote; 3 could not get 2's vote in the same term */
	ck_assert_uint_eq(tn_leader(t), 1);
	struct raft_status st;
	tn_status(t, 3, &st);
	ck_assert_int_eq(st.role, RAFT_CANDIDATE);
	tn_heal(t);
	/* 3 campaigns again with a higher term but a shorter log: it loses,
	 * and its term disrupts the leader (no PreVote, no CheckQuorum). */
	tn_campaign(t, 3);
	tn_status(t, 1, &st);
	ck_assert_int_eq(st.role, RAFT_FOLLOWER);
	ck_assert_uint_eq(st.term, 2);
	tn_status(t, 3, &st);
	ck_assert_int_eq(st.role, RAFT_FOLLOWER);
	ck_assert(tn_logs_equal(t, 1, 2));
	tn_free(t);
}
END_TEST

START_TEST(test_dueling_pre_candidates_do_not_raise_terms)
{
	struct raft_config c = cfg_with(true, false);
	struct tnet *t = tn_new(3, &c);
	tn_cut(t, 1, 3);
	tn_campaign(t, 1);
	tn_campaign(t, 3);
	ck_assert_uint_eq(tn_leader(t), 1);
	tn_heal(t);
	tn_campaign(t, 3);
	/* 3's pre-vote fails: nobody changes term and 1 keeps leading */
	ck_assert_uint_eq(tn_leader(t), 1);
	struct raft_status st;
	tn_status(t, 3, &st);
	ck_assert_uint_eq(st.term, 1);
	ck_assert_int_eq(st.role, RAFT_FOLLOWER);
	tn_free(t);
}
END_TEST

START_TEST(test_stale_term_messages_are_ignored)
{
	struct raft_memstore *ms = store_with(NULL, 0, 3);
	struct raft_node *r = tn_lone(1, V3, 3, ms, NULL);
	struct raft_entry e = {.index = 1, .term = 2};
	struct raft_message app = {.type = RAFT_MSG_APPEND, .from = 2, .to = 1, .term = 2,
				   .n_entries = 1, .entries = &e, .commit = 1};
	raft_step(r, &app);
	struct raft_message hb = {.type = RAFT_MSG_HEARTBEAT, .from = 2, .to = 1, .term = 1};
	raft_step(r, &hb);
	struct raft_message vr = {.type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 2};
	raft_step(r, &vr);
	struct raft_status st;
	raft_status(r, &st);
	ck_assert_uint_eq(st.term, 3);
	ck_assert_uint_eq(st.leader, 0);
	ck_assert_uint_eq(st.last_index, 0);
	ck_assert_uint_eq(st.commit, 0);
	/* the stale leader is only told about the newer term */
	struct raft_message out[4];
	size_t k = tn_drain(r, ms, out, 4);
	ck_assert_uint_eq(k, 2);
	for (size_t i = 0; i < k; i++) {
		ck_assert_int_eq(out[i].type, RAFT_MSG_APPEND_RESP);
		ck_assert_uint_eq(out[i].term, 3);
		ck_assert_uint_eq(out[i].to, 2);
	}
	tn_free_msgs(out, k);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_stale_leader_learns_newer_term_also_with_prevote)
{
	struct raft_config c = cfg_with(true, false);
	struct raft_memstore *ms = store_with(NULL, 0, 3);
	struct raft_node *r = tn_lone(1, V3, 3, ms, &c);
	struct raft_message app = {.type = RAFT_MSG_APPEND, .from = 2, .to = 1, .term = 2};
	raft_step(r, &app);
	struct raft_message out[4];
	size_t k = tn_drain(r, ms, out, 4);
	ck_assert_uint_eq(k, 1);
	ck_assert_int_eq(out[0].type, RAFT_MSG_APPEND_RESP);
	ck_assert_uint_eq(out[0].term, 3);
	tn_free_msgs(out, k);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_any_role_steps_down_on_a_higher_term_message)
{
	uint8_t types[] = {RAFT_MSG_APPEND, RAFT_MSG_HEARTBEAT, RAFT_MSG_APPEND_RESP};
	for (int role = 0; role < 3; role++) {
		for (size_t k = 0; k < 3; k++) {
			struct raft_memstore *ms = raft_memstore_new();
			struct raft_node *r = tn_lone(1, V3, 3, ms, NULL);
			struct raft_message out[8];
			if (role >= 1)
				raft_campaign(r);
			if (role == 2) {
				struct raft_message g = {.type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 1};
				raft_step(r, &g);
			}
			tn_free_msgs(out, tn_drain(r, ms, out, 8));
			struct raft_message m = {.type = types[k], .from = 3, .to = 1, .term = 4};
			raft_step(r, &m);
			struct raft_status st;
			raft_status(r, &st);
			ck_assert_int_eq(st.role, RAFT_FOLLOWER);
			ck_assert_uint_eq(st.term, 4);
			ck_assert_uint_eq(st.leader, types[k] == RAFT_MSG_APPEND_RESP ? 0 : 3);
			tn_free_msgs(out, tn_drain(r, ms, out, 8));
			raft_node_free(r);
			raft_memstore_free(ms);
		}
	}
}
END_TEST

START_TEST(test_candidate_falls_back_to_follower_on_append_of_same_term)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_node *r = tn_lone(1, V3, 3, ms, NULL);
	raft_campaign(r);
	struct raft_message out[8];
	tn_free_msgs(out, tn_drain(r, ms, out, 8));
	struct raft_message app = {.type = RAFT_MSG_APPEND, .from = 2, .to = 1, .term = 1};
	raft_step(r, &app);
	struct raft_status st;
	raft_status(r, &st);
	ck_assert_int_eq(st.role, RAFT_FOLLOWER);
	ck_assert_uint_eq(st.leader, 2);
	ck_assert_uint_eq(st.term, 1);
	tn_free_msgs(out, tn_drain(r, ms, out, 8));
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_leader_broadcasts_heartbeat_every_heartbeat_interval)
{
	struct raft_config c;
	tn_default_config(&c);
	c.heartbeat_ticks = 3;
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_node *r = tn_lone(1, V3, 3, ms, &c);
	raft_campaign(r);
	struct raft_message g = {.type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 1};
	raft_step(r, &g);
	struct raft_message out[8];
	tn_free_msgs(out, tn_drain(r, ms, out, 8));
	tick_n(r, 2);
	ck_assert_uint_eq(tn_drain(r, ms, out, 8), 0);
	raft_tick(r);
	size_t k = tn_drain(r, ms, out, 8);
	ck_assert_uint_eq(k, 2);
	for (size_t i = 0; i < k; i++) {
		ck_assert_int_eq(out[i].type, RAFT_MSG_HEARTBEAT);
		ck_assert_uint_eq(out[i].commit, 0); /* nobody is known to hold entries */
	}
	tn_free_msgs(out, k);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_single_voter_becomes_leader_and_commits_alone)
{
	struct tnet *t = tn_new(1, NULL);
	tn_tick(t, 1, 20);
	ck_assert_uint_eq(tn_leader(t), 1);
	ck_assert_int_eq(tn_propose(t, 1, "x"), TK_OK);
	struct raft_status st;
	tn_status(t, 1, &st);
	ck_assert_uint_eq(st.commit, 2);
	ck_assert_uint_eq(t->nodes[1].n_applied, 2);
	tn_free(t);
}
END_TEST

START_TEST(test_each_node_can_lead_in_turn)
{
	for (int pre = 0; pre < 2; pre++) {
		struct raft_config c = cfg_with(pre, false);
		struct tnet *t = tn_new(3, &c);
		for (raft_id id = 1; id <= 3; id++) {
			tn_campaign(t, id);
			ck_assert_uint_eq(tn_leader(t), id);
			for (raft_id o = 1; o <= 3; o++)
				ck_assert_uint_eq(raft_leader(tn_r(t, o)), id);
		}
		tn_free(t);
	}
}
END_TEST

START_TEST(test_prevote_keeps_a_partitioned_node_from_raising_its_term)
{
	struct raft_config c = cfg_with(true, false);
	struct tnet *t = tn_new(3, &c);
	tn_campaign(t, 1);
	tn_isolate(t, 3);
	tn_tick(t, 3, 100);
	struct raft_status st;
	tn_status(t, 3, &st);
	ck_assert_uint_eq(st.term, 1);
	ck_assert_int_eq(st.role, RAFT_PRE_CANDIDATE);
	/* rejoining does not force an election */
	tn_heal(t);
	tn_tick(t, 1, 1);
	ck_assert_uint_eq(tn_leader(t), 1);
	tn_status(t, 1, &st);
	ck_assert_uint_eq(st.term, 1);
	tn_status(t, 3, &st);
	ck_assert_int_eq(st.role, RAFT_FOLLOWER);
	ck_assert_uint_eq(st.leader, 1);
	tn_free(t);
}
END_TEST

START_TEST(test_without_prevote_a_rejoining_node_forces_an_election)
{
	struct tnet *t = tn_new(3, NULL);
	tn_campaign(t, 1);
	tn_isolate(t, 3);
	tn_tick(t, 3, 100);
	struct raft_status st;
	tn_status(t, 3, &st);
	ck_assert_uint_gt(st.term, 2);
	tn_heal(t);
	/* 3 ignores the leader's heartbeats of an older term and campaigns
	 * again; its vote request deposes the leader */
	tn_tick(t, 3, 20);
	tn_status(t, 1, &st);
	ck_assert_uint_gt(st.term, 2);
	ck_assert_int_ne(raft_leader(tn_r(t, 2)), 1);
	tn_free(t);
}
END_TEST

START_TEST(test_prevote_does_not_disrupt_a_stable_leader)
{
	struct raft_config c = cfg_with(true, false);
	struct tnet *t = tn_new(3, &c);
	tn_campaign(t, 1);
	tn_isolate(t, 3);
	tn_propose(t, 1, "a");
	tn_heal(t);
	/* 3 campaigns with a stale log: its pre-vote fails and nobody's term
	 * moves */
	tn_campaign(t, 3);
	ck_assert_uint_eq(tn_leader(t), 1);
	struct raft_status st;
	tn_status(t, 1, &st);
	ck_assert_uint_eq(st.term, 1);
	tn_free(t);

	/* With CheckQuorum too, even an up-to-date node cannot disrupt: the
	 * others heard from the leader within the election timeout. */
	c = cfg_with(true, true);
	t = tn_new(3, &c);
	tn_campaign(t, 1);
	tn_propose(t, 1, "a");
	tn_campaign(t, 3);
	ck_assert_uint_eq(tn_leader(t), 1);
	tn_status(t, 1, &st);
	ck_assert_uint_eq(st.term, 1);
	tn_free(t);
}
END_TEST

START_TEST(test_prevote_with_split_vote_still_elects_a_leader)
{
	struct raft_config c = cfg_with(true, false);
	struct tnet *t = tn_new(3, &c);
	tn_campaign(t, 1);
	tn_isolate(t, 1);
	tn_cut(t, 2, 3);
	tn_campaign(t, 2);
	tn_campaign(t, 3);
	/* both are stuck: pre-votes granted by nobody */
	tn_heal(t);
	tn_isolate(t, 1);
	tn_tick_all(t, 60);
	ck_assert(raft_role(tn_r(t, 2)) == RAFT_LEADER || raft_role(tn_r(t, 3)) == RAFT_LEADER);
	tn_free(t);
}
END_TEST

START_TEST(test_check_quorum_leader_steps_down_without_a_quorum)
{
	struct raft_config c = cfg_with(false, true);
	struct tnet *t = tn_new(3, &c);
	tn_campaign(t, 1);
	tn_isolate(t, 1);
	tn_tick(t, 1, 9);
	ck_assert_int_eq(raft_role(tn_r(t, 1)), RAFT_LEADER);
	tn_tick(t, 1, 11);
	ck_assert_int_eq(raft_role(tn_r(t, 1)), RAFT_FOLLOWER);
	tn_free(t);
}
END_TEST

START_TEST(test_check_quorum_leader_stays_while_a_quorum_answers)
{
	struct raft_config c = cfg_with(false, true);
	struct tnet *t = tn_new(3, &c);
	tn_campaign(t, 1);
	tn_isolate(t, 3);
	tn_tick(t, 1, 50);
	ck_assert_int_eq(raft_role(tn_r(t, 1)), RAFT_LEADER);
	tn_free(t);
}
END_TEST

START_TEST(test_check_quorum_followers_ignore_votes_while_the_leader_is_alive)
{
	struct raft_config c = cfg_with(false, true);
	struct tnet *t = tn_new(3, &c);
	tn_campaign(t, 1);
	/* 3 campaigns at a higher term; 2 heard from 1 recently and ignores it */
	tn_campaign(t, 3);
	ck_assert_int_eq(raft_role(tn_r(t, 3)), RAFT_CANDIDATE);
	ck_assert_uint_eq(tn_leader(t), 1);
	/* once 2's election timeout passed without the leader, 3 can win */
	tn_isolate(t, 1);
	tn_tick(t, 2, 10);
	tn_campaign(t, 3);
	ck_assert_uint_eq(tn_leader(t) == 3 || raft_role(tn_r(t, 3)) == RAFT_LEADER, 1);
	tn_free(t);
}
END_TEST

START_TEST(test_check_quorum_frees_a_stuck_candidate_with_a_higher_term)
{
	struct raft_config c = cfg_with(false, true);
	struct tnet *t = tn_new(3, &c);
	tn_campaign(t, 1);
	tn_isolate(t, 1);
	tn_campaign(t, 3);
	tn_campaign(t, 3);
	tn_heal(t);
	struct raft_status s3;
	tn_status(t, 3, &s3);
	ck_assert_int_eq(s3.role, RAFT_CANDIDATE);
	ck_assert_uint_eq(s3.term, 3);
	/* the leader's heartbeat is answered with 3's higher term: it steps
	 * down and a new election can succeed */
	tn_tick(t, 1, 1);
	struct raft_status s1;
	tn_status(t, 1, &s1);
	ck_assert_int_eq(s1.role, RAFT_FOLLOWER);
	ck_assert_uint_eq(s1.term, 3);
	tn_tick_all(t, 60);
	ck_assert_uint_ne(tn_leader(t), 0);
	tn_free(t);
}
END_TEST

START_TEST(test_node_not_in_the_group_never_campaigns)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_node *r = tn_lone(4, V3, 3, ms, NULL);
	tick_n(r, 100);
	ck_assert_int_eq(raft_role(r), RAFT_FOLLOWER);
	struct raft_status st;
	raft_status(r, &st);
	ck_assert_uint_eq(st.term, 0);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_campaign_while_leader_changes_nothing)
{
	struct tnet *t = tn_new(3, NULL);
	tn_campaign(t, 1);
	tn_campaign(t, 1);
	struct raft_status st;
	tn_status(t, 1, &st);
	ck_assert_int_eq(st.role, RAFT_LEADER);
	ck_assert_uint_eq(st.term, 1);
	tn_free(t);
}
END_TEST

START_TEST(test_pre_candidate_sends_next_term_without_raising_its_own)
{
	struct raft_config c = cfg_with(true, false);
	struct raft_memstore *ms = store_with(NULL, 0, 4);
	struct raft_node *r = tn_lone(1, V5, 5, ms, &c);
	raft_campaign(r);
	struct raft_status st;
	raft_status(r, &st);
	ck_assert_int_eq(st.role, RAFT_PRE_CANDIDATE);
	ck_assert_uint_eq(st.term, 4);
	struct raft_message out[8];
	size_t k = tn_drain(r, ms, out, 8);
	ck_assert_uint_eq(k, 4);
	for (size_t i = 0; i < k; i++) {
		ck_assert_int_eq(out[i].type, RAFT_MSG_PREVOTE);
		ck_assert_uint_eq(out[i].term, 5);
	}
	tn_free_msgs(out, k);
	/* two grants make a majority of five: a real election starts */
	for (raft_id id = 2; id <= 3; id++) {
		struct raft_message g = {.type = RAFT_MSG_PREVOTE_RESP, .from = id, .to = 1, .term = 5};
		raft_step(r, &g);
	}
	raft_status(r, &st);
	ck_assert_int_eq(st.role, RAFT_CANDIDATE);
	ck_assert_uint_eq(st.term, 5);
	k = tn_drain(r, ms, out, 8);
	ck_assert_uint_eq(k, 4);
	ck_assert_int_eq(out[0].type, RAFT_MSG_VOTE);
	tn_free_msgs(out, k);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_pre_candidate_rejected_by_a_higher_term_follows_it)
{
	struct raft_config c = cfg_with(true, false);
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_node *r = tn_lone(1, V3, 3, ms, &c);
	raft_campaign(r);
	struct raft_message rj = {.type = RAFT_MSG_PREVOTE_RESP, .from = 2, .to = 1, .term = 6, .reject = true};
	raft_step(r, &rj);
	struct raft_status st;
	raft_status(r, &st);
	ck_assert_int_eq(st.role, RAFT_FOLLOWER);
	ck_assert_uint_eq(st.term, 6);
	struct raft_message out[8];
	tn_free_msgs(out, tn_drain(r, ms, out, 8));
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_restarted_node_keeps_term_vote_and_log)
{
	struct tnet *t = tn_new(3, NULL);
	tn_campaign(t, 1);
	tn_propose(t, 1, "a");
	tn_crash(t, 2);
	tn_restart(t, 2);
	struct raft_status st;
	tn_status(t, 2, &st);
	ck_assert_uint_eq(st.term, 1);
	ck_assert_uint_eq(st.vote, 1);
	ck_assert_uint_eq(st.last_index, 2);
	ck_assert_uint_eq(st.applied, 2);
	tn_free(t);
}
END_TEST

START_TEST(test_invalid_configs_are_refused)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_config c;
	tn_default_config(&c);
	c.storage = raft_memstore_storage(ms);
	struct raft_node *r;
	c.id = 0;
	ck_assert_int_eq(raft_node_new(&c, &r), TK_E_BAD_CONFIG);
	c.id = 1;
	c.heartbeat_ticks = c.election_ticks;
	ck_assert_int_eq(raft_node_new(&c, &r), TK_E_BAD_CONFIG);
	c.heartbeat_ticks = 1;
	c.read_only = RAFT_READ_LEASE;
	ck_assert_int_eq(raft_node_new(&c, &r), TK_E_BAD_CONFIG);
	c.check_quorum = true;
	ck_assert_int_eq(raft_node_new(&c, &r), TK_OK);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

/* Every field check_config guards is refused on its own, and each bound is
 * exact: a heartbeat one tick shorter than the election timeout is fine,
 * equal is not (§3.4: heartbeats must come well within the timeout). */
START_TEST(test_each_invalid_config_field_is_refused_on_its_own)
{
	static const raft_id many[RAFT_MAX_VOTERS + 1] = {1};
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_config base;
	tn_default_config(&base);
	base.storage = raft_memstore_storage(ms);
	base.id = 1;
	base.election_ticks = 10;
	base.heartbeat_ticks = 9;
	struct raft_node *r;
	ck_assert_int_eq(raft_node_new(&base, &r), TK_OK);
	raft_node_free(r);
	for (int k = 0; k < 9; k++) {
		struct raft_config c = base;
		switch (k) {
		case 0: c.election_ticks = 0; c.heartbeat_ticks = 0; break;
		case 1: c.heartbeat_ticks = 0; break;
		case 2: c.heartbeat_ticks = 10; break;
		case 3: c.heartbeat_ticks = 11; break;
		case 4: c.max_inflight = 0; break;
		case 5: c.max_msg_bytes = 0; break;
		case 6: c.voters = many; c.n_voters = RAFT_MAX_VOTERS + 1; break;
		case 7: c.storage.ops = NULL; break;
		case 8: c.read_only = (enum raft_read_only)2; break;
		}
		ck_assert_msg(raft_node_new(&c, &r) == TK_E_BAD_CONFIG, "case %d accepted", k);
	}
	/* applied beyond the persisted commit (0 here) is refused too */
	struct raft_config c = base;
	c.applied = 1;
	ck_assert_int_eq(raft_node_new(&c, &r), TK_E_BAD_CONFIG);
	raft_memstore_free(ms);
}
END_TEST

/* A persisted commit must lie within the persisted log (§3.8): one past
 * its end is corruption, its last entry is fine. */
START_TEST(test_persisted_commit_one_past_the_log_is_corruption)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_entry ents[2] = {{.index = 1, .term = 1}, {.index = 2, .term = 1}};
	raft_memstore_append(ms, ents, 2);
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
	hs.commit = 2;
	raft_memstore_set_hard_state(ms, &hs);
	ck_assert_int_eq(raft_node_new(&c, &r), TK_OK);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

/* Bad network input is an error: a sender id 0, or an entry of a type the
 * library does not know, is refused before it touches the state. */
START_TEST(test_messages_from_node_zero_or_with_unknown_entry_types_are_refused)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_node *r = tn_lone(1, V3, 3, ms, NULL);
	struct raft_message m = {.type = RAFT_MSG_HEARTBEAT, .from = 0, .to = 1, .term = 1};
	ck_assert_int_eq(raft_step(r, &m), TK_E_BAD_REQUEST);
	struct raft_entry e = {.index = 1, .term = 1, .type = RAFT_ENTRY_CONF_CHANGE + 1};
	struct raft_message a = {.type = RAFT_MSG_APPEND, .from = 2, .to = 1, .term = 1,
				 .entries = &e, .n_entries = 1};
	ck_assert_int_eq(raft_step(r, &a), TK_E_BAD_REQUEST);
	ck_assert_uint_eq(raft_last_index(r), 0);
	e.type = RAFT_ENTRY_NORMAL;
	ck_assert_int_eq(raft_step(r, &a), TK_OK);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

/* A follower holding a received snapshot it has not persisted yet does not
 * campaign (its membership and log are in flux until raft_advance); once
 * the snapshot is persisted it does. */
START_TEST(test_follower_with_an_unpersisted_snapshot_does_not_campaign)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_node *r = tn_lone(1, V3, 3, ms, NULL);
	struct raft_snapshot sn = {.meta = {.index = 10, .term = 2,
					    .conf = {.voters = {1, 2, 3}, .n_voters = 3}}};
	struct raft_message m = {.type = RAFT_MSG_SNAPSHOT, .from = 2, .to = 1, .term = 2,
				 .snapshot = &sn};
	ck_assert_int_eq(raft_step(r, &m), TK_OK);
	for (int i = 0; i < 40; i++)
		raft_tick(r);
	ck_assert_int_eq(raft_role(r), RAFT_FOLLOWER);
	struct raft_message out[64];
	tn_free_msgs(out, tn_drain(r, ms, out, 64));
	for (int i = 0; i < 40; i++)
		raft_tick(r);
	ck_assert_int_eq(raft_role(r), RAFT_CANDIDATE);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_messages_not_for_this_node_are_refused)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_node *r = tn_lone(1, V3, 3, ms, NULL);
	struct raft_message m = {.type = RAFT_MSG_APPEND, .from = 2, .to = 3, .term = 1};
	ck_assert_int_eq(raft_step(r, &m), TK_E_BAD_REQUEST);
	m.to = 1;
	m.type = 99;
	ck_assert_int_eq(raft_step(r, &m), TK_E_BAD_REQUEST);
	m.type = RAFT_MSG_APPEND;
	m.n_entries = 2;
	ck_assert_int_eq(raft_step(r, &m), TK_E_BAD_REQUEST);
	/* entries that do not follow index, or are of a future term */
	struct raft_entry ents[2] = {{.index = 1, .term = 1}, {.index = 3, .term = 1}};
	m.entries = ents;
	ck_assert_int_eq(raft_step(r, &m), TK_E_BAD_REQUEST);
	ents[1].index = 2;
	ents[1].term = 2;
	ck_assert_int_eq(raft_step(r, &m), TK_E_BAD_REQUEST);
	ents[1].term = 1;
	ck_assert_int_eq(raft_step(r, &m), TK_OK);
	struct raft_message rd = {.type = RAFT_MSG_READ_INDEX_RESP, .from = 2, .to = 1, .term = 1,
				  .context_len = 4};
	ck_assert_int_eq(raft_step(r, &rd), TK_E_BAD_REQUEST);
	struct raft_snapshot big = {.meta = {.index = 9, .conf = {.n_voters = RAFT_MAX_VOTERS + 1}}};
	struct raft_message sn = {.type = RAFT_MSG_SNAPSHOT, .from = 2, .to = 1, .term = 1, .snapshot = &big};
	ck_assert_int_eq(raft_step(r, &sn), TK_E_BAD_REQUEST);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST


START_TEST(test_node_in_any_role_grants_a_prevote_without_changing_state)
{
	for (int role = 0; role < 3; role++) {
		struct raft_memstore *ms = raft_memstore_new();
		struct raft_node *r = tn_lone(1, V3, 3, ms, NULL);
		struct raft_message out[8];
		if (role >= 1)
			raft_campaign(r);
		if (role == 2) {
			struct raft_message g = {.type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 1};
			raft_step(r, &g);
		}
		tn_free_msgs(out, tn_drain(r, ms, out, 8));
		struct raft_status before, after;
		raft_status(r, &before);
		struct raft_message req = vote_req(2, 5, 10, 5, true);
		raft_step(r, &req);
		raft_status(r, &after);
		ck_assert_int_eq(after.role, before.role);
		ck_assert_uint_eq(after.term, before.term);
		ck_assert_uint_eq(after.vote, before.vote);
		size_t k = tn_drain(r, ms, out, 8);
		ck_assert_uint_eq(k, 1);
		ck_assert_int_eq(out[0].type, RAFT_MSG_PREVOTE_RESP);
		ck_assert(!out[0].reject);
		ck_assert_uint_eq(out[0].term, 5);
		tn_free_msgs(out, k);
		raft_node_free(r);
		raft_memstore_free(ms);
	}
}
END_TEST

START_TEST(test_single_voter_with_prevote_becomes_leader)
{
	struct raft_config c = cfg_with(true, true);
	struct tnet *t = tn_new(1, &c);
	tn_tick(t, 1, 20);
	ck_assert_uint_eq(tn_leader(t), 1);
	struct raft_status st;
	tn_status(t, 1, &st);
	ck_assert_uint_eq(st.term, 1);
	tn_free(t);
}
END_TEST

START_TEST(test_candidate_follows_a_heartbeat_of_its_term)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_node *r = tn_lone(1, V3, 3, ms, NULL);
	raft_campaign(r);
	struct raft_message out[8];
	tn_free_msgs(out, tn_drain(r, ms, out, 8));
	struct raft_message hb = {.type = RAFT_MSG_HEARTBEAT, .from = 3, .to = 1, .term = 1};
	raft_step(r, &hb);
	ck_assert_int_eq(raft_role(r), RAFT_FOLLOWER);
	ck_assert_uint_eq(raft_leader(r), 3);
	size_t k = tn_drain(r, ms, out, 8);
	ck_assert_uint_eq(k, 1);
	ck_assert_int_eq(out[0].type, RAFT_MSG_HEARTBEAT_RESP);
	tn_free_msgs(out, k);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_follower_takes_commit_from_heartbeat_within_its_log)
{
	struct raft_memstore *ms = raft_memstore_new();
	for (raft_index i = 1; i <= 3; i++) {
		struct raft_entry e = {.index = i, .term = 1};
		raft_memstore_append(ms, &e, 1);
	}
	struct raft_hard_state hs = {.term = 1, .commit = 1};
	raft_memstore_set_hard_state(ms, &hs);
	struct raft_node *r = tn_lone(2, V3, 3, ms, NULL);
	struct raft_message hb = {.type = RAFT_MSG_HEARTBEAT, .from = 1, .to = 2, .term = 1, .commit = 3};
	raft_step(r, &hb);
	struct raft_status st;
	raft_status(r, &st);
	ck_assert_uint_eq(st.commit, 3);
	/* a lower commit never moves it back */
	hb.commit = 2;
	raft_step(r, &hb);
	raft_status(r, &st);
	ck_assert_uint_eq(st.commit, 3);
	struct raft_message out[4];
	tn_free_msgs(out, tn_drain(r, ms, out, 4));
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_newer_uncommitted_entries_of_a_losing_node_are_overwritten)
{
	/* the cut-off leader 1 has an entry nobody else has; 3 wins term 2
	 * with 2's vote and its log replaces 1's */
	struct tnet *t = tn_new(3, NULL);
	tn_campaign(t, 1);
	tn_isolate(t, 1);
	tn_propose(t, 1, "lost");
	struct raft_status st;
	tn_status(t, 1, &st);
	ck_assert_uint_eq(st.last_index, 2);
	ck_assert_uint_eq(st.commit, 1);
	tn_campaign(t, 3);
	ck_assert_int_eq(raft_role(tn_r(t, 3)), RAFT_LEADER);
	tn_propose(t, 3, "kept");
	tn_heal(t);
	tn_tick(t, 3, 2);
	ck_assert_int_eq(raft_role(tn_r(t, 1)), RAFT_FOLLOWER);
	ck_assert(tn_logs_equal(t, 1, 3));
	ck_assert_uint_eq(raft_memstore_entry(t->nodes[1].ms, 2)->term, 2);
	for (size_t k = 0; k < t->nodes[1].n_applied; k++)
		ck_assert(memcmp(t->nodes[1].applied[k].data, "lost", 4) != 0 || t->nodes[1].applied[k].len != 4);
	tn_free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raft_elect");
	TCase *tc = tcase_create("elect");
	tcase_add_test(tc, test_node_starts_as_follower_with_persisted_term_and_vote);
	tcase_add_test(tc, test_follower_campaigns_after_election_timeout_with_new_term_and_self_vote);
	tcase_add_test(tc, test_election_timeout_is_randomized_between_one_and_two_timeouts);
	tcase_add_test(tc, test_candidate_wins_with_votes_from_a_majority);
	tcase_add_test(tc, test_election_outcome_in_one_round_depends_on_the_vote_count);
	tcase_add_test(tc, test_voter_grants_only_to_candidates_with_logs_at_least_as_up_to_date);
	tcase_add_test(tc, test_follower_votes_for_at_most_one_candidate_per_term);
	tcase_add_test(tc, test_node_in_any_role_grants_vote_for_a_higher_term);
	tcase_add_test(tc, test_candidate_with_shorter_log_loses_election);
	tcase_add_test(tc, test_split_vote_elects_nobody_and_a_later_election_succeeds);
	tcase_add_test(tc, test_dueling_candidates_converge_on_the_one_with_the_longer_log);
	tcase_add_test(tc, test_dueling_pre_candidates_do_not_raise_terms);
	tcase_add_test(tc, test_stale_term_messages_are_ignored);
	tcase_add_test(tc, test_stale_leader_learns_newer_term_also_with_prevote);
	tcase_add_test(tc, test_any_role_steps_down_on_a_higher_term_message);
	tcase_add_test(tc, test_candidate_falls_back_to_follower_on_append_of_same_term);
	tcase_add_test(tc, test_leader_broadcasts_heartbeat_every_heartbeat_interval);
	tcase_add_test(tc, test_single_voter_becomes_leader_and_commits_alone);
	tcase_add_test(tc, test_each_node_can_lead_in_turn);
	tcase_add_test(tc, test_prevote_keeps_a_partitioned_node_from_raising_its_term);
	tcase_add_test(tc, test_without_prevote_a_rejoining_node_forces_an_election);
	tcase_add_test(tc, test_prevote_does_not_disrupt_a_stable_leader);
	tcase_add_test(tc, test_prevote_with_split_vote_still_elects_a_leader);
	tcase_add_test(tc, test_check_quorum_leader_steps_down_without_a_quorum);
	tcase_add_test(tc, test_check_quorum_leader_stays_while_a_quorum_answers);
	tcase_add_test(tc, test_check_quorum_followers_ignore_votes_while_the_leader_is_alive);
	tcase_add_test(tc, test_check_quorum_frees_a_stuck_candidate_with_a_higher_term);
	tcase_add_test(tc, test_node_not_in_the_group_never_campaigns);
	tcase_add_test(tc, test_campaign_while_leader_changes_nothing);
	tcase_add_test(tc, test_pre_candidate_sends_next_term_without_raising_its_own);
	tcase_add_test(tc, test_pre_candidate_rejected_by_a_higher_term_follows_it);
	tcase_add_test(tc, test_restarted_node_keeps_term_vote_and_log);
	tcase_add_test(tc, test_invalid_configs_are_refused);
	tcase_add_test(tc, test_each_invalid_config_field_is_refused_on_its_own);
	tcase_add_test(tc, test_persisted_commit_one_past_the_log_is_corruption);
	tcase_add_test(tc, test_follower_with_an_unpersisted_snapshot_does_not_campaign);
	tcase_add_test(tc, test_messages_from_node_zero_or_with_unknown_entry_types_are_refused);
	tcase_add_test(tc, test_messages_not_for_this_node_are_refused);
	tcase_add_test(tc, test_node_in_any_role_grants_a_prevote_without_changing_state);
	tcase_add_test(tc, test_single_voter_with_prevote_becomes_leader);
	tcase_add_test(tc, test_candidate_follows_a_heartbeat_of_its_term);
	tcase_add_test(tc, test_follower_takes_commit_from_heartbeat_within_its_log);
	tcase_add_test(tc, test_newer_uncommitted_entries_of_a_losing_node_are_overwritten);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int f = srunner_ntests_failed(sr);
	srunner_free(sr);
	return f ? EXIT_FAILURE : EXIT_SUCCESS;
}
