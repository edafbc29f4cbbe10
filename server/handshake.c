/* TLS handshakes on the worker threads, declared in handshake.h. */
#include <errno.h>
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

static void	handshake_step(struct handshake *h);

static struct handshake_list *
handshake_list_of(struct netproc *np)
{
	if (np->handshakes == NULL) {
		if ((np->handshakes = calloc(1, sizeof(*np->handshakes))) ==
		    NULL)
			return (NULL);
		TAILQ_INIT(np->handshakes);
	}
	return (np->handshakes);
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

	while (!ok && r.nerrors < HANDSHAKE_ERRORS_MAX &&
	    (r.errors[r.nerrors] = ERR_get_error()) != 0)
		r.nerrors++;
	ERR_clear_error();
	TAILQ_REMOVE(h->np->handshakes, h, entry);
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
	struct handshake_list *list = handshake_list_of(np);
	struct handshake_result fail = { .ok = 0 };
	struct handshake *h;

	if (list == NULL || (h = calloc(1, sizeof(*h))) == NULL) {
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
	TAILQ_INSERT_TAIL(list, h, entry);
	SSL_set_accept_state(ssl);
	handshake_step(h);
}

void
handshake_cancel(struct netproc *np, uint64_t conn_id)
{
	struct handshake *h;

	if (np->handshakes == NULL)
		return;
	TAILQ_FOREACH(h, np->handshakes, entry) {
		if (h->conn_id == conn_id) {
			handshake_finish(h, 0);
			return;
		}
	}
}
