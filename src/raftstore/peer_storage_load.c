/* Loading a peer storage at restart, with the checks that refuse a corrupt
 * or inconsistent state, and writing a bootstrapped region's first state.
 * See peer_storage.h. */
#include "raftstore/peer_storage_int.h"

#include <stdlib.h>
#include <string.h>

#include "engine/raft_keys.h"

#define RID(ps) ((unsigned long long)(ps)->region_id)
#define U(x)    ((unsigned long long)(x))

/* Read one record: *found false when absent. */
static enum tk_err read_rec(struct rs_peer_storage *ps, const struct eng_key *k, bool *found,
                            const char *what, struct tk_errbuf *eb)
{
	enum tk_err rc = eng_get_key(ps->eng, k, &ps->val, found, eb);
	if (rc != TK_OK)
		tk_err_wrap(eb, rc, "region %llu: read %s", RID(ps), what);
	return rc;
}

static enum tk_err load_records(struct rs_peer_storage *ps, bool *has_raft, bool *has_apply,
                                struct tk_errbuf *eb)
{
	struct eng_key k = eng_key_region_state(ps->region_id);
	enum tk_err rc = read_rec(ps, &k, &ps->has_region, "region state", eb);
	if (rc == TK_OK && ps->has_region) {
		rc = rs_region_state_decode(tk_buf_slice(&ps->val), &ps->region, eb);
		if (rc == TK_OK && ps->region.region.id != ps->region_id)
			rc = tk_err_set(eb, TK_E_CORRUPTION, "region state names region %llu",
			                U(ps->region.region.id));
		if (rc != TK_OK) {
			ps->has_region = false;
			return tk_err_wrap(eb, rc, "region %llu", RID(ps));
		}
	}
	k = eng_key_raft_state(ps->region_id);
	if (rc == TK_OK)
		rc = read_rec(ps, &k, has_raft, "raft state", eb);
	if (rc == TK_OK && *has_raft &&
	    (rc = rs_raft_state_decode(tk_buf_slice(&ps->val), &ps->raft, eb)) != TK_OK)
		return tk_err_wrap(eb, rc, "region %llu", RID(ps));
	k = eng_key_apply_state(ps->region_id);
	if (rc == TK_OK)
		rc = read_rec(ps, &k, has_apply, "apply state", eb);
	if (rc == TK_OK && *has_apply &&
	    (rc = rs_apply_state_decode(tk_buf_slice(&ps->val), &ps->apply, eb)) != TK_OK)
		return tk_err_wrap(eb, rc, "region %llu", RID(ps));
	return rc;
}

static enum tk_err corrupt(const struct rs_peer_storage *ps, struct tk_errbuf *eb, const char *rule)
{
	return tk_err_set(eb, TK_E_CORRUPTION,
	                  "region %llu: inconsistent raft state: %s (term %llu commit %llu last "
	                  "%llu applied %llu truncated %llu/%llu)",
	                  RID(ps), rule, U(ps->raft.hs.term), U(ps->raft.hs.commit),
	                  U(ps->raft.last_index), U(ps->apply.applied),
	                  U(ps->apply.truncated_index), U(ps->apply.truncated_term));
}

/* The records must describe one coherent state (see rs_ps_open). */
static enum tk_err check_states(const struct rs_peer_storage *ps, bool has_raft, bool has_apply,
                                struct tk_errbuf *eb)
{
	bool initialized = ps->has_region && ps->region.state != RS_PEER_TOMBSTONE;
	if (has_apply && !has_raft)
		return corrupt(ps, eb, "apply state without raft state");
	if (initialized && !has_raft)
		return corrupt(ps, eb, "initialized region without raft state");
	if (initialized && !has_apply)
		return corrupt(ps, eb, "initialized region without apply state");
	const struct rs_apply_state *a = &ps->apply;
	const struct rs_raft_state *r = &ps->raft;
	if (a->truncated_index > a->applied)
		return corrupt(ps, eb, "truncated index above applied index");
	if (a->applied > r->hs.commit)
		return corrupt(ps, eb, "applied index above commit index");
	if (r->hs.commit > r->last_index)
		return corrupt(ps, eb, "commit index above last index");
	if (a->truncated_term > r->hs.term)
		return corrupt(ps, eb, "truncated term above current term");
	if ((a->truncated_index == 0) != (a->truncated_term == 0))
		return corrupt(ps, eb, "truncated index and term disagree on zero");
	return TK_OK;
}

/* The stored log must be (truncated_index, last_index], plus possibly a run
 * of entries at or below truncated_index that a log GC had not deleted yet
 * when the store stopped (the compaction is applied first, its entries are
 * deleted by a later write): those are remembered as pending GC and never
 * read.  Checks the ends of the live part (the middle is checked entry by
 * entry when read). */
static enum tk_err check_log_ends(struct rs_peer_storage *ps, struct tk_errbuf *eb)
{
	struct eng_key lo = eng_key_raft_log(ps->region_id, 0);
	struct eng_key hi = eng_key_raft_log_end(ps->region_id);
	struct eng_iter *it = eng_iter_new_keys(ps->eng, NULL, &lo, &hi);
	if (!it)
		return tk_err_set(eb, TK_E_NOMEM, "region %llu: log iterator: out of memory",
		                  RID(ps));
	enum tk_err rc = TK_OK;
	raft_index trunc = ps->apply.truncated_index;
	bool want_entries = ps->raft.last_index > trunc;
	uint64_t region, first = 0, last = 0, live = 0;
	eng_iter_seek_first(it);
	bool any = eng_iter_valid(it);
	if (any && !eng_key_raft_log_parse(eng_iter_key(it), &region, &first))
		rc = corrupt(ps, eb, "malformed log key");
	if (rc == TK_OK && any) {
		eng_iter_seek_last(it);
		if (!eng_iter_valid(it) ||
		    !eng_key_raft_log_parse(eng_iter_key(it), &region, &last))
			rc = corrupt(ps, eb, "malformed log key");
	}
	if (rc == TK_OK && any && want_entries && first <= trunc) {
		/* Leftovers of a GC below: the live log must still start
		 * right after the truncated index. */
		struct eng_key k = eng_key_raft_log(ps->region_id, trunc + 1);
		eng_iter_seek(it, eng_key_slice(&k));
		if (eng_iter_valid(it) && !eng_key_raft_log_parse(eng_iter_key(it), &region, &live))
			rc = corrupt(ps, eb, "malformed log key");
		eng_iter_seek_last(it);
	} else {
		live = first;
	}
	if (rc == TK_OK && (rc = eng_iter_status(it, eb)) != TK_OK)
		tk_err_wrap(eb, rc, "region %llu: read log", RID(ps));
	if (rc == TK_OK && !want_entries && any && last > trunc)
		rc = corrupt(ps, eb, "log entries stored beyond the last index");
	if (rc == TK_OK && want_entries && (!any || live != trunc + 1))
		rc = corrupt(ps, eb, "first log entry missing");
	if (rc == TK_OK && want_entries && last != ps->raft.last_index)
		rc = corrupt(ps, eb, "last log entry is not at the last index");
	if (rc == TK_OK && want_entries) {
		struct raft_entry e;
		rc = rs_entry_value_decode(eng_iter_value(it), last, &e, eb);
		if (rc != TK_OK)
			tk_err_wrap(eb, rc, "region %llu", RID(ps));
		else if (e.term < ps->apply.truncated_term || e.term > ps->raft.hs.term)
			rc = corrupt(ps, eb, "last entry's term outside [truncated term, term]");
	}
	if (rc == TK_OK && any && first <= trunc) {
		ps->gc_lo = first;
		ps->gc_hi = trunc;
	}
	eng_iter_free(it);
	return rc;
}

enum tk_err rs_ps_open(struct eng *e, uint64_t region_id, const struct rs_ps_options *o,
                       struct rs_peer_storage **out, struct tk_errbuf *eb)
{
	*out = NULL;
	if (region_id == 0)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "peer storage: region id 0");
	struct rs_ps_options def;
	if (!o) {
		rs_ps_options_default(&def);
		o = &def;
	}
	struct rs_peer_storage *ps = calloc(1, sizeof *ps);
	if (!ps)
		return tk_err_set(eb, TK_E_NOMEM, "region %llu: out of memory", U(region_id));
	ps->eng = e;
	ps->region_id = region_id;
	rs_region_state_init(&ps->region);
	rs_region_state_init(&ps->s_region);
	raft_entbuf_init(&ps->s_ents);
	tk_buf_init(&ps->val);
	rs_ecache_init(&ps->cache, o->cache_max_entries, o->cache_max_bytes);
	bool has_raft = false, has_apply = false;
	enum tk_err rc = load_records(ps, &has_raft, &has_apply, eb);
	if (rc == TK_OK)
		rc = check_states(ps, has_raft, has_apply, eb);
	ps->gc_lo = ps->apply.truncated_index + 1; /* nothing to GC */
	ps->gc_hi = ps->apply.truncated_index;
	/* A tombstone's log may still be on its way out (the tombstone is
	 * recorded first, the log deleted after): no log checks for it. */
	if (rc == TK_OK && !(ps->has_region && ps->region.state == RS_PEER_TOMBSTONE))
		rc = check_log_ends(ps, eb);
	if (rc != TK_OK) {
		rs_ps_free(ps);
		return rc;
	}
	*out = ps;
	return TK_OK;
}

enum tk_err rs_ps_bootstrap(struct eng *e, struct eng_batch *b, const struct rs_region_state *rs,
                            struct tk_errbuf *eb)
{
	enum tk_err rc = rs_region_state_check(rs, eb);
	if (rc != TK_OK)
		return rc;
	if (rs->state != RS_PEER_NORMAL)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "bootstrap region %llu: state %s",
		                  U(rs->region.id), rs_peer_state_name(rs->state));
	uint64_t id = rs->region.id;
	struct eng_key keys[3] = {eng_key_region_state(id), eng_key_raft_state(id),
	                          eng_key_apply_state(id)};
	struct tk_buf v;
	tk_buf_init(&v);
	for (int i = 0; i < 3 && rc == TK_OK; i++) {
		bool found;
		rc = eng_get_key(e, &keys[i], &v, &found, eb);
		if (rc == TK_OK && found)
			rc = tk_err_set(eb, TK_E_BAD_REQUEST,
			                "bootstrap region %llu: the engine already holds its state",
			                U(id));
	}
	tk_buf_reset(&v);
	if (rc == TK_OK && !rs_region_state_encode(rs, &v))
		rc = tk_err_set(eb, TK_E_NOMEM, "bootstrap region %llu: out of memory", U(id));
	if (rc == TK_OK) {
		struct rs_raft_state r = {
		    .hs = {.term = RS_INIT_LOG_TERM, .commit = RS_INIT_LOG_INDEX},
		    .last_index = RS_INIT_LOG_INDEX,
		};
		struct rs_apply_state a = {
		    .applied = RS_INIT_LOG_INDEX,
		    .truncated_index = RS_INIT_LOG_INDEX,
		    .truncated_term = RS_INIT_LOG_TERM,
		};
		uint8_t rv[RS_RAFT_STATE_LEN], av[RS_APPLY_STATE_LEN];
		rs_raft_state_encode(&r, rv);
		rs_apply_state_encode(&a, av);
		eng_batch_put_key(b, &keys[0], tk_buf_slice(&v));
		eng_batch_put_key(b, &keys[1], tk_slice_of(rv, sizeof rv));
		eng_batch_put_key(b, &keys[2], tk_slice_of(av, sizeof av));
	}
	tk_buf_destroy(&v);
	return rc;
}
