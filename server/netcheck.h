/*
 * A check of the pools against the host's own networks. Every pool is
 * routed into the tun device, so a pool that overlaps the network of
 * another interface takes that network's traffic away from it, and the
 * clients there can no longer reach the headend. headend -t, a start and
 * a reload warn about it.
 */
#ifndef HEADEND_NETCHECK_H
#define HEADEND_NETCHECK_H

#include "authcheck.h"
#include "config.h"

/* Warn through report about each overlap; returns the number found. */
int	netcheck_pools(const struct config *cfg, authcheck_report_fn *report,
	    void *arg);

/*
 * Warn through report when the host does not forward IPv4: the tunnel
 * then comes up, but the clients' packets reach no host beyond the
 * headend. Returns whether it warned.
 */
bool	netcheck_forwarding(authcheck_report_fn *report, void *arg);

#endif
