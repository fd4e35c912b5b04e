/* tinykv-cli admin commands against tinykv-scheduler (-s/--scheduler,
 * default 127.0.0.1:2379): store, region, operator, scheduler, config and
 * tso, with human and --json output (--raw prints the human form).  Rows
 * of their own (cli_sched_cmds), searched by cli_find after cli_cmds. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "tinykv_sched.h"
#include "util/quote.h"

/* ---- output ---- */

static int flush(struct cli *c, struct tk_buf *b)
{
	if (b->len)
		fwrite(b->data, 1, b->len, c->out);
	tk_buf_destroy(b);
	return CLI_OK;
}

static int fail(struct cli *c, enum tk_err e, const struct tk_errbuf *eb)
{
	const char *msg = eb->msg[0] ? eb->msg : tk_strerror(e);
	if (c->fmt == CLI_JSON) {
		struct tk_buf b;
		tk_buf_init(&b);
		tk_buf_printf(&b, "{\"error\":{\"code\":");
		cli_json_str(&b, tk_err_name(e));
		tk_buf_printf(&b, ",\"message\":");
		cli_json_str(&b, msg);
		tk_buf_printf(&b, "}}\n");
		flush(c, &b);
	} else {
		fprintf(c->err, "(error) %s: %s\n", tk_err_name(e), msg);
		fflush(c->err);
	}
	switch (e) {
	case TK_E_CONNECTION:
	case TK_E_TIMEOUT:
	case TK_E_CLOSED:
	case TK_E_VERSION_MISMATCH:
	case TK_E_PROTOCOL: return CLI_CONNECTION;
	default: return CLI_SERVER; /* BAD_CONFIG too: a value the scheduler refused */
	}
}

static int done(struct cli *c)
{
	fputs(c->fmt == CLI_JSON ? "{\"ok\":true}\n" : "OK\n", c->out);
	return CLI_OK;
}

static int sched(struct cli *c, struct tkv_sched **out)
{
	int st;
	if (!c->sched) {
		struct tkv_sched_config cfg;
		tkv_sched_config_default(&cfg);
		cfg.address = c->sched_addr ? c->sched_addr : "127.0.0.1:2379";
		cfg.name = "tinykv-cli";
		cfg.connect_timeout_ms = c->cfg.connect_timeout_ms;
		cfg.timeout_ms = c->cfg.timeout_ms;
		struct tk_errbuf eb;
		enum tk_err e = tkv_sched_connect(&cfg, &c->sched, &eb);
		if (e) {
			c->sched = NULL;
			st = fail(c, e, &eb);
			return e == TK_E_BAD_CONFIG ? CLI_USAGE : st; /* a malformed -s address */
		}
	}
	*out = c->sched;
	return CLI_OK;
}

static bool arg_is(struct tk_slice a, const char *s)
{
	return tk_slice_eq(a, tk_slice_str(s));
}

static bool arg_u64(struct tk_slice a, uint64_t *out)
{
	char buf[32];
	if (a.n == 0 || a.n >= sizeof buf)
		return false;
	memcpy(buf, a.p, a.n);
	buf[a.n] = 0;
	char *end;
	if (buf[0] == '-')
		return false;
	*out = strtoull(buf, &end, 10);
	return *end == 0;
}

static void arg_cstr(struct tk_slice a, char *buf, size_t cap)
{
	size_t n = a.n < cap - 1 ? a.n : cap - 1;
	memcpy(buf, a.p, n);
	buf[n] = 0;
}

static const struct cli_cmd *row(const char *name);

/* ---- store ---- */

static void size_h(struct tk_buf *b, uint64_t v)
{
	const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int i = 0;
	double d = (double)v;
	while (d >= 1024 && i < 4) {
		d /= 1024;
		i++;
	}
	tk_buf_printf(b, i ? "%.1f%s" : "%.0f%s", d, u[i]);
}

static int store_list(struct cli *c, struct tkv_sched *s)
{
	struct tkv_store_info *v;
	size_t n;
	struct tk_errbuf eb;
	enum tk_err e = tkv_sched_get_all_stores(s, false, &v, &n, &eb);
	if (e)
		return fail(c, e, &eb);
	struct tk_buf b;
	tk_buf_init(&b);
	if (c->fmt == CLI_JSON) {
		tk_buf_printf(&b, "{\"stores\":[");
		for (size_t i = 0; i < n; i++) {
			tk_buf_printf(&b, "%s{\"id\":%" PRIu64 ",\"addr\":", i ? "," : "", v[i].id);
			cli_json_str(&b, v[i].addr);
			tk_buf_printf(&b, ",\"state\":");
			cli_json_str(&b, v[i].state);
			tk_buf_printf(&b, ",\"regions\":%" PRIu64 ",\"leaders\":%" PRIu64
					  ",\"region_size\":%" PRIu64 ",\"capacity\":%" PRIu64
					  ",\"available\":%" PRIu64 ",\"heartbeat_age_ms\":%" PRIu64 "}",
				      v[i].region_count, v[i].leader_count, v[i].region_size, v[i].capacity,
				      v[i].available, v[i].hb_age_ms);
		}
		tk_buf_printf(&b, "]}\n");
	} else {
		tk_buf_printf(&b, "%-6s %-22s %-12s %8s %8s %10s %10s %10s\n", "ID", "ADDRESS", "STATE",
			      "REGIONS", "LEADERS", "SIZE", "AVAILABLE", "HEARTBEAT");
		for (size_t i = 0; i < n; i++) {
			struct tk_buf sz, av;
			tk_buf_init(&sz);
			tk_buf_init(&av);
			size_h(&sz, v[i].region_size);
			size_h(&av, v[i].available);
			tk_buf_append_byte(&sz, 0);
			tk_buf_append_byte(&av, 0);
			char hb[32];
			if (v[i].hb_age_ms)
				snprintf(hb, sizeof hb, "%.1fs ago", (double)v[i].hb_age_ms / 1000);
			else
				snprintf(hb, sizeof hb, "-");
			tk_buf_printf(&b, "%-6" PRIu64 " %-22s %-12s %8" PRIu64 " %8" PRIu64 " %10s %10s %10s\n",
				      v[i].id, v[i].addr, v[i].state, v[i].region_count, v[i].leader_count,
				      (char *)sz.data, (char *)av.data, hb);
			tk_buf_destroy(&sz);
			tk_buf_destroy(&av);
		}
		tk_buf_printf(&b, "(%zu stores)\n", n);
	}
	tkv_free(v);
	return flush(c, &b);
}

static int cmd_store(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	struct tkv_sched *s;
	int st = sched(c, &s);
	if (st)
		return st;
	if (argc == 2 && arg_is(argv[1], "list"))
		return store_list(c, s);
	uint64_t id;
	if (argc == 3 && (arg_is(argv[1], "offline") || arg_is(argv[1], "up"))) {
		if (!arg_u64(argv[2], &id))
			return cli_usage_error(c, row("store"), "store id must be a number");
		struct tk_errbuf eb;
		enum tk_err e = tkv_sched_store_offline(s, id, arg_is(argv[1], "up"), &eb);
		return e ? fail(c, e, &eb) : done(c);
	}
	return cli_usage_error(c, row("store"), "expected list, offline ID or up ID");
}

/* ---- region ---- */

static void region_json(struct tk_buf *b, const struct tkv_region_info *ri)
{
	const struct tkv_region *r = &ri->region;
	tk_buf_printf(b, "{\"id\":%" PRIu64 ",\"start\":", r->id);
	cli_json_bytes(b, r->start, r->start_len);
	tk_buf_printf(b, ",\"end\":");
	cli_json_bytes(b, r->end, r->end_len);
	tk_buf_printf(b, ",\"conf_ver\":%" PRIu64 ",\"version\":%" PRIu64 ",\"peers\":[", r->conf_ver,
		      r->version);
	for (size_t i = 0; i < r->n_peers; i++)
		tk_buf_printf(b, "%s{\"id\":%" PRIu64 ",\"store\":%" PRIu64 "}", i ? "," : "",
			      r->peers[i].id, r->peers[i].store_id);
	tk_buf_printf(b, "]");
	if (ri->leader.id) {
		tk_buf_printf(b, ",\"leader\":{\"id\":%" PRIu64 ",\"store\":%" PRIu64 "},\"leader_addr\":",
			      ri->leader.id, ri->leader.store_id);
		cli_json_str(b, ri->leader_addr);
	}
	tk_buf_printf(b, ",\"size\":%" PRIu64 ",\"keys\":%" PRIu64 ",\"pending\":%zu,\"down\":%zu}",
		      ri->size, ri->keys, ri->n_pending, ri->n_down);
}

static void region_human(struct tk_buf *b, const struct tkv_region_info *ri)
{
	cli_region_human(b, &ri->region, ri->leader.id);
	if (ri->leader.id)
		tk_buf_printf(b, " leader %" PRIu64 " (store %" PRIu64 " %s)", ri->leader.id,
			      ri->leader.store_id, ri->leader_addr);
	else
		tk_buf_printf(b, " leader unknown");
	tk_buf_printf(b, " size ");
	size_h(b, ri->size);
	tk_buf_printf(b, " keys %" PRIu64, ri->keys);
	if (ri->n_pending || ri->n_down)
		tk_buf_printf(b, " pending %zu down %zu", ri->n_pending, ri->n_down);
	tk_buf_append_byte(b, '\n');
}

static int region_list(struct cli *c, struct tkv_sched *s, const struct tk_slice *argv, size_t argc)
{
	struct tk_slice start = tk_slice_of("", 0);
	uint64_t limit = 0; /* all */
	for (size_t i = 2; i < argc; i++) {
		if (arg_is(argv[i], "--limit") && i + 1 < argc) {
			if (!arg_u64(argv[++i], &limit) || limit == 0)
				return cli_usage_error(c, row("region"), "--limit needs a positive number");
		} else if (start.n == 0) {
			start = argv[i];
		} else {
			return cli_usage_error(c, row("region"), "unexpected argument");
		}
	}
	struct tk_buf b;
	tk_buf_init(&b);
	bool json = c->fmt == CLI_JSON;
	if (json)
		tk_buf_printf(&b, "{\"regions\":[");
	/* page through the map: scan_regions answers at most 10,000 a time */
	struct tk_buf from;
	tk_buf_init(&from);
	tk_buf_append(&from, start.p, start.n);
	size_t total = 0;
	for (;;) {
		struct tkv_region_info *v;
		size_t n;
		bool more;
		struct tk_errbuf eb;
		uint32_t ask = 1000;
		if (limit && limit - total < ask)
			ask = (uint32_t)(limit - total);
		enum tk_err e = tkv_sched_scan_regions(s, from.data ? (void *)from.data : "", from.len, NULL,
						       0, ask, &v, &n, &more, &eb);
		if (e) {
			tk_buf_destroy(&b);
			tk_buf_destroy(&from);
			return fail(c, e, &eb);
		}
		for (size_t i = 0; i < n; i++) {
			if (json) {
				if (total + i)
					tk_buf_append_byte(&b, ',');
				region_json(&b, &v[i]);
			} else {
				region_human(&b, &v[i]);
			}
		}
		total += n;
		bool again = more && n > 0 && v[n - 1].region.end_len > 0 && (!limit || total < limit);
		if (again) {
			tk_buf_reset(&from);
			tk_buf_append(&from, v[n - 1].region.end, v[n - 1].region.end_len);
		}
		tkv_free(v);
		/* hand out what we have: a big map prints as it comes */
		fwrite(b.data, 1, b.len, c->out);
		tk_buf_reset(&b);
		if (!again)
			break;
	}
	tk_buf_destroy(&from);
	if (json)
		tk_buf_printf(&b, "]}\n");
	else
		tk_buf_printf(&b, "(%zu regions)\n", total);
	return flush(c, &b);
}

static int cmd_region(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	struct tkv_sched *s;
	int st = sched(c, &s);
	if (st)
		return st;
	if (arg_is(argv[1], "list"))
		return region_list(c, s, argv, argc);
	struct tkv_region_info *ri;
	struct tk_errbuf eb;
	enum tk_err e;
	uint64_t id;
	if (argc == 3 && arg_is(argv[1], "id")) {
		if (!arg_u64(argv[2], &id))
			return cli_usage_error(c, row("region"), "region id must be a number");
		e = tkv_sched_get_region_by_id(s, id, &ri, &eb);
	} else if (argc == 2) {
		e = tkv_sched_get_region(s, argv[1].p, argv[1].n, &ri, &eb);
	} else {
		return cli_usage_error(c, row("region"), "expected list, id ID or KEY");
	}
	if (e)
		return fail(c, e, &eb);
	struct tk_buf b;
	tk_buf_init(&b);
	if (c->fmt == CLI_JSON) {
		region_json(&b, ri);
		tk_buf_append_byte(&b, '\n');
	} else {
		region_human(&b, ri);
	}
	tkv_free(ri);
	return flush(c, &b);
}

/* ---- operator ---- */

static int cmd_operator(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	if (argc != 2 || !arg_is(argv[1], "list"))
		return cli_usage_error(c, row("operator"), "expected list");
	struct tkv_sched *s;
	int st = sched(c, &s);
	if (st)
		return st;
	struct tkv_op_info *v;
	size_t n;
	struct tk_errbuf eb;
	enum tk_err e = tkv_sched_list_operators(s, &v, &n, &eb);
	if (e)
		return fail(c, e, &eb);
	struct tk_buf b;
	tk_buf_init(&b);
	if (c->fmt == CLI_JSON)
		tk_buf_printf(&b, "{\"operators\":[");
	for (size_t i = 0; i < n; i++) {
		if (c->fmt == CLI_JSON) {
			tk_buf_printf(&b, "%s{\"region\":%" PRIu64 ",\"kind\":", i ? "," : "", v[i].region_id);
			cli_json_str(&b, v[i].kind);
			tk_buf_printf(&b, ",\"desc\":");
			cli_json_str(&b, v[i].desc);
			tk_buf_printf(&b, ",\"steps\":[");
			for (size_t j = 0; j < v[i].n_steps; j++)
				tk_buf_printf(&b, "%s{\"kind\":\"%s\",\"peer\":%" PRIu64 ",\"store\":%" PRIu64 "}",
					      j ? "," : "", tkv_step_kind_name(v[i].steps[j].kind),
					      v[i].steps[j].peer_id, v[i].steps[j].store_id);
			tk_buf_printf(&b, "],\"cur\":%zu,\"age_ms\":%" PRIu64 "}", v[i].cur, v[i].age_ms);
		} else {
			tk_buf_printf(&b, "region %" PRIu64 " %s (%s), %.1fs old:", v[i].region_id, v[i].desc,
				      v[i].kind, (double)v[i].age_ms / 1000);
			for (size_t j = 0; j < v[i].n_steps; j++)
				tk_buf_printf(&b, " %s%s(peer %" PRIu64 " store %" PRIu64 ")",
					      j == v[i].cur ? ">" : "", tkv_step_kind_name(v[i].steps[j].kind),
					      v[i].steps[j].peer_id, v[i].steps[j].store_id);
			tk_buf_append_byte(&b, '\n');
		}
	}
	if (c->fmt == CLI_JSON)
		tk_buf_printf(&b, "]}\n");
	else
		tk_buf_printf(&b, "(%zu operators)\n", n);
	tkv_free(v);
	return flush(c, &b);
}

/* ---- scheduler ---- */

static int cmd_scheduler(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	struct tkv_sched *s;
	struct tk_errbuf eb;
	enum tk_err e;
	bool list = argc == 2 && arg_is(argv[1], "list");
	bool add = argc == 3 && arg_is(argv[1], "add");
	bool rm = argc == 3 && arg_is(argv[1], "remove");
	if (!list && !add && !rm)
		return cli_usage_error(c, row("scheduler"), "expected list, add NAME or remove NAME");
	int st = sched(c, &s);
	if (st)
		return st;
	if (!list) {
		char name[64];
		arg_cstr(argv[2], name, sizeof name);
		e = add ? tkv_sched_add_scheduler(s, name, &eb) : tkv_sched_remove_scheduler(s, name, &eb);
		return e ? fail(c, e, &eb) : done(c);
	}
	char **active, **avail;
	if ((e = tkv_sched_list_schedulers(s, &active, &avail, &eb)))
		return fail(c, e, &eb);
	struct tk_buf b;
	tk_buf_init(&b);
	if (c->fmt == CLI_JSON) {
		tk_buf_printf(&b, "{\"active\":[");
		for (size_t i = 0; active[i]; i++) {
			if (i)
				tk_buf_append_byte(&b, ',');
			cli_json_str(&b, active[i]);
		}
		tk_buf_printf(&b, "],\"available\":[");
		for (size_t i = 0; avail[i]; i++) {
			if (i)
				tk_buf_append_byte(&b, ',');
			cli_json_str(&b, avail[i]);
		}
		tk_buf_printf(&b, "]}\n");
	} else {
		for (size_t i = 0; avail[i]; i++) {
			bool on = false;
			for (size_t j = 0; active[j]; j++)
				on = on || !strcmp(active[j], avail[i]);
			tk_buf_printf(&b, "%-20s %s\n", avail[i], on ? "active" : "inactive");
		}
	}
	tkv_free(active);
	tkv_free(avail);
	return flush(c, &b);
}

/* ---- config ---- */

static int cmd_config(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	struct tkv_sched *s;
	struct tk_errbuf eb;
	enum tk_err e;
	bool show = (argc == 2 || argc == 3) && arg_is(argv[1], "show");
	bool set = argc == 4 && arg_is(argv[1], "set");
	if (!show && !set)
		return cli_usage_error(c, row("config"), "expected show [NAME] or set NAME VALUE");
	int st = sched(c, &s);
	if (st)
		return st;
	char name[64], value[128];
	if (argc >= 3)
		arg_cstr(argv[2], name, sizeof name);
	if (set) {
		arg_cstr(argv[3], value, sizeof value);
		e = tkv_sched_set_config(s, name, value, &eb);
		return e ? fail(c, e, &eb) : done(c);
	}
	struct tkv_setting *v;
	size_t n;
	if ((e = tkv_sched_get_config(s, argc == 3 ? name : NULL, &v, &n, &eb)))
		return fail(c, e, &eb);
	struct tk_buf b;
	tk_buf_init(&b);
	if (c->fmt == CLI_JSON)
		tk_buf_append_byte(&b, '{');
	for (size_t i = 0; i < n; i++) {
		if (c->fmt == CLI_JSON) {
			if (i)
				tk_buf_append_byte(&b, ',');
			cli_json_str(&b, v[i].name);
			tk_buf_append_byte(&b, ':');
			cli_json_str(&b, v[i].value);
		} else {
			tk_buf_printf(&b, "%s = %s\n", v[i].name, v[i].value);
		}
	}
	if (c->fmt == CLI_JSON)
		tk_buf_printf(&b, "}\n");
	tkv_free(v);
	return flush(c, &b);
}

/* ---- tso ---- */

static int cmd_tso(struct cli *c, const struct tk_slice *argv, size_t argc)
{
	uint64_t count = 1;
	if (argc == 2 && (!arg_u64(argv[1], &count) || count == 0))
		return cli_usage_error(c, row("tso"), "COUNT must be a positive number");
	struct tkv_sched *s;
	int st = sched(c, &s);
	if (st)
		return st;
	uint64_t ts;
	struct tk_errbuf eb;
	enum tk_err e = tkv_sched_get_ts(s, count, &ts, &eb);
	if (e)
		return fail(c, e, &eb);
	uint64_t phys = ts >> 18, logical = ts & ((1u << 18) - 1);
	if (c->fmt == CLI_JSON)
		fprintf(c->out, "{\"ts\":%" PRIu64 ",\"count\":%" PRIu64 ",\"physical_ms\":%" PRIu64
				",\"logical\":%" PRIu64 "}\n",
			ts, count, phys, logical);
	else if (c->fmt == CLI_RAW)
		fprintf(c->out, "%" PRIu64 "\n", ts);
	else
		fprintf(c->out, "%" PRIu64 " (physical %" PRIu64 " ms, logical %" PRIu64 ")%s\n", ts, phys,
			logical, count > 1 ? " and the next ones of the batch" : "");
	return CLI_OK;
}

const struct cli_cmd cli_sched_cmds[] = {
	{"store", NULL, "list | offline ID | up ID",
	 "scheduler: list stores; take a store out (its replicas move away) or bring it back", 1, 2,
	 false, cmd_store, "list offline up", false},
	{"region", NULL, "KEY | id ID | list [START] [--limit N]",
	 "scheduler: the region holding KEY, a region by id, or every region in key order", 1, 4,
	 false, cmd_region, "list id --limit", false},
	{"operator", NULL, "list", "scheduler: running operators", 1, 1, false, cmd_operator, "list", false},
	{"scheduler", NULL, "list | add NAME | remove NAME",
	 "scheduler: the balance schedulers, and starting or stopping one", 1, 2, false, cmd_scheduler,
	 "list add remove add/balance-leader add/balance-region remove/balance-leader "
	 "remove/balance-region",
	 false},
	{"config", NULL, "show [NAME] | set NAME VALUE",
	 "scheduler: settings such as max-replicas, max-store-down-time, region-split-size", 1, 3,
	 false, cmd_config, "show set", false},
	{"tso", NULL, "[COUNT]", "scheduler: a timestamp (or COUNT of them; prints the first)", 0, 1,
	 false, cmd_tso, NULL, false},
	{NULL, NULL, NULL, NULL, 0, 0, false, NULL, NULL, false},
};

static const struct cli_cmd *row(const char *name)
{
	for (const struct cli_cmd *cmd = cli_sched_cmds; cmd->name; cmd++)
		if (!strcmp(cmd->name, name))
			return cmd;
	return NULL;
}
