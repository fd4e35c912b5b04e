/* tinykv-scheduler's service on the protocol core (net/net.h): the
 * scheduler messages of proto-spec/scheduler.md executed against the
 * daemon's state (state.h). */
#ifndef TK_SCHEDD_SERVICE_H
#define TK_SCHEDD_SERVICE_H

#include "net/net.h"
#include "schedd/state.h"
#include "schedd/tso_wait.h"

extern const struct net_service schedd_service;
/* Its inline (netcat) commands, NULL-terminated (inline_cmds.c). */
extern const struct net_inline_cmd *const schedd_inline_cmds[];

/* What the server's svc_data points to. */
struct schedd_svc {
	struct schedd *state;
	struct tso_waitq *tsoq; /* get_ts requests waiting for the clock */
};

#endif
