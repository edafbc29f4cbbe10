/*
 * CRL files for the network process. Its sandbox forbids opening files,
 * so a thread of the parent (root, no network input) opens the configured
 * crl-files on request and passes the descriptors over a socketpair. The
 * network process names a tunnel-group by index, never a path, so it can
 * only ever get the CRL files of the configuration.
 *
 * The socketpair is made before the parent forks, so every network
 * process the parent starts, including restarted ones, inherits its end.
 */
#ifndef HEADEND_CERTCRL_H
#define HEADEND_CERTCRL_H

#include <stddef.h>

#include "config.h"

/*
 * Start the opener thread when a tunnel-group has a crl-file. Call it in
 * the parent before it forks. Returns 0 or -errno.
 */
int	certcrl_start(const struct config *cfg);

/*
 * The network process's end of the socketpair, or -1 without a thread.
 * The network process makes it non-blocking and watches it.
 */
int	certcrl_socket(void);

/* Ask for the CRL file of tunnel-group tgroup. Returns 0 or -errno. */
int	certcrl_request(size_t tgroup);

/*
 * Read one reply. Returns 0 when one was read: *tgroup names the group,
 * and *fd is the open file, or -1 with the opener's -errno in
 * *open_error. Otherwise returns -EAGAIN when no reply is waiting,
 * -EBADMSG for a malformed reply (discarded), or -EPIPE when the channel
 * is closed or failed.
 */
int	certcrl_receive(size_t *tgroup, int *fd, int *open_error);

#endif
