/* tinykv-scheduler's service on the protocol core (net/net.h): the
 * scheduler messages of proto-spec/scheduler.md executed against the
 * daemon's state (state.h), which the server's svc_data points to. */
#ifndef TK_SCHEDD_SERVICE_H
#define TK_SCHEDD_SERVICE_H

#include "schedd/state.h"
#include "net/net.h"

extern const struct net_service schedd_service;

#endif
