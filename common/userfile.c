/* The user file described in userfile.h. */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "regfile.h"
#include "userfile.h"

/*
 * The setting that unknown users are checked against when the file has no
 * usable hash. It has the method and cost ("j9T") of the settings that
 * crypt_gensalt_rn(NULL, 0, ...) makes in libxcrypt 4.4.33 (Debian 12).
 */
#define USERFILE_DUMMY_SETTING	"$y$j9T$5Wi582tngVsg0i.F/UHBF."

/* A macro's value as a string literal. */
#define USERFILE_STRING(x)	USERFILE_STRING_RAW(x)
#define USERFILE_STRING_RAW(x)	#x

/* Result of scanning the file for one username. */
struct userfile_match {
	char	hash[CRYPT_OUTPUT_SIZE];	/* "" when the user is absent */
	char	dummy[CRYPT_OUTPUT_SIZE];	/* for the timing-only crypt */
	unsigned long	hash_line;	/* line of hash */
	bool	owns_malformed;	/* the user owns a malformed line */
	struct userfile_problem problem;
};

const char userfile_reason_des[] = "the hash is a traditional DES hash, "
    "which uses only 8 bytes of a password, or a password written in clear";

const char userfile_reason_short[] = "the hash is cut short, so no "
    "password matches it";

/*
 * The length of the last "$" field of a whole hash, for the methods that
 * libxcrypt writes by default or that other tools commonly write. crypt(3)
 * accepts a hash that lacks it as a bare setting, which no password
 * matches.
 */
static const struct {
	const char	*prefix;
	size_t		len;
} userfile_hash_ends[] = {
	{ "$y$", 43 }, { "$gy$", 43 }, { "$7$", 43 }, { "$6$", 86 },
	{ "$5$", 43 }, { "$1$", 22 }, { "$2a$", 53 }, { "$2b$", 53 },
	{ "$2y$", 53 },
};

#define USERFILE_REASON_NUL	"it contains a NUL byte"
const char userfile_reason_hash[] = "the hash is not one that crypt(3) "
    "accepts";

/* A replacement file being written next to the original. */
struct userfile_tmp {
	char	path[PATH_MAX];
	FILE	*fp;
};

/* Return whether c may appear in a field: not a space or control character. */
static bool
userfile_char_plain(unsigned char c)
{
	return c > ' ' && c != 0x7f;
}

static bool
userfile_text_plain(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!userfile_char_plain((unsigned char)s[i]))
			return false;
	}

	return true;
}

bool
userfile_name_valid(const char *user)
{
	size_t len;

	if (user == NULL)
		return false;

	len = strnlen(user, USERFILE_NAME_MAX + 1);
	if (len == 0 || len > USERFILE_NAME_MAX)
		return false;

	/* A leading '#' would turn the user's line into a comment. */
	if (user[0] == '#' || strchr(user, ':') != NULL)
		return false;

	return userfile_text_plain(user, len);
}

bool
userfile_password_valid(const char *password)
{
	size_t len;

	if (password == NULL)
		return false;

	len = strnlen(password, USERFILE_PASSWORD_MAX + 1);
	if (len == 0 || len > USERFILE_PASSWORD_MAX)
		return false;

	return userfile_text_plain(password, len);
}

static bool
userfile_hash_valid(const char *hash)
{
	size_t len;

	len = strnlen(hash, CRYPT_OUTPUT_SIZE);
	if (len == 0 || len == CRYPT_OUTPUT_SIZE)
		return false;

	return strchr(hash, ':') == NULL && userfile_text_plain(hash, len);
}

static bool
userfile_hash_locked(const char *hash)
{
	return hash[0] == '!' || hash[0] == '*';
}

/*
 * crypt(3) takes any hash without a "$id$" prefix as DES, whose salt is
 * any two characters, so a password written in clear passes as a hash
 * that no password matches.
 */
static bool
userfile_hash_des(const char *hash)
{
	return hash[0] != '$' && !userfile_hash_locked(hash);
}

/*
 * Read the next line into *line without its newline. Returns 1 for a line,
 * 0 at end of file, -EBADMSG for a line with a NUL byte, or -errno.
 */
static int
userfile_line_read(FILE *fp, char **line, size_t *cap)
{
	ssize_t n;

	errno = 0;
	n = getline(line, cap, fp);
	if (n < 0 && feof(fp) && !ferror(fp))
		return 0;

	/* Stopping early on ENOMEM would lose lines when rewriting. */
	if (n < 0)
		return errno != 0 ? -errno : -EIO;

	if (n > 0 && (*line)[n - 1] == '\n')
		(*line)[--n] = '\0';

	/* Windows editors end lines with CR LF, and a hash has no CR. */
	if (n > 0 && (*line)[n - 1] == '\r')
		(*line)[--n] = '\0';

	if (strlen(*line) != (size_t)n)
		return -EBADMSG;

	return 1;
}

/* Skip a UTF-8 byte order mark, which some Windows editors write first. */
static void
userfile_bom_skip(FILE *fp)
{
	char bom[3];

	if (fread(bom, 1, sizeof(bom), fp) != sizeof(bom) ||
	    memcmp(bom, "\xef\xbb\xbf", sizeof(bom)) != 0)
		rewind(fp);
}

/* Blank lines and comments. */
static bool
userfile_line_ignored(const char *line)
{
	if (line[0] == '#')
		return true;

	return line[strspn(line, " \t")] == '\0';
}

/*
 * Split a "username:hash" line in place. Returns NULL, or the reason why
 * the line is malformed.
 */
static const char *
userfile_record_split(char *line, char **name, char **hash)
{
	char *colon;

	colon = strchr(line, ':');
	if (colon == NULL)
		return "it has no ':' between the username and the hash";

	*colon = '\0';
	*name = line;
	*hash = colon + 1;
	if (!userfile_name_valid(*name))
		return "the username is empty, longer than "
		    USERFILE_STRING(USERFILE_NAME_MAX) " bytes, or contains "
		    "a space or a control character";

	if (!userfile_hash_valid(*hash))
		return "the hash is empty, too long, or contains a space, "
		    "':' or a control character";

	return NULL;
}

/* Split a "username:hash" line in place. Returns 0 or -EBADMSG. */
static int
userfile_record_parse(char *line, char **name, char **hash)
{
	return userfile_record_split(line, name, hash) == NULL ? 0 : -EBADMSG;
}

/*
 * Return whether user owns a malformed line: whether the line's first
 * word, after leading spaces and tabs and up to the first ':', space or
 * control character, is user.
 */
static bool
userfile_line_owned(const char *line, const char *user)
{
	size_t len = strlen(user);

	line += strspn(line, " \t");
	if (len == 0 || strncmp(line, user, len) != 0)
		return false;

	return line[len] == ':' || !userfile_char_plain(line[len]);
}

static void
userfile_problem_set(struct userfile_problem *problem, unsigned long line,
    const char *reason)
{
	problem->line = line;
	problem->reason = reason;
}

/*
 * Note a malformed line. The user's own line replaces the first line of
 * another user as the problem to report.
 */
static void
userfile_match_malformed(const char *line, unsigned long number,
    const char *reason, const char *user, struct userfile_match *m)
{
	m->problem.count++;
	if (!m->owns_malformed && userfile_line_owned(line, user)) {
		m->owns_malformed = true;
		userfile_problem_set(&m->problem, number, reason);
	} else if (m->problem.line == 0) {
		userfile_problem_set(&m->problem, number, reason);
	}
}

/* Record one well-formed or malformed line of the file in m. */
static void
userfile_match_line(char *line, unsigned long number, const char *user,
    struct userfile_match *m)
{
	const char *reason;
	char *name, *hash;

	if (userfile_line_ignored(line))
		return;

	/* The split cuts the line at its ':', which keeps the first word. */
	reason = userfile_record_split(line, &name, &hash);
	if (reason != NULL) {
		userfile_match_malformed(line, number, reason, user, m);
		return;
	}

	if (m->dummy[0] == '\0' && !userfile_hash_locked(hash) &&
	    !userfile_hash_des(hash))
		strcpy(m->dummy, hash);

	if (m->hash[0] == '\0' && strcmp(name, user) == 0) {
		strcpy(m->hash, hash);
		m->hash_line = number;
	}
}

/*
 * Scan the whole file, also past the user's line, so that every line is
 * checked and the time taken does not depend on where the user is.
 */
static int
userfile_lookup(const char *path, const char *user, struct userfile_match *m)
{
	unsigned long number = 0;
	char *line = NULL;
	size_t cap = 0;
	FILE *fp;
	int rc;

	memset(m, 0, sizeof(*m));
	m->problem.reason = "";
	fp = regfile_fopen(path);
	if (fp == NULL)
		return -errno;
	userfile_bom_skip(fp);

	/* The text of a line with a NUL byte ends at that byte. */
	while ((rc = userfile_line_read(fp, &line, &cap)) != 0) {
		number++;
		if (rc == -EBADMSG)
			userfile_match_malformed(line, number,
			    USERFILE_REASON_NUL, user, m);
		else if (rc > 0)
			userfile_match_line(line, number, user, m);
		else
			break;
	}

	free(line);
	fclose(fp);
	if (m->dummy[0] == '\0')
		strcpy(m->dummy, USERFILE_DUMMY_SETTING);
	return rc;
}

/*
 * Hash phrase with setting into out (CRYPT_OUTPUT_SIZE bytes, zero padded).
 * A setting that crypt rejects is a malformed hash, so -EBADMSG.
 */
static int
userfile_crypt(const char *phrase, const char *setting, char *out)
{
	struct crypt_data *data;
	const char *hash;
	int rc = 0;

	data = calloc(1, sizeof(*data));
	if (data == NULL)
		return -ENOMEM;

	errno = 0;
	hash = crypt_rn(phrase, setting, data, sizeof(*data));
	if (hash == NULL)
		rc = (errno == EINVAL || errno == 0) ? -EBADMSG : -errno;

	memset(out, 0, CRYPT_OUTPUT_SIZE);
	if (hash != NULL)
		strncpy(out, hash, CRYPT_OUTPUT_SIZE - 1);

	/* The work area contains the phrase and values derived from it. */
	explicit_bzero(data, sizeof(*data));
	free(data);
	return rc;
}

/* Compare two zero-padded hashes in time that does not depend on them. */
static bool
userfile_hash_equal(const char *a, const char *b)
{
	unsigned char diff = 0;
	size_t i;

	for (i = 0; i < CRYPT_OUTPUT_SIZE; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i];

	return diff == 0;
}

/*
 * Hash the password with the user's hash, or with the dummy setting when
 * the user is unknown, locked or owns a malformed line. Sets *known when
 * computed is to be compared with m->hash. Returns 0, -EBADMSG for an
 * unusable hash of the user, or -errno.
 */
static int
userfile_verify_crypt(struct userfile_match *m, const char *password,
    char *computed, bool *known)
{
	int rc;

	*known = m->hash[0] != '\0' && !m->owns_malformed &&
	    !userfile_hash_locked(m->hash) && userfile_password_valid(password);

	rc = userfile_crypt(password, *known ? m->hash : m->dummy, computed);

	/*
	 * An unusable dummy comes from another user's line, so it is no
	 * reason to fail this login, and the built-in setting replaces it.
	 */
	if (rc == -EBADMSG && !*known)
		rc = userfile_crypt(password, USERFILE_DUMMY_SETTING,
		    computed);

	if (rc == -EBADMSG && *known)
		userfile_problem_set(&m->problem, m->hash_line,
		    userfile_reason_hash);
	return rc;
}

int
userfile_verify_report(const char *path, const char *user,
    const char *password, struct userfile_problem *problem)
{
	struct userfile_match m;
	char computed[CRYPT_OUTPUT_SIZE];
	bool known = false;
	int rc;

	rc = userfile_lookup(path, user != NULL ? user : "", &m);
	if (rc == 0)
		rc = userfile_verify_crypt(&m, password != NULL ? password :
		    "", computed, &known);

	if (rc == 0 && m.owns_malformed)
		rc = -EBADMSG;
	else if (rc == 0 && (!known || !userfile_hash_equal(computed, m.hash)))
		rc = -EACCES;

	if (problem != NULL)
		*problem = m.problem;
	explicit_bzero(computed, sizeof(computed));
	explicit_bzero(&m, sizeof(m));
	return rc;
}

int
userfile_verify(const char *path, const char *user, const char *password)
{
	return userfile_verify_report(path, user, password, NULL);
}

bool
userfile_reason_warns(const char *reason)
{
	return reason == userfile_reason_des ||
	    reason == userfile_reason_short;
}

/* Return whether the hash of a known method lacks its whole last field. */
static bool
userfile_hash_short(const char *hash)
{
	const char *end = strrchr(hash, '$') + 1;
	size_t i;

	for (i = 0; i < sizeof(userfile_hash_ends) /
	    sizeof(userfile_hash_ends[0]); i++) {
		if (strncmp(hash, userfile_hash_ends[i].prefix,
		    strlen(userfile_hash_ends[i].prefix)) == 0)
			return strlen(end) != userfile_hash_ends[i].len;
	}
	return false;
}

/* Return why a well-formed line is still unusable, or NULL. */
static const char *
userfile_hash_problem(const char *hash)
{
	int status;

	if (userfile_hash_locked(hash))
		return NULL;
	if (userfile_hash_des(hash))
		return userfile_reason_des;

	status = crypt_checksalt(hash);
	if (status == CRYPT_SALT_INVALID ||
	    status == CRYPT_SALT_METHOD_DISABLED)
		return userfile_reason_hash;
	if (userfile_hash_short(hash))
		return userfile_reason_short;
	return NULL;
}

/* Return why a line is malformed or unusable, or NULL when it is fine. */
static const char *
userfile_line_problem(char *line)
{
	const char *reason;
	char *name, *hash;

	if (userfile_line_ignored(line))
		return NULL;

	reason = userfile_record_split(line, &name, &hash);
	if (reason != NULL)
		return reason;

	return userfile_hash_problem(hash);
}

int
userfile_check(const char *path, userfile_problem_fn *fn, void *arg)
{
	unsigned long number = 0;
	const char *reason;
	char *line = NULL;
	size_t cap = 0;
	bool bad = false;
	FILE *fp;
	int rc;

	fp = regfile_fopen(path);
	if (fp == NULL)
		return -errno;
	userfile_bom_skip(fp);

	while ((rc = userfile_line_read(fp, &line, &cap)) != 0) {
		number++;
		if (rc < 0 && rc != -EBADMSG)
			break;

		reason = rc < 0 ? USERFILE_REASON_NUL :
		    userfile_line_problem(line);
		if (reason != NULL) {
			fn(arg, number, reason);
			bad = bad || !userfile_reason_warns(reason);
		}
	}

	free(line);
	fclose(fp);
	if (rc == 0 && bad)
		rc = -EBADMSG;
	return rc;
}

/* A username of a well-formed line, for userfile_duplicates. */
struct userfile_name {
	char		*name;
	unsigned long	line;
	unsigned long	first;	/* the line that counts, 0 for this one */
};

/* A growing list of the file's usernames. */
struct userfile_names {
	struct userfile_name	*v;
	size_t			count;
	size_t			cap;
};

static int
userfile_names_add(struct userfile_names *names, const char *name,
    unsigned long line)
{
	struct userfile_name *v;
	size_t cap;

	if (names->count == names->cap) {
		cap = names->cap == 0 ? 64 : names->cap * 2;
		v = reallocarray(names->v, cap, sizeof(*v));
		if (v == NULL)
			return -ENOMEM;

		names->v = v;
		names->cap = cap;
	}

	v = &names->v[names->count];
	v->name = strdup(name);
	if (v->name == NULL)
		return -ENOMEM;

	v->line = line;
	v->first = 0;
	names->count++;
	return 0;
}

/* Collect the username of every well-formed line. */
static int
userfile_names_read(FILE *fp, struct userfile_names *names)
{
	unsigned long number = 0;
	char *line = NULL, *name, *hash;
	size_t cap = 0;
	int rc;

	while ((rc = userfile_line_read(fp, &line, &cap)) != 0) {
		number++;
		if (rc == -EBADMSG)
			continue;
		if (rc < 0)
			break;

		if (userfile_line_ignored(line) ||
		    userfile_record_parse(line, &name, &hash) != 0)
			continue;

		rc = userfile_names_add(names, name, number);
		if (rc < 0)
			break;
	}

	free(line);
	return rc;
}

static void
userfile_names_free(struct userfile_names *names)
{
	size_t i;

	for (i = 0; i < names->count; i++)
		free(names->v[i].name);
	free(names->v);
}

static int
userfile_name_cmp(const void *a, const void *b)
{
	const struct userfile_name *x = a, *y = b;
	int rc;

	rc = strcmp(x->name, y->name);
	if (rc != 0)
		return rc;

	return (x->line > y->line) - (x->line < y->line);
}

static int
userfile_line_cmp(const void *a, const void *b)
{
	const struct userfile_name *x = a, *y = b;

	return (x->line > y->line) - (x->line < y->line);
}

/*
 * Mark each later line of a username with the line that counts, and
 * return how many were marked. The list ends in line order.
 */
static int
userfile_names_mark(struct userfile_names *names)
{
	struct userfile_name *v = names->v;
	size_t i, first = 0;
	int marked = 0;

	if (names->count < 2)
		return 0;

	qsort(v, names->count, sizeof(*v), userfile_name_cmp);
	for (i = 1; i < names->count; i++) {
		if (strcmp(v[i].name, v[first].name) != 0) {
			first = i;
			continue;
		}

		v[i].first = v[first].line;
		marked++;
	}

	qsort(v, names->count, sizeof(*v), userfile_line_cmp);
	return marked;
}

int
userfile_duplicates(const char *path, userfile_duplicate_fn *fn, void *arg)
{
	struct userfile_names names = { NULL, 0, 0 };
	FILE *fp;
	size_t i;
	int rc;

	fp = regfile_fopen(path);
	if (fp == NULL)
		return -errno;
	userfile_bom_skip(fp);

	rc = userfile_names_read(fp, &names);
	fclose(fp);
	if (rc == 0)
		rc = userfile_names_mark(&names);

	for (i = 0; rc > 0 && i < names.count; i++) {
		if (names.v[i].first != 0)
			fn(arg, names.v[i].line, names.v[i].first,
			    names.v[i].name);
	}

	userfile_names_free(&names);
	return rc;
}

/* Make the "username:hash\n" line for a new password. */
static int
userfile_record_new(const char *user, const char *password, char *record,
    size_t size)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	char hash[CRYPT_OUTPUT_SIZE];
	int rc;

	if (crypt_gensalt_rn(NULL, 0, NULL, 0, setting, sizeof(setting)) ==
	    NULL)
		return errno != 0 ? -errno : -EINVAL;

	rc = userfile_crypt(password, setting, hash);
	if (rc != 0)
		return rc;

	if (snprintf(record, size, "%s:%s\n", user, hash) >= (int)size)
		return -ENAMETOOLONG;

	return 0;
}

/* Give the new file the old one's owner and mode, at most 640. */
static int
userfile_tmp_attributes(int fd, FILE *old)
{
	struct stat now, before;
	mode_t mode;

	if (old != NULL && fstat(fileno(old), &before) != 0)
		return -errno;

	/*
	 * A narrower mode of the old file stays, so that the group of the old
	 * file does not gain read access to the hashes.
	 */
	mode = USERFILE_MODE;
	if (old != NULL)
		mode = (before.st_mode & USERFILE_MODE) | S_IRUSR | S_IWUSR;

	if (fchmod(fd, mode) != 0 || fstat(fd, &now) != 0)
		return -errno;

	if (old == NULL)
		return 0;

	if (before.st_uid == now.st_uid && before.st_gid == now.st_gid)
		return 0;

	if (fchown(fd, before.st_uid, before.st_gid) != 0)
		return -errno;

	return 0;
}

static void
userfile_tmp_discard(struct userfile_tmp *tmp)
{
	fclose(tmp->fp);
	unlink(tmp->path);
}

static int
userfile_tmp_open(struct userfile_tmp *tmp, const char *path, FILE *old)
{
	int fd, rc;

	if (snprintf(tmp->path, sizeof(tmp->path), "%s.XXXXXX", path) >=
	    (int)sizeof(tmp->path))
		return -ENAMETOOLONG;

	fd = mkstemp(tmp->path);
	if (fd < 0)
		return -errno;

	tmp->fp = fdopen(fd, "w");
	if (tmp->fp == NULL) {
		rc = -errno;
		close(fd);
		unlink(tmp->path);
		return rc;
	}

	rc = userfile_tmp_attributes(fd, old);
	if (rc != 0)
		userfile_tmp_discard(tmp);
	return rc;
}

/* Write the temporary file to disk and move it over path. */
static int
userfile_tmp_commit(struct userfile_tmp *tmp, const char *path, int dirfd)
{
	int rc = 0;

	if (fflush(tmp->fp) != 0 || fsync(fileno(tmp->fp)) != 0)
		rc = -errno;

	if (fclose(tmp->fp) != 0 && rc == 0)
		rc = -errno;

	if (rc == 0 && rename(tmp->path, path) != 0)
		rc = -errno;

	if (rc != 0) {
		unlink(tmp->path);
		return rc;
	}

	/* The rename itself is durable only once the directory is synced. */
	if (fsync(dirfd) != 0)
		return -errno;

	return 0;
}

/*
 * Copy one line to out. The user's first line becomes record, or goes
 * away when record is NULL, and later lines of the same user are dropped.
 */
static int
userfile_copy_line(FILE *out, char *line, const char *user,
    const char *record, bool *found)
{
	char *name, *hash;
	int rc;

	if (userfile_line_ignored(line)) {
		fprintf(out, "%s\n", line);
		return 0;
	}

	rc = userfile_record_parse(line, &name, &hash);
	if (rc != 0)
		return rc;

	if (strcmp(name, user) != 0)
		fprintf(out, "%s:%s\n", name, hash);
	else if (!*found && record != NULL)
		fputs(record, out);

	if (strcmp(name, user) == 0)
		*found = true;

	return 0;
}

static int
userfile_copy(FILE *in, FILE *out, const char *user, const char *record,
    bool *found)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;

	*found = false;
	while (in != NULL && (rc = userfile_line_read(in, &line, &cap)) > 0) {
		rc = userfile_copy_line(out, line, user, record, found);
		if (rc != 0)
			break;
	}

	free(line);
	if (rc == 0 && !*found && record != NULL)
		fputs(record, out);

	if (rc == 0 && ferror(out))
		rc = -EIO;

	return rc;
}

/* Fill the open temporary file and put it in place of path. */
static int
userfile_tmp_fill(struct userfile_tmp *tmp, FILE *old, const char *user,
    const char *record, const char *path, int dirfd)
{
	bool found;
	int rc;

	rc = userfile_copy(old, tmp->fp, user, record, &found);
	if (rc == 0 && !found && record == NULL)
		rc = -ENOENT;

	if (rc != 0) {
		userfile_tmp_discard(tmp);
		return rc;
	}

	return userfile_tmp_commit(tmp, path, dirfd);
}

/* The part of userfile_rewrite that runs under the directory lock. */
static int
userfile_rewrite_locked(const char *path, const char *user,
    const char *record, int dirfd)
{
	struct userfile_tmp tmp;
	FILE *old;
	int rc;

	/* Deleting from a missing file finds no user, so nothing is made. */
	old = regfile_fopen(path);
	if (old == NULL && (errno != ENOENT || record == NULL))
		return -errno;

	/* The new file is written without the mark. */
	if (old != NULL)
		userfile_bom_skip(old);

	rc = userfile_tmp_open(&tmp, path, old);
	if (rc == 0)
		rc = userfile_tmp_fill(&tmp, old, user, record, path, dirfd);

	if (old != NULL)
		fclose(old);
	return rc;
}

/*
 * Resolve path to the file that a rewrite replaces: the target of a
 * symbolic link, also when that target does not exist yet, so that the
 * link stays. Returns 0 or -errno (-ELOOP after 40 links, the kernel's
 * own limit).
 */
static int
userfile_target(const char *path, char *target, size_t size)
{
	char link[PATH_MAX], next[PATH_MAX];
	const char *slash;
	struct stat st;
	ssize_t n;
	int hops;

	if (snprintf(next, sizeof(next), "%s", path) >= (int)sizeof(next))
		return -ENAMETOOLONG;

	for (hops = 0; hops < 40; hops++) {
		if (realpath(next, target) != NULL)
			return 0;
		if (errno != ENOENT || lstat(next, &st) != 0 ||
		    !S_ISLNK(st.st_mode))
			break;

		n = readlink(next, link, sizeof(link) - 1);
		if (n < 0)
			return -errno;
		link[n] = '\0';

		/* A relative target is relative to the link's directory. */
		slash = strrchr(next, '/');
		if (link[0] == '/' || slash == NULL)
			snprintf(next, sizeof(next), "%s", link);
		else if (snprintf(next + (slash - next) + 1,
		    sizeof(next) - (size_t)(slash - next) - 1, "%s", link) >=
		    (int)(sizeof(next) - (size_t)(slash - next) - 1))
			return -ENAMETOOLONG;
	}

	if (hops == 40)
		return -ELOOP;
	if (snprintf(target, size, "%s", next) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * Replace the user's line with record, or delete it when record is NULL.
 * An exclusive flock on the directory serialises concurrent writers,
 * because a lock on the file itself would be lost with the rename.
 */
static int
userfile_rewrite(const char *path, const char *user, const char *record)
{
	char target[PATH_MAX];
	int dirfd, rc;

	/* Through a symbolic link, the new file replaces its target. */
	rc = userfile_target(path, target, sizeof(target));
	if (rc != 0)
		return rc;
	path = target;

	dirfd = regfile_dir_open(path);
	if (dirfd < 0)
		return dirfd;

	if (flock(dirfd, LOCK_EX) != 0) {
		rc = -errno;
		close(dirfd);
		return rc;
	}

	rc = userfile_rewrite_locked(path, user, record, dirfd);
	close(dirfd);
	return rc;
}

int
userfile_set(const char *path, const char *user, const char *password)
{
	char record[USERFILE_NAME_MAX + CRYPT_OUTPUT_SIZE + 3];
	int rc;

	if (!userfile_name_valid(user) || !userfile_password_valid(password))
		return -EINVAL;

	rc = userfile_record_new(user, password, record, sizeof(record));
	if (rc != 0)
		return rc;

	return userfile_rewrite(path, user, record);
}

int
userfile_delete(const char *path, const char *user)
{
	if (!userfile_name_valid(user))
		return -EINVAL;

	return userfile_rewrite(path, user, NULL);
}
