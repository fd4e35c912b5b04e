# src/bench: tinykv-bench (the load generator) and `make bench`, which runs
# tools/bench.sh to compare tinykvd with redis-server on this machine.
bin_PROGRAMS += src/bench/tinykv-bench
src_bench_tinykv_bench_SOURCES = \
	src/bench/bench.h \
	src/bench/main.c \
	src/bench/opts.c \
	src/bench/keygen.c \
	src/bench/pool.c src/bench/pool.h \
	src/bench/run.c \
	src/bench/tso.c \
	src/bench/txn.c \
	src/bench/report.c \
	src/bench/hist.c src/bench/hist.h
src_bench_tinykv_bench_LDADD = src/client/libtinykv.la src/util/libtkutil.la $(LIBEVENT_LIBS) -lpthread -lm

check_PROGRAMS += src/bench/test_hist src/bench/test_bench
TESTS += src/bench/test_hist src/bench/test_bench
src_bench_test_hist_SOURCES = src/bench/test_hist.c src/bench/hist.c src/bench/hist.h
src_bench_test_hist_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_bench_test_hist_LDADD = $(CHECK_LIBS)
src_bench_test_bench_SOURCES = src/bench/test_bench.c src/bench/opts.c src/bench/keygen.c \
	src/bench/bench.h src/bench/hist.h
src_bench_test_bench_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_bench_test_bench_LDADD = $(CHECK_LIBS) -lm
# The engine against a real tinykvd (started by the test on a free port).
check_PROGRAMS += src/bench/test_run
TESTS += src/bench/test_run
src_bench_test_run_SOURCES = src/bench/test_run.c src/bench/run.c src/bench/report.c \
	src/bench/pool.c src/bench/pool.h \
	src/bench/tso.c src/bench/txn.c \
	src/bench/opts.c src/bench/keygen.c src/bench/hist.c src/bench/bench.h src/bench/hist.h
src_bench_test_run_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_bench_test_run_LDADD = src/client/libtinykv.la src/util/libtkutil.la $(LIBEVENT_LIBS) \
	$(CHECK_LIBS) -lpthread -lm

dist_noinst_SCRIPTS += tools/bench.sh

# `make bench`: tinykv against redis on loopback (BENCH_SECONDS per run,
# default 10), and the TSO and transaction figures of tinykv-bench --mode
# tso / txn (BENCH_MODE_SECONDS per run, default 5).  Never fails the build
# on the figures, only on a broken run.
BENCH_TARGETS += bench-kv
.PHONY: bench-kv
bench-kv: src/bench/tinykv-bench src/store/tinykvd
	BENCH_BIN_DIR='$(abs_top_builddir)' bash $(top_srcdir)/tools/bench.sh

BENCH_TARGETS += bench-modes
.PHONY: bench-modes
bench-modes: src/bench/tinykv-bench src/store/tinykvd src/schedd/tinykv-scheduler
	BENCH_BIN_DIR='$(abs_top_builddir)' bash $(top_srcdir)/tools/bench.sh modes

# `make bench-cluster`: tools/bench-cluster.sh, a 3-store tinykv cluster
# against a 3-member etcd on loopback (BENCH_SECONDS per run, default 10);
# the table also goes to bench-cluster.txt.  Not part of `make bench` (it
# needs etcd and Go, and takes minutes).
dist_noinst_SCRIPTS += tools/bench-cluster.sh
EXTRA_DIST += tools/etcd-bench/main.go
CLEANFILES += bench-cluster.txt
.PHONY: bench-cluster
bench-cluster: src/bench/tinykv-bench src/store/tinykvd src/schedd/tinykv-scheduler src/cli/tinykv-cli
	BENCH_BIN_DIR='$(abs_top_builddir)' bash $(top_srcdir)/tools/bench-cluster.sh
