# src/schedd: tinykv-scheduler, the protocol core (src/net) with the
# scheduler service over the pure scheduler core (src/scheduler).
bin_PROGRAMS += src/schedd/tinykv-scheduler
src_schedd_tinykv_scheduler_SOURCES = \
	src/schedd/main.c \
	src/schedd/opts.c src/schedd/opts.h \
	src/schedd/service.c src/schedd/service.h \
	src/schedd/state.c src/schedd/state.h \
	src/schedd/tso_wait.c src/schedd/tso_wait.h \
	src/schedd/inline_cmds.c
src_schedd_tinykv_scheduler_LDADD = src/net/libtknet.la src/meta/libtkmetawire.la src/scheduler/libtkschedstore.la \
	src/scheduler/libtksched.la src/engine/libtkengine.la \
	src/codec/libtkcodec.la src/util/libtkutil.la $(LIBEVENT_LIBS)

check_PROGRAMS += src/schedd/test_state
TESTS += src/schedd/test_state
src_schedd_test_state_SOURCES = src/schedd/test_state.c \
	src/schedd/state.c src/schedd/service.c src/schedd/tso_wait.c \
	src/schedd/inline_cmds.c
src_schedd_test_state_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_schedd_test_state_LDADD = src/net/libtknet.la src/meta/libtkmetawire.la src/scheduler/libtkschedstore.la \
	src/scheduler/libtksched.la src/engine/libtkengine.la \
	src/codec/libtkcodec.la src/util/libtkutil.la $(LIBEVENT_LIBS) $(CHECK_LIBS)

# `make bench-sched-daemon`: timestamps/s and round trips over 4
# connections, and 100,000 region heartbeats over 3 stores, through a
# tinykv-scheduler started on a temporary data dir.
noinst_PROGRAMS += src/schedd/bench_tso
src_schedd_bench_tso_SOURCES = src/schedd/bench_tso.c
src_schedd_bench_tso_LDADD = src/codec/libtkcodec.la src/util/libtkutil.la -lpthread
BENCH_TARGETS += bench-sched-daemon
.PHONY: bench-sched-daemon
bench-sched-daemon: src/schedd/bench_tso$(EXEEXT) src/schedd/tinykv-scheduler$(EXEEXT)
	$(SHELL) $(top_srcdir)/src/schedd/bench.sh .
EXTRA_DIST += src/schedd/bench.sh
