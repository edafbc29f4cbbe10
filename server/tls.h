/* TLS contexts for the listeners. */
#ifndef HEADEND_TLS_H
#define HEADEND_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "config.h"

struct cfgbundle;

/*
 * Build the server context for one listener: certificate chain, key,
 * protocol versions and cipher lists. Returns NULL and fills err on
 * failure, and line with the configuration line of the setting at fault.
 */
SSL_CTX	*tls_ctx_new(const struct config_listener *l, char *err,
	    size_t errlen, int *line);

/*
 * The same, reading the certificate, chain and key from a configuration
 * bundle, or from the file system when files is NULL.
 */
SSL_CTX	*tls_ctx_new_from(const struct config_listener *l,
	    const struct cfgbundle *files, char *err, size_t errlen,
	    int *line);

/*
 * Empty the thread's OpenSSL error queue, as SSL_get_error needs before
 * each I/O call. The queue is nearly always empty already, and a peek
 * costs less than ERR_clear_error's pass over every slot, which showed
 * in profiles when done for every packet.
 */
static inline void
tls_errors_clear(void)
{
	if (ERR_peek_error() != 0)
		ERR_clear_error();
}

/* Copy OpenSSL's error queue into buf as one line, and clear it. */
void	tls_error_string(char *buf, size_t len);

/*
 * After a loop of PEM reads has ended, return whether it ended at the end
 * of the input ("no start line"), not at a damaged or cut-short block.
 * Clears the error queue.
 */
bool	tls_pem_ended(void);

/*
 * Ask clients for a certificate without requiring one, and accept any
 * certificate in the handshake: the tunnel-group, known only from the
 * URL, decides later whether it is valid. ca_names (may be NULL) is sent
 * as the list of acceptable issuers; the context takes it over.
 */
void	tls_ctx_request_client_cert(SSL_CTX *ctx,
	    STACK_OF(X509_NAME) *ca_names);

/*
 * Record each client's ClientHello offer, and whether the listener has
 * the phone profile, for tls_describe_failure. Returns 0 or -ENOMEM.
 */
int	tls_ctx_record_hello(SSL_CTX *ctx, bool phone_profile);

/*
 * Describe a failed handshake for the log from the OpenSSL error codes
 * that ended it. A TLS version outside the listener's range and a
 * handshake with no cipher suite in common get their own text, which
 * names what the client offered. Anything else gets OpenSSL's strings.
 */
void	tls_describe_failure(SSL *ssl, const unsigned long *errors,
	    size_t nerrors, char *buf, size_t len);

#endif
