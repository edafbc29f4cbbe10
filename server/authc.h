/*
 * The network process's side of authd. It sends password checks, matches
 * replies to requests by id, and fails a request whose authd went away
 * or did not reply within its timeout, so a login does not wait forever.
 */
#ifndef HEADEND_AUTHC_H
#define HEADEND_AUTHC_H

#include <stdint.h>

#include <event2/event.h>

#include "ipc.h"

struct authc;

/* Called exactly once per request unless the request is cancelled. */
typedef void authc_done_fn(void *arg, enum ipc_auth_result result,
    const char *message);

struct authc *authc_new(struct event_base *base);

/* Receives the news that authd let several checks in a row time out. */
typedef void authc_stuck_fn(void *arg);

/*
 * Call fn each time another AUTHC_STUCK_TIMEOUTS checks in a row sent to
 * the current authd time out while it sent no reply for a whole timeout.
 * The repeats cover a request that the parent could not act on.
 */
void	authc_on_stuck(struct authc *ac, authc_stuck_fn *fn, void *arg);

/* Use a new authd socket (-1: none until the parent sends one). */
void	authc_set_socket(struct authc *ac, int fd);

/*
 * Ask authd. Returns the request id (> 0), or -ENOTCONN when no authd is
 * connected, or another -errno; done is not called on error.
 */
int64_t	authc_request(struct authc *ac, const char *group, const char *user,
	    const char *password, authc_done_fn *done, void *arg);

/* Forget a request whose requester went away; done is never called. */
void	authc_cancel(struct authc *ac, int64_t id);

#endif
