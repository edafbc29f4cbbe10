/* The status socket declared in status.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <json-c/json.h>

#include "log.h"
#include "netproc.h"
#include "pool.h"
#include "session.h"
#include "status.h"

#define STATUS_LINE_MAX	1024

static json_object *
status_error(const char *msg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	return (o);
}

static void
status_add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static json_object *
status_session(const struct session *se, time_t now)
{
	json_object *o = json_object_new_object();
	struct in_addr in = { htonl(se->se_addr) };
	char addr[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &in, addr, sizeof(addr));
	status_add_u64(o, "id", se->se_id);
	json_object_object_add(o, "user", json_object_new_string(se->se_user));
	json_object_object_add(o, "group",
	    json_object_new_string(se->se_group));
	json_object_object_add(o, "peer", json_object_new_string(se->se_peer));
	json_object_object_add(o, "address", json_object_new_string(addr));
	json_object_object_add(o, "connected",
	    json_object_new_boolean(se->se_tunnel != NULL));
	status_add_u64(o, "bytes_in", se->se_stats.bytes_in);
	status_add_u64(o, "bytes_out", se->se_stats.bytes_out);
	status_add_u64(o, "packets_in", se->se_stats.packets_in);
	status_add_u64(o, "packets_out", se->se_stats.packets_out);
	status_add_u64(o, "drops_spoofed", se->se_stats.drops_spoofed);
	status_add_u64(o, "drops_client_to_client",
	    se->se_stats.drops_client_to_client);
	status_add_u64(o, "drops_too_big", se->se_stats.drops_too_big);
	json_object_object_add(o, "uptime",
	    json_object_new_int64((int64_t)(now - se->se_started)));
	return (o);
}

static json_object *
status_show_sessions(struct netproc *np)
{
	json_object *o = json_object_new_object();
	json_object *list = json_object_new_array();
	const struct session *se;
	time_t now = time(NULL);

	TAILQ_FOREACH(se, sessions_list(np->sessions), se_entry)
		json_object_array_add(list, status_session(se, now));
	json_object_object_add(o, "sessions", list);
	return (o);
}

static json_object *
status_show_stats(struct netproc *np)
{
	json_object *o = json_object_new_object();
	const struct netproc_stats *s = &np->stats;

	json_object_object_add(o, "uptime",
	    json_object_new_int64((int64_t)(time(NULL) - np->started)));
	status_add_u64(o, "sessions", sessions_count(np->sessions));
	status_add_u64(o, "logins_ok", s->logins_ok);
	status_add_u64(o, "logins_denied", s->logins_denied);
	status_add_u64(o, "logins_error", s->logins_error);
	status_add_u64(o, "logins_pool_exhausted", s->logins_pool_exhausted);
	status_add_u64(o, "urls_rejected", s->urls_rejected);
	status_add_u64(o, "tls_handshake_failures",
	    s->tls_handshake_failures);
	status_add_u64(o, "tun_drops_no_session", s->tun_drops_no_session);
	status_add_u64(o, "tun_drops_too_big", s->tun_drops_too_big);
	return (o);
}

json_object *
status_command(struct netproc *np, const char *line)
{
	if (strcmp(line, "show sessions") == 0)
		return (status_show_sessions(np));
	if (strcmp(line, "show stats") == 0)
		return (status_show_stats(np));
	char msg[STATUS_LINE_MAX + 64];

	snprintf(msg, sizeof(msg), "unknown command \"%s\"; known: show "
	    "sessions, show stats", line);
	return (status_error(msg));
}

static void
status_read_cb(struct bufferevent *bev, void *arg)
{
	struct netproc *np = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	json_object *reply;
	const char *text;
	char *line;
	size_t len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		reply = status_command(np, line);
		free(line);
		text = json_object_to_json_string_ext(reply,
		    JSON_C_TO_STRING_PLAIN);
		bufferevent_write(bev, text, strlen(text));
		bufferevent_write(bev, "\n", 1);
		json_object_put(reply);
	}
	if (evbuffer_get_length(in) > STATUS_LINE_MAX)
		bufferevent_free(bev);
}

static void
status_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	(void)arg;
	bufferevent_free(bev);
}

static void
status_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct netproc *np = arg;
	struct bufferevent *bev;

	(void)l;
	(void)sa;
	(void)salen;
	bev = bufferevent_socket_new(np->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		evutil_closesocket(fd);
		return;
	}
	bufferevent_setcb(bev, status_read_cb, NULL, status_event_cb, np);
	bufferevent_enable(bev, EV_READ);
}

int
status_start(struct netproc *np, int fd)
{
	struct evconnlistener *l;

	l = evconnlistener_new(np->base, status_accept_cb, np,
	    LEV_OPT_CLOSE_ON_FREE, -1, fd);
	return (l == NULL ? -ENOMEM : 0);
}
