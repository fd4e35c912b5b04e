/* tkcas: compare-and-swap increments of one counter, for t/cas.t.
 *
 *   tkcas incr ADDR KEY N          N increments through the blocking API
 *   tkcas async ADDR KEY C N       C connections on one event loop, N
 *                                  increments each, all in flight at once
 *
 * The counter is a decimal string; an absent key counts as 0 (the first
 * increment creates it with the "expect absent" form).  Each increment is a
 * CAS-retry loop that takes its next expectation from the reply's previous
 * value, never from a separate get: a lost update would show as a final
 * count below the total.  Prints "retries R" (mismatches seen) and exits 0,
 * or prints the error and exits 1. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinykv.h"

/* What a client believes the counter holds: absent, or a value. */
struct belief {
	bool present;
	unsigned long long v;
};

static void next_op(const struct belief *b, char *expect, size_t *elen, char *value, size_t *vlen,
		    unsigned *flags)
{
	*flags = b->present ? 0 : TKV_CAS_EXPECT_ABSENT;
	*elen = b->present ? (size_t)snprintf(expect, 32, "%llu", b->v) : 0;
	*vlen = (size_t)snprintf(value, 32, "%llu", (b->present ? b->v : 0) + 1);
}

/* After a reply: on a mismatch the previous value is the current one. */
static void learn(struct belief *b, bool found, const uint8_t *prev, size_t n)
{
	char tmp[32];
	b->present = found;
	b->v = 0;
	if (found && n < sizeof tmp) {
		memcpy(tmp, prev, n);
		tmp[n] = 0;
		b->v = strtoull(tmp, NULL, 10);
	}
}

static int cmd_incr(const char *addr, const char *key, long n)
{
	struct tkv_config cfg;
	tkv_config_default(&cfg);
	cfg.address = addr;
	cfg.name = "tkcas";
	struct tk_errbuf eb;
	struct tkv_client *c;
	if (tkv_connect(&cfg, &c, &eb)) {
		printf("connect: %s\n", eb.msg);
		return 1;
	}
	struct belief b = {false, 0};
	unsigned long long retries = 0;
	for (long i = 0; i < n;) {
		char expect[32], value[32];
		size_t el, vl, pn;
		unsigned flags;
		next_op(&b, expect, &el, value, &vl, &flags);
		bool swapped, found;
		uint8_t *prev;
		if (tkv_cas(c, key, strlen(key), expect, el, value, vl, flags, &swapped, &prev, &pn,
			    &found, &eb)) {
			printf("cas: %s\n", eb.msg);
			tkv_close(c);
			return 1;
		}
		if (swapped) {
			b.present = true;
			b.v = strtoull(value, NULL, 10);
			i++;
		} else {
			learn(&b, found, prev, pn);
			retries++;
		}
		tkv_free(prev);
	}
	tkv_close(c);
	printf("retries %llu\n", retries);
	return 0;
}

/* ---- async: every client's next CAS is sent from its last reply ---- */

struct client {
	struct tkv_async *a;
	const char *key;
	struct belief b;
	char value[32];
	long left;
	unsigned long long *retries;
	int *running, *failed;
	struct event_base *base;
};

static void send_next(struct client *cl);

static void on_reply(void *arg, const struct tkv_reply *r)
{
	struct client *cl = arg;
	if (r->code) {
		printf("cas: %s %s\n", tk_err_name(r->code), r->message);
		(*cl->failed)++;
		cl->left = 0;
	} else if (r->swapped) {
		cl->b.present = true;
		cl->b.v = strtoull(cl->value, NULL, 10);
		cl->left--;
	} else {
		learn(&cl->b, r->found, r->value, r->value_len);
		(*cl->retries)++;
	}
	if (cl->left > 0)
		send_next(cl);
	else if (--*cl->running == 0)
		event_base_loopbreak(cl->base);
}

static void send_next(struct client *cl)
{
	char expect[32];
	size_t el, vl;
	unsigned flags;
	next_op(&cl->b, expect, &el, cl->value, &vl, &flags);
	if (tkv_async_cas(cl->a, cl->key, strlen(cl->key), expect, el, cl->value, vl, flags,
			  on_reply, cl)) {
		printf("cas: could not queue\n");
		(*cl->failed)++;
		cl->left = 0;
		if (--*cl->running == 0)
			event_base_loopbreak(cl->base);
	}
}

static int cmd_async(const char *addr, const char *key, int nc, long n)
{
	struct event_base *base = event_base_new();
	struct tkv_config cfg;
	tkv_config_default(&cfg);
	cfg.address = addr;
	cfg.name = "tkcas-async";
	struct client *cls = calloc((size_t)nc, sizeof *cls);
	unsigned long long retries = 0;
	int running = nc, failed = 0;
	for (int i = 0; i < nc; i++) {
		struct tk_errbuf eb;
		struct client *cl = &cls[i];
		cl->key = key;
		cl->left = n;
		cl->retries = &retries;
		cl->running = &running;
		cl->failed = &failed;
		cl->base = base;
		if (tkv_async_new(base, &cfg, &cl->a, &eb)) {
			printf("connect: %s\n", eb.msg);
			return 1;
		}
		send_next(cl); /* queued until the hello reply */
	}
	event_base_dispatch(base);
	for (int i = 0; i < nc; i++)
		tkv_async_free(cls[i].a);
	free(cls);
	event_base_free(base);
	printf("retries %llu\n", retries);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "incr"))
		return cmd_incr(argv[2], argv[3], atol(argv[4]));
	if (argc == 6 && !strcmp(argv[1], "async"))
		return cmd_async(argv[2], argv[3], atoi(argv[4]), atol(argv[5]));
	fprintf(stderr, "usage: tkcas incr ADDR KEY N | tkcas async ADDR KEY CLIENTS N\n");
	return 2;
}
