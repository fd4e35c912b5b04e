/* tkv_async_open_leader (tinykv.h): a pipelined connection to the leader
 * of a key's region, looked up once through the scheduler, so that a
 * benchmark or any event-driven caller can drive a cluster without the
 * blocking router. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "tinykv_sched.h"
#include "util/err.h"

enum tk_err tkv_async_open_leader(struct event_base *base, const struct tkv_config *cfg,
                                  const void *key, size_t key_len, struct tkv_async **out,
                                  struct tk_errbuf *err)
{
	struct tk_errbuf local;
	if (!err)
		err = &local;
	if (!cfg || !cfg->scheduler_address)
		return tk_err_set(err, TK_E_BAD_CONFIG,
		                  "tkv_async_open_leader needs a scheduler_address");
	struct tkv_sched_config sc;
	tkv_sched_config_default(&sc);
	sc.address = cfg->scheduler_address;
	sc.name = cfg->name ? cfg->name : "libtinykv";
	sc.connect_timeout_ms = cfg->connect_timeout_ms;
	sc.timeout_ms = cfg->timeout_ms;
	struct tkv_sched *s;
	enum tk_err e = tkv_sched_connect(&sc, &s, err);
	if (e)
		return tk_err_wrap(err, e, "scheduler");
	struct tkv_region_info *ri = NULL;
	char addr[256] = "";
	e = tkv_sched_get_region(s, key_len ? key : "", key_len, &ri, err);
	if (!e && !ri->leader.id)
		e = tk_err_set(err, TK_E_NOT_LEADER, "region %llu has no known leader yet",
		               (unsigned long long)ri->region.id);
	if (!e && ri->leader_addr && *ri->leader_addr) {
		snprintf(addr, sizeof addr, "%s", ri->leader_addr);
	} else if (!e) {
		uint64_t store = 0;
		for (size_t i = 0; i < ri->region.n_peers; i++)
			if (ri->region.peers[i].id == ri->leader.id)
				store = ri->region.peers[i].store_id;
		struct tkv_store_info si;
		e = tkv_sched_get_store(s, store ? store : ri->leader.store_id, &si, err);
		if (!e)
			snprintf(addr, sizeof addr, "%s", si.addr);
	}
	free(ri);
	tkv_sched_close(s);
	if (e)
		return e;
	struct tkv_config c = *cfg;
	c.address = addr;
	return tkv_async_new(base, &c, out, err);
}
