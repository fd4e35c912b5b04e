/* tinykv-cli commands: the command table, argument checks and the three
 * output formats (human, --raw, --json). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/quote.h"

/* ---- output helpers -------------------------------------------------------- */

static void put_buf(struct cli *c, struct tk_buf *b)
{
	if (b->len)
		fwrite(b->data, 1, b->len, c->out);
	tk_buf_reset(b);
}

/* JSON string body with every control, quote, backslash and non-ASCII byte
 * escaped, so any bytes give valid (ASCII) JSON. */
static void json_escape(struct tk_buf *b, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = p[i];
		if (ch == '"' || ch == '\\') {
			tk_buf_append_byte(b, '\\');
			tk_buf_append_byte(b, ch);
		} else if (ch < 0x20 || ch >= 0x7f) {
			tk_buf_printf(b, "\\u%04x", ch);
		} else {
			tk_buf_append_byte(b, ch);
		}
	}
}

static void json_str(struct tk_buf *b, const char *s)
{
	tk_buf_append_byte(b, '"');
	json_escape(b, (const uint8_t *)s, strlen(s));
	tk_buf_append_byte(b, '"');
}

void cli_json_strn(struct tk_buf *b, const char *s, size_t n)
{
	tk_buf_append_byte(b, '"');
	json_escape(b, (const uint8_t *)s, n);
	tk_buf_append_byte(b, '"');
}

void cli_json_str(struct tk_buf *b, const char *s)
{
	json_str(b, s);
}

/* Bytes as in src/codec/json.h: {"$b":"text"} when every byte is printable
 * ASCII, else {"$hex":"..."}. */
void cli_json_bytes(struct tk_buf *b, const uint8_t *p, size_t n)
{
	bool printable = true;
	for (size_t i = 0; i < n && printable; i++)
		printable = p[i] >= 0x20 && p[i] < 0x7f;
	if (printable) {
		tk_buf_printf(b, "{\"$b\":\"");
		json_escape(b, p, n);
		tk_buf_printf(b, "\"}");
		return;
	}
	tk_buf_printf(b, "{\"$hex\":\"");
	for (size_t i = 0; i < n; i++)
		tk_buf_printf(b, "%02x", p[i]);
	tk_buf_printf(b, "\"}");
}

/* Quoted as needed (util/quote.h); bytes that read like one of our markers
 * are quoted too, so a value "(nil)" is never mistaken for a missing key. */
static void human_bytes(struct tk_buf *b, const uint8_t *p, size_t n)
{
	struct tk_slice s = tk_slice_of(n ? (const void *)p : "", n);
	if (tk_slice_eq(s, tk_slice_str("(nil)")) || tk_slice_eq(s, tk_slice_str("(empty)")) ||
	    tk_slice_eq(s, tk_slice_str("(more)"))) {
		tk_buf_printf(b, "\"%.*s\"", (int)n, (const char *)p);
		return;
	}
	tk_quote(b, s);
}

static void raw_line(struct tk_buf *b, const uint8_t *p, size_t n)
{
	if (n)
		tk_buf_append(b, p, n);
	tk_buf_append_byte(b, '\n');
}

/* ---- statuses and errors ----------------------------------------------------- */

static int status_of(enum tk_err e)
{
	switch (e) {
	case TK_E_OK: return CLI_OK;
	case TK_E_CONNECTION:
	case TK_E_TIMEOUT:
	case TK_E_CLOSED:
	case TK_E_VERSION_MISMATCH:
	case TK_E_PROTOCOL: return CLI_CONNECTION;
	case TK_E_BAD_CONFIG: return CLI_USAGE;
	case TK_E_UNKNOWN_OUTCOME: return CLI_UNKNOWN;
	default: return CLI_SERVER;
	}
}

/* An error, with a region error's detail when re is not NULL (a hint
 * after the error line, or fields of the JSON error object). */
static void print_error_detail(struct cli *c, const char *code, const char *msg,
			       const struct tkv_region_error *re)
{
	struct tk_buf b;
	tk_buf_init(&b);
	if (c->fmt == CLI_JSON) {
		tk_buf_printf(&b, "{\"error\":{\"code\":");
		json_str(&b, code);
		tk_buf_printf(&b, ",\"message\":");
		json_str(&b, msg);
		if (re)
			cli_region_error_json(&b, re);
		tk_buf_printf(&b, "}}\n");
		put_buf(c, &b);
		tk_buf_destroy(&b);
		fflush(c->out);
		return;
	}
	fprintf(c->err, "(error) %s: %s\n", code, msg);
	if (re)
		cli_region_error_hint(&b, re);
	if (b.len)
		fwrite(b.data, 1, b.len, c->err);
	tk_buf_destroy(&b);
	fflush(c->err);
}

static void print_error(struct cli *c, const char *code, const char *msg)
{
	print_error_detail(c, code, msg, NULL);
}

static int fail(struct cli *c, enum tk_err e, const struct tk_errbuf *eb)
{
	/* the raw client's region error, when this is it (not a transaction's
	 * or a connection's error) */
	const struct tkv_region_error *re =
		!c->txn && c->client ? tkv_last_region_error(c->client) : NULL;
	print_error_detail(c, tk_err_name(e), eb->msg[0] ? eb->msg : tk_strerror(e),
			   re && re->code == e ? re : NULL);
	return status_of(e);
}

int cli_fail(struct cli *c, enum tk_err e, const struct tk_errbuf *eb)
{
	return fail(c, e, eb);
}

int cli_usage_error(struct cli *c, const struct cli_cmd *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (cmd && n >= 0 && (size_t)n < sizeof msg)
		snprintf(msg + n, sizeof msg - (size_t)n, " (usage: %s%s%s)", cmd->name,
			 *cmd->synopsis ? " " : "", cmd->synopsis);
	print_error(c, "USAGE", msg);
	return CLI_USAGE;
}

static int ok_reply(struct cli *c)
{
	if (c->fmt == CLI_HUMAN)
		fputs("OK\n", c->out);
	else if (c->fmt == CLI_JSON)
		fputs("{\"ok\":true}\n", c->out);
	return CLI_OK;
}

static int connect_if_needed(struct cli *c)
{
	if (c->client)
		return CLI_OK;
	struct tk_errbuf eb;
	enum tk_err e = tkv_connect(&c->cfg, &c->client, &eb);
	if (e) {
		c->client = NULL;
		return fail(c, e, &eb);
	}
	return CLI_OK;
}

/* ---- commands ------------------------------------------------------------------ */

static int cmd_ping(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	struct tk_errbuf eb;
	enum tk_err e = tkv_ping(c->client, &eb);
	if (e)
		return fail(c, e, &eb);
	if (c->fmt == CLI_JSON)
		fputs("{\"ok\":true}\n", c->out);
	else
		fputs("PONG\n", c->out);
	return CLI_OK;
}

static int cmd_get(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	struct tk_errbuf eb;
	uint8_t *v;
	size_t vn;
	bool found;
	enum tk_err e = c->txn ? tkv_txn_get(c->txn, argv[1].p, argv[1].n, &v, &vn, &found, &eb)
			       : tkv_get(c->client, argv[1].p, argv[1].n, &v, &vn, &found, &eb);
	if (e)
		return fail(c, e, &eb);
	struct tk_buf b;
	tk_buf_init(&b);
	if (c->fmt == CLI_JSON) {
		if (found) {
			tk_buf_printf(&b, "{\"found\":true,\"value\":");
			cli_json_bytes(&b, v, vn);
			tk_buf_printf(&b, "}\n");
		} else {
			tk_buf_printf(&b, "{\"found\":false}\n");
		}
	} else if (c->fmt == CLI_RAW) {
		if (found)
			raw_line(&b, v, vn);
	} else if (found) {
		human_bytes(&b, v, vn);
		tk_buf_append_byte(&b, '\n');
	} else {
		tk_buf_printf(&b, "(nil)\n");
	}
	put_buf(c, &b);
	tk_buf_destroy(&b);
	tkv_free(v);
	return found ? CLI_OK : CLI_NOT_FOUND;
}

static int cmd_put(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	struct tk_errbuf eb;
	enum tk_err e = c->txn ? tkv_txn_set(c->txn, argv[1].p, argv[1].n, argv[2].p, argv[2].n, &eb)
			       : tkv_put(c->client, argv[1].p, argv[1].n, argv[2].p, argv[2].n, &eb);
	return e ? fail(c, e, &eb) : ok_reply(c);
}

static int cmd_delete(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	struct tk_errbuf eb;
	enum tk_err e = c->txn ? tkv_txn_delete(c->txn, argv[1].p, argv[1].n, &eb)
			       : tkv_delete(c->client, argv[1].p, argv[1].n, &eb);
	return e ? fail(c, e, &eb) : ok_reply(c);
}

/* cas [--absent] [--delete] [--] KEY [EXPECTED] [NEW]: the operands the
 * options leave, in that order (the inline protocol's CAS takes the same
 * line). */
static int cmd_cas(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	const struct cli_cmd *self = cli_find(argv[0]);
	unsigned flags = 0;
	size_t i = 1;
	for (; i < argc && argv[i].n > 2 && argv[i].p[0] == '-' && argv[i].p[1] == '-'; i++) {
		if (tk_slice_eq(argv[i], tk_slice_str("--absent")))
			flags |= TKV_CAS_EXPECT_ABSENT;
		else if (tk_slice_eq(argv[i], tk_slice_str("--delete")))
			flags |= TKV_CAS_DELETE;
		else
			return cli_usage_error(c, self, "unknown option '%.*s'",
					       (int)(argv[i].n > 64 ? 64 : argv[i].n),
					       (const char *)argv[i].p);
	}
	if (i < argc && tk_slice_eq(argv[i], tk_slice_str("--")))
		i++;
	size_t want = 1 + !(flags & TKV_CAS_EXPECT_ABSENT) + !(flags & TKV_CAS_DELETE);
	if (argc - i != want)
		return cli_usage_error(c, self, "%s needs %s",
				       (flags & TKV_CAS_EXPECT_ABSENT) && (flags & TKV_CAS_DELETE)
					   ? "--absent --delete"
				       : flags & TKV_CAS_EXPECT_ABSENT ? "--absent"
				       : flags & TKV_CAS_DELETE        ? "--delete"
								       : "cas",
				       want == 3   ? "KEY EXPECTED NEW"
				       : want == 1 ? "only KEY"
				       : flags & TKV_CAS_EXPECT_ABSENT ? "KEY NEW"
								       : "KEY EXPECTED");
	if (c->txn)
		return cli_usage_error(c, self, "cas works on plain keys: not available inside a "
						"transaction");
	struct tk_slice key = argv[i++], expect = {NULL, 0}, value = {NULL, 0};
	if (!(flags & TKV_CAS_EXPECT_ABSENT))
		expect = argv[i++];
	if (!(flags & TKV_CAS_DELETE))
		value = argv[i];
	int st = connect_if_needed(c);
	if (st)
		return st;
	struct tk_errbuf eb;
	bool swapped, found;
	uint8_t *prev;
	size_t pn;
	enum tk_err e = tkv_cas(c->client, key.p, key.n, expect.p, expect.n, value.p, value.n, flags,
				&swapped, &prev, &pn, &found, &eb);
	if (e)
		return fail(c, e, &eb);
	struct tk_buf b;
	tk_buf_init(&b);
	if (c->fmt == CLI_JSON) {
		tk_buf_printf(&b, "{\"swapped\":%s,\"prev\":", swapped ? "true" : "false");
		if (found)
			cli_json_bytes(&b, prev, pn);
		else
			tk_buf_printf(&b, "null");
		tk_buf_printf(&b, "}\n");
	} else if (c->fmt == CLI_RAW) {
		if (found)
			raw_line(&b, prev, pn);
	} else {
		tk_buf_printf(&b, "%s ", swapped ? "SWAPPED" : "UNCHANGED");
		if (found)
			human_bytes(&b, prev, pn);
		else
			tk_buf_printf(&b, "(nil)");
		tk_buf_append_byte(&b, '\n');
	}
	put_buf(c, &b);
	tk_buf_destroy(&b);
	tkv_free(prev);
	return swapped ? CLI_OK : CLI_UNCHANGED;
}

static bool parse_u32(struct tk_slice s, uint32_t *out)
{
	uint64_t v = 0;
	if (s.n == 0 || s.n > 10)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		v = v * 10 + (s.p[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool is_opt(struct tk_slice s, const char *name)
{
	return tk_slice_eq(s, tk_slice_str(name));
}

/* Pairs (or keys only) in the chosen format; used by scan and bget. */
static void print_kvs(struct cli *c, struct tk_buf *b, const struct tkv_kv *kvs, size_t n,
		      bool keys_only)
{
	for (size_t i = 0; i < n; i++) {
		if (c->fmt == CLI_JSON) {
			if (i)
				tk_buf_append_byte(b, ',');
			if (keys_only) {
				cli_json_bytes(b, kvs[i].key, kvs[i].key_len);
				continue;
			}
			tk_buf_append_byte(b, '[');
			cli_json_bytes(b, kvs[i].key, kvs[i].key_len);
			tk_buf_append_byte(b, ',');
			cli_json_bytes(b, kvs[i].value, kvs[i].value_len);
			tk_buf_append_byte(b, ']');
		} else if (c->fmt == CLI_RAW) {
			raw_line(b, kvs[i].key, kvs[i].key_len);
			if (!keys_only)
				raw_line(b, kvs[i].value, kvs[i].value_len);
		} else {
			human_bytes(b, kvs[i].key, kvs[i].key_len);
			if (!keys_only) {
				tk_buf_append_byte(b, ' ');
				human_bytes(b, kvs[i].value, kvs[i].value_len);
			}
			tk_buf_append_byte(b, '\n');
		}
	}
}

static int cmd_scan(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	const struct cli_cmd *self = cli_find(argv[0]);
	struct tkv_scan_opts o = {0};
	struct tk_slice pos[2];
	size_t npos = 0;
	bool opts_done = false;
	for (size_t i = 1; i < argc; i++) {
		struct tk_slice a = argv[i];
		if (!opts_done && a.n > 2 && a.p[0] == '-' && a.p[1] == '-') {
			if (is_opt(a, "--limit")) {
				if (i + 1 == argc || !parse_u32(argv[i + 1], &o.limit))
					return cli_usage_error(c, self, "--limit needs a number");
				i++;
			} else if (is_opt(a, "--keys-only")) {
				o.keys_only = true;
			} else if (is_opt(a, "--reverse")) {
				o.reverse = true;
			} else {
				return cli_usage_error(c, self, "unknown option '%.*s'", (int)a.n,
						       (const char *)a.p);
			}
			continue;
		}
		if (!opts_done && is_opt(a, "--")) {
			opts_done = true;
			continue;
		}
		if (npos == 2)
			return cli_usage_error(c, self, "too many arguments");
		pos[npos++] = a;
	}
	if (npos == 0)
		return cli_usage_error(c, self, "missing START");
	if (npos == 2) {
		o.end = pos[1].n ? (const void *)pos[1].p : "";
		o.end_len = pos[1].n;
	}
	int st = connect_if_needed(c);
	if (st)
		return st;
	struct tk_errbuf eb;
	struct tkv_kv *kvs;
	size_t n;
	bool more;
	enum tk_err e;
	if (c->txn) {
		if (o.keys_only || o.reverse)
			return cli_usage_error(c, self, "--keys-only and --reverse are not available "
							"inside a transaction");
		more = false;
		e = tkv_txn_scan(c->txn, pos[0].p, pos[0].n, npos == 2 ? o.end : NULL, o.end_len,
				 o.limit, &kvs, &n, &eb);
	} else {
		e = tkv_scan(c->client, pos[0].p, pos[0].n, &o, &kvs, &n, &more, &eb);
	}
	if (e)
		return fail(c, e, &eb);
	struct tk_buf b;
	tk_buf_init(&b);
	if (c->fmt == CLI_JSON)
		tk_buf_printf(&b, o.keys_only ? "{\"keys\":[" : "{\"kvs\":[");
	print_kvs(c, &b, kvs, n, o.keys_only);
	if (c->fmt == CLI_JSON)
		tk_buf_printf(&b, "],\"more\":%s}\n", more ? "true" : "false");
	else if (c->fmt == CLI_HUMAN && n == 0)
		tk_buf_printf(&b, "(empty)\n");
	if (c->fmt == CLI_HUMAN && more)
		tk_buf_printf(&b, "(more)\n");
	put_buf(c, &b);
	tk_buf_destroy(&b);
	tkv_kvs_free(kvs, n);
	return CLI_OK;
}

static struct tkv_kv_in *to_kv_in(const struct tk_slice *argv, size_t n, bool pairs)
{
	size_t count = pairs ? n / 2 : n;
	struct tkv_kv_in *in = calloc(count ? count : 1, sizeof *in);
	if (!in)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		const struct tk_slice *k = pairs ? &argv[2 * i] : &argv[i];
		in[i].key = k->p;
		in[i].key_len = k->n;
		if (pairs) {
			in[i].value = k[1].p;
			in[i].value_len = k[1].n;
		}
	}
	return in;
}

static int nomem(struct cli *c)
{
	print_error(c, "NOMEM", "out of memory");
	return CLI_SERVER;
}

static int cmd_bget(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	size_t nk = argc - 1;
	struct tkv_kv_in *in = to_kv_in(argv + 1, nk, false);
	if (!in)
		return nomem(c);
	struct tk_errbuf eb;
	struct tkv_kv *kvs;
	size_t n;
	enum tk_err e = tkv_batch_get(c->client, in, nk, &kvs, &n, &eb);
	free(in);
	if (e)
		return fail(c, e, &eb);
	struct tk_buf b;
	tk_buf_init(&b);
	if (c->fmt == CLI_HUMAN) {
		/* every requested key, with (nil) for the missing ones: the reply
		 * lists the found keys in request order */
		size_t j = 0;
		for (size_t i = 0; i < nk; i++) {
			const struct tk_slice k = argv[1 + i];
			human_bytes(&b, k.p, k.n);
			tk_buf_append_byte(&b, ' ');
			if (j < n && tk_slice_eq(tk_slice_of(kvs[j].key, kvs[j].key_len), k)) {
				human_bytes(&b, kvs[j].value, kvs[j].value_len);
				j++;
			} else {
				tk_buf_printf(&b, "(nil)");
			}
			tk_buf_append_byte(&b, '\n');
		}
	} else {
		if (c->fmt == CLI_JSON)
			tk_buf_printf(&b, "{\"kvs\":[");
		print_kvs(c, &b, kvs, n, false);
		if (c->fmt == CLI_JSON)
			tk_buf_printf(&b, "]}\n");
	}
	put_buf(c, &b);
	tk_buf_destroy(&b);
	tkv_kvs_free(kvs, n);
	return CLI_OK;
}

static int cmd_bput(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	if ((argc - 1) % 2)
		return cli_usage_error(c, cli_find(argv[0]), "needs KEY VALUE pairs");
	size_t n = (argc - 1) / 2;
	struct tkv_kv_in *in = to_kv_in(argv + 1, argc - 1, true);
	if (!in)
		return nomem(c);
	int st = connect_if_needed(c);
	if (st) {
		free(in);
		return st;
	}
	struct tk_errbuf eb;
	enum tk_err e = tkv_batch_put(c->client, in, n, &eb);
	free(in);
	return e ? fail(c, e, &eb) : ok_reply(c);
}

static int cmd_bdelete(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	struct tkv_kv_in *in = to_kv_in(argv + 1, argc - 1, false);
	if (!in)
		return nomem(c);
	struct tk_errbuf eb;
	enum tk_err e = tkv_batch_delete(c->client, in, argc - 1, &eb);
	free(in);
	return e ? fail(c, e, &eb) : ok_reply(c);
}

void cli_print_command_help(FILE *f, const struct cli_cmd *cmd)
{
	fprintf(f, "%s%s%s\n    %s\n", cmd->name, *cmd->synopsis ? " " : "", cmd->synopsis,
		cmd->help);
	if (cmd->alias)
		fprintf(f, "    alias: %s\n", cmd->alias);
}

static int cmd_help(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	if (argc == 1) {
		cli_print_commands(c->out);
		fputs("'help COMMAND' or 'COMMAND --help' describes one; see tinykv-cli(1).\n",
		      c->out);
		return CLI_OK;
	}
	const struct cli_cmd *cmd = cli_find(argv[1]);
	if (!cmd)
		return cli_usage_error(c, NULL, "no command '%.*s' (try 'help')",
				       (int)(argv[1].n > 64 ? 64 : argv[1].n), (const char *)argv[1].p);
	cli_print_command_help(c->out, cmd);
	return CLI_OK;
}

static int cmd_quit(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	c->quit = true;
	return CLI_OK;
}

/* Order is the order of `help`.  Scan, cas and bput check their own
 * argument shapes (options, pairs), so their rows allow any count and
 * connect themselves after the check. */
const struct cli_cmd cli_cmds[] = {
	{"ping", NULL, "", "check that the server answers (prints PONG)", 0, 0, true, cmd_ping,
	 NULL, false},
	{"get", NULL, "KEY", "print the value of KEY, or (nil) when it does not exist", 1, 1,
	 true, cmd_get, NULL, false},
	{"put", "set", "KEY VALUE", "set KEY to VALUE", 2, 2, true, cmd_put, NULL, false},
	{"delete", "del", "KEY", "delete KEY (no error when it does not exist)", 1, 1, true,
	 cmd_delete, NULL, false},
	{"scan", NULL, "START [END] [--limit N] [--keys-only] [--reverse]",
	 "list keys in [START, END) in order (descending with --reverse), at most N "
	 "(server default 100)",
	 1, -1, false, cmd_scan, "--limit --keys-only --reverse", true},
	{"cas", NULL, "[--absent] [--delete] KEY [EXPECTED] [NEW]",
	 "set KEY to NEW only if it holds EXPECTED (--absent: only if it does not exist; "
	 "--delete: delete it instead of NEW); prints SWAPPED or UNCHANGED and the value it "
	 "had, exit 1 when unchanged",
	 1, -1, false, cmd_cas, "--absent --delete", true},
	{"bget", NULL, "KEY...", "get several keys in one request", 1, -1, true, cmd_bget, NULL,
	 false},
	{"bput", NULL, "KEY VALUE [KEY VALUE]...", "set several keys atomically", 2, -1, false,
	 cmd_bput, NULL, false},
	{"bdelete", NULL, "KEY...", "delete several keys atomically", 1, -1, true, cmd_bdelete,
	 NULL, false},
	{"help", NULL, "[COMMAND]", "list the commands, or describe one", 0, 1, false, cmd_help,
	 NULL, false},
	{"quit", "exit", "", "leave the shell", 0, 0, false, cmd_quit, NULL, false},
	{NULL, NULL, NULL, NULL, 0, 0, false, NULL, NULL, false},
};

/* Every command table: data commands (above), scheduler admin, transactions. */
static const struct cli_cmd *const tables[] = {cli_cmds, cli_sched_cmds, cli_txn_cmds};
#define NTABLES (sizeof tables / sizeof tables[0])

const struct cli_cmd *cli_find(struct tk_slice name)
{
	for (size_t t = 0; t < NTABLES; t++)
		for (const struct cli_cmd *cmd = tables[t]; cmd->name; cmd++)
			if (tk_slice_eq(name, tk_slice_str(cmd->name)) ||
			    (cmd->alias && tk_slice_eq(name, tk_slice_str(cmd->alias))))
				return cmd;
	return NULL;
}

void cli_print_commands(FILE *f)
{
	for (size_t t = 0; t < NTABLES; t++) {
		for (const struct cli_cmd *cmd = tables[t]; cmd->name; cmd++) {
			char head[96];
			snprintf(head, sizeof head, "%s%s%s", cmd->name, *cmd->synopsis ? " " : "",
				 cmd->synopsis);
			fprintf(f, "  %-36s %s\n", head, cmd->help);
		}
	}
}

const struct cli_cmd *cli_cmd_nth(size_t n)
{
	for (size_t t = 0; t < NTABLES; t++)
		for (const struct cli_cmd *cmd = tables[t]; cmd->name; cmd++)
			if (n-- == 0)
				return cmd;
	return NULL;
}

static bool is_arg(const struct tk_slice *argv, size_t argc, size_t i, const char *s)
{
	return i < argc && tk_slice_eq(argv[i], tk_slice_str(s));
}

int cli_run(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	const struct cli_cmd *cmd = cli_find(argv[0]);
	if (!cmd)
		return cli_usage_error(c, NULL, "unknown command '%.*s' (try 'help')",
				       (int)(argv[0].n > 64 ? 64 : argv[0].n),
				       (const char *)argv[0].p);
	/* COMMAND --help, for every command: checked before the argument
	 * count, so "put --help" helps instead of complaining */
	if (is_arg(argv, argc, 1, "--help")) {
		cli_print_command_help(c->out, cmd);
		fflush(c->out);
		return CLI_OK;
	}
	/* a leading "--" ends the options, for a key such as "--help"; scan
	 * parses "--" itself */
	struct tk_slice *shifted = NULL;
	if (!cmd->own_opts && is_arg(argv, argc, 1, "--")) {
		shifted = malloc(argc * sizeof *shifted);
		if (!shifted)
			return nomem(c);
		shifted[0] = argv[0];
		for (size_t i = 2; i < argc; i++)
			shifted[i - 1] = argv[i];
		argv = shifted;
		argc--;
	}
	size_t nargs = argc - 1;
	int st;
	if (nargs < (size_t)cmd->min_args ||
	    (cmd->max_args >= 0 && nargs > (size_t)cmd->max_args)) {
		st = cli_usage_error(c, cmd, "wrong number of arguments");
		goto out;
	}
	if (cmd->needs_server && (st = connect_if_needed(c)))
		goto out;
	st = cmd->run(c, argv, argc);
	fflush(c->out);
out:
	free(shifted);
	return st;
}
