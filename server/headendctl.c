/*
 * headendctl: the operator's tool. It sends one command to the running
 * headend through its status socket and prints the JSON reply as it is
 * (--json) or as tables. It also manages the local user file.
 *
 * Exit status: see enum ctl_exit; scripts may rely on these values.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctlprint.h"
#include "ctlcert.h"
#include "usercmd.h"

#define CTL_DEFAULT_SOCKET	"/run/headend/status.sock"
#define CTL_REPLY_MAX		(64 * 1024 * 1024)	/* bytes */
#define CTL_TIMEOUT		30	/* seconds to wait for the reply */
#define CTL_LINE_MAX		1024	/* the status socket's line limit */
#define CTL_ESCAPED_MAX		2048	/* bytes of one escaped value */

enum ctl_exit {
	CTL_OK = 0,
	CTL_FAILED = 1,		/* the headend returned an error, or garbage */
	CTL_USAGE = 2,		/* invalid command line or argument */
	CTL_UNREACHABLE = 3,	/* no socket, headend not running, no reply */
	CTL_DENIED = 4,		/* not root, or not in the headend group */
	CTL_NOT_FOUND = 5,	/* no session, ban or reload matched */
};

/* A command of the status socket and how its reply is printed. */
struct ctl_command {
	const char	*words[2];	/* words[1] is NULL for one word */
	int		min_args;
	int		max_args;
	ctlprint_fn	*print;
};

static const struct ctl_command ctl_commands[] = {
	{ { "show", "sessions" }, 0, 2, ctlprint_sessions },
	{ { "show", "session" }, 1, 1, ctlprint_session },
	{ { "show", "groups" }, 0, 0, ctlprint_groups },
	{ { "show", "pools" }, 0, 0, ctlprint_pools },
	{ { "show", "stats" }, 0, 0, ctlprint_tree },
	{ { "show", "certificates" }, 0, 0, ctlprint_tree },
	{ { "show", "bans" }, 0, 0, ctlprint_bans },
	{ { "logoff", NULL }, 2, 2, ctlprint_logoff },
	{ { "unban", NULL }, 1, 1, ctlprint_tree },
	{ { "reload", NULL }, 0, 0, ctlprint_reload },
	{ { "show", "reload" }, 1, 1, ctlprint_tree },
	{ { "shutdown", NULL }, 0, 1, ctlprint_shutdown },
	{ { "metrics", NULL }, 0, 0, ctlprint_metrics },
	{ { "help", NULL }, 0, 0, ctlprint_help },
};

/* Commands that run here, without the status socket. */
static const struct {
	const char	*name;
	int		(*run)(int argc, char **argv);
} ctl_local_commands[] = {
	{ "user", usercmd_main },
	{ "cert-hash", ctlcert_main },
};

/* The "code" of an error reply and the exit status it maps to. */
static const struct {
	const char	*code;
	enum ctl_exit	status;
} ctl_error_codes[] = {
	{ "invalid-argument", CTL_USAGE },
	{ "denied", CTL_DENIED },
	{ "not-found", CTL_NOT_FOUND },
};

#define CTL_LEN(a)	(sizeof(a) / sizeof((a)[0]))

static void
ctl_usage(FILE *f)
{
	fprintf(f,
	    "usage: headendctl [-s SOCKET] [--json] COMMAND [--json]\n"
	    "commands:\n"
	    "  show sessions [user NAME | group NAME | address ADDRESS]\n"
	    "  show session ID\n"
	    "  show groups | show pools | show stats | show certificates\n"
	    "  show bans | unban ADDRESS   brute-force bans\n"
	    "  logoff id ID | user NAME | address ADDRESS | group NAME\n"
	    "  reload           waits for the outcome; exit 1 unless applied\n"
	    "  show reload ID   the outcome of the reload with that id\n"
	    "  shutdown [--logoff]\n"
	    "  help             the commands as the headend lists them\n"
	    "  metrics          print the Prometheus metrics\n"
	    "  user add|delete [-f FILE] USERNAME\n"
	    "  cert-hash [-c CONFIG | FILE...]   certificate hashes for "
	    "phones\n"
	    "options:\n"
	    "  -s SOCKET  status socket (default %s)\n"
	    "  --json     print the headend's JSON reply as it is\n"
	    "exit status: 0 success, 1 the headend reported an error, "
	    "2 usage error or\n"
	    "  invalid argument, 3 headend unreachable, 4 access denied, "
	    "5 nothing\n"
	    "  matched (no such session, ban, reload or user)\n",
	    CTL_DEFAULT_SOCKET);
}

/* Whether something other than a socket is at path. */
static bool
ctl_not_socket(const char *path)
{
	struct stat sb;

	return (stat(path, &sb) == 0 && !S_ISSOCK(sb.st_mode));
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { CTL_TIMEOUT, 0 };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "headendctl: socket path %s is too long\n",
		    path);
		exit(CTL_USAGE);
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		if (errno == EACCES || errno == EPERM) {
			fprintf(stderr, "headendctl: access to %s denied: "
			    "run as root or as a member of the headend "
			    "group\n", path);
			exit(CTL_DENIED);
		}
		if (errno == ECONNREFUSED && ctl_not_socket(path))
			fprintf(stderr, "headendctl: %s is not a socket: give "
			    "the status-socket of headend.conf with -s\n",
			    path);
		else if (errno == ENOENT || errno == ECONNREFUSED)
			fprintf(stderr, "headendctl: cannot connect to %s: "
			    "%s; is headend running? (-s sets the socket)\n",
			    path, strerror(errno));
		else
			fprintf(stderr, "headendctl: cannot connect to %s: "
			    "%s\n", path, strerror(errno));
		exit(CTL_UNREACHABLE);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return (fd);
}

/* Read up to the first newline, because the reply is exactly one line. */
static char *
ctl_read_line(int fd, const char *path)
{
	size_t len = 0, size = 4096;
	char *buf = malloc(size), *grown;
	ssize_t n = 0;

	while (buf != NULL && (n = read(fd, buf + len, size - len - 1)) > 0) {
		len += (size_t)n;
		if (memchr(buf + len - (size_t)n, '\n', (size_t)n) != NULL)
			break;
		if (len + 1 < size)
			continue;
		if (size >= CTL_REPLY_MAX) {
			fprintf(stderr, "headendctl: the reply is longer than "
			    "%d bytes\n", CTL_REPLY_MAX);
			exit(CTL_FAILED);
		}
		if ((grown = realloc(buf, size * 2)) == NULL)
			free(buf);
		buf = grown;
		size *= 2;
	}
	if (buf == NULL) {
		fprintf(stderr, "headendctl: out of memory\n");
		exit(CTL_FAILED);
	}
	if (len == 0 || buf[len - 1] != '\n') {
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			fprintf(stderr, "headendctl: no reply from %s within "
			    "%d seconds\n", path, CTL_TIMEOUT);
		else
			fprintf(stderr, "headendctl: %s closed the connection "
			    "without a complete reply\n", path);
		exit(CTL_UNREACHABLE);
	}
	buf[len] = '\0';
	return (buf);
}

/* Send one command line and return the one-line JSON reply. */
static char *
ctl_request(const char *path, const char *command)
{
	int fd = ctl_connect(path);
	char *reply;

	/*
	 * A headend that rejects the peer sends its error and closes
	 * without reading, so the write can fail while the reply waits.
	 */
	if (dprintf(fd, "%s\n", command) < 0 && errno != EPIPE) {
		fprintf(stderr, "headendctl: sending the command to %s "
		    "failed: %s\n", path, strerror(errno));
		exit(CTL_UNREACHABLE);
	}
	reply = ctl_read_line(fd, path);
	close(fd);
	return (reply);
}

static json_object *
ctl_parse(const char *reply)
{
	json_tokener *tok = json_tokener_new();
	json_object *root;

	if (tok == NULL)
		return (NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, reply, (int)strlen(reply));
	json_tokener_free(tok);
	if (root != NULL && !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return (NULL);
	}
	return (root);
}

/*
 * Print an error reply and return its exit status. The message is
 * escaped, because it may quote what a client sent.
 */
static int
ctl_report_error(json_object *err, json_object *root)
{
	char message[CTL_ESCAPED_MAX];
	json_object *code;
	const char *name;
	size_t i;

	ctlprint_escape(json_object_get_string(err), message,
	    sizeof(message));
	fprintf(stderr, "headendctl: %s\n", message);
	if (!json_object_object_get_ex(root, "code", &code))
		return (CTL_FAILED);
	name = json_object_get_string(code);
	for (i = 0; i < CTL_LEN(ctl_error_codes); i++) {
		if (strcmp(name, ctl_error_codes[i].code) == 0)
			return (ctl_error_codes[i].status);
	}
	return (CTL_FAILED);
}

static int
ctl_run(const char *path, const char *command, ctlprint_fn *print,
    bool json)
{
	json_object *root, *err;
	char *reply = ctl_request(path, command);
	int rc = CTL_OK;

	if ((root = ctl_parse(reply)) == NULL) {
		fprintf(stderr, "headendctl: the reply is not a JSON "
		    "object\n");
		free(reply);
		return (CTL_FAILED);
	}
	/* With --json, scripts get error replies as they are, too. */
	if (json)
		fputs(reply, stdout);
	if (json_object_object_get_ex(root, "error", &err))
		rc = ctl_report_error(err, root);
	else if (!json)
		print(root);
	json_object_put(root);
	free(reply);
	return (rc);
}

/* Return whether a reply to "show reload" has the state "waiting". */
static bool
ctl_reload_waiting(json_object *root)
{
	json_object *state;

	return (json_object_object_get_ex(root, "reload", &state) &&
	    strcmp(json_object_get_string(state), "waiting") == 0);
}

/*
 * Ask for a reload and wait for its outcome, which the parent reports
 * once it has checked the file and the network process has taken it.
 * Returns 0 only when the new configuration applies.
 */
static int
ctl_reload(const char *path, bool json)
{
	char *reply = ctl_request(path, "reload"), line[64];
	json_object *root = ctl_parse(reply), *id, *err, *state;
	int tries, rc;

	for (tries = 0; root != NULL && tries < CTL_TIMEOUT * 10; tries++) {
		if (json_object_object_get_ex(root, "error", &err)) {
			if (json)
				fputs(reply, stdout);
			rc = ctl_report_error(err, root);
			json_object_put(root);
			free(reply);
			return (rc);
		}
		if (!json_object_object_get_ex(root, "id", &id) ||
		    (tries > 0 && !ctl_reload_waiting(root)))
			break;
		snprintf(line, sizeof(line), "show reload %" PRIu64,
		    json_object_get_uint64(id));
		json_object_put(root);
		free(reply);
		usleep(100000);
		reply = ctl_request(path, line);
		root = ctl_parse(reply);
	}
	if (root == NULL) {
		fprintf(stderr, "headendctl: the reply is not a JSON "
		    "object\n");
		free(reply);
		return (CTL_FAILED);
	}
	if (json)
		fputs(reply, stdout);
	else
		ctlprint_reload(root);
	rc = json_object_object_get_ex(root, "reload", &state) &&
	    strcmp(json_object_get_string(state), "applied") == 0 ?
	    CTL_OK : CTL_FAILED;
	json_object_put(root);
	free(reply);
	return (rc);
}

/*
 * An argument travels as one word of one line, so it may not contain
 * spaces or control characters.
 */
static bool
ctl_word_valid(const char *word)
{
	const unsigned char *p = (const unsigned char *)word;

	if (*p == '\0')
		return (false);
	for (; *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7f)
			return (false);
	}
	return (true);
}

static void
ctl_invalid_argument(const char *arg)
{
	char shown[CTL_ESCAPED_MAX];

	ctlprint_escape(arg, shown, sizeof(shown));
	fprintf(stderr, "headendctl: invalid argument \"%s\": it may not be "
	    "empty or contain spaces or control characters\n", shown);
}

/* Join the command's words and arguments into one line. */
static int
ctl_build_line(const struct ctl_command *c, int argc, char **argv,
    char *line, size_t size)
{
	size_t len;
	int i;

	snprintf(line, size, "%s%s%s", c->words[0], c->words[1] ? " " : "",
	    c->words[1] ? c->words[1] : "");
	for (i = 0; i < argc; i++) {
		/* "shutdown --logoff" and "shutdown logoff" are the same. */
		const char *arg = strcmp(argv[i], "--logoff") == 0 ?
		    "logoff" : argv[i];

		if (!ctl_word_valid(arg)) {
			ctl_invalid_argument(argv[i]);
			return (-EINVAL);
		}
		len = strlen(line);
		if (snprintf(line + len, size - len, " %s", arg) >=
		    (int)(size - len)) {
			fprintf(stderr, "headendctl: the command is longer "
			    "than %zu bytes\n", size - 1);
			return (-E2BIG);
		}
	}
	return (0);
}

static const struct ctl_command *
ctl_find(int argc, char **argv, int *used)
{
	const struct ctl_command *c;
	size_t i;

	for (i = 0; i < CTL_LEN(ctl_commands); i++) {
		c = &ctl_commands[i];
		*used = c->words[1] == NULL ? 1 : 2;
		if (argc < *used || strcmp(argv[0], c->words[0]) != 0)
			continue;
		if (*used == 1 || strcmp(argv[1], c->words[1]) == 0)
			return (c);
	}
	return (NULL);
}

static int
ctl_remote(const char *path, bool json, int argc, char **argv)
{
	char first[CTL_ESCAPED_MAX], second[CTL_ESCAPED_MAX];
	const struct ctl_command *c;
	char line[CTL_LINE_MAX + 1];
	int used;

	if ((c = ctl_find(argc, argv, &used)) == NULL) {
		ctlprint_escape(argv[0], first, sizeof(first));
		ctlprint_escape(argc > 1 ? argv[1] : "", second,
		    sizeof(second));
		fprintf(stderr, "headendctl: unknown command \"%s%s%s\"\n",
		    first, argc > 1 ? " " : "", second);
		ctl_usage(stderr);
		return (CTL_USAGE);
	}
	argc -= used;
	argv += used;
	if (argc < c->min_args || argc > c->max_args) {
		fprintf(stderr, "headendctl: wrong number of arguments\n");
		ctl_usage(stderr);
		return (CTL_USAGE);
	}
	if (ctl_build_line(c, argc, argv, line, sizeof(line)) != 0)
		return (CTL_USAGE);
	if (c->print == ctlprint_reload)
		return (ctl_reload(path, json));
	return (ctl_run(path, line, c->print, json));
}

static void
ctl_unknown_option(const char *option)
{
	char shown[CTL_ESCAPED_MAX];

	ctlprint_escape(option, shown, sizeof(shown));
	fprintf(stderr, "headendctl: unknown option %s\n", shown);
	ctl_usage(stderr);
}

/*
 * Take a --json that ends a remote command, as in "show sessions --json".
 * Only the last word counts, so that an argument such as a username is
 * never taken for it. Returns the new argc.
 */
static int
ctl_take_json(int argc, char **argv, bool *json)
{
	if (argc > 1 && strcmp(argv[argc - 1], "--json") == 0) {
		*json = true;
		argv[--argc] = NULL;
	}
	return (argc);
}

int
main(int argc, char **argv)
{
	const char *path = CTL_DEFAULT_SOCKET;
	bool json = false;
	size_t j;
	int i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (strcmp(argv[i], "-s") == 0) {
			fprintf(stderr, "headendctl: -s needs the path of the "
			    "status socket, such as -s %s\n",
			    CTL_DEFAULT_SOCKET);
			return (CTL_USAGE);
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			ctl_usage(stdout);
			return (CTL_OK);
		} else {
			ctl_unknown_option(argv[i]);
			return (CTL_USAGE);
		}
	}
	if (i == argc) {
		ctl_usage(stderr);
		return (CTL_USAGE);
	}
	for (j = 0; j < CTL_LEN(ctl_local_commands); j++) {
		if (strcmp(argv[i], ctl_local_commands[j].name) != 0)
			continue;
		if (json) {
			fprintf(stderr, "headendctl: --json is for commands "
			    "that the headend answers; %s prints text\n",
			    argv[i]);
			return (CTL_USAGE);
		}
		return (ctl_local_commands[j].run(argc - i, argv + i));
	}
	argc = i + ctl_take_json(argc - i, argv + i, &json);
	return (ctl_remote(path, json, argc - i, argv + i));
}
