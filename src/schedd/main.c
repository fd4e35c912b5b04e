/* tinykv-scheduler: the scheduler daemon.  The protocol core (src/net)
 * with the scheduler service (service.c, inline_cmds.c) over the scheduler
 * state (state.c), plus timers: the schedule tick, the TSO window, and the
 * get_ts requests waiting for the clock (tso_wait.c). */
#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "engine/datadir.h"
#include "schedd/opts.h"
#include "schedd/service.h"
#include "util/clock.h"
#include "util/log.h"

/* How often the TSO window is checked (it is 3 s long, renewed with a
 * third left). */
#define TSO_CHECK_MS 100


struct sched_daemon {
	struct net_server srv;
	struct sched_opts opts;
	struct schedd state;
	struct schedd_svc svc;
	struct event *tick_ev, *tso_ev;
};

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sched_daemon *d = arg;
	(void)fd, (void)what;
	if (!d->srv.shutting_down)
		schedd_tick(&d->state);
}

static void tso_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sched_daemon *d = arg;
	(void)fd, (void)what;
	if (!d->srv.shutting_down)
		schedd_tso_ahead(&d->state);
}

/* A new cluster's id: the wall clock in the high bits (ids of clusters made
 * later sort later, handy in logs), random bits below. */
static uint64_t gen_cluster_id(void)
{
	uint64_t r = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &r, sizeof r) != (ssize_t)sizeof r)
			r = 0;
		close(fd);
	}
	if (!r)
		r = tk_mono_ns() ^ ((uint64_t)getpid() << 32);
	return ((tk_wall_ms() / 1000) << 32) | (r & 0xffffffffu) | 1;
}

static enum tk_err open_state(struct sched_daemon *d, struct tk_errbuf *eb)
{
	struct net_server *s = &d->srv;
	enum tk_err e = eng_datadir_lock(s->cfg.data_dir, &s->lock_fd, eb);
	if (e)
		return e;
	s->cfg.eng.path = s->cfg.data_dir;
	if ((e = eng_open(&s->cfg.eng, &s->eng, eb)))
		return e;
	if ((e = schedd_open(&d->state, s->eng, s->cfg.cluster_id, gen_cluster_id(), eb)))
		return e;
	for (unsigned i = 0; i < d->opts.n_settings; i++)
		if ((e = schedd_config_set(&d->state, d->opts.settings[i].name, d->opts.settings[i].value, eb)))
			return e;
	/* the hello reply carries the cluster id */
	s->ident.cluster_id = d->state.cluster_id;
	s->ident.store_id = 0;
	snprintf(s->ident.mode, sizeof s->ident.mode, "scheduler");
	d->svc.state = &d->state;
	s->svc_data = &d->svc;
	return TK_OK;
}

static int run(struct sched_daemon *d)
{
	struct net_server *s = &d->srv;
	struct tk_errbuf eb;
	tk_err_clear(&eb);
	enum tk_err e = open_state(d, &eb);
	if (e) {
		LOG_ERROR("cannot open data dir %s: %s", s->cfg.data_dir, eb.msg);
		return 1;
	}
	if (net_daemon_start(s, &eb)) {
		LOG_ERROR("startup: %s", eb.msg);
		return 1;
	}
	d->tick_ev = event_new(s->base, -1, EV_PERSIST, tick_cb, d);
	d->tso_ev = event_new(s->base, -1, EV_PERSIST, tso_cb, d);
	d->svc.tsoq = tso_waitq_new(s->base, &d->state);
	if (!d->tick_ev || !d->tso_ev || !d->svc.tsoq) {
		LOG_ERROR("out of memory at startup");
		return 1;
	}
	struct timeval tick = {d->opts.schedule_interval_ms / 1000,
			       (d->opts.schedule_interval_ms % 1000) * 1000};
	struct timeval tso = {0, TSO_CHECK_MS * 1000};
	event_add(d->tick_ev, &tick);
	event_add(d->tso_ev, &tso);
	/* the first window before the first request */
	schedd_tso_ahead(&d->state);
	if (net_listen(s, &eb) || net_http_start(s, &eb)) {
		LOG_ERROR("%s", eb.msg);
		return 1;
	}
	LOG_INFO("tinykv-scheduler ready listen=%s status=%s data_dir=%s cluster=%llu bootstrapped=%s",
		 s->listen_addr, s->status_bound[0] ? s->status_bound : "off", s->cfg.data_dir,
		 (unsigned long long)d->state.cluster_id, d->state.bootstrapped ? "yes" : "no");
	event_base_dispatch(s->base);
	LOG_INFO("tinykv-scheduler stopped");
	return 0;
}

static void cleanup(struct sched_daemon *d)
{
	struct net_server *s = &d->srv;
	if (d->tick_ev)
		event_free(d->tick_ev);
	if (d->tso_ev)
		event_free(d->tso_ev);
	/* parked get_ts requests hold slots of the connections: drop them
	 * first; then the connections (a late reply may still touch the state) */
	tso_waitq_free(d->svc.tsoq);
	net_conns_free_all(s);
	schedd_close(&d->state); /* before the engine it writes to */
	net_daemon_cleanup(s);
}

int main(int argc, char **argv)
{
	static struct sched_daemon daemon_root; /* the process root */
	struct sched_daemon *d = &daemon_root;
	struct net_server *s = &d->srv;
	s->svc = &schedd_service;
	s->lock_fd = -1;
	s->start_ns = tk_mono_ns();
	sched_opts_default(&d->opts);
	struct tk_errbuf eb;
	tk_err_clear(&eb);
	enum tk_err e = sched_opts_parse(&d->opts, argc, argv, &eb);
	if (e == TK_E_NOT_FOUND)
		return 0; /* --help, --version */
	if (e) {
		fprintf(stderr, "tinykv-scheduler: %s\n", eb.msg);
		return 2;
	}
	s->cfg = d->opts.srv;
	if (s->cfg.check_only) {
		printf("tinykv-scheduler: configuration OK\n");
		return 0;
	}
	tk_log_min_level = s->cfg.log_level;
	if (s->cfg.log_file[0] && tk_log_open(s->cfg.log_file) != 0) {
		fprintf(stderr, "tinykv-scheduler: cannot open log file %s: %s\n", s->cfg.log_file,
			strerror(errno));
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	int rc = run(d);
	cleanup(d);
	return rc;
}
