/* Certificate hashes and configuration warnings, declared in certdiag.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "certdiag.h"
#include "dtls_offer.h"
#include "groupurl.h"
#include "regfile.h"

#define CERTDIAG_LINE_MAX	2048

/* One run: where lines go and how many warnings were printed. */
struct certdiag {
	certdiag_print_fn *print;
	void		*arg;
	int		warnings;
};

/* The certificates of one listener, leaf first. */
struct certdiag_listener {
	STACK_OF(X509)	*sent;		/* certificate file, then chain */
	STACK_OF(X509)	*next;		/* next-certificate, or NULL */
	bool		phone_checked;	/* phone warnings already given */
};

int
certdiag_priority(enum certdiag_level level)
{
	if (level == CERTDIAG_ERROR)
		return (LOG_ERR);
	return (level == CERTDIAG_WARNING ? LOG_WARNING : LOG_INFO);
}

static void
certdiag_say(struct certdiag *d, enum certdiag_level level,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
certdiag_say(struct certdiag *d, enum certdiag_level level,
    const char *fmt, ...)
{
	char line[CERTDIAG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (level == CERTDIAG_WARNING)
		d->warnings++;
	d->print(d->arg, level, line);
}

int
certdiag_hashes(X509 *x, char sha1[CERTDIAG_SHA1_TEXT],
    char base64[CERTDIAG_BASE64_TEXT])
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (X509_digest(x, EVP_sha1(), md, &n) != 1 || n != 20)
		return (-EINVAL);
	for (i = 0; i < n; i++) {
		sha1[3 * i] = hex[md[i] >> 4];
		sha1[3 * i + 1] = hex[md[i] & 15];
		sha1[3 * i + 2] = i + 1 < n ? ':' : '\0';
	}
	EVP_EncodeBlock((unsigned char *)base64, md, (int)n);
	return (0);
}

/*
 * Write the pin that openconnect's --servercert takes: the base64 of the
 * SHA-256 of the certificate's public key. Returns 0 or -EINVAL.
 */
static int
certdiag_pin(X509 *x, char *pin, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH], *der = NULL;
	char base64[4 * SHA256_DIGEST_LENGTH / 3 + 4];
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);

	if (n <= 0)
		return (-EINVAL);
	SHA256(der, (size_t)n, md);
	OPENSSL_free(der);
	EVP_EncodeBlock((unsigned char *)base64, md, sizeof(md));
	snprintf(pin, len, "pin-sha256:%s", base64);
	return (0);
}

static void
certdiag_print_cert(struct certdiag *d, X509 *x, const char *label)
{
	char subject[CERT_NAME_MAX], sha1[CERTDIAG_SHA1_TEXT];
	char base64[CERTDIAG_BASE64_TEXT], until[64], pin[64];

	cert_name_format(X509_get_subject_name(x), subject, sizeof(subject));
	certdiag_say(d, CERTDIAG_INFO, "  %s: %s", label, subject);
	if (certdiag_hashes(x, sha1, base64) == 0) {
		certdiag_say(d, CERTDIAG_INFO, "    SHA-1 fingerprint: %s",
		    sha1);
		certdiag_say(d, CERTDIAG_INFO, "    certHash (base64 of "
		    "SHA-1): %s", base64);
	}
	/* openconnect pins the leaf, the first certificate of a file. */
	if ((strcmp(label, "leaf") == 0 ||
	    strcmp(label, "certificate 1") == 0) &&
	    certdiag_pin(x, pin, sizeof(pin)) == 0)
		certdiag_say(d, CERTDIAG_INFO, "    openconnect --servercert "
		    "%s", pin);
	cert_date_format(X509_get0_notAfter(x), until, sizeof(until));
	certdiag_say(d, CERTDIAG_INFO, "    valid until: %s", until);
}

/*
 * Label the certificates "first", "rest 1", "rest 2", ... or, without
 * first, "rest 1", "rest 2", ...
 */
static void
certdiag_print_stack(struct certdiag *d, STACK_OF(X509) *certs,
    const char *first, const char *rest)
{
	char label[32];
	int i;

	for (i = 0; i < sk_X509_num(certs); i++) {
		if (first != NULL && i == 0)
			snprintf(label, sizeof(label), "%s", first);
		else
			snprintf(label, sizeof(label), "%s %d", rest,
			    first != NULL ? i : i + 1);
		certdiag_print_cert(d, sk_X509_value(certs, i), label);
	}
}

int
certdiag_file(const char *path, certdiag_print_fn *print, void *arg)
{
	struct certdiag d = { print, arg, 0 };
	STACK_OF(X509) *certs;
	int n = cert_read_file(path, &certs);

	if (n < 0) {
		certdiag_say(&d, CERTDIAG_ERROR, "%s: %s%s", path,
		    cert_read_strerror(-n, false), cert_der_hint(-n));
		return (n);
	}
	certdiag_say(&d, CERTDIAG_INFO, "%s", path);
	certdiag_print_stack(&d, certs, NULL, "certificate");
	sk_X509_pop_free(certs, X509_free);
	return (n);
}

/* Load a listener's files; NULL stacks when a file cannot be read. */
static int
certdiag_listener_load(struct certdiag *d, const struct config_listener *l,
    struct certdiag_listener *dl)
{
	STACK_OF(X509) *chain;
	int n;

	memset(dl, 0, sizeof(*dl));
	if ((n = cert_read_file(l->certificate, &dl->sent)) < 0) {
		certdiag_say(d, CERTDIAG_ERROR, "cannot read certificate "
		    "%s: %s", l->certificate, cert_read_strerror(-n, false));
		return (n);
	}
	if (l->chain[0] != '\0' && (n = cert_read_file(l->chain, &chain)) < 0) {
		certdiag_say(d, CERTDIAG_ERROR, "cannot read chain %s: %s",
		    l->chain, cert_read_strerror(-n, false));
		sk_X509_pop_free(dl->sent, X509_free);
		dl->sent = NULL;
		return (n);
	}
	if (l->chain[0] != '\0') {
		while (sk_X509_num(chain) > 0)
			sk_X509_push(dl->sent, sk_X509_shift(chain));
		sk_X509_free(chain);
	}
	if (l->next_certificate[0] != '\0' &&
	    (n = cert_read_file(l->next_certificate, &dl->next)) < 0) {
		certdiag_say(d, CERTDIAG_WARNING, "next-certificate %s: %s, "
		    "so phones cannot be given its certHash: put the new "
		    "certificate in it, in PEM", l->next_certificate,
		    cert_read_strerror(-n, false));
		dl->next = NULL;	/* only a warning: go on */
	}
	return (0);
}

static void
certdiag_check_expiry(struct certdiag *d, STACK_OF(X509) *certs,
    const char *path)
{
	char subject[CERT_NAME_MAX], until[64];
	int i, days, secs;

	for (i = 0; certs != NULL && i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (ASN1_TIME_diff(&days, &secs, NULL,
		    X509_get0_notAfter(x)) != 1 ||
		    days >= CERTDIAG_EXPIRY_DAYS)
			continue;
		cert_name_format(X509_get_subject_name(x), subject,
		    sizeof(subject));
		cert_date_format(X509_get0_notAfter(x), until, sizeof(until));
		certdiag_say(d, CERTDIAG_WARNING, "certificate \"%s\" in %s "
		    "%s %s: renew it, give phones the new certHash through "
		    "next-certificate first, then swap", subject, path,
		    days < 0 || secs < 0 ? "expired on" : "expires on",
		    until);
	}
}

/* Warn about a certificate sent before its notBefore: clients refuse it. */
static void
certdiag_check_not_yet(struct certdiag *d, STACK_OF(X509) *certs,
    const char *path)
{
	char subject[CERT_NAME_MAX], from[64];
	int i;

	for (i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (X509_cmp_current_time(X509_get0_notBefore(x)) <= 0)
			continue;
		cert_name_format(X509_get_subject_name(x), subject,
		    sizeof(subject));
		cert_date_format(X509_get0_notBefore(x), from, sizeof(from));
		certdiag_say(d, CERTDIAG_WARNING, "certificate \"%s\" in %s is "
		    "valid only from %s, so clients refuse it until then: "
		    "check the host's clock, or issue it again", subject,
		    path, from);
	}
}

/*
 * Warn about a certificate sent after the leaf that is not the issuer of
 * the one before it: clients that take the chain in order cannot build
 * it. A root at the end issued the one before, and a certificate listed
 * twice in a row (certificate and chain both with the intermediate) is
 * harmless.
 */
static void
certdiag_check_chain_order(struct certdiag *d, STACK_OF(X509) *certs,
    const char *path)
{
	char subject[CERT_NAME_MAX], issued[CERT_NAME_MAX];
	int i;

	for (i = 0; i + 1 < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		X509 *next = sk_X509_value(certs, i + 1);

		if (X509_check_issued(next, x) == X509_V_OK ||
		    X509_cmp(next, x) == 0)
			continue;
		cert_name_format(X509_get_subject_name(next), subject,
		    sizeof(subject));
		cert_name_format(X509_get_subject_name(x), issued,
		    sizeof(issued));
		certdiag_say(d, CERTDIAG_WARNING, "certificate %s: \"%s\" "
		    "comes after \"%s\" in the chain sent to clients but did "
		    "not issue it, so clients that take the chain in order "
		    "cannot build it: put each certificate's issuer right "
		    "after it, in the certificate file or in chain", path,
		    subject, issued);
	}
}

/* Split a normalised group-url host into name and port. */
static void
certdiag_host_port(const char *hostport, char *host, size_t len,
    unsigned *port)
{
	const char *colon = strrchr(hostport, ':');
	const char *bracket = strrchr(hostport, ']');
	size_t n;

	*port = 443;
	if (colon != NULL && (bracket == NULL || colon > bracket))
		*port = (unsigned)strtoul(colon + 1, NULL, 10);
	else
		colon = hostport + strlen(hostport);
	if (hostport[0] == '[') {
		hostport++;
		colon = bracket;
	}
	n = (size_t)(colon - hostport) < len ? (size_t)(colon - hostport) :
	    len - 1;
	memcpy(host, hostport, n);
	host[n] = '\0';
}

/* 1 when x names host exactly, 0 only through a wildcard, -1 not at all. */
static int
certdiag_names_host(X509 *x, const char *host)
{
	unsigned int flags = X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT;

	if (X509_check_ip_asc(x, host, 0) == 1)
		return (1);
	if (X509_check_host(x, host, 0,
	    flags | X509_CHECK_FLAG_NO_WILDCARDS, NULL) == 1)
		return (1);
	return (X509_check_host(x, host, 0, flags, NULL) == 1 ? 0 : -1);
}

/* Returns whether host is an IPv4 or IPv6 address, not a name. */
static bool
certdiag_host_is_ip(const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];

	return (inet_pton(AF_INET, host, addr) == 1 ||
	    inet_pton(AF_INET6, host, addr) == 1);
}

/*
 * Warn about an address host that the certificate names only as text,
 * in its CN or a DNS entry. openconnect 9 compares an address with the
 * IP entries of subjectAltName alone, so it rejects such a certificate.
 */
static void
certdiag_check_ip_host(struct certdiag *d, const struct config_tgroup *tg,
    const char *url, const char *host, X509 *leaf, const char *path)
{
	if (X509_check_ip_asc(leaf, host, 0) == 1)
		return;
	if (certdiag_names_host(leaf, host) > 0)
		certdiag_say(d, CERTDIAG_WARNING, "group-url %s of "
		    "tunnel-group %s: address %s is in certificate %s only as "
		    "text (its CN or DNS:%s), which openconnect rejects: add "
		    "IP:%s to subjectAltName", url, tg->name, host, path, host,
		    host);
	else
		certdiag_say(d, CERTDIAG_WARNING, "group-url %s of "
		    "tunnel-group %s: address %s is not a subjectAltName of "
		    "certificate %s, so clients that check the name (a "
		    "phone's Host ID check) reject it: issue a certificate "
		    "with IP:%s in subjectAltName (Cisco's phone guides also "
		    "put the address in the CN), or use a host name in the "
		    "group-url", url, tg->name, host, path, host);
}

static void
certdiag_check_host(struct certdiag *d, const struct config_tgroup *tg,
    const char *url, const char *host, X509 *leaf, const char *path)
{
	int match;

	if (certdiag_host_is_ip(host)) {
		certdiag_check_ip_host(d, tg, url, host, leaf, path);
		return;
	}
	match = certdiag_names_host(leaf, host);
	if (match < 0)
		certdiag_say(d, CERTDIAG_WARNING, "group-url %s of "
		    "tunnel-group %s: host %s is neither the CN nor a "
		    "subjectAltName of certificate %s, so clients that check "
		    "the name (a phone's Host ID check) refuse it: issue a "
		    "certificate with DNS:%s in subjectAltName, or change the "
		    "group-url", url, tg->name, host, path, host);
	else if (match == 0 && tg->phone)
		certdiag_say(d, CERTDIAG_WARNING, "group-url %s of phone "
		    "tunnel-group %s: host %s matches certificate %s only "
		    "through a wildcard, which a phone's Host ID check "
		    "rejects: issue a certificate that names %s itself",
		    url, tg->name, host, path, host);
}

static void
certdiag_check_rsa(struct certdiag *d, STACK_OF(X509) *certs,
    const char *path)
{
	EVP_PKEY *key;

	if (certs == NULL || sk_X509_num(certs) == 0)
		return;
	key = X509_get0_pubkey(sk_X509_value(certs, 0));
	if (key != NULL && EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
		certdiag_say(d, CERTDIAG_WARNING, "certificate %s serves a "
		    "phone tunnel-group but its key is %s, not RSA: older "
		    "phones only do RSA key exchange, so use an RSA key",
		    path, OBJ_nid2sn(EVP_PKEY_get_base_id(key)));
}

/* Listener settings that phones need, checked once per listener. */
static void
certdiag_check_phone_listener(struct certdiag *d, size_t i,
    const struct config_listener *l, struct certdiag_listener *dl)
{
	if (dl->phone_checked)
		return;
	dl->phone_checked = true;
	certdiag_check_rsa(d, dl->sent, l->certificate);
	certdiag_check_rsa(d, dl->next, l->next_certificate);
	if (l->udp_port != DTLS_OFFER_PHONE_PORT)
		certdiag_say(d, CERTDIAG_WARNING, "listener %zu serves a phone "
		    "tunnel-group with DTLS on UDP port %u, but phones send "
		    "DTLS only to port 443: set udp-port = 443", i + 1,
		    l->udp_port);
	if (l->tls_min_version > TLS1_VERSION)
		certdiag_say(d, CERTDIAG_WARNING, "listener %zu serves a phone "
		    "tunnel-group but accepts no TLS 1.0, the only version of "
		    "7900, 8900 and 9900 series phones: %s", i + 1,
		    l->tls_profile == TLS_PROFILE_PHONE ? "remove its "
		    "tls-min-version, which overrides tls-profile \"phone\"" :
		    "set tls-profile = \"phone\" if such phones log in");
}

/*
 * OpenSSL 3 refuses TLS 1.0 and 1.1 at its default security level, which
 * only the phone profile lowers, so below TLS 1.2 such a listener fails
 * every handshake.
 */
static void
certdiag_check_old_tls(struct certdiag *d, size_t i,
    const struct config_listener *l)
{
	if (l->tls_min_version >= TLS1_2_VERSION ||
	    l->tls_profile == TLS_PROFILE_PHONE)
		return;
	certdiag_say(d, CERTDIAG_WARNING, "listener %zu: tls-min-version "
	    "allows TLS %s, but OpenSSL refuses TLS 1.0 and 1.1 at its "
	    "default security level, so those clients fail the handshake: "
	    "set tls-profile = \"phone\", which lowers it", i + 1,
	    l->tls_min_version == TLS1_VERSION ? "1.0" : "1.1");
}

static void
certdiag_check_url(struct certdiag *d, const struct config *cfg,
    const struct config_tgroup *tg, const char *url,
    struct certdiag_listener *dls)
{
	struct groupurl u;
	char host[256];
	unsigned port;
	size_t i, served = 0;

	if (groupurl_parse(url, &u) != 0)
		return;
	certdiag_host_port(u.host, host, sizeof(host), &port);
	for (i = 0; i < cfg->nlisteners; i++) {
		const struct config_listener *l = &cfg->listeners[i];

		if (l->tcp_port != port || dls[i].sent == NULL)
			continue;
		served++;
		certdiag_check_host(d, tg, url, host,
		    sk_X509_value(dls[i].sent, 0), l->certificate);
		if (dls[i].next != NULL)
			certdiag_check_host(d, tg, url, host,
			    sk_X509_value(dls[i].next, 0),
			    l->next_certificate);
		if (tg->phone)
			certdiag_check_phone_listener(d, i, l, &dls[i]);
	}
	if (served == 0)
		certdiag_say(d, CERTDIAG_WARNING, "group-url %s of "
		    "tunnel-group %s names TCP port %u, but no listener has "
		    "tcp-port %u: add one or fix the URL", url, tg->name, port,
		    port);
}

static void
certdiag_check_groups(struct certdiag *d, const struct config *cfg,
    struct certdiag_listener *dls)
{
	size_t i, j;

	for (i = 0; i < cfg->ntgroups; i++) {
		const struct config_tgroup *tg = &cfg->tgroups[i];
		const struct config_policy *pol = &cfg->policies[tg->policy];

		for (j = 0; j < tg->nurls; j++)
			certdiag_check_url(d, cfg, tg, tg->urls[j], dls);
		if (tg->phone && pol->split != SPLIT_TUNNEL_ALL)
			certdiag_say(d, CERTDIAG_WARNING, "phone tunnel-group "
			    "%s uses group-policy %s, which splits the tunnel; "
			    "phones need all traffic in the tunnel: set "
			    "split-tunnel = \"tunnel-all\" in a group-policy "
			    "for phones", tg->name, pol->name);
	}
}

/*
 * A CRL past its nextUpdate fails every verification that uses it, so
 * the group's certificate logins then get 503 until a new one is read.
 */
static void
certdiag_check_crl(struct certdiag *d, const struct config_tgroup *tg,
    X509_CRL *crl)
{
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
	char issuer[CERT_NAME_MAX], date[64];
	int days, secs;

	if (next == NULL || ASN1_TIME_diff(&days, &secs, NULL, next) != 1 ||
	    days >= CERTDIAG_CRL_DAYS)
		return;
	cert_name_format(X509_CRL_get_issuer(crl), issuer, sizeof(issuer));
	cert_date_format(next, date, sizeof(date));
	if (days < 0 || secs < 0)
		certdiag_say(d, CERTDIAG_WARNING, "crl-file %s of tunnel-group "
		    "%s: the CRL of \"%s\" expired on %s, so certificate "
		    "logins to this group get 503: publish a new CRL",
		    tg->crl_file, tg->name, issuer, date);
	else
		certdiag_say(d, CERTDIAG_WARNING, "crl-file %s of tunnel-group "
		    "%s: the CRL of \"%s\" expires on %s: publish a new CRL "
		    "before then, or certificate logins to this group get 503",
		    tg->crl_file, tg->name, issuer, date);
}

/*
 * Warn about a CA of ca-files outside its dates: every client certificate
 * under it fails, and the clients get 401 as if theirs were bad.
 */
static void
certdiag_check_ca_dates(struct certdiag *d, const struct config_tgroup *tg,
    const char *path, X509 *x)
{
	char subject[CERT_NAME_MAX], date[64];

	cert_name_format(X509_get_subject_name(x), subject, sizeof(subject));
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
		cert_date_format(X509_get0_notAfter(x), date, sizeof(date));
		certdiag_say(d, CERTDIAG_WARNING, "ca-files entry %s of "
		    "tunnel-group %s: CA \"%s\" expired on %s, so every "
		    "certificate under it fails with 401: put the CA's renewed "
		    "certificate in its place", path, tg->name, subject, date);
	} else if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
		cert_date_format(X509_get0_notBefore(x), date, sizeof(date));
		certdiag_say(d, CERTDIAG_WARNING, "ca-files entry %s of "
		    "tunnel-group %s: CA \"%s\" is valid only from %s, so "
		    "every certificate under it fails with 401 until then: "
		    "check the host's clock", path, tg->name, subject, date);
	}
}

/*
 * Return the CAs of the group's ca-files that can be read, or NULL, and
 * warn about each that is not a CA: no client certificate verifies
 * against it.
 */
static STACK_OF(X509) *
certdiag_group_cas(struct certdiag *d, const struct config_tgroup *tg)
{
	STACK_OF(X509) *cas = sk_X509_new_null(), *certs;
	char subject[CERT_NAME_MAX];
	X509 *x;
	size_t i;

	for (i = 0; cas != NULL && i < tg->nca_files; i++) {
		if (cert_read_file(tg->ca_files[i], &certs) < 0)
			continue;	/* the trust store load reports it */
		while ((x = sk_X509_shift(certs)) != NULL) {
			/* A self-signed one is its own trust anchor. */
			if (X509_check_ca(x) == 0 &&
			    X509_check_issued(x, x) != X509_V_OK) {
				cert_name_format(X509_get_subject_name(x),
				    subject, sizeof(subject));
				certdiag_say(d, CERTDIAG_WARNING, "ca-files "
				    "entry %s of tunnel-group %s: \"%s\" is "
				    "not a CA certificate, so no client "
				    "certificate verifies against it: give "
				    "the CA that issued the clients' "
				    "certificates", tg->ca_files[i], tg->name,
				    subject);
			}
			certdiag_check_ca_dates(d, tg, tg->ca_files[i], x);
			sk_X509_push(cas, x);
		}
		sk_X509_free(certs);
	}
	return (cas);
}

/*
 * Return whether one of the CAs signed crl. A CRL whose issuer matches one
 * of them but whose signature fails gets a warning of its own, because
 * the checks of that CA's certificates cannot use it.
 */
static bool
certdiag_crl_from_cas(struct certdiag *d, const struct config_tgroup *tg,
    X509_CRL *crl, STACK_OF(X509) *cas)
{
	char issuer[CERT_NAME_MAX];
	int signer = cert_crl_signer(cas, crl);

	if (signer < 0) {
		cert_name_format(X509_CRL_get_issuer(crl), issuer,
		    sizeof(issuer));
		certdiag_say(d, CERTDIAG_WARNING, "crl-file %s of tunnel-group "
		    "%s: the CRL of \"%s\" does not verify with that CA's key "
		    "in ca-files, so logins with certificates of that CA get "
		    "503: take the CRL from the CA itself", tg->crl_file,
		    tg->name, issuer);
	}
	return (signer > 0);
}

/*
 * Warn about a crl-file with no CRL of the group's CAs. Certificate
 * checks need the CRL of the CA that issued the client's certificate,
 * which may also be an intermediate that the client sends.
 */
static void
certdiag_check_group_crls(struct certdiag *d, const struct config_tgroup *tg,
    STACK_OF(X509) *cas)
{
	STACK_OF(X509_CRL) *crls;
	int j, matched = 0;

	if (tg->crl_file[0] == '\0' ||
	    cert_read_crl_file(tg->crl_file, &crls) != 0)
		return;
	for (j = 0; j < sk_X509_CRL_num(crls); j++) {
		certdiag_check_crl(d, tg, sk_X509_CRL_value(crls, j));
		if (cas != NULL && certdiag_crl_from_cas(d, tg,
		    sk_X509_CRL_value(crls, j), cas))
			matched++;
	}
	if (cas != NULL && sk_X509_num(cas) > 0 && matched == 0)
		certdiag_say(d, CERTDIAG_WARNING, "crl-file %s of tunnel-group "
		    "%s has no CRL signed by a CA in its ca-files, so "
		    "certificate logins to this group get 503 unless the "
		    "clients send the intermediate CAs that signed its CRLs: "
		    "put in it the CRL of each CA that issues client "
		    "certificates", tg->crl_file, tg->name);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
}

/* Check each group's ca-files, then its crl-file against those CAs. */
static void
certdiag_check_trust(struct certdiag *d, const struct config *cfg)
{
	STACK_OF(X509) *cas;
	size_t i;

	for (i = 0; i < cfg->ntgroups; i++) {
		cas = certdiag_group_cas(d, &cfg->tgroups[i]);
		certdiag_check_group_crls(d, &cfg->tgroups[i], cas);
		sk_X509_pop_free(cas, X509_free);
	}
}

int
certdiag_config(const struct config *cfg, certdiag_print_fn *print,
    void *arg)
{
	struct certdiag d = { print, arg, 0 };
	struct certdiag_listener dls[CONFIG_MAX_LISTENERS];
	size_t i;
	int rc = 0;

	memset(dls, 0, sizeof(dls));
	for (i = 0; i < cfg->nlisteners && rc == 0; i++) {
		const struct config_listener *l = &cfg->listeners[i];

		if ((rc = certdiag_listener_load(&d, l, &dls[i])) != 0)
			break;
		certdiag_say(&d, CERTDIAG_INFO, "listener %zu (%s, TCP port "
		    "%u): certificate %s", i + 1, l->address, l->tcp_port,
		    l->certificate);
		certdiag_print_stack(&d, dls[i].sent, "leaf", "chain");
		certdiag_check_expiry(&d, dls[i].sent, l->certificate);
		certdiag_check_not_yet(&d, dls[i].sent, l->certificate);
		certdiag_check_chain_order(&d, dls[i].sent, l->certificate);
		certdiag_check_old_tls(&d, i, l);
		if (dls[i].next == NULL)
			continue;
		certdiag_say(&d, CERTDIAG_INFO, "listener %zu: "
		    "next-certificate %s", i + 1, l->next_certificate);
		certdiag_print_stack(&d, dls[i].next, "leaf", "chain");
		certdiag_check_expiry(&d, dls[i].next, l->next_certificate);
	}
	if (rc == 0) {
		certdiag_check_groups(&d, cfg, dls);
		certdiag_check_trust(&d, cfg);
	}
	for (i = 0; i < cfg->nlisteners; i++) {
		sk_X509_pop_free(dls[i].sent, X509_free);
		sk_X509_pop_free(dls[i].next, X509_free);
	}
	ERR_clear_error();	/* what the checks left, for later messages */
	return (rc != 0 ? rc : d.warnings);
}
