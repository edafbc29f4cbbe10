/* TLS contexts for the listeners. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "cfgbundle.h"
#include "regfile.h"
#include "tls.h"

void
tls_error_string(char *buf, size_t len)
{
	unsigned long code;
	size_t used = 0;

	buf[0] = '\0';
	while ((code = ERR_get_error()) != 0 && used + 2 < len) {
		if (used > 0)
			buf[used++] = ';';
		ERR_error_string_n(code, buf + used, len - used);
		used = strlen(buf);
	}
	if (used == 0)
		snprintf(buf, len, "no OpenSSL error recorded");
}

bool
tls_pem_ended(void)
{
	unsigned long e = ERR_peek_last_error();
	bool ended = e == 0 || (ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE);

	ERR_clear_error();
	return (ended);
}

/*
 * Add every certificate left in bio to the chain the listener sends.
 * Returns how many, -EBADMSG when a block is damaged, or -ENOMEM.
 */
static int
tls_ctx_add_chain_bio(SSL_CTX *ctx, BIO *bio)
{
	X509 *x;
	int n = 0;

	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			X509_free(x);
			return (-ENOMEM);
		}
		n++;
	}
	return (tls_pem_ended() ? n : -EBADMSG);
}

/* Write into err why the leaf of the certificate file is unusable. */
static void
tls_leaf_error(const struct config_listener *l, bool read, char *err,
    size_t errlen)
{
	char why[512];

	tls_error_string(why, sizeof(why));
	if (read) {
		snprintf(err, errlen, "cannot load certificate %s: %s",
		    l->certificate, why);
		return;
	}
	snprintf(err, errlen, "cannot load certificate %s: no PEM "
	    "certificate could be read from it. It must hold a whole "
	    "-----BEGIN CERTIFICATE----- block, the server's own first; a "
	    "DER file converts with \"openssl x509 -inform der -in %s -out "
	    "NEW.crt\" (OpenSSL: %s)", l->certificate, l->certificate, why);
}

/*
 * The certificate file has the leaf first, then any intermediates. A
 * damaged block after the leaf fails the load, as it would leave the
 * chain short without a word.
 */
static int
tls_ctx_load_certificate(SSL_CTX *ctx, const struct config_listener *l,
    const struct cfgbundle *files, char *err, size_t errlen)
{
	X509 *x = NULL;
	BIO *bio;
	int rc = -1, e;

	if ((bio = cfgbundle_open(files, l->certificate, &e)) == NULL) {
		snprintf(err, errlen, "cannot load certificate %s: %s",
		    l->certificate, regfile_strerror(e));
		return (-1);
	}
	if ((x = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL)) == NULL ||
	    SSL_CTX_use_certificate(ctx, x) != 1 ||
	    SSL_CTX_clear_chain_certs(ctx) != 1)
		tls_leaf_error(l, x != NULL, err, errlen);
	else if ((e = tls_ctx_add_chain_bio(ctx, bio)) == -EBADMSG)
		snprintf(err, errlen, "cannot load certificate %s: a PEM "
		    "block after its first certificate is damaged or cut "
		    "short: put whole copies of the certificates in it",
		    l->certificate);
	else if (e < 0)
		snprintf(err, errlen, "cannot load certificate %s: %s",
		    l->certificate, strerror(-e));
	else
		rc = 0;
	X509_free(x);
	BIO_free(bio);
	return (rc);
}

static int
tls_ctx_load_chain(SSL_CTX *ctx, const struct config_listener *l,
    const struct cfgbundle *files, char *err, size_t errlen)
{
	BIO *bio;
	int n, e;

	if (l->chain[0] == '\0')
		return (0);
	if ((bio = cfgbundle_open(files, l->chain, &e)) == NULL) {
		snprintf(err, errlen, "cannot load chain %s: %s", l->chain,
		    regfile_strerror(e));
		return (-1);
	}
	n = tls_ctx_add_chain_bio(ctx, bio);
	BIO_free(bio);
	if (n == -EBADMSG) {
		snprintf(err, errlen, "cannot load chain %s: a PEM block in it "
		    "is damaged or cut short: put whole copies of the "
		    "certificates in it", l->chain);
		return (-1);
	}
	if (n <= 0) {
		snprintf(err, errlen, "cannot load chain %s: no PEM "
		    "certificate could be read from it", l->chain);
		return (-1);
	}
	return (0);
}

/*
 * Without a callback, OpenSSL prompts for a key's passphrase on the
 * terminal, which a service does not have. This one notes the request and
 * fails it.
 */
static int
tls_passphrase_cb(char *buf, int size, int rwflag, void *arg)
{
	bool *requested = arg;

	(void)buf;
	(void)size;
	(void)rwflag;
	*requested = true;
	return (-1);
}

/* Write the error for a key of another certificate, with how to compare. */
static void
tls_key_mismatch(const struct config_listener *l, char *err, size_t errlen)
{
	snprintf(err, errlen, "key %s does not match certificate %s: give "
	    "the key that the certificate was made for (the output of "
	    "\"openssl x509 -noout -pubkey -in %s\" and \"openssl pkey "
	    "-pubout -in %s\" is the same for a pair)", l->key,
	    l->certificate, l->certificate, l->key);
}

static int
tls_ctx_load_key(SSL_CTX *ctx, const struct config_listener *l,
    const struct cfgbundle *files, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	bool encrypted = false;
	char why[512];
	BIO *bio;
	int rc = -1, e;

	if ((bio = cfgbundle_open(files, l->key, &e)) == NULL) {
		snprintf(err, errlen, "cannot load key %s: %s", l->key,
		    regfile_strerror(e));
		return (-1);
	}
	/* OpenSSL checks the key against the certificate as it loads it. */
	ERR_clear_error();
	key = PEM_read_bio_PrivateKey(bio, NULL, tls_passphrase_cb,
	    &encrypted);
	if (key == NULL && encrypted) {
		ERR_clear_error();
		snprintf(err, errlen, "key %s is encrypted with a passphrase, "
		    "which headend cannot ask for: write an unencrypted copy "
		    "with \"openssl pkey -in %s -out NEW.key\", make it "
		    "readable by root only, and set key to it", l->key,
		    l->key);
	} else if (key == NULL || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) ==
		    X509_R_KEY_VALUES_MISMATCH) {
			ERR_clear_error();
			tls_key_mismatch(l, err, errlen);
		} else if (key == NULL) {
			tls_error_string(why, sizeof(why));
			snprintf(err, errlen, "cannot load key %s: no PEM "
			    "private key could be read from it. It must hold "
			    "a whole -----BEGIN PRIVATE KEY----- block (or RSA "
			    "or EC PRIVATE KEY); a DER key converts with "
			    "\"openssl pkey -inform der -in %s -out NEW.key\" "
			    "(OpenSSL: %s)", l->key, l->key, why);
		} else {
			tls_error_string(why, sizeof(why));
			snprintf(err, errlen, "cannot load key %s: %s",
			    l->key, why);
		}
	} else if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		tls_key_mismatch(l, err, errlen);
	} else {
		rc = 0;
	}
	EVP_PKEY_free(key);
	BIO_free(bio);
	return (rc);
}

/* Load the certificate, chain and key; line is set to the failed one's. */
static int
tls_ctx_load_keys(SSL_CTX *ctx, const struct config_listener *l,
    const struct cfgbundle *files, char *err, size_t errlen, int *line)
{
	*line = l->certificate_line;
	if (tls_ctx_load_certificate(ctx, l, files, err, errlen) != 0)
		return (-1);

	*line = l->chain_line;
	if (tls_ctx_load_chain(ctx, l, files, err, errlen) != 0)
		return (-1);

	*line = l->key_line;
	return (tls_ctx_load_key(ctx, l, files, err, errlen));
}

/* Return the TLS 1.2 authentication that a key of type base_id does. */
static int
tls_key_auth_nid(int base_id)
{
	switch (base_id) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		return (NID_auth_rsa);
	case EVP_PKEY_EC:
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return (NID_auth_ecdsa);
	case EVP_PKEY_DSA:
		return (NID_auth_dss);
	default:
		return (NID_undef);
	}
}

/* Return the lowest TLS version that can use cipher c. */
static int
tls_cipher_min_version(const SSL_CIPHER *c)
{
	const char *version = SSL_CIPHER_get_version(c);

	if (strcmp(version, "TLSv1.3") == 0)
		return (TLS1_3_VERSION);
	if (strcmp(version, "TLSv1.2") == 0)
		return (TLS1_2_VERSION);
	return (TLS1_VERSION);
}

/*
 * Without TLS 1.3, a handshake needs a TLS 1.2 cipher that signs with
 * the certificate's key type and that the listener's versions can use
 * (AES-GCM needs TLS 1.2). An ECDSA certificate on a listener with
 * the phone profile, whose ciphers are all RSA, would fail them all.
 */
static int
tls_ctx_check_key_ciphers(SSL_CTX *ctx, const struct config_listener *l,
    char *err, size_t errlen, int *line)
{
	STACK_OF(SSL_CIPHER) *ciphers = SSL_CTX_get_ciphers(ctx);
	X509 *cert = SSL_CTX_get0_certificate(ctx);
	EVP_PKEY *key = cert != NULL ? X509_get0_pubkey(cert) : NULL;
	const SSL_CIPHER *c;
	int auth, i;

	if (l->tls_max_version >= TLS1_3_VERSION || key == NULL)
		return (0);
	auth = tls_key_auth_nid(EVP_PKEY_get_base_id(key));
	for (i = 0; i < sk_SSL_CIPHER_num(ciphers); i++) {
		c = sk_SSL_CIPHER_value(ciphers, i);
		if (SSL_CIPHER_get_auth_nid(c) == auth &&
		    tls_cipher_min_version(c) <= l->tls_max_version)
			return (0);
	}
	*line = l->certificate_line;
	snprintf(err, errlen, "certificate %s has a key of type %s, but none "
	    "of the TLS 1.2 ciphers \"%s\" of this listener both signs with "
	    "it and works at its TLS versions, and TLS 1.3 is off, so every "
	    "handshake would fail: use a certificate with an RSA key, which "
	    "every phone takes, or ciphers for this key type and these "
	    "versions", l->certificate,
	    OBJ_nid2sn(EVP_PKEY_get_base_id(key)), l->tls12_ciphers);
	return (-1);
}

static int
tls_ctx_set_protocols(SSL_CTX *ctx, const struct config_listener *l,
    char *err, size_t errlen, int *line)
{
	char why[512];

	if (SSL_CTX_set_min_proto_version(ctx, l->tls_min_version) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, l->tls_max_version) != 1) {
		*line = l->versions_line;
		snprintf(err, errlen, "unsupported TLS version range");
		return (-1);
	}
	if (SSL_CTX_set_cipher_list(ctx, l->tls12_ciphers) != 1) {
		*line = l->ciphers_line;
		tls_error_string(why, sizeof(why));
		snprintf(err, errlen, "tls12-ciphers \"%s\" selects no "
		    "cipher: %s", l->tls12_ciphers, why);
		return (-1);
	}
	if (SSL_CTX_set_ciphersuites(ctx, l->tls13_suites) != 1) {
		*line = l->suites_line;
		tls_error_string(why, sizeof(why));
		snprintf(err, errlen, "tls13-suites \"%s\" is invalid: %s",
		    l->tls13_suites, why);
		return (-1);
	}
	return (0);
}

/* The tunnel-group checks the certificate once the URL is known. */
static int
tls_verify_accept(int preverify_ok, X509_STORE_CTX *store)
{
	(void)preverify_ok;
	(void)store;
	return (1);
}

void
tls_ctx_request_client_cert(SSL_CTX *ctx, STACK_OF(X509_NAME) *ca_names)
{
	static const unsigned char sid_ctx[] = "headend";

	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, tls_verify_accept);
	SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
	if (ca_names != NULL)
		SSL_CTX_set_client_CA_list(ctx, ca_names);
}

SSL_CTX *
tls_ctx_new(const struct config_listener *l, char *err, size_t errlen,
    int *line)
{
	return (tls_ctx_new_from(l, NULL, err, errlen, line));
}

SSL_CTX *
tls_ctx_new_from(const struct config_listener *l,
    const struct cfgbundle *files, char *err, size_t errlen, int *line)
{
	SSL_CTX *ctx;

	*line = l->line;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		snprintf(err, errlen, "SSL_CTX_new failed");
		return (NULL);
	}
	if (tls_ctx_set_protocols(ctx, l, err, errlen, line) != 0 ||
	    tls_ctx_load_keys(ctx, l, files, err, errlen, line) != 0 ||
	    tls_ctx_check_key_ciphers(ctx, l, err, errlen, line) != 0 ||
	    tls_ctx_record_hello(ctx,
	    l->tls_profile == TLS_PROFILE_PHONE) != 0) {
		SSL_CTX_free(ctx);
		return (NULL);
	}

	/*
	 * OpenSSL 3.0 rejects TLS 1.0 and 1.1 at security level 1 ("no
	 * suitable signature algorithm"), so only the phone profile, which
	 * old phones need, drops to level 0.
	 */
	if (l->tls_profile == TLS_PROFILE_PHONE)
		SSL_CTX_set_security_level(ctx, 0);

	/*
	 * Client-initiated renegotiation is refused: the tunnel advertises
	 * the new-tunnel rekey method instead. The session cache stays off
	 * because every login is a fresh TLS session anyway.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	    SSL_MODE_RELEASE_BUFFERS);
	return (ctx);
}
