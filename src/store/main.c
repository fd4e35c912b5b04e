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
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"

static enum tk_err open_store(struct net_server *s, struct tk_errbuf *eb)
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

static int run(struct store *st)
{
	struct net_server *s = &st->net;
	struct tk_errbuf eb;
	tk_err_clear(&eb);
	enum tk_err e = open_store(s, &eb);
	if (e) {
		LOG_ERROR("cannot open data dir %s: %s", s->cfg.data_dir, eb.msg);
		return 1;
	}
	st->batch = eng_batch_new();
	rs_overlay_init(&st->raw_ov);
	if (!st->batch || (e = net_daemon_start(s, &eb)) || (e = store_txn_init(st))) {
		LOG_ERROR("startup: %s", e == TK_E_NOMEM ? "out of memory" : eb.msg);
		return 1;
	}
	if (net_listen(s, &eb) || net_http_start(s, &eb)) {
		LOG_ERROR("%s", eb.msg);
		return 1;
	}
	LOG_INFO("tinykvd ready listen=%s status=%s data_dir=%s store=%llu sync=%s", s->listen_addr,
		 s->status_bound[0] ? s->status_bound : "off", s->cfg.data_dir, (unsigned long long)s->ident.store_id, s->cfg.sync ? "on" : "off");
	event_base_dispatch(s->base);
	/* shut down: nothing pending may be lost */
	store_commit(st);
	LOG_INFO("tinykvd stopped");
	return 0;
}

static void cleanup(struct store *st)
{
	net_daemon_cleanup(&st->net);
	store_txn_destroy(st);
	store_group_commit_destroy(st);
	if (st->batch)
		eng_batch_free(st->batch);
	tk_buf_destroy(&st->val);
}

int main(int argc, char **argv)
{
	static struct store store; /* the process root */
	struct net_server *s = &store.net;
	s->svc = &store_service;
	s->lock_fd = -1;
	s->start_ns = tk_mono_ns();
	net_config_default(&s->cfg);
	struct tk_errbuf eb;
	tk_err_clear(&eb);
	enum tk_err e = net_config_parse(&s->cfg, argc, argv, &eb);
	if (e == TK_E_NOT_FOUND)
		return 0; /* --help, --version */
	if (e) {
		fprintf(stderr, "tinykvd: %s\n", eb.msg);
		return 2;
	}
	if (s->cfg.max_frame < TK_MIN_MAX_FRAME) {
		/* a smaller frame could not return a stored pair of the largest
		 * size: scans reaching it would fail (TK_MAX_VALUE) */
		fprintf(stderr,
		        "tinykvd: max-frame %u is below %u, the smallest frame that carries one "
		        "pair of the largest key (%u bytes) and value (%u bytes)\n",
		        s->cfg.max_frame, TK_MIN_MAX_FRAME, TK_MAX_KEY, TK_MAX_VALUE);
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
	int rc = run(&store);
	cleanup(&store);
	return rc;
}
