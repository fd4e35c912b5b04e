/* Check-based helpers shared by the scenario tests on top of testnet.h. */
#ifndef TK_RAFT_TESTNET_CHECK_H
#define TK_RAFT_TESTNET_CHECK_H

#include <check.h>
#include <stdio.h>

#include "raft/testnet.h"

/* The progress entry of peer id in a status, or NULL. */
static inline const struct raft_progress_status *progress_of(const struct raft_status *st,
							     raft_id id)
{
	for (size_t i = 0; i < st->n_progress; i++)
		if (st->progress[i].id == id)
			return &st->progress[i];
	return NULL;
}

/* Propose n entries "v0".."v(n-1)" at node id; each must be accepted. */
static inline void propose_n(struct tnet *t, raft_id id, int n)
{
	for (int i = 0; i < n; i++) {
		char v[16];
		snprintf(v, sizeof(v), "v%d", i);
		ck_assert_int_eq(tn_propose(t, id, v), TK_OK);
	}
}

#endif
