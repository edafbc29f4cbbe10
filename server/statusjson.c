/*
 * JSON building blocks of the status socket, session filters, and the
 * session documents (show sessions, show session ID). Declared in
 * status.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "dtls.h"
#include "netproc.h"
#include "session.h"
#include "status.h"
#include "utf8.h"

#define STATUSJSON_REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD in UTF-8 */

/* Copy text with each invalid byte replaced by U+FFFD. */
static char *
statusjson_utf8_repair(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	char *out = malloc(3 * strlen(text) + 1), *q = out;
	size_t n;

	if (out == NULL)
		return (NULL);
	for (; *p != '\0'; p += n) {
		if ((n = utf8_length(p)) > 0) {
			memcpy(q, p, n);
			q += n;
		} else {
			memcpy(q, STATUSJSON_REPLACEMENT, 3);
			q += 3;
			n = 1;
		}
	}
	*q = '\0';
	return (out);
}

json_object *
statusjson_string(const char *text)
{
	json_object *o;
	char *repaired;

	if (utf8_valid(text))
		return (json_object_new_string(text));
	if ((repaired = statusjson_utf8_repair(text)) == NULL)
		return (json_object_new_string("?"));
	o = json_object_new_string(repaired);
	free(repaired);
	return (o);
}

/* A string member, or null when the text is empty (not known). */
static json_object *
statusjson_string_or_null(const char *text)
{
	return (text[0] == '\0' ? NULL : statusjson_string(text));
}

json_object *
statusjson_time(time_t t)
{
	char buf[32];
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return (NULL);
	return (json_object_new_string(buf));
}

json_object *
statusjson_ipv4(unsigned int addr)
{
	struct in_addr in = { htonl(addr) };
	char buf[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &in, buf, sizeof(buf));
	return (json_object_new_string(buf));
}

static void
statusjson_add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

/* Session filters */

static const struct {
	const char	*field;
	int		kind;
} statusjson_filters[] = {
	{ "id", STATUS_FILTER_ID },
	{ "user", STATUS_FILTER_USER },
	{ "group", STATUS_FILTER_GROUP },
	{ "address", STATUS_FILTER_ADDRESS },
};

static json_object *
statusjson_filter_value(struct status_filter *f, const char *value)
{
	struct in_addr in;
	char *end;

	f->text = value;
	if (f->kind == STATUS_FILTER_ID) {
		errno = 0;
		f->id = strtoull(value, &end, 10);
		if (value[0] < '0' || value[0] > '9' || *end != '\0' ||
		    errno != 0)
			return (status_error(STATUS_INVALID, "invalid session "
			    "id \"%.64s\": use the number that show sessions "
			    "lists", value));
	} else if (f->kind == STATUS_FILTER_ADDRESS) {
		if (inet_pton(AF_INET, value, &in) != 1)
			return (status_error(STATUS_INVALID, "invalid address "
			    "\"%.64s\": use an IPv4 address such as "
			    "198.19.0.1", value));
		f->addr = ntohl(in.s_addr);
	}
	return (NULL);
}

json_object *
status_filter_parse(struct status_filter *f, const char *field,
    const char *value)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < sizeof(statusjson_filters) /
	    sizeof(statusjson_filters[0]); i++) {
		if (strcmp(field, statusjson_filters[i].field) == 0) {
			f->kind = statusjson_filters[i].kind;
			return (statusjson_filter_value(f, value));
		}
	}
	return (status_error(STATUS_INVALID, "unknown field \"%.64s\": use "
	    "id, user, group or address", field));
}

bool
status_filter_match(const struct status_filter *f, const struct session *se)
{
	switch (f->kind) {
	case STATUS_FILTER_ID:
		return (se->se_id == f->id);
	case STATUS_FILTER_USER:
		return (strcmp(se->se_user, f->text) == 0);
	case STATUS_FILTER_GROUP:
		return (strcmp(se->se_group, f->text) == 0);
	case STATUS_FILTER_ADDRESS:
		return (se->se_addr == f->addr);
	default:
		return (true);
	}
}

/* Session documents */

static const struct {
	const char	*name;
	size_t		offset;
} statusjson_drop_reasons[] = {
	{ "spoofed", offsetof(struct session_stats, drops_spoofed) },
	{ "client_to_client",
	  offsetof(struct session_stats, drops_client_to_client) },
	{ "too_big", offsetof(struct session_stats, drops_too_big) },
	{ "queue_full", offsetof(struct session_stats, drops_queue_full) },
	{ "no_tunnel", offsetof(struct session_stats, drops_no_tunnel) },
	{ "malformed", offsetof(struct session_stats, drops_malformed) },
	{ "ipv6", offsetof(struct session_stats, drops_ipv6) },
};

json_object *
statusjson_drops(const struct session_stats *st)
{
	json_object *o = json_object_new_object();
	const uint64_t *v;
	size_t i;

	for (i = 0; i < sizeof(statusjson_drop_reasons) /
	    sizeof(statusjson_drop_reasons[0]); i++) {
		v = (const uint64_t *)((const char *)st +
		    statusjson_drop_reasons[i].offset);
		statusjson_add_u64(o, statusjson_drop_reasons[i].name, *v);
	}
	return (o);
}

/* Members that both the list and the detail view carry. */
static void
statusjson_session_summary(json_object *o, const struct session *se,
    const struct session_view *v, time_t now)
{
	const struct session_stats *st = &v->stats;

	statusjson_add_u64(o, "id", se->se_id);
	json_object_object_add(o, "user", statusjson_string(se->se_user));
	json_object_object_add(o, "group", statusjson_string(se->se_group));
	json_object_object_add(o, "address", statusjson_ipv4(se->se_addr));
	json_object_object_add(o, "peer_tcp", statusjson_string(se->se_peer));
	json_object_object_add(o, "connected",
	    json_object_new_boolean(se->se_tunnel != NULL));
	/* The worker thread that owns the tunnel, or null. */
	json_object_object_add(o, "worker", se->se_tunnel == NULL ? NULL :
	    json_object_new_int64((int64_t)se->se_worker));
	json_object_object_add(o, "dtls_state",
	    json_object_new_string(dtls_state_name(&v->dtls)));
	statusjson_add_u64(o, "bytes_in", st->bytes_in);
	statusjson_add_u64(o, "bytes_out", st->bytes_out);
	statusjson_add_u64(o, "packets_in", st->packets_in);
	statusjson_add_u64(o, "packets_out", st->packets_out);
	json_object_object_add(o, "started", statusjson_time(se->se_started));
	json_object_object_add(o, "duration",
	    json_object_new_int64((int64_t)(now - se->se_started)));
}

static json_object *
statusjson_channel(const struct session_stats *st)
{
	json_object *o = json_object_new_object();

	/* The session's totals less the part that went on DTLS. */
	statusjson_add_u64(o, "bytes_in", st->bytes_in - st->dtls_bytes_in);
	statusjson_add_u64(o, "bytes_out", st->bytes_out - st->dtls_bytes_out);
	statusjson_add_u64(o, "packets_in",
	    st->packets_in - st->dtls_packets_in);
	statusjson_add_u64(o, "packets_out",
	    st->packets_out - st->dtls_packets_out);
	return (o);
}

/* TLS and DTLS parameters; the certificate's members are null without one. */
static void
statusjson_session_crypto(json_object *o, const struct session *se,
    const struct session_view *v)
{
	json_object *tls = json_object_new_object();
	json_object *dtls = json_object_new_object();
	json_object *cert = json_object_new_object();

	json_object_object_add(cert, "subject",
	    statusjson_string_or_null(se->se_cert.ci_subject));
	json_object_object_add(cert, "issuer",
	    statusjson_string_or_null(se->se_cert.ci_issuer));
	json_object_object_add(cert, "serial",
	    statusjson_string_or_null(se->se_cert.ci_serial));
	json_object_object_add(cert, "sha256",
	    statusjson_string_or_null(se->se_cert.ci_sha256));
	json_object_object_add(o, "client_certificate", cert);
	json_object_object_add(tls, "version",
	    statusjson_string_or_null(se->se_tls_version));
	json_object_object_add(tls, "cipher",
	    statusjson_string_or_null(se->se_tls_cipher));
	json_object_object_add(o, "tls", tls);
	dtls_session_json(&v->dtls, dtls);
	json_object_object_add(o, "dtls", dtls);
}

static json_object *
statusjson_session_detail(const struct session *se, time_t now)
{
	json_object *o = json_object_new_object();
	json_object *channels = json_object_new_object();
	struct session_view v;

	session_view_take(se, &v);
	statusjson_session_summary(o, se, &v, now);
	json_object_object_add(o, "peer_udp",
	    statusjson_string_or_null(v.dtls.peer));
	json_object_object_add(o, "user_agent",
	    statusjson_string(se->se_user_agent));
	statusjson_session_crypto(o, se, &v);
	json_object_object_add(channels, "cstp",
	    statusjson_channel(&v.stats));
	json_object_object_add(channels, "dtls",
	    dtls_channel_json(&v.stats));
	json_object_object_add(o, "channels", channels);
	json_object_object_add(o, "drops",
	    statusjson_drops(&v.stats));
	json_object_object_add(o, "last_activity",
	    statusjson_time(v.last_activity));
	json_object_object_add(o, "reconnects",
	    json_object_new_uint64(se->se_reconnects));
	return (o);
}

json_object *
statusjson_sessions(struct status_request *req)
{
	struct status_filter f = { .kind = STATUS_FILTER_ALL };
	json_object *o, *list, *entry, *err;
	const struct session *se;
	struct session_view v;
	time_t now = time(NULL);

	if (req->argc == 1)
		return (status_error(STATUS_INVALID, "a filter needs a field "
		    "and a value, such as \"user alice\""));
	if (req->argc == 2 &&
	    (err = status_filter_parse(&f, req->argv[0], req->argv[1])) !=
	    NULL)
		return (err);

	o = json_object_new_object();
	list = json_object_new_array();
	TAILQ_FOREACH(se, sessions_list(req->np->sessions), se_entry) {
		if (!status_filter_match(&f, se))
			continue;
		entry = json_object_new_object();
		session_view_take(se, &v);
		statusjson_session_summary(entry, se, &v, now);
		json_object_array_add(list, entry);
	}
	json_object_object_add(o, "sessions", list);
	return (o);
}

json_object *
statusjson_session(struct status_request *req)
{
	struct status_filter f;
	json_object *o, *err;
	const struct session *se;

	if ((err = status_filter_parse(&f, "id", req->argv[0])) != NULL)
		return (err);
	TAILQ_FOREACH(se, sessions_list(req->np->sessions), se_entry) {
		if (status_filter_match(&f, se)) {
			o = json_object_new_object();
			json_object_object_add(o, "session",
			    statusjson_session_detail(se, time(NULL)));
			return (o);
		}
	}
	return (status_error(STATUS_NOT_FOUND, "no session has id %llu",
	    f.id));
}
