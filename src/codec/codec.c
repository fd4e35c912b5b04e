#include "codec/codec.h"

#include <msgpack.h>
#include <string.h>

#include "codec/mp_read.h"

enum tk_frame_status tk_frame_peek(const uint8_t *p, size_t avail, uint32_t max_payload,
				   uint32_t *payload_len)
{
	if (avail < TK_FRAME_HEADER)
		return TK_FRAME_NEED_MORE;
	uint32_t n = tk_get_be32(p);
	*payload_len = n;
	if (n > max_payload)
		return TK_FRAME_TOO_LARGE;
	return avail - TK_FRAME_HEADER >= n ? TK_FRAME_READY : TK_FRAME_NEED_MORE;
}

/* ---- decoding ---------------------------------------------------------- */

/* Lenient decoding (error objects, codec.h): unknown and duplicate keys are
 * skipped, and an optional field that does not decode is dropped. */
struct dec {
	struct tk_arena *a;
	bool lenient;
};

static enum tk_err decode_obj(struct mp_reader *r, const struct tk_obj_def *def, void *out,
			      const struct dec *d, int depth, struct tk_errbuf *eb);

static enum tk_err bad(struct tk_errbuf *eb, const struct tk_obj_def *def,
		       const struct tk_field_def *f, const char *what, enum mp_kind got)
{
	return tk_err_set(eb, TK_E_BAD_REQUEST, "field '%s' of %s: expected %s, got %s", f->name,
			  def->name, what, mp_kind_name(got));
}

static bool read_bytes(struct mp_reader *r, struct tk_slice *out, enum mp_kind *got)
{
	struct mp_value v;
	if (!mp_read(r, &v))
		return false;
	*got = v.kind;
	if (v.kind != MP_BIN && v.kind != MP_STR)
		return true;
	/* a non-NULL pointer even for empty bytes: present, not absent */
	*out = v.s.n ? v.s : tk_slice_of("", 0);
	return true;
}

static enum tk_err truncated(struct tk_errbuf *eb, const struct tk_obj_def *def,
			     const struct tk_field_def *f)
{
	return tk_err_set(eb, TK_E_BAD_REQUEST, "field '%s' of %s: malformed or truncated msgpack",
			  f->name, def->name);
}

static enum tk_err decode_list(struct mp_reader *r, const struct tk_obj_def *def,
			       const struct tk_field_def *f, void *slot, const struct dec *d,
			       int depth, struct tk_errbuf *eb)
{
	struct tk_arena *a = d->a;
	struct mp_value v;
	if (!mp_read(r, &v))
		return truncated(eb, def, f);
	if (v.kind != MP_ARRAY)
		return bad(eb, def, f, "array", v.kind);
	uint32_t n = v.count;
	size_t elem = f->type == TKF_BINLIST ? sizeof(struct tk_slice)
		      : f->type == TKF_KVLIST ? sizeof(struct tk_kv)
		      : f->type == TKF_U64LIST ? sizeof(uint64_t)
					      : f->sub->size;
	/* The count is at most the bytes left, but an element decodes into a
	 * struct of up to ~150 bytes: grow the array as elements decode rather
	 * than trust the count, so memory follows what the input really holds
	 * (doubling: at most twice the final array in the arena). */
	void *items = NULL;
	uint32_t cap = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (i == cap) {
			cap = cap ? (cap > n / 2 ? n : cap * 2) : (n < 16 ? n : 16);
			void *grown = tk_arena_alloc(a, elem * cap);
			if (!grown)
				return tk_err_set(eb, TK_E_NOMEM, "decoding %s", def->name);
			if (i)
				memcpy(grown, items, elem * i);
			items = grown;
		}
		void *it = (char *)items + elem * i;
		enum mp_kind got = MP_NIL;
		if (f->type == TKF_U64LIST) {
			if (!mp_read(r, &v))
				return truncated(eb, def, f);
			if (v.kind != MP_UINT)
				return bad(eb, def, f, "array of unsigned integers", v.kind);
			*(uint64_t *)it = v.u;
		} else if (f->type == TKF_BINLIST) {
			if (!read_bytes(r, it, &got))
				return truncated(eb, def, f);
			if (got != MP_BIN && got != MP_STR)
				return bad(eb, def, f, "array of bin", got);
		} else if (f->type == TKF_KVLIST) {
			struct tk_kv *kv = it;
			if (!mp_read(r, &v))
				return truncated(eb, def, f);
			if (v.kind != MP_ARRAY || v.count != 2)
				return tk_err_set(eb, TK_E_BAD_REQUEST,
						  "field '%s' of %s: expected [key, value] pairs",
						  f->name, def->name);
			if (!read_bytes(r, &kv->k, &got))
				return truncated(eb, def, f);
			if (got != MP_BIN && got != MP_STR)
				return bad(eb, def, f, "bin key", got);
			if (!read_bytes(r, &kv->v, &got))
				return truncated(eb, def, f);
			if (got != MP_BIN && got != MP_STR && got != MP_NIL)
				return bad(eb, def, f, "bin value", got);
		} else {
			enum tk_err e = decode_obj(r, f->sub, it, d, depth + 1, eb);
			if (e)
				return e;
		}
	}
	if (f->type == TKF_BINLIST) {
		struct tk_binlist *l = slot;
		l->v = items;
		l->n = n;
	} else if (f->type == TKF_U64LIST) {
		struct tk_u64list *l = slot;
		l->v = items;
		l->n = n;
	} else if (f->type == TKF_KVLIST) {
		struct tk_kvlist *l = slot;
		l->v = items;
		l->n = n;
	} else {
		/* every generated list is {T *v; uint32_t n;} */
		struct tk_empty_list *l = slot;
		l->v = items;
		l->n = n;
	}
	return TK_OK;
}

static enum tk_err decode_field(struct mp_reader *r, const struct tk_obj_def *def,
				const struct tk_field_def *f, char *base, const struct dec *d,
				int depth, struct tk_errbuf *eb)
{
	void *slot = base + f->offset;
	struct mp_value v;
	enum mp_kind got = MP_NIL;
	switch ((enum tk_field_type)f->type) {
	case TKF_U64:
		if (!mp_read(r, &v))
			return truncated(eb, def, f);
		if (v.kind == MP_NIL && !f->required)
			return TK_OK;
		if (v.kind != MP_UINT)
			return bad(eb, def, f, "unsigned integer", v.kind);
		*(uint64_t *)slot = v.u;
		return TK_OK;
	case TKF_BOOL:
		if (!mp_read(r, &v))
			return truncated(eb, def, f);
		if (v.kind == MP_NIL && !f->required)
			return TK_OK;
		if (v.kind != MP_BOOL)
			return bad(eb, def, f, "bool", v.kind);
		*(bool *)slot = v.b;
		return TK_OK;
	case TKF_BIN:
	case TKF_STR:
		if (!read_bytes(r, slot, &got))
			return truncated(eb, def, f);
		if (got == MP_NIL && !f->required)
			return TK_OK;
		if (got != MP_BIN && got != MP_STR)
			return bad(eb, def, f, f->type == TKF_BIN ? "bin" : "str", got);
		return TK_OK;
	case TKF_BINLIST:
	case TKF_KVLIST:
	case TKF_OBJLIST:
	case TKF_U64LIST:
		return decode_list(r, def, f, slot, d, depth, eb);
	case TKF_OBJ: {
		struct mp_reader peek = *r;
		if (mp_read(&peek, &v) && v.kind == MP_NIL && !f->required) {
			*r = peek;
			return TK_OK;
		}
		void *sub = tk_arena_alloc(d->a, f->sub->size);
		if (!sub)
			return tk_err_set(eb, TK_E_NOMEM, "decoding %s", def->name);
		*(void **)slot = sub;
		return decode_obj(r, f->sub, sub, d, depth + 1, eb);
	}
	}
	return tk_err_set(eb, TK_E_INTERNAL, "bad field type");
}

/* Size of a field's slot in its C struct (to clear a dropped field). */
static size_t field_size(const struct tk_field_def *f)
{
	switch ((enum tk_field_type)f->type) {
	case TKF_U64: return sizeof(uint64_t);
	case TKF_BOOL: return sizeof(bool);
	case TKF_BIN:
	case TKF_STR: return sizeof(struct tk_slice);
	case TKF_BINLIST: return sizeof(struct tk_binlist);
	case TKF_KVLIST: return sizeof(struct tk_kvlist);
	case TKF_U64LIST: return sizeof(struct tk_u64list);
	case TKF_OBJ: return sizeof(void *);
	case TKF_OBJLIST: return sizeof(struct tk_empty_list);
	}
	return 0;
}

/* Lenient mode: skip the value at *r (the payload was checked to be
 * well-formed msgpack, but a body given to tk_obj_decode was not). */
static enum tk_err skip_value(struct mp_reader *r, const struct tk_obj_def *def,
			      struct tk_errbuf *eb)
{
	if (!mp_skip(r))
		return tk_err_set(eb, TK_E_BAD_REQUEST, "%s: malformed or truncated msgpack",
				  def->name);
	return TK_OK;
}

static enum tk_err decode_obj(struct mp_reader *r, const struct tk_obj_def *def, void *out,
			      const struct dec *d, int depth, struct tk_errbuf *eb)
{
	if (depth > TK_MAX_DEPTH)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "%s: nested too deep", def->name);
	struct mp_value v;
	if (!mp_read(r, &v))
		return tk_err_set(eb, TK_E_BAD_REQUEST, "%s: malformed or truncated msgpack",
				  def->name);
	if (v.kind != MP_MAP)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "%s: expected a map, got %s", def->name,
				  mp_kind_name(v.kind));
	uint64_t seen = 0;
	for (uint32_t i = 0; i < v.count; i++) {
		struct mp_value key;
		if (!mp_read(r, &key))
			return tk_err_set(eb, TK_E_BAD_REQUEST, "%s: truncated map", def->name);
		if (key.kind != MP_STR)
			return tk_err_set(eb, TK_E_BAD_REQUEST, "%s: map keys must be str, got %s",
					  def->name, mp_kind_name(key.kind));
		uint32_t j;
		for (j = 0; j < def->nfields; j++) {
			const struct tk_field_def *f = &def->fields[j];
			if (f->name_len == key.s.n && memcmp(f->name, key.s.p, key.s.n) == 0)
				break;
		}
		if (j < def->nfields && (seen & (1ull << j)) && !d->lenient)
			return tk_err_set(eb, TK_E_BAD_REQUEST, "%s: duplicate field '%s'", def->name,
					  def->fields[j].name);
		if (j < def->nfields && (seen & (1ull << j))) {
			enum tk_err e = skip_value(r, def, eb); /* the first one counts */
			if (e)
				return e;
			continue;
		}
		if (j == def->nfields && !d->lenient)
			return tk_err_set(eb, TK_E_BAD_REQUEST, "%s: unknown field '%.*s'", def->name,
					  (int)(key.s.n > 64 ? 64 : key.s.n), key.s.p);
		if (j == def->nfields) {
			enum tk_err e = skip_value(r, def, eb); /* a newer server's detail */
			if (e)
				return e;
			continue;
		}
		const struct tk_field_def *f = &def->fields[j];
		struct mp_reader at = *r;
		enum tk_err e = decode_field(r, def, f, out, d, depth, eb);
		if (e == TK_E_BAD_REQUEST && d->lenient && !f->required) {
			/* a malformed detail is dropped: the error's code and message
			 * still reach the caller */
			memset((char *)out + f->offset, 0, field_size(f));
			*r = at;
			e = skip_value(r, def, eb);
			if (e)
				return e;
			continue;
		}
		if (e)
			return e;
		seen |= 1ull << j;
	}
	for (uint32_t j = 0; j < def->nfields; j++)
		if (def->fields[j].required && !(seen & (1ull << j)))
			return tk_err_set(eb, TK_E_BAD_REQUEST, "%s: missing field '%s'", def->name,
					  def->fields[j].name);
	return TK_OK;
}

enum tk_err tk_obj_decode(struct tk_slice data, const struct tk_obj_def *def, void *out,
			  struct tk_arena *arena, struct tk_errbuf *eb)
{
	struct mp_reader r;
	mp_reader_init(&r, data.p, data.n);
	memset(out, 0, def->size);
	struct dec d = {arena, def == &tk_def_error};
	enum tk_err e = decode_obj(&r, def, out, &d, 0, eb);
	if (e == TK_OK && mp_left(&r))
		return tk_err_set(eb, TK_E_BAD_REQUEST, "%s: %zu trailing bytes", def->name,
				  mp_left(&r));
	return e;
}

static enum tk_err malformed_envelope(struct tk_errbuf *eb)
{
	return tk_err_set(eb, TK_E_BAD_REQUEST, "envelope: malformed or truncated msgpack");
}

/* First pass over an envelope: is there a request to answer?  The payload
 * must be one well-formed msgpack map with nothing after it, holding exactly
 * one `id` that is an unsigned integer; otherwise no reply can name the
 * request and the whole connection is in error (proto-spec/framing.md).  It
 * also picks up `t`, so that whatever the order of the keys every later
 * error can echo the type. */
static enum tk_err envelope_scan(struct tk_slice payload, struct tk_msg *msg, struct tk_errbuf *eb)
{
	struct mp_reader r;
	mp_reader_init(&r, payload.p, payload.n);
	struct mp_value v;
	if (!mp_read(&r, &v) || v.kind != MP_MAP)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "envelope: expected a msgpack map");
	int ids = 0, ts = 0;
	bool id_ok = false;
	for (uint32_t i = 0; i < v.count; i++) {
		struct mp_reader kr = r;
		if (!mp_skip(&r))
			return malformed_envelope(eb);
		struct mp_reader vr = r;
		if (!mp_skip(&r))
			return malformed_envelope(eb);
		struct mp_value key, val;
		mp_read(&kr, &key); /* both were just skipped: they read */
		mp_read(&vr, &val);
		if (key.kind != MP_STR)
			continue;
		if (key.s.n == 2 && memcmp(key.s.p, "id", 2) == 0) {
			ids++;
			id_ok = val.kind == MP_UINT;
			msg->id = val.u;
		} else if (key.s.n == 1 && key.s.p[0] == 't' && ts++ == 0 && val.kind == MP_STR) {
			msg->type_name = val.s;
		}
	}
	if (mp_left(&r))
		return tk_err_set(eb, TK_E_BAD_REQUEST, "envelope: %zu trailing bytes after the map",
				  mp_left(&r));
	if (ids != 1 || !id_ok) {
		msg->id = 0;
		return tk_err_set(eb, TK_E_BAD_REQUEST,
				  "envelope: 'id' must be one unsigned integer");
	}
	msg->id_known = true;
	if (ts != 1)
		msg->type_name = tk_slice_of(NULL, 0);
	if (msg->type_name.p &&
	    !tk_msg_type_from_name((const char *)msg->type_name.p, msg->type_name.n, &msg->type))
		msg->type = TK_MSG__COUNT;
	return TK_OK;
}

enum tk_err tk_msg_decode(struct tk_slice payload, struct tk_arena *arena, struct tk_msg *msg,
			  struct tk_errbuf *eb)
{
	memset(msg, 0, sizeof *msg);
	msg->type = TK_MSG__COUNT;
	enum tk_err e = envelope_scan(payload, msg, eb);
	if (e)
		return e;
	/* From here on the envelope is well-formed msgpack with an id: every
	 * error is about this request alone. */
	struct mp_reader r;
	mp_reader_init(&r, payload.p, payload.n);
	struct mp_value v;
	mp_read(&r, &v);
	struct mp_reader body = {NULL, NULL};
	bool have_t = false;
	int bodies = 0;
	for (uint32_t i = 0; i < v.count; i++) {
		struct mp_value key, val;
		if (!mp_read(&r, &key) || key.kind != MP_STR)
			return tk_err_set(eb, TK_E_BAD_REQUEST, "envelope: keys must be str");
		if (key.s.n == 1 && key.s.p[0] == 't') {
			if (!mp_read(&r, &val) || val.kind != MP_STR || have_t)
				return tk_err_set(eb, TK_E_BAD_REQUEST,
						  "envelope: 't' must be one str (the message type)");
			have_t = true;
		} else if (key.s.n == 2 && memcmp(key.s.p, "id", 2) == 0) {
			mp_skip(&r); /* checked by envelope_scan */
		} else if (key.s.n == 1 && (key.s.p[0] == 'b' || key.s.p[0] == 'r' || key.s.p[0] == 'e')) {
			bodies++;
			msg->kind = key.s.p[0] == 'b' ? TK_REQUEST : key.s.p[0] == 'r' ? TK_RESPONSE : TK_ERROR;
			body = r;
			mp_skip(&r);
			body.end = r.p;
		} else {
			return tk_err_set(eb, TK_E_BAD_REQUEST, "envelope: unknown key '%.*s'",
					  (int)(key.s.n > 32 ? 32 : key.s.n), key.s.p);
		}
	}
	if (!have_t || bodies != 1)
		return tk_err_set(eb, TK_E_BAD_REQUEST,
				  "envelope: needs 't', 'id' and exactly one of 'b', 'r', 'e'");
	if (msg->type == TK_MSG__COUNT)
		return tk_err_set(eb, TK_E_UNKNOWN_MESSAGE, "unknown message type '%.*s'",
				  (int)(msg->type_name.n > 64 ? 64 : msg->type_name.n),
				  msg->type_name.p);
	const struct tk_msg_def *md = &tk_msg_defs[msg->type];
	const struct tk_obj_def *def = msg->kind == TK_REQUEST ? md->req
				       : msg->kind == TK_RESPONSE ? md->resp
								  : &tk_def_error;
	void *out = tk_arena_alloc(arena, def->size);
	if (!out)
		return tk_err_set(eb, TK_E_NOMEM, "decoding %s", md->name);
	struct dec d = {arena, def == &tk_def_error};
	e = decode_obj(&body, def, out, &d, 0, eb);
	if (e)
		return tk_err_wrap(eb, e, "%s", md->name);
	msg->body = out;
	return TK_OK;
}

/* ---- encoding ---------------------------------------------------------- */

/* msgpack_packer writes through this; a failed append is remembered rather
 * than checked after every pack call. */
struct sink {
	struct tk_buf *buf;
	bool failed;
};

static int sink_write(void *data, const char *p, size_t n)
{
	struct sink *s = data;
	if (!s->failed && tk_buf_append(s->buf, p, n))
		return 0;
	s->failed = true;
	return -1;
}

static bool field_present(const struct tk_field_def *f, const char *base)
{
	const void *slot = base + f->offset;
	if (f->required)
		return true;
	switch ((enum tk_field_type)f->type) {
	case TKF_U64: return *(const uint64_t *)slot != 0;
	case TKF_BOOL: return *(const bool *)slot;
	case TKF_BIN:
	case TKF_STR: return ((const struct tk_slice *)slot)->p != NULL;
	case TKF_BINLIST: return ((const struct tk_binlist *)slot)->n != 0;
	case TKF_U64LIST: return ((const struct tk_u64list *)slot)->n != 0;
	case TKF_KVLIST: return ((const struct tk_kvlist *)slot)->n != 0;
	case TKF_OBJ: return *(void *const *)slot != NULL;
	case TKF_OBJLIST: return ((const struct tk_empty_list *)slot)->n != 0;
	}
	return false;
}

/* Length of the well-formed UTF-8 sequence at p (1 to 4 bytes), or 0 when
 * the bytes there are not one (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF). */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	if (c < 0x80)
		return 1;
	size_t len;
	uint8_t lo = 0x80, hi = 0xbf; /* range of the second byte */
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* A str goes out as valid UTF-8 whatever it holds: text fields may carry
 * bytes a peer sent (an echoed type name, a field name quoted in an error),
 * and a strict decoder rejects a whole message for one bad str.  Each byte
 * that is not part of a well-formed sequence is written as the four
 * characters \xHH (proto-spec/README.md); valid text is written as it is. */
static void pack_text(msgpack_packer *pk, struct tk_slice s)
{
	size_t out = 0;
	for (size_t i = 0; i < s.n;) {
		size_t l = utf8_seq(s.p + i, s.n - i);
		out += l ? l : 4;
		i += l ? l : 1;
	}
	msgpack_pack_str(pk, out);
	if (out == s.n) {
		msgpack_pack_str_body(pk, s.p, s.n);
		return;
	}
	static const char hex[] = "0123456789abcdef";
	size_t run = 0; /* start of the pending valid bytes */
	for (size_t i = 0; i < s.n;) {
		size_t l = utf8_seq(s.p + i, s.n - i);
		if (l) {
			i += l;
			continue;
		}
		msgpack_pack_str_body(pk, s.p + run, i - run);
		char esc[4] = {'\\', 'x', hex[s.p[i] >> 4], hex[s.p[i] & 15]};
		msgpack_pack_str_body(pk, esc, 4);
		run = ++i;
	}
	msgpack_pack_str_body(pk, s.p + run, s.n - run);
}

static void pack_bytes(msgpack_packer *pk, struct tk_slice s, bool str)
{
	if (str) {
		pack_text(pk, s);
	} else {
		msgpack_pack_bin(pk, s.n);
		msgpack_pack_bin_body(pk, s.p, s.n);
	}
}

static void encode_obj(msgpack_packer *pk, const struct tk_obj_def *def, const void *obj);

static void encode_field(msgpack_packer *pk, const struct tk_field_def *f, const char *base)
{
	const void *slot = base + f->offset;
	switch ((enum tk_field_type)f->type) {
	case TKF_U64: msgpack_pack_uint64(pk, *(const uint64_t *)slot); break;
	case TKF_BOOL:
		if (*(const bool *)slot)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		break;
	case TKF_BIN:
	case TKF_STR: pack_bytes(pk, *(const struct tk_slice *)slot, f->type == TKF_STR); break;
	case TKF_U64LIST: {
		const struct tk_u64list *l = slot;
		msgpack_pack_array(pk, l->n);
		for (uint32_t i = 0; i < l->n; i++)
			msgpack_pack_uint64(pk, l->v[i]);
		break;
	}
	case TKF_BINLIST: {
		const struct tk_binlist *l = slot;
		msgpack_pack_array(pk, l->n);
		for (uint32_t i = 0; i < l->n; i++)
			pack_bytes(pk, l->v[i], false);
		break;
	}
	case TKF_KVLIST: {
		const struct tk_kvlist *l = slot;
		msgpack_pack_array(pk, l->n);
		for (uint32_t i = 0; i < l->n; i++) {
			msgpack_pack_array(pk, 2);
			pack_bytes(pk, l->v[i].k, false);
			if (l->v[i].v.p)
				pack_bytes(pk, l->v[i].v, false);
			else
				msgpack_pack_nil(pk);
		}
		break;
	}
	case TKF_OBJ: {
		const void *sub = *(void *const *)slot;
		if (sub)
			encode_obj(pk, f->sub, sub);
		else
			msgpack_pack_map(pk, 0); /* a required object left NULL: empty */
		break;
	}
	case TKF_OBJLIST: {
		const struct tk_empty_list *l = slot;
		msgpack_pack_array(pk, l->n);
		for (uint32_t i = 0; i < l->n; i++)
			encode_obj(pk, f->sub, (const char *)l->v + f->sub->size * i);
		break;
	}
	}
}

static void encode_obj(msgpack_packer *pk, const struct tk_obj_def *def, const void *obj)
{
	const char *base = obj;
	uint32_t n = 0;
	for (uint32_t i = 0; i < def->nfields; i++)
		n += field_present(&def->fields[i], base);
	msgpack_pack_map(pk, n);
	for (uint32_t i = 0; i < def->nfields; i++) {
		const struct tk_field_def *f = &def->fields[i];
		if (!field_present(f, base))
			continue;
		msgpack_pack_str(pk, f->name_len);
		msgpack_pack_str_body(pk, f->name, f->name_len);
		encode_field(pk, f, base);
	}
}

enum tk_err tk_msg_encode_frame(struct tk_buf *out, const struct tk_msg *msg)
{
	size_t start = out->len;
	if (!tk_buf_reserve(out, TK_FRAME_HEADER))
		return TK_E_NOMEM;
	out->len += TK_FRAME_HEADER;
	struct sink sink = {out, false};
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sink, sink_write);
	struct tk_slice name = msg->type_name;
	if (!name.p || msg->type < TK_MSG__COUNT)
		name = tk_slice_str(msg->type < TK_MSG__COUNT ? tk_msg_defs[msg->type].name : "?");
	const struct tk_obj_def *def;
	const char *key;
	if (msg->kind == TK_ERROR) {
		def = &tk_def_error;
		key = "e";
	} else if (msg->kind == TK_REQUEST) {
		def = tk_msg_defs[msg->type].req;
		key = "b";
	} else {
		def = tk_msg_defs[msg->type].resp;
		key = "r";
	}
	msgpack_pack_map(&pk, 3);
	msgpack_pack_str(&pk, 1);
	msgpack_pack_str_body(&pk, "t", 1);
	pack_bytes(&pk, name, true);
	msgpack_pack_str(&pk, 2);
	msgpack_pack_str_body(&pk, "id", 2);
	msgpack_pack_uint64(&pk, msg->id);
	msgpack_pack_str(&pk, 1);
	msgpack_pack_str_body(&pk, key, 1);
	if (msg->body) {
		encode_obj(&pk, def, msg->body);
	} else {
		msgpack_pack_map(&pk, 0);
	}
	if (sink.failed) {
		out->len = start;
		return TK_E_NOMEM;
	}
	size_t payload = out->len - start - TK_FRAME_HEADER;
	if (payload > TK_MAX_FRAME_LIMIT) {
		out->len = start;
		return TK_E_TOO_LARGE;
	}
	tk_put_be32(out->data + start, (uint32_t)payload);
	return TK_OK;
}

enum tk_err tk_encode_error_frame(struct tk_buf *out, enum tk_msg_type type,
				  struct tk_slice type_name, uint64_t id, enum tk_err code,
				  const char *message)
{
	struct tk_error err = {.code = tk_slice_str(tk_err_name(code)),
			       .msg = tk_slice_str(message ? message : tk_strerror(code))};
	struct tk_msg m = {.type = type, .type_name = type_name, .id = id, .kind = TK_ERROR, .body = &err};
	return tk_msg_encode_frame(out, &m);
}
