/* Helpers shared by raftstore's unit tests: a real LevelDB in a temporary
 * directory, region states, batch writes that must succeed. */
#ifndef TK_RAFTSTORE_TEST_PS_HELPERS_H
#define TK_RAFTSTORE_TEST_PS_HELPERS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* nftw, mkdtemp */
#endif
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "raftstore/region_state.h"

static inline char *ph_tmpdir(void)
{
	char *d = strdup("/tmp/tkrs-XXXXXX");
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static inline int ph_rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline void ph_rmrf(char *d)
{
	if (!d)
		return;
	nftw(d, ph_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
}

static inline struct eng *ph_open(const char *dir)
{
	struct eng_options o;
	eng_options_default(&o);
	o.path = dir;
	o.create_if_missing = true;
	o.block_cache_bytes = 1 << 20;
	struct eng *e = NULL;
	struct tk_errbuf eb;
	enum tk_err rc = eng_open(&o, &e, &eb);
	ck_assert_msg(rc == TK_OK, "eng_open: %s", eb.msg);
	return e;
}

static inline void ph_write(struct eng *e, struct eng_batch *b)
{
	struct tk_errbuf eb;
	enum tk_err rc = eng_write(e, b, false, &eb);
	ck_assert_msg(rc == TK_OK, "eng_write: %s", eb.msg);
	eng_batch_clear(b);
}

/* Region id with peers 1..n on stores 1..n, range [start, end). */
static inline void ph_region(struct rs_region_state *s, uint64_t id, uint32_t n, const char *start,
                             const char *end)
{
	rs_region_state_init(s);
	s->state = RS_PEER_NORMAL;
	s->region.id = id;
	s->region.epoch.conf_ver = 1;
	s->region.epoch.version = 1;
	s->region.n_peers = n;
	for (uint32_t i = 0; i < n; i++) {
		s->region.peers[i].id = i + 1;
		s->region.peers[i].store_id = i + 1;
	}
	ck_assert(rs_region_set_range(&s->region, tk_slice_str(start), tk_slice_str(end)));
}

#endif
