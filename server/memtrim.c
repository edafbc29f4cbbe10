/* Trimming the heap after a burst, declared in memtrim.h. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "memtrim.h"
#include "netproc.h"

struct memtrim {
	struct event	*timer;
	uint64_t	churn_at_check;	/* memtrim_churn at the last check */
	int		statm_fd;	/* /proc/self/statm, or -1 */
	long		page_size;
};

/* Connections accepted and sessions ended since the process started. */
static uint64_t
memtrim_churn(const struct netproc *np)
{
	return (np->next_conn_id + np->sessions_closed);
}

/* The resident memory in bytes, or 0 when it cannot be read. */
static size_t
memtrim_resident(const struct memtrim *m)
{
	char text[128];
	unsigned long size, resident;
	ssize_t n;

	if (m->statm_fd < 0 || lseek(m->statm_fd, 0, SEEK_SET) != 0)
		return (0);
	if ((n = read(m->statm_fd, text, sizeof(text) - 1)) <= 0)
		return (0);

	text[n] = '\0';
	if (sscanf(text, "%lu %lu", &size, &resident) != 2)
		return (0);
	return ((size_t)resident * (size_t)m->page_size);
}

bool
memtrim_burst_over(const struct netproc *np)
{
	return (memtrim_churn(np) - np->memtrim->churn_at_check >=
	    MEMTRIM_BURST && np->conns_open <= MEMTRIM_QUIET);
}

bool
memtrim_check(struct netproc *np, size_t *released)
{
	struct memtrim *m = np->memtrim;
	size_t before, after;

	*released = 0;
	if (!memtrim_burst_over(np))
		return (false);

	/*
	 * Look once per burst, because mallinfo2 walks the free lists with
	 * the arena locked: 4 ms for 100,000 free chunks in a test. When
	 * too little is free, as while a storm's sessions are still up, the
	 * ends of those sessions make the next burst.
	 */
	m->churn_at_check = memtrim_churn(np);
	if (mallinfo2().fordblks < MEMTRIM_FREE_MIN)
		return (false);

	before = memtrim_resident(m);
	malloc_trim(0);
	after = memtrim_resident(m);
	if (before > after && after > 0)
		*released = before - after;
	return (true);
}

static void
memtrim_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct netproc *np = arg;
	uint64_t churn = memtrim_churn(np) - np->memtrim->churn_at_check;
	size_t released;

	(void)fd;
	(void)events;
	if (memtrim_check(np, &released))
		log_info("%llu connections and session ends since the last "
		    "check: returned %zu MiB of free heap to the system",
		    (unsigned long long)churn, released >> 20);
}

int
memtrim_start(struct netproc *np)
{
	struct timeval every = { MEMTRIM_SECONDS, 0 };
	struct memtrim *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return (-ENOMEM);
	m->churn_at_check = memtrim_churn(np);
	m->statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	m->page_size = sysconf(_SC_PAGESIZE);
	m->timer = event_new(np->base, -1, EV_PERSIST, memtrim_timer_cb, np);
	if (m->timer == NULL || event_add(m->timer, &every) != 0) {
		if (m->timer != NULL)
			event_free(m->timer);
		if (m->statm_fd >= 0)
			close(m->statm_fd);
		free(m);
		return (-ENOMEM);
	}
	np->memtrim = m;
	return (0);
}

void
memtrim_stop(struct netproc *np)
{
	struct memtrim *m = np->memtrim;

	if (m == NULL)
		return;
	event_free(m->timer);
	if (m->statm_fd >= 0)
		close(m->statm_fd);
	free(m);
	np->memtrim = NULL;
}
