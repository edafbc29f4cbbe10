/*
 * Tests for the status socket's commands: access rules, dispatch,
 * filters, every show document (parsed back strictly), logoff and the
 * requests passed to the parent.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <cmocka.h>

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
	assert_ptr_equal(session_find_cookie(fx->np.sessions, cookie), se);
	reply = run_parsed(fx, STATUS_ACCESS_ADMIN, "logoff id 1");
	json_object_put(reply);
	assert_null(session_find_cookie(fx->np.sessions, cookie));
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
		T(test_logoff_user),
		T(test_logoff_by_each_field),
		T(test_logoff_cookie_forgotten),
		T(test_logoff_no_match),
		T(test_reload_reaches_parent),
		cmocka_unit_test(test_parent_request_decode_rejects),
		T(test_reload_without_parent),
		T(test_shutdown_after_reply),
		T(test_shutdown_bad_option),
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
