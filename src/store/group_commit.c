/* Group commit through Raft: every write of a reactor iteration is staged
 * into one command (replica.c), proposed when the iteration ends
 * (net_iteration_end: after the iteration's I/O callbacks), and the ready
 * pass writes the log with one fsync for every region and applies it; only
 * then are the writes acknowledged.
 *
 * Reads never force the proposal out early.  A read that arrives on a
 * connection whose own writes are still pending is held: its input stops
 * (NET_HOLD) and resumes once a proposal was applied, so the read sees those
 * writes and its reply still follows theirs.  Reads on other connections
 * run at once against the applied state: the pending writes are not
 * acknowledged yet, so reading before them is linearizable.  Transactional
 * commands that must wait for latches are held the same way. */
#include <stdlib.h>

#include "store/store.h"
#include "util/log.h"

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
	size_t cap = s->cap_pending;
	if (!grow((void **)&s->pending, &cap, s->npending, sizeof *s->pending))
		return TK_E_NOMEM;
	if (cap != s->cap_pending) {
		int32_t *pc = realloc(s->pending_cas, cap * sizeof *pc);
		if (!pc)
			return TK_E_NOMEM;
		s->pending_cas = pc;
		s->cap_pending = cap;
	}
	struct net_slot *sl = net_defer(r, resp);
	if (!sl)
		return TK_E_NOMEM;
	s->pending_cas[s->npending] = s->raft.last_cas;
	s->pending[s->npending++] = sl;
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
	s->raft.completed = false;
	store_propose(s);
	store_raft_run(s);
	store_read_resume(s); /* reads whose ReadIndex round ended */
	store_log_role(s);
	store_hb_poll(s); /* a new leader or epoch: tell the scheduler */
	/* Held commands go on once something was applied (their writes, or
	 * the latches they wait for), or when nothing is in flight at all;
	 * what they do next joins the next proposal (a connection held again
	 * lands in the fresh list). */
	if (!s->nheld || (!s->raft.completed && s->raft.groups))
		return;
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
	free(s->pending_cas);
	free(s->held_conns);
	free(s->read_done);
}
