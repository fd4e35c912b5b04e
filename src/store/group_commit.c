/* Group commit: every write of a reactor iteration goes into one LevelDB
 * write batch, written once (with one fsync when sync is on) at the end of
 * the iteration (net_iteration_end: after the iteration's I/O callbacks);
 * only then are the writes acknowledged.
 *
 * Reads never force the batch out early.  A read that arrives on a
 * connection whose own writes are still pending is held: its input stops
 * (NET_HOLD) and resumes right after the commit, so the read sees those
 * writes and its reply still follows theirs.  Reads on other connections
 * run at once against the engine: the pending writes are not acknowledged
 * yet, so reading before them is linearizable. */
#include <stdlib.h>

#include "store/store.h"
#include "util/log.h"

/* A batch this big is written at once rather than at the end of the
 * iteration: it bounds memory and the size of one LevelDB write. */
#define COMMIT_MAX_BATCH_BYTES (16u << 20)

static bool grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return true;
	size_t c = *cap ? *cap * 2 : 256;
	void *p = realloc(*arr, c * elem);
	if (!p)
		return false;
	*arr = p;
	*cap = c;
	return true;
}

enum tk_err store_defer_write(struct store *s, const struct net_req *r, const void *resp)
{
	if (!grow((void **)&s->pending, &s->cap_pending, s->npending, sizeof *s->pending))
		return TK_E_NOMEM;
	struct net_slot *sl = net_defer(r, resp);
	if (!sl)
		return TK_E_NOMEM;
	s->pending[s->npending++] = sl;
	if (eng_batch_bytes(s->batch) >= COMMIT_MAX_BATCH_BYTES)
		store_commit(s);
	else
		net_iteration_end(&s->net);
	return TK_OK;
}

enum tk_err store_hold(struct store *s, struct net_conn *c)
{
	if (!grow((void **)&s->held_conns, &s->cap_held, s->nheld, sizeof *s->held_conns))
		return TK_E_NOMEM;
	s->held_conns[s->nheld++] = c;
	net_iteration_end(&s->net);
	return TK_OK;
}

void store_commit(struct store *s)
{
	if (s->npending) {
		struct tk_errbuf eb;
		tk_err_clear(&eb);
		enum tk_err e = eng_write(s->net.eng, s->batch, s->net.cfg.sync, &eb);
		if (e != TK_OK)
			LOG_ERROR("group commit of %zu writes failed: %s", s->npending, eb.msg);
		/* durable (or failed and dropped): transactional latches can go */
		store_txn_release_latches(s);
		s->net.metrics.commits++;
		s->net.metrics.committed_ops += s->npending;
		eng_batch_clear(s->batch);
		rs_overlay_clear(&s->raw_ov); /* the engine is the truth again */
		/* completing a slot may flush (and free) its connection: take the
		 * list first, in case a completion leads to new writes */
		size_t n = s->npending;
		s->npending = 0;
		for (size_t i = 0; i < n; i++)
			net_slot_complete(s->pending[i], e, eb.msg, NULL);
	}
	/* held reads go on now; what they do next joins the next batch (a
	 * connection that is held again lands in the fresh list) */
	struct net_conn **held = s->held_conns;
	size_t nheld = s->nheld;
	s->held_conns = NULL;
	s->nheld = s->cap_held = 0;
	for (size_t i = 0; i < nheld; i++)
		net_conn_resume(held[i]); /* may free it */
	free(held);
}

void store_iteration_end(struct net_server *ns)
{
	store_commit(store_of(ns));
}

void store_group_commit_destroy(struct store *s)
{
	free(s->pending);
	free(s->held_conns);
	rs_overlay_destroy(&s->raw_ov);
}
