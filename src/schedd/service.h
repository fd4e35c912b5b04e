/* tinykv-scheduler's service on the protocol core (net/net.h): the
 * scheduler messages of proto-spec/scheduler.md executed against the
 * daemon's state (state.h), which the server's svc_data points to. */
#ifndef TK_SCHEDD_SERVICE_H
#define TK_SCHEDD_SERVICE_H

#include "schedd/state.h"
#include "net/net.h"

extern const struct net_service schedd_service;

/* A wire region as the core's struct region: keys point into w, peers are
 * allocated in a.  TK_E_BAD_REQUEST when w is NULL or has more than 64
 * peers (the rest is checked by region_validate), TK_E_NOMEM. */
enum tk_err sched_region_from_wire(struct tk_arena *a, const struct tk_sched_region *w,
				   struct region *r, struct tk_errbuf *eb);

#endif
