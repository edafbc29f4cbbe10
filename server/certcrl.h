/*
 * CRL files for the network process. Its sandbox forbids opening files,
 * so a thread of the parent (root, no network input) opens the configured
 * crl-files on request and passes the descriptors over a socketpair. The
 * network process names a tunnel-group, never a path, so it can only ever
 * get the CRL files of the configuration.
 *
 * The socketpair is made before the parent forks, so every network
 * process the parent starts, including restarted ones, inherits its end.
 */
#ifndef HEADEND_CERTCRL_H
#define HEADEND_CERTCRL_H

#include <stddef.h>

#include "config.h"

/*
 * Start the opener thread, also without a crl-file, because a reload may
 * add one. Call it in the parent before it forks. Returns 0 or -errno.
 */
int	certcrl_start(const struct config *cfg);

/*
 * Serve the crl-files of cfg from now on, after a reload, or none when
 * cfg is NULL. The caller frees the previous configuration only after
 * this returns.
 */
void	certcrl_set_config(const struct config *cfg);

/*
 * The network process's end of the socketpair, or -1 without a thread.
 * The network process makes it non-blocking and watches it.
 */
int	certcrl_socket(void);

/*
 * Ask for the CRL file of the tunnel-group named group, which is tgroup
 * in the caller's configuration. Returns 0 or -errno.
 */
int	certcrl_request(size_t tgroup, const char *group);

/*
 * Read one reply. Returns 0 when one was read: *tgroup names the group,
 * and *fd is the open file, or -1 with the opener's -errno in
 * *open_error. Otherwise returns -EAGAIN when no reply is waiting,
 * -EBADMSG for a malformed reply (discarded), or -EPIPE when the channel
 * is closed or failed.
 */
int	certcrl_receive(size_t *tgroup, int *fd, int *open_error);

#endif
