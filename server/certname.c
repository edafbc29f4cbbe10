/* Usernames from client certificates, declared in certname.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "certname.h"

#define CERTNAME_LEN_MAX	127	/* bytes, as for the user file */
#define CERTNAME_MAC_DIGITS	12	/* hex digits after "SEP" */

/* Copy an ASN.1 string as UTF-8, rejecting embedded NUL bytes. */
static int
certname_copy(const ASN1_STRING *s, char *out, size_t outlen)
{
	unsigned char *utf8 = NULL;
	int len = ASN1_STRING_to_UTF8(&utf8, s);
	int rc = 0;

	if (len < 0)
		return (-EINVAL);
	if (memchr(utf8, '\0', (size_t)len) != NULL)
		rc = -EINVAL;
	else if ((size_t)len >= outlen)
		rc = -E2BIG;
	else
		memcpy(out, utf8, (size_t)len + 1);
	OPENSSL_free(utf8);
	return (rc);
}

/* The single subject entry with nid. */
static int
certname_subject_entry(X509 *x, int nid, char *out, size_t outlen)
{
	const X509_NAME *name = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(name, nid, -1);

	if (i < 0)
		return (-ENOENT);
	if (X509_NAME_get_index_by_NID(name, nid, i) >= 0)
		return (-ENOTUNIQ);
	return (certname_copy(X509_NAME_ENTRY_get_data(
	    X509_NAME_get_entry(name, i)), out, outlen));
}

/* The single rfc822Name of the subjectAltName extension. */
static int
certname_san_email(X509 *x, char *out, size_t outlen)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name,
	    NULL, NULL);
	const ASN1_IA5STRING *found = NULL;
	int i, rc = -ENOENT;

	for (i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);

		if (gn->type != GEN_EMAIL)
			continue;
		if (found != NULL) {
			rc = -ENOTUNIQ;
			goto out;
		}
		found = gn->d.rfc822Name;
	}
	if (found != NULL)
		rc = certname_copy(found, out, outlen);
out:
	GENERAL_NAMES_free(names);
	return (rc);
}

int
certname_field(X509 *x, enum cert_user_field field, char *out,
    size_t outlen)
{
	int rc;

	switch (field) {
	case CERT_USER_FIELD_CN:
		rc = certname_subject_entry(x, NID_commonName, out, outlen);
		break;
	case CERT_USER_FIELD_UID:
		rc = certname_subject_entry(x, NID_userId, out, outlen);
		break;
	case CERT_USER_FIELD_SAN_EMAIL:
		rc = certname_san_email(x, out, outlen);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	if (rc != 0 && outlen > 0)
		out[0] = '\0';
	return (rc);
}

static bool
certname_is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return (false);
	}
	return (true);
}

/* "" or "CP-<model>-", the model being letters, digits and dashes. */
static bool
certname_model_prefix_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return (true);
	if (n < 5 || strncmp(s, "CP-", 3) != 0 || s[n - 1] != '-')
		return (false);
	for (i = 3; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return (false);
	}
	return (true);
}

static int
certname_phone_name(const char *value, char *out, size_t outlen)
{
	size_t len = strlen(value);
	size_t tail = 3 + CERTNAME_MAC_DIGITS;
	const char *sep;

	if (len < tail)
		return (-EINVAL);
	sep = value + len - tail;
	if (strncmp(sep, "SEP", 3) != 0 ||
	    !certname_is_hex(sep + 3, CERTNAME_MAC_DIGITS) ||
	    !certname_model_prefix_valid(value, len - tail))
		return (-EINVAL);
	if (tail >= outlen)
		return (-E2BIG);
	memcpy(out, sep, tail + 1);
	return (0);
}

int
certname_apply_rule(const char *value, enum cert_user_rule rule, char *out,
    size_t outlen)
{
	int rc;

	if (rule == CERT_USER_RULE_PHONE_NAME)
		rc = certname_phone_name(value, out, outlen);
	else if (strlen(value) >= outlen)
		rc = -E2BIG;
	else
		rc = snprintf(out, outlen, "%s", value) < 0 ? -EINVAL : 0;
	if (rc != 0 && outlen > 0)
		out[0] = '\0';
	return (rc);
}

bool
certname_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > CERTNAME_LEN_MAX || name[0] == '.' ||
	    name[0] == '-')
		return (false);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (!isascii(ch) || (!isalnum(ch) &&
		    strchr("._-@+", ch) == NULL))
			return (false);
	}
	return (true);
}

const char *
certname_field_name(enum cert_user_field field)
{
	switch (field) {
	case CERT_USER_FIELD_CN:
		return ("CN");
	case CERT_USER_FIELD_UID:
		return ("UID");
	case CERT_USER_FIELD_SAN_EMAIL:
		return ("SAN-email");
	default:
		return ("unknown field");
	}
}

static const char *
certname_field_error(int rc)
{
	switch (rc) {
	case -ENOENT:
		return ("the certificate has no such field");
	case -ENOTUNIQ:
		return ("the certificate has the field more than once");
	case -E2BIG:
		return ("the field's value is too long");
	default:
		return ("the field's value is not valid text");
	}
}

int
certname_user(X509 *x, enum cert_user_field field, enum cert_user_rule rule,
    char *out, size_t outlen, const char **why)
{
	char value[256];
	int rc;

	rc = certname_field(x, field, value, sizeof(value));
	if (rc != 0) {
		*why = certname_field_error(rc);
		return (rc);
	}
	rc = certname_apply_rule(value, rule, out, outlen);
	if (rc != 0) {
		*why = rule == CERT_USER_RULE_PHONE_NAME ? "the field's value "
		    "is not a phone name such as CP-7962G-SEP001122334455 or "
		    "SEP001122334455" : "the field's value is too long";
		return (rc);
	}
	if (!certname_valid(out)) {
		*why = "the username contains characters other than letters, "
		    "digits and . _ - @ +";
		out[0] = '\0';
		return (-EINVAL);
	}
	*why = NULL;
	return (0);
}
