/* Test support for src/txn: a real engine in a temporary directory, and
 * helpers that put or read lock, write and default records directly (to set
 * up and check scenarios without going through the commands). */
#ifndef TK_TXN_TEST_SUPPORT_H
#define TK_TXN_TEST_SUPPORT_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "txn/mvcc.h"
#include "util/arena.h"
#include "util/bytes.h"

/* A byte-string key literal: K(3) or K(12, 4, 0). */
#define K(...) tk_slice_of((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))
#define S(str) tk_slice_str(str)

struct ts_env {
	char *dir;
	struct eng *eng;
	struct mvcc_view view; /* latest state, no snapshot */
	struct tk_arena arena;
	struct eng_batch *batch; /* empty between commands */
	struct tk_errbuf eb;
};

/* The environment of the running test, opened by ts_setup (a Check
 * fixture) and removed by ts_teardown. */
extern struct ts_env *E;
void ts_setup(void);
void ts_teardown(void);

/* Apply E->batch (asserting success) and clear it. */
void ts_apply(void);

/* Direct writes, each applied at once. */
void ts_put_lock(struct tk_slice key, struct tk_slice primary, uint64_t start_ts, uint64_t ttl_ms,
		 enum mvcc_lock_kind kind);
void ts_put_write(struct tk_slice key, uint64_t commit_ts, enum mvcc_write_kind kind,
		  uint64_t start_ts);
void ts_put_value(struct tk_slice key, uint64_t start_ts, struct tk_slice value);
/* A committed PUT: value at start_ts plus write record at commit_ts. */
void ts_put_committed(struct tk_slice key, uint64_t start_ts, uint64_t commit_ts,
		      struct tk_slice value);
void ts_put_raw(enum eng_cf cf, struct tk_slice key, struct tk_slice val);

/* Direct reads. */
bool ts_get_lock(struct tk_slice key, struct mvcc_lock *out); /* primary in a static buffer */
bool ts_get_write(struct tk_slice key, uint64_t commit_ts, struct mvcc_write *out);
bool ts_has_value(struct tk_slice key, uint64_t start_ts);
/* Entries in a column. */
size_t ts_count(enum eng_cf cf);
/* Assert (default, lock, write) column sizes. */
#define ts_assert_lens(d, l, w)                                      \
	do {                                                         \
		ck_assert_uint_eq(ts_count(ENG_CF_DEFAULT), (d));    \
		ck_assert_uint_eq(ts_count(ENG_CF_LOCK), (l));       \
		ck_assert_uint_eq(ts_count(ENG_CF_WRITE), (w));      \
	} while (0)

/* The committed value visible at ts (mvcc_get_value) into out; whether it
 * exists. */
bool ts_read(struct tk_slice key, uint64_t ts, struct tk_buf *out);

#endif
