/*
 * Tests for the status socket's commands: access rules, dispatch,
 * filters, every show document (parsed back strictly), logoff and the
 * requests passed to the parent.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "ipc.h"
#include "test_status_fixture.h"

static int
setup(void **state)
{
	*state = fixture_new();
	return (0);
}

static int
teardown(void **state)
{
	fixture_free(*state);
	return (0);
}

/* Run a command, check that it parses strictly, return the reparse. */
static json_object *
run_parsed(struct fixture *fx, enum status_access access, const char *line)
{
	json_object *reply = fixture_run(fx, access, line);
	json_object *parsed = fixture_reparse(reply);

	json_object_put(reply);
	return (parsed);
}

static void
assert_error(struct fixture *fx, enum status_access access,
    const char *line, const char *code)
{
	json_object *reply = run_parsed(fx, access, line);
	const char *got = fixture_error_code(reply);

	if (got == NULL || strcmp(got, code) != 0)
		fail_msg("\"%s\": expected code %s, got %s", line, code,
		    json_object_to_json_string(reply));
	assert_true(json_object_object_get_ex(reply, "error", NULL));
	json_object_put(reply);
}

static void
test_access_root(void **state)
{
	(void)state;
	assert_int_equal(status_access_of(0, 0, NULL, 0, 995),
	    STATUS_ACCESS_ADMIN);
}

static void
test_access_primary_group(void **state)
{
	(void)state;
	assert_int_equal(status_access_of(1000, 995, NULL, 0, 995),
	    STATUS_ACCESS_READ);
}

static void
test_access_supplementary_group(void **state)
{
	gid_t groups[] = { 100, 995, 1000 };

	(void)state;
	assert_int_equal(status_access_of(1000, 1000, groups, 3, 995),
	    STATUS_ACCESS_READ);
}

static void
test_access_outsider(void **state)
{
	gid_t groups[] = { 100, 1000 };

	(void)state;
	assert_int_equal(status_access_of(1000, 1000, groups, 2, 995),
	    STATUS_ACCESS_NONE);
}

static void
test_sessions_empty(void **state)
{
	json_object *reply = run_parsed(*state, STATUS_ACCESS_READ,
	    "show sessions");
	json_object *list = fixture_get(reply, "sessions");

	assert_true(json_object_is_type(list, json_type_array));
	assert_int_equal(json_object_array_length(list), 0);
	json_object_put(reply);
}

/* Names with quotes, backslashes, UTF-8 and a control-like byte. */
static const char *const odd_users[] = {
	"alice",
	"quo\"te",
	"back\\slash",
	"j\xc3\xbcrgen-\xe6\x97\xa5\xe6\x9c\xac",
	"emoji\xf0\x9f\x98\x80",
	"tab\x7f" "del",
};

static void
test_sessions_odd_names_round_trip(void **state)
{
	struct fixture *fx = *state;
	json_object *reply, *list, *se;
	size_t i, n = sizeof(odd_users) / sizeof(odd_users[0]);

	for (i = 0; i < n; i++)
		fixture_login(fx, odd_users[i], 0);
	reply = run_parsed(fx, STATUS_ACCESS_READ, "show sessions");
	list = fixture_get(reply, "sessions");
	assert_int_equal(json_object_array_length(list), n);
	for (i = 0; i < n; i++) {
		se = json_object_array_get_idx(list, i);
		assert_string_equal(json_object_get_string(
		    fixture_get(se, "user")), odd_users[i]);
		assert_string_equal(json_object_get_string(
		    fixture_get(se, "group")), "staff");
	}
	json_object_put(reply);
}

static void
test_sessions_invalid_utf8_replaced(void **state)
{
	struct fixture *fx = *state;
	json_object *reply, *se;

	/* Latin-1, an overlong slash, a surrogate and a cut sequence. */
	fixture_login(fx, "caf\xe9", 0);
	fixture_login(fx, "over\xc0\xaflong", 0);
	fixture_login(fx, "sur\xed\xa0\x80rogate", 0);
	fixture_login(fx, "cut\xe6\x97", 0);
	reply = run_parsed(fx, STATUS_ACCESS_READ, "show sessions");
	se = fixture_get(reply, "sessions");
	assert_string_equal(json_object_get_string(fixture_get(
	    json_object_array_get_idx(se, 0), "user")), "caf\xef\xbf\xbd");
	assert_string_equal(json_object_get_string(fixture_get(
	    json_object_array_get_idx(se, 1), "user")),
	    "over\xef\xbf\xbd\xef\xbf\xbdlong");
	assert_string_equal(json_object_get_string(fixture_get(
	    json_object_array_get_idx(se, 2), "user")),
	    "sur\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdrogate");
	assert_string_equal(json_object_get_string(fixture_get(
	    json_object_array_get_idx(se, 3), "user")),
	    "cut\xef\xbf\xbd\xef\xbf\xbd");
	json_object_put(reply);
}

static size_t
count_sessions(struct fixture *fx, const char *line)
{
	json_object *reply = run_parsed(fx, STATUS_ACCESS_READ, line);
	size_t n;

	assert_null(fixture_error_code(reply));
	n = json_object_array_length(fixture_get(reply, "sessions"));
	json_object_put(reply);
	return (n);
}

static void
test_sessions_filters(void **state)
{
	struct fixture *fx = *state;

	fixture_login(fx, "alice", 0);
	fixture_login(fx, "bob", 0);
	fixture_login(fx, "alice", 1);
	assert_int_equal(count_sessions(fx, "show sessions"), 3);
	assert_int_equal(count_sessions(fx, "show sessions user alice"), 2);
	assert_int_equal(count_sessions(fx, "show sessions user carol"), 0);
	assert_int_equal(count_sessions(fx, "show sessions group lab"), 1);
	assert_int_equal(count_sessions(fx,
	    "show sessions address 198.19.0.2"), 1);
	assert_int_equal(count_sessions(fx, "show sessions id 3"), 1);
}

static void
test_sessions_filter_errors(void **state)
{
	struct fixture *fx = *state;

	assert_error(fx, STATUS_ACCESS_READ, "show sessions user",
	    "invalid-argument");
	assert_error(fx, STATUS_ACCESS_READ, "show sessions colour red",
	    "invalid-argument");
	assert_error(fx, STATUS_ACCESS_READ, "show sessions address 1.2.3",
	    "invalid-argument");
	assert_error(fx, STATUS_ACCESS_READ, "show sessions id x1",
	    "invalid-argument");
	assert_error(fx, STATUS_ACCESS_READ, "show sessions user a b",
	    "invalid-argument");
}

static void
test_session_detail_fields(void **state)
{
	static const char *const keys[] = {
		"id", "user", "group", "address", "peer_tcp", "peer_udp",
		"user_agent", "client_certificate", "tls", "dtls",
		"channels", "drops", "started", "last_activity",
		"reconnects", "bytes_in", "bytes_out", "packets_in",
		"packets_out", "duration", "connected",
	};
	struct fixture *fx = *state;
	json_object *reply, *se, *cert;
	size_t i;

	fixture_login(fx, "alice", 0);
	reply = run_parsed(fx, STATUS_ACCESS_READ, "show session 1");
	se = fixture_get(reply, "session");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_object_object_get_ex(se, keys[i], NULL))
			fail_msg("show session lacks \"%s\"", keys[i]);
	assert_string_equal(json_object_get_string(fixture_get(se,
	    "address")), "198.19.0.1");
	cert = fixture_get(se, "client_certificate");
	assert_true(json_object_object_get_ex(cert, "subject", NULL));
	assert_true(json_object_object_get_ex(cert, "issuer", NULL));
	assert_int_equal(json_object_get_int(fixture_get(fixture_get(se,
	    "drops"), "spoofed")), 0);
	json_object_put(reply);
}

static void
test_session_detail_not_found(void **state)
{
	assert_error(*state, STATUS_ACCESS_READ, "show session 99",
	    "not-found");
	assert_error(*state, STATUS_ACCESS_READ, "show session",
	    "invalid-argument");
}

static void
test_dispatch_errors(void **state)
{
	struct fixture *fx = *state;

	assert_error(fx, STATUS_ACCESS_READ, "", "unknown-command");
	assert_error(fx, STATUS_ACCESS_READ, "show", "unknown-command");
	assert_error(fx, STATUS_ACCESS_READ, "show everything",
	    "unknown-command");
	assert_error(fx, STATUS_ACCESS_READ, "show stats now",
	    "invalid-argument");
	assert_error(fx, STATUS_ACCESS_READ, "show sessions\x01",
	    "invalid-argument");
	assert_error(fx, STATUS_ACCESS_READ, "a b c d e f g h i",
	    "invalid-argument");
}

static void
test_dispatch_extra_spaces(void **state)
{
	fixture_login(*state, "alice", 0);
	assert_int_equal(count_sessions(*state,
	    "  show \t sessions   user alice "), 1);
}

static void
test_group_member_cannot_administer(void **state)
{
	struct fixture *fx = *state;

	fixture_login(fx, "alice", 0);
	assert_error(fx, STATUS_ACCESS_READ, "logoff user alice", "denied");
	assert_error(fx, STATUS_ACCESS_READ, "reload", "denied");
	assert_error(fx, STATUS_ACCESS_READ, "shutdown", "denied");
	assert_int_equal(sessions_count(fx->np.sessions), 1);
}

/* The refusal of a two-word command names both words. */
static void
test_denied_names_command(void **state)
{
	struct fixture *fx = *state;
	json_object *reply = run_parsed(fx, STATUS_ACCESS_READ,
	    "show reload 1");
	const char *text = json_object_to_json_string(reply);

	assert_string_equal(fixture_error_code(reply), "denied");
	assert_non_null(strstr(text, "show reload\\\" needs root"));
	json_object_put(reply);
}

static void
test_logoff_user(void **state)
{
	struct fixture *fx = *state;
	json_object *reply, *ids;

	fixture_login(fx, "alice", 0);
	fixture_login(fx, "bob", 0);
	fixture_login(fx, "alice", 1);
	reply = run_parsed(fx, STATUS_ACCESS_ADMIN, "logoff user alice");
	ids = fixture_get(reply, "logged_off");
	assert_int_equal(json_object_array_length(ids), 2);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(ids,
	    0)), 1);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(ids,
	    1)), 3);
	json_object_put(reply);
	assert_int_equal(sessions_count(fx->np.sessions), 1);
	assert_int_equal(fx->np.stats.logoffs, 2);
	assert_int_equal(pool_used(fx->np.pools[0]), 1);
}

static void
test_logoff_by_each_field(void **state)
{
	static const char *const lines[] = {
		"logoff id 1", "logoff address 198.19.0.2",
		"logoff group lab", "logoff user carol",
	};
	struct fixture *fx = *state;
	json_object *reply;
	size_t i;

	fixture_login(fx, "alice", 0);
	fixture_login(fx, "bob", 0);
	fixture_login(fx, "dave", 1);
	fixture_login(fx, "carol", 0);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		reply = run_parsed(fx, STATUS_ACCESS_ADMIN, lines[i]);
		assert_null(fixture_error_code(reply));
		json_object_put(reply);
		assert_int_equal(sessions_count(fx->np.sessions), 3 - i);
	}
}

static void
test_logoff_cookie_forgotten(void **state)
{
	struct fixture *fx = *state;
	struct session *se = fixture_login(fx, "alice", 0);
	char cookie[SESSION_COOKIE_TEXT];
	json_object *reply;

	snprintf(cookie, sizeof(cookie), "%s", se->se_cookie);
	assert_ptr_equal(session_find_cookie(fx->np.sessions, cookie, "-"), se);
	reply = run_parsed(fx, STATUS_ACCESS_ADMIN, "logoff id 1");
	json_object_put(reply);
	assert_null(session_find_cookie(fx->np.sessions, cookie, "-"));
}

static void
test_logoff_no_match(void **state)
{
	fixture_login(*state, "alice", 0);
	assert_error(*state, STATUS_ACCESS_ADMIN, "logoff user bob",
	    "not-found");
	assert_error(*state, STATUS_ACCESS_ADMIN, "logoff name bob",
	    "invalid-argument");
	assert_error(*state, STATUS_ACCESS_ADMIN, "logoff user",
	    "invalid-argument");
}

/* Give the fixture a parent channel and return the parent's end. */
static int
attach_parent(struct fixture *fx)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	fx->np.parent_fd = sv[0];
	return (sv[1]);
}

/*
 * Read up to the next request of the status socket, and return the
 * number of session ends reported before it.
 */
static int
assert_parent_got(int fd, enum ipc_type type)
{
	struct ipc_parent_request req;
	struct ipc_session se;
	uint8_t buf[512];
	int len, passed, downs = 0;

	for (;;) {
		len = ipc_recv(fd, buf, sizeof(buf), &passed);
		assert_true(len > 0);
		assert_int_equal(passed, -1);
		if (ipc_session_decode(buf, (size_t)len, &se) != 0)
			break;
		downs += se.hdr.type == IPC_SESSION_DOWN;
	}
	assert_int_equal(ipc_parent_request_decode(buf, (size_t)len, &req),
	    0);
	assert_int_equal(req.hdr.type, type);
	assert_int_equal(req.uid, 0);
	assert_int_equal(req.pid, 42);
	return (downs);
}

static void
test_reload_reaches_parent(void **state)
{
	struct fixture *fx = *state;
	int parent = attach_parent(fx);
	json_object *reply;

	reply = run_parsed(fx, STATUS_ACCESS_ADMIN, "reload");
	assert_string_equal(json_object_get_string(fixture_get(reply,
	    "reload")), "requested");
	json_object_put(reply);
	assert_parent_got(parent, IPC_RELOAD_REQUEST);
	close(parent);
	close(fx->np.parent_fd);
}

static void
test_parent_request_decode_rejects(void **state)
{
	struct ipc_parent_request req, out;
	uint8_t buf[sizeof(req) + 4] = { 0 };

	(void)state;
	ipc_parent_request_init(&req, IPC_RELOAD_REQUEST, 0, 1);
	memcpy(buf, &req, sizeof(req));
	assert_int_equal(ipc_parent_request_decode(buf, sizeof(req), &out),
	    0);
	assert_int_equal(ipc_parent_request_decode(buf, sizeof(req) - 1,
	    &out), -EBADMSG);
	assert_int_equal(ipc_parent_request_decode(buf, sizeof(req) + 4,
	    &out), -EBADMSG);

	/* A header of another type, with this message's size. */
	ipc_parent_request_init(&req, IPC_AUTH_REPLY, 0, 1);
	memcpy(buf, &req, sizeof(req));
	assert_int_equal(ipc_parent_request_decode(buf, sizeof(req), &out),
	    -EBADMSG);
}

static void
test_reload_without_parent(void **state)
{
	assert_error(*state, STATUS_ACCESS_ADMIN, "reload", "unavailable");
}

static void
test_shutdown_after_reply(void **state)
{
	struct fixture *fx = *state;
	int parent = attach_parent(fx);
	struct status_request req = { .np = &fx->np,
	    .access = STATUS_ACCESS_ADMIN, .uid = 0, .pid = 42 };
	json_object *reply;

	fixture_login(fx, "alice", 0);
	reply = status_command(&req, "shutdown logoff");
	assert_null(fixture_error_code(reply));
	assert_int_equal(json_object_array_length(fixture_get(reply,
	    "logged_off")), 1);
	json_object_put(reply);
	assert_int_equal(sessions_count(fx->np.sessions), 0);

	/* Nothing reaches the parent before the reply is written. */
	assert_non_null(req.after);
	req.after(&fx->np, req.uid, req.pid);
	assert_int_equal(assert_parent_got(parent,
	    IPC_SHUTDOWN_LOGOFF_REQUEST), 1);
	close(parent);
	close(fx->np.parent_fd);
}

static void
test_shutdown_bad_option(void **state)
{
	assert_error(*state, STATUS_ACCESS_ADMIN, "shutdown now",
	    "invalid-argument");
}

static void
test_groups(void **state)
{
	struct fixture *fx = *state;
	json_object *reply, *groups, *staff, *urls;

	fixture_login(fx, "alice", 0);
	fixture_login(fx, "bob", 0);
	reply = run_parsed(fx, STATUS_ACCESS_READ, "show groups");
	groups = fixture_get(reply, "groups");
	assert_int_equal(json_object_array_length(groups), 2);
	staff = json_object_array_get_idx(groups, 0);
	assert_string_equal(json_object_get_string(fixture_get(staff,
	    "name")), "staff");
	assert_int_equal(json_object_get_int(fixture_get(staff,
	    "sessions")), 2);
	assert_int_equal(json_object_get_int(fixture_get(fixture_get(staff,
	    "pool"), "used")), 2);
	assert_string_equal(json_object_get_string(fixture_get(staff,
	    "authentication")), "password");
	urls = fixture_get(staff, "group_urls");
	assert_int_equal(json_object_array_length(urls), 2);
	assert_string_equal(json_object_get_string(
	    json_object_array_get_idx(urls, 1)), "https://vpn.example.net/s");
	json_object_put(reply);
}

static void
test_pools(void **state)
{
	struct fixture *fx = *state;
	json_object *reply, *pools, *staff, *lab;

	fixture_login(fx, "alice", 1);
	reply = run_parsed(fx, STATUS_ACCESS_READ, "show pools");
	pools = fixture_get(reply, "pools");
	staff = json_object_array_get_idx(pools, 0);
	lab = json_object_array_get_idx(pools, 1);
	assert_int_equal(json_object_get_int(fixture_get(staff, "prefix")),
	    24);
	assert_true(json_object_is_type(fixture_get(lab, "prefix"),
	    json_type_null));
	assert_int_equal(json_object_get_int(fixture_get(lab, "size")), 11);
	assert_int_equal(json_object_get_int(fixture_get(lab, "used")), 1);
	assert_int_equal(json_object_get_int(fixture_get(lab, "free")), 10);
	assert_string_equal(json_object_get_string(fixture_get(lab,
	    "first")), "198.19.1.10");
	json_object_put(reply);
}

static void
test_stats_counts_ended_sessions(void **state)
{
	struct fixture *fx = *state;
	struct session *se = fixture_login(fx, "alice", 0);
	json_object *reply, *sessions, *traffic;

	fixture_login(fx, "bob", 0);
	se->se_stats.bytes_in = 1000;
	session_destroy(se, "test");
	fx->np.stats.logins_ok = 2;
	reply = run_parsed(fx, STATUS_ACCESS_READ, "show stats");
	sessions = fixture_get(reply, "sessions");
	assert_int_equal(json_object_get_int(fixture_get(sessions, "now")),
	    1);
	assert_int_equal(json_object_get_int(fixture_get(sessions, "peak")),
	    2);
	traffic = fixture_get(reply, "traffic");
	assert_int_equal(json_object_get_int(fixture_get(traffic,
	    "bytes_in")), 1000);
	assert_int_equal(json_object_get_int(fixture_get(fixture_get(reply,
	    "logins"), "succeeded")), 2);
	assert_true(json_object_get_int(fixture_get(reply, "uptime")) >= 60);
	json_object_put(reply);
}

static void
test_certificates_without_contexts(void **state)
{
	json_object *reply = run_parsed(*state, STATUS_ACCESS_READ,
	    "show certificates");
	json_object *list = fixture_get(reply, "certificates");
	json_object *l0 = json_object_array_get_idx(list, 0);

	assert_int_equal(json_object_array_length(list), 1);
	assert_string_equal(json_object_get_string(fixture_get(l0,
	    "listener")), "0.0.0.0:443");
	assert_true(json_object_is_type(fixture_get(l0, "next"),
	    json_type_null));
	json_object_put(reply);
}

static void
test_help_lists_commands(void **state)
{
	json_object *reply = run_parsed(*state, STATUS_ACCESS_READ, "help");

	assert_true(json_object_array_length(fixture_get(reply,
	    "commands")) >= 10);
	json_object_put(reply);
}

static void
test_string_valid_utf8_kept(void **state)
{
	json_object *s = statusjson_string("\xe2\x82\xac \xf4\x8f\xbf\xbf");

	(void)state;
	assert_string_equal(json_object_get_string(s),
	    "\xe2\x82\xac \xf4\x8f\xbf\xbf");
	json_object_put(s);
}

static void
test_string_above_max_replaced(void **state)
{
	json_object *s = statusjson_string("\xf4\x90\x80\x80");

	(void)state;
	assert_string_equal(json_object_get_string(s), "\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	json_object_put(s);
}

static void
test_time_format(void **state)
{
	json_object *t = statusjson_time(0);

	(void)state;
	assert_string_equal(json_object_get_string(t), "1970-01-01T00:00:00Z");
	json_object_put(t);
}

static void
test_unban_invalid_address(void **state)
{
	struct fixture *fx = *state;

	assert_error(fx, STATUS_ACCESS_ADMIN, "unban notanip",
	    "invalid-argument");
	assert_error(fx, STATUS_ACCESS_ADMIN, "unban 198.18.0",
	    "invalid-argument");
	assert_error(fx, STATUS_ACCESS_ADMIN, "unban 198.18.0.5:443",
	    "invalid-argument");
	assert_error(fx, STATUS_ACCESS_ADMIN, "unban 198.18.0.5",
	    "not-found");
}

static void
test_unban_ipv6_any_case(void **state)
{
	struct fixture *fx = *state;
	json_object *reply;

	ban_record_failure(fx->np.bans, "2001:db8::5", "alice", time(NULL));
	reply = run_parsed(fx, STATUS_ACCESS_ADMIN,
	    "unban 2001:DB8:0:0:0:0:0:5");
	assert_null(fixture_error_code(reply));
	assert_string_equal(json_object_get_string(fixture_get(reply,
	    "unbanned")), "2001:db8::5");
	json_object_put(reply);
	assert_error(fx, STATUS_ACCESS_ADMIN, "unban 2001:db8::5",
	    "not-found");
}

/* ---- the socket ---------------------------------------------------------- */

/* Serve a status socket in the fixture's folder and return its path. */
static const char *
socket_start(struct fixture *fx)
{
	static char path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(path, sizeof(path), "%s/status.sock", fx->dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	status_stop(&fx->np);
	assert_int_equal(status_start(&fx->np, fd), 0);
	return (path);
}

static void
socket_stop(struct fixture *fx, const char *path)
{
	status_stop(&fx->np);
	unlink(path);
}

static int
socket_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return (-1);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Run the fixture's event loop for about rounds milliseconds. */
static void
socket_pump(struct fixture *fx, int rounds)
{
	int i;

	for (i = 0; i < rounds; i++) {
		event_base_loop(fx->np.base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

/*
 * Read from fd while running the event loop until count lines arrived or
 * about five seconds passed. Returns the number of lines, and copies the
 * last one into line.
 */
static size_t
socket_read_lines(struct fixture *fx, int fd, size_t count, char *line,
    size_t size)
{
	char buf[65536];
	size_t lines = 0, len = 0;
	ssize_t n, i;
	int round;

	for (round = 0; round < 5000 && lines < count; round++) {
		event_base_loop(fx->np.base, EVLOOP_NONBLOCK);
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n < 0) {
			usleep(1000);
			continue;
		}
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (len + 1 < size)
					line[len++] = buf[i];
				continue;
			}
			line[len] = '\0';
			len = 0;
			lines++;
		}
	}
	return (lines);
}

/* The byte length of one reply to "help", newline included. */
static size_t
help_reply_length(struct fixture *fx)
{
	json_object *reply = fixture_run(fx, STATUS_ACCESS_READ, "help");
	size_t len = strlen(json_object_to_json_string_ext(reply,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) + 1;

	json_object_put(reply);
	return (len);
}

#define HELP_REQUESTS	2000

/*
 * A client that sends many requests and reads nothing makes its
 * connection pause at the bound, and gets every reply once it reads.
 */
static void
test_socket_output_bounded(void **state)
{
	struct fixture *fx = *state;
	const char *path = socket_start(fx);
	size_t help = help_reply_length(fx), i;
	static char requests[HELP_REQUESTS * 5];
	struct status_conn *sc;
	char line[4096];
	int fd;

	for (i = 0; i < HELP_REQUESTS; i++)
		memcpy(requests + i * 5, "help\n", 5);
	fd = socket_connect(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, requests, sizeof(requests)),
	    (ssize_t)sizeof(requests));
	socket_pump(fx, 200);

	sc = TAILQ_FIRST(&fx->np.status->conns);
	assert_non_null(sc);
	assert_true(evbuffer_get_length(bufferevent_get_output(sc->bev)) <=
	    STATUS_OUTPUT_PAUSE + help);
	assert_true(sc->paused);

	assert_int_equal(socket_read_lines(fx, fd, HELP_REQUESTS, line,
	    sizeof(line)), HELP_REQUESTS);
	assert_non_null(strstr(line, "\"commands\""));
	assert_false(sc->paused);
	close(fd);
	socket_stop(fx, path);
}

/* Requests that wait while a connection is paused still run in order. */
static void
test_socket_paused_then_half_closed(void **state)
{
	struct fixture *fx = *state;
	const char *path = socket_start(fx);
	static char requests[HELP_REQUESTS * 5 + 6];
	char line[4096];
	size_t i;
	int fd;

	for (i = 0; i < HELP_REQUESTS; i++)
		memcpy(requests + i * 5, "help\n", 5);
	memcpy(requests + HELP_REQUESTS * 5, "bogus\n", 6);
	fd = socket_connect(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, requests, sizeof(requests)),
	    (ssize_t)sizeof(requests));
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	socket_pump(fx, 100);
	assert_int_equal(socket_read_lines(fx, fd, HELP_REQUESTS + 2, line,
	    sizeof(line)), HELP_REQUESTS + 1);
	assert_non_null(strstr(line, "\"code\":\"unknown-command\""));
	assert_int_equal(recv(fd, line, 1, MSG_DONTWAIT), 0);
	close(fd);
	socket_stop(fx, path);
}

/*
 * Fill every slot with clients of this process and check that one more
 * is turned away with an "unavailable" reply. As root, all the slots are
 * root's, so there is no connection to close for the newcomer either.
 */
static void
test_socket_full_rejects(void **state)
{
	struct fixture *fx = *state;
	const char *path = socket_start(fx);
	int fds[STATUS_CONNS_MAX + 1];
	char line[4096];
	size_t i;

	for (i = 0; i < STATUS_CONNS_MAX; i++) {
		fds[i] = socket_connect(path);
		assert_true(fds[i] >= 0);
	}
	socket_pump(fx, 50);
	assert_int_equal(fx->np.status->nconns, STATUS_CONNS_MAX);
	fds[i] = socket_connect(path);
	assert_true(fds[i] >= 0);
	assert_int_equal(socket_read_lines(fx, fds[i], 1, line,
	    sizeof(line)), 1);
	assert_non_null(strstr(line, "\"code\":\"unavailable\""));
	assert_int_equal(fx->np.status->nconns, STATUS_CONNS_MAX);
	for (i = 0; i <= STATUS_CONNS_MAX; i++)
		close(fds[i]);
	socket_stop(fx, path);
}

/* What the child of test_socket_root_evicts_idle reports. */
enum holder_result {
	HOLDER_OK = 'k',
	HOLDER_CONNECT_FAILED = 'c',
	HOLDER_IDLE_NOT_CLOSED = 'i',
	HOLDER_ACTIVE_CLOSED = 'a',
	HOLDER_NEWCOMER_ADMITTED = 'n',
};

/* Wait up to five seconds for fd to be readable. */
static bool
holder_wait(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return (poll(&p, 1, 5000) == 1);
}

/*
 * The child: as uid 65534 with group 0, which the status socket of this
 * root process counts as the headend group, take every slot. All but
 * the first connection send a request, so the first is the longest idle.
 * Once the parent's root client is in, check which one was closed and
 * that one more non-root client is turned away.
 */
static enum holder_result
holder_run(const char *path, int report, int go)
{
	int fds[STATUS_CONNS_MAX], extra, i;
	char buf[8192];
	ssize_t n;

	if (setresuid(65534, 65534, 65534) != 0)
		return (HOLDER_CONNECT_FAILED);
	for (i = 0; i < STATUS_CONNS_MAX; i++) {
		if ((fds[i] = socket_connect(path)) < 0)
			return (HOLDER_CONNECT_FAILED);
		if (i > 0 && write(fds[i], "help\n", 5) != 5)
			return (HOLDER_CONNECT_FAILED);
	}
	if (write(report, "r", 1) != 1 || read(go, buf, 1) != 1)
		return (HOLDER_CONNECT_FAILED);
	if (!holder_wait(fds[0]) || recv(fds[0], buf, sizeof(buf), 0) != 0)
		return (HOLDER_IDLE_NOT_CLOSED);
	if (!holder_wait(fds[1]) || recv(fds[1], buf, sizeof(buf), 0) <= 0)
		return (HOLDER_ACTIVE_CLOSED);
	if ((extra = socket_connect(path)) < 0 || !holder_wait(extra))
		return (HOLDER_CONNECT_FAILED);
	n = recv(extra, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	if (strstr(buf, "\"code\":\"unavailable\"") == NULL)
		return (HOLDER_NEWCOMER_ADMITTED);
	return (HOLDER_OK);
}

/* Run the event loop until a byte arrives on fd, for at most 5 s. */
static char
pump_until_byte(struct fixture *fx, int fd)
{
	char c;
	int round;

	for (round = 0; round < 5000; round++) {
		if (read(fd, &c, 1) == 1)
			return (c);
		event_base_loop(fx->np.base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	return ('\0');
}

static void
test_socket_root_evicts_idle(void **state)
{
	struct fixture *fx = *state;
	int report[2], go[2], status, root;
	const char *path;
	char line[4096];
	pid_t pid;

	if (geteuid() != 0)
		skip();
	path = socket_start(fx);
	assert_int_equal(chmod(fx->dir, 0755), 0);
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(pipe2(report, O_NONBLOCK), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char result;

		/* A failed parent must not leave the child waiting. */
		close(go[1]);
		alarm(30);
		result = (char)holder_run(path, report[1], go[0]);

		_exit(write(report[1], &result, 1) == 1 ? 0 : 1);
	}
	assert_int_equal(pump_until_byte(fx, report[0]), 'r');
	socket_pump(fx, 100);
	assert_int_equal(fx->np.status->nconns, STATUS_CONNS_MAX);

	root = socket_connect(path);
	assert_true(root >= 0);
	assert_int_equal(write(root, "show stats\n", 11), 11);
	assert_int_equal(socket_read_lines(fx, root, 1, line, sizeof(line)),
	    1);
	assert_non_null(strstr(line, "\"uptime\""));
	assert_int_equal(fx->np.status->nconns, STATUS_CONNS_MAX);

	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(pump_until_byte(fx, report[0]), HOLDER_OK);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(root);
	close(report[0]);
	close(report[1]);
	close(go[0]);
	close(go[1]);
	socket_stop(fx, path);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access_root),
		cmocka_unit_test(test_access_primary_group),
		cmocka_unit_test(test_access_supplementary_group),
		cmocka_unit_test(test_access_outsider),
		T(test_sessions_empty),
		T(test_sessions_odd_names_round_trip),
		T(test_sessions_invalid_utf8_replaced),
		T(test_sessions_filters),
		T(test_sessions_filter_errors),
		T(test_session_detail_fields),
		T(test_session_detail_not_found),
		T(test_dispatch_errors),
		T(test_dispatch_extra_spaces),
		T(test_group_member_cannot_administer),
		T(test_denied_names_command),
		T(test_logoff_user),
		T(test_logoff_by_each_field),
		T(test_logoff_cookie_forgotten),
		T(test_logoff_no_match),
		T(test_reload_reaches_parent),
		cmocka_unit_test(test_parent_request_decode_rejects),
		T(test_reload_without_parent),
		T(test_shutdown_after_reply),
		T(test_shutdown_bad_option),
		T(test_unban_invalid_address),
		T(test_unban_ipv6_any_case),
		T(test_socket_output_bounded),
		T(test_socket_paused_then_half_closed),
		T(test_socket_full_rejects),
		T(test_socket_root_evicts_idle),
		T(test_groups),
		T(test_pools),
		T(test_stats_counts_ended_sessions),
		T(test_certificates_without_contexts),
		T(test_help_lists_commands),
		cmocka_unit_test(test_string_valid_utf8_kept),
		cmocka_unit_test(test_string_above_max_replaced),
		cmocka_unit_test(test_time_format),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
