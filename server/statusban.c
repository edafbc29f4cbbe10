/*
 * The brute-force bans on the status socket: "show bans" lists them and
 * "unban ADDRESS" lifts them. Established sessions are never touched by
 * a ban, so neither command affects them.
 */
#include <stdlib.h>
#include <time.h>

#include <json-c/json.h>

#include "ban.h"
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

json_object *
statusban_unban(struct status_request *req)
{
	size_t n = ban_remove(req->np->bans, req->argv[0]);
	json_object *o;

	if (n == 0)
		return (status_error(STATUS_NOT_FOUND, "%.64s has no ban or "
		    "score", req->argv[0]));
	log_notice("status socket: uid %u (pid %d) lifted the bans of %.64s",
	    (unsigned)req->uid, (int)req->pid, req->argv[0]);
	o = json_object_new_object();
	json_object_object_add(o, "unbanned", statusjson_string(req->argv[0]));
	return (o);
}
