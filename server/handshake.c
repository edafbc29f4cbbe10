/* TLS handshakes on the worker threads, declared in handshake.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <openssl/err.h>

#include "handshake.h"
#include "log.h"
#include "netproc.h"
#include "worker.h"

struct handshake {
	TAILQ_ENTRY(handshake) entry;
	TAILQ_ENTRY(handshake) wait_entry;	/* while not started */
	bool		started;
	int		ssl_error;	/* of the step that failed */
	int		sys_errno;
	struct netproc	*np;
	struct conn	*conn;		/* the control thread's; not touched */
	uint64_t	conn_id;
	int		fd;
	SSL		*ssl;
	struct event	*event;
};

TAILQ_HEAD(handshake_list, handshake);

/*
 * A worker's handshakes. New ones wait their turn, so that a storm of
 * connections does not start thousands of handshakes at once, because
 * each uses about 44 KiB of OpenSSL memory (measured with OpenSSL 3.0)
 * until the client's Finished arrives. Handshakes already started go
 * first. A client that stalls still keeps its share until the handshake
 * timeout.
 */
struct handshake_queue {
	struct handshake_list all;	/* started or waiting */
	struct handshake_list waiting;	/* oldest first */
	struct event	*starter;	/* starts the next few */
};

/* Handshakes started per turn of the event loop. */
#define HANDSHAKE_STARTS_PER_TURN	4

static void	handshake_step(struct handshake *h);

static void	handshake_start_some(evutil_socket_t, short, void *);

static struct handshake_queue *
handshake_queue_of(struct netproc *np)
{
	struct handshake_queue *q = np->handshakes;

	if (q != NULL)
		return (q);
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return (NULL);
	if ((q->starter = evtimer_new(np->base, handshake_start_some,
	    np)) == NULL) {
		free(q);
		return (NULL);
	}
	TAILQ_INIT(&q->all);
	TAILQ_INIT(&q->waiting);
	np->handshakes = q;
	return (q);
}

/*
 * Run the starter after the next poll, so that the events of handshakes
 * already started come first.
 */
static void
handshake_schedule(struct handshake_queue *q)
{
	static const struct timeval now = { 0, 0 };

	if (TAILQ_EMPTY(&q->waiting) || evtimer_pending(q->starter, NULL))
		return;

	/* Without the timer, the handshake timeout ends those waiting. */
	if (evtimer_add(q->starter, &now) != 0)
		log_warnx("failed to schedule the next TLS handshakes; the "
		    "waiting ones end at the handshake timeout");
}

static void
handshake_start_some(evutil_socket_t fd, short events, void *arg)
{
	struct netproc *np = arg;
	struct handshake_queue *q = np->handshakes;
	struct handshake *h;
	int i;

	(void)fd;
	(void)events;
	for (i = 0; i < HANDSHAKE_STARTS_PER_TURN; i++) {
		if ((h = TAILQ_FIRST(&q->waiting)) == NULL)
			return;
		TAILQ_REMOVE(&q->waiting, h, wait_entry);
		h->started = true;
		handshake_step(h);
	}
	handshake_schedule(q);
}

/*
 * Report the result and forget the handshake. The control thread gets
 * fd and ssl back.
 */
static void
handshake_finish(struct handshake *h, int ok)
{
	struct handshake_result r = { .ok = ok, .ssl_error = h->ssl_error,
	    .sys_errno = h->sys_errno };
	struct handshake_queue *q = h->np->handshakes;

	while (!ok && r.nerrors < HANDSHAKE_ERRORS_MAX &&
	    (r.errors[r.nerrors] = ERR_get_error()) != 0)
		r.nerrors++;
	ERR_clear_error();
	TAILQ_REMOVE(&q->all, h, entry);
	if (!h->started)
		TAILQ_REMOVE(&q->waiting, h, wait_entry);
	if (h->event != NULL)
		event_free(h->event);
	worker_handshake_done(h->np, h->conn, &r);
	free(h);
}

static void
handshake_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	handshake_step(arg);
}

/* Wait until the socket is readable or writable, as OpenSSL needs. */
static int
handshake_wait(struct handshake *h, short what)
{
	if (h->event != NULL) {
		event_del(h->event);
		if (event_assign(h->event, h->np->base, h->fd, what,
		    handshake_cb, h) != 0)
			return (-1);
	} else if ((h->event = event_new(h->np->base, h->fd, what,
	    handshake_cb, h)) == NULL) {
		return (-1);
	}
	return (event_add(h->event, NULL));
}

static void
handshake_step(struct handshake *h)
{
	int rc;

	ERR_clear_error();
	errno = 0;
	if ((rc = SSL_do_handshake(h->ssl)) == 1) {
		handshake_finish(h, 1);
		return;
	}
	h->sys_errno = errno;
	switch ((h->ssl_error = SSL_get_error(h->ssl, rc))) {
	case SSL_ERROR_WANT_READ:
		if (handshake_wait(h, EV_READ) == 0)
			return;
		break;
	case SSL_ERROR_WANT_WRITE:
		if (handshake_wait(h, EV_WRITE) == 0)
			return;
		break;
	default:
		break;
	}
	handshake_finish(h, 0);
}

void
handshake_run(struct netproc *np, struct conn *c, uint64_t conn_id, int fd,
    SSL *ssl)
{
	struct handshake_queue *q = handshake_queue_of(np);
	struct handshake_result fail = { .ok = 0 };
	struct handshake *h;

	if (q == NULL || (h = calloc(1, sizeof(*h))) == NULL) {
		log_warnx("worker %zu: out of memory for a TLS handshake",
		    worker_index(np));
		worker_handshake_done(np, c, &fail);
		return;
	}
	if (SSL_set_fd(ssl, fd) != 1) {
		free(h);
		worker_handshake_done(np, c, &fail);
		return;
	}
	h->np = np;
	h->conn = c;
	h->conn_id = conn_id;
	h->fd = fd;
	h->ssl = ssl;
	SSL_set_accept_state(ssl);
	TAILQ_INSERT_TAIL(&q->all, h, entry);
	TAILQ_INSERT_TAIL(&q->waiting, h, wait_entry);
	handshake_schedule(q);
}

void
handshake_cancel(struct netproc *np, uint64_t conn_id)
{
	struct handshake *h;

	if (np->handshakes == NULL)
		return;
	TAILQ_FOREACH(h, &np->handshakes->all, entry) {
		if (h->conn_id == conn_id) {
			handshake_finish(h, 0);
			return;
		}
	}
}

void
handshake_queue_free(struct netproc *np)
{
	struct handshake_queue *q = np->handshakes;
	struct handshake *h;

	if (q == NULL)
		return;
	while ((h = TAILQ_FIRST(&q->all)) != NULL) {
		TAILQ_REMOVE(&q->all, h, entry);
		if (h->event != NULL)
			event_free(h->event);
		free(h);
	}
	event_free(q->starter);
	free(q);
	np->handshakes = NULL;
}
