/*
 * Client certificates per tunnel-group. The TLS handshake happens before
 * the URL selects a group, so every listener accepts any certificate
 * (tls_ctx_request_client_cert) and the login code calls cert_verify once
 * the group is known. Each group that uses certificates has its own
 * trust store: the certificates of its ca-files, loaded once at startup
 * by the parent (as root), and the CRLs of its crl-file.
 *
 * The network process checks the CRL file every CERT_CRL_POLL seconds and
 * before each verification, and reads it again when its inode, size or
 * times changed. After a good read, sessions end at once when the new CRL
 * revokes their certificate or a CA certificate of its chain, which also
 * makes their cookies unknown. A CRL file that cannot be read or parsed
 * leaves the previous CRLs in force.
 * The file must be readable by the network process's user.
 */
#ifndef HEADEND_CERT_H
#define HEADEND_CERT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "config.h"
#include "ipc.h"

#define CERT_NAME_MAX		256	/* RFC 2253 subject or issuer */
#define CERT_SERIAL_TEXT	65	/* hex of up to 32 bytes, with NUL */
#define CERT_SHA256_TEXT	65	/* hex, with NUL */
#define CERT_CRL_POLL		5	/* seconds between CRL file checks */

struct netproc;

/* What a verified client certificate says; fields are "" without one. */
struct cert_identity {
	char	ci_user[IPC_USER_MAX];		/* from cert-user-field */
	char	ci_subject[CERT_NAME_MAX];
	char	ci_issuer[CERT_NAME_MAX];
	char	ci_serial[CERT_SERIAL_TEXT];	/* upper-case hex */
	char	ci_sha256[CERT_SHA256_TEXT];	/* of the DER encoding */
	STACK_OF(X509) *ci_cas;	/* the verified CAs above it, owned */
};

/*
 * Free what id owns and empty it. Copying an identity moves the CAs:
 * the copy's owner clears it, and the source's pointer is set to NULL.
 */
void	cert_identity_clear(struct cert_identity *id);

/* Receives one error, formatted as "file:line: message". */
typedef void cert_error_fn(void *arg, const char *message);

/*
 * Load the CA files and CRLs of every tunnel-group that uses
 * certificates. Returns the number of errors reported through on_error.
 */
int	cert_load(const struct config *cfg, cert_error_fn *on_error,
	    void *arg);

/* Free what cert_load loaded, for a process that exits without serving. */
void	cert_unload(void);

struct cfgbundle;
struct cert_stores;

/*
 * Load the trust stores of cfg from files (the file system when NULL)
 * without putting them in use, so that a reload can check them first.
 * Returns the number of errors reported through on_error, and sets *out
 * only when there were none.
 */
int	cert_stores_load(const struct config *cfg,
	    const struct cfgbundle *files, struct cert_stores **out,
	    cert_error_fn *on_error, void *arg);

/*
 * Put the stores in use for cfg, which must stay valid until the next
 * install, and free st. Retired tunnel-groups keep their old stores. In
 * the network process, sessions whose certificate a new CRL revokes end.
 */
void	cert_stores_install(struct cert_stores *st, const struct config *cfg);

void	cert_stores_free(struct cert_stores *st);

/*
 * Make every listener ask for a client certificate, naming the loaded
 * CAs, when at least one tunnel-group uses certificates.
 */
void	cert_setup_listeners(const struct config *cfg, SSL_CTX **tls);

/* Start the CRL checks of the network process. Returns 0 or -ENOMEM. */
int	cert_start(struct netproc *np);

/*
 * Verify the client certificate of ssl for tunnel-group tgroup and fill
 * *id. Returns 0; -ENOENT when the client sent no certificate; -EACCES
 * when it is not valid for the group (untrusted, expired, revoked, wrong
 * purpose, no usable username); or -EAGAIN when the server cannot decide
 * (a CRL has expired or is missing), which is not the client's fault.
 * why gets a reason for the log.
 */
int	cert_verify(SSL *ssl, size_t tgroup, struct cert_identity *id,
	    char *why, size_t whylen);

/* Whether the client of ssl presented the certificate of id. */
bool	cert_matches(SSL *ssl, const struct cert_identity *id);

/*
 * Read every PEM certificate of path into a new stack. Returns the
 * number read (> 0), or -ENOENT and the like when the file cannot be
 * opened, -EINVAL when it holds no certificate, or -EBADMSG when a PEM
 * block in it is damaged or cut short.
 */
int	cert_read_file(const char *path, STACK_OF(X509) **out);

/*
 * Find which of cas signed crl. Returns 1 when one of them did. Returns
 * -1 when one matches the CRL's issuer (by name, and by key identifier
 * when the CRL has one) but its key did not sign it. Returns 0 when none
 * matches, as for the CRL of an intermediate that clients send.
 */
int	cert_crl_signer(STACK_OF(X509) *cas, X509_CRL *crl);

/*
 * Return why cert_read_file (crl false) or cert_read_crl_file (crl true)
 * failed with -err, for a message.
 */
const char *cert_read_strerror(int err, bool crl);

/*
 * Return how to convert a DER certificate file, for messages about a file
 * whose certificates cert_read_file could not read with -err, or "".
 */
const char *cert_der_hint(int err);

/*
 * Read every PEM CRL of path, or its one DER CRL, into a new stack.
 * Returns 0, -EINVAL when the file holds no CRL, -EBADMSG when a PEM
 * block is damaged, -E2BIG when bytes follow a DER CRL, or another
 * -errno.
 */
int	cert_read_crl_file(const char *path, STACK_OF(X509_CRL) **out);

/* Format name as RFC 2253 text into buf, truncated to len. */
void	cert_name_format(const X509_NAME *name, char *buf, size_t len);

/* Format t as "2026-12-06 07:16:41 UTC" into buf, truncated to len. */
void	cert_date_format(const ASN1_TIME *t, char *buf, size_t len);

#endif
