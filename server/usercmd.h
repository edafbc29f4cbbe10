/*
 * "headendctl user": manage the local user file (see common/userfile.h).
 *
 *	headendctl user add [-f FILE] USERNAME
 *	headendctl user delete [-f FILE] USERNAME
 *
 * add reads the password from standard input. On a terminal it prompts
 * twice with echo off. Otherwise it reads one line.
 */
#ifndef HEADEND_USERCMD_H
#define HEADEND_USERCMD_H

/*
 * Run the command, where argv[0] is "user". Returns the exit status: 0 on
 * success, 1 on failure, 2 for a usage error.
 */
int	usercmd_main(int argc, char **argv);

#endif
