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

/*
 * Create and configure the device with nqueues queues (1 to
 * CONFIG_MAX_WORKERS), one descriptor each in fds[0..nqueues-1]. More
 * than one queue makes it an IFF_MULTI_QUEUE device. Returns 0, or
 * -errno with a message in err and no descriptor left open.
 */
int	tun_create(const struct config *cfg, size_t nqueues, int *fds,
	    char *err, size_t errlen);

/*
 * Route every pool of cfg into the device, after a reload that may have
 * added pools; existing routes stay. Returns 0 or -errno.
 */
int	tun_route_add_pools(const struct config *cfg);

/*
 * Delete the route of net/prefix (host order) from device dev. Returns 0,
 * or -ESRCH when there is no such route, or another -errno.
 */
int	tun_route_delete(const char *dev, uint32_t net, int prefix);

/* Start forwarding packets from the device to the sessions. */
int	tun_start(struct netproc *np);

/*
 * Forward a read that another worker handed over, with its virtio-net
 * header, to this worker's tunnel. buf may be rewritten.
 */
void	tun_receive_handover(struct netproc *np, uint8_t *buf, size_t n);

/* Write one packet from a client into the device. */
void	tun_write(struct netproc *np, const uint8_t *pkt, size_t len);

#endif
