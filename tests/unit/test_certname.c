/*
 * Unit tests for usernames from client certificates: the field lookup on
 * certificates built in memory, the phone-name rule and the name check.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certname.h"

/* A certificate with the subject entries "NID=value", "NID=value", ... */
static X509 *
cert_with_subject(const int *nids, const char *const *values, size_t n)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_get_subject_name(x);
	size_t i;

	assert_non_null(x);
	for (i = 0; i < n; i++)
		assert_int_equal(X509_NAME_add_entry_by_NID(name, nids[i],
		    MBSTRING_UTF8, (const unsigned char *)values[i], -1, -1,
		    0), 1);
	return (x);
}

static X509 *
cert_with_cn(const char *cn)
{
	const int nids[] = { NID_organizationName, NID_commonName };
	const char *const values[] = { "Cisco Systems Inc.", cn };

	return (cert_with_subject(nids, values, 2));
}

/* Add a subjectAltName with the given rfc822Names. */
static void
cert_add_emails(X509 *x, const char *const *emails, size_t n)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	size_t i;

	for (i = 0; i < n; i++) {
		GENERAL_NAME *gn = GENERAL_NAME_new();
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();

		assert_int_equal(ASN1_STRING_set(s, emails[i], -1), 1);
		GENERAL_NAME_set0_value(gn, GEN_EMAIL, s);
		assert_true(sk_GENERAL_NAME_push(gens, gn) > 0);
	}
	assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
	    X509V3_ADD_DEFAULT), 1);
	GENERAL_NAMES_free(gens);
}

static void
test_field_cn(void **state)
{
	X509 *x = cert_with_cn("CP-7962G-SEP001122334455");
	char out[128];

	(void)state;
	assert_int_equal(certname_field(x, CERT_USER_FIELD_CN, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "CP-7962G-SEP001122334455");
	X509_free(x);
}

static void
test_field_missing(void **state)
{
	const int nids[] = { NID_organizationName };
	const char *const values[] = { "Example" };
	X509 *x = cert_with_subject(nids, values, 1);
	char out[128] = "junk";

	(void)state;
	assert_int_equal(certname_field(x, CERT_USER_FIELD_CN, out,
	    sizeof(out)), -ENOENT);
	assert_string_equal(out, "");
	assert_int_equal(certname_field(x, CERT_USER_FIELD_UID, out,
	    sizeof(out)), -ENOENT);
	assert_int_equal(certname_field(x, CERT_USER_FIELD_SAN_EMAIL, out,
	    sizeof(out)), -ENOENT);
	X509_free(x);
}

static void
test_field_two_cns(void **state)
{
	const int nids[] = { NID_commonName, NID_commonName };
	const char *const values[] = { "SEP001122334455", "admin" };
	X509 *x = cert_with_subject(nids, values, 2);
	char out[128];

	(void)state;
	assert_int_equal(certname_field(x, CERT_USER_FIELD_CN, out,
	    sizeof(out)), -ENOTUNIQ);
	X509_free(x);
}

static void
test_field_uid(void **state)
{
	const int nids[] = { NID_userId, NID_commonName };
	const char *const values[] = { "alice", "Alice Example" };
	X509 *x = cert_with_subject(nids, values, 2);
	char out[128];

	(void)state;
	assert_int_equal(certname_field(x, CERT_USER_FIELD_UID, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "alice");
	X509_free(x);
}

static void
test_field_san_email(void **state)
{
	const char *const one[] = { "alice@example.net" };
	const char *const two[] = { "alice@example.net", "bob@example.net" };
	X509 *x = cert_with_cn("Alice");
	X509 *y = cert_with_cn("Alice and Bob");
	char out[128];

	(void)state;
	cert_add_emails(x, one, 1);
	assert_int_equal(certname_field(x, CERT_USER_FIELD_SAN_EMAIL, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "alice@example.net");
	cert_add_emails(y, two, 2);
	assert_int_equal(certname_field(y, CERT_USER_FIELD_SAN_EMAIL, out,
	    sizeof(out)), -ENOTUNIQ);
	X509_free(x);
	X509_free(y);
}

static void
test_field_too_long(void **state)
{
	X509 *x = cert_with_cn("SEP001122334455");
	char out[8] = "junk";

	(void)state;
	assert_int_equal(certname_field(x, CERT_USER_FIELD_CN, out,
	    sizeof(out)), -E2BIG);
	assert_string_equal(out, "");
	X509_free(x);
}

static void
test_field_embedded_nul(void **state)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_get_subject_name(x);
	static const unsigned char cn[] = "admin\0.example.net";
	char out[128];

	(void)state;
	assert_int_equal(X509_NAME_add_entry_by_NID(name, NID_commonName,
	    V_ASN1_UTF8STRING, cn, (int)sizeof(cn) - 1, -1, 0), 1);
	assert_int_equal(certname_field(x, CERT_USER_FIELD_CN, out,
	    sizeof(out)), -EINVAL);
	X509_free(x);
}

static void
test_rule_phone_name(void **state)
{
	static const struct {
		const char	*value;
		int		rc;
		const char	*user;
	} cases[] = {
		{ "CP-7962G-SEP001122334455", 0, "SEP001122334455" },
		{ "CP-7975G-SEP001AE2BC16CB", 0, "SEP001AE2BC16CB" },
		{ "CP-8841-SEP0011223344aa", 0, "SEP0011223344aa" },
		{ "CP-8865-NR-SEP001122334455", 0, "SEP001122334455" },
		{ "SEP001122334455", 0, "SEP001122334455" },
		{ "SEP00112233445", -EINVAL, "" },
		{ "SEP0011223344556", -EINVAL, "" },
		{ "SEP00112233445G", -EINVAL, "" },
		{ "sep001122334455", -EINVAL, "" },
		{ "CP7962G-SEP001122334455", -EINVAL, "" },
		{ "CP--SEP001122334455", -EINVAL, "" },
		{ "XX-7962G-SEP001122334455", -EINVAL, "" },
		{ "CP-79/62-SEP001122334455", -EINVAL, "" },
		{ "../SEP001122334455", -EINVAL, "" },
		{ "", -EINVAL, "" },
	};
	char out[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("  %s\n", cases[i].value);
		assert_int_equal(certname_apply_rule(cases[i].value,
		    CERT_USER_RULE_PHONE_NAME, out, sizeof(out)),
		    cases[i].rc);
		assert_string_equal(out, cases[i].user);
	}
}

static void
test_rule_as_is(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(certname_apply_rule("CP-7962G", CERT_USER_RULE_AS_IS,
	    out, sizeof(out)), -E2BIG);
	assert_string_equal(out, "");
	assert_int_equal(certname_apply_rule("alice", CERT_USER_RULE_AS_IS,
	    out, sizeof(out)), 0);
	assert_string_equal(out, "alice");
}

static void
test_name_valid(void **state)
{
	char long_name[130];

	(void)state;
	assert_true(certname_valid("SEP001122334455"));
	assert_true(certname_valid("CP-7962G-SEP001122334455"));
	assert_true(certname_valid("alice@example.net"));
	assert_true(certname_valid("a.b_c+d"));
	assert_false(certname_valid(""));
	assert_false(certname_valid("../../etc/x"));
	assert_false(certname_valid(".hidden"));
	assert_false(certname_valid("-option"));
	assert_false(certname_valid("a/b"));
	assert_false(certname_valid("a b"));
	assert_false(certname_valid("a:b"));
	assert_false(certname_valid("a\tb"));
	assert_false(certname_valid("caf\xc3\xa9"));
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_false(certname_valid(long_name));
	long_name[127] = '\0';
	assert_true(certname_valid(long_name));
}

static void
test_user_traversal_rejected(void **state)
{
	X509 *x = cert_with_cn("../../etc/x");
	const char *why = NULL;
	char out[128];

	(void)state;
	assert_int_equal(certname_user(x, CERT_USER_FIELD_CN,
	    CERT_USER_RULE_AS_IS, out, sizeof(out), &why), -EINVAL);
	assert_non_null(why);
	assert_string_equal(out, "");
	X509_free(x);
}

static void
test_user_mic(void **state)
{
	X509 *x = cert_with_cn("CP-7962G-SEP001122334455");
	const char *why = "unset";
	char out[128];

	(void)state;
	assert_int_equal(certname_user(x, CERT_USER_FIELD_CN,
	    CERT_USER_RULE_PHONE_NAME, out, sizeof(out), &why), 0);
	assert_string_equal(out, "SEP001122334455");
	assert_null(why);
	assert_int_equal(certname_user(x, CERT_USER_FIELD_UID,
	    CERT_USER_RULE_PHONE_NAME, out, sizeof(out), &why), -ENOENT);
	assert_string_equal(why, "the certificate has no such field");
	X509_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_cn),
		cmocka_unit_test(test_field_missing),
		cmocka_unit_test(test_field_two_cns),
		cmocka_unit_test(test_field_uid),
		cmocka_unit_test(test_field_san_email),
		cmocka_unit_test(test_field_too_long),
		cmocka_unit_test(test_field_embedded_nul),
		cmocka_unit_test(test_rule_phone_name),
		cmocka_unit_test(test_rule_as_is),
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_user_traversal_rejected),
		cmocka_unit_test(test_user_mic),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
