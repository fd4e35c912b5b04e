/* tinykvd: the store daemon (standalone mode for now). */
#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "engine/datadir.h"
#include "server/server.h"
#include "util/clock.h"
#include "util/log.h"

void srv_commit_event(evutil_socket_t fd, short what, void *arg);

static void exit_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	(void)fd;
	(void)what;
	event_base_loopbreak(s->base);
}

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;
	(void)what;
	if (s->shutting_down) {
		LOG_WARN("second signal %d: exiting now", (int)sig);
		event_base_loopbreak(s->base);
		return;
	}
	LOG_INFO("signal %d: shutting down (finishing in-flight writes)", (int)sig);
	s->shutting_down = true;
	if (s->listener)
		evconnlistener_disable(s->listener);
	/* acknowledge what was received: commit the pending batch now, stop
	 * reading, give replies up to a second to drain */
	srv_commit(s);
	srv_conns_shutdown(s);
	for (struct srv_conn *c = s->conns; c;) {
		struct srv_conn *next = c->next;
		srv_conn_flush(c);
		c = next;
	}
	if (!s->conns) {
		event_base_loopbreak(s->base);
		return;
	}
	struct timeval tv = {1, 0};
	s->exit_timer = evtimer_new(s->base, exit_timer_cb, s);
	evtimer_add(s->exit_timer, &tv);
}

static void hup_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;
	(void)sig;
	(void)what;
	if (s->cfg.log_file[0]) {
		if (tk_log_open(s->cfg.log_file) != 0)
			LOG_ERROR("SIGHUP: cannot reopen log file %s: %s", s->cfg.log_file, strerror(errno));
		else
			LOG_INFO("SIGHUP: log file reopened");
	}
}

static enum tk_err open_store(struct server *s, struct tk_errbuf *eb)
{
	enum tk_err e = eng_datadir_lock(s->cfg.data_dir, &s->lock_fd, eb);
	if (e)
		return e;
	s->cfg.eng.path = s->cfg.data_dir;
	e = eng_open(&s->cfg.eng, &s->eng, eb);
	if (e)
		return e;
	struct eng_ident want = {.cluster_id = s->cfg.cluster_id,
				 .store_id = s->cfg.store_id ? s->cfg.store_id : 0};
	snprintf(want.mode, sizeof want.mode, "standalone");
	/* a new standalone store records store id 1 unless told otherwise */
	struct eng_ident have;
	bool found = false;
	e = eng_ident_read(s->eng, &have, &found, eb);
	if (e)
		return e;
	if (!found && !want.store_id)
		want.store_id = 1;
	e = eng_ident_check_or_init(s->eng, &want, &s->ident, eb);
	return e;
}

static int run(struct server *s)
{
	struct tk_errbuf eb;
	tk_err_clear(&eb);
	enum tk_err e = open_store(s, &eb);
	if (e) {
		LOG_ERROR("cannot open data dir %s: %s", s->cfg.data_dir, eb.msg);
		return 1;
	}
	s->base = event_base_new();
	s->batch = eng_batch_new();
	if (!s->base || !s->batch || srv_txn_init(s) != TK_OK) {
		LOG_ERROR("out of memory at startup");
		return 1;
	}
	s->commit_ev = event_new(s->base, -1, 0, srv_commit_event, s);
	s->sig_term = evsignal_new(s->base, SIGTERM, stop_cb, s);
	s->sig_int = evsignal_new(s->base, SIGINT, stop_cb, s);
	s->sig_hup = evsignal_new(s->base, SIGHUP, hup_cb, s);
	event_add(s->sig_term, NULL);
	event_add(s->sig_int, NULL);
	event_add(s->sig_hup, NULL);
	if ((e = srv_listen(s, &eb)) || (e = srv_http_start(s, &eb))) {
		LOG_ERROR("%s", eb.msg);
		return 1;
	}
	LOG_INFO("tinykvd ready listen=%s status=%s data_dir=%s store=%llu sync=%s", s->listen_addr,
		 s->status_bound[0] ? s->status_bound : "off", s->cfg.data_dir, (unsigned long long)s->ident.store_id, s->cfg.sync ? "on" : "off");
	event_base_dispatch(s->base);
	/* shut down: nothing pending may be lost */
	srv_commit(s);
	LOG_INFO("tinykvd stopped");
	return 0;
}

static void cleanup(struct server *s)
{
	while (s->conns) {
		struct srv_conn *c = s->conns;
		c->deferred = 0;
		c->busy = false;
		srv_conn_close(c);
	}
	if (s->listener)
		evconnlistener_free(s->listener);
	if (s->http)
		evhttp_free(s->http);
	struct event *evs[] = {s->sig_term, s->sig_int, s->sig_hup, s->commit_ev, s->exit_timer};
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		if (evs[i])
			event_free(evs[i]);
	if (s->batch)
		eng_batch_free(s->batch);
	srv_txn_destroy(s);
	if (s->eng)
		eng_close(s->eng);
	eng_datadir_unlock(s->lock_fd);
	if (s->base)
		event_base_free(s->base);
	free(s->pending);
	tk_buf_destroy(&s->deferred_replies);
	tk_buf_destroy(&s->val);
}

int main(int argc, char **argv)
{
	static struct server srv; /* the process root */
	struct server *s = &srv;
	s->svc = &srv_raw_service;
	s->lock_fd = -1;
	s->start_ns = tk_mono_ns();
	srv_config_default(&s->cfg);
	struct tk_errbuf eb;
	tk_err_clear(&eb);
	enum tk_err e = srv_config_parse(&s->cfg, argc, argv, &eb);
	if (e == TK_E_NOT_FOUND)
		return 0; /* --help, --version */
	if (e) {
		fprintf(stderr, "tinykvd: %s\n", eb.msg);
		return 2;
	}
	if (s->cfg.check_only) {
		printf("tinykvd: configuration OK\n");
		return 0;
	}
	tk_log_min_level = s->cfg.log_level;
	if (s->cfg.log_file[0] && tk_log_open(s->cfg.log_file) != 0) {
		fprintf(stderr, "tinykvd: cannot open log file %s: %s\n", s->cfg.log_file, strerror(errno));
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	int rc = run(s);
	cleanup(s);
	return rc;
}
