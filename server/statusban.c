/*
 * The brute-force bans on the status socket: "show bans" lists them and
 * "unban ADDRESS" lifts them. Established sessions are never touched by
 * a ban, so neither command affects them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "ban.h"
#include "bancopy.h"
#include "log.h"
#include "netproc.h"
#include "status.h"

#define STATUSBAN_LIST_MAX	10000	/* entries shown at most */

static json_object *
statusban_entry(const struct ban_entry *e)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "address", statusjson_string(e->address));
	json_object_object_add(o, "user", e->user[0] != '\0' ?
	    statusjson_string(e->user) : NULL);
	json_object_object_add(o, "failures",
	    json_object_new_int64((int64_t)e->score));
	json_object_object_add(o, "until", statusjson_time(e->banned_until));
	return (o);
}

json_object *
statusban_show(struct status_request *req)
{
	struct ban_entry *entries;
	json_object *o, *list;
	time_t now = time(NULL);
	size_t n, i;

	entries = calloc(STATUSBAN_LIST_MAX, sizeof(*entries));
	if (entries == NULL)
		return (status_error(STATUS_UNAVAILABLE, "out of memory"));
	n = ban_list(req->np->bans, now, entries, STATUSBAN_LIST_MAX);
	list = json_object_new_array();
	for (i = 0; i < n && i < STATUSBAN_LIST_MAX; i++)
		json_object_array_add(list, statusban_entry(&entries[i]));
	free(entries);
	o = json_object_new_object();
	json_object_object_add(o, "bans", list);
	json_object_object_add(o, "total", json_object_new_int64((int64_t)n));
	return (o);
}

/*
 * Write text as the ban table spells an address, inet_ntop's form, so
 * that "2001:DB8::1" finds "2001:db8::1". Returns 0, or -EINVAL when text
 * is neither an IPv4 nor an IPv6 address.
 */
static int
statusban_address(const char *text, char *out, size_t size)
{
	unsigned char addr[sizeof(struct in6_addr)];
	int family = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;

	if (inet_pton(family, text, addr) != 1 ||
	    inet_ntop(family, addr, out, (socklen_t)size) == NULL)
		return (-EINVAL);
	return (0);
}

json_object *
statusban_unban(struct status_request *req)
{
	char address[BAN_ADDR_MAX];
	json_object *o;
	size_t n;

	if (statusban_address(req->argv[0], address, sizeof(address)) != 0)
		return (status_error(STATUS_INVALID, "invalid address "
		    "\"%.64s\": use an IPv4 or IPv6 address such as "
		    "198.18.0.5", req->argv[0]));
	if ((n = ban_remove(req->np->bans, address)) == 0)
		return (status_error(STATUS_NOT_FOUND, "%s has no ban or "
		    "score", address));
	bancopy_report_lifted(req->np, address);
	log_notice("status socket: uid %u (pid %d) lifted the bans of %s",
	    (unsigned)req->uid, (int)req->pid, address);
	o = json_object_new_object();
	json_object_object_add(o, "unbanned", json_object_new_string(
	    address));
	return (o);
}
