/* Conversions between the scheduler client's public types (tinykv_sched.h)
 * and the wire bodies of codec/schema_sched.h, shared by the asynchronous
 * client (which hands borrowed views to callbacks) and the blocking one
 * (which packs them into allocations the caller owns).  Not installed. */
#ifndef TK_CLIENT_SCHED_CONV_H
#define TK_CLIENT_SCHED_CONV_H

#include <stdbool.h>
#include <stddef.h>

#include "codec/schema.h"
#include "tinykv_sched.h"
#include "util/arena.h"

/* The wire form of r, built in the arena (borrowing r's bytes); NULL when
 * out of memory. */
struct tk_sched_region *tkv_sconv_region_in(struct tk_arena *a, const struct tkv_region *r);
/* The wire body of one region heartbeat, built in the arena; false when out
 * of memory. */
bool tkv_sconv_hb_in(struct tk_arena *a, uint64_t cluster, const struct tkv_region_hb *hb,
                     struct tk_region_heartbeat_req *req);
/* A view of w: peers and the NUL-terminated leader address are allocated in
 * the arena, start and end borrow w's bytes (not NUL-terminated).
 * TK_E_PROTOCOL for an info without a region, TK_E_NOMEM. */
enum tk_err tkv_sconv_region_view(struct tk_arena *a, const struct tk_sched_region_info *w,
                                  struct tkv_region_info *out, struct tk_errbuf *err);
/* Copy n infos into one allocation (free with tkv_free) holding the array,
 * the peers, and the keys and leader address NUL-terminated. */
enum tk_err tkv_sconv_regions_pack(const struct tkv_region_info *in, size_t n,
                                   struct tkv_region_info **out, struct tk_errbuf *err);
void tkv_sconv_store_out(const struct tk_sched_store *w, struct tkv_store_info *o);
/* TK_E_PROTOCOL (with err) for a step kind this library does not know. */
enum tk_err tkv_sconv_step_out(const struct tk_sched_step *w, struct tkv_op_step *step,
                               struct tk_errbuf *err);

#endif
