/* The channel to the parent declared in parentc.h. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "ipc.h"
#include "log.h"
#include "netproc.h"
#include "parentc.h"

struct parentc_msg {
	TAILQ_ENTRY(parentc_msg) pm_entry;
	size_t		pm_len;
	unsigned char	pm_data[];
};

static struct {
	int		fd;
	struct event	*write;		/* pending while messages wait */
	TAILQ_HEAD(, parentc_msg) queue;
	size_t		queued;
	uint64_t	dropped;
} parentc_state = { .fd = -1,
    .queue = TAILQ_HEAD_INITIALIZER(parentc_state.queue) };

/* Send what waits, oldest first, until the socket is full. */
static int
parentc_drain(void)
{
	struct parentc_msg *m;
	int rc;

	while ((m = TAILQ_FIRST(&parentc_state.queue)) != NULL) {
		rc = ipc_send(parentc_state.fd, m->pm_data, m->pm_len, -1);
		if (rc == -EAGAIN)
			return (0);
		TAILQ_REMOVE(&parentc_state.queue, m, pm_entry);
		parentc_state.queued--;
		free(m);
		if (rc != 0)
			return (rc);
	}
	return (0);
}

static void
parentc_write_cb(evutil_socket_t fd, short events, void *arg)
{
	int rc;

	(void)fd;
	(void)events;
	(void)arg;
	if ((rc = parentc_drain()) != 0)
		log_warnx("cannot send to the parent: %s", strerror(-rc));
	if (TAILQ_EMPTY(&parentc_state.queue))
		event_del(parentc_state.write);
}

int
parentc_start(struct netproc *np)
{
	parentc_state.fd = np->parent_fd;
	evutil_make_socket_nonblocking(np->parent_fd);
	parentc_state.write = event_new(np->base, np->parent_fd,
	    EV_WRITE | EV_PERSIST, parentc_write_cb, NULL);
	return (parentc_state.write == NULL ? -ENOMEM : 0);
}

/* A full queue means the parent stopped reading: drop the oldest. */
static void
parentc_drop_oldest(void)
{
	struct parentc_msg *m = TAILQ_FIRST(&parentc_state.queue);

	TAILQ_REMOVE(&parentc_state.queue, m, pm_entry);
	parentc_state.queued--;
	free(m);
	if (parentc_state.dropped++ % 1000 == 0)
		log_warnx("the parent is not reading its channel; dropped "
		    "%llu message(s), so the state file misses sessions",
		    (unsigned long long)parentc_state.dropped);
}

int
parentc_send(struct netproc *np, const void *msg, size_t len)
{
	struct parentc_msg *m;
	int rc;

	if (TAILQ_EMPTY(&parentc_state.queue)) {
		rc = ipc_send(np->parent_fd, msg, len, -1);
		if (rc != -EAGAIN || parentc_state.write == NULL)
			return (rc);
	}
	if ((m = malloc(sizeof(*m) + len)) == NULL)
		return (-ENOMEM);
	m->pm_len = len;
	memcpy(m->pm_data, msg, len);
	if (parentc_state.queued == PARENTC_QUEUE_MAX)
		parentc_drop_oldest();
	TAILQ_INSERT_TAIL(&parentc_state.queue, m, pm_entry);
	parentc_state.queued++;
	if (parentc_state.write != NULL)
		event_add(parentc_state.write, NULL);
	return (0);
}

void
parentc_flush(int timeout_ms)
{
	struct pollfd pfd = { .fd = parentc_state.fd, .events = POLLOUT };
	struct timespec start, now;
	int left = timeout_ms;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!TAILQ_EMPTY(&parentc_state.queue) && left > 0) {
		if (poll(&pfd, 1, left) <= 0 || parentc_drain() != 0)
			return;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms - (int)((now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000);
	}
}
