/*
 * The human-readable output of headendctl: tables and key-value lists
 * built from the JSON replies of the status socket. Text that came from
 * clients (usernames, User-Agent) is printed with control characters
 * replaced by '?', so it cannot drive the terminal.
 */
#ifndef HEADEND_CTLPRINT_H
#define HEADEND_CTLPRINT_H

#include <stddef.h>

#include <json-c/json.h>

/* Print a successful reply to standard output. */
typedef void ctlprint_fn(json_object *root);

ctlprint_fn ctlprint_sessions;	/* show sessions: a table */
ctlprint_fn ctlprint_groups;	/* show groups: a table */
ctlprint_fn ctlprint_pools;	/* show pools: a table */
ctlprint_fn ctlprint_bans;	/* show bans: a table */
ctlprint_fn ctlprint_tree;	/* any reply: one "path value" line each */
ctlprint_fn ctlprint_session;	/* show session ID: the tree of "session" */
ctlprint_fn ctlprint_logoff;
ctlprint_fn ctlprint_reload;
ctlprint_fn ctlprint_shutdown;
ctlprint_fn ctlprint_metrics;	/* the exposition text as it is */
ctlprint_fn ctlprint_help;

/*
 * Copy text into out for a message on the terminal, with control
 * characters, DEL and bytes that are not valid UTF-8 written as \xNN.
 * The copy is cut short to fit size bytes with its NUL.
 */
void	ctlprint_escape(const char *text, char *out, size_t size);

#endif
