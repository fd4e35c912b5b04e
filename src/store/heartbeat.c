/* Heartbeats to the scheduler (cluster mode), from the reactor, over the
 * asynchronous scheduler client (tinykv_sched.h): nothing here blocks the
 * loop, and a scheduler that is down only fails beats (counted, logged once
 * per outage) until the client's reconnect finds it again.
 *
 *  - a store beat every --heartbeat-interval: capacity and available bytes
 *    of the data dir's file system (statvfs), used bytes (LevelDB's estimate
 *    of its tables: the memtable is not counted), the regions held, the
 *    snapshot streams being sent and received.  The scheduler counts
 *    leaders from region beats.
 *  - a region beat from the leader of each region at the same pace, and at
 *    once when this store's peer becomes leader or the epoch changes (the
 *    ready passes call store_hb_poll).  Its size is LevelDB's estimate of
 *    the region's range in the raw, default, lock and write columns; its
 *    key count is 0: the engine cannot tell it cheaply.  Pending peers
 *    are those being sent a snapshot, down peers those not heard from for
 *    2 s (peer_health).
 *
 * One beat of each kind is in flight at most: a timer that fires while one
 * waits skips its turn (a slow scheduler is not flooded).  Operator steps
 * that come back in region beat replies are run by operator.c. */
#include <string.h>
#include <sys/statvfs.h>

#include <event2/event.h>

#include "engine/keys.h"
#include "raftstore/peer.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"

/* ---- what a beat says ---- */

/* LevelDB's estimate of the on-disk bytes of [start, end) (end empty: the
 * end of the key space) in the data columns. */
static uint64_t range_size(struct eng *e, struct tk_slice start, struct tk_slice end)
{
	uint64_t n = eng_approximate_size(e, ENG_CF_RAW, start, end.n ? end : tk_slice_of(NULL, 0));
	struct tk_buf s, l;
	tk_buf_init(&s);
	tk_buf_init(&l);
	if (eng_mc_encode(&s, start) && (!end.n || eng_mc_encode(&l, end))) {
		struct tk_slice ms = tk_slice_of(s.data, s.len);
		struct tk_slice ml = end.n ? tk_slice_of(l.data, l.len) : tk_slice_of(NULL, 0);
		n += eng_approximate_size(e, ENG_CF_DEFAULT, ms, ml);
		n += eng_approximate_size(e, ENG_CF_LOCK, ms, ml);
		n += eng_approximate_size(e, ENG_CF_WRITE, ms, ml);
	}
	tk_buf_destroy(&s);
	tk_buf_destroy(&l);
	return n;
}

static void store_stats(struct store *s, struct tkv_store_stats *st)
{
	memset(st, 0, sizeof *st);
	st->store_id = s->net.ident.store_id;
	struct statvfs v;
	if (statvfs(s->net.cfg.data_dir, &v) == 0) {
		st->capacity = (uint64_t)v.f_blocks * v.f_frsize;
		st->available = (uint64_t)v.f_bavail * v.f_frsize;
	}
	for (int cf = ENG_CF_FIRST; cf <= ENG_CF_LAST; cf++)
		st->used += eng_approximate_size(s->net.eng, (enum eng_cf)cf, tk_slice_of(NULL, 0),
		                                 tk_slice_of(NULL, 0));
	st->regions = s->raft.rs ? rs_store_n_peers(s->raft.rs) : 0;
	if (s->raft.rs) {
		struct rs_store_stats rst;
		rs_store_get_stats(s->raft.rs, &rst);
		st->sending_snaps = rst.snaps_sending;
		st->receiving_snaps = rst.snaps_receiving;
	}
}

/* A follower not heard from for this long is down (TiKV's
 * max-peer-down-duration is minutes; the scheduler applies its own
 * threshold to the seconds reported). */
#define PEER_DOWN_AFTER_NS (2ull * 1000 * 1000 * 1000)

/* Pending peers (being sent a snapshot: they cannot serve yet) and down
 * peers (no message for PEER_DOWN_AFTER_NS) of the region p leads, from
 * raft's progress; down[i].store_id carries the seconds down. */
static void peer_health(struct store *s, struct rs_peer *p, struct tkv_region_hb *hb,
                        uint64_t *pending, struct tkv_peer *down)
{
	struct store_hb *h = &s->hb;
	struct raft_status st;
	raft_status(rs_peer_raft(p), &st);
	uint64_t now = tk_mono_ns();
	hb->pending = pending;
	hb->down = down;
	for (size_t i = 0; i < st.n_progress && i < RS_REGION_MAX_PEERS; i++) {
		const struct raft_progress_status *pr = &st.progress[i];
		if (pr->id == rs_peer_id(p))
			continue;
		size_t k = 0;
		while (k < RS_REGION_MAX_PEERS && h->seen[k].peer_id && h->seen[k].peer_id != pr->id)
			k++;
		if (k == RS_REGION_MAX_PEERS) { /* forget the oldest membership */
			memset(h->seen, 0, sizeof h->seen);
			k = 0;
		}
		if (!h->seen[k].peer_id || pr->recent_active)
			h->seen[k].active_ns = now;
		h->seen[k].peer_id = pr->id;
		if (pr->state == RAFT_PROGRESS_SNAPSHOT)
			pending[hb->n_pending++] = pr->id;
		uint64_t idle = now - h->seen[k].active_ns;
		if (idle >= PEER_DOWN_AFTER_NS)
			down[hb->n_down++] = (struct tkv_peer){pr->id, idle / 1000000000ull};
	}
}

/* The region beat of the serving region, when this store's peer leads it.
 * hb points into the peer's region state (valid until the next pass). */
static bool region_beat(struct store *s, struct tkv_region_hb *hb,
                        struct tkv_peer peers[RS_REGION_MAX_PEERS],
                        uint64_t pending[RS_REGION_MAX_PEERS],
                        struct tkv_peer down[RS_REGION_MAX_PEERS])
{
	struct rs_peer *p = store_serving_peer(s);
	if (!p || raft_role(rs_peer_raft(p)) != RAFT_LEADER)
		return false;
	const struct rs_region_state *rs = rs_ps_region_state(rs_peer_storage(p));
	if (!rs)
		return false;
	const struct rs_region *r = &rs->region;
	memset(hb, 0, sizeof *hb);
	hb->region.id = r->id;
	hb->region.start = r->start_key.data ? r->start_key.data : (const uint8_t *)"";
	hb->region.start_len = r->start_key.len;
	hb->region.end = r->end_key.data ? r->end_key.data : (const uint8_t *)"";
	hb->region.end_len = r->end_key.len;
	hb->region.conf_ver = r->epoch.conf_ver;
	hb->region.version = r->epoch.version;
	for (uint32_t i = 0; i < r->n_peers; i++)
		peers[i] = (struct tkv_peer){r->peers[i].id, r->peers[i].store_id};
	hb->region.peers = peers;
	hb->region.n_peers = r->n_peers;
	hb->leader = (struct tkv_peer){rs_peer_id(p), s->net.ident.store_id};
	peer_health(s, p, hb, pending, down);
	hb->size = range_size(s->net.eng, tk_slice_of(r->start_key.data, r->start_key.len),
	                      tk_slice_of(r->end_key.data, r->end_key.len));
	hb->keys = 0; /* the engine cannot count keys cheaply */
	return true;
}

/* ---- replies ---- */

/* Log a failure once per outage (the first after a success). */
static void beat_failed(struct store *s, const char *kind, const struct tkv_sched_reply *r)
{
	struct store_hb *hb = &s->hb;
	if (!hb->last_error[0])
		LOG_WARN("%s heartbeat to the scheduler at %s failed: %s: %s", kind,
		         s->net.cfg.scheduler, tk_err_name(r->code), r->message);
	snprintf(hb->last_error, sizeof hb->last_error, "%s: %s", tk_err_name(r->code), r->message);
}

static void beat_ok(struct store *s)
{
	struct store_hb *hb = &s->hb;
	if (hb->last_error[0])
		LOG_INFO("heartbeats to the scheduler at %s work again", s->net.cfg.scheduler);
	hb->last_error[0] = 0;
}

static void on_put_store(void *arg, const struct tkv_sched_reply *r)
{
	struct store *s = arg;
	if (r->code == TK_E_OK)
		LOG_INFO("registered store %llu at %s again",
		         (unsigned long long)s->net.ident.store_id, s->advertise);
}

static void on_store_beat(void *arg, const struct tkv_sched_reply *r)
{
	struct store *s = arg;
	struct store_hb *hb = &s->hb;
	hb->store_busy = false;
	if (r->code == TK_E_OK) {
		hb->store_beats++;
		beat_ok(s);
		return;
	}
	hb->store_errors++;
	if (r->code == TK_E_CLOSED)
		return;
	beat_failed(s, "store", r);
	/* the scheduler forgot us (its data dir was restored?): register again */
	if (r->code == TK_E_NOT_FOUND)
		tkv_sched_async_put_store(hb->sc, s->net.ident.store_id, s->advertise, on_put_store,
		                          s);
}

static void send_region_beat(struct store *s);

static void on_region_beat(void *arg, const struct tkv_sched_reply *r)
{
	struct store *s = arg;
	struct store_hb *hb = &s->hb;
	hb->region_busy = false;
	if (r->code == TK_E_CLOSED) {
		hb->region_errors++;
		return;
	}
	if (r->code != TK_E_OK) {
		hb->region_errors++;
		hb->sent_leader = 0; /* report again at the next chance */
		beat_failed(s, "region", r);
	} else {
		hb->region_beats++;
		beat_ok(s);
		if (r->has_step && (unsigned)r->step.kind < 3) {
			hb->ops[r->step.kind]++;
			/* the scheduler repeats a step until it sees it done: say
			 * it once */
			bool same = hb->last_op.kind == r->step.kind &&
			            hb->last_op.peer_id == r->step.peer_id &&
			            hb->last_op.store_id == r->step.store_id;
			hb->last_op = r->step;
			if (!same)
				LOG_INFO("scheduler asks region %llu to %s (peer %llu on store %llu)",
				         (unsigned long long)hb->sent_region,
				         tkv_step_kind_name(r->step.kind),
				         (unsigned long long)r->step.peer_id,
				         (unsigned long long)r->step.store_id);
			store_run_step(s, hb->sent_region, &r->step);
		}
	}
	if (hb->region_due) {
		hb->region_due = false;
		send_region_beat(s);
	}
}

/* ---- sending ---- */

static void send_store_beat(struct store *s)
{
	struct store_hb *hb = &s->hb;
	if (hb->store_busy)
		return;
	struct tkv_store_stats st;
	store_stats(s, &st);
	if (tkv_sched_async_store_heartbeat(hb->sc, &st, on_store_beat, s) == TK_E_OK)
		hb->store_busy = true;
}

static void send_region_beat(struct store *s)
{
	struct store_hb *hb = &s->hb;
	if (hb->region_busy) {
		hb->region_due = true;
		return;
	}
	struct tkv_region_hb rhb;
	struct tkv_peer peers[RS_REGION_MAX_PEERS], down[RS_REGION_MAX_PEERS];
	uint64_t pending[RS_REGION_MAX_PEERS];
	if (!region_beat(s, &rhb, peers, pending, down))
		return;
	if (tkv_sched_async_region_heartbeat(hb->sc, &rhb, on_region_beat, s) != TK_E_OK)
		return;
	hb->region_busy = true;
	hb->sent_region = rhb.region.id;
	hb->sent_conf_ver = rhb.region.conf_ver;
	hb->sent_version = rhb.region.version;
	hb->sent_leader = rhb.leader.id;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct store *s = arg;
	send_store_beat(s);
	send_region_beat(s);
}

static void on_now(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	send_region_beat(arg);
}

void store_hb_poll(struct store *s)
{
	struct store_hb *hb = &s->hb;
	if (!hb->now)
		return;
	struct rs_peer *p = store_serving_peer(s);
	if (!p || raft_role(rs_peer_raft(p)) != RAFT_LEADER) {
		hb->sent_leader = 0; /* leading again later is a change */
		return;
	}
	const struct rs_region_state *rs = rs_ps_region_state(rs_peer_storage(p));
	if (!rs)
		return;
	if (hb->sent_leader == rs_peer_id(p) && hb->sent_region == rs->region.id &&
	    hb->sent_conf_ver == rs->region.epoch.conf_ver &&
	    hb->sent_version == rs->region.epoch.version)
		return;
	/* not from inside the ready pass: once this iteration is done */
	event_active(hb->now, EV_TIMEOUT, 0);
}

/* ---- start / stop ---- */

enum tk_err store_hb_start(struct store *s, struct tk_errbuf *eb)
{
	struct store_hb *hb = &s->hb;
	struct tkv_sched_config cfg;
	tkv_sched_config_default(&cfg);
	cfg.address = s->net.cfg.scheduler;
	cfg.role = "store";
	cfg.name = "tinykvd";
	cfg.cluster_id = s->net.ident.cluster_id;
	cfg.connect_timeout_ms = 2000;
	cfg.timeout_ms = 10000;
	unsigned iv = s->net.cfg.heartbeat_interval_ms;
	cfg.reconnect_min_ms = iv < 100 ? iv : 100;
	cfg.reconnect_max_ms =
	    iv < 5000 ? (iv > cfg.reconnect_min_ms ? iv : cfg.reconnect_min_ms) : 5000;
	enum tk_err rc = tkv_sched_async_new(s->net.base, &cfg, &hb->sc, eb);
	if (rc != TK_OK)
		return rc;
	hb->timer = event_new(s->net.base, -1, EV_PERSIST, on_timer, s);
	hb->now = event_new(s->net.base, -1, 0, on_now, s);
	struct timeval tv = {iv / 1000, (iv % 1000) * 1000};
	if (!hb->timer || !hb->now || event_add(hb->timer, &tv) != 0)
		return tk_err_set(eb, TK_E_NOMEM, "heartbeat timer");
	send_store_beat(s); /* the first at once */
	store_hb_poll(s);
	return TK_OK;
}

void store_hb_stop(struct store *s)
{
	struct store_hb *hb = &s->hb;
	if (hb->timer)
		event_free(hb->timer);
	if (hb->now)
		event_free(hb->now);
	hb->timer = hb->now = NULL;
	tkv_sched_async_free(hb->sc); /* callbacks get TK_E_CLOSED */
	hb->sc = NULL;
}

/* ---- status ---- */

void store_hb_metrics(struct store *s, struct tk_buf *out)
{
	struct store_hb *hb = &s->hb;
	tk_buf_printf(out,
	              "# HELP tinykv_sched_heartbeats_total Heartbeats the scheduler accepted.\n"
	              "# TYPE tinykv_sched_heartbeats_total counter\n"
	              "tinykv_sched_heartbeats_total{kind=\"store\"} %llu\n"
	              "tinykv_sched_heartbeats_total{kind=\"region\"} %llu\n"
	              "# HELP tinykv_sched_heartbeat_errors_total Heartbeats that failed.\n"
	              "# TYPE tinykv_sched_heartbeat_errors_total counter\n"
	              "tinykv_sched_heartbeat_errors_total{kind=\"store\"} %llu\n"
	              "tinykv_sched_heartbeat_errors_total{kind=\"region\"} %llu\n"
	              "# HELP tinykv_sched_operators_total Operator steps the scheduler sent "
	              "(repeated until done: counted per reply).\n"
	              "# TYPE tinykv_sched_operators_total counter\n"
	              "tinykv_sched_operators_total{kind=\"add_peer\"} %llu\n"
	              "tinykv_sched_operators_total{kind=\"remove_peer\"} %llu\n"
	              "tinykv_sched_operators_total{kind=\"transfer_leader\"} %llu\n"
	              "# HELP tinykv_operator_steps_total Operator steps run by this store: "
	              "started (proposed or transfer asked), refused at once (one in flight), "
	              "conf changes applied and failed.\n"
	              "# TYPE tinykv_operator_steps_total counter\n"
	              "tinykv_operator_steps_total{result=\"started\"} %llu\n"
	              "tinykv_operator_steps_total{result=\"refused\"} %llu\n"
	              "tinykv_operator_steps_total{result=\"applied\"} %llu\n"
	              "tinykv_operator_steps_total{result=\"failed\"} %llu\n",
	              (unsigned long long)hb->store_beats, (unsigned long long)hb->region_beats,
	              (unsigned long long)hb->store_errors, (unsigned long long)hb->region_errors,
	              (unsigned long long)hb->ops[TKV_STEP_ADD_PEER],
	              (unsigned long long)hb->ops[TKV_STEP_REMOVE_PEER],
	              (unsigned long long)hb->ops[TKV_STEP_TRANSFER_LEADER],
	              (unsigned long long)hb->ops_started, (unsigned long long)hb->ops_refused,
	              (unsigned long long)hb->ops_done, (unsigned long long)hb->ops_failed);
}

size_t store_hb_status(struct store *s, struct net_status_field *f, size_t max)
{
	struct store_hb *hb = &s->hb;
	size_t n = 0;
	if (n < max)
		f[n++] = (struct net_status_field){"scheduler", true, s->net.cfg.scheduler, 0};
	if (n < max)
		f[n++] = (struct net_status_field){"advertise_addr", true, s->advertise, 0};
	if (n < max)
		f[n++] = (struct net_status_field){
		    "scheduler_connected", true,
		    hb->sc && tkv_sched_async_ready(hb->sc) ? "yes" : "no", 0};
	if (n < max)
		f[n++] =
		    (struct net_status_field){"store_heartbeats", false, NULL, hb->store_beats};
	if (n < max)
		f[n++] = (struct net_status_field){"heartbeat_error", true, hb->last_error, 0};
	return n;
}
