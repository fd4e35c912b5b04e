/* Scenario tests: log replication (§3.5), commitment (§3.6.2 and Figure 8 of
 * the Raft paper), flow control (probe / replicate / inflight window),
 * conflict repair and fast backtracking. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "raft/testnet.h"

static const raft_id V3[] = {1, 2, 3};
static const raft_id V5[] = {1, 2, 3, 4, 5};

struct lone {
	struct raft_memstore *ms;
	struct raft_node *r;
	struct raft_message out[64];
	size_t n;
};

static void lone_drain(struct lone *l)
{
	tn_free_msgs(l->out, l->n);
	l->n = tn_drain(l->r, l->ms, l->out, 64);
}

static void lone_free(struct lone *l)
{
	tn_free_msgs(l->out, l->n);
	raft_node_free(l->r);
	raft_memstore_free(l->ms);
}

static void lone_step(struct lone *l, struct raft_message m)
{
	m.to = l->r ? 1 : 0;
	ck_assert_int_eq(raft_step(l->r, &m), TK_OK);
}

/* Node 1 with storage terms[], hard state term, made leader by votes. */
static void lone_leader(struct lone *l, const raft_id *voters, size_t nv, const raft_term *terms,
			size_t n, raft_term term, const struct raft_config *c)
{
	memset(l, 0, sizeof(*l));
	l->ms = raft_memstore_new();
	for (size_t i = 0; i < n; i++) {
		struct raft_entry e = {.index = i + 1, .term = terms[i]};
		raft_memstore_append(l->ms, &e, 1);
	}
	struct raft_hard_state hs = {.term = term};
	raft_memstore_set_hard_state(l->ms, &hs);
	l->r = tn_lone(1, voters, nv, l->ms, c);
	raft_campaign(l->r);
	for (size_t i = 1; i < nv; i++) {
		struct raft_message g = {.type = RAFT_MSG_VOTE_RESP, .from = voters[i], .term = term + 1};
		lone_step(l, g);
	}
	ck_assert_int_eq(raft_role(l->r), RAFT_LEADER);
	lone_drain(l);
}

static struct raft_message ack(raft_id from, raft_term term, raft_index index)
{
	struct raft_message m = {.type = RAFT_MSG_APPEND_RESP, .from = from, .term = term, .index = index};
	return m;
}

START_TEST(test_leader_appends_proposal_and_sends_it_to_every_follower)
{
	struct lone l;
	lone_leader(&l, V3, 3, NULL, 0, 0, NULL);
	/* followers acknowledge the empty entry of the term */
	lone_step(&l, ack(2, 1, 1));
	lone_step(&l, ack(3, 1, 1));
	lone_drain(&l);
	ck_assert_int_eq(raft_propose_one(l.r, "some data", 9), TK_OK);
	lone_drain(&l);
	ck_assert_uint_eq(l.n, 2);
	for (size_t i = 0; i < l.n; i++) {
		ck_assert_int_eq(l.out[i].type, RAFT_MSG_APPEND);
		ck_assert_uint_eq(l.out[i].index, 1);
		ck_assert_uint_eq(l.out[i].log_term, 1);
		ck_assert_uint_eq(l.out[i].commit, 1);
		ck_assert_uint_eq(l.out[i].n_entries, 1);
		ck_assert_uint_eq(l.out[i].entries[0].index, 2);
		ck_assert_uint_eq(l.out[i].entries[0].term, 1);
		ck_assert(memcmp(l.out[i].entries[0].data, "some data", 9) == 0);
	}
	ck_assert_uint_eq(raft_memstore_last(l.ms), 2);
	lone_free(&l);
}
END_TEST

START_TEST(test_leader_commits_once_a_majority_acknowledges)
{
	for (size_t acks = 0; acks <= 4; acks++) {
		struct lone l;
		lone_leader(&l, V5, 5, NULL, 0, 0, NULL);
		for (size_t i = 0; i < acks; i++)
			lone_step(&l, ack(V5[i + 1], 1, 1));
		struct raft_status st;
		raft_status(l.r, &st);
		ck_assert_uint_eq(st.commit, acks >= 2 ? 1 : 0);
		lone_free(&l);
	}
}
END_TEST

START_TEST(test_committing_an_entry_commits_all_preceding_entries)
{
	raft_term terms[] = {1, 1, 2};
	struct lone l;
	lone_leader(&l, V3, 3, terms, 3, 2, NULL);
	/* the leader's term-3 empty entry is at 4 */
	lone_step(&l, ack(2, 3, 4));
	struct raft_ready rd;
	raft_ready(l.r, &rd);
	ck_assert_uint_eq(rd.n_committed, 4);
	ck_assert_uint_eq(rd.committed[3].index, 4);
	raft_advance(l.r);
	lone_free(&l);
}
END_TEST

START_TEST(test_leader_never_commits_an_old_term_entry_by_counting)
{
	/* Figure 8: entries of term 1 and 2 replicated on a majority are not
	 * committed until an entry of the leader's own term is. */
	raft_term terms[] = {1, 2};
	struct lone l;
	lone_leader(&l, V3, 3, terms, 2, 2, NULL);
	lone_step(&l, ack(2, 3, 2));
	struct raft_status st;
	raft_status(l.r, &st);
	ck_assert_uint_eq(st.commit, 0);
	lone_step(&l, ack(2, 3, 3));
	raft_status(l.r, &st);
	ck_assert_uint_eq(st.commit, 3);
	lone_free(&l);
}
END_TEST

/* Build a cluster where each node's storage has the given terms. */
static struct tnet *net_with_logs(size_t n, const raft_term *const *logs, const size_t *lens,
				  raft_term term)
{
	struct tnet *t = tn_new(n, NULL);
	for (size_t i = 1; i <= n; i++) {
		struct tn_node *nd = &t->nodes[i];
		for (size_t k = 0; k < lens[i - 1]; k++) {
			struct raft_entry e = {.index = k + 1, .term = logs[i - 1][k]};
			raft_memstore_append(nd->ms, &e, 1);
		}
		struct raft_hard_state hs = {.term = term};
		raft_memstore_set_hard_state(nd->ms, &hs);
		tn_restart(t, i);
	}
	return t;
}

START_TEST(test_figure8_entry_of_an_old_term_can_be_overwritten_until_committed)
{
	/* Figure 8 (c): S1 leads term 4 and its term-2 entry at index 2 is on
	 * a majority (S1, S2, S3), but its own term-4 entry is not.  Counting
	 * replicas must not commit index 2: S5 (last term 3) can still win
	 * and overwrite it, as (d) shows. */
	static const raft_term s123[] = {1, 2};
	static const raft_term s4[] = {1};
	static const raft_term s5[] = {1, 3};
	const raft_term *logs[] = {s123, s123, s123, s4, s5};
	size_t lens[] = {2, 2, 2, 1, 2};
	struct tnet *t = net_with_logs(5, logs, lens, 3);
	tn_isolate(t, 5);
	t->drop_type = RAFT_MSG_APPEND;
	tn_campaign(t, 1);
	ck_assert_int_eq(raft_role(tn_r(t, 1)), RAFT_LEADER);
	struct raft_status st;
	tn_status(t, 1, &st);
	ck_assert_uint_eq(st.term, 4);
	ck_assert_uint_eq(st.commit, 0);
	/* S1 crashes; S5 gets elected by S2, S3, S4 and overwrites index 2 */
	tn_heal(t);
	tn_crash(t, 1);
	for (int i = 0; i < 3 && raft_role(tn_r(t, 5)) != RAFT_LEADER; i++)
		tn_campaign(t, 5);
	ck_assert_int_eq(raft_role(tn_r(t, 5)), RAFT_LEADER);
	tn_restart(t, 1);
	tn_tick(t, 5, 3);
	for (raft_id i = 1; i <= 4; i++) {
		ck_assert(tn_logs_equal(t, 5, i));
		ck_assert_uint_eq(raft_memstore_entry(t->nodes[i].ms, 2)->term, 3);
	}
	/* nobody applied the overwritten entry */
	for (raft_id i = 1; i <= 5; i++)
		for (size_t k = 0; k < t->nodes[i].n_applied; k++)
			if (t->nodes[i].applied[k].index == 2)
				ck_assert_uint_eq(t->nodes[i].applied[k].term, 3);
	tn_free(t);
}
END_TEST

START_TEST(test_follower_commits_what_the_leader_says_within_its_log)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_node *r = tn_lone(2, V3, 3, ms, NULL);
	struct raft_entry ents[2] = {{.index = 1, .term = 1, .data = (const uint8_t *)"a", .len = 1},
				     {.index = 2, .term = 1, .data = (const uint8_t *)"b", .len = 1}};
	struct raft_message m = {.type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 1,
				 .index = 0, .log_term = 0, .commit = 5, .n_entries = 2, .entries = ents};
	raft_step(r, &m);
	struct raft_ready rd;
	raft_ready(r, &rd);
	ck_assert_uint_eq(rd.n_entries, 2);
	ck_assert_uint_eq(rd.n_committed, 2);
	ck_assert_uint_eq(rd.hard_state.commit, 2);
	ck_assert_uint_eq(rd.n_msgs, 1);
	ck_assert_int_eq(rd.msgs[0].type, RAFT_MSG_APPEND_RESP);
	ck_assert_uint_eq(rd.msgs[0].index, 2);
	raft_memstore_append(ms, rd.entries, rd.n_entries);
	raft_advance(r);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_follower_rejects_append_when_previous_entry_does_not_match)
{
	raft_term terms[] = {1, 2};
	struct raft_memstore *ms = raft_memstore_new();
	for (size_t i = 0; i < 2; i++) {
		struct raft_entry e = {.index = i + 1, .term = terms[i]};
		raft_memstore_append(ms, &e, 1);
	}
	struct raft_node *r = tn_lone(2, V3, 3, ms, NULL);
	struct {
		raft_index index;
		raft_term log_term;
		bool reject;
		raft_index hint;
	} cases[] = {
		{0, 0, false, 0}, {1, 1, false, 0}, {2, 2, false, 0},
		{2, 3, true, 2},  /* our 2 has term 2 <= 3: that is where to look */
		{3, 2, true, 2},  /* beyond our log: hint at our last */
		{2, 1, true, 1},  /* skip our whole term 2 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct raft_message m = {.type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 2,
					 .index = cases[i].index, .log_term = cases[i].log_term};
		raft_step(r, &m);
		struct raft_message out[4];
		size_t k = tn_drain(r, ms, out, 4);
		ck_assert_uint_eq(k, 1);
		ck_assert_int_eq(out[0].reject, cases[i].reject);
		if (cases[i].reject) {
			ck_assert_uint_eq(out[0].index, cases[i].index);
			ck_assert_uint_eq(out[0].reject_hint, cases[i].hint);
			ck_assert_uint_eq(out[0].log_term, terms[cases[i].hint - 1]);
		}
		tn_free_msgs(out, k);
	}
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_leader_repairs_followers_with_missing_extra_and_conflicting_entries)
{
	/* Figure 7 of the paper: the leader (term 8) and followers (a)-(f). */
	static const raft_term lead[] = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
	static const raft_term a[] = {1, 1, 1, 4, 4, 5, 5, 6, 6};
	static const raft_term b[] = {1, 1, 1, 4};
	static const raft_term c[] = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6};
	static const raft_term d[] = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7};
	static const raft_term e[] = {1, 1, 1, 4, 4, 4, 4};
	static const raft_term f[] = {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3};
	const raft_term *followers[] = {a, b, c, d, e, f};
	size_t flen[] = {9, 4, 11, 12, 7, 11};
	for (size_t k = 0; k < 6; k++) {
		/* leader, the follower under test, and a third node that votes
		 * like the leader's log */
		const raft_term *logs[] = {lead, followers[k], lead};
		size_t lens[] = {10, flen[k], 10};
		struct tnet *t = net_with_logs(3, logs, lens, 8);
		tn_cut(t, 1, 2);
		tn_campaign(t, 1);
		ck_assert_int_eq(raft_role(tn_r(t, 1)), RAFT_LEADER);
		tn_heal(t);
		tn_propose(t, 1, "x");
		tn_tick(t, 1, 2);
		ck_assert_msg(tn_logs_equal(t, 1, 2), "follower %c not repaired", (char)('a' + k));
		tn_free(t);
	}
}
END_TEST

START_TEST(test_fast_backtracking_needs_few_probes)
{
	/* follower f of Figure 7 differs from the leader from index 4 on */
	static const raft_term lead[] = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
	static const raft_term f[] = {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3};
	const raft_term *logs[] = {lead, f, lead};
	size_t lens[] = {10, 11, 10};
	struct tnet *t = net_with_logs(3, logs, lens, 8);
	tn_cut(t, 1, 2);
	tn_campaign(t, 1);
	tn_heal(t);
	t->capture[2] = true; /* count follower 2's answers */
	size_t rejects = 0;
	tn_propose(t, 1, "x");
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < t->capn; i++) {
			if (t->cap[i].type == RAFT_MSG_APPEND_RESP && t->cap[i].reject)
				rejects++;
			raft_step(tn_r(t, 1), &t->cap[i]);
		}
		tn_clear_capture(t);
		tn_tick(t, 1, 1); /* heartbeats resume the paused probe */
	}
	t->capture[2] = false;
	tn_settle(t);
	ck_assert(tn_logs_equal(t, 1, 2));
	/* one rejection per term of difference, not per entry */
	ck_assert_uint_le(rejects, 3);
	tn_free(t);
}
END_TEST

START_TEST(test_heartbeat_commit_is_limited_to_the_followers_match)
{
	struct lone l;
	lone_leader(&l, V3, 3, NULL, 0, 0, NULL);
	lone_step(&l, ack(2, 1, 1));
	raft_propose_one(l.r, "a", 1);
	lone_step(&l, ack(2, 1, 2));
	lone_drain(&l);
	raft_tick(l.r);
	lone_drain(&l);
	size_t hb = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (l.out[i].type != RAFT_MSG_HEARTBEAT)
			continue;
		hb++;
		ck_assert_uint_eq(l.out[i].commit, l.out[i].to == 2 ? 2 : 0);
	}
	ck_assert_uint_eq(hb, 2);
	lone_free(&l);
}
END_TEST

START_TEST(test_probe_sends_one_append_until_answered_or_heartbeat_response)
{
	struct lone l;
	lone_leader(&l, V3, 3, NULL, 0, 0, NULL);
	/* 2 never answered: it is in probe state and the empty-entry append was
	 * its probe */
	for (int i = 0; i < 3; i++)
		raft_propose_one(l.r, "a", 1);
	lone_drain(&l);
	size_t to2 = 0;
	for (size_t i = 0; i < l.n; i++)
		to2 += l.out[i].to == 2 && l.out[i].type == RAFT_MSG_APPEND;
	ck_assert_uint_eq(to2, 0);
	struct raft_message hr = {.type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .term = 1};
	lone_step(&l, hr);
	lone_drain(&l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.out[0].type, RAFT_MSG_APPEND);
	ck_assert_uint_eq(l.out[0].n_entries, 4);
	lone_free(&l);
}
END_TEST

START_TEST(test_replicate_state_pipelines_until_the_inflight_window_is_full)
{
	struct raft_config c;
	tn_default_config(&c);
	c.max_inflight = 3;
	struct lone l;
	lone_leader(&l, V3, 3, NULL, 0, 0, &c);
	lone_step(&l, ack(2, 1, 1)); /* 2 goes to replicate */
	lone_drain(&l);
	for (int i = 0; i < 5; i++) {
		raft_propose_one(l.r, "a", 1);
		lone_drain(&l);
		size_t to2 = 0;
		for (size_t k = 0; k < l.n; k++)
			to2 += l.out[k].to == 2;
		ck_assert_uint_eq(to2, i < 3 ? 1 : 0);
	}
	struct raft_status st;
	raft_status(l.r, &st);
	for (size_t i = 0; i < st.n_progress; i++)
		if (st.progress[i].id == 2) {
			ck_assert_int_eq(st.progress[i].state, RAFT_PROGRESS_REPLICATE);
			ck_assert(st.progress[i].paused);
			ck_assert_uint_eq(st.progress[i].inflight, 3);
		}
	/* an ack frees the window and the rest goes out in one message */
	lone_step(&l, ack(2, 1, 4));
	lone_drain(&l);
	ck_assert_uint_ge(l.n, 1);
	ck_assert_uint_eq(l.out[l.n - 1].to, 2);
	ck_assert_uint_eq(l.out[l.n - 1].entries[l.out[l.n - 1].n_entries - 1].index, 6);
	lone_free(&l);
}
END_TEST

START_TEST(test_unreachable_peer_goes_back_to_probe)
{
	struct lone l;
	lone_leader(&l, V3, 3, NULL, 0, 0, NULL);
	lone_step(&l, ack(2, 1, 1));
	raft_propose_one(l.r, "a", 1);
	lone_drain(&l);
	raft_report_unreachable(l.r, 2);
	struct raft_status st;
	raft_status(l.r, &st);
	for (size_t i = 0; i < st.n_progress; i++)
		if (st.progress[i].id == 2) {
			ck_assert_int_eq(st.progress[i].state, RAFT_PROGRESS_PROBE);
			ck_assert_uint_eq(st.progress[i].next, 2);
		}
	lone_free(&l);
}
END_TEST

START_TEST(test_append_messages_respect_the_byte_limit)
{
	struct raft_config c;
	tn_default_config(&c);
	c.max_msg_bytes = 250;
	struct lone l;
	lone_leader(&l, V3, 3, NULL, 0, 0, &c);
	char big[100];
	memset(big, 'z', sizeof(big));
	struct raft_entry ents[10];
	for (int i = 0; i < 10; i++)
		ents[i] = (struct raft_entry){.data = (const uint8_t *)big, .len = 100};
	raft_propose(l.r, ents, 10);
	lone_drain(&l);
	/* a probe answer moves 2 to replicate; it then gets <= 250 bytes per
	 * message, at least one entry each */
	lone_step(&l, ack(2, 1, 1));
	lone_drain(&l);
	size_t total = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (l.out[i].to != 2 || l.out[i].type != RAFT_MSG_APPEND)
			continue;
		size_t bytes = 0;
		for (size_t k = 0; k < l.out[i].n_entries; k++)
			bytes += l.out[i].entries[k].len;
		ck_assert_uint_le(bytes, 250);
		ck_assert_uint_ge(l.out[i].n_entries, 1);
		total += l.out[i].n_entries;
	}
	ck_assert_uint_eq(total, 10);
	lone_free(&l);
}
END_TEST

START_TEST(test_replication_survives_a_partition_of_a_minority)
{
	struct tnet *t = tn_new(5, NULL);
	tn_campaign(t, 1);
	tn_isolate(t, 4);
	tn_isolate(t, 5);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(tn_propose(t, 1, "w"), TK_OK);
	struct raft_status st;
	tn_status(t, 1, &st);
	ck_assert_uint_eq(st.commit, 11);
	tn_status(t, 4, &st);
	ck_assert_uint_eq(st.commit, 1);
	tn_heal(t);
	tn_tick(t, 1, 3);
	for (raft_id i = 2; i <= 5; i++) {
		ck_assert(tn_logs_equal(t, 1, i));
		ck_assert_uint_eq(t->nodes[i].n_applied, 11);
	}
	tn_free(t);
}
END_TEST

START_TEST(test_leader_in_a_minority_cannot_commit)
{
	struct tnet *t = tn_new(5, NULL);
	tn_campaign(t, 1);
	tn_isolate(t, 1);
	tn_cut(t, 1, 2);
	tn_heal(t);
	tn_cut(t, 1, 3);
	tn_cut(t, 1, 4);
	tn_cut(t, 1, 5);
	tn_cut(t, 2, 3);
	tn_cut(t, 2, 4);
	tn_cut(t, 2, 5);
	ck_assert_int_eq(tn_propose(t, 1, "lost"), TK_OK);
	struct raft_status st;
	tn_status(t, 1, &st);
	ck_assert_uint_eq(st.commit, 1);
	/* the majority elects a new leader and overwrites the entry */
	tn_campaign(t, 3);
	tn_propose(t, 3, "kept");
	tn_heal(t);
	tn_tick(t, 3, 3);
	ck_assert(tn_logs_equal(t, 1, 3));
	ck_assert_uint_eq(t->nodes[1].n_applied, 3);
	ck_assert(memcmp(t->nodes[1].applied[2].data, "kept", 4) == 0);
	tn_free(t);
}
END_TEST

START_TEST(test_proposals_are_refused_by_followers_and_without_leader)
{
	struct tnet *t = tn_new(3, NULL);
	ck_assert_int_eq(tn_propose(t, 1, "x"), TK_E_NOT_LEADER);
	tn_campaign(t, 1);
	ck_assert_int_eq(tn_propose(t, 2, "x"), TK_E_NOT_LEADER);
	ck_assert_int_eq(tn_propose(t, 1, "x"), TK_OK);
	struct raft_entry cc = {.type = RAFT_ENTRY_CONF_CHANGE};
	ck_assert_int_eq(raft_propose(tn_r(t, 1), &cc, 1), TK_E_BAD_REQUEST);
	tn_free(t);
}
END_TEST

START_TEST(test_old_term_messages_do_not_change_the_log)
{
	struct tnet *t = tn_new(3, NULL);
	tn_campaign(t, 1);
	tn_campaign(t, 2);
	tn_campaign(t, 1);
	/* a term-2 append from the old leader 2 arrives late at 1 */
	struct raft_entry e = {.index = 3, .term = 2};
	struct raft_message m = {.type = RAFT_MSG_APPEND, .from = 2, .to = 1, .term = 2,
				 .index = 2, .log_term = 2, .n_entries = 1, .entries = &e};
	raft_step(tn_r(t, 1), &m);
	tn_propose(t, 1, "p");
	for (raft_id i = 1; i <= 3; i++) {
		ck_assert_uint_eq(raft_memstore_last(t->nodes[i].ms), 4);
		ck_assert_uint_eq(raft_memstore_entry(t->nodes[i].ms, 3)->term, 3);
	}
	ck_assert(tn_logs_equal(t, 1, 2));
	tn_free(t);
}
END_TEST

START_TEST(test_append_below_commit_is_answered_with_the_commit_index)
{
	struct tnet *t = tn_new(3, NULL);
	tn_campaign(t, 1);
	tn_propose(t, 1, "a");
	tn_propose(t, 1, "b");
	struct raft_message m = {.type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 1, .index = 1, .log_term = 1};
	t->capture[2] = true;
	raft_step(tn_r(t, 2), &m);
	tn_settle(t);
	ck_assert_uint_eq(t->capn, 1);
	ck_assert(!t->cap[0].reject);
	ck_assert_uint_eq(t->cap[0].index, 3);
	tn_free(t);
}
END_TEST

START_TEST(test_crashed_follower_loses_only_unpersisted_entries_and_catches_up)
{
	struct tnet *t = tn_new(3, NULL);
	tn_campaign(t, 1);
	tn_propose(t, 1, "a");
	/* 3 receives an append but crashes before its ready is processed */
	t->nodes[3].down = true; /* hold its ready */
	t->nodes[3].down = false;
	raft_propose_one(tn_r(t, 1), "b", 1);
	tn_step_some(t, 0);
	/* deliver only to 3 without processing its ready */
	for (size_t i = t->qhead; i < t->qn; i++)
		if (t->q[i].to == 3)
			raft_step(tn_r(t, 3), &t->q[i]);
	struct raft_status st;
	tn_status(t, 3, &st);
	ck_assert_uint_eq(st.last_index, 3);
	tn_crash(t, 3);
	tn_restart(t, 3);
	tn_status(t, 3, &st);
	ck_assert_uint_eq(st.last_index, 2);
	tn_settle(t);
	tn_tick(t, 1, 2);
	ck_assert(tn_logs_equal(t, 1, 3));
	ck_assert_uint_eq(t->nodes[3].n_applied, 3);
	tn_free(t);
}
END_TEST

START_TEST(test_leader_restores_next_from_acks_and_rejections)
{
	raft_term terms[] = {1, 2, 3};
	struct lone l;
	lone_leader(&l, V3, 3, terms, 3, 3, NULL);
	/* last is 4 (term 4 empty entry); an ack of 2 moves next to 3 from 5? no:
	 * next never moves backwards on an ack */
	lone_step(&l, ack(2, 4, 2));
	struct raft_status st;
	raft_status(l.r, &st);
	for (size_t i = 0; i < st.n_progress; i++)
		if (st.progress[i].id == 2) {
			ck_assert_uint_eq(st.progress[i].match, 2);
			ck_assert_int_eq(st.progress[i].state, RAFT_PROGRESS_REPLICATE);
		}
	lone_free(&l);
}
END_TEST

static size_t count_type(const struct lone *l, uint8_t type, raft_id to)
{
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++)
		k += l->out[i].type == type && (!to || l->out[i].to == to);
	return k;
}

static raft_index match_of(struct raft_node *r, raft_id id)
{
	struct raft_status st;
	raft_status(r, &st);
	for (size_t i = 0; i < st.n_progress; i++)
		if (st.progress[i].id == id)
			return st.progress[i].match;
	ck_abort_msg("no progress for %llu", (unsigned long long)id);
	return 0;
}

/* A follower cannot hold more than the leader sent (Figure 3.1: matchIndex
 * only grows to what was replicated): an acknowledgement beyond the
 * leader's last index comes from a broken peer and changes nothing. */
START_TEST(test_an_ack_beyond_the_leaders_last_index_is_ignored)
{
	static const raft_term terms[] = {1, 1};
	struct lone l;
	lone_leader(&l, V3, 3, terms, 2, 1, NULL);
	raft_index last = raft_last_index(l.r);
	lone_step(&l, ack(2, 2, last + 1));
	ck_assert_uint_eq(match_of(l.r, 2), 0);
	lone_step(&l, ack(2, 2, last));
	ck_assert_uint_eq(match_of(l.r, 2), last);
	lone_free(&l);
}
END_TEST

/* Bad input: a message that claims to come from the leader itself (no
 * peer has the leader's id) is ignored; the leader never sends to itself. */
START_TEST(test_a_response_claiming_to_come_from_the_leader_itself_is_ignored)
{
	struct lone l;
	lone_leader(&l, V3, 3, NULL, 0, 0, NULL);
	raft_index last = raft_last_index(l.r);
	struct raft_message m = {.type = RAFT_MSG_APPEND_RESP, .from = 1, .term = 1, .index = 0,
				 .reject = true};
	lone_step(&l, m);
	lone_drain(&l);
	for (size_t i = 0; i < l.n; i++)
		ck_assert_uint_ne(l.out[i].to, 1);
	ck_assert_uint_eq(match_of(l.r, 1), last);
	lone_free(&l);
}
END_TEST

/* §3.5: heartbeats carry no entries; an answer from a follower that holds
 * the whole log needs no append. */
START_TEST(test_a_heartbeat_answer_from_an_up_to_date_follower_sends_no_append)
{
	struct lone l;
	lone_leader(&l, V3, 3, NULL, 0, 0, NULL);
	lone_step(&l, ack(2, 1, 1));
	lone_step(&l, ack(3, 1, 1));
	lone_drain(&l);
	struct raft_message h = {.type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .term = 1};
	lone_step(&l, h);
	lone_drain(&l);
	ck_assert_uint_eq(count_type(&l, RAFT_MSG_APPEND, 0), 0);
	lone_free(&l);
}
END_TEST

/* Flow control (§10.2): when every append in a full window was lost, a
 * heartbeat answer frees one slot, so the follower is not stuck forever. */
START_TEST(test_a_heartbeat_answer_frees_a_slot_of_a_full_window)
{
	struct raft_config c;
	tn_default_config(&c);
	c.max_inflight = 1;
	struct lone l;
	lone_leader(&l, V3, 3, NULL, 0, 0, &c);
	lone_step(&l, ack(2, 1, 1));
	lone_step(&l, ack(3, 1, 1));
	lone_drain(&l);
	ck_assert_int_eq(raft_propose_one(l.r, "a", 1), TK_OK);
	lone_drain(&l); /* the append to 2 is lost */
	ck_assert_int_eq(raft_propose_one(l.r, "b", 1), TK_OK);
	lone_drain(&l);
	ck_assert_uint_eq(count_type(&l, RAFT_MSG_APPEND, 2), 0); /* window full */
	struct raft_message h = {.type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .term = 1};
	lone_step(&l, h);
	lone_drain(&l);
	ck_assert_uint_eq(count_type(&l, RAFT_MSG_APPEND, 2), 1);
	lone_free(&l);
}
END_TEST

/* §3.10: the leader sends TimeoutNow only once the target's log matches its
 * own, not at the first acknowledgement that leaves it behind. */
START_TEST(test_timeout_now_waits_until_the_transfer_target_has_the_whole_log)
{
	static const raft_term terms[] = {1, 1, 1};
	struct raft_config c;
	tn_default_config(&c);
	c.max_msg_bytes = 1; /* one entry per append */
	struct lone l;
	lone_leader(&l, V3, 3, terms, 3, 1, &c);
	raft_index last = raft_last_index(l.r); /* 4: the term's empty entry */
	lone_step(&l, ack(3, 2, last));
	lone_step(&l, ack(2, 2, 1));
	lone_drain(&l);
	ck_assert_int_eq(raft_transfer_leader(l.r, 2), TK_OK);
	lone_drain(&l);
	ck_assert_uint_eq(count_type(&l, RAFT_MSG_TIMEOUT_NOW, 0), 0);
	lone_step(&l, ack(2, 2, 2));
	lone_drain(&l);
	ck_assert_uint_eq(count_type(&l, RAFT_MSG_TIMEOUT_NOW, 0), 0);
	lone_step(&l, ack(2, 2, last));
	lone_drain(&l);
	ck_assert_uint_eq(count_type(&l, RAFT_MSG_TIMEOUT_NOW, 2), 1);
	lone_free(&l);
}
END_TEST

/* A snapshot message owns its data (raft_send takes ownership): it must not
 * point into the storage, which may replace its snapshot before the
 * message is sent. */
START_TEST(test_a_snapshot_message_owns_a_copy_of_the_snapshot_data)
{
	static const raft_term terms[] = {1, 1, 1, 1};
	struct lone l;
	lone_leader(&l, V3, 3, terms, 4, 1, NULL);
	struct raft_conf_state cs = {.voters = {1, 2, 3}, .n_voters = 3};
	ck_assert_int_eq(raft_memstore_create_snapshot(l.ms, 4, &cs, "abcd", 4), TK_OK);
	ck_assert_int_eq(raft_memstore_compact(l.ms, 4), TK_OK);
	struct raft_message rj = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .term = 2, .index = 4,
				  .reject = true, .reject_hint = 0};
	lone_step(&l, rj);
	struct raft_storage st = raft_memstore_storage(l.ms);
	struct raft_snapshot stored;
	ck_assert_int_eq(st.ops->snapshot(st.ctx, &stored), TK_OK);
	struct raft_ready rd;
	raft_ready(l.r, &rd);
	size_t snaps = 0;
	for (size_t i = 0; i < rd.n_msgs; i++)
		if (rd.msgs[i].type == RAFT_MSG_SNAPSHOT) {
			const struct raft_snapshot *sn = rd.msgs[i].snapshot;
			snaps++;
			ck_assert_uint_eq(sn->len, 4);
			ck_assert(sn->data != stored.data);
			ck_assert(memcmp(sn->data, "abcd", 4) == 0);
		}
	raft_advance(l.r);
	ck_assert_uint_eq(snaps, 1);
	lone_free(&l);
}
END_TEST

/* Figure 3.1 / §3.5: a new leader initializes every nextIndex to its last
 * log index + 1 (not to what an older view of the log said), so its first
 * append to each follower is anchored at its own last entry; and it counts
 * itself as a replicating peer. */
START_TEST(test_new_leader_probes_each_follower_from_its_own_last_index)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_node *r = tn_lone(2, V3, 3, ms, NULL);
	struct raft_message out[64];
	/* entries 1-3 arrive after the node started (its view at start was
	 * an empty log) */
	struct raft_entry ents[3] = {{.index = 1, .term = 1}, {.index = 2, .term = 1},
				     {.index = 3, .term = 1}};
	struct raft_message a = {.type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 1,
				 .entries = ents, .n_entries = 3};
	ck_assert_int_eq(raft_step(r, &a), TK_OK);
	tn_free_msgs(out, tn_drain(r, ms, out, 64));
	raft_campaign(r);
	tn_free_msgs(out, tn_drain(r, ms, out, 64));
	struct raft_message v = {.type = RAFT_MSG_VOTE_RESP, .from = 1, .to = 2, .term = 2};
	ck_assert_int_eq(raft_step(r, &v), TK_OK);
	ck_assert_int_eq(raft_role(r), RAFT_LEADER);
	size_t k = tn_drain(r, ms, out, 64), appends = 0;
	for (size_t i = 0; i < k; i++)
		if (out[i].type == RAFT_MSG_APPEND) {
			appends++;
			ck_assert_uint_eq(out[i].index, 3);
			ck_assert_uint_eq(out[i].log_term, 1);
		}
	ck_assert_uint_eq(appends, 2);
	tn_free_msgs(out, k);
	struct raft_status st;
	raft_status(r, &st);
	bool self = false;
	for (size_t i = 0; i < st.n_progress; i++)
		if (st.progress[i].id == 2) {
			self = true;
			ck_assert_int_eq(st.progress[i].state, RAFT_PROGRESS_REPLICATE);
			ck_assert_uint_eq(st.progress[i].match, 4);
		}
	ck_assert(self);
	raft_node_free(r);
	raft_memstore_free(ms);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raft_repl");
	TCase *tc = tcase_create("repl");
	tcase_add_test(tc, test_new_leader_probes_each_follower_from_its_own_last_index);
	tcase_add_test(tc, test_an_ack_beyond_the_leaders_last_index_is_ignored);
	tcase_add_test(tc, test_a_response_claiming_to_come_from_the_leader_itself_is_ignored);
	tcase_add_test(tc, test_a_heartbeat_answer_from_an_up_to_date_follower_sends_no_append);
	tcase_add_test(tc, test_a_heartbeat_answer_frees_a_slot_of_a_full_window);
	tcase_add_test(tc, test_timeout_now_waits_until_the_transfer_target_has_the_whole_log);
	tcase_add_test(tc, test_a_snapshot_message_owns_a_copy_of_the_snapshot_data);
	tcase_add_test(tc, test_leader_appends_proposal_and_sends_it_to_every_follower);
	tcase_add_test(tc, test_leader_commits_once_a_majority_acknowledges);
	tcase_add_test(tc, test_committing_an_entry_commits_all_preceding_entries);
	tcase_add_test(tc, test_leader_never_commits_an_old_term_entry_by_counting);
	tcase_add_test(tc, test_figure8_entry_of_an_old_term_can_be_overwritten_until_committed);
	tcase_add_test(tc, test_follower_commits_what_the_leader_says_within_its_log);
	tcase_add_test(tc, test_follower_rejects_append_when_previous_entry_does_not_match);
	tcase_add_test(tc, test_leader_repairs_followers_with_missing_extra_and_conflicting_entries);
	tcase_add_test(tc, test_fast_backtracking_needs_few_probes);
	tcase_add_test(tc, test_heartbeat_commit_is_limited_to_the_followers_match);
	tcase_add_test(tc, test_probe_sends_one_append_until_answered_or_heartbeat_response);
	tcase_add_test(tc, test_replicate_state_pipelines_until_the_inflight_window_is_full);
	tcase_add_test(tc, test_unreachable_peer_goes_back_to_probe);
	tcase_add_test(tc, test_append_messages_respect_the_byte_limit);
	tcase_add_test(tc, test_replication_survives_a_partition_of_a_minority);
	tcase_add_test(tc, test_leader_in_a_minority_cannot_commit);
	tcase_add_test(tc, test_proposals_are_refused_by_followers_and_without_leader);
	tcase_add_test(tc, test_old_term_messages_do_not_change_the_log);
	tcase_add_test(tc, test_append_below_commit_is_answered_with_the_commit_index);
	tcase_add_test(tc, test_crashed_follower_loses_only_unpersisted_entries_and_catches_up);
	tcase_add_test(tc, test_leader_restores_next_from_acks_and_rejections);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int f = srunner_ntests_failed(sr);
	srunner_free(sr);
	return f ? EXIT_FAILURE : EXIT_SUCCESS;
}
