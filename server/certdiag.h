/*
 * Certificate diagnostics for operators: the hashes a phone's
 * configuration pins (certHash is base64 of the SHA-1 of the DER
 * certificate), and warnings about server certificates and phone
 * settings that make phones fail without a useful message on the phone.
 * Used by headend at startup and with -t, and by headendctl cert-hash.
 */
#ifndef HEADEND_CERTDIAG_H
#define HEADEND_CERTDIAG_H

#include <openssl/x509.h>

#include "config.h"

#define CERTDIAG_SHA1_TEXT	60	/* "AB:CD:..." with NUL */
#define CERTDIAG_BASE64_TEXT	29	/* base64 of 20 bytes, with NUL */
#define CERTDIAG_EXPIRY_DAYS	30	/* warn this long before notAfter */
#define CERTDIAG_CRL_DAYS	7	/* and before a CRL's nextUpdate */

enum certdiag_level {
	CERTDIAG_INFO,
	CERTDIAG_WARNING,
	CERTDIAG_ERROR,		/* a file that cannot be read */
};

/* Return the syslog priority for a line of level. */
int	certdiag_priority(enum certdiag_level level);

/* Receives one line of output, without a newline. */
typedef void certdiag_print_fn(void *arg, enum certdiag_level level,
    const char *line);

/*
 * Compute the SHA-1 fingerprint of x as colon-separated upper-case hex,
 * as "openssl x509 -fingerprint -sha1" prints it, and as base64 of the
 * raw digest. Returns 0 or -EINVAL.
 */
int	certdiag_hashes(X509 *x, char sha1[CERTDIAG_SHA1_TEXT],
	    char base64[CERTDIAG_BASE64_TEXT]);

/*
 * Print the hashes of every certificate in the PEM file at path. Returns
 * the number of certificates, or -errno after printing why.
 */
int	certdiag_file(const char *path, certdiag_print_fn *print, void *arg);

/*
 * Print the hashes of each listener's certificate, of every certificate
 * of the chain the listener sends and of its next-certificate, then a
 * warning, with the fix, for each problem found. Returns the number of
 * warnings, or -errno when a certificate file cannot be read.
 */
int	certdiag_config(const struct config *cfg, certdiag_print_fn *print,
	    void *arg);

#endif
