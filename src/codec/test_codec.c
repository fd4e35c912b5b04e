#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "codec/json.h"
#include "codec/mp_read.h"

static struct tk_arena arena;
static struct tk_errbuf eb;

static void setup(void)
{
	tk_arena_init(&arena);
	tk_err_clear(&eb);
}
static void teardown(void)
{
	tk_arena_destroy(&arena);
}

/* Build a payload from JSON (the same path the frame tool takes). */
static struct tk_buf payload_of(const char *json)
{
	struct tk_buf b;
	tk_buf_init(&b);
	size_t used;
	ck_assert_int_eq(tk_json_to_msgpack(tk_slice_str(json), &used, &b, &eb), TK_OK);
	ck_assert_uint_eq(used, strlen(json));
	return b;
}

static enum tk_err decode_json(const char *json, struct tk_msg *m)
{
	struct tk_buf b = payload_of(json);
	/* the decoded message points into the payload: keep it in the arena */
	void *copy = tk_arena_dup(&arena, b.data, b.len);
	enum tk_err e = tk_msg_decode(tk_slice_of(copy, b.len), &arena, m, &eb);
	tk_buf_destroy(&b);
	return e;
}

START_TEST(test_frame_peek_waits_for_whole_frame_and_refuses_oversize)
{
	uint8_t f[8] = {0, 0, 0, 4, 1, 2, 3, 4};
	uint32_t n;
	ck_assert_int_eq(tk_frame_peek(f, 3, 100, &n), TK_FRAME_NEED_MORE);
	ck_assert_int_eq(tk_frame_peek(f, 7, 100, &n), TK_FRAME_NEED_MORE);
	ck_assert_int_eq(tk_frame_peek(f, 8, 100, &n), TK_FRAME_READY);
	ck_assert_uint_eq(n, 4);
	uint8_t big[4] = {0x7f, 0xff, 0xff, 0xff};
	ck_assert_int_eq(tk_frame_peek(big, 4, 100, &n), TK_FRAME_TOO_LARGE);
	ck_assert_uint_eq(n, 0x7fffffff);
}
END_TEST

START_TEST(test_request_round_trips_through_encode_and_decode)
{
	struct tk_kv kvs[2] = {{tk_slice_str("a"), tk_slice_str("1")},
			       {tk_slice_of("\0b", 2), tk_slice_of("", 0)}};
	struct tk_raw_batch_put_req req = {.kvs = {kvs, 2}};
	struct tk_msg m = {.type = TK_MSG_raw_batch_put, .id = 77, .kind = TK_REQUEST, .body = &req};
	struct tk_buf out;
	tk_buf_init(&out);
	ck_assert_int_eq(tk_msg_encode_frame(&out, &m), TK_OK);
	ck_assert_uint_eq(tk_get_be32(out.data), out.len - 4);
	struct tk_msg d;
	ck_assert_int_eq(tk_msg_decode(tk_slice_of(out.data + 4, out.len - 4), &arena, &d, &eb), TK_OK);
	ck_assert_int_eq(d.type, TK_MSG_raw_batch_put);
	ck_assert_int_eq(d.kind, TK_REQUEST);
	ck_assert_uint_eq(d.id, 77);
	struct tk_raw_batch_put_req *r = d.body;
	ck_assert_uint_eq(r->kvs.n, 2);
	ck_assert(tk_slice_eq(r->kvs.v[1].k, tk_slice_of("\0b", 2)));
	ck_assert_ptr_nonnull(r->kvs.v[1].v.p);
	ck_assert_uint_eq(r->kvs.v[1].v.n, 0);
	tk_buf_destroy(&out);
}
END_TEST

START_TEST(test_optional_fields_are_omitted_and_default_to_absent)
{
	struct tk_raw_get_resp resp = {0};
	struct tk_msg m = {.type = TK_MSG_raw_get, .id = 1, .kind = TK_RESPONSE, .body = &resp};
	struct tk_buf out;
	tk_buf_init(&out);
	ck_assert_int_eq(tk_msg_encode_frame(&out, &m), TK_OK);
	struct tk_buf json;
	tk_buf_init(&json);
	ck_assert_int_eq(tk_msgpack_to_json(tk_slice_of(out.data + 4, out.len - 4), &json, &eb), TK_OK);
	tk_buf_append_byte(&json, 0);
	ck_assert_str_eq((char *)json.data, "{\"t\":\"raw_get\",\"id\":1,\"r\":{}}");
	struct tk_msg d;
	ck_assert_int_eq(tk_msg_decode(tk_slice_of(out.data + 4, out.len - 4), &arena, &d, &eb), TK_OK);
	ck_assert_ptr_null(((struct tk_raw_get_resp *)d.body)->value.p);
	tk_buf_destroy(&out);
	tk_buf_destroy(&json);
}
END_TEST

START_TEST(test_error_response_carries_code_and_message)
{
	struct tk_buf out;
	tk_buf_init(&out);
	ck_assert_int_eq(tk_encode_error_frame(&out, TK_MSG_raw_put, tk_slice_of(NULL, 0), 9,
					       TK_E_NO_SPACE, "disk full"), TK_OK);
	struct tk_msg d;
	ck_assert_int_eq(tk_msg_decode(tk_slice_of(out.data + 4, out.len - 4), &arena, &d, &eb), TK_OK);
	ck_assert_int_eq(d.kind, TK_ERROR);
	struct tk_error *e = d.body;
	ck_assert(tk_slice_eq(e->code, tk_slice_str("NO_SPACE")));
	ck_assert(tk_slice_eq(e->msg, tk_slice_str("disk full")));
	tk_buf_destroy(&out);
}
END_TEST

/* Error objects are open (proto-spec/errors.md): a newer server's detail
 * fields, inside the error object or inside its regions and peers, are
 * skipped, so an older client still reads the code and the detail it
 * knows. */
START_TEST(test_error_object_ignores_unknown_fields_at_any_depth)
{
	struct tk_msg m;
	ck_assert_int_eq(decode_json("{\"t\":\"raw_put\",\"id\":5,\"e\":{\"zone\":{\"a\":[1,2]},"
				     "\"code\":\"NOT_LEADER\",\"msg\":\"m\",\"region\":2,"
				     "\"leader\":{\"id\":6,\"store\":3,\"role\":\"voter\"},"
				     "\"regions\":[{\"id\":2,\"start\":\"\",\"end\":\"m\",\"conf_ver\":1,"
				     "\"version\":2,\"peers\":[{\"id\":4,\"store\":1,\"learner\":true}],"
				     "\"merging\":false}],\"later\":null}}",
				     &m),
			 TK_OK);
	ck_assert_int_eq(m.kind, TK_ERROR);
	const struct tk_error *e = m.body;
	ck_assert(tk_slice_eq(e->code, tk_slice_str("NOT_LEADER")));
	ck_assert_uint_eq(e->region, 2);
	ck_assert_ptr_nonnull(e->leader);
	ck_assert_uint_eq(e->leader->store, 3);
	ck_assert_uint_eq(e->regions.n, 1);
	ck_assert_uint_eq(e->regions.v[0].peers.v[0].store, 1);
	/* the same object through tk_obj_decode (the fuzzers' path) */
	struct tk_buf b = payload_of("{\"code\":\"X\",\"msg\":\"y\",\"new\":1}");
	struct tk_error out;
	ck_assert_int_eq(tk_obj_decode(tk_buf_slice(&b), &tk_def_error, &out, &arena, &eb), TK_OK);
	tk_buf_destroy(&b);
}
END_TEST

/* A malformed detail costs the hint, not the reply: the field is dropped as
 * if absent and the rest of the error object is read. */
START_TEST(test_error_object_drops_malformed_detail_fields)
{
	struct tk_msg m;
	ck_assert_int_eq(decode_json("{\"t\":\"raw_get\",\"id\":6,\"e\":{\"code\":\"EPOCH_NOT_MATCH\","
				     "\"msg\":\"m\",\"region\":-1,\"leader\":\"store 3\","
				     "\"leader_addr\":7,\"regions\":[{\"start\":\"\",\"end\":\"\","
				     "\"conf_ver\":1,\"version\":1,\"peers\":[]}],\"key\":[1],"
				     "\"reason\":{},\"backoff_ms\":1.5,\"region\":4,\"region\":5}}",
				     &m),
			 TK_OK);
	const struct tk_error *e = m.body;
	ck_assert(tk_slice_eq(e->code, tk_slice_str("EPOCH_NOT_MATCH")));
	ck_assert(tk_slice_eq(e->msg, tk_slice_str("m")));
	ck_assert_uint_eq(e->region, 4); /* the first well-formed one */
	ck_assert_ptr_null(e->leader);
	ck_assert_ptr_null(e->leader_addr.p);
	ck_assert_uint_eq(e->regions.n, 0); /* its region has no id */
	ck_assert_ptr_null(e->key.p);
	ck_assert_ptr_null(e->reason.p);
	ck_assert_uint_eq(e->backoff_ms, 0);
	/* code and msg are not optional */
	ck_assert_int_eq(decode_json("{\"t\":\"ping\",\"id\":6,\"e\":{\"code\":1,\"msg\":\"m\"}}", &m),
			 TK_E_BAD_REQUEST);
	ck_assert_int_eq(decode_json("{\"t\":\"ping\",\"id\":6,\"e\":{\"code\":\"X\"}}", &m),
			 TK_E_BAD_REQUEST);
}
END_TEST

/* Requests stay strict: ctx is optional, but a ctx with an unknown or a
 * missing field is refused like any other body. */
START_TEST(test_region_ctx_is_optional_and_strict)
{
	struct tk_msg m;
	ck_assert_int_eq(decode_json("{\"t\":\"raw_get\",\"id\":1,\"b\":{\"k\":\"a\"}}", &m), TK_OK);
	ck_assert_ptr_null(((struct tk_raw_get_req *)m.body)->ctx);
	ck_assert_int_eq(decode_json("{\"t\":\"kv_commit\",\"id\":1,\"b\":{\"keys\":[\"a\"],"
				     "\"start_ts\":1,\"commit_ts\":2,\"ctx\":{\"region\":7,"
				     "\"conf_ver\":2,\"version\":3,\"store\":4}}}",
				     &m),
			 TK_OK);
	const struct tk_region_ctx *c = ((struct tk_kv_commit_req *)m.body)->ctx;
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->region, 7);
	ck_assert_uint_eq(c->conf_ver, 2);
	ck_assert_uint_eq(c->version, 3);
	ck_assert_uint_eq(c->peer, 0);
	ck_assert_uint_eq(c->store, 4);
	ck_assert_int_eq(decode_json("{\"t\":\"raw_get\",\"id\":1,\"b\":{\"k\":\"a\",\"ctx\":"
				     "{\"region\":7,\"conf_ver\":2,\"version\":3,\"epoch\":1}}}",
				     &m),
			 TK_E_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(eb.msg, "unknown field 'epoch'"));
	ck_assert_int_eq(decode_json("{\"t\":\"raw_get\",\"id\":1,\"b\":{\"k\":\"a\",\"ctx\":"
				     "{\"region\":7,\"version\":3}}}",
				     &m),
			 TK_E_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(eb.msg, "missing field 'conf_ver'"));
}
END_TEST

START_TEST(test_truncated_payload_is_refused_at_every_length)
{
	struct tk_buf b = payload_of("{\"t\":\"raw_put\",\"id\":5,\"b\":{\"k\":{\"$b\":\"key\"},\"v\":{\"$b\":\"value\"}}}");
	for (size_t n = 0; n < b.len; n++) {
		struct tk_msg m;
		ck_assert_int_ne(tk_msg_decode(tk_slice_of(b.data, n), &arena, &m, &eb), TK_OK);
	}
	struct tk_msg m;
	ck_assert_int_eq(tk_msg_decode(tk_slice_of(b.data, b.len), &arena, &m, &eb), TK_OK);
	tk_buf_destroy(&b);
}
END_TEST

START_TEST(test_trailing_bytes_after_envelope_are_refused)
{
	struct tk_buf b = payload_of("{\"t\":\"ping\",\"id\":1,\"b\":{}}");
	tk_buf_append_byte(&b, 0xc0);
	struct tk_msg m;
	ck_assert_int_eq(tk_msg_decode(tk_buf_slice(&b), &arena, &m, &eb), TK_E_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(eb.msg, "trailing"));
	tk_buf_destroy(&b);
}
END_TEST

START_TEST(test_wrong_types_name_the_field_and_the_types)
{
	struct tk_msg m;
	ck_assert_int_eq(decode_json("{\"t\":\"raw_get\",\"id\":1,\"b\":{\"k\":5}}", &m), TK_E_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(eb.msg, "field 'k'"));
	ck_assert_ptr_nonnull(strstr(eb.msg, "got uint"));
	ck_assert(m.id_known);
	ck_assert_uint_eq(m.id, 1);
	ck_assert_int_eq(decode_json("{\"t\":\"raw_scan\",\"id\":2,\"b\":{\"start\":\"a\",\"limit\":-1}}", &m),
			 TK_E_BAD_REQUEST);
	ck_assert_int_eq(decode_json("{\"t\":\"raw_scan\",\"id\":2,\"b\":{\"start\":\"a\",\"reverse\":1}}", &m),
			 TK_E_BAD_REQUEST);
	ck_assert_int_eq(decode_json("{\"t\":\"raw_batch_put\",\"id\":2,\"b\":{\"kvs\":[[\"a\"]]}}", &m),
			 TK_E_BAD_REQUEST);
	ck_assert_int_eq(decode_json("{\"t\":\"raw_batch_get\",\"id\":2,\"b\":{\"keys\":[\"a\",1]}}", &m),
			 TK_E_BAD_REQUEST);
	ck_assert_int_eq(decode_json("[1,2]", &m), TK_E_BAD_REQUEST);
	ck_assert_int_eq(decode_json("{\"t\":5,\"id\":1,\"b\":{}}", &m), TK_E_BAD_REQUEST);
	ck_assert_int_eq(decode_json("{\"t\":\"ping\",\"id\":\"x\",\"b\":{}}", &m), TK_E_BAD_REQUEST);
	ck_assert_int_eq(decode_json("{\"t\":\"raw_get\",\"id\":1,\"b\":[]}", &m), TK_E_BAD_REQUEST);
}
END_TEST

START_TEST(test_missing_unknown_and_duplicate_fields_are_refused)
{
	struct tk_msg m;
	ck_assert_int_eq(decode_json("{\"t\":\"raw_put\",\"id\":1,\"b\":{\"k\":\"a\"}}", &m), TK_E_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(eb.msg, "missing field 'v'"));
	ck_assert_int_eq(decode_json("{\"t\":\"raw_get\",\"id\":1,\"b\":{\"k\":\"a\",\"ky\":\"b\"}}", &m),
			 TK_E_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(eb.msg, "unknown field 'ky'"));
	ck_assert_int_eq(decode_json("{\"t\":\"raw_get\",\"id\":1,\"b\":{\"k\":\"a\",\"k\":\"b\"}}", &m),
			 TK_E_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(eb.msg, "duplicate"));
	ck_assert_int_eq(decode_json("{\"t\":\"ping\",\"id\":1}", &m), TK_E_BAD_REQUEST);
	ck_assert_int_eq(decode_json("{\"t\":\"ping\",\"b\":{}}", &m), TK_E_BAD_REQUEST);
	ck_assert_int_eq(decode_json("{\"t\":\"ping\",\"id\":1,\"b\":{},\"r\":{}}", &m), TK_E_BAD_REQUEST);
	ck_assert_int_eq(decode_json("{\"t\":\"ping\",\"id\":1,\"b\":{},\"x\":1}", &m), TK_E_BAD_REQUEST);
}
END_TEST

START_TEST(test_unknown_message_type_keeps_id_for_the_error_reply)
{
	struct tk_msg m;
	ck_assert_int_eq(decode_json("{\"t\":\"frobnicate\",\"id\":42,\"b\":{}}", &m), TK_E_UNKNOWN_MESSAGE);
	ck_assert(m.id_known);
	ck_assert_uint_eq(m.id, 42);
	ck_assert(tk_slice_eq(m.type_name, tk_slice_str("frobnicate")));
}
END_TEST

/* proto-spec/framing.md "Envelope errors": whether an error can be answered
 * with the request's id does not depend on the order of the keys; it needs a
 * well-formed map with exactly one uint id. */
START_TEST(test_envelope_errors_are_per_request_only_with_one_readable_id)
{
	struct tk_msg m;
	/* id first, then a body cut short: no request to answer */
	const uint8_t cut[] = {0x83, 0xa2, 'i', 'd', 0x05, 0xa1, 't', 0xa4, 'p', 'i', 'n', 'g', 0xa1, 'b', 0x81};
	ck_assert_int_eq(tk_msg_decode(tk_slice_of(cut, sizeof cut), &arena, &m, &eb), TK_E_BAD_REQUEST);
	ck_assert(!m.id_known);
	ck_assert_int_eq(decode_json("{\"t\":\"ping\",\"id\":5,\"id\":6,\"b\":{}}", &m), TK_E_BAD_REQUEST);
	ck_assert(!m.id_known);
	ck_assert_int_eq(decode_json("{\"t\":\"ping\",\"id\":-1,\"b\":{}}", &m), TK_E_BAD_REQUEST);
	ck_assert(!m.id_known);
	ck_assert_int_eq(decode_json("{\"t\":\"ping\",\"b\":{}}", &m), TK_E_BAD_REQUEST);
	ck_assert(!m.id_known);
	/* an unknown key before t and id: per request, and t is known */
	ck_assert_int_eq(decode_json("{\"x\":1,\"id\":7,\"t\":\"ping\",\"b\":{}}", &m), TK_E_BAD_REQUEST);
	ck_assert(m.id_known);
	ck_assert_uint_eq(m.id, 7);
	ck_assert_int_eq(m.type, TK_MSG_ping);
	ck_assert_ptr_nonnull(strstr(eb.msg, "unknown key 'x'"));
	/* two t: per request, no type echoed */
	ck_assert_int_eq(decode_json("{\"t\":\"ping\",\"t\":\"ping\",\"id\":8,\"b\":{}}", &m), TK_E_BAD_REQUEST);
	ck_assert(m.id_known);
	ck_assert_ptr_null(m.type_name.p);
	/* a body nested deeper than any body may be is still per request */
	struct tk_buf b;
	tk_buf_init(&b);
	tk_buf_append(&b, "\x83\xa2id\x09\xa1t\xa4ping\xa1" "b\x81\xa1x", 17);
	for (int i = 0; i < 1000; i++)
		tk_buf_append_byte(&b, 0x91);
	tk_buf_append_byte(&b, 0xc0);
	ck_assert_int_eq(tk_msg_decode(tk_buf_slice(&b), &arena, &m, &eb), TK_E_BAD_REQUEST);
	ck_assert(m.id_known);
	ck_assert_uint_eq(m.id, 9);
	tk_buf_destroy(&b);
}
END_TEST

/* Integers are never clamped or wrapped into their field: a negative int of
 * any width, a float or a bool where a uint is expected is refused; any
 * msgpack encoding of a value that fits (here int64 5) is that value. */
START_TEST(test_uint_fields_refuse_negative_and_float_numbers)
{
	const uint8_t *bad[] = {(const uint8_t *)"\xff", (const uint8_t *)"\xd0\xff",
				(const uint8_t *)"\xd1\xff\xff", (const uint8_t *)"\xd2\x80\x00\x00\x00",
				(const uint8_t *)"\xd3\x80\x00\x00\x00\x00\x00\x00\x00",
				(const uint8_t *)"\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00", (const uint8_t *)"\xc3"};
	const size_t len[] = {1, 2, 3, 5, 9, 9, 1};
	for (size_t i = 0; i < sizeof len / sizeof len[0]; i++) {
		struct tk_buf b;
		tk_buf_init(&b);
		tk_buf_append(&b, "\x83\xa1t\xa8raw_scan\xa2id\x01\xa1" "b\x82\xa5start\xa1" "a\xa5limit", 33);
		tk_buf_append(&b, bad[i], len[i]);
		struct tk_msg m;
		ck_assert_int_eq(tk_msg_decode(tk_buf_slice(&b), &arena, &m, &eb), TK_E_BAD_REQUEST);
		ck_assert_ptr_nonnull(strstr(eb.msg, "field 'limit'"));
		tk_buf_destroy(&b);
	}
	struct tk_msg m;
	ck_assert_int_eq(decode_json("{\"t\":\"raw_scan\",\"id\":1,\"b\":{\"start\":\"a\",\"limit\":18446744073709551615}}", &m),
			 TK_OK);
	ck_assert_uint_eq(((struct tk_raw_scan_req *)m.body)->limit, UINT64_MAX);
	const uint8_t i64[] = {0x83, 0xa1, 't', 0xa8, 'r', 'a', 'w', '_', 's', 'c', 'a', 'n', 0xa2, 'i', 'd', 0x01,
			       0xa1, 'b', 0x82, 0xa5, 's', 't', 'a', 'r', 't', 0xa1, 'a', 0xa5, 'l', 'i', 'm', 'i', 't',
			       0xd3, 0, 0, 0, 0, 0, 0, 0, 5};
	ck_assert_int_eq(tk_msg_decode(tk_slice_of(i64, sizeof i64), &arena, &m, &eb), TK_OK);
	ck_assert_uint_eq(((struct tk_raw_scan_req *)m.body)->limit, 5);
}
END_TEST

START_TEST(test_impossible_container_counts_are_refused_before_allocation)
{
	/* a map declaring 2^32-1 pairs in a 6-byte payload */
	uint8_t p[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1};
	struct tk_msg m;
	ck_assert_int_eq(tk_msg_decode(tk_slice_of(p, sizeof p), &arena, &m, &eb), TK_E_BAD_REQUEST);
	struct mp_reader r;
	struct mp_value v;
	uint8_t a[] = {0xdd, 0x00, 0x01, 0x00, 0x00, 0x01};
	mp_reader_init(&r, a, sizeof a);
	ck_assert(!mp_read(&r, &v));
	uint8_t bin[] = {0xc6, 0xff, 0xff, 0xff, 0xff, 0x00};
	mp_reader_init(&r, bin, sizeof bin);
	ck_assert(!mp_read(&r, &v));
	uint8_t reserved[] = {0xc1};
	mp_reader_init(&r, reserved, 1);
	ck_assert(!mp_read(&r, &v));
}
END_TEST

START_TEST(test_deep_nesting_is_refused)
{
	struct tk_buf b;
	tk_buf_init(&b);
	tk_buf_append(&b, "\x83\xa1t\xa4ping\xa2id\x01\xa1" "b", 12);
	for (int i = 0; i < 100; i++)
		tk_buf_append(&b, "\x81\xa1x", 3);
	tk_buf_append_byte(&b, 0xc0);
	struct tk_msg m;
	ck_assert_int_eq(tk_msg_decode(tk_buf_slice(&b), &arena, &m, &eb), TK_E_BAD_REQUEST);
	tk_buf_destroy(&b);
}
END_TEST

START_TEST(test_random_bytes_never_crash_the_decoder)
{
	uint64_t x = 88172645463325252ull;
	uint8_t buf[64];
	for (int round = 0; round < 200000; round++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t n = x % sizeof buf;
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			buf[i] = (uint8_t)x;
		}
		if (n > 0 && round % 3 == 0)
			buf[0] = 0x83; /* a 3-entry map, like an envelope */
		struct tk_msg m;
		(void)tk_msg_decode(tk_slice_of(buf, n), &arena, &m, &eb);
		tk_arena_reset(&arena);
	}
}
END_TEST

START_TEST(test_json_bin_forms_convert_both_ways)
{
	struct tk_buf b = payload_of("[{\"$b\":\"hi\"},{\"$hex\":\"00ff\"},\"s\",-3,1.5,null,true]");
	struct tk_buf j;
	tk_buf_init(&j);
	ck_assert_int_eq(tk_msgpack_to_json(tk_buf_slice(&b), &j, &eb), TK_OK);
	tk_buf_append_byte(&j, 0);
	ck_assert_str_eq((char *)j.data, "[{\"$b\":\"hi\"},{\"$hex\":\"00ff\"},\"s\",-3,1.5,null,true]");
	tk_buf_destroy(&b);
	tk_buf_destroy(&j);
	struct tk_buf bad;
	tk_buf_init(&bad);
	size_t used;
	ck_assert_int_eq(tk_json_to_msgpack(tk_slice_str("{\"a\":}"), &used, &bad, &eb), TK_E_BAD_REQUEST);
	ck_assert_int_eq(tk_json_to_msgpack(tk_slice_str("[1,2"), &used, &bad, &eb), TK_E_BAD_REQUEST);
	tk_buf_destroy(&bad);
}
END_TEST

/* Found by the fuzzer: a map key that is not a str is written as its JSON
 * text inside a JSON string, so a key nested in a key is escaped once per
 * level and its text doubled each time: 24 nested keys in 50 bytes of
 * msgpack made 80 MB of JSON (48 made 2 GB).  The output must stay linear in
 * the input. */
START_TEST(test_json_of_keys_nested_in_keys_stays_linear)
{
	struct tk_buf b, j;
	tk_buf_init(&b);
	tk_buf_init(&j);
	for (int i = 0; i < 24; i++)
		tk_buf_append_byte(&b, 0x81); /* a map of one pair whose key is... */
	tk_buf_append(&b, "\xa1" "a\xc0", 3); /* ...finally {"a": nil} */
	for (int i = 0; i < 23; i++)
		tk_buf_append_byte(&b, 0xc0); /* each outer pair's value */
	enum tk_err e = tk_msgpack_to_json(tk_buf_slice(&b), &j, &eb);
	ck_assert_msg(j.len < 64 * b.len, "%zu bytes of msgpack gave %zu bytes of JSON", b.len, j.len);
	ck_assert_int_eq(e, TK_E_BAD_REQUEST);
	/* one level of a non-str key is still written as its text */
	uint8_t one[] = {0x81, 0x81, 0x01, 0x02, 0x03};
	tk_buf_destroy(&j);
	tk_buf_init(&j);
	ck_assert_int_eq(tk_msgpack_to_json(tk_slice_of(one, sizeof one), &j, &eb), TK_OK);
	tk_buf_append_byte(&j, 0);
	ck_assert_str_eq((char *)j.data, "{\"{\\\"1\\\":2}\":3}");
	tk_buf_destroy(&b);
	tk_buf_destroy(&j);
}
END_TEST

/* The JSON writer escapes each byte by a table and writes integers without
 * printf, and a key that is not a str is escaped in place: the exact text
 * for every class of byte, the integer extremes and a key's text. */
START_TEST(test_json_text_of_strings_integers_and_keys_is_exact)
{
	static const uint8_t mp[] = {
		0x96,                                      /* [ */
		0xa8, 'a', '"', '\\', '\n', 0x01, 0x7f, 0xc3, 0xa9, /* "a\"\\\n.." */
		0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* UINT64_MAX */
		0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0,          /* INT64_MIN */
		0x00, 0xff,                                /* 0, -1 */
		0x81, 0xc4, 0x02, '"', '\\', 0x09,          /* {bin "\"\\": 9} */
	};
	const char *want = "[\"a\\\"\\\\\\n\\u0001\\u007f\xc3\xa9\","
			   "18446744073709551615,-9223372036854775808,0,-1,"
			   "{\"{\\\"$b\\\":\\\"\\\\\\\"\\\\\\\\\\\"}\":9}]";
	struct tk_buf j;
	tk_buf_init(&j);
	ck_assert_int_eq(tk_msgpack_to_json(tk_slice_of(mp, sizeof mp), &j, &eb), TK_OK);
	tk_buf_append_byte(&j, 0);
	ck_assert_str_eq((char *)j.data, want);
	tk_buf_destroy(&j);
}
END_TEST

/* Found while making the JSON reader faster: a number took every byte in
 * ".eE+-" by strchr, which also finds the NUL at the end of that string, so
 * "[1\0]" read as [1] and NUL bytes vanished after a number. */
START_TEST(test_json_number_ends_at_a_nul_byte)
{
	struct tk_buf b;
	tk_buf_init(&b);
	size_t used;
	ck_assert_int_eq(tk_json_to_msgpack(tk_slice_of("[1\0]", 4), &used, &b, &eb),
			 TK_E_BAD_REQUEST);
	ck_assert_int_eq(tk_json_to_msgpack(tk_slice_of("1\0", 2), &used, &b, &eb), TK_OK);
	ck_assert_uint_eq(used, 1); /* the NUL is left for the caller to refuse */
	tk_buf_destroy(&b);
}
END_TEST

/* A list's count is checked against the bytes left, but each element
 * decodes into a struct of up to 136 bytes: memory for the elements must
 * follow the elements that decode, not the count declared in front of them
 * (a 1 MB raft batch of nils once asked for 136 MB before failing at the
 * first element). */
START_TEST(test_list_memory_follows_decoded_elements_not_declared_count)
{
	enum { N = 1 << 20, HEAD = 11 };
	uint8_t *p = malloc(HEAD + N);
	ck_assert_ptr_nonnull(p);
	memcpy(p, "\x81\xa4msgs\xdd", 7); /* {"msgs": an array32 of N... */
	tk_put_be32(p + 7, N);
	memset(p + HEAD, 0xc0, N); /* ...nils, not raft messages} */
	struct tk_raft_batch b;
	ck_assert_int_eq(tk_obj_decode(tk_slice_of(p, HEAD + N), &tk_def_raft_batch, &b, &arena, &eb),
			 TK_E_BAD_REQUEST);
	ck_assert_msg(arena.total < 64 * 1024, "a %d-byte batch took %zu bytes of arena", HEAD + N,
		      arena.total);
	free(p);
}
END_TEST

/* Found by the fuzzer: msgpack -> JSON allowed one level more than JSON ->
 * msgpack, so 64 nested arrays made JSON the frame tool could not read
 * back.  Whatever converts one way converts back to the same bytes. */
START_TEST(test_json_nesting_limit_is_the_same_both_ways)
{
	for (int n = 60; n <= 70; n++) {
		for (int leaf = 0; leaf < 2; leaf++) {
			uint8_t mp[80];
			memset(mp, 0x91, (size_t)n); /* n nested one-element arrays of... */
			size_t len = (size_t)n;
			if (leaf) { /* ...a bin, written as {"$b": "x"}: one level more */
				memcpy(mp + len, "\xc4\x01x", 3);
				len += 3;
			} else { /* ...nil */
				mp[len++] = 0xc0;
			}
			struct tk_buf j, back;
			tk_buf_init(&j);
			tk_buf_init(&back);
			if (tk_msgpack_to_json(tk_slice_of(mp, len), &j, &eb) == TK_OK) {
				size_t used;
				ck_assert_msg(tk_json_to_msgpack(tk_buf_slice(&j), &used, &back, &eb) ==
						  TK_OK,
					      "%d nested arrays: %s", n, eb.msg);
				ck_assert(back.len == len && memcmp(back.data, mp, len) == 0);
			}
			tk_buf_destroy(&j);
			tk_buf_destroy(&back);
		}
	}
}
END_TEST

/* Golden vectors: proto-spec/golden/NAME.json (the message as JSON) beside
 * NAME.hex (its exact frame bytes).  Checked both ways: JSON -> bytes,
 * bytes -> codec -> same bytes, bytes -> JSON. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *d = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(d, 1, (size_t)n, f), (size_t)n);
	d[n] = 0;
	fclose(f);
	while (n > 0 && (d[n - 1] == '\n' || d[n - 1] == ' '))
		d[--n] = 0;
	*len = (size_t)n;
	return d;
}

START_TEST(test_golden_vectors_match_both_ways)
{
	DIR *dir = opendir(TK_GOLDEN_DIR);
	ck_assert_ptr_nonnull(dir);
	struct dirent *de;
	int checked = 0;
	while ((de = readdir(dir))) {
		size_t nl = strlen(de->d_name);
		if (nl < 6 || strcmp(de->d_name + nl - 5, ".json") != 0)
			continue;
		char path[1024];
		size_t jlen, hlen;
		snprintf(path, sizeof path, "%s/%s", TK_GOLDEN_DIR, de->d_name);
		char *json = slurp(path, &jlen);
		snprintf(path + strlen(path) - 5, 8, ".hex");
		char *hex = slurp(path, &hlen);
		struct tk_buf frame;
		tk_buf_init(&frame);
		for (size_t i = 0; i + 1 < hlen; i++) {
			if (hex[i] == ' ' || hex[i] == '\n')
				continue;
			unsigned v;
			ck_assert_int_eq(sscanf(hex + i, "%2x", &v), 1);
			tk_buf_append_byte(&frame, (uint8_t)v);
			i++;
		}
		/* JSON -> frame */
		struct tk_buf enc;
		tk_buf_init(&enc);
		tk_buf_append(&enc, "\0\0\0\0", 4);
		size_t used;
		ck_assert_int_eq(tk_json_to_msgpack(tk_slice_of(json, jlen), &used, &enc, &eb), TK_OK);
		tk_put_be32(enc.data, (uint32_t)(enc.len - 4));
		ck_assert_msg(enc.len == frame.len && memcmp(enc.data, frame.data, enc.len) == 0,
			      "%s: JSON does not encode to the golden bytes", de->d_name);
		/* frame -> codec -> frame */
		struct tk_msg m;
		ck_assert_msg(tk_msg_decode(tk_slice_of(frame.data + 4, frame.len - 4), &arena, &m, &eb) == TK_OK,
			      "%s: %s", de->d_name, eb.msg);
		struct tk_buf re;
		tk_buf_init(&re);
		ck_assert_int_eq(tk_msg_encode_frame(&re, &m), TK_OK);
		ck_assert_msg(re.len == frame.len && memcmp(re.data, frame.data, re.len) == 0,
			      "%s: codec does not re-encode to the golden bytes", de->d_name);
		/* frame -> JSON */
		struct tk_buf j;
		tk_buf_init(&j);
		ck_assert_int_eq(tk_msgpack_to_json(tk_slice_of(frame.data + 4, frame.len - 4), &j, &eb), TK_OK);
		ck_assert_msg(j.len == jlen && memcmp(j.data, json, jlen) == 0,
			      "%s: decodes to different JSON", de->d_name);
		tk_buf_destroy(&frame);
		tk_buf_destroy(&enc);
		tk_buf_destroy(&re);
		tk_buf_destroy(&j);
		free(json);
		free(hex);
		checked++;
	}
	closedir(dir);
	ck_assert_int_ge(checked, 10);
}
END_TEST


/* Replies copy request bytes into str fields: the echoed type, a field name
 * quoted in an error.  Every str goes out as valid UTF-8, the bad bytes as
 * \xHH.  A raw_get with a field named ff fe gets exactly the golden reply
 * golden/error_resp_not_utf8; a type of bytes ff fe is echoed escaped. */
START_TEST(test_replies_quoting_bytes_that_are_not_utf8_are_valid_utf8)
{
	const uint8_t req[] = {0x83, 0xa1, 't',  0xa7, 'r', 'a', 'w',  '_',  'g',  'e',
			       't',  0xa2, 'i',  'd',  0x05, 0xa1, 'b', 0x81, 0xa2, 0xff, 0xfe, 0x01};
	struct tk_msg m;
	ck_assert_int_eq(tk_msg_decode(tk_slice_of(req, sizeof req), &arena, &m, &eb),
			 TK_E_BAD_REQUEST);
	ck_assert(m.id_known);
	struct tk_buf out;
	tk_buf_init(&out);
	ck_assert_int_eq(tk_encode_error_frame(&out, m.type, m.type_name, m.id, TK_E_BAD_REQUEST,
					       eb.msg), TK_OK);
	size_t hlen;
	char *hex = slurp(TK_GOLDEN_DIR "/error_resp_not_utf8.hex", &hlen);
	struct tk_buf want;
	tk_buf_init(&want);
	for (size_t i = 0; i + 1 < hlen; i++) {
		unsigned v;
		if (hex[i] == '\n')
			continue;
		ck_assert_int_eq(sscanf(hex + i++, "%2x", &v), 1);
		tk_buf_append_byte(&want, (uint8_t)v);
	}
	ck_assert_msg(out.len == want.len && memcmp(out.data, want.data, out.len) == 0,
		      "the reply differs from golden/error_resp_not_utf8.hex");
	const uint8_t bad_type[] = {0x83, 0xa1, 't', 0xa2, 0xff, 0xfe, 0xa2, 'i', 'd', 0x06, 0xa1, 'b', 0x80};
	ck_assert_int_eq(tk_msg_decode(tk_slice_of(bad_type, sizeof bad_type), &arena, &m, &eb),
			 TK_E_UNKNOWN_MESSAGE);
	tk_buf_reset(&out);
	ck_assert_int_eq(tk_encode_error_frame(&out, m.type, m.type_name, m.id, TK_E_UNKNOWN_MESSAGE,
					       eb.msg), TK_OK);
	struct tk_buf json;
	tk_buf_init(&json);
	ck_assert_int_eq(tk_msgpack_to_json(tk_slice_of(out.data + 4, out.len - 4), &json, &eb), TK_OK);
	tk_buf_append_byte(&json, 0);
	ck_assert_str_eq((char *)json.data, "{\"t\":\"\\\\xff\\\\xfe\",\"id\":6,\"e\":{\"code\":"
					    "\"UNKNOWN_MESSAGE\",\"msg\":\"unknown message type "
					    "'\\\\xff\\\\xfe'\"}}");
	tk_buf_destroy(&json);
	/* truncated and invalid sequences of every kind are escaped byte by byte */
	struct tk_error err = {.code = tk_slice_str("X"),
			       .msg = tk_slice_of("a\xc3\xed\xa0\x80\xf4\x90\x80\x80\xc0\xafz\xe2\x82", 14)};
	struct tk_msg em = {.type = TK_MSG_ping, .id = 1, .kind = TK_ERROR, .body = &err};
	tk_buf_reset(&out);
	ck_assert_int_eq(tk_msg_encode_frame(&out, &em), TK_OK);
	struct tk_msg d;
	ck_assert_int_eq(tk_msg_decode(tk_slice_of(out.data + 4, out.len - 4), &arena, &d, &eb), TK_OK);
	struct tk_error *de = d.body;
	ck_assert(tk_slice_eq(de->msg, tk_slice_str("a\\xc3\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80"
						    "\\xc0\\xafz\\xe2\\x82")));
	/* valid multi-byte text passes unchanged */
	err.msg = tk_slice_str("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	tk_buf_reset(&out);
	ck_assert_int_eq(tk_msg_encode_frame(&out, &em), TK_OK);
	ck_assert_int_eq(tk_msg_decode(tk_slice_of(out.data + 4, out.len - 4), &arena, &d, &eb), TK_OK);
	ck_assert(tk_slice_eq(((struct tk_error *)d.body)->msg, err.msg));
	tk_buf_destroy(&out);
	tk_buf_destroy(&want);
	free(hex);
}
END_TEST

/* proto-spec/ must document every message, every field and every error code
 * of the table, so the spec cannot silently fall behind the code. */
static char *slurp_spec(void)
{
	const char *files[] = {"README.md", "framing.md", "errors.md", "raw.md", "inline.md", "raft.md",
			       "txn.md", "scheduler.md"};
	struct tk_buf all;
	tk_buf_init(&all);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/../%s", TK_GOLDEN_DIR, files[i]);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		char tmp[4096];
		size_t n;
		while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
			tk_buf_append(&all, tmp, n);
		fclose(f);
	}
	tk_buf_append_byte(&all, 0);
	return (char *)all.data;
}

static void check_fields(const char *spec, const struct tk_obj_def *def, const char *msg)
{
	for (uint32_t i = 0; i < def->nfields; i++) {
		char needle[80];
		snprintf(needle, sizeof needle, "| `%s` |", def->fields[i].name);
		ck_assert_msg(strstr(spec, needle) != NULL, "proto-spec: field '%s' of %s not documented",
			      def->fields[i].name, msg);
		if (def->fields[i].sub)
			check_fields(spec, def->fields[i].sub, def->fields[i].sub->name);
	}
}

START_TEST(test_spec_documents_every_message_field_and_error)
{
	char *spec = slurp_spec();
	for (int i = 0; i < TK_MSG__COUNT; i++) {
		char needle[80];
		snprintf(needle, sizeof needle, "## %s\n", tk_msg_defs[i].name);
		ck_assert_msg(strstr(spec, needle) != NULL || i == TK_MSG_hello,
			      "proto-spec: message '%s' has no section", tk_msg_defs[i].name);
		check_fields(spec, tk_msg_defs[i].req, tk_msg_defs[i].name);
		check_fields(spec, tk_msg_defs[i].resp, tk_msg_defs[i].name);
	}
	check_fields(spec, &tk_def_error, "error");
	for (int e = 0; e < TK_E__COUNT; e++) {
		char needle[80];
		snprintf(needle, sizeof needle, "| `%s` |", tk_err_name((enum tk_err)e));
		ck_assert_msg(strstr(spec, needle) != NULL, "proto-spec/errors.md: code %s not listed",
			      tk_err_name((enum tk_err)e));
	}
	free(spec);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("codec");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_frame_peek_waits_for_whole_frame_and_refuses_oversize);
	tcase_add_test(tc, test_request_round_trips_through_encode_and_decode);
	tcase_add_test(tc, test_optional_fields_are_omitted_and_default_to_absent);
	tcase_add_test(tc, test_error_response_carries_code_and_message);
	tcase_add_test(tc, test_error_object_ignores_unknown_fields_at_any_depth);
	tcase_add_test(tc, test_error_object_drops_malformed_detail_fields);
	tcase_add_test(tc, test_region_ctx_is_optional_and_strict);
	tcase_add_test(tc, test_truncated_payload_is_refused_at_every_length);
	tcase_add_test(tc, test_trailing_bytes_after_envelope_are_refused);
	tcase_add_test(tc, test_wrong_types_name_the_field_and_the_types);
	tcase_add_test(tc, test_missing_unknown_and_duplicate_fields_are_refused);
	tcase_add_test(tc, test_unknown_message_type_keeps_id_for_the_error_reply);
	tcase_add_test(tc, test_envelope_errors_are_per_request_only_with_one_readable_id);
	tcase_add_test(tc, test_uint_fields_refuse_negative_and_float_numbers);
	tcase_add_test(tc, test_impossible_container_counts_are_refused_before_allocation);
	tcase_add_test(tc, test_deep_nesting_is_refused);
	tcase_add_test(tc, test_list_memory_follows_decoded_elements_not_declared_count);
	tcase_add_test(tc, test_random_bytes_never_crash_the_decoder);
	tcase_add_test(tc, test_json_bin_forms_convert_both_ways);
	tcase_add_test(tc, test_json_of_keys_nested_in_keys_stays_linear);
	tcase_add_test(tc, test_json_text_of_strings_integers_and_keys_is_exact);
	tcase_add_test(tc, test_json_number_ends_at_a_nul_byte);
	tcase_add_test(tc, test_json_nesting_limit_is_the_same_both_ways);
	tcase_add_test(tc, test_golden_vectors_match_both_ways);
	tcase_add_test(tc, test_replies_quoting_bytes_that_are_not_utf8_are_valid_utf8);
	tcase_add_test(tc, test_spec_documents_every_message_field_and_error);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
