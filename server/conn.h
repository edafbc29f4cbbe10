/*
 * One TLS connection in its HTTP phase: TLS through a libevent OpenSSL
 * bufferevent, requests through the strict parser, one request at a time.
 * A CONNECT turns the connection into a tunnel, which takes over the SSL
 * object and the socket (conn_detach).
 */
#ifndef HEADEND_CONN_H
#define HEADEND_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "loglimit.h"
#include "session.h"

struct netproc;
struct login;
struct http_request;
struct handshake_result;

struct conn {
	uint64_t	c_id;
	struct netproc	*c_np;
	size_t		c_listener;	/* index into config listeners */
	int		c_fd;
	SSL		*c_ssl;
	struct bufferevent *c_bev;
	struct http_parser *c_parser;
	char		c_peer[SESSION_PEER_MAX];	/* "addr:port" */
	char		c_addr[SESSION_PEER_MAX];	/* address alone */
	bool		c_counted;	/* holds a per-source slot */
	bool		c_established;	/* TLS handshake finished */
	struct event	*c_silent;	/* waits for the first bytes */
	/*
	 * The handshake runs on worker c_worker, which owns c_fd and c_ssl
	 * until it reports back; c_abandoned when the deadline passed.
	 */
	bool		c_handshaking;
	bool		c_abandoned;
	size_t		c_worker;
	int		c_phase;	/* what c_timer limits */
	struct event	*c_timer;	/* deadline of the phase */
	bool		c_busy;		/* a request waits for an answer */
	bool		c_requested;	/* a request arrived */
	bool		c_head;		/* a HEAD: respond without a body */
	bool		c_close_asked;	/* "Connection: close" on a request */
	bool		c_closing;	/* close once the output is sent */
	bool		c_paused;	/* reading waits for the output */
	struct login	*c_login;	/* login waiting on this connection */
};

/*
 * Take over an accepted socket. The TLS handshake starts once the client
 * sends its first bytes.
 */
void	conn_accept(struct netproc *np, size_t listener, int fd,
	    const struct sockaddr *sa, int salen);

/*
 * Send a response. extra_headers holds complete "Name: value\r\n" lines
 * or is NULL. With close set, the connection ends once it is sent.
 */
void	conn_respond(struct conn *c, int status, const char *reason,
	    const char *extra_headers, const char *content_type,
	    const void *body, size_t body_len, bool close);

/* Ready for the next request after an asynchronous answer was sent. */
void	conn_request_done(struct conn *c);

void	conn_close(struct conn *c);

/* Continue after the handshake that a worker ran, or close. */
void	conn_handshake_done(struct conn *c, const struct handshake_result *r);

/*
 * Hand the SSL object and socket to the caller and free the connection;
 * the caller owns both afterwards.
 */
void	conn_detach(struct conn *c, SSL **ssl, int *fd);

/* Log a line naming the connection and its peer. */
void	conn_log(const struct conn *c, int priority, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Log like conn_log within limit: a line that clients can cause without
 * logging in. The first line after a skip counts the lines left out.
 */
void	conn_log_within(const struct conn *c, struct loglimit *limit,
	    int priority, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* conn_log_within with a limit of the call site's own, per thread. */
#define conn_log_limited(c, priority, ...) do {				\
	static __thread struct loglimit conn_log_site_;			\
									\
	conn_log_within((c), &conn_log_site_, (priority), __VA_ARGS__);	\
} while (0)

#endif
