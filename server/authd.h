/*
 * authd: the root child that checks passwords. It reads IPC_AUTH_REQUEST
 * messages from the network process, checks each one against the backend
 * of its tunnel-group (the user file or PAM) and sends one IPC_AUTH_REPLY
 * with the request's id. Several requests are checked at once, so replies
 * can arrive in any order.
 */
#ifndef HEADEND_AUTHD_H
#define HEADEND_AUTHD_H

#include "config.h"

/*
 * Serve requests on sock until the network process closes it, then exit
 * with status 0. A malformed message, a message of another type, or a
 * failure to receive or send ends the process with status 1, and the
 * parent restarts authd. Called in the forked child, and never returns.
 */
void	authd_main(const struct config *cfg, int sock)
	    __attribute__((noreturn));

#endif
