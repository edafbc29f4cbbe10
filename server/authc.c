/* The authd client declared in authc.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "authc.h"
#include "ipc.h"
#include "log.h"

/*
 * PAM may take seconds, because pam_unix delays failures by about two.
 * A request older than this fails as a server error, not a wrong password.
 * The time includes the wait behind other logins. In a power-cut storm
 * of 10,000 phones that wait is about 20 s on one core, so the limit is
 * the phones' own 30 s Fail to Connect timer, after which none waits.
 */
#define AUTHC_TIMEOUT_SECONDS	30
/*
 * Timeouts in a row, with no reply in between and none for a whole
 * timeout, that make authd count as stuck. A slow password backend still
 * replies to some checks, even when a queue of them times out at once.
 */
#define AUTHC_STUCK_TIMEOUTS	3

/*
 * Requests waiting for room in the socket buffer. A burst of logins
 * after a power cut fills the buffer long before authd falls behind its
 * timeout, so requests wait here instead of failing. The cap leaves room
 * for the logins of 10,000 phones at once with a wide margin. A queued
 * request takes about 460 bytes, so a full queue stays under 32 MiB.
 */
#define AUTHC_SEND_QUEUE_MAX	65536

struct authc_request {
	uint32_t	id;
	struct ipc_auth_request *unsent;	/* not yet in the socket */
	authc_done_fn	*done;
	void		*arg;
	struct event	*timer;
	struct authc	*ac;
	struct authc_old *old;	/* the replaced authd it was sent to */
	TAILQ_ENTRY(authc_request) entry;
};

/*
 * The socket of an authd that a reload replaced. It stays open until
 * that authd has replied to every request sent to it, so a reload fails
 * no login, however many come during one check. Closing it ends that
 * authd.
 */
struct authc_old {
	int		fd;		/* -1 while it closes */
	struct event	*read_event;
	size_t		waiting;	/* requests with r->old == this */
	TAILQ_ENTRY(authc_old) entry;
};

struct authc {
	struct event_base *base;
	int		fd;
	struct event	*read_event;
	struct event	*write_event;
	size_t		unsent;		/* requests with r->unsent set */
	uint32_t	next_id;
	TAILQ_HEAD(, authc_request) pending;
	TAILQ_HEAD(, authc_old) olds;
	unsigned	timeouts;	/* in a row, of the current authd */
	time_t		last_reply;	/* or its start: monotonic seconds */
	authc_stuck_fn	*stuck;
	void		*stuck_arg;
};

static void	authc_old_close(struct authc *ac, struct authc_old *o,
		    const char *why);

static time_t
authc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

static void
authc_request_free(struct authc *ac, struct authc_request *r)
{
	struct authc_old *o = r->old;

	if (r->unsent != NULL) {
		OPENSSL_cleanse(r->unsent, sizeof(*r->unsent));
		free(r->unsent);
		ac->unsent--;
	}
	TAILQ_REMOVE(&ac->pending, r, entry);
	event_free(r->timer);
	free(r);

	/* The replaced authd owes nothing more, so it may end. */
	if (o != NULL && --o->waiting == 0 && o->fd >= 0)
		authc_old_close(ac, o, NULL);
}

static void
authc_finish(struct authc *ac, struct authc_request *r,
    enum ipc_auth_result result, const char *message)
{
	authc_done_fn *done = r->done;
	void *arg = r->arg;

	authc_request_free(ac, r);
	done(arg, result, message);
}

static void
authc_fail_all(struct authc *ac, const char *message)
{
	struct authc_request *r;

	while ((r = TAILQ_FIRST(&ac->pending)) != NULL)
		authc_finish(ac, r, IPC_AUTH_ERROR, message);
}

/*
 * Close a replaced authd's socket, which ends that authd. The requests
 * it still owed fail with why, when given.
 */
static void
authc_old_close(struct authc *ac, struct authc_old *o, const char *why)
{
	struct authc_request *r;

	TAILQ_REMOVE(&ac->olds, o, entry);
	event_free(o->read_event);
	close(o->fd);
	o->fd = -1;

	/* Search afresh each time: a callback may end other requests. */
	for (;;) {
		TAILQ_FOREACH(r, &ac->pending, entry) {
			if (r->old == o)
				break;
		}
		if (r == NULL)
			break;
		authc_finish(ac, r, IPC_AUTH_ERROR, why);
	}
	free(o);
}

/* Close the socket; requests still waiting fail with the message. */
static void
authc_drop(struct authc *ac, const char *message)
{
	event_free(ac->read_event);
	event_free(ac->write_event);
	ac->read_event = ac->write_event = NULL;
	close(ac->fd);
	ac->fd = -1;
	authc_fail_all(ac, message);
}

static void
authc_close(struct authc *ac, const char *why)
{
	if (ac->fd < 0)
		return;
	log_warnx("authd connection closed: %s; password logins fail "
	    "until the parent restarts authd", why);
	authc_drop(ac, "authd is not running");
}

static void
authc_handle_reply(struct authc *ac, const struct ipc_auth_reply *rep)
{
	struct authc_request *r;

	TAILQ_FOREACH(r, &ac->pending, entry) {
		if (r->id == rep->id) {
			authc_finish(ac, r, rep->result, rep->message);
			return;
		}
	}
	/* A reply to a cancelled or timed-out request: nothing waits. */
}

static void
authc_socket_failed(struct authc *ac, int fd, const char *why)
{
	struct authc_old *o;

	TAILQ_FOREACH(o, &ac->olds, entry) {
		if (o->fd == fd) {
			log_warnx("a replaced authd's connection closed: %s",
			    why);
			authc_old_close(ac, o, "authd ended during a reload");
			return;
		}
	}
	authc_close(ac, why);
}

static void
authc_read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct authc *ac = arg;
	struct ipc_auth_reply rep;
	uint8_t buf[sizeof(rep) + 1];
	int len, passed;

	(void)events;
	len = ipc_recv(fd, buf, sizeof(buf), &passed);
	if (passed >= 0)
		close(passed);
	if (len == -EAGAIN || len == -EWOULDBLOCK)
		return;
	if (len <= 0) {
		authc_socket_failed(ac, fd, len == 0 ? "end of file" :
		    strerror(-len));
		return;
	}
	if (ipc_auth_reply_decode(buf, (size_t)len, &rep) != 0) {
		authc_socket_failed(ac, fd, "malformed reply");
		return;
	}

	/* Even a late reply shows that the current authd works. */
	if (fd == ac->fd) {
		ac->timeouts = 0;
		ac->last_reply = authc_now();
	}
	authc_handle_reply(ac, &rep);
}

static void
authc_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	struct authc_request *r = arg;
	struct authc *ac = r->ac;
	bool stuck = r->old == NULL &&
	    ++ac->timeouts % AUTHC_STUCK_TIMEOUTS == 0 && ac->stuck != NULL &&
	    authc_now() - ac->last_reply >= AUTHC_TIMEOUT_SECONDS;

	(void)fd;
	(void)events;
	authc_finish(ac, r, IPC_AUTH_ERROR, "authd did not answer in time");
	if (stuck)
		ac->stuck(ac->stuck_arg);
}

void
authc_on_stuck(struct authc *ac, authc_stuck_fn *fn, void *arg)
{
	ac->stuck = fn;
	ac->stuck_arg = arg;
}

struct authc *
authc_new(struct event_base *base)
{
	struct authc *ac;

	if ((ac = calloc(1, sizeof(*ac))) == NULL)
		return (NULL);
	ac->base = base;
	ac->fd = -1;
	TAILQ_INIT(&ac->olds);
	ac->next_id = 1;
	TAILQ_INIT(&ac->pending);
	return (ac);
}

/* Send queued requests, oldest first, while the socket takes them. */
static void
authc_write_cb(evutil_socket_t fd, short events, void *arg)
{
	struct authc *ac = arg;
	struct authc_request *r;
	int rc;

	(void)events;
	TAILQ_FOREACH(r, &ac->pending, entry) {
		if (r->unsent == NULL)
			continue;
		rc = ipc_send(fd, r->unsent, sizeof(*r->unsent), -1);
		if (rc == -EAGAIN)
			return;
		if (rc != 0) {
			authc_close(ac, strerror(-rc));
			return;
		}
		OPENSSL_cleanse(r->unsent, sizeof(*r->unsent));
		free(r->unsent);
		r->unsent = NULL;
		ac->unsent--;
	}
	event_del(ac->write_event);
}

/*
 * Keep the socket of an authd that a reload replaces for the replies it
 * owes; requests not yet sent go to the new one.
 */
static void
authc_retire(struct authc *ac)
{
	struct authc_request *r;
	struct authc_old *o;

	if ((o = calloc(1, sizeof(*o))) == NULL) {
		authc_drop(ac, "out of memory while authd was replaced");
		return;
	}
	event_free(ac->write_event);
	ac->write_event = NULL;
	o->fd = ac->fd;
	o->read_event = ac->read_event;
	TAILQ_INSERT_TAIL(&ac->olds, o, entry);
	ac->fd = -1;
	ac->read_event = NULL;
	TAILQ_FOREACH(r, &ac->pending, entry) {
		if (r->unsent == NULL && r->old == NULL) {
			r->old = o;
			o->waiting++;
		}
	}
	if (o->waiting == 0)
		authc_old_close(ac, o, NULL);
}

void
authc_set_socket(struct authc *ac, int fd)
{
	if (ac->fd >= 0)
		authc_retire(ac);
	ac->timeouts = 0;
	ac->last_reply = authc_now();
	if (fd < 0)
		return;
	evutil_make_socket_nonblocking(fd);
	ac->read_event = event_new(ac->base, fd, EV_READ | EV_PERSIST,
	    authc_read_cb, ac);
	ac->write_event = event_new(ac->base, fd, EV_WRITE | EV_PERSIST,
	    authc_write_cb, ac);
	if (ac->read_event == NULL || ac->write_event == NULL ||
	    event_add(ac->read_event, NULL) != 0)
		fatalx("cannot watch the authd socket");
	ac->fd = fd;
	if (ac->unsent > 0)
		event_add(ac->write_event, NULL);
}

static struct authc_request *
authc_request_new(struct authc *ac, authc_done_fn *done, void *arg)
{
	struct authc_request *r;
	struct timeval tv = { AUTHC_TIMEOUT_SECONDS, 0 };

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	r->timer = evtimer_new(ac->base, authc_timeout_cb, r);
	if (r->timer == NULL) {
		free(r);
		return (NULL);
	}
	r->ac = ac;
	r->done = done;
	r->arg = arg;
	r->id = ac->next_id++;
	if (ac->next_id == 0)
		ac->next_id = 1;
	evtimer_add(r->timer, &tv);
	TAILQ_INSERT_TAIL(&ac->pending, r, entry);
	return (r);
}

/* Keep a copy of a request that the socket could not take yet. */
static int
authc_queue(struct authc *ac, struct authc_request *r,
    const struct ipc_auth_request *req)
{
	if (ac->unsent >= AUTHC_SEND_QUEUE_MAX)
		return (-ENOBUFS);
	if ((r->unsent = malloc(sizeof(*req))) == NULL)
		return (-ENOMEM);
	memcpy(r->unsent, req, sizeof(*req));
	ac->unsent++;
	event_add(ac->write_event, NULL);
	return (0);
}

int64_t
authc_request(struct authc *ac, const char *group, const char *user,
    const char *password, authc_done_fn *done, void *arg)
{
	struct ipc_auth_request req;
	struct authc_request *r;
	int rc;

	if (ac->fd < 0)
		return (-ENOTCONN);
	if ((r = authc_request_new(ac, done, arg)) == NULL)
		return (-ENOMEM);
	rc = ipc_auth_request_init(&req, r->id, group, user, password);
	if (rc == 0 && ac->unsent == 0)
		rc = ipc_send(ac->fd, &req, sizeof(req), -1);
	else if (rc == 0)
		rc = -EAGAIN;
	if (rc == -EAGAIN)
		rc = authc_queue(ac, r, &req);
	OPENSSL_cleanse(&req, sizeof(req));
	if (rc != 0) {
		authc_request_free(ac, r);
		return (rc);
	}
	return (r->id);
}

void
authc_cancel(struct authc *ac, int64_t id)
{
	struct authc_request *r;

	TAILQ_FOREACH(r, &ac->pending, entry) {
		if (r->id == id) {
			authc_request_free(ac, r);
			return;
		}
	}
}
