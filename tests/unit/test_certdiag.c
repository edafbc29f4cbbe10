/*
 * Unit tests for certdiag_hashes: the SHA-1 fingerprint in the format of
 * "openssl x509 -fingerprint -sha1" and the certHash value (base64 of the
 * raw SHA-1), checked on a certificate built in memory against digests
 * computed here with EVP and a hand-written base64 encoder.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certdiag.h"

static X509 *
self_signed(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();

	assert_non_null(key);
	assert_non_null(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 4711);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"vpn.example.net", -1, -1,
	    0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, key);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	EVP_PKEY_free(key);
	return (x);
}

static void
base64(const unsigned char *in, size_t n, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = abc[in[i] >> 2];
		out[o++] = abc[(in[i] & 3) << 4 | in[i + 1] >> 4];
		out[o++] = abc[(in[i + 1] & 15) << 2 | in[i + 2] >> 6];
		out[o++] = abc[in[i + 2] & 63];
	}
	if (n - i == 2) {
		out[o++] = abc[in[i] >> 2];
		out[o++] = abc[(in[i] & 3) << 4 | in[i + 1] >> 4];
		out[o++] = abc[(in[i + 1] & 15) << 2];
		out[o++] = '=';
	}
	out[o] = '\0';
}

static void
test_hashes_match_digest(void **state)
{
	X509 *x = self_signed();
	unsigned char *der = NULL, md[20];
	char sha1[CERTDIAG_SHA1_TEXT], b64[CERTDIAG_BASE64_TEXT];
	char want_hex[CERTDIAG_SHA1_TEXT], want_b64[64];
	int len = i2d_X509(x, &der);
	size_t i;

	(void)state;
	assert_true(len > 0);
	assert_int_equal(EVP_Digest(der, (size_t)len, md, NULL, EVP_sha1(),
	    NULL), 1);
	for (i = 0; i < 20; i++)
		snprintf(want_hex + 3 * i, 4, i < 19 ? "%02X:" : "%02X",
		    md[i]);
	base64(md, 20, want_b64);

	assert_int_equal(certdiag_hashes(x, sha1, b64), 0);
	assert_string_equal(sha1, want_hex);
	assert_string_equal(b64, want_b64);
	assert_int_equal(strlen(sha1), 59);
	assert_int_equal(strlen(b64), 28);
	OPENSSL_free(der);
	X509_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashes_match_digest),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
