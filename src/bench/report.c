/* tinykv-bench output: the human report and the JSON object. */
#include <string.h>

#include "bench/bench.h"
#include "config.h"

static const char *const op_names[OP__COUNT] = {"get", "put", "scan"};

uint64_t bench_result_errors(const struct bench_result *r)
{
	uint64_t n = 0;
	for (int op = 0; op < OP__COUNT; op++)
		n += r->op[op].errors;
	return n + r->failed + r->ts_violations;
}

uint64_t bench_result_ops(const struct bench_result *r)
{
	uint64_t n = 0;
	for (int op = 0; op < OP__COUNT; op++)
		n += r->op[op].ok + r->op[op].errors;
	return n + r->tso_ok + r->txn_committed + r->txn_aborted + r->failed;
}

static double seconds(const struct bench_result *r)
{
	return (double)r->elapsed_ns / 1e9;
}

static double per_s(const struct bench_result *r, uint64_t n)
{
	return r->elapsed_ns ? (double)n / seconds(r) : 0.0;
}

static void all_latency(const struct bench_result *r, struct bench_hist *all)
{
	bench_hist_init(all);
	for (int op = 0; op < OP__COUNT; op++)
		bench_hist_merge(all, &r->op[op].lat);
}

static const double quantiles[] = {0.5, 0.9, 0.99, 0.999};
static const char *const q_names[] = {"p50", "p90", "p99", "p99_9"};
#define NQ (sizeof(quantiles) / sizeof(quantiles[0]))

static void mix_string(const struct bench_config *c, char *buf, size_t len)
{
	snprintf(buf, len, "%u:%u:%u", c->mix[OP_GET], c->mix[OP_PUT], c->mix[OP_SCAN]);
}

/* ---- text ---------------------------------------------------------------- */

static void text_row(FILE *out, const char *name, uint64_t n, double ops, const struct bench_hist *h)
{
	fprintf(out, "%-5s %11llu %11.0f", name, (unsigned long long)n, ops);
	fprintf(out, " %9.3f", bench_hist_mean(h) / 1e6);
	for (size_t i = 0; i < NQ; i++)
		fprintf(out, " %9.3f", (double)bench_hist_quantile(h, quantiles[i]) / 1e6);
	fprintf(out, " %9.3f\n", (double)(h->count ? h->max : 0) / 1e6);
}

static void text_errors(FILE *out, const char *title, const uint64_t *by_code)
{
	const char *sep = " ";
	fprintf(out, "%s:", title);
	for (int e = 0; e < TK_E__COUNT; e++)
		if (by_code[e]) {
			fprintf(out, "%s%s %llu", sep, tk_err_name((enum tk_err)e),
				(unsigned long long)by_code[e]);
			sep = ", ";
		}
	fprintf(out, "\n");
}

static void text_latency_header(FILE *out, const char *what)
{
	fprintf(out, "%-5s %11s %11s %9s %9s %9s %9s %9s %9s   (%s latency in ms)\n", "", "ok",
		"per s", "mean", "p50", "p90", "p99", "p99.9", "max", what);
}

static void report_tso_text(FILE *out, const struct bench_config *c, const struct bench_result *r)
{
	uint64_t errs = bench_result_errors(r);
	fprintf(out, "tinykv-bench %s -> scheduler %s (%s)\n", PACKAGE_VERSION, c->scheduler,
		*r->server ? r->server : "unknown server");
	fprintf(out,
		"workload: tso, %u connections x pipeline %u, %u thread%s, %u timestamps per "
		"get_ts, closed loop\n",
		c->connections, c->pipeline, c->threads, c->threads == 1 ? "" : "s", c->tso_batch);
	fprintf(out, "run: %.2f s, %llu get_ts requests, %llu errors\n", seconds(r),
		(unsigned long long)(r->tso_ok + r->failed), (unsigned long long)errs);
	fprintf(out, "throughput: %.0f timestamps/s (%.0f requests/s x %u)\n\n",
		per_s(r, r->timestamps), per_s(r, r->tso_ok), c->tso_batch);
	text_latency_header(out, "round-trip");
	text_row(out, "tso", r->tso_ok, per_s(r, r->tso_ok), &r->lat);
	fprintf(out, "monotonic: %s (%llu timestamps, %llu batches out of order)\n",
		r->ts_violations ? "NO" : "yes", (unsigned long long)r->timestamps,
		(unsigned long long)r->ts_violations);
	if (r->failed)
		text_errors(out, "errors", r->errors);
}

static double abort_rate(const struct bench_result *r)
{
	uint64_t n = r->txn_committed + r->txn_aborted;
	return n ? (double)r->txn_aborted / (double)n : 0.0;
}

static void report_txn_text(FILE *out, const struct bench_config *c, const struct bench_result *r)
{
	fprintf(out, "tinykv-bench %s -> tinykvd %s, scheduler %s\n", PACKAGE_VERSION, c->address,
		c->scheduler);
	fprintf(out,
		"workload: txn, %u worker%s (one client each), %u key%s per transaction (read, "
		"write, commit), keyspace %llu",
		c->threads, c->threads == 1 ? "" : "s", c->txn_keys, c->txn_keys == 1 ? "" : "s",
		(unsigned long long)c->keyspace);
	if (c->zipf > 0)
		fprintf(out, " (zipf %.2f)", c->zipf);
	fprintf(out, ", value %zu B\n", c->value_size);
	fprintf(out, "run: %.2f s, %llu committed, %llu aborted, %llu errors\n", seconds(r),
		(unsigned long long)r->txn_committed, (unsigned long long)r->txn_aborted,
		(unsigned long long)r->failed);
	fprintf(out, "throughput: %.0f txn/s committed (%.0f keys/s)\n", per_s(r, r->txn_committed),
		per_s(r, r->txn_committed * c->txn_keys));
	fprintf(out, "abort rate: %.2f%% (aborted / (committed + aborted))\n\n",
		abort_rate(r) * 100);
	text_latency_header(out, "begin-to-commit");
	text_row(out, "txn", r->txn_committed, per_s(r, r->txn_committed), &r->lat);
	if (r->txn_aborted)
		text_errors(out, "aborted", r->aborts);
	if (r->failed)
		text_errors(out, "errors", r->errors);
}

void bench_report_text(FILE *out, const struct bench_config *c, const struct bench_result *r)
{
	if (c->mode == MODE_TSO) {
		report_tso_text(out, c, r);
		return;
	}
	if (c->mode == MODE_TXN) {
		report_txn_text(out, c, r);
		return;
	}
	char mix[64];
	mix_string(c, mix, sizeof(mix));
	uint64_t ops = bench_result_ops(r), errs = bench_result_errors(r);

	fprintf(out, "tinykv-bench %s -> %s (%s)\n", PACKAGE_VERSION, c->address,
		*r->server ? r->server : "unknown server");
	fprintf(out, "workload: %u connections x pipeline %u, %u thread%s, keyspace %llu", c->connections,
		c->pipeline, c->threads, c->threads == 1 ? "" : "s", (unsigned long long)c->keyspace);
	if (c->zipf > 0)
		fprintf(out, " (zipf %.2f)", c->zipf);
	fprintf(out, ", value %zu B, mix get:put:scan %s", c->value_size, mix);
	if (c->mix[OP_SCAN])
		fprintf(out, ", scan limit %u", c->scan_limit);
	if (c->rate > 0)
		fprintf(out, ", open loop at %.0f requests/s\n", c->rate);
	else
		fprintf(out, ", closed loop\n");
	if (c->preload)
		fprintf(out, "preload: %llu keys in %.2f s\n", (unsigned long long)r->preloaded,
			r->preload_s);
	fprintf(out, "run: %.2f s, %llu requests, %llu errors\n", seconds(r), (unsigned long long)ops,
		(unsigned long long)errs);
	fprintf(out, "throughput: %.0f ops/s\n\n", per_s(r, ops - errs));

	fprintf(out, "%-5s %11s %11s %9s %9s %9s %9s %9s %9s   (latency in ms)\n", "op", "ok", "ops/s",
		"mean", "p50", "p90", "p99", "p99.9", "max");
	int kinds = 0;
	for (int op = 0; op < OP__COUNT; op++) {
		const struct bench_op_stats *s = &r->op[op];
		if (!s->ok && !s->errors)
			continue;
		kinds++;
		text_row(out, op_names[op], s->ok, per_s(r, s->ok), &s->lat);
	}
	if (kinds != 1) {
		struct bench_hist all;
		all_latency(r, &all);
		text_row(out, "all", ops - errs, per_s(r, ops - errs), &all);
	}
	if (r->op[OP_GET].ok)
		fprintf(out, "get: %llu found, %llu not found\n",
			(unsigned long long)r->op[OP_GET].hits, (unsigned long long)r->op[OP_GET].misses);
	if (r->op[OP_SCAN].ok)
		fprintf(out, "scan: %llu pairs, %.1f per scan\n", (unsigned long long)r->op[OP_SCAN].rows,
			(double)r->op[OP_SCAN].rows / (double)r->op[OP_SCAN].ok);
	if (errs) {
		fprintf(out, "errors:");
		const char *sep = " ";
		for (int e = 0; e < TK_E__COUNT; e++)
			if (r->errors[e]) {
				fprintf(out, "%s%s %llu", sep, tk_err_name((enum tk_err)e),
					(unsigned long long)r->errors[e]);
				sep = ", ";
			}
		fprintf(out, "\n");
	}
	if (c->rate > 0)
		fprintf(out, "open loop: %llu requests were due but never sent%s\n",
			(unsigned long long)r->unsent,
			r->unsent ? " (the server could not keep up with the rate)" : "");
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void json_latency(FILE *out, const struct bench_hist *h)
{
	fprintf(out, "{\"mean\":%.1f,\"min\":%.1f", bench_hist_mean(h) / 1e3,
		(double)(h->count ? h->min : 0) / 1e3);
	for (size_t i = 0; i < NQ; i++)
		fprintf(out, ",\"%s\":%.1f", q_names[i], (double)bench_hist_quantile(h, quantiles[i]) / 1e3);
	fprintf(out, ",\"max\":%.1f}", (double)(h->count ? h->max : 0) / 1e3);
}

static void json_codes(FILE *out, const char *name, const uint64_t *by_code)
{
	const char *sep = "";
	fprintf(out, "\"%s\":{", name);
	for (int e = 0; e < TK_E__COUNT; e++)
		if (by_code[e]) {
			fprintf(out, "%s\"%s\":%llu", sep, tk_err_name((enum tk_err)e),
				(unsigned long long)by_code[e]);
			sep = ",";
		}
	fputc('}', out);
}

/* tso and txn: "mode" names the workload (in kv mode it says open or
 * closed loop, as it always did). */
static void report_mode_json(FILE *out, const struct bench_config *c, const struct bench_result *r)
{
	fprintf(out, "{\"tool\":\"tinykv-bench\",\"version\":\"%s\",\"mode\":\"%s\",",
		PACKAGE_VERSION, bench_mode_name(c->mode));
	if (c->mode == MODE_TXN) {
		fprintf(out, "\"address\":");
		json_str(out, c->address);
		fputc(',', out);
	}
	fprintf(out, "\"scheduler\":");
	json_str(out, c->scheduler);
	if (c->mode == MODE_TSO) {
		fprintf(out, ",\"server\":");
		json_str(out, r->server);
	}
	fprintf(out, ",\"connections\":%u,\"threads\":%u,\"seconds\":%.3f,", c->connections,
		c->threads, seconds(r));
	if (c->mode == MODE_TSO) {
		fprintf(out,
			"\"pipeline\":%u,\"tso_batch\":%u,\"requests\":%llu,\"ok\":%llu,"
			"\"timestamps\":%llu,\"timestamps_per_sec\":%.1f,\"requests_per_sec\":%.1f,"
			"\"monotonic_violations\":%llu,",
			c->pipeline, c->tso_batch, (unsigned long long)(r->tso_ok + r->failed),
			(unsigned long long)r->tso_ok, (unsigned long long)r->timestamps,
			per_s(r, r->timestamps), per_s(r, r->tso_ok),
			(unsigned long long)r->ts_violations);
	} else {
		fprintf(out,
			"\"txn_keys\":%u,\"keyspace\":%llu,\"distribution\":\"%s\","
			"\"zipf_theta\":%.3f,\"value_size\":%zu,\"committed\":%llu,"
			"\"aborted\":%llu,\"txn_per_sec\":%.1f,\"abort_rate\":%.4f,",
			c->txn_keys, (unsigned long long)c->keyspace, c->zipf > 0 ? "zipf" : "uniform",
			c->zipf, c->value_size, (unsigned long long)r->txn_committed,
			(unsigned long long)r->txn_aborted, per_s(r, r->txn_committed),
			abort_rate(r));
		json_codes(out, "aborts_by_code", r->aborts);
		fputc(',', out);
	}
	fprintf(out, "\"errors\":%llu,", (unsigned long long)bench_result_errors(r));
	json_codes(out, "errors_by_code", r->errors);
	fprintf(out, ",\"latency_us\":");
	json_latency(out, &r->lat);
	fprintf(out, "}\n");
}

void bench_report_json(FILE *out, const struct bench_config *c, const struct bench_result *r)
{
	if (c->mode != MODE_KV) {
		report_mode_json(out, c, r);
		return;
	}
	uint64_t ops = bench_result_ops(r), errs = bench_result_errors(r);
	struct bench_hist all;
	all_latency(r, &all);

	fprintf(out, "{\"tool\":\"tinykv-bench\",\"version\":\"%s\",\"address\":", PACKAGE_VERSION);
	json_str(out, c->address);
	fprintf(out, ",\"server\":");
	json_str(out, r->server);
	fprintf(out,
		",\"connections\":%u,\"pipeline\":%u,\"threads\":%u,\"keyspace\":%llu,"
		"\"distribution\":\"%s\",\"zipf_theta\":%.3f,\"value_size\":%zu,"
		"\"mix\":{\"get\":%u,\"put\":%u,\"scan\":%u},\"scan_limit\":%u,",
		c->connections, c->pipeline, c->threads, (unsigned long long)c->keyspace,
		c->zipf > 0 ? "zipf" : "uniform", c->zipf, c->value_size, c->mix[OP_GET],
		c->mix[OP_PUT], c->mix[OP_SCAN], c->scan_limit);
	fprintf(out, "\"mode\":\"%s\",\"rate\":%.3f,\"unsent\":%llu,", c->rate > 0 ? "open" : "closed",
		c->rate, (unsigned long long)r->unsent);
	fprintf(out, "\"preloaded\":%llu,\"preload_seconds\":%.3f,", (unsigned long long)r->preloaded,
		r->preload_s);
	fprintf(out, "\"seconds\":%.3f,\"requests\":%llu,\"ok\":%llu,\"errors\":%llu,", seconds(r),
		(unsigned long long)ops, (unsigned long long)(ops - errs), (unsigned long long)errs);
	fprintf(out, "\"errors_by_code\":{");
	const char *sep = "";
	for (int e = 0; e < TK_E__COUNT; e++)
		if (r->errors[e]) {
			fprintf(out, "%s\"%s\":%llu", sep, tk_err_name((enum tk_err)e),
				(unsigned long long)r->errors[e]);
			sep = ",";
		}
	fprintf(out, "},\"ops_per_sec\":%.1f,\"latency_us\":", per_s(r, ops - errs));
	json_latency(out, &all);
	fprintf(out, ",\"by_op\":{");
	sep = "";
	for (int op = 0; op < OP__COUNT; op++) {
		const struct bench_op_stats *s = &r->op[op];
		if (!s->ok && !s->errors)
			continue;
		fprintf(out, "%s\"%s\":{\"ok\":%llu,\"errors\":%llu,\"ops_per_sec\":%.1f,", sep,
			op_names[op], (unsigned long long)s->ok, (unsigned long long)s->errors,
			per_s(r, s->ok));
		if (op == OP_GET)
			fprintf(out, "\"found\":%llu,\"not_found\":%llu,", (unsigned long long)s->hits,
				(unsigned long long)s->misses);
		if (op == OP_SCAN)
			fprintf(out, "\"pairs\":%llu,", (unsigned long long)s->rows);
		fprintf(out, "\"latency_us\":");
		json_latency(out, &s->lat);
		fputc('}', out);
		sep = ",";
	}
	fprintf(out, "}}\n");
}
