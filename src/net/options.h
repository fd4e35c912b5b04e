/* tinykvd configuration: defaults, command-line flags and the optional
 * config file (`key = value` lines, keys named like the long flags; flags
 * win over the file).  man/tinykvd.8 documents every key. */
#ifndef TK_NET_OPTIONS_H
#define TK_NET_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"
#include "util/err.h"
#include "util/log.h"

struct net_config {
	char listen[128];       /* host:port for clients */
	char status_addr[128];  /* host:port for HTTP /status and /metrics; "" = off */
	char data_dir[1024];
	char log_file[1024];    /* "" = stderr */
	enum tk_log_level log_level;
	bool sync;              /* fsync before acknowledging writes */
	uint32_t max_frame;     /* largest accepted frame payload */
	uint32_t max_conns;
	uint32_t idle_timeout_s;   /* 0 = never */
	size_t output_limit;    /* per-connection output buffered before reading stops */
	uint32_t max_scan_limit;   /* cap on scan limit */
	uint64_t cluster_id, store_id;
	/* cluster mode (tinykvd only; tinykv-scheduler leaves them unset) */
	char scheduler[128];        /* numeric host:port of tinykv-scheduler; "" = standalone */
	char advertise_addr[128];   /* host:port other stores and clients reach; "" = listen */
	uint32_t heartbeat_interval_ms; /* store (and leaders' region) heartbeats */
	uint32_t max_pending_proposals; /* proposals awaiting apply; more: SERVER_IS_BUSY */
	struct eng_options eng;
	/* what main does */
	bool check_only;
	char config_file[1024];
};

void net_config_default(struct net_config *c);

/* Parse argv (and the config file it names) into c.  Returns TK_OK,
 * TK_E_BAD_CONFIG with a message, or TK_E_NOT_FOUND for --help/--version
 * (already printed; exit 0). */
enum tk_err net_config_parse(struct net_config *c, int argc, char **argv, struct tk_errbuf *eb);

/* What a daemon's command line and config file are parsed with: its
 * server settings (cfg: listen, status-addr, data-dir, config_file and
 * check_only are used here) and a setter for every key it knows. */
struct net_opts_spec {
	const char *program; /* for --version */
	struct net_config *cfg;
	void *ctx; /* for set */
	/* Set key to value; with value NULL only tell whether key is known
	 * (TK_OK) or not (an error), changing nothing. */
	enum tk_err (*set)(void *ctx, const char *key, const char *value, struct tk_errbuf *eb);
	void (*usage)(FILE *out);
};

/* Parse --config FILE first (`key = value` lines, # comments), then the
 * flags (which win), then check the addresses and the data dir.  --help and
 * --version print and return TK_E_NOT_FOUND; errors TK_E_BAD_CONFIG. */
enum tk_err net_opts_parse(const struct net_opts_spec *spec, int argc, char **argv,
			   struct tk_errbuf *eb);

/* Set one key from text ("sync", "on"); used by the flags and the file. */
enum tk_err net_config_set(struct net_config *c, const char *key, const char *value,
			   struct tk_errbuf *eb);

/* Split "host:port"; false when malformed. */
bool net_parse_addr(const char *addr, char *host, size_t hostlen, uint16_t *port);

/* Whether addr may be given to others as where this store is: a numeric
 * host:port whose host is not a wildcard (0.0.0.0, ::) and whose port is not
 * 0.  Else false, with the reason in why. */
bool net_addr_advertisable(const char *addr, char *why, size_t whylen);

#endif
