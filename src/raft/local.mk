# src/raft: pure Raft library (links libc only), its tests, the deterministic
# cluster simulator and the micro-benchmark.
noinst_LTLIBRARIES += src/raft/libtkraft.la
src_raft_libtkraft_la_SOURCES = \
	src/raft/raft.h \
	src/raft/impl.h \
	src/raft/mem.c src/raft/mem.h \
	src/raft/log.c src/raft/log.h \
	src/raft/progress.c src/raft/progress.h \
	src/raft/node.c \
	src/raft/leader.c \
	src/raft/follower.c \
	src/raft/readonly.c \
	src/raft/ready.c \
	src/raft/memstore.c src/raft/memstore.h

# A small in-memory cluster shared by the scenario tests.
RAFT_TESTNET = src/raft/testnet.c src/raft/testnet.h src/raft/testnet_check.h \
	src/raft/testsolo.h src/raft/testheap.h

check_PROGRAMS += src/raft/test_raft_log src/raft/test_raft_elect \
	src/raft/test_raft_repl src/raft/test_raft_ops src/raft/test_raft_read \
	src/raft/test_raft_node src/raft/test_raft_leader \
	src/raft/test_raft_follower
TESTS += src/raft/test_raft_log src/raft/test_raft_elect \
	src/raft/test_raft_repl src/raft/test_raft_ops src/raft/test_raft_read \
	src/raft/test_raft_node src/raft/test_raft_leader \
	src/raft/test_raft_follower
src_raft_test_raft_log_SOURCES = src/raft/test_raft_log.c src/raft/testheap.h
src_raft_test_raft_log_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raft_test_raft_log_LDADD = src/raft/libtkraft.la $(CHECK_LIBS)
src_raft_test_raft_elect_SOURCES = src/raft/test_raft_elect.c $(RAFT_TESTNET)
src_raft_test_raft_elect_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raft_test_raft_elect_LDADD = src/raft/libtkraft.la $(CHECK_LIBS)
src_raft_test_raft_repl_SOURCES = src/raft/test_raft_repl.c $(RAFT_TESTNET)
src_raft_test_raft_repl_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raft_test_raft_repl_LDADD = src/raft/libtkraft.la $(CHECK_LIBS)
src_raft_test_raft_ops_SOURCES = src/raft/test_raft_ops.c $(RAFT_TESTNET)
src_raft_test_raft_ops_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raft_test_raft_ops_LDADD = src/raft/libtkraft.la $(CHECK_LIBS)
src_raft_test_raft_read_SOURCES = src/raft/test_raft_read.c $(RAFT_TESTNET)
src_raft_test_raft_read_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raft_test_raft_read_LDADD = src/raft/libtkraft.la $(CHECK_LIBS)
src_raft_test_raft_node_SOURCES = src/raft/test_raft_node.c $(RAFT_TESTNET)
src_raft_test_raft_node_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raft_test_raft_node_LDADD = src/raft/libtkraft.la $(CHECK_LIBS)
src_raft_test_raft_leader_SOURCES = src/raft/test_raft_leader.c $(RAFT_TESTNET)
src_raft_test_raft_leader_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raft_test_raft_leader_LDADD = src/raft/libtkraft.la $(CHECK_LIBS)
src_raft_test_raft_follower_SOURCES = src/raft/test_raft_follower.c $(RAFT_TESTNET)
src_raft_test_raft_follower_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raft_test_raft_follower_LDADD = src/raft/libtkraft.la $(CHECK_LIBS)

# The simulator: without arguments (as run by `make check`) it runs a few
# hundred seeds; `make sim SEEDS=N` runs N.
check_PROGRAMS += src/raft/raft_sim
TESTS += src/raft/raft_sim
src_raft_raft_sim_SOURCES = src/raft/sim.c
src_raft_raft_sim_LDADD = src/raft/libtkraft.la

SEEDS = 500
sim: src/raft/raft_sim
	src/raft/raft_sim --seeds $(SEEDS)

noinst_PROGRAMS += src/raft/raft_bench
src_raft_raft_bench_SOURCES = src/raft/bench.c
src_raft_raft_bench_LDADD = src/raft/libtkraft.la

.PHONY: bench-raft
bench-raft: src/raft/raft_bench
	src/raft/raft_bench
BENCH_TARGETS += bench-raft
