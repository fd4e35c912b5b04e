/* get_ts requests waiting for the clock: see tso_wait.h.
 *
 * Invariants: the queue is FIFO; the timer is pending exactly when the
 * queue is not empty; each waiter owns one open reply slot, completed once
 * (served, or an error) before the waiter is freed. */
#include <stdlib.h>

#include "schedd/tso_wait.h"
#include "util/log.h"

struct waiter {
	struct net_slot *slot;
	uint64_t count;
	struct waiter *next;
};

struct tso_waitq {
	struct schedd *d;
	struct event *timer;
	struct waiter *head, *tail;
	size_t n;
	uint64_t total;
	uint64_t wait_until; /* wall clock ms the head waits for */
};

static void arm(struct tso_waitq *q)
{
	/* The TSO can serve again once the wall clock reads wait_until,
	 * which is at most a millisecond away (the next tick); a timer of
	 * the remaining milliseconds, at least one, re-checks then. */
	uint64_t now = q->d->wall_ms(q->d->clock_arg);
	uint64_t ms = q->wait_until > now ? q->wait_until - now : 1;
	if (ms > 1000)
		ms = 1000; /* a clock far behind: look again each second */
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(q->timer, &tv);
}

/* Serve waiters from the head while the TSO can; false when the head must
 * wait again (q->wait_until set). */
static bool serve(struct tso_waitq *q)
{
	while (q->head) {
		struct waiter *w = q->head;
		struct tk_get_ts_resp resp = {.count = w->count};
		struct tk_errbuf eb;
		tk_err_clear(&eb);
		uint64_t wait;
		enum tk_err e = schedd_get_ts(q->d, w->count, &resp.ts, &wait, &eb);
		if (e == TK_OK && wait) {
			q->wait_until = wait;
			return false;
		}
		q->head = w->next;
		if (!q->head)
			q->tail = NULL;
		q->n--;
		/* may flush and even free the connection: w is already out */
		net_slot_complete(w->slot, e, eb.msg, e == TK_OK ? &resp : NULL);
		free(w);
	}
	return true;
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tso_waitq *q = arg;
	(void)fd, (void)what;
	if (!serve(q))
		arm(q);
}

struct tso_waitq *tso_waitq_new(struct event_base *base, struct schedd *d)
{
	struct tso_waitq *q = calloc(1, sizeof *q);
	if (!q)
		return NULL;
	q->d = d;
	q->timer = evtimer_new(base, timer_cb, q);
	if (!q->timer) {
		free(q);
		return NULL;
	}
	return q;
}

void tso_waitq_free(struct tso_waitq *q)
{
	if (!q)
		return;
	for (struct waiter *w = q->head; w;) {
		struct waiter *next = w->next;
		free(w); /* its slot goes with its connection */
		w = next;
	}
	event_free(q->timer);
	free(q);
}

static enum net_outcome park(struct tso_waitq *q, const struct net_req *r, uint64_t count,
                             enum tk_err *code, struct tk_errbuf *eb)
{
	struct waiter *w = malloc(sizeof *w);
	struct net_slot *sl = w ? net_defer(r, NULL) : NULL;
	if (!sl) {
		free(w);
		*code = tk_err_set(eb, TK_E_NOMEM, "out of memory");
		return NET_ANSWER;
	}
	*w = (struct waiter){sl, count, NULL};
	if (q->tail)
		q->tail->next = w;
	else
		q->head = w;
	q->tail = w;
	if (q->n++ == 0)
		arm(q);
	q->total++;
	return NET_DEFERRED;
}

enum net_outcome tso_waitq_get(struct tso_waitq *q, const struct net_req *r, uint64_t count,
                               struct tk_get_ts_resp *resp, enum tk_err *code, struct tk_errbuf *eb)
{
	resp->count = count ? count : 1;
	if (resp->count > TSO_MAX_COUNT) {
		/* refused at once, never parked (and the message names the limit) */
		uint64_t unused;
		*code = schedd_get_ts(q->d, resp->count, &resp->ts, &unused, eb);
		return NET_ANSWER;
	}
	/* Under a steady flood requests keep coming: serve the waiting ones
	 * as soon as the clock has ticked rather than at the timer. */
	if (q->head && q->d->wall_ms(q->d->clock_arg) >= q->wait_until && serve(q))
		evtimer_del(q->timer);
	if (q->head)
		return park(q, r, resp->count, code, eb);
	uint64_t wait;
	*code = schedd_get_ts(q->d, resp->count, &resp->ts, &wait, eb);
	if (*code != TK_OK || !wait)
		return NET_ANSWER;
	q->wait_until = wait;
	return park(q, r, resp->count, code, eb);
}

size_t tso_waitq_len(const struct tso_waitq *q)
{
	return q ? q->n : 0;
}

uint64_t tso_waitq_total(const struct tso_waitq *q)
{
	return q ? q->total : 0;
}
