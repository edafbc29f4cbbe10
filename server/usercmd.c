/* The "headendctl user" command declared in usercmd.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "regfile.h"
#include "userfile.h"
#include "utf8.h"
#include "usercmd.h"

#define USERCMD_PREFIX		"headendctl user"

/* A macro's value as a string literal. */
#define USERCMD_STRING(x)	USERCMD_STRING_RAW(x)
#define USERCMD_STRING_RAW(x)	#x

/* Room for a valid password, one byte more to detect longer ones, NUL. */
#define USERCMD_PASSWORD_BUF	(USERFILE_PASSWORD_MAX + 2)

/* Bytes of an escaped username in a message, 1.5 times a valid name. */
#define USERCMD_SHOWN_MAX	192

enum usercmd_status {
	USERCMD_OK = 0,
	USERCMD_FAILED = 1,
	USERCMD_USAGE = 2,
	USERCMD_NOT_FOUND = 5,	/* as headendctl's "nothing matched" */
};

struct usercmd_args {
	const char	*action;	/* "add" or "delete" */
	const char	*file;
	const char	*user;
};

/* Set by the signal handler while a password is read with echo off. */
static volatile sig_atomic_t usercmd_interrupted;

static void
usercmd_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: headendctl user add [-f FILE] USERNAME\n"
	    "       headendctl user delete [-f FILE] USERNAME\n"
	    "\n"
	    "add sets the user's password, read from standard input,\n"
	    "and adds the user if needed. delete removes the user.\n"
	    "  -f FILE  user file to change (default %s)\n",
	    USERFILE_DEFAULT_PATH);
}

static int
usercmd_args_parse(int argc, char **argv, struct usercmd_args *args)
{
	int opt;

	args->file = USERFILE_DEFAULT_PATH;
	if (argc < 2)
		return -EINVAL;

	args->action = argv[1];

	/*
	 * getopt treats the action as the program name. Setting optind to 0
	 * makes glibc reinitialize getopt, in case the caller used it.
	 */
	optind = 0;
	opterr = 0;
	while ((opt = getopt(argc - 1, argv + 1, "f:")) != -1) {
		if (opt != 'f')
			return -EINVAL;
		args->file = optarg;
	}

	if (optind != argc - 2)
		return -EINVAL;

	args->user = argv[argc - 1];
	return 0;
}

static void
usercmd_signal_note(int sig)
{
	(void)sig;
	usercmd_interrupted = 1;
}

/*
 * Read one line from fd into buf without the newline (and without a
 * trailing CR). Returns the length, -ENODATA at end of input before any
 * byte, -EMSGSIZE when the line does not fit, -EILSEQ for a NUL byte,
 * which would cut the string short, -EINTR after a signal from
 * usercmd_signal_note, or -errno.
 */
static int
usercmd_line_read(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	char c;

	for (;;) {
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR && !usercmd_interrupted)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0 || c == '\n')
			break;
		if (c == '\0')
			return -EILSEQ;
		if (len + 1 >= size)
			return -EMSGSIZE;
		buf[len++] = c;
	}

	if (n == 0 && len == 0)
		return -ENODATA;

	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return (int)len;
}

/* Signals that stop the prompt, so that echo can be turned back on. */
static const int usercmd_signals[] = { SIGINT, SIGTERM, SIGQUIT, SIGHUP };
#define USERCMD_NSIGNALS	(sizeof(usercmd_signals) / sizeof(int))

static void
usercmd_signals_catch(struct sigaction *saved)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usercmd_signal_note;
	sigemptyset(&sa.sa_mask);

	/* No SA_RESTART, so that read() returns EINTR. */
	for (i = 0; i < USERCMD_NSIGNALS; i++)
		sigaction(usercmd_signals[i], &sa, &saved[i]);
}

static void
usercmd_signals_restore(const struct sigaction *saved)
{
	size_t i;

	for (i = 0; i < USERCMD_NSIGNALS; i++)
		sigaction(usercmd_signals[i], &saved[i], NULL);
}

/* Prompt on stderr and read one line from the terminal with echo off. */
static int
usercmd_tty_read(const char *prompt, char *buf, size_t size)
{
	struct sigaction saved[USERCMD_NSIGNALS];
	struct termios normal, quiet;
	int rc;

	if (tcgetattr(STDIN_FILENO, &normal) != 0)
		return -errno;

	/* ECHONL still echoes the newline, so the cursor moves on. */
	quiet = normal;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;

	usercmd_interrupted = 0;
	usercmd_signals_catch(saved);
	fputs(prompt, stderr);
	fflush(stderr);

	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
		rc = -errno;
	} else {
		rc = usercmd_line_read(STDIN_FILENO, buf, size);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &normal);
	}

	usercmd_signals_restore(saved);
	if (rc == -EINTR)
		fputc('\n', stderr);
	return rc;
}

/* Read the password twice from a terminal. -EKEYREJECTED if they differ. */
static int
usercmd_tty_password(const char *user, char *buf, size_t size)
{
	char again[USERCMD_PASSWORD_BUF];
	char prompt[USERFILE_NAME_MAX + 32];
	int rc;

	snprintf(prompt, sizeof(prompt), "New password for %s: ", user);
	rc = usercmd_tty_read(prompt, buf, size);
	if (rc < 0)
		return rc;

	rc = usercmd_tty_read("Retype the password: ", again, sizeof(again));
	if (rc >= 0 && strcmp(buf, again) != 0)
		rc = -EKEYREJECTED;

	explicit_bzero(again, sizeof(again));
	return rc < 0 ? rc : 0;
}

static int
usercmd_password_read(const char *user, char *buf, size_t size)
{
	int rc;

	if (isatty(STDIN_FILENO))
		rc = usercmd_tty_password(user, buf, size);
	else
		rc = usercmd_line_read(STDIN_FILENO, buf, size);

	if (rc < 0)
		explicit_bzero(buf, size);
	return rc < 0 ? rc : 0;
}

static void
usercmd_read_error(int err)
{
	if (err == -EKEYREJECTED)
		fprintf(stderr, USERCMD_PREFIX ": the passwords do not match. "
		    "Nothing was changed.\n");
	else if (err == -EINTR)
		fprintf(stderr, USERCMD_PREFIX ": interrupted. "
		    "Nothing was changed.\n");
	else if (err == -ENODATA)
		fprintf(stderr, USERCMD_PREFIX ": no password on standard "
		    "input. Nothing was changed.\n");
	else if (err == -EMSGSIZE)
		fprintf(stderr, USERCMD_PREFIX ": invalid password: it is "
		    "longer than %d bytes. Nothing was changed.\n",
		    USERFILE_PASSWORD_MAX);
	else if (err == -EILSEQ)
		fprintf(stderr, USERCMD_PREFIX ": invalid password: it "
		    "contains a NUL byte. Nothing was changed, choose another "
		    "password.\n");
	else
		fprintf(stderr, USERCMD_PREFIX ": cannot read the password: "
		    "%s\n", strerror(-err));
}

/* A password that cannot be valid is an invalid argument; I/O fails. */
static int
usercmd_read_status(int err)
{
	/* Input the user can correct: none, too long, a NUL, a mismatch. */
	if (err == -ENODATA || err == -EMSGSIZE || err == -EILSEQ ||
	    err == -EKEYREJECTED)
		return USERCMD_USAGE;
	return USERCMD_FAILED;
}

/*
 * Copy text into buf for a message, with C escapes (\t, \x7f) for control
 * characters, bytes above 0x7e, '"' and '\\', so that the terminal shows
 * every byte and runs no control sequence. The copy ends with "..." when
 * buf is too small.
 */
static void
usercmd_escape(char *buf, size_t size, const char *text)
{
	size_t used = 0, need;
	unsigned char c;
	char one[5];

	for (; *text != '\0'; text++) {
		c = (unsigned char)*text;
		if (c == '\t')
			strcpy(one, "\\t");
		else if (c == '"' || c == '\\')
			snprintf(one, sizeof(one), "\\%c", c);
		else if (c < ' ' || c > '~')
			snprintf(one, sizeof(one), "\\x%02x", c);
		else
			snprintf(one, sizeof(one), "%c", c);

		need = strlen(one);
		if (used + need + 4 > size) {
			strcpy(buf + used, "...");
			return;
		}
		memcpy(buf + used, one, need);
		used += need;
	}
	buf[used] = '\0';
}

/* Copy user into buf as typed, or escaped when a character would hide. */
static void
usercmd_name_shown(char *buf, size_t size, const char *user)
{
	if (utf8_shown(user))
		snprintf(buf, size, "%s", user);
	else
		usercmd_escape(buf, size, user);
}

/* Explain why userfile_name_valid rejected user. */
static void
usercmd_name_error(const char *user)
{
	char shown[USERCMD_SHOWN_MAX];

	usercmd_escape(shown, sizeof(shown), user);
	if (strchr(user, ' ') != NULL)
		fprintf(stderr, USERCMD_PREFIX ": invalid username \"%s\": it "
		    "contains a space, which VPN clients on phones cannot "
		    "send\n", shown);
	else
		fprintf(stderr, USERCMD_PREFIX ": invalid username \"%s\": "
		    "use 1 to %d bytes without spaces, ':' or control "
		    "characters, not starting with '#'\n", shown,
		    USERFILE_NAME_MAX);
}

/* Explain why userfile_password_valid rejected password. */
static void
usercmd_password_error(const char *password)
{
	const char *reason;

	if (password[0] == '\0')
		reason = "it is empty";
	else if (strchr(password, ' ') != NULL)
		reason = "it contains a space, which VPN clients on phones "
		    "cannot send";
	else if (strlen(password) > USERFILE_PASSWORD_MAX)
		reason = "it is longer than "
		    USERCMD_STRING(USERFILE_PASSWORD_MAX) " bytes";
	else
		reason = "it contains a control character";

	fprintf(stderr, USERCMD_PREFIX ": invalid password: %s. Nothing was "
	    "changed, choose another password.\n", reason);
}

/* Print a line that stops the rewrite. Lines that do not are left out. */
static void
usercmd_problem_print(void *arg, unsigned long line, const char *reason)
{
	const char *file = arg;

	if (!userfile_reason_warns(reason) && reason != userfile_reason_hash)
		fprintf(stderr, "%s:%lu: %s\n", file, line, reason);
}

/*
 * A rewrite keeps every other line as it is, so it cannot start while a
 * line is malformed. The lines are listed before the advice.
 */
static void
usercmd_file_error(const char *file, int err)
{
	if (err == -ENOENT) {
		fprintf(stderr, USERCMD_PREFIX ": cannot update %s: its "
		    "directory does not exist: create the directory, or name "
		    "another file with -f FILE\n", file);
		return;
	}
	if (err != -EBADMSG) {
		fprintf(stderr, USERCMD_PREFIX ": cannot update %s: %s\n",
		    file, regfile_strerror(-err));
		return;
	}

	userfile_check(file, usercmd_problem_print, (void *)file);
	fprintf(stderr, USERCMD_PREFIX ": cannot update %s: it contains a "
	    "malformed line. Each line must be \"username:hash\", a comment "
	    "starting with '#', or blank: fix or delete the lines above by "
	    "hand, then run this again. Nothing was changed.\n", file);
}

static int
usercmd_add(const struct usercmd_args *args)
{
	char password[USERCMD_PASSWORD_BUF];
	int rc;

	rc = usercmd_password_read(args->user, password, sizeof(password));
	if (rc != 0) {
		usercmd_read_error(rc);
		return usercmd_read_status(rc);
	}

	if (!userfile_password_valid(password)) {
		usercmd_password_error(password);
		explicit_bzero(password, sizeof(password));
		return USERCMD_USAGE;
	}

	/* XML logins carry UTF-8, so no client could send it. */
	if (!utf8_valid(password)) {
		explicit_bzero(password, sizeof(password));
		fprintf(stderr, USERCMD_PREFIX ": invalid password: it is not "
		    "valid UTF-8, the encoding of VPN clients' logins: set "
		    "the terminal or the input to UTF-8. Nothing was "
		    "changed.\n");
		return USERCMD_USAGE;
	}

	rc = userfile_set(args->file, args->user, password);
	explicit_bzero(password, sizeof(password));
	if (rc != 0) {
		usercmd_file_error(args->file, rc);
		return USERCMD_FAILED;
	}

	printf("password set for user %s in %s\n", args->user, args->file);
	return USERCMD_OK;
}

/*
 * Remind the operator that a connected client keeps its session, and
 * reconnects by cookie, with a command to paste. A name that had to be
 * escaped, or that looks like an option, cannot be pasted, so the
 * command is left out then.
 */
static void
usercmd_logoff_hint(const char *user, const char *shown)
{
	char quoted[4 * USERFILE_NAME_MAX + 4];
	size_t used = 0;
	const char *p;

	/* headendctl would take a trailing --json, or -h, as an option. */
	if (strcmp(user, shown) != 0 || user[0] == '-') {
		fprintf(stderr, USERCMD_PREFIX ": sessions of user %s keep "
		    "running until they end: end them with headendctl logoff "
		    "user and that name\n", shown);
		return;
	}

	/* Single quotes keep the shell from reading $, ; or spaces. */
	quoted[used++] = '\'';
	for (p = user; *p != '\0' && used + 5 < sizeof(quoted); p++) {
		if (*p == '\'') {
			memcpy(quoted + used, "'\\''", 4);
			used += 4;
		} else {
			quoted[used++] = *p;
		}
	}
	quoted[used++] = '\'';
	quoted[used] = '\0';
	fprintf(stderr, USERCMD_PREFIX ": sessions of user %s keep running "
	    "until they end: to end them now, run headendctl logoff user "
	    "%s\n", shown, quoted);
}

static int
usercmd_delete(const struct usercmd_args *args)
{
	char name[4 * USERFILE_NAME_MAX + 4];
	int rc;

	rc = userfile_delete(args->file, args->user);
	usercmd_name_shown(name, sizeof(name), args->user);

	/* A script must tell a missing user from a missing file. */
	if (rc == -ENOENT && access(args->file, F_OK) != 0 && errno == ENOENT) {
		fprintf(stderr, USERCMD_PREFIX ": cannot update %s: it does "
		    "not exist: name the user file with -f FILE\n",
		    args->file);
		return USERCMD_FAILED;
	}
	if (rc == -ENOENT) {
		fprintf(stderr, USERCMD_PREFIX ": user %s not found in %s\n",
		    name, args->file);
		return USERCMD_NOT_FOUND;
	}

	if (rc != 0) {
		usercmd_file_error(args->file, rc);
		return USERCMD_FAILED;
	}

	printf("user %s deleted from %s\n", name, args->file);
	usercmd_logoff_hint(args->user, name);
	return USERCMD_OK;
}

int
usercmd_main(int argc, char **argv)
{
	struct usercmd_args args;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)) {
		usercmd_usage(stdout);
		return USERCMD_OK;
	}

	if (usercmd_args_parse(argc, argv, &args) != 0 ||
	    (strcmp(args.action, "add") != 0 &&
	    strcmp(args.action, "delete") != 0)) {
		usercmd_usage(stderr);
		return USERCMD_USAGE;
	}

	if (!userfile_name_valid(args.user)) {
		usercmd_name_error(args.user);
		return USERCMD_USAGE;
	}

	/* XML logins carry UTF-8, so no client could send another name. */
	if (strcmp(args.action, "add") == 0 && !utf8_valid(args.user)) {
		fprintf(stderr, USERCMD_PREFIX ": invalid username: it is not "
		    "valid UTF-8, the encoding of VPN clients' logins: "
		    "write it in UTF-8\n");
		return USERCMD_USAGE;
	}

	/* Logs and tables would show such a name escaped, or not at all. */
	if (strcmp(args.action, "add") == 0 && !utf8_shown(args.user)) {
		fprintf(stderr, USERCMD_PREFIX ": invalid username: it contains "
		    "an invisible, spacing or line-breaking character (such as "
		    "U+00A0, U+200B, U+2028 or U+202E): remove it\n");
		return USERCMD_USAGE;
	}

	if (strcmp(args.action, "add") == 0)
		return usercmd_add(&args);
	return usercmd_delete(&args);
}
