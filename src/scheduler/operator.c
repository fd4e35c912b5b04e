#include "scheduler/operator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/u64map.h"

const char *op_kind_name(enum op_kind k)
{
	switch (k) {
	case OP_KIND_REPLICA:
		return "replica";
	case OP_KIND_BALANCE_LEADER:
		return "balance-leader";
	case OP_KIND_BALANCE_REGION:
		return "balance-region";
	case OP_KIND_ADMIN:
		return "admin";
	default:
		return "unknown";
	}
}

const char *op_status_name(enum op_status s)
{
	switch (s) {
	case OP_RUNNING:
		return "running";
	case OP_FINISHED:
		return "finished";
	case OP_TIMEOUT:
		return "timeout";
	case OP_CANCELLED:
		return "cancelled";
	case OP_REPLACED:
		return "replaced";
	}
	return "unknown";
}

const char *op_step_kind_name(enum op_step_kind k)
{
	switch (k) {
	case OP_STEP_ADD_PEER:
		return "add-peer";
	case OP_STEP_REMOVE_PEER:
		return "remove-peer";
	case OP_STEP_TRANSFER_LEADER:
		return "transfer-leader";
	}
	return "unknown";
}

void op_init(struct operator *op, const struct region *r, enum op_kind kind, uint64_t now_ms,
	     uint64_t timeout_ms, const char *desc)
{
	memset(op, 0, sizeof(*op));
	op->region_id = r->id;
	op->epoch = r->epoch;
	op->kind = kind;
	op->create_ms = now_ms;
	op->timeout_ms = timeout_ms;
	op->status = OP_RUNNING;
	snprintf(op->desc, sizeof(op->desc), "%s", desc ? desc : op_kind_name(kind));
}

bool op_add_step(struct operator *op, enum op_step_kind kind, uint64_t store_id,
		 uint64_t peer_id)
{
	if (op->n_steps == OP_MAX_STEPS)
		return false;
	op->steps[op->n_steps++] = (struct op_step){kind, store_id, peer_id};
	return true;
}

bool op_step_done(const struct op_step *s, const struct region *r)
{
	const struct region_peer *p = region_store_peer(r, s->store_id);
	switch (s->kind) {
	case OP_STEP_ADD_PEER:
		/* Present with our id and caught up (no longer pending). */
		return p && p->id == s->peer_id && !region_peer_is_pending(r, p->id);
	case OP_STEP_REMOVE_PEER:
		return p == NULL;
	case OP_STEP_TRANSFER_LEADER:
		return p && r->leader_peer_id == p->id;
	}
	return false;
}

static bool is_conf_change(const struct op_step *s)
{
	return s->kind == OP_STEP_ADD_PEER || s->kind == OP_STEP_REMOVE_PEER;
}

bool op_is_obsolete(const struct operator *op, const struct region *r)
{
	if (r->epoch.version != op->epoch.version)
		return true;
	/* Each of our membership steps up to the current one (which may have
	 * just been applied) bumps conf_ver once; more means a foreign change. */
	uint64_t ours = 0;
	for (size_t i = 0; i <= op->cur && i < op->n_steps; i++)
		ours += is_conf_change(&op->steps[i]);
	return r->epoch.conf_ver > op->epoch.conf_ver + ours ||
	       r->epoch.conf_ver < op->epoch.conf_ver;
}

void op_format(const struct operator *op, char *buf, size_t len)
{
	int n = snprintf(buf, len, "region %llu %s (%s) %s step %zu/%zu:",
			 (unsigned long long)op->region_id, op->desc, op_kind_name(op->kind),
			 op_status_name(op->status), op->cur, op->n_steps);
	for (size_t i = 0; i < op->n_steps && n >= 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - (size_t)n, " %s(store %llu)",
			      op_step_kind_name(op->steps[i].kind),
			      (unsigned long long)op->steps[i].store_id);
}

/* ---- controller ---- */

struct opctl {
	struct operator **ops; /* dense array of running operators */
	size_t n, cap;
	struct u64map by_region; /* region id -> index + 1 into ops (as pointer-sized int) */
	size_t per_kind[OP_KIND__COUNT];
	opctl_end_fn end_fn;
	void *arg;
};

struct opctl *opctl_new(opctl_end_fn end_fn, void *arg)
{
	struct opctl *oc = calloc(1, sizeof(*oc));
	if (!oc)
		return NULL;
	u64map_init(&oc->by_region, true);
	oc->end_fn = end_fn;
	oc->arg = arg;
	return oc;
}

void opctl_free(struct opctl *oc)
{
	if (!oc)
		return;
	for (size_t i = 0; i < oc->n; i++)
		free(oc->ops[i]);
	free(oc->ops);
	u64map_destroy(&oc->by_region);
	free(oc);
}

static size_t index_of(const struct opctl *oc, uint64_t region_id)
{
	return (size_t)(uintptr_t)u64map_get(&oc->by_region, region_id); /* 0: none */
}

/* Remove the operator at index i with a final status, swapping the last one
 * into its slot. */
static void end_op(struct opctl *oc, size_t i, enum op_status status)
{
	struct operator *op = oc->ops[i];
	op->status = status;
	u64map_del(&oc->by_region, op->region_id);
	oc->per_kind[op->kind]--;
	oc->n--;
	if (i != oc->n) {
		oc->ops[i] = oc->ops[oc->n];
		u64map_put(&oc->by_region, oc->ops[i]->region_id, (void *)(uintptr_t)(i + 1));
	}
	if (oc->end_fn)
		oc->end_fn(oc->arg, op);
	free(op);
}

enum tk_err opctl_add(struct opctl *oc, const struct operator *op, struct tk_errbuf *eb)
{
	if (op->n_steps == 0 || op->n_steps > OP_MAX_STEPS || op->kind >= OP_KIND__COUNT)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "region %llu: malformed operator",
				  (unsigned long long)op->region_id);
	size_t idx = index_of(oc, op->region_id);
	if (idx) {
		const struct operator *cur = oc->ops[idx - 1];
		if (op->kind != OP_KIND_ADMIN || cur->kind == OP_KIND_ADMIN)
			return tk_err_set(eb, TK_E_BAD_REQUEST,
					  "region %llu already has operator %s",
					  (unsigned long long)op->region_id, cur->desc);
	}
	struct operator *copy = malloc(sizeof(*copy));
	if (!copy)
		return tk_err_set(eb, TK_E_NOMEM, "operator");
	*copy = *op;
	copy->status = OP_RUNNING;
	copy->cur = 0;
	if (oc->n == oc->cap) {
		size_t ncap = oc->cap ? oc->cap * 2 : 16;
		struct operator **no = realloc(oc->ops, ncap * sizeof(*no));
		if (!no) {
			free(copy);
			return tk_err_set(eb, TK_E_NOMEM, "operator");
		}
		oc->ops = no;
		oc->cap = ncap;
	}
	if (idx)
		end_op(oc, idx - 1, OP_REPLACED);
	if (!u64map_put(&oc->by_region, copy->region_id, (void *)(uintptr_t)(oc->n + 1))) {
		free(copy);
		return tk_err_set(eb, TK_E_NOMEM, "operator");
	}
	oc->ops[oc->n++] = copy;
	oc->per_kind[copy->kind]++;
	return TK_OK;
}

const struct operator *opctl_get(const struct opctl *oc, uint64_t region_id)
{
	size_t i = index_of(oc, region_id);
	return i ? oc->ops[i - 1] : NULL;
}

bool opctl_cancel(struct opctl *oc, uint64_t region_id)
{
	size_t i = index_of(oc, region_id);
	if (!i)
		return false;
	end_op(oc, i - 1, OP_CANCELLED);
	return true;
}

size_t opctl_count(const struct opctl *oc, enum op_kind kind)
{
	return kind < OP_KIND__COUNT ? oc->per_kind[kind] : 0;
}

size_t opctl_total(const struct opctl *oc)
{
	return oc->n;
}

const struct operator *opctl_at(const struct opctl *oc, size_t i)
{
	return i < oc->n ? oc->ops[i] : NULL;
}

static bool timed_out(const struct operator *op, uint64_t now_ms)
{
	return now_ms >= op->create_ms + op->timeout_ms;
}

bool opctl_region_heartbeat(struct opctl *oc, const struct region *r, uint64_t now_ms,
			    struct op_step *step)
{
	size_t i = index_of(oc, r->id);
	if (!i)
		return false;
	struct operator *op = oc->ops[i - 1];
	/* Progress first: a heartbeat showing the last step done finishes the
	 * operator even if it arrives just after the deadline. */
	while (op->cur < op->n_steps && op_step_done(&op->steps[op->cur], r))
		op->cur++;
	if (op->cur == op->n_steps) {
		end_op(oc, i - 1, OP_FINISHED);
		return false;
	}
	if (op_is_obsolete(op, r)) {
		end_op(oc, i - 1, OP_CANCELLED);
		return false;
	}
	if (timed_out(op, now_ms)) {
		end_op(oc, i - 1, OP_TIMEOUT);
		return false;
	}
	*step = op->steps[op->cur];
	if (step->kind == OP_STEP_TRANSFER_LEADER) {
		const struct region_peer *p = region_store_peer(r, step->store_id);
		if (!p) {
			/* The target vanished: nothing sensible to send. */
			end_op(oc, i - 1, OP_CANCELLED);
			return false;
		}
		step->peer_id = p->id;
	}
	return true;
}

size_t opctl_tick(struct opctl *oc, uint64_t now_ms)
{
	size_t ended = 0;
	for (size_t i = 0; i < oc->n;) {
		if (timed_out(oc->ops[i], now_ms)) {
			end_op(oc, i, OP_TIMEOUT);
			ended++;
		} else {
			i++;
		}
	}
	return ended;
}
