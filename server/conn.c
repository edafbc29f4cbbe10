/* HTTP connections over TLS, declared in conn.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>

#include "conn.h"
#include "handshake.h"
#include "http.h"
#include "log.h"
#include "login.h"
#include "netproc.h"
#include "source.h"
#include "tls.h"
#include "tunnel.h"
#include "worker.h"

/*
 * Each phase of a connection has a deadline that further bytes do not
 * extend, so a client that trickles its handshake or its headers cannot
 * hold a connection (limits section of the configuration).
 */
/*
 * A response that waits on authd is sent within authd's own timeout of
 * 20 seconds. A connection left busy past this is closed as a safety net.
 */
#define CONN_BUSY_TIMEOUT	60

/*
 * Bytes of responses that a client may leave unread before the next
 * request is read. A client that sends requests and never reads the
 * responses would otherwise grow the output buffer without limit.
 */
#define CONN_OUTPUT_MAX		(64 * 1024)

enum conn_phase {
	CONN_HANDSHAKE,		/* TLS handshake */
	CONN_IDLE,		/* between requests */
	CONN_REQUEST,		/* first byte of a request to its last */
	CONN_BUSY,		/* the request is being answered */
	CONN_CLOSING,		/* the last response is being sent */
};

static void	conn_read_cb(struct bufferevent *bev, void *arg);
static void	conn_event_cb(struct bufferevent *bev, short what, void *arg);

void
conn_log(const struct conn *c, int priority, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_write(priority, "conn=%llu peer=%s: %s",
	    (unsigned long long)c->c_id, c->c_peer, msg);
}

void
conn_log_within(const struct conn *c, struct loglimit *limit, int priority,
    const char *fmt, ...)
{
	char msg[1024];
	uint64_t skipped;
	va_list ap;

	if (!loglimit_pass(limit, time(NULL), &skipped))
		return;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (skipped == 0)
		log_write(priority, "conn=%llu peer=%s: %s",
		    (unsigned long long)c->c_id, c->c_peer, msg);
	else
		log_write(priority, "conn=%llu peer=%s: %s (and %llu line(s) "
		    "like it left out, at most %d per second are logged)",
		    (unsigned long long)c->c_id, c->c_peer, msg,
		    (unsigned long long)skipped, LOGLIMIT_PER_SECOND);
}

static void
conn_format_peer(const struct sockaddr *sa, char *buf, size_t len,
    char *addr, size_t addrlen)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
		snprintf(buf, len, "%s:%u", host, port);
		snprintf(addr, addrlen, "%s", host);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
		snprintf(buf, len, "[%s]:%u", host, port);
		snprintf(addr, addrlen, "%s", host);
	} else {
		snprintf(buf, len, "unknown");
		snprintf(addr, addrlen, "unknown");
	}
}

/* Give back the per-source slot: the connection is gone or a tunnel. */
static void
conn_uncount(struct conn *c)
{
	if (c->c_counted)
		source_del(c->c_np->sources, c->c_addr, SOURCE_CONNECTION);
	c->c_counted = false;
}

/* Stop waiting for the client's first bytes. */
static void
conn_unsilence(struct conn *c)
{
	if (c->c_silent == NULL)
		return;
	event_free(c->c_silent);
	c->c_silent = NULL;
	c->c_np->conns_silent--;
}

static void
conn_free(struct conn *c)
{
	c->c_np->conns_open--;
	conn_uncount(c);
	conn_unsilence(c);
	if (c->c_timer != NULL)
		event_free(c->c_timer);
	if (c->c_login != NULL)
		login_conn_gone(c->c_login);
	if (c->c_bev != NULL) {
		bufferevent_disable(c->c_bev, EV_READ | EV_WRITE);
		bufferevent_free(c->c_bev);
	}
	if (c->c_ssl != NULL) {
		if (SSL_is_init_finished(c->c_ssl))
			SSL_shutdown(c->c_ssl);
		SSL_free(c->c_ssl);
	}
	if (c->c_fd >= 0)
		close(c->c_fd);
	http_parser_free(c->c_parser);
	free(c);
}

void
conn_close(struct conn *c)
{
	conn_free(c);
}

static int
conn_phase_seconds(const struct conn *c, enum conn_phase phase)
{
	const struct config_limits *l = &c->c_np->cfg->limits;

	switch (phase) {
	case CONN_HANDSHAKE:
		return (l->handshake_timeout);
	case CONN_IDLE:
		return (l->idle_timeout);
	case CONN_BUSY:
		return (CONN_BUSY_TIMEOUT);
	default:
		return (l->request_timeout);
	}
}

/* Enter a phase and arm its deadline. */
static void
conn_enter(struct conn *c, enum conn_phase phase)
{
	struct timeval tv = { conn_phase_seconds(c, phase), 0 };

	c->c_phase = phase;
	evtimer_add(c->c_timer, &tv);
}

static void
conn_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *c = arg;
	struct netproc_stats *st = &c->c_np->stats;
	int seconds = conn_phase_seconds(c, c->c_phase);

	(void)fd;
	(void)events;
	if (c->c_phase == CONN_HANDSHAKE && c->c_silent != NULL) {
		counter_add(&st->handshake_timeouts, 1);
		conn_log_limited(c, LOG_INFO, "closed: the client sent "
		    "nothing within %d seconds", seconds);
	} else if (c->c_phase == CONN_HANDSHAKE) {
		counter_add(&st->handshake_timeouts, 1);
		conn_log_limited(c, LOG_INFO, "closed: TLS handshake not "
		    "finished within %d seconds", seconds);
		if (c->c_handshaking) {
			/* The worker still has the socket: free c later. */
			c->c_abandoned = true;
			worker_handshake_cancel(c->c_np, c->c_worker, c->c_id);
			return;
		}
	} else if (c->c_phase == CONN_REQUEST) {
		counter_add(&st->request_timeouts, 1);
		conn_log_limited(c, LOG_INFO, "closed: request not complete "
		    "within %d seconds of its first byte", seconds);
	} else if (c->c_phase == CONN_IDLE && c->c_paused) {
		counter_add(&st->idle_closes, 1);
		conn_log_limited(c, LOG_INFO, "closed: the client did not "
		    "read its responses within %d seconds", seconds);
	} else if (c->c_phase == CONN_IDLE) {
		counter_add(&st->idle_closes, 1);
		conn_log(c, LOG_DEBUG, "closed: no request for %d seconds",
		    seconds);
	} else if (c->c_phase == CONN_BUSY) {
		conn_log(c, LOG_WARNING, "closed: no answer was ready within "
		    "%d seconds", seconds);
	} else {
		conn_log(c, LOG_DEBUG, "closed: last response not taken "
		    "within %d seconds", seconds);
	}
	conn_free(c);
}

/*
 * Reject a connection beyond max-connections, or from a source that
 * already has its share. conns_open counts this one too.
 */
static bool
conn_admit(struct conn *c)
{
	struct netproc *np = c->c_np;
	int limit = np->cfg->limits.connections_per_source;
	int max_open = np->cfg->limits.max_connections;

	if (max_open > 0 && np->conns_open > (size_t)max_open) {
		if (counter_add(&np->stats.conns_over_limit, 1) % 1000 == 0)
			conn_log(c, LOG_WARNING, "refused: %d connections are "
			    "not yet tunnels (limit max-connections; %llu "
			    "refused so far)", max_open,
			    (unsigned long long)np->stats.conns_over_limit);
		return (false);
	}
	if (source_add(np->sources, c->c_addr, SOURCE_CONNECTION, limit)) {
		c->c_counted = true;
		return (true);
	}
	if (counter_add(&np->stats.conns_over_source_limit, 1) % 1000 == 0)
		conn_log(c, LOG_INFO, "refused: the source holds %d "
		    "connections that are not tunnels (limit "
		    "connections-per-source; %llu refused so far)", limit,
		    (unsigned long long)np->stats.conns_over_source_limit);
	return (false);
}

/* Hand the socket to the worker that will own the client's tunnel. */
static void
conn_start_handshake(struct conn *c)
{
	struct netproc *np = c->c_np;
	struct http_limits lim;

	http_limits_default(&lim);
	c->c_parser = http_parser_new(&lim);
	c->c_ssl = SSL_new(np->tls[c->c_listener]);
	if (c->c_parser == NULL || c->c_ssl == NULL) {
		conn_log(c, LOG_WARNING, "cannot set up the connection: out "
		    "of memory");
		conn_free(c);
		return;
	}
	c->c_worker = workers_steer(np, c->c_addr);
	c->c_handshaking = true;
	worker_handshake(np, c->c_worker, c, c->c_id, c->c_fd, c->c_ssl);
	conn_log(c, LOG_DEBUG, "TLS handshake on worker %zu", c->c_worker);
}

/*
 * The TLS state of a connection, its SSL object and the buffers of its
 * first handshake step, takes about 44 KiB. It is made only once the
 * client has sent something, so that connections that send nothing
 * hold little more than their socket until the handshake timeout.
 */
static void
conn_first_bytes_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *c = arg;
	char byte;
	ssize_t n;

	(void)events;
	conn_unsilence(c);

	/* A TCP health check or a port scan closes without a byte. */
	n = recv(fd, &byte, 1, MSG_PEEK);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		counter_add(&c->c_np->stats.conns_closed_silent, 1);
		conn_log(c, LOG_DEBUG, "closed by the client before it sent "
		    "anything");
		conn_free(c);
		return;
	}
	conn_start_handshake(c);
}

void
conn_accept(struct netproc *np, size_t listener, int fd,
    const struct sockaddr *sa, int salen)
{
	struct conn *c;

	(void)salen;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->c_id = ++np->next_conn_id;
	c->c_np = np;
	np->conns_open++;
	c->c_listener = listener;
	c->c_fd = fd;
	conn_format_peer(sa, c->c_peer, sizeof(c->c_peer), c->c_addr,
	    sizeof(c->c_addr));
	if (!conn_admit(c)) {
		conn_free(c);
		return;
	}
	/*
	 * Without this, Nagle's algorithm delays a small CSTP packet until
	 * the previous one is acknowledged, so a voice packet waits for the
	 * next one: about 20 ms at 50 packets per second.
	 */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
	    sizeof(int)) != 0)
		conn_log(c, LOG_DEBUG, "setsockopt(TCP_NODELAY) failed: %s",
		    strerror(errno));
	if ((c->c_timer = evtimer_new(np->base, conn_timer_cb, c)) == NULL)
		goto fail;
	conn_enter(c, CONN_HANDSHAKE);
	c->c_silent = event_new(np->base, fd, EV_READ, conn_first_bytes_cb,
	    c);
	if (c->c_silent == NULL)
		goto fail;
	np->conns_silent++;
	if (event_add(c->c_silent, NULL) != 0)
		goto fail;
	conn_log(c, LOG_DEBUG, "accepted");
	return;
fail:
	conn_log(c, LOG_WARNING, "cannot set up the connection: out of "
	    "memory");
	conn_free(c);
}

/*
 * A client that hangs up leaves OpenSSL no error to describe, only the
 * end of the stream or the socket's errno.
 */
static void
conn_log_tls_failure(struct conn *c, const struct handshake_result *r)
{
	char why[1024];

	if (r->nerrors == 0 && r->ssl_error == SSL_ERROR_SYSCALL &&
	    r->sys_errno != 0)
		snprintf(why, sizeof(why), "the connection failed during the "
		    "handshake: %s", strerror(r->sys_errno));
	else if ((r->nerrors == 0 && r->ssl_error == SSL_ERROR_SYSCALL) ||
	    (r->nerrors == 1 && ERR_GET_REASON(r->errors[0]) ==
	    SSL_R_UNEXPECTED_EOF_WHILE_READING))
		snprintf(why, sizeof(why), "the client closed the connection "
		    "during the handshake");
	else
		tls_describe_failure(c->c_ssl, r->errors, r->nerrors, why,
		    sizeof(why));
	counter_add(&c->c_np->stats.tls_handshake_failures, 1);
	conn_log_limited(c, LOG_INFO, "TLS handshake failed: %s", why);
}

void
conn_handshake_done(struct conn *c, const struct handshake_result *r)
{
	struct netproc *np = c->c_np;

	c->c_handshaking = false;
	if (c->c_abandoned) {
		conn_free(c);
		return;
	}
	if (!r->ok) {
		conn_log_tls_failure(c, r);
		conn_free(c);
		return;
	}
	c->c_bev = bufferevent_openssl_socket_new(np->base, c->c_fd,
	    c->c_ssl, BUFFEREVENT_SSL_OPEN, 0);
	if (c->c_bev == NULL) {
		conn_log(c, LOG_WARNING, "cannot set up the connection: out "
		    "of memory");
		conn_free(c);
		return;
	}
	bufferevent_setcb(c->c_bev, conn_read_cb, NULL, conn_event_cb, c);
	bufferevent_enable(c->c_bev, EV_READ);
	c->c_established = true;
	conn_enter(c, CONN_IDLE);
	conn_log(c, LOG_DEBUG, "TLS established: %s %s",
	    SSL_get_version(c->c_ssl), SSL_get_cipher(c->c_ssl));
}

/*
 * A phone closes the connection right after the handshake when the
 * server certificate matches none of its certHash pins or fails its Host
 * ID check, and sends the server no reason. Health checks do the same,
 * so after the first few only every 100th is logged at info level.
 */
static void
conn_log_closed_unused(struct conn *c)
{
	uint64_t n = counter_add(&c->c_np->stats.conns_closed_unused, 1) + 1;

	conn_log(c, n <= 10 || n % 100 == 0 ? LOG_INFO : LOG_DEBUG,
	    "closed by the client after the TLS handshake, before any "
	    "request (%llu so far): a phone does this when the server "
	    "certificate matches none of its certHash pins or fails its "
	    "Host ID check; headend -t prints the hashes and checks the "
	    "names", (unsigned long long)n);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	(void)what;
	if (c->c_phase == CONN_IDLE && !c->c_requested)
		conn_log_closed_unused(c);
	else
		conn_log(c, LOG_DEBUG, "closed by the client");
	ERR_clear_error();
	conn_free(c);
}

static void
conn_write_done_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(c);
}

static const char *
conn_status_reason(int status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 501:
		return "Not Implemented";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

void
conn_respond(struct conn *c, int status, const char *reason,
    const char *extra_headers, const char *content_type,
    const void *body, size_t body_len, bool close)
{
	struct evbuffer *out = bufferevent_get_output(c->c_bev);

	/* After a response that closes, nothing more may follow. */
	if (c->c_closing)
		return;
	close = close || c->c_close_asked;

	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n"
	    "X-Transcend-Version: 1\r\n"
	    "Cache-Control: no-store\r\n"
	    "Content-Length: %zu\r\n", status, reason, body_len);
	if (content_type != NULL)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", content_type);
	if (close)
		evbuffer_add_printf(out, "Connection: close\r\n");
	if (extra_headers != NULL)
		evbuffer_add(out, extra_headers, strlen(extra_headers));
	evbuffer_add(out, "\r\n", 2);
	if (body_len > 0 && !c->c_head)
		evbuffer_add(out, body, body_len);
	if (!close)
		return;
	conn_enter(c, CONN_CLOSING);
	c->c_closing = true;
	bufferevent_setcb(c->c_bev, conn_read_cb, conn_write_done_cb,
	    conn_event_cb, c);
}

static void
conn_reject(struct conn *c, int status, const char *why)
{
	conn_log_limited(c, LOG_INFO, "rejected request: %s", why);
	conn_respond(c, status, conn_status_reason(status), NULL,
	    "text/plain", why, strlen(why), true);
}

void
conn_request_done(struct conn *c)
{
	c->c_busy = false;
	c->c_head = false;
	http_parser_reset(c->c_parser);
	if (!c->c_closing)
		conn_enter(c, CONN_IDLE);
}

static void
conn_dispatch(struct conn *c, const struct http_request *req)
{
	c->c_busy = true;
	c->c_requested = true;
	c->c_head = req->method == HTTP_METHOD_HEAD;

	/* A CONNECT's connection becomes the tunnel, whatever its headers. */
	c->c_close_asked = req->method != HTTP_METHOD_CONNECT &&
	    http_request_wants_close(req);
	conn_enter(c, CONN_BUSY);

	/* VPN clients and phones use GET, POST and CONNECT. */
	if (req->method == HTTP_METHOD_OTHER)
		conn_reject(c, 405, "method not allowed: use GET, POST or "
		    "CONNECT");
	else if (req->version_minor > 0 &&
	    http_request_header(req, "Host") == NULL)
		conn_reject(c, 400, "HTTP/1.1 request without a Host header");
	else if (req->method == HTTP_METHOD_CONNECT)
		tunnel_connect(c, req);
	else
		login_handle(c, req);
}

/* Read requests again once the client has taken the responses. */
static void
conn_output_drained_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	c->c_paused = false;
	bufferevent_setcb(bev, conn_read_cb, NULL, conn_event_cb, c);
	bufferevent_enable(bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		conn_read_cb(bev, c);
}

/*
 * Feed the input to the parser. Bytes beyond a complete request, or any
 * byte that reaches this callback while a request is being answered,
 * are rejected: VPN clients do not pipeline, and a second request must
 * not ride on the checks of the first. A request sent a few milliseconds
 * after the previous one may reach this callback only after the
 * response, as libevent does not always read the socket while a login
 * waits for authd. It is then parsed as the next request, with its own
 * checks.
 */
static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec vec;
	enum http_parse_result r = HTTP_PARSE_INCOMPLETE;
	size_t used;

	if (c->c_closing) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (c->c_busy) {
		/* The login under way must send no response after this 400. */
		if (c->c_login != NULL) {
			login_conn_gone(c->c_login);
			c->c_login = NULL;
		}
		conn_reject(c, 400, "data sent before the previous response");
		return;
	}
	if (evbuffer_get_length(bufferevent_get_output(bev)) >
	    CONN_OUTPUT_MAX) {
		c->c_paused = true;
		bufferevent_disable(bev, EV_READ);
		bufferevent_setcb(bev, conn_read_cb, conn_output_drained_cb,
		    conn_event_cb, c);
		return;
	}
	if (c->c_phase == CONN_IDLE && evbuffer_get_length(in) > 0)
		conn_enter(c, CONN_REQUEST);
	while (r == HTTP_PARSE_INCOMPLETE &&
	    evbuffer_peek(in, -1, NULL, &vec, 1) > 0) {
		r = http_parser_feed(c->c_parser, vec.iov_base, vec.iov_len,
		    &used);
		evbuffer_drain(in, used);
	}
	if (r == HTTP_PARSE_ERROR) {
		conn_reject(c, http_parser_status(c->c_parser),
		    http_parser_error(c->c_parser));
		return;
	}
	if (r != HTTP_PARSE_DONE)
		return;
	if (evbuffer_get_length(in) > 0) {
		conn_reject(c, 400, "bytes after a complete request");
		return;
	}
	conn_dispatch(c, http_parser_request(c->c_parser));
}

void
conn_detach(struct conn *c, SSL **ssl, int *fd)
{
	conn_uncount(c);
	*ssl = c->c_ssl;
	*fd = c->c_fd;
	c->c_ssl = NULL;
	c->c_fd = -1;
	conn_free(c);
}
