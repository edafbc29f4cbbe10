/*
 * The tun device. The parent creates it as root and sets its address, MTU
 * and the routes for the pools. The network process only reads and writes
 * packets through the descriptor it inherits.
 */
#ifndef HEADEND_TUN_H
#define HEADEND_TUN_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct netproc;

/* Create and configure the device; returns its descriptor or -errno. */
int	tun_create(const struct config *cfg, char *err, size_t errlen);

/*
 * Route every pool of cfg into the device, after a reload that may have
 * added pools; existing routes stay. Returns 0 or -errno.
 */
int	tun_route_add_pools(const struct config *cfg);

/* Start forwarding packets from the device to the sessions. */
int	tun_start(struct netproc *np);

/* Write one packet from a client into the device. */
void	tun_write(struct netproc *np, const uint8_t *pkt, size_t len);

#endif
