/*
 * The local user file: the default password backend, which needs no system
 * accounts. The file is text with one user per line:
 *
 *	username:hash
 *
 * hash is a crypt(3) string. userfile_set writes yescrypt ("$y$...") with
 * the default cost of libxcrypt, and any method with a "$id$" prefix that
 * libxcrypt supports is accepted when reading. A hash without that prefix
 * is traditional DES, which still works, or a password written in clear,
 * which no password matches. userfile_check reports both as a warning,
 * with userfile_reason_des, and a hash cut short as one too. A hash that
 * starts with '!' or '*' locks the user: no password matches it. Empty
 * lines, lines of only spaces and tabs, lines that start with '#', and a
 * UTF-8 byte order mark at the start of the file are ignored.
 *
 * A username is 1 to USERFILE_NAME_MAX bytes and contains no space, no
 * ':' and no control character, and does not start with '#'. When a
 * username appears twice, the first line counts.
 *
 * Any other line is malformed, including one with spaces around the ':'
 * or a NUL byte. A malformed line never supplies a hash. Its owner is its
 * first word: the text after leading spaces and tabs, up to the first ':',
 * space or control character. A lookup of that user fails with -EBADMSG
 * wherever the line is, because the line may be meant to change or lock
 * the user's password. Lookups of other users skip the line. Rewriting
 * the file (userfile_set, userfile_delete) still fails while any line is
 * malformed.
 *
 * The file is replaced as a whole (temporary file and rename), so a reader
 * sees either the old or the new version, never a mix.
 */
#ifndef HEADEND_USERFILE_H
#define HEADEND_USERFILE_H

#include <stdbool.h>

#ifndef HEADEND_SYSCONFDIR
#define HEADEND_SYSCONFDIR	"/etc"
#endif
#define USERFILE_DEFAULT_PATH	HEADEND_SYSCONFDIR "/headend/users"
#define USERFILE_MODE		0640
#define USERFILE_NAME_MAX	127	/* bytes, without NUL */
#define USERFILE_PASSWORD_MAX	255	/* bytes, without NUL */

/* userfile_check's reasons for lines it only warns about. */
extern const char userfile_reason_des[];
extern const char userfile_reason_short[];

/*
 * userfile_check's reason for a hash that crypt(3) rejects: an error,
 * but a rewrite of the file copies such a line as it is.
 */
extern const char userfile_reason_hash[];

/* Return whether a reason of userfile_check is only a warning. */
bool	userfile_reason_warns(const char *reason);

/* A malformed line of the file, for the caller's messages. */
struct userfile_problem {
	unsigned long	line;		/* counted from 1, 0 for none */
	const char	*reason;	/* static text, "" for none */
	unsigned long	count;		/* malformed lines in the whole file */
};

/*
 * Check user and password against the file. Returns 0 when they match,
 * -EACCES for an unknown or locked user or a wrong password, and -EBADMSG
 * when the user owns a malformed line or the user's hash is not one that
 * crypt(3) accepts. Other -errno values mean the file could not be read.
 * Those errors are server faults, not the user's.
 *
 * One crypt() runs even for unknown users, on the first usable hash in the
 * file, so the response time does not reveal which users exist.
 */
int	userfile_verify(const char *path, const char *user,
	    const char *password);

/*
 * userfile_verify that also fills problem (when not NULL) once the file
 * was read. After -EBADMSG it describes the user's own bad line. Otherwise
 * it describes the first malformed line, which the lookup skipped, or has
 * line 0 when there is none.
 */
int	userfile_verify_report(const char *path, const char *user,
	    const char *password, struct userfile_problem *problem);

typedef void userfile_problem_fn(void *arg, unsigned long line,
	    const char *reason);

/*
 * Check every line of the file without any crypt(), for "headend -t" and
 * for messages about a file that cannot be rewritten. Calls fn for each
 * malformed line, for each hash that crypt_checksalt(3) finds invalid or
 * disabled, with userfile_reason_des (this pointer) for each hash
 * without a "$id$" prefix, and with userfile_reason_short for a hash of a
 * common method whose last field is cut short or missing. Returns 0,
 * -EBADMSG after at least one call of fn for another reason, or -errno
 * when the file cannot be read.
 */
int	userfile_check(const char *path, userfile_problem_fn *fn, void *arg);

typedef void userfile_duplicate_fn(void *arg, unsigned long line,
	    unsigned long first_line, const char *user);

/*
 * Find usernames that appear on more than one well-formed line, which the
 * lookup allows (the first line counts) but which an operator rarely means.
 * Calls fn for each later line, in the order of the lines, with the line
 * that counts. Returns the number of calls, or -errno when the file cannot
 * be read or memory runs out.
 */
int	userfile_duplicates(const char *path, userfile_duplicate_fn *fn,
	    void *arg);

/*
 * Add the user, or replace the password of an existing one. The file is
 * created if missing and always gets mode USERFILE_MODE. Returns 0,
 * -EINVAL for an invalid username or password, -EBADMSG when the existing
 * file is malformed, or another -errno.
 */
int	userfile_set(const char *path, const char *user, const char *password);

/*
 * Remove the user's lines. Returns 0, -ENOENT when the user is not in the
 * file or the file is missing, -EINVAL for an invalid username, -EBADMSG
 * when the file is malformed, or another -errno.
 */
int	userfile_delete(const char *path, const char *user);

bool	userfile_name_valid(const char *user);

/*
 * A valid password is 1 to USERFILE_PASSWORD_MAX bytes with no space and
 * no control character. Spaces are excluded because VPN clients on phones
 * cannot send them.
 */
bool	userfile_password_valid(const char *password);

#endif
