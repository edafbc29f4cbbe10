/*
 * The parent process: root, never reads network input. It opens the
 * listeners, the tun device and the status socket, loads the keys, then
 * starts authd and the network process and restarts them when they die.
 */
#ifndef HEADEND_PARENT_H
#define HEADEND_PARENT_H

#include <openssl/ssl.h>

#include "config.h"

/*
 * Run until SIGTERM or SIGINT; returns the exit status. The parent takes
 * over cfg and the contexts in tls[], which a reload replaces, and frees
 * what is in use when it returns.
 */
int	parent_main(struct config *cfg, SSL_CTX **tls);

#endif
