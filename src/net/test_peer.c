/* Outgoing peer links against a small in-process server: hello first,
 * frames in order, the local address they leave from, refusal while down,
 * reconnect with backoff, a refused hello, and the bounded output queue. */
#include <arpa/inet.h>
#include <check.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "codec/codec.h"
#include "net/peer.h"
#include "util/arena.h"
#include "util/clock.h"

/* ---- the test server ---- */
struct server {
	struct event_base *base;
	struct evconnlistener *lst;
	struct bufferevent *conn;
	int port;
	bool refuse_hello;
	int hellos, frames;
	uint64_t last_id;
	bool in_order;
	char peer_host[64];
	struct tk_arena arena;
};

static void srv_read(struct bufferevent *bev, void *arg)
{
	struct server *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	for (;;) {
		size_t avail = evbuffer_get_length(in);
		uint8_t hdr[TK_FRAME_HEADER];
		if (avail < TK_FRAME_HEADER)
			return;
		evbuffer_copyout(in, hdr, sizeof hdr);
		uint32_t n;
		if (tk_frame_peek(hdr, avail, 1 << 24, &n) != TK_FRAME_READY)
			return;
		uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)(TK_FRAME_HEADER + n));
		struct tk_msg m;
		struct tk_errbuf eb;
		tk_err_clear(&eb);
		tk_arena_reset(&s->arena);
		ck_assert_int_eq(
		    tk_msg_decode(tk_slice_of(p + TK_FRAME_HEADER, n), &s->arena, &m, &eb), TK_OK);
		struct tk_buf out;
		tk_buf_init(&out);
		if (m.type == TK_MSG_hello) {
			s->hellos++;
			const struct tk_hello_req *req = m.body;
			ck_assert(tk_slice_eq(req->role, tk_slice_str("store")));
			if (s->refuse_hello) {
				tk_encode_error_frame(&out, TK_MSG_hello, tk_slice_of(NULL, 0),
				                      m.id, TK_E_VERSION_MISMATCH, "not today");
			} else {
				struct tk_hello_resp r = {.proto = TK_PROTO_VERSION,
				                          .role = tk_slice_str("store"),
				                          .server = tk_slice_str("test"),
				                          .max_frame = 1 << 24};
				struct tk_msg rm = {.type = TK_MSG_hello,
				                    .id = m.id,
				                    .kind = TK_RESPONSE,
				                    .body = &r};
				tk_msg_encode_frame(&out, &rm);
			}
			bufferevent_write(bev, out.data, out.len);
		} else {
			if (m.id != s->last_id + 1)
				s->in_order = false;
			s->last_id = m.id;
			s->frames++;
		}
		tk_buf_destroy(&out);
		evbuffer_drain(in, TK_FRAME_HEADER + n);
	}
}

static void srv_event(struct bufferevent *bev, short what, void *arg)
{
	struct server *s = arg;
	(void)what;
	bufferevent_free(bev);
	if (s->conn == bev)
		s->conn = NULL;
}

static void srv_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
                       void *arg)
{
	struct server *s = arg;
	(void)l, (void)salen;
	inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, s->peer_host,
	          sizeof s->peer_host);
	s->conn = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(s->conn, srv_read, NULL, srv_event, s);
	bufferevent_enable(s->conn, EV_READ | EV_WRITE);
}

static void server_start(struct server *s, struct event_base *base)
{
	memset(s, 0, sizeof *s);
	s->base = base;
	s->in_order = true;
	tk_arena_init(&s->arena);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	s->lst =
	    evconnlistener_new_bind(base, srv_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
	                            16, (struct sockaddr *)&sin, sizeof sin);
	ck_assert_ptr_nonnull(s->lst);
	struct sockaddr_in b;
	socklen_t bl = sizeof b;
	getsockname(evconnlistener_get_fd(s->lst), (struct sockaddr *)&b, &bl);
	s->port = ntohs(b.sin_port);
}

static void server_stop(struct server *s)
{
	if (s->conn)
		bufferevent_free(s->conn);
	if (s->lst)
		evconnlistener_free(s->lst);
	s->conn = NULL;
	s->lst = NULL;
	tk_arena_destroy(&s->arena);
}

/* ---- the link under test ---- */
struct watch {
	int ups, downs;
};

static void on_state(void *arg, bool up, const char *why)
{
	struct watch *w = arg;
	(void)why;
	if (up)
		w->ups++;
	else
		w->downs++;
}

static struct net_peer_link *link_to(struct event_base *base, int port, const char *bind_host,
                                     struct watch *w, size_t max_queue)
{
	struct net_peer_link_cfg cfg;
	memset(&cfg, 0, sizeof cfg);
	snprintf(cfg.addr, sizeof cfg.addr, "127.0.0.1:%d", port);
	snprintf(cfg.bind_host, sizeof cfg.bind_host, "%s", bind_host);
	cfg.role = "store";
	cfg.name = "test";
	cfg.max_frame = 1 << 20;
	cfg.max_queue = max_queue;
	cfg.backoff_min_ms = 20;
	cfg.backoff_max_ms = 100;
	cfg.on_state = on_state;
	cfg.arg = w;
	struct net_peer_link *l = net_peer_link_new(base, &cfg);
	ck_assert_ptr_nonnull(l);
	return l;
}

/* Run the loop until cond holds or ms pass; returns cond. */
#define RUN_UNTIL(base, ms, cond)                                                                  \
	({                                                                                         \
		uint64_t end_ = tk_mono_ns() + (uint64_t)(ms)*1000000u;                            \
		while (!(cond) && tk_mono_ns() < end_) {                                           \
			struct timeval tv_ = {0, 5000};                                            \
			event_base_loopexit(base, &tv_);                                           \
			event_base_dispatch(base);                                                 \
		}                                                                                  \
		(cond);                                                                            \
	})

static void ping_frame(struct tk_buf *b, uint64_t id)
{
	struct tk_msg m = {
	    .type = TK_MSG_ping, .id = id, .kind = TK_REQUEST, .body = &(struct tk_empty){0}};
	tk_buf_reset(b);
	ck_assert_int_eq(tk_msg_encode_frame(b, &m), TK_OK);
}

START_TEST(test_link_says_hello_then_delivers_frames_in_order)
{
	struct event_base *base = event_base_new();
	struct server s;
	server_start(&s, base);
	struct watch w = {0};
	struct net_peer_link *l = link_to(base, s.port, "", &w, 1 << 20);
	ck_assert(RUN_UNTIL(base, 3000, net_peer_link_is_up(l)));
	ck_assert_int_eq(s.hellos, 1);
	ck_assert_int_eq(w.ups, 1);
	struct tk_buf b;
	tk_buf_init(&b);
	for (uint64_t i = 1; i <= 100; i++) {
		ping_frame(&b, i);
		ck_assert_int_eq(net_peer_link_send(l, b.data, b.len), TK_OK);
	}
	ck_assert(RUN_UNTIL(base, 3000, s.frames == 100));
	ck_assert(s.in_order);
	tk_buf_destroy(&b);
	net_peer_link_free(l);
	server_stop(&s);
	event_base_free(base);
}
END_TEST

START_TEST(test_link_leaves_from_its_bind_address)
{
	struct event_base *base = event_base_new();
	struct server s;
	server_start(&s, base);
	struct watch w = {0};
	struct net_peer_link *l = link_to(base, s.port, "127.0.0.2", &w, 1 << 20);
	ck_assert(RUN_UNTIL(base, 3000, net_peer_link_is_up(l)));
	ck_assert_str_eq(s.peer_host, "127.0.0.2");
	net_peer_link_free(l);
	server_stop(&s);
	event_base_free(base);
}
END_TEST

START_TEST(test_send_while_down_is_refused_and_reconnects_back_off)
{
	struct event_base *base = event_base_new();
	struct server s;
	server_start(&s, base);
	int port = s.port;
	server_stop(&s); /* nobody listens there now */
	struct watch w = {0};
	struct net_peer_link *l = link_to(base, port, "", &w, 1 << 20);
	struct tk_buf b;
	tk_buf_init(&b);
	ping_frame(&b, 1);
	ck_assert_int_eq(net_peer_link_send(l, b.data, b.len), TK_E_CONNECTION);
	ck_assert_uint_eq(net_peer_link_dropped(l), 1);
	RUN_UNTIL(base, 400, false);
	/* backoff 20 ms doubling to 100 ms, jittered down to half: over
	 * 400 ms at least 4 attempts, and far fewer than one per loop turn */
	uint64_t a = net_peer_link_attempts(l);
	ck_assert_msg(a >= 4 && a <= 30, "attempts %llu", (unsigned long long)a);
	ck_assert(!net_peer_link_is_up(l));
	tk_buf_destroy(&b);
	net_peer_link_free(l);
	event_base_free(base);
}
END_TEST

START_TEST(test_link_comes_back_after_the_peer_closes_it)
{
	struct event_base *base = event_base_new();
	struct server s;
	server_start(&s, base);
	struct watch w = {0};
	struct net_peer_link *l = link_to(base, s.port, "", &w, 1 << 20);
	ck_assert(RUN_UNTIL(base, 3000, net_peer_link_is_up(l)));
	bufferevent_free(s.conn); /* the peer drops the connection */
	s.conn = NULL;
	ck_assert(RUN_UNTIL(base, 3000, w.downs == 1));
	ck_assert(RUN_UNTIL(base, 3000, w.ups == 2 && net_peer_link_is_up(l)));
	ck_assert_int_eq(s.hellos, 2);
	net_peer_link_free(l);
	server_stop(&s);
	event_base_free(base);
}
END_TEST

START_TEST(test_refused_hello_keeps_the_link_down)
{
	struct event_base *base = event_base_new();
	struct server s;
	server_start(&s, base);
	s.refuse_hello = true;
	struct watch w = {0};
	struct net_peer_link *l = link_to(base, s.port, "", &w, 1 << 20);
	ck_assert(RUN_UNTIL(base, 3000, s.hellos >= 2)); /* it tried, was refused, tried again */
	ck_assert(!net_peer_link_is_up(l));
	ck_assert_int_eq(w.ups, 0);
	net_peer_link_free(l);
	server_stop(&s);
	event_base_free(base);
}
END_TEST

START_TEST(test_output_over_the_queue_bound_is_dropped_not_buffered)
{
	struct event_base *base = event_base_new();
	struct server s;
	server_start(&s, base);
	struct watch w = {0};
	struct net_peer_link *l = link_to(base, s.port, "", &w, 64 * 1024);
	ck_assert(RUN_UNTIL(base, 3000, net_peer_link_is_up(l)));
	bufferevent_disable(s.conn, EV_READ); /* the peer stops reading */
	struct tk_buf b;
	tk_buf_init(&b);
	ping_frame(&b, 1);
	/* the kernel's buffers take a few MB; then the queue bound bites */
	int busy = 0;
	for (int i = 0; i < 2000000 && !busy; i++) {
		enum tk_err e = net_peer_link_send(l, b.data, b.len);
		if (e == TK_E_SERVER_IS_BUSY)
			busy = 1;
		else
			ck_assert_int_eq(e, TK_OK);
		if (i % 4096 == 0)
			RUN_UNTIL(base, 1, false); /* let the socket drain into the kernel */
	}
	ck_assert(busy);
	ck_assert_uint_ge(net_peer_link_dropped(l), 1);
	tk_buf_destroy(&b);
	net_peer_link_free(l);
	server_stop(&s);
	event_base_free(base);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("peer link");
	TCase *tc = tcase_create("link");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_link_says_hello_then_delivers_frames_in_order);
	tcase_add_test(tc, test_link_leaves_from_its_bind_address);
	tcase_add_test(tc, test_send_while_down_is_refused_and_reconnects_back_off);
	tcase_add_test(tc, test_link_comes_back_after_the_peer_closes_it);
	tcase_add_test(tc, test_refused_hello_keeps_the_link_down);
	tcase_add_test(tc, test_output_over_the_queue_bound_is_dropped_not_buffered);
	suite_add_tcase(su, tc);
	SRunner *sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
