/* Descriptors generated from the table in schema.h. */
#include "codec/schema.h"

#include <string.h>

#define TK_FT_U64 TKF_U64
#define TK_FT_BOOL TKF_BOOL
#define TK_FT_BIN TKF_BIN
#define TK_FT_STR TKF_STR
#define TK_FT_BINLIST TKF_BINLIST
#define TK_FT_KVLIST TKF_KVLIST
#define TK_FT_U64LIST TKF_U64LIST
#define TK_FT_OBJ(x) TKF_OBJ
#define TK_FT_OBJLIST(x) TKF_OBJLIST
#define TK_SUB_U64 NULL
#define TK_SUB_BOOL NULL
#define TK_SUB_BIN NULL
#define TK_SUB_STR NULL
#define TK_SUB_BINLIST NULL
#define TK_SUB_KVLIST NULL
#define TK_SUB_U64LIST NULL
#define TK_SUB_OBJ(x) &tk_def_##x
#define TK_SUB_OBJLIST(x) &tk_def_##x
#define TK_REQ true
#define TK_OPT false

#define TK_GEN_FIELD_DEF(o, cname, wname, type, flags)                           \
	{wname, (uint8_t)(sizeof(wname) - 1), TK_FT_##type, TK_##flags,          \
	 (uint16_t)offsetof(struct tk_##o, cname), TK_SUB_##type},
/* The sentinel keeps empty objects legal C; nfields excludes it. */
#define TK_GEN_OBJ_DEF(o)                                                        \
	static const struct tk_field_def tk_fields_##o[] = {                     \
		TK_OBJ_##o(TK_GEN_FIELD_DEF, o){NULL, 0, 0, false, 0, NULL}};    \
	const struct tk_obj_def tk_def_##o = {                                   \
		#o, sizeof(struct tk_##o), tk_fields_##o,                        \
		(uint32_t)(sizeof tk_fields_##o / sizeof tk_fields_##o[0] - 1)};
TK_ALL_OBJECTS(TK_GEN_OBJ_DEF)

const struct tk_msg_def tk_msg_defs[TK_MSG__COUNT] = {
#define TK_GEN_MSG_DEF(name, req, resp) {#name, &tk_def_##req, &tk_def_##resp},
	TK_MESSAGES(TK_GEN_MSG_DEF)
#undef TK_GEN_MSG_DEF
};

bool tk_msg_type_from_name(const char *name, size_t len, enum tk_msg_type *out)
{
	for (int i = 0; i < TK_MSG__COUNT; i++) {
		const char *n = tk_msg_defs[i].name;
		if (strlen(n) == len && memcmp(n, name, len) == 0) {
			*out = (enum tk_msg_type)i;
			return true;
		}
	}
	return false;
}
