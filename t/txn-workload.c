/* Transaction workloads for t/txn.t, over libtinykv's transaction client.
 *
 *   txn-workload bank    STORE SCHED ACCOUNTS CLIENTS SECONDS
 *       ACCOUNTS accounts of 100; CLIENTS processes transfer random amounts
 *       between random accounts (retrying on conflict) for SECONDS, and take
 *       snapshot reads of all balances: every one must sum to ACCOUNTS*100,
 *       and so must the final read.
 *   txn-workload counter STORE SCHED CLIENTS INCREMENTS
 *       CLIENTS processes increment one counter INCREMENTS times each with
 *       retry on conflict; the final value must be CLIENTS*INCREMENTS.
 *   txn-workload crash   STORE SCHED POINT TTL_MS
 *       set x and y to "new" and SIGKILL ourselves after the prewrites
 *       (POINT 1) or after the primary's commit (POINT 2).
 *   txn-workload read    STORE SCHED KEY...
 *       print each key's value (or "(nil)") as a new transaction sees it.
 *   txn-workload put     STORE SCHED KEY VALUE...
 *   txn-workload gc      STORE SCHED
 *       GC at a fresh timestamp; print the records removed.
 * Exit 0 when the invariants hold; diagnostics on stderr. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tinykv_txn.h"

/* Errors a replicated store gives while a leader is killed or moves: the
 * transaction did not happen, or (UNKNOWN_OUTCOME, TIMEOUT after sending)
 * may have; either way the workload goes on and the invariants must hold. */
static bool transient(enum tk_err e)
{
	return e == TK_E_UNKNOWN_OUTCOME || e == TK_E_TIMEOUT || e == TK_E_CONNECTION ||
	       e == TK_E_CLOSED || e == TK_E_NOT_LEADER || e == TK_E_SERVER_IS_BUSY ||
	       e == TK_E_STALE_COMMAND || e == TK_E_REGION_NOT_FOUND ||
	       e == TK_E_EPOCH_NOT_MATCH || e == TK_E_SHUTTING_DOWN || e == TK_E_STORE_NOT_MATCH;
}

static struct tkv_txn_client *connect_or_die(const char *store, const char *sched, unsigned ttl, int crash)
{
	struct tkv_txn_config cfg;
	tkv_txn_config_default(&cfg);
	cfg.store_address = store;
	cfg.scheduler_address = sched;
	cfg.lock_ttl_ms = ttl;
	cfg.crash_point = crash;
	cfg.backoff_max_ms = 20000;
	struct tkv_txn_client *c;
	struct tk_errbuf eb;
	if (tkv_txn_client_new(&cfg, &c, &eb)) {
		fprintf(stderr, "txn-workload: connect: %s\n", eb.msg);
		exit(2);
	}
	return c;
}

static long get_long(struct tkv_txn *t, const char *key, struct tk_errbuf *eb, enum tk_err *e)
{
	uint8_t *v;
	size_t n;
	bool found;
	*e = tkv_txn_get(t, key, strlen(key), &v, &n, &found, eb);
	if (*e || !found)
		return 0;
	long x = strtol((char *)v, NULL, 10);
	tkv_free(v);
	return x;
}

static enum tk_err set_long(struct tkv_txn *t, const char *key, long x, struct tk_errbuf *eb)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%ld", x);
	return tkv_txn_set(t, key, strlen(key), buf, (size_t)n, eb);
}

/* ---- bank ---- */

struct transfer {
	int accounts;
	unsigned seed;
};

static enum tk_err do_transfer(struct tkv_txn *t, void *arg, struct tk_errbuf *eb)
{
	struct transfer *tr = arg;
	int a = rand_r(&tr->seed) % tr->accounts, b = rand_r(&tr->seed) % tr->accounts;
	if (a == b)
		b = (a + 1) % tr->accounts;
	char ka[32], kb[32];
	snprintf(ka, sizeof ka, "acct:%04d", a);
	snprintf(kb, sizeof kb, "acct:%04d", b);
	enum tk_err e;
	long va = get_long(t, ka, eb, &e);
	if (e)
		return e;
	long vb = get_long(t, kb, eb, &e);
	if (e)
		return e;
	long amount = va > 0 ? 1 + rand_r(&tr->seed) % (va < 20 ? va : 20) : 0;
	if ((e = set_long(t, ka, va - amount, eb)) || (e = set_long(t, kb, vb + amount, eb)))
		return e;
	return TK_OK;
}

/* Sum of all balances in one snapshot (a read-only transaction): 0, 1 when
 * a transient error prevented it, -1 on any other failure. */
static int audit(struct tkv_txn_client *c, int accounts, long *sum)
{
	struct tkv_txn *t;
	struct tk_errbuf eb;
	enum tk_err e = tkv_txn_begin(c, &t, &eb);
	if (e) {
		fprintf(stderr, "audit begin: %s\n", eb.msg);
		return transient(e) ? 1 : -1;
	}
	struct tkv_kv *kvs;
	size_t n;
	e = tkv_txn_scan(t, "acct:", 5, "acct;", 5, (uint32_t)accounts + 10, &kvs, &n, &eb);
	if (e) {
		fprintf(stderr, "audit scan: %s\n", eb.msg);
		tkv_txn_free(t);
		return transient(e) ? 1 : -1;
	}
	*sum = 0;
	for (size_t i = 0; i < n; i++)
		*sum += strtol((char *)kvs[i].value, NULL, 10);
	int got = (int)n;
	tkv_kvs_free(kvs, n);
	tkv_txn_free(t);
	if (got != accounts) {
		fprintf(stderr, "audit saw %d accounts, want %d\n", got, accounts);
		return -1;
	}
	return 0;
}

static int bank(const char *store, const char *sched, int accounts, int clients, int seconds)
{
	struct tkv_txn_client *c = connect_or_die(store, sched, 3000, 0);
	struct tk_errbuf eb;
	struct tkv_txn *t;
	if (tkv_txn_begin(c, &t, &eb))
		return fprintf(stderr, "begin: %s\n", eb.msg), 1;
	for (int i = 0; i < accounts; i++) {
		char k[32];
		snprintf(k, sizeof k, "acct:%04d", i);
		set_long(t, k, 100, &eb);
	}
	if (tkv_txn_commit(t, NULL, &eb))
		return fprintf(stderr, "initial commit: %s\n", eb.msg), 1;
	tkv_txn_free(t);
	tkv_txn_client_free(c);
	long want = (long)accounts * 100;
	pid_t kids[64];
	for (int k = 0; k < clients && k < 64; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			struct tkv_txn_client *cc = connect_or_die(store, sched, 3000, 0);
			struct transfer tr = {accounts, (unsigned)getpid()};
			time_t end = time(NULL) + seconds;
			long done = 0, conflicts_gave_up = 0, audits = 0, faults = 0;
			while (time(NULL) < end) {
				enum tk_err e = tkv_txn_run(cc, 50, do_transfer, &tr, &eb);
				if (e == TK_OK)
					done++;
				else if (e == TK_E_WRITE_CONFLICT || e == TK_E_KEY_LOCKED)
					conflicts_gave_up++;
				else if (transient(e)) {
					faults++;
					usleep(50000);
					continue;
				} else {
					fprintf(stderr, "client %d: transfer: %s: %s\n", k, tk_err_name(e), eb.msg);
					_exit(1);
				}
				if (done % 10 == 0) {
					long sum;
					int a = audit(cc, accounts, &sum);
					if (a < 0)
						_exit(1);
					if (a > 0)
						continue;
					audits++;
					if (sum != want) {
						fprintf(stderr, "client %d: snapshot sum %ld, want %ld\n", k, sum, want);
						_exit(3);
					}
				}
			}
			fprintf(stderr,
				"client %d: %ld transfers, %ld audits, %ld gave up on conflicts, "
				"%ld failed on faults\n",
				k, done, audits, conflicts_gave_up, faults);
			tkv_txn_client_free(cc);
			_exit(done > 0 ? 0 : 4);
		}
	}
	int bad = 0;
	for (int k = 0; k < clients && k < 64; k++) {
		int st;
		waitpid(kids[k], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad++;
	}
	c = connect_or_die(store, sched, 3000, 0);
	long sum;
	int r;
	for (int tries = 0; (r = audit(c, accounts, &sum)) > 0 && tries < 100; tries++)
		usleep(100000);
	tkv_txn_client_free(c);
	printf("final sum %ld (want %ld), %d client(s) failed\n", sum, want, bad);
	return r == 0 && sum == want && bad == 0 ? 0 : 1;
}

/* ---- counter ---- */

static enum tk_err do_increment(struct tkv_txn *t, void *arg, struct tk_errbuf *eb)
{
	(void)arg;
	enum tk_err e;
	long v = get_long(t, "counter", eb, &e);
	if (e)
		return e;
	return set_long(t, "counter", v + 1, eb);
}

static int counter(const char *store, const char *sched, int clients, int increments)
{
	pid_t kids[64];
	/* per client: increments that failed with an outcome that may still be
	 * a success (UNKNOWN_OUTCOME, a timeout): each was tried again, so the
	 * counter may exceed clients*increments by at most their sum */
	long *maybe = mmap(NULL, sizeof(long) * 64, PROT_READ | PROT_WRITE,
	                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (maybe == MAP_FAILED)
		return fprintf(stderr, "mmap failed\n"), 1;
	for (int k = 0; k < clients && k < 64; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			struct tkv_txn_client *c = connect_or_die(store, sched, 3000, 0);
			struct tk_errbuf eb;
			int tries = 0;
			for (int i = 0; i < increments;) {
				enum tk_err e = tkv_txn_run(c, 1000, do_increment, NULL, &eb);
				if (e == TK_OK) {
					i++;
					continue;
				}
				if (transient(e) && ++tries < 1000) {
					if (e == TK_E_UNKNOWN_OUTCOME || e == TK_E_TIMEOUT)
						maybe[k]++;
					usleep(50000);
					continue;
				}
				fprintf(stderr, "client %d increment %d: %s: %s\n", k, i, tk_err_name(e), eb.msg);
				_exit(1);
			}
			tkv_txn_client_free(c);
			_exit(0);
		}
	}
	int bad = 0;
	for (int k = 0; k < clients && k < 64; k++) {
		int st;
		waitpid(kids[k], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad++;
	}
	struct tkv_txn_client *c = connect_or_die(store, sched, 3000, 0);
	struct tkv_txn *t;
	struct tk_errbuf eb;
	enum tk_err e = tkv_txn_begin(c, &t, &eb);
	long v = e ? -1 : get_long(t, "counter", &eb, &e);
	long unknown = 0;
	for (int k = 0; k < clients && k < 64; k++)
		unknown += maybe[k];
	long want = (long)clients * increments;
	printf("counter %ld (want %ld, or up to %ld more: %ld outcomes unknown)\n", v, want, unknown,
	       unknown);
	if (!e)
		tkv_txn_free(t);
	tkv_txn_client_free(c);
	munmap(maybe, sizeof(long) * 64);
	return !e && bad == 0 && v >= want && v <= want + unknown ? 0 : 1;
}

/* ---- crash, read, put, gc ---- */

static int crash(const char *store, const char *sched, int point, unsigned ttl)
{
	struct tkv_txn_client *c = connect_or_die(store, sched, ttl, point);
	struct tkv_txn *t;
	struct tk_errbuf eb;
	if (tkv_txn_begin(c, &t, &eb))
		return fprintf(stderr, "begin: %s\n", eb.msg), 1;
	tkv_txn_set(t, "x", 1, "new", 3, &eb);
	tkv_txn_set(t, "y", 1, "new", 3, &eb);
	enum tk_err e = tkv_txn_commit(t, NULL, &eb);
	if (e != TK_E_INTERNAL)
		return fprintf(stderr, "commit did not stop at the crash point: %s\n", eb.msg), 1;
	fflush(NULL);
	kill(getpid(), SIGKILL); /* die with the locks left behind */
	return 1;
}

static int read_keys(const char *store, const char *sched, int n, char **keys)
{
	struct tkv_txn_client *c = connect_or_die(store, sched, 3000, 0);
	struct tkv_txn *t;
	struct tk_errbuf eb;
	if (tkv_txn_begin(c, &t, &eb))
		return fprintf(stderr, "begin: %s\n", eb.msg), 1;
	for (int i = 0; i < n; i++) {
		uint8_t *v;
		size_t len;
		bool found;
		enum tk_err e = tkv_txn_get(t, keys[i], strlen(keys[i]), &v, &len, &found, &eb);
		if (e)
			return fprintf(stderr, "get %s: %s: %s\n", keys[i], tk_err_name(e), eb.msg), 1;
		printf("%s\n", found ? (char *)v : "(nil)");
		if (found)
			tkv_free(v);
	}
	tkv_txn_free(t);
	tkv_txn_client_free(c);
	return 0;
}

static int put_keys(const char *store, const char *sched, int n, char **kv)
{
	struct tkv_txn_client *c = connect_or_die(store, sched, 3000, 0);
	struct tkv_txn *t;
	struct tk_errbuf eb;
	if (tkv_txn_begin(c, &t, &eb))
		return fprintf(stderr, "begin: %s\n", eb.msg), 1;
	for (int i = 0; i + 1 < n; i += 2)
		tkv_txn_set(t, kv[i], strlen(kv[i]), kv[i + 1], strlen(kv[i + 1]), &eb);
	enum tk_err e = tkv_txn_commit(t, NULL, &eb);
	if (e)
		fprintf(stderr, "commit: %s: %s\n", tk_err_name(e), eb.msg);
	tkv_txn_free(t);
	tkv_txn_client_free(c);
	return e ? 1 : 0;
}

static int gc(const char *store, const char *sched)
{
	struct tkv_txn_client *c = connect_or_die(store, sched, 3000, 0);
	struct tk_errbuf eb;
	uint64_t ts, deleted = 0;
	enum tk_err e = tkv_txn_client_ts(c, &ts, &eb);
	if (!e)
		e = tkv_txn_gc(c, ts, &deleted, &eb);
	if (e)
		fprintf(stderr, "gc: %s: %s\n", tk_err_name(e), eb.msg);
	else
		printf("%llu\n", (unsigned long long)deleted);
	tkv_txn_client_free(c);
	return e ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: txn-workload bank|counter|crash|read|put|gc STORE SCHED ...\n");
		return 2;
	}
	const char *mode = argv[1], *store = argv[2], *sched = argv[3];
	if (!strcmp(mode, "bank") && argc == 7)
		return bank(store, sched, atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
	if (!strcmp(mode, "counter") && argc == 6)
		return counter(store, sched, atoi(argv[4]), atoi(argv[5]));
	if (!strcmp(mode, "crash") && argc == 6)
		return crash(store, sched, atoi(argv[4]), (unsigned)atoi(argv[5]));
	if (!strcmp(mode, "read"))
		return read_keys(store, sched, argc - 4, argv + 4);
	if (!strcmp(mode, "put"))
		return put_keys(store, sched, argc - 4, argv + 4);
	if (!strcmp(mode, "gc"))
		return gc(store, sched);
	fprintf(stderr, "txn-workload: bad arguments\n");
	return 2;
}
