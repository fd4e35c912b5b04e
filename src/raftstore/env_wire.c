#include "raftstore/env_wire.h"

#include <string.h>

#include "codec/raft_wire.h"

static struct tk_slice opt_bytes(struct tk_slice s)
{
	return s.n ? s : (struct tk_slice){NULL, 0};
}

enum tk_err rs_env_encode_frame(const struct rs_envelope *envs, size_t n, uint64_t from_store,
                                uint64_t to_store, struct tk_arena *a, struct tk_buf *out)
{
	struct tk_raft_batch batch;
	memset(&batch, 0, sizeof batch);
	batch.msgs.v = tk_arena_alloc(a, sizeof *batch.msgs.v * (n ? n : 1));
	if (!batch.msgs.v)
		return TK_E_NOMEM;
	batch.msgs.n = (uint32_t)n;
	batch.from_store = from_store;
	batch.to_store = to_store;
	for (size_t i = 0; i < n; i++) {
		const struct rs_envelope *e = &envs[i];
		struct tk_raft_msg *w = &batch.msgs.v[i];
		enum tk_err rc = tk_raft_msg_to_wire(&e->msg, w, a);
		if (rc != TK_OK)
			return rc;
		w->region = e->region_id;
		w->conf_ver = e->epoch.conf_ver;
		w->version = e->epoch.version;
		w->start_key = opt_bytes(e->start_key);
		w->end_key = opt_bytes(e->end_key);
		w->tombstone = e->tombstone;
		w->env_type = e->type;
		if (e->type != RS_ENV_RAFT) {
			w->snap_id = e->snap.snap_id;
			w->seq = e->snap.seq;
			w->last = e->snap.last;
			w->snap_reject = e->snap.reject;
			w->chunk = e->snap.len ? tk_slice_of(e->snap.data, e->snap.len)
			                       : (struct tk_slice){NULL, 0};
		}
	}
	struct tk_msg m = {.type = TK_MSG_raft, .kind = TK_REQUEST, .id = 0, .body = &batch};
	return tk_msg_encode_frame(out, &m);
}

enum tk_err rs_env_from_wire(const struct tk_raft_batch *b, uint32_t i, struct rs_envelope *env,
                             struct tk_arena *a, struct tk_errbuf *eb)
{
	const struct tk_raft_msg *w = &b->msgs.v[i];
	memset(env, 0, sizeof *env);
	if (w->region == 0)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "a store's raft message needs rg");
	if (b->from_store == 0)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "a store's raft batch needs fs");
	if (w->env_type > RS_ENV_SNAP_ACK)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "envelope type %llu is unknown",
		                  (unsigned long long)w->env_type);
	bool snap = w->env_type != RS_ENV_RAFT;
	if (!snap && (w->snap_id || w->seq || w->last || w->snap_reject || w->chunk.p))
		return tk_err_set(eb, TK_E_BAD_REQUEST, "si, sq, la, sr, cd belong to snapshot chunks");
	if (w->seq > UINT32_MAX)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "sq out of range");
	/* A chunk's message is a SNAPSHOT header; only the last one's carries
	 * the snapshot (tk_raft_msg_from_wire insists on sn in a SNAPSHOT). */
	if (snap && w->type != RAFT_MSG_SNAPSHOT)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "a snapshot chunk or ack has ty 9");
	enum tk_err rc;
	if (snap && !(w->env_type == RS_ENV_SNAP_CHUNK && w->last)) {
		if (w->snapshot)
			return tk_err_set(eb, TK_E_BAD_REQUEST, "only the last chunk carries sn");
		if (w->entries.n || w->context.p)
			return tk_err_set(eb, TK_E_BAD_REQUEST, "a chunk header carries no en or cx");
		env->msg.type = RAFT_MSG_SNAPSHOT;
		env->msg.from = w->from;
		env->msg.to = w->to;
		env->msg.term = w->term;
		if (!w->from || !w->to)
			return tk_err_set(eb, TK_E_BAD_REQUEST, "raft message needs non-zero fr and to");
	} else if ((rc = tk_raft_msg_from_wire(w, &env->msg, a, eb)) != TK_OK) {
		return rc;
	}
	env->region_id = w->region;
	env->from_store = b->from_store;
	env->to_store = b->to_store;
	env->epoch.conf_ver = w->conf_ver;
	env->epoch.version = w->version;
	env->start_key = opt_bytes(w->start_key);
	env->end_key = opt_bytes(w->end_key);
	env->tombstone = w->tombstone;
	env->type = (uint8_t)w->env_type;
	if (snap) {
		env->snap.snap_id = w->snap_id;
		env->snap.from_store = b->from_store;
		env->snap.seq = (uint32_t)w->seq;
		env->snap.last = w->last;
		env->snap.reject = w->snap_reject;
		env->snap.data = w->chunk.p;
		env->snap.len = w->chunk.p ? w->chunk.n : 0;
	}
	return TK_OK;
}
