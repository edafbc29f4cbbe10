/*
 * The network process's side of its channel to the parent: session
 * reports for the state file, replies to reloads and the requests of the
 * status socket. Messages leave in the order they were sent. When the
 * socket is full they wait in a queue, so a parent that is busy writing
 * the state file never blocks the data path.
 */
#ifndef HEADEND_PARENTC_H
#define HEADEND_PARENTC_H

#include <stddef.h>

struct netproc;

/* Messages that may wait before the oldest waiting one is dropped. */
#define PARENTC_QUEUE_MAX	100000

/*
 * Make np->parent_fd non-blocking and queue what it cannot take. Returns
 * 0 or -ENOMEM. Before this, messages are sent on the socket as it is.
 */
int	parentc_start(struct netproc *np);

/*
 * Send one message on np->parent_fd, or queue a copy when the socket is
 * full. Returns 0, -ENOMEM, or the -errno of a failed send (-EPIPE once
 * the parent is gone, -EBADF without a parent).
 */
int	parentc_send(struct netproc *np, const void *msg, size_t len);

/* Try to send what waits, blocking up to timeout_ms; before an exit. */
void	parentc_flush(int timeout_ms);

#endif
