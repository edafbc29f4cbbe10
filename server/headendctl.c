/*
 * headendctl: the operator's tool. Talks to the running headend through
 * its status socket, and manages the local user file.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "usercmd.h"

#define CTL_DEFAULT_SOCKET	"/run/headend/status.sock"
#define CTL_REPLY_MAX		(16 * 1024 * 1024)

enum ctl_exit {
	CTL_OK = 0,
	CTL_FAILED = 1,		/* the headend answered with an error */
	CTL_USAGE = 2,
	CTL_UNREACHABLE = 3,	/* no socket, or access denied */
};

static void
ctl_usage(void)
{
	fprintf(stderr, "usage: headendctl [-s socket] [--json] show "
	    "sessions|stats\n"
	    "       headendctl user add|delete [-f file] username\n"
	    "  -s socket  status socket (default %s)\n"
	    "  --json     print the JSON answer as it is\n",
	    CTL_DEFAULT_SOCKET);
	exit(CTL_USAGE);
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			fprintf(stderr, "headendctl: cannot reach %s: %s; is "
			    "headend running?\n", path, strerror(errno));
		else if (errno == EACCES)
			fprintf(stderr, "headendctl: access to %s denied: run "
			    "as root or as a member of the headend group\n",
			    path);
		else
			fprintf(stderr, "headendctl: connect to %s failed: "
			    "%s\n", path, strerror(errno));
		exit(CTL_UNREACHABLE);
	}
	return (fd);
}

/* Send one command line and return the one-line JSON answer. */
static char *
ctl_request(const char *path, const char *command)
{
	int fd = ctl_connect(path);
	size_t len = 0, size = 4096;
	char *buf = malloc(size);
	ssize_t n;

	if (buf == NULL || dprintf(fd, "%s\n", command) < 0) {
		fprintf(stderr, "headendctl: sending the command failed\n");
		exit(CTL_UNREACHABLE);
	}
	while ((n = read(fd, buf + len, size - len - 1)) > 0) {
		len += (size_t)n;
		if (memchr(buf, '\n', len) != NULL)
			break;
		if (len + 1 == size && (size *= 2) <= CTL_REPLY_MAX)
			buf = realloc(buf, size);
		if (buf == NULL || size > CTL_REPLY_MAX) {
			fprintf(stderr, "headendctl: answer too long\n");
			exit(CTL_FAILED);
		}
	}
	close(fd);
	buf[len] = '\0';
	return (buf);
}

static const char *
ctl_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return ("-");
	return (json_object_get_string(v));
}

static void
ctl_print_sessions(json_object *root)
{
	json_object *list, *se;
	size_t i, n;

	if (!json_object_object_get_ex(root, "sessions", &list))
		return;
	n = json_object_array_length(list);
	printf("%-6s %-20s %-16s %-15s %-22s %12s %12s %8s\n", "ID", "USER",
	    "GROUP", "ADDRESS", "PEER", "BYTES-IN", "BYTES-OUT", "UPTIME");
	for (i = 0; i < n; i++) {
		se = json_object_array_get_idx(list, i);
		printf("%-6s %-20s %-16s %-15s %-22s %12s %12s %7ss\n",
		    ctl_str(se, "id"), ctl_str(se, "user"),
		    ctl_str(se, "group"), ctl_str(se, "address"),
		    ctl_str(se, "peer"), ctl_str(se, "bytes_in"),
		    ctl_str(se, "bytes_out"), ctl_str(se, "uptime"));
	}
	printf("%zu session(s)\n", n);
}

static void
ctl_print_object(json_object *root)
{
	json_object_object_foreach(root, key, val)
		printf("%-24s %s\n", key, json_object_get_string(val));
}

static int
ctl_show(const char *path, const char *what, bool json)
{
	char command[64];
	json_object *root, *err;
	char *reply;

	snprintf(command, sizeof(command), "show %s", what);
	reply = ctl_request(path, command);
	if ((root = json_tokener_parse(reply)) == NULL) {
		fprintf(stderr, "headendctl: the answer is not JSON\n");
		return (CTL_FAILED);
	}
	if (json_object_object_get_ex(root, "error", &err)) {
		fprintf(stderr, "headendctl: %s\n",
		    json_object_get_string(err));
		return (CTL_FAILED);
	}
	if (json)
		printf("%s", reply);
	else if (strcmp(what, "sessions") == 0)
		ctl_print_sessions(root);
	else
		ctl_print_object(root);
	json_object_put(root);
	free(reply);
	return (CTL_OK);
}

int
main(int argc, char **argv)
{
	const char *path = CTL_DEFAULT_SOCKET;
	bool json = false;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			path = argv[++i];
		else
			ctl_usage();
	}
	if (i < argc && strcmp(argv[i], "user") == 0)
		return (usercmd_main(argc - i, argv + i));
	if (i + 2 == argc && strcmp(argv[i], "show") == 0 &&
	    (strcmp(argv[i + 1], "sessions") == 0 ||
	    strcmp(argv[i + 1], "stats") == 0))
		return (ctl_show(path, argv[i + 1], json));
	ctl_usage();
}
