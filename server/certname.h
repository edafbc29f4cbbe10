/*
 * Usernames from client certificates. A tunnel-group names the field
 * that holds the username (cert-user-field) and a rule that turns the
 * field's value into the username (cert-user-rule):
 *
 *   as-is       the value itself.
 *   phone-name  the Cisco phone device name. The value must be
 *               "SEP" and 12 hex digits, optionally after a
 *               "CP-<model>-" prefix of letters, digits and dashes, as
 *               in a MIC ("CP-7962G-SEP001122334455") or an LSC
 *               ("SEP001122334455"). The username is the "SEP..." part,
 *               copied as written; "CP-" and "SEP" are upper case.
 *
 * A certificate without the field, or with the field twice, gives no
 * username, so such a certificate is rejected and never downgraded to a
 * password login.
 */
#ifndef HEADEND_CERTNAME_H
#define HEADEND_CERTNAME_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "config.h"

/*
 * Copy the value of field from x into out as UTF-8. Returns 0, -ENOENT
 * when x has no such field, -ENOTUNIQ when it has more than one, -EINVAL
 * when the value holds a NUL byte or cannot be converted, or -E2BIG when
 * it does not fit in outlen with its NUL. Never truncates.
 */
int	certname_field(X509 *x, enum cert_user_field field, char *out,
	    size_t outlen);

/*
 * Apply rule to value and store the username in out. Returns 0, -EINVAL
 * when value does not have the form the rule needs, or -E2BIG.
 */
int	certname_apply_rule(const char *value, enum cert_user_rule rule,
	    char *out, size_t outlen);

/*
 * Whether name may be used as a username: 1 to 127 bytes of letters,
 * digits, '.', '_', '-', '@' and '+', not starting with '.' or '-'. This
 * keeps path separators, spaces and control characters out of names that
 * logs and password backends see.
 */
bool	certname_valid(const char *name);

/*
 * The username of x for a tunnel-group: the three steps above. Returns 0
 * or the first error, and points *why at a reason for the log.
 */
int	certname_user(X509 *x, enum cert_user_field field,
	    enum cert_user_rule rule, char *out, size_t outlen,
	    const char **why);

/* The configuration keyword of field, e.g. "CN", for messages. */
const char *certname_field_name(enum cert_user_field field);

#endif
