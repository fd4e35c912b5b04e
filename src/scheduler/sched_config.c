#include "scheduler/sched_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MIB (UINT64_C(1) << 20)

void sched_config_default(struct sched_config *c)
{
	memset(c, 0, sizeof(*c));
	c->max_replicas = 3;
	c->max_store_down_time_ms = 30 * 60 * 1000;
	c->store_disconnect_time_ms = 20 * 1000;
	c->region_split_size = 96 * MIB;
	c->region_split_keys = 960000;
	c->leader_schedule_limit = 4;
	c->region_schedule_limit = 4;
	c->replica_schedule_limit = 8;
	c->leader_tolerance = 1;
	c->region_tolerance_ratio = 0.05;
	c->low_space_ratio = 0.2;
	c->leader_op_timeout_ms = 10 * 1000;
	c->region_op_timeout_ms = 10 * 60 * 1000;
	c->max_snapshot_count = 3;
	c->max_pending_peer_count = 16;
	c->patrol_batch = 1024;
}

#define OFF(f) offsetof(struct sched_config, f)
static const struct sched_config_setting settings[] = {
	{"max-replicas", SCFG_COUNT, OFF(max_replicas), 1, 15, "replicas kept per region"},
	{"max-store-down-time", SCFG_DURATION, OFF(max_store_down_time_ms), 1000, 30.0 * 86400000,
	 "a store silent this long is down and its replicas are replaced"},
	{"store-disconnect-time", SCFG_DURATION, OFF(store_disconnect_time_ms), 100,
	 30.0 * 86400000, "a store silent this long is disconnected (not used as a target)"},
	{"region-split-size", SCFG_SIZE, OFF(region_split_size), 1024, 1e13,
	 "stores split regions larger than this"},
	{"region-split-keys", SCFG_COUNT, OFF(region_split_keys), 1, 1e12,
	 "stores split regions with more keys than this"},
	{"leader-schedule-limit", SCFG_COUNT, OFF(leader_schedule_limit), 0, 1024,
	 "concurrent balance-leader operators (0 disables)"},
	{"region-schedule-limit", SCFG_COUNT, OFF(region_schedule_limit), 0, 1024,
	 "concurrent balance-region operators (0 disables)"},
	{"replica-schedule-limit", SCFG_COUNT, OFF(replica_schedule_limit), 0, 1024,
	 "concurrent replica repair operators (0 disables)"},
	{"leader-tolerance", SCFG_COUNT, OFF(leader_tolerance), 1, 1000000,
	 "leader count gap between stores that is left alone"},
	{"region-tolerance-ratio", SCFG_RATIO, OFF(region_tolerance_ratio), 0, 10,
	 "region score gap left alone, as a fraction of the mean store score"},
	{"low-space-ratio", SCFG_RATIO, OFF(low_space_ratio), 0, 1,
	 "stores with less free space than this fraction get no new replicas"},
	{"leader-op-timeout", SCFG_DURATION, OFF(leader_op_timeout_ms), 100, 86400000,
	 "timeout of a leader transfer operator"},
	{"region-op-timeout", SCFG_DURATION, OFF(region_op_timeout_ms), 1000, 7.0 * 86400000,
	 "timeout of an operator that adds or removes replicas"},
	{"max-snapshot-count", SCFG_COUNT, OFF(max_snapshot_count), 0, 1000,
	 "stores sending, receiving or applying more snapshots get no new replicas"},
	{"max-pending-peer-count", SCFG_COUNT, OFF(max_pending_peer_count), 0, 1000000,
	 "stores with more peers catching up get no new replicas"},
	{"patrol-batch", SCFG_COUNT, OFF(patrol_batch), 1, 1000000,
	 "regions the replica checker visits per tick"},
};
#undef OFF

const struct sched_config_setting *sched_config_settings(size_t *n)
{
	*n = sizeof(settings) / sizeof(settings[0]);
	return settings;
}

const struct sched_config_setting *sched_config_find(const char *name)
{
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

static uint64_t *u64_field(struct sched_config *c, const struct sched_config_setting *s)
{
	return (uint64_t *)((char *)c + s->offset);
}

static double *dbl_field(struct sched_config *c, const struct sched_config_setting *s)
{
	return (double *)((char *)c + s->offset);
}

static bool put_duration(struct tk_buf *out, uint64_t ms)
{
	if (ms % 3600000 == 0 && ms)
		return tk_buf_printf(out, "%lluh", (unsigned long long)(ms / 3600000));
	if (ms % 60000 == 0 && ms)
		return tk_buf_printf(out, "%llum", (unsigned long long)(ms / 60000));
	if (ms % 1000 == 0 && ms)
		return tk_buf_printf(out, "%llus", (unsigned long long)(ms / 1000));
	return tk_buf_printf(out, "%llums", (unsigned long long)ms);
}

static bool put_size(struct tk_buf *out, uint64_t b)
{
	static const char *units[] = {"GiB", "MiB", "KiB"};
	for (int i = 0; i < 3; i++) {
		uint64_t u = UINT64_C(1) << (30 - 10 * i);
		if (b && b % u == 0)
			return tk_buf_printf(out, "%llu%s", (unsigned long long)(b / u), units[i]);
	}
	return tk_buf_printf(out, "%lluB", (unsigned long long)b);
}

enum tk_err sched_config_get(const struct sched_config *c, const char *name, struct tk_buf *out,
			     struct tk_errbuf *eb)
{
	const struct sched_config_setting *s = sched_config_find(name);
	if (!s)
		return tk_err_set(eb, TK_E_NOT_FOUND, "unknown setting '%s'", name);
	uint64_t u = s->type == SCFG_RATIO ? 0 : *(const uint64_t *)((const char *)c + s->offset);
	double d = s->type == SCFG_RATIO ? *(const double *)((const char *)c + s->offset) : 0;
	bool ok;
	switch (s->type) {
	case SCFG_COUNT:
		ok = tk_buf_printf(out, "%llu", (unsigned long long)u);
		break;
	case SCFG_DURATION:
		ok = put_duration(out, u);
		break;
	case SCFG_SIZE:
		ok = put_size(out, u);
		break;
	default:
		ok = tk_buf_printf(out, "%.15g", d); /* round-trips what people type */
		break;
	}
	return ok ? TK_OK : tk_err_set(eb, TK_E_NOMEM, "config get");
}

/* Parse "<number><unit>" where unit is looked up in a table of suffixes and
 * multipliers; an empty suffix uses the table's first entry's multiplier
 * only if its name is "". */
struct unit {
	const char *name;
	double mult;
};

static bool parse_with_unit(const char *v, const struct unit *units, size_t nunits, double *out)
{
	errno = 0;
	char *end;
	double x = strtod(v, &end);
	if (end == v || errno || !(x <= 1e300) || x < 0)
		return false;
	for (size_t i = 0; i < nunits; i++) {
		if (strcasecmp(end, units[i].name) == 0) {
			*out = x * units[i].mult;
			return true;
		}
	}
	return false;
}

enum tk_err sched_config_set(struct sched_config *c, const char *name, const char *value,
			     struct tk_errbuf *eb)
{
	static const struct unit dur_units[] = {
		{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	static const struct unit size_units[] = {
		{"", 1}, {"B", 1}, {"KiB", 1024}, {"KB", 1024}, {"MiB", 1048576},
		{"MB", 1048576}, {"GiB", 1073741824.0}, {"GB", 1073741824.0}};
	static const struct unit plain[] = {{"", 1}};
	const struct sched_config_setting *s = sched_config_find(name);
	if (!s)
		return tk_err_set(eb, TK_E_NOT_FOUND, "unknown setting '%s'", name);
	double x;
	bool ok;
	switch (s->type) {
	case SCFG_DURATION:
		ok = parse_with_unit(value, dur_units, 5, &x);
		break;
	case SCFG_SIZE:
		ok = parse_with_unit(value, size_units, 8, &x);
		break;
	default:
		ok = parse_with_unit(value, plain, 1, &x);
		break;
	}
	if (!ok)
		return tk_err_set(eb, TK_E_BAD_CONFIG, "%s: cannot parse '%s'", name, value);
	if (s->type != SCFG_RATIO && (x > 1.8e19 || (double)(uint64_t)x != x))
		return tk_err_set(eb, TK_E_BAD_CONFIG, "%s: '%s' is not a whole number", name,
				  value);
	if (x < s->min || x > s->max)
		return tk_err_set(eb, TK_E_BAD_CONFIG, "%s: %s out of range [%g, %g]", name, value,
				  s->min, s->max);
	if (s->type == SCFG_RATIO)
		*dbl_field(c, s) = x;
	else
		*u64_field(c, s) = (uint64_t)x;
	return TK_OK;
}

enum tk_err sched_config_show(const struct sched_config *c, struct tk_buf *out,
			      struct tk_errbuf *eb)
{
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		if (!tk_buf_printf(out, "%s = ", settings[i].name))
			return tk_err_set(eb, TK_E_NOMEM, "config show");
		enum tk_err err = sched_config_get(c, settings[i].name, out, eb);
		if (err)
			return err;
		if (!tk_buf_append_byte(out, '\n'))
			return tk_err_set(eb, TK_E_NOMEM, "config show");
	}
	return TK_OK;
}
