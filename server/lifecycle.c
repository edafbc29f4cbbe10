/* The session timers declared in lifecycle.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>

#include <event2/event.h>

#include "config.h"
#include "lifecycle.h"
#include "netproc.h"
#include "session.h"

/* The time the idle or session timeout ends the session, or 0. */
static time_t
lifecycle_deadline(const struct session *se)
{
	const struct session_timers *t = &se->se_timers;
	time_t when = 0, idle;

	if (t->session_timeout > 0)
		when = se->se_started + t->session_timeout;
	if (t->idle_timeout > 0) {
		idle = __atomic_load_n(&se->se_last_activity,
		    __ATOMIC_RELAXED) + t->idle_timeout;
		if (when == 0 || idle < when)
			when = idle;
	}
	return (when);
}

static void
lifecycle_end_expired(struct session *se, time_t now)
{
	const struct session_timers *t = &se->se_timers;
	char reason[96];

	if (t->session_timeout > 0 &&
	    now >= se->se_started + t->session_timeout)
		snprintf(reason, sizeof(reason), "session timeout: %d "
		    "seconds since login", t->session_timeout);
	else
		snprintf(reason, sizeof(reason), "idle timeout: no traffic "
		    "from the client for %d seconds", t->idle_timeout);
	lifecycle_logoff(se, reason);
}

/*
 * Packets move se_last_activity forward without touching the timer, so
 * it may fire before the idle deadline. It then waits for the new one.
 */
static void
lifecycle_deadline_cb(evutil_socket_t fd, short events, void *arg)
{
	struct session *se = arg;
	time_t when = lifecycle_deadline(se), now = time(NULL);

	(void)fd;
	(void)events;
	if (when != 0 && now >= when) {
		lifecycle_end_expired(se, now);
		return;
	}
	lifecycle_rearm(se);
}

void
lifecycle_rearm(struct session *se)
{
	time_t when = lifecycle_deadline(se), now = time(NULL);
	struct timeval tv = { 0, 0 };

	evtimer_del(se->se_timers.deadline);
	if (when == 0)
		return;
	if (when > now)
		tv.tv_sec = when - now;
	evtimer_add(se->se_timers.deadline, &tv);
}

int
lifecycle_start(struct session *se, const struct config_policy *pol)
{
	se->se_timers.deadline = evtimer_new(se->se_np->base,
	    lifecycle_deadline_cb, se);
	if (se->se_timers.deadline == NULL)
		return (-ENOMEM);
	se->se_timers.session_timeout = pol->session_timeout;
	se->se_timers.idle_timeout = pol->idle_timeout;
	se->se_timers.reconnect_window = pol->reconnect_window;
	lifecycle_rearm(se);
	return (0);
}

void
lifecycle_stop(struct session *se)
{
	if (se->se_timers.deadline != NULL)
		event_free(se->se_timers.deadline);
	se->se_timers.deadline = NULL;
}

void
lifecycle_refresh(struct session *se, const struct config_policy *pol)
{
	se->se_timers.idle_timeout = pol->idle_timeout;
	se->se_timers.reconnect_window = pol->reconnect_window;
	lifecycle_rearm(se);
}

bool
lifecycle_is_activity(const uint8_t *pkt, size_t len)
{
	if (len < 20 || pkt[0] >> 4 != 4)
		return (false);
	return (pkt[9] != IPPROTO_ICMP && pkt[9] != IPPROTO_IGMP);
}

/*
 * Only the client's own packets count, because traffic towards it may be
 * a scan or a broadcast that it never replies to, which would keep an
 * abandoned session alive. A client that replies sends packets that count.
 */
void
lifecycle_mark(struct session *se, const uint8_t *pkt, size_t len)
{
	if (lifecycle_is_activity(pkt, len))
		__atomic_store_n(&se->se_last_activity, time(NULL),
		    __ATOMIC_RELAXED);
}

void
lifecycle_logoff(struct session *se, const char *reason)
{
	se->se_terminate = true;
	session_destroy(se, reason);
}

int
lifecycle_session_left(const struct session *se, time_t now)
{
	time_t left;

	if (se->se_timers.session_timeout <= 0)
		return (0);
	left = se->se_started + se->se_timers.session_timeout - now;
	return (left > 0 ? (int)left : 1);
}
