/* Persistence formats (round trips, malformed input) and the named config
 * settings (get/set by name, validation). */
#include <check.h>
#include <stdlib.h>

#include "scheduler/persist.h"
#include "scheduler/test_fixture.h"

START_TEST(test_region_record_round_trips)
{
	struct fxr r;
	fxr_init(&r, 42, "abc", "xyz", 7, 9);
	fxr_peer(&r, 1, 10);
	fxr_peer(&r, 2, 20);
	fxr_leader(&r, 20);
	struct tk_buf b;
	tk_buf_init(&b);
	ck_assert(persist_encode_region(&b, fxr_get(&r)));
	struct region out;
	struct region_peer peers[PERSIST_MAX_PEERS];
	struct tk_errbuf eb;
	ck_assert_int_eq(persist_decode_region(tk_buf_slice(&b), &out, peers, &eb), TK_OK);
	ck_assert(region_meta_equal(&out, fxr_get(&r)));
	/* Infinite bounds are empty keys. */
	fxr_init(&r, 43, "", "", 1, 1);
	ck_assert(persist_encode_region(&b, fxr_get(&r)));
	ck_assert_int_eq(persist_decode_region(tk_buf_slice(&b), &out, peers, &eb), TK_OK);
	ck_assert(region_meta_equal(&out, fxr_get(&r)));
	tk_buf_destroy(&b);
}
END_TEST

START_TEST(test_every_truncation_of_a_region_record_is_corruption)
{
	struct fxr r;
	fxr_init(&r, 42, "abc", "xyz", 7, 9);
	fxr_peer(&r, 1, 10);
	fxr_leader(&r, 10);
	struct tk_buf b;
	tk_buf_init(&b);
	ck_assert(persist_encode_region(&b, fxr_get(&r)));
	struct region out;
	struct region_peer peers[PERSIST_MAX_PEERS];
	struct tk_errbuf eb;
	for (size_t n = 0; n < b.len; n++)
		ck_assert_int_eq(persist_decode_region(tk_slice_of(b.data, n), &out, peers, &eb),
				 TK_E_CORRUPTION);
	/* Trailing garbage too. */
	tk_buf_append_byte(&b, 0);
	ck_assert_int_eq(persist_decode_region(tk_buf_slice(&b), &out, peers, &eb),
			 TK_E_CORRUPTION);
	tk_buf_destroy(&b);
}
END_TEST

START_TEST(test_malformed_region_records_are_corruption_not_crashes)
{
	struct fxr r;
	fxr_init(&r, 42, "abc", "xyz", 7, 9);
	fxr_peer(&r, 1, 10);
	struct tk_buf b;
	tk_buf_init(&b);
	ck_assert(persist_encode_region(&b, fxr_get(&r)));
	struct region out;
	struct region_peer peers[PERSIST_MAX_PEERS];
	struct tk_errbuf eb;
	/* Unknown version. */
	b.data[0] = 2;
	ck_assert_int_eq(persist_decode_region(tk_buf_slice(&b), &out, peers, &eb),
			 TK_E_CORRUPTION);
	ck_assert_ptr_nonnull(strstr(eb.msg, "version"));
	b.data[0] = PERSIST_VERSION;
	/* A huge start key length. */
	b.data[33] = 0xff;
	ck_assert_int_eq(persist_decode_region(tk_buf_slice(&b), &out, peers, &eb),
			 TK_E_CORRUPTION);
	/* Start >= end decodes but fails validation. */
	fxr_init(&r, 42, "xyz", "abc", 7, 9);
	ck_assert(persist_encode_region(&b, fxr_get(&r)));
	ck_assert_int_eq(persist_decode_region(tk_buf_slice(&b), &out, peers, &eb),
			 TK_E_CORRUPTION);
	/* Flip every byte of a good record, one at a time: never a crash. */
	fxr_init(&r, 42, "abc", "xyz", 7, 9);
	fxr_peer(&r, 1, 10);
	ck_assert(persist_encode_region(&b, fxr_get(&r)));
	for (size_t i = 0; i < b.len; i++) {
		uint8_t save = b.data[i];
		b.data[i] ^= 0xa5;
		(void)persist_decode_region(tk_buf_slice(&b), &out, peers, &eb);
		b.data[i] = save;
	}
	tk_buf_destroy(&b);
}
END_TEST

START_TEST(test_store_record_round_trips_and_rejects_garbage)
{
	struct store s;
	memset(&s, 0, sizeof(s));
	s.id = 7;
	s.admin = STORE_ADMIN_OFFLINE;
	strcpy(s.address, "10.0.0.7:20160");
	struct tk_buf b;
	tk_buf_init(&b);
	ck_assert(persist_encode_store(&b, &s));
	struct persist_store_rec rec;
	struct tk_errbuf eb;
	ck_assert_int_eq(persist_decode_store(tk_buf_slice(&b), &rec, &eb), TK_OK);
	ck_assert_uint_eq(rec.id, 7);
	ck_assert_int_eq(rec.admin, STORE_ADMIN_OFFLINE);
	ck_assert_str_eq(rec.address, "10.0.0.7:20160");
	for (size_t n = 0; n < b.len; n++)
		ck_assert_int_eq(persist_decode_store(tk_slice_of(b.data, n), &rec, &eb),
				 TK_E_CORRUPTION);
	b.data[9] = 9; /* admin state out of range */
	ck_assert_int_eq(persist_decode_store(tk_buf_slice(&b), &rec, &eb), TK_E_CORRUPTION);
	tk_buf_destroy(&b);
}
END_TEST

START_TEST(test_windows_and_cluster_records_round_trip)
{
	struct tk_buf b;
	tk_buf_init(&b);
	struct tk_errbuf eb;
	uint64_t v;
	ck_assert(persist_encode_u64(&b, 0x0123456789abcdefULL));
	ck_assert_int_eq(persist_decode_u64(tk_buf_slice(&b), &v, &eb), TK_OK);
	ck_assert_uint_eq(v, 0x0123456789abcdefULL);
	ck_assert_int_eq(persist_decode_u64(tk_slice_of(b.data, 8), &v, &eb), TK_E_CORRUPTION);
	ck_assert_int_eq(persist_decode_u64(tk_slice_of(NULL, 0), &v, &eb), TK_E_CORRUPTION);
	uint64_t id;
	bool boot;
	ck_assert(persist_encode_cluster(&b, 99, true));
	ck_assert_int_eq(persist_decode_cluster(tk_buf_slice(&b), &id, &boot, &eb), TK_OK);
	ck_assert_uint_eq(id, 99);
	ck_assert(boot);
	b.data[9] = 2;
	ck_assert_int_eq(persist_decode_cluster(tk_buf_slice(&b), &id, &boot, &eb),
			 TK_E_CORRUPTION);
	tk_buf_destroy(&b);
}
END_TEST

START_TEST(test_keys_carry_the_id_big_endian)
{
	struct tk_buf k;
	tk_buf_init(&k);
	ck_assert(persist_region_key(&k, 258));
	uint64_t id;
	ck_assert(persist_key_id(tk_buf_slice(&k), PERSIST_PREFIX_REGION, &id));
	ck_assert_uint_eq(id, 258);
	ck_assert(!persist_key_id(tk_buf_slice(&k), PERSIST_PREFIX_STORE, &id));
	/* Ids sort numerically. */
	struct tk_buf k2;
	tk_buf_init(&k2);
	ck_assert(persist_region_key(&k2, 1024));
	ck_assert_int_lt(tk_slice_cmp(tk_buf_slice(&k), tk_buf_slice(&k2)), 0);
	tk_buf_destroy(&k);
	tk_buf_destroy(&k2);
}
END_TEST

START_TEST(test_config_and_scheduler_list_round_trip)
{
	struct sched_config c, d;
	sched_config_default(&c);
	sched_config_default(&d);
	struct tk_errbuf eb;
	ck_assert_int_eq(sched_config_set(&c, "max-replicas", "5", &eb), TK_OK);
	ck_assert_int_eq(sched_config_set(&c, "region-tolerance-ratio", "0.123456789", &eb), TK_OK);
	struct tk_buf b;
	tk_buf_init(&b);
	ck_assert(persist_encode_config(&b, &c));
	ck_assert_int_eq(persist_decode_config(tk_buf_slice(&b), &d, &eb), TK_OK);
	ck_assert_mem_eq(&c, &d, sizeof(c));
	/* A bad value leaves the config untouched. */
	const char bad[] = "\001max-replicas=0\n";
	ck_assert_int_eq(persist_decode_config(tk_slice_of(bad, sizeof(bad) - 1), &d, &eb),
			 TK_E_CORRUPTION);
	ck_assert_uint_eq(d.max_replicas, 5);
	struct sched_registry reg, reg2;
	sched_registry_init_default(&reg);
	ck_assert_int_eq(sched_registry_remove(&reg, "balance-leader", &eb), TK_OK);
	ck_assert(persist_encode_schedulers(&b, &reg));
	sched_registry_init_default(&reg2);
	ck_assert_int_eq(persist_decode_schedulers(tk_buf_slice(&b), &reg2, &eb), TK_OK);
	ck_assert_uint_eq(reg2.n, 1);
	ck_assert_str_eq(reg2.active[0]->name, "balance-region");
	const char unknown[] = "\001shuffle\n";
	ck_assert_int_eq(persist_decode_schedulers(tk_slice_of(unknown, sizeof(unknown) - 1),
						   &reg2, &eb),
			 TK_E_CORRUPTION);
	tk_buf_destroy(&b);
}
END_TEST

/* ---- named settings ---- */

static const char *get(const struct sched_config *c, const char *name, struct tk_buf *b)
{
	struct tk_errbuf eb;
	tk_buf_reset(b);
	ck_assert_int_eq(sched_config_get(c, name, b, &eb), TK_OK);
	tk_buf_append_byte(b, 0);
	return (const char *)b->data;
}

START_TEST(test_config_settings_parse_units_and_print_them_back)
{
	struct sched_config c;
	sched_config_default(&c);
	struct tk_buf b;
	tk_buf_init(&b);
	struct tk_errbuf eb;
	ck_assert_str_eq(get(&c, "max-store-down-time", &b), "30m");
	ck_assert_str_eq(get(&c, "region-split-size", &b), "96MiB");
	ck_assert_str_eq(get(&c, "max-replicas", &b), "3");
	ck_assert_int_eq(sched_config_set(&c, "max-store-down-time", "1h", &eb), TK_OK);
	ck_assert_uint_eq(c.max_store_down_time_ms, 3600000);
	ck_assert_int_eq(sched_config_set(&c, "max-store-down-time", "90", &eb), TK_OK);
	ck_assert_uint_eq(c.max_store_down_time_ms, 90000);
	ck_assert_str_eq(get(&c, "max-store-down-time", &b), "90s");
	ck_assert_int_eq(sched_config_set(&c, "store-disconnect-time", "1500ms", &eb), TK_OK);
	ck_assert_str_eq(get(&c, "store-disconnect-time", &b), "1500ms");
	ck_assert_int_eq(sched_config_set(&c, "region-split-size", "1GiB", &eb), TK_OK);
	ck_assert_uint_eq(c.region_split_size, UINT64_C(1) << 30);
	ck_assert_str_eq(get(&c, "region-split-size", &b), "1GiB");
	ck_assert_int_eq(sched_config_set(&c, "low-space-ratio", "0.3", &eb), TK_OK);
	ck_assert_str_eq(get(&c, "low-space-ratio", &b), "0.3");
	tk_buf_destroy(&b);
}
END_TEST

START_TEST(test_config_set_validates_names_and_values)
{
	struct sched_config c, before;
	sched_config_default(&c);
	before = c;
	struct tk_errbuf eb;
	ck_assert_int_eq(sched_config_set(&c, "no-such", "1", &eb), TK_E_NOT_FOUND);
	ck_assert_int_eq(sched_config_set(&c, "max-replicas", "0", &eb), TK_E_BAD_CONFIG);
	ck_assert_int_eq(sched_config_set(&c, "max-replicas", "3x", &eb), TK_E_BAD_CONFIG);
	ck_assert_int_eq(sched_config_set(&c, "max-replicas", "2.5", &eb), TK_E_BAD_CONFIG);
	ck_assert_int_eq(sched_config_set(&c, "max-replicas", "-1", &eb), TK_E_BAD_CONFIG);
	ck_assert_int_eq(sched_config_set(&c, "max-replicas", "", &eb), TK_E_BAD_CONFIG);
	ck_assert_int_eq(sched_config_set(&c, "max-store-down-time", "10parsecs", &eb),
			 TK_E_BAD_CONFIG);
	ck_assert_int_eq(sched_config_set(&c, "low-space-ratio", "1.5", &eb), TK_E_BAD_CONFIG);
	ck_assert_int_eq(sched_config_set(&c, "low-space-ratio", "nan", &eb), TK_E_BAD_CONFIG);
	ck_assert_mem_eq(&c, &before, sizeof(c));
	struct tk_buf b;
	tk_buf_init(&b);
	ck_assert_int_eq(sched_config_get(&c, "nope", &b, &eb), TK_E_NOT_FOUND);
	ck_assert_int_eq(sched_config_show(&c, &b, &eb), TK_OK);
	tk_buf_append_byte(&b, 0);
	ck_assert_ptr_nonnull(strstr((char *)b.data, "max-replicas = 3\n"));
	size_t n;
	const struct sched_config_setting *all = sched_config_settings(&n);
	for (size_t i = 0; i < n; i++)
		ck_assert_ptr_eq(sched_config_find(all[i].name), &all[i]);
	tk_buf_destroy(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sched_persist");
	TCase *tc = tcase_create("persist");
	tcase_add_test(tc, test_region_record_round_trips);
	tcase_add_test(tc, test_every_truncation_of_a_region_record_is_corruption);
	tcase_add_test(tc, test_malformed_region_records_are_corruption_not_crashes);
	tcase_add_test(tc, test_store_record_round_trips_and_rejects_garbage);
	tcase_add_test(tc, test_windows_and_cluster_records_round_trip);
	tcase_add_test(tc, test_keys_carry_the_id_big_endian);
	tcase_add_test(tc, test_config_and_scheduler_list_round_trip);
	suite_add_tcase(s, tc);
	TCase *cf = tcase_create("config");
	tcase_add_test(cf, test_config_settings_parse_units_and_print_them_back);
	tcase_add_test(cf, test_config_set_validates_names_and_values);
	suite_add_tcase(s, cf);
	return fx_run(s);
}
