/* Linearizable reads of a region's leader (ReadIndex, Raft thesis §6.4):
 * a read may be served once the leader has confirmed, after the read
 * arrived, that it still leads (a heartbeat round acknowledged by a quorum,
 * or its lease) and has applied up to the commit index it had then.
 *
 * The queue batches: every read that arrives before the next ready pass
 * shares one raft_read_index request (one context, one heartbeat round), as
 * TiKV batches its read index requests.  Pure bookkeeping: the peer asks
 * raft, feeds the answers in and fires the callbacks. */
#ifndef TK_RAFTSTORE_READ_QUEUE_H
#define TK_RAFTSTORE_READ_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/raft.h"
#include "util/err.h"

/* TK_OK: serve the read now (from the applied state); NOT_LEADER,
 * SHUTTING_DOWN: do not. */
typedef void (*rs_read_cb)(void *arg, enum tk_err rc);

struct rs_read {
	uint64_t seq;      /* the batch's read index context */
	raft_index index;  /* the commit index to wait for, once confirmed */
	bool confirmed;
	rs_read_cb cb;
	void *arg;
};

struct rs_read_queue {
	struct rs_read *v; /* in arrival order */
	size_t n, cap;
	uint64_t last_seq;
	bool unsent; /* reads of batch last_seq wait for raft_read_index */
};

void rs_rq_init(struct rs_read_queue *q);
/* Every read still queued gets rc (SHUTTING_DOWN). */
void rs_rq_destroy(struct rs_read_queue *q);
/* Queue a read into the open batch.  TK_E_NOMEM (cb not called). */
enum tk_err rs_rq_add(struct rs_read_queue *q, rs_read_cb cb, void *arg);
/* The batch to send: true with its context when reads wait for one. */
bool rs_rq_take_unsent(struct rs_read_queue *q, uint64_t *seq);
/* A read state came back for context seq at index. */
void rs_rq_confirm(struct rs_read_queue *q, uint64_t seq, raft_index index);
/* Serve every confirmed read whose index is applied, in order. */
void rs_rq_fire_applied(struct rs_read_queue *q, raft_index applied);
/* Fail every read (leadership lost: NOT_LEADER), or only those of batch seq
 * (raft refused its read index). */
void rs_rq_fail_all(struct rs_read_queue *q, enum tk_err rc);
void rs_rq_fail_batch(struct rs_read_queue *q, uint64_t seq, enum tk_err rc);
size_t rs_rq_len(const struct rs_read_queue *q);

#endif
