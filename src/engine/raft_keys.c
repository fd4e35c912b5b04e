/* Raft state keys; the layout is in raft_keys.h. */
#include "engine/raft_keys.h"

#include <string.h>

enum {
	RAFT_LOG_SUFFIX = 0x01,
	RAFT_STATE_SUFFIX = 0x02,
	APPLY_STATE_SUFFIX = 0x03,
	SNAP_CHUNK_SUFFIX = 0x04,
	REGION_STATE_PREFIX = 0x01,
};

static struct eng_key region_key(uint64_t region, int suffix)
{
	struct eng_key k;
	memset(&k, 0, sizeof k);
	k.cf = ENG_CF_RAFT;
	tk_put_be64(k.b, region);
	k.n = 8;
	if (suffix >= 0)
		k.b[k.n++] = (uint8_t)suffix;
	return k;
}

struct eng_key eng_key_raft_log(uint64_t region, uint64_t index)
{
	struct eng_key k = region_key(region, RAFT_LOG_SUFFIX);
	tk_put_be64(k.b + k.n, index);
	k.n += 8;
	return k;
}

struct eng_key eng_key_raft_log_end(uint64_t region)
{
	return region_key(region, RAFT_LOG_SUFFIX + 1);
}

struct eng_key eng_key_raft_state(uint64_t region)
{
	return region_key(region, RAFT_STATE_SUFFIX);
}

struct eng_key eng_key_apply_state(uint64_t region)
{
	return region_key(region, APPLY_STATE_SUFFIX);
}

struct eng_key eng_key_snap_chunk(uint64_t region, uint64_t seq)
{
	struct eng_key k = region_key(region, SNAP_CHUNK_SUFFIX);
	tk_put_be64(k.b + k.n, seq);
	k.n += 8;
	return k;
}

struct eng_key eng_key_snap_chunk_end(uint64_t region)
{
	return region_key(region, SNAP_CHUNK_SUFFIX + 1);
}

struct eng_key eng_key_raft_region_lo(uint64_t region)
{
	return region_key(region, -1);
}

struct eng_key eng_key_raft_region_hi(uint64_t region)
{
	/* For the last possible id the bound is the column's end (empty upper
	 * would mean an empty range, so name the first key past every region:
	 * nine 0xff bytes sort after any 8-byte id plus suffix <= 0x04). */
	if (region == UINT64_MAX) {
		struct eng_key k = region_key(region, 0xff);
		return k;
	}
	return region_key(region + 1, -1);
}

struct eng_key eng_key_region_state(uint64_t region)
{
	struct eng_key k;
	memset(&k, 0, sizeof k);
	k.cf = ENG_CF_META;
	k.b[0] = REGION_STATE_PREFIX;
	tk_put_be64(k.b + 1, region);
	k.n = 9;
	return k;
}

struct eng_key eng_key_region_states_lo(void)
{
	struct eng_key k;
	memset(&k, 0, sizeof k);
	k.cf = ENG_CF_META;
	k.b[0] = REGION_STATE_PREFIX;
	k.n = 1;
	return k;
}

struct eng_key eng_key_region_states_hi(void)
{
	struct eng_key k = eng_key_region_states_lo();
	k.b[0] = REGION_STATE_PREFIX + 1;
	return k;
}

bool eng_key_raft_log_parse(struct tk_slice key, uint64_t *region, uint64_t *index)
{
	if (key.n != 17 || key.p[8] != RAFT_LOG_SUFFIX)
		return false;
	*region = tk_get_be64(key.p);
	*index = tk_get_be64(key.p + 9);
	return true;
}

bool eng_key_region_state_parse(struct tk_slice key, uint64_t *region)
{
	if (key.n != 9 || key.p[0] != REGION_STATE_PREFIX)
		return false;
	*region = tk_get_be64(key.p + 1);
	return true;
}
