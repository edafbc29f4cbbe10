/*
 * A reload in the network process: it takes the parent's configuration
 * bundle, lays it out around the sessions that run (cfgmerge.h), builds
 * new TLS contexts, client certificate stores and pools from it, and
 * swaps them in. Every step that can fail comes before the swap, so a
 * failed reload leaves the running configuration as it was.
 *
 * Connections and tunnels that exist keep their SSL objects, which hold
 * a reference to the old context, so a new certificate is served to new
 * connections only. Sessions keep their addresses.
 */
#ifndef HEADEND_NETRELOAD_H
#define HEADEND_NETRELOAD_H

#include <stddef.h>

struct netproc;

/*
 * Handle an IPC_CONFIG message of len bytes with the memfd fd attached
 * (closed here), and send the parent IPC_CONFIG_APPLIED. authd_fd is the
 * socket of the authd started with the new configuration, or -1. It takes
 * over in the same step as the configuration, so that no login of a new
 * tunnel-group reaches the old authd. It is closed when the
 * configuration is not applied.
 */
void	netreload_receive(struct netproc *np, const void *msg, size_t len,
	    int fd, int authd_fd);

#endif
