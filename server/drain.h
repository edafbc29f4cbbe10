/*
 * Drains: the end of a closed tunnel's TCP connection. A drain writes
 * the records that the tunnel still had queued, sends FIN behind them
 * and discards the client's input until the client closes too. A client
 * that reads slowly, or stopped reading for a moment, then gets its last
 * packets, TERMINATE and close_notify in full. A client that is still
 * sending does not get a reset, which would discard them.
 */
#ifndef HEADEND_DRAIN_H
#define HEADEND_DRAIN_H

#include <event2/buffer.h>
#include <event2/event.h>

/* Seconds after which a drain closes the socket, whatever is unsent. */
#define DRAIN_TIMEOUT		10

/* Maximum length of the label for the drain's log line, with its NUL. */
#define DRAIN_LABEL_MAX		512

/* Bytes that all drains of the process may hold at once. */
#define DRAIN_BYTES_MAX		(64 * 1024 * 1024)

/* Connections that the drains of the process may hold open at once. */
#define DRAIN_COUNT_MAX		4096

/*
 * Take ownership of fd and out: write the contents of out as the socket
 * accepts them, send FIN, and close fd once the client has closed its
 * side, or until DRAIN_TIMEOUT seconds have passed. Over the drains'
 * limits it closes fd at once. When it closes fd before the client has
 * taken every byte, it resets the connection and logs one line that
 * starts with label.
 */
void	drain_start(struct event_base *base, int fd, struct evbuffer *out,
	    const char *label);

/*
 * NOTE: drains end with the process. At exit the kernel closes their
 * sockets plainly, and keeps unsent bytes until clients read them or
 * its orphan timeout ends the connection.
 */

/* Return the number of drains that are open, for tests. */
size_t	drain_active(void);

#endif
