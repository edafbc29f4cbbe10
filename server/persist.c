/* The network process's side of the state file, declared in persist.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "bancopy.h"
#include "cfgmerge.h"
#include "ipc.h"
#include "journal.h"
#include "lease.h"
#include "lifecycle.h"
#include "log.h"
#include "netproc.h"
#include "parentc.h"
#include "persist.h"
#include "pool.h"
#include "session.h"
#include "worker.h"

#define PERSIST_BUCKETS		4096	/* power of two */
#define PERSIST_SESSIONS_MAX	(16u * 1024 * 1024)	/* in one start */

/* A restored session that waits for its cookie. */
struct persist_claim {
	struct session	*pc_session;
	struct persist_claim *pc_next;
};

static struct {
	struct persist_claim *buckets[PERSIST_BUCKETS];
	size_t		waiting;
} persist_state;

_Static_assert(IPC_COOKIE_HASH_LEN == SESSION_COOKIE_HASH_LEN &&
    JOURNAL_COOKIE_HASH_LEN == SESSION_COOKIE_HASH_LEN,
    "the cookie hash is the same SHA-256 everywhere");
_Static_assert(IPC_KEY_LEN == sizeof(((struct netproc *)0)->secret),
    "the login handle key fills netproc.secret");

/* The hash is a SHA-256 output, so any four of its bytes are uniform. */
static size_t
persist_bucket(const uint8_t *hash)
{
	uint32_t h;

	memcpy(&h, hash, sizeof(h));
	return (h & (PERSIST_BUCKETS - 1));
}

static int
persist_wait_for_cookie(struct session *se)
{
	struct persist_claim *pc;
	size_t b = persist_bucket(se->se_cookie_hash);

	if ((pc = malloc(sizeof(*pc))) == NULL)
		return (-ENOMEM);
	pc->pc_session = se;
	pc->pc_next = persist_state.buckets[b];
	persist_state.buckets[b] = pc;
	persist_state.waiting++;
	return (0);
}

static void
persist_stop_waiting(struct session *se)
{
	struct persist_claim **pp, *pc;

	pp = &persist_state.buckets[persist_bucket(se->se_cookie_hash)];
	for (; (pc = *pp) != NULL; pp = &pc->pc_next) {
		if (pc->pc_session == se) {
			*pp = pc->pc_next;
			free(pc);
			persist_state.waiting--;
			return;
		}
	}
}

/* The message as the parent's journal stores it. */
static int
persist_message(struct session *se, enum ipc_type type,
    struct ipc_session *msg)
{
	const struct config *cfg = se->se_np->cfg;
	int timeout = se->se_timers.session_timeout;

	if (ipc_session_init(msg, type, se->se_id, se->se_user, se->se_group,
	    cfg->pools[se->se_pool].name) != 0)
		return (-ENAMETOOLONG);
	memcpy(msg->cookie_hash, se->se_cookie_hash,
	    sizeof(msg->cookie_hash));
	msg->addr = se->se_addr;
	msg->netmask = se->se_netmask;
	msg->reconnects = se->se_reconnects;
	msg->flags = (se->se_tunnel != NULL ? IPC_SESSION_ATTACHED : 0) |
	    (se->se_connected ? IPC_SESSION_CONNECTED : 0);
	msg->started = se->se_started;
	msg->expires = timeout > 0 ? se->se_started + timeout : 0;
	msg->last_seen = time(NULL);
	return (0);
}

static void
persist_send(struct session *se, enum ipc_type type)
{
	struct ipc_session msg;
	int rc;

	/* -EPIPE: the parent is gone; -EBADF: there is none, as in tests. */
	if ((rc = persist_message(se, type, &msg)) == 0)
		rc = parentc_send(se->se_np, &msg, sizeof(msg));
	if (rc != 0 && rc != -EPIPE && rc != -EBADF)
		session_log(se, LOG_WARNING, "cannot report the session to "
		    "the parent for the state file: %s", strerror(-rc));
}

void
persist_session_up(struct session *se)
{
	if (journal_cookie_hash(se->se_cookie, se->se_cookie_hash) != 0)
		session_log(se, LOG_WARNING, "cannot hash the cookie; the "
		    "session will not survive a restart");
	else
		persist_send(se, IPC_SESSION_UP);
}

void
persist_session_update(struct session *se)
{
	persist_send(se, IPC_SESSION_UPDATE);
}

void
persist_session_down(struct session *se)
{
	if (se->se_cookie[0] == '\0')
		persist_stop_waiting(se);
	persist_send(se, IPC_SESSION_DOWN);
}

struct session *
persist_claim(struct netproc *np, const char *cookie, const char *peer)
{
	uint8_t hash[SESSION_COOKIE_HASH_LEN];
	struct persist_claim **pp, *pc;
	struct session *se;

	(void)np;
	if (persist_state.waiting == 0 ||
	    strlen(cookie) != SESSION_COOKIE_TEXT - 1 ||
	    journal_cookie_hash(cookie, hash) != 0)
		return (NULL);
	pp = &persist_state.buckets[persist_bucket(hash)];
	for (; (pc = *pp) != NULL; pp = &pc->pc_next) {
		se = pc->pc_session;
		if (CRYPTO_memcmp(se->se_cookie_hash, hash, sizeof(hash)) != 0)
			continue;
		*pp = pc->pc_next;
		free(pc);
		persist_state.waiting--;
		session_set_cookie(se, cookie);
		session_log_peer(se, peer, LOG_INFO, "the client is back with "
		    "the cookie of a session restored from the state file");
		return (se);
	}
	return (NULL);
}

/* Tell the parent to forget a session that is not restored. */
static void
persist_drop(struct netproc *np, const struct ipc_session *msg,
    const char *why)
{
	struct ipc_session down;

	log_info("session=%llu user=%s group=%s: not restored from the "
	    "state file: %s", (unsigned long long)msg->id, msg->user,
	    msg->group, why);
	ipc_session_init(&down, IPC_SESSION_DOWN, msg->id, "", "", "");
	parentc_send(np, &down, sizeof(down));
}

/* The pool slot that leases addr, the named pool first. */
static size_t
persist_find_pool(const struct config *cfg, const struct ipc_session *msg)
{
	size_t i;

	for (i = 0; i < cfg->npools; i++)
		if (strcmp(cfg->pools[i].name, msg->pool) == 0 &&
		    cfgmerge_pool_leases(&cfg->pools[i], msg->addr))
			return (i);
	for (i = 0; i < cfg->npools; i++)
		if (cfgmerge_pool_leases(&cfg->pools[i], msg->addr))
			return (i);
	return (cfg->npools);
}

/*
 * Seconds the restored session waits for its client: the rest of its
 * reconnect window, or all of it when a client was attached, because
 * the restart is what took that client's connection.
 */
static int
persist_window(const struct config_tgroup *tg, const struct config *cfg,
    const struct ipc_session *msg, time_t now)
{
	int window = cfg->policies[tg->policy].reconnect_window;

	if ((msg->flags & IPC_SESSION_ATTACHED) == 0 && msg->last_seen < now)
		window -= (int)(now - msg->last_seen < window ?
		    now - msg->last_seen : window);
	return (window);
}

static const char *
persist_restore_one(struct netproc *np, const struct ipc_session *msg,
    time_t now)
{
	const struct config *cfg = np->cfg;
	const struct config_tgroup *tg = config_find_tgroup(cfg, msg->group);
	struct session_saved sv = { .id = msg->id, .user = msg->user,
	    .addr = msg->addr, .netmask = msg->netmask,
	    .started = msg->started,
	    .reconnects = msg->reconnects,
	    .connected = (msg->flags & IPC_SESSION_CONNECTED) != 0 };
	struct session *se;

	if (tg == NULL)
		return ("its tunnel-group is gone");
	if (msg->expires != 0 && msg->expires <= now)
		return ("its session timeout has passed");
	if ((sv.window = persist_window(tg, cfg, msg, now)) <= 0)
		return ("its reconnect window has passed");
	sv.tgroup = (size_t)(tg - cfg->tgroups);
	if ((sv.pool = persist_find_pool(cfg, msg)) == cfg->npools)
		return ("no pool leases its address any more");
	if (pool_lease_addr(np->pools[sv.pool], msg->addr) != 0)
		return ("its address is taken");
	memcpy(sv.cookie_hash, msg->cookie_hash, sizeof(sv.cookie_hash));
	if ((se = session_restore(np->sessions, &sv)) == NULL) {
		pool_release(np->pools[sv.pool], msg->addr);
		return ("out of memory");
	}
	if (persist_wait_for_cookie(se) != 0) {
		session_destroy(se, "out of memory");
		return (NULL);
	}
	lease_remember(np->leases, sv.pool, se->se_user, se->se_addr);

	/*
	 * The client's absence starts now, and the state file must record
	 * it, so that the next restart gives the rest of the window only.
	 */
	if ((msg->flags & IPC_SESSION_ATTACHED) != 0)
		persist_session_update(se);
	session_log(se, LOG_INFO, "restored from the state file; the client "
	    "has %d s to come back", sv.window);
	return (NULL);
}

/* Read the start message's sessions from the memfd and restore them. */
static void
persist_restore(struct netproc *np, int fd, uint64_t count)
{
	struct ipc_session buf, msg;
	size_t restored = 0, dropped = 0;
	time_t now = time(NULL);
	const char *why;
	uint64_t i;

	if (count > PERSIST_SESSIONS_MAX || lseek(fd, 0, SEEK_SET) != 0)
		fatalx("the parent's sessions to restore are unreadable");
	for (i = 0; i < count; i++) {
		if (read(fd, &buf, sizeof(buf)) != (ssize_t)sizeof(buf) ||
		    ipc_session_decode(&buf, sizeof(buf), &msg) != 0 ||
		    msg.hdr.type != IPC_SESSION_UP)
			fatalx("malformed session %llu of the parent's "
			    "sessions to restore", (unsigned long long)i);
		if ((why = persist_restore_one(np, &msg, now)) != NULL) {
			persist_drop(np, &msg, why);
			dropped++;
		} else {
			restored++;
		}
	}
	log_notice("restored %zu session(s) from the state file; %zu could "
	    "not be restored", restored, dropped);
}

void
persist_start(struct netproc *np, int fd)
{
	struct ipc_start buf, msg;
	int len, memfd;

	do {
		len = ipc_recv(fd, &buf, sizeof(buf), &memfd);
	} while (len == -EINTR);
	if (len <= 0 || ipc_start_decode(&buf, (size_t)len, &msg) != 0)
		fatalx("no valid start message from the parent: "
		    "desynchronized");
	bancopy_receive(np, fd);
	np->parent_fd = fd;
	if (parentc_start(np) != 0)
		fatalx("out of memory");
	memcpy(np->secret, msg.opaque_key, sizeof(np->secret));
	OPENSSL_cleanse(&buf, sizeof(buf));
	OPENSSL_cleanse(msg.opaque_key, sizeof(msg.opaque_key));
	sessions_skip_ids(np->sessions, msg.id_max);
	if (memfd >= 0) {
		persist_restore(np, memfd, msg.nsessions);
		close(memfd);
	}
}

void
persist_logoff_all(struct netproc *np)
{
	struct session *se;
	size_t n = 0;

	while ((se = TAILQ_FIRST(sessions_list(np->sessions))) != NULL) {
		lifecycle_logoff(se, "logged off: headend is stopping");
		n++;
	}
	/* The workers send the TERMINATE frames and close the tunnels. */
	workers_wait_tunnels(np, 1000);

	/* After "shutdown --logoff", which logs its own count, none is left. */
	if (n > 0)
		log_notice("logged off %zu session(s) before stopping", n);
	parentc_flush(1000);

	/*
	 * Like the SIGTERM of a plain stop, without exit handlers: the
	 * parent discards the state, and a sanitizer's leak check in a
	 * forked child would only see the parent's threads as running.
	 */
	_exit(0);
}
