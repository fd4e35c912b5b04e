/* tinykvd's cluster options: what may be advertised, the heartbeat
 * interval's durations, and the checks net_config_parse makes on them. */
#include <check.h>
#include <string.h>

#include "net/options.h"

static bool advertisable(const char *a)
{
	char why[192];
	return net_addr_advertisable(a, why, sizeof why);
}

START_TEST(test_advertisable_is_a_numeric_reachable_address)
{
	ck_assert(advertisable("127.0.0.1:20160"));
	ck_assert(advertisable("10.1.2.3:1"));
	ck_assert(advertisable("[::1]:20160"));
	ck_assert(!advertisable("0.0.0.0:20160"));
	ck_assert(!advertisable("[::]:20160"));
	ck_assert(!advertisable("[0:0::0]:20160"));
	ck_assert(!advertisable("127.0.0.1:0"));
	ck_assert(!advertisable("localhost:20160"));
	ck_assert(!advertisable("127.0.0.1"));
	ck_assert(!advertisable("127.0.0.1:99999"));
	char why[192];
	net_addr_advertisable("0.0.0.0:1", why, sizeof why);
	ck_assert_ptr_nonnull(strstr(why, "wildcard"));
	net_addr_advertisable("127.0.0.1:0", why, sizeof why);
	ck_assert_ptr_nonnull(strstr(why, "port 0"));
}
END_TEST

static uint32_t interval(const char *v, enum tk_err *rc)
{
	struct net_config c;
	net_config_default(&c);
	struct tk_errbuf eb;
	*rc = net_config_set(&c, "heartbeat-interval", v, &eb);
	return c.heartbeat_interval_ms;
}

START_TEST(test_heartbeat_interval_takes_seconds_or_milliseconds)
{
	enum tk_err rc;
	struct net_config c;
	net_config_default(&c);
	ck_assert_uint_eq(c.heartbeat_interval_ms, 1000);
	ck_assert_uint_eq(interval("2s", &rc), 2000);
	ck_assert_int_eq(rc, TK_OK);
	ck_assert_uint_eq(interval("250ms", &rc), 250);
	ck_assert_int_eq(rc, TK_OK);
	ck_assert_uint_eq(interval("300", &rc), 300);
	ck_assert_int_eq(rc, TK_OK);
	interval("5ms", &rc); /* below 10 ms */
	ck_assert_int_eq(rc, TK_E_BAD_CONFIG);
	interval("2h", &rc);
	ck_assert_int_eq(rc, TK_E_BAD_CONFIG);
	interval("-1s", &rc);
	ck_assert_int_eq(rc, TK_E_BAD_CONFIG);
	interval("s", &rc);
	ck_assert_int_eq(rc, TK_E_BAD_CONFIG);
	interval("99999999999999999999s", &rc);
	ck_assert_int_eq(rc, TK_E_BAD_CONFIG);
}
END_TEST

static enum tk_err parse(int argc, char **argv, struct net_config *c, struct tk_errbuf *eb)
{
	net_config_default(c);
	return net_config_parse(c, argc, argv, eb);
}

START_TEST(test_parse_refuses_a_scheduler_name_and_a_wildcard_advertise_address)
{
	struct net_config c;
	struct tk_errbuf eb;
	char *ok[] = {"tinykvd", "--scheduler", "127.0.0.1:2379", "--advertise-addr",
	              "10.0.0.5:20160"};
	ck_assert_int_eq(parse(5, ok, &c, &eb), TK_OK);
	ck_assert_str_eq(c.scheduler, "127.0.0.1:2379");
	ck_assert_str_eq(c.advertise_addr, "10.0.0.5:20160");
	char *name[] = {"tinykvd", "--scheduler", "pd.example:2379"};
	ck_assert_int_eq(parse(3, name, &c, &eb), TK_E_BAD_CONFIG);
	ck_assert_ptr_nonnull(strstr(eb.msg, "numeric"));
	char *wild[] = {"tinykvd", "--advertise-addr", "0.0.0.0:20160"};
	ck_assert_int_eq(parse(3, wild, &c, &eb), TK_E_BAD_CONFIG);
	ck_assert_ptr_nonnull(strstr(eb.msg, "advertise-addr"));
	char *none[] = {"tinykvd"};
	ck_assert_int_eq(parse(1, none, &c, &eb), TK_OK);
	ck_assert_str_eq(c.scheduler, "");
}
END_TEST

int main(void)
{
	Suite *su = suite_create("options");
	TCase *tc = tcase_create("cluster");
	tcase_add_test(tc, test_advertisable_is_a_numeric_reachable_address);
	tcase_add_test(tc, test_heartbeat_interval_takes_seconds_or_milliseconds);
	tcase_add_test(tc, test_parse_refuses_a_scheduler_name_and_a_wildcard_advertise_address);
	suite_add_tcase(su, tc);
	SRunner *sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
