/* What tinykv-cli says after a region error (tinykv-cli(1), "Region
 * errors"): the store's hint in words, or as JSON fields next to the error's
 * code and message. */
#include <inttypes.h>
#include <string.h>

#include "cli/cli.h"
#include "util/quote.h"

void cli_key_human(struct tk_buf *b, const uint8_t *p, size_t n, const char *empty)
{
	if (n)
		tk_quote(b, tk_slice_of(p, n));
	else
		tk_buf_printf(b, "%s", empty);
}

void cli_region_human(struct tk_buf *b, const struct tkv_region *r, uint64_t leader_peer)
{
	tk_buf_printf(b, "region %" PRIu64 " [", r->id);
	cli_key_human(b, r->start, r->start_len, "-inf");
	tk_buf_printf(b, ", ");
	cli_key_human(b, r->end, r->end_len, "+inf");
	tk_buf_printf(b, ") epoch %" PRIu64 "/%" PRIu64 " peers", r->conf_ver, r->version);
	for (size_t i = 0; i < r->n_peers; i++)
		tk_buf_printf(b, "%s%" PRIu64 "@%" PRIu64 "%s", i ? "," : " ", r->peers[i].id,
		              r->peers[i].store_id,
		              leader_peer && r->peers[i].id == leader_peer ? "*" : "");
}

/* "-h HOST -p PORT" for a "host:port" or "[v6]:port" address; false when
 * it is not one. */
static bool connect_args(struct tk_buf *b, const char *addr)
{
	const char *colon = strrchr(addr, ':');
	if (!colon || colon == addr || !colon[1])
		return false;
	const char *host = addr;
	size_t hn = (size_t)(colon - addr);
	if (host[0] == '[' && hn >= 2 && host[hn - 1] == ']') {
		host++;
		hn -= 2;
	}
	tk_buf_printf(b, "-h %.*s -p %s", (int)hn, host, colon + 1);
	return true;
}

void cli_region_error_hint(struct tk_buf *b, const struct tkv_region_error *re)
{
	switch (re->code) {
	case TK_E_NOT_LEADER:
		if (!re->leader.store_id) {
			tk_buf_printf(b,
			              "hint: region %" PRIu64 " has no known leader (an election "
			              "may be running); retry in a moment\n",
			              re->region_id);
			break;
		}
		tk_buf_printf(b,
		              "hint: the leader of region %" PRIu64 " is peer %" PRIu64
		              " on store %" PRIu64,
		              re->region_id, re->leader.id, re->leader.store_id);
		if (*re->leader_addr) {
			tk_buf_printf(b, " at %s; try: tinykv-cli ", re->leader_addr);
			if (!connect_args(b, re->leader_addr))
				tk_buf_printf(b, "-h %s", re->leader_addr);
			tk_buf_append_byte(b, '\n');
		} else {
			tk_buf_printf(b, " (`tinykv-cli store list` shows its address)\n");
		}
		break;
	case TK_E_EPOCH_NOT_MATCH:
		if (!re->n_regions) {
			tk_buf_printf(b,
			              "hint: region %" PRIu64 " changed (split or membership "
			              "change); `tinykv-cli region list` shows the regions now\n",
			              re->region_id);
			break;
		}
		tk_buf_printf(b,
		              "hint: region %" PRIu64 " changed (split or membership change); "
		              "the store has now:\n",
		              re->region_id);
		for (size_t i = 0; i < re->n_regions; i++) {
			tk_buf_printf(b, "  ");
			cli_region_human(b, &re->regions[i], 0);
			tk_buf_append_byte(b, '\n');
		}
		break;
	default:
		break;
	}
}

void cli_region_error_json(struct tk_buf *b, const struct tkv_region_error *re)
{
	if (re->region_id)
		tk_buf_printf(b, ",\"region\":%" PRIu64, re->region_id);
	if (re->leader.store_id) {
		tk_buf_printf(b, ",\"leader\":{\"id\":%" PRIu64 ",\"store\":%" PRIu64 "}",
		              re->leader.id, re->leader.store_id);
		if (*re->leader_addr) {
			tk_buf_printf(b, ",\"leader_addr\":");
			cli_json_str(b, re->leader_addr);
		}
	}
	if (re->n_regions) {
		tk_buf_printf(b, ",\"regions\":[");
		for (size_t i = 0; i < re->n_regions; i++) {
			const struct tkv_region *r = &re->regions[i];
			tk_buf_printf(b, "%s{\"id\":%" PRIu64 ",\"start\":", i ? "," : "", r->id);
			cli_json_bytes(b, r->start, r->start_len);
			tk_buf_printf(b, ",\"end\":");
			cli_json_bytes(b, r->end, r->end_len);
			tk_buf_printf(
			    b, ",\"conf_ver\":%" PRIu64 ",\"version\":%" PRIu64 ",\"peers\":[",
			    r->conf_ver, r->version);
			for (size_t j = 0; j < r->n_peers; j++)
				tk_buf_printf(b, "%s{\"id\":%" PRIu64 ",\"store\":%" PRIu64 "}",
				              j ? "," : "", r->peers[j].id, r->peers[j].store_id);
			tk_buf_printf(b, "]}");
		}
		tk_buf_printf(b, "]");
	}
	if (re->key) {
		tk_buf_printf(b, ",\"key\":");
		cli_json_bytes(b, re->key, re->key_len);
	}
	if (*re->reason) {
		tk_buf_printf(b, ",\"reason\":");
		cli_json_str(b, re->reason);
	}
	if (re->backoff_ms)
		tk_buf_printf(b, ",\"backoff_ms\":%" PRIu64, re->backoff_ms);
}
