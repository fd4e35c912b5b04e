/* What every daemon built on the protocol core does the same way: the
 * reactor's core events (end of iteration, signals) and their handlers, and
 * tearing it all down.
 *
 * The end-of-iteration event: libevent 2.1 has no prepare or check watcher.
 * event_active() appends the event to the tail of the active queue, behind
 * every I/O callback already queued by this poll, so it runs once after all
 * of them, before the loop polls again.  (A lower priority would starve
 * while any higher-priority event stays active.)  t/group-commit.t proves
 * the effect for tinykvd: many pipelined puts, few fsyncs. */
#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "engine/datadir.h"
#include "net/net.h"
#include "util/log.h"

static void iteration_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_server *s = arg;
	(void)fd;
	(void)what;
	s->iter_scheduled = false;
	s->in_iteration_end = true;
	if (s->svc->iteration_end)
		s->svc->iteration_end(s);
	s->in_iteration_end = false;
}

void net_iteration_end(struct net_server *s)
{
	if (s->iter_scheduled || !s->iter_ev)
		return;
	s->iter_scheduled = true;
	if (s->in_iteration_end) {
		/* asked again by the end-of-iteration work itself (connections
		 * it resumed wrote again): activated now, the event would run
		 * again before the loop polls, and each such round would pay a
		 * whole fsync for the few requests of those connections.  A
		 * zero timer runs after the next poll's I/O callbacks instead,
		 * so everyone's new requests share that round. */
		struct timeval now = {0, 0};
		event_add(s->iter_ev, &now);
	} else {
		event_active(s->iter_ev, EV_WRITE, 0);
	}
}

static void exit_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_server *s = arg;
	(void)fd;
	(void)what;
	event_base_loopbreak(s->base);
}

/* SIGTERM/SIGINT: acknowledge what was received (commit the pending batch
 * now), stop reading and accepting, give replies up to a second to drain.
 * A second signal exits at once. */
static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct net_server *s = arg;
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
	if (s->svc->iteration_end)
		s->svc->iteration_end(s);
	net_conns_shutdown(s);
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
	struct net_server *s = arg;
	(void)sig;
	(void)what;
	if (!s->cfg.log_file[0])
		return;
	if (tk_log_open(s->cfg.log_file) != 0)
		LOG_ERROR("SIGHUP: cannot reopen log file %s: %s", s->cfg.log_file, strerror(errno));
	else
		LOG_INFO("SIGHUP: log file reopened");
}

enum tk_err net_daemon_start(struct net_server *s, struct tk_errbuf *eb)
{
	s->base = event_base_new();
	if (!s->base)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory at startup");
	s->iter_ev = event_new(s->base, -1, 0, iteration_cb, s);
	s->sig_term = evsignal_new(s->base, SIGTERM, stop_cb, s);
	s->sig_int = evsignal_new(s->base, SIGINT, stop_cb, s);
	s->sig_hup = evsignal_new(s->base, SIGHUP, hup_cb, s);
	if (!s->iter_ev || !s->sig_term || !s->sig_int || !s->sig_hup)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory at startup");
	event_add(s->sig_term, NULL);
	event_add(s->sig_int, NULL);
	event_add(s->sig_hup, NULL);
	return TK_OK;
}

void net_daemon_cleanup(struct net_server *s)
{
	net_conns_free_all(s);
	if (s->listener)
		evconnlistener_free(s->listener);
	if (s->http)
		evhttp_free(s->http);
	struct event *evs[] = {s->sig_term, s->sig_int, s->sig_hup, s->iter_ev, s->exit_timer};
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		if (evs[i])
			event_free(evs[i]);
	if (s->eng)
		eng_close(s->eng);
	eng_datadir_unlock(s->lock_fd);
	if (s->base)
		event_base_free(s->base);
}
