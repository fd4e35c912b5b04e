/* In-memory test cluster; see testnet.h. */
#include "raft/testnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tn_default_config(struct raft_config *c)
{
	memset(c, 0, sizeof(*c));
	c->election_ticks = 10;
	c->heartbeat_ticks = 1;
	c->max_inflight = 256;
	c->max_msg_bytes = 1 << 20;
	c->seed = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "testnet: %s\n", what);
	abort();
}

static struct raft_node *open_node(struct tnet *t, struct tn_node *nd, const raft_id *voters,
				   size_t nv)
{
	struct raft_config c = t->tmpl;
	c.id = nd->id;
	c.voters = voters;
	c.n_voters = nv;
	c.storage = raft_memstore_storage(nd->ms);
	c.applied = nd->applied_index;
	c.seed = t->tmpl.seed + nd->id * 7919;
	struct raft_node *r;
	if (raft_node_new(&c, &r) != TK_OK)
		die("raft_node_new");
	return r;
}

struct tnet *tn_new(size_t n, const struct raft_config *tmpl)
{
	struct tnet *t = calloc(1, sizeof(*t));
	if (tmpl)
		t->tmpl = *tmpl;
	else
		tn_default_config(&t->tmpl);
	raft_id voters[TN_MAX];
	for (size_t i = 0; i < n; i++)
		voters[i] = i + 1;
	for (size_t i = 1; i <= n; i++)
		tn_add_node(t, i, voters, n);
	return t;
}

void tn_add_node(struct tnet *t, raft_id id, const raft_id *voters, size_t nv)
{
	struct tn_node *nd = &t->nodes[id];
	memset(nd, 0, sizeof(*nd));
	nd->id = id;
	nd->ms = raft_memstore_new();
	struct raft_conf_state cs = {0};
	for (size_t i = 0; i < nv; i++)
		cs.voters[cs.n_voters++] = voters[i];
	raft_memstore_set_conf(nd->ms, &cs);
	nd->r = open_node(t, nd, NULL, 0);
	if (id > t->n)
		t->n = id;
}

void tn_free_msgs(struct raft_message *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		raft_message_destroy(&v[i]);
}

void tn_clear_queue(struct tnet *t)
{
	for (size_t i = t->qhead; i < t->qn; i++)
		raft_message_destroy(&t->q[i]);
	t->qn = t->qhead = 0;
}

void tn_clear_capture(struct tnet *t)
{
	tn_free_msgs(t->cap, t->capn);
	t->capn = 0;
}

void tn_free(struct tnet *t)
{
	tn_clear_queue(t);
	tn_clear_capture(t);
	free(t->q);
	free(t->cap);
	for (size_t i = 1; i <= t->n; i++) {
		struct tn_node *nd = &t->nodes[i];
		if (!nd->id)
			continue;
		raft_node_free(nd->r);
		raft_memstore_free(nd->ms);
		free(nd->applied);
	}
	free(t);
}

static void enqueue(struct tnet *t, const struct raft_message *m)
{
	if (t->capture[m->from]) {
		if (t->capn == t->capcap) {
			t->capcap = t->capcap ? 2 * t->capcap : 64;
			t->cap = realloc(t->cap, t->capcap * sizeof(*t->cap));
		}
		raft_message_copy(&t->cap[t->capn++], m);
		return;
	}
	if (t->qn == t->qcap) {
		if (t->qhead) {
			memmove(t->q, t->q + t->qhead, (t->qn - t->qhead) * sizeof(*t->q));
			t->qn -= t->qhead;
			t->qhead = 0;
		}
		if (t->qn == t->qcap) {
			t->qcap = t->qcap ? 2 * t->qcap : 256;
			t->q = realloc(t->q, t->qcap * sizeof(*t->q));
		}
	}
	raft_message_copy(&t->q[t->qn++], m);
}

static void apply_entry(struct tnet *t, struct tn_node *nd, const struct raft_entry *e)
{
	if (nd->n_applied == nd->cap_applied) {
		nd->cap_applied = nd->cap_applied ? 2 * nd->cap_applied : 64;
		nd->applied = realloc(nd->applied, nd->cap_applied * sizeof(*nd->applied));
	}
	struct tn_applied *a = &nd->applied[nd->n_applied++];
	memset(a, 0, sizeof(*a));
	a->index = e->index;
	a->term = e->term;
	a->type = e->type;
	a->len = e->len < sizeof(a->data) ? e->len : sizeof(a->data);
	if (a->len)
		memcpy(a->data, e->data, a->len);
	nd->applied_index = e->index;
	if (e->type == RAFT_ENTRY_CONF_CHANGE) {
		struct raft_conf_change cc;
		if (raft_conf_change_decode(e->data, e->len, &cc) != TK_OK)
			die("bad conf change");
		struct raft_conf_state cs;
		raft_apply_conf_change(nd->r, &cc, &cs);
		raft_memstore_set_conf(nd->ms, &cs);
	}
	(void)t;
}

static bool process(struct tnet *t, struct tn_node *nd)
{
	bool any = false;
	while (!nd->down && raft_has_ready(nd->r)) {
		any = true;
		struct raft_ready rd;
		raft_ready(nd->r, &rd);
		if (rd.snapshot) {
			raft_memstore_apply_snapshot(nd->ms, rd.snapshot);
			nd->snapshot_applied = true;
			nd->applied_index = rd.snapshot->meta.index;
		}
		if (rd.n_entries && raft_memstore_append(nd->ms, rd.entries, rd.n_entries) != TK_OK)
			die("append");
		if (rd.has_hard_state)
			raft_memstore_set_hard_state(nd->ms, &rd.hard_state);
		for (size_t i = 0; i < rd.n_msgs; i++)
			enqueue(t, &rd.msgs[i]);
		for (size_t i = 0; i < rd.n_committed; i++)
			apply_entry(t, nd, &rd.committed[i]);
		for (size_t i = 0; i < rd.n_reads && nd->n_reads < 64; i++) {
			struct raft_read_state *rs = &nd->reads[nd->n_reads];
			size_t l = rd.reads[i].context_len < 31 ? rd.reads[i].context_len : 31;
			memcpy(nd->rctx[nd->n_reads], rd.reads[i].context, l);
			nd->rctx[nd->n_reads][l] = 0;
			rs->index = rd.reads[i].index;
			rs->context = (const uint8_t *)nd->rctx[nd->n_reads];
			rs->context_len = l;
			nd->n_reads++;
		}
		raft_advance(nd->r);
	}
	return any;
}

static bool process_all(struct tnet *t)
{
	bool any = false;
	for (size_t i = 1; i <= t->n; i++)
		if (t->nodes[i].id && process(t, &t->nodes[i]))
			any = true;
	return any;
}

static bool deliver_one(struct tnet *t)
{
	if (t->qhead == t->qn)
		return false;
	struct raft_message m = t->q[t->qhead++];
	struct tn_node *to = m.to <= t->n ? &t->nodes[m.to] : NULL;
	bool drop = !to || !to->id || to->down || t->cut[m.from][m.to] ||
		    (t->drop_type && m.type == t->drop_type);
	if (!drop)
		raft_step(to->r, &m);
	raft_message_destroy(&m);
	return true;
}

void tn_step_some(struct tnet *t, size_t max)
{
	process_all(t);
	for (size_t i = 0; i < max && deliver_one(t); i++)
		;
	process_all(t);
}

void tn_settle(struct tnet *t)
{
	for (int rounds = 0; rounds < 100000; rounds++) {
		bool any = process_all(t);
		while (deliver_one(t)) {
			any = true;
			process_all(t);
		}
		if (!any)
			return;
	}
	die("network does not settle");
}

void tn_tick(struct tnet *t, raft_id id, unsigned times)
{
	for (unsigned i = 0; i < times; i++) {
		if (!t->nodes[id].down)
			raft_tick(t->nodes[id].r);
		tn_settle(t);
	}
}

void tn_tick_all(struct tnet *t, unsigned times)
{
	for (unsigned k = 0; k < times; k++) {
		for (size_t i = 1; i <= t->n; i++)
			if (t->nodes[i].id && !t->nodes[i].down)
				raft_tick(t->nodes[i].r);
		tn_settle(t);
	}
}

void tn_campaign(struct tnet *t, raft_id id)
{
	raft_campaign(t->nodes[id].r);
	tn_settle(t);
}

enum tk_err tn_propose(struct tnet *t, raft_id id, const char *s)
{
	enum tk_err e = raft_propose_one(t->nodes[id].r, s, strlen(s));
	tn_settle(t);
	return e;
}

void tn_isolate(struct tnet *t, raft_id id)
{
	for (size_t i = 1; i <= TN_MAX; i++) {
		t->cut[id][i] = true;
		t->cut[i][id] = true;
	}
}

void tn_cut(struct tnet *t, raft_id a, raft_id b)
{
	t->cut[a][b] = t->cut[b][a] = true;
}

void tn_heal(struct tnet *t)
{
	memset(t->cut, 0, sizeof(t->cut));
	t->drop_type = 0;
}

void tn_crash(struct tnet *t, raft_id id)
{
	struct tn_node *nd = &t->nodes[id];
	raft_node_free(nd->r);
	nd->r = NULL;
	nd->down = true;
}

void tn_restart(struct tnet *t, raft_id id)
{
	struct tn_node *nd = &t->nodes[id];
	if (nd->r)
		raft_node_free(nd->r);
	nd->down = false;
	nd->r = open_node(t, nd, NULL, 0);
}

struct raft_node *tn_r(struct tnet *t, raft_id id)
{
	return t->nodes[id].r;
}

raft_id tn_leader(struct tnet *t)
{
	for (size_t i = 1; i <= t->n; i++)
		if (t->nodes[i].id && !t->nodes[i].down && raft_role(t->nodes[i].r) == RAFT_LEADER)
			return i;
	return 0;
}

void tn_status(struct tnet *t, raft_id id, struct raft_status *st)
{
	raft_status(t->nodes[id].r, st);
}

void tn_compact(struct tnet *t, raft_id id, raft_index index)
{
	struct tn_node *nd = &t->nodes[id];
	struct raft_conf_state cs;
	raft_memstore_conf(nd->ms, &cs);
	char data[32];
	int l = snprintf(data, sizeof(data), "snap@%llu", (unsigned long long)index);
	if (raft_memstore_create_snapshot(nd->ms, index, &cs, data, (size_t)l) != TK_OK)
		die("create snapshot");
	if (raft_memstore_compact(nd->ms, index) != TK_OK)
		die("compact");
}

bool tn_logs_equal(struct tnet *t, raft_id a, raft_id b)
{
	struct raft_memstore *x = t->nodes[a].ms, *y = t->nodes[b].ms;
	if (raft_memstore_last(x) != raft_memstore_last(y))
		return false;
	raft_index lo = raft_memstore_first(x);
	if (raft_memstore_first(y) > lo)
		lo = raft_memstore_first(y);
	for (raft_index i = lo; i <= raft_memstore_last(x); i++) {
		const struct raft_entry *e = raft_memstore_entry(x, i), *f = raft_memstore_entry(y, i);
		if (e->term != f->term || e->len != f->len ||
		    (e->len && memcmp(e->data, f->data, e->len)))
			return false;
	}
	return true;
}

struct raft_node *tn_lone(raft_id id, const raft_id *voters, size_t nv, struct raft_memstore *ms,
			  const struct raft_config *tmpl)
{
	struct raft_config c;
	if (tmpl)
		c = *tmpl;
	else
		tn_default_config(&c);
	c.id = id;
	c.voters = voters;
	c.n_voters = nv;
	c.storage = raft_memstore_storage(ms);
	struct raft_node *r;
	if (raft_node_new(&c, &r) != TK_OK)
		die("raft_node_new");
	return r;
}

size_t tn_drain(struct raft_node *r, struct raft_memstore *ms, struct raft_message *out,
		size_t max)
{
	size_t k = 0;
	while (raft_has_ready(r)) {
		struct raft_ready rd;
		raft_ready(r, &rd);
		if (rd.snapshot)
			raft_memstore_apply_snapshot(ms, rd.snapshot);
		if (rd.n_entries)
			raft_memstore_append(ms, rd.entries, rd.n_entries);
		if (rd.has_hard_state)
			raft_memstore_set_hard_state(ms, &rd.hard_state);
		for (size_t i = 0; i < rd.n_msgs; i++) {
			if (k < max)
				raft_message_copy(&out[k++], &rd.msgs[i]);
		}
		raft_advance(r);
	}
	return k;
}
