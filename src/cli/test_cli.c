/* tinykv-cli commands, output formats and exit statuses, against the fake
 * store of src/client/fake_server.h. */
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli.h"
#include "client/fake_server.h"
#include "util/quote.h"

struct t {
	struct tkv_fake *fake;
	struct cli c;
	char *outp, *errp;
	size_t outn, errn;
};

static void t_open(struct t *t, enum cli_format fmt)
{
	memset(t, 0, sizeof *t);
	t->fake = tkv_fake_start();
	tkv_config_default(&t->c.cfg);
	t->c.cfg.address = tkv_fake_address(t->fake);
	t->c.cfg.timeout_ms = 2000;
	/* one attempt per command: these tests look at what the CLI prints
	 * of the store's answers, not at routing (client/test_route.c) */
	t->c.cfg.max_attempts = 1;
	t->c.fmt = fmt;
	t->c.out = open_memstream(&t->outp, &t->outn);
	t->c.err = open_memstream(&t->errp, &t->errn);
}

static void t_close(struct t *t)
{
	tkv_close(t->c.client);
	fclose(t->c.out);
	fclose(t->c.err);
	free(t->outp);
	free(t->errp);
	tkv_fake_stop(t->fake);
}

/* Forget the output so far (a fresh stream: a rewound memstream keeps the
 * old bytes past the new end). */
static void t_clear(struct t *t)
{
	fclose(t->c.out);
	fclose(t->c.err);
	free(t->outp);
	free(t->errp);
	t->outp = t->errp = NULL;
	t->c.out = open_memstream(&t->outp, &t->outn);
	t->c.err = open_memstream(&t->errp, &t->errn);
	fflush(t->c.out);
	fflush(t->c.err);
}

/* Run one line (split with the shell's quoting) and return its status;
 * output is read through t->outp / t->errp. */
static int run(struct t *t, const char *line)
{
	t_clear(t);
	struct tk_args args;
	tk_args_init(&args);
	const char *why;
	ck_assert_msg(tk_split_args(line, strlen(line), &args, 100, &why), "%s", why);
	struct tk_slice argv[100];
	for (size_t i = 0; i < args.argc; i++)
		argv[i] = tk_slice_of(args.argv[i].len ? (void *)args.argv[i].data : "",
				      args.argv[i].len);
	int st = cli_run(&t->c, argv, args.argc);
	tk_args_destroy(&args);
	fflush(t->c.out);
	fflush(t->c.err);
	return st;
}

START_TEST(test_human_put_get_and_missing_key)
{
	struct t t;
	t_open(&t, CLI_HUMAN);
	ck_assert_int_eq(run(&t, "ping"), CLI_OK);
	ck_assert_str_eq(t.outp, "PONG\n");
	ck_assert_int_eq(run(&t, "put k hello"), CLI_OK);
	ck_assert_str_eq(t.outp, "OK\n");
	ck_assert_int_eq(run(&t, "get k"), CLI_OK);
	ck_assert_str_eq(t.outp, "hello\n");
	ck_assert_int_eq(run(&t, "get nope"), CLI_NOT_FOUND);
	ck_assert_str_eq(t.outp, "(nil)\n");
	ck_assert_int_eq(run(&t, "put n (nil)"), CLI_OK);
	ck_assert_int_eq(run(&t, "get n"), CLI_OK);
	ck_assert_str_eq(t.outp, "\"(nil)\"\n"); /* never mistaken for a missing key */
	ck_assert_int_eq(run(&t, "put e \"\""), CLI_OK);
	ck_assert_int_eq(run(&t, "get e"), CLI_OK);
	ck_assert_str_eq(t.outp, "\"\"\n");
	ck_assert_int_eq(run(&t, "del k"), CLI_OK);
	ck_assert_int_eq(run(&t, "get k"), CLI_NOT_FOUND);
	t_close(&t);
}
END_TEST

START_TEST(test_cas_forms_outputs_and_exit_statuses)
{
	struct t t;
	t_open(&t, CLI_HUMAN);
	ck_assert_int_eq(run(&t, "cas --absent lock me"), CLI_OK);
	ck_assert_str_eq(t.outp, "SWAPPED (nil)\n");
	ck_assert_int_eq(run(&t, "cas --absent lock you"), CLI_UNCHANGED);
	ck_assert_str_eq(t.outp, "UNCHANGED me\n");
	ck_assert_int_eq(run(&t, "cas lock you them"), CLI_UNCHANGED);
	ck_assert_str_eq(t.outp, "UNCHANGED me\n");
	ck_assert_int_eq(run(&t, "cas lock me \"\""), CLI_OK); /* an empty value is a value */
	ck_assert_str_eq(t.outp, "SWAPPED me\n");
	ck_assert_int_eq(run(&t, "cas --absent lock x"), CLI_UNCHANGED);
	ck_assert_str_eq(t.outp, "UNCHANGED \"\"\n");
	ck_assert_int_eq(run(&t, "cas --delete lock \"\""), CLI_OK);
	ck_assert_str_eq(t.outp, "SWAPPED \"\"\n");
	ck_assert_int_eq(run(&t, "get lock"), CLI_NOT_FOUND);
	ck_assert_int_eq(run(&t, "cas --absent --delete lock"), CLI_OK);
	ck_assert_str_eq(t.outp, "SWAPPED (nil)\n");
	ck_assert_int_eq(run(&t, "cas -- --absent a b"), CLI_UNCHANGED); /* the key --absent */
	ck_assert_str_eq(t.outp, "UNCHANGED (nil)\n");
	t.c.fmt = CLI_JSON;
	ck_assert_int_eq(run(&t, "cas --absent j \"\\x00v\""), CLI_OK);
	ck_assert_str_eq(t.outp, "{\"swapped\":true,\"prev\":null}\n");
	ck_assert_int_eq(run(&t, "cas j a b"), CLI_UNCHANGED);
	ck_assert_str_eq(t.outp, "{\"swapped\":false,\"prev\":{\"$hex\":\"0076\"}}\n");
	t.c.fmt = CLI_RAW;
	ck_assert_int_eq(run(&t, "cas j \"\\x00v\" w"), CLI_OK);
	ck_assert_uint_eq(t.outn, 3);
	ck_assert(memcmp(t.outp, "\0v\n", 3) == 0);
	t_close(&t);
}
END_TEST

START_TEST(test_cas_argument_mistakes_are_usage_errors)
{
	struct t t;
	t_open(&t, CLI_HUMAN);
	ck_assert_int_eq(run(&t, "cas k"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(t.errp, "cas needs KEY EXPECTED NEW"));
	ck_assert_int_eq(run(&t, "cas k a"), CLI_USAGE);
	ck_assert_int_eq(run(&t, "cas k a b c"), CLI_USAGE);
	ck_assert_int_eq(run(&t, "cas --absent k"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(t.errp, "--absent needs KEY NEW"));
	ck_assert_int_eq(run(&t, "cas --delete k a b"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(t.errp, "--delete needs KEY EXPECTED"));
	ck_assert_int_eq(run(&t, "cas --absent --delete k v"), CLI_USAGE);
	ck_assert_int_eq(run(&t, "cas --bogus k a b"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(t.errp, "unknown option '--bogus'"));
	ck_assert_int_eq(run(&t, "cas"), CLI_USAGE);
	t_close(&t);
}
END_TEST

START_TEST(test_binary_values_in_each_format)
{
	struct t t;
	t_open(&t, CLI_HUMAN);
	ck_assert_int_eq(run(&t, "put \"b k\" \"\\x00\\xff a\""), CLI_OK);
	ck_assert_int_eq(run(&t, "get \"b k\""), CLI_OK);
	ck_assert_str_eq(t.outp, "\"\\x00\\xff a\"\n");
	t.c.fmt = CLI_RAW;
	ck_assert_int_eq(run(&t, "get \"b k\""), CLI_OK);
	ck_assert_uint_eq(t.outn, 5);
	ck_assert(memcmp(t.outp, "\0\xff a\n", 5) == 0);
	t.c.fmt = CLI_JSON;
	ck_assert_int_eq(run(&t, "get \"b k\""), CLI_OK);
	ck_assert_str_eq(t.outp, "{\"found\":true,\"value\":{\"$hex\":\"00ff2061\"}}\n");
	ck_assert_int_eq(run(&t, "put q 'say \"hi\"'"), CLI_OK);
	ck_assert_str_eq(t.outp, "{\"ok\":true}\n");
	ck_assert_int_eq(run(&t, "get q"), CLI_OK);
	ck_assert_str_eq(t.outp, "{\"found\":true,\"value\":{\"$b\":\"say \\\"hi\\\"\"}}\n");
	ck_assert_int_eq(run(&t, "get nope"), CLI_NOT_FOUND);
	ck_assert_str_eq(t.outp, "{\"found\":false}\n");
	t_close(&t);
}
END_TEST

START_TEST(test_scan_formats_limit_reverse_and_keys_only)
{
	struct t t;
	t_open(&t, CLI_HUMAN);
	ck_assert_int_eq(run(&t, "bput a 1 b 2 c 3 d 4"), CLI_OK);
	ck_assert_int_eq(run(&t, "scan a d"), CLI_OK);
	ck_assert_str_eq(t.outp, "a 1\nb 2\nc 3\n");
	ck_assert_int_eq(run(&t, "scan a --limit 2"), CLI_OK);
	ck_assert_str_eq(t.outp, "a 1\nb 2\n(more)\n");
	ck_assert_int_eq(run(&t, "scan \"\" --reverse --keys-only --limit 3"), CLI_OK);
	ck_assert_str_eq(t.outp, "d\nc\nb\n(more)\n");
	ck_assert_int_eq(run(&t, "scan x"), CLI_OK);
	ck_assert_str_eq(t.outp, "(empty)\n");
	t.c.fmt = CLI_JSON;
	ck_assert_int_eq(run(&t, "scan b --limit 1"), CLI_OK);
	ck_assert_str_eq(t.outp, "{\"kvs\":[[{\"$b\":\"b\"},{\"$b\":\"2\"}]],\"more\":true}\n");
	ck_assert_int_eq(run(&t, "scan c --keys-only"), CLI_OK);
	ck_assert_str_eq(t.outp, "{\"keys\":[{\"$b\":\"c\"},{\"$b\":\"d\"}],\"more\":false}\n");
	t.c.fmt = CLI_RAW;
	ck_assert_int_eq(run(&t, "scan c"), CLI_OK);
	ck_assert_str_eq(t.outp, "c\n3\nd\n4\n");
	t_close(&t);
}
END_TEST

START_TEST(test_bget_lists_every_requested_key_in_human_form)
{
	struct t t;
	t_open(&t, CLI_HUMAN);
	ck_assert_int_eq(run(&t, "bput a 1 c 3"), CLI_OK);
	ck_assert_int_eq(run(&t, "bget a b c"), CLI_OK);
	ck_assert_str_eq(t.outp, "a 1\nb (nil)\nc 3\n");
	t.c.fmt = CLI_JSON;
	ck_assert_int_eq(run(&t, "bget a b"), CLI_OK);
	ck_assert_str_eq(t.outp, "{\"kvs\":[[{\"$b\":\"a\"},{\"$b\":\"1\"}]]}\n");
	t.c.fmt = CLI_HUMAN;
	ck_assert_int_eq(run(&t, "bdelete a c"), CLI_OK);
	ck_assert_int_eq(run(&t, "bget a c"), CLI_OK);
	ck_assert_str_eq(t.outp, "a (nil)\nc (nil)\n");
	t_close(&t);
}
END_TEST

START_TEST(test_usage_errors_exit_2_without_contacting_the_server)
{
	struct t t;
	t_open(&t, CLI_HUMAN);
	ck_assert_int_eq(run(&t, "frobnicate"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(t.errp, "unknown command 'frobnicate'"));
	ck_assert_int_eq(run(&t, "get"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(t.errp, "usage: get KEY"));
	ck_assert_int_eq(run(&t, "put a"), CLI_USAGE);
	ck_assert_int_eq(run(&t, "bput a 1 b"), CLI_USAGE);
	ck_assert_int_eq(run(&t, "scan a --limit x"), CLI_USAGE);
	ck_assert_int_eq(run(&t, "scan a b c"), CLI_USAGE);
	ck_assert_int_eq(run(&t, "scan a --bogus"), CLI_USAGE);
	ck_assert_int_eq(run(&t, "help"), CLI_OK);
	ck_assert_ptr_nonnull(strstr(t.outp, "bdelete KEY..."));
	ck_assert_int_eq(run(&t, "help del"), CLI_OK);
	ck_assert_ptr_nonnull(strstr(t.outp, "delete KEY\n"));
	ck_assert_int_eq(tkv_fake_accepts(t.fake), 0);
	ck_assert_ptr_null(t.c.client);
	t_close(&t);
}
END_TEST

START_TEST(test_server_error_exits_3_with_code_and_message)
{
	struct t t;
	t_open(&t, CLI_HUMAN);
	ck_assert_int_eq(run(&t, "delete nospace"), CLI_SERVER);
	ck_assert_str_eq(t.errp, "(error) NO_SPACE: disk full\n");
	ck_assert_str_eq(t.outp, "");
	t.c.fmt = CLI_JSON;
	ck_assert_int_eq(run(&t, "put \"\" v"), CLI_SERVER);
	ck_assert_str_eq(t.outp,
			 "{\"error\":{\"code\":\"BAD_REQUEST\",\"message\":\"key must not be empty\"}}\n");
	t_close(&t);
}
END_TEST

/* NOT_LEADER and EPOCH_NOT_MATCH say where to go: in words after the error
 * line, or as fields of the JSON error. */
START_TEST(test_region_errors_print_the_hint)
{
	struct t t;
	t_open(&t, CLI_HUMAN);
	ck_assert_int_eq(run(&t, "get not_leader"), CLI_SERVER);
	ck_assert_str_eq(t.errp, "(error) NOT_LEADER: region 2: not leader; the leader is store 3 "
				 "(peer 6) at 127.0.0.1:20162\n"
				 "hint: the leader of region 2 is peer 6 on store 3 at 127.0.0.1:20162; "
				 "try: tinykv-cli -h 127.0.0.1 -p 20162\n");
	ck_assert_int_eq(run(&t, "get no_leader"), CLI_SERVER);
	ck_assert_ptr_nonnull(strstr(t.errp, "\nhint: region 2 has no known leader"));
	ck_assert_int_eq(run(&t, "get epoch"), CLI_SERVER);
	ck_assert_str_eq(t.errp, "(error) EPOCH_NOT_MATCH: region 2: epoch does not match\n"
				 "hint: region 2 changed (split or membership change); the store has "
				 "now:\n"
				 "  region 2 [-inf, m) epoch 1/2 peers 4@1,5@2,6@3\n"
				 "  region 8 [m, +inf) epoch 1/2 peers 9@1,10@2,11@3\n");
	/* other region errors: the message says it all */
	ck_assert_int_eq(run(&t, "get busy"), CLI_SERVER);
	ck_assert_str_eq(t.errp, "(error) SERVER_IS_BUSY: region 2: server is busy\n");
	t.c.fmt = CLI_JSON;
	ck_assert_int_eq(run(&t, "get not_leader"), CLI_SERVER);
	ck_assert_str_eq(t.outp, "{\"error\":{\"code\":\"NOT_LEADER\",\"message\":\"region 2: not "
				 "leader; the leader is store 3 (peer 6) at 127.0.0.1:20162\","
				 "\"region\":2,\"leader\":{\"id\":6,\"store\":3},"
				 "\"leader_addr\":\"127.0.0.1:20162\"}}\n");
	ck_assert_int_eq(run(&t, "get epoch"), CLI_SERVER);
	ck_assert_ptr_nonnull(strstr(t.outp, ",\"regions\":[{\"id\":2,\"start\":{\"$b\":\"\"},"
					     "\"end\":{\"$b\":\"m\"},\"conf_ver\":1,\"version\":2,"
					     "\"peers\":[{\"id\":4,\"store\":1},"));
	t_close(&t);
}
END_TEST

/* A write sent and never answered: the CLI cannot say whether it happened. */
START_TEST(test_write_without_reply_exits_5_outcome_unknown)
{
	struct t t;
	t_open(&t, CLI_HUMAN);
	struct tkv_fake_region r = {.id = 2, .start = "", .end = "", .conf_ver = 1, .version = 1,
	                            .peer_ids = {21}, .store_ids = {1}, .n_peers = 1,
	                            .leader_store = 1, .leader_addr = ""};
	tkv_fake_set_cluster(t.fake, 1, &r, 1);
	tkv_fake_script(t.fake, TKV_FAKE_MUTE_WRITES, 1, 0);
	t.c.cfg.timeout_ms = 100;
	t.c.cfg.max_attempts = 5;
	ck_assert_int_eq(run(&t, "cas --absent lock me"), CLI_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(t.errp, "(error) UNKNOWN_OUTCOME: "));
	ck_assert_int_eq(run(&t, "get lock"), CLI_OK); /* it was applied after all */
	ck_assert_str_eq(t.outp, "me\n");
	t_close(&t);
}
END_TEST

START_TEST(test_timeout_and_connection_failure_exit_4)
{
	struct t t;
	t_open(&t, CLI_HUMAN);
	t.c.cfg.timeout_ms = 100;
	ck_assert_int_eq(run(&t, "get slow"), CLI_CONNECTION);
	ck_assert_ptr_nonnull(strstr(t.errp, "(error) TIMEOUT: "));
	ck_assert_int_eq(run(&t, "get drop"), CLI_CONNECTION);
	ck_assert_ptr_nonnull(strstr(t.errp, "(error) CONNECTION: "));
	ck_assert_int_eq(run(&t, "ping"), CLI_OK); /* reconnected */
	t_close(&t);

	/* a port nobody listens on */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sin;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	char addr[64];
	snprintf(addr, sizeof addr, "127.0.0.1:%u", (unsigned)ntohs(sin.sin_port));
	t_open(&t, CLI_HUMAN);
	t.c.cfg.address = addr;
	ck_assert_int_eq(run(&t, "ping"), CLI_CONNECTION);
	ck_assert_ptr_nonnull(strstr(t.errp, addr));
	t_close(&t);
}
END_TEST

START_TEST(test_pipe_runs_every_line_and_returns_the_worst_status)
{
	struct t t;
	t_open(&t, CLI_HUMAN);
	const char *script = "# a comment\n"
			     "\n"
			     "put 'a b' \"x\\ty\"\n"
			     "get \"a b\"\n"
			     "get missing\n"
			     "get \"unbalanced\n"
			     "ping\n"
			     "quit\n"
			     "ping\n";
	FILE *in = fmemopen((void *)script, strlen(script), "r");
	t_clear(&t);
	ck_assert_int_eq(cli_pipe(&t.c, in), CLI_USAGE);
	fclose(in);
	fflush(t.c.out);
	ck_assert_str_eq(t.outp, "OK\n\"x\\ty\"\n(nil)\nPONG\n");
	ck_assert_ptr_nonnull(strstr(t.errp, "unbalanced double quote"));
	ck_assert(t.c.quit);
	t_close(&t);
}
END_TEST

/* The candidates of cli_complete joined by spaces. */
static char *completions(const char *line, const char *word)
{
	static char buf[1024];
	char **v = cli_complete(line, strlen(line), word);
	ck_assert_ptr_nonnull(v);
	buf[0] = 0;
	for (size_t i = 0; v[i]; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "", v[i]);
	cli_complete_free(v);
	return buf;
}

START_TEST(test_completion_offers_commands_subcommands_and_options)
{
	ck_assert_str_eq(completions("", "st"), "store");
	ck_assert_str_eq(completions("", "s"), "scan store scheduler");
	ck_assert_str_eq(completions("help ", "re"), "region");
	ck_assert_str_eq(completions("store ", ""), "list offline up");
	ck_assert_str_eq(completions("region ", ""), "list id");
	ck_assert_str_eq(completions("  config  ", "s"), "show set");
	ck_assert_str_eq(completions("scheduler add ", ""), "balance-leader balance-region");
	ck_assert_str_eq(completions("scheduler list ", ""), "");
	ck_assert_str_eq(completions("scan a ", "--"), "--limit --keys-only --reverse");
	ck_assert_str_eq(completions("scan ", "--"), "--help --limit --keys-only --reverse");
	ck_assert_str_eq(completions("get ", "--h"), "--help");
	ck_assert_str_eq(completions("cas ", "--"), "--help --absent --delete");
	ck_assert_str_eq(completions("cas --absent ", "--d"), "--delete");
	ck_assert_str_eq(completions("", "ca"), "cas");
	ck_assert_str_eq(completions("get ", "k"), ""); /* keys are not guessed */
	ck_assert_str_eq(completions("frobnicate ", ""), "");
	ck_assert_str_eq(completions("get \"open ", ""), ""); /* inside a quote */
}
END_TEST

START_TEST(test_every_command_answers_dash_dash_help_without_the_server)
{
	struct t t;
	t_open(&t, CLI_HUMAN);
	const struct cli_cmd *cmd;
	for (size_t i = 0; (cmd = cli_cmd_nth(i)); i++) {
		char line[64];
		snprintf(line, sizeof line, "%s --help", cmd->name);
		ck_assert_int_eq(run(&t, line), CLI_OK);
		char *first = strdup(t.outp);
		snprintf(line, sizeof line, "help %s", cmd->name);
		ck_assert_int_eq(run(&t, line), CLI_OK);
		ck_assert_str_eq(first, t.outp);
		ck_assert(strncmp(first, cmd->name, strlen(cmd->name)) == 0);
		free(first);
	}
	ck_assert_int_eq(tkv_fake_accepts(t.fake), 0);
	/* "--" first: the rest are arguments, even "--help" */
	ck_assert_int_eq(run(&t, "put -- --help v"), CLI_OK);
	ck_assert_int_eq(run(&t, "get -- --help"), CLI_OK);
	ck_assert_str_eq(t.outp, "v\n");
	t_close(&t);
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("commands");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_human_put_get_and_missing_key);
	tcase_add_test(tc, test_binary_values_in_each_format);
	tcase_add_test(tc, test_scan_formats_limit_reverse_and_keys_only);
	tcase_add_test(tc, test_cas_forms_outputs_and_exit_statuses);
	tcase_add_test(tc, test_cas_argument_mistakes_are_usage_errors);
	tcase_add_test(tc, test_bget_lists_every_requested_key_in_human_form);
	tcase_add_test(tc, test_usage_errors_exit_2_without_contacting_the_server);
	tcase_add_test(tc, test_server_error_exits_3_with_code_and_message);
	tcase_add_test(tc, test_region_errors_print_the_hint);
	tcase_add_test(tc, test_timeout_and_connection_failure_exit_4);
	tcase_add_test(tc, test_write_without_reply_exits_5_outcome_unknown);
	tcase_add_test(tc, test_pipe_runs_every_line_and_returns_the_worst_status);
	tcase_add_test(tc, test_completion_offers_commands_subcommands_and_options);
	tcase_add_test(tc, test_every_command_answers_dash_dash_help_without_the_server);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cli_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
