/* Helpers shared by the command tests (test_txn_cmds.c, test_txn_resolve.c):
 * run one command against the test engine (test_support.h), apply its batch
 * when it succeeds and check that a failed one left the batch empty. */
#ifndef TK_TXN_TEST_CMD_HELPERS_H
#define TK_TXN_TEST_CMD_HELPERS_H

#include <check.h>

#include "txn/test_support.h"
#include "txn/txn_cmds.h"

#define NONE tk_slice_of(NULL, 0)
#define PUT(k, v) ((struct txn_mutation){TXN_OP_PUT, (k), (v)})
#define DEL(k) ((struct txn_mutation){TXN_OP_DEL, (k), NONE})
#define LCK(k) ((struct txn_mutation){TXN_OP_LOCK, (k), NONE})
#define MUTS(...)                                     \
	((const struct txn_mutation[]){__VA_ARGS__}), \
		(sizeof((const struct txn_mutation[]){__VA_ARGS__}) / sizeof(struct txn_mutation))
#define KEYS(...)                                 \
	((const struct tk_slice[]){__VA_ARGS__}), \
		(sizeof((const struct tk_slice[]){__VA_ARGS__}) / sizeof(struct tk_slice))

/* Apply the batch of a successful command; a failed one must leave it
 * empty. */
static inline void finish(enum tk_err rc)
{
	if (rc == TK_OK)
		ts_apply();
	else
		ck_assert_uint_eq(eng_batch_count(E->batch), 0);
}

static inline enum tk_err get(struct tk_slice key, uint64_t version, struct txn_get_resp *r)
{
	struct txn_get_req req = {key, version};
	return txn_get(&E->view, &req, r, &E->arena, &E->eb);
}

static inline bool get_is(struct tk_slice key, uint64_t version, struct tk_slice want)
{
	struct txn_get_resp r;
	ck_assert_int_eq(get(key, version, &r), TK_OK);
	return r.found && tk_slice_eq(r.value, want);
}

static inline bool get_absent(struct tk_slice key, uint64_t version)
{
	struct txn_get_resp r;
	ck_assert_int_eq(get(key, version, &r), TK_OK);
	return !r.found;
}

static inline enum tk_err prewrite_ttl(const struct txn_mutation *m, size_t n,
				       struct tk_slice primary, uint64_t start_ts, uint64_t ttl,
				       struct txn_prewrite_resp *r)
{
	struct txn_prewrite_req req = {m, n, primary, start_ts, ttl, 0};
	struct txn_prewrite_resp tmp;
	enum tk_err rc = txn_prewrite(&E->view, E->batch, &req, r ? r : &tmp, &E->arena, &E->eb);
	finish(rc);
	return rc;
}

static inline enum tk_err prewrite(const struct txn_mutation *m, size_t n, struct tk_slice primary,
				   uint64_t start_ts, struct txn_prewrite_resp *r)
{
	return prewrite_ttl(m, n, primary, start_ts, 0, r);
}

static inline enum tk_err commit(const struct tk_slice *keys, size_t n, uint64_t start_ts,
				 uint64_t commit_ts, struct txn_commit_resp *r)
{
	struct txn_commit_req req = {keys, n, start_ts, commit_ts};
	struct txn_commit_resp tmp;
	enum tk_err rc = txn_commit(&E->view, E->batch, &req, r ? r : &tmp, &E->arena, &E->eb);
	finish(rc);
	return rc;
}

static inline enum tk_err rollback(const struct tk_slice *keys, size_t n, uint64_t start_ts,
				   struct txn_rollback_resp *r)
{
	struct txn_rollback_req req = {keys, n, start_ts};
	struct txn_rollback_resp tmp;
	enum tk_err rc =
		txn_batch_rollback(&E->view, E->batch, &req, r ? r : &tmp, &E->arena, &E->eb);
	finish(rc);
	return rc;
}

static inline enum tk_err check_status(struct tk_slice primary, uint64_t lock_ts,
				       uint64_t current_ts, struct txn_check_status_resp *r)
{
	struct txn_check_status_req req = {primary, lock_ts, current_ts};
	enum tk_err rc = txn_check_txn_status(&E->view, E->batch, &req, r, &E->arena, &E->eb);
	finish(rc);
	return rc;
}

static inline enum tk_err resolve(uint64_t start_ts, uint64_t commit_ts, size_t limit,
				  struct txn_resolve_resp *r)
{
	struct txn_resolve_req req = {start_ts, commit_ts, tk_slice_of("", 0), NONE, limit};
	struct txn_resolve_resp tmp;
	enum tk_err rc = txn_resolve_lock(&E->view, E->batch, &req, r ? r : &tmp, &E->eb);
	finish(rc);
	return rc;
}

static inline enum tk_err scan(struct tk_slice start, struct tk_slice end, size_t limit,
			       uint64_t version, bool key_only, struct txn_scan_resp *r)
{
	struct txn_scan_req req = {start, end, limit, version, key_only};
	return txn_scan(&E->view, &req, r, &E->arena, &E->eb);
}

static inline enum tk_err gc(uint64_t sp, size_t limit, struct tk_slice start,
			     struct txn_gc_resp *r)
{
	struct txn_gc_req req = {sp, start, NONE, limit};
	enum tk_err rc = txn_gc(&E->view, E->batch, &req, r, &E->arena, &E->eb);
	finish(rc);
	return rc;
}

static inline enum tk_err heart_beat(struct tk_slice primary, uint64_t start_ts, uint64_t ttl,
				     struct txn_heart_beat_resp *r)
{
	struct txn_heart_beat_req req = {primary, start_ts, ttl};
	enum tk_err rc = txn_heart_beat(&E->view, E->batch, &req, r, &E->arena, &E->eb);
	finish(rc);
	return rc;
}

static inline enum tk_err scan_lock(uint64_t max_ts, size_t limit, struct txn_scan_lock_resp *r)
{
	struct txn_scan_lock_req req = {max_ts, tk_slice_of("", 0), NONE, limit};
	return txn_scan_lock(&E->view, &req, r, &E->arena, &E->eb);
}

static inline bool write_is(struct tk_slice key, uint64_t cts, enum mvcc_write_kind kind,
			    uint64_t sts)
{
	struct mvcc_write w;
	return ts_get_write(key, cts, &w) && w.kind == kind && w.start_ts == sts;
}

/* A timestamp at a physical time in ms (logical 0). */
static inline uint64_t ms(uint64_t physical)
{
	return mvcc_ts_compose(physical, 0);
}

#endif
