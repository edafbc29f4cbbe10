/*
 * Drains: the records that a closed tunnel still had queued, written to
 * its socket before the socket is closed. A client that reads slowly, or
 * stopped reading for a moment, then gets its last packets, TERMINATE
 * and close_notify in full instead of a TLS record cut short.
 */
#ifndef HEADEND_DRAIN_H
#define HEADEND_DRAIN_H

#include <event2/buffer.h>
#include <event2/event.h>

/* Seconds after which a drain closes the socket, whatever is unsent. */
#define DRAIN_TIMEOUT		10

/* Maximum length of the label for the drain's log line, with its NUL. */
#define DRAIN_LABEL_MAX		256

/* Bytes that all drains of the process may hold at once. */
#define DRAIN_BYTES_MAX		(64 * 1024 * 1024)

/*
 * Take ownership of fd and out: write the contents of out as the socket
 * accepts them, then close fd and free out. The drain closes fd at once
 * when out is empty or the drains' byte limit is reached, and after
 * DRAIN_TIMEOUT seconds. When bytes stay unsent, it logs one line that
 * starts with label.
 */
void	drain_start(struct event_base *base, int fd, struct evbuffer *out,
	    const char *label);

#endif
