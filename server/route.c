/* Group-url routing, declared in route.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "config.h"
#include "conn.h"
#include "groupurl.h"
#include "http.h"
#include "netproc.h"
#include "route.h"

/* The normalised group-urls of every tunnel-group. */
struct route_url {
	struct groupurl	ru_url;
	size_t		ru_tgroup;
};

static struct {
	struct route_url *urls;
	size_t		nurls;
} route_state;

/* Parse into a new table, so that a failure keeps the one in use. */
int
route_init(const struct config *cfg)
{
	struct route_url *urls, *ru;
	size_t i, j, n = 0;

	for (i = 0; i < cfg->ntgroups; i++)
		n += cfg->tgroups[i].nurls;
	if ((urls = calloc(n ? n : 1, sizeof(*urls))) == NULL)
		return (-ENOMEM);
	n = 0;
	for (i = 0; i < cfg->ntgroups; i++) {
		for (j = 0; j < cfg->tgroups[i].nurls; j++) {
			ru = &urls[n++];
			if (groupurl_parse(cfg->tgroups[i].urls[j],
			    &ru->ru_url) != 0) {
				free(urls);
				return (-EINVAL);
			}
			ru->ru_tgroup = i;
		}
	}
	free(route_state.urls);
	route_state.urls = urls;
	route_state.nurls = n;
	return (0);
}

static const struct route_url *
route_find_url(const struct groupurl *u)
{
	size_t i;

	for (i = 0; i < route_state.nurls; i++) {
		if (groupurl_equal(&route_state.urls[i].ru_url, u))
			return (&route_state.urls[i]);
	}
	return (NULL);
}

/* Maximum number of group-urls shown in a hint. */
#define ROUTE_HINT_URLS		4

/*
 * Write the group-urls on the host of u that a hint may show, as
 * ", https://host/path" each, and return how many there are.
 */
static size_t
route_same_host(const struct groupurl *u, char *buf, size_t len)
{
	const struct groupurl *g;
	size_t i, n = 0, used;

	buf[0] = '\0';
	for (i = 0; i < route_state.nurls; i++) {
		g = &route_state.urls[i].ru_url;
		if (strcmp(g->host, u->host) != 0)
			continue;
		used = strlen(buf);
		if (n++ < ROUTE_HINT_URLS && used < len)
			snprintf(buf + used, len - used, ", https://%s%s",
			    g->host, g->path);
	}
	return (n);
}

/*
 * Write a hint for the log about a URL that no group-url matches: a
 * group-url that differs only in case, the want of a default group, or
 * the group-urls on that host. Clients never see it, because it would
 * list the groups.
 */
static void
route_hint(const struct groupurl *u, char *buf, size_t len)
{
	char urls[1024];
	const struct groupurl *g;
	size_t i, n;

	for (i = 0; i < route_state.nurls; i++) {
		g = &route_state.urls[i].ru_url;
		if (strcmp(g->host, u->host) == 0 &&
		    strcasecmp(g->path, u->path) == 0) {
			snprintf(buf, len, " (paths are case-sensitive: "
			    "group-url https://%s%s differs only in case)",
			    g->host, g->path);
			return;
		}
	}
	n = route_same_host(u, urls, sizeof(urls));
	if (n == 0)
		snprintf(buf, len, " (no group-url has the host %s: clients "
		    "must connect with the host of a group-url)", u->host);
	else if (strcmp(u->path, "/") == 0 || u->path[0] == '\0')
		snprintf(buf, len, " (there is no default group, so clients "
		    "must give a group-url's path: %zu on this host: %s%s)",
		    n, urls + 2, n > ROUTE_HINT_URLS ? ", ..." : "");
	else
		snprintf(buf, len, " (%zu group-url(s) on this host: %s%s)",
		    n, urls + 2, n > ROUTE_HINT_URLS ? ", ..." : "");
}

static void
route_reject_url(struct conn *c, const char *url, const struct groupurl *u)
{
	char body[CONFIG_URL_MAX + 400], hint[1536] = "";

	if (u != NULL)
		route_hint(u, hint, sizeof(hint));
	counter_add(&c->c_np->stats.urls_rejected, 1);
	conn_log_limited(c, LOG_INFO, "rejected login: no tunnel-group has the "
	    "group-url %s%s", url, hint);
	snprintf(body, sizeof(body), "No tunnel-group is configured for "
	    "%s: check the VPN address, including its path.\n", url);
	conn_respond(c, 404, "Not Found", NULL, "text/plain", body,
	    strlen(body), true);
}

/*
 * The client's group-access (the group it picked from a list) and the
 * URL it connected to name two different tunnel-groups. Neither wins,
 * because either could be the stale one.
 */
static void
route_reject_conflict(struct conn *c, const char *group_access,
    const char *url)
{
	char body[2 * CONFIG_URL_MAX + 400];

	counter_add(&c->c_np->stats.urls_rejected, 1);
	conn_log_limited(c, LOG_INFO, "rejected login: group-access %s and the "
	    "request URL %s select different tunnel-groups", group_access,
	    url);
	snprintf(body, sizeof(body), "The group chosen (%s) and the VPN "
	    "address %s belong to different tunnel-groups: connect to the "
	    "address of the group you want.\n", group_access, url);
	conn_respond(c, 404, "Not Found", NULL, "text/plain", body,
	    strlen(body), true);
}

/*
 * Find the group-url of the request. Returns NULL after sending the
 * response when none matches, or when group-access and the URL select
 * different tunnel-groups.
 */
static const struct route_url *
route_select_url(struct conn *c, const struct http_request *req,
    const char *group_access)
{
	const char *host = http_request_header(req, "Host");
	const struct route_url *by_access, *by_request = NULL, *ru;
	char shown[CONFIG_URL_MAX + 300];
	struct groupurl u;
	bool parsed;

	snprintf(shown, sizeof(shown), "https://%s%s", host ? host : "?",
	    req->path);
	parsed = host != NULL &&
	    groupurl_from_request(host, req->target, &u) == 0;
	if (parsed)
		by_request = route_find_url(&u);
	ru = by_request;
	if (group_access != NULL && group_access[0] != '\0') {
		snprintf(shown, sizeof(shown), "%s", group_access);
		parsed = groupurl_parse(group_access, &u) == 0;
		by_access = parsed ? route_find_url(&u) : NULL;
		if (by_access != NULL && by_request != NULL &&
		    by_access->ru_tgroup != by_request->ru_tgroup) {
			snprintf(shown, sizeof(shown), "https://%s%s", host,
			    req->path);
			route_reject_conflict(c, group_access, shown);
			return (NULL);
		}
		ru = by_access;
	}
	if (ru == NULL)
		route_reject_url(c, shown, parsed ? &u : NULL);
	return (ru);
}

int
route_select(struct conn *c, const struct http_request *req,
    const char *group_access, struct route *out)
{
	const struct route_url *ru;

	if ((ru = route_select_url(c, req, group_access)) == NULL)
		return (-ENOENT);
	out->ro_tgroup = ru->ru_tgroup;
	out->ro_path = ru->ru_url.path;
	return (0);
}
