/*
 * The status socket: a Unix stream socket that takes one command per line
 * and answers each with one JSON document on one line.
 */
#ifndef HEADEND_STATUS_H
#define HEADEND_STATUS_H

struct netproc;
struct json_object;

/* Serve the already listening socket fd. */
int	status_start(struct netproc *np, int fd);

/* Build the answer to one command line; the caller puts the reference. */
struct json_object *status_command(struct netproc *np, const char *line);

#endif
