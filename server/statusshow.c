/*
 * show groups, show pools and show stats, declared in status.h. Pools
 * and groups come from the configuration, counts from the live sessions
 * and the counters of the network process.
 */
#include <stdint.h>

#include <json-c/json.h>

#include "dtls.h"
#include "login.h"
#include "metrics.h"
#include "netproc.h"
#include "pool.h"
#include "status.h"
#include "worker.h"

/* Names of the configuration's keywords, as the file spells them. */
static const char *const statusshow_auth_methods[] = {
	[AUTH_METHOD_PASSWORD] = "password",
	[AUTH_METHOD_CERTIFICATE] = "certificate",
	[AUTH_METHOD_BOTH] = "both",
};

static const char *const statusshow_backends[] = {
	[PASSWORD_USER_FILE] = "user-file",
	[PASSWORD_PAM] = "pam",
};

#define STATUSSHOW_NAME(table, i) \
	((size_t)(i) < sizeof(table) / sizeof((table)[0]) && \
	(table)[(i)] != NULL ? (table)[(i)] : "unknown")

static void
statusshow_add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static void
statusshow_add_pool_use(json_object *o, const struct pool *p)
{
	statusshow_add_u64(o, "size", pool_size(p));
	statusshow_add_u64(o, "used", pool_used(p));
	statusshow_add_u64(o, "free", pool_size(p) - pool_used(p));
}

static json_object *
statusshow_group(struct netproc *np, size_t i,
    const struct metrics_snapshot *snap)
{
	const struct config_tgroup *tg = &np->cfg->tgroups[i];
	json_object *o = json_object_new_object();
	json_object *pool = json_object_new_object();
	json_object *urls = json_object_new_array();
	size_t j;

	json_object_object_add(o, "name", statusjson_string(tg->name));
	statusshow_add_u64(o, "sessions", snap->group_sessions[i]);
	json_object_object_add(pool, "name",
	    statusjson_string(np->cfg->pools[tg->pool].name));
	statusshow_add_pool_use(pool, np->pools[tg->pool]);
	json_object_object_add(o, "pool", pool);
	json_object_object_add(o, "group_policy",
	    statusjson_string(np->cfg->policies[tg->policy].name));
	json_object_object_add(o, "authentication", json_object_new_string(
	    STATUSSHOW_NAME(statusshow_auth_methods, tg->auth)));
	json_object_object_add(o, "password_backend", json_object_new_string(
	    STATUSSHOW_NAME(statusshow_backends, tg->backend)));
	for (j = 0; j < tg->nurls; j++)
		json_object_array_add(urls, statusjson_string(tg->urls[j]));
	json_object_object_add(o, "group_urls", urls);
	/* Removed by a reload, kept for its sessions, with no group-urls. */
	json_object_object_add(o, "retired",
	    json_object_new_boolean(tg->retired));
	return (o);
}

json_object *
statusshow_groups(struct status_request *req)
{
	struct netproc *np = req->np;
	struct metrics_snapshot snap;
	json_object *o = json_object_new_object();
	json_object *list = json_object_new_array();
	size_t i;

	metrics_snapshot_take(np, &snap);
	for (i = 0; i < np->cfg->ntgroups; i++)
		json_object_array_add(list, statusshow_group(np, i, &snap));
	json_object_object_add(o, "groups", list);
	return (o);
}

static json_object *
statusshow_pool(struct netproc *np, size_t i)
{
	const struct config_pool *cp = &np->cfg->pools[i];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", statusjson_string(cp->name));
	json_object_object_add(o, "first", statusjson_ipv4(cp->first));
	json_object_object_add(o, "last", statusjson_ipv4(cp->last));
	json_object_object_add(o, "prefix", cp->prefix < 0 ? NULL :
	    json_object_new_int(cp->prefix));
	statusshow_add_pool_use(o, np->pools[i]);

	/* A retired pool keeps its leases but hands out no address. */
	if (cp->retired)
		statusshow_add_u64(o, "free", 0);

	/* Reserved for their users, whether leased or free. */
	statusshow_add_u64(o, "static", pool_reserved(np->pools[i]));
	/* The range before a reload shrank or removed it, for its leases. */
	json_object_object_add(o, "retired",
	    json_object_new_boolean(cp->retired));
	return (o);
}

json_object *
statusshow_pools(struct status_request *req)
{
	json_object *o = json_object_new_object();
	json_object *list = json_object_new_array();
	size_t i;

	for (i = 0; i < req->np->cfg->npools; i++)
		json_object_array_add(list, statusshow_pool(req->np, i));
	json_object_object_add(o, "pools", list);
	return (o);
}

/* Return part / whole as a JSON number of three digits, as 0.4 or 1. */
static json_object *
statusshow_share(uint64_t part, uint64_t whole)
{
	double share = (double)part / (double)whole;
	char text[32];

	snprintf(text, sizeof(text), "%.3g", share);
	return (json_object_new_double_s(share, text));
}

static json_object *
statusshow_sessions(const struct metrics_snapshot *snap)
{
	json_object *o = json_object_new_object();

	statusshow_add_u64(o, "now", snap->sessions);
	statusshow_add_u64(o, "peak", snap->stats.sessions_peak);
	statusshow_add_u64(o, "connected", snap->connected);
	statusshow_add_u64(o, "dtls_up", snap->dtls_up);
	/* The share of sessions with DTLS up, from 0 to 1, or null. */
	json_object_object_add(o, "dtls_share", snap->sessions == 0 ? NULL :
	    statusshow_share(snap->dtls_up, snap->sessions));
	statusshow_add_u64(o, "logged_off", snap->stats.logoffs);
	return (o);
}

static json_object *
statusshow_logins(const struct netproc_stats *s)
{
	json_object *o = json_object_new_object();
	json_object *failed = json_object_new_object();

	statusshow_add_u64(o, "in_progress", login_count());
	statusshow_add_u64(o, "succeeded", s->logins_ok);
	statusshow_add_u64(failed, "denied", s->logins_denied);
	statusshow_add_u64(failed, "backend_error", s->logins_error);
	statusshow_add_u64(failed, "pool_exhausted",
	    s->logins_pool_exhausted);
	statusshow_add_u64(failed, "expired", s->logins_expired);
	json_object_object_add(o, "failed", failed);
	statusshow_add_u64(o, "group_url_rejected", s->urls_rejected);
	return (o);
}

static json_object *
statusshow_handshakes(const struct netproc_stats *s,
    const struct metrics_snapshot *snap)
{
	json_object *o = json_object_new_object();
	json_object *tls = json_object_new_object();

	statusshow_add_u64(tls, "started", snap->tls_accepts);
	statusshow_add_u64(tls, "succeeded", snap->tls_accepts_good);
	statusshow_add_u64(tls, "failed", s->tls_handshake_failures);
	statusshow_add_u64(tls, "awaiting_hello", snap->conns_silent);
	statusshow_add_u64(tls, "closed_before_request",
	    s->conns_closed_unused);
	statusshow_add_u64(tls, "closed_before_hello",
	    s->conns_closed_silent);
	json_object_object_add(o, "tls", tls);
	json_object_object_add(o, "dtls", dtls_stats_json(s));
	return (o);
}

static json_object *
statusshow_traffic(const struct metrics_snapshot *snap)
{
	const struct session_stats *t = &snap->totals;
	json_object *o = json_object_new_object();
	json_object *drops;

	statusshow_add_u64(o, "bytes_in", t->bytes_in);
	statusshow_add_u64(o, "bytes_out", t->bytes_out);
	statusshow_add_u64(o, "packets_in", t->packets_in);
	statusshow_add_u64(o, "packets_out", t->packets_out);
	drops = statusjson_drops(t);
	statusshow_add_u64(drops, "no_session",
	    snap->stats.tun_drops_no_session);
	statusshow_add_u64(drops, "offload",
	    snap->stats.tun_drops_offload);
	statusshow_add_u64(drops, "tun_write",
	    snap->stats.tun_drops_write);
	statusshow_add_u64(o, "tun_writes", snap->stats.tun_writes);
	statusshow_add_u64(o, "tun_merged_segments",
	    snap->stats.tun_merged_segments);
	statusshow_add_u64(o, "tun_split_segments",
	    snap->stats.tun_split_segments);
	statusshow_add_u64(o, "fragmented", snap->stats.tun_fragmented);
	json_object_object_add(o, "drops", drops);
	return (o);
}

/* What the limits section refused or closed, and the bans. */
static json_object *
statusshow_limits(const struct netproc_stats *s)
{
	json_object *o = json_object_new_object();

	statusshow_add_u64(o, "handshake_timeouts", s->handshake_timeouts);
	statusshow_add_u64(o, "request_timeouts", s->request_timeouts);
	statusshow_add_u64(o, "idle_closes", s->idle_closes);
	statusshow_add_u64(o, "connections_over_source_limit",
	    s->conns_over_source_limit);
	statusshow_add_u64(o, "connections_over_limit", s->conns_over_limit);
	statusshow_add_u64(o, "logins_over_source_limit",
	    s->logins_over_source_limit);
	statusshow_add_u64(o, "sessions_over_limit", s->sessions_over_limit);
	statusshow_add_u64(o, "logins_banned", s->logins_banned);
	statusshow_add_u64(o, "logins_waited", s->logins_waited);
	statusshow_add_u64(o, "logins_table_full", s->logins_table_full);
	statusshow_add_u64(o, "bans_started", s->bans);
	statusshow_add_u64(o, "accept_pauses", s->accept_pauses);
	return (o);
}

/* Each worker thread's tunnels and handed-over packets. */
static json_object *
statusshow_workers(struct netproc *np, const struct metrics_snapshot *snap)
{
	json_object *list = json_object_new_array();
	const struct netproc_stats *st;
	json_object *o;
	size_t i;

	for (i = 0; i < snap->nworkers; i++) {
		st = &workers_netproc(np, i)->stats;
		o = json_object_new_object();
		statusshow_add_u64(o, "worker", i);
		statusshow_add_u64(o, "tunnels", snap->worker_tunnels[i]);
		statusshow_add_u64(o, "handovers_out",
		    counter_get(&st->handovers_out));
		statusshow_add_u64(o, "handovers_in",
		    counter_get(&st->handovers_in));
		statusshow_add_u64(o, "handover_drops",
		    counter_get(&st->handover_drops));
		json_object_array_add(list, o);
	}
	return (list);
}

json_object *
statusshow_stats(struct status_request *req)
{
	struct netproc *np = req->np;
	struct metrics_snapshot snap;
	json_object *o = json_object_new_object();

	metrics_snapshot_take(np, &snap);
	json_object_object_add(o, "started", statusjson_time(np->started));
	json_object_object_add(o, "uptime",
	    json_object_new_int64((int64_t)(time(NULL) - np->started)));
	json_object_object_add(o, "sessions", statusshow_sessions(&snap));
	json_object_object_add(o, "logins",
	    statusshow_logins(&snap.stats));
	json_object_object_add(o, "handshakes",
	    statusshow_handshakes(&snap.stats, &snap));
	json_object_object_add(o, "traffic", statusshow_traffic(&snap));
	json_object_object_add(o, "workers", statusshow_workers(np, &snap));
	json_object_object_add(o, "limits",
	    statusshow_limits(&snap.stats));
	return (o);
}
