/* tinykv-scheduler's flags and config file (see sched_opts.h). */
#include "schedd/opts.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "codec/schema.h"
#include "scheduler/sched_config.h"

/* The server core's settings that mean something for the scheduler. */
static const struct {
	const char *key;
	const char *help;
} srv_keys[] = {
	{"listen", "host:port for stores and clients (default 127.0.0.1:2379)"},
	{"status-addr", "host:port for HTTP /status and /metrics, \"off\" to disable (default 127.0.0.1:2380)"},
	{"data-dir", "data directory (default ./tinykv-scheduler-data)"},
	{"log-file", "log to this file instead of stderr (reopened on SIGHUP)"},
	{"log-level", "debug, info, warn, error (default info)"},
	{"cluster-id", "cluster id: 0 = the recorded one, or a new generated one (default 0)"},
	{"max-frame", "largest frame payload accepted (default 4M, at most 16M-1)"},
	{"max-conns", "most connections at once (default 10000)"},
	{"idle-timeout", "close connections idle this many seconds; 0 = never (default 0)"},
	{"output-limit", "per-connection unsent output before reading pauses (default 8M)"},
	{"block-cache", "LevelDB block cache (default 8M)"},
	{"write-buffer", "LevelDB memtable size (default 4M)"},
};
#define NSRV (sizeof srv_keys / sizeof srv_keys[0])

void sched_opts_default(struct sched_opts *o)
{
	memset(o, 0, sizeof *o);
	net_config_default(&o->srv);
	snprintf(o->srv.listen, sizeof o->srv.listen, "127.0.0.1:2379");
	snprintf(o->srv.status_addr, sizeof o->srv.status_addr, "127.0.0.1:2380");
	snprintf(o->srv.data_dir, sizeof o->srv.data_dir, "./tinykv-scheduler-data");
	/* stores keep one connection open for years between quiet periods */
	o->srv.idle_timeout_s = 0;
	/* metadata is small: no need for tinykvd's caches */
	o->srv.eng.block_cache_bytes = 8u << 20;
	o->srv.eng.write_buffer_bytes = 4u << 20;
	o->schedule_interval_ms = 1000;
}

enum tk_err sched_opts_set(struct sched_opts *o, const char *key, const char *value,
			   struct tk_errbuf *eb)
{
	if (!value) { /* a probe: is the key known? */
		if (!strcmp(key, "schedule-interval") || sched_config_find(key))
			return TK_OK;
		for (size_t i = 0; i < NSRV; i++)
			if (!strcmp(srv_keys[i].key, key))
				return TK_OK;
		return TK_E_NOT_FOUND;
	}
	if (!strcmp(key, "schedule-interval")) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(value, &end, 10);
		if (errno || end == value || (*end && strcmp(end, "ms")) || v < 10 || v > 3600000)
			return tk_err_set(eb, TK_E_BAD_CONFIG,
					  "schedule-interval: expected milliseconds in [10, 3600000], got '%s'",
					  value);
		o->schedule_interval_ms = (uint32_t)v;
		return TK_OK;
	}
	if (sched_config_find(key)) {
		/* validate now (so --check-config sees it), apply after loading */
		struct sched_config tmp;
		sched_config_default(&tmp);
		struct tk_errbuf why;
		if (sched_config_set(&tmp, key, value, &why))
			return tk_err_set(eb, TK_E_BAD_CONFIG, "%s", why.msg);
		if (o->n_settings == SCHED_OPTS_MAX_SETTINGS)
			return tk_err_set(eb, TK_E_BAD_CONFIG, "too many scheduler settings");
		if (strlen(key) >= sizeof o->settings[0].name || strlen(value) >= sizeof o->settings[0].value)
			return tk_err_set(eb, TK_E_BAD_CONFIG, "%s: value too long", key);
		unsigned i;
		for (i = 0; i < o->n_settings; i++) /* a later one (a flag) wins */
			if (!strcmp(o->settings[i].name, key))
				break;
		if (i == o->n_settings)
			o->n_settings++;
		snprintf(o->settings[i].name, sizeof o->settings[i].name, "%s", key);
		snprintf(o->settings[i].value, sizeof o->settings[i].value, "%s", value);
		return TK_OK;
	}
	for (size_t i = 0; i < NSRV; i++)
		if (!strcmp(srv_keys[i].key, key))
			return net_config_set(&o->srv, key, value, eb);
	return tk_err_set(eb, TK_E_BAD_CONFIG, "unknown setting '%s' (see tinykv-scheduler --help)", key);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: tinykv-scheduler [options]\n"
		     "The tinykv scheduler: cluster bootstrap, ids, timestamps (TSO), the cluster\n"
		     "map, routing and replica scheduling, over the tinykv protocol.\n\n"
		     "options (each also a config file key without the dashes):\n");
	for (size_t i = 0; i < NSRV; i++)
		fprintf(out, "  --%-24s %s\n", srv_keys[i].key, srv_keys[i].help);
	fprintf(out, "  --%-24s %s\n", "schedule-interval MS", "how often the schedulers run (default 1000)");
	fprintf(out, "\nscheduler settings (also changed at run time with `tinykv-cli config set`;\n"
		     "given here they override the persisted value):\n");
	size_t n;
	const struct sched_config_setting *s = sched_config_settings(&n);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  --%-24s %s\n", s[i].name, s[i].help);
	fprintf(out, "\n  --%-24s %s\n", "config FILE", "read `key = value` settings from FILE (flags win)");
	fprintf(out, "  --%-24s %s\n", "check-config", "validate the configuration and exit (0 when valid)");
	fprintf(out, "  --%-24s %s\n", "help", "print this help and exit");
	fprintf(out, "  --%-24s %s\n", "version", "print the version and exit");
	fprintf(out, "\nsignals: TERM/INT shut down cleanly, HUP reopens the log file.\n"
		     "See tinykv-scheduler(8) and tinykv-protocol(7).\n");
}

static enum tk_err set_cb(void *ctx, const char *key, const char *value, struct tk_errbuf *eb)
{
	return sched_opts_set(ctx, key, value, eb);
}

enum tk_err sched_opts_parse(struct sched_opts *o, int argc, char **argv, struct tk_errbuf *eb)
{
	struct net_opts_spec spec = {"tinykv-scheduler", &o->srv, o, set_cb, usage};
	return net_opts_parse(&spec, argc, argv, eb);
}
