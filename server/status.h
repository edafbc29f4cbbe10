/*
 * The status socket: a Unix stream socket on which root and members of
 * the headend group run commands. A client sends one command per line
 * ("show sessions user alice\n"), and the network process replies to
 * each with one JSON object on one line. Words are separated by spaces, so an
 * argument cannot contain a space (usernames cannot either). A failed
 * command is answered with {"error": MESSAGE, "code": CODE}; the codes
 * are listed in enum status_code.
 *
 * This header also declares the command handlers, grouped by the file
 * that defines them.
 */
#ifndef HEADEND_STATUS_H
#define HEADEND_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <time.h>

#include <openssl/ssl.h>

#include "config.h"

#define STATUS_CERT_ERROR_MAX	256
#define STATUS_CONNS_MAX	64	/* clients connected at once */
/*
 * Bytes of replies that wait for a client. Above this the connection's
 * next request waits until the client has read half of them, so a client
 * that sends requests without reading cannot make the network process
 * grow. One reply may still be larger.
 */
#define STATUS_OUTPUT_PAUSE	(256 * 1024)

struct bufferevent;
struct evconnlistener;
struct netproc;
struct session;
struct session_stats;
struct json_object;

/* The access level of a peer, from its credentials. */
enum status_access {
	STATUS_ACCESS_NONE,	/* rejected at connect */
	STATUS_ACCESS_READ,	/* the show commands and metrics */
	STATUS_ACCESS_ADMIN,	/* also logoff, reload and shutdown */
};

/* The "code" member of an error reply. */
enum status_code {
	STATUS_UNKNOWN_COMMAND,	/* "unknown-command" */
	STATUS_INVALID,		/* "invalid-argument": wrong arguments */
	STATUS_DENIED,		/* "denied": not allowed for this peer */
	STATUS_NOT_FOUND,	/* "not-found": no session matched */
	STATUS_UNAVAILABLE,	/* "unavailable": could not be done now */
};

/* An action the status socket runs once a reply has been sent. */
typedef void status_after_fn(struct netproc *np, uid_t uid, pid_t pid);

/* One client connection. */
struct status_conn {
	TAILQ_ENTRY(status_conn) entry;
	struct netproc	*np;
	struct bufferevent *bev;
	enum status_access access;
	uid_t		uid;
	pid_t		pid;
	time_t		accepted;	/* CLOCK_MONOTONIC seconds */
	bool		requested;	/* has sent a complete request */
	bool		paused;		/* reading waits for the output */
	bool		client_closed;	/* EOF: run what is read, then close */
	status_after_fn	*after;	/* runs once the last reply is written */
};

TAILQ_HEAD(status_conn_list, status_conn);

/* The socket's state, in np->status. */
struct status {
	struct evconnlistener *listener;
	struct status_conn_list conns;	/* least recent request first */
	size_t		nconns;
	unsigned long	full_rejected;	/* not yet logged */
	time_t		full_logged;	/* CLOCK_MONOTONIC seconds */

	/* Each listener's next-certificate, read once at startup. */
	X509		*next_cert[CONFIG_MAX_LISTENERS];
	char		next_error[CONFIG_MAX_LISTENERS][STATUS_CERT_ERROR_MAX];
};

/* One parsed command line and the peer that sent it. */
struct status_request {
	struct netproc	*np;
	enum status_access access;
	uid_t		uid;
	pid_t		pid;
	int		argc;	/* arguments after the command's words */
	char		**argv;
	status_after_fn	*after;	/* set by a handler, or NULL */
};

typedef struct json_object *status_handler_fn(struct status_request *req);

/* statusban.c */
status_handler_fn statusban_show;
status_handler_fn statusban_unban;

/* status.c */

/* Serve the listening socket fd that the parent bound. */
int	status_start(struct netproc *np, int fd);

/*
 * Close the listening socket and every connection, without running their
 * pending actions, and free np->status.
 */
void	status_stop(struct netproc *np);

/*
 * Return a peer's access level. Root may do everything, a peer whose gid
 * or one of whose supplementary groups is headend_gid may read, and
 * others may do nothing.
 */
enum status_access status_access_of(uid_t uid, gid_t gid,
	    const gid_t *groups, size_t ngroups, gid_t headend_gid);

/*
 * Run one command line (without its newline) for req's peer and return
 * the reply, which the caller frees with json_object_put(). This fills
 * req->argc, req->argv and req->after.
 */
struct json_object *status_command(struct status_request *req,
	    const char *line);

/* Build an error reply. */
struct json_object *status_error(enum status_code code, const char *fmt,
	    ...) __attribute__((format(printf, 2, 3)));

/* statusjson.c */

/*
 * A JSON string of text, with every byte sequence that is not valid UTF-8
 * replaced by U+FFFD, so that strict parsers accept the document.
 */
struct json_object *statusjson_string(const char *text);

/* A JSON string of the time as RFC 3339 UTC ("2024-05-01T12:00:00Z"). */
struct json_object *statusjson_time(time_t t);

/* The host-order IPv4 address as a dotted-quad string. */
struct json_object *statusjson_ipv4(unsigned int addr);

/* A selection of sessions: "id 7", "user alice", "group staff", ... */
struct status_filter {
	enum {
		STATUS_FILTER_ALL,
		STATUS_FILTER_ID,
		STATUS_FILTER_USER,
		STATUS_FILTER_GROUP,
		STATUS_FILTER_ADDRESS,
	}		kind;
	unsigned long long id;
	unsigned int	addr;	/* host order */
	const char	*text;	/* user or group name */
};

/*
 * Parse FIELD VALUE into f. Returns NULL, or an error reply for an
 * unknown field or an invalid value.
 */
struct json_object *status_filter_parse(struct status_filter *f,
	    const char *field, const char *value);
bool	status_filter_match(const struct status_filter *f,
	    const struct session *se);

/* The drop counters of st, by reason. */
struct json_object *statusjson_drops(const struct session_stats *st);

status_handler_fn statusjson_sessions;	/* show sessions [FIELD VALUE] */
status_handler_fn statusjson_session;	/* show session ID */

/* statusshow.c */

status_handler_fn statusshow_groups;	/* show groups */
status_handler_fn statusshow_pools;	/* show pools */
status_handler_fn statusshow_stats;	/* show stats */

/* statuscert.c */

/*
 * Read each listener's next-certificate into np->status, replacing what
 * was read before. At startup (files NULL) it runs before the sandbox
 * forbids opening files, as the unprivileged user, so the file must be
 * readable by that user. A reload passes the parent's bundle. A failure
 * is kept for the reply.
 */
struct cfgbundle;
void	statuscert_load_next(struct netproc *np,
	    const struct cfgbundle *files);

/*
 * Store the expiry time of the context's server certificate in *t.
 * Returns 0, or -ENOENT without a certificate.
 */
int	statuscert_not_after(SSL_CTX *ctx, time_t *t);

status_handler_fn statuscert_show;	/* show certificates */

/* statusadmin.c */

status_handler_fn statusadmin_logoff;	/* logoff FIELD VALUE */
status_handler_fn statusadmin_reload;	/* reload */
status_handler_fn statusadmin_reload_show;	/* show reload ID */

/*
 * Record how the reload that request seq asked for ended, and how many
 * warnings were logged while it was applied.
 */
void	statusadmin_reload_done(uint32_t seq, enum ipc_reload_outcome outcome,
	    uint32_t warnings);
status_handler_fn statusadmin_shutdown;	/* shutdown [logoff] */

#endif
