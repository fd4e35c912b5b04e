# src/scheduler: the pure core of tinykv-scheduler (TSO, id allocator,
# region tree, cluster map, config, operators, schedulers, persistence
# formats).  No I/O, no clock: the daemon (src/schedd) drives it.
noinst_LTLIBRARIES += src/scheduler/libtksched.la
src_scheduler_libtksched_la_SOURCES = \
	src/scheduler/u64map.c src/scheduler/u64map.h \
	src/scheduler/tso.c src/scheduler/tso.h \
	src/scheduler/id_alloc.c src/scheduler/id_alloc.h \
	src/scheduler/region_tree.c src/scheduler/region_tree.h \
	src/scheduler/sched_config.c src/scheduler/sched_config.h \
	src/scheduler/cluster.c src/scheduler/cluster.h \
	src/scheduler/operator.c src/scheduler/operator.h \
	src/scheduler/sched.h src/scheduler/sched_common.c src/scheduler/sched_common.h \
	src/scheduler/influence.c \
	src/scheduler/replica_checker.c src/scheduler/balance.c \
	src/scheduler/sched_registry.c \
	src/scheduler/coordinator.c src/scheduler/coordinator.h \
	src/scheduler/persist.c src/scheduler/persist.h
src_scheduler_libtksched_la_LIBADD = src/meta/libtkmeta.la src/util/libtkutil.la

# Loading and saving through the engine: a separate library so the pure
# core above does not link LevelDB.
noinst_LTLIBRARIES += src/scheduler/libtkschedstore.la
src_scheduler_libtkschedstore_la_SOURCES = \
	src/scheduler/persist_store.c src/scheduler/persist_store.h
src_scheduler_libtkschedstore_la_LIBADD = src/scheduler/libtksched.la src/engine/libtkengine.la

SCHED_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
SCHED_TEST_LDADD = src/scheduler/libtksched.la src/util/libtkutil.la $(CHECK_LIBS)
EXTRA_DIST += src/scheduler/test_fixture.h

check_PROGRAMS += src/scheduler/test_sched_alloc src/scheduler/test_sched_region_tree \
	src/scheduler/test_sched_cluster src/scheduler/test_sched_operator \
	src/scheduler/test_sched_schedulers src/scheduler/test_sched_persist \
	src/scheduler/test_sched_persist_store src/scheduler/test_sched_sim
TESTS += src/scheduler/test_sched_alloc src/scheduler/test_sched_region_tree \
	src/scheduler/test_sched_cluster src/scheduler/test_sched_operator \
	src/scheduler/test_sched_schedulers src/scheduler/test_sched_persist \
	src/scheduler/test_sched_persist_store src/scheduler/test_sched_sim

src_scheduler_test_sched_alloc_SOURCES = src/scheduler/test_alloc.c
src_scheduler_test_sched_alloc_CFLAGS = $(SCHED_TEST_CFLAGS)
src_scheduler_test_sched_alloc_LDADD = $(SCHED_TEST_LDADD)
src_scheduler_test_sched_region_tree_SOURCES = src/scheduler/test_region_tree.c
src_scheduler_test_sched_region_tree_CFLAGS = $(SCHED_TEST_CFLAGS)
src_scheduler_test_sched_region_tree_LDADD = $(SCHED_TEST_LDADD)
src_scheduler_test_sched_cluster_SOURCES = src/scheduler/test_cluster.c
src_scheduler_test_sched_cluster_CFLAGS = $(SCHED_TEST_CFLAGS)
src_scheduler_test_sched_cluster_LDADD = $(SCHED_TEST_LDADD)
src_scheduler_test_sched_operator_SOURCES = src/scheduler/test_operator.c
src_scheduler_test_sched_operator_CFLAGS = $(SCHED_TEST_CFLAGS)
src_scheduler_test_sched_operator_LDADD = $(SCHED_TEST_LDADD)
src_scheduler_test_sched_schedulers_SOURCES = src/scheduler/test_schedulers.c
src_scheduler_test_sched_schedulers_CFLAGS = $(SCHED_TEST_CFLAGS)
src_scheduler_test_sched_schedulers_LDADD = $(SCHED_TEST_LDADD)
src_scheduler_test_sched_persist_SOURCES = src/scheduler/test_persist.c
src_scheduler_test_sched_persist_CFLAGS = $(SCHED_TEST_CFLAGS)
src_scheduler_test_sched_persist_LDADD = $(SCHED_TEST_LDADD)
src_scheduler_test_sched_sim_SOURCES = src/scheduler/test_sim.c
src_scheduler_test_sched_sim_CFLAGS = $(SCHED_TEST_CFLAGS)
src_scheduler_test_sched_sim_LDADD = $(SCHED_TEST_LDADD)
src_scheduler_test_sched_persist_store_SOURCES = src/scheduler/test_persist_store.c
src_scheduler_test_sched_persist_store_CFLAGS = $(SCHED_TEST_CFLAGS)
src_scheduler_test_sched_persist_store_LDADD = src/scheduler/libtkschedstore.la \
	src/scheduler/libtksched.la src/engine/libtkengine.la src/util/libtkutil.la $(CHECK_LIBS)

# `make bench-sched`: heartbeat processing of 100,000 regions over 3 stores.
noinst_PROGRAMS += src/scheduler/sched_bench
src_scheduler_sched_bench_SOURCES = src/scheduler/sched_bench.c
src_scheduler_sched_bench_LDADD = src/scheduler/libtksched.la src/util/libtkutil.la
BENCH_TARGETS += bench-sched
.PHONY: bench-sched
bench-sched: src/scheduler/sched_bench$(EXEEXT)
	./src/scheduler/sched_bench
