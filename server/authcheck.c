/*
 * The checks behind headend -t, a start and a reload that look past the
 * configuration file at the system: accounts, user files, PAM service
 * files, and the paths that headend writes. Each finding goes to the
 * caller's report function.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "authcheck.h"
#include "regfile.h"
#include "state.h"
#include "userfile.h"

/*
 * Where Linux-PAM 1.5 (Debian 12) looks for a service file, in this
 * order. A service with no file in either uses the "other" service.
 */
static const char *const pam_dirs[] = { "/etc/pam.d", "/usr/lib/pam.d" };

#define AUTHCHECK_FOLDERS_MAX	8

struct authcheck {
	const struct config	*cfg;
	authcheck_report_fn	*report;
	void			*arg;
	const char		*user_file;	/* the file being read */
	bool			lines_fatal;
	int			errors;
	/* Folders warned about, so that each of the first 8 gets one line. */
	char			open_folders[AUTHCHECK_FOLDERS_MAX][PATH_MAX];
	size_t			nopen_folders;
};

static void __attribute__((format(printf, 3, 4)))
authcheck_say(struct authcheck *ac, bool error, const char *fmt, ...)
{
	char text[2 * PATH_MAX + 512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ac->report(ac->arg, error, text);
	if (error)
		ac->errors++;
}

static void
authcheck_user_line(void *arg, unsigned long line, const char *reason)
{
	struct authcheck *ac = arg;

	if (userfile_reason_warns(reason)) {
		authcheck_say(ac, false, "%s:%lu: %s: set that user's "
		    "password again with \"headendctl user add\"",
		    ac->user_file, line, reason);
		return;
	}

	authcheck_say(ac, ac->lines_fatal, "%s:%lu: invalid line, %s: write "
	    "\"username:hash\" with a crypt(3) hash, a comment starting with "
	    "'#' or a blank line; or delete the line and set that user's "
	    "password again with \"headendctl user add\"", ac->user_file,
	    line, reason);
}

static void
authcheck_user_duplicate(void *arg, unsigned long line,
    unsigned long first_line, const char *user)
{
	struct authcheck *ac = arg;

	authcheck_say(ac, false, "%s:%lu: user \"%s\" is also on line %lu, "
	    "whose hash counts, so this line is ignored: delete one of the "
	    "two lines, or set the password again with \"headendctl user "
	    "add\", which keeps only the first", ac->user_file, line, user,
	    first_line);
}

/* Return whether an earlier password group uses tg's user file. */
static bool
authcheck_user_file_seen(const struct config *cfg,
    const struct config_tgroup *tg)
{
	const struct config_tgroup *other;

	for (other = cfg->tgroups; other < tg; other++) {
		if (other->auth != AUTH_METHOD_CERTIFICATE &&
		    other->backend == PASSWORD_USER_FILE &&
		    strcmp(other->user_file, tg->user_file) == 0)
			return true;
	}
	return false;
}

/* Check each line of a tunnel-group's user file. */
static void
authcheck_user_file(struct authcheck *ac, const struct config_tgroup *tg)
{
	const char *path = ac->cfg->path;
	int rc;

	ac->user_file = tg->user_file;
	rc = userfile_check(tg->user_file, authcheck_user_line, ac);
	if (rc == -ENOENT)
		authcheck_say(ac, true, "%s:%d: user file %s of tunnel-group "
		    "\"%s\" does not exist: create it with \"headendctl user "
		    "add -f %s USERNAME\"", path, tg->user_file_line,
		    tg->user_file, tg->name, tg->user_file);
	else if (rc < 0 && rc != -EBADMSG)
		authcheck_say(ac, true, "%s:%d: cannot read user file %s of "
		    "tunnel-group \"%s\": %s", path, tg->user_file_line,
		    tg->user_file, tg->name, regfile_strerror(-rc));
	else
		userfile_duplicates(tg->user_file, authcheck_user_duplicate,
		    ac);
}

/*
 * PAM falls back to the "other" service for a name without a file, which
 * may be intended, so this is only a warning.
 */
static void
authcheck_pam_service(struct authcheck *ac, const struct config_tgroup *tg)
{
	const char *name = tg->pam_service;
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(pam_dirs) / sizeof(pam_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pam_dirs[i], name);
		if (stat(path, &st) == 0)
			return;
	}

	authcheck_say(ac, false, "%s:%d: pam-service \"%s\" of tunnel-group "
	    "\"%s\" has no file %s/%s or %s/%s, so PAM uses the \"other\" "
	    "service: create %s/%s unless that is intended", ac->cfg->path,
	    tg->pam_service_line, name, tg->name, pam_dirs[0], name,
	    pam_dirs[1], name, pam_dirs[0], name);
}

/* Check that the account exists: the network process switches to it. */
static void
authcheck_account(struct authcheck *ac)
{
	const struct config *cfg = ac->cfg;
	char where[PATH_MAX + 16];
	struct passwd *pw;

	if (cfg->user_line > 0)
		snprintf(where, sizeof(where), "%s:%d", cfg->path,
		    cfg->user_line);
	else
		snprintf(where, sizeof(where), "%s", cfg->path);

	errno = 0;
	if ((pw = getpwnam(cfg->user)) != NULL && pw->pw_uid != 0)
		return;

	if (pw != NULL)
		authcheck_say(ac, true, "%s: user \"%s\" is root (uid 0), but "
		    "the network process must run without root's rights: "
		    "set user to an unprivileged account, such as the "
		    "default \"headend\" (useradd --system headend)", where,
		    cfg->user);
	else if (errno != 0 && errno != ENOENT)
		authcheck_say(ac, true, "%s: cannot look up user \"%s\": %s",
		    where, cfg->user, strerror(errno));
	else
		authcheck_say(ac, true, "%s: user \"%s\"%s does not exist: "
		    "create it with \"useradd --system %s\", or set user to "
		    "an existing account", where, cfg->user,
		    cfg->user_line > 0 ? "" : " (the default)", cfg->user);
}

/*
 * A start binds the status socket only where a socket or nothing is, so
 * that it never deletes another file there.
 */
static void
authcheck_status_socket(struct authcheck *ac)
{
	const char *path = ac->cfg->status_socket;
	struct stat st;

	if (lstat(path, &st) != 0 || S_ISSOCK(st.st_mode))
		return;

	authcheck_say(ac, true, "%s: status-socket %s exists and is not a "
	    "socket, so a start would fail: move it away, or set "
	    "status-socket to another path", ac->cfg->path, path);
}

/* Return whether path names the same existing file as st. */
static bool
authcheck_same_file(const char *path, const struct stat *st)
{
	struct stat other;

	return (path[0] != '\0' && stat(path, &other) == 0 &&
	    other.st_dev == st->st_dev && other.st_ino == st->st_ino);
}

/* Return the role of a file the configuration reads that is st, or NULL. */
static const char *
authcheck_input_role(const struct config *cfg, const struct stat *st)
{
	const struct config_listener *l;
	const struct config_tgroup *tg;
	size_t i, j;

	if (authcheck_same_file(cfg->path, st))
		return ("configuration file");
	for (i = 0; i < cfg->nlisteners; i++) {
		l = &cfg->listeners[i];
		if (authcheck_same_file(l->certificate, st) ||
		    authcheck_same_file(l->key, st) ||
		    authcheck_same_file(l->chain, st) ||
		    authcheck_same_file(l->next_certificate, st))
			return ("certificate or key of a listener");
	}
	for (i = 0; i < cfg->ntgroups; i++) {
		tg = &cfg->tgroups[i];
		if (tg->backend == PASSWORD_USER_FILE &&
		    tg->auth != AUTH_METHOD_CERTIFICATE &&
		    authcheck_same_file(tg->user_file, st))
			return ("user file of a tunnel-group");
		for (j = 0; j < tg->nca_files; j++)
			if (authcheck_same_file(tg->ca_files[j], st))
				return ("CA file of a tunnel-group");
		if (authcheck_same_file(tg->crl_file, st))
			return ("CRL file of a tunnel-group");
	}
	return (NULL);
}

/*
 * headend writes the session journal and its key, and a start sets aside
 * a file that is not a journal, so neither may be a file it reads.
 */
static void
authcheck_state_path(struct authcheck *ac, const char *what,
    const char *fix, const char *path)
{
	const char *role;
	struct stat st;

	if (path[0] != '\0' && strcmp(path, ac->cfg->status_socket) == 0)
		authcheck_say(ac, true, "%s: status-socket %s is also the path "
		    "of %s: headend writes its session state there; set "
		    "status-socket to another path", ac->cfg->path, path,
		    what);
	if (path[0] == '\0' || stat(path, &st) != 0)
		return;

	role = authcheck_input_role(ac->cfg, &st);
	if (role != NULL)
		authcheck_say(ac, true, "%s: %s %s is also the %s: headend "
		    "writes its session state there; set %s to another path",
		    ac->cfg->path, what, path, role, fix);
}

/*
 * The files headend writes next to the state file: the journal's lock
 * and rewrite, the bans, and the names that a file set aside gets.
 */
static const char *const authcheck_state_suffixes[] = {
	".lock", ".tmp", ".bans", ".bans.tmp", ".stale", ".rejected",
};

static void
authcheck_state_files(struct authcheck *ac)
{
	char key[PATH_MAX], path[PATH_MAX + 16], what[64];
	size_t i;

	if (ac->cfg->state_file[0] == '\0')
		return;

	authcheck_state_path(ac, "state-file", "state-file",
	    ac->cfg->state_file);
	for (i = 0; i < sizeof(authcheck_state_suffixes) /
	    sizeof(authcheck_state_suffixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", ac->cfg->state_file,
		    authcheck_state_suffixes[i]);
		snprintf(what, sizeof(what), "the state file's %s file",
		    authcheck_state_suffixes[i]);
		authcheck_state_path(ac, what, "state-file", path);
	}
	if (ac->cfg->key_file[0] != '\0')
		authcheck_state_path(ac, "key-file", "key-file",
		    ac->cfg->key_file);
	else if (state_key_path(ac->cfg, key, sizeof(key)) == 0)
		authcheck_state_path(ac, "the state file's key file",
		    "state-file, or key-file,", key);
}

/*
 * Return whether every folder above path lets every user through, so
 * that the file's own mode decides who may open it.
 */
static bool
authcheck_path_open(const char *path)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	while ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (stat(dir, &st) != 0 || (st.st_mode & S_IXOTH) == 0)
			return (false);
	}
	return (true);
}

/*
 * Find the lowest folder above path that every user of the host may
 * write to and whose sticky bit is clear. There they may rename path, or
 * the folder that leads to it, and put their own in its place.
 */
static bool
authcheck_open_folder(const char *path, char *dir, size_t len)
{
	char *slash;
	struct stat st;

	snprintf(dir, len, "%s", path);
	while ((slash = strrchr(dir, '/')) != NULL) {
		slash[slash == dir ? 1 : 0] = '\0';
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
		    (st.st_mode & (S_IWOTH | S_IXOTH)) == (S_IWOTH | S_IXOTH) &&
		    (st.st_mode & S_ISVTX) == 0)
			return (true);
		if (slash == dir)
			break;
	}
	return (false);
}

/*
 * Warn about a file that headend trusts in a folder where every user of
 * the host may replace it, once per folder.
 */
static void
authcheck_folder_warn(struct authcheck *ac, const char *what,
    const char *path)
{
	char dir[PATH_MAX];
	size_t i;

	if (!authcheck_open_folder(path, dir, sizeof(dir)))
		return;
	for (i = 0; i < ac->nopen_folders; i++) {
		if (strcmp(dir, ac->open_folders[i]) == 0)
			return;
	}
	if (ac->nopen_folders < AUTHCHECK_FOLDERS_MAX)
		snprintf(ac->open_folders[ac->nopen_folders++], PATH_MAX, "%s",
		    dir);
	authcheck_say(ac, false, "every user of the host may write to the "
	    "folder %s and so replace the %s %s: chmod o-w %s", dir, what,
	    path, dir);
}

/*
 * Check the folders of path as written and, through a symbolic link,
 * those of the file it leads to, where a replaced file counts as well.
 */
static void
authcheck_folder_mode(struct authcheck *ac, const char *what,
    const char *path)
{
	char real[PATH_MAX];

	authcheck_folder_warn(ac, what, path);
	if (realpath(path, real) != NULL && strcmp(real, path) != 0)
		authcheck_folder_warn(ac, what, real);
}

/*
 * Warn about a secret that a group, or the account of the network
 * process, may change: they could add themselves a VPN account or swap
 * the key. Only root needs to write it.
 */
static void
authcheck_secret_owner(struct authcheck *ac, const char *what,
    const char *path, const struct stat *st)
{
	struct passwd *pw = getpwnam(ac->cfg->user);
	struct group *gr;
	char gid[16];

	if (pw != NULL && pw->pw_uid != 0 && st->st_uid == pw->pw_uid)
		authcheck_say(ac, false, "%s %s belongs to \"%s\", the "
		    "account of the network process, which must not be able "
		    "to change it: chown root %s", what, path, ac->cfg->user,
		    path);
	if ((st->st_mode & S_IWGRP) == 0 || st->st_gid == 0)
		return;

	snprintf(gid, sizeof(gid), "%u", (unsigned int)st->st_gid);
	gr = getgrgid(st->st_gid);
	authcheck_say(ac, false, "%s %s can be changed by the members of "
	    "group %s: chmod g-w %s", what, path, gr != NULL ? gr->gr_name :
	    gid, path);
}

/*
 * Warn about a secret that every user of the host may read or change: a
 * key lets them pose as the headend, and a user file's hashes let them
 * guess passwords offline.
 */
static void
authcheck_secret_mode(struct authcheck *ac, const char *what,
    const char *path, const char *mode)
{
	struct stat st;

	authcheck_folder_mode(ac, what, path);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return;

	authcheck_secret_owner(ac, what, path, &st);
	if ((st.st_mode & (S_IROTH | S_IWOTH)) == 0 ||
	    !authcheck_path_open(path))
		return;
	authcheck_say(ac, false, "%s %s can be %s by every user of the "
	    "host: chmod %s %s", what, path, st.st_mode & S_IWOTH ?
	    "changed" : "read", mode, path);
}

/*
 * Warn about a file that decides whom clients and headend trust, and
 * that every user of the host may change: with the configuration, a CA
 * or a CRL, they could let themselves in or lock others out.
 */
static void
authcheck_trusted_mode(struct authcheck *ac, const char *what,
    const char *path)
{
	struct stat st;

	if (path[0] == '\0')
		return;
	authcheck_folder_mode(ac, what, path);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & S_IWOTH) == 0 || !authcheck_path_open(path))
		return;
	authcheck_say(ac, false, "%s %s can be changed by every user of the "
	    "host: chmod o-w %s", what, path, path);
}

static void
authcheck_trusted_files(struct authcheck *ac)
{
	const struct config *cfg = ac->cfg;
	const struct config_listener *l;
	size_t i, j;

	authcheck_trusted_mode(ac, "configuration file", cfg->path);
	for (i = 0; i < cfg->nlisteners; i++) {
		l = &cfg->listeners[i];
		authcheck_trusted_mode(ac, "certificate", l->certificate);
		authcheck_trusted_mode(ac, "chain", l->chain);
		authcheck_trusted_mode(ac, "next-certificate",
		    l->next_certificate);
	}
	for (i = 0; i < cfg->ntgroups; i++) {
		for (j = 0; j < cfg->tgroups[i].nca_files; j++)
			authcheck_trusted_mode(ac, "CA file",
			    cfg->tgroups[i].ca_files[j]);
		authcheck_trusted_mode(ac, "CRL file",
		    cfg->tgroups[i].crl_file);
	}
}

static void
authcheck_secrets(struct authcheck *ac)
{
	const struct config *cfg = ac->cfg;
	size_t i;

	for (i = 0; i < cfg->nlisteners; i++)
		authcheck_secret_mode(ac, "key", cfg->listeners[i].key,
		    "600");
	for (i = 0; i < cfg->ntgroups; i++) {
		if (cfg->tgroups[i].auth != AUTH_METHOD_CERTIFICATE &&
		    cfg->tgroups[i].backend != PASSWORD_PAM &&
		    !authcheck_user_file_seen(cfg, &cfg->tgroups[i]))
			authcheck_secret_mode(ac, "user file",
			    cfg->tgroups[i].user_file, "640");
	}
}

int
authcheck_config(const struct config *cfg, bool lines_fatal,
    authcheck_report_fn *report, void *arg)
{
	struct authcheck ac = { .cfg = cfg, .report = report, .arg = arg,
	    .lines_fatal = lines_fatal };
	const struct config_tgroup *tg;
	size_t i;

	authcheck_account(&ac);
	authcheck_status_socket(&ac);
	authcheck_state_files(&ac);
	authcheck_secrets(&ac);
	authcheck_trusted_files(&ac);
	for (i = 0; i < cfg->ntgroups; i++) {
		tg = &cfg->tgroups[i];
		if (tg->auth == AUTH_METHOD_CERTIFICATE)
			continue;
		if (tg->backend == PASSWORD_PAM)
			authcheck_pam_service(&ac, tg);
		else if (!authcheck_user_file_seen(cfg, tg))
			authcheck_user_file(&ac, tg);
	}
	return (ac.errors);
}

int
authcheck_state_paths(const struct config *cfg, authcheck_report_fn *report,
    void *arg)
{
	struct authcheck ac = { .cfg = cfg, .report = report, .arg = arg };

	authcheck_state_files(&ac);
	return (ac.errors);
}
