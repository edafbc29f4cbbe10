/*
 * Group-url routing: the first request of a login selects its
 * tunnel-group by the URL it was sent to, for every kind of client. XML
 * clients send the URL in <group-access>; phones, legacy clients and
 * browsers only have the Host header and the request path. A URL that no
 * group-url matches is rejected, because headend has no default group.
 */
#ifndef HEADEND_ROUTE_H
#define HEADEND_ROUTE_H

#include <stddef.h>

struct config;
struct conn;
struct http_request;

/* The tunnel-group a request selected. */
struct route {
	size_t		ro_tgroup;	/* index into config tgroups */
	const char	*ro_path;	/* the group-url's normalised path */
};

/*
 * Parse every group-url of cfg into the table in use, replacing the
 * previous one. Returns 0, or -ENOMEM or -EINVAL with the table as it was.
 */
int	route_init(const struct config *cfg);

/*
 * Select the tunnel-group of a first request: the XML group-access URL
 * when group_access is neither NULL nor "", else the Host header and the
 * request path. When both are present and name different groups, the
 * request is rejected rather than guessed. Returns 0, or -ENOENT after
 * answering 404 and closing the connection.
 */
int	route_select(struct conn *c, const struct http_request *req,
	    const char *group_access, struct route *out);

#endif
