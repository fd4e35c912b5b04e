# src/cli: tinykv-cli, the command-line client (libtinykv + libedit).
bin_PROGRAMS += src/cli/tinykv-cli
src_cli_tinykv_cli_SOURCES = \
	src/cli/main.c src/cli/cli.h \
	src/cli/cmds.c \
	src/cli/shell.c src/cli/complete.c
src_cli_tinykv_cli_CFLAGS = $(AM_CFLAGS) $(LIBEDIT_CFLAGS)
src_cli_tinykv_cli_LDADD = src/util/libtkutil.la src/client/libtinykv.la $(LIBEDIT_LIBS)

check_PROGRAMS += src/cli/test_cli
TESTS += src/cli/test_cli
src_cli_test_cli_SOURCES = src/cli/test_cli.c src/cli/cmds.c src/cli/shell.c src/cli/complete.c \
	src/client/fake_server.c src/client/fake_server.h
src_cli_test_cli_CFLAGS = $(AM_CFLAGS) $(LIBEDIT_CFLAGS) $(CHECK_CFLAGS)
src_cli_test_cli_LDADD = src/util/libtkutil.la src/client/libtinykv.la src/codec/libtkcodec.la \
	$(LIBEDIT_LIBS) $(CHECK_LIBS)

# The scheduler admin commands (store, region, operator, scheduler, config, tso).
src_cli_tinykv_cli_SOURCES += src/cli/cmds_sched.c
src_cli_test_cli_SOURCES += src/cli/cmds_sched.c

# Transactions (begin, commit, rollback; get/put/delete/scan inside them).
src_cli_tinykv_cli_SOURCES += src/cli/cmds_txn.c
src_cli_test_cli_SOURCES += src/cli/cmds_txn.c

# The hint after a region error (NOT_LEADER, EPOCH_NOT_MATCH).
src_cli_tinykv_cli_SOURCES += src/cli/region_hint.c
src_cli_test_cli_SOURCES += src/cli/region_hint.c
