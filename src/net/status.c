/* /status (JSON), /metrics (Prometheus text) over evhttp, and the INFO
 * lines of the inline protocol, all rendered from the same fields. */
#include <event2/buffer.h>
#include <event2/http.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "net/net.h"
#include "util/clock.h"
#include "util/log.h"

/* One list of status fields (struct net_status_field, server.h), rendered
 * as JSON or as text. */

static size_t status_fields(struct net_server *s, struct net_status_field *f, size_t max)
{
	struct eng_stats es;
	eng_get_stats(s->eng, &es);
	size_t n = 0;
#define NUM(k, v) if (n < max) f[n++] = (struct net_status_field){k, false, NULL, (uint64_t)(v)}
#define STR(k, v) if (n < max) f[n++] = (struct net_status_field){k, true, v, 0}
	STR("version", PACKAGE_VERSION);
	STR("build", TK_BUILD_INFO);
	STR("mode", s->svc->mode);
	STR("listen", s->listen_addr);
	STR("data_dir", s->cfg.data_dir);
	NUM("cluster_id", s->ident.cluster_id);
	NUM("store_id", s->ident.store_id);
	NUM("uptime_seconds", (tk_mono_ns() - s->start_ns) / 1000000000u);
	STR("sync", s->cfg.sync ? "on" : "off");
	NUM("connections", s->metrics.conns_current);
	NUM("connections_accepted", s->metrics.conns_accepted);
	NUM("connections_rejected", s->metrics.conns_rejected);
	NUM("connections_closed_protocol", s->metrics.conns_closed_protocol);
	NUM("connections_closed_idle", s->metrics.conns_closed_idle);
	NUM("connections_paused", s->metrics.conns_paused);
	uint64_t req = 0, err = 0;
	for (int i = 0; i <= TK_MSG__COUNT; i++) {
		req += s->metrics.msg[i].requests;
		err += s->metrics.msg[i].errors;
	}
	NUM("requests", req);
	NUM("request_errors", err);
	NUM("inline_commands", s->metrics.inline_commands);
	NUM("group_commits", s->metrics.commits);
	NUM("group_committed_writes", s->metrics.committed_ops);
	NUM("engine_writes", es.writes);
	NUM("engine_fsyncs", es.synced_writes);
	NUM("engine_write_errors", es.write_errors);
	NUM("engine_reopens", es.reopens);
	STR("engine_state", es.degraded ? "degraded" : "ok");
	NUM("bytes_in", s->metrics.bytes_in);
	NUM("bytes_out", s->metrics.bytes_out);
	if (s->svc->status_extra && n < max)
		n += s->svc->status_extra(s, f + n, max - n);
#undef NUM
#undef STR
	return n;
}

static void json_str(struct tk_buf *out, const char *v)
{
	tk_buf_append_byte(out, '"');
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			tk_buf_append_byte(out, '\\');
		if ((unsigned char)*v < 0x20)
			tk_buf_printf(out, "\\u%04x", *v);
		else
			tk_buf_append_byte(out, (uint8_t)*v);
	}
	tk_buf_append_byte(out, '"');
}

void net_status_json(struct net_server *s, struct tk_buf *out)
{
	struct net_status_field f[96];
	size_t n = status_fields(s, f, 96);
	tk_buf_append_byte(out, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			tk_buf_append_byte(out, ',');
		json_str(out, f[i].name);
		tk_buf_append_byte(out, ':');
		if (f[i].is_str)
			json_str(out, f[i].str);
		else
			tk_buf_printf(out, "%llu", (unsigned long long)f[i].num);
	}
	tk_buf_append(out, "}\n", 2);
}

void net_status_text(struct net_server *s, struct tk_buf *out)
{
	struct net_status_field f[96];
	size_t n = status_fields(s, f, 96);
	for (size_t i = 0; i < n; i++) {
		if (f[i].is_str)
			tk_buf_printf(out, "%s: %s\n", f[i].name, f[i].str);
		else
			tk_buf_printf(out, "%s: %llu\n", f[i].name, (unsigned long long)f[i].num);
	}
}

void net_metrics_text(struct net_server *s, struct tk_buf *out)
{
	struct eng_stats es;
	eng_get_stats(s->eng, &es);
	const struct net_metrics *m = &s->metrics;
	tk_buf_printf(out, "# HELP tinykv_requests_total Requests handled, by message type.\n"
			   "# TYPE tinykv_requests_total counter\n");
	for (int i = 0; i <= TK_MSG__COUNT; i++)
		if (m->msg[i].requests)
			tk_buf_printf(out, "tinykv_requests_total{type=\"%s\"} %llu\n",
				      i < TK_MSG__COUNT ? tk_msg_defs[i].name : "inline_other",
				      (unsigned long long)m->msg[i].requests);
	tk_buf_printf(out, "# HELP tinykv_request_errors_total Requests answered with an error.\n"
			   "# TYPE tinykv_request_errors_total counter\n");
	for (int i = 0; i <= TK_MSG__COUNT; i++)
		if (m->msg[i].requests)
			tk_buf_printf(out, "tinykv_request_errors_total{type=\"%s\"} %llu\n",
				      i < TK_MSG__COUNT ? tk_msg_defs[i].name : "inline_other",
				      (unsigned long long)m->msg[i].errors);
	tk_buf_printf(out, "# HELP tinykv_request_duration_seconds Time from decoding a request to its reply "
			   "(writes: until durable).\n# TYPE tinykv_request_duration_seconds histogram\n");
	for (int i = 0; i < TK_MSG__COUNT; i++) {
		const struct net_msg_metrics *mm = &m->msg[i];
		if (!mm->requests)
			continue;
		uint64_t cum = 0;
		for (int b = 0; b < NET_LAT_BUCKETS; b++) {
			cum += mm->lat_count[b];
			tk_buf_printf(out, "tinykv_request_duration_seconds_bucket{type=\"%s\",le=\"%g\"} %llu\n",
				      tk_msg_defs[i].name, (double)net_lat_bounds_us[b] / 1e6,
				      (unsigned long long)cum);
		}
		cum += mm->lat_count[NET_LAT_BUCKETS];
		tk_buf_printf(out, "tinykv_request_duration_seconds_bucket{type=\"%s\",le=\"+Inf\"} %llu\n"
				   "tinykv_request_duration_seconds_sum{type=\"%s\"} %g\n"
				   "tinykv_request_duration_seconds_count{type=\"%s\"} %llu\n",
			      tk_msg_defs[i].name, (unsigned long long)cum, tk_msg_defs[i].name,
			      (double)mm->lat_sum_us / 1e6, tk_msg_defs[i].name, (unsigned long long)cum);
	}
#define COUNTER(name, help, v)                                                            \
	tk_buf_printf(out, "# HELP " name " " help "\n# TYPE " name " counter\n" name " %llu\n", \
		      (unsigned long long)(v))
#define GAUGE(name, help, v)                                                              \
	tk_buf_printf(out, "# HELP " name " " help "\n# TYPE " name " gauge\n" name " %llu\n", \
		      (unsigned long long)(v))
	GAUGE("tinykv_connections", "Open client connections.", m->conns_current);
	COUNTER("tinykv_connections_accepted_total", "Client connections accepted.", m->conns_accepted);
	COUNTER("tinykv_connections_rejected_total", "Connections refused (max-conns, shutdown).", m->conns_rejected);
	COUNTER("tinykv_connections_closed_protocol_total", "Connections closed for protocol violations.",
		m->conns_closed_protocol);
	COUNTER("tinykv_connections_closed_idle_total", "Connections closed by the idle timeout.", m->conns_closed_idle);
	COUNTER("tinykv_backpressure_pauses_total", "Times reading paused because a client did not read replies.",
		m->conns_paused);
	COUNTER("tinykv_group_commits_total", "Write batches committed (one per reactor iteration with writes).",
		m->commits);
	COUNTER("tinykv_group_committed_writes_total", "Write requests acknowledged through group commits.",
		m->committed_ops);
	COUNTER("tinykv_engine_writes_total", "LevelDB write batches written.", es.writes);
	COUNTER("tinykv_engine_fsyncs_total", "LevelDB write batches written with fsync.", es.synced_writes);
	COUNTER("tinykv_engine_write_errors_total", "Failed LevelDB writes.", es.write_errors);
	COUNTER("tinykv_engine_reopens_total", "Engine reopens after a write error.", es.reopens);
	GAUGE("tinykv_engine_degraded", "1 while writes are failing (disk full or I/O error).", es.degraded);
	COUNTER("tinykv_bytes_in_total", "Bytes received from clients.", m->bytes_in);
	COUNTER("tinykv_bytes_out_total", "Bytes sent to clients.", m->bytes_out);
	GAUGE("tinykv_uptime_seconds", "Seconds since start.", (tk_mono_ns() - s->start_ns) / 1000000000u);
	if (s->svc->metrics_extra)
		s->svc->metrics_extra(s, out);
#undef COUNTER
#undef GAUGE
}

static void send_buf(struct evhttp_request *req, const char *type, struct tk_buf *b)
{
	struct evbuffer *ev = evbuffer_new();
	evbuffer_add(ev, b->data, b->len);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	evhttp_send_reply(req, HTTP_OK, "OK", ev);
	evbuffer_free(ev);
}

static void http_cb(struct evhttp_request *req, void *arg)
{
	struct net_server *s = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	struct tk_buf b;
	tk_buf_init(&b);
	if (path && strcmp(path, "/status") == 0) {
		net_status_json(s, &b);
		send_buf(req, "application/json", &b);
	} else if (path && strcmp(path, "/metrics") == 0) {
		net_metrics_text(s, &b);
		send_buf(req, "text/plain; version=0.0.4", &b);
	} else {
		evhttp_send_error(req, HTTP_NOTFOUND, "try /status or /metrics");
	}
	tk_buf_destroy(&b);
}

enum tk_err net_http_start(struct net_server *s, struct tk_errbuf *eb)
{
	if (!s->cfg.status_addr[0])
		return TK_OK;
	char host[128];
	uint16_t port;
	net_parse_addr(s->cfg.status_addr, host, sizeof host, &port);
	s->http = evhttp_new(s->base);
	if (!s->http)
		return tk_err_set(eb, TK_E_NOMEM, "evhttp_new failed");
	evhttp_set_gencb(s->http, http_cb, s);
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(s->http, host, port);
	if (!bs)
		return tk_err_set(eb, TK_E_IO, "status-addr %s: cannot listen (in use?)", s->cfg.status_addr);
	snprintf(s->status_bound, sizeof s->status_bound, "%s:%d", host,
		 net_bound_port(evhttp_bound_socket_get_fd(bs)));
	return TK_OK;
}
