# tools/: tkframe (installed: JSON <-> frames, see tkframe(1)), set-up and
# benchmark scripts.
bin_PROGRAMS += tools/tkframe
tools_tkframe_SOURCES = tools/tkframe.c
tools_tkframe_LDADD = src/codec/libtkcodec.la
dist_noinst_SCRIPTS += tools/setup-deps.sh tools/check-deps.sh

# `make mutants-raft`: mutation testing of src/raft (not part of `make check`;
# see README).  MUTANTS_FLAGS passes options, e.g. MUTANTS_FLAGS='--files
# log.c --seeds 300 -j 2'; the report is written to mutants-raft-report.md
# in the build directory.
dist_noinst_SCRIPTS += tools/mutants-raft.py
MUTANTS_FLAGS =
CLEANFILES += mutants-raft-report.md mutants-raft-report.md.tsv
.PHONY: mutants-raft
mutants-raft:
	nice -n 10 python3 $(top_srcdir)/tools/mutants-raft.py \
		--report $(abs_top_builddir)/mutants-raft-report.md $(MUTANTS_FLAGS)
