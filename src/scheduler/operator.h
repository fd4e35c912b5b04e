/* Operators: a short sequence of steps that changes one region's placement
 * (add a peer, transfer the leader, remove a peer), and the controller that
 * tracks them until region heartbeats show them done.
 *
 * Lifecycle: an operator is added to the controller (at most one per
 * region); every region heartbeat of that region goes through
 * opctl_region_heartbeat, which marks the steps whose effect the heartbeat
 * shows as done and returns the current step for the heartbeat response;
 * after the last step the operator is finished and removed.  It is cancelled
 * when it times out (checked on heartbeats and on opctl_tick) or when the
 * region's epoch shows someone else changed the region (a split or merge, or
 * a membership change that is not ours).  Pure: time is an argument. */
#ifndef TK_SCHEDULER_OPERATOR_H
#define TK_SCHEDULER_OPERATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meta/region.h"
#include "util/err.h"

enum op_step_kind {
	OP_STEP_ADD_PEER,        /* add peer peer_id on store_id */
	OP_STEP_REMOVE_PEER,     /* remove the peer (peer_id) on store_id */
	OP_STEP_TRANSFER_LEADER, /* make the peer on store_id the leader */
};

struct op_step {
	enum op_step_kind kind;
	uint64_t store_id;
	uint64_t peer_id; /* add: the new peer's id; remove: the victim's;
			     transfer: the target's (filled when sent) */
};

enum op_kind {
	OP_KIND_REPLICA,        /* replica repair (replica checker, offline stores) */
	OP_KIND_BALANCE_LEADER,
	OP_KIND_BALANCE_REGION,
	OP_KIND_ADMIN,          /* requested by an operator (a human) */
	OP_KIND__COUNT
};

enum op_status {
	OP_RUNNING,
	OP_FINISHED,
	OP_TIMEOUT,
	OP_CANCELLED, /* obsolete epoch, or removed by an admin */
	OP_REPLACED,  /* an admin operator took the region over */
};

#define OP_MAX_STEPS 4

struct operator {
	uint64_t region_id;
	struct region_epoch epoch; /* the region's epoch when created */
	enum op_kind kind;
	struct op_step steps[OP_MAX_STEPS];
	size_t n_steps;
	size_t cur;          /* index of the current step */
	uint64_t create_ms;
	uint64_t timeout_ms; /* cancelled when now >= create_ms + timeout_ms */
	enum op_status status;
	char desc[48];       /* "balance-region 4->1" for logs and the CLI */
};

const char *op_kind_name(enum op_kind k);
const char *op_status_name(enum op_status s);
const char *op_step_kind_name(enum op_step_kind k);

/* Initialise an operator on region r with no steps yet. */
void op_init(struct operator *op, const struct region *r, enum op_kind kind, uint64_t now_ms,
	     uint64_t timeout_ms, const char *desc);
/* Append a step; false when OP_MAX_STEPS is reached. */
bool op_add_step(struct operator *op, enum op_step_kind kind, uint64_t store_id,
		 uint64_t peer_id);
/* Whether region r shows the effect of step s. */
bool op_step_done(const struct op_step *s, const struct region *r);
/* Whether r's epoch makes op obsolete: the version moved (split, merge), or
 * conf_ver moved beyond what op's own membership steps explain. */
bool op_is_obsolete(const struct operator *op, const struct region *r);
/* One line describing the operator and its progress, into buf. */
void op_format(const struct operator *op, char *buf, size_t len);

/* ---- The controller ---- */

struct opctl;
/* Called whenever an operator leaves the controller (finished, timed out,
 * cancelled, replaced), with its final status.  For logs and history. */
typedef void (*opctl_end_fn)(void *arg, const struct operator *op);

/* NULL on allocation failure.  end_fn may be NULL. */
struct opctl *opctl_new(opctl_end_fn end_fn, void *arg);
void opctl_free(struct opctl *oc);

/* Take a copy of op (with at least one step).  TK_E_BAD_REQUEST when the
 * region already has an operator, unless op is OP_KIND_ADMIN and the
 * existing one is not (then it replaces it).  TK_E_NOMEM. */
enum tk_err opctl_add(struct opctl *oc, const struct operator *op, struct tk_errbuf *eb);
/* The running operator of a region, or NULL.  Borrowed until the next
 * controller call. */
const struct operator *opctl_get(const struct opctl *oc, uint64_t region_id);
/* Cancel a region's operator (admin); false when it has none. */
bool opctl_cancel(struct opctl *oc, uint64_t region_id);
/* Running operators of a kind (for the schedule limits). */
size_t opctl_count(const struct opctl *oc, enum op_kind kind);
size_t opctl_total(const struct opctl *oc);
/* All running operators: for i < opctl_total (order unspecified, stable
 * until the next add/remove). */
const struct operator *opctl_at(const struct opctl *oc, size_t i);

/* Feed a region heartbeat (r is the region as now stored).  Returns true and
 * fills *step with the step to put in the heartbeat response when the
 * region has a running operator with work left; false otherwise (no
 * operator, or it just finished, timed out or became obsolete). */
bool opctl_region_heartbeat(struct opctl *oc, const struct region *r, uint64_t now_ms,
			    struct op_step *step);
/* Periodic: time out operators whose region went silent.  Returns how many
 * ended. */
size_t opctl_tick(struct opctl *oc, uint64_t now_ms);

#endif
