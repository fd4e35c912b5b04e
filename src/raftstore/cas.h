/* Raw compare-and-swap: the decision, as a pure function.
 *
 * A CAS compares the current state of one raw key with what the caller
 * expects (a value, or "absent") and, when they match, writes (a new value,
 * or a delete).  On the replicated store the decision must be taken where
 * the write is applied, from the state the log has produced so far
 * (including the earlier commands of the same apply batch), so that every
 * replica takes the same one: hence a function of its inputs only, with no
 * engine, no clock and no allocation.  The caller reads the current value
 * (its pending batch first, then the engine), calls rs_cas_decide, and
 * stages the write it returns in the same batch.
 *
 * Forms (proto-spec/raw.md, raw_cas):
 *   expect VALUE,  put NEW     swap when the key holds exactly VALUE
 *   expect absent, put NEW     create when the key does not exist
 *   expect VALUE,  delete      delete when the key holds exactly VALUE
 *   expect absent, delete      only a test that the key does not exist
 * An empty value is a value: a key holding "" is present, and does not
 * match "expect absent"; "expect ''" does not match an absent key. */
#ifndef TK_RAFTSTORE_CAS_H
#define TK_RAFTSTORE_CAS_H

#include <stdbool.h>

#include "util/bytes.h"

enum rs_cas_expect {
	RS_CAS_EXPECT_VALUE,  /* the key holds exactly op->expect */
	RS_CAS_EXPECT_ABSENT, /* the key does not exist */
};

enum rs_cas_action {
	RS_CAS_PUT,    /* on a match, set the key to op->value */
	RS_CAS_DELETE, /* on a match, delete the key */
};

/* One CAS; the slices are borrowed for the call. */
struct rs_cas_op {
	enum rs_cas_expect expect_kind;
	struct tk_slice expect; /* RS_CAS_EXPECT_VALUE only */
	enum rs_cas_action action;
	struct tk_slice value; /* RS_CAS_PUT only */
};

/* What to stage in the batch. */
enum rs_cas_write {
	RS_CAS_WRITE_NONE,   /* nothing (no match, or a delete of an absent key) */
	RS_CAS_WRITE_PUT,    /* put op->value under the key */
	RS_CAS_WRITE_DELETE, /* delete the key */
};

struct rs_cas_result {
	bool swapped; /* the comparison matched (the reply's `swapped`) */
	enum rs_cas_write write;
};

/* Decide op against the key's current state: present says whether it
 * exists, cur is its value then (ignored otherwise; may be empty).  The
 * previous value to report is the current state itself, whatever the
 * outcome.  Deterministic, no side effects. */
struct rs_cas_result rs_cas_decide(const struct rs_cas_op *op, bool present, struct tk_slice cur);

#endif
