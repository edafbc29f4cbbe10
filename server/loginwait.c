/* The queue of logins that wait for a place to check, in loginwait.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hash.h"
#include "login.h"
#include "loginwait.h"

#define LOGINWAIT_BUCKETS	1024	/* power of two */

static struct {
	TAILQ_HEAD(, login) buckets[LOGINWAIT_BUCKETS];
	bool		due[LOGINWAIT_BUCKETS];	/* a check there ended */
	struct event	*wake;
	struct event_base *base;
} loginwait_state;

static size_t
loginwait_bucket(const char *source, const char *user)
{
	return (hash_pair(source, strlen(source), user, strlen(user)) &
	    (LOGINWAIT_BUCKETS - 1));
}

static bool
loginwait_same_pair(const struct login *a, const struct login *b)
{
	return (strcmp(a->lg_source, b->lg_source) == 0 &&
	    strcmp(a->lg_checked, b->lg_checked) == 0);
}

/*
 * Try the bucket's logins in order. Each one that starts or gets a response
 * leaves the queue, and what its callbacks did may have changed the
 * list, so the walk begins again. A pair without room keeps the rest
 * of its logins waiting.
 */
static void
loginwait_try_bucket(size_t b)
{
	struct login *lg, *full;

again:
	full = NULL;
	TAILQ_FOREACH(lg, &loginwait_state.buckets[b], lg_wait_entry) {
		if (full != NULL && loginwait_same_pair(lg, full))
			continue;
		if (login_wait_resume(lg))
			goto again;
		full = lg;
	}
}

static void
loginwait_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	size_t b;

	(void)fd;
	(void)what;
	(void)arg;
	for (b = 0; b < LOGINWAIT_BUCKETS; b++) {
		if (!loginwait_state.due[b])
			continue;
		loginwait_state.due[b] = false;
		loginwait_try_bucket(b);
	}
}

int
loginwait_init(struct event_base *base)
{
	size_t b;

	if (loginwait_state.wake != NULL)
		return (0);
	for (b = 0; b < LOGINWAIT_BUCKETS; b++)
		TAILQ_INIT(&loginwait_state.buckets[b]);
	loginwait_state.base = base;
	loginwait_state.wake = event_new(base, -1, 0, loginwait_wake_cb,
	    NULL);
	return (loginwait_state.wake != NULL ? 0 : -ENOMEM);
}

static void
loginwait_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	login_wait_expired(arg);
}

int
loginwait_add(struct login *lg, const char *password)
{
	size_t b = loginwait_bucket(lg->lg_source, lg->lg_checked);
	struct timeval tv = { LOGINWAIT_TIMEOUT, 0 };

	lg->lg_wait_timer = evtimer_new(loginwait_state.base,
	    loginwait_timeout_cb, lg);
	if (lg->lg_wait_timer == NULL ||
	    (lg->lg_password = strdup(password)) == NULL) {
		if (lg->lg_wait_timer != NULL)
			event_free(lg->lg_wait_timer);
		lg->lg_wait_timer = NULL;
		return (-ENOMEM);
	}
	evtimer_add(lg->lg_wait_timer, &tv);
	TAILQ_INSERT_TAIL(&loginwait_state.buckets[b], lg, lg_wait_entry);
	lg->lg_waiting = true;
	return (0);
}

bool
loginwait_pending(const char *source, const char *user)
{
	size_t b = loginwait_bucket(source, user);
	const struct login *lg;

	TAILQ_FOREACH(lg, &loginwait_state.buckets[b], lg_wait_entry) {
		if (strcmp(lg->lg_source, source) == 0 &&
		    strcmp(lg->lg_checked, user) == 0)
			return (true);
	}
	return (false);
}

void
loginwait_remove(struct login *lg)
{
	size_t b;

	if (!lg->lg_waiting)
		return;
	b = loginwait_bucket(lg->lg_source, lg->lg_checked);
	TAILQ_REMOVE(&loginwait_state.buckets[b], lg, lg_wait_entry);
	OPENSSL_cleanse(lg->lg_password, strlen(lg->lg_password));
	free(lg->lg_password);
	lg->lg_password = NULL;
	event_free(lg->lg_wait_timer);
	lg->lg_wait_timer = NULL;
	lg->lg_waiting = false;
}

const char *
loginwait_password(const struct login *lg)
{
	return (lg->lg_password);
}

void
loginwait_notify(const char *source, const char *user)
{
	size_t b = loginwait_bucket(source, user);

	if (TAILQ_EMPTY(&loginwait_state.buckets[b]))
		return;
	loginwait_state.due[b] = true;
	event_active(loginwait_state.wake, 0, 0);
}
