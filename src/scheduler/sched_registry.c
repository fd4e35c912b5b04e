#include <string.h>

#include "scheduler/sched.h"

static const struct sched_kind kinds[] = {
	{"balance-leader", sched_balance_leader, OP_KIND_BALANCE_LEADER},
	{"balance-region", sched_balance_region, OP_KIND_BALANCE_REGION},
};

const struct sched_kind *sched_kinds(size_t *n)
{
	*n = sizeof(kinds) / sizeof(kinds[0]);
	return kinds;
}

static const struct sched_kind *kind_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

void sched_registry_init_default(struct sched_registry *reg)
{
	memset(reg, 0, sizeof(*reg));
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		reg->active[reg->n++] = &kinds[i];
}

bool sched_registry_has(const struct sched_registry *reg, const char *name)
{
	for (size_t i = 0; i < reg->n; i++)
		if (strcmp(reg->active[i]->name, name) == 0)
			return true;
	return false;
}

enum tk_err sched_registry_add(struct sched_registry *reg, const char *name, struct tk_errbuf *eb)
{
	const struct sched_kind *k = kind_by_name(name);
	if (!k)
		return tk_err_set(eb, TK_E_NOT_FOUND, "no scheduler named '%s'", name);
	if (sched_registry_has(reg, name))
		return tk_err_set(eb, TK_E_BAD_REQUEST, "scheduler '%s' already added", name);
	if (reg->n == SCHED_REGISTRY_MAX)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "too many schedulers");
	reg->active[reg->n++] = k;
	return TK_OK;
}

enum tk_err sched_registry_remove(struct sched_registry *reg, const char *name,
				  struct tk_errbuf *eb)
{
	for (size_t i = 0; i < reg->n; i++) {
		if (strcmp(reg->active[i]->name, name) != 0)
			continue;
		memmove(&reg->active[i], &reg->active[i + 1],
			(reg->n - i - 1) * sizeof(reg->active[0]));
		reg->n--;
		return TK_OK;
	}
	return tk_err_set(eb, TK_E_NOT_FOUND, "scheduler '%s' is not active", name);
}

static uint64_t limit_of(const struct sched_config *cfg, enum op_kind k)
{
	switch (k) {
	case OP_KIND_BALANCE_LEADER:
		return cfg->leader_schedule_limit;
	case OP_KIND_BALANCE_REGION:
		return cfg->region_schedule_limit;
	case OP_KIND_REPLICA:
		return cfg->replica_schedule_limit;
	default:
		return UINT64_MAX;
	}
}

size_t sched_registry_run(const struct sched_registry *reg, const struct sched_ctx *ctx,
			  struct operator *out, size_t max_out)
{
	size_t n = 0;
	for (size_t i = 0; i < reg->n && n < max_out; i++) {
		const struct sched_kind *k = reg->active[i];
		size_t running = ctx->ops ? opctl_count(ctx->ops, k->op_kind) : 0;
		if (running >= limit_of(ctx->cfg, k->op_kind))
			continue;
		n += k->fn(ctx, out + n, max_out - n);
	}
	return n;
}
