#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "engine/keys.h"

/* xorshift64*: a seeded generator so failures replay. */
static uint64_t rng_state;
static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 2685821657736338717ull;
}

/* Random key biased to small alphabets and lengths around group edges, so
 * equal prefixes, zero bytes and 0xFF bytes are common. */
static size_t rand_key(uint8_t *k)
{
	size_t n = rnd() % 26;
	for (size_t i = 0; i < n; i++) {
		switch (rnd() % 4) {
		case 0: k[i] = 0x00; break;
		case 1: k[i] = 0xFF; break;
		default: k[i] = (uint8_t)('a' + rnd() % 3); break;
		}
	}
	return n;
}

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

START_TEST(test_memcomparable_round_trips_every_length)
{
	struct tk_buf enc, dec;
	tk_buf_init(&enc);
	tk_buf_init(&dec);
	uint8_t raw[40];
	for (size_t n = 0; n <= sizeof raw; n++) {
		for (size_t i = 0; i < n; i++)
			raw[i] = (uint8_t)(i * 37 + n);
		tk_buf_reset(&enc);
		tk_buf_reset(&dec);
		ck_assert(eng_mc_encode(&enc, tk_slice_of(raw, n)));
		ck_assert_uint_eq(enc.len, eng_mc_encoded_len(n));
		ck_assert_uint_eq(enc.len % 9, 0);
		/* trailing bytes after the key are left alone */
		ck_assert(tk_buf_append(&enc, "xyz", 3));
		size_t used;
		struct tk_errbuf eb;
		ck_assert_int_eq(eng_mc_decode(tk_buf_slice(&enc), &dec, &used, &eb), TK_OK);
		ck_assert_uint_eq(used, enc.len - 3);
		ck_assert_uint_eq(dec.len, n);
		ck_assert(n == 0 || memcmp(dec.data, raw, n) == 0);
	}
	tk_buf_destroy(&enc);
	tk_buf_destroy(&dec);
}
END_TEST

START_TEST(test_memcomparable_known_encoding)
{
	struct tk_buf enc;
	tk_buf_init(&enc);
	ck_assert(eng_mc_encode(&enc, tk_slice_of("abc", 3)));
	const uint8_t want[] = {'a', 'b', 'c', 0, 0, 0, 0, 0, 0xFA};
	ck_assert_uint_eq(enc.len, sizeof want);
	ck_assert(memcmp(enc.data, want, sizeof want) == 0);
	tk_buf_reset(&enc);
	ck_assert(eng_mc_encode(&enc, tk_slice_of("12345678", 8)));
	ck_assert_uint_eq(enc.len, 18);
	ck_assert_uint_eq(enc.data[8], 0xFF);
	ck_assert_uint_eq(enc.data[17], 0xF7);
	tk_buf_destroy(&enc);
}
END_TEST

START_TEST(test_memcomparable_order_equals_byte_order_and_no_prefixes)
{
	rng_state = 0x9E3779B97F4A7C15ull;
	struct tk_buf ea, eb2;
	tk_buf_init(&ea);
	tk_buf_init(&eb2);
	for (int iter = 0; iter < 100000; iter++) {
		uint8_t a[32], b[32];
		size_t an = rand_key(a), bn = rand_key(b);
		if (rnd() % 4 == 0) { /* make b an extension of a */
			memcpy(b, a, an);
			bn = an + rnd() % 3;
		}
		tk_buf_reset(&ea);
		tk_buf_reset(&eb2);
		eng_mc_encode(&ea, tk_slice_of(a, an));
		eng_mc_encode(&eb2, tk_slice_of(b, bn));
		int raw = sign(tk_slice_cmp(tk_slice_of(a, an), tk_slice_of(b, bn)));
		int enc = sign(tk_slice_cmp(tk_buf_slice(&ea), tk_buf_slice(&eb2)));
		ck_assert_msg(raw == enc, "seed 0x9E3779B97F4A7C15 iteration %d: order differs", iter);
		/* no encoding is a proper prefix of another */
		if (ea.len < eb2.len)
			ck_assert(memcmp(ea.data, eb2.data, ea.len) != 0);
		else if (eb2.len < ea.len)
			ck_assert(memcmp(ea.data, eb2.data, eb2.len) != 0);
	}
	tk_buf_destroy(&ea);
	tk_buf_destroy(&eb2);
}
END_TEST

START_TEST(test_memcomparable_decode_rejects_malformed_input)
{
	struct tk_buf enc;
	tk_buf_init(&enc);
	eng_mc_encode(&enc, tk_slice_of("abcdefghij", 10));
	size_t used;
	struct tk_errbuf eb;
	/* every truncation fails */
	for (size_t n = 0; n < enc.len; n++)
		ck_assert_int_eq(eng_mc_decode(tk_slice_of(enc.data, n), NULL, &used, &eb),
				 TK_E_CORRUPTION);
	/* a marker saying more than 8 pad bytes */
	uint8_t bad[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0xF6};
	ck_assert_int_eq(eng_mc_decode(tk_slice_of(bad, 9), NULL, &used, &eb), TK_E_CORRUPTION);
	bad[8] = 0x00;
	ck_assert_int_eq(eng_mc_decode(tk_slice_of(bad, 9), NULL, &used, &eb), TK_E_CORRUPTION);
	/* non-zero padding */
	uint8_t pad[9] = {'a', 'b', 'c', 0, 0, 1, 0, 0, 0xFA};
	ck_assert_int_eq(eng_mc_decode(tk_slice_of(pad, 9), NULL, &used, &eb), TK_E_CORRUPTION);
	ck_assert(strstr(eb.msg, "padding") != NULL);
	pad[5] = 0;
	ck_assert_int_eq(eng_mc_decode(tk_slice_of(pad, 9), NULL, &used, &eb), TK_OK);
	ck_assert_uint_eq(used, 9);
	tk_buf_destroy(&enc);
}
END_TEST

START_TEST(test_mvcc_key_sorts_newer_versions_first_and_keys_apart)
{
	struct tk_buf k1, k2, k3;
	tk_buf_init(&k1);
	tk_buf_init(&k2);
	tk_buf_init(&k3);
	eng_mvcc_key(&k1, tk_slice_str("a"), 10);
	eng_mvcc_key(&k2, tk_slice_str("a"), 5);
	eng_mvcc_key(&k3, tk_slice_of("a\0", 2), UINT64_MAX);
	ck_assert_int_lt(tk_slice_cmp(tk_buf_slice(&k1), tk_buf_slice(&k2)), 0);
	/* every version of "a" sorts before any version of "a\0" */
	ck_assert_int_lt(tk_slice_cmp(tk_buf_slice(&k2), tk_buf_slice(&k3)), 0);
	tk_buf_destroy(&k1);
	tk_buf_destroy(&k2);
	tk_buf_destroy(&k3);
}
END_TEST

START_TEST(test_mvcc_key_random_pairs_order_by_key_then_descending_ts)
{
	rng_state = 12345;
	struct tk_buf ka, kb;
	tk_buf_init(&ka);
	tk_buf_init(&kb);
	for (int iter = 0; iter < 50000; iter++) {
		uint8_t a[32], b[32];
		size_t an = rand_key(a), bn = rand_key(b);
		uint64_t ta = rnd() % 4 ? rnd() % 8 : rnd(), tb = rnd() % 4 ? rnd() % 8 : rnd();
		if (rnd() % 3 == 0) {
			memcpy(b, a, an);
			bn = an;
		}
		tk_buf_reset(&ka);
		tk_buf_reset(&kb);
		eng_mvcc_key(&ka, tk_slice_of(a, an), ta);
		eng_mvcc_key(&kb, tk_slice_of(b, bn), tb);
		int want = sign(tk_slice_cmp(tk_slice_of(a, an), tk_slice_of(b, bn)));
		if (want == 0)
			want = ta > tb ? -1 : ta < tb ? 1 : 0;
		ck_assert_msg(sign(tk_slice_cmp(tk_buf_slice(&ka), tk_buf_slice(&kb))) == want,
			      "seed 12345 iteration %d", iter);
	}
	tk_buf_destroy(&ka);
	tk_buf_destroy(&kb);
}
END_TEST

START_TEST(test_mvcc_key_splits_and_decodes)
{
	struct tk_buf k, u;
	tk_buf_init(&k);
	tk_buf_init(&u);
	const char user[] = "user\x00key\xff!";
	eng_mvcc_key(&k, tk_slice_of(user, sizeof user - 1), 0x0102030405060708ull);
	struct tk_slice enc;
	uint64_t ts = 0;
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_mvcc_key_split(tk_buf_slice(&k), &enc, &ts, &eb), TK_OK);
	ck_assert_uint_eq(ts, 0x0102030405060708ull);
	ck_assert_uint_eq(enc.n, eng_mc_encoded_len(sizeof user - 1));
	ck_assert_int_eq(eng_mvcc_key_decode(tk_buf_slice(&k), &u, &ts, &eb), TK_OK);
	ck_assert_uint_eq(u.len, sizeof user - 1);
	ck_assert(memcmp(u.data, user, u.len) == 0);
	/* wrong suffix lengths and a broken user key are refused */
	ck_assert_int_eq(eng_mvcc_key_split(tk_slice_of(k.data, k.len - 1), &enc, &ts, &eb),
			 TK_E_CORRUPTION);
	tk_buf_append_byte(&k, 0);
	ck_assert_int_eq(eng_mvcc_key_split(tk_buf_slice(&k), &enc, &ts, &eb), TK_E_CORRUPTION);
	ck_assert_int_eq(eng_mvcc_key_decode(tk_slice_of("short", 5), &u, &ts, &eb),
			 TK_E_CORRUPTION);
	ck_assert(strstr(eb.msg, "mvcc key") != NULL);
	tk_buf_destroy(&k);
	tk_buf_destroy(&u);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("engine_keys");
	TCase *tc = tcase_create("keys");
	tcase_add_test(tc, test_memcomparable_round_trips_every_length);
	tcase_add_test(tc, test_memcomparable_known_encoding);
	tcase_add_test(tc, test_memcomparable_order_equals_byte_order_and_no_prefixes);
	tcase_add_test(tc, test_memcomparable_decode_rejects_malformed_input);
	tcase_add_test(tc, test_mvcc_key_sorts_newer_versions_first_and_keys_apart);
	tcase_add_test(tc, test_mvcc_key_random_pairs_order_by_key_then_descending_ts);
	tcase_add_test(tc, test_mvcc_key_splits_and_decodes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
