/* Outgoing peer links (peer.h).
 *
 * States: DOWN (a reconnect timer is armed) -> CONNECTING (socket bound and
 * connecting) -> HELLO (connected, our hello sent, waiting for its reply)
 * -> UP.  Any error, EOF or refused hello goes back to DOWN. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "codec/codec.h"
#include "net/options.h"
#include "net/net.h"
#include "net/peer.h"
#include "util/arena.h"
#include "util/log.h"

enum link_state { LINK_DOWN, LINK_CONNECTING, LINK_HELLO, LINK_UP };

struct net_peer_link {
	struct net_peer_link_cfg cfg;
	struct event_base *base;
	struct bufferevent *bev;
	struct event *retry;
	enum link_state state;
	uint32_t backoff_ms;
	uint64_t dropped, attempts;
	uint64_t jitter; /* xorshift state: spreads reconnects of many links */
	struct tk_arena arena;
};

static void link_connect(struct net_peer_link *l);

static uint32_t jittered(struct net_peer_link *l, uint32_t ms)
{
	l->jitter ^= l->jitter << 13;
	l->jitter ^= l->jitter >> 7;
	l->jitter ^= l->jitter << 17;
	/* between ms/2 and ms */
	return ms / 2 + (uint32_t)(l->jitter % (ms / 2 + 1));
}

static void down(struct net_peer_link *l, const char *why)
{
	bool was_up = l->state == LINK_UP;
	if (l->bev) {
		bufferevent_free(l->bev);
		l->bev = NULL;
	}
	l->state = LINK_DOWN;
	uint32_t ms = jittered(l, l->backoff_ms);
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(l->retry, &tv);
	l->backoff_ms =
	    l->backoff_ms * 2 > l->cfg.backoff_max_ms ? l->cfg.backoff_max_ms : l->backoff_ms * 2;
	LOG_DEBUG("peer link %s: down (%s), retry in %u ms", l->cfg.addr, why, ms);
	if (was_up && l->cfg.on_state)
		l->cfg.on_state(l->cfg.arg, false, why);
}

/* The hello reply: accepted or refused. */
static bool hello_reply(struct net_peer_link *l, struct tk_slice payload)
{
	struct tk_msg m;
	struct tk_errbuf eb;
	tk_err_clear(&eb);
	tk_arena_reset(&l->arena);
	enum tk_err e = tk_msg_decode(payload, &l->arena, &m, &eb);
	char why[200];
	if (e == TK_OK && m.type == TK_MSG_hello && m.kind == TK_RESPONSE) {
		l->state = LINK_UP;
		l->backoff_ms = l->cfg.backoff_min_ms;
		LOG_INFO("peer link %s: up", l->cfg.addr);
		if (l->cfg.on_state)
			l->cfg.on_state(l->cfg.arg, true, NULL);
		return true;
	}
	if (e == TK_OK && m.kind == TK_ERROR) {
		const struct tk_error *err = m.body;
		snprintf(why, sizeof why, "hello refused: %.*s %.*s", (int)err->code.n, err->code.p,
		         (int)(err->msg.n > 120 ? 120 : err->msg.n), err->msg.p);
	} else {
		snprintf(why, sizeof why, "bad hello reply: %s", e ? eb.msg : "not a hello reply");
	}
	LOG_WARN("peer link %s: %s", l->cfg.addr, why);
	down(l, why);
	return false;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct net_peer_link *l = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	for (;;) {
		size_t avail = evbuffer_get_length(in);
		if (avail < TK_FRAME_HEADER)
			return;
		uint8_t hdr[TK_FRAME_HEADER];
		evbuffer_copyout(in, hdr, sizeof hdr);
		uint32_t n;
		enum tk_frame_status st = tk_frame_peek(hdr, avail, l->cfg.max_frame, &n);
		if (st == TK_FRAME_NEED_MORE)
			return;
		if (st == TK_FRAME_TOO_LARGE) {
			down(l, "frame from the peer above max-frame");
			return;
		}
		uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)(TK_FRAME_HEADER + n));
		struct tk_slice payload = tk_slice_of(p + TK_FRAME_HEADER, n);
		if (l->state == LINK_HELLO) {
			if (!hello_reply(l, payload))
				return; /* bev is gone */
		} else if (l->cfg.on_frame) {
			l->cfg.on_frame(l->cfg.arg, payload);
		}
		evbuffer_drain(in, TK_FRAME_HEADER + n);
	}
}

static void send_hello(struct net_peer_link *l)
{
	struct tk_hello_req req = {
	    .proto = TK_PROTO_VERSION,
	    .role = tk_slice_str(l->cfg.role),
	    .name = l->cfg.name ? tk_slice_str(l->cfg.name) : tk_slice_of(NULL, 0),
	};
	struct tk_msg m = {.type = TK_MSG_hello, .id = 1, .kind = TK_REQUEST, .body = &req};
	struct tk_buf b;
	tk_buf_init(&b);
	if (tk_msg_encode_frame(&b, &m) != TK_OK) {
		tk_buf_destroy(&b);
		down(l, "out of memory");
		return;
	}
	bufferevent_write(l->bev, b.data, b.len);
	tk_buf_destroy(&b);
	l->state = LINK_HELLO;
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct net_peer_link *l = arg;
	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		int one = 1;
		setsockopt(bufferevent_getfd(l->bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		send_hello(l);
		return;
	}
	char why[96];
	if (what & BEV_EVENT_EOF)
		snprintf(why, sizeof why, "closed by the peer");
	else
		snprintf(why, sizeof why, "%s", strerror(EVUTIL_SOCKET_ERROR()));
	down(l, why);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	link_connect(arg);
}

/* A socket bound to bind_host (any port), connecting to addr. */
static void link_connect(struct net_peer_link *l)
{
	char host[128], bhost[128];
	uint16_t port, bport;
	struct sockaddr_storage to, from;
	socklen_t tolen, fromlen = 0;
	memset(&to, 0, sizeof to);
	memset(&from, 0, sizeof from);
	l->attempts++;
	if (!net_parse_addr(l->cfg.addr, host, sizeof host, &port)) {
		down(l, "bad address");
		return;
	}
	struct sockaddr_in *t4 = (struct sockaddr_in *)&to;
	struct sockaddr_in6 *t6 = (struct sockaddr_in6 *)&to;
	if (inet_pton(AF_INET, host, &t4->sin_addr) == 1) {
		t4->sin_family = AF_INET;
		t4->sin_port = htons(port);
		tolen = sizeof *t4;
	} else if (inet_pton(AF_INET6, host, &t6->sin6_addr) == 1) {
		t6->sin6_family = AF_INET6;
		t6->sin6_port = htons(port);
		tolen = sizeof *t6;
	} else {
		down(l, "address is not numeric");
		return;
	}
	if (l->cfg.bind_host[0]) {
		snprintf(bhost, sizeof bhost, "%s", l->cfg.bind_host);
		bport = 0;
		struct sockaddr_in *f4 = (struct sockaddr_in *)&from;
		struct sockaddr_in6 *f6 = (struct sockaddr_in6 *)&from;
		if (to.ss_family == AF_INET && inet_pton(AF_INET, bhost, &f4->sin_addr) == 1) {
			f4->sin_family = AF_INET;
			f4->sin_port = htons(bport);
			fromlen = sizeof *f4;
		} else if (to.ss_family == AF_INET6 &&
		           inet_pton(AF_INET6, bhost, &f6->sin6_addr) == 1) {
			f6->sin6_family = AF_INET6;
			f6->sin6_port = htons(bport);
			fromlen = sizeof *f6;
		} else {
			down(l, "bind address is not numeric or not of the peer's family");
			return;
		}
	}
	evutil_socket_t fd = socket(to.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		down(l, strerror(errno));
		return;
	}
	if (fromlen && bind(fd, (struct sockaddr *)&from, fromlen) != 0) {
		char why[160];
		snprintf(why, sizeof why, "bind %s: %s", l->cfg.bind_host, strerror(errno));
		close(fd);
		down(l, why);
		return;
	}
	evutil_make_socket_nonblocking(fd);
	l->bev = bufferevent_socket_new(l->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!l->bev) {
		close(fd);
		down(l, "out of memory");
		return;
	}
	bufferevent_setcb(l->bev, read_cb, NULL, event_cb, l);
	bufferevent_setwatermark(l->bev, EV_READ, 0, (size_t)l->cfg.max_frame + 64 * 1024);
	bufferevent_enable(l->bev, EV_READ | EV_WRITE);
	l->state = LINK_CONNECTING;
	if (bufferevent_socket_connect(l->bev, (struct sockaddr *)&to, (int)tolen) != 0)
		down(l, "connect failed");
}

struct net_peer_link *net_peer_link_new(struct event_base *base,
                                        const struct net_peer_link_cfg *cfg)
{
	struct net_peer_link *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->cfg = *cfg;
	l->base = base;
	if (!l->cfg.backoff_min_ms)
		l->cfg.backoff_min_ms = 50;
	if (l->cfg.backoff_max_ms < l->cfg.backoff_min_ms)
		l->cfg.backoff_max_ms = l->cfg.backoff_min_ms;
	l->backoff_ms = l->cfg.backoff_min_ms;
	l->jitter = (uint64_t)(uintptr_t)l ^ 0x9e3779b97f4a7c15u;
	tk_arena_init(&l->arena);
	l->retry = evtimer_new(base, retry_cb, l);
	if (!l->retry) {
		free(l);
		return NULL;
	}
	link_connect(l);
	return l;
}

enum tk_err net_peer_link_send(struct net_peer_link *l, const void *frame, size_t len)
{
	if (l->state != LINK_UP) {
		l->dropped++;
		return TK_E_CONNECTION;
	}
	struct evbuffer *out = bufferevent_get_output(l->bev);
	if (evbuffer_get_length(out) + len > l->cfg.max_queue) {
		l->dropped++;
		return TK_E_SERVER_IS_BUSY;
	}
	return net_bev_write(l->bev, frame, len) == 0 ? TK_OK : TK_E_NOMEM;
}

bool net_peer_link_is_up(const struct net_peer_link *l)
{
	return l->state == LINK_UP;
}

uint64_t net_peer_link_dropped(const struct net_peer_link *l)
{
	return l->dropped;
}

uint64_t net_peer_link_attempts(const struct net_peer_link *l)
{
	return l->attempts;
}

void net_peer_link_free(struct net_peer_link *l)
{
	if (!l)
		return;
	if (l->bev)
		bufferevent_free(l->bev);
	event_free(l->retry);
	tk_arena_destroy(&l->arena);
	free(l);
}
