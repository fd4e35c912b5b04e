/* libtinykv unit tests that need no server: address parsing, the pending
 * table, and the async engine over a socketpair whose other end this test
 * drives with the codec (a scripted server). */
#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/client_int.h"
#include "client/fake_server.h"
#include "client/pending.h"
#include "codec/codec.h"
#include "util/arena.h"
#include "util/clock.h"

/* ---- address parsing ------------------------------------------------------ */

static enum tk_err split(const char *s, char *host, uint16_t *port)
{
	struct tk_errbuf eb;
	return tkv_addr_split(s, host, 64, port, &eb);
}

START_TEST(test_addr_split_accepts_host_port_ipv6_and_default_port)
{
	char h[64];
	uint16_t p;
	ck_assert_int_eq(split("127.0.0.1:20161", h, &p), TK_OK);
	ck_assert_str_eq(h, "127.0.0.1");
	ck_assert_uint_eq(p, 20161);
	ck_assert_int_eq(split("[::1]:7", h, &p), TK_OK);
	ck_assert_str_eq(h, "::1");
	ck_assert_uint_eq(p, 7);
	ck_assert_int_eq(split("localhost", h, &p), TK_OK);
	ck_assert_str_eq(h, "localhost");
	ck_assert_uint_eq(p, 20160);
	ck_assert_int_eq(split("[fe80::1]", h, &p), TK_OK);
	ck_assert_uint_eq(p, 20160);
}
END_TEST

START_TEST(test_addr_split_rejects_malformed_addresses)
{
	char h[64];
	uint16_t p;
	const char *bad[] = {":80", "", "h:", "h:0", "h:65536", "h:1x", "[::1", "[::1]x",
			     "::1:80", "h:-1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(split(bad[i], h, &p) == TK_E_BAD_CONFIG, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(test_addr_resolve_numeric_needs_no_lookup)
{
	struct tkv_addrs a;
	struct tk_errbuf eb;
	ck_assert_int_eq(tkv_addr_resolve("127.0.0.1:9", &a, &eb), TK_OK);
	ck_assert_int_eq(a.n, 1);
	ck_assert_int_eq(a.sa[0].ss_family, AF_INET);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&a.sa[0])->sin_port), 9);
	ck_assert_int_eq(tkv_addr_resolve("[::1]:9", &a, &eb), TK_OK);
	ck_assert_int_eq(a.sa[0].ss_family, AF_INET6);
}
END_TEST

/* ---- pending table -------------------------------------------------------- */

static void nop_cb(void *arg, const struct tkv_reply *r)
{
	(void)arg;
	(void)r;
}

START_TEST(test_pending_table_matches_ids_taken_in_any_order)
{
	struct tkv_ptable t;
	tkv_ptable_init(&t);
	const uint64_t n = 5000;
	for (uint64_t id = 1; id <= n; id++) {
		struct tkv_pending p = {.id = id, .cb = nop_cb, .arg = (void *)(uintptr_t)id};
		ck_assert(tkv_ptable_insert(&t, &p));
	}
	ck_assert_uint_eq(t.n, n);
	/* odd ids first, from the top, then even ids from the bottom */
	for (uint64_t id = n - (n % 2 == 0); id >= 1; id -= 2) {
		struct tkv_pending p;
		ck_assert(tkv_ptable_take(&t, id, &p));
		ck_assert_uint_eq(p.id, id);
		ck_assert_ptr_eq(p.arg, (void *)(uintptr_t)id);
		ck_assert(!tkv_ptable_has(&t, id));
		if (id < 2)
			break;
	}
	for (uint64_t id = 2; id <= n; id += 2) {
		struct tkv_pending p;
		ck_assert(tkv_ptable_has(&t, id));
		ck_assert(tkv_ptable_take(&t, id, &p));
		ck_assert_ptr_eq(p.arg, (void *)(uintptr_t)id);
	}
	ck_assert_uint_eq(t.n, 0);
	struct tkv_pending p;
	ck_assert(!tkv_ptable_take(&t, 7, &p));
	tkv_ptable_destroy(&t);
}
END_TEST

START_TEST(test_pending_table_stays_small_when_one_old_request_lingers)
{
	struct tkv_ptable t;
	tkv_ptable_init(&t);
	struct tkv_pending old = {.id = 1, .cb = nop_cb};
	ck_assert(tkv_ptable_insert(&t, &old));
	for (uint64_t id = 2; id < 20000; id++) {
		struct tkv_pending p = {.id = id, .cb = nop_cb}, q;
		ck_assert(tkv_ptable_insert(&t, &p));
		ck_assert(tkv_ptable_take(&t, id, &q));
	}
	ck_assert(tkv_ptable_has(&t, 1));
	ck_assert_uint_le(t.cap, 64);
	tkv_ptable_destroy(&t);
}
END_TEST

/* ---- scripted server over a socketpair ------------------------------------ */

struct fix {
	struct event_base *base;
	struct tkv_async *a;
	int srv; /* the server's end */
	struct tk_arena arena;
};

static void fix_open(struct fix *f, const struct tkv_config *cfg)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	f->base = event_base_new();
	ck_assert_ptr_nonnull(f->base);
	struct tk_errbuf eb;
	ck_assert_int_eq(tkv_async_new_fd(f->base, cfg, sv[0], &f->a, &eb), TK_OK);
	f->srv = sv[1];
	tk_arena_init(&f->arena);
}

static void fix_close(struct fix *f)
{
	tkv_async_free(f->a);
	event_base_free(f->base);
	if (f->srv >= 0)
		close(f->srv);
	tk_arena_destroy(&f->arena);
}

/* Run the client's reactor without blocking until *flag or 2 s. */
static void run_until(struct fix *f, const bool *flag)
{
	for (int i = 0; i < 2000 && !(flag && *flag); i++) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		if (!flag && i > 5)
			return;
		if (!(flag && *flag))
			usleep(1000);
	}
}

static bool read_full(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		struct pollfd pfd = {fd, POLLIN, 0};
		if (poll(&pfd, 1, 2000) != 1)
			return false;
		ssize_t r = read(fd, b, n);
		if (r <= 0)
			return false;
		b += r;
		n -= (size_t)r;
	}
	return true;
}

/* Server side: read and decode one frame from the client.  The payload is
 * copied into the fixture's arena so decoded bodies stay valid until the
 * test resets it. */
static void srv_recv(struct fix *f, struct tk_msg *m)
{
	struct pollfd pfd = {f->srv, POLLIN, 0};
	if (poll(&pfd, 1, 0) != 1)
		run_until(f, NULL); /* let the client write */
	uint8_t hdr[4];
	ck_assert_msg(read_full(f->srv, hdr, 4), "no frame from the client");
	uint32_t n = tk_get_be32(hdr);
	uint8_t *p = tk_arena_alloc(&f->arena, n + 1);
	ck_assert_ptr_nonnull(p);
	ck_assert(read_full(f->srv, p, n));
	struct tk_errbuf eb;
	ck_assert_msg(tk_msg_decode(tk_slice_of(p, n), &f->arena, m, &eb) == TK_OK, "%s", eb.msg);
}

static bool srv_has_data(struct fix *f)
{
	run_until(f, NULL);
	struct pollfd pfd = {f->srv, POLLIN, 0};
	return poll(&pfd, 1, 20) == 1;
}

static void srv_send(struct fix *f, enum tk_msg_type type, uint64_t id, enum tk_msg_kind kind,
		     const void *body)
{
	struct tk_buf out;
	tk_buf_init(&out);
	struct tk_msg m = {.type = type, .id = id, .kind = kind, .body = (void *)body};
	ck_assert_int_eq(tk_msg_encode_frame(&out, &m), TK_OK);
	ck_assert_int_eq(write(f->srv, out.data, out.len), (ssize_t)out.len);
	tk_buf_destroy(&out);
}

static void srv_send_error(struct fix *f, enum tk_msg_type type, uint64_t id, const char *code,
			   const char *msg)
{
	struct tk_error e = {.code = tk_slice_str(code), .msg = tk_slice_str(msg)};
	srv_send(f, type, id, TK_ERROR, &e);
}

static void srv_handshake(struct fix *f)
{
	struct tk_msg m;
	srv_recv(f, &m);
	ck_assert_int_eq(m.type, TK_MSG_hello);
	ck_assert_int_eq(m.kind, TK_REQUEST);
	const struct tk_hello_req *h = m.body;
	ck_assert_uint_eq(h->proto, TK_PROTO_VERSION);
	ck_assert(tk_slice_eq(h->role, tk_slice_str("client")));
	struct tk_hello_resp r = {.proto = TK_PROTO_VERSION, .role = tk_slice_str("store"),
				  .server = tk_slice_str("fake 1"), .max_frame = 1 << 20};
	srv_send(f, TK_MSG_hello, m.id, TK_RESPONSE, &r);
	while (!tkv_async_ready(f->a) && tkv_async_error(f->a, NULL) == TK_OK)
		event_base_loop(f->base, EVLOOP_ONCE);
	ck_assert(tkv_async_ready(f->a));
}

/* What a callback saw, copied out. */
struct seen {
	bool done;
	int calls;
	enum tk_err code;
	char msg[256];
	bool found;
	char value[64];
	size_t n_kvs;
	char kvs[256]; /* "k=v,k=v" ("k=(null)" for keys-only) */
	bool more;
	bool swapped;
};

static void record(void *arg, const struct tkv_reply *r)
{
	struct seen *s = arg;
	s->done = true;
	s->swapped = r->swapped;
	s->calls++;
	s->code = r->code;
	snprintf(s->msg, sizeof s->msg, "%s", r->message);
	s->found = r->found;
	if (r->value)
		snprintf(s->value, sizeof s->value, "%.*s", (int)r->value_len, r->value);
	s->n_kvs = r->n_kvs;
	s->more = r->more;
	s->kvs[0] = 0;
	for (size_t i = 0; i < r->n_kvs; i++) {
		size_t l = strlen(s->kvs);
		if (r->kvs[i].value)
			snprintf(s->kvs + l, sizeof s->kvs - l, "%s%.*s=%.*s", i ? "," : "",
				 (int)r->kvs[i].key_len, r->kvs[i].key, (int)r->kvs[i].value_len,
				 r->kvs[i].value);
		else
			snprintf(s->kvs + l, sizeof s->kvs - l, "%s%.*s=(null)", i ? "," : "",
				 (int)r->kvs[i].key_len, r->kvs[i].key);
	}
}

START_TEST(test_async_sends_hello_first_and_holds_requests_until_its_reply)
{
	struct fix f;
	fix_open(&f, NULL);
	struct seen s = {0};
	ck_assert_int_eq(tkv_async_ping(f.a, record, &s), TK_OK);
	ck_assert_uint_eq(tkv_async_in_flight(f.a), 1);
	struct tk_msg m;
	srv_recv(&f, &m);
	ck_assert_int_eq(m.type, TK_MSG_hello);
	ck_assert(!srv_has_data(&f)); /* the ping waits for the hello reply */
	struct tk_hello_resp r = {.proto = TK_PROTO_VERSION, .role = tk_slice_str("store"),
				  .server = tk_slice_str("fake 1"), .max_frame = 1 << 20};
	srv_send(&f, TK_MSG_hello, 0, TK_RESPONSE, &r);
	srv_recv(&f, &m);
	ck_assert_int_eq(m.type, TK_MSG_ping);
	ck_assert(tkv_async_ready(f.a));
	ck_assert_str_eq(tkv_async_server_name(f.a), "fake 1");
	srv_send(&f, TK_MSG_ping, m.id, TK_RESPONSE, NULL);
	run_until(&f, &s.done);
	ck_assert_int_eq(s.code, TK_OK);
	ck_assert_uint_eq(tkv_async_in_flight(f.a), 0);
	fix_close(&f);
}
END_TEST

START_TEST(test_async_matches_out_of_order_replies_by_id)
{
	struct fix f;
	fix_open(&f, NULL);
	srv_handshake(&f);
	struct seen g1 = {0}, g2 = {0}, sc = {0}, bg = {0}, pt = {0};
	ck_assert_int_eq(tkv_async_get(f.a, "k1", 2, record, &g1), TK_OK);
	ck_assert_int_eq(tkv_async_get(f.a, "k2", 2, record, &g2), TK_OK);
	struct tkv_scan_opts so = {.end = "z", .end_len = 1, .limit = 10, .keys_only = true};
	ck_assert_int_eq(tkv_async_scan(f.a, "a", 1, &so, record, &sc), TK_OK);
	struct tkv_kv_in keys[2] = {{"x", 1, NULL, 0}, {"y", 1, NULL, 0}};
	ck_assert_int_eq(tkv_async_batch_get(f.a, keys, 2, record, &bg), TK_OK);
	ck_assert_int_eq(tkv_async_put(f.a, "k", 1, "v", 1, record, &pt), TK_OK);
	struct tk_msg m[5];
	for (int i = 0; i < 5; i++) {
		srv_recv(&f, &m[i]);
		ck_assert_int_eq(m[i].kind, TK_REQUEST);
	}
	ck_assert_int_eq(m[0].type, TK_MSG_raw_get);
	ck_assert(tk_slice_eq(((struct tk_raw_get_req *)m[0].body)->key, tk_slice_str("k1")));
	const struct tk_raw_scan_req *sr = m[2].body;
	ck_assert(tk_slice_eq(sr->end, tk_slice_str("z")));
	ck_assert_uint_eq(sr->limit, 10);
	ck_assert(sr->keys_only);
	ck_assert(!sr->reverse);
	ck_assert_uint_eq(((struct tk_raw_batch_get_req *)m[3].body)->keys.n, 2);
	/* answer in reverse order */
	srv_send(&f, TK_MSG_raw_put, m[4].id, TK_RESPONSE, NULL);
	struct tk_kv bkv[1] = {{tk_slice_str("y"), tk_slice_str("Y")}};
	struct tk_raw_batch_get_resp bgr = {.kvs = {bkv, 1}};
	srv_send(&f, TK_MSG_raw_batch_get, m[3].id, TK_RESPONSE, &bgr);
	struct tk_kv skv[2] = {{tk_slice_str("b"), {NULL, 0}}, {tk_slice_str("c"), {NULL, 0}}};
	struct tk_raw_scan_resp sresp = {.kvs = {skv, 2}, .more = true};
	srv_send(&f, TK_MSG_raw_scan, m[2].id, TK_RESPONSE, &sresp);
	struct tk_raw_get_resp missing = {.value = {NULL, 0}};
	srv_send(&f, TK_MSG_raw_get, m[1].id, TK_RESPONSE, &missing);
	struct tk_raw_get_resp hit = {.value = tk_slice_str("v1")};
	srv_send(&f, TK_MSG_raw_get, m[0].id, TK_RESPONSE, &hit);
	run_until(&f, &g1.done);
	ck_assert(pt.done && bg.done && sc.done && g2.done);
	ck_assert_int_eq(g1.code, TK_OK);
	ck_assert(g1.found);
	ck_assert_str_eq(g1.value, "v1");
	ck_assert(!g2.found);
	ck_assert_int_eq(g2.code, TK_OK);
	ck_assert_uint_eq(sc.n_kvs, 2);
	ck_assert_str_eq(sc.kvs, "b=(null),c=(null)");
	ck_assert(sc.more);
	ck_assert_str_eq(bg.kvs, "y=Y");
	ck_assert_int_eq(pt.code, TK_OK);
	ck_assert_int_eq(g1.calls + g2.calls + sc.calls + bg.calls + pt.calls, 5);
	fix_close(&f);
}
END_TEST

START_TEST(test_async_reports_server_errors_with_code_and_message)
{
	struct fix f;
	fix_open(&f, NULL);
	srv_handshake(&f);
	struct seen a = {0}, b = {0}, c = {0};
	ck_assert_int_eq(tkv_async_put(f.a, "k", 1, "v", 1, record, &a), TK_OK);
	ck_assert_int_eq(tkv_async_put(f.a, "k", 1, "v", 1, record, &b), TK_OK);
	ck_assert_int_eq(tkv_async_get(f.a, "k", 1, record, &c), TK_OK);
	struct tk_msg m[3];
	for (int i = 0; i < 3; i++)
		srv_recv(&f, &m[i]);
	srv_send_error(&f, TK_MSG_raw_put, m[0].id, "NO_SPACE", "disk full");
	srv_send_error(&f, TK_MSG_raw_put, m[1].id, "SOMETHING_NEW", "from the future");
	srv_send_error(&f, TK_MSG_raw_get, m[2].id, "NOT_FOUND", "no such key");
	run_until(&f, &c.done);
	ck_assert_int_eq(a.code, TK_E_NO_SPACE);
	ck_assert_str_eq(a.msg, "disk full");
	ck_assert_int_eq(b.code, TK_E_INTERNAL);
	ck_assert_str_eq(b.msg, "SOMETHING_NEW: from the future");
	ck_assert_int_eq(c.code, TK_OK); /* a missing key is never an error */
	ck_assert(!c.found);
	ck_assert(tkv_async_ready(f.a));
	fix_close(&f);
}
END_TEST

START_TEST(test_async_hello_refusal_fails_pending_and_later_requests)
{
	struct fix f;
	fix_open(&f, NULL);
	struct seen s = {0};
	ck_assert_int_eq(tkv_async_ping(f.a, record, &s), TK_OK);
	struct tk_msg m;
	srv_recv(&f, &m);
	srv_send_error(&f, TK_MSG_hello, 0, "VERSION_MISMATCH", "we speak 2");
	close(f.srv);
	f.srv = -1;
	run_until(&f, &s.done);
	ck_assert_int_eq(s.code, TK_E_VERSION_MISMATCH);
	ck_assert_msg(strstr(s.msg, "we speak 2"), "%s", s.msg);
	ck_assert_int_eq(tkv_async_ping(f.a, record, &s), TK_E_CLOSED);
	struct tk_errbuf eb;
	ck_assert_int_eq(tkv_async_error(f.a, &eb), TK_E_VERSION_MISMATCH);
	ck_assert(!tkv_async_ready(f.a));
	fix_close(&f);
}
END_TEST

START_TEST(test_async_server_close_fails_pending_with_connection_error)
{
	struct fix f;
	fix_open(&f, NULL);
	srv_handshake(&f);
	struct seen s1 = {0}, s2 = {0};
	ck_assert_int_eq(tkv_async_get(f.a, "a", 1, record, &s1), TK_OK);
	ck_assert_int_eq(tkv_async_get(f.a, "b", 1, record, &s2), TK_OK);
	struct tk_msg m;
	srv_recv(&f, &m);
	srv_recv(&f, &m); /* read everything: closing with unread data would reset */
	srv_send_error(&f, TK_MSG_raw_get, 0, "BAD_REQUEST", "garbage frame");
	close(f.srv);
	f.srv = -1;
	run_until(&f, &s2.done);
	ck_assert(s1.done);
	ck_assert_int_eq(s1.code, TK_E_CONNECTION);
	ck_assert_int_eq(s2.code, TK_E_CONNECTION);
	ck_assert_msg(strstr(s1.msg, "closed the connection after error BAD_REQUEST: garbage"),
		      "%s", s1.msg);
	ck_assert_int_eq(tkv_async_get(f.a, "c", 1, record, &s1), TK_E_CLOSED);
	fix_close(&f);
}
END_TEST

START_TEST(test_async_times_out_unanswered_request_and_drops_late_reply)
{
	struct tkv_config cfg;
	tkv_config_default(&cfg);
	cfg.timeout_ms = 200; /* the ping below must beat it on a loaded machine */
	struct fix f;
	fix_open(&f, &cfg);
	srv_handshake(&f);
	struct seen s = {0}, t = {0};
	/* the timeout counts from the submission: measure from there (from
	 * after srv_recv, a loaded machine made it look early) */
	uint64_t t0 = tk_mono_ns();
	ck_assert_int_eq(tkv_async_get(f.a, "a", 1, record, &s), TK_OK);
	struct tk_msg m;
	srv_recv(&f, &m);
	uint64_t late_id = m.id;
	run_until(&f, &s.done);
	ck_assert_int_eq(s.code, TK_E_TIMEOUT);
	ck_assert_uint_ge(tk_mono_ns() - t0, 200u * 1000000u);
	/* the late reply is dropped; the connection still works */
	struct tk_raw_get_resp hit = {.value = tk_slice_str("late")};
	srv_send(&f, TK_MSG_raw_get, late_id, TK_RESPONSE, &hit);
	ck_assert_int_eq(tkv_async_ping(f.a, record, &t), TK_OK);
	srv_recv(&f, &m);
	srv_send(&f, TK_MSG_ping, m.id, TK_RESPONSE, NULL);
	run_until(&f, &t.done);
	ck_assert_int_eq(t.code, TK_OK);
	ck_assert_int_eq(s.calls, 1);
	fix_close(&f);
}
END_TEST

START_TEST(test_async_rejects_oversized_frame_from_server)
{
	struct tkv_config cfg;
	tkv_config_default(&cfg);
	cfg.max_frame = 1000;
	struct fix f;
	fix_open(&f, &cfg);
	srv_handshake(&f);
	struct seen s = {0};
	ck_assert_int_eq(tkv_async_get(f.a, "a", 1, record, &s), TK_OK);
	struct tk_msg m;
	srv_recv(&f, &m);
	char big[2000];
	memset(big, 'x', sizeof big);
	struct tk_raw_get_resp r = {.value = tk_slice_of(big, sizeof big)};
	srv_send(&f, TK_MSG_raw_get, m.id, TK_RESPONSE, &r);
	run_until(&f, &s.done);
	ck_assert_int_eq(s.code, TK_E_PROTOCOL);
	ck_assert_msg(strstr(s.msg, "above our limit 1000"), "%s", s.msg);
	fix_close(&f);
}
END_TEST

START_TEST(test_async_refuses_request_above_server_max_frame)
{
	struct fix f;
	fix_open(&f, NULL);
	srv_handshake(&f); /* max_frame 1 MiB */
	size_t n = (1u << 20) + 10;
	char *v = calloc(1, n);
	struct seen s = {0};
	ck_assert_int_eq(tkv_async_put(f.a, "k", 1, v, n, record, &s), TK_E_TOO_LARGE);
	ck_assert_uint_eq(tkv_async_in_flight(f.a), 0);
	free(v);
	fix_close(&f);
	ck_assert(!s.done);
}
END_TEST

static void free_in_cb(void *arg, const struct tkv_reply *r)
{
	struct fix *f = arg;
	(void)r;
	tkv_async_free(f->a);
	f->a = NULL;
}

START_TEST(test_async_free_inside_callback_closes_the_others)
{
	struct fix f;
	fix_open(&f, NULL);
	srv_handshake(&f);
	struct seen s = {0};
	ck_assert_int_eq(tkv_async_ping(f.a, free_in_cb, &f), TK_OK);
	ck_assert_int_eq(tkv_async_ping(f.a, record, &s), TK_OK);
	struct tk_msg m;
	srv_recv(&f, &m);
	srv_send(&f, TK_MSG_ping, m.id, TK_RESPONSE, NULL);
	run_until(&f, &s.done);
	ck_assert_int_eq(s.code, TK_E_CLOSED);
	ck_assert_ptr_null(f.a);
	fix_close(&f);
}
END_TEST

START_TEST(test_async_free_fails_pending_with_closed)
{
	struct fix f;
	fix_open(&f, NULL);
	struct seen s = {0};
	ck_assert_int_eq(tkv_async_ping(f.a, record, &s), TK_OK);
	tkv_async_free(f.a);
	f.a = NULL;
	ck_assert(s.done);
	ck_assert_int_eq(s.code, TK_E_CLOSED);
	fix_close(&f);
}
END_TEST

/* Thousands of pipelined requests, answered in batches in scrambled order:
 * every callback fires once with its own value. */
static void count_value(void *arg, const struct tkv_reply *r)
{
	uint32_t *hits = arg;
	uint32_t v;
	ck_assert_int_eq(r->code, TK_OK);
	ck_assert_uint_eq(r->value_len, 4);
	memcpy(&v, r->value, 4);
	hits[v]++;
}

START_TEST(test_async_pipelines_thousands_of_requests)
{
	enum { N = 4000 };
	struct fix f;
	fix_open(&f, NULL);
	srv_handshake(&f);
	uint32_t *hits = calloc(N, sizeof *hits);
	uint64_t *ids = calloc(N, sizeof *ids);
	for (uint32_t i = 0; i < N; i++)
		ck_assert_int_eq(tkv_async_get(f.a, &i, 4, count_value, hits), TK_OK);
	ck_assert_uint_eq(tkv_async_in_flight(f.a), N);
	struct tk_buf out;
	tk_buf_init(&out);
	for (uint32_t i = 0; i < N; i++) {
		struct tk_msg m;
		tk_arena_reset(&f.arena);
		srv_recv(&f, &m);
		ids[i] = m.id;
	}
	for (uint32_t k = 0; k < N; k++) {
		uint32_t i = (k * 7919u) % N; /* a permutation: 7919 is prime */
		uint32_t v = i;
		struct tk_raw_get_resp r = {.value = tk_slice_of(&v, 4)};
		struct tk_msg m = {
			.type = TK_MSG_raw_get, .id = ids[i], .kind = TK_RESPONSE, .body = &r};
		ck_assert_int_eq(tk_msg_encode_frame(&out, &m), TK_OK);
	}
	size_t off = 0;
	while (off < out.len) {
		ssize_t w = write(f.srv, out.data + off, out.len - off);
		if (w < 0 && errno == EAGAIN)
			continue;
		ck_assert_int_gt(w, 0);
		off += (size_t)w;
		event_base_loop(f.base, EVLOOP_NONBLOCK);
	}
	for (int i = 0; i < 2000 && tkv_async_in_flight(f.a) > 0; i++) {
		event_base_loop(f.base, EVLOOP_NONBLOCK);
		usleep(500);
	}
	ck_assert_uint_eq(tkv_async_in_flight(f.a), 0);
	for (uint32_t i = 0; i < N; i++)
		ck_assert_uint_eq(hits[i], 1);
	tk_buf_destroy(&out);
	free(hits);
	free(ids);
	fix_close(&f);
}
END_TEST

/* ---- real sockets, no server ---------------------------------------------- */

static uint16_t closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sin;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

START_TEST(test_connect_to_closed_port_reports_address_and_strerror)
{
	char addr[64];
	snprintf(addr, sizeof addr, "127.0.0.1:%u", (unsigned)closed_port());
	struct tkv_config cfg;
	tkv_config_default(&cfg);
	cfg.address = addr;
	struct tkv_client *c = NULL;
	struct tk_errbuf eb;
	ck_assert_int_eq(tkv_connect(&cfg, &c, &eb), TK_E_CONNECTION);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(eb.msg, addr) && strstr(eb.msg, strerror(ECONNREFUSED)), "%s", eb.msg);
}
END_TEST

START_TEST(test_connect_times_out_without_hello_reply)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sin;
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(listen(l, 4), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sin, &len), 0);
	char addr[64];
	snprintf(addr, sizeof addr, "127.0.0.1:%u", (unsigned)ntohs(sin.sin_port));
	struct tkv_config cfg;
	tkv_config_default(&cfg);
	cfg.address = addr;
	cfg.connect_timeout_ms = 100;
	struct tkv_client *c = NULL;
	struct tk_errbuf eb;
	ck_assert_int_eq(tkv_connect(&cfg, &c, &eb), TK_E_TIMEOUT);
	ck_assert_msg(strstr(eb.msg, addr), "%s", eb.msg);
	close(l);
}
END_TEST

START_TEST(test_bad_address_is_a_config_error)
{
	struct tkv_config cfg;
	tkv_config_default(&cfg);
	cfg.address = "127.0.0.1:notaport";
	struct tkv_client *c = NULL;
	struct tk_errbuf eb;
	ck_assert_int_eq(tkv_connect(&cfg, &c, &eb), TK_E_BAD_CONFIG);
}
END_TEST

/* ---- blocking API against the fake server (fake_server.h) --------------------- */

static struct tkv_client *fake_client(struct tkv_fake *f, unsigned timeout_ms)
{
	struct tkv_config cfg;
	tkv_config_default(&cfg);
	cfg.address = tkv_fake_address(f);
	cfg.timeout_ms = timeout_ms;
	/* one attempt per call: these tests look at what the store answered,
	 * not at routing (test_route.c) */
	cfg.max_attempts = 1;
	struct tkv_client *c = NULL;
	struct tk_errbuf eb;
	ck_assert_msg(tkv_connect(&cfg, &c, &eb) == TK_OK, "%s", eb.msg);
	return c;
}

START_TEST(test_blocking_calls_return_copied_replies_and_server_errors)
{
	struct tkv_fake *f = tkv_fake_start();
	struct tkv_client *c = fake_client(f, 2000);
	struct tk_errbuf eb;
	ck_assert_str_eq(tkv_server_name(c), "fake 1");
	ck_assert_int_eq(tkv_ping(c, &eb), TK_OK);
	ck_assert_int_eq(tkv_put(c, "k", 1, "v:k", 3, &eb), TK_OK);
	uint8_t *v;
	size_t vn;
	bool found;
	ck_assert_int_eq(tkv_get(c, "k", 1, &v, &vn, &found, &eb), TK_OK);
	ck_assert(found);
	ck_assert_uint_eq(vn, 3);
	ck_assert_str_eq((char *)v, "v:k"); /* NUL-terminated copy */
	tkv_free(v);
	ck_assert_int_eq(tkv_get(c, "missing", 7, &v, &vn, &found, &eb), TK_OK);
	ck_assert(!found);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(tkv_delete(c, "nospace", 7, &eb), TK_E_NO_SPACE);
	ck_assert_int_eq(eb.code, TK_E_NO_SPACE);
	ck_assert_str_eq(eb.msg, "disk full");
	ck_assert_int_eq(tkv_put(c, "a", 1, "1", 1, &eb), TK_OK);
	ck_assert_int_eq(tkv_put(c, "b", 1, "", 0, &eb), TK_OK);
	struct tkv_kv *kvs;
	size_t n;
	bool more;
	struct tkv_scan_opts o = {.limit = 2};
	ck_assert_int_eq(tkv_scan(c, "a", 1, &o, &kvs, &n, &more, &eb), TK_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert(more);
	ck_assert_str_eq((char *)kvs[0].key, "a");
	ck_assert_str_eq((char *)kvs[0].value, "1");
	ck_assert_uint_eq(kvs[1].value_len, 0);
	ck_assert_ptr_nonnull(kvs[1].value);
	tkv_kvs_free(kvs, n);
	struct tkv_kv_in keys[3] = {{"k", 1, NULL, 0}, {"zz", 2, NULL, 0}, {"a", 1, NULL, 0}};
	ck_assert_int_eq(tkv_batch_get(c, keys, 3, &kvs, &n, &eb), TK_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq((char *)kvs[0].key, "k");
	ck_assert_str_eq((char *)kvs[1].value, "1");
	tkv_kvs_free(kvs, n);
	tkv_close(c);
	tkv_fake_stop(f);
}
END_TEST

/* A get of key that the fake answers with a region error; returns its
 * detail (owned by c). */
static const struct tkv_region_error *get_region_error(struct tkv_client *c, const char *key,
                                                       enum tk_err want)
{
	struct tk_errbuf eb;
	uint8_t *v;
	size_t vn;
	bool found;
	ck_assert_int_eq(tkv_get(c, key, strlen(key), &v, &vn, &found, &eb), want);
	ck_assert_int_eq(eb.code, want);
	const struct tkv_region_error *re = tkv_last_region_error(c);
	ck_assert_ptr_nonnull(re);
	ck_assert_int_eq(re->code, want);
	return re;
}

START_TEST(test_blocking_region_errors_come_with_their_detail)
{
	struct tkv_fake *f = tkv_fake_start();
	struct tkv_client *c = fake_client(f, 2000);
	const struct tkv_region_error *re = get_region_error(c, "not_leader", TK_E_NOT_LEADER);
	ck_assert_uint_eq(re->region_id, 2);
	ck_assert_uint_eq(re->leader.id, 6);
	ck_assert_uint_eq(re->leader.store_id, 3);
	ck_assert_str_eq(re->leader_addr, "127.0.0.1:20162");
	ck_assert_uint_eq(re->n_regions, 0);
	ck_assert_str_eq(re->reason, "");

	re = get_region_error(c, "no_leader", TK_E_NOT_LEADER);
	ck_assert_uint_eq(re->leader.store_id, 0);
	ck_assert_str_eq(re->leader_addr, "");

	re = get_region_error(c, "epoch", TK_E_EPOCH_NOT_MATCH);
	ck_assert_uint_eq(re->region_id, 2);
	ck_assert_uint_eq(re->n_regions, 2);
	ck_assert_uint_eq(re->regions[0].id, 2);
	ck_assert_uint_eq(re->regions[0].start_len, 0);
	ck_assert_uint_eq(re->regions[0].end_len, 1);
	ck_assert_int_eq(re->regions[0].end[0], 'm');
	ck_assert_uint_eq(re->regions[1].id, 8);
	ck_assert_uint_eq(re->regions[1].conf_ver, 1);
	ck_assert_uint_eq(re->regions[1].version, 2);
	ck_assert_uint_eq(re->regions[1].n_peers, 3);
	ck_assert_uint_eq(re->regions[1].peers[2].id, 11);
	ck_assert_uint_eq(re->regions[1].peers[2].store_id, 3);

	re = get_region_error(c, "no_region", TK_E_REGION_NOT_FOUND);
	ck_assert_uint_eq(re->region_id, 9);

	re = get_region_error(c, "zebra", TK_E_KEY_NOT_IN_REGION);
	ck_assert_uint_eq(re->key_len, 5);
	ck_assert(memcmp(re->key, "zebra", 5) == 0);
	ck_assert_uint_eq(re->n_regions, 1);
	ck_assert_uint_eq(re->regions[0].end_len, 1);

	re = get_region_error(c, "stale", TK_E_STALE_COMMAND);
	ck_assert_uint_eq(re->region_id, 2);

	re = get_region_error(c, "busy", TK_E_SERVER_IS_BUSY);
	ck_assert_str_eq(re->reason, "apply_queue_full");
	ck_assert_uint_eq(re->backoff_ms, 20);

	/* the next call forgets it; other errors have none */
	struct tk_errbuf eb;
	ck_assert_int_eq(tkv_ping(c, &eb), TK_OK);
	ck_assert_ptr_null(tkv_last_region_error(c));
	ck_assert_int_eq(tkv_delete(c, "nospace", 7, &eb), TK_E_NO_SPACE);
	ck_assert_ptr_null(tkv_last_region_error(c));
	tkv_close(c);
	tkv_fake_stop(f);
}
END_TEST

/* Fields a newer server adds are skipped and malformed ones dropped: the
 * call still fails with its code and the detail that could be read. */
START_TEST(test_unknown_and_malformed_detail_fields_are_ignored)
{
	struct tkv_fake *f = tkv_fake_start();
	struct tkv_client *c = fake_client(f, 2000);
	const struct tkv_region_error *re = get_region_error(c, "future", TK_E_NOT_LEADER);
	ck_assert_uint_eq(re->region_id, 2);
	ck_assert_uint_eq(re->leader.store_id, 3);
	ck_assert_str_eq(re->leader_addr, "");
	ck_assert_uint_eq(re->n_regions, 0);
	/* and the connection goes on */
	struct tk_errbuf eb;
	ck_assert_int_eq(tkv_ping(c, &eb), TK_OK);
	ck_assert_int_eq(tkv_fake_accepts(f), 1);
	tkv_close(c);
	tkv_fake_stop(f);
}
END_TEST

struct rerr_seen {
	bool done;
	enum tk_err code;
	uint64_t leader_store;
	size_t n_regions;
	uint64_t second_region;
	bool had_detail;
};

static void on_region_error(void *arg, const struct tkv_reply *r)
{
	struct rerr_seen *s = arg;
	s->done = true;
	s->code = r->code;
	s->had_detail = r->region_error != NULL;
	if (r->region_error) {
		s->leader_store = r->region_error->leader.store_id;
		s->n_regions = r->region_error->n_regions;
		if (s->n_regions > 1)
			s->second_region = r->region_error->regions[1].id;
	}
}

START_TEST(test_async_reply_carries_the_region_error_detail)
{
	struct tkv_fake *f = tkv_fake_start();
	struct event_base *base = event_base_new();
	struct tkv_config cfg;
	tkv_config_default(&cfg);
	cfg.address = tkv_fake_address(f);
	struct tkv_async *a;
	struct tk_errbuf eb;
	ck_assert_int_eq(tkv_async_new(base, &cfg, &a, &eb), TK_OK);
	struct rerr_seen s1 = {0}, s2 = {0}, s3 = {0};
	ck_assert_int_eq(tkv_async_get(a, "not_leader", 10, on_region_error, &s1), TK_OK);
	ck_assert_int_eq(tkv_async_get(a, "epoch", 5, on_region_error, &s2), TK_OK);
	ck_assert_int_eq(tkv_async_delete(a, "nospace", 7, on_region_error, &s3), TK_OK);
	while (!(s1.done && s2.done && s3.done))
		ck_assert_int_ge(event_base_loop(base, EVLOOP_ONCE), 0);
	ck_assert_int_eq(s1.code, TK_E_NOT_LEADER);
	ck_assert(s1.had_detail);
	ck_assert_uint_eq(s1.leader_store, 3);
	ck_assert_int_eq(s2.code, TK_E_EPOCH_NOT_MATCH);
	ck_assert_uint_eq(s2.n_regions, 2);
	ck_assert_uint_eq(s2.second_region, 8);
	ck_assert_int_eq(s3.code, TK_E_NO_SPACE);
	ck_assert(!s3.had_detail);
	tkv_async_free(a);
	event_base_free(base);
	tkv_fake_stop(f);
}
END_TEST

START_TEST(test_async_cas_sends_each_form_and_reports_swapped_and_prev)
{
	struct fix f;
	fix_open(&f, NULL);
	srv_handshake(&f);
	struct seen sw = {0}, cr = {0}, dl = {0}, bad = {0};
	ck_assert_int_eq(tkv_async_cas(f.a, "k", 1, "", 0, "n", 1, 0, record, &sw), TK_OK);
	ck_assert_int_eq(tkv_async_cas(f.a, "k", 1, NULL, 0, "", 0, TKV_CAS_EXPECT_ABSENT, record,
				       &cr),
			 TK_OK);
	ck_assert_int_eq(tkv_async_cas(f.a, "k", 1, "e", 1, NULL, 0, TKV_CAS_DELETE, record, &dl),
			 TK_OK);
	ck_assert_int_eq(tkv_async_cas(f.a, "k", 1, "e", 1, "v", 1, 4, record, &bad),
			 TK_E_BAD_REQUEST);
	struct tk_msg m[3];
	for (int i = 0; i < 3; i++) {
		srv_recv(&f, &m[i]);
		ck_assert_int_eq(m[i].type, TK_MSG_raw_cas);
	}
	/* empty operands are values (a non-NULL pointer), the flags' fields */
	const struct tk_raw_cas_req *q = m[0].body;
	ck_assert(q->expect.p && q->expect.n == 0 && !q->expect_absent);
	ck_assert(tk_slice_eq(q->value, tk_slice_str("n")) && !q->del);
	q = m[1].body;
	ck_assert(!q->expect.p && q->expect_absent);
	ck_assert(q->value.p && q->value.n == 0 && !q->del);
	q = m[2].body;
	ck_assert(tk_slice_eq(q->expect, tk_slice_str("e")) && !q->expect_absent);
	ck_assert(!q->value.p && q->del);
	struct tk_raw_cas_resp r0 = {.swapped = true, .prev = tk_slice_of("", 0)};
	struct tk_raw_cas_resp r1 = {.swapped = false, .prev = tk_slice_str("cur")};
	struct tk_raw_cas_resp r2 = {.swapped = false};
	srv_send(&f, TK_MSG_raw_cas, m[0].id, TK_RESPONSE, &r0);
	srv_send(&f, TK_MSG_raw_cas, m[1].id, TK_RESPONSE, &r1);
	srv_send(&f, TK_MSG_raw_cas, m[2].id, TK_RESPONSE, &r2);
	run_until(&f, &dl.done);
	ck_assert(sw.done && sw.code == TK_OK && sw.swapped && sw.found);
	ck_assert_str_eq(sw.value, "");
	ck_assert(cr.done && cr.code == TK_OK && !cr.swapped && cr.found);
	ck_assert_str_eq(cr.value, "cur");
	ck_assert(dl.code == TK_OK && !dl.swapped && !dl.found);
	ck_assert(!bad.done); /* refused at once: no callback */
	fix_close(&f);
}
END_TEST

START_TEST(test_blocking_cas_copies_prev_or_skips_it)
{
	struct tkv_fake *f = tkv_fake_start();
	struct tkv_client *c = fake_client(f, 2000);
	struct tk_errbuf eb;
	bool swapped, found;
	uint8_t *prev;
	size_t pn;
	ck_assert_int_eq(tkv_cas(c, "k", 1, NULL, 0, "v1", 2, TKV_CAS_EXPECT_ABSENT, &swapped,
				 &prev, &pn, &found, &eb),
			 TK_OK);
	ck_assert(swapped && !found && !prev && pn == 0);
	ck_assert_int_eq(tkv_cas(c, "k", 1, "v0", 2, "v2", 2, 0, &swapped, &prev, &pn, &found, &eb),
			 TK_OK);
	ck_assert(!swapped && found);
	ck_assert_uint_eq(pn, 2);
	ck_assert_str_eq((char *)prev, "v1"); /* NUL-terminated copy */
	tkv_free(prev);
	/* the previous value is optional */
	ck_assert_int_eq(tkv_cas(c, "k", 1, "v1", 2, NULL, 0, TKV_CAS_DELETE, &swapped, NULL, NULL,
				 NULL, &eb),
			 TK_OK);
	ck_assert(swapped);
	ck_assert_int_eq(tkv_cas(c, "k", 1, "v1", 2, "x", 1, 8, &swapped, &prev, &pn, &found, &eb),
			 TK_E_BAD_REQUEST);
	ck_assert(!swapped && !found && !prev);
	tkv_close(c);
	tkv_fake_stop(f);
}
END_TEST

START_TEST(test_blocking_timeout_leaves_the_connection_usable)
{
	struct tkv_fake *f = tkv_fake_start();
	struct tkv_client *c = fake_client(f, 100);
	struct tk_errbuf eb;
	uint8_t *v;
	size_t vn;
	bool found;
	ck_assert_int_eq(tkv_get(c, "slow", 4, &v, &vn, &found, &eb), TK_E_TIMEOUT);
	ck_assert_msg(strstr(eb.msg, "within 100 ms"), "%s", eb.msg);
	ck_assert_int_eq(tkv_ping(c, &eb), TK_OK);
	ck_assert_int_eq(tkv_fake_accepts(f), 1);
	tkv_close(c);
	tkv_fake_stop(f);
}
END_TEST

START_TEST(test_blocking_call_after_connection_loss_reconnects)
{
	struct tkv_fake *f = tkv_fake_start();
	struct tkv_client *c = fake_client(f, 2000);
	struct tk_errbuf eb;
	uint8_t *v;
	size_t vn;
	bool found;
	ck_assert_int_eq(tkv_get(c, "drop", 4, &v, &vn, &found, &eb), TK_E_CONNECTION);
	ck_assert_msg(strstr(eb.msg, tkv_fake_address(f)), "%s", eb.msg);
	ck_assert_int_eq(tkv_put(c, "k", 1, "v", 1, &eb), TK_OK);
	ck_assert_int_eq(tkv_fake_accepts(f), 2);
	tkv_close(c);
	tkv_fake_stop(f);
}
END_TEST

/* ---- a port that is not tinykv's -------------------------------------------- */

/* Connect (blocking API) to a fake that answers these bytes; returns the
 * error and its message in eb. */
static enum tk_err connect_to_raw(const void *reply, size_t n, struct tk_errbuf *eb)
{
	struct tkv_fake *f = tkv_fake_new(TKV_FAKE_RAW);
	tkv_fake_set_raw(f, reply, n);
	tkv_fake_listen(f);
	struct tkv_config cfg;
	tkv_config_default(&cfg);
	cfg.address = tkv_fake_address(f);
	cfg.connect_timeout_ms = 2000;
	struct tkv_client *c = NULL;
	enum tk_err e = tkv_connect(&cfg, &c, eb);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(eb->msg, tkv_fake_address(f)), "%s", eb->msg);
	tkv_fake_stop(f);
	return e;
}

START_TEST(test_connect_to_an_http_server_says_not_a_tinykv_server)
{
	static const char http[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
	struct tk_errbuf eb;
	ck_assert_int_eq(connect_to_raw(http, sizeof http - 1, &eb), TK_E_PROTOCOL);
	ck_assert_msg(
	    strstr(eb.msg,
	           "is not a tinykv server (it answered HTTP: \"HTTP/1.1 400 Bad Request\")"),
	    "%s", eb.msg);
}
END_TEST

START_TEST(test_connect_to_a_text_protocol_says_not_a_tinykv_server)
{
	static const char redis[] = "-ERR unknown command\r\n";
	struct tk_errbuf eb;
	ck_assert_int_eq(connect_to_raw(redis, sizeof redis - 1, &eb), TK_E_PROTOCOL);
	ck_assert_msg(
	    strstr(eb.msg, "is not a tinykv server (it answered \"-ERR unknown command\")"), "%s",
	    eb.msg);
}
END_TEST

START_TEST(test_connect_to_a_garbage_answer_says_not_a_tinykv_server)
{
	/* a TLS alert: binary, first byte not 0 */
	static const uint8_t tls[] = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46};
	struct tk_errbuf eb;
	ck_assert_int_eq(connect_to_raw(tls, sizeof tls, &eb), TK_E_PROTOCOL);
	ck_assert_msg(strstr(eb.msg, "is not a tinykv server (it answered \"\\x15\\x03\\x01\\x00"),
	              "%s", eb.msg);
	/* starts like a frame, but no hello is 16 MB long */
	static const uint8_t big[] = {0x00, 0xff, 0x00, 0x00, 0x81, 0xa1};
	ck_assert_int_eq(connect_to_raw(big, sizeof big, &eb), TK_E_PROTOCOL);
	ck_assert_msg(
	    strstr(eb.msg, "is not a tinykv server (its first frame claims 16711680 bytes"), "%s",
	    eb.msg);
	/* a well-sized frame that is no msgpack message */
	static const uint8_t junk[] = {0x00, 0x00, 0x00, 0x03, 0xc1, 0xc1, 0xc1};
	ck_assert_int_eq(connect_to_raw(junk, sizeof junk, &eb), TK_E_PROTOCOL);
	ck_assert_msg(strstr(eb.msg, "is not a tinykv server (bad first frame"), "%s", eb.msg);
	/* a server that closes without a word */
	ck_assert_int_eq(connect_to_raw(NULL, 0, &eb), TK_E_CONNECTION);
	ck_assert_msg(strstr(eb.msg, "before its hello reply"), "%s", eb.msg);
}
END_TEST

static Suite *client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc = tcase_create("addr");
	tcase_add_test(tc, test_addr_split_accepts_host_port_ipv6_and_default_port);
	tcase_add_test(tc, test_addr_split_rejects_malformed_addresses);
	tcase_add_test(tc, test_addr_resolve_numeric_needs_no_lookup);
	suite_add_tcase(s, tc);
	tc = tcase_create("pending");
	tcase_add_test(tc, test_pending_table_matches_ids_taken_in_any_order);
	tcase_add_test(tc, test_pending_table_stays_small_when_one_old_request_lingers);
	suite_add_tcase(s, tc);
	tc = tcase_create("async");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_async_sends_hello_first_and_holds_requests_until_its_reply);
	tcase_add_test(tc, test_async_matches_out_of_order_replies_by_id);
	tcase_add_test(tc, test_async_reports_server_errors_with_code_and_message);
	tcase_add_test(tc, test_async_hello_refusal_fails_pending_and_later_requests);
	tcase_add_test(tc, test_async_server_close_fails_pending_with_connection_error);
	tcase_add_test(tc, test_async_times_out_unanswered_request_and_drops_late_reply);
	tcase_add_test(tc, test_async_rejects_oversized_frame_from_server);
	tcase_add_test(tc, test_async_refuses_request_above_server_max_frame);
	tcase_add_test(tc, test_async_free_inside_callback_closes_the_others);
	tcase_add_test(tc, test_async_free_fails_pending_with_closed);
	tcase_add_test(tc, test_async_pipelines_thousands_of_requests);
	suite_add_tcase(s, tc);
	tc = tcase_create("connect");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_connect_to_closed_port_reports_address_and_strerror);
	tcase_add_test(tc, test_connect_times_out_without_hello_reply);
	tcase_add_test(tc, test_bad_address_is_a_config_error);
	tcase_add_test(tc, test_connect_to_an_http_server_says_not_a_tinykv_server);
	tcase_add_test(tc, test_connect_to_a_text_protocol_says_not_a_tinykv_server);
	tcase_add_test(tc, test_connect_to_a_garbage_answer_says_not_a_tinykv_server);
	suite_add_tcase(s, tc);
	tc = tcase_create("blocking");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_blocking_calls_return_copied_replies_and_server_errors);
	tcase_add_test(tc, test_blocking_region_errors_come_with_their_detail);
	tcase_add_test(tc, test_unknown_and_malformed_detail_fields_are_ignored);
	tcase_add_test(tc, test_async_reply_carries_the_region_error_detail);
	tcase_add_test(tc, test_async_cas_sends_each_form_and_reports_swapped_and_prev);
	tcase_add_test(tc, test_blocking_cas_copies_prev_or_skips_it);
	tcase_add_test(tc, test_blocking_timeout_leaves_the_connection_usable);
	tcase_add_test(tc, test_blocking_call_after_connection_loss_reconnects);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(client_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
