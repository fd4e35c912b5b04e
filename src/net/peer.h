/* Outgoing peer links: one framed connection from this daemon to another
 * (a store to another store for raft messages, a store to the scheduler),
 * kept up on the reactor without ever blocking it.
 *
 * - The socket is bound to bind_host before it connects, so the link
 *   leaves from this store's own advertised address: a firewall rule (or a
 *   test's nftables rule) can cut two stores apart by address.
 * - On connect the link says hello with its role; frames are sent only
 *   after the hello reply accepted it.
 * - While the link is down, sends are refused at once (TK_E_CONNECTION):
 *   the caller reports the peer unreachable (raft retries on its own), and
 *   nothing piles up.  While it is up, at most max_queue bytes may wait in
 *   its output; past that a send is refused (TK_E_SERVER_IS_BUSY) and
 *   dropped, never queued without bound.
 * - A broken link reconnects with exponential backoff (backoff_min_ms
 *   doubling to backoff_max_ms, with jitter so that many links do not
 *   reconnect in step), reset once a hello succeeds.
 * Frames received (replies, or the peer's messages) go to on_frame. */
#ifndef TK_NET_PEER_H
#define TK_NET_PEER_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/bytes.h"
#include "util/err.h"

struct net_peer_link;

struct net_peer_link_cfg {
	char addr[128];      /* host:port to connect to (numeric host) */
	char bind_host[128]; /* local address to leave from; "" = any */
	const char *role;    /* our hello role ("store"), borrowed for the link's life */
	const char *name;    /* in the hello, for the peer's logs; may be NULL */
	uint32_t max_frame;  /* largest frame accepted from the peer */
	size_t max_queue;    /* bytes that may wait in the output while up */
	uint32_t backoff_min_ms, backoff_max_ms;
	/* A frame's payload (without its length prefix), valid during the
	 * call.  The callbacks must not free the link (free it later, from
	 * the caller's own event). */
	void (*on_frame)(void *arg, struct tk_slice payload);
	/* The link came up (hello accepted) or went down (why says why). */
	void (*on_state)(void *arg, bool up, const char *why);
	void *arg;
};

/* Create a link and start connecting.  cfg is copied.  NULL when out of
 * memory. */
struct net_peer_link *net_peer_link_new(struct event_base *base,
                                        const struct net_peer_link_cfg *cfg);
/* Send one whole frame (length prefix included).  TK_OK: queued in the
 * socket's output; TK_E_CONNECTION: the link is down (dropped);
 * TK_E_SERVER_IS_BUSY: its output is over max_queue (dropped). */
enum tk_err net_peer_link_send(struct net_peer_link *l, const void *frame, size_t len);
bool net_peer_link_is_up(const struct net_peer_link *l);
/* Counters for /metrics: frames dropped while down or over the queue
 * bound, and connection attempts. */
uint64_t net_peer_link_dropped(const struct net_peer_link *l);
uint64_t net_peer_link_attempts(const struct net_peer_link *l);
void net_peer_link_free(struct net_peer_link *l);

#endif
