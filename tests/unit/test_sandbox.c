/*
 * Tests of the network process's sandbox. Each case forks a child that
 * enters the sandbox and makes one kind of system call; the parent checks
 * how the child ended. Emptying the bounding set needs root, so the cases
 * skip without it, and the seccomp cases skip in sanitizer builds, which
 * load no filter.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox.h"

/* Exit codes of the children, one per failed step. */
enum child_failure {
	CHILD_OK = 0,
	CHILD_SANDBOX = 10,
	CHILD_MEMORY,
	CHILD_TIME,
	CHILD_RANDOM,
	CHILD_EPOLL,
	CHILD_UNIX_SOCKET,
	CHILD_OPEN,
	CHILD_RLIMIT,
	CHILD_STATUS,
	CHILD_SURVIVED = 99,
};

typedef int child_fn(void);

struct child_result {
	int	status;		/* from waitpid */
	char	stderr_text[512];
};

static void
require_root(void)
{
	if (geteuid() != 0)
		skip();
}

static void
require_filter(void)
{
#ifdef HEADEND_SANITIZE
	skip();
#endif
	require_root();
}

static int
child_enter(void)
{
	if (sandbox_limit_capabilities() != 0 || sandbox_enter() != 0)
		return (CHILD_SANDBOX);
	return (CHILD_OK);
}

/*
 * Run fn in a child after it entered the sandbox, and prepare (may be
 * NULL) before that. Collect the child's stderr.
 */
static void
child_run(child_fn *prepare, child_fn *fn, struct child_result *res)
{
	int pipefd[2], rc;
	ssize_t n;
	size_t used = 0;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pipefd[0]);
		dup2(pipefd[1], STDERR_FILENO);
		rc = prepare != NULL ? prepare() : CHILD_OK;
		if (rc == CHILD_OK)
			rc = child_enter();
		if (rc == CHILD_OK)
			rc = fn();
		_exit(rc);
	}
	close(pipefd[1]);
	while (used < sizeof(res->stderr_text) - 1 &&
	    (n = read(pipefd[0], res->stderr_text + used,
	    sizeof(res->stderr_text) - 1 - used)) > 0)
		used += (size_t)n;
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &res->status, 0), pid);
}

static void
assert_exit_ok(const struct child_result *res)
{
	if (!WIFEXITED(res->status) || WEXITSTATUS(res->status) != 0)
		print_error("child status 0x%x, stderr: %s\n", res->status,
		    res->stderr_text);
	assert_true(WIFEXITED(res->status));
	assert_int_equal(WEXITSTATUS(res->status), CHILD_OK);
}

/* The child was stopped by the filter, after naming the system call. */
static void
assert_stopped_for(const struct child_result *res, long nr, const char *name)
{
	char expected[128];

	snprintf(expected, sizeof(expected), "system call %ld (%s) is not "
	    "allowed", nr, name);
	assert_true(WIFSIGNALED(res->status));
	assert_int_equal(WTERMSIG(res->status), SIGSYS);
	assert_non_null(strstr(res->stderr_text, expected));
}

/* What the event loop, malloc, logging and OpenSSL need keeps working. */
static int
child_allowed_calls(void)
{
	struct timespec ts;
	struct rlimit rl;
	uint8_t random[16];
	void *big;
	int fd;

	if ((big = malloc(8 << 20)) == NULL)
		return (CHILD_MEMORY);
	memset(big, 1, 8 << 20);
	free(big);
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0 ||
	    clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return (CHILD_TIME);
	if (getrandom(random, sizeof(random), 0) != sizeof(random))
		return (CHILD_RANDOM);
	if ((fd = epoll_create1(EPOLL_CLOEXEC)) < 0 || close(fd) != 0)
		return (CHILD_EPOLL);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    close(fd) != 0)
		return (CHILD_UNIX_SOCKET);
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return (CHILD_RLIMIT);
	/* syslog(3) connects a Unix socket; without a daemon it gives up. */
	openlog("test_sandbox", LOG_NDELAY, LOG_DAEMON);
	syslog(LOG_DEBUG, "inside the sandbox");
	closelog();
	return (CHILD_OK);
}

static void
test_allowed_calls_work(void **state)
{
	struct child_result res;

	(void)state;
	require_filter();
	child_run(NULL, child_allowed_calls, &res);
	assert_exit_ok(&res);
}

/* Files cannot be opened, but open fails instead of stopping the child. */
static int
child_open_file(void)
{
	int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);

	if (fd >= 0 || errno != EACCES)
		return (CHILD_OPEN);
	return (CHILD_OK);
}

static void
test_open_fails_with_eacces(void **state)
{
	struct child_result res;

	(void)state;
	require_filter();
	child_run(NULL, child_open_file, &res);
	assert_exit_ok(&res);
}

static int
child_execve(void)
{
	char *argv[] = { "true", NULL };

	execve("/bin/true", argv, NULL);
	return (CHILD_SURVIVED);
}

static void
test_execve_stops_process(void **state)
{
	struct child_result res;

	(void)state;
	require_filter();
	child_run(NULL, child_execve, &res);
	assert_stopped_for(&res, SYS_execve, "execve");
}

static int
child_inet_socket(void)
{
	socket(AF_INET, SOCK_STREAM, 0);
	return (CHILD_SURVIVED);
}

static void
test_inet_socket_stops_process(void **state)
{
	struct child_result res;

	(void)state;
	require_filter();
	child_run(NULL, child_inet_socket, &res);
	assert_stopped_for(&res, SYS_socket, "socket");
}

static int
child_exec_memory(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	return (CHILD_SURVIVED);
}

static void
test_exec_memory_stops_process(void **state)
{
	struct child_result res;

	(void)state;
	require_filter();
	child_run(NULL, child_exec_memory, &res);
	assert_stopped_for(&res, SYS_mmap, "mmap");
}

static int
child_signal_parent(void)
{
	kill(getppid(), 0);
	return (CHILD_SURVIVED);
}

static void
test_kill_stops_process(void **state)
{
	struct child_result res;

	(void)state;
	require_filter();
	child_run(NULL, child_signal_parent, &res);
	assert_stopped_for(&res, SYS_kill, "kill");
}

static int
child_fork(void)
{
	syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	return (CHILD_SURVIVED);
}

static void
test_fork_stops_process(void **state)
{
	struct child_result res;

	(void)state;
	require_filter();
	child_run(NULL, child_fork, &res);
	assert_stopped_for(&res, SYS_clone, "clone");
}

/* The child's status file, opened before the sandbox closes files. */
static int status_fd = -1;

static int
child_open_status(void)
{
	status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	return (status_fd >= 0 ? CHILD_OK : CHILD_STATUS);
}

/* Whether the status file has the line "name:\tvalue". */
static int
status_has(const char *text, const char *name, const char *value)
{
	char expected[128];

	snprintf(expected, sizeof(expected), "\n%s:\t%s\n", name, value);
	return (strstr(text, expected) != NULL);
}

/*
 * The child runs as root, unlike the network process, so this checks
 * the capability sets and the flags, but not the uid.
 */
static int
child_read_status(void)
{
	static const char *const sets[] = {
		"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
	};
	char text[4096];
	ssize_t n;
	size_t i;

	if (lseek(status_fd, 0, SEEK_SET) != 0)
		return (CHILD_STATUS);
	n = read(status_fd, text, sizeof(text) - 1);
	if (n <= 0)
		return (CHILD_STATUS);
	text[n] = '\0';
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		if (!status_has(text, sets[i], "0000000000000000"))
			return (CHILD_STATUS + 1 + (int)i);
	if (!status_has(text, "NoNewPrivs", "1"))
		return (CHILD_STATUS + 10);
#ifndef HEADEND_SANITIZE
	if (!status_has(text, "Seccomp", "2"))
		return (CHILD_STATUS + 11);
#endif
	return (CHILD_OK);
}

static void
test_capabilities_cleared(void **state)
{
	struct child_result res;

	(void)state;
	require_root();
	child_run(child_open_status, child_read_status, &res);
	assert_exit_ok(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_calls_work),
		cmocka_unit_test(test_open_fails_with_eacces),
		cmocka_unit_test(test_execve_stops_process),
		cmocka_unit_test(test_inet_socket_stops_process),
		cmocka_unit_test(test_exec_memory_stops_process),
		cmocka_unit_test(test_kill_stops_process),
		cmocka_unit_test(test_fork_stops_process),
		cmocka_unit_test(test_capabilities_cleared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
