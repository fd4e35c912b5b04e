/* Synthetic stores for the scheduler's t/ tests, written with libtinykv's
 * scheduler client (tinykv_sched.h).  Prints TAP lines ("ok - ...") that
 * t/sched-*.t relays.
 *
 *   tksched ADDR setup STATEFILE    bootstrap, register, heartbeat, ids,
 *                                   timestamps, operators, split, errors;
 *                                   writes what it saw to STATEFILE
 *   tksched ADDR check STATEFILE    after a restart: same routing, no id or
 *                                   timestamp repeated
 *   tksched ADDR offline STATEFILE  take a store out: replicas move away
 *   tksched ADDR down STATEFILE     a silent store: its replicas are replaced
 *   tksched ADDR balance -          balance-leader and balance-region on a
 *                                   fresh scheduler
 *   tksched ADDR reconnect -        one handle across a restart (see there)
 *   tksched ADDR ts N BATCH         N get_ts calls of BATCH: strictly increasing */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tinykv_sched.h"

static int failed;

static void ok(int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s - ", cond ? "ok" : "not ok");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	if (!cond)
		failed++;
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

static void die(const char *what, const struct tk_errbuf *eb)
{
	printf("not ok - %s: %s\n", what, eb->msg);
	printf("Bail out! %s failed\n", what);
	exit(1);
}

/* A region as a synthetic store holds it. */
struct sregion {
	uint64_t id, conf_ver, version;
	char start[16], end[16];
	struct tkv_peer peers[8];
	size_t n;
	uint64_t leader; /* peer id */
};

static struct tkv_region view(const struct sregion *r)
{
	return (struct tkv_region){.id = r->id,
				   .start = (const uint8_t *)r->start,
				   .start_len = strlen(r->start),
				   .end = (const uint8_t *)r->end,
				   .end_len = strlen(r->end),
				   .conf_ver = r->conf_ver,
				   .version = r->version,
				   .peers = r->peers,
				   .n_peers = r->n};
}

static uint64_t leader_store(const struct sregion *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->peers[i].id == r->leader)
			return r->peers[i].store_id;
	return 0;
}

static enum tk_err heartbeat(struct tkv_sched *s, const struct sregion *r, struct tkv_op_step *step,
			     bool *has, struct tk_errbuf *eb)
{
	struct tkv_region_hb hb = {.region = view(r), .leader = {r->leader, leader_store(r)},
				   .size = 1 << 20, .keys = 1000};
	return tkv_sched_region_heartbeat(s, &hb, step, has, eb);
}

/* Do what the scheduler says until it says nothing; returns the number of
 * steps executed, -1 on error. */
static int drive(struct tkv_sched *s, struct sregion *r, int max_steps)
{
	struct tk_errbuf eb;
	int steps = 0;
	for (int i = 0; i < max_steps; i++) {
		struct tkv_op_step st;
		bool has;
		if (heartbeat(s, r, &st, &has, &eb)) {
			diag("heartbeat region %" PRIu64 ": %s", r->id, eb.msg);
			return -1;
		}
		if (!has)
			return steps;
		diag("region %" PRIu64 ": %s peer %" PRIu64 " store %" PRIu64, r->id,
		     tkv_step_kind_name(st.kind), st.peer_id, st.store_id);
		steps++;
		switch (st.kind) {
		case TKV_STEP_ADD_PEER:
			r->peers[r->n++] = (struct tkv_peer){st.peer_id, st.store_id};
			r->conf_ver++;
			break;
		case TKV_STEP_REMOVE_PEER:
			for (size_t j = 0; j < r->n; j++)
				if (r->peers[j].id == st.peer_id) {
					r->peers[j] = r->peers[--r->n];
					r->conf_ver++;
					break;
				}
			break;
		case TKV_STEP_TRANSFER_LEADER:
			r->leader = st.peer_id;
			break;
		}
	}
	return steps;
}

static bool on_store(const struct sregion *r, uint64_t store)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->peers[i].store_id == store)
			return true;
	return false;
}

static void store_hb(struct tkv_sched *s, uint64_t id)
{
	struct tk_errbuf eb;
	struct tkv_store_stats st = {.store_id = id, .capacity = 100ull << 30, .available = 80ull << 30};
	enum tk_err e = tkv_sched_store_heartbeat(s, &st, &eb);
	if (e && e != TK_E_STORE_TOMBSTONE) /* the drained store stays silent */
		die("store heartbeat", &eb);
}

static enum tk_err connect_cluster(const char *addr, const char *role, uint64_t cluster,
				   struct tkv_sched **s, struct tk_errbuf *eb)
{
	struct tkv_sched_config cfg;
	tkv_sched_config_default(&cfg);
	cfg.address = addr;
	cfg.role = role;
	cfg.name = "tksched";
	cfg.cluster_id = cluster;
	return tkv_sched_connect(&cfg, s, eb);
}

static struct tkv_sched *connect(const char *addr, const char *role)
{
	struct tkv_sched *s;
	struct tk_errbuf eb;
	if (connect_cluster(addr, role, 0, &s, &eb))
		die("connect", &eb);
	return s;
}

/* state shared between phases */
struct state {
	uint64_t stores[4];
	uint64_t max_id, last_ts;
	struct sregion left, right;
};

static void save(const char *path, const struct state *st)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(st, sizeof *st, 1, f) != 1) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	fclose(f);
}

static void load(const char *path, struct state *st)
{
	FILE *f = fopen(path, "rb");
	if (!f || fread(st, sizeof *st, 1, f) != 1) {
		printf("Bail out! cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
}

static void check_route(struct tkv_sched *s, const char *key, const struct sregion *want)
{
	struct tkv_region_info *ri;
	struct tk_errbuf eb;
	enum tk_err e = tkv_sched_get_region(s, key, strlen(key), &ri, &eb);
	ok(e == TK_OK, "get_region '%s' answers (%s)", key, e ? eb.msg : "ok");
	if (e)
		return;
	ok(ri->region.id == want->id && ri->region.version == want->version &&
		   ri->region.conf_ver == want->conf_ver && ri->region.n_peers == want->n,
	   "key '%s' routes to region %" PRIu64 " epoch %" PRIu64 "/%" PRIu64 " with %zu peers (got %" PRIu64
	   " %" PRIu64 "/%" PRIu64 " %zu peers)",
	   key, want->id, want->conf_ver, want->version, want->n, ri->region.id, ri->region.conf_ver,
	   ri->region.version, ri->region.n_peers);
	ok(ri->leader.id == want->leader && ri->leader_addr[0],
	   "the leader of region %" PRIu64 " and its store address are known (%s)", want->id,
	   ri->leader_addr);
	tkv_free(ri);
}

static int phase_setup(const char *addr, const char *path)
{
	struct state st;
	memset(&st, 0, sizeof st);
	struct tk_errbuf eb;
	struct tkv_sched *s = connect(addr, "store");
	ok(tkv_sched_cluster_id(s) != 0, "hello carries the cluster id %" PRIu64, tkv_sched_cluster_id(s));
	struct tkv_sched *other;
	ok(connect_cluster(addr, "store", tkv_sched_cluster_id(s) + 1, &other, &eb) == TK_E_CLUSTER_MISMATCH,
	   "a store of another cluster is refused at connect: %s", eb.msg);
	bool boot = true;
	ok(tkv_sched_is_bootstrapped(s, &boot, &eb) == TK_OK && !boot, "a new cluster is not bootstrapped");
	struct tkv_region_info *ri;
	ok(tkv_sched_get_region(s, "a", 1, &ri, &eb) == TK_E_NOT_BOOTSTRAPPED,
	   "routing before bootstrap is NOT_BOOTSTRAPPED (%s)", eb.msg);
	ok(tkv_sched_put_store(s, 99, "127.0.0.1:1", &eb) == TK_E_NOT_BOOTSTRAPPED,
	   "put_store before bootstrap is NOT_BOOTSTRAPPED");

	/* ids: 4 stores, the first region and its peer */
	uint64_t first, prev = 0;
	bool increasing = true;
	for (int i = 0; i < 4; i++) {
		if (tkv_sched_alloc_ids(s, 1, &st.stores[i], &eb))
			die("alloc_id", &eb);
		increasing = increasing && st.stores[i] > prev;
		prev = st.stores[i];
	}
	ok(increasing && st.stores[0] > 0, "alloc_id hands out increasing ids from 1 (%" PRIu64 "..%" PRIu64 ")",
	   st.stores[0], st.stores[3]);
	if (tkv_sched_alloc_ids(s, 2, &first, &eb))
		die("alloc_id", &eb);
	ok(first > prev, "a range of 2 ids starts after the last single id");
	ok(tkv_sched_alloc_ids(s, 5000000, &first, &eb) == TK_E_BAD_REQUEST,
	   "an absurd id count is BAD_REQUEST (%s)", eb.msg);
	uint64_t region_id = first, peer_id = first + 1;

	struct sregion *R = &st.left;
	*R = (struct sregion){.id = region_id, .conf_ver = 1, .version = 1, .n = 1, .leader = peer_id};
	R->peers[0] = (struct tkv_peer){peer_id, st.stores[0]};
	struct tkv_region v = view(R);
	char saddr[4][32];
	for (int i = 0; i < 4; i++)
		snprintf(saddr[i], sizeof saddr[i], "127.0.0.1:%d", 30001 + i);
	ok(tkv_sched_bootstrap(s, st.stores[0], saddr[0], &v, &eb) == TK_OK, "bootstrap with store %" PRIu64
	   " and region %" PRIu64 " (%s)", st.stores[0], region_id, eb.msg);
	ok(tkv_sched_bootstrap(s, st.stores[0], saddr[0], &v, &eb) == TK_E_ALREADY_BOOTSTRAPPED,
	   "a second bootstrap is ALREADY_BOOTSTRAPPED");
	ok(tkv_sched_is_bootstrapped(s, &boot, &eb) == TK_OK && boot, "the cluster is bootstrapped");
	for (int i = 1; i < 4; i++)
		ok(tkv_sched_put_store(s, st.stores[i], saddr[i], &eb) == TK_OK, "store %" PRIu64 " registers",
		   st.stores[i]);
	ok(tkv_sched_put_store(s, st.stores[3] + 1000, saddr[1], &eb) == TK_E_BAD_REQUEST,
	   "another store with a live store's address is refused (%s)", eb.msg);
	for (int i = 0; i < 4; i++)
		store_hb(s, st.stores[i]);
	ok(tkv_sched_store_heartbeat(s, &(struct tkv_store_stats){.store_id = 12345}, &eb) == TK_E_NOT_FOUND,
	   "a heartbeat from an unknown store is NOT_FOUND (%s)", eb.msg);

	/* quiet balancers: the test drives replica repair only */
	ok(tkv_sched_remove_scheduler(s, "balance-region", &eb) == TK_OK &&
		   tkv_sched_remove_scheduler(s, "balance-leader", &eb) == TK_OK,
	   "remove the balance schedulers");

	/* under-replicated: two add-peer steps through heartbeats */
	int steps = drive(s, R, 20);
	ok(steps == 2 && R->n == 3, "the under-replicated region got %d add_peer steps, now %zu peers", steps,
	   R->n);
	struct tkv_op_info *ops;
	size_t nops;
	ok(tkv_sched_list_operators(s, &ops, &nops, &eb) == TK_OK && nops == 0,
	   "no operator left once the heartbeat shows the peers (%zu)", nops);
	tkv_free(ops);

	/* split: new ids, both halves reported */
	uint64_t new_region, new_peers[8];
	v = view(R);
	ok(tkv_sched_ask_split(s, &v, &new_region, new_peers, &eb) == TK_OK && new_region > peer_id,
	   "ask_split hands out a new region id and %zu peer ids", R->n);
	struct sregion *L = R, *Rt = &st.right;
	*Rt = *L;
	Rt->id = new_region;
	for (size_t i = 0; i < Rt->n; i++) {
		Rt->peers[i].id = new_peers[i];
		if (L->peers[i].id == L->leader)
			Rt->leader = new_peers[i];
	}
	snprintf(L->end, sizeof L->end, "m");
	snprintf(Rt->start, sizeof Rt->start, "m");
	L->version++;
	Rt->version++;
	/* out of order: the new right half first */
	ok(drive(s, Rt, 5) == 0, "the right half (new region) is accepted");
	ok(drive(s, L, 5) == 0, "the shrunk left half is accepted");
	check_route(s, "a", L);
	check_route(s, "z", Rt);
	check_route(s, "m", Rt);

	/* stale and malformed heartbeats */
	struct sregion old = *L;
	old.version = 1;
	old.end[0] = 0;
	struct tkv_op_step stp;
	bool has;
	enum tk_err e = heartbeat(s, &old, &stp, &has, &eb);
	ok(e == TK_E_STALE_COMMAND, "a heartbeat with an older epoch is STALE_COMMAND: %s", eb.msg);
	old = *L;
	old.peers[1].store_id = old.peers[0].store_id;
	e = heartbeat(s, &old, &stp, &has, &eb);
	ok(e == TK_E_BAD_REQUEST, "a region with two peers on one store is BAD_REQUEST: %s", eb.msg);
	old = *L;
	old.leader = 424242;
	e = heartbeat(s, &old, &stp, &has, &eb);
	ok(e == TK_E_BAD_REQUEST, "a leader that is not a peer is BAD_REQUEST: %s", eb.msg);
	check_route(s, "a", L);
	/* a batch: one stale beat does not fail the others */
	old = *L;
	old.version = 1;
	old.end[0] = 0;
	struct tkv_region_hb hbs[3] = {
		{.region = view(L), .leader = {L->leader, leader_store(L)}},
		{.region = view(&old), .leader = {old.leader, leader_store(&old)}},
		{.region = view(Rt), .leader = {Rt->leader, leader_store(Rt)}},
	};
	struct tkv_region_hb_result res[3];
	e = tkv_sched_region_heartbeats(s, hbs, 3, res, &eb);
	ok(e == TK_OK && res[0].code == TK_OK && res[1].code == TK_E_STALE_COMMAND && res[2].code == TK_OK &&
		   res[2].region_id == Rt->id,
	   "region_heartbeats answers each beat: ok, STALE_COMMAND (%s), ok", res[1].message);
	old = *L;
	old.version = 1;
	v = view(&old);
	e = tkv_sched_ask_split(s, &v, &new_region, new_peers, &eb);
	ok(e == TK_E_EPOCH_NOT_MATCH, "ask_split with an outdated epoch is EPOCH_NOT_MATCH: %s", eb.msg);

	/* timestamps */
	uint64_t ts, last = 0;
	increasing = true;
	for (int i = 0; i < 1000; i++) {
		if (tkv_sched_get_ts(s, 1, &ts, &eb))
			die("get_ts", &eb);
		increasing = increasing && ts > last;
		last = ts;
	}
	ok(increasing, "1000 get_ts calls are strictly increasing");
	if (tkv_sched_get_ts(s, 10000, &ts, &eb))
		die("get_ts batch", &eb);
	ok(ts > last, "a batch of 10000 starts after the last timestamp");
	last = ts + 9999;
	if (tkv_sched_get_ts(s, 1, &ts, &eb))
		die("get_ts", &eb);
	ok(ts > last, "the next timestamp comes after the whole batch");
	st.last_ts = ts;
	if (tkv_sched_alloc_ids(s, 1, &st.max_id, &eb))
		die("alloc_id", &eb);

	/* config and schedulers */
	ok(tkv_sched_set_config(s, "max-replicas", "0", &eb) == TK_E_BAD_CONFIG,
	   "set_config refuses an out-of-range max-replicas (%s)", eb.msg);
	ok(tkv_sched_set_config(s, "no-such-thing", "1", &eb) == TK_E_NOT_FOUND,
	   "set_config of an unknown setting is NOT_FOUND");
	ok(tkv_sched_set_config(s, "region-split-size", "64MiB", &eb) == TK_OK, "set region-split-size");
	struct tkv_setting *set;
	size_t nset;
	ok(tkv_sched_get_config(s, "region-split-size", &set, &nset, &eb) == TK_OK && nset == 1 &&
		   !strcmp(set[0].value, "64MiB"),
	   "get_config reads it back");
	tkv_free(set);
	save(path, &st);
	tkv_sched_close(s);
	return failed != 0;
}

static int phase_check(const char *addr, const char *path)
{
	struct state st;
	load(path, &st);
	struct tk_errbuf eb;
	struct tkv_sched *s = connect(addr, "client");
	bool boot = false;
	ok(tkv_sched_is_bootstrapped(s, &boot, &eb) == TK_OK && boot, "still bootstrapped after the restart");
	check_route(s, "a", &st.left);
	check_route(s, "z", &st.right);
	uint64_t id, ts;
	enum tk_err e;
	if (tkv_sched_alloc_ids(s, 1, &id, &eb))
		die("alloc_id", &eb);
	ok(id > st.max_id, "alloc_id after the restart: %" PRIu64 " > %" PRIu64 " (no id repeated)", id,
	   st.max_id);
	if (tkv_sched_get_ts(s, 1, &ts, &eb))
		die("get_ts", &eb);
	ok(ts > st.last_ts, "get_ts after the restart: %" PRIu64 " > %" PRIu64, ts, st.last_ts);
	struct tkv_store_info *stores;
	size_t n;
	n = 0;
	e = tkv_sched_get_all_stores(s, false, &stores, &n, &eb);
	ok(e == TK_OK && n == 4, "the 4 stores are still registered (%zu)", n);
	tkv_free(stores);
	struct tkv_setting *set;
	ok(tkv_sched_get_config(s, "region-split-size", &set, &n, &eb) == TK_OK && n == 1 &&
		   !strcmp(set[0].value, "64MiB"),
	   "the changed setting survived the restart");
	tkv_free(set);
	char **active, **avail;
	ok(tkv_sched_list_schedulers(s, &active, &avail, &eb) == TK_OK && active[0] == NULL && avail[0],
	   "the removed schedulers stay removed");
	tkv_free(active);
	tkv_free(avail);
	/* save the newest marks for a further restart */
	st.max_id = id;
	st.last_ts = ts;
	save(path, &st);
	tkv_sched_close(s);
	return failed != 0;
}

static int phase_offline(const char *addr, const char *path)
{
	struct state st;
	load(path, &st);
	struct tk_errbuf eb;
	struct tkv_sched *s = connect(addr, "store");
	for (int i = 0; i < 4; i++)
		store_hb(s, st.stores[i]);
	/* the store holding replicas of both regions but not the first store */
	uint64_t victim = 0;
	for (int i = 1; i < 4 && !victim; i++)
		if (on_store(&st.left, st.stores[i]) && on_store(&st.right, st.stores[i]))
			victim = st.stores[i];
	ok(victim != 0, "a store with replicas of both regions: %" PRIu64, victim);
	ok(tkv_sched_store_offline(s, victim, false, &eb) == TK_OK, "store offline %" PRIu64, victim);
	int a = drive(s, &st.left, 20), b = drive(s, &st.right, 20);
	ok(a > 0 && b > 0 && !on_store(&st.left, victim) && !on_store(&st.right, victim) &&
		   st.left.n == 3 && st.right.n == 3,
	   "both regions moved their replica off store %" PRIu64 " (%d and %d steps)", victim, a, b);
	struct tkv_store_info si;
	bool tomb = false;
	for (int i = 0; i < 100 && !tomb; i++) {
		for (int j = 0; j < 4; j++)
			if (st.stores[j] != victim)
				store_hb(s, st.stores[j]);
		if (tkv_sched_get_store(s, victim, &si, &eb))
			die("get_store", &eb);
		tomb = !strcmp(si.state, "tombstone");
		if (!tomb) {
			struct timespec t = {0, 50 * 1000 * 1000};
			nanosleep(&t, NULL);
		}
	}
	ok(tomb, "the drained store becomes a tombstone (%s)", si.state);
	ok(tkv_sched_store_heartbeat(s, &(struct tkv_store_stats){.store_id = victim}, &eb) ==
		   TK_E_STORE_TOMBSTONE,
	   "a tombstone's heartbeat is STORE_TOMBSTONE (%s)", eb.msg);
	save(path, &st);
	tkv_sched_close(s);
	return failed != 0;
}

/* A store stops heartbeating past max-store-down-time: the replicas on it
 * are replaced on a new store. */
static int phase_down(const char *addr, const char *path)
{
	struct state st;
	load(path, &st);
	struct tk_errbuf eb;
	struct tkv_sched *s = connect(addr, "store");
	uint64_t fresh;
	if (tkv_sched_alloc_ids(s, 1, &fresh, &eb))
		die("alloc_id", &eb);
	ok(tkv_sched_put_store(s, fresh, "127.0.0.1:30009", &eb) == TK_OK, "a fifth store %" PRIu64 " registers",
	   fresh);
	/* the victim: a follower store of the left region other than store 1 */
	uint64_t victim = 0;
	for (size_t i = 0; i < st.left.n && !victim; i++)
		if (st.left.peers[i].store_id != st.stores[0] && st.left.peers[i].store_id != leader_store(&st.left))
			victim = st.left.peers[i].store_id;
	ok(victim != 0, "store %" PRIu64 " will go silent", victim);
	ok(tkv_sched_set_config(s, "max-store-down-time", "1s", &eb) == TK_OK &&
		   tkv_sched_set_config(s, "store-disconnect-time", "500ms", &eb) == TK_OK,
	   "max-store-down-time 1s");
	/* others keep heartbeating for 1.5 s; the victim does not */
	for (int i = 0; i < 30; i++) {
		for (int j = 0; j < 4; j++)
			if (st.stores[j] != victim)
				store_hb(s, st.stores[j]);
		store_hb(s, fresh);
		struct timespec t = {0, 50 * 1000 * 1000};
		nanosleep(&t, NULL);
	}
	struct tkv_store_info si;
	ok(tkv_sched_get_store(s, victim, &si, &eb) == TK_OK && !strcmp(si.state, "down"),
	   "the silent store is down (%s)", si.state);
	int a = drive(s, &st.left, 20);
	ok(a > 0 && !on_store(&st.left, victim) && on_store(&st.left, fresh) && st.left.n == 3,
	   "the left region replaced its peer on the down store with one on store %" PRIu64 " (%d steps)",
	   fresh, a);
	ok(tkv_sched_set_config(s, "max-store-down-time", "30m", &eb) == TK_OK, "max-store-down-time back to 30m");
	save(path, &st);
	tkv_sched_close(s);
	return failed != 0;
}

/* Balancing on a fresh scheduler: 24 regions on stores 1-3, all led from
 * store 1, and an empty store 4.  With the balance schedulers active,
 * heartbeats carry transfer-leader and move steps until leaders and
 * regions are spread. */
static int phase_balance(const char *addr)
{
	struct tk_errbuf eb;
	struct tkv_sched *s = connect(addr, "store");
	enum { NR = 24 };
	uint64_t st[4], first;
	for (int i = 0; i < 4; i++)
		if (tkv_sched_alloc_ids(s, 1, &st[i], &eb))
			die("alloc_id", &eb);
	if (tkv_sched_alloc_ids(s, 1 + NR * 4, &first, &eb))
		die("alloc_id", &eb);
	static struct sregion rs[NR];
	struct sregion boot = {.id = first, .conf_ver = 1, .version = 1, .n = 1, .leader = first + 1};
	boot.peers[0] = (struct tkv_peer){first + 1, st[0]};
	struct tkv_region v = view(&boot);
	if (tkv_sched_bootstrap(s, st[0], "127.0.0.1:31001", &v, &eb))
		die("bootstrap", &eb);
	for (int i = 1; i < 4; i++) {
		char a[32];
		snprintf(a, sizeof a, "127.0.0.1:%d", 31001 + i);
		if (tkv_sched_put_store(s, st[i], a, &eb))
			die("put_store", &eb);
	}
	for (int i = 0; i < NR; i++) {
		struct sregion *r = &rs[i];
		*r = (struct sregion){.id = first + 2 + (uint64_t)i * 4, .conf_ver = 1, .version = 2, .n = 3};
		if (i)
			snprintf(r->start, sizeof r->start, "k%02d", i);
		if (i + 1 < NR)
			snprintf(r->end, sizeof r->end, "k%02d", i + 1);
		for (int j = 0; j < 3; j++)
			r->peers[j] = (struct tkv_peer){r->id + 1 + (uint64_t)j, st[j]};
		r->leader = r->peers[0].id;
	}
	for (int j = 0; j < 4; j++)
		store_hb(s, st[j]);
	int steps = 0, quiet = 0;
	/* until 10 rounds (1 s) pass without a step, at most 20 s */
	for (int round = 0; round < 200 && quiet < 10; round++) {
		for (int j = 0; j < 4; j++)
			store_hb(s, st[j]);
		int n = 0;
		for (int i = 0; i < NR; i++) {
			int k = drive(s, &rs[i], 1);
			if (k < 0)
				die("heartbeat", &(struct tk_errbuf){.msg = "see above"});
			n += k;
		}
		steps += n;
		quiet = n || !steps ? 0 : quiet + 1;
		struct timespec t = {0, 100 * 1000 * 1000};
		nanosleep(&t, NULL);
	}
	struct tkv_store_info *si;
	size_t n;
	if (tkv_sched_get_all_stores(s, false, &si, &n, &eb))
		die("get_all_stores", &eb);
	uint64_t lmin = UINT64_MAX, lmax = 0;
	for (size_t i = 0; i < n; i++) {
		diag("store %" PRIu64 ": %" PRIu64 " regions, %" PRIu64 " leaders", si[i].id, si[i].region_count,
		     si[i].leader_count);
		lmin = si[i].leader_count < lmin ? si[i].leader_count : lmin;
		lmax = si[i].leader_count > lmax ? si[i].leader_count : lmax;
	}
	ok(steps > 0 && quiet >= 10, "the balance schedulers sent %d steps through heartbeats, then stopped",
	   steps);
	/* 18 moves (add, maybe transfer, remove) and ~18 leader transfers:
	 * anything far above means operators undoing each other */
	ok(steps <= 3 * NR, "no flapping: %d steps for %d regions", steps, NR);
	ok(n == 4 && lmax - lmin <= 3, "leaders are spread (%" PRIu64 "..%" PRIu64 " per store)", lmin, lmax);
	ok(n == 4 && si[3].region_count >= 6, "the empty store received regions (%" PRIu64 ")",
	   n == 4 ? si[3].region_count : 0);
	bool three = true;
	for (int i = 0; i < NR; i++)
		three = three && rs[i].n == 3;
	ok(three, "every region still has 3 replicas");
	tkv_free(si);
	tkv_sched_close(s);
	return failed != 0;
}

/* One handle across a scheduler restart on the same address: the caller
 * restarts it when we print "restart" and answers on stdin. */
static int phase_reconnect(const char *addr)
{
	struct tk_errbuf eb;
	struct tkv_sched *s = connect(addr, "client");
	uint64_t a, b;
	if (tkv_sched_get_ts(s, 1, &a, &eb))
		die("get_ts", &eb);
	printf("# restart\n");
	fflush(stdout);
	char line[64];
	if (!fgets(line, sizeof line, stdin))
		return 1;
	enum tk_err e = tkv_sched_get_ts(s, 1, &b, &eb);
	ok(e == TK_OK && b > a, "the same handle reconnects after the scheduler restarted (%s)",
	   e ? eb.msg : "ok");
	tkv_sched_close(s);
	return failed != 0;
}

static int phase_ts(const char *addr, long n, long batch)
{
	struct tk_errbuf eb;
	struct tkv_sched *s = connect(addr, "client");
	uint64_t ts, last = 0;
	bool increasing = true;
	for (long i = 0; i < n; i++) {
		if (tkv_sched_get_ts(s, (uint64_t)batch, &ts, &eb))
			die("get_ts", &eb);
		increasing = increasing && ts > last;
		last = ts + (uint64_t)batch - 1;
	}
	printf("%" PRIu64 "\n", last);
	tkv_sched_close(s);
	return !increasing;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: tksched ADDR setup|check|offline STATEFILE | ADDR ts N BATCH\n");
		return 2;
	}
	if (!strcmp(argv[2], "setup"))
		return phase_setup(argv[1], argv[3]);
	if (!strcmp(argv[2], "check"))
		return phase_check(argv[1], argv[3]);
	if (!strcmp(argv[2], "offline"))
		return phase_offline(argv[1], argv[3]);
	if (!strcmp(argv[2], "down"))
		return phase_down(argv[1], argv[3]);
	if (!strcmp(argv[2], "balance"))
		return phase_balance(argv[1]);
	if (!strcmp(argv[2], "reconnect"))
		return phase_reconnect(argv[1]);
	if (!strcmp(argv[2], "ts") && argc == 5)
		return phase_ts(argv[1], atol(argv[3]), atol(argv[4]));
	fprintf(stderr, "tksched: unknown phase '%s'\n", argv[2]);
	return 2;
}
