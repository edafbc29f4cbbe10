/* One simulated client: TCP, TLS, HTTP responses and the CSTP tunnel. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cstp.h"
#include "loadgen.h"

#define RESPONSE_HEADERS_MAX	16384	/* bytes of one response head */
#define RESPONSE_BODY_MAX	65536

static void	client_read_cb(struct bufferevent *bev, void *arg);
static void	client_event_cb(struct bufferevent *bev, short what,
		    void *arg);
static void	client_keepalive_cb(evutil_socket_t fd, short events,
		    void *arg);

static void
client_close(struct client *c)
{
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
		c->fd = -1;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->ev != NULL) {
		event_free(c->ev);
		c->ev = NULL;
	}
	if (c->setup != NULL) {
		if (c->setup->timeout != NULL)
			event_free(c->setup->timeout);
		free(c->setup);
		c->setup = NULL;
	}
	voice_stop(c);
	dtls_close(c);
}

static bool
client_in_setup(const struct client *c)
{
	return (c->state >= CS_TCP && c->state <= CS_DTLS);
}

/* CSTP frames flow: the tunnel is up or DTLS is being set up beside it. */
static bool
client_tunnel_open(const struct client *c)
{
	return (c->state == CS_UP || c->state == CS_DTLS);
}

/* End a client's setup or tunnel with a failure of the given kind. */
void
client_fail(struct client *c, enum fail_kind kind, const char *why)
{
	bool in_setup = client_in_setup(c);

	if (c->state == CS_DONE)
		return;
	if (c->state == CS_UP)
		c->lg->lost_after_up++;
	loadgen_fail(c->lg, kind, c->id, why);
	c->state = CS_DONE;
	client_close(c);
	if (in_setup && !c->lg->stopping)
		loadgen_setup_ended(c->lg);
}

static void
client_setup_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	client_fail(arg, FAIL_TIMEOUT, "setup took longer than "
	    "--setup-timeout");
}

static int
client_socket(struct client *c)
{
	const struct options *o = &c->lg->opt;
	struct sockaddr_in src = { .sin_family = AF_INET };
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (-errno);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (o->nsources > 0) {
		/*
		 * IP_BIND_ADDRESS_NO_PORT defers the choice of the port to
		 * connect(), where the kernel picks it for the whole
		 * address and port tuple instead of reserving it in bind().
		 */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one));
		src.sin_addr = o->sources[c->lg->next_source++ % o->nsources];
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
			int err = errno;

			close(fd);
			return (-err);
		}
	}
	return (fd);
}

static void
client_tls_start(struct client *c)
{
	SSL *ssl = SSL_new(c->lg->ssl_ctx);

	if (ssl == NULL) {
		client_fail(c, FAIL_TLS, "SSL_new failed");
		return;
	}
	SSL_set_tlsext_host_name(ssl, c->lg->opt.host);
	c->bev = bufferevent_openssl_socket_new(c->lg->base, c->fd, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		SSL_free(ssl);
		client_fail(c, FAIL_TLS, "cannot create a TLS bufferevent");
		return;
	}
	c->state = CS_TLS;
	bufferevent_setcb(c->bev, client_read_cb, NULL, client_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
client_tcp_cb(evutil_socket_t fd, short events, void *arg)
{
	struct client *c = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)events;
	event_free(c->ev);
	c->ev = NULL;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		client_fail(c, FAIL_TCP, strerror(err));
		return;
	}
	client_tls_start(c);
}

/* Open TCP to the server; TLS starts once the connect completes. */
static int
client_connect(struct client *c)
{
	const struct options *o = &c->lg->opt;
	int fd = client_socket(c);

	if (fd < 0) {
		client_fail(c, FAIL_TCP, strerror(-fd));
		return (fd);
	}
	c->fd = fd;
	c->state = CS_TCP;
	if (connect(fd, (const struct sockaddr *)&o->server,
	    sizeof(o->server)) != 0 && errno != EINPROGRESS) {
		client_fail(c, FAIL_TCP, strerror(errno));
		return (-1);
	}
	c->ev = event_new(c->lg->base, fd, EV_WRITE, client_tcp_cb, c);
	if (c->ev == NULL || event_add(c->ev, NULL) != 0) {
		client_fail(c, FAIL_TCP, "cannot watch the socket");
		return (-1);
	}
	return (0);
}

int
client_start(struct client *c)
{
	struct timeval tv;

	c->fd = -1;
	c->started_ns = now_ns();
	c->setup = calloc(1, sizeof(*c->setup));
	if (c->setup == NULL) {
		loadgen_fail(c->lg, FAIL_TCP, c->id, "out of memory");
		c->state = CS_DONE;
		return (-ENOMEM);
	}
	tv.tv_sec = (time_t)c->lg->opt.setup_timeout;
	tv.tv_usec = (suseconds_t)((c->lg->opt.setup_timeout -
	    (double)tv.tv_sec) * 1e6);
	c->setup->timeout = evtimer_new(c->lg->base, client_setup_timeout_cb,
	    c);
	if (c->setup->timeout == NULL) {
		free(c->setup);
		c->setup = NULL;
		loadgen_fail(c->lg, FAIL_TCP, c->id, "out of memory");
		c->state = CS_DONE;
		return (-ENOMEM);
	}
	evtimer_add(c->setup->timeout, &tv);
	client_connect(c);
	return (0);
}

/*
 * Start the CONNECT step on a new TCP and TLS connection, as clients do
 * that log in and connect the tunnel separately (--new-conn).
 */
int
client_reconnect(struct client *c)
{
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
		c->fd = -1;
	}
	c->setup->tunnel_phase = true;
	return (client_connect(c));
}

/* Queue one CSTP frame on the TLS connection. */
void
client_send_frame(struct client *c, uint8_t type, const void *payload,
    size_t len)
{
	uint8_t hdr[CSTP_HEADER_LEN];

	if (c->bev == NULL)
		return;
	cstp_header_write(hdr, (enum cstp_type)type, (uint16_t)len);
	bufferevent_write(c->bev, hdr, sizeof(hdr));
	if (len > 0)
		bufferevent_write(c->bev, payload, len);
}

/* Send one IP packet over DTLS when it is up, else over CSTP. */
void
client_send_packet(struct client *c, const void *pkt, size_t len)
{
	if (dtls_ready(c))
		dtls_send(c, CSTP_DATA, pkt, len);
	else
		client_send_frame(c, CSTP_DATA, pkt, len);
}

/* Send a user DISCONNECT, so the server frees the session at once. */
void
client_disconnect(struct client *c)
{
	uint8_t reason = CSTP_DISCONNECT_USER_LOGOUT;

	if (client_in_setup(c)) {
		client_fail(c, FAIL_TIMEOUT, "still in setup when the run "
		    "ended");
		return;
	}
	if (c->state != CS_UP)
		return;
	voice_stop(c);
	dtls_close(c);
	client_send_frame(c, CSTP_DISCONNECT, &reason, 1);
	c->state = CS_DONE;
	if (c->ev != NULL) {
		event_free(c->ev);
		c->ev = NULL;
	}
}

static int
client_keepalive_start(struct client *c)
{
	struct timeval tv = { c->keepalive, 0 };
	const struct timeval *common;

	/* All sessions share a few intervals, so use libevent's O(1) queues. */
	common = event_base_init_common_timeout(c->lg->base, &tv);
	c->ev = event_new(c->lg->base, -1, EV_PERSIST, client_keepalive_cb,
	    c);
	if (c->ev == NULL)
		return (-ENOMEM);
	return (event_add(c->ev, common != NULL ? common : &tv));
}

/* The CONNECT reply was 200: the tunnel is up. */
void
client_tunnel_up(struct client *c)
{
	struct loadgen *lg = c->lg;
	uint64_t took = now_ns() - c->started_ns;

	c->state = CS_UP;
	if (c->setup != NULL) {
		event_free(c->setup->timeout);
		free(c->setup);
		c->setup = NULL;
	}
	lg->up++;
	if ((double)took <= lg->opt.deadline * 1e9)
		lg->on_time++;
	samples_add(&lg->setup_times, took);
	if (c->keepalive > 0 && client_keepalive_start(c) != 0) {
		client_fail(c, FAIL_TUNNEL, "cannot start the keepalive timer");
		return;
	}
	loadgen_setup_ended(lg);
}

static void
client_keepalive_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	client_send_frame(arg, CSTP_KEEPALIVE, NULL, 0);
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;
	char why[256];
	unsigned long err;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		c->state = CS_LOGIN;
		if (c->setup->tunnel_phase) {
			c->state = CS_CONNECT;
			login_send_connect(c);
		} else {
			login_send_first(c);
		}
		return;
	}
	err = bufferevent_get_openssl_error(c->bev);
	if (err != 0)
		ERR_error_string_n(err, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "%s",
		    (what & BEV_EVENT_EOF) ? "connection closed by the server" :
		    strerror(EVUTIL_SOCKET_ERROR()));
	if (c->state == CS_DONE) {
		client_close(c);
		return;
	}
	client_fail(c, c->state == CS_TLS ? FAIL_TLS :
	    c->state == CS_UP ? FAIL_CLOSED :
	    c->state == CS_CONNECT || c->state == CS_DTLS ? FAIL_TUNNEL :
	    FAIL_HTTP, why);
}

/*
 * Take one complete HTTP response from the input, if there is one.
 * Returns 1 and sets the outputs when a response was taken, 0 when more
 * bytes are needed, or -EBADMSG.
 */
static int
client_take_response(struct client *c, struct evbuffer *in, int *status,
    char **head, char **body, size_t *body_len)
{
	struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	size_t head_len, content_len = 0;
	const char *cl;

	if (end.pos < 0)
		return (evbuffer_get_length(in) > RESPONSE_HEADERS_MAX ?
		    -EBADMSG : 0);
	head_len = (size_t)end.pos + 4;
	*head = calloc(1, head_len + 1);
	if (*head == NULL)
		return (-ENOMEM);
	evbuffer_copyout(in, *head, head_len);
	if (sscanf(*head, "HTTP/1.%*d %d", status) != 1)
		goto bad;
	/* A CONNECT reply has no body: CSTP frames follow the head. */
	cl = c->state == CS_CONNECT ? NULL :
	    header_find(*head, "Content-Length", NULL);
	if (cl != NULL)
		content_len = strtoul(cl, NULL, 10);
	if (content_len > RESPONSE_BODY_MAX ||
	    header_find(*head, "Transfer-Encoding", NULL) != NULL)
		goto bad;
	if (evbuffer_get_length(in) < head_len + content_len) {
		free(*head);
		*head = NULL;
		return (0);
	}
	evbuffer_drain(in, head_len);
	*body = calloc(1, content_len + 1);
	if (*body == NULL)
		goto bad;
	evbuffer_remove(in, *body, content_len);
	*body_len = content_len;
	return (1);
bad:
	free(*head);
	*head = NULL;
	return (-EBADMSG);
}

static void
client_read_http(struct client *c, struct evbuffer *in)
{
	char *head = NULL, *body = NULL;
	size_t body_len = 0;
	int status = 0, rc;

	while (client_in_setup(c) && c->state != CS_TCP &&
	    c->state != CS_DTLS) {
		rc = client_take_response(c, in, &status, &head, &body,
		    &body_len);
		if (rc == 0)
			return;
		if (rc < 0) {
			client_fail(c, c->state == CS_CONNECT ? FAIL_TUNNEL :
			    FAIL_HTTP, "malformed or oversized HTTP response");
			return;
		}
		login_handle_response(c, status, head, body, body_len);
		free(head);
		free(body);
		head = body = NULL;
	}
}

static void
client_handle_frame(struct client *c, enum cstp_type type,
    const uint8_t *payload, size_t len)
{
	switch (type) {
	case CSTP_DATA:
		if (c->voice != NULL)
			voice_receive(c, payload, len);
		break;
	case CSTP_DPD_REQ:
		client_send_frame(c, CSTP_DPD_RESP, payload, len);
		break;
	case CSTP_DISCONNECT:
	case CSTP_TERMINATE:
		client_fail(c, FAIL_CLOSED, "the server ended the tunnel");
		break;
	default:
		break;
	}
}

static void
client_read_cstp(struct client *c, struct evbuffer *in)
{
	enum cstp_type type;
	size_t plen, avail;
	uint8_t *buf;
	int rc;

	while (client_tunnel_open(c) &&
	    (avail = evbuffer_get_length(in)) >= CSTP_HEADER_LEN) {
		buf = evbuffer_pullup(in, CSTP_HEADER_LEN);
		rc = cstp_frame_parse(buf, CSTP_HEADER_LEN, &type, &plen);
		if (rc < 0) {
			client_fail(c, FAIL_CLOSED, "bad CSTP frame header");
			return;
		}
		if (avail < CSTP_HEADER_LEN + plen)
			return;
		buf = evbuffer_pullup(in, (ssize_t)(CSTP_HEADER_LEN + plen));
		client_handle_frame(c, type, buf + CSTP_HEADER_LEN, plen);
		if (c->bev == NULL)
			return;
		evbuffer_drain(in, CSTP_HEADER_LEN + plen);
	}
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (client_in_setup(c))
		client_read_http(c, in);
	if (client_tunnel_open(c))
		client_read_cstp(c, in);
	else if (c->state == CS_DONE && c->bev != NULL)
		evbuffer_drain(in, evbuffer_get_length(in));
}

/*
 * Find header name in an HTTP head, starting after *cursor when cursor is
 * not NULL (for repeated headers). Returns the value, which runs to the
 * next CR, or NULL. *cursor is moved past the returned header.
 */
const char *
header_find(const char *head, const char *name, const char **cursor)
{
	size_t nlen = strlen(name);
	const char *p = cursor != NULL && *cursor != NULL ? *cursor : head;

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			p += nlen + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			if (cursor != NULL)
				*cursor = p;
			return (p);
		}
	}
	return (NULL);
}

/* Copy a header value found by header_find into out, without CRLF. */
void
header_copy(const char *value, char *out, size_t outlen)
{
	size_t n = strcspn(value, "\r\n");

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, value, n);
	out[n] = '\0';
}
