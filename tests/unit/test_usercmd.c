#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "usercmd.h"
#include "userfile.h"

struct fixture {
	char	dir[64];
	char	path[128];
};

static int
fixture_setup(void **state)
{
	struct fixture *f;

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_usercmd.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/users", f->dir);
	*state = f;
	return 0;
}

static int
fixture_teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/*
 * Run "user ARGS..." with len bytes of input as standard input, which is
 * a pipe and so not a terminal. argv ends with NULL.
 */
static int
usercmd_run_bytes(const char *input, size_t len, const char **args)
{
	char *argv[8];
	int pipefd[2], saved, argc, status;

	argv[0] = "user";
	for (argc = 1; args[argc - 1] != NULL; argc++)
		argv[argc] = (char *)args[argc - 1];
	argv[argc] = NULL;

	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(write(pipefd[1], input, len), (ssize_t)len);
	close(pipefd[1]);

	saved = dup(STDIN_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(pipefd[0], STDIN_FILENO), STDIN_FILENO);
	close(pipefd[0]);

	status = usercmd_main(argc, argv);

	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	return status;
}

static int
usercmd_run(const char *input, const char **args)
{
	return usercmd_run_bytes(input, strlen(input), args);
}

/* Run like usercmd_run_bytes and store what the command wrote to stderr. */
static int
usercmd_run_stderr(const char *input, size_t len, const char **args,
    char *err, size_t size)
{
	FILE *capture = tmpfile();
	int saved, status;
	size_t n;

	assert_non_null(capture);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fileno(capture), STDERR_FILENO), STDERR_FILENO);

	status = usercmd_run_bytes(input, len, args);

	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	rewind(capture);
	n = fread(err, 1, size - 1, capture);
	err[n] = '\0';
	fclose(capture);
	return status;
}

static void
test_add_then_verify(void **state)
{
	struct fixture *f = *state;
	const char *args[] = { "add", "-f", f->path, "alice", NULL };

	assert_int_equal(usercmd_run("Secret1!\n", args), 0);
	assert_int_equal(userfile_verify(f->path, "alice", "Secret1!"), 0);
}

static void
test_add_options_after_name(void **state)
{
	struct fixture *f = *state;
	const char *args[] = { "add", "alice", "-f", f->path, NULL };

	assert_int_equal(usercmd_run("Secret1!\r\n", args), 0);
	assert_int_equal(userfile_verify(f->path, "alice", "Secret1!"), 0);
}

static void
test_add_replaces_password(void **state)
{
	struct fixture *f = *state;
	const char *args[] = { "add", "-f", f->path, "alice", NULL };

	assert_int_equal(usercmd_run("first\n", args), 0);
	assert_int_equal(usercmd_run("second", args), 0);
	assert_int_equal(userfile_verify(f->path, "alice", "first"), -EACCES);
	assert_int_equal(userfile_verify(f->path, "alice", "second"), 0);
}

static void
test_add_password_space(void **state)
{
	struct fixture *f = *state;
	const char *args[] = { "add", "-f", f->path, "alice", NULL };

	assert_int_equal(usercmd_run("two words\n", args), 2);
	assert_int_equal(access(f->path, F_OK), -1);
}

static void
test_add_password_bad(void **state)
{
	struct fixture *f = *state;
	const char *args[] = { "add", "-f", f->path, "alice", NULL };
	char longer[USERFILE_PASSWORD_MAX + 3];

	assert_int_equal(usercmd_run("", args), 2);
	assert_int_equal(usercmd_run("\n", args), 2);
	assert_int_equal(usercmd_run("tab\there\n", args), 2);

	memset(longer, 'p', sizeof(longer) - 2);
	strcpy(longer + sizeof(longer) - 2, "\n");
	assert_int_equal(usercmd_run(longer, args), 2);
	assert_int_equal(access(f->path, F_OK), -1);
}

/* "printf 'p\0w\n'" must not store the password "p". */
static void
test_add_password_nul(void **state)
{
	struct fixture *f = *state;
	const char *args[] = { "add", "-f", f->path, "nul", NULL };
	static const char input[] = "p\0w\n";
	char err[1024];

	assert_int_equal(usercmd_run_stderr(input, sizeof(input) - 1, args,
	    err, sizeof(err)), 2);
	assert_non_null(strstr(err, "invalid password: it contains a NUL "
	    "byte"));
	assert_int_equal(access(f->path, F_OK), -1);

	/* Also when the NUL byte ends the input. */
	assert_int_equal(usercmd_run_bytes("pw\0", 3, args), 2);
	assert_int_equal(access(f->path, F_OK), -1);
}

/* A password in Latin-1, which no VPN client sends, is rejected. */
static void
test_add_password_not_utf8(void **state)
{
	struct fixture *f = *state;
	const char *args[] = { "add", "-f", f->path, "latin", NULL };
	static const char input[] = "caf\xe9\n";
	char err[1024];

	assert_int_equal(usercmd_run_stderr(input, sizeof(input) - 1, args,
	    err, sizeof(err)), 2);
	assert_non_null(strstr(err, "invalid password: it is not valid "
	    "UTF-8"));
	assert_int_equal(access(f->path, F_OK), -1);
	assert_int_equal(usercmd_run("caf\xc3\xa9\n", args), 0);
}

/* A control character in a name is shown escaped, never sent raw. */
static void
test_name_control_escaped(void **state)
{
	struct fixture *f = *state;
	const char *args[] = { "add", "-f", f->path, "a\x7f" "b\t\"\\", NULL };
	char err[1024];

	assert_int_equal(usercmd_run_stderr("pw\n", 3, args, err,
	    sizeof(err)), 2);
	assert_non_null(strstr(err, "invalid username \"a\\x7fb\\t\\\"\\\\\""));
	assert_null(strchr(err, 0x7f));
	assert_null(strchr(err, '\t'));
	assert_int_equal(access(f->path, F_OK), -1);
}

/* A rewrite that fails on a malformed line names the line. */
static void
test_add_malformed_file_line(void **state)
{
	struct fixture *f = *state;
	const char *args[] = { "add", "-f", f->path, "alice", NULL };
	char err[1024], expected[256];
	FILE *fp;

	fp = fopen(f->path, "w");
	assert_non_null(fp);
	fputs("# users\nbroken line\n", fp);
	assert_int_equal(fclose(fp), 0);

	assert_int_equal(usercmd_run_stderr("pw\n", 3, args, err,
	    sizeof(err)), 1);
	snprintf(expected, sizeof(expected), "%s:2: it has no ':'", f->path);
	assert_non_null(strstr(err, expected));
}

/* A file in a directory that does not exist: the message names the fix. */
static void
test_add_missing_directory(void **state)
{
	struct fixture *f = *state;
	char path[192], err[1024];
	const char *args[] = { "add", "-f", path, "alice", NULL };

	snprintf(path, sizeof(path), "%s/nodir/users", f->dir);
	assert_int_equal(usercmd_run_stderr("pw\n", 3, args, err,
	    sizeof(err)), 1);
	assert_non_null(strstr(err, "its directory does not exist"));
	assert_non_null(strstr(err, "-f FILE"));
}

static void
test_add_name_space(void **state)
{
	struct fixture *f = *state;
	const char *args[] = { "add", "-f", f->path, "al ice", NULL };

	assert_int_equal(usercmd_run("Secret1!\n", args), 2);
	assert_int_equal(access(f->path, F_OK), -1);
}

/* XML logins carry UTF-8, so a name in another encoding could not log in. */
static void
test_add_name_not_utf8(void **state)
{
	struct fixture *f = *state;
	const char *bad[] = { "add", "-f", f->path, "x\xffy", NULL };
	const char *good[] = { "add", "-f", f->path, "\xc3\xbcmit", NULL };

	assert_int_equal(usercmd_run("Secret1!\n", bad), 2);
	assert_int_equal(access(f->path, F_OK), -1);
	assert_int_equal(usercmd_run("Secret1!\n", good), 0);
}

/* Logs and tables would not show such a name as it is. */
static void
test_add_name_hidden_character(void **state)
{
	struct fixture *f = *state;
	const char *bidi[] = { "add", "-f", f->path, "a\xe2\x80\xae" "b",
	    NULL };
	const char *nbsp[] = { "add", "-f", f->path, "a\xc2\xa0" "b", NULL };

	assert_int_equal(usercmd_run("Secret1!\n", bidi), 2);
	assert_int_equal(usercmd_run("Secret1!\n", nbsp), 2);
	assert_int_equal(access(f->path, F_OK), -1);
}

static void
test_delete_user(void **state)
{
	struct fixture *f = *state;
	const char *add[] = { "add", "-f", f->path, "alice", NULL };
	const char *del[] = { "delete", "-f", f->path, "alice", NULL };
	char err[512];

	assert_int_equal(usercmd_run("pw\n", add), 0);
	assert_int_equal(usercmd_run_stderr("", 0, del, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "sessions of user alice keep running"));
	assert_non_null(strstr(err, "run headendctl logoff user 'alice'"));
	assert_int_equal(userfile_verify(f->path, "alice", "pw"), -EACCES);
	assert_int_equal(usercmd_run("", del), 5);
}

/* Names with hidden characters are escaped in the messages. */
static void
test_delete_escapes_name(void **state)
{
	struct fixture *f = *state;
	const char *add[] = { "add", "-f", f->path, "x", NULL };
	const char *del[] = { "delete", "-f", f->path, "a\xc2\x9b" "b", NULL };
	char err[512];

	assert_int_equal(usercmd_run("pw\n", add), 0);
	assert_int_equal(usercmd_run_stderr("", 0, del, err, sizeof(err)), 5);
	assert_non_null(strstr(err, "user a\\xc2\\x9bb not found"));
}

/* The logoff command in the hint is quoted for the shell. */
static void
test_delete_hint_quotes_name(void **state)
{
	struct fixture *f = *state;
	const char *add[] = { "add", "-f", f->path, "o'neil$x", NULL };
	const char *del[] = { "delete", "-f", f->path, "o'neil$x", NULL };
	char err[512];

	assert_int_equal(usercmd_run("pw\n", add), 0);
	assert_int_equal(usercmd_run_stderr("", 0, del, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "logoff user 'o'\\''neil$x'\n"));
}

/* A name that headendctl would read as an option gets no command. */
static void
test_delete_hint_option_name(void **state)
{
	struct fixture *f = *state;
	const char *add[] = { "add", "-f", f->path, "--", "--json", NULL };
	const char *del[] = { "delete", "-f", f->path, "--", "--json", NULL };
	char err[512];

	assert_int_equal(usercmd_run("pw\n", add), 0);
	assert_int_equal(usercmd_run_stderr("", 0, del, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "logoff user and that name"));
	assert_null(strstr(err, "'--json'"));
}

/* A mistyped file is an error (1), not a user already gone (5). */
static void
test_delete_missing_file(void **state)
{
	struct fixture *f = *state;
	const char *del[] = { "delete", "-f", f->path, "alice", NULL };

	assert_int_equal(access(f->path, F_OK), -1);
	assert_int_equal(usercmd_run("", del), 1);
}

static void
test_usage_errors(void **state)
{
	struct fixture *f = *state;
	const char *none[] = { NULL };
	const char *no_name[] = { "add", "-f", f->path, NULL };
	const char *two_names[] = { "add", "alice", "bob", NULL };
	const char *bad_action[] = { "rename", "alice", NULL };
	const char *bad_option[] = { "add", "-x", "alice", NULL };
	const char *no_file[] = { "add", "alice", "-f", NULL };
	const char *help[] = { "help", NULL };

	assert_int_equal(usercmd_run("", none), 2);
	assert_int_equal(usercmd_run("", no_name), 2);
	assert_int_equal(usercmd_run("", two_names), 2);
	assert_int_equal(usercmd_run("", bad_action), 2);
	assert_int_equal(usercmd_run("", bad_option), 2);
	assert_int_equal(usercmd_run("", no_file), 2);
	assert_int_equal(usercmd_run("", help), 0);
}

#define FIXTURE_TEST(name) \
	cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FIXTURE_TEST(test_add_then_verify),
		FIXTURE_TEST(test_add_options_after_name),
		FIXTURE_TEST(test_add_replaces_password),
		FIXTURE_TEST(test_add_password_space),
		FIXTURE_TEST(test_add_password_bad),
		FIXTURE_TEST(test_add_password_nul),
		FIXTURE_TEST(test_name_control_escaped),
		FIXTURE_TEST(test_add_malformed_file_line),
		FIXTURE_TEST(test_add_missing_directory),
		FIXTURE_TEST(test_add_name_space),
		FIXTURE_TEST(test_add_name_not_utf8),
		FIXTURE_TEST(test_add_name_hidden_character),
		FIXTURE_TEST(test_delete_user),
		FIXTURE_TEST(test_delete_escapes_name),
		FIXTURE_TEST(test_delete_hint_quotes_name),
		FIXTURE_TEST(test_delete_hint_option_name),
		FIXTURE_TEST(test_add_password_not_utf8),
		FIXTURE_TEST(test_delete_missing_file),
		FIXTURE_TEST(test_usage_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
