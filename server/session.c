/* The session table declared in session.h. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "hash.h"
#include "lifecycle.h"
#include "log.h"
#include "netproc.h"
#include "persist.h"
#include "pool.h"
#include "session.h"
#include "tunnel.h"
#include "worker.h"

#define SESSIONS_BUCKETS	16384	/* power of two */

struct sessions {
	struct netproc	*np;
	struct session_list list;
	size_t		count;
	size_t		group_count[CONFIG_MAX_TGROUPS];
	uint64_t	next_id;
	struct session	*by_addr[SESSIONS_BUCKETS];
	struct session	*by_cookie[SESSIONS_BUCKETS];
	/* Doubly linked: a shared account can have thousands of sessions. */
	LIST_HEAD(, session) by_user[SESSIONS_BUCKETS];
};

static size_t
bucket_of_addr(uint32_t addr)
{
	return ((addr * 2654435761u) >> 18) & (SESSIONS_BUCKETS - 1);
}

static size_t
bucket_of_text(const char *text, size_t max)
{
	return (hash_text(text, max) & (SESSIONS_BUCKETS - 1));
}

/* The cookie is random hex, so its leading characters are well mixed. */
static size_t
bucket_of_cookie(const char *cookie)
{
	return (bucket_of_text(cookie, 16));
}

static size_t
bucket_of_user(const char *user)
{
	return (bucket_of_text(user, SIZE_MAX));
}

struct sessions *
sessions_new(struct netproc *np)
{
	struct sessions *ss;

	if ((ss = calloc(1, sizeof(*ss))) == NULL)
		return (NULL);
	ss->np = np;
	ss->next_id = 1;
	TAILQ_INIT(&ss->list);
	return (ss);
}

struct session_list *
sessions_list(struct sessions *ss)
{
	return (&ss->list);
}

size_t
sessions_count(const struct sessions *ss)
{
	return (ss->count);
}

size_t
sessions_count_group(const struct sessions *ss, size_t tgroup)
{
	return (ss->group_count[tgroup]);
}

static void
session_vlog(const struct session *se, const char *peer, int priority,
    const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_write(priority, "session=%llu user=%s group=%s peer=%s: %s",
	    (unsigned long long)se->se_id, se->se_user, se->se_group, peer,
	    msg);
}

void
session_log(const struct session *se, int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	session_vlog(se, se->se_peer, priority, fmt, ap);
	va_end(ap);
}

void
session_log_peer(const struct session *se, const char *peer, int priority,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	session_vlog(se, peer != NULL ? peer : se->se_peer, priority, fmt,
	    ap);
	va_end(ap);
}

static void
session_expire_cb(evutil_socket_t fd, short events, void *arg)
{
	struct session *se = arg;

	(void)fd;
	(void)events;
	session_destroy(se, "no client connected within the reconnect "
	    "window");
}

static void
session_arm_expiry(struct session *se)
{
	struct timeval tv = { se->se_timers.reconnect_window, 0 };

	evtimer_add(se->se_expire, &tv);
}

static void
session_make_cookie(char out[SESSION_COOKIE_TEXT])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[SESSION_COOKIE_LEN];
	size_t i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		fatalx("RAND_bytes failed: no randomness for a cookie");
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * SESSION_COOKIE_LEN] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
}

static void
sessions_link(struct sessions *ss, struct session *se)
{
	size_t a = bucket_of_addr(se->se_addr);
	size_t c = bucket_of_cookie(se->se_cookie);
	size_t u = bucket_of_user(se->se_user);

	se->se_next_by_addr = ss->by_addr[a];
	ss->by_addr[a] = se;
	se->se_next_by_cookie = ss->by_cookie[c];
	ss->by_cookie[c] = se;
	LIST_INSERT_HEAD(&ss->by_user[u], se, se_by_user);
	TAILQ_INSERT_TAIL(&ss->list, se, se_entry);
	ss->count++;
	ss->group_count[se->se_tgroup]++;
	if (ss->count > counter_get(&ss->np->stats.sessions_peak))
		counter_set(&ss->np->stats.sessions_peak, ss->count);
}

static void
sessions_unlink(struct sessions *ss, struct session *se)
{
	struct session **pp;

	pp = &ss->by_addr[bucket_of_addr(se->se_addr)];
	while (*pp != se)
		pp = &(*pp)->se_next_by_addr;
	*pp = se->se_next_by_addr;
	pp = &ss->by_cookie[bucket_of_cookie(se->se_cookie)];
	while (*pp != se)
		pp = &(*pp)->se_next_by_cookie;
	*pp = se->se_next_by_cookie;
	LIST_REMOVE(se, se_by_user);
	TAILQ_REMOVE(&ss->list, se, se_entry);
	ss->count--;
	ss->group_count[se->se_tgroup]--;
}

/* Returns whether mask is a netmask: ones, then zeros, and not 0. */
static bool
session_netmask_valid(uint32_t mask)
{
	uint32_t hosts = ~mask;

	return (mask != 0 && (hosts & (hosts + 1)) == 0);
}

/* A network pool's netmask; a range has none, so a host mask. */
static uint32_t
session_pool_netmask(const struct config_pool *p)
{
	return (p->prefix < 0 ? 0xffffffffu : pool_prefix_mask(p->prefix));
}

static struct session *
session_new(struct sessions *ss, const char *user, size_t tgroup,
    size_t pool, uint32_t addr, const char *peer)
{
	const struct config *cfg = ss->np->cfg;
	const struct config_tgroup *tg = &cfg->tgroups[tgroup];
	struct session *se;

	if ((se = calloc(1, sizeof(*se))) == NULL)
		return (NULL);
	se->se_np = ss->np;
	se->se_started = se->se_last_activity = time(NULL);
	se->se_expire = evtimer_new(ss->np->base, session_expire_cb, se);
	if (se->se_expire == NULL ||
	    lifecycle_start(se, &cfg->policies[tg->policy]) != 0) {
		if (se->se_expire != NULL)
			event_free(se->se_expire);
		free(se);
		return (NULL);
	}
	se->se_id = ss->next_id++;
	snprintf(se->se_user, sizeof(se->se_user), "%s", user);
	se->se_tgroup = tgroup;
	snprintf(se->se_group, sizeof(se->se_group), "%s",
	    cfg->tgroups[tgroup].name);
	se->se_pool = pool;
	se->se_addr = addr;
	se->se_netmask = session_pool_netmask(&cfg->pools[pool]);
	snprintf(se->se_peer, sizeof(se->se_peer), "%s", peer);
	session_make_cookie(se->se_cookie);
	sessions_link(ss, se);
	session_arm_expiry(se);
	worker_route(ss->np, addr, 0);
	return (se);
}

struct session *
session_create(struct sessions *ss, const char *user, size_t tgroup,
    size_t pool, uint32_t addr, const char *peer)
{
	struct session *se = session_new(ss, user, tgroup, pool, addr, peer);

	if (se != NULL)
		persist_session_up(se);
	return (se);
}

static void
sessions_unlink_cookie(struct sessions *ss, struct session *se)
{
	struct session **pp;

	pp = &ss->by_cookie[bucket_of_cookie(se->se_cookie)];
	while (*pp != se)
		pp = &(*pp)->se_next_by_cookie;
	*pp = se->se_next_by_cookie;
}

void
session_set_cookie(struct session *se, const char *cookie)
{
	struct sessions *ss = se->se_np->sessions;
	size_t c;

	sessions_unlink_cookie(ss, se);
	OPENSSL_cleanse(se->se_cookie, sizeof(se->se_cookie));
	snprintf(se->se_cookie, sizeof(se->se_cookie), "%s", cookie);
	c = bucket_of_cookie(se->se_cookie);
	se->se_next_by_cookie = ss->by_cookie[c];
	ss->by_cookie[c] = se;
}

/*
 * A restored session is created like a new one, then takes the saved
 * identity. Its empty cookie matches no CONNECT, because
 * session_find_cookie compares the whole text.
 */
struct session *
session_restore(struct sessions *ss, const struct session_saved *sv)
{
	struct timeval tv = { sv->window, 0 };
	struct session *se;

	se = session_new(ss, sv->user, sv->tgroup, sv->pool, sv->addr, "-");
	if (se == NULL)
		return (NULL);
	session_set_cookie(se, "");
	memcpy(se->se_cookie_hash, sv->cookie_hash,
	    sizeof(se->se_cookie_hash));
	se->se_id = sv->id;
	se->se_started = sv->started;
	se->se_reconnects = sv->reconnects;

	/* The client rejects a reconnect that brings another netmask. */
	if (session_netmask_valid(sv->netmask))
		se->se_netmask = sv->netmask;
	se->se_connected = sv->connected;
	lifecycle_rearm(se);
	evtimer_add(se->se_expire, &tv);
	return (se);
}

void
sessions_skip_ids(struct sessions *ss, uint64_t id)
{
	if (ss->next_id <= id)
		ss->next_id = id + 1;
}

/* Every member of struct session_stats is a uint64_t counter. */
void
session_stats_add(struct session_stats *sum, const struct session_stats *st)
{
	_Static_assert(sizeof(*st) % sizeof(uint64_t) == 0,
	    "struct session_stats holds only uint64_t counters");
	counters_sum((uint64_t *)sum, (const uint64_t *)st,
	    sizeof(*st) / sizeof(uint64_t));
}

/*
 * One lock serves every session, because a DTLS description changes only
 * when DTLS comes up, goes down or moves, and status reads it rarely.
 */
static pthread_mutex_t session_dtls_mutex = PTHREAD_MUTEX_INITIALIZER;

void
session_dtls_lock(void)
{
	pthread_mutex_lock(&session_dtls_mutex);
}

void
session_dtls_unlock(void)
{
	pthread_mutex_unlock(&session_dtls_mutex);
}

void
session_view_take(const struct session *se, struct session_view *v)
{
	memset(&v->stats, 0, sizeof(v->stats));
	session_stats_add(&v->stats, &se->se_stats);
	v->last_activity = __atomic_load_n(&se->se_last_activity,
	    __ATOMIC_RELAXED);
	session_dtls_lock();
	v->dtls = se->se_dtls;
	session_dtls_unlock();
}

void
session_set_tls(struct session *se, const char *version, const char *cipher)
{
	snprintf(se->se_tls_version, sizeof(se->se_tls_version), "%s",
	    version);
	snprintf(se->se_tls_cipher, sizeof(se->se_tls_cipher), "%s", cipher);
}

/* Add to sum what the counters of st gained since then. */
static void
session_stats_add_since(struct session_stats *sum,
    const struct session_stats *st, const struct session_stats *then)
{
	struct session_stats now;
	uint64_t *s = (uint64_t *)sum;
	const uint64_t *n = (const uint64_t *)&now;
	const uint64_t *t = (const uint64_t *)then;
	size_t i;

	memset(&now, 0, sizeof(now));
	session_stats_add(&now, st);
	/* A replaced tunnel's late counts could briefly lag: never wrap. */
	for (i = 0; i < sizeof(now) / sizeof(uint64_t); i++)
		s[i] += n[i] >= t[i] ? n[i] - t[i] : 0;
}

/*
 * Log the end of a session with its totals, add them to the ended
 * sessions' and free it. Runs once the session's tunnel is gone, so that
 * the totals include what the worker forwarded until it closed it.
 */
static void
session_finish(struct session *se, const char *reason)
{
	struct netproc *np = se->se_np;
	struct in_addr in = { htonl(se->se_addr) };
	char addr[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &in, addr, sizeof(addr));
	session_log(se, LOG_INFO, "session ended (%s): address=%s "
	    "bytes_in=%llu bytes_out=%llu duration=%llds", reason, addr,
	    (unsigned long long)se->se_stats.bytes_in,
	    (unsigned long long)se->se_stats.bytes_out,
	    (long long)(time(NULL) - se->se_started));
	session_stats_add_since(&np->stats.sessions_ended, &se->se_stats,
	    &se->se_counted);
	free(se->se_end_reason);
	cert_identity_clear(&se->se_cert);
	free(se);
}

void
session_destroy(struct session *se, const char *reason)
{
	struct netproc *np = se->se_np;

	/* The owner closes the tunnel before it hears the address went. */
	if (se->se_tunnel != NULL)
		worker_close_tunnel(se, reason, se->se_terminate);
	session_set_dtls_id(se, NULL);
	worker_route(np, se->se_addr, -1);
	sessions_unlink(np->sessions, se);
	np->sessions_closed++;
	pool_release(np->pools[se->se_pool], se->se_addr);
	persist_session_down(se);
	event_free(se->se_expire);
	lifecycle_stop(se);
	OPENSSL_cleanse(se->se_cookie, sizeof(se->se_cookie));

	if (se->se_tunnel == NULL) {
		session_finish(se, reason);
		return;
	}
	se->se_dying = true;
	se->se_end_reason = strdup(reason);

	/*
	 * The totals take what the session counted so far now, so that
	 * they never fall while the worker closes the tunnel.
	 */
	session_stats_add(&se->se_counted, &se->se_stats);
	session_stats_add(&np->stats.sessions_ended, &se->se_counted);
}

struct session *
session_find_cookie(struct sessions *ss, const char *cookie,
    const char *peer)
{
	struct session *se;

	if (strlen(cookie) != SESSION_COOKIE_TEXT - 1)
		return (NULL);
	se = ss->by_cookie[bucket_of_cookie(cookie)];
	for (; se != NULL; se = se->se_next_by_cookie) {
		if (CRYPTO_memcmp(se->se_cookie, cookie,
		    SESSION_COOKIE_TEXT - 1) == 0)
			return (se);
	}
	return (persist_claim(ss->np, cookie, peer));
}

struct session *
sessions_user_chain(struct sessions *ss, const char *user)
{
	return (LIST_FIRST(&ss->by_user[bucket_of_user(user)]));
}

struct session *
session_find_addr(struct sessions *ss, uint32_t addr)
{
	struct session *se = ss->by_addr[bucket_of_addr(addr)];

	for (; se != NULL; se = se->se_next_by_addr) {
		if (se->se_addr == addr)
			return (se);
	}
	return (NULL);
}

void
session_attach(struct session *se, struct tunnel *t, uint64_t id)
{
	if (se->se_tunnel == NULL)
		se->se_np->tunnels_open++;
	se->se_tunnel = t;
	se->se_tunnel_id = id;
	evtimer_del(se->se_expire);
	persist_session_update(se);
}

/* Workers learn and forget the id for DTLS from unexpected addresses. */
void
session_set_dtls_id(struct session *se, const uint8_t *id)
{
	if (se->se_has_dtls_id)
		worker_dtls_id(se->se_np, se->se_dtls_id, se->se_worker,
		    false);
	se->se_has_dtls_id = id != NULL;
	if (id == NULL)
		return;
	memcpy(se->se_dtls_id, id, sizeof(se->se_dtls_id));
	worker_dtls_id(se->se_np, se->se_dtls_id, se->se_worker, true);
}

void
session_tunnel_gone(struct session *se, uint64_t id, bool logout)
{
	/* An older tunnel, replaced by se_tunnel_id, reports late. */
	if (id != se->se_tunnel_id || se->se_tunnel == NULL)
		return;
	se->se_tunnel = NULL;
	se->se_np->tunnels_open--;
	session_set_dtls_id(se, NULL);
	if (se->se_dying) {
		session_finish(se, se->se_end_reason != NULL ?
		    se->se_end_reason : "reason lost: out of memory");
		return;
	}
	worker_route(se->se_np, se->se_addr, 0);
	if (logout) {
		session_destroy(se, "logged out by the client");
		return;
	}
	session_arm_expiry(se);
	persist_session_update(se);
}
