#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/obj_mac.h>

#include "dtls_offer.h"

#define SECRET_HEX \
	"00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF" \
	"00112233445566778899aabbccddeeff"

/* What openconnect 9.01 (GnuTLS) sends with no --dtls-ciphers. */
#define OC_CIPHERS "PSK-NEGOTIATE:OC-DTLS1_2-AES256-GCM:" \
	"OC2-DTLS1_2-CHACHA20-POLY1305:OC-DTLS1_2-AES128-GCM:" \
	"DHE-RSA-AES256-SHA:DHE-RSA-AES128-SHA:AES256-SHA:AES128-SHA"
#define OC_CIPHERS12 "ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-RSA-AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-GCM-SHA256:" \
	"DHE-RSA-AES256-SHA:DHE-RSA-AES128-SHA:AES256-SHA:AES128-SHA"

#define PHONE_AGENT	"Cisco SVC IPPhone Client v1.0 (1.0)"
#define OC_AGENT	"Open AnyConnect VPN Agent v9.01-3"

/* An offer over a TLS 1.3 CSTP connection with TLS_AES_256_GCM_SHA384. */
static struct dtls_offer
offer_tls13(const char *ciphers, const char *ciphers12)
{
	struct dtls_offer o = {
		.ciphers = ciphers, .ciphers12 = ciphers12,
		.master_secret = SECRET_HEX, .user_agent = OC_AGENT,
		.tls_cipher = "TLS_AES_256_GCM_SHA384",
		.tls_cipher_nid = NID_aes_256_gcm, .tls_hash_nid = NID_sha384,
	};

	return (o);
}

/* An offer over TLS with a CBC-SHA1 suite such as AES256-SHA. */
static struct dtls_offer
offer_cbc(const char *agent, const char *tls, int nid, const char *ciphers)
{
	struct dtls_offer o = {
		.ciphers = ciphers, .master_secret = SECRET_HEX,
		.user_agent = agent, .tls_cipher = tls, .tls_cipher_nid = nid,
		.tls_hash_nid = NID_sha1,
	};

	return (o);
}

static void
test_list_tokens(void **state)
{
	(void)state;
	assert_true(dtls_offer_list_has("A:B:C", "A"));
	assert_true(dtls_offer_list_has("A:B:C", "B"));
	assert_true(dtls_offer_list_has("A:B:C", "C"));
	assert_true(dtls_offer_list_has("aes128-sha", "AES128-SHA"));
	assert_false(dtls_offer_list_has("DHE-RSA-AES128-SHA", "AES128-SHA"));
	assert_false(dtls_offer_list_has("AES128-SHA256", "AES128-SHA"));
	assert_false(dtls_offer_list_has("", "A"));
	assert_false(dtls_offer_list_has("A::B", ""));
	assert_false(dtls_offer_list_has(NULL, "A"));
}

static void
test_secret_parse(void **state)
{
	uint8_t secret[DTLS_OFFER_SECRET_LEN];

	(void)state;
	assert_true(dtls_offer_parse_secret(SECRET_HEX, secret));
	assert_int_equal(secret[0], 0x00);
	assert_int_equal(secret[10], 0xaa);
	assert_int_equal(secret[47], 0xff);
	assert_false(dtls_offer_parse_secret(SECRET_HEX "0", secret));
	assert_false(dtls_offer_parse_secret(SECRET_HEX + 1, secret));
	assert_false(dtls_offer_parse_secret(
	    "zz112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"
	    "00112233445566778899aabbccddeeff", secret));
	assert_false(dtls_offer_parse_secret(NULL, secret));
}

static void
test_select_disabled(void **state)
{
	struct dtls_offer o = offer_tls13(OC_CIPHERS, OC_CIPHERS12);
	struct dtls_choice c;

	(void)state;
	assert_int_equal(dtls_offer_select(&o, false, &c), DTLS_MODE_NONE);
	assert_non_null(strstr(c.reason, "group-policy"));
}

static void
test_select_no_offer(void **state)
{
	struct dtls_offer o = offer_tls13(NULL, NULL);
	struct dtls_choice c;

	(void)state;
	assert_int_equal(dtls_offer_select(&o, true, &c), DTLS_MODE_NONE);
	assert_non_null(strstr(c.reason, "no DTLS cipher"));
}

static void
test_select_psk_default(void **state)
{
	struct dtls_offer o = offer_tls13(OC_CIPHERS, OC_CIPHERS12);
	struct dtls_choice c;

	(void)state;
	assert_int_equal(dtls_offer_select(&o, true, &c), DTLS_MODE_PSK);
	assert_null(c.suite);
	assert_true(c.psk_aead);
}

/*
 * A client whose lists name no AEAD suite may negotiate only CBC, so its
 * data MTU must leave room for CBC records. Names are matched whole.
 */
static void
test_select_psk_aead_named(void **state)
{
	static const struct {
		const char	*ciphers;
		const char	*ciphers12;
		bool		aead;
	} cases[] = {
		{ "PSK-NEGOTIATE:DHE-RSA-AES256-SHA:AES256-SHA", "AES128-SHA",
		  false },
		{ "PSK-NEGOTIATE", NULL, false },
		{ "PSK-NEGOTIATE:AES256-GCMX:GCM", NULL, false },
		{ "psk-negotiate:oc2-dtls1_2-chacha20-poly1305", NULL, true },
		{ "PSK-NEGOTIATE:AES256-SHA", "ECDHE-RSA-AES128-GCM-SHA256",
		  true },
		{ "PSK-NEGOTIATE:OC-DTLS1_2-AES128-GCM", "", true },
	};
	struct dtls_choice c;
	struct dtls_offer o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = offer_tls13(cases[i].ciphers, cases[i].ciphers12);
		assert_int_equal(dtls_offer_select(&o, true, &c),
		    DTLS_MODE_PSK);
		assert_int_equal(c.psk_aead, cases[i].aead);
	}
}

static void
test_select_psk_without_secret(void **state)
{
	struct dtls_offer o = offer_tls13("PSK-NEGOTIATE", NULL);
	struct dtls_choice c;

	(void)state;
	o.master_secret = NULL;
	assert_int_equal(dtls_offer_select(&o, true, &c), DTLS_MODE_PSK);
}

static void
test_select_dtls12_similar(void **state)
{
	struct dtls_offer o = offer_tls13(NULL, OC_CIPHERS12);
	struct dtls_choice c;

	(void)state;
	assert_int_equal(dtls_offer_select(&o, true, &c), DTLS_MODE_RESUME);
	assert_string_equal(c.suite->name, "AES256-GCM-SHA384");
	assert_int_equal(c.suite->header, DTLS_HEADER_DTLS12);
	assert_int_equal(c.master_secret[47], 0xff);
}

static void
test_select_dtls12_exact(void **state)
{
	struct dtls_offer o = offer_tls13(NULL, OC_CIPHERS12);
	struct dtls_choice c;

	(void)state;
	o.tls_cipher = "ECDHE-RSA-AES128-GCM-SHA256";
	o.tls_cipher_nid = NID_aes_128_gcm;
	o.tls_hash_nid = NID_sha256;
	assert_int_equal(dtls_offer_select(&o, true, &c), DTLS_MODE_RESUME);
	assert_string_equal(c.suite->name, "ECDHE-RSA-AES128-GCM-SHA256");
}

static void
test_select_oc_dtls12(void **state)
{
	struct dtls_offer o = offer_tls13("OC-DTLS1_2-AES128-GCM:"
	    "OC-DTLS1_2-AES256-GCM", NULL);
	struct dtls_choice c;

	(void)state;
	assert_int_equal(dtls_offer_select(&o, true, &c), DTLS_MODE_RESUME);
	assert_string_equal(c.suite->name, "OC-DTLS1_2-AES256-GCM");
	assert_string_equal(c.suite->openssl_name, "AES256-GCM-SHA384");
	assert_int_equal(c.suite->header, DTLS_HEADER_CIPHERSUITE);
}

static void
test_select_dtls12_falls_back(void **state)
{
	struct dtls_offer o = offer_tls13("AES128-SHA", "DHE-RSA-AES256-SHA");
	struct dtls_choice c;

	(void)state;
	assert_int_equal(dtls_offer_select(&o, true, &c), DTLS_MODE_LEGACY);
	assert_string_equal(c.suite->name, "AES128-SHA");
}

static void
test_select_legacy_priority(void **state)
{
	struct dtls_offer o = offer_tls13("AES128-SHA:AES256-SHA", NULL);
	struct dtls_choice c;

	(void)state;
	assert_int_equal(dtls_offer_select(&o, true, &c), DTLS_MODE_LEGACY);
	assert_string_equal(c.suite->name, "AES256-SHA");
	assert_int_equal(c.suite->id, 0x0035);
}

static void
test_select_legacy_matches_tls(void **state)
{
	struct dtls_offer o = offer_cbc(OC_AGENT, "AES128-SHA",
	    NID_aes_128_cbc, "OC-DTLS1_2-AES256-GCM:AES256-SHA:AES128-SHA");
	struct dtls_choice c;

	(void)state;
	assert_int_equal(dtls_offer_select(&o, true, &c), DTLS_MODE_LEGACY);
	assert_string_equal(c.suite->name, "AES128-SHA");
	assert_int_equal(c.suite->id, 0x002f);
}

static void
test_select_phone_legacy(void **state)
{
	struct dtls_offer o = offer_cbc(PHONE_AGENT, "AES256-SHA",
	    NID_aes_256_cbc, "AES256-SHA:AES128-SHA:DES-CBC3-SHA:DES-CBC-SHA");
	struct dtls_choice c;

	(void)state;
	assert_true(dtls_offer_is_phone(PHONE_AGENT));
	assert_true(dtls_offer_is_phone("cisco svc ipphone client v1.0"));
	assert_false(dtls_offer_is_phone("Cisco SVC IPPhone"));
	assert_false(dtls_offer_is_phone(NULL));
	assert_int_equal(dtls_offer_select(&o, true, &c), DTLS_MODE_LEGACY);
	assert_string_equal(c.suite->name, "AES256-SHA");
}

static void
test_select_phone_lacks_tls_suite(void **state)
{
	struct dtls_offer o = offer_cbc(PHONE_AGENT, "ECDHE-RSA-AES256-SHA",
	    NID_aes_256_cbc, "AES256-SHA:AES128-SHA");
	struct dtls_choice c;

	(void)state;
	assert_int_equal(dtls_offer_select(&o, true, &c), DTLS_MODE_NONE);
	assert_null(c.suite);
	assert_non_null(strstr(c.reason, "ECDHE-RSA-AES256-SHA"));
}

static void
test_select_phone_never_psk(void **state)
{
	struct dtls_offer o = offer_cbc(PHONE_AGENT, "AES128-SHA",
	    NID_aes_128_cbc, "PSK-NEGOTIATE:AES256-SHA:AES128-SHA");
	struct dtls_choice c;

	(void)state;
	assert_int_equal(dtls_offer_select(&o, true, &c), DTLS_MODE_LEGACY);
	assert_string_equal(c.suite->name, "AES128-SHA");
}

static void
test_select_phone_dtls12(void **state)
{
	struct dtls_offer o = offer_tls13("AES256-SHA",
	    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384");
	struct dtls_choice c;

	(void)state;
	o.user_agent = PHONE_AGENT;
	o.tls_cipher = "ECDHE-RSA-AES256-GCM-SHA384";
	assert_int_equal(dtls_offer_select(&o, true, &c), DTLS_MODE_RESUME);
	assert_string_equal(c.suite->name, "ECDHE-RSA-AES256-GCM-SHA384");
	assert_int_equal(c.suite->header, DTLS_HEADER_DTLS12);
}

static void
test_select_phone_dtls12_other(void **state)
{
	struct dtls_offer o = offer_tls13(NULL, "AES256-GCM-SHA384");
	struct dtls_choice c;

	(void)state;
	o.user_agent = PHONE_AGENT;
	o.tls_cipher = "AES256-GCM-SHA384";
	assert_int_equal(dtls_offer_select(&o, true, &c), DTLS_MODE_NONE);
}

static void
test_select_needs_secret(void **state)
{
	struct dtls_offer o = offer_tls13("AES256-SHA", OC_CIPHERS12);
	struct dtls_choice c;

	(void)state;
	o.master_secret = "0011";
	assert_int_equal(dtls_offer_select(&o, true, &c), DTLS_MODE_NONE);
	assert_non_null(strstr(c.reason, "Master-Secret"));
}

static void
test_select_nothing_supported(void **state)
{
	struct dtls_offer o = offer_tls13("DES-CBC3-SHA:DHE-RSA-AES256-SHA",
	    "DHE-RSA-AES128-SHA");
	struct dtls_choice c;

	(void)state;
	assert_int_equal(dtls_offer_select(&o, true, &c), DTLS_MODE_NONE);
	assert_non_null(strstr(c.reason, "no DTLS cipher suite"));
}

static void
test_find_suite(void **state)
{
	const struct dtls_suite *s;

	(void)state;
	s = dtls_offer_find_suite("aes256-sha", DTLS_HEADER_CIPHERSUITE);
	assert_non_null(s);
	assert_int_equal(s->mode, DTLS_MODE_LEGACY);
	s = dtls_offer_find_suite("AES256-SHA", DTLS_HEADER_DTLS12);
	assert_non_null(s);
	assert_int_equal(s->mode, DTLS_MODE_RESUME);
	assert_null(dtls_offer_find_suite("OC-DTLS1_2-AES256-GCM",
	    DTLS_HEADER_DTLS12));
}

static void
test_record_overhead(void **state)
{
	(void)state;
	assert_int_equal(dtls_offer_record_overhead(NID_aes_256_gcm, 0), 37);
	assert_int_equal(dtls_offer_record_overhead(NID_aes_128_cbc, 20), 65);
	assert_int_equal(dtls_offer_record_overhead(NID_aes_256_cbc, 48), 93);
	assert_int_equal(dtls_offer_record_overhead(NID_chacha20_poly1305, 0),
	    29);
	assert_int_equal(dtls_offer_record_overhead(NID_undef, 0), -1);
	assert_int_equal(dtls_offer_find_suite("AES128-SHA",
	    DTLS_HEADER_CIPHERSUITE)->overhead,
	    dtls_offer_record_overhead(NID_aes_128_cbc, 20));
	assert_int_equal(dtls_offer_find_suite("AES128-GCM-SHA256",
	    DTLS_HEADER_DTLS12)->overhead,
	    dtls_offer_record_overhead(NID_aes_128_gcm, 0));
}

static void
test_mode_names(void **state)
{
	(void)state;
	assert_string_equal(dtls_mode_name(DTLS_MODE_NONE), "none");
	assert_string_equal(dtls_mode_name(DTLS_MODE_PSK), "psk");
	assert_string_equal(dtls_mode_name(DTLS_MODE_RESUME),
	    "dtls1.2-resume");
	assert_string_equal(dtls_mode_name(DTLS_MODE_LEGACY), "legacy");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_tokens),
		cmocka_unit_test(test_secret_parse),
		cmocka_unit_test(test_select_disabled),
		cmocka_unit_test(test_select_no_offer),
		cmocka_unit_test(test_select_psk_default),
		cmocka_unit_test(test_select_psk_aead_named),
		cmocka_unit_test(test_select_psk_without_secret),
		cmocka_unit_test(test_select_dtls12_similar),
		cmocka_unit_test(test_select_dtls12_exact),
		cmocka_unit_test(test_select_oc_dtls12),
		cmocka_unit_test(test_select_dtls12_falls_back),
		cmocka_unit_test(test_select_legacy_priority),
		cmocka_unit_test(test_select_legacy_matches_tls),
		cmocka_unit_test(test_select_phone_legacy),
		cmocka_unit_test(test_select_phone_lacks_tls_suite),
		cmocka_unit_test(test_select_phone_never_psk),
		cmocka_unit_test(test_select_phone_dtls12),
		cmocka_unit_test(test_select_phone_dtls12_other),
		cmocka_unit_test(test_select_needs_secret),
		cmocka_unit_test(test_select_nothing_supported),
		cmocka_unit_test(test_find_suite),
		cmocka_unit_test(test_record_overhead),
		cmocka_unit_test(test_mode_names),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
