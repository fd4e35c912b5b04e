/* Client connections: accept, protocol detection, reading with limits,
 * output backpressure, idle timeout and closing. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net.h"
#include "util/log.h"

static void conn_process(struct net_conn *c);

static const char *const state_names[] = {"detect",  "hello",  "framed", "inline",
                                          "closing", "linger", "closed"};

static void conn_free(struct net_conn *c)
{
	struct net_server *s = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	net_slots_free(c);
	tk_arena_destroy(&c->arena);
	tk_buf_destroy(&c->out);
	free(c);
	/* shutting down: the last connection gone means all replies are out */
	if (s->shutting_down && !s->conns)
		event_base_loopbreak(s->base);
}

/* Free c if it is closed and nothing refers to it any more. */
static bool maybe_free(struct net_conn *c)
{
	if (c->state == NET_CONN_CLOSED && c->refs == 0 && !c->held) {
		conn_free(c);
		return true;
	}
	return false;
}

void net_conn_set_state(struct net_conn *c, enum net_conn_state st)
{
	if (c->state == st)
		return;
	LOG_DEBUG("conn peer=%s conn=%llu state %s -> %s", c->peer, (unsigned long long)c->serial,
	          state_names[c->state], state_names[st]);
	if (c->state == NET_CONN_DETECT || st == NET_CONN_INLINE)
		c->is_inline = st == NET_CONN_INLINE;
	c->state = st;
	if (st == NET_CONN_CLOSED && c->bev) {
		bufferevent_free(c->bev);
		c->bev = NULL;
		if (c->refusing)
			c->srv->refusing--;
		else
			c->srv->metrics.conns_current--;
		tk_buf_reset(&c->out);
	}
}

void net_conn_close(struct net_conn *c)
{
	net_conn_set_state(c, NET_CONN_CLOSED);
	maybe_free(c);
}

static size_t out_len(const struct net_conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev)) + c->out.len;
}

/* LINGER: our replies are out and our write side is shut; reading what the
 * peer still sends (and dropping it) until its EOF lets the last reply
 * arrive, where closing with unread input would reset the connection and
 * could destroy that reply in flight.  The idle timeout (or 2 s) bounds it. */
static void linger(struct net_conn *c)
{
	net_conn_set_state(c, NET_CONN_LINGER);
	shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	struct evbuffer *in = bufferevent_get_input(c->bev);
	evbuffer_drain(in, evbuffer_get_length(in));
	if (c->eof) {
		net_conn_close(c);
		return;
	}
	struct timeval tv = {2, 0};
	bufferevent_set_timeouts(c->bev, &tv, NULL);
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	bufferevent_enable(c->bev, EV_READ);
}

int net_bev_write(struct bufferevent *bev, const void *data, size_t len)
{
	size_t sent = 0;
	/* Nothing queued before: try the socket at once.  Bytes that fit its
	 * buffer (nearly every reply and raft frame) then never arm EV_WRITE:
	 * two epoll_ctl calls and a loop wake-up less each time.  What does
	 * not fit goes to the bufferevent, which sends it in order.  Bytes
	 * sent here never trigger the bufferevent's write callback: a caller
	 * waiting for that callback (a paused connection) must not use it. */
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		ssize_t n = send(bufferevent_getfd(bev), data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			sent = (size_t)n;
	}
	if (sent == len)
		return 0;
	return bufferevent_write(bev, (const char *)data + sent, len - sent);
}

static void flush(struct net_conn *c, bool direct)
{
	if (!c->bev) {
		maybe_free(c);
		return;
	}
	if (c->out.len) {
		c->srv->metrics.bytes_out += c->out.len;
		/* Straight to the socket when nothing waits, unless reading is
		 * paused: resuming it is the write callback's job, which only a
		 * write through the bufferevent triggers */
		if (direct && !c->paused)
			net_bev_write(c->bev, c->out.data, c->out.len);
		else
			bufferevent_write(c->bev, c->out.data, c->out.len);
		tk_buf_reset(&c->out);
	}
	if (c->state == NET_CONN_CLOSING && c->refs == 0 && !c->held &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		linger(c);
}

void net_conn_flush(struct net_conn *c)
{
	flush(c, true);
}

void net_conn_flush_buffered(struct net_conn *c)
{
	flush(c, false);
}

struct tk_buf *net_conn_out(struct net_conn *c);

/* Backpressure: a client that sends requests but never reads replies would
 * make us buffer without bound.  Past output_limit we stop reading from it
 * (its socket buffer fills, TCP pushes back) until half of it has drained. */
static bool over_limit(struct net_conn *c)
{
	if (out_len(c) < c->srv->cfg.output_limit)
		return false;
	if (!c->paused) {
		c->paused = true;
		c->srv->metrics.conns_paused++;
		bufferevent_disable(c->bev, EV_READ);
		bufferevent_setwatermark(c->bev, EV_WRITE, c->srv->cfg.output_limit / 2, 0);
	}
	return true;
}

bool net_conn_may_continue(struct net_conn *c)
{
	return c->bev &&
	       (c->state == NET_CONN_HELLO || c->state == NET_CONN_FRAMED ||
	        c->state == NET_CONN_INLINE) &&
	       !c->held && !over_limit(c);
}

/* The max-conns refusal, in the connection's protocol, then close. */
static void refuse_conn(struct net_conn *c)
{
	char why[96];
	snprintf(why, sizeof why, "too many connections (max-conns %u)", c->srv->cfg.max_conns);
	if (c->is_inline)
		tk_buf_printf(&c->out, "ERR %s %s\n", tk_err_name(TK_E_SERVER_IS_BUSY), why);
	else
		net_framed_encode(&c->out, TK_MSG_hello, tk_slice_of(NULL, 0), 0,
		                  TK_E_SERVER_IS_BUSY, why, NULL);
	net_conn_set_state(c, NET_CONN_CLOSING);
}

static bool is_letter(unsigned char b)
{
	return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
}

/* Handle whatever input is buffered, then hand replies to the socket.  May
 * free c: callers must not touch it afterwards. */
static void conn_process(struct net_conn *c)
{
	if (!c->bev || c->held) {
		net_conn_flush(c);
		return;
	}
	c->refs++;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	if (c->state == NET_CONN_DETECT && evbuffer_get_length(in) > 0) {
		unsigned char first;
		evbuffer_copyout(in, &first, 1);
		if (c->srv->svc->inline_cmds && is_letter(first)) {
			net_conn_set_state(c, NET_CONN_INLINE);
		} else if (first == 0) {
			net_conn_set_state(c, NET_CONN_HELLO);
		} else {
			/* neither a frame (< 16 MiB starts with 0x00) nor text: TLS,
			 * another binary protocol, line noise */
			LOG_WARN("conn refused peer=%s first_byte=0x%02x: not the tinykv protocol",
			         c->peer, first);
			c->srv->metrics.conns_closed_protocol++;
			net_conn_set_state(c, NET_CONN_CLOSING);
		}
	}
	if (c->refusing && (c->state == NET_CONN_HELLO || c->state == NET_CONN_INLINE))
		refuse_conn(c);
	if (c->state == NET_CONN_INLINE)
		net_inline_input(c);
	else if (c->state == NET_CONN_HELLO || c->state == NET_CONN_FRAMED)
		net_framed_input(c);
	/* the peer is done and every complete request was handled */
	if (c->eof && !c->held && !c->paused && c->bev && c->state != NET_CONN_LINGER &&
	    c->state != NET_CONN_CLOSED)
		net_conn_set_state(c, NET_CONN_CLOSING);
	if (c->state == NET_CONN_LINGER) {
		struct evbuffer *inb = bufferevent_get_input(c->bev);
		evbuffer_drain(inb, evbuffer_get_length(inb));
	}
	c->refs--;
	net_conn_flush(c);
}

void net_conn_resume(struct net_conn *c)
{
	c->held = false;
	conn_process(c);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_process(arg);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	struct net_conn *c = arg;
	if (c->paused &&
	    evbuffer_get_length(bufferevent_get_output(bev)) <= c->srv->cfg.output_limit / 2) {
		c->paused = false;
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		if (!c->srv->shutting_down)
			bufferevent_enable(bev, EV_READ);
		conn_process(c); /* frames left in the input while paused */
		return;
	}
	net_conn_flush(c);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct net_conn *c = arg;
	(void)bev;
	if (c->state == NET_CONN_LINGER && (what & (BEV_EVENT_EOF | BEV_EVENT_TIMEOUT))) {
		net_conn_close(c);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && c->refusing && c->state == NET_CONN_DETECT) {
		net_conn_set_state(c, NET_CONN_HELLO); /* silent client: the framed refusal */
		refuse_conn(c);
		net_conn_flush(c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		LOG_INFO("conn idle timeout peer=%s conn=%llu", c->peer,
		         (unsigned long long)c->serial);
		c->srv->metrics.conns_closed_idle++;
		net_conn_close(c);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		/* the peer finished sending (nc -N): answer what it sent, then close */
		c->eof = true;
		conn_process(c);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		LOG_DEBUG("conn error peer=%s: %s", c->peer, strerror(EVUTIL_SOCKET_ERROR()));
		net_conn_close(c);
	}
}

static void refuse(evutil_socket_t fd, enum tk_err code, const char *why)
{
	struct tk_buf b;
	tk_buf_init(&b);
	if (tk_encode_error_frame(&b, TK_MSG_hello, tk_slice_of(NULL, 0), 0, code, why) == TK_OK) {
		ssize_t n = send(fd, b.data, b.len, MSG_DONTWAIT | MSG_NOSIGNAL);
		(void)n; /* best effort: the connection is closed either way */
	}
	tk_buf_destroy(&b);
	evutil_closesocket(fd);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
                      void *arg)
{
	struct net_server *s = arg;
	(void)l;
	(void)salen;
	bool busy = s->metrics.conns_current >= s->cfg.max_conns;
	if (s->shutting_down || (busy && s->refusing >= NET_MAX_REFUSING)) {
		s->metrics.conns_rejected++;
		refuse(fd, s->shutting_down ? TK_E_SHUTTING_DOWN : TK_E_SERVER_IS_BUSY,
		       s->shutting_down ? "server is shutting down"
		                        : "too many connections (max-conns)");
		return;
	}
	struct net_conn *c = calloc(1, sizeof *c);
	if (!c) {
		evutil_closesocket(fd);
		return;
	}
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		free(c);
		evutil_closesocket(fd);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->srv = s;
	c->serial = ++s->next_serial;
	tk_arena_init(&c->arena);
	tk_buf_init(&c->out);
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		port = ntohs(in6->sin6_port);
	}
	snprintf(c->peer, sizeof c->peer, "%s:%d", host, port);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	if (busy) {
		/* over max-conns: the refusal goes out in the protocol the client
		 * speaks, so it waits for the first byte (or 1 s, then framed) */
		c->refusing = true;
		s->refusing++;
		s->metrics.conns_rejected++;
	} else {
		s->metrics.conns_accepted++;
		s->metrics.conns_current++;
	}
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	/* a partial frame never holds more than max_frame + header in memory */
	bufferevent_setwatermark(c->bev, EV_READ, 0, (size_t)s->cfg.max_frame + 64 * 1024);
	bufferevent_set_max_single_read(c->bev, 256 * 1024);
	if (busy) {
		struct timeval tv = {1, 0};
		bufferevent_set_timeouts(c->bev, &tv, &tv);
	} else if (s->cfg.idle_timeout_s) {
		/* read: the client sent nothing; write: its replies could not be
		 * sent (it stopped reading, so we stopped reading from it too) */
		struct timeval tv = {(time_t)s->cfg.idle_timeout_s, 0};
		bufferevent_set_timeouts(c->bev, &tv, &tv);
	}
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	LOG_DEBUG("conn accepted peer=%s conn=%llu", c->peer, (unsigned long long)c->serial);
}

static void accept_error_cb(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	/* EMFILE and friends: log and keep listening; libevent retries */
	LOG_WARN("accept failed: %s", strerror(EVUTIL_SOCKET_ERROR()));
}

enum tk_err net_listen(struct net_server *s, struct tk_errbuf *eb)
{
	char host[128];
	uint16_t port;
	net_parse_addr(s->cfg.listen, host, sizeof host, &port);
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	int sslen;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		sslen = sizeof *in4;
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		sslen = sizeof *in6;
	} else {
		return tk_err_set(eb, TK_E_BAD_CONFIG, "listen: '%s' is not a numeric address",
		                  s->cfg.listen);
	}
	s->listener = evconnlistener_new_bind(s->base, accept_cb, s,
	                                      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
	                                      (struct sockaddr *)&ss, sslen);
	if (!s->listener)
		return tk_err_set(eb, TK_E_IO, "listen on %s: %s", s->cfg.listen, strerror(errno));
	evconnlistener_set_error_cb(s->listener, accept_error_cb);
	/* report the real port when 0 was asked for (tests use it) */
	int bport = net_bound_port(evconnlistener_get_fd(s->listener));
	snprintf(s->listen_addr, sizeof s->listen_addr, strchr(host, ':') ? "[%s]:%d" : "%s:%d",
	         host, bport);
	return TK_OK;
}

void net_conns_shutdown(struct net_server *s)
{
	for (struct net_conn *c = s->conns; c;) {
		struct net_conn *next = c->next;
		if (c->bev && c->state != NET_CONN_LINGER) {
			bufferevent_disable(c->bev, EV_READ);
			c->held = false; /* nothing more will be read */
			net_conn_set_state(c, NET_CONN_CLOSING);
		}
		net_conn_flush(c); /* may free c */
		c = next;
	}
}

void net_conns_free_all(struct net_server *s)
{
	/* Take each next one before closing: a closed connection is freed. */
	for (struct net_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		c->refs = 0;
		c->held = false;
		net_conn_close(c);
	}
}

int net_bound_port(evutil_socket_t fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	return ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
	                                : ntohs(((struct sockaddr_in *)&ss)->sin_port);
}
