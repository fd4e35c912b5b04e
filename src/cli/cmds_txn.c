/* tinykv-cli transactions: begin, commit, rollback.  While a transaction
 * is open, get, put (set), delete and scan run inside it (cmds.c), and the
 * shell's prompt shows its start timestamp. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static enum tk_err ensure_client(struct cli *c, struct tk_errbuf *eb)
{
	if (c->txc)
		return TK_OK;
	struct tkv_txn_config cfg;
	tkv_txn_config_default(&cfg);
	cfg.store_address = c->cfg.address;
	if (c->sched_addr)
		cfg.scheduler_address = c->sched_addr;
	if (c->cfg.timeout_ms)
		cfg.timeout_ms = c->cfg.timeout_ms;
	return tkv_txn_client_new(&cfg, &c->txc, eb);
}

static void say(struct cli *c, const char *human, const char *json_key, uint64_t v)
{
	if (c->fmt == CLI_JSON)
		fprintf(c->out, "{\"%s\":%llu}\n", json_key, (unsigned long long)v);
	else if (c->fmt == CLI_HUMAN)
		fprintf(c->out, "%s %llu\n", human, (unsigned long long)v);
}

static int cmd_begin(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	(void)argc;
	if (c->txn)
		return cli_usage_error(c, cli_find(argv[0]),
				       "a transaction is already open (commit or rollback first)");
	struct tk_errbuf eb;
	enum tk_err e = ensure_client(c, &eb);
	if (!e)
		e = tkv_txn_begin(c->txc, &c->txn, &eb);
	if (e) {
		c->txn = NULL;
		return cli_fail(c, e, &eb);
	}
	say(c, "BEGIN, start_ts", "start_ts", tkv_txn_start_ts(c->txn));
	return CLI_OK;
}

static int cmd_commit(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	(void)argc;
	if (!c->txn)
		return cli_usage_error(c, cli_find(argv[0]), "no transaction is open (begin first)");
	struct tk_errbuf eb;
	uint64_t commit_ts = 0;
	enum tk_err e = tkv_txn_commit(c->txn, &commit_ts, &eb);
	tkv_txn_free(c->txn);
	c->txn = NULL;
	if (e)
		return cli_fail(c, e, &eb); /* the transaction is over either way */
	say(c, "COMMITTED, commit_ts", "commit_ts", commit_ts);
	return CLI_OK;
}

static int cmd_rollback(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	(void)argc;
	if (!c->txn)
		return cli_usage_error(c, cli_find(argv[0]), "no transaction is open");
	struct tk_errbuf eb;
	tkv_txn_rollback(c->txn, &eb);
	tkv_txn_free(c->txn);
	c->txn = NULL;
	if (c->fmt == CLI_JSON)
		fputs("{\"ok\":true}\n", c->out);
	else if (c->fmt == CLI_HUMAN)
		fputs("ROLLED BACK\n", c->out);
	return CLI_OK;
}

static int cmd_gc(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	const struct cli_cmd *self = cli_find(argv[0]);
	uint64_t safe_point = 0;
	if (argc == 2) {
		char num[32];
		char *end;
		snprintf(num, sizeof num, "%.*s", (int)(argv[1].n < 31 ? argv[1].n : 31), (const char *)argv[1].p);
		safe_point = strtoull(num, &end, 10);
		if (*end || !argv[1].n || num[0] == '-' || safe_point == 0)
			return cli_usage_error(c, self, "SAFE_POINT must be a timestamp (a positive number)");
	}
	struct tk_errbuf eb;
	enum tk_err e = ensure_client(c, &eb);
	if (!e && safe_point == 0)
		e = tkv_txn_client_ts(c->txc, &safe_point, &eb);
	uint64_t deleted = 0;
	if (!e)
		e = tkv_txn_gc(c->txc, safe_point, &deleted, &eb);
	if (e)
		return cli_fail(c, e, &eb);
	if (c->fmt == CLI_JSON)
		fprintf(c->out, "{\"safe_point\":%llu,\"deleted\":%llu}\n", (unsigned long long)safe_point,
			(unsigned long long)deleted);
	else if (c->fmt == CLI_HUMAN)
		fprintf(c->out, "GC at %llu: %llu old versions removed\n", (unsigned long long)safe_point,
			(unsigned long long)deleted);
	return CLI_OK;
}

void cli_txn_close(struct cli *c)
{
	if (c->txn) {
		fprintf(c->err, "(warning) the open transaction was rolled back (not committed)\n");
		tkv_txn_free(c->txn);
		c->txn = NULL;
	}
	tkv_txn_client_free(c->txc);
	c->txc = NULL;
}

const struct cli_cmd cli_txn_cmds[] = {
	{"begin", NULL, "", "start a transaction (timestamps from the scheduler, -s); get, put, delete "
			    "and scan then run inside it",
	 0, 0, false, cmd_begin, NULL, false},
	{"commit", NULL, "", "commit the open transaction (two-phase); fails with WRITE_CONFLICT when "
			     "another one committed a key first",
	 0, 0, false, cmd_commit, NULL, false},
	{"rollback", NULL, "", "abandon the open transaction", 0, 0, false, cmd_rollback, NULL, false},
	{"gc", NULL, "[SAFE_POINT]", "remove MVCC versions no reader at or after SAFE_POINT (default: a "
				     "fresh timestamp) can see; resolves old locks first",
	 0, 1, false, cmd_gc, NULL, false},
	{NULL, NULL, NULL, NULL, 0, 0, false, NULL, NULL, false},
};
