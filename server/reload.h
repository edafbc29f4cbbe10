/*
 * A reload in the parent, on SIGHUP or headendctl reload. It parses the
 * file into a new configuration and checks all of it, the TLS contexts
 * and the client certificate stores included. Those are built from the
 * same file contents that the network process will get, and only then is
 * the configuration handed on. A file with errors is rejected with every
 * error logged, and the running configuration stays.
 *
 * Settings that only a restart can change keep their running values,
 * and each one that the file changes is named in the log: the user, the
 * status socket, the state and key files, the tun device, the metrics
 * listener and the listeners' addresses and ports (all listener settings
 * when their number changes).
 */
#ifndef HEADEND_RELOAD_H
#define HEADEND_RELOAD_H

#include <stdint.h>

#include <openssl/ssl.h>

#include "config.h"

struct cert_stores;
struct cfgbundle;

/* A checked configuration, not yet in use. */
struct reload {
	struct config	*cfg;
	SSL_CTX		*tls[CONFIG_MAX_LISTENERS];
	struct cert_stores *stores;
	struct cfgbundle *bundle;	/* what the network process gets */
};

/*
 * Parse and check the file that running came from. Returns 0 and *out,
 * or the number of errors (> 0), each of them logged.
 */
int	reload_prepare(const struct config *running, struct reload **out);

/*
 * Send the bundle to the network process on sock as IPC_CONFIG. Returns
 * 0 or -errno.
 */
int	reload_send(const struct reload *r, int sock);

/*
 * Put r in use in the parent for the processes it starts from now on:
 * swap *cfg and tls[] with r's, install the certificate stores and give
 * the CRL opener the new configuration. Afterwards r has the old
 * configuration and contexts, which reload_free frees.
 */
void	reload_install(struct reload *r, struct config **cfg, SSL_CTX **tls);

void	reload_free(struct reload *r);

#endif
