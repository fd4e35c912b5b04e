/* tinykv-scheduler's configuration: the server core's settings it uses
 * (listen, status-addr, data-dir, logging, limits, cluster-id, LevelDB
 * sizes: net_config.h), its own (schedule-interval) and the scheduler
 * settings of the core's table (max-replicas, max-store-down-time, ...:
 * scheduler/sched_config.h), from flags and an optional `key = value`
 * config file (flags win).  man/tinykv-scheduler.8 documents every key. */
#ifndef TK_SCHEDD_OPTS_H
#define TK_SCHEDD_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "net/options.h"

#define SCHED_OPTS_MAX_SETTINGS 32

struct sched_opts {
	struct net_config srv;
	uint32_t schedule_interval_ms; /* how often schedulers run (default 1000) */
	/* scheduler settings given at startup, applied over the persisted ones */
	struct {
		char name[48];
		char value[64];
	} settings[SCHED_OPTS_MAX_SETTINGS];
	unsigned n_settings;
};

void sched_opts_default(struct sched_opts *o);
/* Parse argv (and the file --config names).  TK_OK, TK_E_BAD_CONFIG with a
 * message, or TK_E_NOT_FOUND after --help / --version (printed; exit 0). */
enum tk_err sched_opts_parse(struct sched_opts *o, int argc, char **argv, struct tk_errbuf *eb);
/* Set one key (a flag without its dashes, or a config file key). */
enum tk_err sched_opts_set(struct sched_opts *o, const char *key, const char *value,
			   struct tk_errbuf *eb);

#endif
