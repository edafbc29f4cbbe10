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
#include "test_cert_fixture.h"

static X509 *
self_signed(void)
{
	EVP_PKEY *key;
	X509 *x;

	cert_fixture_new("vpn.example.net", &key, &x);
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
