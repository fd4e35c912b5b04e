/* Unit tests of the log, unstable tail, progress, inflights, quorum and the
 * in-memory storage. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "raft/log.h"
#include "raft/memstore.h"
#include "raft/progress.h"
#include "raft/testheap.h"

static struct raft_entry E(raft_index i, raft_term t)
{
	struct raft_entry e = {.index = i, .term = t, .type = RAFT_ENTRY_NORMAL};
	return e;
}

/* A log whose storage holds entries with the given terms at 1..n. */
static struct raft_memstore *store_with(const raft_term *terms, size_t n)
{
	struct raft_memstore *ms = raft_memstore_new();
	for (size_t i = 0; i < n; i++) {
		struct raft_entry e = E(i + 1, terms[i]);
		ck_assert_int_eq(raft_memstore_append(ms, &e, 1), TK_OK);
	}
	return ms;
}

START_TEST(test_log_truncate_discards_conflicting_suffix)
{
	raft_term terms[] = {1, 2, 3};
	struct raft_memstore *ms = store_with(terms, 3);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	struct raft_entry ents[] = {E(2, 4), E(3, 4)};
	raft_index last_new = 0;
	ck_assert(raft_log_maybe_append(&l, 1, 1, 3, ents, 2, &last_new));
	ck_assert_uint_eq(last_new, 3);
	ck_assert_uint_eq(raft_log_term0(&l, 2), 4);
	ck_assert_uint_eq(raft_log_term0(&l, 3), 4);
	ck_assert_uint_eq(l.committed, 3);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

/* A conflict at the second unstable entry keeps the first one (§3.5: only
 * the conflicting entry and those after it are deleted). */
START_TEST(test_conflict_after_the_first_unstable_entry_keeps_it)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	struct raft_entry ents[] = {E(1, 1), E(2, 1), E(3, 1)};
	raft_log_append(&l, ents, 3); /* all unstable */
	struct raft_entry repl[] = {E(2, 2), E(3, 2)};
	raft_log_append(&l, repl, 2);
	ck_assert_uint_eq(raft_log_last(&l), 3);
	ck_assert_uint_eq(raft_log_term0(&l, 1), 1);
	ck_assert_uint_eq(raft_log_term0(&l, 2), 2);
	ck_assert_uint_eq(raft_log_term0(&l, 3), 2);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

/* A slice that starts at the first unstable entry reads nothing from the
 * storage (which holds nothing there yet). */
START_TEST(test_slice_from_the_first_unstable_entry_reads_only_the_unstable_tail)
{
	raft_term terms[] = {1, 1, 1};
	struct raft_memstore *ms = store_with(terms, 3);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	struct raft_entry ents[] = {E(4, 2), E(5, 2)};
	raft_log_append(&l, ents, 2);
	struct raft_entbuf b;
	raft_entbuf_init(&b);
	ck_assert_int_eq(raft_log_slice(&l, 4, 6, 0, &b), TK_OK);
	ck_assert_uint_eq(b.n, 2);
	ck_assert_uint_eq(b.ents[0].index, 4);
	ck_assert_uint_eq(b.ents[1].term, 2);
	raft_entbuf_destroy(&b);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

/* maybe_commit says whether the commit index moved: committing the same
 * index again is no news (the leader broadcasts only on news). */
START_TEST(test_maybe_commit_of_the_current_commit_index_is_no_news)
{
	raft_term terms[] = {1, 1};
	struct raft_memstore *ms = store_with(terms, 2);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	ck_assert(raft_log_maybe_commit(&l, 2, 1));
	ck_assert_uint_eq(l.committed, 2);
	ck_assert(!raft_log_maybe_commit(&l, 2, 1));
	ck_assert(!raft_log_maybe_commit(&l, 1, 1));
	ck_assert_uint_eq(l.committed, 2);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_log_append_rejects_mismatching_previous_term)
{
	raft_term terms[] = {1, 2, 3};
	struct raft_memstore *ms = store_with(terms, 3);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	struct raft_entry e = E(4, 4);
	raft_index last_new;
	ck_assert(!raft_log_maybe_append(&l, 3, 2, 3, &e, 1, &last_new));
	ck_assert(!raft_log_maybe_append(&l, 4, 3, 3, &e, 1, &last_new));
	ck_assert_uint_eq(raft_log_last(&l), 3);
	ck_assert_uint_eq(l.committed, 0);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_log_append_keeps_matching_entries_and_existing_tail)
{
	raft_term terms[] = {1, 2, 3};
	struct raft_memstore *ms = store_with(terms, 3);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	/* A stale, shorter append must not cut the entries after it. */
	struct raft_entry e = E(2, 2);
	raft_index last_new;
	ck_assert(raft_log_maybe_append(&l, 1, 1, 0, &e, 1, &last_new));
	ck_assert_uint_eq(last_new, 2);
	ck_assert_uint_eq(raft_log_last(&l), 3);
	ck_assert_uint_eq(l.un, 0);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_log_commit_is_limited_to_last_new_entry)
{
	raft_term terms[] = {1, 1, 1, 1};
	struct raft_memstore *ms = store_with(terms, 4);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	raft_index last_new;
	ck_assert(raft_log_maybe_append(&l, 2, 1, 10, NULL, 0, &last_new));
	ck_assert_uint_eq(l.committed, 2);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_log_find_conflict_by_term_skips_whole_terms)
{
	raft_term terms[] = {1, 1, 2, 2, 2, 5, 5};
	struct raft_memstore *ms = store_with(terms, 7);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	ck_assert_uint_eq(raft_log_find_conflict_by_term(&l, 7, 4), 5);
	ck_assert_uint_eq(raft_log_find_conflict_by_term(&l, 7, 1), 2);
	ck_assert_uint_eq(raft_log_find_conflict_by_term(&l, 7, 5), 7);
	ck_assert_uint_eq(raft_log_find_conflict_by_term(&l, 4, 0), 0);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_log_up_to_date_compares_last_term_then_index)
{
	raft_term terms[] = {1, 2, 2};
	struct raft_memstore *ms = store_with(terms, 3);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	ck_assert(raft_log_up_to_date(&l, 1, 3));
	ck_assert(raft_log_up_to_date(&l, 3, 2));
	ck_assert(raft_log_up_to_date(&l, 4, 2));
	ck_assert(!raft_log_up_to_date(&l, 2, 2));
	ck_assert(!raft_log_up_to_date(&l, 10, 1));
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_log_unstable_entries_become_stable_on_stable_to)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	struct raft_entry ents[] = {E(1, 1), E(2, 1), E(3, 1)};
	ents[1].data = (const uint8_t *)"abc";
	ents[1].len = 3;
	ck_assert_uint_eq(raft_log_append(&l, ents, 3), 3);
	ck_assert_uint_eq(l.un, 3);
	ck_assert_int_eq(raft_memstore_append(ms, l.uents, 2), TK_OK);
	raft_log_stable_to(&l, 2, 1);
	ck_assert_uint_eq(l.un, 1);
	ck_assert_uint_eq(l.uoff, 3);
	/* a stale term does not stabilize */
	raft_log_stable_to(&l, 3, 9);
	ck_assert_uint_eq(l.un, 1);
	struct raft_entbuf b;
	raft_entbuf_init(&b);
	ck_assert_int_eq(raft_log_slice(&l, 1, 4, 0, &b), TK_OK);
	ck_assert_uint_eq(b.n, 3);
	ck_assert_uint_eq(b.ents[1].len, 3);
	ck_assert(memcmp(b.ents[1].data, "abc", 3) == 0);
	raft_entbuf_destroy(&b);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_log_slice_respects_byte_limit_but_returns_one_entry)
{
	struct raft_memstore *ms = raft_memstore_new();
	char big[100];
	memset(big, 'x', sizeof(big));
	for (raft_index i = 1; i <= 10; i++) {
		struct raft_entry e = E(i, 1);
		e.data = (const uint8_t *)big;
		e.len = 100;
		raft_memstore_append(ms, &e, 1);
	}
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	struct raft_entbuf b;
	raft_entbuf_init(&b);
	ck_assert_int_eq(raft_log_slice(&l, 1, 11, 250, &b), TK_OK);
	ck_assert_uint_eq(b.n, 2);
	ck_assert_int_eq(raft_log_slice(&l, 1, 11, 50, &b), TK_OK);
	ck_assert_uint_eq(b.n, 1);
	ck_assert_int_eq(raft_log_slice(&l, 1, 12, 50, &b), TK_E_LOG_UNAVAILABLE);
	raft_entbuf_destroy(&b);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_log_slice_of_compacted_range_reports_compacted)
{
	raft_term terms[] = {1, 1, 2, 2, 3};
	struct raft_memstore *ms = store_with(terms, 5);
	struct raft_conf_state cs = {.n_voters = 1, .voters = {1}};
	ck_assert_int_eq(raft_memstore_create_snapshot(ms, 3, &cs, "s", 1), TK_OK);
	ck_assert_int_eq(raft_memstore_compact(ms, 3), TK_OK);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	struct raft_entbuf b;
	raft_entbuf_init(&b);
	ck_assert_uint_eq(raft_log_first(&l), 4);
	ck_assert_int_eq(raft_log_slice(&l, 3, 5, 0, &b), TK_E_COMPACTED);
	ck_assert_int_eq(raft_log_slice(&l, 4, 6, 0, &b), TK_OK);
	ck_assert_uint_eq(b.n, 2);
	raft_term t;
	ck_assert_int_eq(raft_log_term(&l, 3, &t), TK_OK);
	ck_assert_uint_eq(t, 2);
	ck_assert_int_eq(raft_log_term(&l, 2, &t), TK_E_COMPACTED);
	ck_assert_int_eq(raft_log_term(&l, 6, &t), TK_E_LOG_UNAVAILABLE);
	raft_entbuf_destroy(&b);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_log_restore_replaces_log_with_snapshot)
{
	raft_term terms[] = {1, 1, 2};
	struct raft_memstore *ms = store_with(terms, 3);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	struct raft_snapshot s = {.meta = {.index = 10, .term = 4}, .data = (const uint8_t *)"d", .len = 1};
	raft_log_restore(&l, &s);
	ck_assert_uint_eq(raft_log_last(&l), 10);
	ck_assert_uint_eq(raft_log_first(&l), 11);
	ck_assert_uint_eq(l.committed, 10);
	ck_assert_uint_eq(raft_log_term0(&l, 10), 4);
	ck_assert(!raft_log_has_next_ents(&l));
	struct raft_entry e = E(11, 4);
	ck_assert_uint_eq(raft_log_append(&l, &e, 1), 11);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_log_next_ents_are_committed_but_unapplied)
{
	raft_term terms[] = {1, 1, 1, 1};
	struct raft_memstore *ms = store_with(terms, 4);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	raft_log_commit_to(&l, 3);
	raft_log_applied_to(&l, 1);
	struct raft_entbuf b;
	raft_entbuf_init(&b);
	raft_log_next_ents(&l, 0, &b);
	ck_assert_uint_eq(b.n, 2);
	ck_assert_uint_eq(b.ents[0].index, 2);
	raft_entbuf_destroy(&b);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_memstore_append_truncates_and_rejects_gaps)
{
	raft_term terms[] = {1, 1, 1};
	struct raft_memstore *ms = store_with(terms, 3);
	struct raft_entry e = E(2, 5);
	ck_assert_int_eq(raft_memstore_append(ms, &e, 1), TK_OK);
	ck_assert_uint_eq(raft_memstore_last(ms), 2);
	ck_assert_uint_eq(raft_memstore_entry(ms, 2)->term, 5);
	struct raft_entry g = E(5, 5);
	ck_assert_int_eq(raft_memstore_append(ms, &g, 1), TK_E_BAD_REQUEST);
	ck_assert_int_eq(raft_memstore_compact(ms, 1), TK_OK);
	ck_assert_int_eq(raft_memstore_compact(ms, 1), TK_E_COMPACTED);
	ck_assert_uint_eq(raft_memstore_first(ms), 2);
	raft_memstore_free(ms);
}
END_TEST

START_TEST(test_quorum_commit_is_the_majority_match)
{
	struct raft_tracker t;
	raft_tracker_init(&t, 4);
	raft_index m[] = {5, 3, 9, 1, 7};
	for (size_t i = 0; i < 5; i++)
		raft_tracker_add(&t, i + 1, 1)->match = m[i];
	ck_assert_uint_eq(raft_tracker_committed(&t), 5);
	raft_tracker_remove(&t, 3);
	raft_tracker_remove(&t, 5);
	/* {5, 3, 1}: a majority holds 3 */
	ck_assert_uint_eq(raft_tracker_committed(&t), 3);
	raft_tracker_destroy(&t);
}
END_TEST

START_TEST(test_vote_tally_wins_loses_or_waits)
{
	struct raft_tracker t;
	raft_tracker_init(&t, 4);
	for (raft_id i = 1; i <= 5; i++)
		raft_tracker_add(&t, i, 1);
	raft_tracker_record_vote(&t, 1, true);
	raft_tracker_record_vote(&t, 2, false);
	ck_assert_int_eq(raft_tracker_tally(&t), RAFT_VOTE_PENDING);
	raft_tracker_record_vote(&t, 3, false);
	raft_tracker_record_vote(&t, 3, true); /* second answer ignored */
	ck_assert_int_eq(raft_tracker_tally(&t), RAFT_VOTE_PENDING);
	raft_tracker_record_vote(&t, 4, false);
	ck_assert_int_eq(raft_tracker_tally(&t), RAFT_VOTE_LOST);
	raft_tracker_reset_votes(&t);
	raft_tracker_record_vote(&t, 1, true);
	raft_tracker_record_vote(&t, 2, true);
	raft_tracker_record_vote(&t, 5, true);
	ck_assert_int_eq(raft_tracker_tally(&t), RAFT_VOTE_WON);
	raft_tracker_destroy(&t);
}
END_TEST

START_TEST(test_inflights_window_fills_and_frees_in_order)
{
	struct raft_inflights in = {.size = 3};
	raft_ins_add(&in, 5);
	raft_ins_add(&in, 7);
	raft_ins_add(&in, 9);
	ck_assert(raft_ins_full(&in));
	raft_ins_free_le(&in, 7);
	ck_assert_uint_eq(in.count, 1);
	raft_ins_add(&in, 11);
	raft_ins_add(&in, 13);
	ck_assert(raft_ins_full(&in));
	raft_ins_free_first(&in);
	ck_assert_uint_eq(in.count, 2);
	raft_ins_free_le(&in, 100);
	ck_assert_uint_eq(in.count, 0);
	free(in.buf);
}
END_TEST

START_TEST(test_progress_probe_decrements_only_for_the_latest_probe)
{
	struct raft_progress p = {.match = 3, .next = 10, .state = RAFT_PROGRESS_PROBE};
	ck_assert(!raft_pr_maybe_decr(&p, 5, 5)); /* stale */
	ck_assert(raft_pr_maybe_decr(&p, 9, 6));
	ck_assert_uint_eq(p.next, 7);
	ck_assert(raft_pr_maybe_decr(&p, 6, 0));
	ck_assert_uint_eq(p.next, 4); /* never at or below match */
}
END_TEST

START_TEST(test_progress_replicate_rejection_falls_back_to_match)
{
	struct raft_progress p = {.match = 5, .next = 12, .state = RAFT_PROGRESS_REPLICATE};
	ck_assert(!raft_pr_maybe_decr(&p, 4, 4));
	ck_assert(raft_pr_maybe_decr(&p, 9, 3));
	ck_assert_uint_eq(p.next, 6);
}
END_TEST

START_TEST(test_progress_update_moves_match_and_next_forward_only)
{
	struct raft_progress p = {.match = 5, .next = 8, .state = RAFT_PROGRESS_PROBE, .probe_sent = true};
	ck_assert(!raft_pr_maybe_update(&p, 4));
	ck_assert_uint_eq(p.next, 8);
	ck_assert(raft_pr_maybe_update(&p, 9));
	ck_assert_uint_eq(p.match, 9);
	ck_assert_uint_eq(p.next, 10);
	ck_assert(!p.probe_sent);
	/* an ack of exactly the entry next points at (a late answer after a
	 * probe moved next back) moves next past it: it is not sent again */
	p.next = 12;
	ck_assert(raft_pr_maybe_update(&p, 12));
	ck_assert_uint_eq(p.next, 13);
}
END_TEST

/* §10.2 flow control: appends in flight before a peer fell back to probing
 * are forgotten, so a full window does not keep it paused once it
 * replicates again. */
START_TEST(test_progress_back_to_replicate_starts_with_an_empty_window)
{
	struct raft_tracker t;
	raft_tracker_init(&t, 2);
	struct raft_progress *p = raft_tracker_add(&t, 2, 1);
	raft_pr_become_replicate(p);
	raft_pr_sent(p, 1);
	raft_pr_sent(p, 2);
	ck_assert(raft_pr_paused(p));
	raft_pr_become_probe(p);
	raft_pr_become_replicate(p);
	ck_assert(!raft_pr_paused(p));
	raft_tracker_destroy(&t);
}
END_TEST

START_TEST(test_progress_leaving_snapshot_resumes_after_it)
{
	struct raft_progress p = {.match = 2, .next = 3, .state = RAFT_PROGRESS_PROBE};
	raft_pr_become_snapshot(&p, 20);
	ck_assert(raft_pr_paused(&p));
	raft_pr_become_probe(&p);
	ck_assert_uint_eq(p.next, 21);
	ck_assert(!raft_pr_paused(&p));
}
END_TEST

START_TEST(test_conf_change_encoding_round_trips)
{
	struct raft_conf_change cc = {.type = RAFT_CC_REMOVE_VOTER, .node = 0x0102030405060708ULL,
				      .context = (const uint8_t *)"ctx", .context_len = 3};
	uint8_t buf[32];
	size_t n = raft_conf_change_encode(&cc, buf, sizeof(buf));
	ck_assert_uint_eq(n, 12);
	struct raft_conf_change d;
	ck_assert_int_eq(raft_conf_change_decode(buf, n, &d), TK_OK);
	ck_assert_uint_eq(d.type, RAFT_CC_REMOVE_VOTER);
	ck_assert_uint_eq(d.node, cc.node);
	ck_assert_uint_eq(d.context_len, 3);
	ck_assert_int_eq(raft_conf_change_decode(buf, 5, &d), TK_E_BAD_REQUEST);
	buf[0] = 9;
	ck_assert_int_eq(raft_conf_change_decode(buf, n, &d), TK_E_BAD_REQUEST);
}
END_TEST

/* The size raft_conf_change_encode asks for is exact: a buffer of that size
 * gets the encoding, one byte less gets nothing, a bigger one is written
 * only up to it. */
START_TEST(test_conf_change_encoding_writes_exactly_the_size_it_asks_for)
{
	struct raft_conf_change cc = {.type = RAFT_CC_ADD_VOTER, .node = 7};
	size_t need = raft_conf_change_encode(&cc, NULL, 0);
	ck_assert_uint_eq(need, 9);
	uint8_t buf[9];
	memset(buf, 0xee, sizeof(buf));
	ck_assert_uint_eq(raft_conf_change_encode(&cc, buf, need - 1), need);
	ck_assert_uint_eq(buf[0], 0xee);
	ck_assert_uint_eq(raft_conf_change_encode(&cc, buf, need), need);
	struct raft_conf_change d;
	ck_assert_int_eq(raft_conf_change_decode(buf, need, &d), TK_OK);
	ck_assert_uint_eq(d.type, RAFT_CC_ADD_VOTER);
	ck_assert_uint_eq(d.node, 7);
	/* and nothing past it */
	uint8_t big[16];
	memset(big, 0xee, sizeof(big));
	ck_assert_uint_eq(raft_conf_change_encode(&cc, big, sizeof(big)), need);
	for (size_t i = need; i < sizeof(big); i++)
		ck_assert_uint_eq(big[i], 0xee);
}
END_TEST

/* Every message type has its name (traces name them); others are unknown. */
START_TEST(test_every_message_type_has_a_name)
{
	ck_assert_str_eq(raft_msg_type_name(RAFT_MSG_APPEND), "APPEND");
	ck_assert_str_eq(raft_msg_type_name(RAFT_MSG_TYPE_MAX), "READ_INDEX_RESP");
	for (unsigned t = RAFT_MSG_APPEND; t <= RAFT_MSG_TYPE_MAX; t++)
		ck_assert_str_ne(raft_msg_type_name((uint8_t)t), "UNKNOWN");
	ck_assert_str_eq(raft_msg_type_name(0), "UNKNOWN");
	ck_assert_str_eq(raft_msg_type_name(RAFT_MSG_TYPE_MAX + 1), "UNKNOWN");
}
END_TEST

START_TEST(test_message_copy_is_deep)
{
	struct raft_entry ents[2] = {{.index = 1, .term = 1, .data = (const uint8_t *)"ab", .len = 2},
				     {.index = 2, .term = 1, .data = (const uint8_t *)"cde", .len = 3}};
	struct raft_snapshot s = {.meta = {.index = 4}, .data = (const uint8_t *)"zz", .len = 2};
	struct raft_message m = {.type = RAFT_MSG_APPEND, .n_entries = 2, .entries = ents,
				 .snapshot = &s, .context = (const uint8_t *)"q", .context_len = 1};
	struct raft_message c;
	raft_message_copy(&c, &m);
	ck_assert_ptr_ne(c.entries, ents);
	ck_assert(memcmp(c.entries[1].data, "cde", 3) == 0);
	ck_assert(memcmp(c.snapshot->data, "zz", 2) == 0);
	ck_assert(c.context[0] == 'q');
	raft_message_destroy(&c);
}
END_TEST

START_TEST(test_entbuf_keeps_data_valid_across_growth)
{
	struct raft_entbuf b;
	raft_entbuf_init(&b);
	char d[10];
	for (int i = 0; i < 1000; i++) {
		memset(d, 'a' + i % 26, sizeof(d));
		raft_entbuf_push(&b, 1, (raft_index)i + 1, 0, (const uint8_t *)d, sizeof(d));
	}
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(b.ents[i].data[9], 'a' + i % 26);
	ck_assert_uint_eq(b.bytes, 10000);
	raft_entbuf_destroy(&b);
}
END_TEST

/* ---- broken invariants ---- */

/* Run f in a child whose stderr goes to out; its wait status. */
static int run_captured(void (*f)(void), char *out, size_t cap)
{
	int fd[2];
	ck_assert_int_eq(pipe(fd), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fd[0]);
		dup2(fd[1], 2);
		f();
		_exit(0);
	}
	close(fd[1]);
	size_t n = 0;
	ssize_t k;
	while (n + 1 < cap && (k = read(fd[0], out + n, cap - 1 - n)) > 0)
		n += (size_t)k;
	out[n] = 0;
	close(fd[0]);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

static void panic_without_log(void)
{
	raft_panic(NULL, "alone");
}

static void panic_without_tracer(void)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_log l;
	raft_log_init_traced(&l, raft_memstore_storage(ms), NULL, 7);
	raft_panic(&l, "untraced");
}

static void panic_with_an_empty_tracer(void)
{
	static const struct raft_tracer none = {.trace = NULL};
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_log l;
	raft_log_init_traced(&l, raft_memstore_storage(ms), &none, 9);
	raft_panic(&l, "no trace function");
}

/* A panic always says what broke on stderr, naming the node, and aborts:
 * also for a log used alone, without a tracer, or with an empty one. */
START_TEST(test_a_panic_reports_on_stderr_and_aborts_in_every_setting)
{
	static void (*const f[])(void) = {panic_without_log, panic_without_tracer,
					  panic_with_an_empty_tracer};
	static const char *const want[] = {"raft node 0: panic: alone\n",
					   "raft node 7: panic: untraced\n",
					   "raft node 9: panic: no trace function\n"};
	for (size_t i = 0; i < 3; i++) {
		char out[256];
		int st = run_captured(f[i], out, sizeof(out));
		ck_assert(WIFSIGNALED(st));
		ck_assert_int_eq(WTERMSIG(st), SIGABRT);
		ck_assert_str_eq(out, want[i]);
	}
}
END_TEST

/* A storage whose term() answers with fault_err (entries 1-3 of term 1
 * otherwise held by a memstore). */
static enum tk_err fault_err;
static struct raft_storage fault_inner;
static enum tk_err fault_term(void *ctx, raft_index i, raft_term *t)
{
	(void)ctx;
	(void)i;
	*t = 0;
	return fault_err;
}
static enum tk_err fault_initial(void *ctx, struct raft_hard_state *hs, struct raft_conf_state *cs)
{
	(void)ctx;
	return fault_inner.ops->initial_state(fault_inner.ctx, hs, cs);
}
static enum tk_err fault_entries(void *ctx, raft_index lo, raft_index hi, size_t max,
				 struct raft_entbuf *out)
{
	(void)ctx;
	return fault_inner.ops->entries(fault_inner.ctx, lo, hi, max, out);
}
static enum tk_err fault_first(void *ctx, raft_index *out)
{
	(void)ctx;
	return fault_inner.ops->first_index(fault_inner.ctx, out);
}
static enum tk_err fault_last(void *ctx, raft_index *out)
{
	(void)ctx;
	return fault_inner.ops->last_index(fault_inner.ctx, out);
}
static enum tk_err fault_snapshot(void *ctx, struct raft_snapshot *out)
{
	(void)ctx;
	return fault_inner.ops->snapshot(fault_inner.ctx, out);
}
static const struct raft_storage_ops fault_ops = {
	.initial_state = fault_initial, .entries = fault_entries, .term = fault_term,
	.first_index = fault_first, .last_index = fault_last, .snapshot = fault_snapshot};

static void open_faulty(struct raft_log *l, struct raft_memstore *ms)
{
	struct raft_entry e[3] = {{.index = 1, .term = 1}, {.index = 2, .term = 1},
				  {.index = 3, .term = 1}};
	raft_memstore_append(ms, e, 3);
	fault_inner = raft_memstore_storage(ms);
	raft_log_init(l, (struct raft_storage){.ops = &fault_ops, .ctx = NULL});
}

static void term_with_a_failing_storage(void)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_log l;
	open_faulty(&l, ms);
	fault_err = TK_E_CORRUPTION;
	raft_term t;
	raft_log_term(&l, 2, &t);
}

/* The storage's expected answers (compacted, not there yet, busy) are
 * handed on; anything else is a broken storage and a panic. */
START_TEST(test_a_storage_error_other_than_the_expected_ones_is_a_panic)
{
	static const enum tk_err expected[] = {TK_E_COMPACTED, TK_E_LOG_UNAVAILABLE,
					       TK_E_SERVER_IS_BUSY};
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_log l;
	open_faulty(&l, ms);
	for (size_t i = 0; i < 3; i++) {
		fault_err = expected[i];
		raft_term t = 9;
		ck_assert_int_eq(raft_log_term(&l, 2, &t), expected[i]);
		ck_assert_uint_eq(t, 0);
	}
	raft_log_destroy(&l);
	raft_memstore_free(ms);
	char out[256];
	int st = run_captured(term_with_a_failing_storage, out, sizeof(out));
	ck_assert(WIFSIGNALED(st));
	ck_assert_int_eq(WTERMSIG(st), SIGABRT);
	ck_assert_str_eq(out, "raft node 0: panic: raft storage failed\n");
}
END_TEST

static struct raft_entry with_data(raft_index i, raft_term t)
{
	struct raft_entry e = {.index = i, .term = t, .data = (const uint8_t *)"0123456789",
			       .len = 10};
	return e;
}

/* Unstable entries replaced by a conflicting append, then a snapshot,
 * then entries after it, all dropped with the log. */
static void log_life(void)
{
	raft_term terms[] = {1};
	struct raft_memstore *ms = store_with(terms, 1);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	struct raft_entry e[3] = {with_data(2, 1), with_data(3, 1), with_data(4, 1)};
	raft_log_append(&l, e, 3);
	struct raft_entry c = with_data(3, 2);
	raft_log_append(&l, &c, 1);
	raft_log_stable_to(&l, 2, 1); /* 2 persisted: released here */
	struct raft_snapshot s = {.meta = {.index = 10, .term = 3}, .data = (const uint8_t *)"d",
				  .len = 1};
	raft_log_restore(&l, &s);
	struct raft_entry after = with_data(11, 3);
	raft_log_append(&l, &after, 1);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}

/* The log gives back the memory of entries it truncates and, when
 * destroyed, of its unstable entries and snapshot. */
START_TEST(test_the_log_releases_truncated_and_unstable_entries_and_its_snapshot)
{
	for (int i = 0; i < 10; i++)
		log_life();
	size_t before = heap_in_use();
	for (int i = 0; i < 50; i++)
		log_life();
	ck_assert_uint_le(heap_in_use(), before);
}
END_TEST

/* With an unstable snapshot, indexes below it are compacted, indexes after
 * it (and after the entries that follow it) not there yet. */
START_TEST(test_log_term_around_an_unstable_snapshot)
{
	raft_term terms[] = {1, 1, 1};
	struct raft_memstore *ms = store_with(terms, 3);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	struct raft_snapshot s = {.meta = {.index = 10, .term = 4}};
	raft_log_restore(&l, &s);
	raft_term t;
	ck_assert_int_eq(raft_log_term(&l, 2, &t), TK_E_COMPACTED);
	ck_assert_int_eq(raft_log_term(&l, 9, &t), TK_E_COMPACTED);
	ck_assert_int_eq(raft_log_term(&l, 10, &t), TK_OK);
	ck_assert_uint_eq(t, 4);
	ck_assert_int_eq(raft_log_term(&l, 11, &t), TK_E_LOG_UNAVAILABLE);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

static void append_over_a_committed_entry(void)
{
	raft_term terms[] = {1, 1, 1};
	struct raft_memstore *ms = store_with(terms, 3);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	raft_log_commit_to(&l, 3);
	raft_log_applied_to(&l, 1);
	struct raft_entry e = E(3, 2); /* replaces 3: committed, not applied */
	raft_log_append(&l, &e, 1);
}

/* Committed entries are never replaced, applied or not (§3.5). */
START_TEST(test_appending_over_a_committed_entry_is_a_panic)
{
	char out[256];
	int st = run_captured(append_over_a_committed_entry, out, sizeof(out));
	ck_assert(WIFSIGNALED(st));
	ck_assert_int_eq(WTERMSIG(st), SIGABRT);
	ck_assert_str_eq(out, "raft node 0: panic: append would overwrite committed entries\n");
}
END_TEST

/* A conflicting append that reaches below the unstable entries (into the
 * stable log) drops them all: e.g. a follower that has not persisted its
 * last entries yet hears from a new leader. */
START_TEST(test_a_conflict_below_the_unstable_entries_drops_them_all)
{
	raft_term terms[] = {1, 1, 1, 1, 1};
	struct raft_memstore *ms = store_with(terms, 5);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	struct raft_entry u[2] = {E(6, 1), E(7, 1)};
	ck_assert_uint_eq(raft_log_append(&l, u, 2), 7);
	struct raft_entry c = E(4, 2);
	ck_assert_uint_eq(raft_log_append(&l, &c, 1), 4);
	ck_assert_uint_eq(raft_log_last(&l), 4);
	ck_assert_uint_eq(raft_log_term0(&l, 4), 2);
	raft_term t;
	ck_assert_int_eq(raft_log_term(&l, 5, &t), TK_E_LOG_UNAVAILABLE);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

static void conflict_at_the_commit_index(void)
{
	raft_term terms[] = {1, 1, 1};
	struct raft_memstore *ms = store_with(terms, 3);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	raft_log_commit_to(&l, 2);
	struct raft_entry e[2] = {E(2, 2), E(3, 2)};
	raft_index last;
	raft_log_maybe_append(&l, 1, 1, 2, e, 2, &last);
}

/* An append whose first conflict is the commit index itself is a broken
 * invariant (log matching): caught as such, before anything is replaced. */
START_TEST(test_a_conflict_at_the_commit_index_is_a_panic)
{
	char out[256];
	int st = run_captured(conflict_at_the_commit_index, out, sizeof(out));
	ck_assert(WIFSIGNALED(st));
	ck_assert_int_eq(WTERMSIG(st), SIGABRT);
	ck_assert_str_eq(out, "raft node 0: panic: conflict with a committed entry\n");
}
END_TEST

/* A log of 3 entries, committed to 2, applied to 1. */
static void log_3_2_1(struct raft_log *l, struct raft_memstore **ms)
{
	raft_term terms[] = {1, 1, 1};
	*ms = store_with(terms, 3);
	raft_log_init(l, raft_memstore_storage(*ms));
	raft_log_commit_to(l, 2);
	raft_log_applied_to(l, 1);
}

static void commit_past_the_last_index(void)
{
	struct raft_log l;
	struct raft_memstore *ms;
	log_3_2_1(&l, &ms);
	raft_log_commit_to(&l, 4);
}

static void apply_past_the_commit_index(void)
{
	struct raft_log l;
	struct raft_memstore *ms;
	log_3_2_1(&l, &ms);
	raft_log_applied_to(&l, 3);
}

static void apply_backwards(void)
{
	struct raft_log l;
	struct raft_memstore *ms;
	log_3_2_1(&l, &ms);
	raft_log_applied_to(&l, 1); /* again: allowed */
	raft_log_applied_to(&l, 2);
	raft_log_applied_to(&l, 2);
	raft_log_applied_to(&l, 1);
}

/* Commit never passes the last index, applied never passes commit nor goes
 * back (re-stating it is allowed): broken invariants, i.e. panics. */
START_TEST(test_commit_and_applied_bounds_are_invariants)
{
	static void (*const f[])(void) = {commit_past_the_last_index, apply_past_the_commit_index,
					  apply_backwards};
	static const char *const want[] = {"raft node 0: panic: commit beyond last index\n",
					   "raft node 0: panic: applied out of range\n",
					   "raft node 0: panic: applied out of range\n"};
	for (size_t i = 0; i < 3; i++) {
		char out[256];
		int st = run_captured(f[i], out, sizeof(out));
		ck_assert(WIFSIGNALED(st));
		ck_assert_int_eq(WTERMSIG(st), SIGABRT);
		ck_assert_str_eq(out, want[i]);
	}
	struct raft_log l;
	struct raft_memstore *ms;
	log_3_2_1(&l, &ms);
	raft_log_commit_to(&l, 3);
	ck_assert_uint_eq(l.committed, 3);
	raft_log_applied_to(&l, 3);
	raft_log_applied_to(&l, 3);
	ck_assert_uint_eq(l.applied, 3);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

/* A slice that fills its byte budget exactly with stable entries ends
 * there: the unstable entries after them (even empty ones) wait for the
 * next slice. */
START_TEST(test_a_slice_that_fills_its_budget_in_storage_stops_there)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_entry st[2] = {{.index = 1, .term = 1, .data = (const uint8_t *)"aaaaa", .len = 5},
				   {.index = 2, .term = 1, .data = (const uint8_t *)"bbbbb", .len = 5}};
	raft_memstore_append(ms, st, 2);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	struct raft_entry u = E(3, 1); /* empty */
	raft_log_append(&l, &u, 1);
	struct raft_entbuf out;
	raft_entbuf_init(&out);
	ck_assert_int_eq(raft_log_slice(&l, 1, 4, 10, &out), TK_OK);
	ck_assert_uint_eq(out.n, 2);
	ck_assert_uint_eq(out.bytes, 10);
	ck_assert_int_eq(raft_log_slice(&l, 1, 4, 11, &out), TK_OK);
	ck_assert_uint_eq(out.n, 3);
	raft_entbuf_destroy(&out);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

/* The byte limit holds for unstable entries too: entries up to exactly the
 * budget are taken, and a first entry over it alone still is. */
START_TEST(test_unstable_slices_fill_the_budget_exactly_and_take_at_least_one)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	struct raft_entry u[3] = {{.index = 1, .term = 1, .data = (const uint8_t *)"aaaaa", .len = 5},
				  {.index = 2, .term = 1, .data = (const uint8_t *)"bbbbb", .len = 5},
				  {.index = 3, .term = 1, .data = (const uint8_t *)"c", .len = 1}};
	raft_log_append(&l, u, 3);
	struct raft_entbuf out;
	raft_entbuf_init(&out);
	ck_assert_int_eq(raft_log_slice(&l, 1, 4, 10, &out), TK_OK);
	ck_assert_uint_eq(out.n, 2);
	ck_assert_int_eq(raft_log_slice(&l, 1, 4, 3, &out), TK_OK);
	ck_assert_uint_eq(out.n, 1);
	ck_assert_uint_eq(out.bytes, 5);
	raft_entbuf_destroy(&out);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

/* The log's copy of a snapshot owns its data: an empty snapshot whose data
 * pointer is the caller's (not NULL) is not kept pointing there. */
START_TEST(test_an_empty_snapshot_keeps_no_pointer_of_the_caller)
{
	static const uint8_t callers[4] = "abc";
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	struct raft_snapshot s = {.meta = {.index = 3, .term = 1}, .data = callers, .len = 0};
	raft_log_restore(&l, &s);
	struct raft_snapshot got;
	ck_assert_int_eq(raft_log_snapshot(&l, &got), TK_OK);
	ck_assert(got.data != callers);
	raft_log_destroy(&l); /* frees the copy, never the caller's bytes */
	raft_memstore_free(ms);
}
END_TEST

/* stable_to marks persisted only the unstable entries it names, with the
 * term they still have; anything else (already stable, past the unstable
 * ones, even where a truncated entry's slot remains) changes nothing. */
START_TEST(test_stable_to_outside_the_unstable_entries_changes_nothing)
{
	raft_term terms[] = {1, 1};
	struct raft_memstore *ms = store_with(terms, 2);
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	struct raft_entry u[3] = {with_data(3, 1), with_data(4, 1), with_data(5, 1)};
	raft_log_append(&l, u, 3);
	struct raft_entry c = with_data(4, 2); /* 5's slot keeps its old copy */
	raft_log_append(&l, &c, 1);
	ck_assert_uint_eq(l.un, 2);
	raft_log_stable_to(&l, 5, 1); /* past the unstable entries */
	raft_log_stable_to(&l, 1, 1); /* already stable */
	raft_log_stable_to(&l, 4, 1); /* replaced since: term 2 now */
	ck_assert_uint_eq(l.un, 2);
	ck_assert_uint_eq(l.uoff, 3);
	raft_log_stable_to(&l, 3, 1);
	ck_assert_uint_eq(l.un, 1);
	ck_assert_uint_eq(l.uoff, 4);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

/* stable_snap_to drops the unstable snapshot only when it names it. */
START_TEST(test_stable_snap_to_drops_only_the_snapshot_it_names)
{
	struct raft_memstore *ms = raft_memstore_new();
	struct raft_log l;
	raft_log_init(&l, raft_memstore_storage(ms));
	raft_log_stable_snap_to(&l, 5); /* none: nothing to do */
	struct raft_snapshot s = {.meta = {.index = 5, .term = 1}};
	raft_log_restore(&l, &s);
	raft_log_stable_snap_to(&l, 4);
	ck_assert_ptr_nonnull(l.usnap);
	raft_log_stable_snap_to(&l, 5);
	ck_assert_ptr_null(l.usnap);
	raft_log_destroy(&l);
	raft_memstore_free(ms);
}
END_TEST

/* The largest x that at least a quorum of values reach (a reference). */
static uint64_t quorum_value(const uint64_t *v, size_t n)
{
	uint64_t best = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		for (size_t j = 0; j < n; j++)
			k += v[j] >= v[i];
		if (k >= n / 2 + 1 && v[i] > best)
			best = v[i];
	}
	return best;
}

/* The lease's read round is the one a quorum acknowledged, the leader
 * counting the round it is at: checked against the reference on many
 * groups (1-7 voters, the leader anywhere, ties, any order). */
START_TEST(test_read_quorum_round_is_the_quorum_th_largest_acknowledgement)
{
	uint64_t x = 12345;
	for (int round = 0; round < 400; round++) {
		size_t n = 1 + (size_t)(round % 7);
		struct raft_tracker t;
		raft_tracker_init(&t, 4);
		uint64_t v[8];
		raft_id self = 1 + (raft_id)((round / 7) % n);
		uint64_t self_seq = 0;
		for (size_t i = 0; i < n; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			v[i] = (x >> 33) % 6;
			struct raft_progress *p = raft_tracker_add(&t, i + 1, 1);
			if (p->id == self) {
				self_seq = v[i];
				p->read_ack = 99; /* never read for the leader */
			} else {
				p->read_ack = v[i];
			}
		}
		ck_assert_uint_eq(raft_tracker_read_quorum_seq(&t, self, self_seq),
				  quorum_value(v, n));
		raft_tracker_destroy(&t);
	}
}
END_TEST

static void overflow_the_window(void)
{
	struct raft_inflights in = {.size = 2};
	raft_ins_add(&in, 1);
	raft_ins_add(&in, 2);
	raft_ins_add(&in, 3);
}

/* The window is never overfilled: callers check raft_ins_full first, so
 * one more is a broken invariant. */
START_TEST(test_adding_to_a_full_inflight_window_is_a_panic)
{
	char out[256];
	int st = run_captured(overflow_the_window, out, sizeof(out));
	ck_assert(WIFSIGNALED(st));
	ck_assert_int_eq(WTERMSIG(st), SIGABRT);
	ck_assert_str_eq(out, "raft node 0: panic: inflight window overflow\n");
}
END_TEST

/* The window grows (4, then 8 slots) while it wraps around: it keeps its
 * order, and frees exactly what is acknowledged. */
START_TEST(test_the_inflight_window_keeps_its_order_when_it_grows_after_wrapping)
{
	struct raft_inflights in = {.size = 8};
	for (raft_index i = 1; i <= 4; i++)
		raft_ins_add(&in, i);
	raft_ins_free_le(&in, 2); /* start moves to 2 */
	raft_ins_add(&in, 5);
	raft_ins_add(&in, 6); /* full at 4 slots */
	raft_ins_add(&in, 7); /* grows */
	ck_assert_uint_eq(in.count, 5);
	raft_ins_free_le(&in, 4);
	ck_assert_uint_eq(in.count, 3);
	raft_ins_free_first(&in);
	ck_assert_uint_eq(in.count, 2);
	raft_ins_free_le(&in, 7);
	ck_assert_uint_eq(in.count, 0);
	free(in.buf);
}
END_TEST

/* The encoder asked for its size with no buffer writes nothing (whatever
 * capacity comes with it); a context survives the round trip; none gives
 * a NULL context. */
START_TEST(test_conf_change_encoding_edges)
{
	struct raft_conf_change cc = {.type = RAFT_CC_ADD_VOTER, .node = 7,
				      .context = (const uint8_t *)"ab", .context_len = 2};
	ck_assert_uint_eq(raft_conf_change_encode(&cc, NULL, 100), 11);
	uint8_t buf[16];
	ck_assert_uint_eq(raft_conf_change_encode(&cc, buf, sizeof(buf)), 11);
	struct raft_conf_change out;
	ck_assert_int_eq(raft_conf_change_decode(buf, 11, &out), TK_OK);
	ck_assert_uint_eq(out.context_len, 2);
	ck_assert_ptr_nonnull(out.context);
	ck_assert_int_eq(memcmp(out.context, "ab", 2), 0);
	cc.context = NULL;
	cc.context_len = 0;
	ck_assert_uint_eq(raft_conf_change_encode(&cc, buf, sizeof(buf)), 9);
	ck_assert_int_eq(raft_conf_change_decode(buf, 9, &out), TK_OK);
	ck_assert_uint_eq(out.node, 7);
	ck_assert_ptr_null(out.context);
	ck_assert_uint_eq(out.context_len, 0);
}
END_TEST

/* A copy owns what it points to: pointers of the source that carry nothing
 * (no entries, no snapshot, no context bytes) are not copied either. */
START_TEST(test_message_copy_takes_no_pointer_without_content)
{
	struct raft_entry e = {.index = 1, .term = 1};
	struct raft_snapshot sn = {.meta = {.index = 1, .term = 1}};
	static const uint8_t ctx[2] = "c";
	struct raft_message m = {.type = RAFT_MSG_HEARTBEAT, .from = 1, .to = 2, .term = 1,
				 .entries = &e, .n_entries = 0, .snapshot = NULL,
				 .context = ctx, .context_len = 0};
	struct raft_message d;
	raft_message_copy(&d, &m);
	ck_assert_ptr_null(d.entries);
	ck_assert_ptr_null(d.context);
	raft_message_destroy(&d);
	m.type = RAFT_MSG_APPEND;
	m.snapshot = &sn; /* not a SNAPSHOT message, but a pointer all the same */
	raft_message_copy(&d, &m);
	ck_assert(d.snapshot != &sn);
	raft_message_destroy(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raft_log");
	TCase *tc = tcase_create("log");
	tcase_add_test(tc, test_log_truncate_discards_conflicting_suffix);
	tcase_add_test(tc, test_log_append_rejects_mismatching_previous_term);
	tcase_add_test(tc, test_log_append_keeps_matching_entries_and_existing_tail);
	tcase_add_test(tc, test_log_commit_is_limited_to_last_new_entry);
	tcase_add_test(tc, test_log_find_conflict_by_term_skips_whole_terms);
	tcase_add_test(tc, test_log_up_to_date_compares_last_term_then_index);
	tcase_add_test(tc, test_log_unstable_entries_become_stable_on_stable_to);
	tcase_add_test(tc, test_log_slice_respects_byte_limit_but_returns_one_entry);
	tcase_add_test(tc, test_log_slice_of_compacted_range_reports_compacted);
	tcase_add_test(tc, test_log_restore_replaces_log_with_snapshot);
	tcase_add_test(tc, test_a_panic_reports_on_stderr_and_aborts_in_every_setting);
	tcase_add_test(tc, test_a_storage_error_other_than_the_expected_ones_is_a_panic);
	tcase_add_test(tc, test_the_log_releases_truncated_and_unstable_entries_and_its_snapshot);
	tcase_add_test(tc, test_log_term_around_an_unstable_snapshot);
	tcase_add_test(tc, test_appending_over_a_committed_entry_is_a_panic);
	tcase_add_test(tc, test_a_conflict_below_the_unstable_entries_drops_them_all);
	tcase_add_test(tc, test_a_conflict_at_the_commit_index_is_a_panic);
	tcase_add_test(tc, test_commit_and_applied_bounds_are_invariants);
	tcase_add_test(tc, test_a_slice_that_fills_its_budget_in_storage_stops_there);
	tcase_add_test(tc, test_unstable_slices_fill_the_budget_exactly_and_take_at_least_one);
	tcase_add_test(tc, test_an_empty_snapshot_keeps_no_pointer_of_the_caller);
	tcase_add_test(tc, test_stable_to_outside_the_unstable_entries_changes_nothing);
	tcase_add_test(tc, test_stable_snap_to_drops_only_the_snapshot_it_names);
	tcase_add_test(tc, test_read_quorum_round_is_the_quorum_th_largest_acknowledgement);
	tcase_add_test(tc, test_adding_to_a_full_inflight_window_is_a_panic);
	tcase_add_test(tc, test_the_inflight_window_keeps_its_order_when_it_grows_after_wrapping);
	tcase_add_test(tc, test_conf_change_encoding_edges);
	tcase_add_test(tc, test_message_copy_takes_no_pointer_without_content);
	tcase_add_test(tc, test_log_next_ents_are_committed_but_unapplied);
	tcase_add_test(tc, test_memstore_append_truncates_and_rejects_gaps);
	tcase_add_test(tc, test_quorum_commit_is_the_majority_match);
	tcase_add_test(tc, test_vote_tally_wins_loses_or_waits);
	tcase_add_test(tc, test_inflights_window_fills_and_frees_in_order);
	tcase_add_test(tc, test_progress_probe_decrements_only_for_the_latest_probe);
	tcase_add_test(tc, test_progress_replicate_rejection_falls_back_to_match);
	tcase_add_test(tc, test_progress_update_moves_match_and_next_forward_only);
	tcase_add_test(tc, test_progress_leaving_snapshot_resumes_after_it);
	tcase_add_test(tc, test_progress_back_to_replicate_starts_with_an_empty_window);
	tcase_add_test(tc, test_conf_change_encoding_round_trips);
	tcase_add_test(tc, test_conf_change_encoding_writes_exactly_the_size_it_asks_for);
	tcase_add_test(tc, test_every_message_type_has_a_name);
	tcase_add_test(tc, test_message_copy_is_deep);
	tcase_add_test(tc, test_entbuf_keeps_data_valid_across_growth);
	tcase_add_test(tc, test_conflict_after_the_first_unstable_entry_keeps_it);
	tcase_add_test(tc, test_maybe_commit_of_the_current_commit_index_is_no_news);
	tcase_add_test(tc, test_slice_from_the_first_unstable_entry_reads_only_the_unstable_tail);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int f = srunner_ntests_failed(sr);
	srunner_free(sr);
	return f ? EXIT_FAILURE : EXIT_SUCCESS;
}
