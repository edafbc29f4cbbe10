/*
 * Logins whose password check waits for a place. A pair of address and
 * username may have only as many checks in flight as failures would ban
 * it (ban_check_start in ban.h). Further logins of the pair wait here
 * and start in arrival order as checks of the pair end. So phones that
 * share one account behind one NAT address are all served, while
 * guesses sent at once reach authd no faster than the ban allows.
 */
#ifndef HEADEND_LOGINWAIT_H
#define HEADEND_LOGINWAIT_H

#include <stdbool.h>

#include <event2/event.h>

struct login;

/*
 * Seconds a login may wait. Then it gets "try again later", well before
 * the connection's own 60 s deadline for a response.
 */
#define LOGINWAIT_TIMEOUT	20

/* Prepare the queue on the control thread's loop. 0 or -ENOMEM. */
int	loginwait_init(struct event_base *base);

/*
 * Queue lg, whose lg_source, lg_checked, lg_conn and lg_done are set,
 * with a copy of its password. Returns 0 or -ENOMEM.
 */
int	loginwait_add(struct login *lg, const char *password);

/* Take lg off the queue, if it is on it, and wipe its password. */
void	loginwait_remove(struct login *lg);

/* Return whether logins of user from source wait, to keep their order. */
bool	loginwait_pending(const char *source, const char *user);

/* Return the password of a queued login. */
const char *loginwait_password(const struct login *lg);

/*
 * A check of user from source ended or was cancelled: try the logins of
 * that pair that wait, from the event loop, so that no caller is
 * re-entered.
 */
void	loginwait_notify(const char *source, const char *user);

#endif
