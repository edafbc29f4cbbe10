/*
 * The login steps that the XML, phone and legacy flows share, declared in
 * login.h: certificate check, password check through authd, and the
 * session at the end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <openssl/crypto.h>

#include "authc.h"
#include "ban.h"
#include "bancopy.h"
#include "cert.h"
#include "conn.h"
#include "form.h"
#include "lease.h"
#include "lifecycle.h"
#include "log.h"
#include "login.h"
#include "loginwait.h"
#include "netproc.h"
#include "pool.h"
#include "session.h"
#include "userfile.h"

int
login_verify_cert(struct login *lg, struct conn *c)
{
	const char *group = c->c_np->cfg->tgroups[lg->lg_tgroup].name;
	char why[1024];
	int rc;

	rc = cert_verify(c->c_ssl, lg->lg_tgroup, &lg->lg_cert, why,
	    sizeof(why));
	if (rc == 0) {
		snprintf(lg->lg_user, sizeof(lg->lg_user), "%s",
		    lg->lg_cert.ci_user);
		conn_log(c, LOG_INFO, "client certificate accepted for "
		    "user=%s group=%s: %s", lg->lg_user, group, why);
		return (0);
	}
	cert_identity_clear(&lg->lg_cert);
	if (rc == -EAGAIN) {
		counter_add(&c->c_np->stats.logins_error, 1);
		conn_log(c, LOG_WARNING, "cannot check client certificates "
		    "of group=%s: %s", group, why);
	} else {
		counter_add(&c->c_np->stats.logins_denied, 1);
		conn_log(c, LOG_INFO, "client certificate rejected for "
		    "group=%s: %s", group, why);
	}
	return (rc);
}

int
login_form_parse(const void *body, size_t len, struct login_form *f)
{
	int rc;

	memset(f, 0, sizeof(*f));
	rc = form_get(body, len, "username", f->lf_user, sizeof(f->lf_user));
	if (rc < 0)
		return (rc);
	f->lf_has_user = rc == 1;
	rc = form_get(body, len, "password", f->lf_password,
	    sizeof(f->lf_password));
	if (rc < 0) {
		OPENSSL_cleanse(f, sizeof(*f));
		return (rc);
	}
	f->lf_has_password = rc == 1;
	return (0);
}

const char login_too_long[] = "The username or password is too long: "
    "usernames have at most 127 bytes, passwords 255.";

const char *
login_credentials_problem(const char *user, const char *password)
{
	if (user[0] == '\0' || password[0] == '\0')
		return ("Enter both a username and a password.");
	if (strchr(user, ' ') || strchr(password, ' '))
		return ("Usernames and passwords may not contain spaces, "
		    "because IP phones cannot send them.");
	if (!userfile_name_valid(user) || !userfile_password_valid(password))
		return ("The username or password contains characters that "
		    "are not allowed.");
	return (NULL);
}

/*
 * Score authd's result for the brute-force rules of the limits section.
 * c is NULL when the client closed its connection during the check.
 */
static void
login_score(struct login *lg, struct conn *c, enum ipc_auth_result result)
{
	struct netproc *np = lg->lg_np;
	const char *user = lg->lg_checked;
	time_t now = time(NULL);

	if (result == IPC_AUTH_OK) {
		ban_record_success(np->bans, lg->lg_source, user);
		return;
	}
	if (result != IPC_AUTH_DENIED ||
	    !ban_record_failure(np->bans, lg->lg_source, user, now))
		return;
	counter_add(&np->stats.bans, 1);
	bancopy_report_started(np, lg->lg_source, user, now);
	if (c != NULL)
		conn_log(c, LOG_INFO, "banned for %d seconds after repeated "
		    "failed logins: user=%s (headendctl unban %s lifts it)",
		    np->cfg->limits.ban_time, user, lg->lg_source);
	else
		log_info("peer=%s: banned for %d seconds after repeated "
		    "failed logins, the last one by a client that closed "
		    "its connection: user=%s (headendctl unban %s lifts it)",
		    lg->lg_source, np->cfg->limits.ban_time, user,
		    lg->lg_source);
}

static void
login_authc_done(void *arg, enum ipc_auth_result result, const char *msg)
{
	struct login *lg = arg;
	struct netproc *np = lg->lg_np;
	struct conn *c = lg->lg_conn;
	char source[sizeof(lg->lg_source)], user[sizeof(lg->lg_checked)];

	/* The login may end below; the queue needs its pair after that. */
	memcpy(source, lg->lg_source, sizeof(source));
	memcpy(user, lg->lg_checked, sizeof(user));
	lg->lg_checking = false;
	ban_check_end(np->bans, source, user);
	login_score(lg, c, result);
	if (c == NULL) {
		/* No client waits for the response, so the login ends here. */
		login_destroy(lg);
	} else {
		lg->lg_conn = NULL;
		c->c_login = NULL;
		lg->lg_done(lg, c, result, msg);
	}
	loginwait_notify(source, user);
}

/* Return whether user from source, or the whole source, is banned now. */
static bool
login_ban_active(struct netproc *np, const char *source, const char *user,
    time_t now)
{
	return (!ban_allowed(np->bans, source, "", now) ||
	    !ban_allowed(np->bans, source, user, now));
}

/* Take a queued login off the queue and its connection; return that. */
static struct conn *
login_unqueue(struct login *lg)
{
	struct conn *c = lg->lg_conn;

	loginwait_remove(lg);
	lg->lg_conn = NULL;
	c->c_login = NULL;
	return (c);
}

/*
 * A banned address+user pair gets the response to a wrong password,
 * because that client is the one that keeps failing. A banned address
 * gets the response to a server problem, so a phone behind it keeps its
 * stored password.
 */
static bool
login_banned(struct login *lg, struct conn *c, const char *user,
    login_done_fn *done, time_t now)
{
	struct netproc *np = c->c_np;
	bool whole = !ban_allowed(np->bans, lg->lg_source, "", now);

	if (!login_ban_active(np, lg->lg_source, user, now))
		return (false);
	counter_add(&np->stats.logins_banned, 1);
	lg->lg_banned = true;
	conn_log(c, LOG_INFO, "login of user=%s refused: %s is banned after "
	    "repeated failed logins", user, whole ? "the address" :
	    "this user from the address");
	done(lg, c, whole ? IPC_AUTH_ERROR : IPC_AUTH_DENIED,
	    "banned after repeated failed logins");
	return (true);
}

/* Send the check of lg_checked to authd. Returns 0 or -errno (logged). */
static int
login_check_start(struct login *lg, struct conn *c, const char *password)
{
	struct netproc *np = c->c_np;
	const struct config_tgroup *tg = &np->cfg->tgroups[lg->lg_tgroup];
	int64_t id;

	id = authc_request(np->authc, tg->name, lg->lg_checked, password,
	    login_authc_done, lg);
	if (id < 0) {
		ban_check_end(np->bans, lg->lg_source, lg->lg_checked);
		loginwait_notify(lg->lg_source, lg->lg_checked);
		counter_add(&np->stats.logins_error, 1);
		conn_log(c, LOG_WARNING, "cannot ask authd: %s",
		    strerror((int)-id));
		return ((int)id);
	}
	lg->lg_request = id;
	lg->lg_checking = true;
	lg->lg_conn = c;
	c->c_login = lg;
	return (0);
}

int
login_authenticate(struct login *lg, struct conn *c, const char *user,
    const char *password, login_done_fn *done)
{
	struct netproc *np = c->c_np;
	time_t now = time(NULL);
	int rc;

	if (lg->lg_checking || lg->lg_waiting)
		return (-EBUSY);	/* one authd request per login */
	if (user != lg->lg_user)
		snprintf(lg->lg_user, sizeof(lg->lg_user), "%s", user);
	lg->lg_banned = false;
	if (login_banned(lg, c, user, done, now))
		return (0);
	snprintf(lg->lg_checked, sizeof(lg->lg_checked), "%s", user);
	lg->lg_done = done;
	if (!loginwait_pending(lg->lg_source, user) &&
	    ban_check_start(np->bans, lg->lg_source, user, now))
		return (login_check_start(lg, c, password));

	/* As many checks of the pair are out as failures would ban it. */
	if ((rc = loginwait_add(lg, password)) != 0) {
		conn_log(c, LOG_WARNING, "cannot queue the password check: "
		    "%s", strerror(-rc));
		return (rc);
	}
	counter_add(&np->stats.logins_waited, 1);
	lg->lg_conn = c;
	c->c_login = lg;
	return (0);
}

bool
login_wait_resume(struct login *lg)
{
	struct netproc *np = lg->lg_np;
	char password[IPC_PASSWORD_MAX];
	time_t now = time(NULL);
	struct conn *c;
	bool banned;

	banned = login_ban_active(np, lg->lg_source, lg->lg_checked, now);
	if (!banned && !ban_check_start(np->bans, lg->lg_source,
	    lg->lg_checked, now))
		return (false);

	/* The queue wipes its copy of the password. */
	snprintf(password, sizeof(password), "%s", loginwait_password(lg));
	c = login_unqueue(lg);
	if (banned)
		login_banned(lg, c, lg->lg_checked, lg->lg_done, now);
	else if (login_check_start(lg, c, password) != 0)
		lg->lg_done(lg, c, IPC_AUTH_ERROR, "the authentication "
		    "service is unavailable");
	OPENSSL_cleanse(password, sizeof(password));
	return (true);
}

void
login_wait_expired(struct login *lg)
{
	struct conn *c = login_unqueue(lg);

	counter_add(&lg->lg_np->stats.logins_error, 1);
	conn_log(c, LOG_INFO, "login of user=%s: no place for its password "
	    "check within %d s, as earlier checks of this user from the "
	    "address are still in progress", lg->lg_checked,
	    LOGINWAIT_TIMEOUT);
	lg->lg_done(lg, c, IPC_AUTH_ERROR, "too many password checks in "
	    "progress");
}

/*
 * The caps of the limits section (all groups) and of the tunnel-group,
 * once the replaced sessions of the user, which are in that group, end.
 */
static bool
login_over_session_limit(struct login *lg, struct conn *c, size_t replaced)
{
	struct netproc *np = c->c_np;
	const struct config_tgroup *tg = &np->cfg->tgroups[lg->lg_tgroup];
	int global = np->cfg->limits.max_sessions;

	if (global > 0 &&
	    sessions_count(np->sessions) - replaced >= (size_t)global) {
		counter_add(&np->stats.sessions_over_limit, 1);
		conn_log(c, LOG_INFO, "login refused: user=%s: the "
		    "max-sessions limit of %d sessions is reached",
		    lg->lg_user, global);
		return (true);
	}
	if (tg->max_sessions > 0 && sessions_count_group(np->sessions,
	    lg->lg_tgroup) - replaced >= (size_t)tg->max_sessions) {
		counter_add(&np->stats.sessions_over_limit, 1);
		conn_log(c, LOG_INFO, "login refused: user=%s group=%s: the "
		    "group's max-sessions limit of %d sessions is reached",
		    lg->lg_user, tg->name, tg->max_sessions);
		return (true);
	}
	return (false);
}

/*
 * Return whether se goes before pick when sessions must make room: one
 * without a connected client first, then the oldest. Logins within one
 * second have the same start time, so the lower, earlier id decides.
 */
static bool
login_replace_before(const struct session *se, const struct session *pick)
{
	bool se_idle = se->se_tunnel == NULL;
	bool pick_idle = pick->se_tunnel == NULL;

	if (se_idle != pick_idle)
		return (se_idle);
	if (se->se_started != pick->se_started)
		return (se->se_started < pick->se_started);
	return (se->se_id < pick->se_id);
}

/*
 * The session of user in tgroup that a login beyond the limit replaces:
 * the oldest of those without a connected client, else the oldest. The
 * number of the user's sessions in the group goes to *count.
 */
static struct session *
login_session_to_replace(struct netproc *np, const char *user,
    size_t tgroup, size_t *count)
{
	struct session *se, *pick = NULL;

	*count = 0;
	se = sessions_user_chain(np->sessions, user);
	for (; se != NULL; se = LIST_NEXT(se, se_by_user)) {
		if (se->se_tgroup != tgroup || strcmp(se->se_user, user) != 0)
			continue;
		(*count)++;
		if (pick == NULL || login_replace_before(se, pick))
			pick = se;
	}
	return (pick);
}

/*
 * With fewer sessions in the group than the simultaneous-logins limit,
 * no user is at it, and the scan of the user's sessions can be skipped.
 * Phones that share one account would otherwise make every login scan
 * all of their sessions.
 */
static bool
login_user_may_be_at_limit(struct netproc *np, size_t tgroup,
    const struct config_policy *pol)
{
	return (sessions_count_group(np->sessions, tgroup) >=
	    (size_t)pol->simultaneous_logins);
}

/*
 * The simultaneous-logins limit counts the user's sessions in the
 * tunnel-group, those waiting for a reconnect included. A reconnect with
 * the cookie never comes here, so it is never counted twice. Returns 0
 * when the login may go on, or -EDQUOT when the policy rejects it.
 */
static int
login_check_simultaneous(struct login *lg, struct conn *c)
{
	struct netproc *np = c->c_np;
	const struct config_tgroup *tg = &np->cfg->tgroups[lg->lg_tgroup];
	const struct config_policy *pol = &np->cfg->policies[tg->policy];
	struct session *old;
	size_t count;

	if (!login_user_may_be_at_limit(np, lg->lg_tgroup, pol))
		return (0);
	while ((old = login_session_to_replace(np, lg->lg_user, lg->lg_tgroup,
	    &count)) != NULL && count >= (size_t)pol->simultaneous_logins) {
		if (pol->simultaneous_action == SIMULTANEOUS_REJECT) {
			conn_log(c, LOG_INFO, "login refused: user=%s "
			    "group=%s has %zu session(s), the "
			    "simultaneous-logins limit of group-policy %s",
			    lg->lg_user, tg->name, count, pol->name);
			return (-EDQUOT);
		}
		session_log(old, LOG_INFO, "logging off: the user logged in "
		    "again from %s, beyond the simultaneous-logins limit of "
		    "%d", c->c_peer, pol->simultaneous_logins);
		lifecycle_logoff(old, "replaced by a newer login of the user");
	}
	return (0);
}

/*
 * How many of the user's sessions logoff-oldest ends for this login. The
 * limits are checked with them gone, but before they end, so that a login
 * that the limits reject does not cost the user the sessions.
 */
static size_t
login_replaced_count(struct login *lg, struct netproc *np)
{
	const struct config_tgroup *tg = &np->cfg->tgroups[lg->lg_tgroup];
	const struct config_policy *pol = &np->cfg->policies[tg->policy];
	size_t count;

	if (pol->simultaneous_action != SIMULTANEOUS_LOGOFF_OLDEST)
		return (0);

	if (!login_user_may_be_at_limit(np, lg->lg_tgroup, pol))
		return (0);
	if (login_session_to_replace(np, lg->lg_user, lg->lg_tgroup,
	    &count) == NULL || count < (size_t)pol->simultaneous_logins)
		return (0);
	return (count - (size_t)pol->simultaneous_logins + 1);
}

static int
login_lease(struct login *lg, struct conn *c, uint32_t *addr,
    enum lease_kind *kind)
{
	struct netproc *np = c->c_np;
	const struct config_tgroup *tg = &np->cfg->tgroups[lg->lg_tgroup];

	if (lease_take(np, lg->lg_user, lg->lg_tgroup, addr, kind) == 0)
		return (0);
	/*
	 * The operator must act, so every 100th is a warning. Only a
	 * client with a valid password gets this far.
	 */
	conn_log(c,
	    counter_add(&np->stats.logins_pool_exhausted, 1) % 100 == 0 ?
	    LOG_WARNING : LOG_INFO, "login refused: user=%s group=%s: pool %s "
	    "has no free address (%zu in use)", lg->lg_user, tg->name,
	    np->cfg->pools[tg->pool].name, pool_used(np->pools[tg->pool]));
	return (-ENOSPC);
}

/*
 * Check the limits of a login. With "reject", the user's own limit comes
 * first, because its message tells the user what to do. With
 * "logoff-oldest", the caps come first, counting the sessions to be
 * replaced as gone, and those sessions end only after the caps pass.
 */
static int
login_check_limits(struct login *lg, struct conn *c)
{
	struct netproc *np = c->c_np;
	size_t replaced = login_replaced_count(lg, np);
	const struct config_tgroup *tg = &np->cfg->tgroups[lg->lg_tgroup];
	int rc;

	if (np->cfg->policies[tg->policy].simultaneous_action ==
	    SIMULTANEOUS_REJECT && (rc = login_check_simultaneous(lg, c)) != 0)
		return (rc);
	if (login_over_session_limit(lg, c, replaced))
		return (-EUSERS);
	return (login_check_simultaneous(lg, c));
}

int
login_open_session(struct login *lg, struct conn *c, struct session **out)
{
	struct netproc *np = c->c_np;
	const struct config_tgroup *tg = &np->cfg->tgroups[lg->lg_tgroup];
	struct session *se;
	enum lease_kind kind;
	uint32_t addr;
	char text[INET_ADDRSTRLEN];
	int rc;

	if ((rc = login_check_limits(lg, c)) != 0)
		return (rc);
	if ((rc = login_lease(lg, c, &addr, &kind)) != 0)
		return (rc);
	se = session_create(np->sessions, lg->lg_user, lg->lg_tgroup,
	    tg->pool, addr, c->c_peer);
	if (se == NULL) {
		pool_release(np->pools[tg->pool], addr);
		conn_log(c, LOG_WARNING, "login refused: user=%s group=%s: "
		    "out of memory", lg->lg_user, tg->name);
		return (-ENOMEM);
	}
	counter_add(&np->stats.logins_ok, 1);
	snprintf(se->se_user_agent, sizeof(se->se_user_agent), "%s",
	    lg->lg_agent);
	se->se_cert = lg->lg_cert;
	lg->lg_cert.ci_cas = NULL;	/* the session owns them now */
	session_log(se, LOG_INFO, "logged in%s; address %s leased from pool "
	    "%s (%s)", se->se_cert.ci_user[0] != '\0' ? " with a client "
	    "certificate" : "", inet_ntop(AF_INET,
	    &(struct in_addr){ htonl(addr) }, text, sizeof(text)),
	    np->cfg->pools[tg->pool].name, lease_kind_name(kind));
	*out = se;
	return (0);
}
