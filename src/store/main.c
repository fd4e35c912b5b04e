/* tinykvd: the store daemon.  Standalone (no --scheduler): a one-store
 * cluster whose one region has one replica, through the raft write path.
 * With --scheduler: a store of that scheduler's cluster, which joins it
 * before serving (join.c) and heartbeats to it from the reactor
 * (heartbeat.c).  A data dir is one or the other for life (its identity
 * records the mode). */
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
#include <event2/listener.h>

#include "engine/datadir.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"

static enum tk_err open_engine(struct net_server *s, struct tk_errbuf *eb)
{
	enum tk_err e = eng_datadir_lock(s->cfg.data_dir, &s->lock_fd, eb);
	if (e)
		return e;
	s->cfg.eng.path = s->cfg.data_dir;
	return eng_open(&s->cfg.eng, &s->eng, eb);
}

/* Standalone mode: check the identity, or record one (store id 1 unless
 * told otherwise). */
static enum tk_err standalone_ident(struct net_server *s, struct tk_errbuf *eb)
{
	struct eng_ident want = {.cluster_id = s->cfg.cluster_id,
				 .store_id = s->cfg.store_id ? s->cfg.store_id : 0};
	snprintf(want.mode, sizeof want.mode, ENG_IDENT_MODE_STANDALONE);
	struct eng_ident have;
	bool found = false;
	enum tk_err e = eng_ident_read(s->eng, &have, &found, eb);
	if (e)
		return e;
	if (found && strcmp(have.mode, ENG_IDENT_MODE_CLUSTER) == 0)
		return tk_err_set(
		    eb, TK_E_DATA_DIR,
		    "data dir %s belongs to store %llu of cluster %llu: start it with "
		    "--scheduler (alone it would serve and change data whose ids and "
		    "replicas the cluster manages)",
		    s->cfg.data_dir, (unsigned long long)have.store_id,
		    (unsigned long long)have.cluster_id);
	if (!found && !want.store_id)
		want.store_id = 1;
	return eng_ident_check_or_init(s->eng, &want, &s->ident, eb);
}

/* Where others reach this store: --advertise-addr, else the bound listen
 * address (which must then be one others can connect to). */
static enum tk_err pick_advertise(struct store *st, struct tk_errbuf *eb)
{
	struct net_server *s = &st->net;
	const char *a = s->cfg.advertise_addr[0] ? s->cfg.advertise_addr : s->listen_addr;
	char why[192];
	if (!net_addr_advertisable(a, why, sizeof why))
		return tk_err_set(eb, TK_E_BAD_CONFIG,
		                  "cannot advertise the listen address: %s; give --advertise-addr",
		                  why);
	snprintf(st->advertise, sizeof st->advertise, "%s", a);
	return TK_OK;
}

static int run(struct store *st)
{
	struct net_server *s = &st->net;
	struct tk_errbuf eb;
	tk_err_clear(&eb);
	enum tk_err e = open_engine(s, &eb);
	if (!e && !st->cluster)
		e = standalone_ident(s, &eb);
	if (e) {
		LOG_ERROR("cannot open data dir %s: %s", s->cfg.data_dir, eb.msg);
		return 1;
	}
	if ((e = net_daemon_start(s, &eb)) || (e = store_txn_init(st))) {
		LOG_ERROR("startup: %s", e == TK_E_NOMEM ? "out of memory" : eb.msg);
		return 1;
	}
	if (st->cluster) {
		/* bind first (the advertised port may be the one bound), but
		 * accept nobody before the store knows who it is */
		if (net_listen(s, &eb) || pick_advertise(st, &eb)) {
			LOG_ERROR("%s", eb.msg);
			return 1;
		}
		evconnlistener_disable(s->listener);
		e = store_join(st, &eb);
		if (e == TK_E_SHUTTING_DOWN) {
			LOG_INFO("tinykvd stopped");
			return 0;
		}
		if (e) {
			LOG_ERROR("cannot join the cluster of the scheduler at %s: %s",
			          s->cfg.scheduler, eb.msg);
			return 1;
		}
	}
	st->raft.cfg.no_sync = !s->cfg.sync;
	if ((e = store_raft_open(st, &eb))) {
		LOG_ERROR("cannot open the regions in %s: %s", s->cfg.data_dir, eb.msg);
		return 1;
	}
	if (st->cluster && (e = store_hb_start(st, &eb))) {
		LOG_ERROR("heartbeats: %s", eb.msg);
		return 1;
	}
	if ((!st->cluster && net_listen(s, &eb)) || net_http_start(s, &eb)) {
		LOG_ERROR("%s", eb.msg);
		return 1;
	}
	if (st->cluster)
		evconnlistener_enable(s->listener);
	LOG_INFO("tinykvd ready listen=%s status=%s data_dir=%s store=%llu sync=%s mode=%s%s%s",
	         s->listen_addr, s->status_bound[0] ? s->status_bound : "off", s->cfg.data_dir,
	         (unsigned long long)s->ident.store_id, s->cfg.sync ? "on" : "off",
	         st->cluster ? "cluster" : "standalone", st->cluster ? " scheduler=" : "",
	         st->cluster ? s->cfg.scheduler : "");
	event_base_dispatch(s->base);
	/* shut down: what is staged is proposed and applied; a region whose
	 * entries cannot commit here answers SHUTTING_DOWN when it closes */
	store_commit(st);
	LOG_INFO("tinykvd stopped");
	return 0;
}

static void cleanup(struct store *st)
{
	store_hb_stop(st);
	store_raft_close(st); /* before the engine closes */
	store_tr_free(st);    /* after: the raftstore sends through it */
	net_daemon_cleanup(&st->net);
	store_txn_destroy(st);
	store_group_commit_destroy(st);
	tk_buf_destroy(&st->val);
}

int main(int argc, char **argv)
{
	static struct store store; /* the process root */
	struct net_server *s = &store.net;
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
	store.cluster = s->cfg.scheduler[0] != 0;
	s->svc = store.cluster ? &store_cluster_service : &store_service;
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
