/* tinykv-scheduler's service for the server core (server.h): the
 * scheduler messages of proto-spec/scheduler.md executed against the
 * daemon's state (sched_state.h), which the server's svc_data points to. */
#ifndef TK_SERVER_SCHED_SERVICE_H
#define TK_SERVER_SCHED_SERVICE_H

#include "server/sched_state.h"
#include "server/server.h"

extern const struct srv_service srv_sched_service;

/* A wire region as the core's struct region: keys point into w, peers are
 * allocated in a.  TK_E_BAD_REQUEST when w is NULL or has more than 64
 * peers (the rest is checked by region_validate), TK_E_NOMEM. */
enum tk_err sched_region_from_wire(struct tk_arena *a, const struct tk_sched_region *w,
				   struct region *r, struct tk_errbuf *eb);

#endif
