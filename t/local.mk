# t/: integration tests (TAP, bash) that start real daemons on free loopback
# ports; run by `make check` through the TAP driver (TEST_EXTENSIONS = .t).
# Each .t file caps its own wall-clock time; t/lib.sh has the shared helpers.
T_TESTS = \
	t/inline.t \
	t/framed.t \
	t/maxvalue.t \
	t/envelope.t \
	t/garbage.t \
	t/client.t \
	t/cas.t \
	t/cli.t \
	t/crash.t \
	t/raft-crash.t \
	t/raft-log.t \
	t/region-errors.t \
	t/diskfull.t \
	t/group-commit.t \
	t/backpressure.t \
	t/limits.t \
	t/daemon.t \
	t/partition.t \
	t/run-local.t \
	t/cluster-join.t \
	t/raft-frames.t \
	t/replicate.t \
	t/raft-partition.t \
	t/store-move.t \
	t/busy.t \
	t/txn-cluster.t \
	t/cluster-crash.t \
	t/route.t \
	t/deps.t \
	t/man.t
TESTS += $(T_TESTS)
EXTRA_DIST += $(T_TESTS) t/lib.sh t/cluster-lib.sh

# C helpers of the tests (on libtinykv).
check_PROGRAMS += t/tkload t/client-api
t_tkload_SOURCES = t/tkload.c
t_tkload_LDADD = src/client/libtinykv.la $(LIBEVENT_LIBS)
t_client_api_SOURCES = t/client-api.c
t_client_api_LDADD = src/client/libtinykv.la $(LIBEVENT_LIBS)
# Compare-and-swap counter increments from many clients (t/cas.t).
check_PROGRAMS += t/tkcas
t_tkcas_SOURCES = t/tkcas.c
t_tkcas_LDADD = src/client/libtinykv.la $(LIBEVENT_LIBS)
# A client that keeps sending while it reads (linger and refusal tests).
check_PROGRAMS += t/tkflood
t_tkflood_SOURCES = t/tkflood.c

# tinykv-scheduler's tests: synthetic stores (t/tksched) against the daemon.
check_PROGRAMS += t/tksched
t_tksched_SOURCES = t/tksched.c
t_tksched_LDADD = src/client/libtinykv.la
TESTS += t/sched-basic.t t/sched-tso.t t/sched-inline.t
EXTRA_DIST += t/sched-lib.sh t/sched-basic.t t/sched-tso.t t/sched-inline.t

# Transactions over real processes (scheduler TSO + tinykvd).
TESTS += t/txn.t
EXTRA_DIST += t/txn.t
check_PROGRAMS += t/txn-workload
t_txn_workload_SOURCES = t/txn-workload.c
t_txn_workload_LDADD = src/client/libtinykv.la $(LIBEVENT_LIBS)
TESTS += t/sched-cli.t
EXTRA_DIST += t/sched-cli.t
TESTS += t/sched-daemon.t
EXTRA_DIST += t/sched-daemon.t
TESTS += t/sched-balance.t
EXTRA_DIST += t/sched-balance.t

# tinykv-cli on a terminal (Ctrl-C, Ctrl-D, completion, exit status) and
# tkframe's refusal to write binary to one, through a pty driver.
check_PROGRAMS += t/tkpty
t_tkpty_SOURCES = t/tkpty.c
TESTS += t/cli-tty.t t/tkframe.t
EXTRA_DIST += t/cli-tty.t t/tkframe.t
