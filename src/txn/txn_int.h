/* Internals shared by the command files (txn_cmds.c, gc.c). */
#ifndef TK_TXN_TXN_INT_H
#define TK_TXN_TXN_INT_H

#include "txn/txn_cmds.h"

/* Copy in into the arena (an empty slice stays non-NULL); false on NOMEM. */
bool txn_dup(struct tk_arena *a, struct tk_slice in, struct tk_slice *out);

/* Leave a rollback record for txn start_ts on key (or mark the commit of
 * another txn at exactly start_ts with overlapped_rollback). */
enum tk_err txn_put_rollback(const struct mvcc_view *v, struct eng_batch *b, struct tk_slice key,
			     uint64_t start_ts, struct tk_errbuf *eb);
/* Commit the txn's lock l on key at commit_ts. */
enum tk_err txn_commit_locked(const struct mvcc_view *v, struct eng_batch *b, struct tk_slice key,
			      const struct mvcc_lock *l, uint64_t commit_ts, struct tk_errbuf *eb);
/* Roll back the txn's lock l on key: lock and staged value go, a rollback
 * record stays. */
enum tk_err txn_rollback_locked(const struct mvcc_view *v, struct eng_batch *b, struct tk_slice key,
				const struct mvcc_lock *l, struct tk_errbuf *eb);

#endif
