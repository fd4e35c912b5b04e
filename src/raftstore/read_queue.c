/* ReadIndex bookkeeping (see read_queue.h). */
#include "raftstore/read_queue.h"

#include <stdlib.h>
#include <string.h>

void rs_rq_init(struct rs_read_queue *q)
{
	memset(q, 0, sizeof *q);
}

void rs_rq_destroy(struct rs_read_queue *q)
{
	rs_rq_fail_all(q, TK_E_SHUTTING_DOWN);
	free(q->v);
	memset(q, 0, sizeof *q);
}

enum tk_err rs_rq_add(struct rs_read_queue *q, rs_read_cb cb, void *arg)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		struct rs_read *v = realloc(q->v, cap * sizeof *v);
		if (!v)
			return TK_E_NOMEM;
		q->v = v;
		q->cap = cap;
	}
	if (!q->unsent) {
		q->last_seq++;
		q->unsent = true;
	}
	q->v[q->n++] = (struct rs_read){q->last_seq, 0, false, cb, arg};
	return TK_OK;
}

bool rs_rq_take_unsent(struct rs_read_queue *q, uint64_t *seq)
{
	if (!q->unsent)
		return false;
	q->unsent = false;
	*seq = q->last_seq;
	return true;
}

void rs_rq_confirm(struct rs_read_queue *q, uint64_t seq, raft_index index)
{
	for (size_t i = 0; i < q->n; i++)
		if (q->v[i].seq == seq && !q->v[i].confirmed) {
			q->v[i].confirmed = true;
			q->v[i].index = index;
		}
}

/* Fire and drop the reads hit() picks, keeping the others in order.  The
 * queue is compacted before any callback runs: a callback may add reads. */
static void fire_where(struct rs_read_queue *q, bool (*hit)(const struct rs_read *, const void *),
                       const void *ctx, enum tk_err rc)
{
	size_t n_hit = 0;
	for (size_t i = 0; i < q->n; i++)
		n_hit += hit(&q->v[i], ctx);
	if (n_hit == 0)
		return;
	struct rs_read *fire = malloc(n_hit * sizeof *fire);
	size_t k = 0, j = 0;
	for (size_t i = 0; i < q->n; i++) {
		if (hit(&q->v[i], ctx)) {
			if (fire)
				fire[k++] = q->v[i];
			else
				q->v[i].cb(q->v[i].arg, rc); /* out of memory: fire in place */
		} else {
			q->v[j++] = q->v[i];
		}
	}
	q->n = j;
	for (size_t i = 0; i < k; i++)
		fire[i].cb(fire[i].arg, rc);
	free(fire);
}

static bool applied_hit(const struct rs_read *r, const void *ctx)
{
	return r->confirmed && r->index <= *(const raft_index *)ctx;
}

static bool any_hit(const struct rs_read *r, const void *ctx)
{
	(void)r, (void)ctx;
	return true;
}

static bool batch_hit(const struct rs_read *r, const void *ctx)
{
	return r->seq == *(const uint64_t *)ctx;
}

void rs_rq_fire_applied(struct rs_read_queue *q, raft_index applied)
{
	fire_where(q, applied_hit, &applied, TK_OK);
}

void rs_rq_fail_all(struct rs_read_queue *q, enum tk_err rc)
{
	q->unsent = false;
	fire_where(q, any_hit, NULL, rc);
}

void rs_rq_fail_batch(struct rs_read_queue *q, uint64_t seq, enum tk_err rc)
{
	fire_where(q, batch_hit, &seq, rc);
}

size_t rs_rq_len(const struct rs_read_queue *q)
{
	return q->n;
}
