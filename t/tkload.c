/* tkload: load and check helper of the t/ integration tests, on libtinykv.
 *
 *   tkload write ADDR ACKFILE [--inflight N] [--max N] [--max-errors N] [--prefix P]
 *                [--vsize N] [--timeout MS]
 *       Pipelined puts through the async API, N in flight at once, each with
 *       a unique key (P + sequence number) and a value derived from the key.
 *       Every key whose OK arrived is appended to ACKFILE at once (one
 *       write(2) per ack, so a test may read it while this runs).  Stops
 *       issuing after --max puts, on SIGTERM/SIGINT, or when the connection
 *       fails (the daemon was killed, or a request got no reply within
 *       --timeout, default 20000 ms); server errors (NO_SPACE,
 *       SHUTTING_DOWN) are counted and the puts go on (until --max-errors
 *       of them, when given).  Prints
 *       "acked=N errors=M" and the first error of each code on stdout.
 *   tkload burst ADDR ACKFILE --conns C --puts P [--prefix P] [--vsize N]
 *       C connections; once every one has answered a ping, P puts on each
 *       are queued in the same reactor iteration (all C*P in flight at once).
 *       Exit 0 when all were acknowledged.
 *   tkload verify ADDR ACKFILE [--vsize N]
 *       Read back every key of ACKFILE (blocking API); prints
 *       "checked=N missing=M wrong=W", exit 0 only when all are right.
 *
 * The value of a key: "val:" KEY ":" padded to --vsize bytes (default 32)
 * with letters that depend on the key, so a value stored under the wrong key
 * or truncated is detected. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tinykv.h"

#define MAX_KEY 128
#define MAX_VALUE (1u << 20)

struct opts {
	const char *addr, *ackfile, *prefix;
	unsigned long inflight, max, max_errors, conns, puts, timeout_ms;
	size_t vsize;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static size_t make_value(const char *key, size_t vsize, char *out)
{
	int n = snprintf(out, MAX_VALUE, "val:%s:", key);
	size_t len = (size_t)n > vsize ? (size_t)n : vsize;
	unsigned h = 2166136261u;
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (size_t i = (size_t)n; i < len; i++)
		out[i] = (char)('a' + (h + i * 7) % 26);
	return len;
}

static int usage(void)
{
	fprintf(stderr, "usage: tkload write|burst|verify ADDR ACKFILE [options] (see t/tkload.c)\n");
	return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof *o);
	o->prefix = "key";
	o->inflight = 256;
	o->vsize = 32;
	if (argc < 4)
		return -1;
	o->addr = argv[2];
	o->ackfile = argv[3];
	for (int i = 4; i < argc; i++) {
		if (i + 1 >= argc)
			return -1;
		const char *v = argv[++i];
		if (!strcmp(argv[i - 1], "--inflight"))
			o->inflight = strtoul(v, NULL, 10);
		else if (!strcmp(argv[i - 1], "--max"))
			o->max = strtoul(v, NULL, 10);
		else if (!strcmp(argv[i - 1], "--timeout"))
			o->timeout_ms = strtoul(v, NULL, 10);
		else if (!strcmp(argv[i - 1], "--max-errors"))
			o->max_errors = strtoul(v, NULL, 10);
		else if (!strcmp(argv[i - 1], "--prefix"))
			o->prefix = v;
		else if (!strcmp(argv[i - 1], "--vsize"))
			o->vsize = strtoul(v, NULL, 10);
		else if (!strcmp(argv[i - 1], "--conns"))
			o->conns = strtoul(v, NULL, 10);
		else if (!strcmp(argv[i - 1], "--puts"))
			o->puts = strtoul(v, NULL, 10);
		else
			return -1;
	}
	if (o->vsize >= MAX_VALUE - MAX_KEY || strlen(o->prefix) > 64 || !o->inflight)
		return -1;
	return 0;
}

/* ---- write ---------------------------------------------------------------- */

struct writer {
	struct opts *o;
	struct event_base *base;
	struct tkv_async *a;
	struct event *tick;
	int ackfd;
	unsigned long next, acked, errors;
	bool failed;
	bool seen[TK_E__COUNT];
	char *value;
};

struct put_ctx {
	struct writer *w;
	char key[MAX_KEY];
	size_t key_len;
};

static void issue(struct writer *w);

static void put_done(void *arg, const struct tkv_reply *r)
{
	struct put_ctx *p = arg;
	struct writer *w = p->w;
	if (r->code == TK_E_OK) {
		p->key[p->key_len] = '\n';
		if (write(w->ackfd, p->key, p->key_len + 1) != (ssize_t)p->key_len + 1) {
			perror("tkload: write ack file");
			exit(1);
		}
		w->acked++;
	} else {
		w->errors++;
		if (r->code == TK_E_CONNECTION || r->code == TK_E_CLOSED || r->code == TK_E_TIMEOUT ||
		    r->code == TK_E_PROTOCOL)
			w->failed = true;
		if (w->o->max_errors && w->errors >= w->o->max_errors)
			w->failed = true;
		if (r->code < TK_E__COUNT && !w->seen[r->code]) {
			w->seen[r->code] = true;
			printf("error %s: %s\n", tk_err_name(r->code), r->message);
			fflush(stdout);
		}
	}
	free(p);
	issue(w);
}

static void issue(struct writer *w)
{
	struct opts *o = w->o;
	while (!w->failed && !stop_flag && (!o->max || w->next < o->max) &&
	       tkv_async_in_flight(w->a) < o->inflight) {
		struct put_ctx *p = malloc(sizeof *p);
		if (!p)
			abort();
		p->w = w;
		p->key_len = (size_t)snprintf(p->key, sizeof p->key, "%s%09lu", o->prefix, w->next);
		size_t vlen = make_value(p->key, o->vsize, w->value);
		enum tk_err e = tkv_async_put(w->a, p->key, p->key_len, w->value, vlen, put_done, p);
		if (e != TK_E_OK) {
			free(p);
			w->failed = true;
			break;
		}
		w->next++;
	}
	if (tkv_async_in_flight(w->a) == 0 && (w->failed || stop_flag || (o->max && w->next >= o->max)))
		event_base_loopexit(w->base, NULL);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	issue(arg); /* notices stop_flag */
}

static int cmd_write(struct opts *o)
{
	struct writer w = {.o = o, .ackfd = -1};
	struct tk_errbuf eb;
	w.value = malloc(MAX_VALUE);
	w.ackfd = open(o->ackfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	w.base = event_base_new();
	if (!w.value || w.ackfd < 0 || !w.base) {
		perror("tkload");
		return 1;
	}
	struct tkv_config cfg;
	tkv_config_default(&cfg);
	cfg.address = o->addr;
	cfg.name = "tkload-write";
	cfg.timeout_ms = o->timeout_ms ? (unsigned)o->timeout_ms : 20000;
	if (tkv_async_new(w.base, &cfg, &w.a, &eb) != TK_E_OK) {
		fprintf(stderr, "tkload: %s\n", eb.msg);
		return 1;
	}
	struct timeval tv = {0, 50000};
	w.tick = event_new(w.base, -1, EV_PERSIST, tick_cb, &w);
	event_add(w.tick, &tv);
	issue(&w);
	event_base_dispatch(w.base);
	printf("acked=%lu errors=%lu\n", w.acked, w.errors);
	tkv_async_free(w.a);
	event_free(w.tick);
	event_base_free(w.base);
	close(w.ackfd);
	free(w.value);
	return 0;
}

/* ---- burst ---------------------------------------------------------------- */

struct burst {
	struct opts *o;
	struct event_base *base;
	struct tkv_async **conns;
	unsigned long pinged, acked, errors, queued;
	FILE *ack;
	char *value;
};

struct burst_put {
	struct burst *b;
	char key[MAX_KEY];
};

static void burst_put_done(void *arg, const struct tkv_reply *r)
{
	struct burst_put *p = arg;
	struct burst *b = p->b;
	if (r->code == TK_E_OK) {
		fprintf(b->ack, "%s\n", p->key);
		b->acked++;
	} else {
		if (!b->errors)
			fprintf(stderr, "tkload: put %s: %s %s\n", p->key, tk_err_name(r->code), r->message);
		b->errors++;
	}
	free(p);
	if (b->acked + b->errors == b->queued)
		event_base_loopexit(b->base, NULL);
}

static void burst_ping_done(void *arg, const struct tkv_reply *r)
{
	struct burst *b = arg;
	struct opts *o = b->o;
	if (r->code != TK_E_OK) {
		fprintf(stderr, "tkload: ping: %s %s\n", tk_err_name(r->code), r->message);
		event_base_loopexit(b->base, NULL);
		return;
	}
	if (++b->pinged < o->conns)
		return;
	/* every connection is up: queue all the puts now, in this iteration */
	for (unsigned long i = 0; i < o->puts; i++) {
		for (unsigned long c = 0; c < o->conns; c++) {
			struct burst_put *p = malloc(sizeof *p);
			if (!p)
				abort();
			p->b = b;
			int kl = snprintf(p->key, sizeof p->key, "%s%03lu-%06lu", o->prefix, c, i);
			size_t vl = make_value(p->key, o->vsize, b->value);
			if (tkv_async_put(b->conns[c], p->key, (size_t)kl, b->value, vl, burst_put_done, p) !=
			    TK_E_OK) {
				free(p);
				b->errors++;
				continue;
			}
			b->queued++;
		}
	}
	if (b->queued == 0)
		event_base_loopexit(b->base, NULL);
}

static int cmd_burst(struct opts *o)
{
	struct burst b = {.o = o};
	struct tk_errbuf eb;
	if (!o->conns || !o->puts)
		return usage();
	b.value = malloc(MAX_VALUE);
	b.conns = calloc(o->conns, sizeof *b.conns);
	b.ack = fopen(o->ackfile, "a");
	b.base = event_base_new();
	if (!b.value || !b.conns || !b.ack || !b.base) {
		perror("tkload");
		return 1;
	}
	struct tkv_config cfg;
	tkv_config_default(&cfg);
	cfg.address = o->addr;
	cfg.name = "tkload-burst";
	cfg.timeout_ms = 30000;
	int rc = 0;
	for (unsigned long c = 0; c < o->conns; c++) {
		if (tkv_async_new(b.base, &cfg, &b.conns[c], &eb) != TK_E_OK ||
		    tkv_async_ping(b.conns[c], burst_ping_done, &b) != TK_E_OK) {
			fprintf(stderr, "tkload: connection %lu: %s\n", c, eb.msg);
			rc = 1;
			break;
		}
	}
	if (!rc)
		event_base_dispatch(b.base);
	printf("queued=%lu acked=%lu errors=%lu\n", b.queued, b.acked, b.errors);
	if (b.acked != o->conns * o->puts)
		rc = 1;
	for (unsigned long c = 0; c < o->conns; c++)
		tkv_async_free(b.conns[c]);
	event_base_free(b.base);
	fclose(b.ack);
	free(b.conns);
	free(b.value);
	return rc;
}

/* ---- verify --------------------------------------------------------------- */

static int cmd_verify(struct opts *o)
{
	struct tk_errbuf eb;
	struct tkv_config cfg;
	tkv_config_default(&cfg);
	cfg.address = o->addr;
	cfg.name = "tkload-verify";
	struct tkv_client *c;
	if (tkv_connect(&cfg, &c, &eb) != TK_E_OK) {
		fprintf(stderr, "tkload: %s\n", eb.msg);
		return 1;
	}
	FILE *f = fopen(o->ackfile, "r");
	char *want = malloc(MAX_VALUE);
	if (!f || !want) {
		perror("tkload");
		return 1;
	}
	char line[MAX_KEY + 2];
	unsigned long checked = 0, missing = 0, wrong = 0, errors = 0;
	while (fgets(line, sizeof line, f)) {
		size_t kl = strcspn(line, "\n");
		line[kl] = 0;
		if (!kl)
			continue;
		size_t wl = make_value(line, o->vsize, want);
		uint8_t *v = NULL;
		size_t vl = 0;
		bool found = false;
		enum tk_err e = tkv_get(c, line, kl, &v, &vl, &found, &eb);
		checked++;
		if (e != TK_E_OK) {
			if (errors++ < 5)
				printf("get %s: %s\n", line, eb.msg);
		} else if (!found) {
			if (missing++ < 5)
				printf("missing: %s\n", line);
		} else if (vl != wl || memcmp(v, want, wl) != 0) {
			if (wrong++ < 5)
				printf("wrong value: %s (%zu bytes)\n", line, vl);
		}
		tkv_free(v);
	}
	printf("checked=%lu missing=%lu wrong=%lu errors=%lu\n", checked, missing, wrong, errors);
	fclose(f);
	free(want);
	tkv_close(c);
	return missing || wrong || errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	if (argc < 2 || parse(argc, argv, &o) != 0)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "write"))
		return cmd_write(&o);
	if (!strcmp(argv[1], "burst"))
		return cmd_burst(&o);
	if (!strcmp(argv[1], "verify"))
		return cmd_verify(&o);
	return usage();
}
