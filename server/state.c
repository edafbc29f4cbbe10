/* The parent's side of the session journal, declared in state.h. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "journal.h"
#include "log.h"
#include "state.h"

#define STATE_SYNC_DELAY	1	/* seconds an update may wait */
#define STATE_RETRY_DELAY	5	/* seconds between rewrite attempts */
#define STATE_CHECK_INTERVAL	10	/* seconds between looks at the files */
#define STATE_REWRITE_LOG_EVERY	360	/* failed rewrites per log line */
#define STATE_KEY_SUFFIX	".key"
#define STATE_STALE_SUFFIX	".stale"	/* a file no start could use */
#define STATE_BANS_SUFFIX	".bans"

/* The session flags the journal keeps; IPC and the journal share them. */
#define STATE_FLAGS	(JOURNAL_ATTACHED | JOURNAL_CONNECTED)
_Static_assert(JOURNAL_ATTACHED == IPC_SESSION_ATTACHED &&
    JOURNAL_CONNECTED == IPC_SESSION_CONNECTED,
    "session flags pass between IPC and the journal unchanged");

struct state {
	struct journal	*journal;	/* NULL: sessions are not kept */
	char		path[PATH_MAX];
	uint8_t		opaque_key[JOURNAL_KEY_LEN];
	char		key_path[PATH_MAX];
	uint8_t		master[JOURNAL_KEY_LEN]; /* the key file's bytes */
	bool		have_master;
	struct event	*sync;		/* batches the updates' fdatasync */
	struct event	*check;		/* looks for deleted files */
	uint64_t	rewrite_tries;	/* failed since the files went */
	bool		key_replaced;	/* the key file has another key */
	bool		key_unusable;	/* the key file cannot be read */
	bool		sessions_missed; /* a login failed to reach the table */
	bool		reopen;		/* the start could not open the file */
	uint64_t	failures;	/* appends that failed */
	bool		failing;	/* the last write failed */
};

/* A session that has expired by the clock is not worth restoring. */
static bool
state_keep_session(const struct journal_session *s, void *arg)
{
	time_t now = *(const time_t *)arg;

	return (s->expires == 0 || s->expires > now);
}

int
state_key_path(const struct config *cfg, char *buf, size_t len)
{
	int n;

	if (cfg->key_file[0] != '\0')
		n = snprintf(buf, len, "%s", cfg->key_file);
	else
		n = snprintf(buf, len, "%s%s", cfg->state_file,
		    STATE_KEY_SUFFIX);
	return (n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0);
}

/* Create the directory of path, but not its parents, when missing. */
static int
state_mkdir(const char *path)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0700) != 0 && errno != EEXIST)
		return (-errno);
	return (0);
}

/*
 * Warn when others than root may write the folder: they could put an old
 * copy of the state file back while headend is stopped, which would
 * restore sessions that were logged off.
 */
static void
state_dir_check(const char *path, const char *what)
{
	char dir[PATH_MAX];
	struct stat sb;

	snprintf(dir, sizeof(dir), "%s", path);
	if (stat(dirname(dir), &sb) != 0)
		return;
	if (sb.st_uid == 0 && (sb.st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return;

	/* A shared folder such as /tmp must keep its mode: move the file. */
	log_warnx("the folder %s of the %s is writable by others than root "
	    "(owner uid %u, mode %04o): they could put back an old copy and "
	    "restore sessions that were logged off; %s", dir, what,
	    (unsigned)sb.st_uid, (unsigned)(sb.st_mode & 07777),
	    (sb.st_mode & S_ISVTX) != 0 || (sb.st_mode & S_IWOTH) != 0 ?
	    "give it a folder of its own, such as /var/lib/headend" :
	    "make the folder owned by root with mode 0700");
}

/* Create the directory of the state file or key file (what), or log why not. */
static void
state_make_dir(const char *path, const char *what)
{
	if (state_mkdir(path) != 0)
		log_warn("cannot create the directory of the %s %s", what,
		    path);
	else
		state_dir_check(path, what);
}

/*
 * Read the key file at st->key_path, or create it, into st->master, which
 * is kept to write the key file again if someone deletes it.
 */
static int
state_master_load(struct state *st, char *err, size_t errlen)
{
	uint8_t master[JOURNAL_KEY_LEN];
	int rc;

	rc = journal_key_load_or_create(st->key_path, master, err, errlen);
	if (rc == 0) {
		memcpy(st->master, master, sizeof(st->master));
		st->have_master = true;
	}
	OPENSSL_cleanse(master, sizeof(master));
	return (rc);
}

/*
 * Load the key file and derive the journal's key and the login handle
 * key from it. Without it, the login handle key is random.
 */
static int
state_load_keys(struct state *st, const struct config *cfg,
    uint8_t journal_key[JOURNAL_KEY_LEN])
{
	char path[PATH_MAX], err[PATH_MAX + 512];
	int rc;

	if (RAND_bytes(st->opaque_key, sizeof(st->opaque_key)) != 1)
		fatalx("RAND_bytes failed");
	if ((rc = state_key_path(cfg, path, sizeof(path))) != 0) {
		log_warnx("the key file path %s.key is too long; sessions "
		    "will not survive a restart", cfg->state_file);
		return (rc);
	}
	snprintf(st->key_path, sizeof(st->key_path), "%s", path);
	state_make_dir(path, "key file");
	rc = state_master_load(st, err, sizeof(err));
	if (rc == 0 && (journal_key_derive(st->master, JOURNAL_LABEL_JOURNAL,
	    journal_key) != 0 || journal_key_derive(st->master,
	    JOURNAL_LABEL_OPAQUE, st->opaque_key) != 0)) {
		snprintf(err, sizeof(err), "key derivation from key file %s "
		    "failed", path);
		OPENSSL_cleanse(st->master, sizeof(st->master));
		st->have_master = false;
		rc = -EIO;
	}
	if (rc != 0)
		log_warnx("%s; sessions will not survive a restart until the "
		    "key file can be used (tried every %d s)", err,
		    STATE_CHECK_INTERVAL);
	return (rc);
}

static void
state_report_open(const struct state *st, int status, const char *err)
{
	size_t n = journal_count(st->journal);

	/* The journal's messages name the file. */
	switch (status) {
	case JOURNAL_TRUNCATED:
		log_warnx("%s; kept the %zu session(s) before it", err, n);
		break;
	case JOURNAL_CORRUPT:
	case JOURNAL_FOREIGN:
		log_warnx("%s", err);
		break;
	default:
		log_notice("state file %s: %zu session(s) to restore",
		    st->path, n);
	}
}

/*
 * Log the first failure and then one in a thousand, with the count. The
 * text what names the failed step, such as "cannot record the login of
 * session 5".
 */
static void
state_failed(struct state *st, const char *what, int rc)
{
	st->failing = true;
	if (st->failures++ % 1000 != 0)
		return;
	log_warnx("state file %s: %s: %s (%llu failure(s) so far)", st->path,
	    what, strerror(-rc), (unsigned long long)st->failures);
}

/* state_failed for one session's record. */
static void
state_record_failed(struct state *st, const char *event, uint64_t id,
    int rc)
{
	char what[96];

	snprintf(what, sizeof(what), "cannot record the %s of session %llu",
	    event, (unsigned long long)id);
	state_failed(st, what, rc);
}

/* Say once that writes work again after failures. */
static void
state_succeeded(struct state *st)
{
	if (!st->failing)
		return;
	st->failing = false;
	log_notice("state file %s: written again after %llu failure(s)",
	    st->path, (unsigned long long)st->failures);

	/* The next outage is logged from its first failure again. */
	st->failures = 0;
}

static void
state_sync_cb(evutil_socket_t fd, short events, void *arg)
{
	static const struct timeval retry = { STATE_RETRY_DELAY, 0 };
	struct state *st = arg;
	int rc;

	(void)fd;
	(void)events;
	if (st->journal == NULL)
		return;
	if ((rc = journal_sync(st->journal)) == 0) {
		state_succeeded(st);
		return;
	}

	/* A logout that the file misses must reach it: try again. */
	if (journal_needs_rewrite(st->journal)) {
		state_failed(st, "cannot rewrite it, trying again", rc);
		evtimer_add(st->sync, &retry);
	} else {
		state_failed(st, "cannot sync it to disk", rc);
	}
}

/* Return whether nothing, not even a dangling link, is at the key path. */
static bool
state_key_gone(const struct state *st)
{
	struct stat sb;

	return (st->have_master && lstat(st->key_path, &sb) != 0 &&
	    (errno == ENOENT || errno == ENOTDIR));
}

/*
 * Warn once when the key file cannot be used: the next start would then
 * run without the saved sessions. A file of the wrong size (emptied or
 * cut short) is moved to KEY.damaged, and the key in use is written
 * again. A key that is missing is state_key_gone's case.
 */
static void
state_key_unusable(struct state *st, int rc, const char *err)
{
	char aside[PATH_MAX + 16];

	/* Warned and tried once already. The next good read clears the flag. */
	if (rc == -ENOENT || rc == -ENOTDIR || st->key_unusable)
		return;
	st->key_unusable = true;
	log_warnx("%s; the next start would not restore the %zu session(s) "
	    "of state file %s%s", err, journal_count(st->journal), st->path,
	    rc == -EINVAL ? ", so the key in use is written again" : "");
	if (rc != -EINVAL)
		return;

	snprintf(aside, sizeof(aside), "%s.damaged", st->key_path);
	rc = rename(st->key_path, aside) != 0 ? -errno :
	    journal_key_write(st->key_path, st->master);
	if (rc != 0) {
		log_warnx("cannot write key file %s again: %s", st->key_path,
		    strerror(-rc));
		return;
	}
	st->key_unusable = false;
	log_notice("key file %s: written again; the damaged one is %s",
	    st->key_path, aside);
}

/*
 * Warn once when the key file contains another key than the one in use:
 * the next start would then set the state file aside with its sessions.
 */
static void
state_check_key_bytes(struct state *st)
{
	uint8_t key[JOURNAL_KEY_LEN];
	char err[512];
	bool same;
	int rc;

	if (!st->have_master)
		return;
	err[0] = '\0';
	if ((rc = journal_key_read(st->key_path, key, err, sizeof(err))) != 0) {
		state_key_unusable(st, rc, err);
		return;
	}
	st->key_unusable = false;
	same = CRYPTO_memcmp(key, st->master, sizeof(key)) == 0;
	OPENSSL_cleanse(key, sizeof(key));
	if (same || st->key_replaced) {
		st->key_replaced = !same;
		return;
	}

	st->key_replaced = true;
	log_warnx("key file %s contains another key than the one that state "
	    "file %s is written with, so the next start will set the state "
	    "file aside with its %zu session(s): put the old key file back "
	    "to keep them", st->key_path, st->path,
	    journal_count(st->journal));
}

/*
 * Write the files that are gone again: the key file first, as the state
 * file is of no use without it. Returns 0 or -errno with *failed_path
 * naming the file that failed.
 */
static int
state_rewrite(struct state *st, bool key, bool journal,
    const char **failed_path)
{
	int rc = 0;

	if (key) {
		*failed_path = st->key_path;
		rc = state_mkdir(st->key_path);
		if (rc == 0)
			rc = journal_key_write(st->key_path, st->master);
		if (rc != 0 && rc != -EEXIST)
			return (rc);
	}
	if (journal) {
		*failed_path = st->path;
		rc = state_mkdir(st->path);
		if (rc == 0)
			rc = journal_recreate(st->journal);
	}
	return (rc == -EEXIST ? 0 : rc);
}

/* Every session of a file opened late is stale: none was restored. */
static bool
state_drop_session(const struct journal_session *s, void *arg)
{
	(void)s;
	(void)arg;
	return (false);
}

/*
 * Read the key file again after a start that could not use it. Only the
 * journal's key comes from it now: the login handles of this run keep
 * their random key.
 */
static int
state_retry_key(struct state *st)
{
	char err[PATH_MAX + 512];
	int rc;

	if ((rc = state_master_load(st, err, sizeof(err))) != 0) {
		if (st->rewrite_tries++ % STATE_REWRITE_LOG_EVERY == 0)
			log_warnx("%s; still no state file (%llu tries)", err,
			    (unsigned long long)st->rewrite_tries);
		return (rc);
	}
	log_notice("key file %s: usable now", st->key_path);
	return (0);
}

/*
 * Try again to open a state file that the start could not open. The
 * logins of this run before now are not in it, so they are missed.
 */
static void
state_reopen(struct state *st)
{
	uint8_t key[JOURNAL_KEY_LEN];
	char err[512];
	int rc;

	if (!st->have_master && state_retry_key(st) != 0)
		return;
	if (journal_key_derive(st->master, JOURNAL_LABEL_JOURNAL, key) != 0)
		return;
	rc = journal_open(st->path, key, &st->journal, state_drop_session,
	    NULL, err, sizeof(err));
	OPENSSL_cleanse(key, sizeof(key));
	if (rc < 0) {
		st->journal = NULL;
		if (st->rewrite_tries++ % STATE_REWRITE_LOG_EVERY == 0)
			log_warnx("cannot open the state file %s yet: %s (%llu "
			    "tries)", st->path, rc == -EBUSY ? "another "
			    "process has it open" : err,
			    (unsigned long long)st->rewrite_tries);
		return;
	}

	st->reopen = false;
	st->rewrite_tries = 0;
	st->sessions_missed = true;
	log_notice("state file %s: opened; new sessions survive a restart "
	    "from now on, those of this run before now do not", st->path);
}

/*
 * Write the state, lock and key files again when someone deleted them,
 * for example with the state directory, so that the sessions still
 * survive the next restart. The loss is logged once, and failures to
 * write the files again once an hour. A replaced key file is reported.
 */
static void
state_check_cb(evutil_socket_t fd, short events, void *arg)
{
	struct state *st = arg;
	const char *failed_path = st->path;
	bool key, journal;
	int rc;

	(void)fd;
	(void)events;
	if (st->journal == NULL && st->reopen)
		state_reopen(st);
	if (st->journal == NULL)
		return;
	key = state_key_gone(st);
	journal = journal_file_gone(st->journal);
	if (!key)
		state_check_key_bytes(st);
	if (!key && !journal) {
		if (st->rewrite_tries > 0)
			log_notice("state file %s and key file %s are back",
			    st->path, st->key_path);
		st->rewrite_tries = 0;
		return;
	}

	if (st->rewrite_tries == 0 && key)
		log_warnx("key file %s was deleted; writing it again",
		    st->key_path);
	if (st->rewrite_tries == 0 && journal)
		log_warnx("state file %s or its lock file was deleted or "
		    "replaced; writing them again", st->path);
	rc = state_rewrite(st, key, journal, &failed_path);
	if (rc == 0) {
		if (journal)
			log_notice("state file %s: written again with %zu "
			    "session(s)", st->path, journal_count(st->journal));
		else
			log_notice("key file %s: written again", st->key_path);
		st->rewrite_tries = 0;
		return;
	}
	if (st->rewrite_tries++ % STATE_REWRITE_LOG_EVERY == 0)
		log_warnx("cannot write %s again: %s; sessions will not "
		    "survive a restart until it is (%llu tries)", failed_path,
		    rc == -EBUSY ? "another process has its lock file" :
		    strerror(-rc), (unsigned long long)st->rewrite_tries);
}

/* Look at the files every STATE_CHECK_INTERVAL seconds. */
static int
state_watch(struct state *st, struct event_base *base)
{
	static const struct timeval every = { STATE_CHECK_INTERVAL, 0 };

	st->check = event_new(base, -1, EV_PERSIST, state_check_cb, st);
	if (st->check == NULL || event_add(st->check, &every) != 0)
		return (-ENOMEM);
	return (0);
}

/* Rename path to path.stale, named in aside. Returns 0 or -errno. */
static int
state_move_stale(const char *path, char *aside, size_t len)
{
	snprintf(aside, len, "%s%s", path, STATE_STALE_SUFFIX);
	return (rename(path, aside) == 0 ? 0 : -errno);
}

/*
 * A start that cannot use the state file restores none of its sessions,
 * and their clients' reconnects are rejected. So a later start must not
 * bring them back: the file is moved aside.
 */
static void
state_set_aside(const char *path)
{
	char aside[PATH_MAX + 16];
	struct stat sb;
	int rc;

	if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return;

	if ((rc = state_move_stale(path, aside, sizeof(aside))) == 0)
		log_notice("state file %s moved to %s: this start restores "
		    "none of its sessions, so no later start may", path,
		    aside);
	else
		log_warnx("cannot move state file %s aside: %s; a later "
		    "start would restore sessions that this one dropped, so "
		    "delete the file", path, strerror(-rc));
}

/*
 * The journal could not rewrite the file at the start, after it loaded
 * the sessions: they are restored anyway, and state_sync_cb writes the
 * file again every STATE_RETRY_DELAY seconds until that works.
 */
static void
state_retry_start_rewrite(struct state *st)
{
	static const struct timeval retry = { STATE_RETRY_DELAY, 0 };
	int rc;

	if (!journal_needs_rewrite(st->journal) ||
	    (rc = journal_sync(st->journal)) == 0)
		return;
	st->failing = true;
	st->failures = 1;
	log_warnx("cannot write the state file %s at the start: %s; its %zu "
	    "session(s) are restored, and the file is written again every "
	    "%d s until that works (a crash before then brings back "
	    "sessions that end meanwhile)", st->path, strerror(-rc),
	    journal_count(st->journal), STATE_RETRY_DELAY);
	evtimer_add(st->sync, &retry);
}

struct state *
state_open(const struct config *cfg, struct event_base *base)
{
	uint8_t key[JOURNAL_KEY_LEN];
	struct state *st;
	time_t now = time(NULL);
	char err[512];
	int rc;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return (NULL);
	snprintf(st->path, sizeof(st->path), "%s", cfg->state_file);
	if ((st->sync = evtimer_new(base, state_sync_cb, st)) == NULL) {
		free(st);
		return (NULL);
	}
	if (state_load_keys(st, cfg, key) != 0) {
		state_set_aside(st->path);
		st->reopen = st->key_path[0] != '\0';
		if (st->reopen && state_watch(st, base) != 0)
			log_warnx("cannot watch the key file %s: out of "
			    "memory", st->key_path);
		return (st);
	}
	state_make_dir(st->path, "state file");
	rc = journal_open(st->path, key, &st->journal, state_keep_session,
	    &now, err, sizeof(err));
	OPENSSL_cleanse(key, sizeof(key));
	if (rc == -EBUSY) {
		log_warnx("cannot open the state file %s: another process has "
		    "it open, such as another headend with the same "
		    "state-file; sessions will not survive a restart: give "
		    "each headend its own state-file", st->path);
		st->journal = NULL;
		return (st);
	}
	if (rc < 0) {
		log_warnx("cannot open the state file %s: %s; sessions will "
		    "not survive a restart until it opens (tried every %d s)",
		    st->path, err, STATE_CHECK_INTERVAL);
		st->journal = NULL;
		st->reopen = true;
		state_set_aside(st->path);
	} else {
		state_report_open(st, rc, err);
		state_retry_start_rewrite(st);
	}
	if (state_watch(st, base) != 0)
		log_warnx("cannot watch the state file %s: out of memory",
		    st->path);
	return (st);
}

static void
state_record_up(struct state *st, const struct ipc_session *msg)
{
	struct journal_session s;
	int rc;

	memset(&s, 0, sizeof(s));
	s.id = msg->id;
	memcpy(s.cookie_hash, msg->cookie_hash, sizeof(s.cookie_hash));
	snprintf(s.user, sizeof(s.user), "%s", msg->user);
	snprintf(s.group, sizeof(s.group), "%s", msg->group);
	snprintf(s.pool, sizeof(s.pool), "%s", msg->pool);
	s.addr = msg->addr;
	s.netmask = msg->netmask;
	s.started = msg->started;
	s.expires = msg->expires;
	s.last_seen = msg->last_seen;
	s.reconnects = msg->reconnects;
	s.flags = msg->flags & STATE_FLAGS;
	if ((rc = journal_append_up(st->journal, &s)) != 0) {
		/* The journal's table now misses a live session. */
		st->sessions_missed = true;
		state_record_failed(st, "login", s.id, rc);
	} else {
		state_succeeded(st);
	}
}

/*
 * A logout whose record is lost still ends the session in the journal's
 * memory, and the sync timer rewrites the file from there until it can.
 */
static void
state_record_down(struct state *st, uint64_t id)
{
	struct timeval tv = { STATE_SYNC_DELAY, 0 };
	int rc = journal_append_down(st->journal, id);

	if (rc == -ENOENT)
		return;		/* its login was never recorded */
	if (rc != 0) {
		state_record_failed(st, "logout", id, rc);
		if (!evtimer_pending(st->sync, NULL))
			evtimer_add(st->sync, &tv);
		return;
	}
	state_succeeded(st);
	if (journal_compact_due(st->journal) &&
	    (rc = journal_compact(st->journal)) != 0)
		state_failed(st, "compaction failed", rc);
}

void
state_record(struct state *st, const struct ipc_session *msg)
{
	struct timeval tv = { STATE_SYNC_DELAY, 0 };
	int rc = 0;

	if (st->journal == NULL)
		return;
	switch (msg->hdr.type) {
	case IPC_SESSION_UP:
		state_record_up(st, msg);
		return;
	case IPC_SESSION_UPDATE:
		rc = journal_append_update(st->journal, msg->id,
		    msg->last_seen, msg->reconnects,
		    msg->flags & STATE_FLAGS);
		if (rc == 0 && !evtimer_pending(st->sync, NULL))
			evtimer_add(st->sync, &tv);
		break;
	case IPC_SESSION_DOWN:
		state_record_down(st, msg->id);
		return;
	}
	if (rc != 0)
		state_record_failed(st, "update", msg->id, rc);
	else
		state_succeeded(st);
}

/* The journal's sessions as IPC_SESSION_UP messages. */
struct state_export {
	int		fd;
	uint64_t	count;
	int		error;
};

static bool
state_export_one(const struct journal_session *s, void *arg)
{
	struct state_export *ex = arg;
	struct ipc_session msg;

	if (ipc_session_init(&msg, IPC_SESSION_UP, s->id, s->user, s->group,
	    s->pool) != 0)
		return (true);	/* the journal's limits are IPC's */
	memcpy(msg.cookie_hash, s->cookie_hash, sizeof(msg.cookie_hash));
	msg.addr = s->addr;
	msg.netmask = s->netmask;
	msg.reconnects = s->reconnects;
	msg.flags = s->flags & STATE_FLAGS;
	msg.started = s->started;
	msg.expires = s->expires;
	msg.last_seen = s->last_seen;
	if (write(ex->fd, &msg, sizeof(msg)) != (ssize_t)sizeof(msg)) {
		ex->error = errno != 0 ? errno : EIO;
		return (false);
	}
	ex->count++;
	return (true);
}

int
state_start_message(struct state *st, struct ipc_start *msg)
{
	struct state_export ex = { -1, 0, 0 };

	memset(msg, 0, sizeof(*msg));
	msg->hdr.type = IPC_START;
	msg->hdr.length = sizeof(*msg);
	memcpy(msg->opaque_key, st->opaque_key, sizeof(msg->opaque_key));
	if (st->journal == NULL)
		return (-1);
	msg->id_max = journal_id_max(st->journal);
	if (journal_count(st->journal) == 0)
		return (-1);
	if ((ex.fd = memfd_create("headend-sessions", MFD_CLOEXEC)) < 0) {
		log_warn("memfd_create for the sessions to restore failed");
		return (-1);
	}
	errno = 0;
	journal_foreach(st->journal, state_export_one, &ex);
	if (ex.error != 0) {
		log_warnx("cannot pass the sessions to restore: %s",
		    strerror(ex.error));
		close(ex.fd);
		return (-1);
	}
	msg->nsessions = ex.count;
	return (ex.fd);
}

struct state_address_query {
	bool	(*match)(uint32_t addr, void *arg);
	void	*arg;
	bool	found;
};

static bool
state_address_one(const struct journal_session *s, void *arg)
{
	struct state_address_query *q = arg;

	q->found = q->match(s->addr, q->arg);
	return (!q->found);
}

bool
state_any_address(const struct state *st,
    bool (*match)(uint32_t addr, void *arg), void *arg)
{
	struct state_address_query q = { match, arg, false };

	if (st->journal == NULL || st->sessions_missed)
		return (true);
	journal_foreach(st->journal, state_address_one, &q);
	return (q.found);
}

int
state_ban_file(const struct state *st, char *path, size_t len,
    uint8_t key[BANFILE_KEY_LEN])
{
	int n;

	/* Without the journal's lock, the file may be another's. */
	if (st->journal == NULL || !st->have_master)
		return (-ENOENT);
	n = snprintf(path, len, "%s%s", st->path, STATE_BANS_SUFFIX);
	if (n < 0 || (size_t)n >= len)
		return (-ENAMETOOLONG);
	return (journal_key_derive(st->master, BANFILE_LABEL, key));
}

void
state_discard(struct state *st)
{
	int rc;

	if (st->journal == NULL)
		return;
	if ((rc = journal_clear(st->journal)) != 0)
		log_warnx("state file %s: cannot discard the sessions: %s",
		    st->path, strerror(-rc));
	else
		log_notice("state file %s: discarded every session",
		    st->path);
}

void
state_close_in_child(struct state *st)
{
	if (st == NULL)
		return;
	journal_close_in_child(st->journal);
	OPENSSL_cleanse(st->master, sizeof(st->master));
}

/*
 * Report a file that the stop cannot write. When it misses a logout,
 * the next start would restore that session with its cookie, so it is
 * moved aside: every client logs in again instead.
 */
static void
state_close_unwritten(struct state *st, int rc)
{
	char aside[PATH_MAX + 16];
	int moved;

	if (!journal_misses_ends(st->journal)) {
		log_warnx("state file %s cannot be written (%s); the next "
		    "start restores the sessions it had when it was last "
		    "written", st->path, strerror(-rc));
		return;
	}

	if ((moved = state_move_stale(st->path, aside, sizeof(aside))) == 0) {
		log_err("state file %s cannot be written (%s) and misses the "
		    "end of sessions that were logged off, so it is moved to "
		    "%s: the next start restores no session, and every "
		    "client logs in again", st->path, strerror(-rc), aside);
		return;
	}
	log_err("state file %s cannot be written (%s), and it misses the end "
	    "of sessions that were logged off, so the next start would "
	    "restore them with their cookies: make it writable before the "
	    "start, or delete it to log everyone off (moving it to %s "
	    "failed: %s)", st->path, strerror(-rc), aside, strerror(-moved));
}

void
state_close(struct state *st)
{
	int rc;

	if (st == NULL)
		return;

	if (st->journal != NULL && journal_needs_rewrite(st->journal) &&
	    (rc = journal_sync(st->journal)) != 0)
		state_close_unwritten(st, rc);
	else if (st->journal != NULL)
		log_notice("state file %s: %zu session(s) kept for the next "
		    "start", st->path, journal_count(st->journal));
	journal_close(st->journal);
	event_free(st->sync);
	if (st->check != NULL)
		event_free(st->check);
	OPENSSL_cleanse(st->opaque_key, sizeof(st->opaque_key));
	OPENSSL_cleanse(st->master, sizeof(st->master));
	free(st);
}
