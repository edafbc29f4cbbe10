/*
 * show certificates, declared in status.h: for each listener the server
 * certificate, its chain and the next certificate. Cisco IP phones pin
 * the server by certHash, base64(SHA-1(DER of a certificate)).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cfgbundle.h"
#include "netproc.h"
#include "regfile.h"
#include "status.h"

#define STATUSCERT_NAME_MAX	512
#define STATUSCERT_ALT_NAME_MAX	300	/* "DNS:" and a name of 255 */

void
statuscert_load_next(struct netproc *np, const struct cfgbundle *files)
{
	struct status *st = np->status;
	const char *path;
	size_t i;
	BIO *bio;
	int err;

	for (i = 0; i < CONFIG_MAX_LISTENERS; i++) {
		X509_free(st->next_cert[i]);
		st->next_cert[i] = NULL;
		st->next_error[i][0] = '\0';
	}
	for (i = 0; i < np->cfg->nlisteners; i++) {
		path = np->cfg->listeners[i].next_certificate;
		if (path[0] == '\0')
			continue;
		if ((bio = cfgbundle_open(files, path, &err)) == NULL) {
			snprintf(st->next_error[i], sizeof(st->next_error[i]),
			    "cannot read the file: %s", regfile_strerror(err));
			continue;
		}
		st->next_cert[i] = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (st->next_cert[i] == NULL)
			snprintf(st->next_error[i], sizeof(st->next_error[i]),
			    "the file holds no PEM certificate");
	}
}

static int
statuscert_time(const ASN1_TIME *at, time_t *t)
{
	struct tm tm;

	if (at == NULL || ASN1_TIME_to_tm(at, &tm) != 1)
		return (-EINVAL);
	*t = timegm(&tm);
	return (0);
}

int
statuscert_not_after(SSL_CTX *ctx, time_t *t)
{
	X509 *x = ctx != NULL ? SSL_CTX_get0_certificate(ctx) : NULL;

	if (x == NULL || statuscert_time(X509_get0_notAfter(x), t) != 0)
		return (-ENOENT);
	return (0);
}

static json_object *
statuscert_name(const X509_NAME *name)
{
	char buf[STATUSCERT_NAME_MAX] = "";
	BIO *bio = BIO_new(BIO_s_mem());
	int n;

	if (bio == NULL)
		return (NULL);
	X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
	n = BIO_read(bio, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	BIO_free(bio);
	return (statusjson_string(buf));
}

/* "AB:CD:..." of the digest of the DER encoding. */
static json_object *
statuscert_fingerprint(const X509 *x, const EVP_MD *md)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	char text[3 * EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	if (X509_digest(x, md, digest, &len) != 1 || len == 0)
		return (NULL);
	for (i = 0; i < len; i++)
		snprintf(text + 3 * i, 4, "%02X%s", digest[i],
		    i + 1 < len ? ":" : "");
	return (json_object_new_string(text));
}

/* base64(SHA-1(DER)), the certHash of an IP phone's configuration. */
static json_object *
statuscert_phone_hash(const X509 *x)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned char text[4 * EVP_MAX_MD_SIZE / 3 + 4];
	unsigned int len = 0;

	if (X509_digest(x, EVP_sha1(), digest, &len) != 1)
		return (NULL);
	EVP_EncodeBlock(text, digest, (int)len);
	return (json_object_new_string((const char *)text));
}

static json_object *
statuscert_serial(const X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	json_object *o = hex != NULL ? json_object_new_string(hex) : NULL;

	OPENSSL_free(hex);
	BN_free(bn);
	return (o);
}

static void
statuscert_add_validity(json_object *o, const X509 *x)
{
	time_t before, after;

	if (statuscert_time(X509_get0_notBefore(x), &before) == 0)
		json_object_object_add(o, "not_before",
		    statusjson_time(before));
	if (statuscert_time(X509_get0_notAfter(x), &after) != 0)
		return;
	json_object_object_add(o, "not_after", statusjson_time(after));
	json_object_object_add(o, "not_after_unix",
	    json_object_new_int64((int64_t)after));
	/* Whole days left, rounded down, and negative once expired. */
	json_object_object_add(o, "days_left", json_object_new_int64(
	    (int64_t)((after - time(NULL)) / 86400)));
}

/* One subjectAltName entry as "DNS:name" or "IP:address", or NULL. */
static json_object *
statuscert_alt_name(const GENERAL_NAME *g)
{
	const ASN1_OCTET_STRING *ip = g->d.iPAddress;
	char text[STATUSCERT_ALT_NAME_MAX], addr[INET6_ADDRSTRLEN];

	if (g->type == GEN_DNS) {
		snprintf(text, sizeof(text), "DNS:%.*s",
		    ASN1_STRING_length(g->d.dNSName),
		    (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		return (statusjson_string(text));
	}
	if (g->type != GEN_IPADD || (ip->length != 4 && ip->length != 16) ||
	    inet_ntop(ip->length == 4 ? AF_INET : AF_INET6, ip->data, addr,
	    sizeof(addr)) == NULL)
		return (NULL);
	snprintf(text, sizeof(text), "IP:%s", addr);
	return (statusjson_string(text));
}

/*
 * The DNS and IP entries of subjectAltName, which clients and a phone's
 * Host ID check compare with the host of the URL.
 */
static json_object *
statuscert_alt_names(const X509 *x)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name,
	    NULL, NULL);
	json_object *list = json_object_new_array(), *name;
	int i;

	for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		name = statuscert_alt_name(sk_GENERAL_NAME_value(names, i));
		if (name != NULL)
			json_object_array_add(list, name);
	}
	GENERAL_NAMES_free(names);
	return (list);
}

static json_object *
statuscert_describe(const X509 *x)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "subject",
	    statuscert_name(X509_get_subject_name(x)));
	json_object_object_add(o, "issuer",
	    statuscert_name(X509_get_issuer_name(x)));
	json_object_object_add(o, "serial", statuscert_serial(x));
	json_object_object_add(o, "names", statuscert_alt_names(x));
	statuscert_add_validity(o, x);
	json_object_object_add(o, "phone_cert_hash",
	    statuscert_phone_hash(x));
	json_object_object_add(o, "sha1_fingerprint",
	    statuscert_fingerprint(x, EVP_sha1()));
	json_object_object_add(o, "sha256_fingerprint",
	    statuscert_fingerprint(x, EVP_sha256()));
	return (o);
}

/*
 * The next certificate with its path, its error when it could not be
 * read, or null when the listener has no next-certificate.
 */
static json_object *
statuscert_next(struct netproc *np, size_t i)
{
	const char *path = np->cfg->listeners[i].next_certificate;
	json_object *o;

	if (path[0] == '\0')
		return (NULL);
	if (np->status->next_cert[i] != NULL) {
		o = statuscert_describe(np->status->next_cert[i]);
	} else {
		o = json_object_new_object();
		json_object_object_add(o, "error",
		    statusjson_string(np->status->next_error[i]));
	}
	json_object_object_add(o, "path", statusjson_string(path));
	return (o);
}

/*
 * The chain certificates that the listener sends after its own, whose
 * certHash a phone may pin in place of the leaf's.
 */
static json_object *
statuscert_chain(SSL_CTX *ctx)
{
	json_object *list = json_object_new_array();
	STACK_OF(X509) *chain = NULL;
	int i;

	if (ctx == NULL || SSL_CTX_get0_chain_certs(ctx, &chain) != 1)
		return (list);
	for (i = 0; i < sk_X509_num(chain); i++)
		json_object_array_add(list,
		    statuscert_describe(sk_X509_value(chain, i)));
	return (list);
}

static json_object *
statuscert_listener(struct netproc *np, size_t i)
{
	const struct config_listener *l = &np->cfg->listeners[i];
	json_object *o = json_object_new_object();
	X509 *x = np->tls[i] != NULL ?
	    SSL_CTX_get0_certificate(np->tls[i]) : NULL;
	char name[INET6_ADDRSTRLEN + 8];

	snprintf(name, sizeof(name), "%s:%u", l->address, l->tcp_port);
	json_object_object_add(o, "listener", json_object_new_string(name));
	json_object_object_add(o, "path", statusjson_string(l->certificate));
	json_object_object_add(o, "current",
	    x != NULL ? statuscert_describe(x) : NULL);
	json_object_object_add(o, "chain", statuscert_chain(np->tls[i]));
	json_object_object_add(o, "next", statuscert_next(np, i));
	return (o);
}

json_object *
statuscert_show(struct status_request *req)
{
	json_object *o = json_object_new_object();
	json_object *list = json_object_new_array();
	size_t i;

	for (i = 0; i < req->np->cfg->nlisteners; i++)
		json_object_array_add(list, statuscert_listener(req->np, i));
	json_object_object_add(o, "certificates", list);
	return (o);
}
