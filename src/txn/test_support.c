/* Test support for src/txn: see test_support.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* mkdtemp, nftw */
#endif
#include "txn/test_support.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/keys.h"

struct ts_env *E;
static struct ts_env env;

void ts_setup(void)
{
	memset(&env, 0, sizeof(env));
	env.dir = strdup("/tmp/tktxn-XXXXXX");
	ck_assert_ptr_nonnull(env.dir);
	ck_assert_ptr_nonnull(mkdtemp(env.dir));
	struct eng_options o;
	eng_options_default(&o);
	o.path = env.dir;
	o.create_if_missing = true;
	o.block_cache_bytes = 1 << 20;
	o.write_buffer_bytes = 1 << 20;
	enum tk_err rc = eng_open(&o, &env.eng, &env.eb);
	ck_assert_msg(rc == TK_OK, "eng_open: %s", env.eb.msg);
	env.view.eng = env.eng;
	env.view.snap = NULL;
	tk_arena_init(&env.arena);
	env.batch = eng_batch_new();
	ck_assert_ptr_nonnull(env.batch);
	E = &env;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void ts_teardown(void)
{
	eng_batch_free(env.batch);
	tk_arena_destroy(&env.arena);
	eng_close(env.eng);
	nftw(env.dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(env.dir);
	E = NULL;
}

void ts_apply(void)
{
	enum tk_err rc = eng_write(env.eng, env.batch, false, &env.eb);
	ck_assert_msg(rc == TK_OK, "eng_write: %s", env.eb.msg);
	eng_batch_clear(env.batch);
}

static void apply_one(struct eng_batch *b)
{
	enum tk_err rc = eng_write(env.eng, b, false, &env.eb);
	ck_assert_msg(rc == TK_OK, "eng_write: %s", env.eb.msg);
	eng_batch_free(b);
}

void ts_put_lock(struct tk_slice key, struct tk_slice primary, uint64_t start_ts, uint64_t ttl_ms,
		 enum mvcc_lock_kind kind)
{
	struct eng_batch *b = eng_batch_new();
	struct mvcc_lock l = {.kind = kind, .start_ts = start_ts, .ttl_ms = ttl_ms,
			      .primary = primary};
	ck_assert_int_eq(mvcc_put_lock(b, key, &l), TK_OK);
	apply_one(b);
}

void ts_put_write(struct tk_slice key, uint64_t commit_ts, enum mvcc_write_kind kind,
		  uint64_t start_ts)
{
	struct eng_batch *b = eng_batch_new();
	struct mvcc_write w = {.kind = kind, .start_ts = start_ts};
	ck_assert_int_eq(mvcc_put_write(b, key, commit_ts, &w), TK_OK);
	apply_one(b);
}

void ts_put_value(struct tk_slice key, uint64_t start_ts, struct tk_slice value)
{
	struct eng_batch *b = eng_batch_new();
	ck_assert_int_eq(mvcc_put_value(b, key, start_ts, value), TK_OK);
	apply_one(b);
}

void ts_put_committed(struct tk_slice key, uint64_t start_ts, uint64_t commit_ts,
		      struct tk_slice value)
{
	ts_put_value(key, start_ts, value);
	ts_put_write(key, commit_ts, MVCC_WRITE_PUT, start_ts);
}

void ts_put_raw(enum eng_cf cf, struct tk_slice key, struct tk_slice val)
{
	struct eng_batch *b = eng_batch_new();
	eng_batch_put(b, cf, key, val);
	apply_one(b);
}

bool ts_get_lock(struct tk_slice key, struct mvcc_lock *out)
{
	static struct tk_buf raw;
	tk_buf_destroy(&raw);
	tk_buf_init(&raw);
	bool found = false;
	enum tk_err rc = mvcc_get_lock(&env.view, key, &raw, out, &found, &env.eb);
	ck_assert_msg(rc == TK_OK, "get lock: %s", env.eb.msg);
	return found;
}

bool ts_get_write(struct tk_slice key, uint64_t commit_ts, struct mvcc_write *out)
{
	struct tk_buf k, v;
	tk_buf_init(&k);
	tk_buf_init(&v);
	ck_assert(eng_mvcc_key(&k, key, commit_ts));
	bool found = false;
	enum tk_err rc = eng_get(env.eng, ENG_CF_WRITE, tk_buf_slice(&k), &v, &found, &env.eb);
	ck_assert_msg(rc == TK_OK, "get write: %s", env.eb.msg);
	if (found)
		ck_assert_int_eq(mvcc_write_decode(tk_buf_slice(&v), out, &env.eb), TK_OK);
	tk_buf_destroy(&k);
	tk_buf_destroy(&v);
	return found;
}

bool ts_has_value(struct tk_slice key, uint64_t start_ts)
{
	struct tk_buf k, v;
	tk_buf_init(&k);
	tk_buf_init(&v);
	ck_assert(eng_mvcc_key(&k, key, start_ts));
	bool found = false;
	enum tk_err rc = eng_get(env.eng, ENG_CF_DEFAULT, tk_buf_slice(&k), &v, &found, &env.eb);
	ck_assert_msg(rc == TK_OK, "get value: %s", env.eb.msg);
	tk_buf_destroy(&k);
	tk_buf_destroy(&v);
	return found;
}

size_t ts_count(enum eng_cf cf)
{
	struct eng_iter *it = eng_iter_new(env.eng, NULL, cf, tk_slice_of(NULL, 0),
					   tk_slice_of(NULL, 0));
	ck_assert_ptr_nonnull(it);
	size_t n = 0;
	for (eng_iter_seek_first(it); eng_iter_valid(it); eng_iter_next(it))
		n++;
	ck_assert_int_eq(eng_iter_status(it, &env.eb), TK_OK);
	eng_iter_free(it);
	return n;
}

bool ts_read(struct tk_slice key, uint64_t ts, struct tk_buf *out)
{
	bool found = false;
	enum tk_err rc = mvcc_get_value(&env.view, key, ts, out, &found, &env.eb);
	ck_assert_msg(rc == TK_OK, "mvcc_get_value: %s", env.eb.msg);
	return found;
}
