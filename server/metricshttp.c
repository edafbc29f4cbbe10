/*
 * The optional HTTP listener for Prometheus, declared in metrics.h: a
 * small HTTP/1.0 responder that serves the exposition text to GET and
 * HEAD requests for /metrics and closes the connection after each
 * response. It has no authentication, so listen on a loopback or
 * management address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "http.h"
#include "log.h"
#include "metrics.h"
#include "netproc.h"

#define METRICS_HTTP_CONNS_MAX	16	/* scrapers connected at once */
#define METRICS_HTTP_TIMEOUT	10	/* seconds a connection may stay */
#define METRICS_HTTP_PATH	"/metrics"
#define METRICS_HTTP_LINE_MAX	1024	/* bytes of the request line */

struct metrics_conn;

struct metrics_http {
	struct evconnlistener *listener;
	TAILQ_HEAD(, metrics_conn) conns;	/* oldest first */
	size_t		nconns;
	uint64_t	rejected;	/* connections over the limit */
	uint64_t	evicted;	/* closed to make room */
};

struct metrics_conn {
	TAILQ_ENTRY(metrics_conn) entry;
	struct netproc	*np;
	struct bufferevent *bev;
	struct event	*deadline;	/* from accept, not from a read */
	struct http_parser *parser;
	bool		responded;
	bool		started;	/* some of the request arrived */
	bool		line_complete;
	size_t		line_len;
	char		line[METRICS_HTTP_LINE_MAX + 1];	/* as sent */
};

static void
metrics_conn_free(struct metrics_conn *mc)
{
	TAILQ_REMOVE(&mc->np->metrics_http->conns, mc, entry);
	mc->np->metrics_http->nconns--;
	if (mc->deadline != NULL)
		event_free(mc->deadline);
	bufferevent_free(mc->bev);
	http_parser_free(mc->parser);
	free(mc);
}

static void
metrics_conn_write_cb(struct bufferevent *bev, void *arg)
{
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		metrics_conn_free(arg);
}

static void
metrics_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	metrics_conn_free(arg);
}

/*
 * A scraper that sends a byte now and then would restart the
 * bufferevent's timeouts forever, so every connection also ends a fixed
 * time after its accept.
 */
static void
metrics_conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	metrics_conn_free(arg);
}

/*
 * Return whether mc's client has sent a byte, also one that arrived
 * since the last read: the accept loop may run before the read callback.
 */
static bool
metrics_conn_started(struct metrics_conn *mc)
{
	char byte;

	if (!mc->started && recv(bufferevent_getfd(mc->bev), &byte, 1,
	    MSG_PEEK | MSG_DONTWAIT) > 0)
		mc->started = true;
	return (mc->started);
}

/*
 * Return the oldest connection that has not had its response yet,
 * preferring one that has sent no byte at all.
 */
static struct metrics_conn *
metrics_eviction_pick(struct metrics_http *mh)
{
	struct metrics_conn *mc, *oldest_started = NULL;

	TAILQ_FOREACH(mc, &mh->conns, entry) {
		if (mc->responded)
			continue;
		if (!metrics_conn_started(mc))
			return (mc);
		if (oldest_started == NULL)
			oldest_started = mc;
	}
	return (oldest_started);
}

/*
 * Make room for a new connection by closing the oldest one that has not
 * sent its request yet, so that clients that connect and send nothing
 * cannot keep scrapers out. A scraper part-way through its request goes
 * only when every waiting connection has started one. Returns false when
 * every connection has its response under way.
 */
static bool
metrics_evict_idle(struct metrics_http *mh)
{
	struct metrics_conn *mc;
	const char *reason;
	uint64_t n;

	if ((mc = metrics_eviction_pick(mh)) == NULL)
		return (false);
	reason = mc->started ? "had not finished its request" :
	    "had sent no request";
	metrics_conn_free(mc);
	if ((n = mh->evicted++) % 100 == 0)
		log_warnx("metrics: %d connections were open, so the oldest "
		    "that %s was closed (%llu so far)",
		    METRICS_HTTP_CONNS_MAX, reason, (unsigned long long)n + 1);
	return (true);
}

/* Log the first rejection and every 100th, since a flood repeats them. */
static void
metrics_refuse(struct metrics_http *mh, evutil_socket_t fd)
{
	uint64_t n = mh->rejected++;

	evutil_closesocket(fd);
	if (n % 100 == 0)
		log_warnx("metrics: rejected a connection: %d are open, or out "
		    "of memory (%llu rejected so far)", METRICS_HTTP_CONNS_MAX,
		    (unsigned long long)n + 1);
}

/* Queue a complete response. The connection closes once it is sent. */
static void
metrics_respond(struct metrics_conn *mc, int status, const char *reason,
    const char *headers, const char *body, bool head_only)
{
	struct evbuffer *out = bufferevent_get_output(mc->bev);
	size_t len = strlen(body);

	evbuffer_add_printf(out, "HTTP/1.0 %d %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n%s\r\n", status, reason, len, headers);
	if (!head_only)
		evbuffer_add(out, body, len);
	mc->responded = true;
	bufferevent_disable(mc->bev, EV_READ);
	bufferevent_setcb(mc->bev, NULL, metrics_conn_write_cb,
	    metrics_conn_event_cb, mc);
	bufferevent_enable(mc->bev, EV_WRITE);
}

static void
metrics_not_found(struct metrics_conn *mc, bool head)
{
	metrics_respond(mc, 404, "Not Found", "Content-Type: text/plain\r\n",
	    "Not found: metrics are at /metrics\n", head);
}

static void
metrics_not_allowed(struct metrics_conn *mc)
{
	metrics_respond(mc, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n"
	    "Content-Type: text/plain\r\n", "Use GET.\n", false);
}

static void
metrics_handle(struct metrics_conn *mc, const struct http_request *req)
{
	bool head = req->method == HTTP_METHOD_HEAD;
	char *text;

	if (strcmp(req->path, METRICS_HTTP_PATH) != 0) {
		metrics_not_found(mc, head);
		return;
	}
	if (req->method != HTTP_METHOD_GET && !head) {
		metrics_not_allowed(mc);
		return;
	}
	if ((text = metrics_text(mc->np)) == NULL) {
		metrics_respond(mc, 500, "Internal Server Error", "",
		    "Out of memory.\n", head);
		return;
	}
	metrics_respond(mc, 200, "OK", "Content-Type: " METRICS_CONTENT_TYPE
	    "\r\n", text, head);
	free(text);
}

/* The reason phrase of the statuses that http_parser_status returns. */
static const char *
metrics_reason(int status)
{
	switch (status) {
	case 400:
		return ("Bad Request");
	case 413:
		return ("Content Too Large");
	case 414:
		return ("URI Too Long");
	case 431:
		return ("Request Header Fields Too Large");
	case 501:
		return ("Not Implemented");
	case 505:
		return ("HTTP Version Not Supported");
	default:
		return ("Internal Server Error");
	}
}

/*
 * Keep the request line, because the parser gives no request after an
 * error. data is the next len bytes that the parser consumed.
 */
static void
metrics_keep_line(struct metrics_conn *mc, const char *data, size_t len)
{
	size_t room = sizeof(mc->line) - 1 - mc->line_len;
	const char *eol;

	if (mc->line_complete)
		return;
	if ((eol = memchr(data, '\n', len)) != NULL) {
		len = (size_t)(eol - data);
		mc->line_complete = true;
	}
	if (len > room)
		len = room;
	memcpy(mc->line + mc->line_len, data, len);
	mc->line_len += len;
	mc->line[mc->line_len] = '\0';
}

/*
 * The parser rejects a Content-Length above the body limit of 0 with 413
 * as soon as it reads that header, so the request line was valid. A
 * request without a body gets 404 for another path and 405 for another
 * method, and the kept request line decides the same way here.
 */
static void
metrics_reject_body(struct metrics_conn *mc)
{
	char *method = mc->line, *path = strchr(mc->line, ' ');

	if (path != NULL) {
		*path++ = '\0';
		path[strcspn(path, " ?")] = '\0';
	}
	if (path != NULL && strcmp(path, METRICS_HTTP_PATH) != 0)
		metrics_not_found(mc, strcmp(method, "HEAD") == 0);
	else if (path != NULL && strcmp(method, "GET") != 0 &&
	    strcmp(method, "HEAD") != 0)
		metrics_not_allowed(mc);
	else
		metrics_respond(mc, 413, metrics_reason(413), "",
		    "Use GET without a request body.\n", false);
}

static void
metrics_reject(struct metrics_conn *mc)
{
	int status = http_parser_status(mc->parser);

	if (status == 413)
		metrics_reject_body(mc);
	else
		metrics_respond(mc, status, metrics_reason(status), "",
		    "Invalid request.\n", false);
}

static void
metrics_conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct metrics_conn *mc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	enum http_parse_result r = HTTP_PARSE_INCOMPLETE;
	struct evbuffer_iovec vec;
	size_t used;

	if (evbuffer_get_length(in) > 0)
		mc->started = true;
	while (!mc->responded && r == HTTP_PARSE_INCOMPLETE &&
	    evbuffer_peek(in, -1, NULL, &vec, 1) > 0) {
		r = http_parser_feed(mc->parser, vec.iov_base, vec.iov_len,
		    &used);
		metrics_keep_line(mc, vec.iov_base, used);
		evbuffer_drain(in, used);
	}
	if (r == HTTP_PARSE_ERROR)
		metrics_reject(mc);
	else if (r == HTTP_PARSE_DONE)
		metrics_handle(mc, http_parser_request(mc->parser));
	if (mc->responded)
		evbuffer_drain(in, evbuffer_get_length(in));
}

/* Scrapers send small requests without a body. */
static struct http_parser *
metrics_parser_new(void)
{
	struct http_limits lim = {
		.request_line_max = METRICS_HTTP_LINE_MAX,
		.header_count_max = 32,
		.header_bytes_max = 8192,
		.body_max = 0,
	};

	return (http_parser_new(&lim));
}

static void
metrics_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct netproc *np = arg;
	struct timeval timeout = { METRICS_HTTP_TIMEOUT, 0 };
	struct metrics_conn *mc;

	(void)l;
	(void)sa;
	(void)salen;
	if ((np->metrics_http->nconns >= METRICS_HTTP_CONNS_MAX &&
	    !metrics_evict_idle(np->metrics_http)) ||
	    (mc = calloc(1, sizeof(*mc))) == NULL) {
		metrics_refuse(np->metrics_http, fd);
		return;
	}
	mc->np = np;
	mc->parser = metrics_parser_new();
	mc->bev = bufferevent_socket_new(np->base, fd, BEV_OPT_CLOSE_ON_FREE);
	mc->deadline = evtimer_new(np->base, metrics_conn_deadline_cb, mc);
	if (mc->parser == NULL || mc->bev == NULL || mc->deadline == NULL) {
		if (mc->bev == NULL)
			evutil_closesocket(fd);
		else
			bufferevent_free(mc->bev);
		if (mc->deadline != NULL)
			event_free(mc->deadline);
		http_parser_free(mc->parser);
		free(mc);
		return;
	}
	TAILQ_INSERT_TAIL(&np->metrics_http->conns, mc, entry);
	np->metrics_http->nconns++;
	evtimer_add(mc->deadline, &timeout);
	bufferevent_set_timeouts(mc->bev, &timeout, &timeout);
	bufferevent_setcb(mc->bev, metrics_conn_read_cb, NULL,
	    metrics_conn_event_cb, mc);
	bufferevent_enable(mc->bev, EV_READ);
}

int
metrics_http_start(struct netproc *np)
{
	const struct config_metrics *m = &np->cfg->metrics;
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(m->port) };
	struct metrics_http *mh;

	if (inet_pton(AF_INET, m->address, &sin.sin_addr) != 1)
		return (-EINVAL);
	if ((mh = calloc(1, sizeof(*mh))) == NULL)
		return (-ENOMEM);
	TAILQ_INIT(&mh->conns);
	mh->listener = evconnlistener_new_bind(np->base, metrics_accept_cb,
	    np, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
	    LEV_OPT_CLOSE_ON_EXEC, 16, (struct sockaddr *)&sin, sizeof(sin));
	if (mh->listener == NULL) {
		free(mh);
		return (errno != 0 ? -errno : -EADDRNOTAVAIL);
	}
	np->metrics_http = mh;
	log_info("serving metrics at http://%s:%u%s", m->address,
	    (unsigned)m->port, METRICS_HTTP_PATH);
	return (0);
}

void
metrics_http_stop(struct netproc *np)
{
	if (np->metrics_http == NULL)
		return;
	evconnlistener_free(np->metrics_http->listener);
	np->metrics_http->listener = NULL;
}
