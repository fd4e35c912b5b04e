/* tinykv-bench command line: the defaults, the help text and option table,
 * number parsers, then one parser per group of options (target, load,
 * workload) and settle(), which applies the defaults that depend on the
 * mode and the checks across options. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "config.h"

void bench_config_default(struct bench_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->address, sizeof(c->address), "127.0.0.1:20160");
	c->connections = 50;
	c->pipeline = 16;
	c->threads = 1;
	c->keyspace = 100000;
	c->value_size = 100;
	c->mix[OP_GET] = 90;
	c->mix[OP_PUT] = 10;
	c->scan_limit = 10;
	c->duration_s = 10;
	c->timeout_ms = 10000;
	c->seed = 1;
	c->mode = MODE_KV;
	snprintf(c->scheduler, sizeof(c->scheduler), "127.0.0.1:2379");
	c->tso_batch = 100;
	c->txn_keys = 1;
}

const char *bench_mode_name(enum bench_mode m)
{
	return m == MODE_TSO ? "tso" : m == MODE_TXN ? "txn" : "kv";
}

bool bench_txn_is_abort(enum tk_err e)
{
	/* The outcomes tkv_txn_run retries: another transaction won. */
	return e == TK_E_WRITE_CONFLICT || e == TK_E_TXN_ROLLED_BACK || e == TK_E_TXN_NOT_FOUND ||
	       e == TK_E_KEY_LOCKED;
}

static const char usage[] =
    "Usage: tinykv-bench [OPTION]...\n"
    "Load a tinykvd server with pipelined GET/PUT/SCAN requests (or\n"
    "tinykv-scheduler with get_ts, or both with transactions) and report\n"
    "throughput and latency percentiles.\n"
    "\n"
    "  -m, --mode kv|tso|txn    what to measure (default kv):\n"
    "                             kv   raw GET/PUT/SCAN requests to tinykvd\n"
    "                             tso  get_ts requests to tinykv-scheduler\n"
    "                             txn  transactions: read and write\n"
    "                                  --txn-keys keys, commit\n"
    "  -a, --address HOST:PORT  server (default 127.0.0.1:20160)\n"
    "  -s, --scheduler HOST:PORT  tinykv-scheduler for tso and txn\n"
    "                           (default 127.0.0.1:2379; tso: -a if no -s)\n"
    "  -c, --connections N      connections (default 50; tso, txn: 4)\n"
    "  -P, --pipeline N         requests in flight per connection (default 16;\n"
    "                           tso: 1)\n"
    "      --threads N          threads, one event loop each (default 1;\n"
    "                           txn: one worker thread per connection)\n"
    "      --tso-batch N        timestamps per get_ts (default 100)\n"
    "      --txn-keys N         keys per transaction (default 1)\n"
    "  -k, --keyspace N         number of distinct keys (default 100000)\n"
    "  -d, --value-size BYTES   value size of puts (default 100)\n"
    "      --mix G:P:S          get:put:scan weights (default 90:10:0)\n"
    "  -t, --type get|put|scan  only this request type (same as --mix)\n"
    "      --scan-limit N       pairs per scan (default 10)\n"
    "  -n, --requests N         send N requests (txn: transactions) in total\n"
    "  -D, --duration SECONDS   run this long (default 10 unless -n)\n"
    "      --rate N             open loop: N requests/s in total at fixed\n"
    "                           intervals, latency from the scheduled time\n"
    "      --zipf [THETA]       zipfian keys, skew THETA in (0,1) (default 0.99)\n"
    "      --preload            write every key of the keyspace first\n"
    "      --timeout MS         request timeout (default 10000, 0 = none)\n"
    "      --seed N             random seed (default 1)\n"
    "      --json               print the result as one JSON object\n"
    "  -q, --quiet              no progress line\n"
    "  -h, --help               this help\n"
    "  -V, --version            version\n"
    "\n"
    "Counts accept a k, m or g suffix (x1000).  See tinykv-bench(1).\n";

enum {
	O_THREADS = 256,
	O_MIX,
	O_SCAN_LIMIT,
	O_RATE,
	O_ZIPF,
	O_PRELOAD,
	O_TIMEOUT,
	O_SEED,
	O_JSON,
	O_TSO_BATCH,
	O_TXN_KEYS,
};

static const struct option long_opts[] = {
    {"mode", required_argument, NULL, 'm'},
    {"address", required_argument, NULL, 'a'},
    {"scheduler", required_argument, NULL, 's'},
    {"tso-batch", required_argument, NULL, O_TSO_BATCH},
    {"txn-keys", required_argument, NULL, O_TXN_KEYS},
    {"connections", required_argument, NULL, 'c'},
    {"pipeline", required_argument, NULL, 'P'},
    {"threads", required_argument, NULL, O_THREADS},
    {"keyspace", required_argument, NULL, 'k'},
    {"value-size", required_argument, NULL, 'd'},
    {"mix", required_argument, NULL, O_MIX},
    {"type", required_argument, NULL, 't'},
    {"scan-limit", required_argument, NULL, O_SCAN_LIMIT},
    {"requests", required_argument, NULL, 'n'},
    {"duration", required_argument, NULL, 'D'},
    {"rate", required_argument, NULL, O_RATE},
    {"zipf", optional_argument, NULL, O_ZIPF},
    {"preload", no_argument, NULL, O_PRELOAD},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"seed", required_argument, NULL, O_SEED},
    {"json", no_argument, NULL, O_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* An unsigned count with an optional k/m/g (decimal) suffix, in [lo, hi]. */
static bool parse_count(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (!*s || *s == '-')
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	uint64_t mul = 1;
	if (*end == 'k' || *end == 'K')
		mul = 1000;
	else if (*end == 'm' || *end == 'M')
		mul = 1000000;
	else if (*end == 'g' || *end == 'G')
		mul = 1000000000;
	if (mul != 1)
		end++;
	if (*end || (v && (uint64_t)v > UINT64_MAX / mul))
		return false;
	v *= mul;
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool parse_double(const char *s, double lo, double hi, double *out)
{
	errno = 0;
	char *end;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

bool bench_parse_mix(const char *s, unsigned mix[OP__COUNT])
{
	unsigned m[OP__COUNT] = {0};
	unsigned long total = 0;
	const char *p = s;
	for (int i = 0; i < OP__COUNT; i++) {
		if (*p < '0' || *p > '9')
			return false;
		errno = 0;
		char *end;
		unsigned long v = strtoul(p, &end, 10);
		if (errno || v > 1000000)
			return false;
		m[i] = (unsigned)v;
		total += v;
		p = end;
		if (*p == '\0')
			break;
		if (*p != ':' || i == OP__COUNT - 1)
			return false;
		p++;
	}
	if (*p || total == 0)
		return false;
	memcpy(mix, m, sizeof(m));
	return true;
}

static int bad(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* What the command line said explicitly, for the defaults that depend on
 * the mode and for the checks across options. */
struct given {
	bool n, d, a, s, c, p, threads;
	const char *kv_only; /* an option of the raw KV mode only */
};

/* Each group parses its options: 0 when it took ch, -1 on a bad value
 * (the reason in err), 1 when ch is not one of its options. */

/* What is measured and where: --mode, --address, --scheduler. */
static int parse_target(struct bench_config *c, int ch, struct given *g, char *err, size_t errlen)
{
	switch (ch) {
	case 'm':
		if (!strcmp(optarg, "kv") || !strcmp(optarg, "raw"))
			c->mode = MODE_KV;
		else if (!strcmp(optarg, "tso"))
			c->mode = MODE_TSO;
		else if (!strcmp(optarg, "txn"))
			c->mode = MODE_TXN;
		else
			return bad(err, errlen, "--mode: want kv, tso or txn, got '%s'", optarg);
		return 0;
	case 'a':
		if (!*optarg || strlen(optarg) >= sizeof(c->address) || !strchr(optarg, ':'))
			return bad(err, errlen, "--address: want HOST:PORT, got '%s'", optarg);
		snprintf(c->address, sizeof(c->address), "%s", optarg);
		g->a = true;
		return 0;
	case 's':
		if (!*optarg || strlen(optarg) >= sizeof(c->scheduler) || !strchr(optarg, ':'))
			return bad(err, errlen, "--scheduler: want HOST:PORT, got '%s'", optarg);
		snprintf(c->scheduler, sizeof(c->scheduler), "%s", optarg);
		g->s = true;
		return 0;
	}
	return 1;
}

/* How hard and how long: connections, pipeline, threads, requests,
 * duration, rate, timeout. */
static int parse_load(struct bench_config *c, int ch, struct given *g, char *err, size_t errlen)
{
	uint64_t u;
	double d;
	switch (ch) {
	case 'c':
		if (!parse_count(optarg, 1, 100000, &u))
			return bad(err, errlen, "--connections: want 1..100000, got '%s'", optarg);
		c->connections = (unsigned)u;
		g->c = true;
		return 0;
	case 'P':
		if (!parse_count(optarg, 1, 100000, &u))
			return bad(err, errlen, "--pipeline: want 1..100000, got '%s'", optarg);
		c->pipeline = (unsigned)u;
		g->p = true;
		return 0;
	case O_THREADS:
		if (!parse_count(optarg, 1, 256, &u))
			return bad(err, errlen, "--threads: want 1..256, got '%s'", optarg);
		c->threads = (unsigned)u;
		g->threads = true;
		return 0;
	case 'n':
		if (!parse_count(optarg, 1, UINT64_MAX / 2, &u))
			return bad(err, errlen, "--requests: want a positive count, got '%s'",
			           optarg);
		c->requests = u;
		g->n = true;
		return 0;
	case 'D':
		if (!parse_double(optarg, 0.001, 86400 * 365, &d))
			return bad(err, errlen, "--duration: want seconds > 0, got '%s'", optarg);
		c->duration_s = d;
		g->d = true;
		return 0;
	case O_RATE:
		if (!parse_double(optarg, 0.001, 1e9, &d))
			return bad(err, errlen, "--rate: want requests/s > 0, got '%s'", optarg);
		c->rate = d;
		g->kv_only = "--rate";
		return 0;
	case O_TIMEOUT:
		if (!parse_count(optarg, 0, 86400000, &u))
			return bad(err, errlen, "--timeout: want milliseconds, got '%s'", optarg);
		c->timeout_ms = (unsigned)u;
		return 0;
	}
	return 1;
}

/* --type: one request type only (same as a --mix with one weight). */
static int parse_type(struct bench_config *c, char *err, size_t errlen)
{
	static const char *const names[OP__COUNT] = {"get", "put", "scan"};
	int op = -1;
	for (int i = 0; i < OP__COUNT; i++)
		if (!strcmp(optarg, names[i]))
			op = i;
	if (op < 0)
		return bad(err, errlen, "--type: want get, put or scan, got '%s'", optarg);
	memset(c->mix, 0, sizeof(c->mix));
	c->mix[op] = 1;
	return 0;
}

/* What the requests look like: keys, values, mix, scans, zipf, preload,
 * timestamps per get_ts, keys per transaction, seed. */
static int parse_workload(struct bench_config *c, int ch, struct given *g, int argc, char **argv,
                          char *err, size_t errlen)
{
	uint64_t u;
	switch (ch) {
	case 'k':
		if (!parse_count(optarg, 1, BENCH_MAX_KEYSPACE, &u))
			return bad(err, errlen, "--keyspace: want 1..10^12, got '%s'", optarg);
		c->keyspace = u;
		return 0;
	case 'd':
		if (!parse_count(optarg, 0, BENCH_MAX_VALUE, &u))
			return bad(err, errlen, "--value-size: want 0..%u bytes, got '%s'",
			           BENCH_MAX_VALUE, optarg);
		c->value_size = (size_t)u;
		return 0;
	case O_MIX:
		g->kv_only = "--mix";
		if (!bench_parse_mix(optarg, c->mix))
			return bad(err, errlen,
			           "--mix: want GET:PUT:SCAN weights such as 90:10:0, got '%s'",
			           optarg);
		return 0;
	case 't':
		g->kv_only = "--type";
		return parse_type(c, err, errlen);
	case O_SCAN_LIMIT:
		g->kv_only = "--scan-limit";
		if (!parse_count(optarg, 1, 1000000, &u))
			return bad(err, errlen, "--scan-limit: want 1..1000000, got '%s'", optarg);
		c->scan_limit = (unsigned)u;
		return 0;
	case O_ZIPF:
		c->zipf = 0.99;
		/* Also take "--zipf 0.8", not only "--zipf=0.8". */
		if (!optarg && optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9')
			optarg = argv[optind++];
		if (optarg && !parse_double(optarg, 0.01, 0.999, &c->zipf))
			return bad(err, errlen, "--zipf: want THETA in [0.01, 0.999], got '%s'",
			           optarg);
		return 0;
	case O_PRELOAD:
		g->kv_only = "--preload";
		c->preload = true;
		return 0;
	case O_TSO_BATCH:
		if (!parse_count(optarg, 1, BENCH_MAX_TSO_BATCH, &u))
			return bad(err, errlen, "--tso-batch: want 1..%u, got '%s'",
			           BENCH_MAX_TSO_BATCH, optarg);
		c->tso_batch = (unsigned)u;
		return 0;
	case O_TXN_KEYS:
		if (!parse_count(optarg, 1, BENCH_MAX_TXN_KEYS, &u))
			return bad(err, errlen, "--txn-keys: want 1..%u, got '%s'",
			           BENCH_MAX_TXN_KEYS, optarg);
		c->txn_keys = (unsigned)u;
		return 0;
	case O_SEED:
		if (!parse_count(optarg, 0, UINT64_MAX, &u))
			return bad(err, errlen, "--seed: want a number, got '%s'", optarg);
		c->seed = u;
		return 0;
	}
	return 1;
}

/* After the last option: the defaults that depend on the mode, and the
 * options that exclude each other. */
static int settle(struct bench_config *c, const struct given *g, char *err, size_t errlen)
{
	if (g->n && g->d)
		return bad(err, errlen, "--requests and --duration exclude each other");
	if (g->n)
		c->duration_s = 0;
	if (c->mode != MODE_KV) {
		if (g->kv_only)
			return bad(err, errlen, "%s applies to --mode kv only", g->kv_only);
		if (!g->c)
			c->connections = g->threads && c->mode == MODE_TXN ? c->threads : 4;
	}
	if (c->mode == MODE_TSO) {
		/* A TSO client batches its callers into one request in flight. */
		if (!g->p)
			c->pipeline = 1;
		if (g->a && !g->s)
			snprintf(c->scheduler, sizeof(c->scheduler), "%s", c->address);
	}
	if (c->mode == MODE_TXN) {
		/* The transaction client blocks: one worker thread per client. */
		if (g->threads && g->c && c->threads != c->connections)
			return bad(err, errlen,
			           "--mode txn: --threads %u and --connections %u differ (both "
			           "give the number of workers)",
			           c->threads, c->connections);
		if (c->connections > 256)
			return bad(err, errlen, "--mode txn: at most 256 workers (-c), got %u",
			           c->connections);
		c->threads = c->connections;
		if (c->txn_keys > c->keyspace)
			return bad(err, errlen, "--txn-keys %u is more than --keyspace %llu",
			           c->txn_keys, (unsigned long long)c->keyspace);
	}
	if (c->threads > c->connections)
		return bad(err, errlen, "--threads %u is more than --connections %u", c->threads,
		           c->connections);
	if (c->rate > 0 && c->rate < c->threads)
		return bad(err, errlen, "--rate must be at least one request/s per thread");
	return 0;
}

int bench_parse_args(struct bench_config *c, int argc, char **argv, FILE *out, char *err,
                     size_t errlen)
{
	struct given g = {0};
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":m:a:s:c:P:k:d:t:n:D:qhV", long_opts, NULL)) != -1) {
		int r = parse_target(c, ch, &g, err, errlen);
		if (r > 0)
			r = parse_load(c, ch, &g, err, errlen);
		if (r > 0)
			r = parse_workload(c, ch, &g, argc, argv, err, errlen);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		switch (ch) {
		case O_JSON:
			c->json = true;
			break;
		case 'q':
			c->quiet = true;
			break;
		case 'h':
			fputs(usage, out);
			return 1;
		case 'V':
			fprintf(out, "tinykv-bench %s\n", PACKAGE_VERSION);
			return 1;
		case ':':
			return bad(err, errlen, "option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				return bad(err, errlen, "unknown option '-%c'", optopt);
			return bad(err, errlen, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad(err, errlen, "unexpected argument '%s'", argv[optind]);
	return settle(c, &g, err, errlen);
}
