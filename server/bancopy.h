/*
 * The network process's side of the parent's copy of the bans
 * (banstore.h): it reports each ban that starts or is lifted, and at
 * start takes the bans that an earlier network process left.
 */
#ifndef HEADEND_BANCOPY_H
#define HEADEND_BANCOPY_H

#include <time.h>

struct netproc;

/*
 * Wait for the parent's IPC_BANS message on fd, which follows its start
 * message, and restore the bans it carries. Call before the channel
 * becomes non-blocking. Exits when the message is malformed.
 */
void	bancopy_receive(struct netproc *np, int fd);

/* Report the bans now running of user from address and of address. */
void	bancopy_report_started(struct netproc *np, const char *address,
	    const char *user, time_t now);

/* Report that every ban of address was lifted. */
void	bancopy_report_lifted(struct netproc *np, const char *address);

#endif
