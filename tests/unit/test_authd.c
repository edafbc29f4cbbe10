#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "authd.h"
#include "config.h"
#include "ipc.h"
#include "userfile.h"

/*
 * The PAM tests run the real PAM library with pam_wrapper, which reads
 * service files from PAM_WRAPPER_SERVICE_DIR instead of /etc/pam.d, and
 * pam_matrix, which checks passwords against a text file. Both come with
 * the Debian package libpam-wrapper.
 */
#define PAM_WRAPPER_LIB		"/usr/lib/x86_64-linux-gnu/libpam_wrapper.so"
#define PAM_MATRIX_MODULE \
	"/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so"
#define PAM_SERVICE		"headend-test"

/* Set by this test when it re-executes itself under pam_wrapper. */
#define PAM_DIR_ENV		"TEST_AUTHD_PAM_DIR"

/* Seconds to wait for a reply before the test fails. */
#define REPLY_TIMEOUT		20

struct fixture {
	char		dir[64];
	char		users[128];
	struct config	*cfg;
	pid_t		pid;
	int		sock;
};

static void
tgroup_add(struct config *cfg, const char *name,
    enum password_backend backend, const char *source)
{
	struct config_tgroup *tg = &cfg->tgroups[cfg->ntgroups++];

	snprintf(tg->name, sizeof(tg->name), "%s", name);
	tg->auth = AUTH_METHOD_PASSWORD;
	tg->backend = backend;
	if (backend == PASSWORD_PAM)
		snprintf(tg->pam_service, sizeof(tg->pam_service), "%s",
		    source);
	else
		snprintf(tg->user_file, sizeof(tg->user_file), "%s", source);
}

static int
fixture_setup(void **state)
{
	struct fixture *f;
	char missing[128];

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_authd.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->users, sizeof(f->users), "%s/users", f->dir);
	snprintf(missing, sizeof(missing), "%s/missing", f->dir);
	assert_int_equal(userfile_set(f->users, "alice", "Secret1!"), 0);
	assert_int_equal(userfile_set(f->users, "bob", "bobpw"), 0);

	f->cfg = calloc(1, sizeof(*f->cfg));
	assert_non_null(f->cfg);
	tgroup_add(f->cfg, "staff", PASSWORD_USER_FILE, f->users);
	tgroup_add(f->cfg, "broken", PASSWORD_USER_FILE, missing);
	tgroup_add(f->cfg, "pam", PASSWORD_PAM, PAM_SERVICE);
	*state = f;
	return 0;
}

static int
fixture_teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->users);
	rmdir(f->dir);
	free(f->cfg);
	free(f);
	return 0;
}

/* Fork authd with a socketpair, as the parent process does. */
static void
authd_start(struct fixture *f)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		close(sv[0]);
		authd_main(f->cfg, sv[1]);
	}

	close(sv[1]);
	f->sock = sv[0];
}

/* Wait for authd to exit and return its exit status, or -1 if killed. */
static int
authd_wait(struct fixture *f)
{
	int status;

	assert_int_equal(waitpid(f->pid, &status, 0), f->pid);
	if (f->sock >= 0)
		close(f->sock);
	f->sock = -1;
	if (!WIFEXITED(status))
		return -1;

	return WEXITSTATUS(status);
}

/* Close the connection, which must make authd exit with status 0. */
static void
authd_stop(struct fixture *f)
{
	close(f->sock);
	f->sock = -1;
	assert_int_equal(authd_wait(f), 0);
}

static void
request_send(int sock, uint32_t id, const char *group, const char *user,
    const char *password)
{
	struct ipc_auth_request req;

	assert_int_equal(ipc_auth_request_init(&req, id, group, user,
	    password), 0);
	assert_int_equal(ipc_send(sock, &req, sizeof(req), -1), 0);
}

static void
reply_recv(int sock, struct ipc_auth_reply *rep)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	char buf[1024];
	int n;

	assert_int_equal(poll(&pfd, 1, REPLY_TIMEOUT * 1000), 1);
	n = ipc_recv(sock, buf, sizeof(buf), NULL);
	assert_int_equal(n, sizeof(*rep));
	assert_int_equal(ipc_auth_reply_decode(buf, (size_t)n, rep), 0);
}

/* Send one request and return the reply, whose id must match. */
static void
auth_check(struct fixture *f, const char *group, const char *user,
    const char *password, struct ipc_auth_reply *rep)
{
	request_send(f->sock, 42, group, user, password);
	reply_recv(f->sock, rep);
	assert_int_equal(rep->id, 42);
	if (password[0] != '\0')
		assert_null(strstr(rep->message, password));
}

static void
test_userfile_ok(void **state)
{
	struct fixture *f = *state;
	struct ipc_auth_reply rep;

	authd_start(f);
	auth_check(f, "staff", "alice", "Secret1!", &rep);
	assert_int_equal(rep.result, IPC_AUTH_OK);
	auth_check(f, "staff", "bob", "bobpw", &rep);
	assert_int_equal(rep.result, IPC_AUTH_OK);
	authd_stop(f);
}

static void
test_userfile_wrong_password(void **state)
{
	struct fixture *f = *state;
	struct ipc_auth_reply rep;

	authd_start(f);
	auth_check(f, "staff", "alice", "Secret1?", &rep);
	assert_int_equal(rep.result, IPC_AUTH_DENIED);
	assert_string_equal(rep.message, "wrong password or unknown user");
	authd_stop(f);
}

static void
test_userfile_unknown_user(void **state)
{
	struct fixture *f = *state;
	struct ipc_auth_reply rep;

	authd_start(f);
	auth_check(f, "staff", "mallory", "Secret1!", &rep);
	assert_int_equal(rep.result, IPC_AUTH_DENIED);
	assert_string_equal(rep.message, "wrong password or unknown user");
	authd_stop(f);
}

static void
test_userfile_missing_error(void **state)
{
	struct fixture *f = *state;
	struct ipc_auth_reply rep;

	authd_start(f);
	auth_check(f, "broken", "alice", "Secret1!", &rep);
	assert_int_equal(rep.result, IPC_AUTH_ERROR);
	assert_non_null(strstr(rep.message, f->dir));
	assert_non_null(strstr(rep.message, "No such file"));
	authd_stop(f);
}

static void
file_append(const char *path, const char *text)
{
	FILE *fp = fopen(path, "a");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

/*
 * A malformed line fails only the logins of its owner, and the error
 * names the line. The fixture's file has alice on line 1, bob on line 2.
 */
static void
test_userfile_malformed_line(void **state)
{
	struct fixture *f = *state;
	struct ipc_auth_reply rep;

	file_append(f->users, "broken line\nalice :x\n");
	authd_start(f);
	auth_check(f, "staff", "bob", "bobpw", &rep);
	assert_int_equal(rep.result, IPC_AUTH_OK);
	auth_check(f, "staff", "mallory", "bobpw", &rep);
	assert_int_equal(rep.result, IPC_AUTH_DENIED);
	auth_check(f, "staff", "alice", "Secret1!", &rep);
	assert_int_equal(rep.result, IPC_AUTH_ERROR);
	assert_non_null(strstr(rep.message, "line 4 of user file"));
	assert_non_null(strstr(rep.message, f->users));
	authd_stop(f);
}

static void
test_unknown_group_error(void **state)
{
	struct fixture *f = *state;
	struct ipc_auth_reply rep;

	authd_start(f);
	auth_check(f, "nosuchgroup", "alice", "Secret1!", &rep);
	assert_int_equal(rep.result, IPC_AUTH_ERROR);
	assert_string_equal(rep.message, "unknown tunnel-group");
	authd_stop(f);
}

static void
test_space_denied(void **state)
{
	struct fixture *f = *state;
	struct ipc_auth_reply rep;

	authd_start(f);
	auth_check(f, "staff", "al ice", "Secret1!", &rep);
	assert_int_equal(rep.result, IPC_AUTH_DENIED);
	assert_string_equal(rep.message, "username contains a space");

	auth_check(f, "staff", "alice", "Secret 1!", &rep);
	assert_int_equal(rep.result, IPC_AUTH_DENIED);
	assert_string_equal(rep.message, "password contains a space");

	auth_check(f, "staff", "alice", "", &rep);
	assert_int_equal(rep.result, IPC_AUTH_DENIED);
	auth_check(f, "staff", "", "Secret1!", &rep);
	assert_int_equal(rep.result, IPC_AUTH_DENIED);
	authd_stop(f);
}

static const struct {
	uint32_t	id;
	const char	*group;
	const char	*user;
	const char	*password;
	uint32_t	result;
} in_flight[] = {
	{ 100, "staff", "alice", "Secret1!", IPC_AUTH_OK },
	{ 101, "staff", "alice", "wrong", IPC_AUTH_DENIED },
	{ 102, "staff", "bob", "bobpw", IPC_AUTH_OK },
	{ 103, "nosuchgroup", "bob", "bobpw", IPC_AUTH_ERROR },
	{ 104, "staff", "carol", "carolpw", IPC_AUTH_DENIED },
	{ 105, "broken", "bob", "bobpw", IPC_AUTH_ERROR },
	{ 106, "staff", "bob", "alicepw", IPC_AUTH_DENIED },
	{ 107, "staff", "alice", "Secret1!", IPC_AUTH_OK },
	{ 108, "staff", "b ob", "bobpw", IPC_AUTH_DENIED },
	{ 109, "staff", "bob", "bobpw", IPC_AUTH_OK },
};

#define IN_FLIGHT_COUNT	(sizeof(in_flight) / sizeof(in_flight[0]))

static void
test_requests_in_flight(void **state)
{
	struct fixture *f = *state;
	struct ipc_auth_reply rep;
	bool seen[IN_FLIGHT_COUNT] = { false };
	size_t i, k;

	authd_start(f);
	for (i = 0; i < IN_FLIGHT_COUNT; i++)
		request_send(f->sock, in_flight[i].id, in_flight[i].group,
		    in_flight[i].user, in_flight[i].password);

	for (i = 0; i < IN_FLIGHT_COUNT; i++) {
		reply_recv(f->sock, &rep);
		k = rep.id - in_flight[0].id;
		assert_in_range(k, 0, IN_FLIGHT_COUNT - 1);
		assert_false(seen[k]);
		seen[k] = true;
		assert_int_equal(rep.result, in_flight[k].result);
	}

	authd_stop(f);
}

/* Send raw bytes as one message and expect authd to exit with status 1. */
static void
malformed_expect_exit(struct fixture *f, const void *msg, size_t len,
    int fd)
{
	authd_start(f);
	assert_int_equal(ipc_send(f->sock, msg, len, fd), 0);
	assert_int_equal(authd_wait(f), 1);
}

static void
test_malformed_short_exits(void **state)
{
	struct ipc_auth_request req;

	assert_int_equal(ipc_auth_request_init(&req, 1, "staff", "alice",
	    "pw"), 0);
	req.hdr.length = 10;
	malformed_expect_exit(*state, &req, 10, -1);
}

static void
test_malformed_long_exits(void **state)
{
	char buf[sizeof(struct ipc_auth_request) + 8];
	struct ipc_auth_request req;

	assert_int_equal(ipc_auth_request_init(&req, 1, "staff", "alice",
	    "pw"), 0);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &req, sizeof(req));
	malformed_expect_exit(*state, buf, sizeof(buf), -1);
}

static void
test_wrong_type_exits(void **state)
{
	struct ipc_auth_reply rep;

	assert_int_equal(ipc_auth_reply_init(&rep, 1, IPC_AUTH_OK, ""), 0);
	malformed_expect_exit(*state, &rep, sizeof(rep), -1);
}

static void
test_unterminated_exits(void **state)
{
	struct ipc_auth_request req;

	assert_int_equal(ipc_auth_request_init(&req, 1, "staff", "alice",
	    "pw"), 0);
	memset(req.user, 'u', sizeof(req.user));
	malformed_expect_exit(*state, &req, sizeof(req), -1);
}

static void
test_descriptor_exits(void **state)
{
	struct ipc_auth_request req;

	assert_int_equal(ipc_auth_request_init(&req, 1, "staff", "alice",
	    "pw"), 0);
	malformed_expect_exit(*state, &req, sizeof(req), STDERR_FILENO);
}

static void
pam_require(void)
{
	if (getenv(PAM_DIR_ENV) == NULL)
		fail_msg("pam_wrapper is not active: %s is missing or the "
		    "re-execution failed. Install libpam-wrapper.",
		    PAM_WRAPPER_LIB);
}

static void
test_pam_ok(void **state)
{
	struct fixture *f = *state;
	struct ipc_auth_reply rep;

	pam_require();
	authd_start(f);
	auth_check(f, "pam", "alice", "Secret1!", &rep);
	assert_int_equal(rep.result, IPC_AUTH_OK);
	assert_string_equal(rep.message, "");
	authd_stop(f);
}

static void
test_pam_wrong_password(void **state)
{
	struct fixture *f = *state;
	struct ipc_auth_reply rep;

	pam_require();
	authd_start(f);
	auth_check(f, "pam", "alice", "Secret1?", &rep);
	assert_int_equal(rep.result, IPC_AUTH_DENIED);
	assert_string_equal(rep.message, "wrong password or unknown user");
	authd_stop(f);
}

static void
test_pam_unknown_user(void **state)
{
	struct fixture *f = *state;
	struct ipc_auth_reply rep;

	pam_require();
	authd_start(f);
	auth_check(f, "pam", "mallory", "Secret1!", &rep);
	assert_int_equal(rep.result, IPC_AUTH_DENIED);
	assert_string_equal(rep.message, "wrong password or unknown user");
	authd_stop(f);
}

/* pam_matrix allows dave only for another service, so account fails. */
static void
test_pam_account_denied(void **state)
{
	struct fixture *f = *state;
	struct ipc_auth_reply rep;

	pam_require();
	authd_start(f);
	auth_check(f, "pam", "dave", "davepw", &rep);
	assert_int_equal(rep.result, IPC_AUTH_DENIED);
	authd_stop(f);
}

static void
file_write(const char *path, const char *text)
{
	FILE *fp;

	fp = fopen(path, "w");
	if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
}

/* Write the PAM service file and the pam_matrix password file. */
static void
pam_dir_fill(const char *dir)
{
	char path[256], text[1024];

	snprintf(text, sizeof(text),
	    "auth required %s passdb=%s/passdb\n"
	    "account required %s passdb=%s/passdb\n",
	    PAM_MATRIX_MODULE, dir, PAM_MATRIX_MODULE, dir);
	snprintf(path, sizeof(path), "%s/%s", dir, PAM_SERVICE);
	file_write(path, text);

	snprintf(path, sizeof(path), "%s/passdb", dir);
	file_write(path,
	    "alice:Secret1!:" PAM_SERVICE "\n"
	    "dave:davepw:other-service\n");
}

static void
pam_dir_remove(void)
{
	const char *dir = getenv(PAM_DIR_ENV);
	char path[256];

	if (dir == NULL)
		return;

	snprintf(path, sizeof(path), "%s/%s", dir, PAM_SERVICE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/passdb", dir);
	unlink(path);
	rmdir(dir);
}

/*
 * Run this program again under pam_wrapper. LD_PRELOAD only takes effect
 * when a program starts, hence the exec. Returns only on failure, and
 * then the PAM tests fail.
 */
static void
pam_reexec(char **argv)
{
	static char dir[] = "/tmp/test_authd_pam.XXXXXX";

	if (access(PAM_WRAPPER_LIB, R_OK) != 0) {
		fprintf(stderr, "%s not found: install libpam-wrapper\n",
		    PAM_WRAPPER_LIB);
		return;
	}

	if (access(PAM_MATRIX_MODULE, R_OK) != 0) {
		fprintf(stderr, "%s not found: install libpam-wrapper\n",
		    PAM_MATRIX_MODULE);
		return;
	}

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return;
	}

	pam_dir_fill(dir);
	setenv("LD_PRELOAD", PAM_WRAPPER_LIB, 1);
	setenv("PAM_WRAPPER", "1", 1);
	setenv("PAM_WRAPPER_SERVICE_DIR", dir, 1);
	setenv(PAM_DIR_ENV, dir, 1);
	execv("/proc/self/exe", argv);
	perror("execv /proc/self/exe");
	pam_dir_remove();
	unsetenv(PAM_DIR_ENV);
}

#define FIXTURE_TEST(name) \
	cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		FIXTURE_TEST(test_userfile_ok),
		FIXTURE_TEST(test_userfile_wrong_password),
		FIXTURE_TEST(test_userfile_unknown_user),
		FIXTURE_TEST(test_userfile_missing_error),
		FIXTURE_TEST(test_userfile_malformed_line),
		FIXTURE_TEST(test_unknown_group_error),
		FIXTURE_TEST(test_space_denied),
		FIXTURE_TEST(test_requests_in_flight),
		FIXTURE_TEST(test_malformed_short_exits),
		FIXTURE_TEST(test_malformed_long_exits),
		FIXTURE_TEST(test_wrong_type_exits),
		FIXTURE_TEST(test_unterminated_exits),
		FIXTURE_TEST(test_descriptor_exits),
		FIXTURE_TEST(test_pam_ok),
		FIXTURE_TEST(test_pam_wrong_password),
		FIXTURE_TEST(test_pam_unknown_user),
		FIXTURE_TEST(test_pam_account_denied),
	};
	int rc;

	(void)argc;
	if (getenv(PAM_DIR_ENV) == NULL)
		pam_reexec(argv);

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	pam_dir_remove();
	return rc;
}
