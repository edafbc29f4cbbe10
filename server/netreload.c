/* The network process's side of a reload, declared in netreload.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authc.h"
#include "ban.h"
#include "cert.h"
#include "cfgbundle.h"
#include "cfgmerge.h"
#include "ipc.h"
#include "lease.h"
#include "log.h"
#include "login.h"
#include "netproc.h"
#include "netreload.h"
#include "parentc.h"
#include "pool.h"
#include "route.h"
#include "session.h"
#include "status.h"
#include "tls.h"
#include "worker.h"

/* The objects a reload builds before it swaps anything in. */
struct netreload {
	struct netproc	*np;
	struct cfgbundle *bundle;
	struct config	*cfg;		/* merged around the sessions */
	SSL_CTX		*tls[CONFIG_MAX_LISTENERS];
	struct cert_stores *stores;
	struct pool	*pools[CONFIG_MAX_POOLS];
	struct cfgmerge_lease *leases;	/* one per session, in list order */
	size_t		nleases;
	char		why[1024];	/* the parent gets its start */
};

/* The tunnel-groups that sessions and logins hold, and the leases. */
static int
netreload_usage(struct netreload *r, bool used[CONFIG_MAX_TGROUPS])
{
	struct sessions *ss = r->np->sessions;
	struct session *se;
	size_t n = 0;

	r->leases = calloc(sessions_count(ss) + 1, sizeof(*r->leases));
	if (r->leases == NULL)
		return (-ENOMEM);
	TAILQ_FOREACH(se, sessions_list(ss), se_entry) {
		used[se->se_tgroup] = true;
		r->leases[n].addr = se->se_addr;
		r->leases[n].pool = se->se_pool;
		n++;
	}
	r->nleases = n;
	login_mark_tgroups(used);
	return (0);
}

static int
netreload_tls(struct netreload *r)
{
	char err[960];
	size_t i;
	int line;

	for (i = 0; i < r->cfg->nlisteners; i++) {
		r->tls[i] = tls_ctx_new_from(&r->cfg->listeners[i], r->bundle,
		    err, sizeof(err), &line);
		if (r->tls[i] == NULL) {
			snprintf(r->why, sizeof(r->why), "listener %zu, line "
			    "%d: %s", i, line, err);
			return (-EINVAL);
		}
	}
	return (0);
}

static void
netreload_cert_error(void *arg, const char *message)
{
	struct netreload *r = arg;

	log_warnx("%s", message);
	if (r->why[0] == '\0')
		snprintf(r->why, sizeof(r->why), "%s", message);
}

/*
 * New pool objects hold the static addresses and the sessions' leases,
 * which cfgmerge placed where the new pools can lease them.
 */
static int
netreload_pools(struct netreload *r)
{
	const struct config_pool *p;
	size_t i;
	int rc;

	for (i = 0; i < r->cfg->npools; i++) {
		p = &r->cfg->pools[i];
		r->pools[i] = pool_new(p->first, p->last, p->prefix,
		    p->exclude, p->nexclude);
		if (r->pools[i] == NULL)
			return (-errno);
		if (!p->retired &&
		    lease_reserve_static(r->pools[i], r->cfg, i) != 0)
			return (-EINVAL);
	}
	for (i = 0; i < r->nleases; i++) {
		rc = pool_lease_addr(r->pools[r->leases[i].new_pool],
		    r->leases[i].addr);
		if (rc != 0) {
			snprintf(r->why, sizeof(r->why), "cannot keep a "
			    "session's lease in pool %s: %s",
			    r->cfg->pools[r->leases[i].new_pool].name,
			    strerror(-rc));
			return (rc);
		}
	}
	return (0);
}

static int
netreload_prepare(struct netreload *r, int fd, uint64_t size)
{
	bool used[CONFIG_MAX_TGROUPS] = { false };
	const struct config *next;
	int rc;

	if ((rc = cfgbundle_from_fd(fd, size, &r->bundle)) != 0) {
		snprintf(r->why, sizeof(r->why), "cannot read the bundle: %s",
		    strerror(-rc));
		return (rc);
	}
	next = cfgbundle_config(r->bundle);
	if (next->nlisteners != r->np->cfg->nlisteners) {
		snprintf(r->why, sizeof(r->why), "the number of listeners "
		    "changed, which needs a restart");
		return (-EINVAL);
	}
	if ((r->cfg = malloc(sizeof(*r->cfg))) == NULL ||
	    netreload_usage(r, used) != 0)
		return (-ENOMEM);
	if ((rc = cfgmerge_build(r->np->cfg, next, used, r->leases,
	    r->nleases, r->cfg, r->why, sizeof(r->why))) != 0 ||
	    (rc = netreload_tls(r)) != 0)
		return (rc);
	if (cert_stores_load(r->cfg, r->bundle, &r->stores,
	    netreload_cert_error, r) != 0)
		return (-EINVAL);
	if ((rc = netreload_pools(r)) != 0)
		return (rc);

	/* The last step that can fail: it swaps only when it succeeds. */
	if ((rc = route_init(r->cfg)) != 0)
		snprintf(r->why, sizeof(r->why), "cannot parse the group-urls");
	return (rc);
}

static void
netreload_discard(struct netreload *r)
{
	size_t i;

	for (i = 0; i < CONFIG_MAX_LISTENERS; i++)
		SSL_CTX_free(r->tls[i]);
	for (i = 0; i < CONFIG_MAX_POOLS; i++)
		pool_free(r->pools[i]);
	cert_stores_free(r->stores);
	cfgbundle_free(r->bundle);
	free(r->leases);
	free(r->cfg);
}

/*
 * Sessions move to the pool slots that cfgmerge chose for them.
 * NOTE: the sticky lease table remembers addresses by pool slot, so a
 * reload that reorders the pools makes the next login of a user miss
 * its previous address once.
 */
static void
netreload_move_sessions(struct netreload *r)
{
	struct session *se;
	size_t n = 0;

	TAILQ_FOREACH(se, sessions_list(r->np->sessions), se_entry)
		se->se_pool = r->leases[n++].new_pool;
}

static void
netreload_swap(struct netreload *r)
{
	struct netproc *np = r->np;
	struct config *old = (struct config *)np->cfg;
	size_t i;

	cert_stores_install(r->stores, r->cfg);
	r->stores = NULL;
	cert_setup_listeners(r->cfg, r->tls);
	/*
	 * The contexts count their handshakes, so a replaced one leaves
	 * its counts behind. Handshakes that finish on it later are lost.
	 */
	for (i = 0; i < CONFIG_MAX_LISTENERS; i++) {
		if (np->tls[i] != NULL) {
			np->tls_accepts_retired +=
			    (uint64_t)SSL_CTX_sess_accept(np->tls[i]);
			np->tls_accepts_good_retired +=
			    (uint64_t)SSL_CTX_sess_accept_good(np->tls[i]);
		}
		SSL_CTX_free(np->tls[i]);
		np->tls[i] = r->tls[i];
		r->tls[i] = NULL;
	}
	for (i = 0; i < CONFIG_MAX_POOLS; i++) {
		pool_free(np->pools[i]);
		np->pools[i] = r->pools[i];
		r->pools[i] = NULL;
	}
	netreload_move_sessions(r);
	np->cfg = r->cfg;
	r->cfg = old;	/* freed with the rest of r */
}

/* Running tunnels take the reloaded client-to-client switch. */
static void
netreload_update_tunnels(struct netproc *np)
{
	const struct config *cfg = np->cfg;
	struct session *se;
	size_t policy;

	TAILQ_FOREACH(se, sessions_list(np->sessions), se_entry) {
		if (se->se_tunnel == NULL)
			continue;
		policy = cfg->tgroups[se->se_tgroup].policy;
		worker_set_policy(se, cfg->policies[policy].client_to_client);
	}
}

/* Return the static address entry of addr in pool, or NULL. */
static const struct config_static_address *
netreload_static_of(const struct config *cfg, size_t pool, uint32_t addr)
{
	const struct config_static_address *st;
	size_t i;

	for (i = 0; i < cfg->nstatic_addresses; i++) {
		st = &cfg->static_addresses[i];
		if (st->address == addr &&
		    cfg->tgroups[st->tgroup].pool == pool)
			return (st);
	}
	return (NULL);
}

/*
 * Warn about each static address that a reload gives to a user while
 * another user's session has it. The address goes to its user only after
 * that session ends, and the user gets another one until then.
 */
static void
netreload_static_conflicts(struct netproc *np)
{
	const struct config *cfg = np->cfg;
	const struct config_static_address *st;
	char addr[INET_ADDRSTRLEN];
	struct session *se;
	struct in_addr in;

	TAILQ_FOREACH(se, sessions_list(np->sessions), se_entry) {
		if (!pool_is_reserved(np->pools[se->se_pool], se->se_addr))
			continue;
		st = netreload_static_of(cfg, se->se_pool, se->se_addr);
		if (st == NULL || (st->tgroup == se->se_tgroup &&
		    strcmp(st->user, se->se_user) == 0))
			continue;

		in.s_addr = htonl(se->se_addr);
		inet_ntop(AF_INET, &in, addr, sizeof(addr));
		log_warnx("%s:%d: static address %s of user \"%s\" is held "
		    "by the session of user \"%s\", so \"%s\" gets another "
		    "address until it ends: end it with \"headendctl logoff "
		    "id %" PRIu64 "\"", cfg->path, st->line, addr, st->user,
		    se->se_user, st->user, se->se_id);
	}
}

static void
netreload_commit(struct netreload *r)
{
	struct netproc *np = r->np;
	const struct config *cfg;
	size_t i, groups = 0, pools = 0;

	netreload_swap(r);
	netreload_update_tunnels(np);
	netreload_static_conflicts(np);
	cfg = np->cfg;
	ban_table_set_limits(np->bans, &(struct ban_limits){
	    .user_threshold = (unsigned)cfg->limits.ban_user_threshold,
	    .address_threshold = (unsigned)cfg->limits.ban_address_threshold,
	    .ban_seconds = (unsigned)cfg->limits.ban_time,
	    .decay_seconds = (unsigned)cfg->limits.ban_decay });
	statuscert_load_next(np, r->bundle);
	for (i = 0; i < cfg->ntgroups; i++)
		groups += cfg->tgroups[i].retired;
	for (i = 0; i < cfg->npools; i++)
		pools += cfg->pools[i].retired;
	log_notice("configuration reloaded: %zu tunnel-group(s), %zu "
	    "retired one(s) kept for their sessions, %zu retired pool(s)",
	    cfg->ntgroups - groups, groups, pools);
}

void
netreload_receive(struct netproc *np, const void *msg, size_t len, int fd,
    int authd_fd)
{
	struct netreload r = { .np = np };
	unsigned long mark = log_warning_count();
	struct ipc_config_applied reply;
	struct ipc_config cm;
	int rc;

	if (ipc_config_decode(msg, len, &cm) != 0)
		fatalx("malformed configuration message from the parent: "
		    "desynchronized");
	rc = netreload_prepare(&r, fd, cm.size);
	close(fd);
	if (rc == 0) {
		netreload_commit(&r);
		if (authd_fd >= 0) {
			log_info("connected to the authd of the new "
			    "configuration");
			authc_set_socket(np->authc, authd_fd);
		}
	} else {
		log_warnx("cannot apply the new configuration, keeping the "
		    "running one: %s", r.why[0] != '\0' ? r.why :
		    strerror(-rc));
		if (authd_fd >= 0)
			close(authd_fd);
	}
	ipc_config_applied_init(&reply, rc, rc == 0 ? NULL : r.why);
	reply.warnings = (uint32_t)(log_warning_count() - mark);
	if (parentc_send(np, &reply, sizeof(reply)) != 0)
		log_warnx("cannot send the reload result to the parent");
	netreload_discard(&r);
}
