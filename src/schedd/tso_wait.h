/* get_ts requests waiting for the clock.
 *
 * The TSO hands out at most 2^18 timestamps per millisecond of the wall
 * clock and, when a millisecond is used up, waits for the next one rather
 * than run ahead of the clock (scheduler/tso.h).  The reactor must never
 * wait, so such a request is parked here with a reserved reply slot
 * (net_defer) and served from a timer once the clock has moved on.
 *
 * Order: once a request is parked, every later get_ts is parked behind it
 * and the queue is served strictly first in, first out, so timestamps
 * follow arrival order across all connections (a small request never
 * overtakes a large one that did not fit).  On each connection replies
 * still leave in request order: the slot holds back the replies behind it.
 *
 * Lifetime: parked requests are answered by the timer, also during a
 * clean shutdown (the reactor runs until the replies owed are out);
 * tso_waitq_free drops what is left without answering (teardown only,
 * before the connections are freed). */
#ifndef TK_SCHEDD_TSO_WAIT_H
#define TK_SCHEDD_TSO_WAIT_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

#include "net/net.h"
#include "schedd/state.h"

struct tso_waitq;

/* NULL when out of memory. */
struct tso_waitq *tso_waitq_new(struct event_base *base, struct schedd *d);
void tso_waitq_free(struct tso_waitq *q);

/* get_ts for request r: serve count (0: 1) timestamps into resp now
 * (NET_ANSWER with *code TK_OK, or an error in *code and eb), or park the
 * request behind the ones already waiting (NET_DEFERRED).  A request that
 * cannot be parked (out of memory) is refused with TK_E_NOMEM. */
enum net_outcome tso_waitq_get(struct tso_waitq *q, const struct net_req *r, uint64_t count,
                               struct tk_get_ts_resp *resp, enum tk_err *code,
                               struct tk_errbuf *eb);

/* Requests waiting now, and requests that ever waited (for /status). */
size_t tso_waitq_len(const struct tso_waitq *q);
uint64_t tso_waitq_total(const struct tso_waitq *q);

#endif
