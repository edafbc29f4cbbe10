/*
 * A self-signed P-256 certificate for tests that need a TLS server, made
 * in memory so that no test depends on a file or on the openssl tool.
 */
#ifndef TEST_CERT_FIXTURE_H
#define TEST_CERT_FIXTURE_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#define CERT_FIXTURE_FN	static __attribute__((unused))

/* Make *key and a certificate *x for common name cn, valid for an hour. */
CERT_FIXTURE_FN void
cert_fixture_new(const char *cn, EVP_PKEY **key, X509 **x)
{
	assert_non_null(*key = EVP_EC_gen("P-256"));
	assert_non_null(*x = X509_new());
	ASN1_INTEGER_set(X509_get_serialNumber(*x), 1);
	X509_gmtime_adj(X509_getm_notBefore(*x), -60);
	X509_gmtime_adj(X509_getm_notAfter(*x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(*x), "CN",
	    MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(*x, X509_get_subject_name(*x));
	X509_set_pubkey(*x, *key);
	assert_true(X509_sign(*x, *key, EVP_sha256()) > 0);
}

#endif
