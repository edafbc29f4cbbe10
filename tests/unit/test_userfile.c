#include <crypt.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "userfile.h"

/* A fresh directory per test, holding the user file under test. */
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
	strcpy(f->dir, "/tmp/test_userfile.XXXXXX");
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

static void
file_write(const char *path, const char *text, size_t len)
{
	FILE *fp;

	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void
file_write_string(const char *path, const char *text)
{
	file_write(path, text, strlen(text));
}

static char *
file_read(const char *path)
{
	static char buf[8192];
	FILE *fp;
	size_t n;

	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* Count the lines of path that start with prefix. */
static int
file_count_prefix(const char *path, const char *prefix)
{
	const char *p = file_read(path);
	int count = 0;

	while (*p != '\0') {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			count++;
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}

	return count;
}

/* A yescrypt hash of password, as userfile_set would write it. */
static const char *
hash_make(const char *password)
{
	static char hash[CRYPT_OUTPUT_SIZE];
	char *setting;

	setting = crypt_gensalt_ra(NULL, 0, NULL, 0);
	assert_non_null(setting);
	strcpy(hash, crypt(password, setting));
	free(setting);
	return hash;
}

static void
test_set_then_verify(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_int_equal(userfile_set(f->path, "alice", "Secret1!"), 0);
	assert_int_equal(userfile_verify(f->path, "alice", "Secret1!"), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(strncmp(file_read(f->path), "alice:$y$", 9), 0);
}

static void
test_wrong_password(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(userfile_set(f->path, "alice", "Secret1!"), 0);
	assert_int_equal(userfile_verify(f->path, "alice", "Secret1?"),
	    -EACCES);
	assert_int_equal(userfile_verify(f->path, "alice", ""), -EACCES);
	assert_int_equal(userfile_verify(f->path, "alice", NULL), -EACCES);
}

static void
test_unknown_user(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(userfile_set(f->path, "alice", "Secret1!"), 0);
	assert_int_equal(userfile_verify(f->path, "bob", "Secret1!"),
	    -EACCES);
	assert_int_equal(userfile_verify(f->path, "", "Secret1!"), -EACCES);
	assert_int_equal(userfile_verify(f->path, NULL, "Secret1!"), -EACCES);
}

static void
test_unknown_user_empty_file(void **state)
{
	struct fixture *f = *state;

	file_write_string(f->path, "");
	assert_int_equal(userfile_verify(f->path, "bob", "x"), -EACCES);
}

static void
test_replace_password(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(userfile_set(f->path, "alice", "first"), 0);
	assert_int_equal(userfile_set(f->path, "bob", "bobpass"), 0);
	assert_int_equal(userfile_set(f->path, "alice", "second"), 0);
	assert_int_equal(userfile_verify(f->path, "alice", "first"), -EACCES);
	assert_int_equal(userfile_verify(f->path, "alice", "second"), 0);
	assert_int_equal(userfile_verify(f->path, "bob", "bobpass"), 0);
	assert_int_equal(file_count_prefix(f->path, "alice:"), 1);

	/* alice keeps her place in front of bob. */
	assert_int_equal(strncmp(file_read(f->path), "alice:", 6), 0);
}

static void
test_name_invalid_rejected(void **state)
{
	struct fixture *f = *state;
	char name[USERFILE_NAME_MAX + 2];

	assert_int_equal(userfile_set(f->path, "al ice", "pw"), -EINVAL);
	assert_int_equal(userfile_set(f->path, "al:ice", "pw"), -EINVAL);
	assert_int_equal(userfile_set(f->path, "#alice", "pw"), -EINVAL);
	assert_int_equal(userfile_set(f->path, "al\tice", "pw"), -EINVAL);
	assert_int_equal(userfile_set(f->path, "alice\n", "pw"), -EINVAL);
	assert_int_equal(userfile_set(f->path, "", "pw"), -EINVAL);
	assert_int_equal(userfile_set(f->path, NULL, "pw"), -EINVAL);
	assert_int_equal(access(f->path, F_OK), -1);

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_false(userfile_name_valid(name));
	name[USERFILE_NAME_MAX] = '\0';
	assert_true(userfile_name_valid(name));
	assert_true(userfile_name_valid("alice@example.com"));
	assert_true(userfile_name_valid("j\xc3\xb6rg"));
}

static void
test_password_invalid_rejected(void **state)
{
	struct fixture *f = *state;
	char password[USERFILE_PASSWORD_MAX + 2];

	assert_int_equal(userfile_set(f->path, "alice", "two words"), -EINVAL);
	assert_int_equal(userfile_set(f->path, "alice", "tab\there"), -EINVAL);
	assert_int_equal(userfile_set(f->path, "alice", "del\x7f"), -EINVAL);
	assert_int_equal(userfile_set(f->path, "alice", ""), -EINVAL);
	assert_int_equal(userfile_set(f->path, "alice", NULL), -EINVAL);
	assert_int_equal(access(f->path, F_OK), -1);

	memset(password, 'p', sizeof(password) - 1);
	password[sizeof(password) - 1] = '\0';
	assert_false(userfile_password_valid(password));
	password[USERFILE_PASSWORD_MAX] = '\0';
	assert_true(userfile_password_valid(password));
	assert_true(userfile_password_valid("p\xc3\xa4ss:#"));
}

static void
test_comments_and_blank_lines(void **state)
{
	struct fixture *f = *state;
	char text[1024];

	snprintf(text, sizeof(text),
	    "# headend users\n"
	    "\n"
	    "   \t\n"
	    "alice:%s\n"
	    "#bob:not-a-hash\n",
	    hash_make("Secret1!"));
	file_write_string(f->path, text);
	assert_int_equal(userfile_verify(f->path, "alice", "Secret1!"), 0);
	assert_int_equal(userfile_verify(f->path, "#bob", "x"), -EACCES);

	/* Rewriting keeps the comments and blank lines in place. */
	assert_int_equal(userfile_set(f->path, "carol", "carolpw"), 0);
	assert_int_equal(strncmp(file_read(f->path),
	    "# headend users\n\n   \t\nalice:", 28), 0);
	assert_int_equal(file_count_prefix(f->path, "#bob:"), 1);
	assert_int_equal(userfile_verify(f->path, "alice", "Secret1!"), 0);
	assert_int_equal(userfile_verify(f->path, "carol", "carolpw"), 0);
}

static void
test_last_line_without_newline(void **state)
{
	struct fixture *f = *state;
	char text[1024];

	snprintf(text, sizeof(text), "alice:%s", hash_make("pw1"));
	file_write_string(f->path, text);
	assert_int_equal(userfile_verify(f->path, "alice", "pw1"), 0);
	assert_int_equal(userfile_set(f->path, "bob", "pw2"), 0);
	assert_int_equal(userfile_verify(f->path, "alice", "pw1"), 0);
	assert_int_equal(userfile_verify(f->path, "bob", "pw2"), 0);
}

/* A malformed line and the user who owns it, "" for none. */
struct malformed_case {
	const char	*line;
	const char	*owner;
};

static const struct malformed_case malformed_cases[] = {
	{ "alice\n", "alice" },
	{ "alice $y$j9T$abc\n", "alice" },
	{ "alice :$y$j9T$abc\n", "alice" },
	{ "alice: $y$j9T$abc\n", "alice" },
	{ "alice:\n", "alice" },
	{ ":$y$j9T$abc\n", "" },
	{ " alice:$y$j9T$abc\n", "alice" },
	{ "alice:$y$j9T:abc\n", "alice" },
	{ "alice\x7f:$y$j9T$abc\n", "alice" },
	{ "broken line\n", "broken" },
};

/*
 * bob's line comes first and the malformed line second: bob still logs
 * in, the owner gets -EBADMSG, and no rewrite happens.
 */
static void
test_malformed_line_owner_only(void **state)
{
	struct fixture *f = *state;
	const struct malformed_case *c;
	struct userfile_problem problem;
	char text[1024];
	size_t i;

	for (i = 0; i < sizeof(malformed_cases) / sizeof(*malformed_cases);
	    i++) {
		c = &malformed_cases[i];
		snprintf(text, sizeof(text), "bob:%s\n%s", hash_make("pw"),
		    c->line);
		file_write_string(f->path, text);
		print_message("line: %s", c->line);
		assert_int_equal(userfile_verify_report(f->path, "bob", "pw",
		    &problem), 0);
		assert_int_equal(problem.line, 2);
		assert_int_equal(problem.count, 1);
		assert_true(problem.reason[0] != '\0');
		if (c->owner[0] != '\0')
			assert_int_equal(userfile_verify(f->path, c->owner,
			    "pw"), -EBADMSG);
		assert_int_equal(userfile_verify(f->path, "carol", "pw"),
		    -EACCES);
		assert_int_equal(userfile_set(f->path, "bob", "new"),
		    -EBADMSG);
		assert_string_equal(file_read(f->path), text);
	}
}

/* "echo 'broken line' >> users" must not stop the other logins. */
static void
test_appended_broken_line(void **state)
{
	struct fixture *f = *state;
	struct userfile_problem problem;
	char text[1024];

	snprintf(text, sizeof(text), "# users\nalice:%s\nbroken line\n",
	    hash_make("Secret1!"));
	file_write_string(f->path, text);
	assert_int_equal(userfile_verify_report(f->path, "alice", "Secret1!",
	    &problem), 0);
	assert_int_equal(problem.line, 3);
	assert_int_equal(problem.count, 1);
	assert_string_equal(problem.reason,
	    "it has no ':' between the username and the hash");
	assert_int_equal(userfile_verify(f->path, "alice", "wrong"), -EACCES);
	assert_int_equal(userfile_verify(f->path, "mallory", "x"), -EACCES);
}

/*
 * A malformed line of the user may be meant to lock or change the
 * password, so it fails the lookup whether it comes before or after a
 * well-formed line of the same user.
 */
static void
test_malformed_own_line_error(void **state)
{
	struct fixture *f = *state;
	struct userfile_problem problem;
	const char *hash = hash_make("pw");
	char text[1024];

	snprintf(text, sizeof(text), "bob:%s\nalice:%s\nalice: !%s\n", hash,
	    hash, hash);
	file_write_string(f->path, text);
	assert_int_equal(userfile_verify_report(f->path, "alice", "pw",
	    &problem), -EBADMSG);
	assert_int_equal(problem.line, 3);

	snprintf(text, sizeof(text), "broken\nalice :!%s\nalice:%s\n", hash,
	    hash);
	file_write_string(f->path, text);
	assert_int_equal(userfile_verify_report(f->path, "alice", "pw",
	    &problem), -EBADMSG);
	assert_int_equal(problem.line, 2);
	assert_int_equal(problem.count, 2);
	assert_int_equal(userfile_verify(f->path, "alice", "wrong"), -EBADMSG);
	assert_int_equal(userfile_verify(f->path, "bob", "pw"), -EACCES);
}

static void
test_nul_byte_error(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "bob:$y$j9T$abc\0def\n";
	struct userfile_problem problem;
	char valid[1024];
	int n;

	file_write(f->path, text, sizeof(text) - 1);
	assert_int_equal(userfile_verify_report(f->path, "bob", "pw",
	    &problem), -EBADMSG);
	assert_int_equal(problem.line, 1);
	assert_string_equal(problem.reason, "it contains a NUL byte");

	/* The text before the NUL byte is a valid line, but never used. */
	n = snprintf(valid, sizeof(valid), "carol:%s", hash_make("pw"));
	n += snprintf(valid + n, sizeof(valid) - n, "%c\nbob:%s\n", '\0',
	    hash_make("pw"));
	file_write(f->path, valid, (size_t)n);
	assert_int_equal(userfile_verify(f->path, "carol", "pw"), -EBADMSG);
	assert_int_equal(userfile_verify(f->path, "bob", "pw"), 0);
}

static void
test_unusable_hash_error(void **state)
{
	struct fixture *f = *state;
	struct userfile_problem problem;

	file_write_string(f->path, "# users\nalice:$y$garbage\n");
	assert_int_equal(userfile_verify_report(f->path, "alice", "pw",
	    &problem), -EBADMSG);
	assert_int_equal(problem.line, 2);
	assert_string_equal(problem.reason,
	    "the hash is not one that crypt(3) accepts");
}

/* The first hash is the dummy for unknown users, even when unusable. */
static void
test_unusable_dummy_denied(void **state)
{
	struct fixture *f = *state;
	char text[1024];

	snprintf(text, sizeof(text), "carol:$y$garbage\nalice:%s\n",
	    hash_make("pw"));
	file_write_string(f->path, text);
	assert_int_equal(userfile_verify(f->path, "mallory", "pw"), -EACCES);
	assert_int_equal(userfile_verify(f->path, "alice", "pw"), 0);
	assert_int_equal(userfile_verify(f->path, "carol", "pw"), -EBADMSG);
}

/* The problems that userfile_check reported, one per line. */
struct check_report {
	unsigned long	lines[8];
	char		reasons[8][128];
	int		count;
};

static void
check_collect(void *arg, unsigned long line, const char *reason)
{
	struct check_report *report = arg;

	if (report->count < 8) {
		report->lines[report->count] = line;
		snprintf(report->reasons[report->count], 128, "%s", reason);
	}
	report->count++;
}

static void
test_check_lists_lines(void **state)
{
	struct fixture *f = *state;
	struct check_report report = { 0 };
	char text[1024];
	int n;

	n = snprintf(text, sizeof(text), "# users\nalice:%s\nbroken line\n"
	    "\nbob:x\ncarol:!locked\n", hash_make("pw"));
	n += snprintf(text + n, sizeof(text) - n, "dave:%c\n", '\0');
	file_write(f->path, text, (size_t)n);
	assert_int_equal(userfile_check(f->path, check_collect, &report),
	    -EBADMSG);
	assert_int_equal(report.count, 3);
	assert_int_equal(report.lines[0], 3);
	assert_string_equal(report.reasons[0],
	    "it has no ':' between the username and the hash");
	assert_int_equal(report.lines[1], 5);
	assert_non_null(strstr(report.reasons[1], "traditional DES hash"));
	assert_int_equal(report.lines[2], 7);
	assert_string_equal(report.reasons[2], "it contains a NUL byte");
}

static void
test_check_valid_file(void **state)
{
	struct fixture *f = *state;
	struct check_report report = { 0 };

	assert_int_equal(userfile_check(f->path, check_collect, &report),
	    -ENOENT);
	assert_int_equal(userfile_set(f->path, "alice", "pw"), 0);
	assert_int_equal(userfile_check(f->path, check_collect, &report), 0);
	assert_int_equal(report.count, 0);
}

static void
test_locked_user_denied(void **state)
{
	struct fixture *f = *state;
	char text[1024];

	snprintf(text, sizeof(text), "alice:!%s\n", hash_make("pw"));
	file_write_string(f->path, text);
	assert_int_equal(userfile_verify(f->path, "alice", "pw"), -EACCES);
	file_write_string(f->path, "alice:*\n");
	assert_int_equal(userfile_verify(f->path, "alice", "pw"), -EACCES);
}

static void
test_duplicate_first_counts(void **state)
{
	struct fixture *f = *state;
	char text[1024];
	int n;

	n = snprintf(text, sizeof(text), "alice:%s\n", hash_make("one"));
	snprintf(text + n, sizeof(text) - n, "alice:%s\n", hash_make("two"));
	file_write_string(f->path, text);
	assert_int_equal(userfile_verify(f->path, "alice", "one"), 0);
	assert_int_equal(userfile_verify(f->path, "alice", "two"), -EACCES);

	assert_int_equal(userfile_set(f->path, "alice", "three"), 0);
	assert_int_equal(file_count_prefix(f->path, "alice:"), 1);
	assert_int_equal(userfile_verify(f->path, "alice", "three"), 0);
}

/*
 * crypt(3) takes a password written in clear as a DES hash, which no
 * password matches. userfile_check warns about it, and about a real DES
 * hash, which still works, without failing.
 */
static void
test_des_hash_warned(void **state)
{
	struct fixture *f = *state;
	struct check_report report = { 0 };
	char text[256];

	snprintf(text, sizeof(text), "# users\nbob:secret-password\n"
	    "carol:%s\n", crypt("carol-pw", "ab"));
	file_write_string(f->path, text);
	assert_int_equal(userfile_verify(f->path, "bob", "secret-password"),
	    -EACCES);
	assert_int_equal(userfile_verify(f->path, "carol", "carol-pw"), 0);

	assert_int_equal(userfile_check(f->path, check_collect, &report), 0);
	assert_int_equal(report.count, 2);
	assert_int_equal(report.lines[0], 2);
	assert_int_equal(report.lines[1], 3);
	assert_string_equal(report.reasons[0], userfile_reason_des);

	assert_int_equal(userfile_set(f->path, "bob", "pw"), 0);
	assert_int_equal(userfile_verify(f->path, "bob", "pw"), 0);
}

/*
 * Whole hashes of each method with a known length pass the check. The
 * same hashes one character short, and bare settings, get a warning: no
 * password matches them, although crypt(3) takes them.
 */
static void
test_short_hash_warned(void **state)
{
	static const char *const prefixes[] = {
		"$y$", "$6$", "$5$", "$1$", "$2b$"
	};
	struct fixture *f = *state;
	struct check_report report = { 0 };
	char text[2048], setting[CRYPT_GENSALT_OUTPUT_SIZE];
	size_t i, used = 0, n;
	const char *hash;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		assert_non_null(crypt_gensalt_rn(prefixes[i], 0, NULL, 0,
		    setting, sizeof(setting)));
		assert_non_null(hash = crypt("pw", setting));
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    "u%zu:%s\n", i, hash);
	}
	file_write_string(f->path, text);
	assert_int_equal(userfile_check(f->path, check_collect, &report), 0);
	assert_int_equal(report.count, 0);

	/* Cut each line's hash by one character, then add bare settings. */
	for (i = 0, n = 0; text[i] != '\0'; i++)
		if (text[i + 1] != '\n')
			text[n++] = text[i];
	text[n] = '\0';
	snprintf(text + n, sizeof(text) - n, "frank:$6$x\nzed:$y$j9T$a\n");
	file_write_string(f->path, text);
	assert_int_equal(userfile_check(f->path, check_collect, &report), 0);
	assert_int_equal(report.count, 7);
	for (i = 0; i < 7; i++)
		assert_string_equal(report.reasons[i], userfile_reason_short);
	assert_true(userfile_reason_warns(userfile_reason_short));
}

/* A UTF-8 byte order mark before the first line is skipped, and dropped. */
static void
test_byte_order_mark_skipped(void **state)
{
	struct fixture *f = *state;
	struct check_report report = { 0 };
	char text[1024];

	snprintf(text, sizeof(text), "\xef\xbb\xbf" "alice:%s\n",
	    hash_make("pw"));
	file_write_string(f->path, text);
	assert_int_equal(userfile_verify(f->path, "alice", "pw"), 0);
	assert_int_equal(userfile_check(f->path, check_collect, &report), 0);

	assert_int_equal(userfile_set(f->path, "bob", "pw2"), 0);
	assert_int_equal(file_count_prefix(f->path, "alice:"), 1);
	assert_int_equal(userfile_verify(f->path, "alice", "pw"), 0);
}

/* The later lines of a username, each with the line that counts. */
struct dup_report {
	int		count;
	unsigned long	lines[4];
	unsigned long	firsts[4];
	char		users[4][16];
};

static void
dup_collect(void *arg, unsigned long line, unsigned long first_line,
    const char *user)
{
	struct dup_report *r = arg;

	assert_true(r->count < 4);
	r->lines[r->count] = line;
	r->firsts[r->count] = first_line;
	snprintf(r->users[r->count], sizeof(r->users[0]), "%s", user);
	r->count++;
}

/*
 * Later lines come in file order. Comments, malformed lines and a name
 * that is only a prefix of another are not duplicates.
 */
static void
test_duplicates_listed(void **state)
{
	struct fixture *f = *state;
	struct dup_report report = { 0 };

	file_write_string(f->path, "bob:x\nalice:a\n#alice:c\nbob:y\n"
	    "alice b\nal:d\nalice:e\nbob:z\n");
	assert_int_equal(userfile_duplicates(f->path, dup_collect, &report),
	    3);
	assert_int_equal(report.count, 3);
	assert_int_equal(report.lines[0], 4);
	assert_int_equal(report.firsts[0], 1);
	assert_string_equal(report.users[0], "bob");
	assert_int_equal(report.lines[1], 7);
	assert_int_equal(report.firsts[1], 2);
	assert_string_equal(report.users[1], "alice");
	assert_int_equal(report.lines[2], 8);
	assert_int_equal(report.firsts[2], 1);
}

static void
test_duplicates_none(void **state)
{
	struct fixture *f = *state;
	struct dup_report report = { 0 };

	assert_int_equal(userfile_duplicates(f->path, dup_collect, &report),
	    -ENOENT);
	file_write_string(f->path, "alice:a\nbob:b\n\n# bob:c\n");
	assert_int_equal(userfile_duplicates(f->path, dup_collect, &report),
	    0);
	assert_int_equal(report.count, 0);
}

static void
test_missing_file_error(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(userfile_verify(f->path, "alice", "pw"), -ENOENT);
}

static void
test_unreadable_path_error(void **state)
{
	struct fixture *f = *state;

	/* A directory opens, but reading it fails with EISDIR. */
	assert_int_equal(userfile_verify(f->dir, "alice", "pw"), -EISDIR);
}

static void
test_delete_user(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(userfile_set(f->path, "alice", "pw1"), 0);
	assert_int_equal(userfile_set(f->path, "bob", "pw2"), 0);
	assert_int_equal(userfile_delete(f->path, "alice"), 0);
	assert_int_equal(userfile_verify(f->path, "alice", "pw1"), -EACCES);
	assert_int_equal(userfile_verify(f->path, "bob", "pw2"), 0);
	assert_int_equal(file_count_prefix(f->path, "alice:"), 0);
	assert_int_equal(userfile_delete(f->path, "alice"), -ENOENT);
	assert_int_equal(userfile_delete(f->path, "a b"), -EINVAL);
}

static void
test_delete_missing_file(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(userfile_delete(f->path, "alice"), -ENOENT);
	assert_int_equal(access(f->path, F_OK), -1);
}

/* A user file behind a symbolic link is changed there; the link stays. */
static void
test_set_through_symlink(void **state)
{
	struct fixture *f = *state;
	char real[160];
	struct stat st;

	snprintf(real, sizeof(real), "%s/real-users", f->dir);
	file_write_string(real, "");
	assert_int_equal(symlink(real, f->path), 0);

	assert_int_equal(userfile_set(f->path, "alice", "pw"), 0);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(file_count_prefix(real, "alice:"), 1);
	assert_int_equal(userfile_delete(f->path, "alice"), 0);
	assert_int_equal(file_count_prefix(real, "alice:"), 0);
}

/* A dangling link gets its target created, and the link stays. */
static void
test_set_through_dangling_symlink(void **state)
{
	struct fixture *f = *state;
	char real[160];
	struct stat st;

	snprintf(real, sizeof(real), "%s/missing-users", f->dir);
	assert_int_equal(symlink("missing-users", f->path), 0);

	assert_int_equal(userfile_set(f->path, "alice", "pw"), 0);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(file_count_prefix(real, "alice:"), 1);
}

/* Lines that end in CR LF, as Windows editors write them, still work. */
static void
test_crlf_lines_accepted(void **state)
{
	struct fixture *f = *state;
	char text[256];

	snprintf(text, sizeof(text), "# users\r\n\r\nalice:%s\r\n",
	    hash_make("Secret1!"));
	file_write_string(f->path, text);

	assert_int_equal(userfile_verify(f->path, "alice", "Secret1!"), 0);
	assert_int_equal(userfile_set(f->path, "bob", "pw"), 0);
	assert_null(strchr(file_read(f->path), '\r'));
}

/* A rewrite never gives the group of the old file more access. */
static void
test_set_keeps_narrower_mode(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_int_equal(userfile_set(f->path, "alice", "pw"), 0);
	assert_int_equal(chmod(f->path, 0600), 0);
	assert_int_equal(userfile_set(f->path, "bob", "pw"), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

/* A failed rewrite must leave no temporary file behind. */
static void
test_no_temporary_left(void **state)
{
	struct fixture *f = *state;
	char cmd[256];

	assert_int_equal(userfile_set(f->path, "alice", "pw"), 0);
	assert_int_equal(userfile_delete(f->path, "nobody"), -ENOENT);
	file_write_string(f->path, "broken\n");
	assert_int_equal(userfile_set(f->path, "alice", "pw"), -EBADMSG);

	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", f->dir);
	assert_int_equal(system(cmd), 0);
}

#define FIXTURE_TEST(name) \
	cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FIXTURE_TEST(test_set_then_verify),
		FIXTURE_TEST(test_wrong_password),
		FIXTURE_TEST(test_unknown_user),
		FIXTURE_TEST(test_unknown_user_empty_file),
		FIXTURE_TEST(test_replace_password),
		FIXTURE_TEST(test_name_invalid_rejected),
		FIXTURE_TEST(test_password_invalid_rejected),
		FIXTURE_TEST(test_comments_and_blank_lines),
		FIXTURE_TEST(test_last_line_without_newline),
		FIXTURE_TEST(test_malformed_line_owner_only),
		FIXTURE_TEST(test_appended_broken_line),
		FIXTURE_TEST(test_malformed_own_line_error),
		FIXTURE_TEST(test_nul_byte_error),
		FIXTURE_TEST(test_unusable_hash_error),
		FIXTURE_TEST(test_unusable_dummy_denied),
		FIXTURE_TEST(test_check_lists_lines),
		FIXTURE_TEST(test_check_valid_file),
		FIXTURE_TEST(test_locked_user_denied),
		FIXTURE_TEST(test_duplicate_first_counts),
		FIXTURE_TEST(test_des_hash_warned),
		FIXTURE_TEST(test_short_hash_warned),
		FIXTURE_TEST(test_byte_order_mark_skipped),
		FIXTURE_TEST(test_duplicates_listed),
		FIXTURE_TEST(test_duplicates_none),
		FIXTURE_TEST(test_missing_file_error),
		FIXTURE_TEST(test_unreadable_path_error),
		FIXTURE_TEST(test_delete_user),
		FIXTURE_TEST(test_delete_missing_file),
		FIXTURE_TEST(test_set_through_symlink),
		FIXTURE_TEST(test_no_temporary_left),
		FIXTURE_TEST(test_set_through_dangling_symlink),
		FIXTURE_TEST(test_crlf_lines_accepted),
		FIXTURE_TEST(test_set_keeps_narrower_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
