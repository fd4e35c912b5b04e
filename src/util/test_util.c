#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/arena.h"
#include "util/bytes.h"
#include "util/err.h"
#include "util/quote.h"

START_TEST(test_error_names_round_trip_through_the_wire_name)
{
	for (int i = 0; i < TK_E__COUNT; i++) {
		const char *n = tk_err_name((enum tk_err)i);
		int known = 0;
		ck_assert_int_eq(tk_err_from_name(n, strlen(n), &known), i);
		ck_assert(known);
	}
	int known = 1;
	tk_err_from_name("NO_SUCH", 7, &known);
	ck_assert(!known);
}
END_TEST

START_TEST(test_error_wrap_prefixes_context)
{
	struct tk_errbuf eb;
	tk_err_set(&eb, TK_E_IO, "write batch: %s", "disk");
	ck_assert_int_eq(tk_err_wrap(&eb, TK_E_IO, "apply region %d", 7), TK_E_IO);
	ck_assert_str_eq(eb.msg, "apply region 7: write batch: disk");
	ck_assert_int_eq(eb.code, TK_E_IO);
}
END_TEST

/* Callers may pass no buffer; the code they wrap must come back all the
 * same (it came back as INTERNAL, and a KEY_LOCKED or NOT_LEADER turned
 * into an internal error for a caller without a buffer). */
START_TEST(test_error_wrap_without_a_buffer_keeps_the_code)
{
	ck_assert_int_eq(tk_err_wrap(NULL, TK_E_KEY_LOCKED, "gave up after %u ms", 100u),
	                 TK_E_KEY_LOCKED);
	ck_assert_int_eq(tk_err_wrap(NULL, TK_E_NOT_LEADER, "region 7"), TK_E_NOT_LEADER);
}
END_TEST

START_TEST(test_buf_grows_and_keeps_bytes)
{
	struct tk_buf b;
	tk_buf_init(&b);
	for (int i = 0; i < 10000; i++)
		ck_assert(tk_buf_append_byte(&b, (uint8_t)i));
	ck_assert_uint_eq(b.len, 10000);
	for (int i = 0; i < 10000; i++)
		ck_assert_uint_eq(b.data[i], (uint8_t)i);
	ck_assert(tk_buf_printf(&b, "%d", 42));
	ck_assert_uint_eq(b.len, 10002);
	tk_buf_destroy(&b);
}
END_TEST

/* A file of n bytes (every value, NULs included), read from its start. */
static int file_of(size_t n)
{
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++)
		fputc((int)(i % 251), f);
	ck_assert_int_eq(fflush(f), 0);
	int fd = dup(fileno(f));
	fclose(f);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* Over several 64 KiB reads: everything up to the cap arrives, after what
 * the buffer held; one byte more is refused, with the cap in the message. */
START_TEST(test_buf_read_fd_reads_to_the_end_up_to_its_cap)
{
	enum { N = 200 * 1024 + 7 };
	struct tk_errbuf eb;
	struct tk_buf b;
	tk_buf_init(&b);
	ck_assert(tk_buf_append(&b, "x", 1));
	int fd = file_of(N);
	ck_assert_int_eq(tk_buf_read_fd(&b, fd, N, &eb), TK_OK);
	close(fd);
	ck_assert_uint_eq(b.len, 1 + N);
	ck_assert_uint_eq(b.data[0], 'x');
	size_t same = 0;
	while (same < N && b.data[1 + same] == same % 251)
		same++;
	ck_assert_uint_eq(same, N);
	tk_buf_reset(&b);
	fd = file_of(N);
	ck_assert_int_eq(tk_buf_read_fd(&b, fd, N - 1, &eb), TK_E_TOO_LARGE);
	close(fd);
	ck_assert_str_eq(eb.msg, "more than 204806 bytes");
	fd = file_of(0);
	tk_buf_reset(&b);
	ck_assert_int_eq(tk_buf_read_fd(&b, fd, 0, &eb), TK_OK);
	ck_assert_uint_eq(b.len, 0);
	close(fd);
	tk_buf_destroy(&b);
}
END_TEST

START_TEST(test_buf_read_fd_reports_a_failed_read)
{
	struct tk_errbuf eb;
	struct tk_buf b;
	tk_buf_init(&b);
	int fd = open("/", O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(tk_buf_read_fd(&b, fd, 1024, &eb), TK_E_IO);
	ck_assert_str_eq(eb.msg, "read: Is a directory");
	close(fd);
	tk_buf_destroy(&b);
}
END_TEST

START_TEST(test_slice_compare_orders_prefix_first)
{
	ck_assert_int_lt(tk_slice_cmp(tk_slice_str("ab"), tk_slice_str("abc")), 0);
	ck_assert_int_gt(tk_slice_cmp(tk_slice_str("b"), tk_slice_str("abc")), 0);
	ck_assert_int_eq(tk_slice_cmp(tk_slice_of("", 0), tk_slice_of(NULL, 0)), 0);
}
END_TEST

START_TEST(test_arena_returns_zeroed_aligned_memory_and_resets)
{
	struct tk_arena a;
	tk_arena_init(&a);
	for (int i = 0; i < 1000; i++) {
		unsigned char *p = tk_arena_alloc(&a, (size_t)(i % 300) + 1);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % _Alignof(max_align_t), 0);
		for (int j = 0; j < i % 300 + 1; j++)
			ck_assert_uint_eq(p[j], 0);
		p[0] = 0xff;
	}
	tk_arena_reset(&a);
	ck_assert_uint_eq(a.total, 0);
	ck_assert_ptr_nonnull(tk_arena_alloc(&a, 10000));
	tk_arena_destroy(&a);
}
END_TEST


START_TEST(test_split_args_handles_plain_double_and_single_quotes)
{
	struct tk_args a;
	tk_args_init(&a);
	const char *why = NULL;
	const char *line = "PUT \"a b\\\\x\" 'it\\'s' \"\\x00\\xff\\n\" plain";
	ck_assert(tk_split_args(line, strlen(line), &a, 16, &why));
	ck_assert_uint_eq(a.argc, 5);
	ck_assert(tk_slice_eq(tk_buf_slice(&a.argv[0]), tk_slice_str("PUT")));
	ck_assert(tk_slice_eq(tk_buf_slice(&a.argv[1]), tk_slice_str("a b\\x")));
	ck_assert(tk_slice_eq(tk_buf_slice(&a.argv[2]), tk_slice_str("it's")));
	ck_assert(tk_slice_eq(tk_buf_slice(&a.argv[3]), tk_slice_of("\0\xff\n", 3)));
	ck_assert(tk_slice_eq(tk_buf_slice(&a.argv[4]), tk_slice_str("plain")));
	ck_assert(!tk_split_args("GET \"abc", 8, &a, 16, &why));
	ck_assert_ptr_nonnull(strstr(why, "unbalanced"));
	ck_assert(!tk_split_args("GET \"\\xZZ\"", 11, &a, 16, &why));
	ck_assert(!tk_split_args("GET \"a\"b", 9, &a, 16, &why));
	ck_assert(!tk_split_args("a b c", 5, &a, 2, &why));
	ck_assert(tk_split_args("   ", 3, &a, 2, &why));
	ck_assert_uint_eq(a.argc, 0);
	tk_args_destroy(&a);
}
END_TEST

START_TEST(test_quote_round_trips_every_byte_string)
{
	struct tk_args a;
	tk_args_init(&a);
	uint64_t x = 12345;
	for (int round = 0; round < 2000; round++) {
		uint8_t bytes[32];
		size_t n = (size_t)(round % 33);
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			bytes[i] = (uint8_t)x;
		}
		struct tk_buf q;
		tk_buf_init(&q);
		ck_assert(tk_quote(&q, tk_slice_of(bytes, n)));
		const char *why;
		ck_assert(tk_split_args((const char *)q.data, q.len, &a, 4, &why));
		ck_assert_uint_eq(a.argc, 1);
		ck_assert(tk_slice_eq(tk_buf_slice(&a.argv[0]), tk_slice_of(bytes, n)));
		tk_buf_destroy(&q);
	}
	tk_args_destroy(&a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_error_names_round_trip_through_the_wire_name);
	tcase_add_test(tc, test_error_wrap_prefixes_context);
	tcase_add_test(tc, test_error_wrap_without_a_buffer_keeps_the_code);
	tcase_add_test(tc, test_buf_read_fd_reads_to_the_end_up_to_its_cap);
	tcase_add_test(tc, test_buf_read_fd_reports_a_failed_read);
	tcase_add_test(tc, test_buf_grows_and_keeps_bytes);
	tcase_add_test(tc, test_slice_compare_orders_prefix_first);
	tcase_add_test(tc, test_arena_returns_zeroed_aligned_memory_and_resets);
	tcase_add_test(tc, test_split_args_handles_plain_double_and_single_quotes);
	tcase_add_test(tc, test_quote_round_trips_every_byte_string);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
