#include "codec/raft_wire.h"

#include <string.h>

enum tk_err tk_raft_msg_to_wire(const struct raft_message *m, struct tk_raft_msg *w,
				struct tk_arena *a)
{
	memset(w, 0, sizeof *w);
	w->type = m->type;
	w->from = m->from;
	w->to = m->to;
	w->term = m->term;
	w->log_term = m->log_term;
	w->index = m->index;
	w->commit = m->commit;
	w->reject = m->reject;
	w->transfer = m->transfer;
	w->reject_hint = m->reject_hint;
	w->read_seq = m->read_seq;
	if (m->context_len)
		w->context = tk_slice_of(m->context, m->context_len);
	if (m->n_entries) {
		w->entries.v = tk_arena_alloc(a, sizeof *w->entries.v * m->n_entries);
		if (!w->entries.v)
			return TK_E_NOMEM;
		w->entries.n = (uint32_t)m->n_entries;
		for (size_t i = 0; i < m->n_entries; i++) {
			const struct raft_entry *e = &m->entries[i];
			struct tk_raft_entry *we = &w->entries.v[i];
			we->term = e->term;
			we->index = e->index;
			we->type = e->type;
			if (e->len)
				we->data = tk_slice_of(e->data, e->len);
		}
	}
	if (m->snapshot) {
		const struct raft_snapshot *s = m->snapshot;
		struct tk_raft_snapshot *ws = tk_arena_alloc(a, sizeof *ws);
		uint64_t *voters = tk_arena_alloc(a, sizeof *voters * (s->meta.conf.n_voters + 1));
		if (!ws || !voters)
			return TK_E_NOMEM;
		ws->index = s->meta.index;
		ws->term = s->meta.term;
		for (uint32_t i = 0; i < s->meta.conf.n_voters; i++)
			voters[i] = s->meta.conf.voters[i];
		ws->voters.v = voters;
		ws->voters.n = s->meta.conf.n_voters;
		if (s->len)
			ws->data = tk_slice_of(s->data, s->len);
		w->snapshot = ws;
	}
	return TK_OK;
}

enum tk_err tk_raft_msg_from_wire(const struct tk_raft_msg *w, struct raft_message *m,
				  struct tk_arena *a, struct tk_errbuf *eb)
{
	memset(m, 0, sizeof *m);
	if (w->type < 1 || w->type > RAFT_MSG_TYPE_MAX)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "raft message type %llu is unknown",
				  (unsigned long long)w->type);
	if (w->from == 0 || w->to == 0)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "raft message needs non-zero fr and to");
	if (w->snapshot && w->type != RAFT_MSG_SNAPSHOT)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "only a SNAPSHOT message carries sn");
	if (w->type == RAFT_MSG_SNAPSHOT && !w->snapshot)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "a SNAPSHOT message needs sn");
	if (w->entries.n && w->type != RAFT_MSG_APPEND)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "only an APPEND message carries en");
	m->type = (uint8_t)w->type;
	m->from = w->from;
	m->to = w->to;
	m->term = w->term;
	m->log_term = w->log_term;
	m->index = w->index;
	m->commit = w->commit;
	m->reject = w->reject;
	m->transfer = w->transfer;
	m->reject_hint = w->reject_hint;
	m->read_seq = w->read_seq;
	if (w->context.p && w->context.n) {
		m->context = w->context.p;
		m->context_len = w->context.n;
	}
	if (w->entries.n) {
		m->entries = tk_arena_alloc(a, sizeof *m->entries * w->entries.n);
		if (!m->entries)
			return tk_err_set(eb, TK_E_NOMEM, "out of memory");
		m->n_entries = w->entries.n;
		for (uint32_t i = 0; i < w->entries.n; i++) {
			const struct tk_raft_entry *we = &w->entries.v[i];
			if (we->type > RAFT_ENTRY_CONF_CHANGE)
				return tk_err_set(eb, TK_E_BAD_REQUEST, "entry %u: type %llu is unknown", i,
						  (unsigned long long)we->type);
			if (we->index == 0)
				return tk_err_set(eb, TK_E_BAD_REQUEST, "entry %u: index 0", i);
			m->entries[i].term = we->term;
			m->entries[i].index = we->index;
			m->entries[i].type = (uint8_t)we->type;
			m->entries[i].data = we->data.p;
			m->entries[i].len = we->data.p ? we->data.n : 0;
		}
	}
	if (w->snapshot) {
		const struct tk_raft_snapshot *ws = w->snapshot;
		if (ws->voters.n > RAFT_MAX_VOTERS)
			return tk_err_set(eb, TK_E_BAD_REQUEST, "snapshot lists %u voters, at most %d",
					  ws->voters.n, RAFT_MAX_VOTERS);
		struct raft_snapshot *s = tk_arena_alloc(a, sizeof *s);
		if (!s)
			return tk_err_set(eb, TK_E_NOMEM, "out of memory");
		s->meta.index = ws->index;
		s->meta.term = ws->term;
		s->meta.conf.n_voters = ws->voters.n;
		for (uint32_t i = 0; i < ws->voters.n; i++)
			s->meta.conf.voters[i] = ws->voters.v[i];
		s->data = ws->data.p;
		s->len = ws->data.p ? ws->data.n : 0;
		m->snapshot = s;
	}
	return TK_OK;
}
