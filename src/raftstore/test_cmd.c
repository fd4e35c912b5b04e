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

int main(void)
{
	Suite *s = suite_create("raftstore_cmd");
	TCase *tc = tcase_create("cmd");
	tcase_add_test(tc, test_a_batch_of_several_columns_travels_as_one_command_and_lands_in_its_columns);
	tcase_add_test(tc, test_no_command_may_write_the_raft_or_meta_columns);
	tcase_add_test(tc, test_an_incr_sees_a_raw_column_put_staged_before_it_in_the_same_pass);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
