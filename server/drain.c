/* The drains declared in drain.h. */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "drain.h"
#include "evbio.h"
#include "log.h"

struct drain {
	int		 fd;
	struct evbuffer	*out;
	struct event	*write;
	struct event	*read;
	struct event	*deadline;
	struct event	*check;		/* polls after the client's FIN */
	size_t		 bytes;		/* counted in drain_bytes */
	bool		 client_closed;	/* FIN before it read every byte */
	char		 label[DRAIN_LABEL_MAX];
};

/* How often a drain whose client has closed looks at what is unsent. */
#define DRAIN_CHECK_MS		100

/* Workers close tunnels at the same time, so the totals are atomic. */
static atomic_size_t drain_bytes;
static atomic_size_t drain_count;

size_t
drain_active(void)
{
	return (atomic_load(&drain_count));
}

/* Bytes the client has not acknowledged: queued here and in the socket. */
static size_t
drain_unsent(int fd, struct evbuffer *out)
{
	int in_socket = 0;

	if (ioctl(fd, SIOCOUTQ, &in_socket) != 0 || in_socket < 0)
		in_socket = 0;
	return (evbuffer_get_length(out) + (size_t)in_socket);
}

/*
 * Whether the client reset the connection, as a client that closes
 * without reading the last bytes makes its kernel do. The kernel still
 * counts those bytes as unsent then, but none of them can arrive.
 */
static bool
drain_peer_reset(int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
		return (true);
	return (info.tcpi_state == TCP_CLOSE);
}

/*
 * Close fd, with a reset while bytes are unsent. A plain close would
 * leave them to the kernel, which keeps the connection in FIN-WAIT-1 or
 * LAST-ACK as long as the client does not read, outside the limits.
 */
static void
drain_close(int fd, size_t unsent)
{
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };

	if (unsent > 0)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	close(fd);
}

static void
drain_free(struct drain *d)
{
	atomic_fetch_sub(&drain_bytes, d->bytes);
	atomic_fetch_sub(&drain_count, 1);
	if (d->write != NULL)
		event_free(d->write);
	if (d->read != NULL)
		event_free(d->read);
	if (d->deadline != NULL)
		event_free(d->deadline);
	if (d->check != NULL)
		event_free(d->check);
	drain_close(d->fd, drain_unsent(d->fd, d->out));
	evbuffer_free(d->out);
	free(d);
}

/*
 * Everything is in the socket: send FIN behind it and wait for the
 * client's. Closing while the client's bytes are unread would send a
 * reset, and the kernel would discard what it has not sent yet.
 */
static void
drain_written(struct drain *d)
{
	event_del(d->write);
	shutdown(d->fd, SHUT_WR);
	if (!d->client_closed)
		event_add(d->read, NULL);
}

static void
drain_write_cb(evutil_socket_t fd, short events, void *arg)
{
	struct drain *d = arg;
	int rc;

	(void)events;
	if ((rc = evbio_flush(d->out, fd)) != 0) {
		log_write(LOG_INFO, "%s: %zu bytes not sent after the tunnel "
		    "closed: %s", d->label, evbuffer_get_length(d->out),
		    strerror(-rc));
		drain_free(d);
		return;
	}
	if (evbuffer_get_length(d->out) == 0)
		drain_written(d);
}

/* Free the drain once the client, which sent FIN, has every byte. */
static void
drain_check_cb(evutil_socket_t fd, short events, void *arg)
{
	struct drain *d = arg;

	(void)fd;
	(void)events;
	if (drain_unsent(d->fd, d->out) == 0 || drain_peer_reset(d->fd))
		drain_free(d);
}

/*
 * Discard what the client still sends, until it closes. A client that
 * sends FIN before it has every byte may still read, until the deadline.
 */
static void
drain_read_cb(evutil_socket_t fd, short events, void *arg)
{
	static const struct timeval check_every = { 0,
	    DRAIN_CHECK_MS * 1000 };
	struct drain *d = arg;
	char discard[16384];
	ssize_t n;

	(void)events;
	while ((n = read(fd, discard, sizeof(discard))) > 0)
		continue;
	if (n == 0 && drain_unsent(fd, d->out) > 0) {
		event_del(d->read);
		d->client_closed = true;
		event_add(d->check, &check_every);
		return;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		drain_free(d);
}

static void
drain_deadline_cb(evutil_socket_t fd, short events, void *arg)
{
	struct drain *d = arg;
	size_t unsent = drain_unsent(d->fd, d->out);

	(void)fd;
	(void)events;
	if (unsent > 0 && !drain_peer_reset(d->fd))
		log_write(LOG_INFO, "%s: %zu bytes not delivered after the "
		    "tunnel closed: the client did not read them within %d s; "
		    "resetting the connection", d->label, unsent,
		    DRAIN_TIMEOUT);
	drain_free(d);
}

/* Count a drain of len bytes against the limits; false when over. */
static bool
drain_reserve(size_t len)
{
	size_t reserved = atomic_load(&drain_bytes);

	if (atomic_fetch_add(&drain_count, 1) >= DRAIN_COUNT_MAX) {
		atomic_fetch_sub(&drain_count, 1);
		return (false);
	}
	do {
		if (reserved + len > DRAIN_BYTES_MAX) {
			atomic_fetch_sub(&drain_count, 1);
			return (false);
		}
	} while (!atomic_compare_exchange_weak(&drain_bytes, &reserved,
	    reserved + len));
	return (true);
}

/* Reject a drain over the limits, with a reset while bytes are unsent. */
static void
drain_refuse(int fd, struct evbuffer *out, const char *label)
{
	size_t unsent = drain_unsent(fd, out);

	if (unsent > 0)
		log_write(LOG_INFO, "%s: %zu bytes not delivered after the "
		    "tunnel closed: closed tunnels already hold the limit of "
		    "%d connections or %d MiB; resetting the connection",
		    label, unsent, DRAIN_COUNT_MAX,
		    DRAIN_BYTES_MAX / (1024 * 1024));
	drain_close(fd, unsent);
	evbuffer_free(out);
}

static struct drain *
drain_new(struct event_base *base, int fd, struct evbuffer *out,
    const char *label)
{
	struct drain *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return (NULL);
	d->fd = fd;
	d->out = out;
	d->bytes = evbuffer_get_length(out);
	snprintf(d->label, sizeof(d->label), "%s", label);
	d->write = event_new(base, fd, EV_WRITE | EV_PERSIST, drain_write_cb,
	    d);
	d->read = event_new(base, fd, EV_READ | EV_PERSIST, drain_read_cb, d);
	d->deadline = evtimer_new(base, drain_deadline_cb, d);
	d->check = event_new(base, -1, EV_PERSIST, drain_check_cb, d);
	return (d);
}

void
drain_start(struct event_base *base, int fd, struct evbuffer *out,
    const char *label)
{
	struct timeval tv = { DRAIN_TIMEOUT, 0 };
	size_t len = evbuffer_get_length(out);
	struct drain *d;

	if (!drain_reserve(len)) {
		drain_refuse(fd, out, label);
		return;
	}
	d = drain_new(base, fd, out, label);
	if (d == NULL || d->write == NULL || d->read == NULL ||
	    d->deadline == NULL || d->check == NULL) {
		if (d != NULL) {
			drain_free(d);
			return;
		}
		atomic_fetch_sub(&drain_bytes, len);
		atomic_fetch_sub(&drain_count, 1);
		drain_close(fd, drain_unsent(fd, out));
		evbuffer_free(out);
		return;
	}

	event_add(d->deadline, &tv);
	if (len > 0)
		event_add(d->write, NULL);
	else
		drain_written(d);
}
