# src/server: the daemons.  libtksrv is the server core they share (config
# and flags, connections, framed and inline protocols, group commit, signals,
# status); each daemon adds its service (tinykvd: raw_cmds.c + txn_service.c;
# tinykv-scheduler: sched_*.c) and its main.
noinst_LTLIBRARIES += src/server/libtksrv.la
src_server_libtksrv_la_SOURCES = \
	src/server/server.h \
	src/server/srv_config.c src/server/srv_config.h \
	src/server/conn.c \
	src/server/framed.c \
	src/server/inline.c \
	src/server/commit.c \
	src/server/daemon.c \
	src/server/status.c \
	src/server/metrics.c src/server/metrics.h

bin_PROGRAMS += src/server/tinykvd
src_server_tinykvd_SOURCES = \
	src/server/main.c \
	src/server/raw_cmds.c \
	src/server/txn_service.c
src_server_tinykvd_LDADD = src/server/libtksrv.la src/txn/libtktxn.la src/engine/libtkengine.la \
	src/codec/libtkcodec.la src/util/libtkutil.la $(LIBEVENT_LIBS)

# tinykv-scheduler: the same server core with the scheduler service
# (sched_*.c) over the pure scheduler core (src/scheduler).
bin_PROGRAMS += src/server/tinykv-scheduler
src_server_tinykv_scheduler_SOURCES = \
	src/server/sched_main.c \
	src/server/sched_opts.c src/server/sched_opts.h \
	src/server/sched_service.c src/server/sched_service.h \
	src/server/sched_state.c src/server/sched_state.h
src_server_tinykv_scheduler_LDADD = src/server/libtksrv.la src/scheduler/libtkschedstore.la src/scheduler/libtksched.la \
	src/engine/libtkengine.la \
	src/codec/libtkcodec.la src/util/libtkutil.la $(LIBEVENT_LIBS)

check_PROGRAMS += src/server/test_sched_state
TESTS += src/server/test_sched_state
src_server_test_sched_state_SOURCES = src/server/test_sched_state.c \
	src/server/sched_state.c src/server/sched_service.c
src_server_test_sched_state_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_server_test_sched_state_LDADD = src/scheduler/libtkschedstore.la src/scheduler/libtksched.la \
	src/engine/libtkengine.la \
	src/codec/libtkcodec.la src/util/libtkutil.la $(CHECK_LIBS)

# `make bench-sched-daemon`: timestamps/s and round trips over 4
# connections, and 100,000 region heartbeats over 3 stores, through a
# tinykv-scheduler started on a temporary data dir.
noinst_PROGRAMS += src/server/sched_bench_tso
src_server_sched_bench_tso_SOURCES = src/server/sched_bench_tso.c
src_server_sched_bench_tso_LDADD = src/codec/libtkcodec.la src/util/libtkutil.la -lpthread
BENCH_TARGETS += bench-sched-daemon
.PHONY: bench-sched-daemon
bench-sched-daemon: src/server/sched_bench_tso$(EXEEXT) src/server/tinykv-scheduler$(EXEEXT)
	$(SHELL) $(top_srcdir)/src/server/sched_bench.sh .
EXTRA_DIST += src/server/sched_bench.sh
