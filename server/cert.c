/* Client certificate checks per tunnel-group, declared in cert.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "certcrl.h"
#include "cfgbundle.h"
#include "certname.h"
#include "log.h"
#include "netproc.h"
#include "regfile.h"
#include "session.h"
#include "tls.h"

/* The trust store of one tunnel-group that uses certificates. */
struct cert_group {
	STACK_OF(X509)	*cg_cas;	/* from ca-files, kept for rebuilds */
	STACK_OF(X509_CRL) *cg_crls;	/* from crl-file, NULL without one */
	X509_STORE	*cg_store;	/* the CAs and the current CRLs */
	struct stat	cg_crl_stat;	/* of the CRL file last read */
	time_t		cg_crl_requested;	/* 0 once the reply came */
	bool		cg_crl_warned;	/* a failed read of this state */
	int		cg_crl_warned_err;	/* the error it logged */
};

/* The dates of a CRL that failed a check, noted during the check. */
struct cert_crl_note {
	int	err;		/* 0 until a CRL is noted */
	char	issuer[CERT_NAME_MAX];
	char	date[64];	/* nextUpdate if expired, else lastUpdate */
};

/* Trust stores loaded for a configuration, not yet in use. */
struct cert_stores {
	struct cert_group groups[CONFIG_MAX_TGROUPS];
};

static void	cert_sweep(size_t tgroup, bool warn);

/*
 * Loaded by the parent before it forks, so the network process inherits
 * the stores and needs no access to the CA files.
 */
static struct {
	const struct config *cfg;
	struct netproc	*np;
	struct event	*poll;
	struct event	*replies;	/* CRL files from the parent */
	struct cert_group groups[CONFIG_MAX_TGROUPS];
} cert_state;

/* Read every PEM certificate of bio into a new stack; bio is freed. */
static int
cert_read_bio(BIO *bio, STACK_OF(X509) **out)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509 *x;
	int n;

	if (certs == NULL || bio == NULL) {
		sk_X509_free(certs);
		BIO_free(bio);
		return (-ENOMEM);
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(certs, x) <= 0) {
			X509_free(x);
			break;
		}
	}
	n = tls_pem_ended() ? sk_X509_num(certs) : -EBADMSG;
	BIO_free(bio);
	if (n <= 0) {
		sk_X509_pop_free(certs, X509_free);
		return (n < 0 ? n : -EINVAL);
	}
	*out = certs;
	return (n);
}

/* The message below gives the size in MiB. */
_Static_assert(CFGBUNDLE_FILE_MAX == 32u * 1024 * 1024,
    "cert_read_strerror names another size");

const char *
cert_read_strerror(int err, bool crl)
{
	if (err == EINVAL)
		return (crl ? "it holds no PEM or DER CRL" :
		    "it holds no PEM certificate");
	if (err == EBADMSG)
		return ("a PEM block in it is damaged or cut short: put a "
		    "whole copy in its place");
	if (err == E2BIG && crl)
		return ("it holds bytes after its one DER CRL: write each CRL "
		    "as PEM (\"openssl crl -inform der -in FILE\") and put "
		    "those in the file, one after the other");
	if (err == EFBIG)
		return ("it is larger than 32 MiB, the most that headend "
		    "reads: keep only the certificates or CRLs that this "
		    "setting needs");
	return (regfile_strerror(err));
}

const char *
cert_der_hint(int err)
{
	return (err == EINVAL ? "; a DER certificate converts with \"openssl "
	    "x509 -inform der -in FILE -out NEW.pem\"" : "");
}

int
cert_read_file(const char *path, STACK_OF(X509) **out)
{
	BIO *bio;
	int err;

	if ((bio = cfgbundle_open(NULL, path, &err)) == NULL)
		return (-err);
	return (cert_read_bio(bio, out));
}

/* Read every PEM CRL of bio, or one DER CRL; bio is freed. */
static int
cert_read_crls_bio(BIO *bio, STACK_OF(X509_CRL) **out)
{
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	X509_CRL *crl;
	char extra;
	int rc = 0;

	if (crls == NULL || bio == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	while ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL)
		if (sk_X509_CRL_push(crls, crl) <= 0)
			X509_CRL_free(crl);
	if (!tls_pem_ended()) {
		rc = -EBADMSG;
		goto out;
	}
	if (sk_X509_CRL_num(crls) == 0 && BIO_reset(bio) == 0 &&
	    (crl = d2i_X509_CRL_bio(bio, NULL)) != NULL) {
		if (sk_X509_CRL_push(crls, crl) <= 0)
			X509_CRL_free(crl);

		/* A DER file contains one CRL, so more would be lost unseen. */
		if (BIO_read(bio, &extra, 1) > 0)
			rc = -E2BIG;
	}
	ERR_clear_error();
	if (rc == 0 && sk_X509_CRL_num(crls) == 0)
		rc = -EINVAL;
out:
	BIO_free(bio);
	if (rc != 0)
		sk_X509_CRL_pop_free(crls, X509_CRL_free);
	else
		*out = crls;
	return (rc);
}

int
cert_read_crl_file(const char *path, STACK_OF(X509_CRL) **out)
{
	BIO *bio;
	int err;

	if ((bio = cfgbundle_open(NULL, path, &err)) == NULL)
		return (-err);
	return (cert_read_crls_bio(bio, out));
}

/* A new store of the group's CAs and the given CRLs. */
static X509_STORE *
cert_store_build(STACK_OF(X509) *cas, STACK_OF(X509_CRL) *crls)
{
	X509_STORE *store = X509_STORE_new();
	int i;

	if (store == NULL)
		return (NULL);
	for (i = 0; i < sk_X509_num(cas); i++)
		X509_STORE_add_cert(store, sk_X509_value(cas, i));
	for (i = 0; crls != NULL && i < sk_X509_CRL_num(crls); i++)
		X509_STORE_add_crl(store, sk_X509_CRL_value(crls, i));
	if (crls != NULL)
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK |
		    X509_V_FLAG_CRL_CHECK_ALL);
	/* A CA listed twice leaves "already in hash table" behind. */
	ERR_clear_error();
	return (store);
}

static void
cert_report(cert_error_fn *on_error, void *arg, const struct config *cfg,
    const struct config_tgroup *tg, int at, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Report an error of tunnel-group tg at configuration line at. */
static void
cert_report(cert_error_fn *on_error, void *arg, const struct config *cfg,
    const struct config_tgroup *tg, int at, const char *fmt, ...)
{
	char msg[1024], line[PATH_MAX + CONFIG_NAME_MAX + 1100];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s:%d: tunnel-group \"%s\": %s",
	    cfg->path, at, tg->name, msg);
	on_error(arg, line);
}

static int
cert_load_cas(const struct config *cfg, const struct config_tgroup *tg,
    const struct cfgbundle *files, struct cert_group *g,
    cert_error_fn *on_error, void *arg)
{
	STACK_OF(X509) *certs;
	BIO *bio;
	size_t i;
	int n, errors = 0;

	g->cg_cas = sk_X509_new_null();
	for (i = 0; i < tg->nca_files && g->cg_cas != NULL; i++) {
		bio = cfgbundle_open(files, tg->ca_files[i], &n);
		n = bio == NULL ? -n : cert_read_bio(bio, &certs);
		if (n < 0) {
			cert_report(on_error, arg, cfg, tg,
			    tg->ca_file_lines[i], "cannot read CA "
			    "certificates from ca-files entry %s: %s%s",
			    tg->ca_files[i], cert_read_strerror(-n, false),
			    cert_der_hint(-n));
			errors++;
			continue;
		}
		while (sk_X509_num(certs) > 0)
			sk_X509_push(g->cg_cas, sk_X509_shift(certs));
		sk_X509_free(certs);
	}
	return (g->cg_cas == NULL ? errors + 1 : errors);
}

/*
 * From the file system, the file's state is recorded so that the network
 * process reads it again only after a change. From a bundle it is left
 * empty, so the first check reads the file again: it may have changed
 * since the parent read it.
 */
static int
cert_load_crl(const struct config *cfg, const struct config_tgroup *tg,
    const struct cfgbundle *files, struct cert_group *g,
    cert_error_fn *on_error, void *arg)
{
	BIO *bio;
	int rc = 0;

	if (tg->crl_file[0] == '\0')
		return (0);
	if (files == NULL && stat(tg->crl_file, &g->cg_crl_stat) != 0)
		rc = -errno;
	else if ((bio = cfgbundle_open(files, tg->crl_file, &rc)) == NULL)
		rc = -rc;
	else
		rc = cert_read_crls_bio(bio, &g->cg_crls);
	if (rc != 0) {
		cert_report(on_error, arg, cfg, tg, tg->crl_file_line,
		    "cannot read crl-file %s: %s", tg->crl_file,
		    cert_read_strerror(-rc, true));
		return (1);
	}
	return (0);
}

static void
cert_group_free(struct cert_group *g)
{
	sk_X509_pop_free(g->cg_cas, X509_free);
	sk_X509_CRL_pop_free(g->cg_crls, X509_CRL_free);
	X509_STORE_free(g->cg_store);
	memset(g, 0, sizeof(*g));
}

int
cert_stores_load(const struct config *cfg, const struct cfgbundle *files,
    struct cert_stores **out, cert_error_fn *on_error, void *arg)
{
	const struct config_tgroup *tg;
	struct cert_stores *st;
	struct cert_group *g;
	size_t i;
	int errors = 0;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		on_error(arg, "cannot load the client certificate CAs: out of "
		    "memory");
		return (1);
	}
	for (i = 0; i < cfg->ntgroups; i++) {
		tg = &cfg->tgroups[i];
		g = &st->groups[i];
		if (tg->auth == AUTH_METHOD_PASSWORD || tg->retired)
			continue;
		errors += cert_load_cas(cfg, tg, files, g, on_error, arg);
		errors += cert_load_crl(cfg, tg, files, g, on_error, arg);
		if (errors == 0 &&
		    (g->cg_store = cert_store_build(g->cg_cas,
		    g->cg_crls)) == NULL) {
			cert_report(on_error, arg, cfg, tg, tg->line,
			    "out of memory");
			errors++;
		}
	}
	if (errors != 0)
		cert_stores_free(st);
	else
		*out = st;
	return (errors);
}

void
cert_stores_free(struct cert_stores *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < CONFIG_MAX_TGROUPS; i++)
		cert_group_free(&st->groups[i]);
	free(st);
}

/*
 * A retired tunnel-group keeps its trust store and CRLs for its sessions,
 * which the CRL sweep still checks; every other slot takes the new one.
 */
void
cert_stores_install(struct cert_stores *st, const struct config *cfg)
{
	size_t i;

	for (i = 0; i < CONFIG_MAX_TGROUPS; i++) {
		if (i < cfg->ntgroups && cfg->tgroups[i].retired)
			continue;
		cert_group_free(&cert_state.groups[i]);
		cert_state.groups[i] = st->groups[i];
		memset(&st->groups[i], 0, sizeof(st->groups[i]));
	}
	cert_stores_free(st);
	cert_state.cfg = cfg;
	if (cert_state.np == NULL)
		return;
	for (i = 0; i < cfg->ntgroups; i++)
		if (cert_state.groups[i].cg_crls != NULL)
			cert_sweep(i, false);
}

int
cert_load(const struct config *cfg, cert_error_fn *on_error, void *arg)
{
	struct cert_stores *st;
	int errors;

	errors = cert_stores_load(cfg, NULL, &st, on_error, arg);
	if (errors == 0)
		cert_stores_install(st, cfg);
	return (errors);
}

void
cert_unload(void)
{
	size_t i;

	for (i = 0; i < CONFIG_MAX_TGROUPS; i++)
		cert_group_free(&cert_state.groups[i]);
}

static int
cert_name_cmp(const X509_NAME *const *a, const X509_NAME *const *b)
{
	return (X509_NAME_cmp(*a, *b));
}

/* The subjects of every loaded CA, without repeats. */
static STACK_OF(X509_NAME) *
cert_ca_names(const struct config *cfg)
{
	STACK_OF(X509_NAME) *names = sk_X509_NAME_new(cert_name_cmp);
	X509_NAME *name;
	size_t i;
	int j;

	for (i = 0; names != NULL && i < cfg->ntgroups; i++) {
		STACK_OF(X509) *cas = cert_state.groups[i].cg_cas;

		for (j = 0; cas != NULL && j < sk_X509_num(cas); j++) {
			name = X509_get_subject_name(sk_X509_value(cas, j));
			if (sk_X509_NAME_find(names, name) >= 0)
				continue;
			if ((name = X509_NAME_dup(name)) == NULL ||
			    sk_X509_NAME_push(names, name) <= 0)
				X509_NAME_free(name);
		}
	}
	return (names);
}

void
cert_setup_listeners(const struct config *cfg, SSL_CTX **tls)
{
	size_t i;
	bool used = false;

	for (i = 0; i < cfg->ntgroups; i++)
		used |= cfg->tgroups[i].auth != AUTH_METHOD_PASSWORD;
	if (!used)
		return;
	for (i = 0; i < cfg->nlisteners; i++) {
		if (tls[i] != NULL)
			tls_ctx_request_client_cert(tls[i],
			    cert_ca_names(cfg));
	}
}

void
cert_name_format(const X509_NAME *name, char *buf, size_t len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int n = 0;

	buf[0] = '\0';
	if (bio == NULL)
		return;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0)
		n = BIO_read(bio, buf, (int)len - 1);
	buf[n > 0 ? n : 0] = '\0';
	BIO_free(bio);
}

void
cert_date_format(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "(unreadable date)");
}

static void
cert_hex(const unsigned char *data, size_t n, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[data[i] >> 4];
		out[2 * i + 1] = hex[data[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
cert_sha256(X509 *x, char out[CERT_SHA256_TEXT])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32)
		return (-EINVAL);
	cert_hex(md, n, out);
	return (0);
}

/* Subject, issuer, serial and fingerprint; the username comes later. */
static int
cert_identity_fill(X509 *x, struct cert_identity *id)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *serial = bn != NULL ? BN_bn2hex(bn) : NULL;
	int rc = -ENOMEM;

	memset(id, 0, sizeof(*id));
	cert_name_format(X509_get_subject_name(x), id->ci_subject,
	    sizeof(id->ci_subject));
	cert_name_format(X509_get_issuer_name(x), id->ci_issuer,
	    sizeof(id->ci_issuer));
	if (serial != NULL && strlen(serial) < sizeof(id->ci_serial)) {
		memcpy(id->ci_serial, serial, strlen(serial) + 1);
		rc = cert_sha256(x, id->ci_sha256);
	} else if (serial != NULL) {
		rc = -E2BIG;
	}
	OPENSSL_free(serial);
	BN_free(bn);
	return (rc);
}

/*
 * Return whether crl names ca's key as its signer, or names no key: an
 * authority key identifier that differs from ca's own belongs to another
 * key of that name, such as a renewed intermediate that clients send.
 */
static bool
cert_crl_claims_key(X509 *ca, X509_CRL *crl)
{
	AUTHORITY_KEYID *akid = X509_CRL_get_ext_d2i(crl,
	    NID_authority_key_identifier, NULL, NULL);
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(ca);
	bool same = akid == NULL || akid->keyid == NULL || skid == NULL ||
	    ASN1_OCTET_STRING_cmp(akid->keyid, skid) == 0;

	AUTHORITY_KEYID_free(akid);
	return (same);
}

int
cert_crl_signer(STACK_OF(X509) *cas, X509_CRL *crl)
{
	bool named = false;
	X509 *ca;
	int i;

	for (i = 0; i < sk_X509_num(cas); i++) {
		ca = sk_X509_value(cas, i);
		if (X509_NAME_cmp(X509_get_subject_name(ca),
		    X509_CRL_get_issuer(crl)) != 0 ||
		    !cert_crl_claims_key(ca, crl))
			continue;
		if (X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1) {
			ERR_clear_error();
			return (1);
		}
		named = true;
	}
	ERR_clear_error();
	return (named ? -1 : 0);
}

/*
 * Return the CRLs of the group that may revoke, without copies. A CRL
 * that names the key of one of the CAs, but that key did not sign it,
 * revokes nothing, and with warn a warning is logged for it. The CRL of
 * an intermediate that clients send is checked in the sweep, with the
 * key of the intermediate that each session sent.
 */
static STACK_OF(X509_CRL) *
cert_crls_revoking(const struct config_tgroup *tg, struct cert_group *g,
    bool warn)
{
	STACK_OF(X509_CRL) *revoking = sk_X509_CRL_new_null();
	char issuer[CERT_NAME_MAX];
	X509_CRL *crl;
	int i;

	for (i = 0; revoking != NULL && i < sk_X509_CRL_num(g->cg_crls); i++) {
		crl = sk_X509_CRL_value(g->cg_crls, i);
		if (cert_crl_signer(g->cg_cas, crl) >= 0) {
			sk_X509_CRL_push(revoking, crl);
			continue;
		}
		if (!warn)
			continue;
		cert_name_format(X509_CRL_get_issuer(crl), issuer,
		    sizeof(issuer));
		log_warnx("tunnel-group %s: crl-file %s: the CRL of \"%s\" "
		    "does not verify with that CA's key in ca-files, so it "
		    "revokes no session and logins with certificates of that "
		    "CA get 503: take the CRL from the CA itself", tg->name,
		    tg->crl_file, issuer);
	}
	return (revoking);
}

/* The sweep's finding about one certificate of a session's chain. */
enum cert_listing {
	CERT_NOT_LISTED,
	CERT_LISTED,		/* by a CRL that its issuer signed */
	CERT_LISTED_FORGED,	/* only by CRLs that its issuer did not sign */
};

/*
 * Find whether a CRL of crls lists the certificate with serial, issued
 * by issuer. A CRL counts only when it names issuer and verifies with
 * issuer's key, so a CRL under the same name from another key revokes
 * nothing. Signatures are checked only for CRLs that list the serial.
 */
static enum cert_listing
cert_listed(STACK_OF(X509_CRL) *crls, const ASN1_INTEGER *serial,
    X509 *issuer)
{
	enum cert_listing found = CERT_NOT_LISTED;
	X509_REVOKED *rev;
	X509_CRL *crl;
	int i;

	for (i = 0; i < sk_X509_CRL_num(crls); i++) {
		crl = sk_X509_CRL_value(crls, i);

		/* Logins use no delta CRLs either (no USE_DELTAS flag). */
		if (X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0)
			continue;
		if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
		    X509_get_subject_name(issuer)) != 0 ||
		    X509_CRL_get0_by_serial(crl, &rev,
		    (ASN1_INTEGER *)serial) != 1)
			continue;
		if (X509_CRL_verify(crl, X509_get0_pubkey(issuer)) == 1) {
			ERR_clear_error();
			return (CERT_LISTED);
		}
		found = CERT_LISTED_FORGED;
	}
	ERR_clear_error();
	return (found);
}

/* Find whether crls list the client's certificate of id. */
static enum cert_listing
cert_leaf_listed(STACK_OF(X509_CRL) *crls, const struct cert_identity *id)
{
	enum cert_listing found = CERT_NOT_LISTED;
	ASN1_INTEGER *serial = NULL;
	BIGNUM *bn = NULL;

	if (sk_X509_num(id->ci_cas) > 0 && BN_hex2bn(&bn, id->ci_serial) > 0 &&
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) != NULL)
		found = cert_listed(crls, serial, sk_X509_value(id->ci_cas, 0));
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return (found);
}

/*
 * Return the issuer of the CA at index i of a verified chain: the next
 * one, or the CA itself at the top when it is self-signed. A root that
 * lists itself in its own CRL is revoked for logins too. Returns NULL
 * when the top is not self-signed.
 */
static X509 *
cert_issuer_in_chain(STACK_OF(X509) *cas, int i)
{
	X509 *ca = sk_X509_value(cas, i);

	if (i + 1 < sk_X509_num(cas))
		return (sk_X509_value(cas, i + 1));
	return (X509_check_issued(ca, ca) == X509_V_OK ? ca : NULL);
}

/*
 * Find whether crls revoke se's certificate or a CA certificate of its
 * chain, and end the session if so. Returns the listing found, so that
 * the caller can warn about a forged CRL.
 */
static enum cert_listing
cert_sweep_session(STACK_OF(X509_CRL) *crls, struct session *se)
{
	STACK_OF(X509) *cas = se->se_cert.ci_cas;
	enum cert_listing found, worst = CERT_NOT_LISTED;
	char subject[CERT_NAME_MAX];
	X509 *ca, *issuer;
	int i;

	found = cert_leaf_listed(crls, &se->se_cert);
	if (found == CERT_LISTED) {
		session_log(se, LOG_INFO, "client certificate serial %s "
		    "(%s) is revoked by the new CRL", se->se_cert.ci_serial,
		    se->se_cert.ci_subject);
		session_destroy(se, "client certificate revoked");
		return (found);
	}
	worst = found;
	for (i = 0; i < sk_X509_num(cas); i++) {
		ca = sk_X509_value(cas, i);
		if ((issuer = cert_issuer_in_chain(cas, i)) == NULL)
			continue;
		found = cert_listed(crls, X509_get0_serialNumber(ca), issuer);
		if (found == CERT_LISTED_FORGED)
			worst = found;
		if (found != CERT_LISTED)
			continue;
		cert_name_format(X509_get_subject_name(ca), subject,
		    sizeof(subject));
		session_log(se, LOG_INFO, "CA certificate \"%s\" of the "
		    "client certificate's chain is revoked by the new CRL",
		    subject);
		session_destroy(se, "CA certificate revoked");
		return (found);
	}
	return (worst);
}

/*
 * End the group's sessions whose certificate chain the current CRLs
 * revoke. With warn, CRLs that cannot revoke because their CA did not
 * sign them are logged. Each CRL's signature is checked once against the
 * CAs of ca-files, and again only for sessions that a CRL lists.
 */
static void
cert_sweep(size_t tgroup, bool warn)
{
	const struct config_tgroup *tg = &cert_state.cfg->tgroups[tgroup];
	struct cert_group *g = &cert_state.groups[tgroup];
	STACK_OF(X509_CRL) *revoking = cert_crls_revoking(tg, g, warn);
	struct session *se, *next;
	bool forged = false;

	if (cert_state.np == NULL || revoking == NULL) {
		sk_X509_CRL_free(revoking);
		return;
	}
	se = TAILQ_FIRST(sessions_list(cert_state.np->sessions));
	for (; se != NULL; se = next) {
		next = TAILQ_NEXT(se, se_entry);
		if (se->se_tgroup != tgroup || se->se_cert.ci_cas == NULL)
			continue;
		if (cert_sweep_session(revoking, se) == CERT_LISTED_FORGED)
			forged = true;
	}
	if (forged && warn)
		log_warnx("tunnel-group %s: crl-file %s lists the certificate "
		    "of a session, or a CA of its chain, under the name of the "
		    "CA that issued it, but that CA's key did not sign it, so "
		    "it revokes nothing: take the CRL from the CA itself",
		    tg->name, tg->crl_file);
	sk_X509_CRL_free(revoking);	/* g->cg_crls owns the CRLs */
}

static bool
cert_stat_changed(const struct stat *a, const struct stat *b)
{
	return (a->st_ino != b->st_ino || a->st_dev != b->st_dev ||
	    a->st_size != b->st_size ||
	    a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
	    a->st_mtim.tv_nsec != b->st_mtim.tv_nsec ||
	    a->st_ctim.tv_sec != b->st_ctim.tv_sec ||
	    a->st_ctim.tv_nsec != b->st_ctim.tv_nsec);
}

/*
 * A failed read keeps the old CRLs, and is logged once per file state
 * and error, so that a file deleted after a bad read is logged too.
 */
static void
cert_crl_failed(struct cert_group *g, const struct config_tgroup *tg,
    const struct stat *st, int err)
{
	if (st != NULL)
		g->cg_crl_stat = *st;
	if (g->cg_crl_warned && g->cg_crl_warned_err == err)
		return;
	g->cg_crl_warned = true;
	g->cg_crl_warned_err = err;
	log_warnx("tunnel-group %s: cannot read crl-file %s (%s); the "
	    "previous CRL stays in force", tg->name, tg->crl_file,
	    cert_read_strerror(err, true));
}

/* Read the CRLs of an open CRL file and put them in force. */
static void
cert_crl_apply(size_t tgroup, int fd)
{
	const struct config_tgroup *tg = &cert_state.cfg->tgroups[tgroup];
	struct cert_group *g = &cert_state.groups[tgroup];
	STACK_OF(X509_CRL) *crls;
	X509_STORE *store;
	struct stat st;
	int rc;

	if (fstat(fd, &st) != 0) {
		cert_crl_failed(g, tg, NULL, errno);
		close(fd);
		return;
	}
	g->cg_crl_warned = false;
	if ((rc = cert_read_crls_bio(BIO_new_fd(fd, BIO_CLOSE), &crls)) != 0) {
		cert_crl_failed(g, tg, &st, -rc);
		return;
	}
	if ((store = cert_store_build(g->cg_cas, crls)) == NULL) {
		sk_X509_CRL_pop_free(crls, X509_CRL_free);
		cert_crl_failed(g, tg, &st, ENOMEM);
		return;
	}
	X509_STORE_free(g->cg_store);
	sk_X509_CRL_pop_free(g->cg_crls, X509_CRL_free);
	g->cg_store = store;
	g->cg_crls = crls;
	g->cg_crl_stat = st;
	log_notice("tunnel-group %s: read %d CRL(s) from %s", tg->name,
	    sk_X509_CRL_num(crls), tg->crl_file);
	cert_sweep(tgroup, true);
}

/*
 * Ask for the CRL file when it changed. Without the parent's opener, as
 * in a process without a sandbox, the file is opened here.
 */
static void
cert_crl_refresh(size_t tgroup)
{
	const struct config_tgroup *tg = &cert_state.cfg->tgroups[tgroup];
	struct cert_group *g = &cert_state.groups[tgroup];
	time_t now = time(NULL);
	struct stat st;
	int fd;

	if (tg->crl_file[0] == '\0' || g->cg_store == NULL || tg->retired)
		return;
	if (stat(tg->crl_file, &st) != 0) {
		cert_crl_failed(g, tg, NULL, errno);
		return;
	}
	if (!cert_stat_changed(&st, &g->cg_crl_stat))
		return;
	if (certcrl_socket() < 0) {
		if ((fd = regfile_open(tg->crl_file)) < 0)
			cert_crl_failed(g, tg, NULL, -fd);
		else
			cert_crl_apply(tgroup, fd);
		return;
	}
	if (g->cg_crl_requested != 0 &&
	    now - g->cg_crl_requested < 2 * CERT_CRL_POLL)
		return;
	if (certcrl_request(tgroup, tg->name) == 0)
		g->cg_crl_requested = now;
}

static void
cert_reply_cb(evutil_socket_t sock, short events, void *arg)
{
	size_t tgroup = 0;
	int rc, fd, open_error;

	(void)sock;
	(void)events;
	(void)arg;
	while ((rc = certcrl_receive(&tgroup, &fd, &open_error)) != -EAGAIN) {
		if (rc == -EPIPE) {
			log_warnx("the CRL file opener is gone; changed CRL "
			    "files take effect after a restart");
			event_del(cert_state.replies);
			return;
		}
		if (rc != 0 || tgroup >= cert_state.cfg->ntgroups) {
			log_warnx("ignoring a malformed reply from the CRL "
			    "file opener");
			if (rc == 0 && fd >= 0)
				close(fd);
			continue;
		}
		cert_state.groups[tgroup].cg_crl_requested = 0;
		if (open_error != 0)
			cert_crl_failed(&cert_state.groups[tgroup],
			    &cert_state.cfg->tgroups[tgroup], NULL,
			    -open_error);
		else
			cert_crl_apply(tgroup, fd);
	}
}

static void
cert_poll_cb(evutil_socket_t fd, short events, void *arg)
{
	size_t i;

	(void)fd;
	(void)events;
	(void)arg;
	for (i = 0; i < cert_state.cfg->ntgroups; i++)
		cert_crl_refresh(i);
}

int
cert_start(struct netproc *np)
{
	struct timeval tv = { CERT_CRL_POLL, 0 };

	/* Polled even without a crl-file: a reload may add one. */
	cert_state.np = np;
	cert_state.cfg = np->cfg;
	cert_state.poll = event_new(np->base, -1, EV_PERSIST, cert_poll_cb,
	    NULL);
	if (cert_state.poll == NULL || event_add(cert_state.poll, &tv) != 0)
		return (-ENOMEM);
	if (certcrl_socket() >= 0) {
		evutil_make_socket_nonblocking(certcrl_socket());
		cert_state.replies = event_new(np->base, certcrl_socket(),
		    EV_READ | EV_PERSIST, cert_reply_cb, NULL);
		if (cert_state.replies == NULL ||
		    event_add(cert_state.replies, NULL) != 0)
			return (-ENOMEM);
	}

	/* The file may have changed since the parent read it. */
	cert_poll_cb(-1, 0, NULL);
	return (0);
}

/* CRL problems are the server's: the client's certificate may be fine. */
static bool
cert_error_is_server_side(int err)
{
	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
	case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
	case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
	case X509_V_ERR_OUT_OF_MEM:
		return (true);
	default:
		return (false);
	}
}

/*
 * Describe a CRL problem, which is the server's: name the crl-file, the
 * CA whose CRL it is and what to do. Returns false for other errors.
 */
static bool
cert_describe_crl_error(X509_STORE_CTX *ctx, int err,
    const struct cert_crl_note *note, const char *crl_file, char *why,
    size_t whylen)
{
	X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
	const char *text = X509_verify_cert_error_string(err);
	char issuer[CERT_NAME_MAX];

	if (err == X509_V_ERR_UNABLE_TO_GET_CRL && bad != NULL) {
		cert_name_format(X509_get_issuer_name(bad), issuer,
		    sizeof(issuer));
		snprintf(why, whylen, "%s: crl-file %s has no CRL of \"%s\": "
		    "add that CA's CRL to it", text, crl_file, issuer);
		return (true);
	}
	if (note->err != err)
		return (false);
	if (err == X509_V_ERR_CRL_HAS_EXPIRED) {
		snprintf(why, whylen, "%s: the CRL of \"%s\" in crl-file %s "
		    "was due for renewal on %s: publish a new CRL from that CA",
		    text, note->issuer, crl_file, note->date);
		return (true);
	}
	if (err == X509_V_ERR_CRL_NOT_YET_VALID) {
		snprintf(why, whylen, "%s: the CRL of \"%s\" in crl-file %s "
		    "is valid only from %s: check the host's clock", text,
		    note->issuer, crl_file, note->date);
		return (true);
	}
	return (false);
}

/*
 * Describe a failed check of a client's chain. The usual causes get the
 * setting that fixes them: a CA missing from ca-files, or the dates of
 * an expired certificate.
 */
static void
cert_describe_error(X509_STORE_CTX *ctx, int err,
    const struct cert_crl_note *note, const struct config_tgroup *tg,
    char *why, size_t whylen)
{
	X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	const char *text = X509_verify_cert_error_string(err);
	const char *group = tg->name;
	char date[64];

	if (cert_describe_crl_error(ctx, err, note, tg->crl_file, why,
	    whylen))
		return;

	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		snprintf(why, whylen, "%s (at chain depth %d): the CA that "
		    "issued it is not in ca-files of tunnel-group %s; add "
		    "that CA's certificate there", text, depth, group);
		return;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		if (bad == NULL)
			break;
		cert_date_format(X509_get0_notAfter(bad), date, sizeof(date));
		snprintf(why, whylen, "%s (at chain depth %d, expired on %s)",
		    text, depth, date);
		return;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		if (bad == NULL)
			break;
		cert_date_format(X509_get0_notBefore(bad), date, sizeof(date));
		snprintf(why, whylen, "%s (at chain depth %d, valid from %s)",
		    text, depth, date);
		return;
	default:
		break;
	}
	snprintf(why, whylen, "%s (at chain depth %d)", text, depth);
}

/*
 * Note the CRL that failed a check for its dates, while OpenSSL still
 * has it: once X509_verify_cert returns, the context no longer does.
 */
static void
cert_note_crl(X509_STORE_CTX *ctx, int err)
{
	struct cert_crl_note *note = X509_STORE_CTX_get_app_data(ctx);
	X509_CRL *crl = X509_STORE_CTX_get0_current_crl(ctx);
	const ASN1_TIME *when;

	if (note == NULL || crl == NULL || note->err != 0)
		return;
	when = err == X509_V_ERR_CRL_HAS_EXPIRED ?
	    X509_CRL_get0_nextUpdate(crl) : X509_CRL_get0_lastUpdate(crl);
	if (when == NULL)
		return;
	note->err = err;
	cert_name_format(X509_CRL_get_issuer(crl), note->issuer,
	    sizeof(note->issuer));
	cert_date_format(when, note->date, sizeof(note->date));
}

/*
 * Require a CRL only from the issuer of the client's certificate. A CA
 * above it is checked against its issuer's CRL when the file has one,
 * so a revoked intermediate fails, but it needs none.
 */
static int
cert_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	int err = X509_STORE_CTX_get_error(ctx);

	if (!ok && err == X509_V_ERR_UNABLE_TO_GET_CRL &&
	    X509_STORE_CTX_get_error_depth(ctx) > 0)
		return (1);
	if (!ok && (err == X509_V_ERR_CRL_HAS_EXPIRED ||
	    err == X509_V_ERR_CRL_NOT_YET_VALID))
		cert_note_crl(ctx, err);
	return (ok);
}

/*
 * Check the chain against the group's store. On success, *cas gets the
 * verified chain above the leaf, for the CRL sweeps of the session.
 */
static int
cert_check_chain(SSL *ssl, X509 *leaf, struct cert_group *g,
    const struct config_tgroup *tg, char *why, size_t whylen,
    STACK_OF(X509) **cas)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	struct cert_crl_note note = { 0 };
	int rc = -ENOMEM, err;

	if (ctx == NULL || X509_STORE_CTX_init(ctx, g->cg_store, leaf,
	    SSL_get_peer_cert_chain(ssl)) != 1) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	X509_STORE_CTX_set_verify_cb(ctx, cert_verify_cb);
	X509_STORE_CTX_set_app_data(ctx, &note);
	if (X509_verify_cert(ctx) == 1) {
		*cas = X509_STORE_CTX_get1_chain(ctx);
		if (*cas == NULL) {
			snprintf(why, whylen, "out of memory");
			rc = -EAGAIN;
			goto out;
		}
		X509_free(sk_X509_shift(*cas));
		rc = 0;
		goto out;
	}
	err = X509_STORE_CTX_get_error(ctx);
	cert_describe_error(ctx, err, &note, tg, why, whylen);
	rc = cert_error_is_server_side(err) ? -EAGAIN : -EACCES;
out:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return (rc);
}

void
cert_identity_clear(struct cert_identity *id)
{
	sk_X509_pop_free(id->ci_cas, X509_free);
	memset(id, 0, sizeof(*id));
}

int
cert_verify(SSL *ssl, size_t tgroup, struct cert_identity *id, char *why,
    size_t whylen)
{
	const struct config_tgroup *tg = &cert_state.cfg->tgroups[tgroup];
	struct cert_group *g = &cert_state.groups[tgroup];
	X509 *leaf = SSL_get0_peer_certificate(ssl);
	const char *name_error;
	char reason[768];
	int rc;

	cert_identity_clear(id);
	if (leaf == NULL) {
		snprintf(why, whylen, "the client sent no certificate");
		return (-ENOENT);
	}
	if (g->cg_store == NULL) {
		snprintf(why, whylen, "tunnel-group %s does not use "
		    "certificates", tg->name);
		return (-EACCES);
	}
	cert_crl_refresh(tgroup);
	if (cert_identity_fill(leaf, id) != 0) {
		snprintf(why, whylen, "the certificate's serial number is "
		    "too long or the digest failed");
		return (-EACCES);
	}
	rc = cert_check_chain(ssl, leaf, g, tg, reason, sizeof(reason),
	    &id->ci_cas);
	if (rc == 0 && certname_user(leaf, tg->cert_user_field,
	    tg->cert_user_rule, id->ci_user, sizeof(id->ci_user),
	    &name_error) != 0) {
		snprintf(reason, sizeof(reason), "no username in field %s: %s",
		    certname_field_name(tg->cert_user_field), name_error);
		rc = -EACCES;
	}
	snprintf(why, whylen, "certificate subject=\"%s\" issuer=\"%s\" "
	    "serial=%s: %s", id->ci_subject, id->ci_issuer, id->ci_serial,
	    rc == 0 ? "valid" : reason);
	return (rc);
}

bool
cert_matches(SSL *ssl, const struct cert_identity *id)
{
	X509 *leaf = SSL_get0_peer_certificate(ssl);
	char sha256[CERT_SHA256_TEXT];

	return (leaf != NULL && cert_sha256(leaf, sha256) == 0 &&
	    strcmp(sha256, id->ci_sha256) == 0);
}
