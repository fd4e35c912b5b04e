/* The compare-and-swap decision (see cas.h). */
#include "raftstore/cas.h"

struct rs_cas_result rs_cas_decide(const struct rs_cas_op *op, bool present, struct tk_slice cur)
{
	struct rs_cas_result r = {false, RS_CAS_WRITE_NONE};
	if (op->expect_kind == RS_CAS_EXPECT_ABSENT)
		r.swapped = !present;
	else
		r.swapped = present && tk_slice_eq(cur, op->expect);
	if (!r.swapped)
		return r;
	if (op->action == RS_CAS_PUT)
		r.write = RS_CAS_WRITE_PUT;
	else if (present) /* deleting an absent key changes nothing: no write */
		r.write = RS_CAS_WRITE_DELETE;
	return r;
}
