/* Whole error objects through the reply slots (net_reply_error,
 * net_slot_complete_error): a framed client gets the detail fields, an
 * inline one the hint in its ERR line, and replies keep request order. */
#include <check.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "meta/region_error.h"
#include "net/net.h"

struct rig {
	struct event_base *base;
	struct bufferevent *pair[2]; /* [0] the connection's, [1] the peer's */
	struct net_server srv;
	struct net_conn conn;
	struct tk_arena arena;
};

static void rig_init(struct rig *g)
{
	memset(g, 0, sizeof *g);
	g->base = event_base_new();
	ck_assert_ptr_nonnull(g->base);
	ck_assert_int_eq(bufferevent_pair_new(g->base, 0, g->pair), 0);
	bufferevent_enable(g->pair[1], EV_READ);
	g->srv.base = g->base;
	g->conn.srv = &g->srv;
	g->conn.bev = g->pair[0];
	g->conn.state = NET_CONN_FRAMED;
	g->conn.refs = 1; /* the input loop's, while it executes a request */
	tk_arena_init(&g->conn.arena);
	tk_buf_init(&g->conn.out);
	tk_arena_init(&g->arena);
	snprintf(g->conn.peer, sizeof g->conn.peer, "test");
}

static void rig_destroy(struct rig *g)
{
	net_slots_free(&g->conn);
	tk_arena_destroy(&g->conn.arena);
	tk_buf_destroy(&g->conn.out);
	tk_arena_destroy(&g->arena);
	bufferevent_free(g->pair[0]);
	bufferevent_free(g->pair[1]);
	event_base_free(g->base);
}

/* Everything the connection sent so far. */
static struct tk_buf sent(struct rig *g)
{
	event_base_loop(g->base, EVLOOP_NONBLOCK);
	struct evbuffer *in = bufferevent_get_input(g->pair[1]);
	struct tk_buf b;
	tk_buf_init(&b);
	size_t n = evbuffer_get_length(in);
	tk_buf_reserve(&b, n + 1);
	evbuffer_remove(in, b.data, n);
	b.len = n;
	b.data[n] = 0;
	return b;
}

static const struct region_peer peers[] = {{6, 3}};

START_TEST(test_framed_client_gets_the_detail_fields)
{
	struct rig g;
	rig_init(&g);
	struct region_error re = {.code = TK_E_NOT_LEADER,
	                          .region_id = 2,
	                          .leader = {6, 3},
	                          .leader_addr = "127.0.0.1:20162"};
	struct tk_error *err = region_error_to_wire(&g.arena, &re, NULL);
	ck_assert_ptr_nonnull(err);
	struct net_req r = {.conn = &g.conn, .id = 5, .type = TK_MSG_raw_put};
	ck_assert(net_reply_error(&r, err));
	struct tk_buf b = sent(&g);
	/* exactly the golden frame of proto-spec/errors.md */
	struct tk_buf want;
	tk_buf_init(&want);
	ck_assert_int_eq(
	    region_error_encode_frame(&want, TK_MSG_raw_put, tk_slice_of(NULL, 0), 5, &re, NULL),
	    TK_OK);
	ck_assert_uint_eq(b.len, want.len);
	ck_assert(memcmp(b.data, want.data, b.len) == 0);
	ck_assert_uint_eq(g.srv.metrics.msg[TK_MSG_raw_put].errors, 1);
	tk_buf_destroy(&want);
	tk_buf_destroy(&b);
	rig_destroy(&g);
}
END_TEST

START_TEST(test_inline_client_gets_the_hint_in_its_error_line)
{
	struct rig g;
	rig_init(&g);
	g.conn.state = NET_CONN_INLINE;
	g.conn.is_inline = true;
	struct net_inline_cmd put = {.name = "PUT", .type = TK_MSG_raw_put};
	struct region r2 = {.id = 2,
	                    .end_key = (const uint8_t *)"m",
	                    .end_len = 1,
	                    .epoch = {1, 2},
	                    .peers = peers,
	                    .n_peers = 1};
	struct region_error re = {
	    .code = TK_E_EPOCH_NOT_MATCH, .region_id = 2, .regions = &r2, .n_regions = 1};
	struct tk_error *err = region_error_to_wire(&g.arena, &re, NULL);
	struct net_req r = {.conn = &g.conn, .type = TK_MSG_raw_put, .icmd = &put};
	ck_assert(net_reply_error(&r, err));
	struct tk_buf b = sent(&g);
	ck_assert_str_eq((char *)b.data, "ERR EPOCH_NOT_MATCH region 2: epoch does not match; the "
	                                 "store has region 2 [-inf, m) (conf_ver 1, version 2)\n");
	tk_buf_destroy(&b);
	rig_destroy(&g);
}
END_TEST

/* An error for a later request waits behind an earlier deferred reply. */
START_TEST(test_error_reply_keeps_request_order)
{
	struct rig g;
	rig_init(&g);
	struct net_inline_cmd get = {.name = "GET", .type = TK_MSG_raw_get};
	g.conn.state = NET_CONN_INLINE;
	struct net_req r1 = {.conn = &g.conn, .type = TK_MSG_raw_get, .icmd = &get};
	struct net_slot *first = net_defer(&r1, NULL);
	ck_assert_ptr_nonnull(first);
	struct tk_error busy = {.code = tk_slice_str("SERVER_IS_BUSY"),
	                        .msg = tk_slice_str("region 2: server is busy"),
	                        .reason = tk_slice_str(REGION_BUSY_APPLY)};
	ck_assert(net_reply_error(&r1, &busy));
	struct tk_buf b = sent(&g);
	ck_assert_uint_eq(b.len, 0);
	tk_buf_destroy(&b);
	net_slot_complete(first, TK_OK, NULL, NULL);
	b = sent(&g);
	ck_assert_str_eq((char *)b.data, "OK\nERR SERVER_IS_BUSY region 2: server is busy\n");
	tk_buf_destroy(&b);
	rig_destroy(&g);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("net_slot");
	TCase *tc = tcase_create("slot");
	tcase_add_test(tc, test_framed_client_gets_the_detail_fields);
	tcase_add_test(tc, test_inline_client_gets_the_hint_in_its_error_line);
	tcase_add_test(tc, test_error_reply_keeps_request_order);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
