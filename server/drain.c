/* The drains declared in drain.h. */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "drain.h"
#include "log.h"

struct drain {
	int		 fd;
	struct evbuffer	*out;
	struct event	*write;
	struct event	*deadline;
	size_t		 bytes;		/* counted in drain_bytes */
	char		 label[DRAIN_LABEL_MAX];
};

/* Workers close tunnels at the same time, so the total is atomic. */
static atomic_size_t drain_bytes;

static void
drain_free(struct drain *d)
{
	atomic_fetch_sub(&drain_bytes, d->bytes);
	if (d->write != NULL)
		event_free(d->write);
	if (d->deadline != NULL)
		event_free(d->deadline);
	evbuffer_free(d->out);
	close(d->fd);
	free(d);
}

static void
drain_write_cb(evutil_socket_t fd, short events, void *arg)
{
	struct drain *d = arg;

	(void)events;
	if (evbuffer_write(d->out, fd) < 0 && errno != EAGAIN &&
	    errno != EINTR) {
		log_write(LOG_INFO, "%s: %zu bytes not sent after the tunnel "
		    "closed: %s", d->label, evbuffer_get_length(d->out),
		    strerror(errno));
		drain_free(d);
		return;
	}
	if (evbuffer_get_length(d->out) == 0)
		drain_free(d);
}

static void
drain_deadline_cb(evutil_socket_t fd, short events, void *arg)
{
	struct drain *d = arg;

	(void)fd;
	(void)events;
	log_write(LOG_INFO, "%s: %zu bytes not sent after the tunnel closed: "
	    "the client read nothing for %d s", d->label,
	    evbuffer_get_length(d->out), DRAIN_TIMEOUT);
	drain_free(d);
}

/* Count len against the limit; false when it does not fit. */
static bool
drain_reserve(size_t len)
{
	size_t reserved = atomic_load(&drain_bytes);

	do {
		if (reserved + len > DRAIN_BYTES_MAX)
			return (false);
	} while (!atomic_compare_exchange_weak(&drain_bytes, &reserved,
	    reserved + len));
	return (true);
}

void
drain_start(struct event_base *base, int fd, struct evbuffer *out,
    const char *label)
{
	struct timeval tv = { DRAIN_TIMEOUT, 0 };
	size_t len = evbuffer_get_length(out);
	struct drain *d;

	if (len == 0) {
		evbuffer_free(out);
		close(fd);
		return;
	}
	if (!drain_reserve(len)) {
		log_write(LOG_INFO, "%s: %zu bytes not sent after the tunnel "
		    "closed: closed tunnels already hold the limit of %d MiB",
		    label, len, DRAIN_BYTES_MAX / (1024 * 1024));
		evbuffer_free(out);
		close(fd);
		return;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		atomic_fetch_sub(&drain_bytes, len);
		evbuffer_free(out);
		close(fd);
		return;
	}
	d->fd = fd;
	d->out = out;
	d->bytes = len;
	snprintf(d->label, sizeof(d->label), "%s", label);

	d->write = event_new(base, fd, EV_WRITE | EV_PERSIST, drain_write_cb,
	    d);
	d->deadline = evtimer_new(base, drain_deadline_cb, d);
	if (d->write == NULL || d->deadline == NULL) {
		drain_free(d);
		return;
	}
	event_add(d->write, NULL);
	event_add(d->deadline, &tv);
}
