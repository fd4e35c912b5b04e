/* What every daemon built on the server core does the same way: the
 * reactor's core events (group commit, signals) and their handlers, and
 * tearing it all down. */
#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "engine/datadir.h"
#include "server/server.h"
#include "util/log.h"

void srv_commit_event(evutil_socket_t fd, short what, void *arg);

static void exit_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	(void)fd;
	(void)what;
	event_base_loopbreak(s->base);
}

/* SIGTERM/SIGINT: acknowledge what was received (commit the pending batch
 * now), stop reading and accepting, give replies up to a second to drain.
 * A second signal exits at once. */
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
	if (s->exit_timer)
		evtimer_add(s->exit_timer, &tv);
	else
		event_base_loopbreak(s->base);
}

static void hup_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;
	(void)sig;
	(void)what;
	if (!s->cfg.log_file[0])
		return;
	if (tk_log_open(s->cfg.log_file) != 0)
		LOG_ERROR("SIGHUP: cannot reopen log file %s: %s", s->cfg.log_file, strerror(errno));
	else
		LOG_INFO("SIGHUP: log file reopened");
}

enum tk_err srv_daemon_start(struct server *s, struct tk_errbuf *eb)
{
	s->base = event_base_new();
	s->batch = eng_batch_new();
	if (!s->base || !s->batch)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory at startup");
	s->commit_ev = event_new(s->base, -1, 0, srv_commit_event, s);
	s->sig_term = evsignal_new(s->base, SIGTERM, stop_cb, s);
	s->sig_int = evsignal_new(s->base, SIGINT, stop_cb, s);
	s->sig_hup = evsignal_new(s->base, SIGHUP, hup_cb, s);
	if (!s->commit_ev || !s->sig_term || !s->sig_int || !s->sig_hup)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory at startup");
	event_add(s->sig_term, NULL);
	event_add(s->sig_int, NULL);
	event_add(s->sig_hup, NULL);
	return TK_OK;
}

void srv_daemon_cleanup(struct server *s)
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
	if (s->eng)
		eng_close(s->eng);
	eng_datadir_unlock(s->lock_fd);
	if (s->base)
		event_base_free(s->base);
	free(s->pending);
	tk_buf_destroy(&s->deferred_replies);
	tk_buf_destroy(&s->val);
}
