#include "net/options.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/schema.h"
#include "config.h"

void net_config_default(struct net_config *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->listen, sizeof c->listen, "127.0.0.1:20160");
	snprintf(c->status_addr, sizeof c->status_addr, "127.0.0.1:20180");
	snprintf(c->data_dir, sizeof c->data_dir, "./tinykv-data");
	c->log_level = TK_LOG_INFO;
	c->sync = true;
	c->max_frame = 4u << 20;
	c->max_conns = 10000;
	c->idle_timeout_s = 300;
	c->output_limit = 8u << 20;
	c->max_scan_limit = 10000;
	c->heartbeat_interval_ms = 1000;
	c->max_pending_proposals = 256;
	eng_options_default(&c->eng);
	c->eng.create_if_missing = true;
}

static bool parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
		*out = false;
	else
		return false;
	return true;
}

/* "64M", "4KiB", "1g", "123" -> bytes */
static bool parse_size(const char *v, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || end == v || *v == '-')
		return false;
	uint64_t mult = 1;
	if (*end) {
		switch (tolower((unsigned char)*end)) {
		case 'k': mult = 1ull << 10; break;
		case 'm': mult = 1ull << 20; break;
		case 'g': mult = 1ull << 30; break;
		default: return false;
		}
		end++;
		if (!strcasecmp(end, "ib") || !strcasecmp(end, "b"))
			end += strlen(end);
		if (*end)
			return false;
	}
	if (n > UINT64_MAX / mult)
		return false;
	*out = n * mult;
	return true;
}

bool net_parse_addr(const char *addr, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon = strrchr(addr, ':');
	if (!colon || colon == addr || (size_t)(colon - addr) >= hostlen)
		return false;
	char *end;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (*end || colon[1] == 0 || p > 65535)
		return false;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = 0;
	*port = (uint16_t)p;
	return true;
}

/* A numeric host:port (what a reactor may connect to without resolving);
 * *wildcard (may be NULL) says whether the host is the any-address. */
static bool numeric_addr(const char *addr, bool *wildcard)
{
	char host[128];
	uint16_t port;
	unsigned char buf[sizeof(struct in6_addr)];
	static const unsigned char zero[sizeof(struct in6_addr)];
	if (!net_parse_addr(addr, host, sizeof host, &port))
		return false;
	size_t n = strlen(host), len = 4;
	bool ok;
	if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = 0;
		ok = inet_pton(AF_INET6, host, buf) == 1;
		len = 16;
	} else {
		ok = inet_pton(AF_INET, host, buf) == 1;
	}
	if (ok && wildcard)
		*wildcard = memcmp(buf, zero, len) == 0;
	return ok;
}

bool net_addr_advertisable(const char *addr, char *why, size_t whylen)
{
	char host[128];
	uint16_t port;
	bool wildcard = false;
	if (!numeric_addr(addr, &wildcard) || !net_parse_addr(addr, host, sizeof host, &port)) {
		snprintf(why, whylen, "'%s' is not a numeric host:port", addr);
		return false;
	}
	if (wildcard) {
		snprintf(why, whylen, "'%s' is a wildcard address, which others cannot connect to", addr);
		return false;
	}
	if (port == 0) {
		snprintf(why, whylen, "'%s' has port 0, which others cannot connect to", addr);
		return false;
	}
	return true;
}

/* "1s", "500ms", "250" (milliseconds) -> milliseconds */
static bool parse_ms(const char *v, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || end == v || *v == '-' || !isdigit((unsigned char)*v))
		return false;
	uint64_t mult = 1;
	if (!strcmp(end, "s"))
		mult = 1000;
	else if (*end && strcmp(end, "ms"))
		return false;
	if (n > UINT64_MAX / mult)
		return false;
	*out = n * mult;
	return true;
}

enum kind { K_STR, K_BOOL, K_SIZE, K_U32, K_U64, K_LEVEL, K_INT, K_MS };

struct option_def {
	const char *key;
	enum kind kind;
	size_t offset;
	uint64_t min, max;
	const char *help;
};

#define OFF(f) offsetof(struct net_config, f)
static const struct option_def options[] = {
	{"listen", K_STR, OFF(listen), 0, sizeof(((struct net_config *)0)->listen), "host:port for clients (default 127.0.0.1:20160)"},
	{"status-addr", K_STR, OFF(status_addr), 0, sizeof(((struct net_config *)0)->status_addr), "host:port for HTTP /status and /metrics, \"off\" to disable (default 127.0.0.1:20180)"},
	{"data-dir", K_STR, OFF(data_dir), 0, sizeof(((struct net_config *)0)->data_dir), "data directory (default ./tinykv-data)"},
	{"log-file", K_STR, OFF(log_file), 0, sizeof(((struct net_config *)0)->log_file), "log to this file instead of stderr (reopened on SIGHUP)"},
	{"log-level", K_LEVEL, OFF(log_level), 0, 0, "debug, info, warn, error (default info)"},
	{"sync", K_BOOL, OFF(sync), 0, 0, "fsync the log before acknowledging writes: on|off (default on)"},
	{"max-frame", K_SIZE, OFF(max_frame), 1024, (16u << 20) - 1, "largest frame payload accepted (default 4M, at most 16M-1; tinykvd: at least 4178944)"},
	{"max-conns", K_U32, OFF(max_conns), 1, 1000000, "most client connections at once (default 10000)"},
	{"idle-timeout", K_U32, OFF(idle_timeout_s), 0, 86400 * 365, "close connections idle this many seconds; 0 = never (default 300)"},
	{"output-limit", K_SIZE, OFF(output_limit), 64 << 10, 1ull << 32, "per-connection unsent output before reading pauses (default 8M)"},
	{"max-scan-limit", K_U32, OFF(max_scan_limit), 1, 1000000, "cap on a scan's limit (default 10000)"},
	{"cluster-id", K_U64, OFF(cluster_id), 0, UINT64_MAX, "expected cluster id of the data dir (0 = accept the recorded one)"},
	{"store-id", K_U64, OFF(store_id), 0, UINT64_MAX, "expected store id of the data dir (0 = accept the recorded one; a new standalone store records 1)"},
	{"scheduler", K_STR, OFF(scheduler), 0, sizeof(((struct net_config *)0)->scheduler), "numeric host:port of tinykv-scheduler: join its cluster (default: none, standalone)"},
	{"advertise-addr", K_STR, OFF(advertise_addr), 0, sizeof(((struct net_config *)0)->advertise_addr), "host:port others reach this store at (default: the listen address)"},
	{"heartbeat-interval", K_MS, OFF(heartbeat_interval_ms), 10, 3600000, "store and region heartbeats to the scheduler, e.g. 1s, 500ms (default 1s)"},
	{"max-pending-proposals", K_U32, OFF(max_pending_proposals), 1, 1000000, "proposals (one per reactor iteration with writes) waiting for their apply; more writes get SERVER_IS_BUSY (default 256)"},
	{"block-cache", K_SIZE, OFF(eng.block_cache_bytes), 0, 1ull << 40, "LevelDB block cache (default 64M)"},
	{"write-buffer", K_SIZE, OFF(eng.write_buffer_bytes), 64 << 10, 1ull << 32, "LevelDB memtable size (default 8M)"},
	{"bloom-bits", K_INT, OFF(eng.bloom_bits_per_key), 0, 64, "bloom filter bits per key, 0 = none (default 10)"},
	{"compression", K_BOOL, OFF(eng.compression), 0, 0, "snappy block compression: on|off (default on)"},
	{"max-open-files", K_INT, OFF(eng.max_open_files), 64, 1000000, "LevelDB open table files (default 1000)"},
};
#define NOPTIONS (sizeof options / sizeof options[0])

enum tk_err net_config_set(struct net_config *c, const char *key, const char *value,
			   struct tk_errbuf *eb)
{
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct option_def *o = &options[i];
		if (strcmp(o->key, key) != 0)
			continue;
		if (!value)
			return TK_OK; /* a probe: the key is known */
		void *slot = (char *)c + o->offset;
		uint64_t n;
		switch (o->kind) {
		case K_STR:
			if (strlen(value) >= o->max)
				return tk_err_set(eb, TK_E_BAD_CONFIG, "%s: value too long", key);
			if (!strcmp(key, "status-addr") && !strcmp(value, "off"))
				value = "";
			strcpy(slot, value);
			return TK_OK;
		case K_BOOL:
			if (!parse_bool(value, slot))
				return tk_err_set(eb, TK_E_BAD_CONFIG, "%s: expected on or off, got '%s'", key, value);
			return TK_OK;
		case K_MS:
			if (!parse_ms(value, &n))
				return tk_err_set(eb, TK_E_BAD_CONFIG,
						  "%s: expected a duration (e.g. 1s, 500ms), got '%s'", key, value);
			if (n < o->min || n > o->max)
				return tk_err_set(eb, TK_E_BAD_CONFIG, "%s: %s is out of range [%llums, %llums]",
						  key, value, (unsigned long long)o->min, (unsigned long long)o->max);
			*(uint32_t *)slot = (uint32_t)n;
			return TK_OK;
		case K_LEVEL:
			if (!tk_log_parse_level(value, slot))
				return tk_err_set(eb, TK_E_BAD_CONFIG,
						  "%s: expected debug, info, warn or error, got '%s'", key, value);
			return TK_OK;
		case K_SIZE:
		case K_U32:
		case K_U64:
		case K_INT:
			if (!parse_size(value, &n) || (o->kind != K_SIZE && strspn(value, "0123456789") != strlen(value)))
				return tk_err_set(eb, TK_E_BAD_CONFIG, "%s: expected a %s, got '%s'", key,
						  o->kind == K_SIZE ? "size (e.g. 64M)" : "number", value);
			if (n < o->min || n > o->max)
				return tk_err_set(eb, TK_E_BAD_CONFIG, "%s: %s is out of range [%llu, %llu]", key,
						  value, (unsigned long long)o->min, (unsigned long long)o->max);
			if (!strcmp(key, "max-frame") || o->kind == K_U32)
				*(uint32_t *)slot = (uint32_t)n;
			else if (o->kind == K_INT)
				*(int *)slot = (int)n;
			else if (o->kind == K_U64)
				*(uint64_t *)slot = n;
			else
				*(size_t *)slot = (size_t)n;
			return TK_OK;
		}
	}
	return tk_err_set(eb, TK_E_BAD_CONFIG, "unknown setting '%s' (see tinykvd --help)", key);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: tinykvd [options]\n"
		     "The tinykv store daemon: serves the raw and transactional KV APIs over the\n"
		     "tinykv protocol (framed msgpack and an inline text protocol for netcat),\n"
		     "alone (standalone mode) or as a store of tinykv-scheduler's cluster.\n\n"
		     "options (each also a config file key without the dashes):\n");
	for (size_t i = 0; i < NOPTIONS; i++)
		fprintf(out, "  --%-16s %s\n", options[i].key, options[i].help);
	fprintf(out, "  --%-16s %s\n", "config FILE", "read `key = value` settings from FILE (flags win)");
	fprintf(out, "  --%-16s %s\n", "check-config", "validate the configuration and exit (0 when valid)");
	fprintf(out, "  --%-16s %s\n", "help", "print this help and exit");
	fprintf(out, "  --%-16s %s\n", "version", "print the version and build information and exit");
	fprintf(out, "\nsignals: TERM/INT shut down cleanly, HUP reopens the log file.\n"
		     "See tinykvd(8) and tinykv-protocol(7).\n");
}

static enum tk_err load_file(const struct net_opts_spec *spec, const char *path,
			     struct tk_errbuf *eb)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return tk_err_set(eb, TK_E_BAD_CONFIG, "config file %s: %s", path, strerror(errno));
	char line[2048];
	int lineno = 0;
	enum tk_err e = TK_OK;
	while (!e && fgets(line, sizeof line, f)) {
		lineno++;
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		char *end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = 0;
		if (*p == 0 || *p == '#')
			continue;
		char *eq = strchr(p, '=');
		if (!eq) {
			e = tk_err_set(eb, TK_E_BAD_CONFIG, "%s:%d: expected `key = value`", path, lineno);
			break;
		}
		char *kend = eq;
		while (kend > p && isspace((unsigned char)kend[-1]))
			kend--;
		*kend = 0;
		char *v = eq + 1;
		while (isspace((unsigned char)*v))
			v++;
		if (*v == '"' && end > v + 1 && end[-1] == '"') {
			v++;
			end[-1] = 0;
		}
		e = spec->set(spec->ctx, p, v, eb);
		if (e)
			tk_err_wrap(eb, e, "%s:%d", path, lineno);
	}
	fclose(f);
	return e;
}

enum tk_err net_opts_parse(const struct net_opts_spec *spec, int argc, char **argv,
			   struct tk_errbuf *eb)
{
	struct net_config *c = spec->cfg;
	/* first pass: --config, --help, --version; the file is loaded before
	 * the other flags so that flags win */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			spec->usage(stdout);
			return TK_E_NOT_FOUND;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("%s %s (protocol %d; %s; built %s)\n", spec->program, PACKAGE_VERSION,
			       TK_PROTO_VERSION, TK_BUILD_INFO, __DATE__);
			return TK_E_NOT_FOUND;
		}
		if (!strncmp(argv[i], "--config", 8) && (argv[i][8] == 0 || argv[i][8] == '=')) {
			const char *v = argv[i][8] == '=' ? argv[i] + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v)
				return tk_err_set(eb, TK_E_BAD_CONFIG, "--config needs a file name");
			snprintf(c->config_file, sizeof c->config_file, "%s", v);
		}
	}
	if (c->config_file[0]) {
		enum tk_err e = load_file(spec, c->config_file, eb);
		if (e)
			return e;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strncmp(a, "--config", 8) && (a[8] == 0 || a[8] == '=')) {
			if (a[8] != '=')
				i++;
			continue;
		}
		if (!strcmp(a, "--check-config")) {
			c->check_only = true;
			continue;
		}
		if (strncmp(a, "--", 2) != 0)
			return tk_err_set(eb, TK_E_BAD_CONFIG, "unexpected argument '%s' (see --help)", a);
		char key[64];
		const char *eq = strchr(a, '=');
		const char *value;
		size_t klen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (klen >= sizeof key)
			return tk_err_set(eb, TK_E_BAD_CONFIG, "unknown option '%s'", a);
		memcpy(key, a + 2, klen);
		key[klen] = 0;
		/* a flag nobody knows is unknown, whatever follows it */
		if (spec->set(spec->ctx, key, NULL, eb) != TK_OK)
			return tk_err_set(eb, TK_E_BAD_CONFIG, "unknown option '--%s' (see --help)", key);
		if (eq) {
			value = eq + 1;
		} else {
			if (i + 1 >= argc)
				return tk_err_set(eb, TK_E_BAD_CONFIG, "option --%s needs a value", key);
			value = argv[++i];
		}
		enum tk_err e = spec->set(spec->ctx, key, value, eb);
		if (e)
			return e;
	}
	char host[128];
	uint16_t port;
	if (!net_parse_addr(c->listen, host, sizeof host, &port))
		return tk_err_set(eb, TK_E_BAD_CONFIG, "listen: expected host:port, got '%s'", c->listen);
	if (c->status_addr[0] && !net_parse_addr(c->status_addr, host, sizeof host, &port))
		return tk_err_set(eb, TK_E_BAD_CONFIG, "status-addr: expected host:port or off, got '%s'",
				  c->status_addr);
	if (!c->data_dir[0])
		return tk_err_set(eb, TK_E_BAD_CONFIG, "data-dir must not be empty");
	if (c->scheduler[0] && !numeric_addr(c->scheduler, NULL))
		return tk_err_set(eb, TK_E_BAD_CONFIG,
				  "scheduler: expected a numeric host:port (no name lookups in the "
				  "reactor), got '%s'", c->scheduler);
	char why[192];
	if (c->advertise_addr[0] && !net_addr_advertisable(c->advertise_addr, why, sizeof why))
		return tk_err_set(eb, TK_E_BAD_CONFIG, "advertise-addr: %s", why);
	return TK_OK;
}

static enum tk_err set_cb(void *ctx, const char *key, const char *value, struct tk_errbuf *eb)
{
	return net_config_set(ctx, key, value, eb);
}

enum tk_err net_config_parse(struct net_config *c, int argc, char **argv, struct tk_errbuf *eb)
{
	struct net_opts_spec spec = {"tinykvd", c, c, set_cb, usage};
	return net_opts_parse(&spec, argc, argv, eb);
}
