/*
 * Handshake failure reasons for the log, declared in tls.h. OpenSSL's own
 * strings ("unsupported protocol", "no shared cipher") do not say what
 * the client offered, which is what an operator needs to decide between
 * tls-min-version, tls12-ciphers and the phone profile. So a ClientHello
 * callback records the client's highest version and its first suites,
 * and the failure line quotes them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls.h"

#define TLSDIAG_SUITES_SHOWN	8	/* suites quoted in a failure line */
#define TLSDIAG_EXT_VERSIONS	43	/* supported_versions, RFC 8446 */
#define TLSDIAG_SCSV_RENEGO	0x00ff	/* signalling values, not suites */
#define TLSDIAG_SCSV_FALLBACK	0x5600

/* The versions and suites one client offered, kept in its ex_data. */
struct tls_hello {
	int	min_version;	/* lowest offered, e.g. TLS1_VERSION */
	int	max_version;	/* highest offered */
	char	suites[256];	/* "AES256-SHA, AES128-SHA, ..." */
	bool	phone_profile;	/* the listener has tls-profile "phone" */
};

static int tls_hello_index = -1;

static void
tls_hello_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

/* GREASE values (RFC 8701) look like 0x?A?A and mean nothing. */
static int
tls_is_grease(unsigned v)
{
	return ((v & 0x0f0f) == 0x0a0a);
}

/*
 * The range of supported_versions, else legacy_version alone: without
 * the extension a client offers every version up to legacy_version, but
 * only the top of that range matters for the messages below.
 */
static void
tls_hello_versions(SSL *ssl, struct tls_hello *h)
{
	const unsigned char *ext;
	size_t len, i;
	unsigned v;

	h->min_version = h->max_version = 0;
	if (SSL_client_hello_get0_ext(ssl, TLSDIAG_EXT_VERSIONS, &ext,
	    &len) != 1 || len < 1 || ext[0] + 1u > len) {
		h->max_version = (int)SSL_client_hello_get0_legacy_version(ssl);
		return;
	}
	for (i = 1; i + 1 <= ext[0]; i += 2) {
		v = (unsigned)ext[i] << 8 | ext[i + 1];
		if (tls_is_grease(v))
			continue;
		if ((int)v > h->max_version)
			h->max_version = (int)v;
		if (h->min_version == 0 || (int)v < h->min_version)
			h->min_version = (int)v;
	}
}

static void
tls_hello_suites(SSL *ssl, char *buf, size_t len)
{
	const unsigned char *ids;
	const SSL_CIPHER *cipher;
	size_t n = SSL_client_hello_get0_ciphers(ssl, &ids) / 2;
	size_t i, shown = 0, used = 0;
	unsigned v;
	int w;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		v = (unsigned)ids[2 * i] << 8 | ids[2 * i + 1];
		if (tls_is_grease(v) || v == TLSDIAG_SCSV_RENEGO ||
		    v == TLSDIAG_SCSV_FALLBACK)
			continue;
		if (shown == TLSDIAG_SUITES_SHOWN) {
			snprintf(buf + used, len - used, " and more");
			return;
		}
		cipher = SSL_CIPHER_find(ssl, ids + 2 * i);
		if (cipher != NULL)
			w = snprintf(buf + used, len - used, "%s%s",
			    shown ? ", " : "", SSL_CIPHER_get_name(cipher));
		else
			w = snprintf(buf + used, len - used, "%s0x%04X",
			    shown ? ", " : "", v);
		if (w < 0)
			return;
		used += (size_t)w;
		shown++;
	}
}

static int
tls_hello_cb(SSL *ssl, int *alert, void *arg)
{
	struct tls_hello *h = SSL_get_ex_data(ssl, tls_hello_index);

	(void)alert;
	if (h == NULL) {
		if ((h = calloc(1, sizeof(*h))) == NULL)
			return (SSL_CLIENT_HELLO_SUCCESS);
		if (SSL_set_ex_data(ssl, tls_hello_index, h) != 1) {
			free(h);
			return (SSL_CLIENT_HELLO_SUCCESS);
		}
	}
	h->phone_profile = arg != NULL;
	tls_hello_versions(ssl, h);
	tls_hello_suites(ssl, h->suites, sizeof(h->suites));
	return (SSL_CLIENT_HELLO_SUCCESS);
}

int
tls_ctx_record_hello(SSL_CTX *ctx, bool phone_profile)
{
	static int phone_tag;	/* its address marks the phone profile */

	if (tls_hello_index < 0)
		tls_hello_index = SSL_get_ex_new_index(0, NULL, NULL, NULL,
		    tls_hello_free);
	if (tls_hello_index < 0)
		return (-ENOMEM);
	SSL_CTX_set_client_hello_cb(ctx, tls_hello_cb,
	    phone_profile ? &phone_tag : NULL);
	return (0);
}

static const char *
tls_version_name(int version, char *buf, size_t len)
{
	switch (version) {
	case 0:
		return ("any");
	case SSL3_VERSION:
		return ("SSL 3.0");
	case TLS1_VERSION:
		return ("TLS 1.0");
	case TLS1_1_VERSION:
		return ("TLS 1.1");
	case TLS1_2_VERSION:
		return ("TLS 1.2");
	case TLS1_3_VERSION:
		return ("TLS 1.3");
	default:
		snprintf(buf, len, "version 0x%04x", (unsigned)version);
		return (buf);
	}
}

static bool
tls_errors_have(const unsigned long *errors, size_t n, int reason)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (ERR_GET_LIB(errors[i]) == ERR_LIB_SSL &&
		    ERR_GET_REASON(errors[i]) == reason)
			return (true);
	}
	return (false);
}

/*
 * Return whether the errors hold an alert by which the client rejected
 * the server's certificate. The server never sends these, because it
 * checks client certificates only after the handshake.
 */
static bool
tls_errors_have_certificate_alert(const unsigned long *errors, size_t n)
{
	static const int alerts[] = {
		SSL_R_SSLV3_ALERT_BAD_CERTIFICATE,
		SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE,
		SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED,
		SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED,
		SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN,
		SSL_R_TLSV1_ALERT_UNKNOWN_CA,
	};
	size_t i;

	for (i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++) {
		if (tls_errors_have(errors, n, alerts[i]))
			return (true);
	}
	return (false);
}

static void
tls_errors_join(const unsigned long *errors, size_t n, char *buf,
    size_t len)
{
	size_t i, used = 0;

	snprintf(buf, len, "no OpenSSL error recorded");
	for (i = 0; i < n && used + 2 < len; i++) {
		if (i > 0)
			buf[used++] = ';';
		ERR_error_string_n(errors[i], buf + used, len - used);
		used = strlen(buf);
	}
}

void
tls_describe_failure(SSL *ssl, const unsigned long *errors, size_t nerrors,
    char *buf, size_t len)
{
	const struct tls_hello *h = SSL_get_ex_data(ssl, tls_hello_index);
	int min = SSL_get_min_proto_version(ssl);
	int max = SSL_get_max_proto_version(ssl);
	bool phone = h != NULL && h->phone_profile;
	char offered[32], limit[32], why[512];

	if (h != NULL && min != 0 && h->max_version < min) {
		snprintf(buf, len, "TLS version below the listener's minimum: "
		    "the client offers at most %s, the listener requires %s "
		    "or later; %s",
		    tls_version_name(h->max_version, offered, sizeof(offered)),
		    tls_version_name(min, limit, sizeof(limit)), phone ?
		    "remove tls-min-version, which overrides the phone "
		    "profile's TLS 1.0" : "lower tls-min-version or use "
		    "tls-profile \"phone\" to accept it");
		return;
	}
	if (h != NULL && max != 0 && h->min_version > max) {
		snprintf(buf, len, "TLS version above the listener's maximum: "
		    "the client offers only %s and later, the listener allows "
		    "up to %s; raise tls-max-version to accept it",
		    tls_version_name(h->min_version, offered, sizeof(offered)),
		    tls_version_name(max, limit, sizeof(limit)));
		return;
	}
	if (h != NULL && tls_errors_have(errors, nerrors,
	    SSL_R_NO_SHARED_CIPHER)) {
		snprintf(buf, len, "no cipher suite in common: the client "
		    "offers %s with %s; add one of them to tls12-ciphers%s",
		    h->suites[0] != '\0' ? h->suites : "no suite",
		    tls_version_name(h->max_version, offered,
		    sizeof(offered)), phone ? " (a tls12-ciphers setting "
		    "overrides the phone profile's list)" : ", or use "
		    "tls-profile \"phone\" for RSA AES-CBC-SHA clients");
		return;
	}
	tls_errors_join(errors, nerrors, why, sizeof(why));
	if (tls_errors_have_certificate_alert(errors, nerrors)) {
		snprintf(buf, len, "the client rejected the server "
		    "certificate (%s): check that the client trusts its "
		    "issuer or pins its hash, that it names the host of the "
		    "client's URL, and that chain contains the intermediate "
		    "CAs; headend -t checks the names and prints the hashes",
		    why);
		return;
	}
	if (h != NULL)
		snprintf(buf, len, "%s (the client offers %s with %s)", why,
		    h->suites, tls_version_name(h->max_version, offered,
		    sizeof(offered)));
	else
		snprintf(buf, len, "%s", why);
}
