/* Wire schema: scheduler traffic (proto-spec/scheduler.md).  Part of the table in codec/schema.h (read its
 * header comment for the field macro and types).
 *
 * Stores (hello role "store") register, heartbeat and ask for ids; clients
 * (role "client": libtinykv, tinykv-cli) ask for timestamps and routing and
 * send the admin messages.  Requests that name a cluster ("cluster") are
 * refused with CLUSTER_MISMATCH when it is not this scheduler's. */
#ifndef TK_CODEC_SCHEMA_SCHED_H
#define TK_CODEC_SCHEMA_SCHED_H

/* ---- objects (sched_peer and sched_region are in schema_core.h: region
 * errors carry them too) ---- */
#define TK_OBJ_sched_down_peer(F, o)                                             \
	F(o, peer, "peer", U64, REQ)                                             \
	F(o, secs, "secs", U64, REQ)

#define TK_OBJ_sched_store(F, o)                                                 \
	F(o, id, "id", U64, REQ)                                                 \
	F(o, addr, "addr", STR, REQ)                                             \
	F(o, state, "state", STR, OPT)                                           \
	F(o, capacity, "capacity", U64, OPT)                                     \
	F(o, available, "available", U64, OPT)                                   \
	F(o, region_count, "region_count", U64, OPT)                             \
	F(o, leader_count, "leader_count", U64, OPT)                             \
	F(o, region_size, "region_size", U64, OPT)                               \
	F(o, hb_age_ms, "hb_age_ms", U64, OPT)

#define TK_OBJ_sched_step(F, o)                                                  \
	F(o, kind, "kind", STR, REQ)                                             \
	F(o, peer, "peer", U64, REQ)                                             \
	F(o, store, "store", U64, REQ)

#define TK_OBJ_sched_region_info(F, o)                                           \
	F(o, region, "region", OBJ(sched_region), REQ)                           \
	F(o, leader, "leader", OBJ(sched_peer), OPT)                             \
	F(o, leader_addr, "leader_addr", STR, OPT)                               \
	F(o, size, "size", U64, OPT)                                             \
	F(o, keys, "keys", U64, OPT)                                             \
	F(o, pending, "pending", U64LIST, OPT)                                   \
	F(o, down, "down", OBJLIST(sched_down_peer), OPT)

#define TK_OBJ_sched_op(F, o)                                                    \
	F(o, region, "region", U64, REQ)                                         \
	F(o, kind, "kind", STR, REQ)                                             \
	F(o, desc, "desc", STR, REQ)                                             \
	F(o, steps, "steps", OBJLIST(sched_step), REQ)                           \
	F(o, cur, "cur", U64, REQ)                                               \
	F(o, age_ms, "age_ms", U64, REQ)

/* ---- bodies ---- */
#define TK_OBJ_bootstrap_req(F, o)                                               \
	F(o, cluster, "cluster", U64, OPT)                                       \
	F(o, store, "store", OBJ(sched_store), REQ)                              \
	F(o, region, "region", OBJ(sched_region), REQ)

#define TK_OBJ_is_bootstrapped_resp(F, o)                                        \
	F(o, bootstrapped, "bootstrapped", BOOL, REQ)                            \
	F(o, cluster, "cluster", U64, REQ)

#define TK_OBJ_alloc_id_req(F, o) F(o, count, "count", U64, OPT)
#define TK_OBJ_alloc_id_resp(F, o)                                               \
	F(o, id, "id", U64, REQ)                                                 \
	F(o, count, "count", U64, REQ)

#define TK_OBJ_put_store_req(F, o)                                               \
	F(o, cluster, "cluster", U64, OPT)                                       \
	F(o, store, "store", OBJ(sched_store), REQ)

#define TK_OBJ_get_store_req(F, o) F(o, id, "id", U64, REQ)
#define TK_OBJ_get_store_resp(F, o) F(o, store, "store", OBJ(sched_store), REQ)

#define TK_OBJ_get_all_stores_req(F, o) F(o, no_tombstones, "no_tombstones", BOOL, OPT)
#define TK_OBJ_get_all_stores_resp(F, o) F(o, stores, "stores", OBJLIST(sched_store), REQ)

#define TK_OBJ_store_heartbeat_req(F, o)                                         \
	F(o, cluster, "cluster", U64, OPT)                                       \
	F(o, store, "store", U64, REQ)                                           \
	F(o, capacity, "capacity", U64, OPT)                                     \
	F(o, available, "available", U64, OPT)                                   \
	F(o, used, "used", U64, OPT)                                             \
	F(o, regions, "regions", U64, OPT)                                       \
	F(o, sending_snaps, "sending_snaps", U64, OPT)                           \
	F(o, receiving_snaps, "receiving_snaps", U64, OPT)                       \
	F(o, applying_snaps, "applying_snaps", U64, OPT)                         \
	F(o, busy, "busy", BOOL, OPT)

#define TK_OBJ_region_heartbeat_req(F, o)                                        \
	F(o, cluster, "cluster", U64, OPT)                                       \
	F(o, region, "region", OBJ(sched_region), REQ)                           \
	F(o, leader, "leader", OBJ(sched_peer), REQ)                             \
	F(o, pending, "pending", U64LIST, OPT)                                   \
	F(o, down, "down", OBJLIST(sched_down_peer), OPT)                        \
	F(o, size, "size", U64, OPT)                                             \
	F(o, keys, "keys", U64, OPT)
#define TK_OBJ_region_heartbeat_resp(F, o)                                       \
	F(o, region, "region", U64, REQ)                                         \
	F(o, step, "step", OBJ(sched_step), OPT)

#define TK_OBJ_sched_hb_result(F, o)                                             \
	F(o, region, "region", U64, REQ)                                         \
	F(o, step, "step", OBJ(sched_step), OPT)                                 \
	F(o, error, "error", OBJ(error), OPT)

#define TK_OBJ_region_heartbeats_req(F, o)                                       \
	F(o, cluster, "cluster", U64, OPT)                                       \
	F(o, beats, "beats", OBJLIST(region_heartbeat_req), REQ)
#define TK_OBJ_region_heartbeats_resp(F, o)                                      \
	F(o, results, "results", OBJLIST(sched_hb_result), REQ)

#define TK_OBJ_get_region_req(F, o) F(o, key, "key", BIN, REQ)
#define TK_OBJ_get_region_by_id_req(F, o) F(o, id, "id", U64, REQ)

#define TK_OBJ_scan_regions_req(F, o)                                            \
	F(o, start, "start", BIN, REQ)                                           \
	F(o, end, "end", BIN, OPT)                                               \
	F(o, limit, "limit", U64, OPT)
#define TK_OBJ_scan_regions_resp(F, o)                                           \
	F(o, regions, "regions", OBJLIST(sched_region_info), REQ)                \
	F(o, more, "more", BOOL, OPT)

#define TK_OBJ_ask_split_req(F, o) F(o, region, "region", OBJ(sched_region), REQ)
#define TK_OBJ_ask_split_resp(F, o)                                              \
	F(o, new_region, "new_region", U64, REQ)                                 \
	F(o, new_peers, "new_peers", U64LIST, REQ)

#define TK_OBJ_get_ts_req(F, o) F(o, count, "count", U64, OPT)
#define TK_OBJ_get_ts_resp(F, o)                                                 \
	F(o, ts, "ts", U64, REQ)                                                 \
	F(o, count, "count", U64, REQ)

#define TK_OBJ_store_offline_req(F, o)                                           \
	F(o, id, "id", U64, REQ)                                                 \
	F(o, cancel, "cancel", BOOL, OPT)

#define TK_OBJ_list_operators_resp(F, o) F(o, ops, "ops", OBJLIST(sched_op), REQ)

#define TK_OBJ_list_schedulers_resp(F, o)                                        \
	F(o, active, "active", BINLIST, REQ)                                     \
	F(o, available, "available", BINLIST, REQ)

#define TK_OBJ_scheduler_name_req(F, o) F(o, name, "name", STR, REQ)

#define TK_OBJ_get_config_req(F, o) F(o, name, "name", STR, OPT)
#define TK_OBJ_get_config_resp(F, o) F(o, settings, "settings", KVLIST, REQ)

#define TK_OBJ_set_config_req(F, o)                                              \
	F(o, name, "name", STR, REQ)                                             \
	F(o, value, "value", STR, REQ)

#define TK_OBJECTS_SCHED(X)                                                      \
	X(sched_down_peer)                                                       \
	X(sched_store)                                                           \
	X(sched_step)                                                            \
	X(sched_region_info)                                                     \
	X(sched_op)                                                              \
	X(bootstrap_req)                                                         \
	X(is_bootstrapped_resp)                                                  \
	X(alloc_id_req)                                                          \
	X(alloc_id_resp)                                                         \
	X(put_store_req)                                                         \
	X(get_store_req)                                                         \
	X(get_store_resp)                                                        \
	X(get_all_stores_req)                                                    \
	X(get_all_stores_resp)                                                   \
	X(store_heartbeat_req)                                                   \
	X(region_heartbeat_req)                                                  \
	X(region_heartbeat_resp)                                                 \
	X(sched_hb_result)                                                       \
	X(region_heartbeats_req)                                                 \
	X(region_heartbeats_resp)                                                \
	X(get_region_req)                                                        \
	X(get_region_by_id_req)                                                  \
	X(scan_regions_req)                                                      \
	X(scan_regions_resp)                                                     \
	X(ask_split_req)                                                         \
	X(ask_split_resp)                                                        \
	X(get_ts_req)                                                            \
	X(get_ts_resp)                                                           \
	X(store_offline_req)                                                     \
	X(list_operators_resp)                                                   \
	X(list_schedulers_resp)                                                  \
	X(scheduler_name_req)                                                    \
	X(get_config_req)                                                        \
	X(get_config_resp)                                                       \
	X(set_config_req)

#define TK_MESSAGES_SCHED(M)                                                     \
	M(bootstrap, bootstrap_req, empty)                                       \
	M(is_bootstrapped, empty, is_bootstrapped_resp)                          \
	M(alloc_id, alloc_id_req, alloc_id_resp)                                 \
	M(put_store, put_store_req, empty)                                       \
	M(get_store, get_store_req, get_store_resp)                              \
	M(get_all_stores, get_all_stores_req, get_all_stores_resp)               \
	M(store_heartbeat, store_heartbeat_req, empty)                           \
	M(region_heartbeat, region_heartbeat_req, region_heartbeat_resp)         \
	M(region_heartbeats, region_heartbeats_req, region_heartbeats_resp)      \
	M(get_region, get_region_req, sched_region_info)                         \
	M(get_region_by_id, get_region_by_id_req, sched_region_info)             \
	M(scan_regions, scan_regions_req, scan_regions_resp)                     \
	M(ask_split, ask_split_req, ask_split_resp)                              \
	M(get_ts, get_ts_req, get_ts_resp)                                       \
	M(store_offline, store_offline_req, empty)                               \
	M(list_operators, empty, list_operators_resp)                            \
	M(list_schedulers, empty, list_schedulers_resp)                          \
	M(add_scheduler, scheduler_name_req, empty)                              \
	M(remove_scheduler, scheduler_name_req, empty)                           \
	M(get_config, get_config_req, get_config_resp)                           \
	M(set_config, set_config_req, empty)

#endif
