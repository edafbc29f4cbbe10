/*
 * The commands only root may run, declared in status.h: logoff, reload
 * and shutdown. Reload and shutdown are carried out by the parent, which
 * gets them as messages on the network process's channel.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <json-c/json.h>

#include "ipc.h"
#include "log.h"
#include "netproc.h"
#include "parentc.h"
#include "session.h"
#include "status.h"

/*
 * End a session so it stays ended. A TERMINATE frame makes a connected
 * client exit instead of reconnecting (openconnect 9.01 does), and
 * session_destroy forgets the cookie, so a reconnect with it is rejected
 * anyway.
 */
static void
statusadmin_end(struct netproc *np, struct session *se, uid_t uid)
{
	char reason[64];

	snprintf(reason, sizeof(reason), "logged off by uid %u through the "
	    "status socket", (unsigned)uid);
	se->se_terminate = true;
	counter_add(&np->stats.logoffs, 1);
	session_destroy(se, reason);
}

/* End every session that f matches and return the array of their ids. */
static json_object *
statusadmin_end_matching(struct netproc *np, const struct status_filter *f,
    uid_t uid)
{
	json_object *ids = json_object_new_array();
	struct session *se, *next;

	for (se = TAILQ_FIRST(sessions_list(np->sessions)); se != NULL;
	    se = next) {
		next = TAILQ_NEXT(se, se_entry);
		if (!status_filter_match(f, se))
			continue;
		json_object_array_add(ids, json_object_new_uint64(se->se_id));
		statusadmin_end(np, se, uid);
	}
	return (ids);
}

json_object *
statusadmin_logoff(struct status_request *req)
{
	struct status_filter f;
	json_object *o, *ids, *err;
	size_t n;

	if ((err = status_filter_parse(&f, req->argv[0], req->argv[1])) !=
	    NULL)
		return (err);
	ids = statusadmin_end_matching(req->np, &f, req->uid);
	n = json_object_array_length(ids);
	if (n == 0) {
		json_object_put(ids);
		return (status_error(STATUS_NOT_FOUND, "no session matches "
		    "%.64s %.128s", req->argv[0], req->argv[1]));
	}
	log_notice("status socket: uid %u (pid %d) logged off %zu "
	    "session(s) matching %.64s %.128s", (unsigned)req->uid,
	    (int)req->pid, n, req->argv[0], req->argv[1]);
	o = json_object_new_object();
	json_object_object_add(o, "logged_off", ids);
	return (o);
}

static int
statusadmin_ask_parent(struct netproc *np, enum ipc_type type, uid_t uid,
    pid_t pid, uint32_t seq)
{
	struct ipc_parent_request msg;

	ipc_parent_request_init(&msg, type, (uint32_t)uid, (int32_t)pid);
	msg.seq = seq;
	return (parentc_send(np, &msg, sizeof(msg)));
}

/*
 * The outcomes of the latest reload requests, by request number, which
 * headendctl reload polls with "show reload ID". The control thread
 * alone uses them.
 */
#define STATUSADMIN_RELOADS	16

static struct {
	uint32_t	seq;
	enum ipc_reload_outcome outcome;
	uint32_t	warnings;
} statusadmin_reloads[STATUSADMIN_RELOADS];
static uint32_t statusadmin_reload_last;	/* the last request number */

void
statusadmin_reload_done(uint32_t seq, enum ipc_reload_outcome outcome,
    uint32_t warnings)
{
	size_t slot = seq % STATUSADMIN_RELOADS;

	statusadmin_reloads[slot].seq = seq;
	statusadmin_reloads[slot].outcome = outcome;
	statusadmin_reloads[slot].warnings = warnings;
}

static const char *
statusadmin_outcome_name(enum ipc_reload_outcome outcome)
{
	switch (outcome) {
	case IPC_RELOAD_APPLIED:
		return ("applied");
	case IPC_RELOAD_REJECTED:
		return ("rejected");
	case IPC_RELOAD_IGNORED:
		return ("ignored");
	default:
		return ("failed");
	}
}

json_object *
statusadmin_reload_show(struct status_request *req)
{
	size_t slot;
	const char *state = "waiting";
	json_object *o;
	char *end;
	unsigned long seq;

	errno = 0;
	seq = strtoul(req->argv[0], &end, 10);
	if (errno != 0 || end == req->argv[0] || *end != '\0' ||
	    req->argv[0][0] == '-' || seq == 0 || seq > UINT32_MAX)
		return (status_error(STATUS_INVALID, "invalid reload id "
		    "%.32s: use the id that reload returned", req->argv[0]));
	if (seq > statusadmin_reload_last)
		return (status_error(STATUS_NOT_FOUND, "no reload request has "
		    "id %lu", seq));
	slot = seq % STATUSADMIN_RELOADS;
	if (statusadmin_reloads[slot].seq == seq)
		state = statusadmin_outcome_name(
		    statusadmin_reloads[slot].outcome);
	else if (statusadmin_reload_last - seq >= STATUSADMIN_RELOADS)
		return (status_error(STATUS_NOT_FOUND, "reload request %lu is "
		    "too old to be known", seq));
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_uint64(seq));
	json_object_object_add(o, "reload", json_object_new_string(state));
	if (strcmp(state, "applied") == 0)
		json_object_object_add(o, "warnings", json_object_new_uint64(
		    statusadmin_reloads[slot].warnings));

	/* For the "headend -t -c FILE" that a rejected reload suggests. */
	json_object_object_add(o, "config",
	    statusjson_string(req->np->cfg->path));
	return (o);
}

/*
 * The reply confirms only that the parent got the request. The parent
 * logs whether the configuration was re-read.
 */
json_object *
statusadmin_reload(struct status_request *req)
{
	json_object *o;
	int rc;

	rc = statusadmin_ask_parent(req->np, IPC_RELOAD_REQUEST, req->uid,
	    req->pid, statusadmin_reload_last + 1);
	if (rc != 0) {
		log_warnx("status socket: cannot pass the reload request of "
		    "uid %u to the parent: %s", (unsigned)req->uid,
		    strerror(-rc));
		return (status_error(STATUS_UNAVAILABLE, "cannot pass the "
		    "request to the parent process: %s", strerror(-rc)));
	}
	statusadmin_reload_last++;
	o = json_object_new_object();
	json_object_object_add(o, "reload", json_object_new_string(
	    "requested"));
	json_object_object_add(o, "id",
	    json_object_new_uint64(statusadmin_reload_last));
	return (o);
}

/*
 * Runs once the reply is written, because the parent then stops us. The
 * request goes after the reports of the sessions that a logoff ended.
 */
static void
statusadmin_send_shutdown(struct netproc *np, uid_t uid, pid_t pid)
{
	int rc = statusadmin_ask_parent(np, IPC_SHUTDOWN_REQUEST, uid, pid,
	    0);

	if (rc != 0)
		log_warnx("status socket: cannot pass the shutdown request "
		    "of uid %u to the parent: %s", (unsigned)uid,
		    strerror(-rc));
}

/* The same for "shutdown logoff": the parent discards the state file. */
static void
statusadmin_send_shutdown_logoff(struct netproc *np, uid_t uid, pid_t pid)
{
	int rc = statusadmin_ask_parent(np, IPC_SHUTDOWN_LOGOFF_REQUEST, uid,
	    pid, 0);

	if (rc != 0)
		log_warnx("status socket: cannot pass the shutdown request "
		    "of uid %u to the parent: %s", (unsigned)uid,
		    strerror(-rc));
}

json_object *
statusadmin_shutdown(struct status_request *req)
{
	struct status_filter all = { .kind = STATUS_FILTER_ALL };
	json_object *o, *ids;

	if (req->argc == 1 && strcmp(req->argv[0], "logoff") != 0)
		return (status_error(STATUS_INVALID, "unknown shutdown option "
		    "\"%.64s\"; usage: shutdown [logoff]", req->argv[0]));
	o = json_object_new_object();
	if (req->argc == 1) {
		ids = statusadmin_end_matching(req->np, &all, req->uid);
		log_notice("status socket: uid %u (pid %d) logged off all "
		    "%zu session(s) before a shutdown", (unsigned)req->uid,
		    (int)req->pid, json_object_array_length(ids));
		json_object_object_add(o, "logged_off", ids);
	}
	json_object_object_add(o, "shutdown", json_object_new_string(
	    "requested"));
	req->after = req->argc == 1 ? statusadmin_send_shutdown_logoff :
	    statusadmin_send_shutdown;
	return (o);
}
