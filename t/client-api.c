/* client-api: libtinykv against a live tinykvd, for t/client.t.
 *
 *   client-api ADDR [PIPELINE_N]
 *
 * Prints TAP result lines without numbers ("ok - ...", "not ok - ...");
 * t/client.t numbers them.  First every raw command through the blocking
 * API, then PIPELINE_N (default 10000) puts and then as many gets queued at
 * once on ONE async connection, every reply matched to its request. */
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinykv.h"

static int failures;

static bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s - ", cond ? "ok" : "not ok");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	if (!cond)
		failures++;
	fflush(stdout);
	return cond;
}

static void diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static bool got(enum tk_err e, const struct tk_errbuf *eb)
{
	if (e != TK_E_OK)
		diag("error %s: %s", tk_err_name(e), eb->msg);
	return e == TK_E_OK;
}

static bool kv_is(const struct tkv_kv *kv, const char *k, const char *v)
{
	if (kv->key_len != strlen(k) || memcmp(kv->key, k, kv->key_len) != 0)
		return false;
	if (!v)
		return kv->value == NULL;
	return kv->value && kv->value_len == strlen(v) && memcmp(kv->value, v, kv->value_len) == 0;
}

static void blocking_tests(const char *addr)
{
	struct tkv_config cfg;
	struct tk_errbuf eb;
	struct tkv_client *c;
	tkv_config_default(&cfg);
	cfg.address = addr;
	cfg.name = "client-api";
	if (!ok(got(tkv_connect(&cfg, &c, &eb), &eb), "blocking: connect and hello"))
		return;
	ok(strncmp(tkv_server_name(c), "tinykvd ", 8) == 0, "blocking: the server names itself (%s)",
	   tkv_server_name(c));
	ok(got(tkv_ping(c, &eb), &eb), "blocking: ping");

	uint8_t *v = NULL;
	size_t vl = 0;
	bool found = true;
	ok(got(tkv_get(c, "nope", 4, &v, &vl, &found, &eb), &eb) && !found && !v,
	   "blocking: get of a missing key: not found, no error");
	ok(got(tkv_put(c, "k1", 2, "v1", 2, &eb), &eb), "blocking: put");
	ok(got(tkv_get(c, "k1", 2, &v, &vl, &found, &eb), &eb) && found && vl == 2 && !memcmp(v, "v1", 2) &&
		   v[2] == 0,
	   "blocking: get reads the value (NUL-terminated)");
	tkv_free(v);
	v = NULL;
	static const uint8_t bk[] = {0x00, 0xff, ' ', '"', 0x00};
	static const uint8_t bv[] = {0xff, 0x00, '\n', 0x00, 0x7f, 0x80};
	ok(got(tkv_put(c, bk, sizeof bk, bv, sizeof bv, &eb), &eb), "blocking: put of binary key and value");
	ok(got(tkv_get(c, bk, sizeof bk, &v, &vl, &found, &eb), &eb) && found && vl == sizeof bv &&
		   !memcmp(v, bv, sizeof bv),
	   "blocking: binary bytes round-trip");
	tkv_free(v);
	v = NULL;
	ok(got(tkv_put(c, "empty", 5, "", 0, &eb), &eb), "blocking: put of an empty value");
	ok(got(tkv_get(c, "empty", 5, &v, &vl, &found, &eb), &eb) && found && vl == 0,
	   "blocking: an empty value is found, with length 0");
	tkv_free(v);
	v = NULL;
	ok(got(tkv_delete(c, "k1", 2, &eb), &eb), "blocking: delete");
	ok(got(tkv_get(c, "k1", 2, &v, &vl, &found, &eb), &eb) && !found, "blocking: the deleted key is gone");
	ok(got(tkv_delete(c, "k1", 2, &eb), &eb), "blocking: deleting a missing key succeeds");

	struct tkv_kv_in in[] = {
		{"s/a", 3, "1", 1}, {"s/b", 3, "2", 1}, {"s/c", 3, "3", 1}, {"s/d", 3, "4", 1}};
	ok(got(tkv_batch_put(c, in, 4, &eb), &eb), "blocking: batch_put of 4 pairs");
	struct tkv_kv *kvs = NULL;
	size_t n = 0;
	bool more = true;
	struct tkv_scan_opts so = {.end = "s/z", .end_len = 3};
	ok(got(tkv_scan(c, "s/", 2, &so, &kvs, &n, &more, &eb), &eb) && n == 4 && !more &&
		   kv_is(&kvs[0], "s/a", "1") && kv_is(&kvs[3], "s/d", "4"),
	   "blocking: scan [s/, s/z) returns the 4 pairs in order");
	tkv_kvs_free(kvs, n);
	so = (struct tkv_scan_opts){.end = "s/c", .end_len = 3};
	ok(got(tkv_scan(c, "s/", 2, &so, &kvs, &n, &more, &eb), &eb) && n == 2 && !more &&
		   kv_is(&kvs[1], "s/b", "2"),
	   "blocking: scan stops before the exclusive end");
	tkv_kvs_free(kvs, n);
	so = (struct tkv_scan_opts){.end = "s/z", .end_len = 3, .limit = 3};
	ok(got(tkv_scan(c, "s/", 2, &so, &kvs, &n, &more, &eb), &eb) && n == 3 && more,
	   "blocking: scan with a limit reports more");
	tkv_kvs_free(kvs, n);
	so = (struct tkv_scan_opts){.end = "s/z", .end_len = 3, .keys_only = true};
	ok(got(tkv_scan(c, "s/", 2, &so, &kvs, &n, &more, &eb), &eb) && n == 4 && kv_is(&kvs[2], "s/c", NULL),
	   "blocking: keys_only scan has no values");
	tkv_kvs_free(kvs, n);
	so = (struct tkv_scan_opts){.end = "s/d", .end_len = 3, .reverse = true, .limit = 2};
	ok(got(tkv_scan(c, "s/", 2, &so, &kvs, &n, &more, &eb), &eb) && n == 2 && more &&
		   kv_is(&kvs[0], "s/c", "3") && kv_is(&kvs[1], "s/b", "2"),
	   "blocking: reverse scan from below the end, with a limit");
	tkv_kvs_free(kvs, n);

	struct tkv_kv_in keys[] = {{"s/c", 3, NULL, 0}, {"none", 4, NULL, 0}, {"s/a", 3, NULL, 0}};
	ok(got(tkv_batch_get(c, keys, 3, &kvs, &n, &eb), &eb) && n == 2 && kv_is(&kvs[0], "s/c", "3") &&
		   kv_is(&kvs[1], "s/a", "1"),
	   "blocking: batch_get in request order, missing keys left out");
	tkv_kvs_free(kvs, n);
	ok(got(tkv_batch_delete(c, keys, 3, &eb), &eb), "blocking: batch_delete");
	ok(got(tkv_batch_get(c, in, 4, &kvs, &n, &eb), &eb) && n == 2 && kv_is(&kvs[0], "s/b", "2") &&
		   kv_is(&kvs[1], "s/d", "4"),
	   "blocking: the batch-deleted keys are gone, the others stay");
	tkv_kvs_free(kvs, n);

	/* server errors come back with code and message; the connection goes on */
	enum tk_err e = tkv_put(c, "", 0, "x", 1, &eb);
	ok(e == TK_E_BAD_REQUEST && strstr(eb.msg, "empty"), "blocking: an empty key is BAD_REQUEST (%s)",
	   eb.msg);
	static char big[9000];
	memset(big, 'k', sizeof big);
	e = tkv_get(c, big, sizeof big, &v, &vl, &found, &eb);
	ok(e == TK_E_TOO_LARGE, "blocking: a 9000-byte key is TOO_LARGE (%s)", tk_err_name(e));
	ok(got(tkv_ping(c, &eb), &eb), "blocking: the connection survives server errors");
	tkv_close(c);

	/* transport failures */
	struct tkv_config bad = cfg;
	bad.address = "127.0.0.1:1";
	e = tkv_connect(&bad, &c, &eb);
	ok(e == TK_E_CONNECTION, "blocking: connect to a closed port is CONNECTION (%s: %s)", tk_err_name(e),
	   eb.msg);
	if (e == TK_E_OK)
		tkv_close(c);
	bad.address = "127.0.0.1:notaport";
	e = tkv_connect(&bad, &c, &eb);
	ok(e == TK_E_BAD_CONFIG, "blocking: a malformed address is BAD_CONFIG (%s)", tk_err_name(e));
	if (e == TK_E_OK)
		tkv_close(c);
}

/* ---- async pipeline ------------------------------------------------------- */

struct pipe_state {
	struct event_base *base;
	unsigned long n, done, okc, bad;
	enum tk_err first_err;
	char first_msg[256];
};

struct req {
	struct pipe_state *st;
	unsigned long i;
};

static void key_of(unsigned long i, char *k, size_t cap)
{
	snprintf(k, cap, "pipe/%06lu", i);
}

static void value_of(unsigned long i, char *v, size_t cap)
{
	snprintf(v, cap, "value-%lu-%lu", i, i * 7919 % 100003);
}

static void note(struct pipe_state *st, const struct tkv_reply *r)
{
	if (r->code != TK_E_OK && st->first_err == TK_E_OK) {
		st->first_err = r->code;
		snprintf(st->first_msg, sizeof st->first_msg, "%s", r->message);
	}
	if (++st->done == st->n)
		event_base_loopexit(st->base, NULL);
}

static void put_cb(void *arg, const struct tkv_reply *r)
{
	struct req *q = arg;
	if (r->code == TK_E_OK)
		q->st->okc++;
	note(q->st, r);
}

static void get_cb(void *arg, const struct tkv_reply *r)
{
	struct req *q = arg;
	char want[64];
	value_of(q->i, want, sizeof want);
	if (r->code == TK_E_OK && r->found && r->value_len == strlen(want) &&
	    memcmp(r->value, want, r->value_len) == 0)
		q->st->okc++;
	else
		q->st->bad++;
	note(q->st, r);
}

static void async_tests(const char *addr, unsigned long n)
{
	struct event_base *base = event_base_new();
	struct tkv_config cfg;
	struct tk_errbuf eb;
	struct tkv_async *a;
	tkv_config_default(&cfg);
	cfg.address = addr;
	cfg.name = "client-api-async";
	cfg.timeout_ms = 60000;
	if (!ok(base && got(tkv_async_new(base, &cfg, &a, &eb), &eb), "async: new connection"))
		return;
	struct req *reqs = calloc(n, sizeof *reqs);
	struct pipe_state st = {.base = base, .n = n};
	char k[64], v[64];
	unsigned long queued = 0;
	for (unsigned long i = 0; i < n; i++) {
		reqs[i] = (struct req){&st, i};
		key_of(i, k, sizeof k);
		value_of(i, v, sizeof v);
		if (tkv_async_put(a, k, strlen(k), v, strlen(v), put_cb, &reqs[i]) == TK_E_OK)
			queued++;
	}
	ok(queued == n && tkv_async_in_flight(a) == n, "async: %lu puts queued, all %zu in flight at once", n,
	   tkv_async_in_flight(a));
	if (queued == n)
		event_base_dispatch(base);
	ok(st.done == n && st.okc == n, "async: all %lu puts acknowledged (%lu ok)", n, st.okc);
	if (st.first_err)
		diag("first error: %s: %s", tk_err_name(st.first_err), st.first_msg);

	st = (struct pipe_state){.base = base, .n = n};
	queued = 0;
	for (unsigned long i = 0; i < n; i++) {
		key_of(i, k, sizeof k);
		if (tkv_async_get(a, k, strlen(k), get_cb, &reqs[i]) == TK_E_OK)
			queued++;
	}
	ok(queued == n && tkv_async_in_flight(a) == n, "async: %lu gets queued, all in flight at once", n);
	if (queued == n)
		event_base_dispatch(base);
	ok(st.done == n && st.okc == n && st.bad == 0,
	   "async: every get reply matched its request and carried the right value (%lu ok, %lu bad)", st.okc,
	   st.bad);
	if (st.first_err)
		diag("first error: %s: %s", tk_err_name(st.first_err), st.first_msg);
	ok(tkv_async_in_flight(a) == 0 && tkv_async_error(a, NULL) == TK_E_OK,
	   "async: nothing left in flight, connection healthy");
	tkv_async_free(a);
	event_base_free(base);
	free(reqs);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: client-api HOST:PORT [PIPELINE_N]\n");
		return 2;
	}
	unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
	blocking_tests(argv[1]);
	async_tests(argv[1], n);
	return failures ? 1 : 0;
}
