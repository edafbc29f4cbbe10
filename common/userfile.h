/*
 * The local user file: the default password backend, which needs no system
 * accounts. The file is text with one user per line:
 *
 *	username:hash
 *
 * hash is a crypt(3) string. userfile_set writes yescrypt ("$y$...") with
 * the default cost of libxcrypt, and any method that libxcrypt supports is
 * accepted when reading. A hash that starts with '!' or '*' locks the
 * user: no password matches it. Empty lines, lines of only spaces and
 * tabs, and lines that start with '#' are ignored.
 *
 * A username is 1 to USERFILE_NAME_MAX bytes and contains no space, no
 * ':' and no control character, and does not start with '#'. Any other
 * line, including one with spaces around the ':', makes the whole file
 * malformed. When a username appears twice, the first line counts.
 *
 * The file is replaced as a whole (temporary file and rename), so a reader
 * sees either the old or the new version, never a mix.
 */
#ifndef HEADEND_USERFILE_H
#define HEADEND_USERFILE_H

#include <stdbool.h>

#define USERFILE_DEFAULT_PATH	"/etc/headend/users"
#define USERFILE_MODE		0640
#define USERFILE_NAME_MAX	127	/* bytes, without NUL */
#define USERFILE_PASSWORD_MAX	255	/* bytes, without NUL */

/*
 * Check user and password against the file. Returns 0 when they match,
 * -EACCES for an unknown or locked user or a wrong password, and -EBADMSG
 * when the file is malformed or a hash it contains is not usable. Other
 * -errno values mean the file could not be read. Those errors are server
 * faults, not the user's.
 *
 * One crypt() runs even for unknown users, on the first usable hash in the
 * file, so the response time does not reveal which users exist.
 */
int	userfile_verify(const char *path, const char *user,
	    const char *password);

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
