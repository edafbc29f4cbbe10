/* The status socket declared in status.h: access, framing and dispatch. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <json-c/json.h>

#include "log.h"
#include "metrics.h"
#include "netproc.h"
#include "status.h"

#define STATUS_LINE_MAX		1024	/* bytes of one command line */
#define STATUS_LINES_PER_WAKEUP	16	/* commands before others' turn */
#define STATUS_WORDS_MAX	8	/* words of one command line */
#define STATUS_IDLE_TIMEOUT	60	/* seconds a client may stay silent */
/*
 * Seconds from connect to the end of the first command line. headendctl
 * sends its line at once, so this closes only clients that take a slot
 * and send nothing.
 */
#define STATUS_FIRST_REQUEST_TIMEOUT	10
#define STATUS_FULL_LOG_INTERVAL	60	/* seconds between messages */
#define STATUS_MESSAGE_MAX	512

/* One command: its words, the arguments it takes and who may run it. */
struct status_entry {
	const char	*words[2];	/* words[1] is NULL for one word */
	int		min_args;
	int		max_args;
	enum status_access access;
	status_handler_fn *handler;
	const char	*usage;
};

static status_handler_fn status_help;

static const struct status_entry status_table[] = {
	{ { "show", "sessions" }, 0, 2, STATUS_ACCESS_READ,
	  statusjson_sessions,
	  "show sessions [user NAME | group NAME | address ADDRESS]" },
	{ { "show", "session" }, 1, 1, STATUS_ACCESS_READ,
	  statusjson_session, "show session ID" },
	{ { "show", "groups" }, 0, 0, STATUS_ACCESS_READ,
	  statusshow_groups, "show groups" },
	{ { "show", "pools" }, 0, 0, STATUS_ACCESS_READ,
	  statusshow_pools, "show pools" },
	{ { "show", "stats" }, 0, 0, STATUS_ACCESS_READ,
	  statusshow_stats, "show stats" },
	{ { "show", "certificates" }, 0, 0, STATUS_ACCESS_READ,
	  statuscert_show, "show certificates" },
	{ { "show", "bans" }, 0, 0, STATUS_ACCESS_READ,
	  statusban_show, "show bans" },
	{ { "unban", NULL }, 1, 1, STATUS_ACCESS_ADMIN, statusban_unban,
	  "unban ADDRESS" },
	{ { "metrics", NULL }, 0, 0, STATUS_ACCESS_READ,
	  metrics_command, "metrics" },
	{ { "help", NULL }, 0, 0, STATUS_ACCESS_READ, status_help, "help" },
	{ { "logoff", NULL }, 2, 2, STATUS_ACCESS_ADMIN, statusadmin_logoff,
	  "logoff id ID | user NAME | address ADDRESS | group NAME" },
	{ { "reload", NULL }, 0, 0, STATUS_ACCESS_ADMIN, statusadmin_reload,
	  "reload" },
	{ { "show", "reload" }, 1, 1, STATUS_ACCESS_ADMIN,
	  statusadmin_reload_show, "show reload ID" },
	{ { "shutdown", NULL }, 0, 1, STATUS_ACCESS_ADMIN,
	  statusadmin_shutdown, "shutdown [logoff]" },
};

#define STATUS_TABLE_LEN	(sizeof(status_table) / sizeof(status_table[0]))

static const char *const status_code_names[] = {
	[STATUS_UNKNOWN_COMMAND] = "unknown-command",
	[STATUS_INVALID] = "invalid-argument",
	[STATUS_DENIED] = "denied",
	[STATUS_NOT_FOUND] = "not-found",
	[STATUS_UNAVAILABLE] = "unavailable",
};

json_object *
status_error(enum status_code code, const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char msg[STATUS_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	json_object_object_add(o, "error", statusjson_string(msg));
	json_object_object_add(o, "code",
	    json_object_new_string(status_code_names[code]));
	return (o);
}

enum status_access
status_access_of(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
    gid_t headend_gid)
{
	size_t i;

	if (uid == 0)
		return (STATUS_ACCESS_ADMIN);
	if (gid == headend_gid)
		return (STATUS_ACCESS_READ);
	for (i = 0; i < ngroups; i++) {
		if (groups[i] == headend_gid)
			return (STATUS_ACCESS_READ);
	}
	return (STATUS_ACCESS_NONE);
}

static const char *
status_access_name(enum status_access access)
{
	return (access == STATUS_ACCESS_ADMIN ? "root" : "group");
}

static json_object *
status_help(struct status_request *req)
{
	json_object *o = json_object_new_object();
	json_object *list = json_object_new_array();
	json_object *entry;
	size_t i;

	(void)req;
	for (i = 0; i < STATUS_TABLE_LEN; i++) {
		entry = json_object_new_object();
		json_object_object_add(entry, "usage",
		    json_object_new_string(status_table[i].usage));
		json_object_object_add(entry, "access", json_object_new_string(
		    status_access_name(status_table[i].access)));
		json_object_array_add(list, entry);
	}
	json_object_object_add(o, "commands", list);
	return (o);
}

/*
 * Split line in place into at most max words and return their number,
 * or -E2BIG when there are more.
 */
static int
status_split(char *line, char **words, int max)
{
	char *word;
	int n = 0;

	while ((word = strsep(&line, " \t")) != NULL) {
		if (word[0] == '\0')
			continue;
		if (n == max)
			return (-E2BIG);
		words[n++] = word;
	}
	return (n);
}

static bool
status_line_printable(const char *line)
{
	const unsigned char *p;

	for (p = (const unsigned char *)line; *p != '\0'; p++) {
		if ((*p < ' ' && *p != '\t') || *p == 0x7f)
			return (false);
	}
	return (true);
}

/* The entry whose words start the line, and how many words those are. */
static const struct status_entry *
status_find(char **words, int nwords, int *used)
{
	const struct status_entry *e;
	size_t i;

	for (i = 0; i < STATUS_TABLE_LEN; i++) {
		e = &status_table[i];
		*used = e->words[1] == NULL ? 1 : 2;
		if (nwords < *used || strcmp(words[0], e->words[0]) != 0)
			continue;
		if (*used == 1 || strcmp(words[1], e->words[1]) == 0)
			return (e);
	}
	return (NULL);
}

static json_object *
status_run(struct status_request *req, const struct status_entry *e)
{
	if (req->access < e->access)
		return (status_error(STATUS_DENIED, "\"%s%s%s\" needs root: "
		    "members of the headend group may run the show commands "
		    "except show reload, and metrics and help", e->words[0],
		    e->words[1] != NULL ? " " : "",
		    e->words[1] != NULL ? e->words[1] : ""));
	if (req->argc < e->min_args || req->argc > e->max_args)
		return (status_error(STATUS_INVALID, "wrong number of "
		    "arguments; usage: %s", e->usage));
	return (e->handler(req));
}

json_object *
status_command(struct status_request *req, const char *line)
{
	char *copy, *words[STATUS_WORDS_MAX];
	const struct status_entry *e;
	json_object *reply;
	int n, used;

	req->argc = 0;
	req->argv = NULL;
	req->after = NULL;
	if (!status_line_printable(line))
		return (status_error(STATUS_INVALID, "the command contains "
		    "control characters"));
	if ((copy = strdup(line)) == NULL)
		return (status_error(STATUS_UNAVAILABLE, "out of memory"));

	n = status_split(copy, words, STATUS_WORDS_MAX);
	if (n <= 0 || (e = status_find(words, n, &used)) == NULL) {
		reply = n < 0 ? status_error(STATUS_INVALID, "too many words; "
		    "the maximum is %d", STATUS_WORDS_MAX) :
		    status_error(STATUS_UNKNOWN_COMMAND, "unknown command "
		    "\"%.64s\"; send \"help\" for the list", line);
		free(copy);
		return (reply);
	}
	req->argc = n - used;
	req->argv = words + used;
	reply = status_run(req, e);
	req->argv = NULL;
	free(copy);
	return (reply);
}

static time_t
status_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

static void
status_conn_free(struct status_conn *sc)
{
	struct status *st = sc->np->status;

	TAILQ_REMOVE(&st->conns, sc, entry);
	st->nconns--;
	bufferevent_free(sc->bev);
	free(sc);
}

/*
 * Write JSON text with U+0085, U+2028 and U+2029 escaped, which json-c
 * leaves raw: line-based readers would split the reply line there. They
 * can only occur inside strings, where the escape means the same.
 */
static void
status_write_json(struct bufferevent *bev, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	const unsigned char *start = p;
	const char *escape;
	size_t n;

	for (; *p != '\0'; p++) {
		if (p[0] == 0xc2 && p[1] == 0x85) {
			escape = "\\u0085";
			n = 2;
		} else if (p[0] == 0xe2 && p[1] == 0x80 &&
		    (p[2] == 0xa8 || p[2] == 0xa9)) {
			escape = p[2] == 0xa8 ? "\\u2028" : "\\u2029";
			n = 3;
		} else {
			continue;
		}
		bufferevent_write(bev, start, (size_t)(p - start));
		bufferevent_write(bev, escape, 6);
		p += n - 1;
		start = p + 1;
	}
	bufferevent_write(bev, start, (size_t)(p - start));
}

static void
status_send(struct status_conn *sc, json_object *reply)
{
	status_write_json(sc->bev, json_object_to_json_string_ext(reply,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	bufferevent_write(sc->bev, "\n", 1);
	json_object_put(reply);
}

/*
 * Run the pending action and close. The action runs even when the client
 * went away before reading its reply, because the command was accepted.
 */
static void
status_finish(struct status_conn *sc)
{
	if (sc->after != NULL)
		sc->after(sc->np, sc->uid, sc->pid);
	status_conn_free(sc);
}

static void
status_write_cb(struct bufferevent *bev, void *arg)
{
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		status_finish(arg);
}

static void
status_closing_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	status_finish(arg);
}

/* Stop reading and close the connection once its output is written. */
static void
status_close_after_write(struct status_conn *sc)
{
	bufferevent_disable(sc->bev, EV_READ);
	bufferevent_setwatermark(sc->bev, EV_WRITE, 0, 0);
	bufferevent_setcb(sc->bev, NULL, status_write_cb,
	    status_closing_event_cb, sc);
	bufferevent_enable(sc->bev, EV_WRITE);
	if (evbuffer_get_length(bufferevent_get_output(sc->bev)) == 0)
		status_finish(sc);
}

static void	status_read_cb(struct bufferevent *bev, void *arg);
static void	status_event_cb(struct bufferevent *bev, short what,
		    void *arg);

/*
 * Runs once a paused connection's output has drained to half the bound:
 * run the requests that wait in the input buffer, then read again.
 */
static void
status_resume_cb(struct bufferevent *bev, void *arg)
{
	struct status_conn *sc = arg;

	sc->paused = false;
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	bufferevent_setcb(bev, status_read_cb, NULL, status_event_cb, sc);
	bufferevent_enable(bev, EV_READ);
	status_read_cb(bev, sc);
}

/*
 * Stop reading until the client has read half of its replies. While
 * paused, the write timeout still closes a client that reads nothing.
 */
static void
status_pause(struct status_conn *sc)
{
	sc->paused = true;
	bufferevent_disable(sc->bev, EV_READ);
	bufferevent_setwatermark(sc->bev, EV_WRITE, STATUS_OUTPUT_PAUSE / 2,
	    0);
	bufferevent_setcb(sc->bev, status_read_cb, status_resume_cb,
	    status_event_cb, sc);
}

/*
 * Move sc to the end of the list, so the list starts with the connection
 * whose last request is the oldest. The first request also ends the
 * shorter timeout of a new connection.
 */
static void
status_note_request(struct status_conn *sc)
{
	struct status *st = sc->np->status;
	struct timeval idle = { STATUS_IDLE_TIMEOUT, 0 };

	TAILQ_REMOVE(&st->conns, sc, entry);
	TAILQ_INSERT_TAIL(&st->conns, sc, entry);
	if (!sc->requested) {
		sc->requested = true;
		bufferevent_set_timeouts(sc->bev, &idle, &idle);
	}
}

/*
 * Run one command line and queue its reply. Returns true when the
 * connection closes because the command has an action to run.
 */
static bool
status_run_line(struct status_conn *sc, char *line, size_t len)
{
	struct status_request req = { .np = sc->np, .access = sc->access,
	    .uid = sc->uid, .pid = sc->pid };

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';

	/* A whole line arrives past status_check_partial's limit. */
	if (len > STATUS_LINE_MAX) {
		status_send(sc, status_error(STATUS_INVALID, "command line "
		    "longer than %d bytes", STATUS_LINE_MAX));
		status_close_after_write(sc);
		return (true);
	}
	if (strlen(line) != len)
		status_send(sc, status_error(STATUS_INVALID, "the command "
		    "contains control characters"));
	else
		status_send(sc, status_command(&req, line));
	if (req.after == NULL)
		return (false);
	sc->after = req.after;
	status_close_after_write(sc);
	return (true);
}

/* Reject what is left in the input: a line too long, or too late. */
static void
status_check_partial(struct status_conn *sc, struct evbuffer *in)
{
	/* The limit is without the line's CR, which may come before its LF. */
	if (evbuffer_get_length(in) > STATUS_LINE_MAX + 1) {
		status_send(sc, status_error(STATUS_INVALID, "command line "
		    "longer than %d bytes", STATUS_LINE_MAX));
		status_close_after_write(sc);
	} else if (!sc->requested && status_now() - sc->accepted >=
	    STATUS_FIRST_REQUEST_TIMEOUT) {
		/* The read timeout does not catch a trickled line. */
		status_send(sc, status_error(STATUS_INVALID, "no complete "
		    "command line within %d seconds of connecting",
		    STATUS_FIRST_REQUEST_TIMEOUT));
		status_close_after_write(sc);
	}
}

/*
 * End a connection whose client closed its side. A last line without LF
 * does not run, because the close may have cut it short: "logoff user
 * al" must not log off "al".
 */
static void
status_finish_input(struct status_conn *sc, struct evbuffer *in)
{
	if (evbuffer_get_length(in) > 0)
		status_send(sc, status_error(STATUS_INVALID, "the last command "
		    "line did not end in LF, so it did not run: it may be cut "
		    "short; end each command with LF"));
	status_close_after_write(sc);
}

/*
 * Run the complete lines in the input, at most STATUS_LINES_PER_WAKEUP of
 * them. The rest wait for a deferred call, which the event loop queues
 * behind the events already waiting, so that the commands of a client
 * that sends many at once run in turns with the other clients' events.
 */
static void
status_read_cb(struct bufferevent *bev, void *arg)
{
	struct status_conn *sc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t len;
	bool closing;
	int lines;

	for (lines = 0;; lines++) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) >
		    STATUS_OUTPUT_PAUSE) {
			status_pause(sc);
			return;
		}
		if (lines == STATUS_LINES_PER_WAKEUP) {
			bufferevent_trigger(bev, EV_READ,
			    BEV_TRIG_DEFER_CALLBACKS);
			return;
		}
		line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
		if (line == NULL)
			break;
		status_note_request(sc);
		closing = status_run_line(sc, line, len);
		free(line);
		if (closing)
			return;
	}
	if (sc->client_closed)
		status_finish_input(sc, in);
	else
		status_check_partial(sc, in);
}

static void
status_log_timeout(const struct status_conn *sc, short what)
{
	if (what & BEV_EVENT_WRITING)
		log_info("status socket: uid %u (pid %d) did not read its "
		    "replies for %d seconds; disconnected", (unsigned)sc->uid,
		    (int)sc->pid, STATUS_IDLE_TIMEOUT);
	else
		log_debug("status socket: uid %u (pid %d) sent no command "
		    "in time; disconnected", (unsigned)sc->uid, (int)sc->pid);
}

/*
 * A client such as "socat" may shut down its side right after the
 * commands, so the commands still in the input run, and their replies
 * are sent, before the connection ends.
 */
static void
status_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct status_conn *sc = arg;

	if (what & BEV_EVENT_TIMEOUT)
		status_log_timeout(sc, what);
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR)) {
		sc->client_closed = true;
		bufferevent_disable(bev, EV_READ);
		status_read_cb(bev, sc);
		return;
	}
	status_conn_free(sc);
}

/*
 * The peer's supplementary groups as they were at connect(), from
 * SO_PEERGROUPS (Linux 4.13 and later). The caller frees *groups.
 */
static int
status_peer_groups(int fd, gid_t **groups, size_t *ngroups)
{
	socklen_t len = 32 * sizeof(gid_t);
	gid_t *buf = NULL, *grown;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if ((grown = realloc(buf, len + sizeof(gid_t))) == NULL)
			break;
		buf = grown;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, buf, &len) == 0) {
			*groups = buf;
			*ngroups = len / sizeof(gid_t);
			return (0);
		}
		if (errno != ERANGE)
			break;
	}
	free(buf);
	return (-errno);
}

/*
 * Fill the peer's uid, pid and access from its socket credentials. When
 * they cannot be read, the access is STATUS_ACCESS_NONE and the uid and
 * pid are -1.
 */
static int
status_peer_identify(struct status_conn *sc, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t *groups = NULL;
	size_t ngroups = 0;

	sc->access = STATUS_ACCESS_NONE;
	sc->uid = (uid_t)-1;
	sc->pid = -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return (-errno);
	sc->uid = cred.uid;
	sc->pid = cred.pid;

	/* Without SO_PEERGROUPS, only root and the primary group count. */
	if (status_peer_groups(fd, &groups, &ngroups) != 0)
		ngroups = 0;

	/* The network process runs with the headend group as its own. */
	sc->access = status_access_of(cred.uid, cred.gid, groups, ngroups,
	    getegid());
	free(groups);
	return (0);
}

static void
status_reject(struct status_conn *sc, int rc)
{
	if (rc != 0)
		log_warnx("status socket: cannot read the credentials of a "
		    "client: %s; rejected it", strerror(-rc));
	else
		log_notice("status socket: rejected uid %u (pid %d): not "
		    "root and not in the headend group", (unsigned)sc->uid,
		    (int)sc->pid);
	status_send(sc, status_error(STATUS_DENIED, "access denied: run "
	    "headendctl as root or as a member of the headend group"));
	status_close_after_write(sc);
}

/*
 * Make room for root when every slot is taken: close the connection whose
 * last request is the oldest among those that are not root's. Returns
 * false when every connection is root's. Only root's commands set a
 * pending action, so the closed connection has none.
 */
static bool
status_evict_for_root(struct status *st)
{
	struct status_conn *sc;

	TAILQ_FOREACH(sc, &st->conns, entry) {
		if (sc->access == STATUS_ACCESS_ADMIN)
			continue;
		log_notice("status socket: %d clients are connected, the "
		    "maximum; closed the longest idle one, uid %u (pid %d), "
		    "to let root in", STATUS_CONNS_MAX, (unsigned)sc->uid,
		    (int)sc->pid);
		status_conn_free(sc);
		return (true);
	}
	return (false);
}

/* Log rejections for a full table at most once a minute, with a count. */
static void
status_log_full(struct status *st, const struct status_conn *sc)
{
	time_t now = status_now();

	st->full_rejected++;
	if (st->full_logged != 0 &&
	    now - st->full_logged < STATUS_FULL_LOG_INTERVAL)
		return;
	log_warnx("status socket: %d clients are connected, the maximum; "
	    "rejected %lu client(s) since the last message, the latest uid "
	    "%u (pid %d)", STATUS_CONNS_MAX, st->full_rejected,
	    (unsigned)sc->uid, (int)sc->pid);
	st->full_rejected = 0;
	st->full_logged = now;
}

/*
 * Send the reason to a client turned away before it gets a bufferevent.
 * The line fits in the empty socket buffer of a new connection, so one
 * send() either writes it or fails because the client is gone.
 */
static void
status_send_full(int fd)
{
	char buf[STATUS_MESSAGE_MAX + 64];
	json_object *reply;
	int len;

	reply = status_error(STATUS_UNAVAILABLE, "%d clients are connected "
	    "to the status socket, the maximum; try again later",
	    STATUS_CONNS_MAX);
	len = snprintf(buf, sizeof(buf), "%s\n",
	    json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(reply);
	if (len > 0 && (size_t)len < sizeof(buf))
		(void)!send(fd, buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/*
 * Decide whether a new client gets a slot. The credentials are read
 * first, so that root gets in even when others hold every slot.
 */
static bool
status_admit(struct status *st, struct status_conn *sc)
{
	if (st->nconns < STATUS_CONNS_MAX)
		return (true);
	if (sc->access == STATUS_ACCESS_ADMIN && status_evict_for_root(st))
		return (true);
	status_log_full(st, sc);
	return (false);
}

static void
status_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct netproc *np = arg;
	struct timeval first = { STATUS_FIRST_REQUEST_TIMEOUT, 0 };
	struct timeval idle = { STATUS_IDLE_TIMEOUT, 0 };
	struct status_conn *sc;
	int rc;

	(void)l;
	(void)sa;
	(void)salen;
	if ((sc = calloc(1, sizeof(*sc))) == NULL) {
		log_warnx("status socket: rejected a client: out of memory");
		evutil_closesocket(fd);
		return;
	}
	sc->np = np;
	sc->accepted = status_now();
	rc = status_peer_identify(sc, fd);
	if (!status_admit(np->status, sc)) {
		status_send_full(fd);
		evutil_closesocket(fd);
		free(sc);
		return;
	}
	sc->bev = bufferevent_socket_new(np->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (sc->bev == NULL) {
		evutil_closesocket(fd);
		free(sc);
		return;
	}
	TAILQ_INSERT_TAIL(&np->status->conns, sc, entry);
	np->status->nconns++;
	bufferevent_set_timeouts(sc->bev, &first, &idle);
	if (rc != 0 || sc->access == STATUS_ACCESS_NONE) {
		status_reject(sc, rc);
		return;
	}
	bufferevent_setcb(sc->bev, status_read_cb, NULL, status_event_cb, sc);
	bufferevent_enable(sc->bev, EV_READ);
}

int
status_start(struct netproc *np, int fd)
{
	if ((np->status = calloc(1, sizeof(*np->status))) == NULL)
		return (-ENOMEM);
	TAILQ_INIT(&np->status->conns);
	statuscert_load_next(np, NULL);
	np->status->listener = evconnlistener_new(np->base, status_accept_cb,
	    np, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	return (np->status->listener == NULL ? -ENOMEM : 0);
}

void
status_stop(struct netproc *np)
{
	struct status *st = np->status;
	struct status_conn *sc;
	size_t i;

	if (st == NULL)
		return;
	while ((sc = TAILQ_FIRST(&st->conns)) != NULL)
		status_conn_free(sc);
	if (st->listener != NULL)
		evconnlistener_free(st->listener);
	for (i = 0; i < CONFIG_MAX_LISTENERS; i++)
		X509_free(st->next_cert[i]);
	free(st);
	np->status = NULL;
}
