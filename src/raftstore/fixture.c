/* The raftstore test cluster (see fixture.h). */
#include "test_ps_helpers.h" /* first: it sets _GNU_SOURCE */

#include "raftstore/fixture.h"

#include <limits.h>

#include "engine/raft_keys.h"
#include "raftstore/cmd.h"
#include "raftstore/snap.h"

static uint64_t rnd(struct fx *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

/* An owned copy (NULL data when empty), freed by msg_destroy. */
static struct tk_slice dup_slice(struct tk_slice in)
{
	struct tk_slice out = {NULL, 0};
	if (in.n) {
		uint8_t *d = malloc(in.n);
		ck_assert_ptr_nonnull(d);
		memcpy(d, in.p, in.n);
		out = (struct tk_slice){d, in.n};
	}
	return out;
}

/* A new slot at the end of the queue. */
static struct fx_msg *push(struct fx *c)
{
	if (c->qn == c->qcap) {
		c->qcap = c->qcap ? c->qcap * 2 : 64;
		c->q = realloc(c->q, c->qcap * sizeof *c->q);
		ck_assert_ptr_nonnull(c->q);
	}
	return &c->q[c->qn++];
}

static void fx_send(void *arg, uint64_t to, const struct rs_envelope *msgs, size_t n)
{
	struct fx *c = arg;
	for (size_t i = 0; i < n; i++) {
		struct fx_msg *m = push(c);
		m->from = c->sending_store;
		m->to = to;
		m->env = msgs[i];
		raft_message_copy(&m->env.msg, &msgs[i].msg);
		m->env.snap.data = NULL;
		m->env.start_key = dup_slice(msgs[i].start_key);
		m->env.end_key = dup_slice(msgs[i].end_key);
		if (msgs[i].snap.len) {
			uint8_t *d = malloc(msgs[i].snap.len);
			ck_assert_ptr_nonnull(d);
			memcpy(d, msgs[i].snap.data, msgs[i].snap.len);
			m->env.snap.data = d;
		}
	}
}

static void msg_destroy(struct fx_msg *m)
{
	raft_message_destroy(&m->env.msg);
	free((void *)m->env.snap.data);
	m->env.snap.data = NULL;
	free((void *)m->env.start_key.p);
	free((void *)m->env.end_key.p);
	m->env.start_key = m->env.end_key = (struct tk_slice){NULL, 0};
}

void fx_start(struct fx *c, int id)
{
	c->e[id] = ph_open(c->dir[id]);
	struct rs_store_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.store_id = (uint64_t)id;
	cfg.e = c->e[id];
	cfg.peer = c->opt;
	cfg.peer.seed = rnd(c);
	cfg.send = fx_send;
	cfg.send_arg = c;
	cfg.snap_chunk_bytes = c->snap_chunk_bytes;
	cfg.snap_window = c->snap_window;
	cfg.no_sync = c->no_sync;
	struct tk_errbuf eb;
	enum tk_err rc = rs_store_open(&cfg, &c->s[id], &eb);
	ck_assert_msg(rc == TK_OK, "store %d: %s", id, eb.msg);
}

struct fx *fx_new(int n, uint64_t seed)
{
	return fx_new_opts(n, seed, NULL);
}

struct fx *fx_new_opts(int n, uint64_t seed, const struct rs_peer_options *o)
{
	return fx_new_peers(n, n, seed, o);
}

struct fx *fx_new_peers(int n, int peers, uint64_t seed, const struct rs_peer_options *o)
{
	ck_assert(n >= 1 && n <= FX_MAX && peers >= 1 && peers <= n);
	struct fx *c = calloc(1, sizeof *c);
	ck_assert_ptr_nonnull(c);
	if (o)
		c->opt = *o;
	else
		rs_peer_options_default(&c->opt);
	/* Small chunks and window, so that any snapshot streams in several. */
	c->snap_chunk_bytes = 256;
	c->snap_window = 2;
	c->n = n;
	c->rng = seed * 2654435761u + 1;
	struct eng_batch *b = eng_batch_new();
	for (int id = 1; id <= n; id++) {
		c->dir[id] = ph_tmpdir();
		if (id <= peers) {
			struct eng *e = ph_open(c->dir[id]);
			struct rs_region_state rs;
			ph_region(&rs, FX_RID, (uint32_t)peers, "", "");
			struct tk_errbuf eb;
			ck_assert_int_eq(rs_ps_bootstrap(e, b, &rs, &eb), TK_OK);
			rs_region_state_destroy(&rs);
			ph_write(e, b);
			eng_close(e);
		}
		fx_start(c, id);
	}
	eng_batch_free(b);
	return c;
}

void fx_kill(struct fx *c, int id)
{
	rs_store_free(c->s[id]);
	eng_close(c->e[id]);
	c->s[id] = NULL;
	c->e[id] = NULL;
}

void fx_free(struct fx *c)
{
	for (int id = 1; id <= c->n; id++) {
		if (c->s[id])
			fx_kill(c, id);
		ph_rmrf(c->dir[id]);
	}
	for (size_t i = 0; i < c->qn; i++)
		msg_destroy(&c->q[i]);
	free(c->q);
	free(c);
}

static bool passes(struct fx *c)
{
	bool any = false;
	for (int id = 1; id <= c->n; id++) {
		if (!c->s[id])
			continue;
		size_t nr;
		struct tk_errbuf eb;
		c->sending_store = (uint64_t)id;
		enum tk_err rc = rs_store_ready_pass(c->s[id], &nr, &eb);
		if (rc != TK_OK) { /* a failed pass: the store dies, as a daemon would */
			if (getenv("FX_VERBOSE"))
				fprintf(stderr, "store %d dies: %s\n", id, eb.msg);
			fx_kill(c, id);
			continue;
		}
		any = any || nr > 0;
	}
	return any;
}

static bool deliver(struct fx *c)
{
	size_t n = c->qn;
	struct fx_msg *q = c->q;
	c->q = NULL;
	c->qn = c->qcap = 0;
	for (size_t i = 0; i < n; i++) {
		struct fx_msg *m = &q[i];
		bool cut = !c->s[m->to] || c->group[m->from] != c->group[m->to];
		bool lost = !cut && c->drop_pct && rnd(c) % 100 < c->drop_pct;
		bool drop = cut || lost;
		c->dropped += lost;
		if (!drop && c->delay_pct && rnd(c) % 100 < c->delay_pct) {
			*push(c) = *m; /* next delivery: after the rest of its batch */
			c->delayed++;
			continue;
		}
		if (!drop) { /* a message no peer takes is dropped, as a daemon would */
			enum tk_err rc = rs_store_step(c->s[m->to], &m->env);
			ck_assert_msg(rc == TK_OK || rc == TK_E_REGION_NOT_FOUND, "step: %s",
			              tk_err_name(rc));
		}
		msg_destroy(m);
	}
	free(q);
	return n > 0;
}

void fx_settle(struct fx *c)
{
	for (int i = 0; i < 10000; i++) {
		bool any = passes(c);
		if (!deliver(c) && !any)
			return;
	}
	ck_abort_msg("cluster did not settle");
}

void fx_round(struct fx *c)
{
	passes(c);
	deliver(c);
}

void fx_tick(struct fx *c, int n)
{
	for (int i = 0; i < n; i++) {
		for (int id = 1; id <= c->n; id++)
			if (c->s[id])
				rs_store_tick(c->s[id]);
		fx_settle(c);
	}
}

void fx_partition(struct fx *c, const int *group)
{
	for (int id = 1; id <= c->n; id++)
		c->group[id] = group ? group[id] : 0;
}

struct rs_peer *fx_peer(struct fx *c, int id)
{
	return c->s[id] ? rs_store_peer(c->s[id], FX_RID) : NULL;
}

struct raft_node *fx_raft(struct fx *c, int id)
{
	struct rs_peer *p = fx_peer(c, id);
	return p ? rs_peer_raft(p) : NULL;
}

int fx_leader(struct fx *c)
{
	for (int id = 1; id <= c->n; id++)
		if (fx_raft(c, id) && raft_role(fx_raft(c, id)) == RAFT_LEADER)
			return id;
	return 0;
}

void fx_campaign(struct fx *c, int id)
{
	raft_campaign(fx_raft(c, id));
	fx_settle(c);
}

static void on_result(void *arg, enum tk_err rc, const struct rs_cmd_output *out)
{
	struct fx_result *r = arg;
	(void)out;
	r->rc = (int)rc;
	r->fired++;
}

void fx_propose(struct fx *c, int id, int op, const char *key, const char *val, struct fx_result *r)
{
	r->rc = INT_MIN;
	r->fired = 0;
	struct tk_buf cmd;
	tk_buf_init(&cmd);
	uint8_t one[8];
	tk_put_be64(one, 1);
	struct tk_slice v = op == RS_CMD_INCR ? tk_slice_of(one, 8) : tk_slice_str(val ? val : "");
	ck_assert(rs_cmd_begin(&cmd));
	ck_assert(rs_cmd_add(&cmd, (enum rs_cmd_op)op, tk_slice_str(key), v));
	rs_store_propose(c->s[id], FX_RID, cmd.data, cmd.len, on_result, r);
	tk_buf_destroy(&cmd);
}

bool fx_get(struct fx *c, int id, const char *key, char *out, size_t cap)
{
	struct tk_buf v;
	tk_buf_init(&v);
	bool found;
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_get(c->e[id], ENG_CF_RAW, tk_slice_str(key), &v, &found, &eb), TK_OK);
	if (found) {
		ck_assert_uint_lt(v.len, cap);
		memcpy(out, v.data, v.len);
		out[v.len] = 0;
	}
	tk_buf_destroy(&v);
	return found;
}

uint64_t fx_counter(struct fx *c, int id, const char *key)
{
	char v[16];
	struct tk_buf b;
	tk_buf_init(&b);
	bool found;
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_get(c->e[id], ENG_CF_RAW, tk_slice_str(key), &b, &found, &eb), TK_OK);
	uint64_t n = found && b.len == 8 ? tk_get_be64(b.data) : 0;
	tk_buf_destroy(&b);
	(void)v;
	return n;
}

raft_index fx_applied(struct fx *c, int id)
{
	struct rs_peer *p = fx_peer(c, id);
	if (!p)
		return 0;
	struct rs_apply_state a;
	rs_ps_apply_state(rs_peer_storage(p), &a);
	return a.applied;
}

void fx_change_peer(struct fx *c, int id, int add, uint64_t peer_id, uint64_t store_id,
                    struct fx_result *r)
{
	r->rc = INT_MIN;
	r->fired = 0;
	rs_store_change_peer(c->s[id], FX_RID, add, peer_id, store_id, on_result, r);
}

/* Records of e in [lo, hi). */
static size_t count_keys(struct eng *e, struct eng_key lo, struct eng_key hi)
{
	struct eng_iter *it = eng_iter_new_keys(e, NULL, &lo, &hi);
	ck_assert_ptr_nonnull(it);
	size_t n = 0;
	for (eng_iter_seek_first(it); eng_iter_valid(it); eng_iter_next(it))
		n++;
	eng_iter_free(it);
	return n;
}

size_t fx_log_keys(struct fx *c, int id)
{
	return count_keys(c->e[id], eng_key_raft_log(FX_RID, 0), eng_key_raft_log_end(FX_RID));
}

int fx_await_leader(struct fx *c)
{
	for (int i = 0; i < 500; i++) {
		int l = fx_leader(c);
		if (l)
			return l;
		fx_tick(c, 1);
	}
	ck_abort_msg("no leader");
	return 0;
}

const struct rs_region *fx_region(struct fx *c, int id)
{
	struct rs_peer *p = fx_peer(c, id);
	return p ? rs_peer_region(p) : NULL;
}

void fx_put_ok(struct fx *c, const char *k, const char *v)
{
	for (int tries = 0; tries < 100; tries++) {
		int l = fx_await_leader(c);
		struct fx_result r;
		fx_propose(c, l, RS_CMD_PUT, k, v, &r);
		fx_settle(c);
		if (r.rc == TK_OK)
			return;
		fx_tick(c, 2);
	}
	ck_abort_msg("put %s never succeeded", k);
}

/* The peer of region r on store_id (0: none). */
static uint64_t peer_on(const struct rs_region *r, uint64_t store_id)
{
	for (uint32_t i = 0; r && i < r->n_peers; i++)
		if (r->peers[i].store_id == store_id)
			return r->peers[i].id;
	return 0;
}

void fx_change_ok(struct fx *c, int add, uint64_t peer_id, uint64_t store_id)
{
	for (int tries = 0; tries < 100; tries++) {
		int l = fx_await_leader(c);
		uint64_t have = peer_on(fx_region(c, l), store_id);
		if (add ? have == peer_id : have == 0)
			return; /* done (an earlier try that looked lost applied) */
		struct fx_result r;
		fx_change_peer(c, l, add, peer_id, store_id, &r);
		fx_settle(c);
		/* an added peer may count in the quorum at once: it has to be
		 * created and caught up (ticks) before the change commits */
		for (int i = 0; i < 200 && !r.fired; i++)
			fx_tick(c, 1);
		ck_assert_int_eq(r.fired, 1);
		if (r.rc == TK_OK)
			return;
		ck_assert_msg(r.rc != TK_E_BAD_REQUEST && r.rc != TK_E_EPOCH_NOT_MATCH,
		              "change peer %llu on store %llu: %s", (unsigned long long)peer_id,
		              (unsigned long long)store_id, tk_err_name((enum tk_err)r.rc));
		fx_tick(c, 2);
	}
	ck_abort_msg("change peer %llu never succeeded", (unsigned long long)peer_id);
}

void fx_converge(struct fx *c)
{
	for (int i = 0; i < 500; i++) {
		int l = fx_leader(c);
		const struct rs_region *r = l ? fx_region(c, l) : NULL;
		bool same = r != NULL;
		for (int id = 1; same && id <= c->n; id++) {
			if (!c->s[id])
				continue;
			bool member = peer_on(r, (uint64_t)id) != 0;
			/* members applied what the leader did; others hold no peer */
			if (member ? fx_applied(c, id) != fx_applied(c, l) : fx_peer(c, id) != NULL)
				same = false;
		}
		if (same)
			return;
		fx_tick(c, 1);
	}
	ck_abort_msg("stores did not converge");
}

size_t fx_data_keys(struct fx *c, int id)
{
	size_t n = 0;
	for (int i = 0; i < RS_SNAP_N_CFS; i++) {
		struct eng_iter *it = eng_iter_new(c->e[id], NULL, rs_snap_cfs[i],
		                                   tk_slice_of(NULL, 0), tk_slice_of(NULL, 0));
		ck_assert_ptr_nonnull(it);
		for (eng_iter_seek_first(it); eng_iter_valid(it); eng_iter_next(it))
			n++;
		eng_iter_free(it);
	}
	return n;
}

size_t fx_raft_records(struct fx *c, int id)
{
	return count_keys(c->e[id], eng_key_raft_region_lo(FX_RID), eng_key_raft_region_hi(FX_RID));
}

void fx_expect_val(struct fx *c, int id, const char *k, const char *want)
{
	char v[64];
	bool found = fx_get(c, id, k, v, sizeof v);
	if (!want) {
		ck_assert_msg(!found, "store %d holds %s", id, k);
		return;
	}
	ck_assert_msg(found, "store %d lacks %s", id, k);
	ck_assert_str_eq(v, want);
}

void fx_scan_prefix(struct fx *c, int id, const char *prefix, struct tk_buf *out)
{
	tk_buf_reset(out);
	size_t n = strlen(prefix);
	char hi[32];
	ck_assert(n > 0 && n < sizeof hi);
	memcpy(hi, prefix, n);
	hi[n - 1]++;
	struct eng_iter *it =
	    eng_iter_new(c->e[id], NULL, ENG_CF_RAW, tk_slice_of(prefix, n), tk_slice_of(hi, n));
	ck_assert_ptr_nonnull(it);
	for (eng_iter_seek_first(it); eng_iter_valid(it); eng_iter_next(it)) {
		struct tk_slice k = eng_iter_key(it), v = eng_iter_value(it);
		ck_assert(tk_buf_append(out, k.p, k.n) && tk_buf_append(out, "=", 1) &&
		          tk_buf_append(out, v.p, v.n) && tk_buf_append(out, ";", 1));
	}
	eng_iter_free(it);
}

uint8_t fx_stored_state(const char *dir, size_t *raft_records)
{
	struct eng *e = ph_open(dir);
	struct eng_key k = eng_key_region_state(FX_RID);
	struct tk_buf v;
	tk_buf_init(&v);
	bool found;
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_get_key(e, &k, &v, &found, &eb), TK_OK);
	ck_assert(found);
	struct rs_region_state rs;
	rs_region_state_init(&rs);
	ck_assert_int_eq(rs_region_state_decode(tk_buf_slice(&v), &rs, &eb), TK_OK);
	uint8_t st = rs.state;
	rs_region_state_destroy(&rs);
	tk_buf_destroy(&v);
	if (raft_records)
		*raft_records =
		    count_keys(e, eng_key_raft_region_lo(FX_RID), eng_key_raft_region_hi(FX_RID));
	eng_close(e);
	return st;
}

void fx_client_put(struct fx *c, int cl, int i)
{
	char k[32], v[32];
	snprintf(k, sizeof k, "c%d-%05d", cl, i);
	snprintf(v, sizeof v, "x%d", i);
	fx_put_ok(c, k, v);
}

void fx_expect_client_keys(struct fx *c, int id, int cl, int n)
{
	struct tk_buf got, want;
	tk_buf_init(&got);
	tk_buf_init(&want);
	char k[48];
	for (int i = 0; i < n; i++) {
		snprintf(k, sizeof k, "c%d-%05d=x%d;", cl, i, i);
		ck_assert(tk_buf_append(&want, k, strlen(k)));
	}
	snprintf(k, sizeof k, "c%d-", cl);
	fx_scan_prefix(c, id, k, &got);
	ck_assert_msg(tk_slice_eq(tk_buf_slice(&got), tk_buf_slice(&want)),
	              "store %d client %d: %.*s", id, cl, (int)got.len, (const char *)got.data);
	tk_buf_destroy(&got);
	tk_buf_destroy(&want);
}
