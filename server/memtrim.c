/* Trimming the heap after a burst of logins, declared in memtrim.h. */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

#include <event2/event.h>

#include "log.h"
#include "memtrim.h"
#include "netproc.h"

struct memtrim {
	struct event	*timer;
	uint64_t	checked_conn_id;	/* next_conn_id at that check */
};

bool
memtrim_burst_over(const struct netproc *np)
{
	return (np->next_conn_id - np->memtrim->checked_conn_id >=
	    MEMTRIM_BURST && np->conns_open <= MEMTRIM_QUIET);
}

size_t
memtrim_check(struct netproc *np)
{
	struct memtrim *m = np->memtrim;
	struct mallinfo2 info;

	if (!memtrim_burst_over(np))
		return (0);

	/* Look once per burst, because mallinfo2 walks the free lists. */
	m->checked_conn_id = np->next_conn_id;
	info = mallinfo2();
	if (info.fordblks < MEMTRIM_FREE_MIN)
		return (0);

	malloc_trim(0);
	return (info.fordblks);
}

static void
memtrim_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct netproc *np = arg;
	uint64_t since = np->next_conn_id - np->memtrim->checked_conn_id;
	size_t free_bytes;

	(void)fd;
	(void)events;
	if ((free_bytes = memtrim_check(np)) > 0)
		log_info("a burst of %llu connections is over: returned the "
		    "free part of the heap, %zu MiB, to the system",
		    (unsigned long long)since, free_bytes >> 20);
}

int
memtrim_start(struct netproc *np)
{
	struct timeval every = { MEMTRIM_SECONDS, 0 };
	struct memtrim *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return (-ENOMEM);
	m->checked_conn_id = np->next_conn_id;
	m->timer = event_new(np->base, -1, EV_PERSIST, memtrim_timer_cb, np);
	if (m->timer == NULL || event_add(m->timer, &every) != 0) {
		if (m->timer != NULL)
			event_free(m->timer);
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
	free(m);
	np->memtrim = NULL;
}
