/*
 * Session timers from the group-policy: the idle timeout, the session
 * timeout and the reconnect window, and which packets count as activity.
 * The session timeout runs from the first authentication, and reconnects
 * never extend it. session.c arms the reconnect window itself whenever
 * no client is attached.
 */
#ifndef HEADEND_LIFECYCLE_H
#define HEADEND_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct config_policy;
struct session;

/*
 * Copy the policy's timers into the session and arm its deadline. Call
 * before the session's reconnect window is armed. Returns 0 or -ENOMEM.
 */
int	lifecycle_start(struct session *se, const struct config_policy *pol);

/* Free the deadline timer. session_destroy calls it. */
void	lifecycle_stop(struct session *se);

/*
 * Arm the deadline again, for a caller that changed se_started or
 * se_last_activity, such as a session restored after a restart.
 */
void	lifecycle_rearm(struct session *se);

/*
 * Take the idle timeout and reconnect window of the policy that a
 * reconnect runs under. The session timeout stays as it was at login.
 */
void	lifecycle_refresh(struct session *se, const struct config_policy *pol);

/*
 * Whether an IPv4 packet from the client resets the idle timer. ICMP
 * and IGMP do not, so a client that only pings, or only replies to a
 * monitoring probe, still times out. Every other protocol does, such as
 * a phone's SIP over UDP or SCCP over TCP.
 */
bool	lifecycle_is_activity(const uint8_t *pkt, size_t len);

/* Record a packet that the client sent to the inside as activity. */
void	lifecycle_mark(struct session *se, const uint8_t *pkt, size_t len);

/*
 * End the session for good: a connected client gets a TERMINATE frame,
 * so it exits instead of reconnecting, and the cookie is forgotten.
 */
void	lifecycle_logoff(struct session *se, const char *reason);

/* Seconds left until the session timeout at now, or 0 without one. */
int	lifecycle_session_left(const struct session *se, time_t now);

#endif
