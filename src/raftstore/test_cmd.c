/* Commands in raft entries (cmd.h) and their application (apply.h): the
 * column operations the transactional commands travel as, and the refusal
 * of anything that could touch raft state. */
#include "test_ps_helpers.h" /* first: it sets _GNU_SOURCE */

#include "raftstore/apply.h"
#include "raftstore/cmd.h"

static struct tk_slice S(const char *s)
{
	return tk_slice_str(s);
}

static bool get(struct eng *e, enum eng_cf cf, const char *k, char *out, size_t cap)
{
	struct tk_buf v;
	tk_buf_init(&v);
	bool found = false;
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_get(e, cf, S(k), &v, &found, &eb), TK_OK);
	if (found)
		snprintf(out, cap, "%.*s", (int)v.len, v.data ? (const char *)v.data : "");
	tk_buf_destroy(&v);
	return found;
}

/* Apply one command to e in one batch; returns the apply's result. */
static enum tk_err apply(struct eng *e, const struct tk_buf *cmd)
{
	struct eng_batch *b = eng_batch_new();
	struct rs_apply_ctx ac;
	rs_apply_init(&ac, e, b);
	struct tk_errbuf eb;
	enum tk_err rc = rs_apply_cmd(&ac, cmd->data, cmd->len, &eb);
	if (rc == TK_OK)
		ph_write(e, b);
	rs_apply_destroy(&ac);
	eng_batch_free(b);
	return rc;
}

START_TEST(test_a_batch_of_several_columns_travels_as_one_command_and_lands_in_its_columns)
{
	char *dir = ph_tmpdir();
	struct eng *e = ph_open(dir);
	struct eng_batch *b = eng_batch_new();
	eng_batch_put(b, ENG_CF_LOCK, S("k"), S("lock-record"));
	eng_batch_put(b, ENG_CF_DEFAULT, S("k@5"), S("value"));
	eng_batch_put(b, ENG_CF_WRITE, S("k@6"), S("write-record"));
	eng_batch_put(b, ENG_CF_RAW, S("raw"), S(""));
	eng_batch_delete(b, ENG_CF_LOCK, S("old"));
	struct tk_buf cmd;
	tk_buf_init(&cmd);
	ck_assert(rs_cmd_begin(&cmd));
	ck_assert_int_eq(rs_cmd_add_batch(&cmd, b), TK_OK);
	/* a stale lock to be deleted by the command */
	eng_batch_clear(b);
	eng_batch_put(b, ENG_CF_LOCK, S("old"), S("x"));
	ph_write(e, b);
	ck_assert_int_eq(apply(e, &cmd), TK_OK);
	char v[64];
	ck_assert(get(e, ENG_CF_LOCK, "k", v, sizeof v));
	ck_assert_str_eq(v, "lock-record");
	ck_assert(get(e, ENG_CF_DEFAULT, "k@5", v, sizeof v));
	ck_assert_str_eq(v, "value");
	ck_assert(get(e, ENG_CF_WRITE, "k@6", v, sizeof v));
	ck_assert_str_eq(v, "write-record");
	ck_assert(get(e, ENG_CF_RAW, "raw", v, sizeof v));
	ck_assert_str_eq(v, "");
	ck_assert(!get(e, ENG_CF_LOCK, "old", v, sizeof v));
	/* the columns stay apart: nothing leaked into raw */
	ck_assert(!get(e, ENG_CF_RAW, "k", v, sizeof v));
	tk_buf_destroy(&cmd);
	eng_batch_free(b);
	eng_close(e);
	ph_rmrf(dir);
}
END_TEST

START_TEST(test_no_command_may_write_the_raft_or_meta_columns)
{
	struct eng_batch *b = eng_batch_new();
	struct tk_buf cmd;
	tk_buf_init(&cmd);
	eng_batch_put(b, ENG_CF_RAFT, S("x"), S("y"));
	ck_assert(rs_cmd_begin(&cmd));
	ck_assert_int_eq(rs_cmd_add_batch(&cmd, b), TK_E_BAD_REQUEST);
	eng_batch_clear(b);
	eng_batch_put(b, ENG_CF_META, S("x"), S("y"));
	ck_assert(rs_cmd_begin(&cmd));
	ck_assert_int_eq(rs_cmd_add_batch(&cmd, b), TK_E_BAD_REQUEST);
	/* hand-made: a PUT_CF naming the raft column is a corrupt entry */
	ck_assert(rs_cmd_begin(&cmd));
	ck_assert(rs_cmd_add(&cmd, RS_CMD_PUT_CF, tk_slice_of("\x06k", 2), S("v")));
	struct rs_cmd_iter it;
	struct rs_cmd_op_view op;
	struct tk_errbuf eb;
	enum tk_err rc;
	ck_assert_int_eq(rs_cmd_iter_init(&it, cmd.data, cmd.len, &eb), TK_OK);
	ck_assert(!rs_cmd_next(&it, &op, &rc, &eb));
	ck_assert_int_eq(rc, TK_E_CORRUPTION);
	/* an empty key (no column byte) and a delete with a value too */
	ck_assert(rs_cmd_begin(&cmd));
	ck_assert(rs_cmd_add(&cmd, RS_CMD_PUT_CF, S(""), S("v")));
	ck_assert_int_eq(rs_cmd_iter_init(&it, cmd.data, cmd.len, &eb), TK_OK);
	ck_assert(!rs_cmd_next(&it, &op, &rc, &eb));
	ck_assert_int_eq(rc, TK_E_CORRUPTION);
	ck_assert(rs_cmd_begin(&cmd));
	ck_assert(rs_cmd_add(&cmd, RS_CMD_DELETE_CF, tk_slice_of("\x02k", 2), S("v")));
	ck_assert_int_eq(rs_cmd_iter_init(&it, cmd.data, cmd.len, &eb), TK_OK);
	ck_assert(!rs_cmd_next(&it, &op, &rc, &eb));
	ck_assert_int_eq(rc, TK_E_CORRUPTION);
	tk_buf_destroy(&cmd);
	eng_batch_free(b);
}
END_TEST

START_TEST(test_an_incr_sees_a_raw_column_put_staged_before_it_in_the_same_pass)
{
	char *dir = ph_tmpdir();
	struct eng *e = ph_open(dir);
	struct eng_batch *b = eng_batch_new();
	struct rs_apply_ctx ac;
	rs_apply_init(&ac, e, b);
	struct tk_buf c1, c2;
	tk_buf_init(&c1);
	tk_buf_init(&c2);
	uint8_t ten[8], one[8];
	tk_put_be64(ten, 10);
	tk_put_be64(one, 1);
	ck_assert(rs_cmd_begin(&c1));
	ck_assert(rs_cmd_add_cf(&c1, ENG_CF_RAW, S("n"), tk_slice_of(ten, 8), false));
	ck_assert(rs_cmd_begin(&c2));
	ck_assert(rs_cmd_add(&c2, RS_CMD_INCR, S("n"), tk_slice_of(one, 8)));
	ck_assert(rs_cmd_add(&c2, RS_CMD_INCR, S("n"), tk_slice_of(one, 8)));
	struct tk_errbuf eb;
	ck_assert_int_eq(rs_apply_cmd(&ac, c1.data, c1.len, &eb), TK_OK);
	ck_assert_int_eq(rs_apply_cmd(&ac, c2.data, c2.len, &eb), TK_OK);
	ph_write(e, b);
	rs_apply_reset(&ac);
	struct tk_buf v;
	tk_buf_init(&v);
	bool found;
	ck_assert_int_eq(eng_get(e, ENG_CF_RAW, S("n"), &v, &found, &eb), TK_OK);
	ck_assert(found && v.len == 8);
	ck_assert_uint_eq(tk_get_be64(v.data), 12);
	tk_buf_destroy(&v);
	tk_buf_destroy(&c1);
	tk_buf_destroy(&c2);
	rs_apply_destroy(&ac);
	eng_batch_free(b);
	eng_close(e);
	ph_rmrf(dir);
}
END_TEST

static struct rs_cas_op cas_op(const char *expect, const char *value)
{
	struct rs_cas_op op;
	memset(&op, 0, sizeof op);
	op.expect_kind = expect ? RS_CAS_EXPECT_VALUE : RS_CAS_EXPECT_ABSENT;
	op.expect = expect ? S(expect) : tk_slice_of(NULL, 0);
	op.action = value ? RS_CAS_PUT : RS_CAS_DELETE;
	op.value = value ? S(value) : tk_slice_of(NULL, 0);
	return op;
}

/* Apply cmd in ac (no write) and check its outputs. */
static void expect_outputs(struct rs_apply_ctx *ac, const struct tk_buf *cmd, size_t n,
                           const bool *swapped, const char *const *prev)
{
	struct tk_errbuf eb;
	size_t before = rs_apply_n_outputs(ac);
	ck_assert_int_eq(rs_apply_cmd(ac, cmd->data, cmd->len, &eb), TK_OK);
	ck_assert_uint_eq(rs_apply_n_outputs(ac) - before, n);
	struct rs_cmd_output out = rs_apply_outputs(ac, before, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(out.cas[i].swapped == swapped[i], "output %zu swapped", i);
		ck_assert_msg(out.cas[i].prev_present == (prev[i] != NULL), "output %zu present", i);
		if (prev[i]) {
			ck_assert_uint_eq(out.cas[i].prev.n, strlen(prev[i]));
			ck_assert(memcmp(out.cas[i].prev.p, prev[i], out.cas[i].prev.n) == 0);
		}
	}
}

START_TEST(test_cas_is_decided_at_apply_against_the_writes_staged_before_it)
{
	char *dir = ph_tmpdir();
	struct eng *e = ph_open(dir);
	struct eng_batch *b = eng_batch_new();
	eng_batch_put(b, ENG_CF_RAW, S("k"), S("disk"));
	ph_write(e, b);
	struct rs_apply_ctx ac;
	rs_apply_init(&ac, e, b);
	struct tk_buf c;
	tk_buf_init(&c);
	/* one command: CAS against the engine's value, then a plain put, then
	 * a CAS that must see that put (not the engine), then a failing one */
	struct rs_cas_op o1 = cas_op("disk", "one"), o3 = cas_op("two", "three"),
	                 o4 = cas_op("nope", "x");
	ck_assert(rs_cmd_begin(&c));
	ck_assert(rs_cmd_add_cas(&c, S("k"), &o1));
	ck_assert(rs_cmd_add_cf(&c, ENG_CF_RAW, S("k"), S("two"), false));
	ck_assert(rs_cmd_add_cas(&c, S("k"), &o3));
	ck_assert(rs_cmd_add_cas(&c, S("k"), &o4));
	bool sw1[] = {true, true, false};
	const char *pv1[] = {"disk", "two", "three"};
	expect_outputs(&ac, &c, 3, sw1, pv1);
	/* a second command of the same pass: create-if-absent on a new key
	 * succeeds once; delete-if-equal; expect-absent on a present key */
	struct rs_cas_op a = cas_op(NULL, "new"), d = cas_op("three", NULL), x = cas_op(NULL, "y");
	ck_assert(rs_cmd_begin(&c));
	ck_assert(rs_cmd_add_cas(&c, S("n"), &a));
	ck_assert(rs_cmd_add_cas(&c, S("n"), &a));
	ck_assert(rs_cmd_add_cas(&c, S("k"), &d));
	ck_assert(rs_cmd_add_cas(&c, S("k"), &x));
	bool sw2[] = {true, false, true, true};
	const char *pv2[] = {NULL, "new", "three", NULL};
	expect_outputs(&ac, &c, 4, sw2, pv2);
	ph_write(e, b);
	rs_apply_reset(&ac);
	char v[16];
	ck_assert(get(e, ENG_CF_RAW, "k", v, sizeof v));
	ck_assert_str_eq(v, "y"); /* deleted, then created by the last CAS */
	ck_assert(get(e, ENG_CF_RAW, "n", v, sizeof v));
	ck_assert_str_eq(v, "new");
	tk_buf_destroy(&c);
	rs_apply_destroy(&ac);
	eng_batch_free(b);
	eng_close(e);
	ph_rmrf(dir);
}
END_TEST

START_TEST(test_malformed_cas_payloads_are_corrupt_entries)
{
	/* flags, lengths and the forms' rules are all checked */
	static const struct {
		const char *val;
		size_t n;
	} bad[] = {
	    {"", 0},                       /* too short */
	    {"\x04\0\0\0\0", 5},      /* unknown flag */
	    {"\0\0\0\0\x09" "abc", 8},   /* expect longer than the payload */
	    {"\x01\0\0\0\x01" "a", 6},   /* expect given with "expect absent" */
	    {"\x02\0\0\0\x01" "av", 7},  /* a value given with "delete" */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct tk_buf c;
		tk_buf_init(&c);
		ck_assert(rs_cmd_begin(&c));
		ck_assert(rs_cmd_add(&c, RS_CMD_CAS, S("k"), tk_slice_of(bad[i].val, bad[i].n)));
		struct rs_cmd_iter it;
		struct rs_cmd_op_view op;
		struct tk_errbuf eb;
		enum tk_err rc;
		ck_assert_int_eq(rs_cmd_iter_init(&it, c.data, c.len, &eb), TK_OK);
		ck_assert_msg(!rs_cmd_next(&it, &op, &rc, &eb), "payload %zu accepted", i);
		ck_assert_int_eq(rc, TK_E_CORRUPTION);
		tk_buf_destroy(&c);
	}
}
END_TEST

/* CHANGE_PEER (cmd.h): 35 bytes that decode back to what was encoded; any
 * other length, an unknown change type or a zero id is refused. */
START_TEST(test_a_change_peer_command_round_trips_and_malformed_ones_are_refused)
{
	struct rs_admin a = {.type = RS_ADMIN_CHANGE_PEER,
	                     .change = RS_CHANGE_REMOVE_VOTER,
	                     .peer_id = 0x0102030405060708u,
	                     .store_id = 9,
	                     .epoch = {.conf_ver = 4, .version = 2}};
	struct tk_buf b;
	tk_buf_init(&b);
	ck_assert(rs_admin_encode(&a, &b));
	ck_assert_uint_eq(b.len, RS_ADMIN_CHANGE_PEER_LEN);
	ck_assert_uint_eq(b.data[0], 0x81);
	ck_assert_uint_eq(b.data[1], 2);
	ck_assert_uint_eq(b.data[2], 1);
	ck_assert_uint_eq(b.data[3], 1); /* peer id big-endian */
	ck_assert_uint_eq(b.data[10], 8);
	ck_assert(rs_cmd_is_admin(b.data, b.len));
	struct rs_admin d;
	struct tk_errbuf eb;
	ck_assert_int_eq(rs_admin_decode(b.data, b.len, &d, &eb), TK_OK);
	ck_assert_uint_eq(d.type, RS_ADMIN_CHANGE_PEER);
	ck_assert_uint_eq(d.change, RS_CHANGE_REMOVE_VOTER);
	ck_assert_uint_eq(d.peer_id, a.peer_id);
	ck_assert_uint_eq(d.store_id, 9);
	ck_assert_uint_eq(d.epoch.conf_ver, 4);
	ck_assert_uint_eq(d.epoch.version, 2);
	ck_assert_int_eq(rs_admin_decode(b.data, b.len - 1, &d, &eb), TK_E_CORRUPTION);
	b.data[2] = 2;
	ck_assert_int_eq(rs_admin_decode(b.data, b.len, &d, &eb), TK_E_CORRUPTION);
	b.data[2] = 0;
	memset(b.data + 11, 0, 8); /* store 0 */
	ck_assert_int_eq(rs_admin_decode(b.data, b.len, &d, &eb), TK_E_CORRUPTION);
	/* TRANSFER_LEADER is never an entry; unknown change types never encode */
	a.type = RS_ADMIN_TRANSFER_LEADER;
	ck_assert(!rs_admin_encode(&a, &b));
	a.type = RS_ADMIN_CHANGE_PEER;
	a.change = 7;
	ck_assert(!rs_admin_encode(&a, &b));
	tk_buf_destroy(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raftstore_cmd");
	TCase *tc = tcase_create("cmd");
	tcase_add_test(tc, test_a_batch_of_several_columns_travels_as_one_command_and_lands_in_its_columns);
	tcase_add_test(tc, test_no_command_may_write_the_raft_or_meta_columns);
	tcase_add_test(tc, test_an_incr_sees_a_raw_column_put_staged_before_it_in_the_same_pass);
	tcase_add_test(tc, test_cas_is_decided_at_apply_against_the_writes_staged_before_it);
	tcase_add_test(tc, test_malformed_cas_payloads_are_corrupt_entries);
	tcase_add_test(tc, test_a_change_peer_command_round_trips_and_malformed_ones_are_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
