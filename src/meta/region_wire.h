/* Regions on the wire: the one conversion between struct region and the
 * protocol's region map (tk_sched_region, proto-spec/scheduler.md). */
#ifndef TK_META_REGION_WIRE_H
#define TK_META_REGION_WIRE_H

#include "codec/codec.h"
#include "meta/region.h"
#include "util/arena.h"

/* A wire region as a struct region: keys point into w, peers are allocated
 * in a.  TK_E_BAD_REQUEST when w is NULL or has more than REGION_MAX_PEERS
 * peers (the rest is checked by region_validate), TK_E_NOMEM. */
enum tk_err region_from_wire(struct tk_arena *a, const struct tk_sched_region *w, struct region *r,
                             struct tk_errbuf *eb);

/* r as a wire region allocated in a (keys point into r), or NULL when out
 * of memory. */
struct tk_sched_region *region_to_wire(struct tk_arena *a, const struct region *r);

#endif
