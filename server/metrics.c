/*
 * The counter snapshot and the Prometheus text exposition format,
 * declared in metrics.h. Every family has HELP and TYPE lines, counter
 * names end in _total, and label values are escaped as the format
 * requires (backslash, double quote and newline).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/ssl.h>

#include "metrics.h"
#include "netproc.h"
#include "pool.h"
#include "session.h"
#include "status.h"
#include "worker.h"

/* One sample of a family: its label value (or NULL) and its value. */
struct metrics_value {
	const char	*label;
	uint64_t	value;
};

#define METRICS_LEN(a)	(sizeof(a) / sizeof((a)[0]))

void
metrics_snapshot_take(struct netproc *np, struct metrics_snapshot *snap)
{
	const struct session *se;
	struct session_view v;
	size_t i;

	memset(snap, 0, sizeof(*snap));
	workers_stats_total(np, &snap->stats);
	snap->nworkers = workers_count(np);
	snap->totals = np->stats.sessions_ended;
	snap->conns_silent = np->conns_silent;
	TAILQ_FOREACH(se, sessions_list(np->sessions), se_entry) {
		session_view_take(se, &v);
		snap->sessions++;
		if (se->se_tunnel != NULL)
			snap->connected++;
		if (v.dtls.state == SESSION_DTLS_UP)
			snap->dtls_up++;
		if (se->se_tgroup < CONFIG_MAX_TGROUPS)
			snap->group_sessions[se->se_tgroup]++;
		if (se->se_tunnel != NULL && se->se_worker < CONFIG_MAX_WORKERS)
			snap->worker_tunnels[se->se_worker]++;
		session_stats_add(&snap->totals, &v.stats);
	}

	/* OpenSSL counts the server handshakes of each context. */
	snap->tls_accepts = np->tls_accepts_retired;
	snap->tls_accepts_good = np->tls_accepts_good_retired;
	for (i = 0; i < np->cfg->nlisteners; i++) {
		if (np->tls[i] == NULL)
			continue;
		snap->tls_accepts += (uint64_t)SSL_CTX_sess_accept(np->tls[i]);
		snap->tls_accepts_good +=
		    (uint64_t)SSL_CTX_sess_accept_good(np->tls[i]);
	}
}

static void
metrics_label_value(FILE *f, const char *value)
{
	for (; *value != '\0'; value++) {
		if (*value == '\\')
			fputs("\\\\", f);
		else if (*value == '"')
			fputs("\\\"", f);
		else if (*value == '\n')
			fputs("\\n", f);
		else
			fputc(*value, f);
	}
}

/*
 * Write one family: HELP and TYPE, then one sample per value, labelled
 * label_name="value->label" when label_name is not NULL.
 */
static void
metrics_family(FILE *f, const char *name, const char *type,
    const char *help, const char *label_name,
    const struct metrics_value *values, size_t n)
{
	size_t i;

	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	for (i = 0; i < n; i++) {
		fputs(name, f);
		if (label_name != NULL) {
			fprintf(f, "{%s=\"", label_name);
			metrics_label_value(f, values[i].label);
			fputs("\"}", f);
		}
		fprintf(f, " %llu\n", (unsigned long long)values[i].value);
	}
}

static void
metrics_single(FILE *f, const char *name, const char *type,
    const char *help, uint64_t value)
{
	struct metrics_value v = { NULL, value };

	metrics_family(f, name, type, help, NULL, &v, 1);
}

static void
metrics_write_sessions(FILE *f, struct netproc *np,
    const struct metrics_snapshot *snap)
{
	struct metrics_value groups[CONFIG_MAX_TGROUPS];
	size_t i;

	for (i = 0; i < np->cfg->ntgroups; i++) {
		groups[i].label = np->cfg->tgroups[i].name;
		groups[i].value = snap->group_sessions[i];
	}
	metrics_family(f, "headend_sessions", "gauge", "Sessions per "
	    "tunnel-group, with or without a connected client.", "group",
	    groups, np->cfg->ntgroups);
	metrics_single(f, "headend_sessions_connected", "gauge", "Sessions "
	    "whose client is connected.", snap->connected);
	metrics_single(f, "headend_sessions_dtls_up", "gauge", "Sessions "
	    "whose DTLS channel is up.", snap->dtls_up);
	metrics_single(f, "headend_sessions_peak", "gauge", "Most sessions "
	    "at one time since the network process started.",
	    snap->stats.sessions_peak);
	metrics_single(f, "headend_logoffs_total", "counter", "Sessions "
	    "ended by an administrator through the status socket.",
	    snap->stats.logoffs);
}

static void
metrics_write_logins(FILE *f, const struct metrics_snapshot *snap)
{
	const struct netproc_stats *s = &snap->stats;
	struct metrics_value logins[] = {
		{ "ok", s->logins_ok },
		{ "denied", s->logins_denied },
		{ "backend_error", s->logins_error },
		{ "pool_exhausted", s->logins_pool_exhausted },
		{ "expired", s->logins_expired },
	};
	struct metrics_value tls[] = {
		{ "ok", snap->tls_accepts_good },
		{ "failed", s->tls_handshake_failures },
	};

	metrics_family(f, "headend_logins_total", "counter", "Login "
	    "attempts by result.", "result", logins, METRICS_LEN(logins));
	metrics_single(f, "headend_group_url_rejected_total", "counter",
	    "Requests for a URL that is no tunnel-group's group-url.",
	    s->urls_rejected);
	metrics_family(f, "headend_tls_handshakes_total", "counter", "TLS "
	    "handshakes on the listeners by result.", "result", tls,
	    METRICS_LEN(tls));
	metrics_single(f, "headend_connections_awaiting_hello", "gauge",
	    "Connections whose client has sent nothing yet.",
	    snap->conns_silent);
}

static void
metrics_write_traffic(FILE *f, const struct metrics_snapshot *snap)
{
	const struct session_stats *t = &snap->totals;
	struct metrics_value bytes[] = {
		{ "in", t->bytes_in }, { "out", t->bytes_out },
	};
	struct metrics_value packets[] = {
		{ "in", t->packets_in }, { "out", t->packets_out },
	};
	struct metrics_value drops[] = {
		{ "spoofed", t->drops_spoofed },
		{ "client_to_client", t->drops_client_to_client },
		{ "too_big", t->drops_too_big },
		{ "queue_full", t->drops_queue_full },
		{ "no_tunnel", t->drops_no_tunnel },
		{ "malformed", t->drops_malformed },
		{ "ipv6", t->drops_ipv6 },
		{ "no_session", snap->stats.tun_drops_no_session },
		{ "offload", snap->stats.tun_drops_offload },
		{ "tun_write", snap->stats.tun_drops_write },
	};

	metrics_family(f, "headend_bytes_total", "counter", "Bytes of inner "
	    "packets; in is from clients, out is to clients.", "direction",
	    bytes, METRICS_LEN(bytes));
	metrics_family(f, "headend_packets_total", "counter", "Inner "
	    "packets; in is from clients, out is to clients.", "direction",
	    packets, METRICS_LEN(packets));
	metrics_family(f, "headend_dropped_packets_total", "counter",
	    "Inner packets dropped, by reason.", "reason", drops,
	    METRICS_LEN(drops));
	metrics_single(f, "headend_tun_writes_total", "counter", "Writes "
	    "to the tun device; merged TCP segments share one.",
	    snap->stats.tun_writes);
	metrics_single(f, "headend_tun_merged_segments_total", "counter",
	    "TCP segments from clients written as part of a merged one.",
	    snap->stats.tun_merged_segments);
	metrics_single(f, "headend_tun_split_segments_total", "counter",
	    "TCP segments to clients cut from larger packets of the device.",
	    snap->stats.tun_split_segments);
	metrics_single(f, "headend_fragmented_packets_total", "counter",
	    "Packets to clients cut into IP fragments to fit their MTU.",
	    snap->stats.tun_fragmented);
}

/* Tunnels and handed-over packets of each worker thread. */
static void
metrics_write_workers(FILE *f, struct netproc *np,
    const struct metrics_snapshot *snap)
{
	struct metrics_value tunnels[CONFIG_MAX_WORKERS];
	struct metrics_value handovers[CONFIG_MAX_WORKERS];
	char names[CONFIG_MAX_WORKERS][24];
	size_t i;

	for (i = 0; i < snap->nworkers; i++) {
		snprintf(names[i], sizeof(names[i]), "%zu", i);
		tunnels[i].label = handovers[i].label = names[i];
		tunnels[i].value = snap->worker_tunnels[i];
		handovers[i].value = counter_get(
		    &workers_netproc(np, i)->stats.handovers_in);
	}
	metrics_family(f, "headend_worker_tunnels", "gauge", "Tunnels "
	    "owned by each worker thread.", "worker", tunnels,
	    snap->nworkers);
	metrics_family(f, "headend_worker_handovers_total", "counter",
	    "Packets (tun reads and DTLS datagrams) that another worker "
	    "read and handed to this one, the owner of their tunnel.",
	    "worker", handovers, snap->nworkers);
	metrics_single(f, "headend_worker_handover_drops_total", "counter",
	    "Packets dropped because the owner's handover ring was full.",
	    snap->stats.handover_drops);
}

static void
metrics_write_pools(FILE *f, struct netproc *np)
{
	struct metrics_value size[CONFIG_MAX_POOLS], used[CONFIG_MAX_POOLS];
	char names[CONFIG_MAX_POOLS][CONFIG_NAME_MAX + 16];
	const struct config_pool *p;
	size_t i;

	/*
	 * A retired pool keeps its name beside its successor's, and a pool
	 * retired twice has two such copies, so the label adds the slot.
	 */
	for (i = 0; i < np->cfg->npools; i++) {
		p = &np->cfg->pools[i];
		if (p->retired)
			snprintf(names[i], sizeof(names[i]), "%s (retired %zu)",
			    p->name, i);
		else
			snprintf(names[i], sizeof(names[i]), "%s", p->name);
		size[i].label = used[i].label = names[i];
		size[i].value = pool_size(np->pools[i]);
		used[i].value = pool_used(np->pools[i]);
	}
	metrics_family(f, "headend_pool_addresses", "gauge", "Addresses a "
	    "pool can lease.", "pool", size, np->cfg->npools);
	metrics_family(f, "headend_pool_addresses_used", "gauge", "Addresses "
	    "a pool has leased.", "pool", used, np->cfg->npools);
}

static void
metrics_write_certificates(FILE *f, struct netproc *np)
{
	struct metrics_value expiry[CONFIG_MAX_LISTENERS];
	char names[CONFIG_MAX_LISTENERS][INET6_ADDRSTRLEN + 8];
	size_t i, n = 0;
	time_t t;

	for (i = 0; i < np->cfg->nlisteners; i++) {
		if (statuscert_not_after(np->tls[i], &t) != 0)
			continue;
		snprintf(names[n], sizeof(names[n]), "%s:%u",
		    np->cfg->listeners[i].address,
		    np->cfg->listeners[i].tcp_port);
		expiry[n].label = names[n];
		expiry[n].value = t < 0 ? 0 : (uint64_t)t;
		n++;
	}
	metrics_family(f, "headend_certificate_expiry_timestamp_seconds",
	    "gauge", "Time at which the listener's server certificate "
	    "expires, in seconds since the Unix epoch.", "listener", expiry,
	    n);
}

char *
metrics_text(struct netproc *np)
{
	struct metrics_snapshot snap;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&text, &len)) == NULL)
		return (NULL);
	metrics_snapshot_take(np, &snap);
	metrics_single(f, "headend_start_time_seconds", "gauge", "Start "
	    "time of the network process in seconds since the Unix epoch.",
	    (uint64_t)np->started);
	metrics_write_sessions(f, np, &snap);
	metrics_write_logins(f, &snap);
	metrics_write_traffic(f, &snap);
	metrics_write_workers(f, np, &snap);
	metrics_write_pools(f, np);
	metrics_write_certificates(f, np);
	if (fclose(f) != 0) {
		free(text);
		return (NULL);
	}
	return (text);
}

json_object *
metrics_command(struct status_request *req)
{
	json_object *o;
	char *text = metrics_text(req->np);

	if (text == NULL)
		return (status_error(STATUS_UNAVAILABLE, "out of memory"));
	o = json_object_new_object();
	json_object_object_add(o, "content_type",
	    json_object_new_string(METRICS_CONTENT_TYPE));
	json_object_object_add(o, "text", statusjson_string(text));
	free(text);
	return (o);
}
