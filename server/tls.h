/* TLS contexts for the listeners. */
#ifndef HEADEND_TLS_H
#define HEADEND_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "config.h"

/*
 * Build the server context for one listener: certificate chain, key,
 * protocol versions and cipher lists. Returns NULL and fills err on
 * failure.
 */
SSL_CTX	*tls_ctx_new(const struct config_listener *l, char *err,
	    size_t errlen);

/* Copy OpenSSL's error queue into buf as one line, and clear it. */
void	tls_error_string(char *buf, size_t len);

#endif
